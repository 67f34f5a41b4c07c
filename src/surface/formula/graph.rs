//! The expression graph: hash-consed nodes with simplifying constructors,
//! the symbolic derivatives, and the lowering of whole powers to products.

use std::collections::HashMap;

use super::MAX_GRAPH_NODES;
use crate::surface::Real;

/// Largest integer exponent that `x^n` expands into multiplications.
const MAX_INT_POWER: f64 = 64.0;

/// The graph outgrew `MAX_GRAPH_NODES`.
#[derive(Debug)]
pub(super) struct TooLarge;

/// A one-variable function of the formula language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    /// `exp`.
    Exp,
    /// `log`, the natural logarithm.
    Log,
    /// `sqrt`.
    Sqrt,
    /// `abs`.
    Abs,
    /// `sin`.
    Sin,
    /// `cos`.
    Cos,
    /// `tan`.
    Tan,
    /// `tanh`.
    Tanh,
    /// `atan`.
    Atan,
    /// `sinh`.
    Sinh,
    /// `cosh`.
    Cosh,
    /// `asin`.
    Asin,
    /// `acos`.
    Acos,
    /// `exp2`, 2^x.
    Exp2,
    /// `log2`.
    Log2,
    /// `log10`.
    Log10,
    /// -1, 0 or 1: the derivative of abs. Not in the language.
    Sign,
}

impl Func {
    pub(super) const NAMED: [(&'static str, Func); 16] = [
        ("exp", Func::Exp),
        ("log", Func::Log),
        ("sqrt", Func::Sqrt),
        ("abs", Func::Abs),
        ("sin", Func::Sin),
        ("cos", Func::Cos),
        ("tan", Func::Tan),
        ("tanh", Func::Tanh),
        ("atan", Func::Atan),
        ("sinh", Func::Sinh),
        ("cosh", Func::Cosh),
        ("asin", Func::Asin),
        ("acos", Func::Acos),
        ("exp2", Func::Exp2),
        ("log2", Func::Log2),
        ("log10", Func::Log10),
    ];

    /// Twin of `WGSL_FUNCTIONS` (and `formula_pow` of `powf`).
    pub(super) fn apply<T: Real>(self, v: T) -> T {
        match self {
            Func::Exp => v.exp(),
            Func::Log => v.ln(),
            Func::Sqrt => v.sqrt(),
            Func::Abs => v.abs(),
            Func::Sin => v.sin(),
            Func::Cos => v.cos(),
            Func::Tan => v.tan(),
            Func::Tanh => v.tanh(),
            Func::Atan => v.atan(),
            Func::Sinh => v.sinh(),
            Func::Cosh => v.cosh(),
            Func::Asin => v.asin(),
            Func::Acos => v.acos(),
            Func::Exp2 => v.exp2(),
            Func::Log2 => v.log2(),
            Func::Log10 => v.log10(),
            Func::Sign => v.signum(),
        }
    }
}

/// A two-argument function of the formula language (`pow` is not one: it
/// is the power node, `a^b` exactly).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Func2 {
    /// `atan2(y, x)`, the angle of (x, y).
    Atan2,
    /// `min(a, b)`: Rust's f32 `min`, so the other if one is NaN.
    Min,
    /// `max(a, b)`: Rust's f32 `max`.
    Max,
}

