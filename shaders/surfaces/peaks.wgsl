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

fn surface_gradient(p: Point) -> Point {
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
    let gx = -6.0 * a * (1.0 + x * a) * e1
        - 10.0 * (0.2 - 3.0 * x2 - 2.0 * x * q) * e2
        + (2.0 / 3.0) * xp * e3;
    let gy = -6.0 * a * a * yp * e1
        + 10.0 * y * (5.0 * y2 * y + 2.0 * q) * e2
        + (2.0 / 3.0) * y * e3;
    return Point(gx, gy);
}
