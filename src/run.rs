//! One run: chunk by chunk, the engine descends and the basin stage
//! summarises; data flows one way, from config to summary.

use std::time::Instant;

use crate::basins::{BasinParams, Label, Summary};
use crate::config::RunConfig;
use crate::engine::{Endpoint, Engine};
use crate::error::Result;
use crate::interrupt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Seconds spent, for the header and the JSON `timing`.
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Timing {
    /// Start-up to the end of the basin stage, device set-up included.
    pub total_s: f64,
    /// Engine time, all chunks.
    pub descent_s: f64,
    /// Classification, clustering and polishing, all chunks.
    pub basins_s: f64,
}

pub struct Outcome {
    /// The walkers done: all of them unless the run was interrupted.
    pub summary: Summary,
    /// Ctrl-C stopped the run before every walker was done.
    pub partial: bool,
    pub timing: Timing,
    /// Walker-steps actually taken (early stops make it less than
    /// walkers x steps).
    pub walker_steps: u64,
}

/// Receives each chunk's endpoints and labels as they are made, so that
/// nothing per walker has to stay in memory.
pub type ChunkSink<'a> = &'a mut dyn FnMut(&[Endpoint], &[Label]) -> Result<()>;

/// A progress bar on stderr that shows itself once a run has taken a
/// second, and only on a terminal (indicatif hides it otherwise).
struct Progress {
    bar: ProgressBar,
    shown: bool,
    since: Instant,
}

impl Progress {
    fn new(walkers: u64, enabled: bool) -> Self {
        let bar = ProgressBar::with_draw_target(Some(walkers), ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template(
            "{bar:32} {human_pos}/{human_len} walkers  {msg}  {elapsed} elapsed, ETA {eta}",
        )
        .expect("valid template");
        bar.set_style(style);
        Progress { bar, shown: !enabled, since: Instant::now() }
    }

    fn advance(&mut self, walkers: u64, walker_steps: u64, descent_s: f64) {
        if !self.shown && self.since.elapsed().as_secs_f64() > 1.0 {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar.inc(walkers);
        self.bar.set_message(format!("{:.2e} walker-steps/s", walker_steps as f64 / descent_s.max(1e-9)));
    }
}

/// Runs every walker of `config` on `engine` (or those done before Ctrl-C),
/// handing each chunk to `sink`. `started` is when the process began, so
/// `total_s` counts device set-up too.
pub fn run(config: &RunConfig, engine: &mut dyn Engine, started: Instant, sink: ChunkSink) -> Result<Outcome> {
    let params = BasinParams::new(config);
    let chunk = config.chunk.unwrap_or_else(|| engine.preferred_chunk()).max(1);
    let mut summary = Summary::default();
    let mut timing = Timing::default();
    let mut walker_steps = 0;
    let range = config.walker_range();
    let mut first = range.start;
    let mut progress = Progress::new(range.end - range.start, !config.quiet);
    let mut partial = false;
    while first < range.end {
        if interrupt::requested() {
            partial = true;
            break;
        }
        let part = first..(first + chunk).min(range.end);
        first = part.end;
        let t = Instant::now();
        let endpoints = engine.descend(config, part)?;
        timing.descent_s += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let labels = summary.add_chunk(&endpoints, &params);
        timing.basins_s += t.elapsed().as_secs_f64();
        walker_steps += endpoints.iter().map(|e| e.iterations as u64).sum::<u64>();
        progress.advance(endpoints.len() as u64, walker_steps, timing.descent_s);
        sink(&endpoints, &labels)?;
    }
    progress.bar.finish_and_clear();
    timing.total_s = started.elapsed().as_secs_f64();
    Ok(Outcome { summary, partial, timing, walker_steps })
}
