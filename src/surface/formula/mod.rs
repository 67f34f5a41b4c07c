//! User formulas (`--expr "..."`): parsed once into an expression graph,
//! differentiated symbolically, and run from that one graph both as WGSL
//! (`wgsl`) and on the CPU (`Formula::value`, `gradient`, `hessian`).
//!
//! The graph is hash-consed: every node is stored once, so the value, the
//! gradient and the Hessian share their common subexpressions (the three
//! exps of peaks are each computed once per step). Node ids are created
//! children first, so id order is an evaluation order; the GPU's generated
//! lines and the CPU's loop in `eval` visit the same nodes in that order.
//!
//! Which file holds what:
//! - `mod.rs`: `Formula` and its public API (`parse`, `value`, `gradient`,
//!   `hessian`), the limits, `ParseError`.
//! - `parse.rs`: the tokenizer and recursive-descent `Parser`, `Variables`.
//! - `graph.rs`: the expression graph (`Graph`, `Node`, `Func`) and the
//!   symbolic derivatives.
//! - `tape.rs`: `Program`, the evaluation order of one output, run on the CPU
//!   for the value, the gradient and the Hessian.
//! - `wgsl.rs`: the WGSL emission (`Formula::wgsl`, `wgsl_hessian`) and the
//!   functions generated kernels call (`shaders/surfaces/formula.wgsl`).

use super::Real;

mod graph;
mod parse;
mod tape;
mod wgsl;

pub use graph::Func;
use graph::{Graph, Id, Node};
use parse::Parser;
use tape::Program;

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

fn too_large_message() -> String {
    format!("the formula is too large: it and its derivatives need more than {MAX_GRAPH_NODES} distinct terms")
}

/// A parse error: the 1-based column and what was expected there.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    /// Where in the formula, from 1 (1 for errors about the whole formula).
    pub column: usize,
    /// What was expected, in one line.
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

/// Named parameters of a formula (`--set a=2`), by name: each is a
/// constant of the formula, as if its value were typed in its place.
pub type Params = std::collections::BTreeMap<String, f64>;

/// " with a = 2, b = 0.5" for headers after the formula, "" for none.
pub fn describe_params(params: &Params) -> String {
    if params.is_empty() {
        return String::new();
    }
    let each: Vec<String> = params.iter().map(|(n, v)| format!("{n} = {}", crate::error::number(*v))).collect();
    format!(" with {}", each.join(", "))
}

/// A parsed formula with its symbolic gradient and Hessian.
#[derive(Clone, Debug)]
pub struct Formula {
    source: String,
    dim: usize,
    params: Params,
    /// f, grad f, and the Hessian (row-major): each run by the CPU and
    /// written out as WGSL from the same ops.
    value_program: Program,
    gradient_program: Program,
    hessian_program: Program,
}

impl PartialEq for Formula {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.dim == other.dim && self.params == other.params
    }
}

impl Formula {
    /// Parses `source` in variables x, y (2-D), z (3-D) or x1..xD. `dim` asks for at
    /// least that many variables (a formula may ignore some).
    pub fn parse(source: &str, dim: Option<usize>) -> Result<Formula, ParseError> {
        Formula::parse_with(source, dim, &Params::new())
    }

    /// `parse` with named parameters: a name that is not a variable, a
    /// constant or a function is the value `params` gives it. Each of
    /// `params` must appear in the formula (a name given and unused is a
    /// typo's likely sign), and none may be a name the language has.
    pub fn parse_with(source: &str, dim: Option<usize>, params: &Params) -> Result<Formula, ParseError> {
        let mut graph = Graph::default();
        let (root, vars) = Parser::new(source, &mut graph, params).parse()?;
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
            params: params.clone(),
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

    /// The formula as typed, trimmed.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Its named parameters' values (empty without `--set`).
    pub fn params(&self) -> &Params {
        &self.params
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
        let mut f = [p[0].splat(0.0)];
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
