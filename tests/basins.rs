//! The CPU path against the known critical points of peaks, and the exact
//! merge of chunked and split runs.

use multistart::basins::{BasinParams, Summary};
use multistart::engine::Engine;
use multistart::engine::cpu::CpuEngine;
use multistart::problem::{Precision, Problem};
use multistart::surface::{Kind, Surface};
use multistart::{Plan, pipeline};

fn config(walkers: u64) -> Problem {
    Problem { walkers, ..Problem::new(Surface::Peaks) }.validate().unwrap()
}

fn summary(c: &Problem) -> Summary {
    summary_in_chunks(c, None)
}

fn summary_in_chunks(c: &Problem, chunk: Option<u64>) -> Summary {
    let plan = Plan { chunk, ..Plan::cpu() };
    pipeline::run(c, &plan, &mut CpuEngine::new(), &mut [], &|| false).unwrap().summary
}

#[test]
fn default_run_finds_the_three_minima_to_1e6() {
    let s = summary(&config(100_000));
    let minima: Vec<_> = s.basins.iter().filter(|b| b.kind == Kind::Minimum).collect();
    assert_eq!(minima.len(), 3, "{:?}", s.basins);
    for k in Surface::Peaks.known_points().iter().filter(|k| k.kind == Kind::Minimum) {
        let b = minima
            .iter()
            .find(|b| (b.point[0] - k.point[0]).abs() < 1e-6 && (b.point[1] - k.point[1]).abs() < 1e-6)
            .unwrap_or_else(|| panic!("no basin at {:?}", k.point));
        assert!((b.f - k.f).abs() < 1e-6);
        assert!(b.count > 10_000, "{b:?}");
    }
    let counted: u64 = s.basins.iter().map(|b| b.count).sum::<u64>() + s.moving + s.plateau + s.escaped + s.nonfinite;
    assert_eq!(counted, 100_000);
    // About a fifth of the walkers are still moving on the flat outskirts.
    assert!((15_000..30_000).contains(&s.moving), "moving {}", s.moving);
    assert_eq!(s.best_minimum().unwrap().kind, Kind::Minimum);
    assert!((s.best_minimum().unwrap().f - -6.551133).abs() < 1e-6);
}

/// Counts of each basin, keyed by its point rounded to 1e-6, for comparing
/// summaries built in different orders.
fn counts(s: &Summary) -> Vec<(i64, i64, u64)> {
    let mut v: Vec<_> = s
        .basins
        .iter()
        .map(|b| ((b.point[0] * 1e6).round() as i64, (b.point[1] * 1e6).round() as i64, b.count))
        .collect();
    v.sort();
    v
}

#[test]
fn chunks_and_halves_merge_into_exactly_the_single_run() {
    let whole = summary(&config(100_000));

    let chunked = summary_in_chunks(&config(100_000), Some(10_000));
    assert_eq!(counts(&chunked), counts(&whole));
    assert_eq!((chunked.moving, chunked.plateau, chunked.escaped), (whole.moving, whole.plateau, whole.escaped));

    // Two halves of the walker index range, merged in either order.
    let c = config(100_000);
    let mut engine = CpuEngine::new();
    let params = BasinParams::new(&c);
    let mut half = |range| {
        let mut s = Summary::default();
        s.add_chunk(&engine.descend(&c, range).unwrap(), &params);
        s
    };
    let (a, b) = (half(0..50_000), half(50_000..100_000));
    for (first, second) in [(&a, &b), (&b, &a)] {
        let mut merged = first.clone();
        merged.merge(second);
        assert_eq!(counts(&merged), counts(&whole));
        assert_eq!(merged.walkers, whole.walkers);
        assert_eq!(
            (merged.moving, merged.plateau, merged.escaped, merged.nonfinite),
            (whole.moving, whole.plateau, whole.escaped, whole.nonfinite)
        );
        for b in &merged.basins {
            let w = whole.basins.iter().find(|w| w.count == b.count && (w.point[0] - b.point[0]).abs() < 1e-9).unwrap();
            assert_eq!(w.iterations, b.iterations);
        }
    }
}

#[test]
fn f32_and_f64_engines_agree_on_basin_shares() {
    let f32_run = summary(&config(20_000));
    let f64_run = summary(&Problem { precision: Precision::F64, ..config(20_000) });
    let (a, b) = (counts(&f32_run), counts(&f64_run));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!((x.0, x.1), (y.0, y.1));
        // A few walkers per thousand sit on a basin boundary.
        assert!((x.2 as i64 - y.2 as i64).abs() <= 40, "{a:?} vs {b:?}");
    }
}

