//! `multistart sweep`'s result: one run per value of a parameter, from the
//! same starts, with their basins matched across runs. Its console table,
//! JSON, CSV and chart.

use std::io::{self, Write};

use serde::Serialize;

use super::export::Tabular;
use super::{Report, axis_names, plot, point_columns, point_text, region_text, thousands};
use crate::basins::{Summary, wilson95};
use crate::engine::DeviceInfo;
use crate::problem::Problem;

/// One value of the swept parameter: a number (lr, steps, seed, beta...)
/// or a name (an optimizer, a surface). The JSON writes it as itself.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SweepValue {
    /// A numeric setting.
    Number(f64),
    /// A named choice.
    Name(String),
}

impl std::fmt::Display for SweepValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SweepValue::Number(v) => f.pad(&v.to_string()),
            SweepValue::Name(name) => f.pad(name),
        }
    }
}

/// Basins the sweep's table gives a column of their own.
const SWEEP_COLUMNS: usize = 12;

/// The runs of a sweep, and every basin any of them found.
#[derive(Clone, Debug)]
pub struct SweepReport {
    /// The parameter varied ("lr", "steps", "beta", ...).
    pub param: String,
    /// Every value asked for (runs may stop short of them: `partial`).
    pub values: Vec<SweepValue>,
    /// A signal stopped the sweep: some values are missing, or the last
    /// one's run is partial.
    pub partial: bool,
    /// Each value run, its report and its summary.
    pub runs: Vec<(SweepValue, Report, Summary)>,
    /// Every basin found by any run.
    catalogue: Summary,
    /// `columns[k][i]`: the catalogue basin of run k's basin i.
    columns: Vec<Vec<usize>>,
    /// The header line.
    header: String,
}

impl SweepReport {
    /// A sweep of `param` over `values` of `first` (the problem of the first
    /// value) on `device`, with no run yet.
    pub fn new(param: &str, values: Vec<SweepValue>, first: &Problem, device: &DeviceInfo) -> Self {
        // What the values change is left out of what they share.
        let starts = match param {
            "seed" => "walkers, a seed each".to_string(),
            "surface" => "walkers on each surface's region".to_string(),
            _ => "walkers from the same starts".to_string(),
        };
        // A formula's swept parameter is shown as the name it is, not as
        // the first value.
        let surface = match (first.surface.expr(), first.surface.params()) {
            (Some(text), Some(params)) if params.contains_key(param) => {
                let mut rest = params.clone();
                rest.remove(param);
                format!("expr {text}{}", crate::surface::formula::describe_params(&rest))
            }
            _ => first.surface.describe(),
        };
        let mut header = format!(
            "sweep of {param} over {} values: {} {} {starts}",
            values.len(),
            thousands(first.walkers),
            first.starts.describe(),
        );
        if param != "surface" {
            header += &format!(", {surface} on {}", region_text(&first.region.as_array()));
        }
        if param != "optimizer" {
            header += &format!(", optimizer {}", first.optimizer.name());
        }
        header += &format!(", {}", device.describe());
        SweepReport {
            param: param.to_string(),
            values,
            partial: false,
            runs: Vec::new(),
            catalogue: Summary::default(),
            columns: Vec::new(),
            header,
        }
    }

    /// Adds the run of `value`.
    pub fn push(&mut self, value: SweepValue, report: Report, summary: Summary) {
        self.partial |= report.partial;
        self.columns.push(self.catalogue.merge(&summary));
        self.runs.push((value, report, summary));
    }

    /// The catalogue's basins in report order.
    fn order(&self) -> Vec<usize> {
        self.catalogue.report_order()
    }

    /// Share of run `k`'s walkers that `count` is (of the walkers it ran).
    fn fraction(&self, k: usize, count: u64) -> f64 {
        count as f64 / self.runs[k].2.walkers.max(1) as f64
    }

    /// Walkers of catalogue basin `c` in run `k`.
    fn basin_count(&self, k: usize, c: usize) -> u64 {
        let s = &self.runs[k].2;
        self.columns[k].iter().enumerate().filter(|&(_, &to)| to == c).map(|(from, _)| s.basins[from].count).sum()
    }

    /// Percent of run `k`'s walkers in catalogue basin `c`.
    fn basin_share(&self, k: usize, c: usize) -> f64 {
        100.0 * self.fraction(k, self.basin_count(k, c))
    }

