//! `Problem`: what a run computes, as plain validated data: the surface
//! and region, where the walkers start, the optimizer and its parameters,
//! the step budget and tolerance, the seed and the precision. How the run
//! is carried out (which walkers, in what chunks, on which engine) is a
//! [`Plan`](crate::plan::Plan).
//!
//! Errors name the problem's fields as written here (`lr`, `cluster_radius`);
//! the command line shows them as its flags.

use crate::error::{Result, invalid, number};
pub use crate::optim::{Optimizer, OptimizerParams};
pub use crate::precision::Precision;
use crate::precision::{is_normal_in, normal_in};
pub use crate::region::{MAX_COORDINATE, Region};
use crate::surface::Surface;

/// Most walkers one run accepts (the walker index is 40 bits wide in the
/// start hash's contract; chunks stream, so memory does not grow with it).
pub const MAX_WALKERS: u64 = 1 << 40;

/// The |grad f| below which an endpoint counts as settled when `tol` is 0
/// (every step runs).
pub const DEFAULT_SETTLE_TOL: f64 = 1e-4;

/// Where the walkers start.
#[derive(Clone, Debug, PartialEq)]
pub enum Starts {
    /// Hashed uniform points in the region, a pure function of (seed, index).
    Uniform,
    /// Cell centres of a cols x rows lattice over the region.
    Grid {
        /// Cells across (x).
        cols: u32,
        /// Cells down (y).
        rows: u32,
    },
    /// Explicit points: one `--start`, or the rows of `--starts-file`.
    Points {
        /// Where the points came from, for messages and the header.
        source: String,
        /// One point per walker.
        points: Vec<Vec<f64>>,
    },
}

impl Starts {
    /// Short name for the header and the JSON `config.starts`.
    pub fn describe(&self) -> String {
        match self {
            Starts::Uniform => "uniform".into(),
            Starts::Grid { cols, rows } => format!("grid {cols}x{rows}"),
            Starts::Points { source, .. } => source.clone(),
        }
    }
}

/// One computation, validated: every walker's start, update rule and
/// stopping test, and how endpoints are grouped into basins.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The function minimised.
    pub surface: Surface,
    /// The box uniform and grid starts cover.
    pub region: Region,
    /// Walkers in the whole run (a plan may run a part of them).
    pub walkers: u64,
    /// Most updates per walker.
    pub steps: u32,
    /// Learning rate.
    pub lr: f64,
    /// A walker stops once |grad f| (and any momentum) is below this; 0
    /// runs every step.
    pub tol: f64,
    /// Seed of the start hash.
    pub seed: u64,
    /// Where the walkers start.
    pub starts: Starts,
    /// The float type of the descent.
    pub precision: Precision,
    /// The update rule.
    pub optimizer: Optimizer,
    /// Its parameters that differ from its defaults, by name.
    pub optimizer_params: OptimizerParams,
    /// Escape bound, in half-widths of the region from its centre.
    pub bound: f64,
    /// Cell size for clustering endpoints, in region units.
    pub cluster_radius: f64,
    /// The |grad f| below which a walker still moving when the steps run
    /// out counts as settled; None: `tol`, or [`DEFAULT_SETTLE_TOL`] where
    /// `tol` is 0.
    pub settle_tol: Option<f64>,
}

impl Problem {
    /// The defaults of `multistart` with no options: 100,000 uniform walkers
    /// on the surface's default region and learning rate, 1000 steps of
    /// plain gradient descent, tol 1e-4, in f32.
    pub fn new(surface: Surface) -> Self {
        Problem {
            region: surface.default_region(),
            lr: surface.default_lr(),
            surface,
            walkers: 100_000,
            steps: 1000,
            tol: 1e-4,
            seed: 1,
            starts: Starts::Uniform,
            precision: Precision::F32,
            optimizer: Optimizer::Gd,
            optimizer_params: OptimizerParams::new(),
            bound: 10.0,
            cluster_radius: 1e-2,
            settle_tol: None,
        }
    }

    /// Checks every value; the first bad one is returned, naming its field.
    pub fn validate(self) -> Result<Self> {
        let walkers = self.walkers;
        if walkers == 0 || walkers > MAX_WALKERS {
            return Err(invalid("walkers", format!("{walkers}: expected 1 to {MAX_WALKERS} (2^40)")));
        }
        if self.steps == 0 {
            return Err(invalid("steps", "0: expected at least 1 step"));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(invalid("lr", format!("{}: expected a finite learning rate above 0", number(self.lr))));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(invalid("tol", format!("{}: expected a finite tolerance of 0 or more", number(self.tol))));
        }
        self.region.validate()?;
        self.optimizer.check(&self.optimizer_params, self.precision)?;
        let dim = self.surface.dim();
        if self.region.dim() != dim {
            return Err(invalid(
                "region",
                format!("has {} axes, but {} is {dim}-dimensional", self.region.dim(), self.surface.describe()),
            ));
        }
        if !(self.bound.is_finite() && self.bound >= 1.0) {
            return Err(invalid("bound", format!("{}: expected a finite factor of 1 or more", number(self.bound))));
        }
        if !(self.cluster_radius.is_finite() && self.cluster_radius > 0.0) {
            return Err(invalid(
                "cluster_radius",
                format!("{}: expected a finite radius above 0", number(self.cluster_radius)),
            ));
        }
        if let Some(t) = self.settle_tol
            && !(t.is_finite() && t > 0.0)
        {
            return Err(invalid("settle_tol", format!("{}: expected a finite threshold above 0", number(t))));
        }
        self.check_starts()?;
        self.check_precision()?;
        Ok(self)
    }

