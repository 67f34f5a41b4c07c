//! The six-hump camel, f(x,y) = (4 - 2.1x^2 + x^4/3)x^2 + xy + (-4 + 4y^2)y^2:
//! six minima, two of them global at f = -1.031628 (Dixon & Szego 1978,
//! "Towards Global Optimisation 2"; coordinates to 6 decimals as listed by
//! Molga & Smutnicki 2005, confirmed here by Newton polishing in the tests).
//!
//! `value` and `gradient` mirror `shaders/surfaces/camel.wgsl`.

use super::{HandWritten, Kind, Known2, Real};

/// The six-hump camel (`--surface camel`).
pub struct Camel;

impl HandWritten for Camel {
    const NAME: &'static str = "camel";
    const SUMMARY: &'static str = "The six-hump camel: six minima, two of them global";
    const FORMULA: &'static str = "(4 - 2.1*x^2 + x^4/3)*x^2 + x*y + (-4 + 4*y^2)*y^2";
    const WGSL: &'static str = include_str!("../../shaders/surfaces/camel.wgsl");
    const DEFAULT_REGION: [[f64; 2]; 2] = [[-3.0, 3.0], [-2.0, 2.0]];
    const CRITICAL_POINTS: &'static [Known2] = &[
        Known2 { kind: Kind::Minimum, point: [0.089842, -0.712656], f: -1.031628, global: true },
        Known2 { kind: Kind::Minimum, point: [-0.089842, 0.712656], f: -1.031628, global: true },
        Known2 { kind: Kind::Minimum, point: [1.703607, -0.796084], f: -0.215464, global: false },
        Known2 { kind: Kind::Minimum, point: [-1.703607, 0.796084], f: -0.215464, global: false },
        Known2 { kind: Kind::Minimum, point: [1.607105, 0.568651], f: 2.104250, global: false },
        Known2 { kind: Kind::Minimum, point: [-1.607105, -0.568651], f: 2.104250, global: false },
    ];

    #[inline(always)]
    fn value<T: Real>(p: [T; 2]) -> T {
        let (x, y) = (p[0], p[1]);
        // Constants in the arithmetic of x (lanes carry their CPU token).
        let c = |v: f64| x.splat(v);
        let x2 = x * x;
        let y2 = y * y;
        (c(4.0) - c(2.1) * x2 + x2 * x2 * c(1.0 / 3.0)) * x2
            + x * y
            + (c(-4.0) + c(4.0) * y2) * y2
    }

    #[inline(always)]
    fn gradient<T: Real>(p: [T; 2]) -> [T; 2] {
        let (x, y) = (p[0], p[1]);
        // Constants in the arithmetic of x (lanes carry their CPU token).
        let c = |v: f64| x.splat(v);
        let x2 = x * x;
        let y2 = y * y;
        let gx = c(8.0) * x - c(8.4) * x2 * x + c(2.0) * x2 * x2 * x + y;
        let gy = x - c(8.0) * y + c(16.0) * y2 * y;
        [gx, gy]
    }

    fn hessian(p: [f64; 2]) -> [[f64; 2]; 2] {
        let (x, y) = (p[0], p[1]);
        [[8.0 - 25.2 * x * x + 10.0 * x.powi(4), 1.0], [1.0, -8.0 + 48.0 * y * y]]
    }
}