#[test]
fn learning_rate_above_the_stable_bound_empties_the_global_minimum() {
    let s = summary(&Problem { lr: 0.1, steps: 100, ..config(20_000) });
    assert!(s.basins.iter().filter(|b| b.count > 0).all(|b| (b.point[1] - -1.625535).abs() > 0.1));
    assert!(s.basins.iter().any(|b| b.kind == Kind::Minimum && b.count > 0));
}

#[test]
fn lr_half_leaves_no_walker_in_a_minimum() {
    let s = summary(&Problem { lr: 0.5, ..config(20_000) });
    assert!(s.basins.iter().all(|b| b.kind != Kind::Minimum || b.count == 0), "{:?}", s.basins);
    // They are thrown onto the flat outskirts: some stop there (plateau),
    // the rest still drift outwards when the budget ends (measured: 42% and 58%).
    assert!(s.plateau > 5_000, "plateau {}", s.plateau);
    assert!(s.plateau + s.moving > 19_000, "plateau {} moving {}", s.plateau, s.moving);
}

#[test]
fn simd_engine_matches_the_scalar_f32_twin_of_the_shader() {
    use multistart::engine::cpu::descend_scalar;
    use multistart::engine::{Status, simd};
    let c = config(50_000);
    let fast = simd::descend_range(&c, 0..c.walkers);
    let twin = descend_scalar::<f32>(&c, 0..c.walkers);
    let params = BasinParams::new(&c);
    let (mut a, mut b) = (Summary::default(), Summary::default());
    let (la, lb) = (a.add_chunk(&fast, &params), b.add_chunk(&twin, &params));
    let mut worst = 0.0f64;
    for (f, t) in fast.iter().zip(&twin) {
        assert_eq!(f.index, t.index);
        if f.status == Status::Converged && t.status == Status::Converged {
            worst = worst.max((f.point[0] - t.point[0]).abs().max((f.point[1] - t.point[1]).abs()));
        }
    }
    assert!(worst <= 1e-3, "{worst}");
    let name = |s: &Summary, l: multistart::basins::Label| match l {
        multistart::basins::Label::Basin(i) => format!("{:.4?}", s.basins[i].point),
        other => other.class_name().to_string(),
    };
    let differing = la.iter().zip(&lb).filter(|(x, y)| name(&a, **x) != name(&b, **y)).count();
    assert!(differing <= 5, "{differing} of 50,000 in another class");
}

/// The minima a 100,000-walker run finds on `surface`, polished.
fn minima_found(surface: Surface, lr: f64) -> Vec<(multistart::basins::Basin, bool)> {
    let c = Problem { lr, ..Problem::new(surface.clone()) }.validate().unwrap();
    let engine = &mut CpuEngine::new();
    let outcome = pipeline::run(&c, &Plan::cpu(), engine, &mut [], &|| false).unwrap();
    let report = multistart::report::Report::new(&c, &Plan::cpu(), engine.device(), &outcome);
    report
        .basins
        .iter()
        .filter(|b| b.kind == Kind::Minimum)
        .map(|b| {
            let basin = outcome.summary.basins.iter().find(|x| x.point == b.point).unwrap().clone();
            (basin, b.global == Some(true))
        })
        .collect()
}

fn assert_known_minima(surface: &Surface, found: &[(multistart::basins::Basin, bool)]) {
    let known: Vec<_> = surface.known_points().into_iter().filter(|k| k.kind == Kind::Minimum).collect();
    assert_eq!(found.len(), known.len(), "{found:?}");
    for k in known {
        let (b, global) = found
            .iter()
            .find(|(b, _)| (b.point[0] - k.point[0]).abs() < 1e-6 && (b.point[1] - k.point[1]).abs() < 1e-6)
            .unwrap_or_else(|| panic!("{surface:?}: no minimum at {:?}", k.point));
        assert!((b.f - k.f).abs() < 1e-6);
        assert_eq!(*global, k.global, "{:?}", k.point);
    }
}

#[test]
fn himmelblau_has_its_four_minima_to_1e6() {
    // At the region's edge |grad f| is in the hundreds: lr 0.005 keeps those
    // walkers from overshooting, and every minimum's stable bound 2/lambda_max
    // (the smallest 0.0149) is above it.
    assert_known_minima(&Surface::Himmelblau, &minima_found(Surface::Himmelblau, 0.005));
}

#[test]
fn six_hump_camel_has_six_minima_two_of_them_global() {
    let found = minima_found(Surface::Camel, 0.01);
    assert_known_minima(&Surface::Camel, &found);
    assert_eq!(found.iter().filter(|(_, global)| *global).count(), 2);
}

