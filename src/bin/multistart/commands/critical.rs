//! `multistart critical`: every critical point in a region, by Newton's method.

use std::io::Write;

use crate::cli::CriticalArgs;
use multistart::error::Result;
use multistart::output::Batch;
use multistart::report::CriticalPoints;
use multistart::report::export::{self, Csv, Json};

use super::*;

/// `multistart critical`: the table of every critical point in the region.
pub fn critical(args: &CriticalArgs) -> Result<Completion> {
    let (surface, region) = args.resolve()?;
    let found = multistart::critical::find(&surface, &region, args.grid);
    let points = CriticalPoints::new(&surface, &region, args.grid, &found);
    let mut out = table_stream(multistart::output::any_stdout(&[args.json.as_deref(), args.csv.as_deref()]));
    let _ = points.print(&mut out).and_then(|_| out.flush());
    let mut batch = Batch::new();
    export::stage(&mut batch, &points, &[(args.json.as_deref(), &Json), (args.csv.as_deref(), &Csv)])?;
    batch.commit()?;
    Ok(Completion::Complete)
}
