//! MATLAB's peaks:
//! f(x,y) = 3(1-x)^2 e^(-x^2-(y+1)^2) - 10(x/5 - x^3 - y^5) e^(-x^2-y^2) - 1/3 e^(-(x+1)^2-y^2).
//!
//! `value` and `gradient` mirror `shaders/surfaces/peaks.wgsl` line for line.

use super::{HandWritten, Kind, Known2, Real};

/// MATLAB's peaks (`--surface peaks`, the default).
pub struct Peaks;

impl HandWritten for Peaks {
    const NAME: &'static str = "peaks";
    const SUMMARY: &'static str = "MATLAB's peaks: three minima, three saddles, three maxima in [-3,3]^2";
    /// Tests check its symbolic derivatives agree with the hand-written ones.
    const FORMULA: &'static str =
        "3*(1-x)^2*exp(-x^2-(y+1)^2) - 10*(x/5 - x^3 - y^5)*exp(-x^2-y^2) - 1/3*exp(-(x+1)^2-y^2)";
    const WGSL: &'static str = include_str!("../../shaders/surfaces/peaks.wgsl");
    /// The course's "uniform between -2 and +2".
    const DEFAULT_REGION: [[f64; 2]; 2] = [[-2.0, 2.0], [-2.0, 2.0]];
    /// The nine critical points in [-3,3]^2 (to 6 decimals; see DESIGN.md).
    const CRITICAL_POINTS: &'static [Known2] = &[
        Known2 { kind: Kind::Minimum, point: [0.228279, -1.625535], f: -6.551133, global: true },
        Known2 { kind: Kind::Minimum, point: [-1.347396, 0.204519], f: -3.049849, global: false },
        Known2 { kind: Kind::Minimum, point: [0.296446, 0.320196], f: -0.064936, global: false },
        Known2 { kind: Kind::Saddle, point: [0.416323, -0.394145], f: 0.408548, global: false },
        Known2 { kind: Kind::Saddle, point: [-0.265938, 0.466740], f: 0.788293, global: false },
        Known2 { kind: Kind::Saddle, point: [1.098273, 0.854461], f: 2.249192, global: false },
        Known2 { kind: Kind::Maximum, point: [1.285685, -0.004848], f: 3.592490, global: false },
        Known2 { kind: Kind::Maximum, point: [-0.460025, -0.629197], f: 3.776581, global: false },
        Known2 { kind: Kind::Maximum, point: [-0.009318, 1.581368], f: 8.106214, global: true },
    ];

    #[inline(always)]
    fn value<T: Real>(p: [T; 2]) -> T {
        let (x, y) = (p[0], p[1]);
        // Constants in the arithmetic of x (lanes carry their CPU token).
        let c = |v: f64| x.splat(v);
        let x2 = x * x;
        let y2 = y * y;
        let a = c(1.0) - x;
        let yp = y + c(1.0);
        let xp = x + c(1.0);
        let e1 = (-x2 - yp * yp).exp();
        let e2 = (-x2 - y2).exp();
        let e3 = (-xp * xp - y2).exp();
        let q = c(0.2) * x - x2 * x - y2 * y2 * y;
        c(3.0) * a * a * e1 - c(10.0) * q * e2 - c(1.0 / 3.0) * e3
    }

    /// The hot loop of every peaks run: 68 lane operations with the three
    /// exps, as fused multiply-adds. The exps are powers of 2, e^u = 2^(u log2 e),
    /// whose exponents share l = -log2(e) (x^2 + y^2), and the first and third
    /// terms' constant factors (6 and 2/3) ride in their exponents.
    #[inline(always)]
    fn gradient<T: Real>(p: [T; 2]) -> [T; 2] {
        let (x, y) = (p[0], p[1]);
        // Constants in the arithmetic of x (lanes carry their CPU token).
        let c = |v: f64| x.splat(v);
        let x2 = x * x;
        let y2 = y * y;
        let b = x - c(1.0);
        let l = c(-LOG2_E) * (x2 + y2);
        let e1 = (c(-2.0 * LOG2_E).mul_add(y, c(SHIFT_1)) + l).exp2(); // 6 e^(-x^2-(y+1)^2)
        let e2 = l.exp2(); // e^(-x^2-y^2)
        let e3 = (c(-2.0 * LOG2_E).mul_add(x, c(SHIFT_3)) + l).exp2(); // 2/3 e^(-(x+1)^2-y^2)
        let y4 = y2 * y2;
        // q = x/5 - x^3 - y^5
        let q = c(0.2).mul_add(x, -x2.mul_add(x, y4 * y));
        // grad f = c1 e1 + c2 e2 + c3 e3, coefficient by coefficient:
        let b2 = b * b;
        let c1x = b * (-x).mul_add(b, c(1.0)); // -6 (1-x) (1 + x (1-x)), over 6
        let c1y = (-b2).mul_add(y, -b2); // -6 (1-x)^2 (y + 1), over 6
        let c2x = (c(20.0) * x).mul_add(q, c(30.0).mul_add(x2, c(-2.0))); // -10 (1/5 - 3 x^2 - 2 x q)
        let c2y = c(50.0).mul_add(y4, c(20.0) * y * q); // 10 y (5 y^3 + 2 q)
        let gx = c1x.mul_add(e1, c2x.mul_add(e2, x.mul_add(e3, e3))); // c3x = (x + 1), over 2/3
        let gy = c1y.mul_add(e1, c2y.mul_add(e2, y * e3)); // c3y = y, over 2/3
        [gx, gy]
    }

    fn hessian(p: [f64; 2]) -> [[f64; 2]; 2] {
        gradient_hessian(p).1
    }

    fn gradient_hessian(p: [f64; 2]) -> ([f64; 2], [[f64; 2]; 2]) {
        gradient_hessian(p)
    }
}

