// Himmelblau's function. Mirrors src/surface/himmelblau.rs (`value`, `gradient`) line for line.

fn surface_value(p: vec2<f32>) -> f32 {
    let x = p.x;
    let y = p.y;
    let a = x * x + y - 11.0;
    let b = x + y * y - 7.0;
    return a * a + b * b;
}

fn surface_gradient(p: vec2<f32>) -> vec2<f32> {
    let x = p.x;
    let y = p.y;
    let a = x * x + y - 11.0;
    let b = x + y * y - 7.0;
    return vec2<f32>(4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b);
}
