// Himmelblau's function. Mirrors src/surface/himmelblau.rs (`value`, `gradient`) line for line.

fn surface_value(p: Point) -> f32 {
    let x = p[0];
    let y = p[1];
    let a = x * x + y - 11.0;
    let b = x + y * y - 7.0;
    return a * a + b * b;
}

fn surface_gradient(p: Point) -> Point {
    let x = p[0];
    let y = p[1];
    let a = x * x + y - 11.0;
    let b = x + y * y - 7.0;
    return Point(4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b);
}
