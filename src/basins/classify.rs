//! Each walker's class, from its own endpoint only.

use crate::engine::{Endpoint, Status};
use crate::surface::Surface;

use super::polish::{newton_step, norm};
use crate::region::Region;
use crate::surface::{Kind, symmetric_eigenvalues};

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
    /// The learning rate, and whether the update was plain gradient
    /// descent, for telling oscillating walkers apart (`stall`).
    pub lr: f64,
    /// See `lr`.
    pub plain_descent: bool,
    /// The start region, for telling walkers drifting away from it.
    pub region: Region,
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
            lr: problem.lr,
            plain_descent: problem.optimizer == crate::optim::Optimizer::Gd,
            region: problem.region.clone(),
        }
    }
}

/// Why a walker was still moving when its steps ran out: what more steps
/// would do for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stall {
    /// Still descending towards a critical point: more steps let it settle.
    Approaching,
    /// Bouncing around a minimum whose 2 / lambda_max is below lr (plain
    /// gradient descent): more steps never settle it; a lower lr does.
    Oscillating,
    /// Heading outward beyond the start region, or on a flat stretch
    /// (|grad f| below `DRIFT_FACTOR` x the settle tolerance) with no
    /// critical point near: more steps move it little or carry it away.
    Drifting,
}

/// |grad f| below this many settle tolerances, far from any critical
/// point, is drifting.
pub const DRIFT_FACTOR: f64 = 100.0;

/// Whether a walker that settled on a plateau sits in a valley of minima:
/// a line or surface where f is lowest, its Hessian positive semidefinite
/// and degenerate (`x^2` along y, `x^2 sin(y)` along x = 0), not on a
/// flat stretch with no critical point.
pub(super) fn in_valley(e: &Endpoint, params: &BasinParams) -> bool {
    let eig = symmetric_eigenvalues(&params.surface.hessian(&e.point), e.point.len());
    let scale = eig.iter().fold(0.0f64, |m, l| m.max(l.abs()));
    // Curved upward somewhere, flat (to 1e-6 of that curvature) somewhere,
    // downward nowhere.
    scale > 0.0 && eig.iter().all(|&l| l > -1e-6 * scale) && eig.iter().any(|&l| l.abs() <= 1e-6 * scale)
}

/// Why the moving walker `e` had not settled.
pub(super) fn stall(e: &Endpoint, params: &BasinParams) -> Stall {
    let p = &e.point;
    let region = &params.region;
    // Beyond the start region and stepping away from it.
    let mut g = vec![0.0; p.len()];
    params.surface.gradient(p, &mut g);
    let (mut outside, mut outward) = (false, 0.0);
    for (k, axis) in region.axes.iter().enumerate() {
        outside |= p[k] < axis[0] || p[k] > axis[1];
        // -g is the step's direction; p - centre points away from the region.
        outward += -g[k] * (p[k] - 0.5 * (axis[0] + axis[1]));
    }
    if outside && outward > 0.0 {
        return Stall::Drifting;
    }
    let step = newton_step(&params.surface, p);
    if params.plain_descent {
        // Where f curves up in every direction more steeply than plain
        // descent at this lr can follow (lr >= 2 / lambda_max), a walker
        // bounces instead of settling. One on a period-2 orbit may sit
        // where the curvature is lower: then the minimum its Newton steps
        // reach decides, within half the region's mean half-width.
        let reach = 0.25 * (0..p.len()).map(|k| region.width(k)).sum::<f64>() / p.len() as f64;
        let too_steep = |eig: &[f64]| eig.last().is_some_and(|&l| params.lr >= 2.0 / l);
        let eig = symmetric_eigenvalues(&params.surface.hessian(p), p.len());
        if (eig.iter().all(|&l| l > 0.0) && too_steep(&eig))
            // Only a walker whose gradient step overshoots its Newton step
            // can be bouncing: the others skip the polish.
            || (step.is_some_and(|s| s <= reach && 2.0 * params.lr * e.grad_norm >= s)
                && super::polish(&params.surface, p, reach)
                    .is_some_and(|b| b.kind == Kind::Minimum && too_steep(&b.eigenvalues)))
        {
            return Stall::Oscillating;
        }
    }
    let flat_and_far =
        e.grad_norm < DRIFT_FACTOR * params.settle_tol && !step.is_some_and(|s| s <= params.cluster_radius);
    if flat_and_far { Stall::Drifting } else { Stall::Approaching }
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
