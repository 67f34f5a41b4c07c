//! The CPU engine: f32 gradient descent on 2-D surfaces runs on the fast
//! SIMD blocks of `engine::simd`; everything else (f64, the accuracy
//! reference; other optimizers; D dimensions) runs `engine::advance` one
//! walker per rayon task, the shader's literal twin.

use std::ops::Range;

use num_traits::Float;
use rayon::prelude::*;

use super::simd::InstructionSet;
use super::{DeviceInfo, Endpoint, Engine, StepParams, WalkerState, advance, finish};
use crate::error::Result;
use crate::problem::{Precision, Problem};
use crate::starts;
use crate::surface::{MAX_DIM, Real};

/// The engine that runs walkers on the CPU's threads.
pub struct CpuEngine {
    device: DeviceInfo,
    /// What the fast f32 engine runs with.
    set: InstructionSet,
}

impl CpuEngine {
    /// The engine on the fastest instruction set this CPU has.
    pub fn new() -> Self {
        Self::on(InstructionSet::best())
    }

    /// The engine with its fast f32 path held to `set`, which the CPU must have.
    pub fn on(set: InstructionSet) -> Self {
        assert!(set.available(), "this CPU cannot run {}", set.name());
        CpuEngine {
            device: DeviceInfo {
                backend: "cpu",
                name: cpu_model(),
                api: format!("rayon, {}", set.name()),
                driver: None,
                threads: Some(rayon::current_num_threads()),
            },
            set,
        }
    }
}

impl Default for CpuEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine for CpuEngine {
    fn device(&self) -> &DeviceInfo {
        &self.device
    }

    fn preferred_chunk(&self) -> u64 {
        // About a second of work at 1000 steps: progress and Ctrl-C stay prompt.
        1 << 18
    }

    fn descend(&mut self, problem: &Problem, range: Range<u64>) -> Result<Vec<Endpoint>> {
        Ok(match problem.precision {
            Precision::F32 if super::simd::handles(problem) => super::simd::descend_range_on(self.set, problem, range),
            Precision::F32 => descend_scalar::<f32>(problem, range),
            Precision::F64 => descend_scalar::<f64>(problem, range),
        })
    }
}

/// `engine::advance`, one walker per rayon task, in T.
pub fn descend_scalar<T: Float + Real + Send + Sync>(problem: &Problem, range: Range<u64>) -> Vec<Endpoint> {
    let params = StepParams::<T>::new(problem);
    let start_of = starts::StartFn::<T>::new(problem);
    let dim = problem.surface.dim();
    range
        .into_par_iter()
        .map(|index| {
            let mut start = [T::zero(); MAX_DIM];
            start_of.point(index, &mut start[..dim]);
            let mut w = WalkerState::at(&start[..dim]);
            advance(&problem.surface, &mut w, problem.steps, &params);
            let (f, grad_norm) = finish(&problem.surface, &w, dim);
            let wide = |v: T| v.to_f64().unwrap_or(f64::NAN);
            Endpoint {
                index,
                point: w.p[..dim].iter().map(|&v| wide(v)).collect(),
                f: wide(f),
                grad_norm: wide(grad_norm),
                iterations: w.iterations,
                status: w.status,
            }
        })
        .collect()
}

/// The CPU's model name, from /proc/cpuinfo where there is one.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}
