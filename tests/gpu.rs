//! The GPU engine against its CPU twin. Each test runs on a real adapter
//! (lavapipe in CI), skips loudly without one, and fails without one when
//! MULTISTART_REQUIRE_GPU=1.

mod common;

use multistart::basins::{BasinParams, Label, Summary};
use multistart::config::{RunConfig, Starts};
use multistart::engine::gpu::GpuEngine;
use multistart::engine::{Endpoint, Engine, Status, cpu::CpuEngine};
use multistart::starts::StartFn;
use multistart::surface::Surface;

fn engine(test: &str) -> Option<GpuEngine> {
    common::gpu(test).map(|ctx| GpuEngine::new(ctx, &Surface::Peaks).expect("kernel builds"))
}

fn config(walkers: u64) -> RunConfig {
    RunConfig { walkers, ..RunConfig::new(Surface::Peaks) }.validate().unwrap()
}

/// The shader's start points (0 steps) against the Rust hash, bit for bit.
fn assert_starts_identical(gpu: &mut GpuEngine, c: &RunConfig, range: std::ops::Range<u64>) {
    let cpu = StartFn::<f32>::new(c);
    let mut first = range.start;
    while first < range.end {
        let part = first..(first + gpu.max_chunk()).min(range.end);
        first = part.end;
        let raw = gpu.run_raw(c, part.clone(), 0).unwrap();
        for (i, w) in part.zip(raw) {
            let p = cpu.point(i);
            assert_eq!(w.p.map(f32::to_bits), p.map(f32::to_bits), "walker {i}: gpu {:?} cpu {p:?}", w.p);
        }
    }
}

#[test]
fn wgsl_hash_gives_the_rust_start_points() {
    let Some(mut gpu) = engine("wgsl_hash_gives_the_rust_start_points") else { return };
    let c = config(1 << 40);
    assert_starts_identical(&mut gpu, &c, 0..1_000_000);
    // Across the carry into the high word of the index.
    assert_starts_identical(&mut gpu, &c, (1u64 << 32) - 300_000..(1u64 << 32) + 300_000);
    // A seed using both halves.
    let c = RunConfig { seed: 0xDEAD_BEEF_0000_0001, ..c };
    assert_starts_identical(&mut gpu, &c, (1u64 << 36) - 1000..(1u64 << 36) + 1000);
}

fn labelled(c: &RunConfig, endpoints: Vec<Endpoint>) -> (Summary, Vec<Label>, Vec<Endpoint>) {
    let mut s = Summary::default();
    let labels = s.add_chunk(&endpoints, &BasinParams::new(c));
    (s, labels, endpoints)
}

/// A walker's class, with basins named by their polished point.
fn class(s: &Summary, label: Label) -> (String, i64, i64) {
    match label {
        Label::Basin(i) => {
            let p = s.basins[i].point;
            ("basin".into(), (p[0] * 1e6).round() as i64, (p[1] * 1e6).round() as i64)
        }
        other => (other.class_name().into(), 0, 0),
    }
}

#[test]
fn gpu_matches_the_f32_cpu_engine_on_100k_walkers() {
    let Some(mut gpu) = engine("gpu_matches_the_f32_cpu_engine_on_100k_walkers") else { return };
    let c = config(100_000);
    let (gs, gl, ge) = labelled(&c, gpu.descend(&c, 0..c.walkers).unwrap());
    let (cs, cl, ce) = labelled(&c, CpuEngine::new().descend(&c, 0..c.walkers).unwrap());

    let mut worst = 0.0f64;
    for (g, k) in ge.iter().zip(&ce) {
        assert_eq!(g.start, k.start);
        if g.status == Status::Converged && k.status == Status::Converged {
            worst = worst.max((g.point[0] - k.point[0]).abs().max((g.point[1] - k.point[1]).abs()));
        }
    }
    assert!(worst <= 1e-3, "converged endpoints differ by {worst}");

    let differing = gl.iter().zip(&cl).filter(|(a, b)| class(&gs, **a) != class(&cs, **b)).count();
    assert!(differing <= 10, "{differing} of 100,000 walkers in another basin or class");

    let counts = |s: &Summary| {
        let mut v: Vec<_> = (0..s.basins.len()).map(|i| (class(s, Label::Basin(i)), s.basins[i].count)).collect();
        v.sort();
        v
    };
    let (gc, cc) = (counts(&gs), counts(&cs));
    assert_eq!(gc.len(), 3);
    assert_eq!(gc.len(), cc.len());
    for (a, b) in gc.iter().zip(&cc) {
        assert_eq!(a.0, b.0);
        assert!(a.1.abs_diff(b.1) <= 10, "{gc:?} vs {cc:?}");
    }
    for (a, b) in [(gs.moving, cs.moving), (gs.plateau, cs.plateau), (gs.escaped, cs.escaped)] {
        assert!(a.abs_diff(b) <= 10, "{a} vs {b}");
    }
}

