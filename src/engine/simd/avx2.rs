//! `Narrow`: 8 f32 lanes in one AVX2 register, each operation written as
//! its intrinsic, the twin of `avx512.rs` with masks as AVX2 leaves them
//! (all ones or zero in each lane of a vector).
//!
//! Safety: each `Narrow` and `NarrowMask` holds an `Avx2Fma`, which only
//! `Avx2Fma::detect` makes, on a CPU with AVX2 and FMA; the constructors
//! want one, and every other value is computed from values that hold
//! one (`Real::splat` too: it takes the token of the value it is called
//! on). So wherever a method runs, the CPU has the intrinsics below. The
//! methods inline into `super::run_on_avx2`, which enables the features.

use std::arch::x86_64::*;
use std::ops::{Add, BitAnd, Div, Mul, Neg, Not, Sub};

use super::lanes::{LANES, LaneMask, Vector, opaque, real_by_lanes};
use crate::surface::Real;

/// Proof that this CPU has AVX2 and FMA: zero-sized, made only by `detect`.
#[derive(Clone, Copy, Debug)]
pub struct Avx2Fma(());

impl Avx2Fma {
    /// A token where the CPU has AVX2 and FMA, checked at run time.
    pub fn detect() -> Option<Avx2Fma> {
        (is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")).then_some(Avx2Fma(()))
    }
}

/// `LANES` f32 lanes, and the proof that the CPU can compute on them.
#[derive(Clone, Copy, Debug)]
pub struct Narrow(__m256, Avx2Fma);

/// One flag per lane as AVX2's compares leave it: all ones or zero.
#[derive(Clone, Copy, Debug)]
pub struct NarrowMask(__m256, Avx2Fma);

macro_rules! narrow_op {
    ($trait:ident, $method:ident, $intrinsic:ident) => {
        impl $trait for Narrow {
            type Output = Self;
            #[inline(always)]
            fn $method(self, rhs: Self) -> Self {
                // SAFETY: see the module's comment.
                unsafe { Narrow($intrinsic(self.0, rhs.0), self.1) }
            }
        }
    };
}
narrow_op!(Add, add, _mm256_add_ps);
narrow_op!(Sub, sub, _mm256_sub_ps);
narrow_op!(Mul, mul, _mm256_mul_ps);
narrow_op!(Div, div, _mm256_div_ps);

impl Neg for Narrow {
    type Output = Self;
    /// -0 - x: the form LLVM knows for negation and folds into the
    /// multiply-adds that use it.
    #[inline(always)]
    fn neg(self) -> Self {
        // SAFETY: see the module's comment.
        unsafe { Narrow(_mm256_sub_ps(_mm256_set1_ps(-0.0), self.0), self.1) }
    }
}

impl BitAnd for NarrowMask {
    type Output = NarrowMask;
    #[inline(always)]
    fn bitand(self, rhs: NarrowMask) -> NarrowMask {
        // SAFETY: see the module's comment.
        unsafe { NarrowMask(_mm256_and_ps(self.0, rhs.0), self.1) }
    }
}

impl Not for NarrowMask {
    type Output = NarrowMask;
    #[inline(always)]
    fn not(self) -> NarrowMask {
        // SAFETY: see the module's comment.
        unsafe { NarrowMask(_mm256_xor_ps(self.0, _mm256_castsi256_ps(_mm256_set1_epi32(-1))), self.1) }
    }
}

impl LaneMask<LANES> for NarrowMask {
    type Token = Avx2Fma;

    #[inline(always)]
    fn from_fn(token: Avx2Fma, f: impl Fn(usize) -> bool) -> NarrowMask {
        let words: [i32; LANES] = std::array::from_fn(|lane| -(f(lane) as i32));
        // SAFETY: the token proves the CPU has AVX2; the pointer is to 8 i32.
        unsafe { NarrowMask(_mm256_castsi256_ps(_mm256_loadu_si256(words.as_ptr().cast())), token) }
    }

    #[inline(always)]
    fn is_set(self, lane: usize) -> bool {
        // SAFETY: see the module's comment.
        unsafe { _mm256_movemask_ps(self.0) >> lane & 1 != 0 }
    }

