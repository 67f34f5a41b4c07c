//! Surfaces f(x1, ..., xD): value and gradient generic over the float type
//! (the f32 versions mirror the WGSL snippets line for line), the Hessian
//! in f64 for the host, a default region and the known critical points.
//!
//! The hand-written surfaces (2-D, inlined into the fast CPU engine) each
//! live in one file implementing `HandWritten`; the library's other
//! surfaces are rows of `LIBRARY`, formulas differentiated by `formula/`
//! like `--expr`. The engines only call `Surface`'s methods.
//!
//! # Adding a surface
//!
//! - Hand-written: src/surface/NAME.rs, a unit struct implementing
//!   [`HandWritten`] (himmelblau.rs is the model), and
//!   shaders/surfaces/NAME.wgsl mirroring its `value` and `gradient` line
//!   for line; then one line `Name => name,` in the `hand_written!` list
//!   below. The enum's variant, `Surface::all()`, the dispatch and the fast
//!   CPU engine's blocks follow from that line, and the tests that iterate
//!   `Surface::all()` (derivatives, known points, GPU against CPU, kernel
//!   validation) cover it. A surface that settles slowly may need more
//!   steps in tests/gpu.rs's GPU-against-CPU run (as Booth and Rosenbrock do).
//! - Defined by a formula: one row of [`LIBRARY`].

pub mod formula;
pub mod hand_written;

use std::ops::{Add, Div, Mul, Neg, RangeInclusive, Sub};

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

pub use formula::Formula;
use hand_written::{Facts, FactsOf, Gradient, Value};
pub use hand_written::{HandWritten, HandWrittenVisitor};

use crate::region::Region;

/// What a critical point is, by the signs of its Hessian's eigenvalues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Every eigenvalue positive.
    Minimum,
    /// Eigenvalues of both signs.
    Saddle,
    /// Every eigenvalue negative.
    Maximum,
}

impl Kind {
    /// "minimum", "saddle" or "maximum", as reports write it.
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
    /// Minimum, saddle or maximum.
    pub kind: Kind,
    /// Its coordinates, one per dimension.
    pub point: Vec<f64>,
    /// f there.
    pub f: f64,
    /// The lowest minimum of the surface.
    pub global: bool,
}

/// A known point of a 2-D surface, as the surface modules list them.
#[derive(Clone, Copy, Debug)]
pub struct Known2 {
    /// Minimum, saddle or maximum.
    pub kind: Kind,
    /// Its coordinates.
    pub point: [f64; 2],
    /// f there.
    pub f: f64,
    /// The lowest minimum (or, for a maximum, the highest maximum).
    pub global: bool,
}

/// Most dimensions a surface may have.
pub const MAX_DIM: usize = formula::MAX_VARIABLES;

/// The learning rate of surfaces that name none.
pub const DEFAULT_LR: f64 = 0.01;

/// A library surface defined by its formula: the gradient, the Hessian and
/// the WGSL come from `formula/`. One row of `LIBRARY`.
pub struct LibraryRow {
    /// The `--surface` name.
    pub name: &'static str,
    /// One line about the surface.
    pub summary: &'static str,
    /// The formula in `dim` variables (x, y, z or x1..xD).
    pub formula: fn(dim: usize) -> String,
    /// The dimensions it takes: `--dim` applies where that is more than one.
    pub dims: RangeInclusive<usize>,
    /// The default region is [-half_width, half_width]^D.
    pub half_width: f64,
    /// The learning rate runs use unless told: below 2 / lambda_max at the
    /// known minima, so plain gradient descent can settle there.
    pub lr: f64,
    /// The known critical points in `dim` dimensions.
    pub known_points: fn(dim: usize) -> Vec<KnownPoint>,
    /// Where the formula, the domain and the known points come from.
    pub source: &'static str,
}

impl LibraryRow {
    /// Whether `--dim` applies.
    pub fn takes_dim(&self) -> bool {
        self.dims.start() != self.dims.end()
    }
}

