//! Booth's function, f(x,y) = (x + 2y - 7)^2 + (2x + y - 5)^2: a quadratic
//! bowl, tilted and stretched, with its one minimum at (1, 3), f = 0, where
//! both squares vanish (Surjanovic & Bingham, "Virtual Library of
//! Simulation Experiments", Simon Fraser University; the usual domain
//! [-10, 10]^2 is theirs).
//!
//! `value` and `gradient` mirror `shaders/surfaces/booth.wgsl`.

use super::{HandWritten, Kind, Known2, Real};

/// Booth's function (`--surface booth`).
pub struct Booth;

impl HandWritten for Booth {
    const NAME: &'static str = "booth";
    const SUMMARY: &'static str = "Booth's function: a tilted quadratic bowl, one minimum at (1, 3) (f = 0)";
    const FORMULA: &'static str = "(x + 2*y - 7)^2 + (2*x + y - 5)^2";
    const WGSL: &'static str = include_str!("../../shaders/surfaces/booth.wgsl");
    const DEFAULT_REGION: [[f64; 2]; 2] = [[-10.0, 10.0], [-10.0, 10.0]];
    const CRITICAL_POINTS: &'static [Known2] =
        &[Known2 { kind: Kind::Minimum, point: [1.0, 3.0], f: 0.0, global: true }];

    #[inline(always)]
    fn value<T: Real>(p: [T; 2]) -> T {
        let (x, y) = (p[0], p[1]);
        // Constants in the arithmetic of x (lanes carry their CPU token).
        let c = |v: f64| x.splat(v);
        let a = x + c(2.0) * y - c(7.0);
        let b = c(2.0) * x + y - c(5.0);
        a * a + b * b
    }

    #[inline(always)]
    fn gradient<T: Real>(p: [T; 2]) -> [T; 2] {
        let (x, y) = (p[0], p[1]);
        // Constants in the arithmetic of x (lanes carry their CPU token).
        let c = |v: f64| x.splat(v);
        let a = x + c(2.0) * y - c(7.0);
        let b = c(2.0) * x + y - c(5.0);
        [c(2.0) * a + c(4.0) * b, c(4.0) * a + c(2.0) * b]
    }

    /// Constant: f is quadratic. Eigenvalues 2 and 18, so the default
    /// learning rate 0.01 is well below 2 / 18.
    fn hessian(_: [f64; 2]) -> [[f64; 2]; 2] {
        [[10.0, 8.0], [8.0, 10.0]]
    }
}
