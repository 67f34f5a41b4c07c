// Adam, bias-corrected. Twin of `step` in src/optim/adam.rs.

fn optimizer_step(w: ptr<function, Walker>, g: Point) {
    let beta1 = params.opt[0];
    let beta2 = params.opt[1];
    let eps = params.opt[2];
    let t = f32((*w).iterations + 1u);
    let c1 = 1.0 - pow(beta1, t);
    let c2 = 1.0 - pow(beta2, t);
    for (var k = 0u; k < DIM; k++) {
        (*w).m[k] = beta1 * (*w).m[k] + (1.0 - beta1) * g[k];
        (*w).v[k] = beta2 * (*w).v[k] + (1.0 - beta2) * g[k] * g[k];
        (*w).p[k] = (*w).p[k] - params.lr * ((*w).m[k] / c1) / (sqrt((*w).v[k] / c2) + eps);
    }
}
