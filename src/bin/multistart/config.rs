//! `RunConfig`: plain, validated data. Every bad value is refused here, with
//! a one-line message, before any device is touched or file written.

use std::path::PathBuf;

use multistart::error::{Result, input, quoted};
use multistart::plan::Plan;
use multistart::problem::{MAX_COORDINATE, Problem};
use multistart::surface::Surface;
pub use multistart::trajectories::TrajectorySpec;

/// Most walkers whose paths one run records: each is re-descended from its
/// start once per record (steps^2 / 2M walker-steps, one walker at a time).
pub const MAX_TRAJECTORIES: u64 = 10_000;
/// Memory of one recorded trajectory point (walker, step, x, y, f).
const TRAJECTORY_POINT_BYTES: u64 = 40;

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
        multistart::output::check_named(
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
        multistart::output::any_stdout(&[
            self.json.as_deref(),
            self.csv_basins.as_deref(),
            self.csv_endpoints.as_deref(),
            self.csv_trajectories.as_deref(),
            self.png.as_deref(),
        ])
    }
}

/// One command-line run, validated: the problem, the plan, and what the
/// command line adds (recorded paths, output files, quiet).
#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    pub problem: Problem,
    pub plan: Plan,
    /// Walkers whose paths are recorded.
    pub trajectories: Option<TrajectorySpec>,
    /// No progress bar and no notices on stderr.
    pub quiet: bool,
    pub outputs: Outputs,
}

impl RunConfig {
    /// The defaults of `multistart` with no options (see `Problem::new`).
    pub fn new(surface: Surface) -> Self {
        RunConfig {
            problem: Problem::new(surface),
            plan: Plan::default(),
            trajectories: None,
            quiet: false,
            outputs: Outputs::default(),
        }
    }