/// Rows are told apart by name (their functions cannot be compared).
impl PartialEq for LibraryRow {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// The name only: the functions print as addresses.
impl std::fmt::Debug for LibraryRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LibraryRow({})", self.name)
    }
}

/// The library's formula surfaces, in `multistart surfaces`'s order (after
/// the hand-written ones).
pub static LIBRARY: &[LibraryRow] = &[
    LibraryRow {
        name: "bowl",
        summary: "The bowl x^2 + y^2: one minimum at the origin",
        formula: |_| "x^2 + y^2".into(),
        dims: 2..=2,
        half_width: 2.0,
        lr: DEFAULT_LR,
        known_points: |dim| global_minimum(vec![0.0; dim]),
        source: "the course's first example",
    },
    LibraryRow {
        name: "xsiny",
        summary: "x^2 sin(y): a valley of minima along x = 0 where sin y > 0, a ridge where sin y < 0",
        formula: |_| "x^2 * sin(y)".into(),
        dims: 2..=2,
        half_width: 2.0,
        lr: DEFAULT_LR,
        // Not isolated: walkers in the valley count as plateau.
        known_points: |_| Vec::new(),
        source: "the course's second example",
    },
    LibraryRow {
        name: "rosenbrock",
        summary: "Rosenbrock's banana valley in D dimensions: global minimum at (1, ..., 1)",
        formula: |dim| {
            (1..dim).map(|i| format!("100*(x{}-x{i}^2)^2 + (1-x{i})^2", i + 1)).collect::<Vec<_>>().join(" + ")
        },
        dims: 2..=MAX_DIM,
        half_width: 2.0,
        // lambda_max = 1002 at (1, 1) in 2-D, up to about 1200 above.
        lr: 0.001,
        known_points: |dim| global_minimum(vec![1.0; dim]),
        source: "Rosenbrock 1960, \"An automatic method for finding the greatest or least value of a function\"",
    },
    LibraryRow {
        name: "rastrigin",
        summary: "Rastrigin's function in D dimensions: 10^D local minima near the integer lattice, \
                  global minimum at the origin",
        formula: |dim| format!("10*{dim} + {}", sum_over(dim, |i| format!("x{i}^2 - 10*cos(2*pi*x{i})"))),
        dims: 1..=MAX_DIM,
        // The customary domain (e.g. Surjanovic & Bingham's library).
        half_width: 5.12,
        // lambda_max = 2 + 40 pi^2 = 397 at every minimum.
        lr: 0.002,
        known_points: |dim| global_minimum(vec![0.0; dim]),
        source: "Rastrigin 1974, \"Systems of extremal control\"; domain from Surjanovic & Bingham",
    },
    LibraryRow {
        name: "ackley",
        summary: "Ackley's function in D dimensions: many local minima, global minimum at the origin \
                  (a cone tip, where the gradient is not defined)",
        formula: |dim| {
            format!(
                "-20*exp(-0.2*sqrt(({})/{dim})) - exp(({})/{dim}) + 20 + e",
                sum_over(dim, |i| format!("x{i}^2")),
                sum_over(dim, |i| format!("cos(2*pi*x{i})"))
            )
        },
        dims: 1..=MAX_DIM,
        // The customary domain (e.g. Surjanovic & Bingham's library).
        half_width: 5.0,
        lr: DEFAULT_LR,
        known_points: |dim| global_minimum(vec![0.0; dim]),
        source: "Ackley 1987, \"A connectionist machine for genetic hillclimbing\"; domain from Surjanovic & Bingham",
    },
];

/// `term(1) + ... + term(dim)`.
fn sum_over(dim: usize, term: impl Fn(usize) -> String) -> String {
    (1..=dim).map(term).collect::<Vec<_>>().join(" + ")
}

/// The one global minimum, at `point` with f = 0.
fn global_minimum(point: Vec<f64>) -> Vec<KnownPoint> {
    vec![KnownPoint { kind: Kind::Minimum, point, f: 0.0, global: true }]
}

