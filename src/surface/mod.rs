//! Surfaces z = f(x, y): value and gradient generic over the float type
//! (the f32 versions mirror the WGSL snippets line for line), the Hessian
//! in f64 for the host, a default region and the known critical points.
//!
//! A new surface is a new module and a new variant here; the engines only
//! call the methods below.

pub mod camel;
pub mod formula;
pub mod himmelblau;
pub mod peaks;

use std::ops::{Add, Div, Mul, Neg, Sub};

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use formula::Formula;

use crate::config::Region;

/// What a critical point is, by the signs of its Hessian's eigenvalues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Minimum,
    Saddle,
    Maximum,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Minimum => "minimum",
            Kind::Saddle => "saddle",
            Kind::Maximum => "maximum",
        }
    }
}

/// A critical point known in closed form or from the literature.
#[derive(Clone, Copy, Debug)]
pub struct KnownPoint {
    pub kind: Kind,
    pub point: [f64; 2],
    pub f: f64,
    /// The lowest minimum of the surface.
    pub global: bool,
}

/// A surface: one of the built-in ones, or a formula the user typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Surface {
    /// MATLAB's peaks: three minima, three saddles, three maxima in [-3,3]^2.
    #[default]
    Peaks,
    /// Himmelblau's function: four minima, all global (f = 0).
    Himmelblau,
    /// The six-hump camel: six minima, two of them global.
    Camel,
    /// `--expr`: parsed and differentiated symbolically.
    Formula(Arc<Formula>),
}

/// Region of a formula unless `--region` says otherwise: the course's square.
const FORMULA_REGION: Region = Region { x: [-2.0, 2.0], y: [-2.0, 2.0] };

impl Surface {
    /// Every built-in surface, for `multistart surfaces`.
    pub fn all() -> [Surface; 3] {
        [Surface::Peaks, Surface::Himmelblau, Surface::Camel]
    }

    /// The built-in surface called `name` (for `--surface`).
    pub fn from_name(name: &str) -> Result<Surface, String> {
        Surface::all().into_iter().find(|s| s.name().eq_ignore_ascii_case(name.trim())).ok_or_else(|| {
            let names: Vec<&str> = Surface::all().iter().map(|s| s.name()).collect();
            format!("unknown surface '{name}': expected one of {} (or --expr \"FORMULA\")", names.join(", "))
        })
    }

