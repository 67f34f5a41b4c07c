//! User formulas (`--expr "..."`): parsed once into an expression graph,
//! differentiated symbolically, and run from that one graph both as WGSL
//! (`wgsl`) and on the CPU (`Formula::value`, `gradient`, `hessian`).
//!
//! The graph is hash-consed: every node is stored once, so the value, the
//! gradient and the Hessian share their common subexpressions (the three
//! exps of peaks are each computed once per step). Node ids are created
//! children first, so id order is an evaluation order; the GPU's generated
//! lines and the CPU's loop in `eval` visit the same nodes in that order.

use std::collections::HashMap;
use std::fmt::Write;

use super::Real;

/// Largest integer exponent that `x^n` expands into multiplications.
const MAX_INT_POWER: f64 = 64.0;

/// Most variables a formula may use (x1..x16).
pub const MAX_VARIABLES: usize = 16;

/// Deepest nesting of parentheses, function calls and `^` exponents the
/// parser follows (it recurses once per level; signs and chains of + - * /
/// are loops). Hand-written formulas nest a few levels; at 256 the parser
/// runs in 512 KiB of stack (tested), a quarter of a test thread's.
pub const MAX_DEPTH: usize = 256;

/// Most operations in the generated kernel (f, grad f and the Hessian
/// together, after sharing): it bounds the time naga and the driver take to
/// build the kernel, which grows faster than linearly. Measured on lavapipe
/// (2 busy Xeon cores, release build, gradient-descent and Newton kernels):
/// 2,800 ops (sin nested 256 deep) 0.5 s; 6,400 ops (a sum of 500 terms
/// k*x^m*y) 3 s; 8,800 ops (sin nested 800 deep) 2 to 3 s; 9,000 ops (700
/// such terms) 3.5 to 4 s; 12,800 ops (1,000 terms) 17 s; sin nested 2,000
/// deep (22,000 ops) over 200 s. Ackley in 16-D, the largest library
/// surface, takes 2,925.
pub const MAX_KERNEL_OPS: usize = 8_192;

/// Most nodes the expression graph may hold while the formula is parsed
/// and differentiated (the kernel's operations are a part of them): bounds
/// the memory and time of parsing whatever the input.
const MAX_GRAPH_NODES: usize = 4 * MAX_KERNEL_OPS;

/// The graph outgrew `MAX_GRAPH_NODES`.
#[derive(Debug)]
struct TooLarge;

fn too_large_message() -> String {
    format!("the formula is too large: it and its derivatives need more than {MAX_GRAPH_NODES} distinct terms")
}

/// A one-variable function of the formula language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    Exp,
    Log,
    Sqrt,
    Abs,
    Sin,
    Cos,
    Tan,
    Tanh,
    /// -1, 0 or 1: the derivative of abs. Not in the language.
    Sign,
}

impl Func {
    const NAMED: [(&'static str, Func); 8] = [
        ("exp", Func::Exp),
        ("log", Func::Log),
        ("sqrt", Func::Sqrt),
        ("abs", Func::Abs),
        ("sin", Func::Sin),
        ("cos", Func::Cos),
        ("tan", Func::Tan),
        ("tanh", Func::Tanh),
    ];

    /// Its name in WGSL: `abs` itself, the others the twins in
    /// `WGSL_FUNCTIONS` of Rust's functions in `apply`.
    fn wgsl(self) -> &'static str {
        match self {
            Func::Exp => "formula_exp",
            Func::Log => "formula_log",
            Func::Sqrt => "formula_sqrt",
            Func::Abs => "abs",
            Func::Sin => "formula_sin",
            Func::Cos => "formula_cos",
            Func::Tan => "formula_tan",
            Func::Tanh => "formula_tanh",
            Func::Sign => "formula_sign",
        }
    }

    /// Twin of `WGSL_FUNCTIONS` (and `formula_pow` of `powf`).
    fn apply<T: Real>(self, v: T) -> T {
        match self {
            Func::Exp => v.exp(),
            Func::Log => v.ln(),
            Func::Sqrt => v.sqrt(),
            Func::Abs => v.abs(),
            Func::Sin => v.sin(),
            Func::Cos => v.cos(),
            Func::Tan => v.tan(),
            Func::Tanh => v.tanh(),
            Func::Sign => v.signum(),
        }
    }
}

type Id = usize;

/// One node of the graph. Constants are stored as bits so nodes hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Node {
    Const(u64),
    Var(usize),
    Neg(Id),
    Add(Id, Id),
    Sub(Id, Id),
    Mul(Id, Id),
    Div(Id, Id),
    /// a^n for a whole n with |n| <= 64, by `pow_int`.
    PowInt(Id, i32),
    /// a^b otherwise: `pow` in WGSL, `powf` on the CPU.
    Pow(Id, Id),
    Call(Func, Id),
}

/// A parse error: the 1-based column and what was expected there.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

/// A parsed formula with its symbolic gradient and Hessian.
#[derive(Clone, Debug)]
pub struct Formula {
    source: String,
    dim: usize,
    /// f, grad f, and the Hessian (row-major): each run by the CPU and
    /// written out as WGSL from the same ops.
    value_program: Program,
    gradient_program: Program,
    hessian_program: Program,
}

/// The nodes one output needs, in evaluation order: op k writes register k
/// (`t{k}` in the WGSL), reading only registers before it.
#[derive(Clone, Debug)]
struct Program {
    ops: Vec<Node>,
    outputs: Vec<usize>,
}

