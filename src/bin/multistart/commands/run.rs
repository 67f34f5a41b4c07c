//! `multistart [OPTIONS]`: one run, its table and its files; also the
//! run behind `map` and each value of `sweep`.

use std::io::IsTerminal;
use std::time::Instant;

use crate::config::RunConfig;
use crate::interrupt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use multistart::basins::Label;
use multistart::engine::Engine;
use multistart::error::{Error, Result};
use multistart::output::Batch;
use multistart::pipeline::{self, Chunk, Outcome, Sink};
use multistart::report::export::{self, Csv, Json};
use multistart::report::{self, Report};
use multistart::trajectories::{self, TrajectoryPoint};

use super::*;

/// A run and what it produced.
pub(super) struct Done {
    pub(super) outcome: Outcome,
    pub(super) report: Report,
    pub(super) trajectories: Vec<TrajectoryPoint>,
    /// Every walker's label, in index order, when asked for (the map).
    pub(super) labels: Vec<Label>,
}

/// Progress on stderr: on a terminal, a bar that shows itself once a run
/// has taken a second; elsewhere (a Slurm or CI log), a plain line every
/// few seconds. `--quiet` silences both.
struct Progress {
    bar: ProgressBar,
    shown: bool,
    since: Instant,
    /// Plain lines instead of the bar, with the seconds between them.
    log_every: Option<f64>,
    logged: f64,
    total: u64,
}

/// Seconds between progress lines in a log, unless
/// MULTISTART_PROGRESS_SECONDS says otherwise.
const LOG_EVERY_S: f64 = 5.0;

impl Progress {
    fn new(walkers: u64, enabled: bool) -> Self {
        let bar = ProgressBar::with_draw_target(Some(walkers), ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template(
            "{bar:32} {human_pos}/{human_len} walkers  {msg}  {elapsed} elapsed, ETA {eta}",
        )
        .expect("valid template");
        bar.set_style(style);
        let log_every = (enabled && !std::io::stderr().is_terminal()).then(|| {
            let asked = std::env::var("MULTISTART_PROGRESS_SECONDS").ok().and_then(|v| v.trim().parse::<f64>().ok());
            asked.filter(|s| s.is_finite() && *s >= 0.0).unwrap_or(LOG_EVERY_S)
        });
        Progress {
            bar,
            shown: !enabled || log_every.is_some(),
            since: Instant::now(),
            log_every,
            logged: 0.0,
            total: walkers,
        }
    }

    /// "progress: 250,000 of 1,000,000 walkers (25.0%), 2.31e8 walker-steps/s, 12 s elapsed, about 36 s left"
    fn log_line(&self, chunk: &Chunk, elapsed: f64) -> String {
        let done = chunk.walkers_done;
        let fraction = done as f64 / self.total.max(1) as f64;
        let left = if done > 0 { elapsed * (1.0 - fraction) / fraction } else { f64::NAN };
        format!(
            "progress: {} of {} walkers ({:.1}%), {:.2e} walker-steps/s, {:.0} s elapsed, about {:.0} s left",
            report::thousands(done),
            report::thousands(self.total),
            100.0 * fraction,
            chunk.walker_steps as f64 / chunk.descent_s.max(1e-9),
            elapsed,
            left
        )
    }
}

impl Sink for Progress {
    fn chunk(&mut self, chunk: &Chunk) -> Result<()> {
        let elapsed = self.since.elapsed().as_secs_f64();
        if let Some(every) = self.log_every {
            // Not after the last chunk: the table follows at once.
            if elapsed - self.logged >= every && chunk.walkers_done < self.total {
                eprintln!("{}", self.log_line(chunk, elapsed));
                self.logged = elapsed;
            }
            return Ok(());
        }
        if !self.shown && elapsed > 1.0 {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar.set_position(chunk.walkers_done);
        self.bar.set_message(format!("{:.2e} walker-steps/s", chunk.walker_steps as f64 / chunk.descent_s.max(1e-9)));
        Ok(())
    }
}

/// Runs `config` on `engine` and stages the files it asks for in `batch`.
/// A signal stops it after the current chunk.
pub(super) fn execute(
    config: &RunConfig,
    engine: &mut dyn Engine,
    started: Instant,
    keep_labels: bool,
    batch: &mut Batch,
) -> Result<Done> {
    let (problem, plan) = (&config.problem, &config.plan);
    let mut endpoints_csv =
        config.outputs.csv_endpoints.as_deref().map(|p| report::EndpointsWriter::create(p, problem)).transpose()?;
    let mut labels = Vec::new();
    let mut keep = |chunk: &Chunk| {
        labels.extend_from_slice(chunk.labels);
        Ok(())
    };
    let range = plan.walker_range(problem.walkers);
    let mut progress = Progress::new(range.end - range.start, !config.quiet);
    let mut sinks: Vec<&mut dyn Sink> = vec![&mut progress];
    if let Some(writer) = endpoints_csv.as_mut() {
        sinks.push(writer);
    }
    if keep_labels {
        sinks.push(&mut keep);
    }
    let mut outcome = pipeline::run(problem, plan, engine, &mut sinks, &interrupt::requested)?;
    drop(sinks);
    progress.bar.finish_and_clear();
    // Device set-up counts too.
    outcome.timing.total_s = started.elapsed().as_secs_f64();
    let trajectories = match &config.trajectories {
        Some(spec) if !outcome.partial => {
            let (points, stopped) = trajectories::record(problem, engine, spec, &interrupt::requested)?;
            outcome.partial |= stopped;
            points
        }
        _ => Vec::new(),
    };
    let report = Report::new(problem, plan, engine.device(), &outcome);
    let o = &config.outputs;
    export::stage(batch, &report, &[(o.json.as_deref(), &Json), (o.csv_basins.as_deref(), &Csv)])?;
    if let Some(writer) = endpoints_csv {
        writer.finish(batch, &report_ids(&outcome.summary), outcome.partial)?;
    }
    if let Some(path) = &o.csv_trajectories {
        trajectories::write_csv(batch, path, &trajectories, outcome.partial)?;
    }
    Ok(Done { outcome, report, trajectories, labels })
}

/// `multistart [OPTIONS]`: one run, its table, its files.
pub fn single_run(config: &RunConfig, started: Instant) -> Result<Completion> {
    if config.trajectories.is_some() && config.outputs.csv_trajectories.is_none() {
        return Err(Error::Input("--trajectories needs --csv-trajectories FILE to write the paths to".into()));
    }
    let mut engine = engine_for(config)?;
    let mut batch = Batch::new();
    let done = execute(config, engine.as_mut(), started, false, &mut batch)?;
    batch.commit()?;
    print_table(&done.report, &config.outputs);
    Ok(Completion::of(done.outcome.partial))
}
