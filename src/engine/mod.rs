//! Engines turn a range of walker indices into endpoints. The descent step
//! here is the CPU twin of `shaders/descent.wgsl`: the same update, in the
//! same order, so the f32 CPU engine produces what the GPU should.

pub mod cpu;
pub mod gpu;
pub mod simd;

use std::ops::Range;

use num_traits::Float;
use serde::Serialize;

use crate::config::{Backend, Precision, RunConfig};
use crate::error::{Error, Result};
use crate::surface::{Real, Surface};

/// Why a walker stopped (argmin's "termination reason").
/// Values match the `STATUS_*` constants in shaders/descent.wgsl.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[repr(u32)]
pub enum Status {
    /// Still moving when the step budget ran out.
    Moving = 0,
    /// |grad f| fell below `tol`.
    Converged = 1,
    /// Left the escape box (`--bound` half-widths from the region's centre).
    Escaped = 2,
    /// A coordinate became NaN or infinite.
    NonFinite = 3,
}

impl Status {
    pub fn from_u32(v: u32) -> Status {
        match v {
            1 => Status::Converged,
            2 => Status::Escaped,
            3 => Status::NonFinite,
            _ => Status::Moving,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Status::Moving => "moving",
            Status::Converged => "converged",
            Status::Escaped => "escaped",
            Status::NonFinite => "nonfinite",
        }
    }
}

/// One walker's end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Endpoint {
    pub index: u64,
    pub start: [f64; 2],
    pub point: [f64; 2],
    pub f: f64,
    pub grad_norm: f64,
    /// Updates applied (steps taken).
    pub iterations: u32,
    pub status: Status,
}

/// What ran a job, for the header and the JSON `device`.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceInfo {
    /// "cpu" or "gpu".
    pub backend: &'static str,
    /// CPU model, or GPU adapter name.
    pub name: String,
    /// "rayon" on the CPU; the graphics API (Vulkan, Metal, DX12) on the GPU.
    pub api: String,
    /// Device type and driver, for GPUs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// CPU threads used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
}

impl DeviceInfo {
    /// "cpu: AMD EPYC (2 threads)" or "gpu: llvmpipe (Vulkan, Cpu, llvmpipe)".
    pub fn describe(&self) -> String {
        match (self.threads, &self.driver) {
            (Some(t), _) => format!("{}: {} ({t} threads)", self.backend, self.name),
            (None, Some(d)) => format!("{}: {} ({}, {d})", self.backend, self.name, self.api),
            (None, None) => format!("{}: {} ({})", self.backend, self.name, self.api),
        }
    }
}

pub trait Engine {
    fn device(&self) -> &DeviceInfo;
    /// Walkers per chunk when the user does not choose.
    fn preferred_chunk(&self) -> u64;
    /// Runs walkers `range` of the job to their ends, in index order.
    fn descend(&mut self, config: &RunConfig, range: Range<u64>) -> Result<Vec<Endpoint>>;
}

/// Step parameters in the engine's float type.
/// f32 twin: `Params` in src/engine/gpu/mod.rs and shaders/descent.wgsl.
#[derive(Clone, Copy, Debug)]
pub struct StepParams<T> {
    pub lr: T,
    /// tol^2, so the early-stop test needs no square root.
    pub tol2: T,
    /// Escape box corners.
    pub lo: [T; 2],
    pub hi: [T; 2],
}

impl<T: Float> StepParams<T> {
    pub fn new(config: &RunConfig) -> Self {
        let b = config.escape_box();
        let t = |v: f64| T::from(v).expect("finite parameter");
        StepParams {
            lr: t(config.lr),
            tol2: t(config.tol * config.tol),
            lo: [t(b.x[0]), t(b.y[0])],
            hi: [t(b.x[1]), t(b.y[1])],
        }
    }
}

/// A walker between steps. Twin of `Walker` in shaders/descent.wgsl.
#[derive(Clone, Copy, Debug)]
pub struct WalkerState<T> {
    pub p: [T; 2],
    pub iterations: u32,
    pub status: Status,
}

/// Runs up to `steps` more plain gradient-descent updates on one walker.
/// Twin of `advance` in shaders/descent.wgsl, line for line.
#[inline(always)]
pub fn advance<T: Float + Real>(surface: &Surface, w: &mut WalkerState<T>, steps: u32, params: &StepParams<T>) {
    for _ in 0..steps {
        if w.status != Status::Moving {
            break;
        }
        let g = surface.gradient(w.p);
        if g[0] * g[0] + g[1] * g[1] < params.tol2 {
            w.status = Status::Converged;
            break;
        }
        w.p = [w.p[0] - params.lr * g[0], w.p[1] - params.lr * g[1]];
        w.iterations += 1;
        if !(w.p[0].is_finite() && w.p[1].is_finite()) {
            w.status = Status::NonFinite;
        } else if w.p[0] < params.lo[0] || w.p[0] > params.hi[0] || w.p[1] < params.lo[1] || w.p[1] > params.hi[1] {
            w.status = Status::Escaped;
        }
    }
}

/// f and |grad f| at the walker's position. Twin of `finish` in the shader.
#[inline(always)]
pub fn finish<T: Float + Real>(surface: &Surface, w: &WalkerState<T>) -> (T, T) {
    let g = surface.gradient(w.p);
    (surface.value(w.p), Float::sqrt(g[0] * g[0] + g[1] * g[1]))
}

/// Picks the engine for `config`, with a notice for stderr saying what was
/// chosen and why when the user left it to `--backend auto`.
pub fn select(config: &RunConfig) -> Result<(Box<dyn Engine>, Option<String>)> {
    use gpu::{AdapterChoice, GpuContext, GpuEngine};
    let named = config.adapter.clone().map(AdapterChoice::Named);
    let gpu_engine =
        |ctx: GpuContext| -> Result<Box<dyn Engine>> { Ok(Box::new(GpuEngine::new(ctx, &config.surface)?)) };
    match config.backend {
        Backend::Cpu => Ok((Box::new(cpu::CpuEngine::new()), None)),
        Backend::Gpu => Ok((gpu_engine(GpuContext::new(&named.unwrap_or(AdapterChoice::Any))?)?, None)),
        Backend::Auto if config.precision == Precision::F64 => Ok((
            Box::new(cpu::CpuEngine::new()),
            Some("note: using the CPU engine: --precision f64 runs on the CPU only".into()),
        )),
        Backend::Auto => match GpuContext::new(&named.unwrap_or(AdapterChoice::HardwareOnly)) {
            Ok(ctx) => {
                let name = ctx.adapter.get_info().name;
                Ok((gpu_engine(ctx)?, Some(format!("note: using the GPU engine on {name}"))))
            }
            Err(Error::NoAdapter(_)) if config.adapter.is_none() => {
                let software: Vec<String> = gpu::list_adapters().into_iter().map(|a| a.name).collect();
                let why = if software.is_empty() {
                    "no GPU adapter found".to_string()
                } else {
                    format!(
                        "no hardware GPU found (only the software adapter {}, which --backend gpu runs; \
                         the CPU engine is the better use of the same cores)",
                        software.join(", ")
                    )
                };
                Ok((Box::new(cpu::CpuEngine::new()), Some(format!("note: using the CPU engine: {why}"))))
            }
            Err(e) => Err(e),
        },
    }
}