/// The registry of hand-written surfaces, `Variant => module` with the
/// module's unit struct named like the variant. It declares the modules
/// and generates `Surface` (its hand-written variants, then the library's
/// and `--expr`'s), `Surface::HAND_WRITTEN` and the dispatch from a value
/// to its type: `visit_hand_written` and the formula twins.
macro_rules! hand_written {
    ($($variant:ident => $module:ident,)*) => {
        $(pub mod $module;)*

        /// A surface: one of the built-in ones, or a formula the user typed.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Surface {
            $(
                #[doc = concat!("Hand-written: [`", stringify!($module), "::", stringify!($variant), "`].")]
                $variant,
            )*
            /// A library surface, with its formula for `dim` dimensions.
            Library(&'static LibraryRow, Arc<Formula>),
            /// `--expr`: parsed and differentiated symbolically.
            Formula(Arc<Formula>),
        }

        impl Surface {
            /// The hand-written surfaces, in the registry's order.
            const HAND_WRITTEN: &[Surface] = &[$(Surface::$variant),*];

            /// `visitor` run with this surface's type, where it is
            /// hand-written; None for formulas. Inlined, so that what the
            /// visitor does is compiled for each surface.
            #[inline(always)]
            pub fn visit_hand_written<V: HandWrittenVisitor>(&self, visitor: V) -> Option<V::Output> {
                match self {
                    $(Surface::$variant => Some(visitor.visit::<$module::$variant>()),)*
                    Surface::Library(..) | Surface::Formula(_) => None,
                }
            }

            /// A hand-written surface's formula twin, parsed on first use.
            fn hand_written_twin(&self) -> Option<&'static Formula> {
                match self {
                    $(Surface::$variant => {
                        static TWIN: OnceLock<Formula> = OnceLock::new();
                        Some(TWIN.get_or_init(|| parse_twin(<$module::$variant as HandWritten>::FORMULA)))
                    })*
                    Surface::Library(..) | Surface::Formula(_) => None,
                }
            }
        }
    };
}

hand_written! {
    Peaks => peaks,
    Himmelblau => himmelblau,
    Camel => camel,
    Booth => booth,
}

/// Peaks, as `multistart` with no `--surface`.
impl Default for Surface {
    fn default() -> Self {
        Surface::Peaks
    }
}

fn parse_twin(text: &str) -> Formula {
    Formula::parse(text, None).expect("formula twins parse")
}

/// Region of a formula unless `--region` says otherwise: the course's square.
const FORMULA_HALF_WIDTH: f64 = 2.0;

impl Surface {
    /// Every built-in surface (at its default dimension), for `multistart
    /// surfaces`: the hand-written ones, then the library's formulas.
    pub fn all() -> Vec<Surface> {
        let library = LIBRARY.iter().map(|row| Surface::library(row, 2));
        Surface::HAND_WRITTEN.iter().cloned().chain(library).collect()
    }

    fn library(row: &'static LibraryRow, dim: usize) -> Surface {
        let formula = Formula::parse(&(row.formula)(dim), Some(dim)).expect("library formulas parse");
        Surface::Library(row, Arc::new(formula))
    }

    /// The built-in surface called `name` (for `--surface`), 2-D.
    pub fn from_name(name: &str) -> Result<Surface, String> {
        Surface::all().into_iter().find(|s| s.name().eq_ignore_ascii_case(name.trim())).ok_or_else(|| {
            let names: Vec<&str> = Surface::all().iter().map(|s| s.name()).collect();
            format!("unknown surface '{name}': expected one of {} (or --expr \"FORMULA\")", names.join(", "))
        })
    }

