//! Heavy ball (Polyak 1964, in PyTorch's form): m <- beta m + g; p <- p - lr m.

use num_traits::Float;

use super::{Bound, Param, Settings, Spec};
use crate::surface::{Real, Surface};
use crate::walker::WalkerState;

/// The velocity's decay, shared with Nesterov.
pub const BETA: Param =
    Param { name: "beta", aliases: &["beta1"], help: "velocity decay", default: 0.9, bound: Bound::Decay };

/// Heavy-ball momentum.
pub const SPEC: Spec = Spec {
    name: "momentum",
    rule: "heavy ball: m <- beta m + g; p <- p - lr m",
    params: &[BETA],
    wgsl: include_str!("../../shaders/optim/momentum.wgsl"),
};

/// One update. Twin of `optimizer_step` in shaders/optim/momentum.wgsl.
// Index loops over the dimensions, as in the shader.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
pub fn step<T: Float + Real>(_surface: &Surface, w: &mut WalkerState<T>, g: &[T], s: &Settings<T>) {
    let beta = s.values[0];
    for k in 0..s.dim {
        w.m[k] = beta * w.m[k] + g[k];
        w.p[k] = w.p[k] - s.lr * w.m[k];
    }
}
