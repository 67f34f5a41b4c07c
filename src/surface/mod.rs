//! Surfaces z = f(x, y): value and gradient generic over the float type
//! (the f32 versions mirror the WGSL snippets line for line), the Hessian
//! in f64 for the host, a default region and the known critical points.
//!
//! A new surface is a new module and a new variant here; the engines only
//! call the methods below.

pub mod camel;
pub mod himmelblau;
pub mod peaks;

use std::ops::{Add, Mul, Neg, Sub};

use serde::{Deserialize, Serialize};

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

/// The built-in surfaces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Surface {
    /// MATLAB's peaks: three minima, three saddles, three maxima in [-3,3]^2.
    #[default]
    Peaks,
    /// Himmelblau's function: four minima, all global (f = 0).
    Himmelblau,
    /// The six-hump camel: six minima, two of them global.
    Camel,
}

impl Surface {
    pub fn name(self) -> &'static str {
        match self {
            Surface::Peaks => "peaks",
            Surface::Himmelblau => "himmelblau",
            Surface::Camel => "camel",
        }
    }

    pub fn default_region(self) -> Region {
        match self {
            Surface::Peaks => peaks::DEFAULT_REGION,
            Surface::Himmelblau => himmelblau::DEFAULT_REGION,
            Surface::Camel => camel::DEFAULT_REGION,
        }
    }

    pub fn known_points(self) -> &'static [KnownPoint] {
        match self {
            Surface::Peaks => &peaks::CRITICAL_POINTS,
            Surface::Himmelblau => &himmelblau::CRITICAL_POINTS,
            Surface::Camel => &camel::CRITICAL_POINTS,
        }
    }

    /// The WGSL snippet defining `surface_value` and `surface_gradient`.
    pub fn wgsl(self) -> &'static str {
        match self {
            Surface::Peaks => include_str!("../../shaders/surfaces/peaks.wgsl"),
            Surface::Himmelblau => include_str!("../../shaders/surfaces/himmelblau.wgsl"),
            Surface::Camel => include_str!("../../shaders/surfaces/camel.wgsl"),
        }
    }

    #[inline(always)]
    pub fn value<T: Real>(self, p: [T; 2]) -> T {
        match self {
            Surface::Peaks => peaks::value(p),
            Surface::Himmelblau => himmelblau::value(p),
            Surface::Camel => camel::value(p),
        }
    }

    #[inline(always)]
    pub fn gradient<T: Real>(self, p: [T; 2]) -> [T; 2] {
        match self {
            Surface::Peaks => peaks::gradient(p),
            Surface::Himmelblau => himmelblau::gradient(p),
            Surface::Camel => camel::gradient(p),
        }
    }

    /// Hessian [[fxx, fxy], [fxy, fyy]], exact, in f64.
    pub fn hessian(self, p: [f64; 2]) -> [[f64; 2]; 2] {
        match self {
            Surface::Peaks => peaks::hessian(p),
            Surface::Himmelblau => himmelblau::hessian(p),
            Surface::Camel => camel::hessian(p),
        }
    }

    /// The known global minima (several where they tie).
    pub fn global_minima(self) -> impl Iterator<Item = KnownPoint> {
        self.known_points().iter().copied().filter(|k| k.global && k.kind == Kind::Minimum)
    }

    /// Every built-in surface, for `multistart surfaces`.
    pub fn all() -> [Surface; 3] {
        [Surface::Peaks, Surface::Himmelblau, Surface::Camel]
    }
}

/// Eigenvalues of a symmetric 2x2 matrix, ascending.
pub fn eigenvalues(h: [[f64; 2]; 2]) -> [f64; 2] {
    let mean = 0.5 * (h[0][0] + h[1][1]);
    let half_diff = 0.5 * (h[0][0] - h[1][1]);
    let radius = half_diff.hypot(h[0][1]);
    [mean - radius, mean + radius]
}

/// The arithmetic a surface's value and gradient need: f32 and f64, and
/// the fast CPU engine's blocks of f32 lanes.
pub trait Real: Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Neg<Output = Self> {
    /// A constant, rounded to this type.
    fn splat(v: f64) -> Self;
    fn exp(self) -> Self;
}

impl Real for f32 {
    #[inline(always)]
    fn splat(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn exp(self) -> Self {
        f32::exp(self)
    }
}

impl Real for f64 {
    #[inline(always)]
    fn splat(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn exp(self) -> Self {
        f64::exp(self)
    }
}