    /// This surface in `dim` dimensions (`--dim`): the library rows that
    /// take it and formulas take any from 1 (2 for Rosenbrock) to 16.
    pub fn with_dim(self, dim: usize) -> Result<Surface, String> {
        if dim == self.dim() {
            return Ok(self);
        }
        match &self {
            Surface::Library(row, _) if row.takes_dim() => {
                if !row.dims.contains(&dim) {
                    return Err(format!("--dim {dim}: expected {} to {}", row.dims.start(), row.dims.end()));
                }
                Ok(Surface::library(row, dim))
            }
            Surface::Formula(f) if dim > f.dim() && dim <= MAX_DIM => {
                Formula::parse_with(f.source(), Some(dim), f.params())
                    .map(|f| Surface::Formula(Arc::new(f)))
                    .map_err(|e| e.to_string())
            }
            Surface::Formula(f) => {
                Err(format!("--dim {dim}: the formula uses {} variables; expected {} to {MAX_DIM}", f.dim(), f.dim()))
            }
            _ => {
                let names: Vec<&str> = LIBRARY.iter().filter(|row| row.takes_dim()).map(|row| row.name).collect();
                let (last, others) = names.split_last().expect("some library surfaces take --dim");
                Err(format!("--dim {dim}: {} is 2-D only ({} and {last} take --dim)", self.name(), others.join(", ")))
            }
        }
    }

    /// Whether `--dim` applies.
    pub fn takes_dim(&self) -> bool {
        match self {
            Surface::Library(row, _) => row.takes_dim(),
            Surface::Formula(_) => true,
            _ => false,
        }
    }

    /// A surface from a formula in x, y, z or x1..xD.
    pub fn formula(text: &str) -> Result<Surface, formula::ParseError> {
        Surface::formula_with(text, &formula::Params::new())
    }

    /// A surface from a formula with named parameters (`--set a=2`).
    pub fn formula_with(text: &str, params: &formula::Params) -> Result<Surface, formula::ParseError> {
        Ok(Surface::Formula(Arc::new(Formula::parse_with(text, None, params)?)))
    }

    /// The same formula, in as many variables, with the parameter `name`
    /// set to `value` (what `sweep --param NAME` runs). Err: why not.
    pub fn with_param(&self, name: &str, value: f64) -> Result<Surface, String> {
        let Surface::Formula(f) = self else {
            return Err(format!("{} has no parameter {name}: parameters belong to --expr formulas", self.describe()));
        };
        if !f.params().contains_key(name) {
            return Err(format!("the formula has no parameter {name} (--set {name}=VALUE names one)"));
        }
        let mut params = f.params().clone();
        params.insert(name.to_string(), value);
        Formula::parse_with(f.source(), Some(f.dim()), &params)
            .map(|f| Surface::Formula(Arc::new(f)))
            .map_err(|e| e.to_string())
    }

    /// The formula's named parameters, for `--expr` surfaces (empty
    /// without `--set`).
    pub fn params(&self) -> Option<&formula::Params> {
        match self {
            Surface::Formula(f) => Some(f.params()),
            _ => None,
        }
    }

    /// The hand-written surface's constants and f64 functions.
    fn facts(&self) -> Option<Facts> {
        self.visit_hand_written(FactsOf)
    }

