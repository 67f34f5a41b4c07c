//! What the blocks compute on: the `Vector` trait (a lane type's
//! arithmetic, from `Real`, and its compares, selects and the bit trick
//! of exp), `Lanes`, the portable 8 f32 lanes as an array that LLVM
//! vectorises for whatever CPU it compiles for, and exp and exp2 written
//! once for every lane type.

use std::ops::{Add, BitAnd, Div, Mul, Neg, Not, Sub};

use crate::surface::Real;

/// Walkers per block of `Lanes` and of AVX2's `Narrow`: one AVX2 register of f32.
pub const LANES: usize = 8;

/// N f32 lanes, one per walker: what `run_blocks` needs beyond arithmetic.
///
/// Soundness: a lane type whose instructions not every CPU has (AVX2,
/// AVX-512) holds, beside its register, its `Token`: a zero-sized proof
/// that the CPU has them, which only the run-time check makes. The
/// constructors (`constant`, `from_array`, the mask's `from_fn`) take one;
/// every other operation builds its result from operands and passes their
/// token on. So a value proves that the check passed, and its methods,
/// which run the instructions, are safe to call. `Real::splat` makes its
/// constant from a value, with that value's token.
pub trait Vector<const N: usize>: Real {
    /// The proof that the CPU has the instructions: zero-sized, `()` for
    /// `Lanes`, which any CPU runs.
    type Token: Copy;
    type Mask: LaneMask<N, Token = Self::Token>;
    /// The token that this value proves was made.
    fn token(self) -> Self::Token;
    /// `v` rounded to f32 in every lane, hidden from the optimiser (`opaque`).
    fn constant(token: Self::Token, v: f64) -> Self;
    fn from_array(token: Self::Token, v: [f32; N]) -> Self;
    fn to_array(self) -> [f32; N];
    fn lt(self, rhs: Self) -> Self::Mask;
    fn le(self, rhs: Self) -> Self::Mask;
    /// Lane by lane, in the form of one `vmaxps` (`f32::max`'s rule for
    /// NaN costs two more instructions); a NaN lane gives `rhs`.
    fn max(self, rhs: Self) -> Self;
    /// As `max`: one `vminps`.
    fn min(self, rhs: Self) -> Self;
    /// `a` where the mask is set, `b` elsewhere.
    fn select(mask: Self::Mask, a: Self, b: Self) -> Self;
    /// 2^n, for lanes n + `ROUND` with n whole from -127 (giving 0) to 127:
    /// n + 127, from the low mantissa bits, shifted into the exponent.
    fn two_to_the_n(self) -> Self;
}

/// One flag per lane.
pub trait LaneMask<const N: usize>: Copy + BitAnd<Output = Self> + Not<Output = Self> {
    /// As `Vector::Token`: the proof that the CPU has the instructions.
    type Token: Copy;
    /// Lane i set where `f(i)`.
    fn from_fn(token: Self::Token, f: impl Fn(usize) -> bool) -> Self;
    fn is_set(self, lane: usize) -> bool;
    fn any(self) -> bool;
    /// Adds one to each counter whose lane is set.
    fn count_into(self, counters: &mut [u32; N]);
}

/// `LANES` f32 values, one per walker; LLVM turns the lane loops into
/// vector instructions. `mul_add` does not fuse: without FMA hardware
/// (which this path does not assume) a fused multiply-add is a slow
/// library call.
#[derive(Clone, Copy, Debug)]
pub struct Lanes(pub [f32; LANES]);

