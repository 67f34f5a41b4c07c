//! Output formats, each an exporter behind one small trait (the way
//! hyperfine writes its results): a command builds its result once, and
//! every file it was asked for is that result in one format, staged in one
//! `output::Batch` so that all appear together or none does.

use std::io::Write;
use std::path::Path;

use crate::error::Result;
use crate::output::Batch;

/// One file format for results of type `R`.
pub trait Exporter<R: ?Sized> {
    /// Writes `result` in this format.
    fn export(&self, result: &R, out: &mut dyn Write) -> std::io::Result<()>;
}

/// Pretty JSON of any serializable result, with a final newline.
pub struct Json;

impl<R: serde::Serialize + ?Sized> Exporter<R> for Json {
    fn export(&self, result: &R, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, result)?;
        writeln!(out)
    }
}

/// A result as CSV rows: header first, every row as long as it.
pub trait Tabular {
    /// Writes the header and the rows.
    fn write_rows(&self, out: &mut csv::Writer<&mut dyn Write>) -> csv::Result<()>;
}

/// CSV of any tabular result, for pandas (`pd.read_csv`).
pub struct Csv;

impl<R: Tabular + ?Sized> Exporter<R> for Csv {
    fn export(&self, result: &R, out: &mut dyn Write) -> std::io::Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        result.write_rows(&mut writer)?;
        writer.flush()
    }
}

/// Markdown: the tables as a README shows them (bench's format).
pub struct Markdown;

/// Stages `result` at each path given (`None`s are skipped), each in its
/// exporter's format.
pub fn stage<R: ?Sized>(batch: &mut Batch, result: &R, files: &[(Option<&Path>, &dyn Exporter<R>)]) -> Result<()> {
    for (path, exporter) in files {
        if let Some(path) = path {
            batch.stage(path, |w| exporter.export(result, w))?;
        }
    }
    Ok(())
}
