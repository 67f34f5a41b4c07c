// Heavy-ball momentum. Twin of `step` in src/optim/momentum.rs.

fn optimizer_step(w: ptr<function, Walker>, g: Point) {
    let beta = params.opt[0];
    for (var k = 0u; k < DIM; k++) {
        (*w).m[k] = beta * (*w).m[k] + g[k];
        (*w).p[k] = (*w).p[k] - params.lr * (*w).m[k];
    }
}
