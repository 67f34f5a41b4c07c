//! Surfaces f(x1, ..., xD): value and gradient generic over the float type
//! (the f32 versions mirror the WGSL snippets line for line), the Hessian
//! in f64 for the host, a default region and the known critical points.
//!
//! Peaks, Himmelblau and the camel are written by hand (2-D, inlined into
//! the fast CPU engine); the library's other surfaces and `--expr` are
//! formulas, differentiated by `formula/`. The engines only call the
//! methods below.

pub mod camel;
pub mod formula;
pub mod himmelblau;
pub mod peaks;

use std::ops::{Add, Div, Mul, Neg, Sub};

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

pub use formula::Formula;

use crate::region::Region;

/// What a critical point is, by the signs of its Hessian's eigenvalues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Minimum,
    Saddle,
    Maximum,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Minimum => "minimum",
            Kind::Saddle => "saddle",
            Kind::Maximum => "maximum",
        }
    }
}

/// A critical point known in closed form or from the literature.
#[derive(Clone, Debug)]
pub struct KnownPoint {
    pub kind: Kind,
    pub point: Vec<f64>,
    pub f: f64,
    /// The lowest minimum of the surface.
    pub global: bool,
}

/// A known point of a 2-D surface, as the surface modules list them.
#[derive(Clone, Copy, Debug)]
pub struct Known2 {
    pub kind: Kind,
    pub point: [f64; 2],
    pub f: f64,
    pub global: bool,
}

/// Most dimensions a surface may have.
pub const MAX_DIM: usize = formula::MAX_VARIABLES;

/// The surfaces of the library that are defined by their formula: the
/// gradient, the Hessian and the WGSL come from `formula/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Library {
    /// The course's bowl x^2 + y^2: one minimum at the origin.
    Bowl,
    /// The course's x^2 sin(y): a valley of minima along x = 0 where sin y > 0
    /// (not isolated: walkers there count as plateau), and a ridge where sin y < 0.
    XSinY,
    /// Rosenbrock's banana valley in D dimensions: global minimum at (1, ..., 1).
    Rosenbrock,
    /// Rastrigin's function in D dimensions: 10^D local minima near the
    /// integer lattice, global minimum at the origin.
    Rastrigin,
    /// Ackley's function in D dimensions: many local minima, global minimum
    /// at the origin (a cone tip, where the gradient is not defined).
    Ackley,
}

impl Library {
    const ALL: [Library; 5] = [Library::Bowl, Library::XSinY, Library::Rosenbrock, Library::Rastrigin, Library::Ackley];

    fn name(self) -> &'static str {
        match self {
            Library::Bowl => "bowl",
            Library::XSinY => "xsiny",
            Library::Rosenbrock => "rosenbrock",
            Library::Rastrigin => "rastrigin",
            Library::Ackley => "ackley",
        }
    }

    /// Whether `--dim` applies.
    fn any_dim(self) -> bool {
        matches!(self, Library::Rosenbrock | Library::Rastrigin | Library::Ackley)
    }

    /// The formula in D variables x1..xD.
    fn formula(self, dim: usize) -> String {
        let each = |term: &dyn Fn(usize) -> String| (1..=dim).map(term).collect::<Vec<_>>().join(" + ");
        match self {
            Library::Bowl => "x^2 + y^2".into(),
            Library::XSinY => "x^2 * sin(y)".into(),
            Library::Rosenbrock => {
                (1..dim).map(|i| format!("100*(x{}-x{i}^2)^2 + (1-x{i})^2", i + 1)).collect::<Vec<_>>().join(" + ")
            }
            Library::Rastrigin => format!("10*{dim} + {}", each(&|i| format!("x{i}^2 - 10*cos(2*pi*x{i})"))),
            Library::Ackley => format!(
                "-20*exp(-0.2*sqrt(({})/{dim})) - exp(({})/{dim}) + 20 + e",
                each(&|i| format!("x{i}^2")),
                each(&|i| format!("cos(2*pi*x{i})"))
            ),
        }
    }

    fn region(self, dim: usize) -> Region {
        match self {
            Library::Bowl | Library::XSinY | Library::Rosenbrock => Region::cube(-2.0, 2.0, dim),
            // The customary domains (e.g. Surjanovic & Bingham's library).
            Library::Rastrigin => Region::cube(-5.12, 5.12, dim),
            Library::Ackley => Region::cube(-5.0, 5.0, dim),
        }
    }

    /// Known global minima (sources: Rosenbrock 1960, Rastrigin 1974,
    /// Ackley 1987; all at f = 0).
    fn known_points(self, dim: usize) -> Vec<KnownPoint> {
        let at = |v: f64| vec![KnownPoint { kind: Kind::Minimum, point: vec![v; dim], f: 0.0, global: true }];
        match self {
            Library::Bowl | Library::Rastrigin | Library::Ackley => at(0.0),
            Library::Rosenbrock => at(1.0),
            Library::XSinY => Vec::new(),
        }
    }
}

