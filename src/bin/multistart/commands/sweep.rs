//! `multistart sweep`: the same starts for each value of one parameter.

use std::io::Write;
use std::time::Instant;

use crate::config::RunConfig;
use multistart::error::Result;
use multistart::output::Batch;
use multistart::report::export::{self, Csv, Json};
use multistart::report::{SweepReport, SweepValue, plot};

use super::run::execute;
use super::*;

/// `multistart sweep`: the same starts for each value; a share table.
pub fn sweep(param: &str, runs: &[(SweepValue, RunConfig)], started: Instant) -> Result<Completion> {
    let first_run = &runs[0].1;
    let mut engine = engine_for(first_run)?;
    let values = runs.iter().map(|(v, _)| v.clone()).collect();
    let mut sweep = SweepReport::new(param, values, &first_run.problem, engine.device());
    for (k, (value, config)) in runs.iter().enumerate() {
        // A signal stops the sweep after the current chunk: the values not
        // yet run are left out, and every output says partial.
        if crate::interrupt::requested() {
            sweep.partial = true;
            break;
        }
        if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            eprint!("\rsweep: {param} = {value} ({}/{})", k + 1, runs.len());
        }
        // The GPU's kernel is built for one surface.
        if param == "surface" && k > 0 {
            engine = engine_for(config)?;
        }
        // Each value's run writes no files of its own: the sweep's are below.
        let mut one_value = config.clone();
        one_value.outputs = Default::default();
        let done = execute(&one_value, engine.as_mut(), started, false, &mut Batch::new())?;
        sweep.push(value.clone(), done.report, done.outcome.summary);
    }
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprint!("\r\x1b[2K");
    }
    let o = &first_run.outputs;
    let mut out = table_stream(o.uses_stdout());
    let _ = sweep.print(&mut out).and_then(|_| out.flush());
    drop(out);
    let mut batch = Batch::new();
    export::stage(&mut batch, &sweep, &[(o.json.as_deref(), &Json), (o.csv_basins.as_deref(), &Csv)])?;
    if let Some(path) = &o.png {
        plot::draw_sweep(&mut batch, path, &sweep.picture())?;
    }
    batch.commit()?;
    Ok(Completion::of(sweep.partial))
}
