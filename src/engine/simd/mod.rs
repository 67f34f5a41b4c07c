//! The fast f32 CPU engine: walkers in blocks of lanes (structure of
//! arrays), the surface's gradient evaluated on whole blocks with a
//! polynomial exp that vectorises, `BLOCKS` blocks stepped side by side
//! per rayon task, and the widest instruction set the CPU has chosen at
//! run time: AVX-512F (16 lanes, `avx512.rs`), AVX2+FMA (8 lanes,
//! `avx2.rs`), both written with the intrinsics, or portable code (8
//! lanes that LLVM vectorises, `lanes.rs`).
//!
//! `run_blocks` is `engine::advance` lane by lane: the same update in the
//! same order, with masks where the scalar loop branches. Its endpoints
//! differ from the shader's only by the last bits of exp and of where a
//! multiply-add is fused.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod lanes;

use std::marker::PhantomData;
use std::ops::Range;

use rayon::prelude::*;

use super::{Endpoint, Status, StepParams};
use crate::problem::{Optimizer, Problem};
use crate::starts::StartFn;
use crate::surface::{HandWritten, HandWrittenVisitor, Real, Surface};
use lanes::{LANES, LaneMask, Lanes, Vector};

/// Walkers per block on AVX-512: one register of f32.
const WIDE: usize = 16;

/// N walkers between steps. Lane twin of `engine::WalkerState`.
#[derive(Clone, Copy, Debug)]
struct Block<const N: usize> {
    x: [f32; N],
    y: [f32; N],
    iterations: [u32; N],
    status: [u32; N],
    /// f and |grad f| at the end (`engine::finish`).
    f: [f32; N],
    grad_norm: [f32; N],
}

impl<const N: usize> Block<N> {
    /// Spare lanes of the last task stay like this: stopped, so they cost nothing.
    const STOPPED: Block<N> = Block {
        x: [0.0; N],
        y: [0.0; N],
        iterations: [0; N],
        status: [CONVERGED; N],
        f: [0.0; N],
        grad_norm: [0.0; N],
    };
}

const MOVING: u32 = Status::Moving as u32;
const CONVERGED: u32 = Status::Converged as u32;
const ESCAPED: u32 = Status::Escaped as u32;
const NONFINITE: u32 = Status::NonFinite as u32;

/// Blocks that one thread steps side by side. One block's step is a chain
/// of dependent operations (an exp's polynomial, then the gradient, then
/// the update) too long for the CPU to keep its FMA units busy; the
/// chains of independent blocks overlap. Measured on peaks, 1e6 walkers x
/// 1000 steps on a 2-core Intel Xeon (AVX-512), walker-steps/s with
/// 2, 3, 4, 5, 6 and 8 blocks: AVX2 1.09e9, 1.26e9, 1.44e9, 1.45e9,
/// 1.45e9, 1.46e9; AVX-512 1.92e9, 2.00e9, 2.13e9, 2.19e9, 2.20e9,
/// 2.15e9; portable about 6.0e8 throughout. Four, not more: beyond it
/// the gain is 3% at most here, and each block adds state that has to
/// live in the 16 (AVX2) or 32 (AVX-512) vector registers or spill, which
/// may cost more on CPUs not measured.
pub const BLOCKS: usize = 4;

/// Walkers per rayon job at most sizes: with one task per job, splitting
/// and gathering the jobs cost 15% of the descent on two cores. Small
/// ranges get smaller jobs, at least `JOBS_PER_THREAD` a thread, so that
/// every thread has work (10,000 walkers in 1536-walker jobs ran at half
/// the speed of 100,000 on two threads).
const JOB: usize = 1536;
const JOBS_PER_THREAD: usize = 8;

