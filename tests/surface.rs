//! Analytic gradient and Hessian against central differences.

use multistart::surface::{Kind, Surface, eigenvalues};
use proptest::prelude::*;

fn central_gradient(s: &Surface, p: [f64; 2], h: f64) -> [f64; 2] {
    let f = |x: f64, y: f64| s.value([x, y]);
    [(f(p[0] + h, p[1]) - f(p[0] - h, p[1])) / (2.0 * h), (f(p[0], p[1] + h) - f(p[0], p[1] - h)) / (2.0 * h)]
}

proptest! {
    #[test]
    fn gradients_match_central_differences(x in -3.0f64..3.0, y in -3.0f64..3.0) {
        for s in Surface::all() {
            let g = s.gradient([x, y]);
            let d = central_gradient(&s, [x, y], 1e-5);
            for k in 0..2 {
                prop_assert!((g[k] - d[k]).abs() < 1e-6 * (1.0 + g[k].abs()), "{s:?}: {g:?} vs {d:?}");
            }
        }
    }

    #[test]
    fn hessians_match_central_differences(x in -3.0f64..3.0, y in -3.0f64..3.0) {
        for s in Surface::all() {
        let h = s.hessian([x, y]);
        let e = 1e-5;
        let gx = [s.gradient([x + e, y]), s.gradient([x - e, y])];
        let gy = [s.gradient([x, y + e]), s.gradient([x, y - e])];
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
        let g32 = Surface::Peaks.gradient([x, y]);
        let g64 = Surface::Peaks.gradient([x as f64, y as f64]);
        for k in 0..2 {
            prop_assert!((g32[k] as f64 - g64[k]).abs() < 1e-4 * (1.0 + g64[k].abs()));
        }
    }
}

#[test]
fn known_critical_points_are_critical_and_of_their_kind() {
    for s in Surface::all() {
        for k in s.known_points() {
            let g = s.gradient(k.point);
            // Six decimals in the table: the gradient there is of order 1e-5 times the curvature.
            assert!(g[0].hypot(g[1]) < 2e-4, "{k:?}: {g:?}");
            assert!((s.value(k.point) - k.f).abs() < 1e-5);
            let eig = eigenvalues(s.hessian(k.point));
            let kind = match (eig[0] > 0.0, eig[1] > 0.0) {
                (true, true) => Kind::Minimum,
                (false, false) => Kind::Maximum,
                _ => Kind::Saddle,
            };
            assert_eq!(kind, k.kind, "{k:?}");
        }
    }
}

#[test]
fn global_minimum_largest_eigenvalue_is_about_30() {
    let g = Surface::Peaks.global_minima().next().unwrap();
    let lambda_max = eigenvalues(Surface::Peaks.hessian(g.point))[1];
    assert!((lambda_max - 30.18).abs() < 0.01, "{lambda_max}");
}

/// The peaks formula typed as `--expr` is the built-in peaks: the same
/// values and gradients to rounding.
#[test]
fn peaks_formula_evaluates_like_the_built_in() {
    let formula = Surface::formula(common::PEAKS_FORMULA).unwrap();
    for i in 0..1000 {
        let p = [-3.0 + 0.006 * i as f64, 2.5 - 0.005 * i as f64];
        assert!((formula.value(p) - Surface::Peaks.value(p)).abs() < 1e-13);
        let (a, b) = (formula.gradient(p), Surface::Peaks.gradient(p));
        assert!((a[0] - b[0]).abs() < 1e-12 && (a[1] - b[1]).abs() < 1e-12, "{p:?}: {a:?} vs {b:?}");
        let (ha, hb) = (formula.hessian(p), Surface::Peaks.hessian(p));
        for (ra, rb) in ha.iter().zip(&hb) {
            assert!((ra[0] - rb[0]).abs() < 1e-11 && (ra[1] - rb[1]).abs() < 1e-11, "{p:?}");
        }
    }
}

mod common;
