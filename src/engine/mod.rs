//! Engines turn a range of walker indices into endpoints. The descent step
//! here is the CPU twin of `shaders/descent.wgsl`: the same update, in the
//! same order, so the f32 CPU engine produces what the GPU should.

pub mod cpu;
pub mod gpu;
pub mod simd;

use std::ops::Range;

use num_traits::Float;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::optim::{Optimizer, Settings};
use crate::plan::{Backend, Plan};
use crate::problem::{Precision, Problem};
use crate::surface::{MAX_DIM, Real, Surface};
pub use crate::walker::{Status, WalkerState};

/// One walker's end. (Its start is a pure function of the index: see
/// `starts::StartFn`.)
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    /// The walker's index in the job (0 to walkers - 1).
    pub index: u64,
    /// Where it ended (D coordinates).
    pub point: Vec<f64>,
    /// f there.
    pub f: f64,
    /// |grad f| there.
    pub grad_norm: f64,
    /// Updates applied (steps taken).
    pub iterations: u32,
    /// Why it stopped.
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

/// Something that runs walkers: the CPU engines and the GPU's.
pub trait Engine {
    /// What runs the walkers.
    fn device(&self) -> &DeviceInfo;
    /// Walkers per chunk when the user does not choose.
    fn preferred_chunk(&self) -> u64;
    /// Runs walkers `range` of the job to their ends, in index order.
    fn descend(&mut self, problem: &Problem, range: Range<u64>) -> Result<Vec<Endpoint>>;
    /// The last `descend`'s seconds on the device by its own clock (GPU
    /// timestamp queries), where it has one.
    fn device_seconds(&self) -> Option<f64> {
        None
    }
}

/// Step parameters in the engine's float type.
/// f32 twin: `Params` in src/engine/gpu/mod.rs and shaders/descent.wgsl.
#[derive(Clone, Copy, Debug)]
pub struct StepParams<T> {
    /// The update rule.
    pub optimizer: Optimizer,
    /// Its learning rate and parameters.
    pub settings: Settings<T>,
    /// tol^2, so the early-stop test needs no square root.
    pub tol2: T,
    /// Escape box corners.
    pub lo: [T; MAX_DIM],
    /// See `lo`.
    pub hi: [T; MAX_DIM],
}

impl<T: Float> StepParams<T> {
    /// `problem`'s step parameters, rounded to T.
    pub fn new(problem: &Problem) -> Self {
        let b = problem.escape_box();
        let t = |v: f64| T::from(v).expect("finite parameter");
        let (mut lo, mut hi) = ([T::zero(); MAX_DIM], [T::zero(); MAX_DIM]);
        for (k, axis) in b.axes.iter().enumerate() {
            lo[k] = t(axis[0]);
            hi[k] = t(axis[1]);
        }
        let settings = Settings {
            dim: problem.surface.dim(),
            lr: t(problem.lr),
            values: problem.optimizer.values(&problem.optimizer_params).map(t),
        };
        StepParams { optimizer: problem.optimizer, settings, tol2: t(problem.tol * problem.tol), lo, hi }
    }
}

fn norm2<T: Float>(a: &[T]) -> T {
    a.iter().fold(T::zero(), |s, &x| s + x * x)
}

/// Runs up to `steps` more updates on one walker.
/// Twin of `advance` in shaders/descent.wgsl, line for line.
#[inline(always)]
pub fn advance<T: Float + Real>(surface: &Surface, w: &mut WalkerState<T>, steps: u32, params: &StepParams<T>) {
    let n = params.settings.dim;
    let mut g = [T::zero(); MAX_DIM];
    for _ in 0..steps {
        if w.status != Status::Moving {
            break;
        }
        surface.gradient(&w.p[..n], &mut g[..n]);
        // Settled: the gradient, and any momentum, below tol.
        if norm2(&g[..n]) < params.tol2 && norm2(&w.m[..n]) < params.tol2 {
            w.status = Status::Converged;
            break;
        }
        params.optimizer.step(surface, w, &g[..n], &params.settings);
        w.iterations += 1;
        let mut finite = true;
        let mut outside = false;
        for k in 0..n {
            let x = w.p[k];
            finite = finite && x.is_finite();
            outside = outside || x < params.lo[k] || x > params.hi[k];
        }
        if !finite {
            w.status = Status::NonFinite;
        } else if outside {
            w.status = Status::Escaped;
        }
    }
}

/// f and |grad f| at the walker's position. Twin of `finish` in the shader.
#[inline(always)]
pub fn finish<T: Float + Real>(surface: &Surface, w: &WalkerState<T>, dim: usize) -> (T, T) {
    let mut g = [T::zero(); MAX_DIM];
    surface.gradient(&w.p[..dim], &mut g[..dim]);
    (surface.value(&w.p[..dim]), Float::sqrt(norm2(&g[..dim])))
}

