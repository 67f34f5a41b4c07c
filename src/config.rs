//! `RunConfig`: plain, validated data. Every bad value is refused here, with
//! a one-line message, before any device is touched or file written.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Result, input, number, quoted};
pub use crate::region::{MAX_COORDINATE, Region};
use crate::surface::Surface;

/// Most walkers one run accepts (the walker index is 40 bits wide in the
/// start hash's contract; chunks stream, so memory does not grow with it).
pub const MAX_WALKERS: u64 = 1 << 40;
/// Most walkers whose paths one run records: each is re-descended from its
/// start once per record (steps^2 / 2M walker-steps, one walker at a time).
pub const MAX_TRAJECTORIES: u64 = 10_000;
/// Host memory one walker of a chunk takes, in bytes, beyond 8 per
/// coordinate: its endpoint record, its label and the engine's state for
/// it, with room to spare (the CPU engine holds a whole chunk at once).
const HOST_BYTES_PER_WALKER: u64 = 256;
/// Memory of one recorded trajectory point (walker, step, x, y, f).
const TRAJECTORY_POINT_BYTES: u64 = 40;

/// Where the walkers start.
#[derive(Clone, Debug, PartialEq)]
pub enum Starts {
    /// Hashed uniform points in the region, a pure function of (seed, index).
    Uniform,
    /// Cell centres of a cols x rows lattice over the region.
    Grid { cols: u32, rows: u32 },
    /// Explicit points: one `--start`, or the rows of `--starts-file`.
    Points { source: String, points: Vec<Vec<f64>> },
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Single precision: the GPU's arithmetic, mirrored on the CPU.
    F32,
    /// Double precision on the CPU: the accuracy reference.
    F64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// A hardware GPU when there is one, else the CPU engine.
    Auto,
    Cpu,
    Gpu,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
#[repr(u32)]
pub enum Optimizer {
    /// Plain gradient descent: p <- p - lr g.
    Gd = 0,
    /// Heavy ball: m <- beta m + g; p <- p - lr m.
    Momentum = 1,
    /// Nesterov (PyTorch's form): m <- beta m + g; p <- p - lr (g + beta m).
    Nesterov = 2,
    /// RMSProp: v <- rho v + (1-rho) g^2; p <- p - lr g / (sqrt(v) + eps).
    Rmsprop = 3,
    /// Adam, bias-corrected (Kingma & Ba 2015).
    Adam = 4,
    /// Damped Newton: p <- p - damping H^-1 g where H is positive definite, else a gradient step.
    Newton = 5,
}

/// The optimizers' parameters (each uses the ones its formula names).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerParams {
    /// Momentum's and Nesterov's beta, Adam's beta1.
    pub beta1: f64,
    /// RMSProp's rho, Adam's beta2.
    pub beta2: f64,
    pub eps: f64,
    /// Newton's step factor.
    pub damping: f64,
}

impl OptimizerParams {
    /// The usual defaults (PyTorch's, and rho 0.9 as in Hinton's lecture).
    pub fn defaults(optimizer: Optimizer) -> Self {
        let beta2 = if optimizer == Optimizer::Adam { 0.999 } else { 0.9 };
        OptimizerParams { beta1: 0.9, beta2, eps: 1e-8, damping: 0.5 }
    }

    /// "beta 0.9", "rho 0.9, eps 1e-8", ...: what the header shows.
    pub fn describe(&self, optimizer: Optimizer) -> String {
        match optimizer {
            Optimizer::Gd => String::new(),
            Optimizer::Momentum | Optimizer::Nesterov => format!("beta {}", self.beta1),
            Optimizer::Rmsprop => format!("rho {}, eps {}", self.beta2, self.eps),
            Optimizer::Adam => format!("beta1 {}, beta2 {}, eps {}", self.beta1, self.beta2, self.eps),
            Optimizer::Newton => format!("damping {}", self.damping),
        }
    }

    /// Checks the values, naming each by the flag that sets it for `optimizer`.
    fn validate(&self, optimizer: Optimizer) -> Result<()> {
        let second = if optimizer == Optimizer::Rmsprop { "--rho" } else { "--beta2" };
        for (flag, v) in [("--beta", self.beta1), (second, self.beta2)] {
            if !(0.0..1.0).contains(&v) {
                return Err(input(format!("{flag} {}: expected 0 <= value < 1", number(v))));
            }
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(input(format!("--eps {}: expected a finite value above 0", number(self.eps))));
        }
        if !(self.damping.is_finite() && self.damping > 0.0 && self.damping <= 1.0) {
            return Err(input(format!("--damping {}: expected a factor above 0 and at most 1", number(self.damping))));
        }
        Ok(())
    }
}