    fn class_counts(s: &Summary) -> [(&'static str, u64); 4] {
        [("moving", s.moving), ("plateau", s.plateau), ("escaped", s.escaped), ("nonfinite", s.nonfinite)]
    }

    /// The console table: a share column for each of the lowest basins,
    /// one for the rest, and the classes.
    pub fn print(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.partial {
            writeln!(
                out,
                "partial: stopped by a signal after {} of {} values; shares are of the walkers each value ran\n",
                self.runs.len(),
                self.values.len()
            )?;
        }
        writeln!(out, "{}\n", self.header)?;
        writeln!(out, "share of walkers (%):")?;
        let order = self.order();
        // The lowest basins get a column each; the rest share one (all are
        // in --json and --csv).
        let (shown, rest) = order.split_at(order.len().min(SWEEP_COLUMNS));
        let label = |rank: usize, c: usize| {
            let b = &self.catalogue.basins[c];
            format!("#{} {} {}", rank + 1, &b.kind.name()[..3], point_text(&b.point, 3).replace(", ", ","))
        };
        let width = shown.iter().enumerate().map(|(rank, &c)| label(rank, c).len()).max().unwrap_or(0).max(12);
        let mut header = format!("{:>10}", self.param);
        for (rank, &c) in shown.iter().enumerate() {
            header += &format!(" {:>width$}", label(rank, c));
        }
        if !rest.is_empty() {
            header += &format!(" {:>width$}", format!("{} others", rest.len()));
        }
        header += &format!(" {:>8} {:>8} {:>8} {:>9}", "moving", "plateau", "escaped", "nonfinite");
        writeln!(out, "{header}")?;
        for (k, (value, _, s)) in self.runs.iter().enumerate() {
            let mut line = format!("{value:>10}");
            for &c in shown {
                line += &format!(" {:>width$.2}", self.basin_share(k, c));
            }
            if !rest.is_empty() {
                line += &format!(" {:>width$.2}", rest.iter().map(|&c| self.basin_share(k, c)).sum::<f64>());
            }
            for (i, (_, count)) in Self::class_counts(s).into_iter().enumerate() {
                line += &format!(" {:>w$.2}", 100.0 * self.fraction(k, count), w = if i == 3 { 9 } else { 8 });
            }
            writeln!(out, "{line}")?;
        }
        Ok(())
    }

    /// The chart: share against value, a line per shown basin and class.
    pub fn picture(&self) -> plot::SweepPicture<'_> {
        let order = self.order();
        let (shown, rest) = order.split_at(order.len().min(SWEEP_COLUMNS));
        // Names stand at 0, 1, 2... on the axis, labelled.
        let numbers: Option<Vec<f64>> = self
            .runs
            .iter()
            .map(|(v, _, _)| match v {
                SweepValue::Number(x) => Some(*x),
                SweepValue::Name(_) => None,
            })
            .collect();
        let labels = numbers.is_none().then(|| self.runs.iter().map(|(v, _, _)| v.to_string()).collect());
        let values: Vec<f64> = numbers.unwrap_or_else(|| (0..self.runs.len()).map(|k| k as f64).collect());
        let runs = 0..self.runs.len();
        let mut series = Vec::new();
        for (rank, &c) in shown.iter().enumerate() {
            let b = &self.catalogue.basins[c];
            let shares = runs.clone().map(|k| self.basin_share(k, c)).collect();
            series.push((
                format!("#{} {} {}", rank + 1, b.kind.name(), point_text(&b.point, 3)),
                plot::PALETTE[rank % plot::PALETTE.len()],
                shares,
            ));
        }
        if !rest.is_empty() {
            let shares = runs.clone().map(|k| rest.iter().map(|&c| self.basin_share(k, c)).sum()).collect();
            series.push((
                format!("{} other basins", rest.len()),
                plot::PALETTE[shown.len() % plot::PALETTE.len()],
                shares,
            ));
        }
        for (i, name) in ["moving", "plateau", "escaped", "nonfinite"].into_iter().enumerate() {
            let shares: Vec<f64> = self
                .runs
                .iter()
                .enumerate()
                .map(|(k, (_, _, s))| 100.0 * self.fraction(k, Self::class_counts(s)[i].1))
                .collect();
            if shares.iter().any(|&v| v > 0.0) {
                series.push((name.to_string(), plot::CLASS_GREYS[i], shares));
            }
        }
        // A log axis needs positive values; lr and tol are read on one, and
        // so is any parameter whose values span more than a factor of 100.
        let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        let log_x =
            labels.is_none() && lo > 0.0 && (!["steps", "seed"].contains(&self.param.as_str()) || hi / lo > 100.0);
        plot::SweepPicture { param: &self.param, values, labels, log_x, series }
    }
}

