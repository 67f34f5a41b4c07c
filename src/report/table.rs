//! The human table on stdout.

use std::io::{self, Write};

use super::Report;
use super::files::classes;

/// 1234567 -> "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A fraction interval as "[lo, hi]" in percent.
fn percent_interval([lo, hi]: [f64; 2]) -> String {
    format!("[{:.2}, {:.2}]", 100.0 * lo, 100.0 * hi)
}

fn region_text(r: [f64; 4]) -> String {
    format!("[{}, {}] x [{}, {}]", r[0], r[1], r[2], r[3])
}

pub fn print_table(out: &mut dyn Write, r: &Report) -> io::Result<()> {
    let c = &r.config;
    writeln!(
        out,
        "multistart {}: {} on {}, {} walkers x {} steps",
        r.version,
        r.surface_text(),
        region_text(c.region),
        thousands(c.walkers),
        thousands(c.steps as u64)
    )?;
    writeln!(
        out,
        "  optimizer {}, lr {}, tol {}, {}, starts {}, seed {}",
        c.optimizer.name(),
        c.lr,
        c.tol,
        c.precision.name(),
        c.starts,
        c.seed
    )?;
    writeln!(
        out,
        "  {}; wall {:.3} s (descent {:.3} s, basins {:.3} s), {:.3e} walker-steps/s",
        r.device.describe(),
        r.timing.total_s,
        r.timing.descent_s,
        r.timing.basins_s,
        r.walker_steps_per_s
    )?;
    if r.partial {
        writeln!(
            out,
            "  interrupted: {} of {} walkers done; the shares are of those",
            thousands(r.walkers_done),
            thousands(c.walkers)
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:>3}  {:<9} {:>10} {:>10} {:>10} {:>11} {:>7}  {:<17} {:>9} {:>6}  {:>10}",
        "#", "kind", "x", "y", "f", "walkers", "share %", "95% CI (%)", "median it", "p90", "stable lr<"
    )?;
    for b in &r.basins {
        let note = match (b.best, b.global) {
            (true, Some(true)) => "  best, global",
            (true, Some(false)) => "  best (not the known global minimum)",
            (true, None) => "  best",
            (false, Some(true)) => "  global",
            _ => "",
        };
        writeln!(
            out,
            "{:>3}  {:<9} {:>10.6} {:>10.6} {:>10.6} {:>11} {:>7.2}  {:<17} {:>9} {:>6}  {:>10}{note}",
            b.id,
            b.kind.name(),
            b.point[0],
            b.point[1],
            b.f,
            thousands(b.count),
            100.0 * b.fraction,
            percent_interval(b.ci95),
            b.median_iterations.map_or("-".into(), |v| v.to_string()),
            b.p90_iterations.map_or("-".into(), |v| v.to_string()),
            b.max_stable_lr.map_or("-".into(), |v| format!("{v:.4}")),
        )?;
    }
    let n = r.walkers_done;
    for (name, count) in classes(r) {
        let ci = percent_interval(crate::basins::wilson95(count, n));
        let share = 100.0 * count as f64 / n as f64;
        writeln!(out, "{:>3}  {name:<9} {:>32} {:>11} {share:>7.2}  {ci}", "", "", thousands(count))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "moving: still moving when the {}-step budget ran out; plateau: stopped where the surface is flat, \
         with no critical point near; escaped: went past {} region half-widths from its centre; \
         nonfinite: position became NaN or infinite.",
        thousands(c.steps as u64),
        c.bound
    )?;
    writeln!(out)?;
    let best: Vec<String> = r.basins.iter().filter(|b| b.best).map(|b| format!("#{}", b.id)).collect();
    match (r.basins.iter().find(|b| b.best), r.restarts_for_99) {
        (Some(b), Some(k)) => writeln!(
            out,
            "restarts for a 99% chance of reaching the best minimum found ({}, f = {:.6}): {}",
            best.join(" or "),
            b.f,
            thousands(k)
        )?,
        _ => writeln!(out, "no walker reached a minimum: no restart count can be given")?,
    }
    for w in &r.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}