#[test]
fn booth_has_its_one_minimum_at_1_3() {
    let found = minima_found(Surface::Booth, 0.01);
    assert_known_minima(&Surface::Booth, &found);
    // Where both squares vanish, whatever the table says.
    let (b, global) = &found[0];
    assert!((b.point[0] - 1.0).abs() < 1e-6 && (b.point[1] - 3.0).abs() < 1e-6 && *global, "{b:?}");
    assert_eq!(b.count, 100_000, "a convex bowl: every walker settles there");
}

/// `--expr` with the peaks formula gives exactly the built-in counts on the
/// f64 CPU path from the same starts.
#[test]
fn peaks_typed_as_a_formula_gives_exactly_the_built_in_counts_in_f64() {
    let built_in = Problem { walkers: 30_000, precision: Precision::F64, ..Problem::new(Surface::Peaks) };
    let formula = Problem { surface: Surface::formula(common::PEAKS_FORMULA).unwrap(), ..built_in.clone() };
    let (a, b) = (summary(&built_in.validate().unwrap()), summary(&formula.validate().unwrap()));
    assert_eq!(counts(&a), counts(&b));
    assert_eq!((a.moving, a.plateau, a.escaped, a.nonfinite), (b.moving, b.plateau, b.escaped, b.nonfinite));
    assert_eq!(counts(&a).len(), 3);
}

/// Peaks as sympy prints it (`str()` of the course's expression, sympy
/// 1.14: `**` for powers, its own order of terms), pasted as is, gives the
/// built-in counts on the f64 CPU path.
#[test]
fn peaks_as_sympy_prints_it_gives_the_built_in_counts_in_f64() {
    const SYMPY_PEAKS: &str = "3*(1 - x)**2*exp(-x**2 - (y + 1)**2) - (-10*x**3 + 2*x - 10*y**5)*exp(-x**2 - y**2) \
                               - exp(-y**2 - (x + 1)**2)/3";
    let built_in = Problem { walkers: 20_000, precision: Precision::F64, ..Problem::new(Surface::Peaks) };
    let formula = Problem { surface: Surface::formula(SYMPY_PEAKS).unwrap(), ..built_in.clone() };
    let (a, b) = (summary(&built_in.validate().unwrap()), summary(&formula.validate().unwrap()));
    assert_eq!(counts(&a).len(), 3);
    assert_eq!(counts(&a), counts(&b));
    assert_eq!((a.moving, a.plateau, a.escaped, a.nonfinite), (b.moving, b.plateau, b.escaped, b.nonfinite));
}

mod common;

/// The library's surfaces in D dimensions: Rastrigin on [-1.5, 1.5]^3 has
/// 27 minima on the integer lattice scaled by 0.995, the lowest at the
/// origin; Rosenbrock's banana ends at (1, 1, 1) given the steps its valley
/// needs; the bowl has its one minimum.
#[test]
fn library_surfaces_find_their_minima_in_d_dimensions() {
    let rastrigin = Surface::from_name("rastrigin").unwrap().with_dim(3).unwrap();
    let c =
        Problem { walkers: 20_000, region: multistart::problem::Region::cube(-1.5, 1.5, 3), ..Problem::new(rastrigin) };
    let s = summary(&c.validate().unwrap());
    assert_eq!(s.basins.iter().filter(|b| b.kind == Kind::Minimum).count(), 27);
    let best = s.best_minimum().unwrap();
    assert!(best.point.iter().all(|c| c.abs() < 1e-9) && best.f.abs() < 1e-12, "{best:?}");
    for b in &s.basins {
        // Each coordinate at 0 or +-0.994959 (the 1-D minima of x^2 - 10 cos 2 pi x).
        assert!(b.point.iter().all(|c| c.abs() < 1e-9 || (c.abs() - 0.994959).abs() < 1e-6), "{b:?}");
    }

    let rosenbrock = Surface::from_name("rosenbrock").unwrap().with_dim(3).unwrap();
    let c = Problem { walkers: 500, steps: 50_000, precision: Precision::F64, ..Problem::new(rosenbrock) };
    let s = summary(&c.validate().unwrap());
    let best = s.best_minimum().unwrap();
    assert!(best.point.iter().all(|c| (c - 1.0).abs() < 1e-9) && best.f.abs() < 1e-12, "{best:?}");
    assert!(best.count > 250, "{best:?}");

    let s = summary(&Problem::new(Surface::from_name("bowl").unwrap()).validate().unwrap());
    assert_eq!(s.basins.len(), 1);
    assert_eq!(s.basins[0].count, 100_000);
}