impl Precision {
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Auto => "auto",
            Backend::Cpu => "cpu",
            Backend::Gpu => "gpu",
        }
    }
}

impl Optimizer {
    pub const ALL: [Optimizer; 6] = [
        Optimizer::Gd,
        Optimizer::Momentum,
        Optimizer::Nesterov,
        Optimizer::Rmsprop,
        Optimizer::Adam,
        Optimizer::Newton,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Optimizer::Gd => "gd",
            Optimizer::Momentum => "momentum",
            Optimizer::Nesterov => "nesterov",
            Optimizer::Rmsprop => "rmsprop",
            Optimizer::Adam => "adam",
            Optimizer::Newton => "newton",
        }
    }
}

/// Files the user asked for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outputs {
    pub json: Option<PathBuf>,
    pub csv_basins: Option<PathBuf>,
    pub csv_endpoints: Option<PathBuf>,
    pub csv_trajectories: Option<PathBuf>,
    /// A picture: the basin map or the sweep chart.
    pub png: Option<PathBuf>,
    /// Files the run reads (a starts file): no output may name one.
    pub inputs: Vec<PathBuf>,
}

impl Outputs {
    /// Checks every output together (see `output::check`); the sweep's
    /// `--csv` is its `csv_basins`.
    pub fn check(&self) -> Result<()> {
        check_output_paths(
            &[
                ("--json", &self.json),
                ("--csv-basins", &self.csv_basins),
                ("--csv-endpoints", &self.csv_endpoints),
                ("--csv-trajectories", &self.csv_trajectories),
                ("--png", &self.png),
            ],
            &self.inputs,
        )
    }

    /// Whether an output is `-`, standard output (the table then goes to
    /// stderr).
    pub fn uses_stdout(&self) -> bool {
        crate::output::any_stdout(&[
            self.json.as_deref(),
            self.csv_basins.as_deref(),
            self.csv_endpoints.as_deref(),
            self.csv_trajectories.as_deref(),
            self.png.as_deref(),
        ])
    }
}

/// Checks the (flag, path) outputs given, all together, against each other
/// and against the files read: see `output::check`.
pub fn check_output_paths(named: &[(&str, &Option<PathBuf>)], inputs: &[PathBuf]) -> Result<()> {
    let outputs: Vec<(&str, &Path)> = named.iter().filter_map(|(flag, p)| p.as_deref().map(|p| (*flag, p))).collect();
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    crate::output::check(&outputs, &inputs)
}

/// Which walkers to follow, and how often to record them.
#[derive(Clone, Debug, PartialEq)]
pub struct TrajectorySpec {
    pub walkers: Vec<u64>,
    pub every: u32,
}

/// One run, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    pub surface: Surface,
    pub region: Region,
    pub walkers: u64,
    pub steps: u32,
    pub lr: f64,
    pub tol: f64,
    pub seed: u64,
    pub starts: Starts,
    pub precision: Precision,
    pub optimizer: Optimizer,
    pub optimizer_params: OptimizerParams,
    pub backend: Backend,
    /// Escape bound, in half-widths of the region from its centre.
    pub bound: f64,
    /// Cell size for clustering endpoints, in region units.
    pub cluster_radius: f64,
    /// Walkers per chunk; `None` lets the engine choose.
    pub chunk: Option<u64>,
    /// Most steps in one GPU dispatch.
    pub steps_per_dispatch: u32,
    /// Picks the GPU adapter whose name contains this text.
    pub adapter: Option<String>,
    /// Walkers whose paths are recorded.
    pub trajectories: Option<TrajectorySpec>,
    /// No progress bar and no notices on stderr.
    pub quiet: bool,
    /// Run only shard k of n: walkers [k*W/n, (k+1)*W/n).
    pub shard: Option<(u64, u64)>,
    pub outputs: Outputs,
}

impl RunConfig {
    /// The defaults of `multistart` with no options: 100,000 uniform walkers
    /// on peaks over [-2,2]^2, lr 0.01, 1000 steps.
    pub fn new(surface: Surface) -> Self {
        RunConfig {
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
            optimizer_params: OptimizerParams::defaults(Optimizer::Gd),
            backend: Backend::Auto,
            bound: 10.0,
            cluster_radius: 1e-2,
            chunk: None,
            steps_per_dispatch: 250,
            adapter: None,
            trajectories: None,
            quiet: false,
            shard: None,
            outputs: Outputs::default(),
        }
    }

