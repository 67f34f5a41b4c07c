//! The GPU engine against its CPU twin. Each test runs on a real adapter
//! (lavapipe in CI), skips loudly without one, and fails without one when
//! MULTISTART_REQUIRE_GPU=1.

mod common;

use multistart::basins::{BasinParams, Label, Summary};
use multistart::engine::gpu::GpuEngine;
use multistart::engine::{Endpoint, Engine, Status, cpu::CpuEngine};
use multistart::problem::{Optimizer, OptimizerParams, Problem, Starts};
use multistart::starts::StartFn;
use multistart::surface::{Kind, Surface};

fn engine(test: &str) -> Option<GpuEngine> {
    common::gpu(test).map(|ctx| GpuEngine::new(ctx, &Surface::Peaks).expect("kernel builds"))
}

fn config(walkers: u64) -> Problem {
    Problem { walkers, ..Problem::new(Surface::Peaks) }.validate().unwrap()
}

/// The shader's start points (0 steps) against the Rust hash, bit for bit.
fn assert_starts_identical(gpu: &mut GpuEngine, c: &Problem, range: std::ops::Range<u64>) {
    let cpu = StartFn::<f32>::new(c);
    let mut first = range.start;
    while first < range.end {
        let part = first..(first + gpu.max_chunk()).min(range.end);
        first = part.end;
        let raw = gpu.run_raw(c, part.clone(), 0).unwrap();
        for (i, w) in part.zip(raw) {
            let p = cpu.point_vec(i);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&w.p), bits(&p), "walker {i}: gpu {:?} cpu {p:?}", w.p);
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
    let c = Problem { seed: 0xDEAD_BEEF_0000_0001, ..c };
    assert_starts_identical(&mut gpu, &c, (1u64 << 36) - 1000..(1u64 << 36) + 1000);
}

fn labelled(c: &Problem, endpoints: Vec<Endpoint>) -> (Summary, Vec<Label>, Vec<Endpoint>) {
    let mut s = Summary::default();
    let labels = s.add_chunk(&endpoints, &BasinParams::new(c));
    (s, labels, endpoints)
}

/// Walkers of `s` in the basin at `point` (to 1e-6), 0 if none.
fn count_at(s: &Summary, point: &[f64]) -> u64 {
    let near = |b: &&multistart::basins::Basin| b.point.iter().zip(point).all(|(a, c)| (a - c).abs() < 1e-6);
    s.basins.iter().find(near).map_or(0, |b| b.count)
}