    /// The `--surface` name ("expr" for a formula).
    pub fn name(&self) -> &'static str {
        match self {
            Surface::Library(row, _) => row.name,
            Surface::Formula(_) => "expr",
            hand => hand.facts().expect("hand-written").name,
        }
    }

    /// One line about the surface.
    pub fn summary(&self) -> &'static str {
        match self {
            Surface::Library(row, _) => row.summary,
            Surface::Formula(_) => "a formula typed with --expr",
            hand => hand.facts().expect("hand-written").summary,
        }
    }

    /// Its number of variables.
    pub fn dim(&self) -> usize {
        match self {
            Surface::Library(_, f) | Surface::Formula(f) => f.dim(),
            _ => 2,
        }
    }

    /// The formula's text, for `--expr` surfaces.
    pub fn expr(&self) -> Option<&str> {
        match self {
            Surface::Formula(f) => Some(f.source()),
            _ => None,
        }
    }

    /// "peaks", "rastrigin (5-D)", "expr x^2 + y^2", or "expr x^2 - a*y
    /// with a = 2": for headers and legends.
    pub fn describe(&self) -> String {
        match (self.expr(), self.dim()) {
            (Some(text), _) => format!("expr {text}{}", formula::describe_params(self.params().expect("a formula"))),
            (None, 2) => self.name().to_string(),
            (None, d) => format!("{} ({d}-D)", self.name()),
        }
    }

    /// The learning rate runs use unless told: below 2 / lambda_max at the
    /// known minima, so plain gradient descent can settle there.
    pub fn default_lr(&self) -> f64 {
        match self {
            Surface::Library(row, _) => row.lr,
            Surface::Formula(_) => DEFAULT_LR,
            hand => hand.facts().expect("hand-written").lr,
        }
    }

    /// The region runs start in unless `--region` says otherwise.
    pub fn default_region(&self) -> Region {
        match self {
            Surface::Library(row, f) => Region::cube(-row.half_width, row.half_width, f.dim()),
            Surface::Formula(f) => Region::cube(-FORMULA_HALF_WIDTH, FORMULA_HALF_WIDTH, f.dim()),
            hand => {
                let [x, y] = hand.facts().expect("hand-written").region;
                Region::xy(x, y)
            }
        }
    }

    /// The critical points known in closed form or from the literature.
    pub fn known_points(&self) -> Vec<KnownPoint> {
        match self {
            Surface::Library(row, f) => (row.known_points)(f.dim()),
            Surface::Formula(_) => Vec::new(),
            hand => (hand.facts().expect("hand-written").points.iter())
                .map(|k| KnownPoint { kind: k.kind, point: k.point.to_vec(), f: k.f, global: k.global })
                .collect(),
        }
    }

    /// The formula all derivatives come from: the surface's own, or for
    /// the hand-written ones their formula twin (used for Newton's Hessian).
    pub fn formula_twin(&self) -> &Formula {
        match self {
            Surface::Library(_, f) | Surface::Formula(f) => f,
            hand => hand.hand_written_twin().expect("hand-written"),
        }
    }

    /// The WGSL snippet defining `surface_value`, `surface_gradient` and
    /// `surface_hessian` on `Point`s (array<f32, D>).
    pub fn wgsl(&self) -> String {
        match self.facts() {
            Some(facts) => format!("{}\n{}", facts.wgsl, self.formula_twin().wgsl_hessian()),
            None => self.formula_twin().wgsl(),
        }
    }

    /// The Hessian at `p` in T, row-major, from the formula twin: what
    /// Newton's method uses, on the CPU as in the kernel.
    #[inline(always)]
    pub fn hessian_in<T: Real>(&self, p: &[T], out: &mut [T]) {
        self.formula_twin().hessian(p, out)
    }

    /// Whether this is a hand-written 2-D surface (the fast CPU engine's blocks).
    pub fn hand_written(&self) -> bool {
        !matches!(self, Surface::Library(..) | Surface::Formula(_))
    }

    /// f at a 2-D point: the hand-written surfaces inline, for the fast
    /// CPU engine's blocks and the map.
    #[inline(always)]
    pub fn value2<T: Real>(&self, p: [T; 2]) -> T {
        self.visit_hand_written(Value(p)).unwrap_or_else(|| self.formula_twin().value(&p))
    }

    /// grad f at a 2-D point (see `value2`).
    #[inline(always)]
    pub fn gradient2<T: Real>(&self, p: [T; 2]) -> [T; 2] {
        self.visit_hand_written(Gradient(p)).unwrap_or_else(|| {
            let mut g = [p[0].splat(0.0); 2];
            self.formula_twin().gradient(&p, &mut g);
            g
        })
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
        match self.facts() {
            Some(facts) => (facts.hessian)([p[0], p[1]]).concat(),
            None => {
                let f = self.formula_twin();
                let mut h = vec![0.0; f.dim() * f.dim()];
                f.hessian(p, &mut h);
                h
            }
        }
    }

    /// The 2x2 Hessian of a 2-D surface.
    pub fn hessian2(&self, p: [f64; 2]) -> [[f64; 2]; 2] {
        match self.facts() {
            Some(facts) => (facts.hessian)(p),
            None => {
                let h = self.hessian(&p);
                [[h[0], h[1]], [h[2], h[3]]]
            }
        }
    }

    /// grad f and the Hessian at a 2-D point in f64: for peaks from one set
    /// of exps (the basin stage's Newton step at every settled walker).
    pub fn gradient_hessian2(&self, p: [f64; 2]) -> ([f64; 2], [[f64; 2]; 2]) {
        match self.facts() {
            Some(facts) => (facts.gradient_hessian)(p),
            None => (self.gradient2(p), self.hessian2(p)),
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
    /// The constant `v`, rounded to this type, in the representation of
    /// `self` (whose value it ignores): the fast engine's lanes take their
    /// CPU-feature token from `self`, so no constant exists without one.
    fn splat(self, v: f64) -> Self;
    /// self * a + b, fused into one rounding where that is cheap (the fast
    /// engine's lanes on CPUs with FMA), and as written elsewhere: WGSL's
    /// `fma` promises no more. The f32 and f64 scalars do not fuse, so the
    /// reference needs no FMA hardware and gives the same bits everywhere.
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// e^self.
    fn exp(self) -> Self;
    /// 2^self: the peaks gradient's exps, whose exponents it scales by
    /// log2 e itself (WGSL's `exp2`).
    fn exp2(self) -> Self;
    /// The natural logarithm.
    fn ln(self) -> Self;
    /// The square root.
    fn sqrt(self) -> Self;
    /// The absolute value.
    fn abs(self) -> Self;
    /// The sine.
    fn sin(self) -> Self;
    /// The cosine.
    fn cos(self) -> Self;
    /// The tangent.
    fn tan(self) -> Self;
    /// The hyperbolic tangent.
    fn tanh(self) -> Self;
    /// -1, 0 or 1 (WGSL's `sign`; Rust's `signum` gives 1 at 0).
    fn signum(self) -> Self;
    /// self^e.
    fn powf(self, e: Self) -> Self;
    /// The arctangent.
    fn atan(self) -> Self;
    /// The hyperbolic sine.
    fn sinh(self) -> Self;
    /// The hyperbolic cosine.
    fn cosh(self) -> Self;
    /// The arcsine (NaN outside [-1, 1]).
    fn asin(self) -> Self;
    /// The arccosine (NaN outside [-1, 1]).
    fn acos(self) -> Self;
    /// The base-2 logarithm.
    fn log2(self) -> Self;
    /// The base-10 logarithm.
    fn log10(self) -> Self;
    /// The angle of the point (x, self): `atan2(y, x)` with self as y.
    fn atan2(self, x: Self) -> Self;
    /// The lesser of the two, the other if one is NaN (Rust's `min`, C's
    /// `fmin`; named apart from the SIMD lanes' own `min`, their clamps).
    fn fmin(self, other: Self) -> Self;
    /// The greater of the two, the other if one is NaN (Rust's `max`).
    fn fmax(self, other: Self) -> Self;
}

macro_rules! real_for_float {
    ($t:ty) => {
        real_for_float!($t; atan, sinh, cosh, asin, acos, log2, log10);
    };
    // `same`: the methods that are the float's own of the same name.
    ($t:ty; $($same:ident),*) => {
        impl Real for $t {
            $(
                #[inline(always)]
                fn $same(self) -> Self {
                    <$t>::$same(self)
                }
            )*
            #[inline(always)]
            fn atan2(self, x: Self) -> Self {
                <$t>::atan2(self, x)
            }
            #[inline(always)]
            fn fmin(self, other: Self) -> Self {
                <$t>::min(self, other)
            }
            #[inline(always)]
            fn fmax(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            #[inline(always)]
            fn splat(self, v: f64) -> Self {
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