/// `{param, values, partial, basins: [{id, kind, point, f}], runs: [{value,
/// counts: [{id, count, fraction, ci95}], report}]}`: `basins` and `counts`
/// use the sweep's ids (its table's and CSV's, the same in every run); each
/// run's `report` numbers its own basins.
impl Serialize for SweepReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Basin<'a> {
            id: usize,
            kind: &'static str,
            point: &'a [f64],
            f: f64,
        }
        #[derive(Serialize)]
        struct Count {
            id: usize,
            count: u64,
            fraction: f64,
            ci95: [f64; 2],
        }
        #[derive(Serialize)]
        struct Run<'a> {
            value: &'a SweepValue,
            counts: Vec<Count>,
            report: &'a Report,
        }
        #[derive(Serialize)]
        struct Sweep<'a> {
            param: &'a str,
            values: &'a [SweepValue],
            partial: bool,
            basins: Vec<Basin<'a>>,
            runs: Vec<Run<'a>>,
        }
        let order = self.order();
        let basins = order
            .iter()
            .enumerate()
            .map(|(rank, &c)| {
                let b = &self.catalogue.basins[c];
                Basin { id: rank + 1, kind: b.kind.name(), point: &b.point, f: b.f }
            })
            .collect();
        let runs = self
            .runs
            .iter()
            .enumerate()
            .map(|(k, (value, report, s))| {
                let counts = order
                    .iter()
                    .enumerate()
                    .map(|(rank, &c)| {
                        let count = self.basin_count(k, c);
                        Count {
                            id: rank + 1,
                            count,
                            fraction: self.fraction(k, count),
                            ci95: wilson95(count, s.walkers),
                        }
                    })
                    .collect();
                Run { value, counts, report }
            })
            .collect();
        Sweep { param: &self.param, values: &self.values, partial: self.partial, basins, runs }.serialize(serializer)
    }
}

/// One row per value and basin (catalogue ids, the same in every run), then
/// one per value and class.
impl Tabular for SweepReport {
    fn write_rows(&self, out: &mut csv::Writer<&mut dyn Write>) -> csv::Result<()> {
        let dim = self.runs.first().map_or(2, |(_, r, _)| r.config.dim);
        let axes = axis_names(dim);
        let mut columns: Vec<String> = ["value", "class", "id", "kind"].map(String::from).to_vec();
        columns.extend(axes.iter().cloned());
        columns.extend(["f", "count", "fraction", "ci95_lo", "ci95_hi", "partial"].map(String::from));
        out.write_record(&columns)?;
        let order = self.order();
        let partial = self.partial.to_string();
        for (k, (value, _, s)) in self.runs.iter().enumerate() {
            for (rank, &c) in order.iter().enumerate() {
                let b = &self.catalogue.basins[c];
                let count = self.basin_count(k, c);
                let mut row = vec![value.to_string(), "basin".into(), (rank + 1).to_string(), b.kind.name().into()];
                row.extend(point_columns(&b.point));
                let [lo, hi] = wilson95(count, s.walkers);
                row.extend([b.f.to_string(), count.to_string(), self.fraction(k, count).to_string()]);
                row.extend([lo.to_string(), hi.to_string(), partial.clone()]);
                out.write_record(&row)?;
            }
            for (name, count) in Self::class_counts(s) {
                // Empty id, kind, point and f.
                let mut row = vec![value.to_string(), name.into()];
                row.extend(std::iter::repeat_n(String::new(), 3 + axes.len()));
                let [lo, hi] = wilson95(count, s.walkers);
                row.extend([count.to_string(), self.fraction(k, count).to_string()]);
                row.extend([lo.to_string(), hi.to_string(), partial.clone()]);
                out.write_record(&row)?;
            }
        }
        Ok(())
    }
}
