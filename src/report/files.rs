//! The run's CSV files: the basins table (a `Tabular` for the CSV exporter)
//! and the endpoints, streamed chunk by chunk.

use std::io::{BufWriter, Write};
use std::path::Path;

use crate::output::{Batch, Target, Temporary, temporary_for};

use super::Report;
use super::export::Tabular;
use crate::basins::Label;
use crate::engine::Endpoint;
use crate::error::{Error, Result};
use crate::pipeline::{Chunk, Sink};
use crate::problem::{Precision, Problem};
use crate::surface::formula::describe_params;

/// The basins CSV: one row per basin, then one per other class (moving,
/// plateau, escaped, nonfinite) with empty coordinates: the counts add up
/// to the walkers.
/// The run's settings each basins CSV row starts with.
const CONFIG_COLUMNS: [&str; 11] =
    ["surface", "dim", "optimizer", "optimizer_params", "lr", "steps", "tol", "seed", "precision", "starts", "walkers"];

impl Tabular for Report {
    fn write_rows(&self, out: &mut csv::Writer<&mut dyn Write>) -> csv::Result<()> {
        let report = self;
        let c = &report.config;
        let dim = c.dim;
        // The run's settings first, so the files of several runs
        // concatenate into one tidy frame.
        let mut header: Vec<String> = CONFIG_COLUMNS.map(String::from).to_vec();
        header.extend(["id", "kind", "best", "global"].map(String::from));
        header.extend(super::axis_names(dim));
        header.extend(
            [
                "f",
                "count",
                "fraction",
                "ci95_lo",
                "ci95_hi",
                "median_iterations",
                "p90_iterations",
                "area",
                "lambda_min",
                "lambda_max",
                "max_stable_lr",
                // true when a signal stopped the run: counts of walkers_done.
                "partial",
            ]
            .map(String::from),
        );
        out.write_record(&header)?;
        let opt = |v: Option<String>| v.unwrap_or_default();
        let surface =
            c.expr.as_ref().map_or(report.surface.to_string(), |e| format!("expr {e}{}", describe_params(&c.params)));
        let settings = [
            surface,
            c.dim.to_string(),
            c.optimizer.name().into(),
            c.optimizer.describe(&c.optimizer_params),
            c.lr.to_string(),
            c.steps.to_string(),
            c.tol.to_string(),
            c.seed.to_string(),
            c.precision.name().into(),
            c.starts.clone(),
            c.walkers.to_string(),
        ];
        for b in &report.basins {
            let mut row = settings.to_vec();
            row.extend([
                b.id.to_string(),
                b.kind.name().into(),
                b.best.to_string(),
                opt(b.global.map(|g| g.to_string())),
            ]);
            row.extend(super::point_columns(&b.point));
            row.extend([
                b.f.to_string(),
                b.count.to_string(),
                b.fraction.to_string(),
                b.ci95[0].to_string(),
                b.ci95[1].to_string(),
                opt(b.median_iterations.map(|v| v.to_string())),
                opt(b.p90_iterations.map(|v| v.to_string())),
                opt(b.area.map(|v| v.to_string())),
                b.eigenvalues.first().map_or(String::new(), |v| v.to_string()),
                b.eigenvalues.last().map_or(String::new(), |v| v.to_string()),
                opt(b.max_stable_lr.map(|v| v.to_string())),
                report.partial.to_string(),
            ]);
            out.write_record(&row)?;
        }
        let n = report.walkers_done as f64;
        for (name, count) in classes(report) {
            let [lo, hi] = crate::basins::wilson95(count, report.walkers_done);
            // Columns after the settings, id, kind, best, global and the
            // point: f, count, fraction, ci95_lo, ci95_hi.
            let at = CONFIG_COLUMNS.len() + 4 + dim;
            let mut row = settings.to_vec();
            row.resize(header.len(), String::new());
            row[CONFIG_COLUMNS.len() + 1] = name.into();
            row[at + 1] = count.to_string();
            row[at + 2] = (count as f64 / n).to_string();
            row[at + 3] = lo.to_string();
            row[at + 4] = hi.to_string();
            row[header.len() - 1] = report.partial.to_string();
            out.write_record(&row)?;
        }
        Ok(())
    }
}