    fn check_starts(&self) -> Result<()> {
        let (dim, walkers) = (self.surface.dim(), self.walkers);
        match &self.starts {
            Starts::Grid { cols, rows } => {
                if dim != 2 {
                    return Err(invalid(
                        "starts",
                        format!("grid starts and maps cover a plane; {} is {dim}-dimensional", self.surface.describe()),
                    ));
                }
                if *cols == 0 || *rows == 0 || (*cols as u64) * (*rows as u64) != walkers {
                    return Err(invalid("starts", format!("grid {cols}x{rows} does not give {walkers} walkers")));
                }
            }
            Starts::Points { points, source } => {
                if points.len() as u64 != walkers {
                    return Err(invalid("starts", format!("{source} gives {} walkers, not {walkers}", points.len())));
                }
                if let Some(p) = points.iter().find(|p| p.len() != dim) {
                    return Err(invalid(
                        "starts",
                        format!(
                            "{source}: a start has {} coordinates, but {} is {dim}-dimensional",
                            p.len(),
                            self.surface.describe()
                        ),
                    ));
                }
                if let Some(p) = points.iter().find(|p| p.iter().any(|c| !c.is_finite() || c.abs() > MAX_COORDINATE)) {
                    let text: Vec<String> = p.iter().map(|&c| number(c)).collect();
                    return Err(invalid(
                        "starts",
                        format!(
                            "{source}: start {}: expected finite coordinates of at most {MAX_COORDINATE:e} in size",
                            text.join(",")
                        ),
                    ));
                }
            }
            Starts::Uniform => {}
        }
        Ok(())
    }

    /// Refuses float values that the run's precision cannot hold: a value
    /// that would round to 0, to a subnormal or to infinity (`lr 1e-320`
    /// is 0 in f32 and `lr 1e300` infinite), a factor below 1 that rounds
    /// to 1, a region axis that is empty, or an escape box that overflows.
    fn check_precision(&self) -> Result<()> {
        let p = self.precision;
        normal_in(p, "lr", self.lr)?;
        if self.tol > 0.0 {
            normal_in(p, "tol", self.tol)?;
            // The early stop compares |grad f|^2 with tol^2.
            if !is_normal_in(p, self.tol * self.tol) {
                return Err(invalid(
                    "tol",
                    format!(
                        "{}: its square, which the early stop compares, is out of {}'s range; use 0 to run every step",
                        number(self.tol),
                        p.name()
                    ),
                ));
            }
        }
        normal_in(Precision::F64, "cluster_radius", self.cluster_radius)?;
        for (k, axis) in self.region.axes.iter().enumerate() {
            let empty = match p {
                Precision::F32 => axis[0] as f32 >= axis[1] as f32,
                Precision::F64 => axis[0] >= axis[1],
            };
            if empty {
                return Err(invalid(
                    "region",
                    format!(
                        ": axis {} [{}, {}] is empty in {} (its ends round to the same number)",
                        k + 1,
                        number(axis[0]),
                        number(axis[1]),
                        p.name()
                    ),
                ));
            }
        }
        let escape = self.escape_box().as_array();
        let finite = match p {
            Precision::F32 => escape.iter().all(|&v| (v as f32).is_finite()),
            Precision::F64 => escape.iter().all(|v| v.is_finite()),
        };
        if !finite {
            return Err(invalid(
                "bound",
                format!(
                    "{}: the escape box it gives (that many half-widths of the region) overflows {}",
                    number(self.bound),
                    p.name()
                ),
            ));
        }
        Ok(())
    }

    /// The threshold on |grad f| below which a walker's endpoint counts as
    /// settled: `settle_tol` if set, else `tol`, or with `tol` 0 (every step
    /// runs) [`DEFAULT_SETTLE_TOL`].
    pub fn settle_tol(&self) -> f64 {
        match self.settle_tol {
            Some(t) => t,
            None if self.tol > 0.0 => self.tol,
            None => DEFAULT_SETTLE_TOL,
        }
    }

    /// The escape box: `bound` half-widths around the region's centre.
    pub fn escape_box(&self) -> Region {
        self.region.scaled(self.bound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn defaults_validate() {
        assert!(Problem::new(Surface::Peaks).validate().is_ok());
    }

    #[test]
    fn errors_name_the_field() {
        let e = Problem { lr: -1.0, ..Problem::new(Surface::Peaks) }.validate().unwrap_err();
        assert!(matches!(e, Error::Invalid { field: "lr", .. }), "{e:?}");
        assert_eq!(e.to_string(), "lr -1: expected a finite learning rate above 0");
    }

    #[test]
    fn escape_box_is_scaled_about_the_centre() {
        let r = Region::xy([0.0, 2.0], [-1.0, 1.0]);
        assert_eq!(r.scaled(10.0), Region::xy([-9.0, 11.0], [-10.0, 10.0]));
    }
}