    /// Checks every value; the first bad one is returned as one line.
    pub fn validate(self) -> Result<Self> {
        let walkers = self.walkers;
        if walkers == 0 || walkers > MAX_WALKERS {
            return Err(input(format!("--walkers {walkers}: expected 1 to {MAX_WALKERS} (2^40)")));
        }
        if self.steps == 0 {
            return Err(input("--steps 0: expected at least 1 step"));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(input(format!("--lr {}: expected a finite learning rate above 0", number(self.lr))));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(input(format!("--tol {}: expected a finite tolerance of 0 or more", number(self.tol))));
        }
        self.region.validate()?;
        self.optimizer_params.validate(self.optimizer)?;
        let dim = self.surface.dim();
        if self.region.dim() != dim {
            return Err(input(format!(
                "--region has {} axes, but {} is {dim}-dimensional",
                self.region.dim(),
                self.surface.describe()
            )));
        }
        if !(self.bound.is_finite() && self.bound >= 1.0) {
            return Err(input(format!("--bound {}: expected a finite factor of 1 or more", number(self.bound))));
        }
        if !(self.cluster_radius.is_finite() && self.cluster_radius > 0.0) {
            return Err(input(format!(
                "--cluster-radius {}: expected a finite radius above 0",
                number(self.cluster_radius)
            )));
        }
        if self.steps_per_dispatch == 0 {
            return Err(input("--steps-per-dispatch 0: expected at least 1"));
        }
        if self.chunk == Some(0) {
            return Err(input("--chunk 0: expected at least 1 walker per chunk"));
        }
        match &self.starts {
            Starts::Grid { cols, rows } => {
                if dim != 2 {
                    return Err(input(format!(
                        "grid starts and maps cover a plane; {} is {dim}-dimensional",
                        self.surface.describe()
                    )));
                }
                if *cols == 0 || *rows == 0 || (*cols as u64) * (*rows as u64) != walkers {
                    return Err(input(format!("grid {cols}x{rows} does not give {walkers} walkers")));
                }
            }
            Starts::Points { points, source } => {
                if points.len() as u64 != walkers {
                    return Err(input(format!("{source} gives {} walkers, not {walkers}", points.len())));
                }
                if let Some(p) = points.iter().find(|p| p.len() != dim) {
                    return Err(input(format!(
                        "{source}: a start has {} coordinates, but {} is {dim}-dimensional",
                        p.len(),
                        self.surface.describe()
                    )));
                }
                if let Some(p) = points.iter().find(|p| p.iter().any(|c| !c.is_finite() || c.abs() > MAX_COORDINATE)) {
                    let text: Vec<String> = p.iter().map(|&c| number(c)).collect();
                    return Err(input(format!(
                        "{source}: start {}: expected finite coordinates of at most {MAX_COORDINATE:e} in size",
                        text.join(",")
                    )));
                }
            }
            Starts::Uniform => {}
        }
        if self.backend == Backend::Gpu && self.precision == Precision::F64 {
            return Err(input("--precision f64 runs on the CPU only: the GPU engine is f32 (use --backend cpu)"));
        }
        if let Some((k, n)) = self.shard
            && (n == 0 || k >= n || n > walkers)
        {
            return Err(input(format!("--shard {k}/{n}: expected K/N with 0 <= K < N <= walkers ({walkers})")));
        }
        if let Some(t) = &self.trajectories {
            if dim != 2 {
                return Err(input(format!(
                    "trajectories are recorded on 2-D surfaces; {} is {dim}-dimensional",
                    self.surface.describe()
                )));
            }
            if t.every == 0 {
                return Err(input("--every 0: expected at least 1 step between records"));
            }
            if let Some(&w) = t.walkers.iter().find(|&&w| w >= walkers) {
                return Err(input(format!("trajectory walker {w}: the run has walkers 0 to {}", walkers - 1)));
            }
            if t.walkers.is_empty() {
                return Err(input("--trajectories 0: expected at least one walker to follow"));
            }
            if t.walkers.len() as u64 > MAX_TRAJECTORIES {
                return Err(input(format!(
                    "--walker-ids: {} walkers to follow; expected at most {MAX_TRAJECTORIES}",
                    t.walkers.len()
                )));
            }
            // Every record of every path stays in memory until the run ends.
            let records = t.walkers.len() as u64 * (self.steps / t.every + 1) as u64;
            let budget = crate::memory::available_bytes() / 2;
            if records.saturating_mul(TRAJECTORY_POINT_BYTES) > budget {
                return Err(input(format!(
                    "--trajectories: {} paths of {} records each would not fit in half the memory free ({} MiB); \
                     follow fewer walkers or raise --every",
                    t.walkers.len(),
                    self.steps / t.every + 1,
                    budget >> 20
                )));
            }
        }
        self.check_precision()?;
        self.check_memory()?;
        self.outputs.check()?;
        Ok(self)
    }

