// Damped Newton. Twin of `step` and `newton_direction` in src/optim/newton.rs.

// H^-1 g by Cholesky, or all zeros (flagged by ok = false) where H is not
// positive definite.
struct Direction {
    d: Point,
    ok: bool,
}

fn newton_direction(p: Point, g: Point) -> Direction {
    var h = surface_hessian(p);
    var out: Direction;
    out.ok = true;
    // h = L L^T in place (lower triangle).
    for (var j = 0u; j < DIM; j++) {
        var s = h[j * DIM + j];
        for (var k = 0u; k < j; k++) {
            s -= h[j * DIM + k] * h[j * DIM + k];
        }
        if (!(s > 0.0)) {
            out.ok = false;
            return out;
        }
        let l = sqrt(s);
        h[j * DIM + j] = l;
        for (var i = j + 1u; i < DIM; i++) {
            var t = h[i * DIM + j];
            for (var k = 0u; k < j; k++) {
                t -= h[i * DIM + k] * h[j * DIM + k];
            }
            h[i * DIM + j] = t / l;
        }
    }
    // L y = g, then L^T d = y.
    var y: Point;
    for (var i = 0u; i < DIM; i++) {
        var t = g[i];
        for (var k = 0u; k < i; k++) {
            t -= h[i * DIM + k] * y[k];
        }
        y[i] = t / h[i * DIM + i];
    }
    for (var r = 0u; r < DIM; r++) {
        let i = DIM - 1u - r;
        var t = y[i];
        for (var k = i + 1u; k < DIM; k++) {
            t -= h[k * DIM + i] * out.d[k];
        }
        out.d[i] = t / h[i * DIM + i];
    }
    return out;
}

fn optimizer_step(w: ptr<function, Walker>, g: Point) {
    let damping = params.opt[0];
    let dir = newton_direction((*w).p, g);
    for (var k = 0u; k < DIM; k++) {
        if (dir.ok) {
            (*w).p[k] = (*w).p[k] - damping * dir.d[k];
        } else {
            (*w).p[k] = (*w).p[k] - params.lr * g[k];
        }
    }
}
