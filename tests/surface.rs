//! Analytic gradient and Hessian against central differences.

use multistart::surface::{Kind, Surface, eigenvalues, symmetric_eigenvalues};
use proptest::prelude::*;

fn central_gradient(s: &Surface, p: [f64; 2], h: f64) -> [f64; 2] {
    let f = |x: f64, y: f64| s.value2([x, y]);
    [(f(p[0] + h, p[1]) - f(p[0] - h, p[1])) / (2.0 * h), (f(p[0], p[1] + h) - f(p[0], p[1] - h)) / (2.0 * h)]
}

proptest! {
    #[test]
    fn gradients_match_central_differences(x in -3.0f64..3.0, y in -3.0f64..3.0) {
        for s in Surface::all() {
            let g = s.gradient2([x, y]);
            let d = central_gradient(&s, [x, y], 1e-5);
            for k in 0..2 {
                prop_assert!((g[k] - d[k]).abs() < 1e-6 * (1.0 + g[k].abs()), "{s:?}: {g:?} vs {d:?}");
            }
        }
    }

    #[test]
    fn hessians_match_central_differences(x in -3.0f64..3.0, y in -3.0f64..3.0) {
        for s in Surface::all() {
        let h = s.hessian2([x, y]);
        // The basin stage's gradient and Hessian in one: the same numbers.
        let (g, h_too) = s.gradient_hessian2([x, y]);
        let g_alone = s.gradient2([x, y]);
        prop_assert!(h_too == h);
        prop_assert!((0..2).all(|k| (g[k] - g_alone[k]).abs() <= 1e-12 * (1.0 + g_alone[k].abs())), "{s:?}");
        let e = 1e-5;
        let gx = [s.gradient2([x + e, y]), s.gradient2([x - e, y])];
        let gy = [s.gradient2([x, y + e]), s.gradient2([x, y - e])];
        let num = [
            [(gx[0][0] - gx[1][0]) / (2.0 * e), (gy[0][0] - gy[1][0]) / (2.0 * e)],
            [(gx[0][1] - gx[1][1]) / (2.0 * e), (gy[0][1] - gy[1][1]) / (2.0 * e)],
        ];
        for i in 0..2 {
            for j in 0..2 {
                prop_assert!((h[i][j] - num[i][j]).abs() < 1e-5 * (1.0 + h[i][j].abs()), "{s:?}: {h:?} vs {num:?}");
            }
        }
        }
    }

    #[test]
    fn f32_gradient_tracks_f64(x in -3.0f32..3.0, y in -3.0f32..3.0) {
        let g32 = Surface::Peaks.gradient2([x, y]);
        let g64 = Surface::Peaks.gradient2([x as f64, y as f64]);
        for k in 0..2 {
            prop_assert!((g32[k] as f64 - g64[k]).abs() < 1e-4 * (1.0 + g64[k].abs()));
        }
    }
}

#[test]
fn known_critical_points_are_critical_and_of_their_kind() {
    let mut surfaces = Surface::all();
    for (name, dim) in [("rastrigin", 5), ("rosenbrock", 6), ("ackley", 3)] {
        surfaces.push(Surface::from_name(name).unwrap().with_dim(dim).unwrap());
    }
    for s in surfaces {
        for k in s.known_points() {
            // Ackley's minimum is a cone tip: no gradient or Hessian there.
            if s.name() == "ackley" {
                assert!(s.value(&k.point).abs() < 1e-12, "{s:?}");
                continue;
            }
            let mut g = vec![0.0; s.dim()];
            s.gradient(&k.point, &mut g);
            // Six decimals in the table: the gradient there is of order 1e-5 times the curvature.
            assert!(g.iter().map(|v| v * v).sum::<f64>().sqrt() < 2e-4, "{k:?}: {g:?}");
            assert!((s.value(&k.point) - k.f).abs() < 1e-5);
            let eig = symmetric_eigenvalues(&s.hessian(&k.point), s.dim());
            let kind = match (eig.iter().all(|&e| e > 0.0), eig.iter().all(|&e| e < 0.0)) {
                (true, _) => Kind::Minimum,
                (_, true) => Kind::Maximum,
                _ => Kind::Saddle,
            };
            assert_eq!(kind, k.kind, "{} {k:?}", s.describe());
        }
    }
}

/// Jacobi's eigenvalues against a matrix with known ones: Q diag(1, 2, 5) Q^T.
#[test]
fn symmetric_eigenvalues_of_a_rotated_diagonal() {
    let (c, s) = (0.6f64, 0.8f64);
    // Rotation in the (0, 1) plane, then (1, 2).
    let q = [[c, -s * c, s * s], [s, c * c, -c * s], [0.0, s, c]];
    let d = [1.0, 2.0, 5.0];
    let mut h = vec![0.0; 9];
    for i in 0..3 {
        for j in 0..3 {
            h[i * 3 + j] = (0..3).map(|k| q[i][k] * d[k] * q[j][k]).sum();
        }
    }
    let eig = symmetric_eigenvalues(&h, 3);
    for (a, b) in eig.iter().zip(d) {
        assert!((a - b).abs() < 1e-12, "{eig:?}");
    }
}

#[test]
fn global_minimum_largest_eigenvalue_is_about_30() {
    let g = Surface::Peaks.global_minima().next().unwrap();
    let lambda_max = eigenvalues(Surface::Peaks.hessian2([g.point[0], g.point[1]]))[1];
    assert!((lambda_max - 30.18).abs() < 0.01, "{lambda_max}");
}

/// The peaks formula typed as `--expr` is the built-in peaks: the same
/// values and gradients to rounding.
#[test]
fn peaks_formula_evaluates_like_the_built_in() {
    let formula = Surface::formula(common::PEAKS_FORMULA).unwrap();
    for i in 0..1000 {
        let p = [-3.0 + 0.006 * i as f64, 2.5 - 0.005 * i as f64];
        assert!((formula.value2(p) - Surface::Peaks.value2(p)).abs() < 1e-13);
        let (a, b) = (formula.gradient2(p), Surface::Peaks.gradient2(p));
        assert!((a[0] - b[0]).abs() < 1e-12 && (a[1] - b[1]).abs() < 1e-12, "{p:?}: {a:?} vs {b:?}");
        let (ha, hb) = (formula.hessian2(p), Surface::Peaks.hessian2(p));
        for (ra, rb) in ha.iter().zip(&hb) {
            assert!((ra[0] - rb[0]).abs() < 1e-11 && (ra[1] - rb[1]).abs() < 1e-11, "{p:?}");
        }
    }
}

mod common;
