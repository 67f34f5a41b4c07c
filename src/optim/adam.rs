//! Adam with bias correction (Kingma & Ba 2015, Algorithm 1).

use num_traits::Float;

use super::{Bound, Param, Settings, Spec};
use crate::surface::{Real, Surface};
use crate::walker::WalkerState;

/// Adam.
pub const SPEC: Spec = Spec {
    name: "adam",
    rule: "Adam, bias-corrected (Kingma & Ba 2015)",
    params: &[
        Param { name: "beta1", aliases: &["beta"], help: "first moment's decay", default: 0.9, bound: Bound::Decay },
        Param { name: "beta2", aliases: &[], help: "second moment's decay", default: 0.999, bound: Bound::Decay },
        super::rmsprop::EPS,
    ],
    wgsl: include_str!("../../shaders/optim/adam.wgsl"),
};

/// One update. Twin of `optimizer_step` in shaders/optim/adam.wgsl.
// Index loops over the dimensions, as in the shader.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
pub fn step<T: Float + Real>(_surface: &Surface, w: &mut WalkerState<T>, g: &[T], s: &Settings<T>) {
    let [beta1, beta2, eps, _] = s.values;
    let one = T::one();
    let t = T::from(w.iterations + 1).expect("a count");
    let c1 = one - Float::powf(beta1, t);
    let c2 = one - Float::powf(beta2, t);
    for k in 0..s.dim {
        w.m[k] = beta1 * w.m[k] + (one - beta1) * g[k];
        w.v[k] = beta2 * w.v[k] + (one - beta2) * g[k] * g[k];
        w.p[k] = w.p[k] - s.lr * (w.m[k] / c1) / (Float::sqrt(w.v[k] / c2) + eps);
    }
}
