//! What a hand-written surface provides (`HandWritten`), and how code that
//! is generic over it is called for a `Surface` (`HandWrittenVisitor`).
//!
//! Each hand-written surface is a unit struct in its own file implementing
//! `HandWritten`, listed once in the registry (`hand_written!` in
//! surface/mod.rs), which generates `Surface`'s variant and the dispatch.

use super::{DEFAULT_LR, Known2, Real};

/// A 2-D surface written by hand: f and its gradient generic over the
/// float type, so the f32 engines, the f64 reference and the fast CPU
/// engine's lanes all inline the same lines, which the WGSL snippet
/// mirrors.
pub trait HandWritten {
    /// The `--surface` name.
    const NAME: &'static str;
    /// One line about the surface: what it is and what it has.
    const SUMMARY: &'static str;
    /// The same surface as a formula in x and y: Newton's Hessian comes
    /// from its symbolic derivative, on the CPU as in the kernel.
    const FORMULA: &'static str;
    /// The WGSL snippet defining `surface_value` and `surface_gradient` on a
    /// `Point`: `include_str!` of shaders/surfaces/NAME.wgsl.
    const WGSL: &'static str;
    /// The region runs start in unless told, [[x_lo, x_hi], [y_lo, y_hi]].
    const DEFAULT_REGION: [[f64; 2]; 2];
    /// The learning rate runs use unless told: below 2 / lambda_max at the
    /// minima, so plain gradient descent can settle there.
    const LR: f64 = DEFAULT_LR;
    /// The critical points known in closed form or from the literature
    /// (the module's docs cite where from).
    const CRITICAL_POINTS: &'static [Known2];

    /// f at `p`.
    fn value<T: Real>(p: [T; 2]) -> T;
    /// grad f at `p`.
    fn gradient<T: Real>(p: [T; 2]) -> [T; 2];
    /// The exact Hessian at `p`, in f64: classifies the basins.
    fn hessian(p: [f64; 2]) -> [[f64; 2]; 2];
    /// grad f and the Hessian at `p` in f64, for the basin stage's Newton
    /// step at every settled walker: a surface may share work between them.
    fn gradient_hessian(p: [f64; 2]) -> ([f64; 2], [[f64; 2]; 2]) {
        (Self::gradient(p), Self::hessian(p))
    }
}

/// Code generic over a hand-written surface's type, run for a `Surface`
/// value by `Surface::visit_hand_written`: the one match from values to
/// types, so that callers (the fast CPU engine's blocks) are monomorphised
/// and inline the surface's f and gradient.
pub trait HandWrittenVisitor {
    /// What `visit` returns.
    type Output;
    /// Runs with the surface's type.
    fn visit<S: HandWritten>(self) -> Self::Output;
}

/// A hand-written surface's constants and f64 functions as plain data:
/// what `Surface`'s methods read.
#[derive(Clone, Copy)]
pub(super) struct Facts {
    pub name: &'static str,
    pub summary: &'static str,
    pub wgsl: &'static str,
    pub region: [[f64; 2]; 2],
    pub lr: f64,
    pub points: &'static [Known2],
    pub hessian: fn([f64; 2]) -> [[f64; 2]; 2],
    pub gradient_hessian: fn([f64; 2]) -> GradientHessian,
}

/// grad f and the Hessian at a 2-D point.
type GradientHessian = ([f64; 2], [[f64; 2]; 2]);

/// Visits for `Facts`.
pub(super) struct FactsOf;

impl HandWrittenVisitor for FactsOf {
    type Output = Facts;
    fn visit<S: HandWritten>(self) -> Facts {
        Facts {
            name: S::NAME,
            summary: S::SUMMARY,
            wgsl: S::WGSL,
            region: S::DEFAULT_REGION,
            lr: S::LR,
            points: S::CRITICAL_POINTS,
            hessian: S::hessian,
            gradient_hessian: S::gradient_hessian,
        }
    }
}

/// Visits for f at a point, inlined.
pub(super) struct Value<T>(pub [T; 2]);

impl<T: Real> HandWrittenVisitor for Value<T> {
    type Output = T;
    #[inline(always)]
    fn visit<S: HandWritten>(self) -> T {
        S::value(self.0)
    }
}

/// Visits for grad f at a point, inlined.
pub(super) struct Gradient<T>(pub [T; 2]);

impl<T: Real> HandWrittenVisitor for Gradient<T> {
    type Output = [T; 2];
    #[inline(always)]
    fn visit<S: HandWritten>(self) -> [T; 2] {
        S::gradient(self.0)
    }
}
