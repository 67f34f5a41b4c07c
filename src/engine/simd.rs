//! The fast f32 CPU engine: walkers in blocks of `LANES` (structure of
//! arrays), the peaks gradient evaluated on whole blocks with a polynomial
//! exp that vectorises, `BLOCKS` blocks stepped side by side per rayon
//! task, and AVX2+FMA chosen at run time where the CPU has it.
//!
//! `run_blocks` is `engine::advance` lane by lane: the same update in the
//! same order, with masks where the scalar loop branches. Its endpoints
//! differ from the shader's only by the last bits of exp and of where a
//! multiply-add is fused.

use std::ops::{Add, BitAnd, Div, Mul, Neg, Not, Range, Sub};

use rayon::prelude::*;

use super::{Endpoint, Status, StepParams};
use crate::config::{Optimizer, RunConfig};
use crate::starts::StartFn;
use crate::surface::{Real, Surface, camel, himmelblau, peaks};

/// Walkers per block: one AVX2 register of f32.
pub const LANES: usize = 8;

/// `LANES` f32 values, one per walker; LLVM turns the lane loops into
/// vector instructions. `FMA`: whether `mul_add` fuses (where the CPU has
/// FMA; without it a fused multiply-add is a slow library call).
#[derive(Clone, Copy, Debug)]
pub struct Lanes<const FMA: bool>(pub [f32; LANES]);

