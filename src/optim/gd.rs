//! Plain gradient descent: p <- p - lr g.

use num_traits::Float;

use super::{Settings, Spec};
use crate::surface::{Real, Surface};
use crate::walker::WalkerState;

/// Plain gradient descent.
pub const SPEC: Spec = Spec {
    name: "gd",
    rule: "plain gradient descent: p <- p - lr g",
    params: &[],
    wgsl: include_str!("../../shaders/optim/gd.wgsl"),
};

/// One update. Twin of `optimizer_step` in shaders/optim/gd.wgsl.
// Index loops over the dimensions, as in the shader.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
pub fn step<T: Float + Real>(_surface: &Surface, w: &mut WalkerState<T>, g: &[T], s: &Settings<T>) {
    for k in 0..s.dim {
        w.p[k] = w.p[k] - s.lr * g[k];
    }
}