/// A surface: one of the built-in ones, or a formula the user typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Surface {
    /// MATLAB's peaks: three minima, three saddles, three maxima in [-3,3]^2.
    #[default]
    Peaks,
    /// Himmelblau's function: four minima, all global (f = 0).
    Himmelblau,
    /// The six-hump camel: six minima, two of them global.
    Camel,
    /// A library surface, with its formula for `dim` dimensions.
    Library(Library, Arc<Formula>),
    /// `--expr`: parsed and differentiated symbolically.
    Formula(Arc<Formula>),
}

/// Region of a formula unless `--region` says otherwise: the course's square.
const FORMULA_HALF_WIDTH: f64 = 2.0;

fn region_2d(r: [[f64; 2]; 2]) -> Region {
    Region::xy(r[0], r[1])
}

impl Surface {
    /// Every built-in surface (at its default dimension), for `multistart surfaces`.
    pub fn all() -> Vec<Surface> {
        let mut all = vec![Surface::Peaks, Surface::Himmelblau, Surface::Camel];
        all.extend(Library::ALL.map(|l| Surface::library(l, 2)));
        all
    }

    fn library(which: Library, dim: usize) -> Surface {
        let formula = Formula::parse(&which.formula(dim), Some(dim)).expect("library formulas parse");
        Surface::Library(which, Arc::new(formula))
    }

    /// The built-in surface called `name` (for `--surface`), 2-D.
    pub fn from_name(name: &str) -> Result<Surface, String> {
        Surface::all().into_iter().find(|s| s.name().eq_ignore_ascii_case(name.trim())).ok_or_else(|| {
            let names: Vec<&str> = Surface::all().iter().map(|s| s.name()).collect();
            format!("unknown surface '{name}': expected one of {} (or --expr \"FORMULA\")", names.join(", "))
        })
    }

    /// This surface in `dim` dimensions (`--dim`): Rosenbrock, Rastrigin,
    /// Ackley and formulas take any from 1 (2 for Rosenbrock) to 16.
    pub fn with_dim(self, dim: usize) -> Result<Surface, String> {
        if dim == self.dim() {
            return Ok(self);
        }
        let range = |lo: usize| format!("expected {lo} to {MAX_DIM}");
        match &self {
            Surface::Library(which, _) if which.any_dim() => {
                let lo = if *which == Library::Rosenbrock { 2 } else { 1 };
                if !(lo..=MAX_DIM).contains(&dim) {
                    return Err(format!("--dim {dim}: {}", range(lo)));
                }
                Ok(Surface::library(*which, dim))
            }
            Surface::Formula(f) if dim > f.dim() && dim <= MAX_DIM => {
                Formula::parse(f.source(), Some(dim)).map(|f| Surface::Formula(Arc::new(f))).map_err(|e| e.to_string())
            }
            Surface::Formula(f) => {
                Err(format!("--dim {dim}: the formula uses {} variables; expected {} to {MAX_DIM}", f.dim(), f.dim()))
            }
            _ => Err(format!("--dim {dim}: {} is 2-D only (rosenbrock, rastrigin and ackley take --dim)", self.name())),
        }
    }

    /// Whether `--dim` applies.
    pub fn takes_dim(&self) -> bool {
        match self {
            Surface::Library(which, _) => which.any_dim(),
            Surface::Formula(_) => true,
            _ => false,
        }
    }

