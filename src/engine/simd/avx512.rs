//! `Wide`: 16 f32 lanes in one AVX-512 register, each operation written
//! as its intrinsic. The array `Lanes` cannot serve here: with AVX-512
//! enabled LLVM cuts their loops into 4-wide pieces (measured on peaks:
//! 3.6e8 walker-steps/s against 1.1e9 with AVX2 on the same two cores),
//! so this type names every instruction itself.
//!
//! Safety: each `Wide` and `WideMask` holds an `Avx512F`, which only
//! `Avx512F::detect` makes, on a CPU with AVX-512F; the constructors want
//! one, and every other value is computed from values that hold one. So
//! wherever a method runs, the CPU has the intrinsics below (`Real::splat`
//! included: it takes the token of the value it is called on). The
//! methods inline into `super::run_on_avx512`, which enables the feature.

use std::arch::x86_64::*;
use std::ops::{Add, BitAnd, Div, Mul, Neg, Not, Sub};

use super::WIDE;
use super::lanes::{LaneMask, Vector, opaque, real_by_lanes};
use crate::surface::Real;

/// Proof that this CPU has AVX-512F: zero-sized, made only by `detect`.
#[derive(Clone, Copy, Debug)]
pub struct Avx512F(());

impl Avx512F {
    /// A token where the CPU has AVX-512F, checked at run time.
    pub fn detect() -> Option<Avx512F> {
        is_x86_feature_detected!("avx512f").then_some(Avx512F(()))
    }
}

/// `WIDE` f32 lanes, and the proof that the CPU can compute on them.
#[derive(Clone, Copy, Debug)]
pub struct Wide(__m512, Avx512F);

/// One bit per lane, as AVX-512's compares leave it in a mask register.
#[derive(Clone, Copy, Debug)]
pub struct WideMask(__mmask16, Avx512F);

macro_rules! wide_op {
    ($trait:ident, $method:ident, $intrinsic:ident) => {
        impl $trait for Wide {
            type Output = Self;
            #[inline(always)]
            fn $method(self, rhs: Self) -> Self {
                // SAFETY: see the module's comment.
                unsafe { Wide($intrinsic(self.0, rhs.0), self.1) }
            }
        }
    };
}
wide_op!(Add, add, _mm512_add_ps);
wide_op!(Sub, sub, _mm512_sub_ps);
wide_op!(Mul, mul, _mm512_mul_ps);
wide_op!(Div, div, _mm512_div_ps);

impl Neg for Wide {
    type Output = Self;
    /// -0 - x: the form LLVM knows for negation and folds into the
    /// multiply-adds that use it (an xor of the sign bits it does not).
    #[inline(always)]
    fn neg(self) -> Self {
        // SAFETY: see the module's comment.
        unsafe { Wide(_mm512_sub_ps(_mm512_set1_ps(-0.0), self.0), self.1) }
    }
}

impl BitAnd for WideMask {
    type Output = WideMask;
    #[inline(always)]
    fn bitand(self, rhs: WideMask) -> WideMask {
        WideMask(self.0 & rhs.0, self.1)
    }
}

impl Not for WideMask {
    type Output = WideMask;
    #[inline(always)]
    fn not(self) -> WideMask {
        WideMask(!self.0, self.1)
    }
}

impl LaneMask<WIDE> for WideMask {
    type Token = Avx512F;

    #[inline(always)]
    fn from_fn(token: Avx512F, f: impl Fn(usize) -> bool) -> WideMask {
        WideMask((0..WIDE).fold(0, |m, lane| m | (f(lane) as u16) << lane), token)
    }

    #[inline(always)]
    fn is_set(self, lane: usize) -> bool {
        self.0 >> lane & 1 != 0
    }

    #[inline(always)]
    fn any(self) -> bool {
        self.0 != 0
    }

