//! RMSProp (Hinton's lecture 6e, 2012): v <- rho v + (1 - rho) g^2;
//! p <- p - lr g / (sqrt(v) + eps).

use num_traits::Float;

use super::{Bound, Param, Settings, Spec};
use crate::surface::{Real, Surface};
use crate::walker::WalkerState;

/// The guard added to a root in a denominator, shared with Adam.
pub const EPS: Param = Param { name: "eps", aliases: &[], help: "guard added to the root", default: 1e-8, bound: Bound::Positive };

/// RMSProp.
pub const SPEC: Spec = Spec {
    name: "rmsprop",
    rule: "RMSProp: v <- rho v + (1-rho) g^2; p <- p - lr g / (sqrt(v) + eps)",
    params: &[
        Param { name: "rho", aliases: &[], help: "decay of the squared gradients' average", default: 0.9, bound: Bound::Decay },
        EPS,
    ],
    wgsl: include_str!("../../shaders/optim/rmsprop.wgsl"),
};

/// One update. Twin of `optimizer_step` in shaders/optim/rmsprop.wgsl.
// Index loops over the dimensions, as in the shader.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
pub fn step<T: Float + Real>(_surface: &Surface, w: &mut WalkerState<T>, g: &[T], s: &Settings<T>) {
    let [rho, eps, ..] = s.values;
    for k in 0..s.dim {
        w.v[k] = rho * w.v[k] + (T::one() - rho) * g[k] * g[k];
        w.p[k] = w.p[k] - s.lr * g[k] / (Float::sqrt(w.v[k]) + eps);
    }
}
