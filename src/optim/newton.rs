//! Damped Newton: p <- p - damping H^-1 g where the Hessian H is positive
//! definite, else a gradient step (downhill, not to a maximum or saddle).

use num_traits::Float;

use super::{Bound, Param, Settings, Spec};
use crate::surface::{MAX_DIM, Real, Surface};
use crate::walker::WalkerState;

/// Damped Newton.
pub const SPEC: Spec = Spec {
    name: "newton",
    rule: "damped Newton: p <- p - damping H^-1 g where H is positive definite, else a gradient step",
    params: &[Param {
        name: "damping",
        aliases: &[],
        help: "step factor: p <- p - damping H^-1 g",
        default: 0.5,
        bound: Bound::Factor,
    }],
    wgsl: include_str!("../../shaders/optim/newton.wgsl"),
};

/// One update. Twin of `optimizer_step` in shaders/optim/newton.wgsl.
// Index loops over the dimensions, as in the shader.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
pub fn step<T: Float + Real>(surface: &Surface, w: &mut WalkerState<T>, g: &[T], s: &Settings<T>) {
    let damping = s.values[0];
    let dir = newton_direction(surface, &w.p[..s.dim], g);
    for k in 0..s.dim {
        w.p[k] = match dir {
            Some(d) => w.p[k] - damping * d[k],
            None => w.p[k] - s.lr * g[k],
        };
    }
}

/// H^-1 g by Cholesky, or None where H is not positive definite.
/// Twin of `newton_direction` in the shader.
// Index loops, as in the shader; `!(s > 0)` also refuses NaN.
#[allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]
#[inline(always)]
pub fn newton_direction<T: Float + Real>(surface: &Surface, p: &[T], g: &[T]) -> Option<[T; MAX_DIM]> {
    let n = p.len();
    let mut h = [T::zero(); MAX_DIM * MAX_DIM];
    surface.hessian_in(p, &mut h[..n * n]);
    // h = L L^T in place (lower triangle).
    for j in 0..n {
        let mut s = h[j * n + j];
        for k in 0..j {
            s = s - h[j * n + k] * h[j * n + k];
        }
        if !(s > T::zero()) {
            return None;
        }
        let l = Float::sqrt(s);
        h[j * n + j] = l;
        for i in j + 1..n {
            let mut t = h[i * n + j];
            for k in 0..j {
                t = t - h[i * n + k] * h[j * n + k];
            }
            h[i * n + j] = t / l;
        }
    }
    // L y = g, then L^T d = y.
    let mut y = [T::zero(); MAX_DIM];
    for i in 0..n {
        let mut t = g[i];
        for k in 0..i {
            t = t - h[i * n + k] * y[k];
        }
        y[i] = t / h[i * n + i];
    }
    let mut d = [T::zero(); MAX_DIM];
    for i in (0..n).rev() {
        let mut t = y[i];
        for k in i + 1..n {
            t = t - h[k * n + i] * d[k];
        }
        d[i] = t / h[i * n + i];
    }
    Some(d)
}
