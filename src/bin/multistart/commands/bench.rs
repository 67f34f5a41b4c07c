//! `multistart bench`: GPU against CPU in one run.

use std::io::Write;

use multistart::bench::BenchConfig;
use multistart::error::Result;
use multistart::output::Batch;
use multistart::report::export::{self, Csv, Json, Markdown};

use super::*;

/// `multistart bench`.
pub fn bench(b: &BenchConfig) -> Result<Completion> {
    let report = multistart::bench::run(b)?;
    let mut batch = Batch::new();
    export::stage(
        &mut batch,
        &report,
        &[(b.json.as_deref(), &Json), (b.csv.as_deref(), &Csv), (b.markdown.as_deref(), &Markdown)],
    )?;
    batch.commit()?;
    let mut out =
        table_stream(multistart::output::any_stdout(&[b.json.as_deref(), b.csv.as_deref(), b.markdown.as_deref()]));
    let _ = write!(out, "{}", multistart::bench::markdown(&report));
    Ok(Completion::Complete)
}
