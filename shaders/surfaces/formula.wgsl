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

// Where f32::ln, log2 and log10 call WGSL's log or log2: in (0, inf). WGSL's are
// undefined at x <= 0.
fn formula_log_defined(x: f32) -> bool {
    return x > 0.0 && !formula_not_finite(x);
}

// What f32::ln, log2 and log10 answer elsewhere: NaN below 0 and at NaN, -inf at 0 and
// -0, inf at inf.
fn formula_log_outside(x: f32) -> f32 {
    if (formula_is_nan(x) || x < 0.0) {
        return formula_nan(x);
    }
    if (x == 0.0) {
        return -formula_inf(abs(x));
    }
    return x;
}

// f32::ln.
fn formula_log(x: f32) -> f32 {
    if (formula_log_defined(x)) {
        return log(x);
    }
    return formula_log_outside(x);
}

// f32::log2.
fn formula_log2(x: f32) -> f32 {
    if (formula_log_defined(x)) {
        return log2(x);
    }
    return formula_log_outside(x);
}

// f32::log10: WGSL has none; log2(x) log10(2), within a few ulp.
fn formula_log10(x: f32) -> f32 {
    if (formula_log_defined(x)) {
        return log2(x) * 0.30102999566398120;
    }
    return formula_log_outside(x);
}

// f32::exp2: inf from 128 on, 0 from -150 down (2^-150 is half the least subnormal and
// rounds to even), NaN at NaN. WGSL's exp2 overflows to an indeterminate value.
fn formula_exp2(x: f32) -> f32 {
    if (formula_is_nan(x)) {
        return x;
    }
    if (x >= 128.0) {
        return formula_inf(x);
    }
    if (x <= -150.0) {
        return 0.0;
    }
    return exp2(x);
}

// f32::atan: +-pi/2 at +-inf, NaN at NaN (WGSL leaves inf to the driver).
fn formula_atan(x: f32) -> f32 {
    if (formula_is_nan(x)) {
        return x;
    }
    if (formula_not_finite(x)) {
        return select(1.5707964, -1.5707964, x < 0.0);
    }
    return atan(x);
}

// f32::asin, acos: NaN outside [-1, 1] and at NaN, where WGSL's are undefined. Inside
// by atan, not WGSL's asin and acos: those promise only atan2's 4096 ulp, and lavapipe's
// are up to 4e-4 off where its atan is 3e-6. (1 - x)(1 + x) is 1 - x^2 without its
// cancellation near +-1.
fn formula_asin(x: f32) -> f32 {
    if (formula_is_nan(x) || abs(x) > 1.0) {
        return formula_nan(x);
    }
    if (abs(x) == 1.0) {
        return x * 1.5707964;
    }
    return atan(x / sqrt((1.0 - x) * (1.0 + x)));
}

fn formula_acos(x: f32) -> f32 {
    if (formula_is_nan(x) || abs(x) > 1.0) {
        return formula_nan(x);
    }
    if (x == -1.0) {
        return 3.1415927;
    }
    return 2.0 * atan(sqrt((1.0 - x) / (1.0 + x)));
}

// e^|x| / 2 for |x| > 10 (where e^-|x| is below half an ulp of it), as
// e^(|x|/2) * (e^(|x|/2) / 2): e^|x| itself overflows from 88.72 on, e^|x| / 2 only
// from 89.41599 on, where f32::sinh and cosh turn inf (89.415985 is their last finite
// argument); +inf there, and at +-inf.
fn formula_half_exp(ax: f32) -> f32 {
    if (ax > 89.415985107421875) {
        return formula_inf(1.0 + ax);
    }
    let t = exp(0.5 * ax);
    return t * (0.5 * t);
}

// f32::sinh: +-inf beyond +-89.41599, NaN at NaN. WGSL's sinh is (e^x - e^-x) / 2,
// which overflows early (and indeterminately) for large |x|.
fn formula_sinh(x: f32) -> f32 {
    if (formula_is_nan(x)) {
        return x;
    }
    if (abs(x) > 10.0) {
        return select(1.0, -1.0, x < 0.0) * formula_half_exp(abs(x));
    }
    return sinh(x);
}

// f32::cosh: inf beyond +-89.41599, NaN at NaN.
fn formula_cosh(x: f32) -> f32 {
    if (formula_is_nan(x)) {
        return x;
    }
    if (abs(x) > 10.0) {
        return formula_half_exp(abs(x));
    }
    return cosh(x);
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

// f32::atan2(y, x), the angle of (x, y) in [-pi, pi] with y's sign: what IEEE 754
// (C's atan2) gives at zeros and infinities, where WGSL's atan2 is undefined: at y = +-0,
// +-0 or +-pi by x's sign bit; at x = +-0, +-pi/2; at y = +-inf, +-pi/2 (+-pi/4 or
// +-3 pi/4 if x is infinite too); at x = +-inf, +-0 or +-pi. NaN at NaN.
fn formula_atan2(y: f32, x: f32) -> f32 {
    if (formula_is_nan(y) || formula_is_nan(x)) {
        return formula_nan(x + y);
    }
    let x_negative = (bitcast<u32>(x) & 0x80000000u) != 0u;
    var r: f32;
    if (formula_not_finite(y)) {
        if (formula_not_finite(x)) {
            r = select(0.7853982, 2.3561945, x_negative);
        } else {
            r = 1.5707964;
        }
    } else if (y == 0.0 || formula_not_finite(x)) {
        r = select(0.0, 3.1415927, x_negative);
    } else if (x == 0.0) {
        r = 1.5707964;
    } else {
        r = atan2(abs(y), x);
    }
    let y_negative = (bitcast<u32>(y) & 0x80000000u) != 0u;
    return select(r, -r, y_negative);
}

// f32::min and max: the other if one is NaN (WGSL's min and max may give either).
fn formula_min(a: f32, b: f32) -> f32 {
    if (formula_is_nan(a)) {
        return b;
    }
    if (formula_is_nan(b)) {
        return a;
    }
    return select(a, b, b < a);
}

fn formula_max(a: f32, b: f32) -> f32 {
    if (formula_is_nan(a)) {
        return b;
    }
    if (formula_is_nan(b)) {
        return a;
    }
    return select(a, b, b > a);
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