    /// Refuses float values that the run's precision cannot hold: a value
    /// that would round to 0, to a subnormal or to infinity (`--lr 1e-320`
    /// is 0 in f32 and `--lr 1e300` infinite), a factor below 1 that rounds
    /// to 1, a region axis that is empty, or an escape box that overflows.
    fn check_precision(&self) -> Result<()> {
        let p = self.precision;
        let o = &self.optimizer_params;
        let second = if self.optimizer == Optimizer::Rmsprop { "--rho" } else { "--beta2" };
        normal_in(p, "--lr", self.lr)?;
        if self.tol > 0.0 {
            normal_in(p, "--tol", self.tol)?;
            // The early stop compares |grad f|^2 with tol^2.
            if !is_normal_in(p, self.tol * self.tol) {
                return Err(input(format!(
                    "--tol {}: its square, which the early stop compares, is out of {}'s range; use 0 to run every step",
                    number(self.tol),
                    p.name()
                )));
            }
        }
        for (flag, v) in [("--beta", o.beta1), (second, o.beta2)] {
            if v != 0.0 {
                normal_in(p, flag, v)?;
            }
            if p == Precision::F32 && v as f32 >= 1.0 {
                return Err(input(format!(
                    "{flag} {}: rounds to 1 in f32; expected a value below 1 - 6e-8",
                    number(v)
                )));
            }
        }
        normal_in(p, "--eps", o.eps)?;
        normal_in(p, "--damping", o.damping)?;
        normal_in(Precision::F64, "--cluster-radius", self.cluster_radius)?;
        for (k, axis) in self.region.axes.iter().enumerate() {
            let empty = match p {
                Precision::F32 => axis[0] as f32 >= axis[1] as f32,
                Precision::F64 => axis[0] >= axis[1],
            };
            if empty {
                return Err(input(format!(
                    "--region: axis {} [{}, {}] is empty in {} (its ends round to the same number)",
                    k + 1,
                    number(axis[0]),
                    number(axis[1]),
                    p.name()
                )));
            }
        }
        let escape = self.escape_box().as_array();
        let finite = match p {
            Precision::F32 => escape.iter().all(|&v| (v as f32).is_finite()),
            Precision::F64 => escape.iter().all(|v| v.is_finite()),
        };
        if !finite {
            return Err(input(format!(
                "--bound {}: the escape box it gives (that many half-widths of the region) overflows {}",
                number(self.bound),
                p.name()
            )));
        }
        Ok(())
    }

    /// Refuses a `--chunk` whose walkers would not fit in the memory the
    /// machine has free (half of it, to leave room for the rest).
    fn check_memory(&self) -> Result<()> {
        let Some(chunk) = self.chunk else { return Ok(()) };
        let per_walker = HOST_BYTES_PER_WALKER + 8 * self.surface.dim() as u64;
        let budget = crate::memory::available_bytes() / 2;
        if chunk.saturating_mul(per_walker) > budget {
            return Err(input(format!(
                "--chunk {chunk}: walkers of {per_walker} bytes each would not fit in half the memory free ({} MiB); \
                 expected at most {}",
                budget >> 20,
                budget / per_walker
            )));
        }
        Ok(())
    }

    /// The threshold on |grad f| below which a walker's endpoint counts as
    /// settled: `tol`, or with `--tol 0` (every step runs) the default 1e-4.
    pub fn settle_tol(&self) -> f64 {
        if self.tol > 0.0 { self.tol } else { 1e-4 }
    }

    /// The walker indices this run descends: all, or its shard's.
    pub fn walker_range(&self) -> std::ops::Range<u64> {
        match self.shard {
            None => 0..self.walkers,
            Some((k, n)) => {
                let at = |k: u64| (k as u128 * self.walkers as u128 / n as u128) as u64;
                at(k)..at(k + 1)
            }
        }
    }

    /// The escape box: `bound` half-widths around the region's centre.
    pub fn escape_box(&self) -> Region {
        self.region.scaled(self.bound)
    }
}

/// Whether `v` is a normal number of `precision` (not 0, not subnormal,
/// not infinite once rounded to it).
fn is_normal_in(precision: Precision, v: f64) -> bool {
    match precision {
        Precision::F32 => (v as f32).is_normal(),
        Precision::F64 => v.is_normal(),
    }
}

