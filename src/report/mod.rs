//! The report: built once from the run's outcome, then printed as a table
//! (stdout) or written as JSON and CSV (files staged in an `output::Batch`).

mod critical;
pub mod export;
mod files;
pub mod plot;
mod sweep;
mod table;

pub use critical::{CriticalPoints, CriticalRow};
pub use files::EndpointsWriter;
pub use sweep::{SweepReport, SweepValue};
pub use table::{point_text, print_table, region_text, thousands};

use serde::{Deserialize, Serialize};

use crate::basins::{Summary, restarts_for_99, wilson95};
use crate::engine::DeviceInfo;
use crate::pipeline::{Outcome, Timing};
use crate::plan::Plan;
use crate::problem::Problem;
use crate::surface::formula::{Params, describe_params};
use crate::surface::{Kind, Surface, symmetric_eigenvalues};

/// The JSON contract: scripts rely on these keys.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// multistart's version.
    pub version: &'static str,
    /// The surface's name, as `--surface` takes it.
    pub surface: &'static str,
    /// The settings the run used.
    pub config: ConfigJson,
    /// The engine and device that ran the descent.
    pub device: DeviceInfo,
    /// Ctrl-C stopped the run: the counts are of `walkers_done` walkers.
    pub partial: bool,
    /// Walkers descended and counted (config.walkers unless partial).
    pub walkers_done: u64,
    /// Seconds spent, by stage.
    pub timing: Timing,
    /// Walker-steps actually taken, per second of descent.
    pub walker_steps_per_s: f64,
    /// Minima by f, then saddles, then maxima.
    pub basins: Vec<BasinRow>,
    /// Walkers still moving when the step budget ran out.
    pub moving: u64,
    /// Walkers that settled on a flat plateau with no critical point.
    pub plateau: u64,
    /// Walkers that left the escape bound.
    pub escaped: u64,
    /// Walkers whose position became NaN or infinite.
    pub nonfinite: u64,
    /// Random restarts for a 99% chance of reaching the best minimum found.
    pub restarts_for_99: Option<u64>,
    /// Lines that explain surprising results.
    pub warnings: Vec<String>,
    /// [K, N] for a run of shard K of N (`--shard K/N`), else null.
    pub shard: Option<[u64; 2]>,
    /// The walker indices a shard ran, [first, end): absent for a whole run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard_walkers: Option<[u64; 2]>,
    /// The exact, mergeable counts behind the table (`multistart merge`).
    pub summary: Summary,
}

/// The run's settings, as `Report::config` holds them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigJson {
    /// Walkers in the whole run.
    pub walkers: u64,
    /// Most updates per walker.
    pub steps: u32,
    /// Learning rate.
    pub lr: f64,
    /// |grad f| below which a walker stops; 0 runs every step.
    pub tol: f64,
    /// Seed of the start hash.
    pub seed: u64,
    /// [xmin, xmax, ymin, ymax] ([min, max] of each axis in D dimensions).
    pub region: Vec<f64>,
    /// Dimensions of the surface.
    #[serde(default = "two")]
    pub dim: usize,
    /// Where the walkers started, in words (`Starts::describe`).
    pub starts: String,
    /// The float type of the descent.
    pub precision: crate::problem::Precision,
    /// The update rule.
    pub optimizer: crate::optim::Optimizer,
    /// Every parameter of the optimizer, by its own name (RMSProp's `rho`,
    /// Adam's `beta1`...); none for plain gradient descent.
    #[serde(default)]
    pub optimizer_params: crate::optim::OptimizerParams,
    /// The backend asked for: auto, cpu or gpu (`device.backend` is the one used).
    pub backend: crate::plan::Backend,
    /// Escape bound, in half-widths of the region from its centre.
    pub bound: f64,
    /// Cell size for clustering endpoints, in region units.
    pub cluster_radius: f64,
    /// The |grad f| below which a walker still moving at the end counts as
    /// settled (`Problem::settle_tol`).
    #[serde(default)]
    pub settle_tol: Option<f64>,
    /// The formula of `--expr` (surface "expr"), else absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expr: Option<String>,
    /// The formula's named parameters (`--set a=2`: {"a": 2}), when it has
    /// any; merge rebuilds the formula with them.
    #[serde(default, skip_serializing_if = "Params::is_empty")]
    pub params: Params,
}