    /// A surface from a formula in x, y or x1..xD.
    pub fn formula(text: &str) -> Result<Surface, formula::ParseError> {
        Ok(Surface::Formula(Arc::new(Formula::parse(text, None)?)))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Surface::Peaks => "peaks",
            Surface::Himmelblau => "himmelblau",
            Surface::Camel => "camel",
            Surface::Library(which, _) => which.name(),
            Surface::Formula(_) => "expr",
        }
    }

    pub fn dim(&self) -> usize {
        match self {
            Surface::Peaks | Surface::Himmelblau | Surface::Camel => 2,
            Surface::Library(_, f) | Surface::Formula(f) => f.dim(),
        }
    }

    /// The formula's text, for `--expr` surfaces.
    pub fn expr(&self) -> Option<&str> {
        match self {
            Surface::Formula(f) => Some(f.source()),
            _ => None,
        }
    }

    /// "peaks", "rastrigin (5-D)", or "expr x^2 + y^2": for headers and legends.
    pub fn describe(&self) -> String {
        match (self.expr(), self.dim()) {
            (Some(text), _) => format!("expr {text}"),
            (None, 2) => self.name().to_string(),
            (None, d) => format!("{} ({d}-D)", self.name()),
        }
    }

    /// The learning rate runs use unless told: below 2 / lambda_max at the
    /// known minima, so plain gradient descent can settle there.
    pub fn default_lr(&self) -> f64 {
        match self {
            // lambda_max = 2 + 40 pi^2 = 397 at every minimum.
            Surface::Library(Library::Rastrigin, _) => 0.002,
            // lambda_max = 1002 at (1, 1) in 2-D, up to about 1200 above.
            Surface::Library(Library::Rosenbrock, _) => 0.001,
            _ => 0.01,
        }
    }

    pub fn default_region(&self) -> Region {
        match self {
            Surface::Peaks => region_2d(peaks::DEFAULT_REGION),
            Surface::Himmelblau => region_2d(himmelblau::DEFAULT_REGION),
            Surface::Camel => region_2d(camel::DEFAULT_REGION),
            Surface::Library(which, f) => which.region(f.dim()),
            Surface::Formula(f) => Region::cube(-FORMULA_HALF_WIDTH, FORMULA_HALF_WIDTH, f.dim()),
        }
    }

    pub fn known_points(&self) -> Vec<KnownPoint> {
        let from_2d = |points: &[Known2]| {
            points
                .iter()
                .map(|k| KnownPoint { kind: k.kind, point: k.point.to_vec(), f: k.f, global: k.global })
                .collect()
        };
        match self {
            Surface::Peaks => from_2d(&peaks::CRITICAL_POINTS),
            Surface::Himmelblau => from_2d(&himmelblau::CRITICAL_POINTS),
            Surface::Camel => from_2d(&camel::CRITICAL_POINTS),
            Surface::Library(which, f) => which.known_points(f.dim()),
            Surface::Formula(_) => Vec::new(),
        }
    }

    /// The formula all derivatives come from: the surface's own, or for
    /// the hand-written ones their formula twin (used for Newton's Hessian).
    pub fn formula_twin(&self) -> &Formula {
        static TWINS: [OnceLock<Formula>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        let twin = |k: usize, text: &str| TWINS[k].get_or_init(|| Formula::parse(text, None).expect("parses"));
        match self {
            Surface::Peaks => twin(0, peaks::FORMULA),
            Surface::Himmelblau => twin(1, himmelblau::FORMULA),
            Surface::Camel => twin(2, camel::FORMULA),
            Surface::Library(_, f) | Surface::Formula(f) => f,
        }
    }

    /// The WGSL snippet defining `surface_value`, `surface_gradient` and
    /// `surface_hessian` on `Point`s (array<f32, D>).
    pub fn wgsl(&self) -> String {
        let hand_written = match self {
            Surface::Peaks => include_str!("../../shaders/surfaces/peaks.wgsl"),
            Surface::Himmelblau => include_str!("../../shaders/surfaces/himmelblau.wgsl"),
            Surface::Camel => include_str!("../../shaders/surfaces/camel.wgsl"),
            Surface::Library(_, f) | Surface::Formula(f) => return f.wgsl(),
        };
        format!("{hand_written}\n{}", self.formula_twin().wgsl_hessian())
    }

    /// The Hessian at `p` in T, row-major, from the formula twin: what
    /// Newton's method uses, on the CPU as in the kernel.
    #[inline(always)]
    pub fn hessian_in<T: Real>(&self, p: &[T], out: &mut [T]) {
        self.formula_twin().hessian(p, out)
    }

    /// Whether this is a hand-written 2-D surface (the fast CPU engine's blocks).
    pub fn hand_written(&self) -> bool {
        matches!(self, Surface::Peaks | Surface::Himmelblau | Surface::Camel)
    }

    /// f at a 2-D point: the hand-written surfaces inline, for the fast
    /// CPU engine's blocks and the map.
    #[inline(always)]
    pub fn value2<T: Real>(&self, p: [T; 2]) -> T {
        match self {
            Surface::Peaks => peaks::value(p),
            Surface::Himmelblau => himmelblau::value(p),
            Surface::Camel => camel::value(p),
            Surface::Library(_, f) | Surface::Formula(f) => f.value(&p),
        }
    }

    /// grad f at a 2-D point (see `value2`).
    #[inline(always)]
    pub fn gradient2<T: Real>(&self, p: [T; 2]) -> [T; 2] {
        match self {
            Surface::Peaks => peaks::gradient(p),
            Surface::Himmelblau => himmelblau::gradient(p),
            Surface::Camel => camel::gradient(p),
            Surface::Library(_, f) | Surface::Formula(f) => {
                let mut g = [T::splat(0.0); 2];
                f.gradient(&p, &mut g);
                g
            }
        }
    }

    /// f at `p` (p.len() == dim).
    #[inline(always)]
    pub fn value<T: Real>(&self, p: &[T]) -> T {
        match self {
            Surface::Library(_, f) | Surface::Formula(f) => f.value(p),
            _ => self.value2([p[0], p[1]]),
        }
    }

    /// grad f at `p`, into `g`.
    #[inline(always)]
    pub fn gradient<T: Real>(&self, p: &[T], g: &mut [T]) {
        match self {
            Surface::Library(_, f) | Surface::Formula(f) => f.gradient(p, g),
            _ => {
                let [gx, gy] = self.gradient2([p[0], p[1]]);
                g[0] = gx;
                g[1] = gy;
            }
        }
    }

    /// The Hessian at `p`, exact, in f64, row-major (dim x dim).
    pub fn hessian(&self, p: &[f64]) -> Vec<f64> {
        match self {
            Surface::Peaks => peaks::hessian([p[0], p[1]]).concat(),
            Surface::Himmelblau => himmelblau::hessian([p[0], p[1]]).concat(),
            Surface::Camel => camel::hessian([p[0], p[1]]).concat(),
            Surface::Library(_, f) | Surface::Formula(f) => {
                let mut h = vec![0.0; f.dim() * f.dim()];
                f.hessian(p, &mut h);
                h
            }
        }
    }

    /// The 2x2 Hessian of a 2-D surface.
    pub fn hessian2(&self, p: [f64; 2]) -> [[f64; 2]; 2] {
        match self {
            Surface::Peaks => peaks::hessian(p),
            Surface::Himmelblau => himmelblau::hessian(p),
            Surface::Camel => camel::hessian(p),
            _ => {
                let h = self.hessian(&p);
                [[h[0], h[1]], [h[2], h[3]]]
            }
        }
    }

    /// grad f and the Hessian at a 2-D point in f64: for peaks from one set
    /// of exps (the basin stage's Newton step at every settled walker).
    pub fn gradient_hessian2(&self, p: [f64; 2]) -> ([f64; 2], [[f64; 2]; 2]) {
        match self {
            Surface::Peaks => peaks::gradient_hessian(p),
            _ => (self.gradient2(p), self.hessian2(p)),
        }
    }

    /// The known global minima (several where they tie).
    pub fn global_minima(&self) -> impl Iterator<Item = KnownPoint> {
        self.known_points().into_iter().filter(|k| k.global && k.kind == Kind::Minimum)
    }
}