impl Program {
    /// One `let t{k} = ...;` per op, then `return` of `ret` applied to the
    /// outputs' names. Twin of `run_in`.
    fn wgsl(&self, ret: impl Fn(&str) -> String) -> String {
        let mut body = String::new();
        for (k, op) in self.ops.iter().enumerate() {
            let line = match *op {
                Node::Const(bits) => wgsl_float(f64::from_bits(bits)),
                Node::Var(j) => format!("p[{j}]"),
                Node::Neg(a) => format!("-t{a}"),
                Node::Add(a, b) => format!("t{a} + t{b}"),
                Node::Sub(a, b) => format!("t{a} - t{b}"),
                Node::Mul(a, b) => format!("t{a} * t{b}"),
                Node::Div(a, b) => format!("t{a} / t{b}"),
                Node::PowInt(..) => unreachable!("lowered to products"),
                Node::Pow(a, b) => format!("formula_pow(t{a}, t{b})"),
                Node::Call(f, a) => format!("{}(t{a})", f.wgsl()),
            };
            let _ = writeln!(body, "    let t{k} = {line};");
        }
        let outputs: Vec<String> = self.outputs.iter().map(|k| format!("t{k}")).collect();
        let _ = writeln!(body, "    return {};", ret(&outputs.join(", ")));
        body
    }

    fn new(nodes: &[Node], tape: &[Id], outputs: &[Id]) -> Program {
        let mut slot = vec![usize::MAX; nodes.len()];
        for (k, &id) in tape.iter().enumerate() {
            slot[id] = k;
        }
        let ops = tape
            .iter()
            .map(|&id| match nodes[id] {
                Node::Neg(a) => Node::Neg(slot[a]),
                Node::Add(a, b) => Node::Add(slot[a], slot[b]),
                Node::Sub(a, b) => Node::Sub(slot[a], slot[b]),
                Node::Mul(a, b) => Node::Mul(slot[a], slot[b]),
                Node::Div(a, b) => Node::Div(slot[a], slot[b]),
                Node::PowInt(a, n) => Node::PowInt(slot[a], n),
                Node::Pow(a, b) => Node::Pow(slot[a], slot[b]),
                Node::Call(f, a) => Node::Call(f, slot[a]),
                leaf => leaf,
            })
            .collect();
        Program { ops, outputs: outputs.iter().map(|&id| slot[id]).collect() }
    }

    /// Runs the program at `p` into `out`. Registers live on the stack for
    /// programs up to `STACK` long (no allocation per step).
    #[inline]
    fn run<T: Real>(&self, p: &[T], out: &mut [T]) {
        match self.ops.len() {
            0..=64 => self.run_in(&mut [T::splat(0.0); 64], p, out),
            65..=128 => self.run_in(&mut [T::splat(0.0); 128], p, out),
            129..=256 => self.run_in(&mut [T::splat(0.0); 256], p, out),
            n => self.run_in(&mut vec![T::splat(0.0); n], p, out),
        }
    }

    /// Twin of `Program::wgsl`: the same ops, in the same order.
    #[inline(always)]
    fn run_in<T: Real>(&self, r: &mut [T], p: &[T], out: &mut [T]) {
        for (k, op) in self.ops.iter().enumerate() {
            r[k] = match *op {
                Node::Const(bits) => T::splat(f64::from_bits(bits)),
                Node::Var(j) => p[j],
                Node::Neg(a) => -r[a],
                Node::Add(a, b) => r[a] + r[b],
                Node::Sub(a, b) => r[a] - r[b],
                Node::Mul(a, b) => r[a] * r[b],
                Node::Div(a, b) => r[a] / r[b],
                Node::PowInt(..) => unreachable!("lowered to products"),
                Node::Pow(a, b) => r[a].powf(r[b]),
                Node::Call(f, a) => f.apply(r[a]),
            };
        }
        for (o, &k) in out.iter_mut().zip(&self.outputs) {
            *o = r[k];
        }
    }
}

impl PartialEq for Formula {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.dim == other.dim
    }
}

