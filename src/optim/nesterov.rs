//! Nesterov momentum in PyTorch's form (Sutskever et al. 2013):
//! m <- beta m + g; p <- p - lr (g + beta m).

use num_traits::Float;

use super::{Settings, Spec};
use crate::surface::{Real, Surface};
use crate::walker::WalkerState;

/// Nesterov momentum.
pub const SPEC: Spec = Spec {
    name: "nesterov",
    rule: "Nesterov: m <- beta m + g; p <- p - lr (g + beta m)",
    params: &[super::momentum::BETA],
    wgsl: include_str!("../../shaders/optim/nesterov.wgsl"),
};

/// One update. Twin of `optimizer_step` in shaders/optim/nesterov.wgsl.
// Index loops over the dimensions, as in the shader.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
pub fn step<T: Float + Real>(_surface: &Surface, w: &mut WalkerState<T>, g: &[T], s: &Settings<T>) {
    let beta = s.values[0];
    for k in 0..s.dim {
        w.m[k] = beta * w.m[k] + g[k];
        w.p[k] = w.p[k] - s.lr * (g[k] + beta * w.m[k]);
    }
}