    #[inline(always)]
    fn any(self) -> bool {
        // SAFETY: see the module's comment.
        unsafe { _mm256_movemask_ps(self.0) != 0 }
    }

    #[inline(always)]
    fn count_into(self, counters: &mut [u32; LANES]) {
        // SAFETY: see the module's comment; the pointer is to 8 u32. A set
        // lane is -1: subtracting it adds one.
        unsafe {
            let c = _mm256_loadu_si256(counters.as_ptr().cast());
            let c = _mm256_sub_epi32(c, _mm256_castps_si256(self.0));
            _mm256_storeu_si256(counters.as_mut_ptr().cast(), c);
        }
    }
}

impl Vector<LANES> for Narrow {
    type Token = Avx2Fma;
    type Mask = NarrowMask;

    #[inline(always)]
    fn token(self) -> Avx2Fma {
        self.1
    }

    #[inline(always)]
    fn constant(token: Avx2Fma, v: f64) -> Self {
        // SAFETY: the token proves the CPU has AVX.
        unsafe { Narrow(_mm256_set1_ps(opaque(v as f32)), token) }
    }

    #[inline(always)]
    fn from_array(token: Avx2Fma, v: [f32; LANES]) -> Self {
        // SAFETY: the token proves the CPU has AVX; the pointer is to 8 f32.
        unsafe { Narrow(_mm256_loadu_ps(v.as_ptr()), token) }
    }

    #[inline(always)]
    fn to_array(self) -> [f32; LANES] {
        let mut v = [0.0; LANES];
        // SAFETY: see the module's comment; the pointer is to 8 f32.
        unsafe { _mm256_storeu_ps(v.as_mut_ptr(), self.0) };
        v
    }

    // Ordered, quiet compares: false where a lane is NaN, as `<` and `<=`.
    #[inline(always)]
    fn lt(self, rhs: Self) -> NarrowMask {
        // SAFETY: see the module's comment.
        unsafe { NarrowMask(_mm256_cmp_ps::<_CMP_LT_OQ>(self.0, rhs.0), self.1) }
    }

    #[inline(always)]
    fn le(self, rhs: Self) -> NarrowMask {
        // SAFETY: see the module's comment.
        unsafe { NarrowMask(_mm256_cmp_ps::<_CMP_LE_OQ>(self.0, rhs.0), self.1) }
    }

    // vmaxps and vminps give their second operand where either is NaN:
    // `Lanes`' rule.
    #[inline(always)]
    fn max(self, rhs: Self) -> Self {
        // SAFETY: see the module's comment.
        unsafe { Narrow(_mm256_max_ps(self.0, rhs.0), self.1) }
    }

    #[inline(always)]
    fn min(self, rhs: Self) -> Self {
        // SAFETY: see the module's comment.
        unsafe { Narrow(_mm256_min_ps(self.0, rhs.0), self.1) }
    }

    #[inline(always)]
    fn select(mask: NarrowMask, a: Self, b: Self) -> Self {
        // SAFETY: see the module's comment. The blend takes its second
        // operand where the mask's sign bit is set.
        unsafe { Narrow(_mm256_blendv_ps(b.0, a.0, mask.0), mask.1) }
    }

    #[inline(always)]
    fn two_to_the_n(self) -> Self {
        // SAFETY: see the module's comment.
        unsafe { Narrow(_mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_castps_si256(self.0))), self.1) }
    }
}

impl Real for Narrow {
    /// A constant with `self`'s token: the surfaces make theirs from a
    /// lane value, so this too needs the proof.
    #[inline(always)]
    fn splat(self, v: f64) -> Self {
        Narrow::constant(self.1, v)
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        // SAFETY: see the module's comment.
        unsafe { Narrow(_mm256_fmadd_ps(self.0, a.0, b.0), self.1) }
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        // SAFETY: see the module's comment.
        unsafe { Narrow(_mm256_sqrt_ps(self.0), self.1) }
    }
    #[inline(always)]
    fn abs(self) -> Self {
        // SAFETY: see the module's comment.
        unsafe { Narrow(_mm256_and_ps(self.0, _mm256_castsi256_ps(_mm256_set1_epi32(i32::MAX))), self.1) }
    }
    real_by_lanes!(ln, sin, cos, tan, tanh, signum);
}