impl Formula {
    /// Parses `source` in variables x, y (2-D) or x1..xD. `dim` asks for at
    /// least that many variables (a formula may ignore some).
    pub fn parse(source: &str, dim: Option<usize>) -> Result<Formula, ParseError> {
        let mut graph = Graph::default();
        let (root, vars) = Parser::new(source, &mut graph).parse()?;
        let dim = vars.dim().max(dim.unwrap_or(0)).max(vars.implied_min());
        if dim > MAX_VARIABLES {
            return Err(ParseError { column: 1, message: format!("at most {MAX_VARIABLES} variables, found {dim}") });
        }
        let too_large = |_| ParseError { column: 1, message: too_large_message() };
        let gradient: Vec<Id> = (0..dim).map(|k| graph.derive(root, k)).collect::<Result<_, _>>().map_err(too_large)?;
        let hessian: Vec<Id> = (0..dim * dim)
            .map(|ij| graph.derive(gradient[ij / dim], ij % dim))
            .collect::<Result<_, _>>()
            .map_err(too_large)?;
        // The GPU runs in f32: every constant, typed or folded, must be
        // finite there too.
        if let Some(bad) = graph.nodes.iter().find_map(|n| match n {
            Node::Const(bits) if !(f64::from_bits(*bits) as f32).is_finite() => Some(f64::from_bits(*bits)),
            _ => None,
        }) {
            return Err(ParseError {
                column: 1,
                message: format!(
                    "a constant part of the formula is {}, not a finite f32 (at most 3.4e38)",
                    crate::error::number(bad)
                ),
            });
        }
        // Whole powers become shared products: x^2 is computed once for
        // x^2, x^3 and x^5 alike.
        let (graph, map) = graph.lower_powers();
        let (root, gradient, hessian) = (
            map[root],
            gradient.iter().map(|&g| map[g]).collect::<Vec<_>>(),
            hessian.iter().map(|&h| map[h]).collect::<Vec<_>>(),
        );
        let formula = Formula {
            value_program: Program::new(&graph.nodes, &graph.tape(&[root]), &[root]),
            gradient_program: Program::new(&graph.nodes, &graph.tape(&gradient), &gradient),
            hessian_program: Program::new(&graph.nodes, &graph.tape(&hessian), &hessian),
            source: source.trim().to_string(),
            dim,
        };
        let ops = formula.kernel_ops();
        if ops > MAX_KERNEL_OPS {
            return Err(ParseError {
                column: 1,
                message: format!(
                    "the formula, its gradient and its Hessian take {ops} operations in {dim} variables; \
                     at most {MAX_KERNEL_OPS} (so the GPU kernel compiles in seconds)"
                ),
            });
        }
        Ok(formula)
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Operations of the generated WGSL: f, grad f and the Hessian together
    /// (bounded by `MAX_KERNEL_OPS`).
    pub fn kernel_ops(&self) -> usize {
        [&self.value_program, &self.gradient_program, &self.hessian_program].iter().map(|p| p.ops.len()).sum()
    }

    /// Number of variables.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// f at `p` (p.len() == dim).
    #[inline]
    pub fn value<T: Real>(&self, p: &[T]) -> T {
        let mut f = [T::splat(0.0)];
        self.value_program.run(p, &mut f);
        f[0]
    }

    /// grad f at `p`, into `out`.
    #[inline]
    pub fn gradient<T: Real>(&self, p: &[T], out: &mut [T]) {
        self.gradient_program.run(p, out)
    }

    /// The Hessian at `p`, row-major, into `out` (dim * dim).
    pub fn hessian<T: Real>(&self, p: &[T], out: &mut [T]) {
        self.hessian_program.run(p, out)
    }

    /// WGSL for `surface_value(p)`, `surface_gradient(p)` and
    /// `surface_hessian(p)` (row-major) where p is `Point` = array<f32, D>,
    /// with the functions they call (`WGSL_FUNCTIONS`).
    pub fn wgsl(&self) -> String {
        format!(
            "// Generated from the formula {} by src/surface/formula.rs.\n{WGSL_FUNCTIONS}\n\
             fn surface_value(p: Point) -> f32 {{\n{}}}\n\nfn surface_gradient(p: Point) -> Point {{\n{}}}\n\n{}",
            crate::error::quote(&self.source),
            self.value_program.wgsl(|outputs| outputs.to_string()),
            self.gradient_program.wgsl(|outputs| format!("Point({outputs})")),
            self.hessian_function(),
        )
    }

    /// WGSL for `surface_hessian(p)` alone, row-major, with the functions
    /// it calls.
    pub fn wgsl_hessian(&self) -> String {
        format!("{WGSL_FUNCTIONS}\n{}", self.hessian_function())
    }

    fn hessian_function(&self) -> String {
        let n = self.dim * self.dim;
        format!(
            "// The Hessian of {}, generated by src/surface/formula.rs.\nfn surface_hessian(p: Point) -> array<f32, {n}> {{\n{}}}\n",
            crate::error::quote(&self.source),
            self.hessian_program.wgsl(|outputs| format!("array<f32, {n}>({outputs})")),
        )
    }
}

/// The functions generated formulas call: WGSL's builtins are undefined
/// or driver-dependent where Rust's f32 functions (`Func::apply`,
/// `Real::powf`) are defined (pow of a negative base or of 0 to a power
/// <= 0, log and sqrt below 0, tanh and exp of large arguments, sin, cos
/// and tan of inf, sign of NaN), so each answers those inputs itself, as
/// Rust does, and calls the builtin only where the builtin is defined.
/// NaN and inf are made at run time from an argument (WGSL has no NaN or
/// inf constants, and naga refuses them in constant expressions).
const WGSL_FUNCTIONS: &str = include_str!("../../shaders/surfaces/formula.wgsl");

/// An f32 literal WGSL reads back to the same f32 as `v as f32`.
fn wgsl_float(v: f64) -> String {
    let f = v as f32;
    let text = format!("{f:?}");
    let text = if text.contains(['.', 'e']) { text } else { format!("{text}.0") };
    if f < 0.0 { format!("({text})") } else { text }
}

/// The hash-consed node store with simplifying constructors.
#[derive(Default)]
struct Graph {
    nodes: Vec<Node>,
    ids: HashMap<Node, Id>,
    derivatives: HashMap<(Id, usize), Id>,
}

impl Graph {
    fn add(&mut self, node: Node) -> Id {
        if let Some(&id) = self.ids.get(&node) {
            return id;
        }
        self.nodes.push(node);
        self.ids.insert(node, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    fn constant(&mut self, v: f64) -> Id {
        // One zero: -0.0 and 0.0 are the same constant here.
        self.add(Node::Const(if v == 0.0 { 0.0f64 } else { v }.to_bits()))
    }

    fn value_of(&self, id: Id) -> Option<f64> {
        match self.nodes[id] {
            Node::Const(bits) => Some(f64::from_bits(bits)),
            _ => None,
        }
    }

    fn neg(&mut self, a: Id) -> Id {
        match self.nodes[a] {
            Node::Const(bits) => self.constant(-f64::from_bits(bits)),
            Node::Neg(inner) => inner,
            Node::Mul(c, b) if self.value_of(c).is_some() => {
                let minus_c = self.constant(-self.value_of(c).expect("a constant"));
                self.product(minus_c, b)
            }
            _ => self.add(Node::Neg(a)),
        }
    }

    fn sum(&mut self, a: Id, b: Id) -> Id {
        match (self.value_of(a), self.value_of(b)) {
            (Some(x), Some(y)) => self.constant(x + y),
            (Some(0.0), _) => b,
            (_, Some(0.0)) => a,
            _ => match (self.nodes[a], self.nodes[b]) {
                (_, Node::Neg(nb)) => self.difference(a, nb),
                (Node::Neg(na), _) => self.difference(b, na),
                _ => self.add(Node::Add(a.min(b), a.max(b))),
            },
        }
    }

    fn difference(&mut self, a: Id, b: Id) -> Id {
        match (self.value_of(a), self.value_of(b)) {
            (Some(x), Some(y)) => self.constant(x - y),
            (Some(0.0), _) => self.neg(b),
            (_, Some(0.0)) => a,
            _ if a == b => self.constant(0.0),
            _ => match self.nodes[b] {
                Node::Neg(nb) => self.sum(a, nb),
                _ => self.add(Node::Sub(a, b)),
            },
        }
    }

    fn product(&mut self, a: Id, b: Id) -> Id {
        match (self.value_of(a), self.value_of(b)) {
            (Some(x), Some(y)) => self.constant(x * y),
            (Some(0.0), _) | (_, Some(0.0)) => self.constant(0.0),
            (Some(1.0), _) => b,
            (_, Some(1.0)) => a,
            (Some(-1.0), _) => self.neg(b),
            (_, Some(-1.0)) => self.neg(a),
            // Signs move out of products: -(a b) is one negation, shared.
            _ => match (self.nodes[a], self.nodes[b]) {
                (Node::Neg(na), _) => {
                    let p = self.product(na, b);
                    self.neg(p)
                }
                (_, Node::Neg(nb)) => {
                    let p = self.product(a, nb);
                    self.neg(p)
                }
                _ => self.add(Node::Mul(a.min(b), a.max(b))),
            },
        }
    }

    fn quotient(&mut self, a: Id, b: Id) -> Id {
        match (self.value_of(a), self.value_of(b)) {
            (Some(x), Some(y)) => self.constant(x / y),
            (Some(0.0), _) => self.constant(0.0),
            (_, Some(1.0)) => a,
            _ => self.add(Node::Div(a, b)),
        }
    }

    fn power(&mut self, a: Id, b: Id) -> Id {
        match (self.value_of(a), self.value_of(b)) {
            (Some(x), Some(y)) => self.constant(x.powf(y)),
            (_, Some(0.0)) => self.constant(1.0),
            (_, Some(1.0)) => a,
            (_, Some(n)) if n.fract() == 0.0 && n.abs() <= MAX_INT_POWER => self.power_int(a, n as i32),
            (Some(e), _) if e == std::f64::consts::E => self.call(Func::Exp, b),
            _ => self.add(Node::Pow(a, b)),
        }
    }

    fn power_int(&mut self, a: Id, n: i32) -> Id {
        match (self.value_of(a), n) {
            (Some(x), _) => self.constant(x.powi(n)),
            (_, 0) => self.constant(1.0),
            (_, 1) => a,
            _ => self.add(Node::PowInt(a, n)),
        }
    }

    fn call(&mut self, f: Func, a: Id) -> Id {
        match self.value_of(a) {
            Some(v) => self.constant(f.apply(v)),
            None => self.add(Node::Call(f, a)),
        }
    }

    /// d node / d x_k, simplified, memoised. A depth-first walk in the
    /// order the recursive definition would take (a's derivative, then b's,
    /// then the node's), on a stack of our own: a chain of a million sums
    /// derives like a short one, in the same node order. Fails once the
    /// graph holds more than `MAX_GRAPH_NODES`.
    fn derive(&mut self, root: Id, k: usize) -> Result<Id, TooLarge> {
        let mut stack = vec![(root, false)];
        while let Some((id, children_done)) = stack.pop() {
            if self.derivatives.contains_key(&(id, k)) {
                continue;
            }
            if children_done {
                let d = self.derive_node(id, k);
                self.derivatives.insert((id, k), d);
                if self.nodes.len() > MAX_GRAPH_NODES {
                    return Err(TooLarge);
                }
                continue;
            }
            stack.push((id, true));
            match self.nodes[id] {
                Node::Const(_) | Node::Var(_) => {}
                Node::Neg(a) | Node::PowInt(a, _) | Node::Call(_, a) => stack.push((a, false)),
                // b pushed first, so a is derived first.
                Node::Add(a, b) | Node::Sub(a, b) | Node::Mul(a, b) | Node::Div(a, b) | Node::Pow(a, b) => {
                    stack.extend([(b, false), (a, false)])
                }
            }
        }
        Ok(self.derived(root, k))
    }

    /// The derivative of a child, already derived.
    fn derived(&self, id: Id, k: usize) -> Id {
        self.derivatives[&(id, k)]
    }

    /// d node / d x_k from its children's derivatives.
    fn derive_node(&mut self, id: Id, k: usize) -> Id {
        match self.nodes[id] {
            Node::Const(_) => self.constant(0.0),
            Node::Var(j) => self.constant(if j == k { 1.0 } else { 0.0 }),
            Node::Neg(a) => {
                let da = self.derived(a, k);
                self.neg(da)
            }
            Node::Add(a, b) => {
                let (da, db) = (self.derived(a, k), self.derived(b, k));
                self.sum(da, db)
            }
            Node::Sub(a, b) => {
                let (da, db) = (self.derived(a, k), self.derived(b, k));
                self.difference(da, db)
            }
            Node::Mul(a, b) => {
                let (da, db) = (self.derived(a, k), self.derived(b, k));
                let (l, r) = (self.product(da, b), self.product(a, db));
                self.sum(l, r)
            }
            Node::Div(a, b) => {
                // (a' b - a b') / b^2
                let (da, db) = (self.derived(a, k), self.derived(b, k));
                let (l, r) = (self.product(da, b), self.product(a, db));
                let top = self.difference(l, r);
                let b2 = self.power_int(b, 2);
                self.quotient(top, b2)
            }
            Node::PowInt(a, n) => {
                // n a^(n-1) a'
                let da = self.derived(a, k);
                let n_c = self.constant(n as f64);
                let lower = self.power_int(a, n - 1);
                let scaled = self.product(n_c, lower);
                self.product(scaled, da)
            }
            Node::Pow(a, b) => {
                // a^b (b' ln a + b a' / a)
                let (da, db) = (self.derived(a, k), self.derived(b, k));
                let ln_a = self.call(Func::Log, a);
                let l = self.product(db, ln_a);
                let ba = self.product(b, da);
                let r = self.quotient(ba, a);
                let inner = self.sum(l, r);
                self.product(id, inner)
            }
            Node::Call(f, a) => {
                let da = self.derived(a, k);
                let outer = match f {
                    Func::Exp => id,
                    Func::Log => {
                        let one = self.constant(1.0);
                        self.quotient(one, a)
                    }
                    Func::Sqrt => {
                        let half = self.constant(0.5);
                        self.quotient(half, id)
                    }
                    Func::Abs => self.call(Func::Sign, a),
                    Func::Sin => self.call(Func::Cos, a),
                    Func::Cos => {
                        let s = self.call(Func::Sin, a);
                        self.neg(s)
                    }
                    Func::Tan | Func::Tanh => {
                        // 1 + tan^2, 1 - tanh^2
                        let one = self.constant(1.0);
                        let sq = self.power_int(id, 2);
                        if f == Func::Tan { self.sum(one, sq) } else { self.difference(one, sq) }
                    }
                    Func::Sign => self.constant(0.0),
                };
                self.product(outer, da)
            }
        }
    }

    /// A copy with every `PowInt` written as multiplications by square and
    /// multiply, and the map from old ids to new.
    fn lower_powers(&self) -> (Graph, Vec<Id>) {
        let mut g = Graph::default();
        let mut map: Vec<Id> = Vec::with_capacity(self.nodes.len());
        for &node in &self.nodes {
            let m = |a: Id| map[a];
            let id = match node {
                Node::Const(bits) => g.constant(f64::from_bits(bits)),
                Node::Var(k) => g.add(Node::Var(k)),
                Node::Neg(a) => g.neg(m(a)),
                Node::Add(a, b) => g.sum(m(a), m(b)),
                Node::Sub(a, b) => g.difference(m(a), m(b)),
                Node::Mul(a, b) => g.product(m(a), m(b)),
                Node::Div(a, b) => g.quotient(m(a), m(b)),
                Node::Pow(a, b) => g.power(m(a), m(b)),
                Node::Call(f, a) => g.call(f, m(a)),
                Node::PowInt(a, n) => {
                    let (mut base, mut e, mut acc) = (m(a), n.unsigned_abs(), None);
                    while e > 0 {
                        if e & 1 == 1 {
                            acc = Some(acc.map_or(base, |acc| g.product(acc, base)));
                        }
                        e >>= 1;
                        if e > 0 {
                            base = g.product(base, base);
                        }
                    }
                    let one = g.constant(1.0);
                    let acc = acc.unwrap_or(one);
                    if n < 0 { g.quotient(one, acc) } else { acc }
                }
            };
            map.push(id);
        }
        (g, map)
    }

    /// The nodes `outputs` depend on, in id (evaluation) order.
    fn tape(&self, outputs: &[Id]) -> Vec<Id> {
        let mut needed = vec![false; self.nodes.len()];
        let mut stack: Vec<Id> = outputs.to_vec();
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut needed[id], true) {
                continue;
            }
            match self.nodes[id] {
                Node::Const(_) | Node::Var(_) => {}
                Node::Neg(a) | Node::PowInt(a, _) | Node::Call(_, a) => stack.push(a),
                Node::Add(a, b) | Node::Sub(a, b) | Node::Mul(a, b) | Node::Div(a, b) | Node::Pow(a, b) => {
                    stack.extend([a, b])
                }
            }
        }
        (0..self.nodes.len()).filter(|&i| needed[i]).collect()
    }
}

/// Which variable names a formula used.
#[derive(Default)]
struct Variables {
    /// x or y seen (the 2-D names).
    plain: bool,
    /// Highest k of an xk seen.
    indexed: usize,
}

impl Variables {
    fn dim(&self) -> usize {
        self.indexed
    }
    fn implied_min(&self) -> usize {
        if self.plain { 2 } else { 1 }
    }
}

/// Recursive descent over the grammar
///   sum     = product (("+" | "-") product)*
///   product = unary (("*" | "/") unary)*
///   unary   = ("-" | "+")* power
///   power   = atom ("^" unary)?          (right-associative; -x^2 = -(x^2))
///   atom    = number | name | name "(" sum ")" | "(" sum ")"
/// It recurses only into "(", a function's argument and an exponent, at
/// most `MAX_DEPTH` deep; and stops once the graph holds `MAX_GRAPH_NODES`.
struct Parser<'a> {
    chars: Vec<char>,
    at: usize,
    graph: &'a mut Graph,
    vars: Variables,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(source: &str, graph: &'a mut Graph) -> Self {
        Parser { chars: source.chars().collect(), at: 0, graph, vars: Variables::default(), depth: 0 }
    }

