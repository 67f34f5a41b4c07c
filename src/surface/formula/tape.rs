//! `Program`: the nodes one output needs, in evaluation order, and the
//! CPU's run of them (the value, the gradient and the Hessian).

use super::graph::{Id, Node};
use crate::surface::Real;

/// The nodes one output needs, in evaluation order: op k writes register k
/// (`t{k}` in the WGSL), reading only registers before it.
#[derive(Clone, Debug)]
pub(super) struct Program {
    pub(super) ops: Vec<Node>,
    pub(super) outputs: Vec<usize>,
}

impl Program {
    pub(super) fn new(nodes: &[Node], tape: &[Id], outputs: &[Id]) -> Program {
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
                Node::Call2(f, a, b) => Node::Call2(f, slot[a], slot[b]),
                leaf => leaf,
            })
            .collect();
        Program { ops, outputs: outputs.iter().map(|&id| slot[id]).collect() }
    }

    /// Runs the program at `p` into `out`. Registers live on the stack for
    /// programs up to `STACK` long (no allocation per step).
    #[inline]
    pub(super) fn run<T: Real>(&self, p: &[T], out: &mut [T]) {
        // Constants in the arithmetic of p (lanes carry their CPU token).
        let zero = p[0].splat(0.0);
        match self.ops.len() {
            0..=64 => self.run_in(&mut [zero; 64], p, out),
            65..=128 => self.run_in(&mut [zero; 128], p, out),
            129..=256 => self.run_in(&mut [zero; 256], p, out),
            n => self.run_in(&mut vec![zero; n], p, out),
        }
    }

    /// Twin of `Program::wgsl`: the same ops, in the same order.
    #[inline(always)]
    fn run_in<T: Real>(&self, r: &mut [T], p: &[T], out: &mut [T]) {
        for (k, op) in self.ops.iter().enumerate() {
            r[k] = match *op {
                Node::Const(bits) => p[0].splat(f64::from_bits(bits)),
                Node::Var(j) => p[j],
                Node::Neg(a) => -r[a],
                Node::Add(a, b) => r[a] + r[b],
                Node::Sub(a, b) => r[a] - r[b],
                Node::Mul(a, b) => r[a] * r[b],
                Node::Div(a, b) => r[a] / r[b],
                Node::PowInt(..) => unreachable!("lowered to products"),
                Node::Pow(a, b) => r[a].powf(r[b]),
                Node::Call(f, a) => f.apply(r[a]),
                Node::Call2(f, a, b) => f.apply(r[a], r[b]),
            };
        }
        for (o, &k) in out.iter_mut().zip(&self.outputs) {
            *o = r[k];
        }
    }
}