/// Refuses a value the precision cannot represent as a normal number.
fn normal_in(precision: Precision, flag: &str, v: f64) -> Result<()> {
    if is_normal_in(precision, v) {
        return Ok(());
    }
    let (lo, hi) = match precision {
        Precision::F32 => (f32::MIN_POSITIVE as f64, f32::MAX as f64),
        Precision::F64 => (f64::MIN_POSITIVE, f64::MAX),
    };
    let tip = if precision == Precision::F32 { "; --precision f64 --backend cpu holds more" } else { "" };
    Err(input(format!(
        "{flag} {}: out of {}'s range (its normal numbers are {lo:.1e} to {hi:.1e} in size){tip}",
        number(v),
        precision.name()
    )))
}

/// Parses "X,Y,..." into a point of `dim` finite coordinates.
pub fn parse_point(flag: &str, text: &str, dim: usize) -> Result<Vec<f64>> {
    let shown = quoted(text);
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let bad = || input(format!("{flag} {shown}: expected {dim} comma-separated numbers"));
    if parts.len() != dim {
        return Err(bad());
    }
    parts
        .iter()
        .map(|part| match part.parse::<f64>() {
            Ok(v) if v.is_finite() && v.abs() <= MAX_COORDINATE => Ok(v),
            Ok(_) => Err(input(format!("{flag} {shown}: '{part}' is not a finite number"))),
            Err(_) => Err(bad()),
        })
        .collect()
}

/// Parses "K/N" for --shard.
pub fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let shown = quoted(text);
    let bad = || format!("{shown} is not K/N, such as 0/4");
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    Ok((k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?))
}

/// Parses "WxH" into (cols, rows), each at least 1.
pub fn parse_grid(text: &str) -> Result<(u32, u32)> {
    let shown = quoted(text);
    let bad = || input(format!("--grid {shown}: expected WxH with whole numbers of at least 1, such as 800x800"));
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h): (u32, u32) = (w.trim().parse().map_err(|_| bad())?, h.trim().parse().map_err(|_| bad())?);
    if w == 0 || h == 0 {
        return Err(bad());
    }
    Ok((w, h))
}

/// Parses a walker count: "100000", "100_000" or "1e5".
pub fn parse_count(text: &str) -> Result<u64, String> {
    let shown = quoted(text);
    let clean = text.replace('_', "");
    if let Ok(n) = clean.parse::<u64>() {
        return Ok(n);
    }
    match clean.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= u64::MAX as f64 => Ok(v as u64),
        _ => Err(format!("{shown} is not a whole number of walkers")),
    }
}

/// Parses a step count (or any 32-bit count) in the same spellings as
/// `parse_count`: "1000", "1_000", "1e3".
pub fn parse_steps(text: &str) -> Result<u32, String> {
    let n = parse_count(text).map_err(|_| format!("{} is not a whole number", quoted(text)))?;
    u32::try_from(n).map_err(|_| format!("{} is above the most, {}", quoted(text), u32::MAX))
}

/// Parses the side of a square grid: "64", "1e3", or "64x64" as `--grid`
/// writes a lattice.
pub fn parse_square_side(text: &str) -> Result<u32, String> {
    match text.split_once(['x', 'X']) {
        Some((w, h)) if w.trim() == h.trim() => parse_steps(w.trim()),
        Some(_) => Err(format!("{} is not square: expected N or NxN", quoted(text))),
        None => parse_steps(text),
    }
}

/// The nearest square lattice to `walkers`: side = round(sqrt(walkers)).
pub fn nearest_square(walkers: u64) -> (u32, u32) {
    let side = ((walkers as f64).sqrt().round() as u32).max(1);
    (side, side)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        assert!(RunConfig::new(Surface::Peaks).validate().is_ok());
    }

    #[test]
    fn counts_parse_in_three_spellings() {
        assert_eq!(parse_count("100000"), Ok(100_000));
        assert_eq!(parse_count("100_000"), Ok(100_000));
        assert_eq!(parse_count("1e5"), Ok(100_000));
        assert!(parse_count("1.5").is_err());
        assert!(parse_count("-3").is_err());
    }

    #[test]
    fn grid_parses() {
        assert_eq!(parse_grid("800x600").unwrap(), (800, 600));
        assert!(parse_grid("800").is_err());
        assert!(parse_grid("0x5").is_err());
    }

    #[test]
    fn escape_box_is_scaled_about_the_centre() {
        let r = Region::xy([0.0, 2.0], [-1.0, 1.0]);
        assert_eq!(r.scaled(10.0), Region::xy([-9.0, 11.0], [-10.0, 10.0]));
    }
}