macro_rules! lane_op {
    ($trait:ident, $method:ident, $op:tt) => {
        impl<const FMA: bool> $trait for Lanes<FMA> {
            type Output = Self;
            #[inline(always)]
            fn $method(mut self, rhs: Self) -> Self {
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

impl<const FMA: bool> Neg for Lanes<FMA> {
    type Output = Self;
    #[inline(always)]
    fn neg(mut self) -> Self {
        for v in &mut self.0 {
            *v = -*v;
        }
        self
    }
}

/// One flag per lane as a vector compare leaves it: all ones or zero.
/// (Words rather than bools, which LLVM would keep as bytes and unpack.)
#[derive(Clone, Copy, Debug)]
pub struct Mask(pub [u32; LANES]);

impl Mask {
    #[inline(always)]
    fn from_fn(f: impl Fn(usize) -> bool) -> Mask {
        Mask(std::array::from_fn(|i| 0u32.wrapping_sub(f(i) as u32)))
    }

    #[inline(always)]
    pub fn is_set(self, lane: usize) -> bool {
        self.0[lane] != 0
    }

    #[inline(always)]
    pub fn any(self) -> bool {
        self.0.iter().fold(0, |a, &m| a | m) != 0
    }

    /// Adds one to each counter whose lane is set.
    #[inline(always)]
    pub fn count_into(self, counters: &mut [u32; LANES]) {
        for (c, m) in counters.iter_mut().zip(self.0) {
            *c = c.wrapping_sub(m);
        }
    }
}

impl BitAnd for Mask {
    type Output = Mask;
    #[inline(always)]
    fn bitand(mut self, rhs: Mask) -> Mask {
        for i in 0..LANES {
            self.0[i] &= rhs.0[i];
        }
        self
    }
}

impl Not for Mask {
    type Output = Mask;
    #[inline(always)]
    fn not(mut self) -> Mask {
        for v in &mut self.0 {
            *v = !*v;
        }
        self
    }
}

impl<const FMA: bool> Lanes<FMA> {
    /// The same values, fused or not.
    #[inline(always)]
    pub fn cast<const TO: bool>(self) -> Lanes<TO> {
        Lanes(self.0)
    }

    #[inline(always)]
    pub fn lt(self, rhs: Self) -> Mask {
        Mask::from_fn(|i| self.0[i] < rhs.0[i])
    }

    #[inline(always)]
    pub fn le(self, rhs: Self) -> Mask {
        Mask::from_fn(|i| self.0[i] <= rhs.0[i])
    }

    /// Lane by lane, in the form of one `vmaxps` (`f32::max`'s rule for NaN
    /// costs two more instructions); a NaN lane gives `rhs`.
    #[inline(always)]
    pub fn max(self, rhs: Self) -> Self {
        Lanes(std::array::from_fn(|i| if self.0[i] > rhs.0[i] { self.0[i] } else { rhs.0[i] }))
    }

    /// As `max`: one `vminps`.
    #[inline(always)]
    pub fn min(self, rhs: Self) -> Self {
        Lanes(std::array::from_fn(|i| if self.0[i] < rhs.0[i] { self.0[i] } else { rhs.0[i] }))
    }

    /// `a` where the mask is set, `b` elsewhere.
    #[inline(always)]
    pub fn select(mask: Mask, a: Self, b: Self) -> Self {
        Lanes(std::array::from_fn(|i| f32::from_bits((a.0[i].to_bits() & mask.0[i]) | (b.0[i].to_bits() & !mask.0[i]))))
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

impl<const FMA: bool> Real for Lanes<FMA> {
    #[inline(always)]
    fn splat(v: f64) -> Self {
        Lanes([opaque(v as f32); LANES])
    }
    #[inline(always)]
    fn mul_add(mut self, a: Self, b: Self) -> Self {
        for i in 0..LANES {
            self.0[i] = fused::<FMA>(self.0[i], a.0[i], b.0[i]);
        }
        self
    }
    #[inline(always)]
    fn exp(self) -> Self {
        exp_lanes(self)
    }
    #[inline(always)]
    fn exp2(self) -> Self {
        exp2_lanes(self)
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

/// a * b + c, in one rounding when `FMA`.
#[inline(always)]
fn fused<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// e^r on |r| <= ln2/2: the degree-6 polynomial through the Chebyshev
/// nodes (fitted exactly in rationals, rounded to f32), highest power
/// first for Horner. Within 0.2 ulp of e^r before the f32 rounding of its
/// own steps.
#[allow(clippy::excessive_precision)]
const EXP_POLY: [f32; 7] = [0.001_394_110_8, 0.008_375_126, 0.041_666_351, 0.166_664_15, 0.5, 1.0, 1.0];

/// e^x on lanes without a library call: x = n ln2 + r with |r| <= ln2/2
/// (Cody and Waite's two-part ln2), e^r by `EXP_POLY`, 2^n from the
/// exponent bits. Within 2 ulp of `f32::exp` where the result is normal;
/// 0 below -87.7, where it would be subnormal. Fourteen instructions.
#[inline(always)]
pub fn exp_lanes<const FMA: bool>(x: Lanes<FMA>) -> Lanes<FMA> {
    const LOG2E: f64 = std::f32::consts::LOG2_E as f64;
    const LN2_HI: f64 = 0.693_359_4;
    const LN2_LO: f64 = -2.121_944_4e-4;
    let k = Lanes::<FMA>::splat;
    // -88 rounds to n = -127, whose exponent bits are 0: the result is 0
    // with no mask; 88 to n = 127, the largest.
    let xc = x.max(k(-88.0)).min(k(88.0));
    let t = xc.mul_add(k(LOG2E), k(ROUND));
    let n = t - k(ROUND);
    let r = n.mul_add(k(-LN2_LO), n.mul_add(k(-LN2_HI), xc));
    horner(&EXP_POLY, r) * two_to_the(t)
}

/// Adding 1.5 * 2^23 rounds to a whole number n in the low mantissa bits;
/// the extra 127 is 2^n's exponent bias, added for free.
const ROUND: f64 = 12_582_912.0 + 127.0;

/// 2^n, for t = n + `ROUND` with n from -127 (giving 0) to 127: n + 127,
/// from t's mantissa, shifted into the exponent.
#[inline(always)]
fn two_to_the<const FMA: bool>(mut t: Lanes<FMA>) -> Lanes<FMA> {
    for v in &mut t.0 {
        *v = f32::from_bits(v.to_bits() << 23);
    }
    t
}

/// The polynomial `poly` (highest power first) at r, by Horner's rule.
#[inline(always)]
fn horner<const FMA: bool>(poly: &[f32], r: Lanes<FMA>) -> Lanes<FMA> {
    let mut sum = Lanes::splat(poly[0] as f64);
    for c in &poly[1..] {
        sum = sum.mul_add(r, Lanes::splat(*c as f64));
    }
    sum
}

/// 2^r on |r| <= 1/2: the degree-6 polynomial with constant term 1 of
/// least relative error (Remez, in 50 digits, rounded to f32), highest power
/// first for Horner. Within 3e-9 of 2^r before the f32 rounding of its own
/// steps. (Its linear coefficient is the fit's, which rounds to ln 2.)
#[allow(clippy::excessive_precision, clippy::approx_constant)]
const EXP2_POLY: [f32; 7] =
    [0.000_154_736_61, 0.001_339_869_1, 0.009_618_017, 0.055_503_33, 0.240_226_5, 0.693_147_2, 1.0];

/// 2^x on lanes: x = n + r with n whole and |r| <= 1/2, which is exact (no
/// two-part constant, unlike `exp_lanes`: three additions where exp has
/// three multiply-adds), 2^r by `EXP2_POLY`, 2^n from the exponent bits.
/// Within 1 ulp of `f32::exp2` where the result is normal; 0 below -126.5,
/// where it would be subnormal, and for NaN. Thirteen instructions.
#[inline(always)]
pub fn exp2_lanes<const FMA: bool>(x: Lanes<FMA>) -> Lanes<FMA> {
    let k = Lanes::<FMA>::splat;
    let xc = x.max(k(-127.0)).min(k(127.0));
    let t = xc + k(ROUND);
    let n = t - k(ROUND);
    horner(&EXP2_POLY, xc - n) * two_to_the(t)
}

/// `v`, which the optimiser can no longer see is a constant. Splatted
/// constants would otherwise be reloaded at every use with a broadcast
/// from memory, which on Zen 3 takes a slot of the FMA units (the peaks
/// step ran 15 to 20% faster on one core without them). An opaque value
/// is set up once, outside the step loop, and kept in a register or on
/// the stack, whence it is reloaded whole.
#[inline(always)]
fn opaque(v: f32) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        let mut v = v;
        // SAFETY: an empty template: the register is left as it was.
        unsafe { std::arch::asm!("/* {0} */", inout(xmm_reg) v, options(pure, nomem, nostack, preserves_flags)) };
        v
    }
    #[cfg(not(target_arch = "x86_64"))]
    v
}

/// A block of walkers between steps. Lane twin of `engine::WalkerState`.
#[derive(Clone, Copy, Debug)]
struct Block {
    x: [f32; LANES],
    y: [f32; LANES],
    iterations: [u32; LANES],
    status: [u32; LANES],
    /// f and |grad f| at the end (`engine::finish`).
    f: [f32; LANES],
    grad_norm: [f32; LANES],
}

impl Block {
    /// Spare lanes of the last task stay like this: stopped, so they cost nothing.
    const STOPPED: Block = Block {
        x: [0.0; LANES],
        y: [0.0; LANES],
        iterations: [0; LANES],
        status: [CONVERGED; LANES],
        f: [0.0; LANES],
        grad_norm: [0.0; LANES],
    };
}

const MOVING: u32 = Status::Moving as u32;
const CONVERGED: u32 = Status::Converged as u32;
const ESCAPED: u32 = Status::Escaped as u32;
const NONFINITE: u32 = Status::NonFinite as u32;

/// Blocks that one thread steps side by side. One block's step is a chain
/// of dependent operations (an exp's polynomial, then the gradient, then
/// the update) too long for the CPU to keep its FMA units busy; the
/// chains of independent blocks overlap. Measured on peaks, 1e5 walkers x
/// 1000 steps on one core of a Zen 3 EPYC, best of six runs taken in turn:
/// 3.2e8 walker-steps/s with two blocks, 3.7e8 with three, 2.0e8 with four
/// (LLVM fuses four blocks' lane loops into 32-wide ones and spills).
pub const BLOCKS: usize = 3;

/// Walkers per rayon task.
const TASK: usize = BLOCKS * LANES;

/// `engine::advance` on `BLOCKS` blocks: every
/// lane takes the step, and a select keeps it only where the walker is
/// still moving. Which way a walker stopped (settled, escaped, not finite)
/// is worked out only in the rare step where some lane stops, so the hot
/// loop holds the positions in registers and tests one mask per block.
///
/// Loops, not closures, around anything that multiplies: a closure is a
/// function of its own, compiled without the caller's FMA, where a fused
/// multiply-add becomes a library call (measured 40 times slower).
#[inline(always)]
fn run_blocks<const FMA: bool>(
    surface: &impl BlockSurface,
    blocks: &mut [Block; BLOCKS],
    steps: u32,
    params: &StepParams<f32>,
) {
    let tol2 = Lanes::splat(params.tol2 as f64);
    let lr = Lanes::splat(params.lr as f64);
    let [lo_x, lo_y, hi_x, hi_y] =
        [params.lo[0], params.lo[1], params.hi[0], params.hi[1]].map(|v| Lanes::splat(v as f64));
    let mut x = [Lanes::<FMA>::splat(0.0); BLOCKS];
    let mut y = x;
    let mut moving = [Mask::from_fn(|_| false); BLOCKS];
    for (k, b) in blocks.iter().enumerate() {
        (x[k], y[k]) = (Lanes(b.x), Lanes(b.y));
        moving[k] = Mask::from_fn(|l| b.status[l] == MOVING);
    }
    for _ in 0..steps {
        // Every block's gradient first: the independent work that overlaps.
        let mut gradients = [[Lanes::splat(0.0); 2]; BLOCKS];
        for k in 0..BLOCKS {
            gradients[k] = surface.gradient([x[k], y[k]]);
        }
        for (k, b) in blocks.iter_mut().enumerate() {
            let [gx, gy] = gradients[k];
            let converged = (gx * gx + gy * gy).lt(tol2);
            let update = moving[k] & !converged;
            let next_x = (-lr).mul_add(gx, x[k]);
            let next_y = (-lr).mul_add(gy, y[k]);
            // False for NaN too: a walker that is not finite stops here.
            let inside = lo_x.le(next_x) & next_x.le(hi_x) & lo_y.le(next_y) & next_y.le(hi_y);
            x[k] = Lanes::select(update, next_x, x[k]);
            y[k] = Lanes::select(update, next_y, y[k]);
            update.count_into(&mut b.iterations);
            let stops = moving[k] & !(inside & !converged);
            if stops.any() {
                for l in (0..LANES).filter(|&l| stops.is_set(l)) {
                    let finite = x[k].0[l].is_finite() & y[k].0[l].is_finite();
                    b.status[l] = match (converged.is_set(l), finite) {
                        (true, _) => CONVERGED,
                        (false, false) => NONFINITE,
                        (false, true) => ESCAPED,
                    };
                }
                moving[k] = moving[k] & !stops;
            }
        }
        // At the end, so that the step above runs whenever the loop is
        // entered and the constants' set-up can move out of the loop.
        if !moving.iter().any(|m| m.any()) {
            break;
        }
    }
    for (k, b) in blocks.iter_mut().enumerate() {
        (b.x, b.y) = (x[k].0, y[k].0);
    }
}

/// `engine::finish`, lane by lane: f and |grad f| at the endpoints.
#[inline(always)]
fn finish_blocks<const FMA: bool>(surface: &impl BlockSurface, blocks: &mut [Block; BLOCKS]) {
    for b in blocks.iter_mut() {
        let p = [Lanes::<FMA>(b.x), Lanes(b.y)];
        let [gx, gy] = surface.gradient(p);
        b.f = surface.value(p).0;
        b.grad_norm = Real::sqrt(gx * gx + gy * gy).0;
    }
}

/// The surface the blocks step on, inlined into `run_blocks` (a trait
/// rather than a closure, so that it is compiled with the caller's FMA).
trait BlockSurface {
    fn value<const FMA: bool>(&self, p: [Lanes<FMA>; 2]) -> Lanes<FMA>;
    fn gradient<const FMA: bool>(&self, p: [Lanes<FMA>; 2]) -> [Lanes<FMA>; 2];
}

/// A marker type per hand-written surface, whose f and gradient the blocks inline.
macro_rules! hand_written {
    ($($name:ident => $module:ident),*) => {
        $(
            struct $name;
            impl BlockSurface for $name {
                #[inline(always)]
                fn value<const FMA: bool>(&self, p: [Lanes<FMA>; 2]) -> Lanes<FMA> {
                    $module::value(p)
                }
                #[inline(always)]
                fn gradient<const FMA: bool>(&self, p: [Lanes<FMA>; 2]) -> [Lanes<FMA>; 2] {
                    $module::gradient(p)
                }
            }
        )*
    };
}
hand_written!(Peaks => peaks, Himmelblau => himmelblau, Camel => camel);

/// Formulas: the interpreter, lanes at a time, on plain lanes. The
/// interpreter is a function of its own, compiled without the caller's FMA,
/// where fused lanes would make every exp call the library's fma once per
/// lane (measured: the peaks formula 2.7 times slower).
impl BlockSurface for Surface {
    #[inline(always)]
    fn value<const FMA: bool>(&self, p: [Lanes<FMA>; 2]) -> Lanes<FMA> {
        self.value2(p.map(Lanes::cast::<false>)).cast()
    }
    #[inline(always)]
    fn gradient<const FMA: bool>(&self, p: [Lanes<FMA>; 2]) -> [Lanes<FMA>; 2] {
        self.gradient2(p.map(Lanes::cast::<false>)).map(Lanes::cast)
    }
}

/// `run_blocks` for the surface: the match happens once per task, not
/// once per step.
#[inline(always)]
fn run_surface<const FMA: bool>(surface: &Surface, blocks: &mut [Block; BLOCKS], steps: u32, params: &StepParams<f32>) {
    match surface {
        Surface::Peaks => descend_blocks::<FMA>(&Peaks, blocks, steps, params),
        Surface::Himmelblau => descend_blocks::<FMA>(&Himmelblau, blocks, steps, params),
        Surface::Camel => descend_blocks::<FMA>(&Camel, blocks, steps, params),
        _ => descend_blocks::<FMA>(surface, blocks, steps, params),
    }
}

/// The steps, then f and |grad f| at the endpoints. Two loops, not one:
/// with the finish inside `run_blocks` the step loop ran 20% slower
/// (LLVM allocated its registers differently).
#[inline(always)]
fn descend_blocks<const FMA: bool>(
    surface: &impl BlockSurface,
    blocks: &mut [Block; BLOCKS],
    steps: u32,
    params: &StepParams<f32>,
) {
    run_blocks::<FMA>(surface, blocks, steps, params);
    finish_blocks::<FMA>(surface, blocks);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2(surface: &Surface, blocks: &mut [Block; BLOCKS], steps: u32, params: &StepParams<f32>) {
    run_surface::<true>(surface, blocks, steps, params)
}

fn run_portable(surface: &Surface, blocks: &mut [Block; BLOCKS], steps: u32, params: &StepParams<f32>) {
    run_surface::<false>(surface, blocks, steps, params)
}

/// The instruction set the blocks run with on this CPU.
pub fn instruction_set() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        return "avx2+fma";
    }
    "portable"
}

fn run_best(surface: &Surface, blocks: &mut [Block; BLOCKS], steps: u32, params: &StepParams<f32>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA, checked just above.
        unsafe { run_avx2(surface, blocks, steps, params) };
        return;
    }
    run_portable(surface, blocks, steps, params)
}

/// Whether the blocks run this job: plain gradient descent on a 2-D surface
/// (hand-written, or a formula in x and y).
pub fn handles(config: &RunConfig) -> bool {
    config.optimizer == Optimizer::Gd && config.surface.dim() == 2
}

/// Walkers `first..first + count` at their starts, the lanes after them stopped.
fn task_blocks(start_of: &StartFn<f32>, first: u64, count: usize) -> [Block; BLOCKS] {
    let mut blocks = [Block::STOPPED; BLOCKS];
    for i in 0..count {
        let (b, l) = (&mut blocks[i / LANES], i % LANES);
        let mut start = [0.0f32; 2];
        start_of.point(first + i as u64, &mut start);
        [b.x[l], b.y[l]] = start;
        b.status[l] = MOVING;
    }
    blocks
}

/// Descends walkers `range` of the job, `TASK` to a rayon task and at
/// least 64 tasks (1536 walkers) to a rayon job: with one task per job,
/// splitting and gathering the jobs cost 15% of the descent on two cores.
pub fn descend_range(config: &RunConfig, range: Range<u64>) -> Vec<Endpoint> {
    let params = StepParams::<f32>::new(config);
    let start_of = StartFn::<f32>::new(config);
    let surface = &config.surface;
    let tasks = (range.end - range.start).div_ceil(TASK as u64) as usize;
    (0..tasks)
        .into_par_iter()
        .with_min_len(64)
        .flat_map_iter(|k| {
            let first = range.start + (k * TASK) as u64;
            let count = ((range.end - first) as usize).min(TASK);
            let mut blocks = task_blocks(&start_of, first, count);
            run_best(surface, &mut blocks, config.steps, &params);
            (0..count).map(move |i| {
                let (b, l) = (&blocks[i / LANES], i % LANES);
                Endpoint {
                    index: first + i as u64,
                    point: vec![b.x[l] as f64, b.y[l] as f64],
                    f: b.f[l] as f64,
                    grad_norm: b.grad_norm[l] as f64,
                    iterations: b.iterations[l],
                    status: Status::from_u32(b.status[l]),
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fused_and_portable_blocks_agree() {
        // 240 peaks walkers from the default region: ten tasks.
        let config = RunConfig { walkers: 240, ..RunConfig::new(Surface::Peaks) };
        let params = StepParams::<f32>::new(&config);
        let start_of = StartFn::<f32>::new(&config);
        let (mut settled, mut moving) = (0, 0);
        for task in 0..10 {
            let mut blocks = task_blocks(&start_of, (task * TASK) as u64, TASK);
            let mut portable = blocks;
            run_portable(&config.surface, &mut portable, config.steps, &params);
            run_best(&config.surface, &mut blocks, config.steps, &params);
            for (a, b) in blocks.iter().zip(&portable) {
                for l in 0..LANES {
                    assert_eq!(a.status[l], b.status[l]);
                    assert!((a.x[l] - b.x[l]).abs() < 1e-3 && (a.y[l] - b.y[l]).abs() < 1e-3);
                    settled += (a.status[l] == CONVERGED) as u32;
                    moving += (a.status[l] == MOVING) as u32;
                }
            }
        }
        // Both kinds of walker were there to compare: about a fifth still moves.
        assert!(settled > 120 && moving > 20, "{settled} settled, {moving} moving");
    }

    /// The largest distance in ulp, fused and unfused, from the library's
    /// function over `range`, 8 points at a time.
    fn worst_ulps(
        fused: fn(Lanes<true>) -> Lanes<true>,
        plain: fn(Lanes<false>) -> Lanes<false>,
        exact: fn(f32) -> f32,
        range: Range<f32>,
        spacing: f32,
    ) -> [u32; 2] {
        let mut worst = [0u32; 2];
        let mut x = range.start;
        while x < range.end {
            let xs = Lanes::<false>(std::array::from_fn(|i| x + spacing * i as f32));
            let [f, p] = [fused(xs.cast()).0, plain(xs).0];
            for i in (0..LANES).filter(|&i| xs.0[i] < range.end) {
                let exact = exact(xs.0[i]).to_bits();
                worst[0] = worst[0].max(f[i].to_bits().abs_diff(exact));
                worst[1] = worst[1].max(p[i].to_bits().abs_diff(exact));
            }
            x += spacing * LANES as f32;
        }
        worst
    }

    #[test]
    fn exp2_lanes_is_within_1_ulp_of_exp2() {
        // Over the whole range where 2^x is a normal f32.
        let worst = worst_ulps(exp2_lanes, exp2_lanes, f32::exp2, -126.0..127.0, 0.00731);
        assert!(worst[0] <= 1 && worst[1] <= 1, "worst {worst:?} ulp");
        // Whole powers exactly; below the normal range and NaN, 0.
        let xs = Lanes::<false>([-200.0, -127.0, -126.6, f32::NAN, 0.0, 1.0, -3.0, 127.0]);
        let expected = [0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.125, 2f32.powi(127)];
        assert_eq!(exp2_lanes(xs).0, expected);
        assert_eq!(exp2_lanes(xs.cast::<true>()).0, expected);
    }

    #[test]
    fn exp_lanes_is_within_2_ulp_of_exp() {
        let worst = worst_ulps(exp_lanes, exp_lanes, f32::exp, -87.0..88.0, 0.0137);
        assert!(worst[0] <= 2 && worst[1] <= 2, "worst {worst:?} ulp");
        // Below the normal range, 0; at 0, exactly 1.
        let xs = Lanes::<false>([-100.0, -88.0, -87.8, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(exp_lanes(xs).0, [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
        assert_eq!(exp_lanes(xs.cast::<true>()).0, [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
    }
}
