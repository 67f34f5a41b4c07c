//! One run: chunk by chunk, the engine descends a plan's walkers of a
//! problem, the basin stage labels their endpoints, and each chunk goes to
//! the sinks (an endpoint file, a map's labels, a progress bar). Data flows
//! one way: problem -> starts -> engine -> endpoints -> basins -> sinks.

use std::time::Instant;

use crate::basins::{BasinParams, Label, Summary};
use crate::engine::{Endpoint, Engine};
use crate::error::Result;
use crate::plan::Plan;
use crate::problem::Problem;

/// Seconds spent, for the header and the JSON `timing`.
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Timing {
    /// Start-up to the end of the basin stage, device set-up included
    /// where the caller counts it (the pipeline counts its own time).
    pub total_s: f64,
    /// Engine time, all chunks.
    pub descent_s: f64,
    /// Classification, clustering and polishing, all chunks.
    pub basins_s: f64,
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The basins of the walkers done: all of them unless the run stopped early.
    pub summary: Summary,
    /// `stop` ended the run before every walker was done.
    pub partial: bool,
    /// Seconds spent.
    pub timing: Timing,
    /// Walker-steps actually taken (early stops make it less than
    /// walkers x steps).
    pub walker_steps: u64,
}

/// One chunk as it is done, and the run's progress so far.
#[derive(Clone, Copy, Debug)]
pub struct Chunk<'a> {
    /// The chunk's endpoints, in walker index order.
    pub endpoints: &'a [Endpoint],
    /// Each endpoint's label, in the same order.
    pub labels: &'a [Label],
    /// Walkers done so far, this chunk included.
    pub walkers_done: u64,
    /// Walkers the plan runs in all.
    pub walkers_total: u64,
    /// Walker-steps taken so far.
    pub walker_steps: u64,
    /// Engine seconds so far.
    pub descent_s: f64,
}

/// Receives each chunk as it is made, so that nothing per walker has to
/// stay in memory. Any `FnMut(&Chunk) -> Result<()>` is a sink.
pub trait Sink {
    /// Takes one chunk; an error stops the run.
    fn chunk(&mut self, chunk: &Chunk) -> Result<()>;
}

impl<F: FnMut(&Chunk) -> Result<()>> Sink for F {
    fn chunk(&mut self, chunk: &Chunk) -> Result<()> {
        self(chunk)
    }
}

/// Runs the walkers `plan` gives of `problem` on `engine`, chunk by chunk,
/// handing each chunk to every sink in turn. `stop` is asked before each
/// chunk; once it says so, the run ends with what is done, marked partial.
///
/// ```
/// use multistart::{Plan, Problem, engine::cpu::CpuEngine, pipeline, surface::Surface};
///
/// let problem = Problem { walkers: 1000, ..Problem::new(Surface::Peaks) }.validate()?;
/// let outcome = pipeline::run(&problem, &Plan::cpu(), &mut CpuEngine::new(), &mut [], &|| false)?;
/// assert_eq!(outcome.summary.walkers, 1000);
/// # Ok::<(), multistart::Error>(())
/// ```
pub fn run(
    problem: &Problem,
    plan: &Plan,
    engine: &mut dyn Engine,
    sinks: &mut [&mut dyn Sink],
    stop: &dyn Fn() -> bool,
) -> Result<Outcome> {
    let started = Instant::now();
    let params = BasinParams::new(problem);
    let chunk = plan.chunk.unwrap_or_else(|| engine.preferred_chunk()).max(1);
    let mut summary = Summary::default();
    let mut timing = Timing::default();
    let mut walker_steps = 0;
    let range = plan.walker_range(problem.walkers);
    let mut first = range.start;
    let mut partial = false;
    while first < range.end {
        if stop() {
            partial = true;
            break;
        }
        let part = first..(first + chunk).min(range.end);
        first = part.end;
        let t = Instant::now();
        let endpoints = engine.descend(problem, part)?;
        timing.descent_s += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let labels = summary.add_chunk(&endpoints, &params);
        timing.basins_s += t.elapsed().as_secs_f64();
        walker_steps += endpoints.iter().map(|e| e.iterations as u64).sum::<u64>();
        let done = Chunk {
            endpoints: &endpoints,
            labels: &labels,
            walkers_done: first - range.start,
            walkers_total: range.end - range.start,
            walker_steps,
            descent_s: timing.descent_s,
        };
        for sink in sinks.iter_mut() {
            sink.chunk(&done)?;
        }
    }
    timing.total_s = started.elapsed().as_secs_f64();
    Ok(Outcome { summary, partial, timing, walker_steps })
}