impl Func2 {
    pub(super) const NAMED: [(&'static str, Func2); 3] =
        [("atan2", Func2::Atan2), ("min", Func2::Min), ("max", Func2::Max)];

    /// Twin of `formula_atan2`, `formula_min` and `formula_max`.
    pub(super) fn apply<T: Real>(self, a: T, b: T) -> T {
        match self {
            Func2::Atan2 => a.atan2(b),
            Func2::Min => a.fmin(b),
            Func2::Max => a.fmax(b),
        }
    }
}

pub(super) type Id = usize;

/// One node of the graph. Constants are stored as bits so nodes hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Node {
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
    Call2(Func2, Id, Id),
}

/// The hash-consed node store with simplifying constructors.
#[derive(Default)]
pub(super) struct Graph {
    pub(super) nodes: Vec<Node>,
    ids: HashMap<Node, Id>,
    derivatives: HashMap<(Id, usize), Id>,
}

impl Graph {
    pub(super) fn add(&mut self, node: Node) -> Id {
        if let Some(&id) = self.ids.get(&node) {
            return id;
        }
        self.nodes.push(node);
        self.ids.insert(node, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    pub(super) fn constant(&mut self, v: f64) -> Id {
        // One zero: -0.0 and 0.0 are the same constant here.
        self.add(Node::Const(if v == 0.0 { 0.0f64 } else { v }.to_bits()))
    }

    fn value_of(&self, id: Id) -> Option<f64> {
        match self.nodes[id] {
            Node::Const(bits) => Some(f64::from_bits(bits)),
            _ => None,
        }
    }

    pub(super) fn neg(&mut self, a: Id) -> Id {
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

    pub(super) fn sum(&mut self, a: Id, b: Id) -> Id {
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

    pub(super) fn difference(&mut self, a: Id, b: Id) -> Id {
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

    pub(super) fn product(&mut self, a: Id, b: Id) -> Id {
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

    pub(super) fn quotient(&mut self, a: Id, b: Id) -> Id {
        match (self.value_of(a), self.value_of(b)) {
            (Some(x), Some(y)) => self.constant(x / y),
            (Some(0.0), _) => self.constant(0.0),
            (_, Some(1.0)) => a,
            _ => self.add(Node::Div(a, b)),
        }
    }

    pub(super) fn power(&mut self, a: Id, b: Id) -> Id {
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

    pub(super) fn call(&mut self, f: Func, a: Id) -> Id {
        match self.value_of(a) {
            Some(v) => self.constant(f.apply(v)),
            None => self.add(Node::Call(f, a)),
        }
    }

    pub(super) fn call2(&mut self, f: Func2, a: Id, b: Id) -> Id {
        match (self.value_of(a), self.value_of(b)) {
            (Some(u), Some(v)) => self.constant(f.apply(u, v)),
            _ => self.add(Node::Call2(f, a, b)),
        }
    }

    /// d node / d x_k, simplified, memoised. A depth-first walk in the
    /// order the recursive definition would take (a's derivative, then b's,
    /// then the node's), on a stack of our own: a chain of a million sums
    /// derives like a short one, in the same node order. Fails once the
    /// graph holds more than `MAX_GRAPH_NODES`.
    pub(super) fn derive(&mut self, root: Id, k: usize) -> Result<Id, TooLarge> {
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
                Node::Add(a, b)
                | Node::Sub(a, b)
                | Node::Mul(a, b)
                | Node::Div(a, b)
                | Node::Pow(a, b)
                | Node::Call2(_, a, b) => stack.extend([(b, false), (a, false)]),
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
                    Func::Atan => {
                        // 1 / (1 + a^2)
                        let one = self.constant(1.0);
                        let sq = self.power_int(a, 2);
                        let bottom = self.sum(one, sq);
                        self.quotient(one, bottom)
                    }
                    Func::Sinh => self.call(Func::Cosh, a),
                    Func::Cosh => self.call(Func::Sinh, a),
                    Func::Asin | Func::Acos => {
                        // +-1 / sqrt(1 - a^2)
                        let one = self.constant(if f == Func::Asin { 1.0 } else { -1.0 });
                        let sq = self.power_int(a, 2);
                        let plus_one = self.constant(1.0);
                        let rest = self.difference(plus_one, sq);
                        let root = self.call(Func::Sqrt, rest);
                        self.quotient(one, root)
                    }
                    Func::Exp2 => {
                        let ln2 = self.constant(std::f64::consts::LN_2);
                        self.product(ln2, id)
                    }
                    Func::Log2 | Func::Log10 => {
                        // 1 / (a ln 2), 1 / (a ln 10)
                        let base = if f == Func::Log2 { std::f64::consts::LN_2 } else { std::f64::consts::LN_10 };
                        let c = self.constant(1.0 / base);
                        self.quotient(c, a)
                    }
                    Func::Sign => self.constant(0.0),
                };
                self.product(outer, da)
            }
            Node::Call2(f, a, b) => {
                let (da, db) = (self.derived(a, k), self.derived(b, k));
                match f {
                    Func2::Atan2 => {
                        // (x dy - y dx) / (x^2 + y^2), a = y, b = x
                        let (l, r) = (self.product(b, da), self.product(a, db));
                        let top = self.difference(l, r);
                        let (a2, b2) = (self.power_int(a, 2), self.power_int(b, 2));
                        let bottom = self.sum(a2, b2);
                        self.quotient(top, bottom)
                    }
                    Func2::Min | Func2::Max => {
                        // da + (db - da) h, h = 1 where b is the one taken
                        // and 0 where a is: h = (1 + sign(a - b)) / 2 for
                        // min, (1 + sign(b - a)) / 2 for max. At a tie h is
                        // 1/2, the mean of the two sides' derivatives (a
                        // subgradient); sign's derivative is 0, so the
                        // Hessian is each side's. Made of existing nodes,
                        // so the GPU needs no new select.
                        let gap = if f == Func2::Min { self.difference(a, b) } else { self.difference(b, a) };
                        let s = self.call(Func::Sign, gap);
                        let one = self.constant(1.0);
                        let half = self.constant(0.5);
                        let s1 = self.sum(one, s);
                        let h = self.product(half, s1);
                        let step = self.difference(db, da);
                        let moved = self.product(step, h);
                        self.sum(da, moved)
                    }
                }
            }
        }
    }

    /// A copy with every `PowInt` written as multiplications by square and
    /// multiply, and the map from old ids to new.
    pub(super) fn lower_powers(&self) -> (Graph, Vec<Id>) {
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
                Node::Call2(f, a, b) => g.call2(f, m(a), m(b)),
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
    pub(super) fn tape(&self, outputs: &[Id]) -> Vec<Id> {
        let mut needed = vec![false; self.nodes.len()];
        let mut stack: Vec<Id> = outputs.to_vec();
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut needed[id], true) {
                continue;
            }
            match self.nodes[id] {
                Node::Const(_) | Node::Var(_) => {}
                Node::Neg(a) | Node::PowInt(a, _) | Node::Call(_, a) => stack.push(a),
                Node::Add(a, b)
                | Node::Sub(a, b)
                | Node::Mul(a, b)
                | Node::Div(a, b)
                | Node::Pow(a, b)
                | Node::Call2(_, a, b) => stack.extend([a, b]),
            }
        }
        (0..self.nodes.len()).filter(|&i| needed[i]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{Func, Node};
    use crate::surface::{Formula, Real};

    #[test]
    fn gradient_and_hessian_match_central_differences() {
        let texts = [
            "3*(1-x)^2*exp(-x^2-(y+1)^2) - 10*(x/5 - x^3 - y^5)*exp(-x^2-y^2) - 1/3*exp(-(x+1)^2-y^2)",
            "sqrt(x^2 + y^2 + 1) + log(2 + sin(x)) - tanh(y) * cos(x*y) + tan(0.3*x) / (2 + y^2)",
            "abs(x - 0.1) * y^2.5 + x^y",
            "atan(x*y) + sinh(x) * cosh(y/2) + asin(x/2) - acos(y/3) + exp2(x - y) + log2(x + y) * log10(3 + x)",
            "atan2(y, x) * min(x^2, y) + max(sin(x), cos(y)) * pow(x, y) + atan2(x*y, 1 - x)",
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
