//! `multistart bench`: GPU against CPU in one run.

use std::io::Write;

use multistart::bench::BenchConfig;
use multistart::error::Result;

use super::*;

/// `multistart bench`.
pub fn bench(b: &BenchConfig) -> Result<Completion> {
    let report = multistart::bench::run(b)?;
    multistart::bench::write_outputs(b, &report)?;
    let mut out =
        table_stream(multistart::output::any_stdout(&[b.json.as_deref(), b.csv.as_deref(), b.markdown.as_deref()]));
    let _ = write!(out, "{}", multistart::bench::markdown(&report));
    Ok(Completion::Complete)
}