/// A walker's class, with basins named by their polished point.
fn class(s: &Summary, label: Label) -> (String, i64, i64) {
    match label {
        Label::Basin(i) => {
            let p = &s.basins[i].point;
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
        assert_eq!(g.index, k.index);
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
    let c = config(10_000);
    gpu.set_steps_per_dispatch(1000);
    let whole = gpu.run_raw(&c, 0..10_000, 1000).unwrap();
    gpu.set_steps_per_dispatch(7);
    let mut split = Vec::new();
    for first in (0..10_000).step_by(3_000) {
        split.extend(gpu.run_raw(&c, first..(first + 3_000).min(10_000), 1000).unwrap());
    }
    assert_eq!(whole.len(), split.len());
    for (i, (a, b)) in whole.iter().zip(&split).enumerate() {
        let bits = |w: &multistart::engine::gpu::GpuWalker| {
            (
                w.p.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                w.f.to_bits(),
                w.grad_norm.to_bits(),
                w.iterations,
                w.status,
            )
        };
        assert_eq!(bits(a), bits(b), "walker {i}: {a:?} vs {b:?}");
    }
    assert!(whole.iter().any(|w| w.status == Status::Converged as u32));
}

/// The timestamps time the kernel and change nothing else; without them
/// (as on a device that has none) the same endpoints come back, untimed.
#[test]
fn timestamps_time_the_descent_and_change_nothing() {
    let Some(ctx) = common::gpu("timestamps_time_the_descent_and_change_nothing") else { return };
    let has_timestamps = ctx.device.features().contains(wgpu::Features::TIMESTAMP_QUERY);
    let mut timed = GpuEngine::new(ctx, &Surface::Peaks).expect("kernel builds");
    let Some(ctx) = common::gpu("timestamps_time_the_descent_and_change_nothing") else { return };
    let mut untimed = GpuEngine::new(ctx, &Surface::Peaks).expect("kernel builds").without_timestamps();
    // Four dispatches: the first pass starts the clock, the last stops it.
    timed.set_steps_per_dispatch(300);
    untimed.set_steps_per_dispatch(300);
    let c = config(3_000);
    let a = timed.descend(&c, 0..3_000).unwrap();
    let seconds = timed.device_seconds();
    let b = untimed.descend(&c, 0..3_000).unwrap();
    assert_eq!(a, b);
    assert_eq!(untimed.device_seconds(), None);
    if has_timestamps {
        let s = seconds.expect("timed");
        assert!(s > 0.0 && s < 60.0, "{s} s");
    }
}

#[test]
fn uploaded_starts_descend_like_the_cpu() {
    let Some(mut gpu) = engine("uploaded_starts_descend_like_the_cpu") else { return };
    let c = Problem {
        walkers: 1,
        tol: 0.0,
        starts: Starts::Points { source: "start 0,1.4".into(), points: vec![vec![0.0, 1.4]] },
        ..Problem::new(Surface::Peaks)
    }
    .validate()
    .unwrap();
    let e = gpu.descend(&c, 0..1).unwrap().swap_remove(0);
    assert!((e.point[0] - 0.2964).abs() < 1e-3 && (e.point[1] - 0.3202).abs() < 1e-3, "{e:?}");
    assert_eq!(e.iterations, 1000);
}

#[test]
fn trajectories_on_the_gpu_follow_the_cpu() {
    use multistart::trajectories::{TrajectorySpec, record};
    let Some(mut gpu) = engine("trajectories_on_the_gpu_follow_the_cpu") else { return };
    let c = config(1000);
    let spec = TrajectorySpec { walkers: vec![3, 141, 592], every: 100 };
    let (on_gpu, _) = record(&c, &mut gpu, &spec, &|| false).unwrap();
    let (on_cpu, _) = record(&c, &mut CpuEngine::new(), &spec, &|| false).unwrap();
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
        // Rosenbrock's valley needs many small steps; Booth's flat direction
        // (curvature 2) 1300 at lr 0.005, else most walkers are still moving
        // at the budget's end and a few of them settle on one side only; the
        // others settle in 1000.
        let (walkers, steps) = match surface.name() {
            "rosenbrock" => (2_000, 20_000),
            "booth" => (20_000, 2_000),
            _ => (20_000, 1000),
        };
        let lr = surface.default_lr().min(0.005);
        let c = Problem { walkers, steps, lr, ..Problem::new(surface.clone()) }.validate().unwrap();
        let (gs, _, _) = labelled(&c, gpu.descend(&c, 0..c.walkers).unwrap());
        let (cs, _, _) = labelled(&c, CpuEngine::new().descend(&c, 0..c.walkers).unwrap());
        let minima = |s: &Summary| s.basins.iter().filter(|b| b.kind == Kind::Minimum && b.count > 0).count();
        let known = surface.known_points().iter().filter(|k| k.kind == Kind::Minimum).count();
        // Rastrigin and Ackley list their global minimum only; the others all.
        if surface.name() == "rastrigin" || surface.name() == "ackley" {
            assert!(minima(&gs) > 10, "{}", surface.describe());
        } else {
            assert_eq!(minima(&gs), known, "{}", surface.describe());
        }
        for k in surface.known_points().iter().filter(|k| surface.name() != "ackley" && k.kind == Kind::Minimum) {
            assert!(count_at(&gs, &k.point) > 0, "{}: no minimum at {:?}", surface.describe(), k.point);
        }
        for b in &gs.basins {
            let count = count_at(&cs, &b.point);
            assert!(b.count.abs_diff(count) <= 4, "{} {:?}: gpu {} cpu {count}", surface.describe(), b.point, b.count);
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
    let c = Problem { walkers: 100_000, ..Problem::new(formula) }.validate().unwrap();
    let (fs, _, _) = labelled(&c, on_formula.descend(&c, 0..c.walkers).unwrap());
    let built_in = Problem { surface: Surface::Peaks, ..c.clone() };
    let (bs, _, _) = labelled(&built_in, CpuEngine::new().descend(&built_in, 0..c.walkers).unwrap());
    assert_eq!(fs.basins.len(), 3);
    for b in &bs.basins {
        let count = count_at(&fs, &b.point);
        assert!(b.count.abs_diff(count) <= 10, "{:?}: formula {count} built-in {}", b.point, b.count);
    }
    assert!(fs.moving.abs_diff(bs.moving) <= 10);
}

/// Each optimizer's kernel and its CPU twin give the same table within the
/// f32 tolerance.
#[test]
fn every_optimizer_runs_on_the_gpu_like_the_cpu() {
    let Some(ctx) = common::gpu("every_optimizer_runs_on_the_gpu_like_the_cpu") else { return };
    let mut gpu = GpuEngine::new(ctx, &Surface::Peaks).expect("kernel builds");
    for &optimizer in Optimizer::ALL {
        let walkers = if optimizer == Optimizer::Newton { 5_000 } else { 20_000 };
        let c =
            Problem { walkers, optimizer, optimizer_params: OptimizerParams::new(), ..Problem::new(Surface::Peaks) }
                .validate()
                .unwrap();
        let (gs, _, _) = labelled(&c, gpu.descend(&c, 0..c.walkers).unwrap());
        let (cs, _, _) = labelled(&c, CpuEngine::new().descend(&c, 0..c.walkers).unwrap());
        assert_eq!(gs.basins.iter().filter(|b| b.count > 0).count(), 3, "{}", optimizer.name());
        for b in &gs.basins {
            let count = count_at(&cs, &b.point);
            // A walker on a basin boundary may go either way in f32: a few per
            // thousand (Newton's steps, near singular Hessians, are the touchiest).
            assert!(
                b.count.abs_diff(count) <= walkers / 200,
                "{} {:?}: gpu {} cpu {count}",
                optimizer.name(),
                b.point,
                b.count
            );
        }
        assert!(
            gs.moving.abs_diff(cs.moving) <= walkers / 200,
            "{}: moving {} vs {}",
            optimizer.name(),
            gs.moving,
            cs.moving
        );
    }
}

/// Rastrigin in 5-D on the GPU: many local minima, the lowest the global
/// one at the origin, and the same minima as the CPU's f32 twin.
#[test]
fn rastrigin_in_five_dimensions_runs_on_the_gpu() {
    let Some(ctx) = common::gpu("rastrigin_in_five_dimensions_runs_on_the_gpu") else { return };
    let surface = Surface::from_name("rastrigin").unwrap().with_dim(5).unwrap();
    let mut gpu = GpuEngine::new(ctx, &surface).expect("kernel builds");
    // [-1.5, 1.5]^5 holds 3^5 = 243 minima: the origin's basin gets about
    // 80 of 20,000 walkers (over the default region it would get 0.1).
    let region = multistart::problem::Region::cube(-1.5, 1.5, 5);
    let c = Problem { walkers: 20_000, region, ..Problem::new(surface) }.validate().unwrap();
    let (gs, _, _) = labelled(&c, gpu.descend(&c, 0..c.walkers).unwrap());
    let (cs, _, _) = labelled(&c, CpuEngine::new().descend(&c, 0..c.walkers).unwrap());
    let minima = gs.basins.iter().filter(|b| b.kind == Kind::Minimum && b.count > 0).count();
    assert_eq!(minima, 243);
    let best = gs.best_minimum().unwrap();
    assert!(best.point.iter().all(|c| c.abs() < 1e-6) && best.f.abs() < 1e-9, "{best:?}");
    assert_eq!(best.point.len(), 5);
    let cpu_minima = cs.basins.iter().filter(|b| b.kind == Kind::Minimum && b.count > 0).count();
    assert!(minima.abs_diff(cpu_minima) <= minima / 100, "gpu {minima} cpu {cpu_minima}");
    assert!(gs.moving.abs_diff(cs.moving) <= 100, "moving gpu {} cpu {}", gs.moving, cs.moving);
}
