//! Files: JSON and CSV, each written to a temporary name in the target's
//! folder and renamed when complete, so no half-written file is ever left.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::Report;
use crate::basins::Label;
use crate::engine::Endpoint;
use crate::error::{Error, Result};

/// Writes `path` through `fill`, atomically: a temporary file in the same
/// folder, renamed over `path` once `fill` succeeded; removed otherwise.
pub fn write_atomic(path: &Path, fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    let tmp = temporary_beside(path, ".tmp")?;
    {
        let mut out = BufWriter::new(tmp.as_file());
        fill(&mut out).map_err(io)?;
        out.flush().map_err(io)?;
    }
    persist(tmp, path)
}

/// A temporary file in `path`'s folder (so the rename cannot cross file
/// systems), removed if dropped before `persist`.
pub fn temporary_beside(path: &Path, suffix: &str) -> Result<tempfile::NamedTempFile> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    tempfile::Builder::new()
        .prefix(".multistart-")
        .suffix(suffix)
        .tempfile_in(dir)
        .map_err(|source| Error::Io { path: path.to_path_buf(), source })
}

/// Renames a complete temporary file over `path`, readable like any file
/// the user creates (tempfile makes them private).
pub fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> Result<()> {
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(io)?;
    }
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

pub fn write_json(path: &Path, report: &Report) -> Result<()> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, report)?;
        writeln!(w)
    })
}

/// One row per basin, then one per other class (moving, plateau, escaped,
/// nonfinite) with empty coordinates: the counts add up to the walkers.
pub fn write_csv_basins(path: &Path, report: &Report) -> Result<()> {
    write_atomic(path, |w| {
        let mut out = csv::Writer::from_writer(w);
        out.write_record([
            "id",
            "kind",
            "best",
            "global",
            "x",
            "y",
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
        ])?;
        let opt = |v: Option<String>| v.unwrap_or_default();
        for b in &report.basins {
            out.write_record([
                b.id.to_string(),
                b.kind.name().into(),
                b.best.to_string(),
                opt(b.global.map(|g| g.to_string())),
                b.point[0].to_string(),
                b.point[1].to_string(),
                b.f.to_string(),
                b.count.to_string(),
                b.fraction.to_string(),
                b.ci95[0].to_string(),
                b.ci95[1].to_string(),
                opt(b.median_iterations.map(|v| v.to_string())),
                opt(b.p90_iterations.map(|v| v.to_string())),
                opt(b.area.map(|v| v.to_string())),
                b.eigenvalues[0].to_string(),
                b.eigenvalues[1].to_string(),
                opt(b.max_stable_lr.map(|v| v.to_string())),
            ])?;
        }
        let n = report.walkers_done as f64;
        for (name, count) in classes(report) {
            let [lo, hi] = crate::basins::wilson95(count, report.walkers_done);
            let mut row = vec![String::new(); 17];
            row[1] = name.into();
            row[7] = count.to_string();
            row[8] = (count as f64 / n).to_string();
            row[9] = lo.to_string();
            row[10] = hi.to_string();
            out.write_record(&row)?;
        }
        out.flush()
    })
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

/// One row per walker: index, start, end, f, |grad f|, iterations, status,
/// basin id (empty outside basins) and class.
/// `basin_ids[i]` is the report id of `Summary::basins[i]`.
pub fn write_csv_endpoints(path: &Path, endpoints: &[(Endpoint, Label)], basin_ids: &[usize]) -> Result<()> {
    write_atomic(path, |w| {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(["index", "x0", "y0", "x", "y", "f", "grad_norm", "iterations", "status", "basin", "class"])?;
        for (e, label) in endpoints {
            let basin = match label {
                Label::Basin(i) => basin_ids[*i].to_string(),
                _ => String::new(),
            };
            out.write_record([
                e.index.to_string(),
                e.start[0].to_string(),
                e.start[1].to_string(),
                e.point[0].to_string(),
                e.point[1].to_string(),
                e.f.to_string(),
                e.grad_norm.to_string(),
                e.iterations.to_string(),
                e.status.name().to_string(),
                basin,
                label.class_name().to_string(),
            ])?;
        }
        out.flush()
    })
}