/// log2 e; log2 6 - log2 e and log2(2/3) - log2 e, the first and third
/// terms' exponents at x = y = 0 with their constant factors (`gradient`).
const LOG2_E: f64 = std::f64::consts::LOG2_E;
const SHIFT_1: f64 = 1.142_267_459_832_193;
const SHIFT_3: f64 = -2.027_657_541_610_119_5;

/// Gradient and exact Hessian from the same three exps, in f64: the basin
/// stage's Newton step needs both for every settled walker. Each term of
/// peaks is P(x,y) e^phi(x,y) with P a polynomial and phi a quadratic, so
/// its derivatives follow one product rule (`gaussian_term`).
fn gradient_hessian(p: [f64; 2]) -> ([f64; 2], [[f64; 2]; 2]) {
    let (x, y) = (p[0], p[1]);
    let a = 1.0 - x;
    // Term 1: P = 3(1-x)^2, phi = -x^2 - (y+1)^2.
    let t1 = gaussian_term(
        [3.0 * a * a, -6.0 * a, 0.0, 6.0, 0.0, 0.0],
        [-x * x - (y + 1.0) * (y + 1.0), -2.0 * x, -2.0 * (y + 1.0)],
    );
    // Term 2: P = -10(x/5 - x^3 - y^5) = -2x + 10x^3 + 10y^5, phi = -x^2 - y^2.
    let t2 = gaussian_term(
        [
            -2.0 * x + 10.0 * x.powi(3) + 10.0 * y.powi(5),
            -2.0 + 30.0 * x * x,
            50.0 * y.powi(4),
            60.0 * x,
            0.0,
            200.0 * y.powi(3),
        ],
        [-x * x - y * y, -2.0 * x, -2.0 * y],
    );
    // Term 3: P = -1/3, phi = -(x+1)^2 - y^2.
    let t3 = gaussian_term(
        [-1.0 / 3.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [-(x + 1.0) * (x + 1.0) - y * y, -2.0 * (x + 1.0), -2.0 * y],
    );
    let g = [0, 1].map(|k| t1.0[k] + t2.0[k] + t3.0[k]);
    let h = [0, 1, 2].map(|k| t1.1[k] + t2.1[k] + t3.1[k]);
    (g, [[h[0], h[1]], [h[1], h[2]]])
}

/// First derivatives [gx, gy] and second [hxx, hxy, hyy] of P e^phi,
/// given P's [P, Px, Py, Pxx, Pxy, Pyy] and phi's [phi, phix, phiy] for a
/// phi whose second derivatives are phixx = phiyy = -2, phixy = 0.
fn gaussian_term(poly: [f64; 6], phi: [f64; 3]) -> ([f64; 2], [f64; 3]) {
    let [p, px, py, pxx, pxy, pyy] = poly;
    let [phi, phx, phy] = phi;
    let e = phi.exp();
    (
        [(px + p * phx) * e, (py + p * phy) * e],
        [
            (pxx + 2.0 * px * phx + p * (-2.0 + phx * phx)) * e,
            (pxy + px * phy + py * phx + p * phx * phy) * e,
            (pyy + 2.0 * py * phy + p * (-2.0 + phy * phy)) * e,
        ],
    )
}
