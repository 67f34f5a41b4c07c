// The functions generated formulas call (src/surface/formula/wgsl.rs, `WGSL_FUNCTIONS`).
// Each is the twin of Rust's f32 function (`Func::apply`, `f32::powf`): WGSL's
// builtin is undefined or driver-dependent at some inputs where Rust's answer
// is defined, so those inputs are answered here as Rust answers them and the
// builtin runs only where it is defined. NaN and inf are made at run time from
// an argument: WGSL has no NaN or inf constants (naga refuses them).

fn formula_is_nan(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// inf or NaN.
fn formula_not_finite(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
}

// A quiet NaN (from v's bits, so computed at run time).
fn formula_nan(v: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(v) | 0x7fc00000u);
}

// inf with v's sign.
fn formula_inf(v: f32) -> f32 {
    return bitcast<f32>((bitcast<u32>(v) & 0x80000000u) | 0x7f800000u);
}

// f32::exp: inf above ln(f32::MAX) = 88.7228391 (the f32 below it is 88.72283172607421875,
// exp of which is finite), 0 below -104 (exp(-103.98) is under half the least subnormal),
// NaN at NaN. WGSL's exp overflows to an indeterminate value, and some drivers give NaN.
fn formula_exp(x: f32) -> f32 {
    if (formula_is_nan(x)) {
        return x;
    }
    if (x > 88.72283172607421875) {
        return formula_inf(x);
    }
    if (x < -104.0) {
        return 0.0;
    }
    return exp(x);
}

// f32::ln: NaN below 0, -inf at 0 and -0, inf at inf. WGSL's log is undefined at x <= 0.
fn formula_log(x: f32) -> f32 {
    if (formula_is_nan(x) || x < 0.0) {
        return formula_nan(x);
    }
    if (x == 0.0) {
        return -formula_inf(abs(x));
    }
    if (formula_not_finite(x)) {
        return x;
    }
    return log(x);
}

// f32::sqrt: NaN below 0 (-0 gives -0), inf at inf. WGSL's sqrt is undefined below 0.
fn formula_sqrt(x: f32) -> f32 {
    if (formula_is_nan(x) || x < 0.0) {
        return formula_nan(x);
    }
    if (x == 0.0 || formula_not_finite(x)) {
        return x;
    }
    return sqrt(x);
}

// f32::sin, cos, tan: NaN at inf and NaN.
fn formula_sin(x: f32) -> f32 {
    if (formula_not_finite(x)) {
        return formula_nan(x);
    }
    return sin(x);
}

fn formula_cos(x: f32) -> f32 {
    if (formula_not_finite(x)) {
        return formula_nan(x);
    }
    return cos(x);
}

fn formula_tan(x: f32) -> f32 {
    if (formula_not_finite(x)) {
        return formula_nan(x);
    }
    return tan(x);
}

// f32::tanh: +-1 for |x| > 10 (in f32, tanh is 1 from 9.01 on) and at +-inf, NaN at NaN.
// WGSL's tanh is sinh / cosh, NaN for |x| above about 89 on some drivers.
fn formula_tanh(x: f32) -> f32 {
    if (formula_is_nan(x)) {
        return x;
    }
    if (abs(x) > 10.0) {
        return sign(x);
    }
    return tanh(x);
}

// `Real::signum`: -1, 0 (of x's sign) or 1, NaN at NaN.
fn formula_sign(x: f32) -> f32 {
    if (formula_is_nan(x) || x == 0.0) {
        return x;
    }
    return sign(x);
}

// f32::powf (C's powf, IEEE 754 pow): x^0 = 1^y = 1 even for NaN; a negative finite
// base to a non-integer power is NaN; 0 to a power below 0 is inf (-inf for -0 and an
// odd power); odd integer powers keep the base's sign. WGSL's pow is undefined for
// x < 0 and for x = 0, y <= 0, so it only ever sees |x| in (0, inf) and a finite y.
fn formula_pow(x: f32, y: f32) -> f32 {
    if (y == 0.0 || x == 1.0) {
        return 1.0;
    }
    if (formula_is_nan(x) || formula_is_nan(y)) {
        return formula_nan(x + y);
    }
    let ax = abs(x);
    if (formula_not_finite(y)) {
        // (-1)^inf = 1; |x| < 1: 0 to +inf, inf to -inf; |x| > 1 the other way round.
        if (ax == 1.0) {
            return 1.0;
        }
        if ((ax < 1.0) == (y < 0.0)) {
            return formula_inf(1.0 + ax);
        }
        return 0.0;
    }
    let whole = floor(y) == y;
    // Above 2^24 every f32 is even.
    let odd = whole && fract(0.5 * y) != 0.0;
    if (x < 0.0 && !whole && !formula_not_finite(x)) {
        return formula_nan(x);
    }
    var r: f32;
    if (ax == 0.0) {
        r = select(0.0, formula_inf(1.0 + ax), y < 0.0);
    } else if (formula_not_finite(ax)) {
        r = select(ax, 0.0, y < 0.0);
    } else {
        r = pow(ax, y);
    }
    let negative = (bitcast<u32>(x) & 0x80000000u) != 0u;
    return select(r, -r, odd && negative);
}