    /// Checks every value; the first bad one is returned as one line.
    pub fn validate(self) -> Result<Self> {
        let problem = self.problem.validate()?;
        let plan = self.plan.validate(&problem)?;
        let (walkers, steps, dim) = (problem.walkers, problem.steps, problem.surface.dim());
        if let Some(t) = &self.trajectories {
            if dim != 2 {
                return Err(input(format!(
                    "trajectories are recorded on 2-D surfaces; {} is {dim}-dimensional",
                    problem.surface.describe()
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
            let records = t.walkers.len() as u64 * (steps / t.every + 1) as u64;
            let budget = multistart::memory::available_bytes() / 2;
            if records.saturating_mul(TRAJECTORY_POINT_BYTES) > budget {
                return Err(input(format!(
                    "--trajectories: {} paths of {} records each would not fit in half the memory free ({} MiB); \
                     follow fewer walkers or raise --every",
                    t.walkers.len(),
                    steps / t.every + 1,
                    budget >> 20
                )));
            }
        }
        self.outputs.check()?;
        Ok(RunConfig { problem, plan, ..self })
    }
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

/// Parses one "NAME=VALUE" of `--set` (a formula's parameter and its
/// finite value).
pub fn parse_assignment(text: &str) -> Result<(String, f64), String> {
    let shown = quoted(text);
    let (name, value) = text.split_once('=').ok_or_else(|| format!("{shown} is not NAME=VALUE, such as a=2"))?;
    match value.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok((name.trim().to_string(), v)),
        _ => Err(format!("{shown}: {} is not a finite number", quoted(value.trim()))),
    }
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
    multistart::starts::parse_lattice(text).ok_or_else(|| {
        input(format!("--grid {}: expected WxH with whole numbers of at least 1, such as 800x800", quoted(text)))
    })
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

/// Most values one sweep runs.
pub const MAX_SWEEP_VALUES: usize = 1000;

/// Parses `sweep --values`: numbers, `A:B:STEP` (A, A + STEP, ... up to B,
/// both ends included) and `A..B`, `--log N` values spaced evenly in log
/// between A and B (both above 0), in the order given.
pub fn parse_values(items: &[String], log: Option<u32>) -> Result<Vec<f64>> {
    let number = |text: &str, item: &str| -> Result<f64> {
        match text.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(input(format!("--values {}: {} is not a finite number", quoted(item), quoted(text.trim())))),
        }
    };
    let mut out = Vec::new();
    let mut spans = false;
    for item in items {
        let item = item.trim();
        if let Some((a, b)) = item.split_once("..") {
            let (a, b) = (number(a, item)?, number(b, item)?);
            spans = true;
            let Some(n) = log else {
                return Err(input(format!(
                    "--values {}: a span A..B needs --log N, the number of values",
                    quoted(item)
                )));
            };
            if n as usize > MAX_SWEEP_VALUES {
                return Err(input(format!("--log {n}: expected at most {MAX_SWEEP_VALUES} values")));
            }
            if !(a > 0.0 && b > 0.0) {
                return Err(input(format!("--values {}: a log span needs both ends above 0", quoted(item))));
            }
            let (la, lb) = (a.log10(), b.log10());
            let steps = n.saturating_sub(1).max(1) as f64;
            out.extend((0..n).map(|k| tidy(10f64.powf(la + (lb - la) * k as f64 / steps))));
        } else if let [a, b, step] = item.split(':').collect::<Vec<_>>()[..] {
            let (a, b, step) = (number(a, item)?, number(b, item)?, number(step, item)?);
            if step <= 0.0 || b < a {
                return Err(input(format!(
                    "--values {}: expected A:B:STEP with A <= B and STEP above 0",
                    quoted(item)
                )));
            }
            // A tenth of a step absorbs the rounding of (B - A) / STEP.
            let n = ((b - a) / step + 0.1).floor();
            if n >= MAX_SWEEP_VALUES as f64 {
                return Err(input(format!("--values {}: more than {MAX_SWEEP_VALUES} values", quoted(item))));
            }
            out.extend((0..=n as u64).map(|k| tidy(a + k as f64 * step)));
        } else {
            out.push(number(item, item)?);
        }
        if out.len() > MAX_SWEEP_VALUES {
            return Err(input(format!("--values: more than {MAX_SWEEP_VALUES} values")));
        }
    }
    if log.is_some() && !spans {
        return Err(input("--log N spaces the values of a span A..B; --values has none"));
    }
    if log == Some(0) {
        return Err(input("--log 0: expected at least 1 value"));
    }
    Ok(out)
}

/// `v` to 12 significant digits: 0.05 + 3 * 0.005 is 0.065, not 0.06500000000000002.
fn tidy(v: f64) -> f64 {
    format!("{v:.11e}").parse().unwrap_or(v)
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
    fn sweep_values_take_lists_ranges_and_log_spans() {
        let items = |t: &str| t.split(',').map(String::from).collect::<Vec<_>>();
        assert_eq!(parse_values(&items("0.1,0.2"), None).unwrap(), [0.1, 0.2]);
        assert_eq!(
            parse_values(&items("0.05:0.08:0.005"), None).unwrap(),
            [0.05, 0.055, 0.06, 0.065, 0.07, 0.075, 0.08]
        );
        assert_eq!(parse_values(&items("1e-5..1e-1"), Some(5)).unwrap(), [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]);
        assert_eq!(parse_values(&items("1:2:0.5,7"), None).unwrap(), [1.0, 1.5, 2.0, 7.0]);
        for (bad, log) in
            [("1e-5..1e-1", None), ("0..1", Some(3)), ("1:0:0.5", None), ("1:2:0", None), ("0.1", Some(3))]
        {
            assert!(parse_values(&items(bad), log).is_err(), "{bad}");
        }
        assert!(parse_values(&items("0:1:1e-9"), None).unwrap_err().to_string().contains("more than 1000"));
        assert!(parse_values(&items("1..2"), Some(1_000_000_000)).unwrap_err().to_string().contains("at most 1000"));
    }

    #[test]
    fn grid_parses() {
        assert_eq!(parse_grid("800x600").unwrap(), (800, 600));
        assert!(parse_grid("800").is_err());
        assert!(parse_grid("0x5").is_err());
    }
}
