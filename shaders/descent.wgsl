// The descent kernel: one invocation per walker, many steps per dispatch.
// Assembled after the prelude (`const DIM`, `alias Point = array<f32, DIM>`,
// `const OPTIMIZER` and the shared codes), shaders/starts.wgsl and a surface
// snippet that defines `surface_value`,
// `surface_gradient` and `surface_hessian`. Mirrors src/engine/mod.rs
// (`advance`, `step`, `newton_direction`, `finish`) and src/starts.rs
// (`StartFn::point`) line for line.

// STATUS_* (twin: `Status` in src/engine/mod.rs), START_UNIFORM and
// START_BUFFER, and OPT_* (twin: `Optimizer` in src/config.rs) come from the
// prelude that src/engine/gpu/mod.rs (`prelude`) writes from the Rust
// definitions. OPTIMIZER is a constant of the kernel, not a parameter, so the
// compiler drops the other updates (a uniform switch would run every case,
// masked, on a CPU driver).

// Twin: `Params` in src/engine/gpu/mod.rs (#[repr(C)], 64 bytes).
struct Params {
    lr: f32,
    tol2: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    damping: f32,
    seed_lo: u32,
    seed_hi: u32,
    base_lo: u32,
    base_hi: u32,
    count: u32,
    steps_now: u32,
    start_mode: u32,
    first_dispatch: u32,
    _pad0: u32,
    _pad1: u32,
}

// Twin: `WalkerState` in src/engine/mod.rs; read back by `decode` in
// src/engine/gpu/mod.rs (3 * DIM + 4 words).
struct Walker {
    p: Point,
    // First moment (momentum, Nesterov, Adam).
    m: Point,
    // Second moment (RMSProp, Adam).
    v: Point,
    f: f32,
    grad_norm: f32,
    iterations: u32,
    status: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> walkers: array<Walker>;
// Start points for START_BUFFER, DIM floats per walker.
@group(0) @binding(2) var<storage, read> starts: array<f32>;
// The escape box lo[DIM], hi[DIM], then the region's origin[DIM], width[DIM].
@group(0) @binding(3) var<storage, read> bounds: array<f32>;

fn is_finite(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

// Walker `i` of this chunk: index base + i, carried into the high word.
fn start_point(i: u32) -> Point {
    var p: Point;
    if (params.start_mode == START_BUFFER) {
        for (var k = 0u; k < DIM; k++) {
            p[k] = starts[i * DIM + k];
        }
        return p;
    }
    let index_lo = params.base_lo + i;
    let index_hi = params.base_hi + select(0u, 1u, index_lo < params.base_lo);
    let key = walker_key(params.seed_lo, params.seed_hi, index_hi);
    var h = index_lo;
    for (var k = 0u; k < DIM; k++) {
        h = pcg_hash(h ^ key);
        p[k] = bounds[2u * DIM + k] + unit_f32(h) * bounds[3u * DIM + k];
    }
    return p;
}

fn norm2(a: Point) -> f32 {
    var s = 0.0;
    for (var k = 0u; k < DIM; k++) {
        s += a[k] * a[k];
    }
    return s;
}

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

// One update of the optimizer: moments, then position.
fn step(w: ptr<function, Walker>, g: Point) {
    let lr = params.lr;
    let b1 = params.beta1;
    let b2 = params.beta2;
    switch OPTIMIZER {
        case OPT_MOMENTUM: {
            for (var k = 0u; k < DIM; k++) {
                (*w).m[k] = b1 * (*w).m[k] + g[k];
                (*w).p[k] = (*w).p[k] - lr * (*w).m[k];
            }
        }
        case OPT_NESTEROV: {
            for (var k = 0u; k < DIM; k++) {
                (*w).m[k] = b1 * (*w).m[k] + g[k];
                (*w).p[k] = (*w).p[k] - lr * (g[k] + b1 * (*w).m[k]);
            }
        }
        case OPT_RMSPROP: {
            for (var k = 0u; k < DIM; k++) {
                (*w).v[k] = b2 * (*w).v[k] + (1.0 - b2) * g[k] * g[k];
                (*w).p[k] = (*w).p[k] - lr * g[k] / (sqrt((*w).v[k]) + params.eps);
            }
        }
        case OPT_ADAM: {
            let t = f32((*w).iterations + 1u);
            let c1 = 1.0 - pow(b1, t);
            let c2 = 1.0 - pow(b2, t);
            for (var k = 0u; k < DIM; k++) {
                (*w).m[k] = b1 * (*w).m[k] + (1.0 - b1) * g[k];
                (*w).v[k] = b2 * (*w).v[k] + (1.0 - b2) * g[k] * g[k];
                (*w).p[k] = (*w).p[k] - lr * ((*w).m[k] / c1) / (sqrt((*w).v[k] / c2) + params.eps);
            }
        }
        case OPT_NEWTON: {
            let dir = newton_direction((*w).p, g);
            for (var k = 0u; k < DIM; k++) {
                if (dir.ok) {
                    (*w).p[k] = (*w).p[k] - params.damping * dir.d[k];
                } else {
                    (*w).p[k] = (*w).p[k] - lr * g[k];
                }
            }
        }
        default: {
            for (var k = 0u; k < DIM; k++) {
                (*w).p[k] = (*w).p[k] - lr * g[k];
            }
        }
    }
}

fn advance(w: ptr<function, Walker>, steps: u32) {
    // The escape box, read from storage once (a read per step is twice
    // the cost of the whole step on lavapipe). Twin: `params.lo`, `params.hi`.
    var lo: Point;
    var hi: Point;
    for (var k = 0u; k < DIM; k++) {
        lo[k] = bounds[k];
        hi[k] = bounds[DIM + k];
    }
    for (var s = 0u; s < steps; s++) {
        if ((*w).status != STATUS_MOVING) {
            break;
        }
        let g = surface_gradient((*w).p);
        // Settled: the gradient, and any momentum, below tol.
        if (norm2(g) < params.tol2 && norm2((*w).m) < params.tol2) {
            (*w).status = STATUS_CONVERGED;
            break;
        }
        step(w, g);
        (*w).iterations += 1u;
        var finite = true;
        var outside = false;
        for (var k = 0u; k < DIM; k++) {
            let x = (*w).p[k];
            finite = finite && is_finite(x);
            outside = outside || x < lo[k] || x > hi[k];
        }
        if (!finite) {
            (*w).status = STATUS_NONFINITE;
        } else if (outside) {
            (*w).status = STATUS_ESCAPED;
        }
    }
}

fn finish(w: ptr<function, Walker>) {
    let g = surface_gradient((*w).p);
    (*w).f = surface_value((*w).p);
    (*w).grad_norm = sqrt(norm2(g));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn descend(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= params.count) {
        return;
    }
    var w: Walker;
    if (params.first_dispatch == 1u) {
        w.p = start_point(i);
        w.iterations = 0u;
        w.status = STATUS_MOVING;
    } else {
        w = walkers[i];
    }
    advance(&w, params.steps_now);
    finish(&w);
    walkers[i] = w;
}
