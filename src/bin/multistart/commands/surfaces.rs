//! `multistart surfaces`: the built-in surfaces.

use std::io::Write;

use multistart::error::Result;
use multistart::report::{self};

use super::*;

/// `multistart surfaces`: the built-in surfaces.
pub fn surfaces() -> Result<Completion> {
    let mut out = std::io::stdout().lock();
    for s in multistart::surface::Surface::all() {
        let known = s.known_points();
        let minima = known.iter().filter(|k| k.kind == multistart::surface::Kind::Minimum).count();
        let globals = s.global_minima().count();
        let dims = if s.takes_dim() { "any --dim D (default 2)" } else { "2-D" };
        let listed = match (s.name(), minima) {
            ("rastrigin" | "ackley", _) => "many local minima; the global one known".to_string(),
            ("rosenbrock", _) => "the global minimum known (and a local one for 4 <= D <= 7)".to_string(),
            (_, 0) => "no isolated minimum (a valley of them along x = 0)".to_string(),
            (_, 1) => format!("1 known minimum ({globals} global)"),
            _ => format!("{minima} known minima ({globals} global)"),
        };
        let _ = writeln!(
            out,
            "{:<11} {dims:<24} region {:<30} lr {:<6} {listed}",
            s.name(),
            report::region_text(&s.default_region().as_array()),
            s.default_lr()
        );
    }
    Ok(Completion::Complete)
}