/// One critical point the walkers reached, as the table and JSON list it.
#[derive(Clone, Debug, Serialize)]
pub struct BasinRow {
    /// 1-based, in report order.
    pub id: usize,
    /// Minimum, saddle or maximum, by the Hessian's eigenvalues.
    pub kind: Kind,
    /// The lowest minimum reached (all of them where several tie).
    pub best: bool,
    /// Whether this is one of the surface's known global minima (null when
    /// the surface does not know them).
    pub global: Option<bool>,
    /// Where it is, polished by Newton steps.
    pub point: Vec<f64>,
    /// f there.
    pub f: f64,
    /// Walkers that ended there.
    pub count: u64,
    /// count / walkers.
    pub fraction: f64,
    /// 95% Wilson interval of the fraction.
    pub ci95: [f64; 2],
    /// Median steps its walkers took (null when no walker's count was kept).
    pub median_iterations: Option<u32>,
    /// 90th percentile of the steps its walkers took.
    pub p90_iterations: Option<u32>,
    /// For grid starts: the basin's area of attraction in region units
    /// (fraction x region area); null for other starts.
    pub area: Option<f64>,
    /// Hessian eigenvalues, ascending.
    pub eigenvalues: Vec<f64>,
    /// 2 / lambda_max, for minima.
    pub max_stable_lr: Option<f64>,
}

impl Report {
    /// The report of a run of `problem` by `plan` on `device`.
    pub fn new(problem: &Problem, plan: &Plan, device: &DeviceInfo, outcome: &Outcome) -> Report {
        let walker_steps_per_s = outcome.walker_steps as f64 / outcome.timing.descent_s.max(1e-12);
        Report::build(
            &problem.surface,
            ConfigJson::new(problem, plan),
            device.clone(),
            outcome.summary.clone(),
            outcome.partial,
            outcome.timing,
            walker_steps_per_s,
            plan.shard.map(|(k, n)| [k, n]),
        )
    }

    /// The report of `summary`, for a run or a merge of runs.
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        surface: &Surface,
        config: ConfigJson,
        device: DeviceInfo,
        summary: Summary,
        partial: bool,
        timing: Timing,
        walker_steps_per_s: f64,
        shard: Option<[u64; 2]>,
    ) -> Report {
        let shard_walkers = shard.map(|[k, n]| {
            let range = Plan { shard: Some((k, n)), ..Plan::default() }.walker_range(config.walkers);
            [range.start, range.end]
        });
        let s = &summary;
        let n = s.walkers;
        // Minima tied with the lowest (to rounding) are all "best".
        let best_f = s.best_minimum().map(|b| b.f);
        let is_best = |b: &crate::basins::Basin| {
            b.kind == Kind::Minimum && best_f.is_some_and(|f| (b.f - f).abs() <= 1e-9 * (1.0 + f.abs()))
        };
        let globals: Vec<_> = surface.global_minima().collect();
        let grid = config.starts.starts_with("grid");
        let region_area: f64 = config.region.chunks(2).map(|a| a[1] - a[0]).product();
        let basins = s
            .report_order()
            .into_iter()
            .enumerate()
            .map(|(rank, i)| {
                let b = &s.basins[i];
                let fraction = b.count as f64 / n as f64;
                BasinRow {
                    id: rank + 1,
                    kind: b.kind,
                    best: is_best(b),
                    global: (!globals.is_empty())
                        .then(|| b.kind == Kind::Minimum && globals.iter().any(|g| near(&b.point, &g.point, 1e-5))),
                    point: b.point.clone(),
                    f: b.f,
                    count: b.count,
                    fraction,
                    ci95: wilson95(b.count, n),
                    median_iterations: b.iterations.quantile(0.5),
                    p90_iterations: b.iterations.quantile(0.9),
                    area: grid.then_some(fraction * region_area),
                    eigenvalues: b.eigenvalues.clone(),
                    max_stable_lr: b.max_stable_lr(),
                }
            })
            .collect::<Vec<_>>();
        // Reaching any of the tied best minima will do.
        let best_fraction = basins.iter().filter(|b| b.best).map(|b| b.fraction).sum();
        let warnings = warnings(surface, &config, s);
        Report {
            version: env!("CARGO_PKG_VERSION"),
            surface: surface.name(),
            config,
            device,
            partial,
            walkers_done: n,
            timing,
            walker_steps_per_s,
            moving: s.moving,
            plateau: s.plateau,
            escaped: s.escaped,
            nonfinite: s.nonfinite,
            restarts_for_99: restarts_for_99(best_fraction),
            basins,
            warnings,
            shard,
            shard_walkers,
            summary,
        }
    }
}

