//! What each command does, from a validated configuration to its outputs:
//! one file per command, which orchestrates; the library computes and
//! `multistart::report` formats. `main` only parses and dispatches here.

mod bench;
mod critical;
mod devices;
mod map;
mod merge;
mod run;
mod surfaces;
mod sweep;

pub use bench::bench;
pub use critical::critical;
pub use devices::devices;
pub use map::map;
pub use merge::merge;
pub use run::single_run;
pub use surfaces::surfaces;
pub use sweep::sweep;

use std::io::Write;

use crate::config::RunConfig;
use multistart::basins::Summary;
use multistart::engine::{self, Engine};
use multistart::error::Result;
use multistart::report::{self, Report};

/// How a command ended: with everything done, or stopped early by a signal
/// (its outputs written and marked partial).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    Complete,
    Partial,
}

impl Completion {
    fn of(partial: bool) -> Completion {
        if partial { Completion::Partial } else { Completion::Complete }
    }
}

/// `ids[i]`: the report's 1-based id of `summary.basins[i]`.
fn report_ids(summary: &Summary) -> Vec<usize> {
    let mut ids = vec![0; summary.basins.len()];
    for (rank, i) in summary.report_order().into_iter().enumerate() {
        ids[i] = rank + 1;
    }
    ids
}

fn engine_for(config: &RunConfig) -> Result<Box<dyn Engine>> {
    let (engine, notice) = engine::select(&config.problem, &config.plan)?;
    if let Some(notice) = notice.filter(|_| !config.quiet) {
        eprintln!("{notice}");
    }
    Ok(engine)
}

/// The table on stdout, or on stderr when an output file is stdout (`-`).
fn print_table(report: &Report, outputs: &crate::config::Outputs) {
    let mut out = table_stream(outputs.uses_stdout());
    let _ = report::print_table(&mut out, report).and_then(|_| out.flush());
}

/// Where a command's table goes: stdout, or stderr when an output file is
/// stdout (`-`), so that stdout holds that file alone.
fn table_stream(outputs_use_stdout: bool) -> Box<dyn Write> {
    if outputs_use_stdout { Box::new(std::io::stderr().lock()) } else { Box::new(std::io::stdout().lock()) }
}
