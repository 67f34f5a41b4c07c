// The descent kernel: one invocation per walker, many steps per dispatch.
// Assembled after the prelude (`const DIM`, `alias Point = array<f32, DIM>`
// and the shared codes), shaders/starts.wgsl, a surface snippet that
// defines `surface_value`, `surface_gradient` and `surface_hessian`, and
// the optimizer's snippet (shaders/optim/NAME.wgsl) that defines
// `optimizer_step`. Mirrors src/engine/mod.rs (`advance`, `finish`) and
// src/starts.rs (`StartFn::point`) line for line.

// STATUS_* (twin: `Status` in src/walker.rs), START_UNIFORM and
// START_BUFFER come from the prelude that src/engine/gpu/mod.rs (`prelude`)
// writes from the Rust definitions. The optimizer is spliced in, not
// chosen by a parameter: a uniform switch would run every case, masked, on
// a CPU driver.

// Twin: `Params` in src/engine/gpu/mod.rs (#[repr(C)], 64 bytes).
struct Params {
    // The optimizer's parameters in its spec's order (src/optim/NAME.rs).
    opt: vec4<f32>,
    lr: f32,
    tol2: f32,
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

// Twin: `WalkerState` in src/walker.rs; read back by `decode` in
// src/engine/gpu/mod.rs (3 * DIM + 4 words).
struct Walker {
    p: Point,
    // First moment (momentum, Nesterov, Adam).
    m: Point,
    // Second moment (the adaptive methods: RMSProp, Adam...).
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
        optimizer_step(w, g);
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