impl Report {
    /// "peaks", "rastrigin (5-D)", or "expr x^2 + y^2" for a formula.
    pub fn surface_text(&self) -> String {
        match (&self.config.expr, self.config.dim) {
            (Some(text), _) => format!("{} {text}{}", self.surface, describe_params(&self.config.params)),
            (None, 2) => self.surface.to_string(),
            (None, d) => format!("{} ({d}-D)", self.surface),
        }
    }
}

impl ConfigJson {
    /// What the JSON stores of a run's problem and plan.
    pub fn new(config: &Problem, plan: &Plan) -> Self {
        ConfigJson {
            walkers: config.walkers,
            steps: config.steps,
            lr: config.lr,
            tol: config.tol,
            seed: config.seed,
            region: config.region.as_array(),
            starts: config.starts.describe(),
            precision: config.precision,
            optimizer: config.optimizer,
            optimizer_params: config.optimizer.resolved(&config.optimizer_params),
            dim: config.surface.dim(),
            backend: plan.backend,
            bound: config.bound,
            cluster_radius: config.cluster_radius,
            settle_tol: Some(config.settle_tol()),
            expr: config.surface.expr().map(str::to_string),
            params: config.surface.params().cloned().unwrap_or_default(),
        }
    }
}

fn near(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
}

fn two() -> usize {
    2
}

/// Column names of a point: x, y in 2-D, else x1..xD.
pub fn axis_names(dim: usize) -> Vec<String> {
    if dim == 2 { vec!["x".into(), "y".into()] } else { (1..=dim).map(|k| format!("x{k}")).collect() }
}

/// Decimals of a basin's point in the CSV files: the table's, fixed, so
/// files of several runs can be joined on the points (the JSON keeps every
/// digit).
pub const CSV_POINT_DECIMALS: usize = 6;

/// A basin's point as CSV cells, to [`CSV_POINT_DECIMALS`] decimals (no -0).
pub fn point_columns(p: &[f64]) -> Vec<String> {
    let zero = 0.5 * 10f64.powi(-(CSV_POINT_DECIMALS as i32));
    p.iter().map(|&c| format!("{:.*}", CSV_POINT_DECIMALS, if c.abs() < zero { 0.0 } else { c })).collect()
}

/// The first point, on a lattice of about 4096 points over `region`
/// ([min, max] per axis, flattened), where f or its gradient is not
/// finite, with what is: "f = NaN", "|grad f| = inf".
fn first_undefined_point(surface: &Surface, region: &[f64]) -> Option<(Vec<f64>, String)> {
    let dim = region.len() / 2;
    let side = (4096f64.powf(1.0 / dim as f64).floor() as usize).max(2);
    let total = side.checked_pow(dim as u32)?;
    let mut g = vec![0.0; dim];
    (0..total).find_map(|mut index| {
        // Lattice points including both ends of each axis.
        let p: Vec<f64> = (0..dim)
            .map(|k| {
                let i = index % side;
                index /= side;
                region[2 * k] + (region[2 * k + 1] - region[2 * k]) * i as f64 / (side - 1) as f64
            })
            .collect();
        let f = surface.value(&p);
        surface.gradient(&p, &mut g);
        let grad = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        if !f.is_finite() {
            Some((p, format!("f = {f}")))
        } else if !grad.is_finite() {
            Some((p, format!("|grad f| = {grad}")))
        } else {
            None
        }
    })
}

