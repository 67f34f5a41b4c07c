//! The paths of a few walkers, every M steps, on any engine.
//!
//! The position after k*M steps is the endpoint of a k*M-step descent from
//! the same start: engines are deterministic and a split of the steps gives
//! the same endpoint (tests/gpu.rs checks that for the shader), so this
//! needs nothing from an engine beyond `descend`. It costs steps^2 / (2M)
//! walker-steps per walker: nothing next to a run's millions.

use serde::Serialize;

use crate::engine::{Engine, Status};
use crate::error::Result;
use crate::output::Batch;
use crate::problem::Problem;

/// Which walkers to follow, and how often to record them.
#[derive(Clone, Debug, PartialEq)]
pub struct TrajectorySpec {
    /// The walkers' indices.
    pub walkers: Vec<u64>,
    /// Steps between records.
    pub every: u32,
}

/// One recorded position. A CSV row: walker, step, x, y, f.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TrajectoryPoint {
    /// The walker's index.
    pub walker: u64,
    /// Updates applied so far.
    pub step: u32,
    /// The first coordinate.
    pub x: f64,
    /// The second coordinate.
    pub y: f64,
    /// The surface's value there.
    pub f: f64,
}

/// Records each walker at steps 0, M, 2M, ... until it stops or the budget
/// ends (its last position always included). `stop` is asked before each
/// record; once it says so, the paths recorded so far are returned and the
/// second value is true (the recording is partial).
pub fn record(
    problem: &Problem,
    engine: &mut dyn Engine,
    spec: &TrajectorySpec,
    stop: &dyn Fn() -> bool,
) -> Result<(Vec<TrajectoryPoint>, bool)> {
    let mut out = Vec::new();
    let mut c = problem.clone();
    for &walker in &spec.walkers {
        let mut steps = 0;
        loop {
            if stop() {
                return Ok((out, true));
            }
            c.steps = steps;
            let e = engine.descend(&c, walker..walker + 1)?.swap_remove(0);
            if out.last().is_none_or(|p: &TrajectoryPoint| p.walker != walker || p.step != e.iterations) {
                out.push(TrajectoryPoint { walker, step: e.iterations, x: e.point[0], y: e.point[1], f: e.f });
            }
            if e.status != Status::Moving || steps >= problem.steps {
                break;
            }
            steps = (steps + spec.every).min(problem.steps);
        }
    }
    Ok((out, false))
}

/// The paths as CSV: walker, step, x, y, f, and partial (true when a signal
/// stopped the recording).
pub fn write_csv(batch: &mut Batch, path: &std::path::Path, points: &[TrajectoryPoint], partial: bool) -> Result<()> {
    batch.stage(path, |w| {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(["walker", "step", "x", "y", "f", "partial"])?;
        for p in points {
            out.serialize((p.walker, p.step, p.x, p.y, p.f, partial))?;
        }
        out.flush()
    })
}
