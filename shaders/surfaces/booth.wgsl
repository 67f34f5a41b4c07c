// Booth's function. Mirrors src/surface/booth.rs (`value`, `gradient`) line for line.

fn surface_value(p: Point) -> f32 {
    let x = p[0];
    let y = p[1];
    let a = x + 2.0 * y - 7.0;
    let b = 2.0 * x + y - 5.0;
    return a * a + b * b;
}

fn surface_gradient(p: Point) -> Point {
    let x = p[0];
    let y = p[1];
    let a = x + 2.0 * y - 7.0;
    let b = 2.0 * x + y - 5.0;
    return Point(2.0 * a + 4.0 * b, 4.0 * a + 2.0 * b);
}
