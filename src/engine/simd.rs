//! The fast f32 CPU engine: walkers in blocks of `LANES` (structure of
//! arrays), the peaks gradient evaluated on whole blocks with a polynomial
//! exp that vectorises, rayon over blocks, and AVX2+FMA chosen at run time
//! where the CPU has it.
//!
//! `run_block` is `engine::advance` lane by lane: the same update in the
//! same order, with masks where the scalar loop branches. Its endpoints
//! differ from the shader's only by exp's last bits.

use std::ops::{Add, Div, Mul, Neg, Range, Sub};

use rayon::prelude::*;

use super::{Endpoint, Status, StepParams};
use crate::config::{Optimizer, RunConfig};
use crate::starts::StartFn;
use crate::surface::{Real, Surface};

/// Walkers per block: one AVX2 register of f32 (16 measured slower: spills).
pub const LANES: usize = 8;

/// `LANES` f32 values, one per walker; LLVM turns the lane loops into
/// vector instructions.
#[derive(Clone, Copy, Debug)]
pub struct Lanes(pub [f32; LANES]);

macro_rules! lane_op {
    ($trait:ident, $method:ident, $op:tt) => {
        impl $trait for Lanes {
            type Output = Lanes;
            #[inline(always)]
            fn $method(mut self, rhs: Lanes) -> Lanes {
                for i in 0..LANES {
                    self.0[i] $op rhs.0[i];
                }
                self
            }
        }
    };
}
lane_op!(Add, add, +=);
lane_op!(Sub, sub, -=);
lane_op!(Mul, mul, *=);
lane_op!(Div, div, /=);

impl Neg for Lanes {
    type Output = Lanes;
    #[inline(always)]
    fn neg(mut self) -> Lanes {
        for v in &mut self.0 {
            *v = -*v;
        }
        self
    }
}

/// Lane by lane; exp is the polynomial that vectorises, the rest (used by
/// formulas only) call the f32 functions per lane.
macro_rules! lane_map {
    ($($name:ident),*) => {
        $(
            #[inline(always)]
            fn $name(mut self) -> Self {
                for v in &mut self.0 {
                    *v = Real::$name(*v);
                }
                self
            }
        )*
    };
}

impl Real for Lanes {
    #[inline(always)]
    fn splat(v: f64) -> Self {
        Lanes([v as f32; LANES])
    }
    #[inline(always)]
    fn exp(mut self) -> Self {
        for v in &mut self.0 {
            *v = exp_poly(*v);
        }
        self
    }
    lane_map!(ln, sqrt, abs, sin, cos, tan, tanh, signum);
    #[inline(always)]
    fn powf(mut self, e: Self) -> Self {
        for (v, e) in self.0.iter_mut().zip(e.0) {
            *v = v.powf(e);
        }
        self
    }
}