/// `engine::advance` on `BLOCKS` blocks: every
/// lane takes the step, and a select keeps it only where the walker is
/// still moving. Which way a walker stopped (settled, escaped, not finite)
/// is worked out only in the rare step where some lane stops, so the hot
/// loop holds the positions in registers and tests one mask per block.
///
/// Loops, not closures, around anything that computes: a closure is a
/// function of its own, compiled without the caller's instruction set,
/// where each intrinsic becomes a call (a fused multiply-add on arrays
/// became a library call: 40 times slower).
#[inline(always)]
fn run_blocks<const N: usize, V: Vector<N>>(
    token: V::Token,
    surface: &impl BlockSurface,
    blocks: &mut [Block<N>; BLOCKS],
    steps: u32,
    params: &StepParams<f32>,
) {
    let tol2 = V::constant(token, params.tol2 as f64);
    let lr = V::constant(token, params.settings.lr as f64);
    let [lo_x, lo_y, hi_x, hi_y] =
        [params.lo[0], params.lo[1], params.hi[0], params.hi[1]].map(|v| V::constant(token, v as f64));
    let mut x = [V::constant(token, 0.0); BLOCKS];
    let mut y = x;
    let mut moving = [V::Mask::from_fn(token, |_| false); BLOCKS];
    let mut iterations = [[0; N]; BLOCKS];
    for (k, b) in blocks.iter().enumerate() {
        (x[k], y[k]) = (V::from_array(token, b.x), V::from_array(token, b.y));
        moving[k] = V::Mask::from_fn(token, |l| b.status[l] == MOVING);
        iterations[k] = b.iterations;
    }
    for _ in 0..steps {
        // Every block's gradient first: the independent work that overlaps.
        let mut gradients = [[V::constant(token, 0.0); 2]; BLOCKS];
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
            x[k] = V::select(update, next_x, x[k]);
            y[k] = V::select(update, next_y, y[k]);
            update.count_into(&mut iterations[k]);
            let stops = moving[k] & !(inside & !converged);
            if stops.any() {
                let (xs, ys) = (x[k].to_array(), y[k].to_array());
                for l in (0..N).filter(|&l| stops.is_set(l)) {
                    let finite = xs[l].is_finite() & ys[l].is_finite();
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
        (b.x, b.y) = (x[k].to_array(), y[k].to_array());
        b.iterations = iterations[k];
    }
}

/// `engine::finish`, lane by lane: f and |grad f| at the endpoints.
#[inline(always)]
fn finish_blocks<const N: usize, V: Vector<N>>(
    token: V::Token,
    surface: &impl BlockSurface,
    blocks: &mut [Block<N>; BLOCKS],
) {
    for b in blocks.iter_mut() {
        let p = [V::from_array(token, b.x), V::from_array(token, b.y)];
        let [gx, gy] = surface.gradient(p);
        b.f = surface.value(p).to_array();
        b.grad_norm = Real::sqrt(gx * gx + gy * gy).to_array();
    }
}

/// The surface the blocks step on, inlined into `run_blocks` (a trait
/// rather than a closure, so that it is compiled with the caller's
/// instruction set). It gets its lanes' token from the point.
trait BlockSurface {
    fn value<const N: usize, V: Vector<N>>(&self, p: [V; 2]) -> V;
    fn gradient<const N: usize, V: Vector<N>>(&self, p: [V; 2]) -> [V; 2];
}

/// A hand-written surface, whose f and gradient the blocks inline.
struct Inlined<S>(PhantomData<S>);

impl<S: HandWritten> BlockSurface for Inlined<S> {
    #[inline(always)]
    fn value<const N: usize, V: Vector<N>>(&self, p: [V; 2]) -> V {
        S::value(p)
    }
    #[inline(always)]
    fn gradient<const N: usize, V: Vector<N>>(&self, p: [V; 2]) -> [V; 2] {
        S::gradient(p)
    }
}

/// Formulas: the interpreter, `LANES` at a time, on the portable lanes.
/// The interpreter is a function of its own, compiled without the
/// caller's instruction set, where fused lanes made every exp call the
/// library's fma once per lane (measured: the peaks formula 2.7 times
/// slower).
impl BlockSurface for Surface {
    #[inline(always)]
    fn value<const N: usize, V: Vector<N>>(&self, p: [V; 2]) -> V {
        let [f] = on_plain_lanes(p, |q| [self.value2(q)]);
        f
    }
    #[inline(always)]
    fn gradient<const N: usize, V: Vector<N>>(&self, p: [V; 2]) -> [V; 2] {
        on_plain_lanes(p, |q| self.gradient2(q))
    }
}

/// `f` on each `LANES` of the block's N lanes, as plain `Lanes`.
#[inline(always)]
fn on_plain_lanes<const N: usize, const K: usize, V: Vector<N>>(
    p: [V; 2],
    f: impl Fn([Lanes; 2]) -> [Lanes; K],
) -> [V; K] {
    let token = p[0].token();
    let [x, y] = p.map(V::to_array);
    let mut out = [[0.0; N]; K];
    for first in (0..N).step_by(LANES) {
        let piece = |v: &[f32; N]| Lanes(std::array::from_fn(|i| v[first + i]));
        for (o, r) in out.iter_mut().zip(f([piece(&x), piece(&y)])) {
            o[first..first + LANES].copy_from_slice(&r.0);
        }
    }
    out.map(|o| V::from_array(token, o))
}

/// `run_blocks` for the surface: the match from the surface to its type
/// happens once per task, not once per step.
#[inline(always)]
fn run_surface<const N: usize, V: Vector<N>>(
    token: V::Token,
    surface: &Surface,
    blocks: &mut [Block<N>; BLOCKS],
    steps: u32,
    params: &StepParams<f32>,
) {
    let inlined = Descend::<N, V> { token, blocks: &mut *blocks, steps, params, lanes: PhantomData };
    if surface.visit_hand_written(inlined).is_none() {
        descend_blocks::<N, V>(token, surface, blocks, steps, params)
    }
}

/// `descend_blocks` on a hand-written surface's type (`run_surface`).
struct Descend<'a, const N: usize, V: Vector<N>> {
    token: V::Token,
    blocks: &'a mut [Block<N>; BLOCKS],
    steps: u32,
    params: &'a StepParams<f32>,
    lanes: PhantomData<V>,
}

impl<const N: usize, V: Vector<N>> HandWrittenVisitor for Descend<'_, N, V> {
    type Output = ();
    #[inline(always)]
    fn visit<S: HandWritten>(self) {
        descend_blocks::<N, V>(self.token, &Inlined::<S>(PhantomData), self.blocks, self.steps, self.params)
    }
}

