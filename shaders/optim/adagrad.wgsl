// AdaGrad. Twin of `step` in src/optim/adagrad.rs.

fn optimizer_step(w: ptr<function, Walker>, g: Point) {
    let eps = params.opt[0];
    for (var k = 0u; k < DIM; k++) {
        (*w).v[k] = (*w).v[k] + g[k] * g[k];
        (*w).p[k] = (*w).p[k] - params.lr * g[k] / (sqrt((*w).v[k]) + eps);
    }
}
