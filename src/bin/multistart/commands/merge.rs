//! `multistart merge`: shard reports into the single run's report.

use std::io::Write;

use multistart::error::Result;
use multistart::output::Batch;
use multistart::report::export::{self, Csv, Json};
use multistart::report::{self};

use super::*;

/// `multistart merge`: shards' summaries into exactly the single run's report.
pub fn merge(args: &crate::cli::MergeArgs) -> Result<Completion> {
    multistart::output::check_named(&[("--json", &args.json), ("--csv-basins", &args.csv_basins)], &args.inputs)?;
    let report = multistart::merge::merge_files(&args.inputs)?;
    let mut batch = Batch::new();
    export::stage(&mut batch, &report, &[(args.json.as_deref(), &Json), (args.csv_basins.as_deref(), &Csv)])?;
    batch.commit()?;
    let mut out = table_stream(multistart::output::any_stdout(&[args.json.as_deref(), args.csv_basins.as_deref()]));
    let _ = report::print_table(&mut out, &report).and_then(|_| out.flush());
    Ok(Completion::Complete)
}