/// The steps, then f and |grad f| at the endpoints. Two loops, not one:
/// with the finish inside `run_blocks` the step loop ran 20% slower
/// (LLVM allocated its registers differently).
#[inline(always)]
fn descend_blocks<const N: usize, V: Vector<N>>(
    token: V::Token,
    surface: &impl BlockSurface,
    blocks: &mut [Block<N>; BLOCKS],
    steps: u32,
    params: &StepParams<f32>,
) {
    run_blocks::<N, V>(token, surface, blocks, steps, params);
    finish_blocks::<N, V>(token, surface, blocks);
}

/// A task's blocks, stepped on one instruction set.
type RunTask<const N: usize> = fn(&Surface, &mut [Block<N>; BLOCKS], u32, &StepParams<f32>);

/// The instruction sets the blocks run with, slowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum InstructionSet {
    /// 8 lanes in plain Rust, unfused: any CPU.
    Portable,
    /// 8 lanes in AVX2 registers, fused multiply-adds.
    Avx2,
    /// 16 lanes in AVX-512 registers, fused multiply-adds.
    Avx512,
}

impl InstructionSet {
    /// Every instruction set, slowest first.
    pub const ALL: [InstructionSet; 3] = [InstructionSet::Portable, InstructionSet::Avx2, InstructionSet::Avx512];

    /// Its name in reports and `bench`: portable, avx2+fma, avx512f.
    pub fn name(self) -> &'static str {
        match self {
            InstructionSet::Portable => "portable",
            InstructionSet::Avx2 => "avx2+fma",
            InstructionSet::Avx512 => "avx512f",
        }
    }

    /// Whether this CPU has it: whether its token can be made.
    pub fn available(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            match self {
                InstructionSet::Portable => true,
                InstructionSet::Avx2 => avx2::Avx2Fma::detect().is_some(),
                InstructionSet::Avx512 => avx512::Avx512F::detect().is_some(),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == InstructionSet::Portable
        }
    }

    /// The fastest this CPU has: what the engine runs with.
    pub fn best() -> InstructionSet {
        *InstructionSet::ALL.iter().rev().find(|set| set.available()).expect("portable is always available")
    }
}

fn run_portable(surface: &Surface, blocks: &mut [Block<LANES>; BLOCKS], steps: u32, params: &StepParams<f32>) {
    run_surface::<LANES, Lanes>((), surface, blocks, steps, params)
}

