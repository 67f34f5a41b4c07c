//! Newton's method in f64: the step that classifies a walker, and the
//! polishing of a cluster's lowest endpoint to its critical point.

use crate::surface::{Kind, Surface, solve, symmetric_eigenvalues};

use super::summary::{Basin, IterationHistogram};

/// Length of the Newton step H^-1 grad f at `p`, or None where the Hessian
/// is singular.
pub(super) fn newton_step(surface: &Surface, p: &[f64]) -> Option<f64> {
    if let [x, y] = *p {
        // 2-D in closed form, without allocating: the basin stage's hot path
        // (the general solve on stack buffers measured 40% slower here).
        let (g, h) = surface.gradient_hessian2([x, y]);
        let det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
        let d = [(h[1][1] * g[0] - h[0][1] * g[1]) / det, (h[0][0] * g[1] - h[1][0] * g[0]) / det];
        return (det != 0.0 && d[0].is_finite() && d[1].is_finite()).then(|| (d[0] * d[0] + d[1] * d[1]).sqrt());
    }
    newton_delta(surface, p).map(|d| norm(&d))
}

pub(super) fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// The Newton step H^-1 grad f at `p` (to subtract), in f64.
fn newton_delta(surface: &Surface, p: &[f64]) -> Option<Vec<f64>> {
    let mut g = vec![0.0; p.len()];
    surface.gradient(p, &mut g);
    solve(&surface.hessian(p), &g, p.len())
}

/// Newton's method on the gradient from `start`. None when it travels more
/// than `max_travel`, does not converge, or ends on a degenerate Hessian:
/// then the walkers there are on a plateau, not at a critical point.
pub fn polish(surface: &Surface, start: &[f64], max_travel: f64) -> Option<Basin> {
    let n = start.len();
    let mut p = start.to_vec();
    let distance = |p: &[f64]| norm(&p.iter().zip(start).map(|(a, b)| a - b).collect::<Vec<_>>());
    for _ in 0..100 {
        let d = newton_delta(surface, &p)?;
        for (x, dx) in p.iter_mut().zip(&d) {
            *x -= dx;
        }
        if distance(&p) > max_travel {
            return None;
        }
        if norm(&d) <= 1e-15 * (1.0 + norm(&p)) {
            break;
        }
    }
    let mut g = vec![0.0; n];
    surface.gradient(&p, &mut g);
    let eig = symmetric_eigenvalues(&surface.hessian(&p), n);
    let scale = eig.iter().fold(1.0f64, |m, e| m.max(e.abs()));
    let smallest = eig.iter().fold(f64::INFINITY, |m, e| m.min(e.abs()));
    if norm(&g) > 1e-9 * scale || smallest < 1e-9 * scale {
        return None;
    }
    let kind = match (eig.iter().all(|&e| e > 0.0), eig.iter().all(|&e| e < 0.0)) {
        (true, _) => Kind::Minimum,
        (_, true) => Kind::Maximum,
        _ => Kind::Saddle,
    };
    Some(Basin {
        f: surface.value(&p),
        point: p,
        kind,
        eigenvalues: eig,
        count: 0,
        iterations: IterationHistogram::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polish_finds_every_known_peaks_point() {
        for k in Surface::Peaks.known_points() {
            let b = polish(&Surface::Peaks, &[k.point[0] + 3e-3, k.point[1] - 3e-3], 4e-2).expect("polishes");
            assert_eq!(b.kind, k.kind);
            assert!((b.point[0] - k.point[0]).abs() < 1e-6 && (b.point[1] - k.point[1]).abs() < 1e-6, "{b:?}");
            assert!((b.f - k.f).abs() < 1e-6);
        }
    }

    #[test]
    fn polish_refuses_the_flat_outskirts() {
        assert!(polish(&Surface::Peaks, &[3.8, -3.5], 4e-2).is_none());
    }
}
