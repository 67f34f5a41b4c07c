//! Each walker's class, from its own endpoint only.

use crate::engine::{Endpoint, Status};
use crate::surface::Surface;

use super::polish::{newton_step, norm};

/// Where one walker ended up. `Basin(i)` indexes `Summary::basins`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// Settled at the critical point of this index in `Summary::basins`.
    Basin(usize),
    /// Still descending when the step budget ran out (|grad f| at or above
    /// the settle tolerance).
    Moving,
    /// Settled where the gradient is small but no critical point lies within
    /// a Newton step of `cluster_radius`: a flat stretch, not a basin.
    Plateau,
    /// Left the escape box.
    Escaped,
    /// A coordinate became NaN or infinite.
    NonFinite,
}

impl Label {
    /// The class as reports and files spell it: basin, moving, plateau,
    /// escaped or nonfinite.
    pub fn class_name(self) -> &'static str {
        match self {
            Label::Basin(_) => "basin",
            Label::Moving => "moving",
            Label::Plateau => "plateau",
            Label::Escaped => "escaped",
            Label::NonFinite => "nonfinite",
        }
    }
}

/// What the basin stage needs from the run's configuration.
#[derive(Clone, Debug)]
pub struct BasinParams {
    /// The surface the walkers descended, for Newton steps and polishing.
    pub surface: Surface,
    /// |grad f| below which an endpoint counts as settled.
    pub settle_tol: f64,
    /// Cell size for clustering endpoints, in region units; also the
    /// longest Newton step from an endpoint to a critical point it counts as at.
    pub cluster_radius: f64,
    /// Relative spacing of the engine's floats (f32's or f64's epsilon).
    pub epsilon: f64,
}

impl BasinParams {
    /// The parameters of `problem`'s run.
    pub fn new(problem: &crate::problem::Problem) -> Self {
        BasinParams {
            surface: problem.surface.clone(),
            settle_tol: problem.settle_tol(),
            cluster_radius: problem.cluster_radius,
            epsilon: match problem.precision {
                crate::problem::Precision::F32 => f32::EPSILON as f64,
                crate::problem::Precision::F64 => f64::EPSILON,
            },
        }
    }
}

/// The class of one endpoint on its own; `Basin(usize::MAX)` marks a
/// candidate for clustering.
pub(super) fn classify_walker(e: &Endpoint, params: &BasinParams) -> Label {
    let step = || newton_step(&params.surface, &e.point);
    match e.status {
        Status::Escaped => return Label::Escaped,
        Status::NonFinite => return Label::NonFinite,
        // NaN gradient norms count as moving too.
        Status::Moving if e.grad_norm.partial_cmp(&params.settle_tol) != Some(std::cmp::Ordering::Less) => {
            // Unless it sits as close to a critical point as its floats can
            // tell: at high curvature (Rastrigin's 397) f32 cannot resolve
            // |grad f| < tol, and such a walker has arrived, not moving.
            let resolution = 8.0 * params.epsilon * (1.0 + norm(&e.point));
            if !step().is_some_and(|s| s <= resolution) {
                return Label::Moving;
            }
        }
        Status::Moving | Status::Converged => {}
    }
    match step() {
        Some(step) if step <= params.cluster_radius => Label::Basin(usize::MAX),
        _ => Label::Plateau,
    }
}