macro_rules! lane_op {
    ($trait:ident, $method:ident, $op:tt) => {
        impl $trait for Lanes {
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

impl Neg for Lanes {
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

impl LaneMask<LANES> for Mask {
    type Token = ();

    #[inline(always)]
    fn from_fn((): (), f: impl Fn(usize) -> bool) -> Mask {
        Mask(std::array::from_fn(|i| 0u32.wrapping_sub(f(i) as u32)))
    }

    #[inline(always)]
    fn is_set(self, lane: usize) -> bool {
        self.0[lane] != 0
    }

    #[inline(always)]
    fn any(self) -> bool {
        self.0.iter().fold(0, |a, &m| a | m) != 0
    }

    #[inline(always)]
    fn count_into(self, counters: &mut [u32; LANES]) {
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

impl Vector<LANES> for Lanes {
    type Token = ();
    type Mask = Mask;

    #[inline(always)]
    fn token(self) {}

    #[inline(always)]
    fn constant((): (), v: f64) -> Self {
        Lanes([opaque(v as f32); LANES])
    }

    #[inline(always)]
    fn from_array((): (), v: [f32; LANES]) -> Self {
        Lanes(v)
    }

    #[inline(always)]
    fn to_array(self) -> [f32; LANES] {
        self.0
    }

    #[inline(always)]
    fn lt(self, rhs: Self) -> Mask {
        Mask::from_fn((), |i| self.0[i] < rhs.0[i])
    }

    #[inline(always)]
    fn le(self, rhs: Self) -> Mask {
        Mask::from_fn((), |i| self.0[i] <= rhs.0[i])
    }

    #[inline(always)]
    fn max(self, rhs: Self) -> Self {
        Lanes(std::array::from_fn(|i| if self.0[i] > rhs.0[i] { self.0[i] } else { rhs.0[i] }))
    }

    #[inline(always)]
    fn min(self, rhs: Self) -> Self {
        Lanes(std::array::from_fn(|i| if self.0[i] < rhs.0[i] { self.0[i] } else { rhs.0[i] }))
    }

    #[inline(always)]
    fn select(mask: Mask, a: Self, b: Self) -> Self {
        Lanes(std::array::from_fn(|i| f32::from_bits((a.0[i].to_bits() & mask.0[i]) | (b.0[i].to_bits() & !mask.0[i]))))
    }

    #[inline(always)]
    fn two_to_the_n(mut self) -> Self {
        for v in &mut self.0 {
            *v = f32::from_bits(v.to_bits() << 23);
        }
        self
    }
}

/// The `Real` methods every lane type shares: exp and exp2 by the
/// polynomials below, the rest (used by formulas only) the f32 functions
/// lane by lane.
macro_rules! real_by_lanes {
    ($($name:ident),*) => {
        #[inline(always)]
        fn exp(self) -> Self {
            $crate::engine::simd::lanes::exp_lanes(self)
        }
        #[inline(always)]
        fn exp2(self) -> Self {
            $crate::engine::simd::lanes::exp2_lanes(self)
        }
        // The formula language's other functions, which every lane type
        // takes from f32 (so the lists at the impls stay as they are).
        real_by_lanes!(@each $($name,)* atan, sinh, cosh, asin, acos, log2, log10);
        real_by_lanes!(@each2 powf, atan2, fmin, fmax);
    };
    (@each $($name:ident),*) => {
        $(
            #[inline(always)]
            fn $name(self) -> Self {
                Self::from_array(self.token(), self.to_array().map(Real::$name))
            }
        )*
    };
    (@each2 $($name:ident),*) => {
        $(
            #[inline(always)]
            fn $name(self, e: Self) -> Self {
                let (v, e) = (self.to_array(), e.to_array());
                Self::from_array(self.token(), std::array::from_fn(|i| Real::$name(v[i], e[i])))
            }
        )*
    };
}
pub(super) use real_by_lanes;

impl Real for Lanes {
    #[inline(always)]
    fn splat(self, v: f64) -> Self {
        Lanes::constant((), v)
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        self * a + b
    }
    real_by_lanes!(ln, sqrt, abs, sin, cos, tan, tanh, signum);
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
pub fn exp_lanes<const N: usize, V: Vector<N>>(x: V) -> V {
    const LOG2E: f64 = std::f32::consts::LOG2_E as f64;
    const LN2_HI: f64 = 0.693_359_4;
    const LN2_LO: f64 = -2.121_944_4e-4;
    let k = |v| V::constant(x.token(), v);
    // -88 rounds to n = -127, whose exponent bits are 0: the result is 0
    // with no mask; 88 to n = 127, the largest.
    let xc = x.max(k(-88.0)).min(k(88.0));
    let t = xc.mul_add(k(LOG2E), k(ROUND));
    let n = t - k(ROUND);
    let r = n.mul_add(k(-LN2_LO), n.mul_add(k(-LN2_HI), xc));
    horner(&EXP_POLY, r) * t.two_to_the_n()
}

/// Adding 1.5 * 2^23 rounds to a whole number n in the low mantissa bits;
/// the extra 127 is 2^n's exponent bias, added for free.
pub const ROUND: f64 = 12_582_912.0 + 127.0;

/// The polynomial `poly` (highest power first) at r, by Horner's rule.
#[inline(always)]
fn horner<const N: usize, V: Vector<N>>(poly: &[f32], r: V) -> V {
    let mut sum = V::constant(r.token(), poly[0] as f64);
    for c in &poly[1..] {
        sum = sum.mul_add(r, V::constant(r.token(), *c as f64));
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
pub fn exp2_lanes<const N: usize, V: Vector<N>>(x: V) -> V {
    let k = |v| V::constant(x.token(), v);
    let xc = x.max(k(-127.0)).min(k(127.0));
    let t = xc + k(ROUND);
    let n = t - k(ROUND);
    horner(&EXP2_POLY, xc - n) * t.two_to_the_n()
}

/// `v`, which the optimiser can no longer see is a constant. Splatted
/// constants would otherwise be reloaded at every use with a broadcast
/// from memory, which on Zen 3 takes a slot of the FMA units (the peaks
/// step ran 15 to 20% faster on one core without them). An opaque value
/// is set up once, outside the step loop, and kept in a register or on
/// the stack, whence it is reloaded whole.
#[inline(always)]
pub fn opaque(v: f32) -> f32 {
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
