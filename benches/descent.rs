//! Descent per engine at small sizes, and basin clustering of endpoints.
//! `cargo bench`; the `multistart bench` command measures the large sizes.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use multistart::basins::{BasinParams, Summary};
use multistart::engine::Engine;
use multistart::engine::cpu::CpuEngine;
use multistart::engine::simd::InstructionSet;
use multistart::problem::{Precision, Problem};
use multistart::surface::Surface;

fn config(walkers: u64, precision: Precision) -> Problem {
    Problem { walkers, steps: 100, tol: 0.0, precision, ..Problem::new(Surface::Peaks) }
}

fn descent(c: &mut Criterion) {
    let mut group = c.benchmark_group("descent_cpu_10k_x_100");
    group.throughput(Throughput::Elements(10_000 * 100));
    // The fast f32 engine on each instruction set this CPU has, then the f64 reference.
    for set in InstructionSet::ALL.into_iter().filter(|s| s.available()) {
        let cfg = config(10_000, Precision::F32);
        let mut engine = CpuEngine::on(set);
        let name = format!("f32_{}", set.name());
        group.bench_function(name, |b| b.iter(|| engine.descend(&cfg, 0..cfg.walkers).unwrap()));
    }
    let cfg = config(10_000, Precision::F64);
    let mut engine = CpuEngine::new();
    group.bench_function("f64", |b| b.iter(|| engine.descend(&cfg, 0..cfg.walkers).unwrap()));
    group.finish();
}

fn clustering(c: &mut Criterion) {
    // The size: a million endpoints of the default job (target 1e7 endpoints/s).
    let cfg = Problem { walkers: 1_000_000, ..Problem::new(Surface::Peaks) };
    let endpoints = CpuEngine::new().descend(&cfg, 0..cfg.walkers).unwrap();
    let params = BasinParams::new(&cfg);
    let mut group = c.benchmark_group("basins");
    group.sample_size(10);
    group.throughput(Throughput::Elements(endpoints.len() as u64));
    group.bench_function("summarise_1m_endpoints", |b| b.iter(|| Summary::default().add_chunk(&endpoints, &params)));
    group.finish();
}

criterion_group!(benches, descent, clustering);
criterion_main!(benches);
