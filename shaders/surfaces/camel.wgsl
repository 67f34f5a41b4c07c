// The six-hump camel. Mirrors src/surface/camel.rs (`value`, `gradient`) line for line.

fn surface_value(p: Point) -> f32 {
    let x = p[0];
    let y = p[1];
    let x2 = x * x;
    let y2 = y * y;
    return (4.0 - 2.1 * x2 + x2 * x2 * (1.0 / 3.0)) * x2 + x * y + (-4.0 + 4.0 * y2) * y2;
}

fn surface_gradient(p: Point) -> Point {
    let x = p[0];
    let y = p[1];
    let x2 = x * x;
    let y2 = y * y;
    let gx = 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y;
    let gy = x - 8.0 * y + 16.0 * y2 * y;
    return Point(gx, gy);
}