/// Explanations the table alone would leave out.
fn warnings(surface: &Surface, config: &ConfigJson, s: &Summary) -> Vec<String> {
    let mut out = Vec::new();
    // The 2/lambda_max bound is plain gradient descent's.
    let plain = config.optimizer == crate::optim::Optimizer::Gd;
    for k in surface.known_points().iter().filter(|k| plain && k.kind == Kind::Minimum) {
        let eig = symmetric_eigenvalues(&surface.hessian(&k.point), k.point.len());
        let lambda_max = eig.last().copied().unwrap_or(f64::NAN);
        let limit = 2.0 / lambda_max;
        if config.lr >= limit {
            let which = if k.global { "the global minimum" } else { "the minimum" };
            let at: Vec<String> = k.point.iter().map(|c| format!("{c:.6}")).collect();
            out.push(format!(
                "lr {} is at or above 2/lambda_max = {:.4} of {which} at ({}) (largest Hessian eigenvalue {:.2}): \
                 plain gradient descent overshoots it and no walker can settle there",
                config.lr,
                limit,
                at.join(", "),
                lambda_max
            ));
        }
    }
    if s.walkers > 0 && 2 * s.nonfinite > s.walkers {
        let share = 100.0 * s.nonfinite as f64 / s.walkers as f64;
        out.push(match first_undefined_point(surface, &config.region) {
            Some((p, what)) => format!(
                "{share:.1}% of walkers went non-finite: {} is undefined on part of the region \
                 ({what} at ({})); walkers that reach it stop there",
                surface.describe(),
                p.iter().map(|c| format!("{c:.6}")).collect::<Vec<_>>().join(", ")
            ),
            None => format!(
                "{share:.1}% of walkers went non-finite: their steps overflowed (lower --lr) or \
                 they reached a point where {} is undefined",
                surface.describe()
            ),
        });
    }
    if s.plateau_valley > 0
        && let Some([lo, hi]) = s.valley_f
    {
        let at = if hi - lo <= 1e-6 * (1.0 + lo.abs()) {
            format!("f = {lo:.6}")
        } else {
            format!("f from {lo:.6} to {hi:.6}")
        };
        out.push(format!(
            "{:.1}% of walkers settled in a valley of minima at {at}: a line or surface of lowest points whose \
             Hessian is degenerate, so no isolated minimum (the plateau row counts them)",
            100.0 * s.plateau_valley as f64 / s.walkers.max(1) as f64
        ));
    }
    // The moving walkers by what more steps would do for them.
    let share = |n: u64| 100.0 * n as f64 / s.walkers.max(1) as f64;
    let approaching = s.moving.saturating_sub(s.moving_oscillating + s.moving_drifting);
    if share(approaching) > 1.0 {
        out.push(format!(
            "{:.1}% of walkers were still moving after {} steps: raise --steps to let them settle",
            share(approaching),
            config.steps
        ));
    }
    if share(s.moving_drifting) > 1.0 {
        out.push(format!(
            "{:.1}% of walkers were drifting on the flat outskirts when the steps ran out (heading away beyond \
             the start region, or |grad f| below {} x the settle tolerance far from any critical point): \
             more steps move them little",
            share(s.moving_drifting),
            crate::basins::DRIFT_FACTOR
        ));
    }
    if share(s.moving_oscillating) > 1.0 {
        out.push(format!(
            "{:.1}% of walkers were oscillating around a minimum whose 2/lambda_max is below lr {}: \
             more steps do not settle them; lower --lr",
            share(s.moving_oscillating),
            config.lr
        ));
    }
    out
}