/// Eigenvalues of a symmetric 2x2 matrix, ascending.
pub fn eigenvalues(h: [[f64; 2]; 2]) -> [f64; 2] {
    let mean = 0.5 * (h[0][0] + h[1][1]);
    let half_diff = 0.5 * (h[0][0] - h[1][1]);
    let radius = half_diff.hypot(h[0][1]);
    [mean - radius, mean + radius]
}

/// Eigenvalues of a symmetric n x n matrix (row-major), ascending: the
/// closed form for n = 2, cyclic Jacobi rotations above.
pub fn symmetric_eigenvalues(h: &[f64], n: usize) -> Vec<f64> {
    match n {
        1 => return vec![h[0]],
        2 => return eigenvalues([[h[0], h[1]], [h[2], h[3]]]).to_vec(),
        _ => {}
    }
    let mut a = h.to_vec();
    for _ in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j].powi(2))
            .sum();
        let diag: f64 = (0..n).map(|i| a[i * n + i].powi(2)).sum();
        if off <= 1e-30 * diag.max(1e-300) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                // The rotation that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.5.2).
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let (c, s) = (1.0 / (t * t + 1.0).sqrt(), t / (t * t + 1.0).sqrt());
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
            }
        }
    }
    let mut eig: Vec<f64> = (0..n).map(|i| a[i * n + i]).collect();
    eig.sort_by(f64::total_cmp);
    eig
}

