//! `Plan`: how a [`Problem`] is carried out, which changes no walker's
//! result: which of its walkers run (all, or one shard), how many go to
//! the engine at once, and which engine runs them.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::error::{Result, invalid};
use crate::problem::{Precision, Problem};

/// Host memory one walker of a chunk takes, in bytes, beyond 8 per
/// coordinate: its endpoint record, its label and the engine's state for
/// it, with room to spare (the CPU engine holds a whole chunk at once).
const HOST_BYTES_PER_WALKER: u64 = 256;

/// Which engine runs the walkers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// A hardware GPU when there is one, else the CPU engine.
    Auto,
    /// The CPU engine (rayon, and SIMD lanes where they apply).
    Cpu,
    /// The GPU engine (wgpu), on any adapter, software ones included.
    Gpu,
}

impl Backend {
    /// "auto", "cpu" or "gpu".
    pub fn name(self) -> &'static str {
        match self {
            Backend::Auto => "auto",
            Backend::Cpu => "cpu",
            Backend::Gpu => "gpu",
        }
    }
}

/// How a problem runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Which engine.
    pub backend: Backend,
    /// Picks the GPU adapter whose name contains this text.
    pub adapter: Option<String>,
    /// Walkers per chunk; `None` lets the engine choose.
    pub chunk: Option<u64>,
    /// Most steps in one GPU dispatch.
    pub steps_per_dispatch: u32,
    /// Run only shard k of n: walkers [k*W/n, (k+1)*W/n).
    pub shard: Option<(u64, u64)>,
}

impl Default for Plan {
    /// Every walker, on the best engine found, in chunks it chooses.
    fn default() -> Self {
        Plan { backend: Backend::Auto, adapter: None, chunk: None, steps_per_dispatch: 250, shard: None }
    }
}

impl Plan {
    /// A plan on the CPU engine, which needs no device.
    pub fn cpu() -> Self {
        Plan { backend: Backend::Cpu, ..Plan::default() }
    }

    /// Checks the plan against the problem it runs; errors name the field.
    pub fn validate(self, problem: &Problem) -> Result<Self> {
        if self.steps_per_dispatch == 0 {
            return Err(invalid("steps_per_dispatch", "0: expected at least 1"));
        }
        if self.chunk == Some(0) {
            return Err(invalid("chunk", "0: expected at least 1 walker per chunk"));
        }
        if self.backend == Backend::Gpu && problem.precision == Precision::F64 {
            return Err(invalid("precision", "f64 runs on the CPU only: the GPU engine is f32 (use --backend cpu)"));
        }
        if let Some((k, n)) = self.shard
            && (n == 0 || k >= n || n > problem.walkers)
        {
            return Err(invalid(
                "shard",
                format!("{k}/{n}: expected K/N with 0 <= K < N <= walkers ({})", problem.walkers),
            ));
        }
        self.check_memory(problem)?;
        Ok(self)
    }

    /// Refuses a chunk whose walkers would not fit in the memory the
    /// machine has free (half of it, to leave room for the rest).
    fn check_memory(&self, problem: &Problem) -> Result<()> {
        let Some(chunk) = self.chunk else { return Ok(()) };
        let per_walker = HOST_BYTES_PER_WALKER + 8 * problem.surface.dim() as u64;
        let budget = crate::memory::available_bytes() / 2;
        if chunk.saturating_mul(per_walker) > budget {
            return Err(invalid(
                "chunk",
                format!(
                    "{chunk}: walkers of {per_walker} bytes each would not fit in half the memory free ({} MiB); \
                     expected at most {}",
                    budget >> 20,
                    budget / per_walker
                ),
            ));
        }
        Ok(())
    }

    /// The walker indices this plan runs of `walkers`: all, or its shard's.
    pub fn walker_range(&self, walkers: u64) -> Range<u64> {
        match self.shard {
            None => 0..walkers,
            Some((k, n)) => {
                let at = |k: u64| (k as u128 * walkers as u128 / n as u128) as u64;
                at(k)..at(k + 1)
            }
        }
    }
}
