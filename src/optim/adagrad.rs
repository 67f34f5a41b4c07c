//! AdaGrad (Duchi, Hazan & Singer 2011, in PyTorch's form): v <- v + g^2;
//! p <- p - lr g / (sqrt(v) + eps). Its steps shrink as the squared
//! gradients add up, so it needs a larger lr than plain descent.

use num_traits::Float;

use super::{Bound, Param, Settings, Spec};
use crate::surface::{Real, Surface};
use crate::walker::WalkerState;

/// AdaGrad.
pub const SPEC: Spec = Spec {
    name: "adagrad",
    rule: "AdaGrad: v <- v + g^2; p <- p - lr g / (sqrt(v) + eps)",
    params: &[Param { name: "eps", aliases: &[], help: "guard added to the root", default: 1e-10, bound: Bound::Positive }],
    wgsl: include_str!("../../shaders/optim/adagrad.wgsl"),
};

/// One update. Twin of `optimizer_step` in shaders/optim/adagrad.wgsl.
// Index loops over the dimensions, as in the shader.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
pub fn step<T: Float + Real>(_surface: &Surface, w: &mut WalkerState<T>, g: &[T], s: &Settings<T>) {
    let eps = s.values[0];
    for k in 0..s.dim {
        w.v[k] = w.v[k] + g[k] * g[k];
        w.p[k] = w.p[k] - s.lr * g[k] / (Float::sqrt(w.v[k]) + eps);
    }
}
