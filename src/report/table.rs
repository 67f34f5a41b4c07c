//! The human table on stdout.

use std::io::{self, Write};

use super::Report;
use super::files::classes;

/// 1234567 -> "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
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

/// Basin rows the table prints (minima by f first); the files have all.
pub const TABLE_ROWS: usize = 25;

/// "[-2, 2] x [-2, 2]", or "[-5.12, 5.12]^5" for a cube.
pub fn region_text(r: &[f64]) -> String {
    let axes: Vec<String> = r.chunks(2).map(|a| format!("[{}, {}]", a[0], a[1])).collect();
    if axes.len() > 2 && axes.iter().all(|a| *a == axes[0]) {
        return format!("{}^{}", axes[0], axes.len());
    }
    axes.join(" x ")
}

/// A point with `decimals` decimals: "(0.1235, -2.0000, ...)".
pub fn point_text(p: &[f64], decimals: usize) -> String {
    // Values that round to zero print as 0.0000, not -0.0000.
    let zero = 0.5 * 10f64.powi(-(decimals as i32));
    let parts: Vec<String> =
        p.iter().map(|c| format!("{:.decimals$}", if c.abs() < zero { 0.0 } else { *c })).collect();
    format!("({})", parts.join(", "))
}

/// "100,000 walkers", or for a shard "25,000 walkers (shard 1/4 of 100,000:
/// indices 25,000 to 49,999)".
fn walkers_text(r: &Report) -> String {
    match (r.shard, r.shard_walkers) {
        (Some([k, n]), Some([first, end])) => format!(
            "{} walkers (shard {k}/{n} of {}: indices {} to {})",
            thousands(end - first),
            thousands(r.config.walkers),
            thousands(first),
            thousands(end.saturating_sub(1))
        ),
        _ => format!("{} walkers", thousands(r.config.walkers)),
    }
}

/// The report as the human-readable table on stdout: header, basins, the
/// other classes and warnings.
pub fn print_table(out: &mut dyn Write, r: &Report) -> io::Result<()> {
    let c = &r.config;
    writeln!(
        out,
        "multistart {}: {} on {}, {} x {} steps",
        r.version,
        r.surface_text(),
        region_text(&c.region),
        walkers_text(r),
        thousands(c.steps as u64)
    )?;
    writeln!(
        out,
        "  optimizer {}, lr {}, tol {}, {}, starts {}, seed {}",
        match c.optimizer.describe(&c.optimizer_params).as_str() {
            "" => c.optimizer.name().to_string(),
            params => format!("{} ({params})", c.optimizer.name()),
        },
        c.lr,
        match c.settle_tol {
            // The classification's own threshold, where it is not tol.
            Some(settle) if settle != c.tol => format!("{} (settled below |grad f| {settle})", c.tol),
            _ => c.tol.to_string(),
        },
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
    // 2-D points in x and y columns; D-dimensional ones as one vector.
    let planar = c.dim == 2;
    let point_width = r.basins.iter().map(|b| point_text(&b.point, 4).len()).max().unwrap_or(5).max(5);
    let point_header = if planar { format!("{:>10} {:>10}", "x", "y") } else { format!("{:<point_width$}", "point") };
    writeln!(
        out,
        "{:>3}  {:<9} {point_header} {:>10} {:>11} {:>7}  {:<17} {:>9} {:>6}  {:>10}",
        "#", "kind", "f", "walkers", "share %", "95% CI (%)", "median it", "p90", "stable lr<"
    )?;
    for b in r.basins.iter().take(TABLE_ROWS) {
        let note = match (b.best, b.global) {
            (true, Some(true)) => "  best, global",
            (true, Some(false)) => "  best (not the known global minimum)",
            (true, None) => "  best",
            (false, Some(true)) => "  global",
            _ => "",
        };
        writeln!(
            out,
            "{:>3}  {:<9} {} {:>10.6} {:>11} {:>7.2}  {:<17} {:>9} {:>6}  {:>10}{note}",
            b.id,
            b.kind.name(),
            if planar {
                let zeroed = |c: f64| if c.abs() < 5e-7 { 0.0 } else { c };
                format!("{:>10.6} {:>10.6}", zeroed(b.point[0]), zeroed(b.point[1]))
            } else {
                format!("{:<point_width$}", point_text(&b.point, 4))
            },
            b.f,
            thousands(b.count),
            100.0 * b.fraction,
            percent_interval(b.ci95),
            b.median_iterations.map_or("-".into(), |v| v.to_string()),
            b.p90_iterations.map_or("-".into(), |v| v.to_string()),
            b.max_stable_lr.map_or("-".into(), |v| format!("{v:.4}")),
        )?;
    }
    if r.basins.len() > TABLE_ROWS {
        let rest = &r.basins[TABLE_ROWS..];
        let walkers: u64 = rest.iter().map(|b| b.count).sum();
        writeln!(
            out,
            "     ... {} more critical points ({} walkers, {:.2}%): every row is in --json and --csv-basins",
            thousands(rest.len() as u64),
            thousands(walkers),
            100.0 * walkers as f64 / r.walkers_done as f64
        )?;
    }
    let n = r.walkers_done;
    for (name, count) in classes(r) {
        let ci = percent_interval(crate::basins::wilson95(count, n));
        let share = 100.0 * count as f64 / n as f64;
        let gap = if planar { 21 } else { point_width } + 11;
        writeln!(out, "{:>3}  {name:<9} {:>gap$} {:>11} {share:>7.2}  {ci}", "", "", thousands(count))?;
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
        _ if r.summary.plateau_valley > 0 => writeln!(
            out,
            "no walker reached an isolated minimum (see the valley below): no restart count can be given"
        )?,
        _ => writeln!(out, "no walker reached a minimum: no restart count can be given")?,
    }
    for w in &r.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}
