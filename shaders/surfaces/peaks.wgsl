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

// The hot loop of every peaks run: written as fused multiply-adds, 73
// lane operations with the three exps.
fn surface_gradient(p: Point) -> Point {
    let x = p[0];
    let y = p[1];
    let x2 = x * x;
    let y2 = y * y;
    let a = 1.0 - x;
    let yp = y + 1.0;
    let xp = x + 1.0;
    let e1 = exp(fma(-yp, yp, -x2));
    let e2 = exp(fma(-y, y, -x2));
    let e3 = exp(fma(-xp, xp, -y2));
    let y4 = y2 * y2;
    // q = x/5 - x^3 - y^5
    let q = fma(0.2, x, -fma(x2, x, y4 * y));
    // grad f = c1 e1 + c2 e2 + c3 e3, coefficient by coefficient:
    let a6 = -6.0 * a;
    let c1x = a6 * fma(x, a, 1.0); // -6 a (1 + x a)
    let c1y = a6 * a * yp; // -6 a^2 (y + 1)
    let c2x = fma(20.0 * x, q, fma(30.0, x2, -2.0)); // -10 (1/5 - 3 x^2 - 2 x q)
    let c2y = fma(50.0, y4, 20.0 * y * q); // 10 y (5 y^3 + 2 q)
    let c3x = (2.0 / 3.0) * xp;
    let c3y = (2.0 / 3.0) * y;
    let gx = fma(c1x, e1, fma(c2x, e2, c3x * e3));
    let gy = fma(c1y, e1, fma(c2y, e2, c3y * e3));
    return Point(gx, gy);
}