/// The non-basin classes, in table order.
pub(crate) fn classes(report: &Report) -> [(&'static str, u64); 4] {
    [
        ("moving", report.moving),
        ("plateau", report.plateau),
        ("escaped", report.escaped),
        ("nonfinite", report.nonfinite),
    ]
}

/// One row per walker, streamed: index, start, end, f, |grad f|,
/// iterations, status, basin id (empty outside basins) and class.
///
/// Basin ids are known only when the run ends (they rank basins by f), so
/// rows first go to a temporary file with the summary's basin index, and
/// `finish` rewrites them with the ids into a second temporary file that
/// is renamed over the target: memory stays bounded however many walkers.
pub struct EndpointsWriter {
    path: std::path::PathBuf,
    raw: Temporary,
    out: csv::Writer<BufWriter<std::fs::File>>,
    /// The run, for the start points (a pure function of the index).
    problem: Problem,
    basin_column: usize,
}

/// index, start (x0,y0 or x1_0..xD_0), end (x,y or x1..xD), f, grad_norm,
/// iterations, status, basin, class.
fn endpoint_columns(dim: usize) -> Vec<String> {
    let axes = super::axis_names(dim);
    let mut columns = vec!["index".to_string()];
    columns.extend(axes.iter().map(|a| if dim == 2 { format!("{a}0") } else { format!("{a}_0") }));
    columns.extend(axes);
    columns.extend(["f", "grad_norm", "iterations", "status", "basin", "class"].map(String::from));
    columns
}

impl EndpointsWriter {
    /// Starts the CSV for `path` (written on `finish`) with its header row;
    /// `problem` gives the start points and the number of axes.
    pub fn create(path: &Path, problem: &Problem) -> Result<Self> {
        let io = |source| Error::Io { path: path.to_path_buf(), source };
        let raw = temporary_for(&Target::resolve("--csv-endpoints", path)?, ".tmp").map_err(io)?;
        let mut out = csv::Writer::from_writer(BufWriter::new(raw.as_file().try_clone().map_err(io)?));
        let columns = endpoint_columns(problem.surface.dim());
        out.write_record(&columns).map_err(|e| io(e.into()))?;
        let basin_column = columns.len() - 2;
        Ok(EndpointsWriter { path: path.to_path_buf(), raw, out, problem: problem.clone(), basin_column })
    }

    /// Appends a chunk; `Label::Basin(i)` is written as the index i.
    pub fn write_chunk(&mut self, endpoints: &[Endpoint], labels: &[Label]) -> Result<()> {
        let io = |e: csv::Error| Error::Io { path: self.path.clone(), source: e.into() };
        // The start as the engine computed it: in f32 unless the run is f64.
        let (f32_starts, f64_starts) =
            (crate::starts::StartFn::<f32>::new(&self.problem), crate::starts::StartFn::<f64>::new(&self.problem));
        for (e, label) in endpoints.iter().zip(labels) {
            let basin = match label {
                Label::Basin(i) => i.to_string(),
                _ => String::new(),
            };
            let start: Vec<String> = match self.problem.precision {
                Precision::F32 => f32_starts.point_vec(e.index).iter().map(|v| v.to_string()).collect(),
                Precision::F64 => f64_starts.point_vec(e.index).iter().map(|v| v.to_string()).collect(),
            };
            let mut row = vec![e.index.to_string()];
            row.extend(start);
            row.extend(e.point.iter().map(|v| v.to_string()));
            row.extend([
                e.f.to_string(),
                e.grad_norm.to_string(),
                e.iterations.to_string(),
                e.status.name().to_string(),
                basin,
                label.class_name().to_string(),
            ]);
            self.out.write_record(&row).map_err(io)?;
        }
        Ok(())
    }

    /// Stages the file with report ids (`basin_ids[i]` for summary basin i)
    /// and a `partial` column, true when a signal stopped the run.
    pub fn finish(mut self, batch: &mut Batch, basin_ids: &[usize], partial: bool) -> Result<()> {
        let path = self.path.clone();
        let io = |source| Error::Io { path: path.clone(), source };
        self.out.flush().map_err(io)?;
        let mut raw = self.raw.as_file().try_clone().map_err(io)?;
        std::io::Seek::rewind(&mut raw).map_err(io)?;
        let mut reader = csv::Reader::from_reader(std::io::BufReader::new(raw));
        batch.stage(&self.path, |w| {
            let mut out = csv::Writer::from_writer(w);
            let mut columns = endpoint_columns(self.problem.surface.dim());
            columns.push("partial".into());
            out.write_record(&columns)?;
            for record in reader.records() {
                let record = record?;
                let mut row: Vec<String> = record
                    .iter()
                    .enumerate()
                    .map(|(k, v)| match (k == self.basin_column, v.parse::<usize>()) {
                        (true, Ok(i)) => basin_ids[i].to_string(),
                        _ => v.to_string(),
                    })
                    .collect();
                row.push(partial.to_string());
                out.write_record(&row)?;
            }
            out.flush()
        })
    }
}

impl Sink for EndpointsWriter {
    fn chunk(&mut self, chunk: &Chunk) -> Result<()> {
        self.write_chunk(chunk.endpoints, chunk.labels)
    }
}