#[test]
fn chunks_and_dispatch_splits_give_identical_endpoints() {
    let Some(mut gpu) = engine("chunks_and_dispatch_splits_give_identical_endpoints") else { return };
    let whole_cfg = RunConfig { steps_per_dispatch: 1000, ..config(10_000) };
    let whole = gpu.run_raw(&whole_cfg, 0..10_000, 1000).unwrap();
    let split_cfg = RunConfig { steps_per_dispatch: 7, ..config(10_000) };
    let mut split = Vec::new();
    for first in (0..10_000).step_by(3_000) {
        split.extend(gpu.run_raw(&split_cfg, first..(first + 3_000).min(10_000), 1000).unwrap());
    }
    assert_eq!(whole.len(), split.len());
    for (i, (a, b)) in whole.iter().zip(&split).enumerate() {
        assert_eq!(bytemuck::bytes_of(a), bytemuck::bytes_of(b), "walker {i}: {a:?} vs {b:?}");
    }
    assert!(whole.iter().any(|w| w.status == Status::Converged as u32));
}

#[test]
fn uploaded_starts_descend_like_the_cpu() {
    let Some(mut gpu) = engine("uploaded_starts_descend_like_the_cpu") else { return };
    let c = RunConfig {
        walkers: 1,
        tol: 0.0,
        starts: Starts::Points { source: "start 0,1.4".into(), points: vec![[0.0, 1.4]] },
        ..RunConfig::new(Surface::Peaks)
    }
    .validate()
    .unwrap();
    let e = gpu.descend(&c, 0..1).unwrap()[0];
    assert!((e.point[0] - 0.2964).abs() < 1e-3 && (e.point[1] - 0.3202).abs() < 1e-3, "{e:?}");
    assert_eq!(e.iterations, 1000);
}

#[test]
fn trajectories_on_the_gpu_follow_the_cpu() {
    use multistart::trajectories::{TrajectorySpec, record};
    let Some(mut gpu) = engine("trajectories_on_the_gpu_follow_the_cpu") else { return };
    let c = config(1000);
    let spec = TrajectorySpec { walkers: vec![3, 141, 592], every: 100 };
    let on_gpu = record(&c, &mut gpu, &spec).unwrap();
    let on_cpu = record(&c, &mut CpuEngine::new(), &spec).unwrap();
    assert_eq!(on_gpu.len(), on_cpu.len());
    assert!(on_gpu.len() >= 6);
    for (g, k) in on_gpu.iter().zip(&on_cpu) {
        assert_eq!((g.walker, g.step), (k.walker, k.step));
        assert!((g.x - k.x).abs() < 1e-3 && (g.y - k.y).abs() < 1e-3, "{g:?} vs {k:?}");
    }
}

#[test]
fn every_surface_runs_on_the_gpu_like_the_cpu() {
    for surface in Surface::all() {
        let Some(ctx) = common::gpu("every_surface_runs_on_the_gpu_like_the_cpu") else { return };
        let mut gpu = GpuEngine::new(ctx, &surface).expect("kernel builds");
        let c = RunConfig { walkers: 20_000, lr: 0.005, ..RunConfig::new(surface.clone()) }.validate().unwrap();
        let (gs, _, _) = labelled(&c, gpu.descend(&c, 0..c.walkers).unwrap());
        let (cs, _, _) = labelled(&c, CpuEngine::new().descend(&c, 0..c.walkers).unwrap());
        let minima = |s: &Summary| {
            s.basins.iter().filter(|b| b.kind == multistart::surface::Kind::Minimum && b.count > 0).count()
        };
        let known = surface.known_points().iter().filter(|k| k.kind == multistart::surface::Kind::Minimum).count();
        assert_eq!(minima(&gs), known, "{surface:?}");
        for b in &gs.basins {
            let twin = cs
                .basins
                .iter()
                .find(|x| (x.point[0] - b.point[0]).abs() < 1e-6 && (x.point[1] - b.point[1]).abs() < 1e-6);
            let count = twin.map_or(0, |t| t.count);
            assert!(b.count.abs_diff(count) <= 4, "{surface:?} {:?}: gpu {} cpu {count}", b.point, b.count);
        }
    }
}

/// `--expr` with the peaks formula: the generated kernel gives the
/// built-in kernel's table within the f32 tolerance.
#[test]
fn peaks_typed_as_a_formula_runs_on_the_gpu_like_the_built_in() {
    let Some(ctx) = common::gpu("peaks_typed_as_a_formula_runs_on_the_gpu_like_the_built_in") else { return };
    let formula = Surface::formula(common::PEAKS_FORMULA).unwrap();
    let mut on_formula = GpuEngine::new(ctx, &formula).expect("generated kernel builds");
    let c = RunConfig { walkers: 100_000, ..RunConfig::new(formula) }.validate().unwrap();
    let (fs, _, _) = labelled(&c, on_formula.descend(&c, 0..c.walkers).unwrap());
    let built_in = RunConfig { surface: Surface::Peaks, ..c.clone() };
    let (bs, _, _) = labelled(&built_in, CpuEngine::new().descend(&built_in, 0..c.walkers).unwrap());
    assert_eq!(fs.basins.len(), 3);
    for b in &bs.basins {
        let twin =
            fs.basins.iter().find(|x| (x.point[0] - b.point[0]).abs() < 1e-6 && (x.point[1] - b.point[1]).abs() < 1e-6);
        let count = twin.map_or(0, |t| t.count);
        assert!(b.count.abs_diff(count) <= 10, "{:?}: formula {count} built-in {}", b.point, b.count);
    }
    assert!(fs.moving.abs_diff(bs.moving) <= 10);
}