/// e^x in f32 without a library call (Cephes' expf): x = n ln2 + r with
/// |r| <= ln2/2, e^r by a degree-6 polynomial, 2^n from the exponent bits.
/// Within 2 ulp of `f32::exp` where the result is normal; 0 below -87.
#[inline(always)]
// max/min, not clamp: clamp's NaN handling keeps LLVM from vectorising.
// The coefficients are Cephes' as published.
#[allow(clippy::manual_clamp, clippy::excessive_precision)]
pub fn exp_poly(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Round to nearest by adding and removing 1.5 * 2^23: no library call.
    const ROUND: f32 = 12_582_912.0;
    // max/min rather than clamp, and bit masks rather than branches, so
    // that every line maps to one vector instruction.
    let xc = x.max(-87.0).min(88.0);
    let n = (xc * LOG2E + ROUND) - ROUND;
    let r = xc - n * LN2_HI - n * LN2_LO;
    let z = r * r;
    let p = ((((1.987_569_2e-4 * r + 1.398_2e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r + 1.666_666_5e-1) * r
        + 5.000_000_1e-1;
    let e_r = p * z + r + 1.0;
    // n is a whole number in [-126, 128]: its exponent bits need no
    // saturating conversion (whose fix-ups would stop vectorisation).
    let n_int = (n + ROUND).to_bits() as i32 - ROUND.to_bits() as i32;
    let scale = f32::from_bits(((n_int + 127) << 23) as u32);
    let keep = 0u32.wrapping_sub((x >= -87.0) as u32);
    f32::from_bits((e_r * scale).to_bits() & keep)
}

/// A block of walkers between steps. Lane twin of `engine::WalkerState`.
#[derive(Clone, Copy, Debug)]
struct Block {
    x: [f32; LANES],
    y: [f32; LANES],
    iterations: [u32; LANES],
    status: [u32; LANES],
}

const MOVING: u32 = Status::Moving as u32;
const CONVERGED: u32 = Status::Converged as u32;
const ESCAPED: u32 = Status::Escaped as u32;
const NONFINITE: u32 = Status::NonFinite as u32;

/// `engine::advance` on a block, with masks for its branches.
#[inline(always)]
fn run_block(surface: &Surface, b: &mut Block, steps: u32, params: &StepParams<f32>) {
    for _ in 0..steps {
        if b.status.iter().all(|&s| s != MOVING) {
            break;
        }
        let [gx, gy] = surface.gradient2([Lanes(b.x), Lanes(b.y)]);
        for l in 0..LANES {
            let (gx, gy) = (gx.0[l], gy.0[l]);
            let moving = b.status[l] == MOVING;
            let converged = gx * gx + gy * gy < params.tol2;
            let update = moving & !converged;
            let x = b.x[l] - params.lr * gx;
            let y = b.y[l] - params.lr * gy;
            let nonfinite = !((x.abs() < f32::INFINITY) & (y.abs() < f32::INFINITY));
            let escaped = (x < params.lo[0]) | (x > params.hi[0]) | (y < params.lo[1]) | (y > params.hi[1]);
            b.x[l] = if update { x } else { b.x[l] };
            b.y[l] = if update { y } else { b.y[l] };
            b.iterations[l] += update as u32;
            let status = if update & escaped { ESCAPED } else { b.status[l] };
            let status = if update & nonfinite { NONFINITE } else { status };
            b.status[l] = if moving & converged { CONVERGED } else { status };
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_block_avx2(surface: &Surface, b: &mut Block, steps: u32, params: &StepParams<f32>) {
    run_block(surface, b, steps, params)
}

fn run_block_portable(surface: &Surface, b: &mut Block, steps: u32, params: &StepParams<f32>) {
    run_block(surface, b, steps, params)
}

/// The instruction set the blocks run with on this CPU.
pub fn instruction_set() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        return "avx2+fma";
    }
    "portable"
}

fn run_block_best(surface: &Surface, b: &mut Block, steps: u32, params: &StepParams<f32>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA, checked just above.
        unsafe { run_block_avx2(surface, b, steps, params) };
        return;
    }
    run_block_portable(surface, b, steps, params)
}

/// Whether the blocks run this job: plain gradient descent on a 2-D surface
/// (hand-written, or a formula in x and y).
pub fn handles(config: &RunConfig) -> bool {
    config.optimizer == Optimizer::Gd && config.surface.dim() == 2
}

/// Descends walkers `range` of the job, `LANES` at a time.
pub fn descend_range(config: &RunConfig, range: Range<u64>) -> Vec<Endpoint> {
    let params = StepParams::<f32>::new(config);
    let start_of = StartFn::<f32>::new(config);
    let surface = &config.surface;
    let blocks = (range.end - range.start).div_ceil(LANES as u64);
    (0..blocks)
        .into_par_iter()
        .flat_map_iter(|k| {
            let first = range.start + k * LANES as u64;
            let count = ((range.end - first) as usize).min(LANES);
            // Spare lanes of the last block start stopped, so they cost nothing.
            let mut b = Block { x: [0.0; LANES], y: [0.0; LANES], iterations: [0; LANES], status: [CONVERGED; LANES] };
            for l in 0..count {
                let mut start = [0.0f32; 2];
                start_of.point(first + l as u64, &mut start);
                [b.x[l], b.y[l]] = start;
                b.status[l] = MOVING;
            }
            run_block_best(surface, &mut b, config.steps, &params);
            // f and |grad f|: `engine::finish`, lane by lane.
            let g = surface.gradient2([Lanes(b.x), Lanes(b.y)]);
            let f = surface.value2([Lanes(b.x), Lanes(b.y)]);
            (0..count).map(move |l| Endpoint {
                index: first + l as u64,
                point: vec![b.x[l] as f64, b.y[l] as f64],
                f: f.0[l] as f64,
                grad_norm: (g[0].0[l] * g[0].0[l] + g[1].0[l] * g[1].0[l]).sqrt() as f64,
                iterations: b.iterations[l],
                status: Status::from_u32(b.status[l]),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_poly_is_within_2_ulp_of_exp() {
        let mut worst = 0u32;
        let mut x = -87.0f32;
        while x < 88.0 {
            let (a, b) = (exp_poly(x), x.exp());
            worst = worst.max(a.to_bits().abs_diff(b.to_bits()));
            x += 0.0137;
        }
        assert!(worst <= 2, "worst {worst} ulp");
        assert_eq!(exp_poly(-100.0), 0.0);
        assert_eq!(exp_poly(0.0), 1.0);
    }
}