/// Solves H d = g (H n x n, row-major) by Gaussian elimination with partial
/// pivoting; None where H is singular.
pub fn solve(h: &[f64], g: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut a = h.to_vec();
    let mut b = g.to_vec();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))?;
        if a[pivot * n + col] == 0.0 {
            return None;
        }
        if pivot != col {
            for k in 0..n {
                a.swap(pivot * n + k, col * n + k);
            }
            b.swap(pivot, col);
        }
        for row in col + 1..n {
            let factor = a[row * n + col] / a[col * n + col];
            for k in col..n {
                a[row * n + k] -= factor * a[col * n + k];
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|k| a[row * n + k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row * n + row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// The arithmetic surfaces and formulas need: f32 and f64, and the fast
/// CPU engine's blocks of f32 lanes.
pub trait Real:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + Neg<Output = Self>
{
    /// A constant, rounded to this type.
    fn splat(v: f64) -> Self;
    /// self * a + b, fused into one rounding where that is cheap (the fast
    /// engine's lanes on CPUs with FMA), and as written elsewhere: WGSL's
    /// `fma` promises no more. The f32 and f64 scalars do not fuse, so the
    /// reference needs no FMA hardware and gives the same bits everywhere.
    fn mul_add(self, a: Self, b: Self) -> Self;
    fn exp(self) -> Self;
    /// 2^self: the peaks gradient's exps, whose exponents it scales by
    /// log2 e itself (WGSL's `exp2`).
    fn exp2(self) -> Self;
    fn ln(self) -> Self;
    fn sqrt(self) -> Self;
    fn abs(self) -> Self;
    fn sin(self) -> Self;
    fn cos(self) -> Self;
    fn tan(self) -> Self;
    fn tanh(self) -> Self;
    /// -1, 0 or 1 (WGSL's `sign`; Rust's `signum` gives 1 at 0).
    fn signum(self) -> Self;
    fn powf(self, e: Self) -> Self;
}

macro_rules! real_for_float {
    ($t:ty) => {
        impl Real for $t {
            #[inline(always)]
            fn splat(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                self * a + b
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn exp2(self) -> Self {
                <$t>::exp2(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn sin(self) -> Self {
                <$t>::sin(self)
            }
            #[inline(always)]
            fn cos(self) -> Self {
                <$t>::cos(self)
            }
            #[inline(always)]
            fn tan(self) -> Self {
                <$t>::tan(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline(always)]
            fn signum(self) -> Self {
                if self > 0.0 {
                    1.0
                } else if self < 0.0 {
                    -1.0
                } else {
                    self
                }
            }
            #[inline(always)]
            fn powf(self, e: Self) -> Self {
                <$t>::powf(self, e)
            }
        }
    };
}
real_for_float!(f32);
real_for_float!(f64);
