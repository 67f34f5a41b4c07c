//! Himmelblau's function, f(x,y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2: four
//! minima, all at f = 0 (Himmelblau 1972, "Applied Nonlinear Programming";
//! coordinates as listed in the literature to 6 decimals).
//!
//! `value` and `gradient` mirror `shaders/surfaces/himmelblau.wgsl`.

use super::{HandWritten, Kind, Known2, Real};

/// Himmelblau's function (`--surface himmelblau`).
pub struct Himmelblau;

impl HandWritten for Himmelblau {
    const NAME: &'static str = "himmelblau";
    const SUMMARY: &'static str = "Himmelblau's function: four minima, all global (f = 0)";
    const FORMULA: &'static str = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2";
    const WGSL: &'static str = include_str!("../../shaders/surfaces/himmelblau.wgsl");
    const DEFAULT_REGION: [[f64; 2]; 2] = [[-5.0, 5.0], [-5.0, 5.0]];
    const CRITICAL_POINTS: &'static [Known2] = &[
        Known2 { kind: Kind::Minimum, point: [3.0, 2.0], f: 0.0, global: true },
        Known2 { kind: Kind::Minimum, point: [-2.805118, 3.131312], f: 0.0, global: true },
        Known2 { kind: Kind::Minimum, point: [-3.779310, -3.283186], f: 0.0, global: true },
        Known2 { kind: Kind::Minimum, point: [3.584428, -1.848126], f: 0.0, global: true },
    ];

    #[inline(always)]
    fn value<T: Real>(p: [T; 2]) -> T {
        let (x, y) = (p[0], p[1]);
        // Constants in the arithmetic of x (lanes carry their CPU token).
        let c = |v: f64| x.splat(v);
        let a = x * x + y - c(11.0);
        let b = x + y * y - c(7.0);
        a * a + b * b
    }

    #[inline(always)]
    fn gradient<T: Real>(p: [T; 2]) -> [T; 2] {
        let (x, y) = (p[0], p[1]);
        // Constants in the arithmetic of x (lanes carry their CPU token).
        let c = |v: f64| x.splat(v);
        let a = x * x + y - c(11.0);
        let b = x + y * y - c(7.0);
        [c(4.0) * x * a + c(2.0) * b, c(2.0) * a + c(4.0) * y * b]
    }

    fn hessian(p: [f64; 2]) -> [[f64; 2]; 2] {
        let (x, y) = (p[0], p[1]);
        let a = x * x + y - 11.0;
        let b = x + y * y - 7.0;
        let xy = 4.0 * x + 4.0 * y;
        [[4.0 * a + 8.0 * x * x + 2.0, xy], [xy, 2.0 + 4.0 * b + 8.0 * y * y]]
    }
}
