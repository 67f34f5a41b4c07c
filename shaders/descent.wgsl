// The descent kernel: one invocation per walker, many steps per dispatch.
// Assembled after shaders/starts.wgsl and a surface snippet that defines
// `surface_value` and `surface_gradient`. Mirrors src/engine/mod.rs
// (`advance`, `finish`) and src/starts.rs (`StartFn::point`) line for line.

const STATUS_MOVING: u32 = 0u;
const STATUS_CONVERGED: u32 = 1u;
const STATUS_ESCAPED: u32 = 2u;
const STATUS_NONFINITE: u32 = 3u;

const START_UNIFORM: u32 = 0u;
const START_BUFFER: u32 = 1u;

// Twin: `Params` in src/engine/gpu/mod.rs (#[repr(C)], 80 bytes).
struct Params {
    lr: f32,
    tol2: f32,
    lo: vec2<f32>,
    hi: vec2<f32>,
    origin: vec2<f32>,
    width: vec2<f32>,
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

// Twin: `GpuWalker` in src/engine/gpu/mod.rs (24 bytes).
struct Walker {
    p: vec2<f32>,
    f: f32,
    grad_norm: f32,
    iterations: u32,
    status: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> walkers: array<Walker>;
@group(0) @binding(2) var<storage, read> starts: array<vec2<f32>>;

fn is_finite(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

// Walker `i` of this chunk: index base + i, carried into the high word.
fn start_point(i: u32) -> vec2<f32> {
    if (params.start_mode == START_BUFFER) {
        return starts[i];
    }
    let index_lo = params.base_lo + i;
    let index_hi = params.base_hi + select(0u, 1u, index_lo < params.base_lo);
    let h = walker_hash(params.seed_lo, params.seed_hi, index_lo, index_hi);
    let u = vec2<f32>(unit_f32(h.x), unit_f32(h.y));
    return vec2<f32>(params.origin.x + u.x * params.width.x, params.origin.y + u.y * params.width.y);
}

fn advance(w: ptr<function, Walker>, steps: u32) {
    for (var k = 0u; k < steps; k++) {
        if ((*w).status != STATUS_MOVING) {
            break;
        }
        let g = surface_gradient((*w).p);
        if (g.x * g.x + g.y * g.y < params.tol2) {
            (*w).status = STATUS_CONVERGED;
            break;
        }
        (*w).p = vec2<f32>((*w).p.x - params.lr * g.x, (*w).p.y - params.lr * g.y);
        (*w).iterations += 1u;
        if (!(is_finite((*w).p.x) && is_finite((*w).p.y))) {
            (*w).status = STATUS_NONFINITE;
        } else if ((*w).p.x < params.lo.x || (*w).p.x > params.hi.x || (*w).p.y < params.lo.y || (*w).p.y > params.hi.y) {
            (*w).status = STATUS_ESCAPED;
        }
    }
}

fn finish(w: ptr<function, Walker>) {
    let g = surface_gradient((*w).p);
    (*w).f = surface_value((*w).p);
    (*w).grad_norm = sqrt(g.x * g.x + g.y * g.y);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn descend(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= params.count) {
        return;
    }
    var w: Walker;
    if (params.first_dispatch == 1u) {
        w = Walker(start_point(i), 0.0, 0.0, 0u, STATUS_MOVING);
    } else {
        w = walkers[i];
    }
    advance(&w, params.steps_now);
    finish(&w);
    walkers[i] = w;
}