fn run_avx2(surface: &Surface, blocks: &mut [Block<LANES>; BLOCKS], steps: u32, params: &StepParams<f32>) {
    #[cfg(target_arch = "x86_64")]
    {
        let token = avx2::Avx2Fma::detect().expect("the CPU has no AVX2 and FMA");
        // SAFETY: the token proves the CPU has AVX2 and FMA, all that
        // `run_on_avx2` enables.
        unsafe { run_on_avx2(token, surface, blocks, steps, params) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    unreachable!("AVX2 on {}", std::env::consts::ARCH)
}

/// `run_surface` on `Narrow` lanes, compiled for AVX2 and FMA. The token
/// it takes is the proof that calling it is safe.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_on_avx2(
    token: avx2::Avx2Fma,
    surface: &Surface,
    blocks: &mut [Block<LANES>; BLOCKS],
    steps: u32,
    params: &StepParams<f32>,
) {
    run_surface::<LANES, avx2::Narrow>(token, surface, blocks, steps, params)
}

fn run_avx512(surface: &Surface, blocks: &mut [Block<WIDE>; BLOCKS], steps: u32, params: &StepParams<f32>) {
    #[cfg(target_arch = "x86_64")]
    {
        let token = avx512::Avx512F::detect().expect("the CPU has no AVX-512F");
        // SAFETY: the token proves the CPU has AVX-512F, all that
        // `run_on_avx512` enables.
        unsafe { run_on_avx512(token, surface, blocks, steps, params) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    unreachable!("AVX-512 on {}", std::env::consts::ARCH)
}

/// `run_surface` on `Wide` lanes, compiled for AVX-512F. The token it
/// takes is the proof that calling it is safe.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn run_on_avx512(
    token: avx512::Avx512F,
    surface: &Surface,
    blocks: &mut [Block<WIDE>; BLOCKS],
    steps: u32,
    params: &StepParams<f32>,
) {
    run_surface::<WIDE, avx512::Wide>(token, surface, blocks, steps, params)
}

/// Whether the blocks run this job: plain gradient descent on a 2-D surface
/// (hand-written, or a formula in x and y).
pub fn handles(problem: &Problem) -> bool {
    problem.optimizer == Optimizer::Gd && problem.surface.dim() == 2
}

/// Walkers `first..first + count` at their starts, the lanes after them stopped.
fn task_blocks<const N: usize>(start_of: &StartFn<f32>, first: u64, count: usize) -> [Block<N>; BLOCKS] {
    let mut blocks = [Block::STOPPED; BLOCKS];
    for i in 0..count {
        let (b, l) = (&mut blocks[i / N], i % N);
        let mut start = [0.0f32; 2];
        start_of.point(first + i as u64, &mut start);
        [b.x[l], b.y[l]] = start;
        b.status[l] = MOVING;
    }
    blocks
}

/// Descends walkers `range` of the job on the fastest instruction set.
pub fn descend_range(problem: &Problem, range: Range<u64>) -> Vec<Endpoint> {
    descend_range_on(InstructionSet::best(), problem, range)
}

/// Descends walkers `range` of the job on `set`, which the CPU must have
/// (`run_avx2` and `run_avx512` panic without their token).
pub fn descend_range_on(set: InstructionSet, problem: &Problem, range: Range<u64>) -> Vec<Endpoint> {
    match set {
        InstructionSet::Portable => descend_tasks::<LANES>(problem, range, run_portable),
        InstructionSet::Avx2 => descend_tasks::<LANES>(problem, range, run_avx2),
        InstructionSet::Avx512 => descend_tasks::<WIDE>(problem, range, run_avx512),
    }
}

/// `BLOCKS` blocks of N walkers to a rayon task, tasks to a rayon job as
/// `JOB` says.
fn descend_tasks<const N: usize>(problem: &Problem, range: Range<u64>, run: RunTask<N>) -> Vec<Endpoint> {
    let task = BLOCKS * N;
    let params = StepParams::<f32>::new(problem);
    let start_of = StartFn::<f32>::new(problem);
    let surface = &problem.surface;
    let tasks = (range.end - range.start).div_ceil(task as u64) as usize;
    let tasks_per_job = (JOB / task).min(tasks / (JOBS_PER_THREAD * rayon::current_num_threads())).max(1);
    (0..tasks)
        .into_par_iter()
        .with_min_len(tasks_per_job)
        .flat_map_iter(|k| {
            let first = range.start + (k * task) as u64;
            let count = ((range.end - first) as usize).min(task);
            let mut blocks = task_blocks::<N>(&start_of, first, count);
            run(surface, &mut blocks, problem.steps, &params);
            (0..count).map(move |i| {
                let (b, l) = (&blocks[i / N], i % N);
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
    use std::ops::Range;

    use super::*;

    #[test]
    fn every_instruction_set_gives_the_same_walkers() {
        // 480 peaks walkers from the default region: ten tasks of the widest
        // blocks, twenty of the others.
        let problem = Problem { walkers: 480, ..Problem::new(Surface::Peaks) };
        let reference = descend_range_on(InstructionSet::Portable, &problem, 0..problem.walkers);
        let settled = reference.iter().filter(|e| e.status == Status::Converged).count();
        let moving = reference.iter().filter(|e| e.status == Status::Moving).count();
        // Both kinds of walker are there to compare: about a fifth still moves.
        assert!(settled > 240 && moving > 40, "{settled} settled, {moving} moving");
        let mut compared = Vec::new();
        for set in InstructionSet::ALL.into_iter().filter(|s| s.available() && *s != InstructionSet::Portable) {
            let fast = descend_range_on(set, &problem, 0..problem.walkers);
            assert_eq!(fast.len(), reference.len());
            for (a, b) in fast.iter().zip(&reference) {
                assert_eq!((a.index, a.status), (b.index, b.status), "{}", set.name());
                let gap = (a.point[0] - b.point[0]).abs().max((a.point[1] - b.point[1]).abs());
                assert!(gap < 1e-3, "{}: walker {} ends {gap} away", set.name(), a.index);
            }
            compared.push(set.name());
        }
        // Which ones this CPU could check (the portable path runs anywhere).
        eprintln!("compared with the portable path: {compared:?}");
    }

    #[test]
    fn avx2_and_avx512_give_the_same_bits_and_every_way_of_stopping() {
        // The two fused sets run the same operations in the same order, so
        // their endpoints agree to the bit, stops of every kind included:
        // settling, escaping (a maximum's walkers run off), going non-finite
        // (e^(100 x^2)'s gradient overflows for |x| > 0.94) and the rare
        // paths of the hand-written surfaces and formulas.
        let formulas = ["-(x^2 + y^2)", "exp(100*x^2) + y^2"].map(|text| Surface::formula(text).unwrap());
        let surfaces = Surface::all().into_iter().filter(Surface::hand_written).chain(formulas);
        let mut seen = [0usize; 4];
        for surface in surfaces {
            let problem = Problem { walkers: 300, ..Problem::new(surface) };
            let portable = descend_range_on(InstructionSet::Portable, &problem, 0..problem.walkers);
            for e in &portable {
                seen[e.status as usize] += 1;
            }
            if !(InstructionSet::Avx2.available() && InstructionSet::Avx512.available()) {
                continue;
            }
            let [a, b] =
                [InstructionSet::Avx2, InstructionSet::Avx512].map(|set| descend_range_on(set, &problem, 0..300));
            for (a, b) in a.iter().zip(&b) {
                let bits = |e: &Endpoint| (e.point.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), e.f.to_bits());
                assert_eq!((a.index, a.status, a.iterations), (b.index, b.status, b.iterations));
                assert_eq!(bits(a), bits(b), "walker {} of {}", a.index, problem.surface.name());
            }
            // And both stop the way the portable path does, each walker.
            let statuses = |v: &[Endpoint]| v.iter().map(|e| e.status).collect::<Vec<_>>();
            assert_eq!(statuses(&a), statuses(&portable), "{}", problem.surface.name());
        }
        // Every way of stopping was there (moving, converged, escaped, not finite).
        assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
    }

    #[test]
    fn a_partial_task_leaves_its_spare_lanes_alone() {
        // 37 walkers: one task and a piece on 8 lanes, less than one on 16.
        let problem = Problem { walkers: 37, ..Problem::new(Surface::Peaks) };
        for set in InstructionSet::ALL.into_iter().filter(|s| s.available()) {
            let endpoints = descend_range_on(set, &problem, 5..37);
            assert_eq!(endpoints.iter().map(|e| e.index).collect::<Vec<_>>(), (5..37).collect::<Vec<_>>());
        }
    }

    /// exp and exp2 of `xs` on the lanes of `set`.
    fn exps_on(set: InstructionSet, xs: [f32; LANES]) -> [[f32; LANES]; 2] {
        fn exps<const N: usize, V: Vector<N>>(token: V::Token, xs: [f32; N]) -> [[f32; N]; 2] {
            let v = V::from_array(token, xs);
            [v.exp().to_array(), v.exp2().to_array()]
        }
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        fn exps_avx2(token: avx2::Avx2Fma, xs: [f32; LANES]) -> [[f32; LANES]; 2] {
            exps::<LANES, avx2::Narrow>(token, xs)
        }
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f")]
        fn exps_avx512(token: avx512::Avx512F, xs: [f32; LANES]) -> [[f32; LANES]; 2] {
            let wide = exps::<WIDE, avx512::Wide>(token, std::array::from_fn(|i| xs[i % LANES]));
            wide.map(|v| std::array::from_fn(|i| v[i]))
        }
        let no = "the CPU lacks the instruction set";
        match set {
            InstructionSet::Portable => exps::<LANES, Lanes>((), xs),
            // SAFETY: the token proves the CPU has what the function enables.
            #[cfg(target_arch = "x86_64")]
            InstructionSet::Avx2 => unsafe { exps_avx2(avx2::Avx2Fma::detect().expect(no), xs) },
            #[cfg(target_arch = "x86_64")]
            InstructionSet::Avx512 => unsafe { exps_avx512(avx512::Avx512F::detect().expect(no), xs) },
            #[cfg(not(target_arch = "x86_64"))]
            _ => unreachable!(),
        }
    }

    /// The largest distance in ulp of exp (which = 0) or exp2 (1) on each
    /// instruction set this CPU has from the library's, over `range`.
    fn worst_ulps(which: usize, range: Range<f32>, spacing: f32) -> Vec<(&'static str, u32)> {
        let exact = [f32::exp, f32::exp2][which];
        let sets = InstructionSet::ALL.into_iter().filter(|s| s.available());
        sets.map(|set| {
            let mut worst = 0;
            let mut x = range.start;
            while x < range.end {
                let xs = std::array::from_fn(|i| x + spacing * i as f32);
                let got = exps_on(set, xs)[which];
                for i in (0..LANES).filter(|&i| xs[i] < range.end) {
                    worst = worst.max(got[i].to_bits().abs_diff(exact(xs[i]).to_bits()));
                }
                x += spacing * LANES as f32;
            }
            (set.name(), worst)
        })
        .collect()
    }

    #[test]
    fn exp_is_within_2_ulp_of_the_library_on_every_instruction_set() {
        let worst = worst_ulps(0, -87.0..88.0, 0.0137);
        assert!(worst.iter().all(|&(_, ulp)| ulp <= 2), "worst {worst:?} ulp");
        // Below the normal range, 0; at 0, exactly 1.
        for set in InstructionSet::ALL.into_iter().filter(|s| s.available()) {
            let [e, _] = exps_on(set, [-100.0, -88.0, -87.8, 0.0, 0.0, 0.0, 0.0, 0.0]);
            assert_eq!(e, [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0], "{}", set.name());
        }
    }

    #[test]
    fn exp2_is_within_1_ulp_of_the_library_on_every_instruction_set() {
        // Over the whole range where 2^x is a normal f32.
        let worst = worst_ulps(1, -126.0..127.0, 0.00731);
        assert!(worst.iter().all(|&(_, ulp)| ulp <= 1), "worst {worst:?} ulp");
        // Whole powers exactly; below the normal range and NaN, 0.
        for set in InstructionSet::ALL.into_iter().filter(|s| s.available()) {
            let [_, e2] = exps_on(set, [-200.0, -127.0, -126.6, f32::NAN, 0.0, 1.0, -3.0, 127.0]);
            assert_eq!(e2, [0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.125, 2f32.powi(127)], "{}", set.name());
        }
    }
}
