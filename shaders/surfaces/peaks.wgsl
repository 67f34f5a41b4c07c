// MATLAB's peaks. Mirrors src/surface/peaks.rs (`value`, `gradient`) line for line.

fn surface_value(p: Point) -> f32 {
    let x = p[0];
    let y = p[1];
    let x2 = x * x;
    let y2 = y * y;
    let a = 1.0 - x;
    let yp = y + 1.0;
    let xp = x + 1.0;
    let e1 = exp(-x2 - yp * yp);
    let e2 = exp(-x2 - y2);
    let e3 = exp(-xp * xp - y2);
    let q = 0.2 * x - x2 * x - y2 * y2 * y;
    return 3.0 * a * a * e1 - 10.0 * q * e2 - (1.0 / 3.0) * e3;
}

// log2 e; log2 6 - log2 e and log2(2/3) - log2 e, the first and third
// terms' exponents at x = y = 0 with their constant factors (`surface_gradient`).
const LOG2_E: f32 = 1.4426950408889634;
const SHIFT_1: f32 = 1.142267459832193;
const SHIFT_3: f32 = -2.0276575416101195;

// The hot loop of every peaks run: 68 lane operations with the three
// exps, as fused multiply-adds. The exps are powers of 2, e^u = 2^(u log2 e),
// whose exponents share l = -log2(e) (x^2 + y^2), and the first and third
// terms' constant factors (6 and 2/3) ride in their exponents.
fn surface_gradient(p: Point) -> Point {
    let x = p[0];
    let y = p[1];
    let x2 = x * x;
    let y2 = y * y;
    let b = x - 1.0;
    let l = -LOG2_E * (x2 + y2);
    let e1 = exp2(fma(-2.0 * LOG2_E, y, SHIFT_1) + l); // 6 e^(-x^2-(y+1)^2)
    let e2 = exp2(l); // e^(-x^2-y^2)
    let e3 = exp2(fma(-2.0 * LOG2_E, x, SHIFT_3) + l); // 2/3 e^(-(x+1)^2-y^2)
    let y4 = y2 * y2;
    // q = x/5 - x^3 - y^5
    let q = fma(0.2, x, -fma(x2, x, y4 * y));
    // grad f = c1 e1 + c2 e2 + c3 e3, coefficient by coefficient:
    let b2 = b * b;
    let c1x = b * fma(-x, b, 1.0); // -6 (1-x) (1 + x (1-x)), over 6
    let c1y = fma(-b2, y, -b2); // -6 (1-x)^2 (y + 1), over 6
    let c2x = fma(20.0 * x, q, fma(30.0, x2, -2.0)); // -10 (1/5 - 3 x^2 - 2 x q)
    let c2y = fma(50.0, y4, 20.0 * y * q); // 10 y (5 y^3 + 2 q)
    let gx = fma(c1x, e1, fma(c2x, e2, fma(x, e3, e3))); // c3x = (x + 1), over 2/3
    let gy = fma(c1y, e1, fma(c2y, e2, y * e3)); // c3y = y, over 2/3
    return Point(gx, gy);
}
