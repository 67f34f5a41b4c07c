// RMSProp. Twin of `step` in src/optim/rmsprop.rs.

fn optimizer_step(w: ptr<function, Walker>, g: Point) {
    let rho = params.opt[0];
    let eps = params.opt[1];
    for (var k = 0u; k < DIM; k++) {
        (*w).v[k] = rho * (*w).v[k] + (1.0 - rho) * g[k] * g[k];
        (*w).p[k] = (*w).p[k] - params.lr * g[k] / (sqrt((*w).v[k]) + eps);
    }
}