    #[inline(always)]
    fn count_into(self, counters: &mut [u32; WIDE]) {
        // SAFETY: see the module's comment; the pointer is to 16 u32.
        unsafe {
            let c = _mm512_loadu_si512(counters.as_ptr().cast());
            let c = _mm512_mask_sub_epi32(c, self.0, c, _mm512_set1_epi32(-1));
            _mm512_storeu_si512(counters.as_mut_ptr().cast(), c);
        }
    }
}

impl Vector<WIDE> for Wide {
    type Token = Avx512F;
    type Mask = WideMask;

    #[inline(always)]
    fn token(self) -> Avx512F {
        self.1
    }

    #[inline(always)]
    fn constant(token: Avx512F, v: f64) -> Self {
        // SAFETY: the token proves the CPU has AVX-512F.
        unsafe { Wide(_mm512_set1_ps(opaque(v as f32)), token) }
    }

    #[inline(always)]
    fn from_array(token: Avx512F, v: [f32; WIDE]) -> Self {
        // SAFETY: the token proves the CPU has AVX-512F; the pointer is to 16 f32.
        unsafe { Wide(_mm512_loadu_ps(v.as_ptr()), token) }
    }

    #[inline(always)]
    fn to_array(self) -> [f32; WIDE] {
        let mut v = [0.0; WIDE];
        // SAFETY: see the module's comment; the pointer is to 16 f32.
        unsafe { _mm512_storeu_ps(v.as_mut_ptr(), self.0) };
        v
    }

    // Ordered, quiet compares: false where a lane is NaN, as `<` and `<=`.
    #[inline(always)]
    fn lt(self, rhs: Self) -> WideMask {
        // SAFETY: see the module's comment.
        unsafe { WideMask(_mm512_cmp_ps_mask::<_CMP_LT_OQ>(self.0, rhs.0), self.1) }
    }

    #[inline(always)]
    fn le(self, rhs: Self) -> WideMask {
        // SAFETY: see the module's comment.
        unsafe { WideMask(_mm512_cmp_ps_mask::<_CMP_LE_OQ>(self.0, rhs.0), self.1) }
    }

    // vmaxps and vminps give their second operand where either is NaN:
    // `Lanes`' rule.
    #[inline(always)]
    fn max(self, rhs: Self) -> Self {
        // SAFETY: see the module's comment.
        unsafe { Wide(_mm512_max_ps(self.0, rhs.0), self.1) }
    }

    #[inline(always)]
    fn min(self, rhs: Self) -> Self {
        // SAFETY: see the module's comment.
        unsafe { Wide(_mm512_min_ps(self.0, rhs.0), self.1) }
    }

    #[inline(always)]
    fn select(mask: WideMask, a: Self, b: Self) -> Self {
        // SAFETY: see the module's comment. The blend takes its second
        // operand where the mask is set.
        unsafe { Wide(_mm512_mask_blend_ps(mask.0, b.0, a.0), mask.1) }
    }

    #[inline(always)]
    fn two_to_the_n(self) -> Self {
        // SAFETY: see the module's comment.
        unsafe { Wide(_mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_castps_si512(self.0))), self.1) }
    }
}

impl Real for Wide {
    /// A constant with `self`'s token (see `Narrow`'s `splat`).
    #[inline(always)]
    fn splat(self, v: f64) -> Self {
        Wide::constant(self.1, v)
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        // SAFETY: see the module's comment.
        unsafe { Wide(_mm512_fmadd_ps(self.0, a.0, b.0), self.1) }
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        // SAFETY: see the module's comment.
        unsafe { Wide(_mm512_sqrt_ps(self.0), self.1) }
    }
    #[inline(always)]
    fn abs(self) -> Self {
        // SAFETY: see the module's comment.
        unsafe {
            Wide(
                _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(self.0), _mm512_set1_epi32(i32::MAX))),
                self.1,
            )
        }
    }
    real_by_lanes!(ln, sin, cos, tan, tanh, signum);
}