/// Picks the engine `plan` names for `problem`, with a notice for stderr
/// saying what was chosen and why when the plan left it to `Backend::Auto`.
pub fn select(problem: &Problem, plan: &Plan) -> Result<(Box<dyn Engine>, Option<String>)> {
    use gpu::{AdapterChoice, GpuContext, GpuEngine};
    let named = plan.adapter.clone().map(AdapterChoice::Named);
    let gpu_engine = |ctx: GpuContext| -> Result<Box<dyn Engine>> {
        let mut engine = GpuEngine::new(ctx, &problem.surface)?;
        engine.set_steps_per_dispatch(plan.steps_per_dispatch);
        Ok(Box::new(engine))
    };
    match plan.backend {
        Backend::Cpu => Ok((Box::new(cpu::CpuEngine::new()), None)),
        Backend::Gpu => Ok((gpu_engine(GpuContext::new(&named.unwrap_or(AdapterChoice::Any))?)?, None)),
        Backend::Auto if problem.precision == Precision::F64 => Ok((
            Box::new(cpu::CpuEngine::new()),
            Some("note: using the CPU engine: --precision f64 runs on the CPU only".into()),
        )),
        Backend::Auto => match GpuContext::new(&named.unwrap_or(AdapterChoice::HardwareOnly)) {
            Ok(ctx) => {
                let name = ctx.adapter.get_info().name;
                Ok((gpu_engine(ctx)?, Some(format!("note: using the GPU engine on {name}"))))
            }
            Err(Error::NoAdapter(_)) if plan.adapter.is_none() => {
                let software: Vec<String> = gpu::list_adapters().into_iter().map(|a| a.name).collect();
                let why = if software.is_empty() {
                    "no GPU adapter found".to_string()
                } else {
                    format!(
                        "no hardware GPU found (only the software adapter {}, which runs on these same \
                         CPU cores; --backend gpu uses it)",
                        software.join(", ")
                    )
                };
                Ok((Box::new(cpu::CpuEngine::new()), Some(format!("note: using the CPU engine: {why}"))))
            }
            Err(e) => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::OptimizerParams;

    fn params(optimizer: Optimizer, surface: Surface) -> (Problem, StepParams<f64>) {
        let full_newton = OptimizerParams::new().with("damping", 1.0).unwrap();
        let c = Problem {
            optimizer,
            optimizer_params: if optimizer == Optimizer::Newton { full_newton } else { OptimizerParams::new() },
            tol: 1e-10,
            ..Problem::new(surface)
        };
        let p = StepParams::new(&c);
        (c, p)
    }

    /// Adam's bias correction makes its first step lr long in each coordinate.
    #[test]
    fn adam_first_step_is_lr_per_coordinate() {
        let (c, p) = params(Optimizer::Adam, Surface::Peaks);
        let mut w = WalkerState::at(&[0.5, 0.5]);
        advance(&c.surface, &mut w, 1, &p);
        for k in 0..2 {
            assert!(((w.p[k] - 0.5).abs() - 0.01).abs() < 1e-9, "{:?}", &w.p[..2]);
        }
    }

    /// Full Newton steps converge quadratically: a handful of steps from
    /// near the global minimum of peaks.
    #[test]
    fn newton_converges_in_a_few_steps_near_a_minimum() {
        let (c, p) = params(Optimizer::Newton, Surface::Peaks);
        let mut w = WalkerState::at(&[0.3, -1.5]);
        advance(&c.surface, &mut w, 1000, &p);
        assert_eq!(w.status, Status::Converged);
        assert!(w.iterations <= 6, "{} iterations", w.iterations);
        assert!((w.p[0] - 0.228279).abs() < 1e-6 && (w.p[1] + 1.625535).abs() < 1e-6);
    }

    /// Where the Hessian is not positive definite (at a maximum), Newton
    /// takes a gradient step, downhill, instead of jumping to the maximum.
    #[test]
    fn newton_steps_downhill_where_the_hessian_is_not_positive_definite() {
        let (c, p) = params(Optimizer::Newton, Surface::Peaks);
        let start = [-0.0093, 1.60];
        let mut w = WalkerState::at(&start);
        advance(&c.surface, &mut w, 1, &p);
        assert!(c.surface.value(&w.p[..2]) < c.surface.value(&start));
    }

    /// Momentum's velocity builds up: on a bowl, the second step is longer
    /// than plain gradient descent's.
    #[test]
    fn momentum_accumulates_velocity() {
        let bowl = Surface::from_name("bowl").unwrap();
        let (c, p) = params(Optimizer::Momentum, bowl.clone());
        let (_, plain) = params(Optimizer::Gd, bowl);
        let (mut m, mut g) = (WalkerState::at(&[1.0, 0.0]), WalkerState::at(&[1.0, 0.0]));
        advance(&c.surface, &mut m, 2, &p);
        advance(&c.surface, &mut g, 2, &plain);
        // gd: 1 -> 0.98 -> 0.9604; momentum: 1 -> 0.98 -> 0.98 - 0.01 (1.96 + 0.9 * 2) = 0.9424.
        assert!((g.p[0] - 0.9604).abs() < 1e-12 && (m.p[0] - 0.9424).abs() < 1e-12, "{} {}", g.p[0], m.p[0]);
    }
}
