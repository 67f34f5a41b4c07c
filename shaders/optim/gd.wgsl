// Plain gradient descent. Twin of `step` in src/optim/gd.rs.

fn optimizer_step(w: ptr<function, Walker>, g: Point) {
    for (var k = 0u; k < DIM; k++) {
        (*w).p[k] = (*w).p[k] - params.lr * g[k];
    }
}