    /// Runs `inner` one nesting level down (the "(", function or "^" at
    /// column `at`), or refuses past `MAX_DEPTH`.
    fn nested<T>(
        &mut self,
        at: usize,
        inner: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(ParseError {
                column: at + 1,
                message: format!("nested too deep: at most {MAX_DEPTH} levels of parentheses, functions and powers"),
            });
        }
        self.depth += 1;
        let out = inner(self);
        self.depth -= 1;
        out
    }

    /// `id`, or the size error once the graph is full.
    fn checked(&self, id: Id) -> Result<Id, ParseError> {
        if self.graph.nodes.len() > MAX_GRAPH_NODES {
            return Err(self.error(too_large_message()));
        }
        Ok(id)
    }

    fn parse(mut self) -> Result<(Id, Variables), ParseError> {
        self.skip_space();
        if self.at == self.chars.len() {
            return Err(self.error("expected a formula, found nothing"));
        }
        let root = self.sum()?;
        self.skip_space();
        if self.at < self.chars.len() {
            return Err(self.expected("an operator (+ - * / ^) or the end"));
        }
        if self.vars.plain && self.vars.indexed > 0 {
            return Err(ParseError { column: 1, message: "use x, y or x1, x2, ..., not both".into() });
        }
        Ok((root, self.vars))
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError { column: self.at + 1, message: message.into() }
    }

    /// "expected WHAT, found X" at the current column.
    fn expected(&self, what: &str) -> ParseError {
        let found = match self.chars.get(self.at) {
            Some(c) => format!("{:?}", c.to_string()),
            None => "the end".to_string(),
        };
        self.error(format!("expected {what}, found {found}"))
    }

    fn skip_space(&mut self) {
        while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
            self.at += 1;
        }
    }

    /// Consumes `c` (after spaces) if it is next.
    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        if self.chars.get(self.at) == Some(&c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn sum(&mut self) -> Result<Id, ParseError> {
        let mut acc = self.product()?;
        loop {
            if self.eat('+') {
                let r = self.product()?;
                let id = self.graph.sum(acc, r);
                acc = self.checked(id)?;
            } else if self.eat('-') {
                let r = self.product()?;
                let id = self.graph.difference(acc, r);
                acc = self.checked(id)?;
            } else {
                return Ok(acc);
            }
        }
    }

    fn product(&mut self) -> Result<Id, ParseError> {
        let mut acc = self.unary()?;
        loop {
            if self.eat('*') {
                let r = self.unary()?;
                let id = self.graph.product(acc, r);
                acc = self.checked(id)?;
            } else if self.eat('/') {
                let r = self.unary()?;
                let id = self.graph.quotient(acc, r);
                acc = self.checked(id)?;
            } else {
                return Ok(acc);
            }
        }
    }

    /// Signs in a loop: "- - x" negates twice, innermost first, as the
    /// recursive rule would.
    fn unary(&mut self) -> Result<Id, ParseError> {
        let mut minus = 0usize;
        loop {
            if self.eat('-') {
                minus += 1;
            } else if !self.eat('+') {
                break;
            }
        }
        let mut a = self.power()?;
        for _ in 0..minus {
            a = self.graph.neg(a);
        }
        self.checked(a)
    }

    fn power(&mut self) -> Result<Id, ParseError> {
        let base = self.atom()?;
        if self.eat('^') {
            let exponent = self.nested(self.at - 1, Self::unary)?;
            let id = self.graph.power(base, exponent);
            return self.checked(id);
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Id, ParseError> {
        self.skip_space();
        let what = "a number, a variable, a function or \"(\"";
        let Some(&c) = self.chars.get(self.at) else { return Err(self.expected(what)) };
        if c == '(' {
            self.at += 1;
            return self.nested(self.at - 1, |p| {
                let inner = p.sum()?;
                if !p.eat(')') {
                    return Err(p.expected("\")\""));
                }
                Ok(inner)
            });
        }
        if c.is_ascii_digit() || c == '.' {
            return self.number();
        }
        if c.is_alphabetic() {
            return self.name();
        }
        Err(self.expected(what))
    }

    fn number(&mut self) -> Result<Id, ParseError> {
        let start = self.at;
        let digits = |p: &mut Self| {
            while p.chars.get(p.at).is_some_and(|c| c.is_ascii_digit()) {
                p.at += 1;
            }
        };
        digits(self);
        if self.chars.get(self.at) == Some(&'.') {
            self.at += 1;
            digits(self);
        }
        // An exponent only when digits follow ("2e" stops after the 2, and
        // the e then wants an operator before it).
        if matches!(self.chars.get(self.at), Some('e' | 'E')) {
            let sign = matches!(self.chars.get(self.at + 1), Some('+' | '-')) as usize;
            if self.chars.get(self.at + 1 + sign).is_some_and(|c| c.is_ascii_digit()) {
                self.at += 1 + sign;
                digits(self);
            }
        }
        let text: String = self.chars[start..self.at].iter().collect();
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(self.graph.constant(v)),
            _ => {
                self.at = start;
                Err(self.error(format!("expected a number, found {}", crate::error::quote(&text))))
            }
        }
    }

    fn name(&mut self) -> Result<Id, ParseError> {
        let start = self.at;
        while self.chars.get(self.at).is_some_and(|c| c.is_alphanumeric() || *c == '_') {
            self.at += 1;
        }
        let name: String = self.chars[start..self.at].iter().collect();
        if let Some(&(_, f)) = Func::NAMED.iter().find(|(n, _)| *n == name) {
            if !self.eat('(') {
                return Err(self.expected(&format!("\"(\" after {name}")));
            }
            let arg = self.nested(start, |p| {
                let arg = p.sum()?;
                if !p.eat(')') {
                    return Err(p.expected("\")\""));
                }
                Ok(arg)
            })?;
            let id = self.graph.call(f, arg);
            return self.checked(id);
        }
        let var = |p: &mut Self, k: usize| p.graph.add(Node::Var(k));
        match name.as_str() {
            "pi" => Ok(self.graph.constant(std::f64::consts::PI)),
            "e" => Ok(self.graph.constant(std::f64::consts::E)),
            "x" | "y" => {
                self.vars.plain = true;
                Ok(var(self, (name == "y") as usize))
            }
            _ => match name.strip_prefix('x').and_then(|k| k.parse::<usize>().ok()) {
                Some(k) if (1..=MAX_VARIABLES).contains(&k) && !name[1..].starts_with('0') => {
                    self.vars.indexed = self.vars.indexed.max(k);
                    Ok(var(self, k - 1))
                }
                _ => {
                    self.at = start;
                    let functions: Vec<&str> = Func::NAMED.iter().map(|(n, _)| *n).collect();
                    Err(self.error(format!(
                        "unknown name {}: expected x, y, x1..x{MAX_VARIABLES}, pi, e or a function ({})",
                        crate::error::quote(&name),
                        functions.join(", ")
                    )))
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(text: &str, p: &[f64]) -> f64 {
        Formula::parse(text, None).unwrap().value(p)
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(f("-x^2", &[3.0, 0.0]), -9.0);
        assert_eq!(f("2^3^2", &[0.0, 0.0]), 512.0);
        assert_eq!(f("1 - 2 - 3", &[0.0, 0.0]), -4.0);
        assert_eq!(f("8 / 4 / 2", &[0.0, 0.0]), 1.0);
        assert_eq!(f("2*x + y*3", &[1.0, 2.0]), 8.0);
        assert_eq!(f("2^-1", &[0.0, 0.0]), 0.5);
        assert_eq!(f("(x+1)^2", &[-3.0, 0.0]), 4.0);
        assert!((f("pi + e", &[0.0, 0.0]) - 5.859874482048838).abs() < 1e-15);
        assert_eq!(f("1.5e2 + .5", &[0.0, 0.0]), 150.5);
    }

    #[test]
    fn gradient_and_hessian_match_central_differences() {
        let texts = [
            "3*(1-x)^2*exp(-x^2-(y+1)^2) - 10*(x/5 - x^3 - y^5)*exp(-x^2-y^2) - 1/3*exp(-(x+1)^2-y^2)",
            "sqrt(x^2 + y^2 + 1) + log(2 + sin(x)) - tanh(y) * cos(x*y) + tan(0.3*x) / (2 + y^2)",
            "abs(x - 0.1) * y^2.5 + x^y",
        ];
        let p = [0.7, 1.3];
        for text in texts {
            let formula = Formula::parse(text, None).unwrap();
            let (mut g, mut h) = ([0.0; 2], [0.0; 4]);
            formula.gradient(&p, &mut g);
            formula.hessian(&p, &mut h);
            let step = 1e-5;
            for k in 0..2 {
                let mut a = p;
                let mut b = p;
                a[k] += step;
                b[k] -= step;
                let fd = (formula.value(&a) - formula.value(&b)) / (2.0 * step);
                assert!((fd - g[k]).abs() < 1e-6 * (1.0 + g[k].abs()), "{text}: d/d{k} {fd} vs {}", g[k]);
                let (mut ga, mut gb) = ([0.0; 2], [0.0; 2]);
                formula.gradient(&a, &mut ga);
                formula.gradient(&b, &mut gb);
                for j in 0..2 {
                    let fd = (ga[j] - gb[j]) / (2.0 * step);
                    assert!((fd - h[k * 2 + j]).abs() < 1e-5 * (1.0 + fd.abs()), "{text}: H[{k}][{j}]");
                }
            }
        }
    }

    #[test]
    fn shared_subexpressions_are_computed_once() {
        let formula = Formula::parse("exp(-x^2-y^2) * x + exp(-x^2-y^2) * y", None).unwrap();
        // Value, gradient and Hessian each compute the exp once.
        for program in [&formula.value_program, &formula.gradient_program, &formula.hessian_program] {
            let exps = program.ops.iter().filter(|n| matches!(n, Node::Call(Func::Exp, _))).count();
            assert_eq!(exps, 1);
        }
    }

    #[test]
    fn errors_name_the_column_and_what_was_expected() {
        let err = |text: &str| Formula::parse(text, None).unwrap_err().to_string();
        assert_eq!(err("x +* y"), "column 4: expected a number, a variable, a function or \"(\", found \"*\"");
        assert_eq!(err("(x + y"), "column 7: expected \")\", found the end");
        assert_eq!(err("x y"), "column 3: expected an operator (+ - * / ^) or the end, found \"y\"");
        assert_eq!(err("sin x"), "column 5: expected \"(\" after sin, found \"x\"");
        assert!(err("z + 1").starts_with("column 1: unknown name \"z\""));
        assert_eq!(err("   "), "column 4: expected a formula, found nothing");
        assert!(err("x + x1").contains("not both"));
        assert!(err("log(0)").contains("constant part"));
        // Found by `cargo fuzz run formula`: 10^111 is finite in f64 only,
        // and the kernel said `inf.0`.
        assert!(err(" 10^ 111").contains("not a finite f32"), "{}", err(" 10^ 111"));
    }

    #[test]
    fn any_length_or_depth_gives_a_formula_or_a_one_line_error() {
        let err = |text: &str| Formula::parse(text, None).unwrap_err();
        let deep = |open: &str, n: usize| format!("{}x{}", open.repeat(n), ")".repeat(n));
        // Past MAX_DEPTH: refused at the level that is one too deep.
        let e = err(&deep("(", 100_000));
        assert_eq!(e.column, MAX_DEPTH + 1, "{e}");
        assert!(e.message.contains("nested too deep: at most 256 levels"), "{e}");
        let e = err(&deep("sin(", 100_000));
        assert_eq!(e.column, 4 * MAX_DEPTH + 1, "{e}");
        let e = err(&vec!["x"; 100_000].join("^"));
        assert!(e.message.contains("nested too deep"), "{e}");
        // Signs are a loop: any number of them parse.
        let f = Formula::parse(&format!("{}x + y", "-".repeat(100_001)), None).unwrap();
        assert_eq!(f.value(&[2.0, 1.0]), -1.0);
        // A 10 MB sum stops at the graph's bound, early.
        let sum = vec!["x"; 5_000_000].join("+");
        let t = std::time::Instant::now();
        let e = err(&sum);
        assert!(e.message.contains("too large"), "{e}");
        assert!(t.elapsed().as_secs() < 10);
        // Differentiation needs no deep stack either: a long chain of
        // sums within the bound derives.
        let chain = (0..2_000).map(|k| format!("{}*x", k + 1)).collect::<Vec<_>>().join(" + ");
        let f = Formula::parse(&chain, None).unwrap();
        let mut g = [0.0; 2];
        f.gradient(&[1.0, 0.0], &mut g);
        assert_eq!(g, [2_001_000.0, 0.0]);
        // The kernel's size is bounded, with the limit named.
        let e = err(&(0..1_000).map(|k| format!("{}*x^{}*y", k + 1, k % 5)).collect::<Vec<_>>().join("+"));
        assert!(e.message.contains("at most 8192"), "{e}");
        for e in [e, err(&deep("(", 1000)), err(&sum)] {
            assert!(!e.to_string().contains('\n') && e.to_string().len() < 200, "{e}");
        }
    }

    #[test]
    fn the_deepest_formula_allowed_parses_on_a_small_stack() {
        let text = format!("{}x{}", "sin((".repeat(MAX_DEPTH / 2), "))".repeat(MAX_DEPTH / 2));
        let f = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || Formula::parse(&text, None).map(|f| f.kernel_ops()))
            .unwrap()
            .join()
            .unwrap();
        assert!(f.is_ok(), "{f:?}");
    }

    #[test]
    fn long_user_text_in_errors_is_quoted_and_cut() {
        let e = Formula::parse(&format!("x + {}", "z".repeat(10_000)), None).unwrap_err().to_string();
        assert!(e.len() < 400 && e.contains("more characters"), "{e}");
        let e = Formula::parse("x + \u{1b}[31m", None).unwrap_err().to_string();
        assert!(!e.chars().any(char::is_control), "{e}");
    }

    #[test]
    fn dimension_comes_from_the_names_used() {
        assert_eq!(Formula::parse("x^2", None).unwrap().dim(), 2);
        assert_eq!(Formula::parse("x1^2 + x3", None).unwrap().dim(), 3);
        assert_eq!(Formula::parse("x1^2", Some(5)).unwrap().dim(), 5);
    }

    #[test]
    fn whole_powers_are_shared_products() {
        let formula = Formula::parse("x^2 + x^3 + x^-2", None).unwrap();
        assert_eq!(formula.value(&[2.0, 0.0]), 12.25);
        let ops = &formula.value_program.ops;
        let x_squared = |op: &&Node| matches!(op, Node::Mul(a, b) if a == b && ops[*a] == Node::Var(0));
        assert_eq!(ops.iter().filter(x_squared).count(), 1, "{ops:?}");
        let programs = [&formula.value_program, &formula.gradient_program, &formula.hessian_program];
        assert!(!programs.iter().flat_map(|p| &p.ops).any(|n| matches!(n, Node::PowInt(..))));
    }
}