    /// A surface from a formula in x and y.
    pub fn formula(text: &str) -> Result<Surface, formula::ParseError> {
        let f = Formula::parse(text, None)?;
        if f.dim() != 2 {
            return Err(formula::ParseError {
                column: 1,
                message: format!("this formula has {} variables; surfaces are 2-D (x, y)", f.dim()),
            });
        }
        Ok(Surface::Formula(Arc::new(f)))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Surface::Peaks => "peaks",
            Surface::Himmelblau => "himmelblau",
            Surface::Camel => "camel",
            Surface::Formula(_) => "expr",
        }
    }

    /// The formula's text, for formula surfaces.
    pub fn expr(&self) -> Option<&str> {
        match self {
            Surface::Formula(f) => Some(f.source()),
            _ => None,
        }
    }

    /// "peaks", or "expr x^2 + y^2" for a formula: for headers and legends.
    pub fn describe(&self) -> String {
        match self.expr() {
            Some(text) => format!("expr {text}"),
            None => self.name().to_string(),
        }
    }

    pub fn default_region(&self) -> Region {
        match self {
            Surface::Peaks => peaks::DEFAULT_REGION,
            Surface::Himmelblau => himmelblau::DEFAULT_REGION,
            Surface::Camel => camel::DEFAULT_REGION,
            Surface::Formula(_) => FORMULA_REGION,
        }
    }

    pub fn known_points(&self) -> &'static [KnownPoint] {
        match self {
            Surface::Peaks => &peaks::CRITICAL_POINTS,
            Surface::Himmelblau => &himmelblau::CRITICAL_POINTS,
            Surface::Camel => &camel::CRITICAL_POINTS,
            Surface::Formula(_) => &[],
        }
    }

    /// The WGSL snippet defining `surface_value` and `surface_gradient`
    /// on `Point`s.
    pub fn wgsl(&self) -> String {
        match self {
            Surface::Peaks => include_str!("../../shaders/surfaces/peaks.wgsl").into(),
            Surface::Himmelblau => include_str!("../../shaders/surfaces/himmelblau.wgsl").into(),
            Surface::Camel => include_str!("../../shaders/surfaces/camel.wgsl").into(),
            Surface::Formula(f) => f.wgsl(),
        }
    }

    #[inline(always)]
    pub fn value<T: Real>(&self, p: [T; 2]) -> T {
        match self {
            Surface::Peaks => peaks::value(p),
            Surface::Himmelblau => himmelblau::value(p),
            Surface::Camel => camel::value(p),
            Surface::Formula(f) => f.value(&p),
        }
    }

    #[inline(always)]
    pub fn gradient<T: Real>(&self, p: [T; 2]) -> [T; 2] {
        match self {
            Surface::Peaks => peaks::gradient(p),
            Surface::Himmelblau => himmelblau::gradient(p),
            Surface::Camel => camel::gradient(p),
            Surface::Formula(f) => {
                let mut g = [T::splat(0.0); 2];
                f.gradient(&p, &mut g);
                g
            }
        }
    }

    /// Hessian [[fxx, fxy], [fxy, fyy]], exact, in f64.
    pub fn hessian(&self, p: [f64; 2]) -> [[f64; 2]; 2] {
        match self {
            Surface::Peaks => peaks::hessian(p),
            Surface::Himmelblau => himmelblau::hessian(p),
            Surface::Camel => camel::hessian(p),
            Surface::Formula(f) => {
                let mut h = [0.0; 4];
                f.hessian(&p, &mut h);
                [[h[0], h[1]], [h[2], h[3]]]
            }
        }
    }

    /// The known global minima (several where they tie).
    pub fn global_minima(&self) -> impl Iterator<Item = KnownPoint> {
        self.known_points().iter().copied().filter(|k| k.global && k.kind == Kind::Minimum)
    }
}

/// Eigenvalues of a symmetric 2x2 matrix, ascending.
pub fn eigenvalues(h: [[f64; 2]; 2]) -> [f64; 2] {
    let mean = 0.5 * (h[0][0] + h[1][1]);
    let half_diff = 0.5 * (h[0][0] - h[1][1]);
    let radius = half_diff.hypot(h[0][1]);
    [mean - radius, mean + radius]
}

/// The arithmetic surfaces and formulas need: f32 and f64, and the fast
/// CPU engine's blocks of f32 lanes.
pub trait Real:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + Neg<Output = Self>
{
    /// A constant, rounded to this type.
    fn splat(v: f64) -> Self;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn sqrt(self) -> Self;
    fn abs(self) -> Self;
    fn sin(self) -> Self;
    fn cos(self) -> Self;
    fn tan(self) -> Self;
    fn tanh(self) -> Self;
    /// -1, 0 or 1 (WGSL's `sign`; Rust's `signum` gives 1 at 0).
    fn signum(self) -> Self;
    fn powf(self, e: Self) -> Self;
}

macro_rules! real_for_float {
    ($t:ty) => {
        impl Real for $t {
            #[inline(always)]
            fn splat(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn sin(self) -> Self {
                <$t>::sin(self)
            }
            #[inline(always)]
            fn cos(self) -> Self {
                <$t>::cos(self)
            }
            #[inline(always)]
            fn tan(self) -> Self {
                <$t>::tan(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline(always)]
            fn signum(self) -> Self {
                if self > 0.0 {
                    1.0
                } else if self < 0.0 {
                    -1.0
                } else {
                    self
                }
            }
            #[inline(always)]
            fn powf(self, e: Self) -> Self {
                <$t>::powf(self, e)
            }
        }
    };
}
real_for_float!(f32);
real_for_float!(f64);
