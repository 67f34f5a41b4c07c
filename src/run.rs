//! One run: chunk by chunk, the engine descends and the basin stage
//! summarises; data flows one way, from config to summary.

use std::time::Instant;

use crate::basins::{BasinParams, Label, Summary};
use crate::config::RunConfig;
use crate::engine::{Endpoint, Engine};
use crate::error::Result;

/// Seconds spent, for the header and the JSON `timing`.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Timing {
    /// Start-up to the end of the basin stage, device set-up included.
    pub total_s: f64,
    /// Engine time, all chunks.
    pub descent_s: f64,
    /// Classification, clustering and polishing, all chunks.
    pub basins_s: f64,
}

pub struct Outcome {
    pub summary: Summary,
    pub timing: Timing,
    /// Walker-steps actually taken (early stops make it less than
    /// walkers x steps).
    pub walker_steps: u64,
    /// Every endpoint with its label, when asked for.
    pub endpoints: Option<Vec<(Endpoint, Label)>>,
}

/// Runs every walker of `config` on `engine`, keeping the endpoints when
/// asked. `started` is when the process began, so `total_s` counts device
/// set-up too.
pub fn run(config: &RunConfig, engine: &mut dyn Engine, started: Instant, keep_endpoints: bool) -> Result<Outcome> {
    let params = BasinParams::new(config);
    let chunk = config.chunk.unwrap_or_else(|| engine.preferred_chunk()).max(1);
    let mut summary = Summary::default();
    let mut timing = Timing::default();
    let mut walker_steps = 0;
    let mut kept = keep_endpoints.then(Vec::new);
    let mut first = 0;
    while first < config.walkers {
        let range = first..(first + chunk).min(config.walkers);
        first = range.end;
        let t = Instant::now();
        let endpoints = engine.descend(config, range)?;
        timing.descent_s += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let labels = summary.add_chunk(&endpoints, &params);
        timing.basins_s += t.elapsed().as_secs_f64();
        walker_steps += endpoints.iter().map(|e| e.iterations as u64).sum::<u64>();
        if let Some(kept) = kept.as_mut() {
            kept.extend(endpoints.into_iter().zip(labels));
        }
    }
    timing.total_s = started.elapsed().as_secs_f64();
    Ok(Outcome { summary, timing, walker_steps, endpoints: kept })
}
