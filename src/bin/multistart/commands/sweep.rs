//! `multistart sweep`: the same starts for each value of one parameter.

use std::io::Write;
use std::time::Instant;

use crate::config::RunConfig;
use multistart::basins::Summary;
use multistart::error::Result;
use multistart::output::Batch;
use multistart::report::{self, plot, thousands};

use super::run::execute;
use super::*;

/// `multistart sweep`: the same starts for each value; a share table.
pub fn sweep(param: &str, runs: &[(f64, RunConfig)], started: Instant) -> Result<Completion> {
    let first_run = &runs[0].1;
    let first = &first_run.problem;
    let mut engine = engine_for(first_run)?;
    let mut reports = Vec::new();
    let mut catalogue = Summary::default();
    let mut columns: Vec<Vec<usize>> = Vec::new();
    // A signal stops the sweep after the current chunk: the values not yet
    // run are left out, and every output says partial.
    let mut partial = false;
    for (k, (value, config)) in runs.iter().enumerate() {
        if crate::interrupt::requested() {
            partial = true;
            break;
        }
        if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            eprint!("\rsweep: {param} = {value} ({}/{})", k + 1, runs.len());
        }
        // Each value's run writes no files of its own: the sweep's are below.
        let mut one_value = config.clone();
        one_value.outputs = Default::default();
        let done = execute(&one_value, engine.as_mut(), started, false, &mut Batch::new())?;
        partial |= done.outcome.partial;
        columns.push(catalogue.merge(&done.outcome.summary));
        reports.push((*value, done.report, done.outcome.summary));
    }
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprint!("\r\x1b[2K");
    }
    let order = catalogue.report_order();
    // Shares are of the walkers each value actually ran.
    let walkers_run = |k: usize| reports[k].2.walkers;
    let fraction = |k: usize, count: u64| count as f64 / walkers_run(k).max(1) as f64;
    // Walkers of catalogue basin `c` in run `k`.
    let basin_count = |k: usize, c: usize| -> u64 {
        let s = &reports[k].2;
        columns[k].iter().enumerate().filter(|&(_, &to)| to == c).map(|(from, _)| s.basins[from].count).sum()
    };
    let basin_share = |k: usize, c: usize| 100.0 * fraction(k, basin_count(k, c));
    let class_counts = |s: &Summary| {
        [("moving", s.moving), ("plateau", s.plateau), ("escaped", s.escaped), ("nonfinite", s.nonfinite)]
    };

    let o = &first_run.outputs;
    let mut out = table_stream(o.uses_stdout());
    if partial {
        let _ = writeln!(
            out,
            "partial: stopped by a signal after {} of {} values; shares are of the walkers each value ran\n",
            reports.len(),
            runs.len()
        );
    }
    let _ = writeln!(
        out,
        "sweep of {param} over {} values: {} {} walkers from the same starts, {} on {}, optimizer {}, {}\n",
        runs.len(),
        thousands(first.walkers),
        first.starts.describe(),
        first.surface.describe(),
        report::region_text(&first.region.as_array()),
        first.optimizer.name(),
        engine.device().describe()
    );
    let _ = writeln!(out, "share of walkers (%):");
    // The lowest basins get a column each; the rest share one (all are in
    // --json and --csv).
    let (shown, rest) = order.split_at(order.len().min(SWEEP_COLUMNS));
    let label = |rank: usize, c: usize| {
        let b = &catalogue.basins[c];
        format!("#{} {} {}", rank + 1, &b.kind.name()[..3], report::point_text(&b.point, 3).replace(", ", ","))
    };
    let width = shown.iter().enumerate().map(|(rank, &c)| label(rank, c).len()).max().unwrap_or(0).max(12);
    let mut header = format!("{:>10}", param);
    for (rank, &c) in shown.iter().enumerate() {
        header += &format!(" {:>width$}", label(rank, c));
    }
    if !rest.is_empty() {
        header += &format!(" {:>width$}", format!("{} others", rest.len()));
    }
    header += &format!(" {:>8} {:>8} {:>8} {:>9}", "moving", "plateau", "escaped", "nonfinite");
    let _ = writeln!(out, "{header}");
    for (k, (value, _, s)) in reports.iter().enumerate() {
        let mut line = format!("{value:>10}");
        for &c in shown {
            line += &format!(" {:>width$.2}", basin_share(k, c));
        }
        if !rest.is_empty() {
            line += &format!(" {:>width$.2}", rest.iter().map(|&c| basin_share(k, c)).sum::<f64>());
        }
        for (i, (_, count)) in class_counts(s).into_iter().enumerate() {
            line += &format!(" {:>w$.2}", 100.0 * fraction(k, count), w = if i == 3 { 9 } else { 8 });
        }
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
    drop(out);

    let mut batch = Batch::new();
    if let Some(path) = &o.json {
        let runs_json: Vec<_> = reports.iter().map(|(v, r, _)| serde_json::json!({"value": v, "report": r})).collect();
        let values: Vec<f64> = runs.iter().map(|(v, _)| *v).collect();
        let json = serde_json::json!({"param": param, "values": values, "partial": partial, "runs": runs_json});
        report::write_json(&mut batch, path, &json)?;
    }
    if let Some(path) = &o.csv_basins {
        batch.stage(path, |w| {
            let mut csv_out = csv::Writer::from_writer(w);
            let axes = report::axis_names(first.surface.dim());
            let mut columns: Vec<String> = ["value", "class", "id", "kind"].map(String::from).to_vec();
            columns.extend(axes.iter().cloned());
            columns.extend(["f", "count", "fraction", "partial"].map(String::from));
            csv_out.write_record(&columns)?;
            for (k, (value, _, s)) in reports.iter().enumerate() {
                for (rank, &c) in order.iter().enumerate() {
                    let b = &catalogue.basins[c];
                    let count = basin_count(k, c);
                    let mut row = vec![value.to_string(), "basin".into(), (rank + 1).to_string(), b.kind.name().into()];
                    row.extend(b.point.iter().map(|x| x.to_string()));
                    row.extend([
                        b.f.to_string(),
                        count.to_string(),
                        fraction(k, count).to_string(),
                        partial.to_string(),
                    ]);
                    csv_out.write_record(&row)?;
                }
                for (name, count) in class_counts(s) {
                    // Empty id, kind, point and f.
                    let mut row = vec![value.to_string(), name.into()];
                    row.extend(std::iter::repeat_n(String::new(), 3 + axes.len()));
                    row.extend([count.to_string(), fraction(k, count).to_string(), partial.to_string()]);
                    csv_out.write_record(&row)?;
                }
            }
            csv_out.flush()
        })?;
    }
    if let Some(path) = &o.png {
        let values: Vec<f64> = reports.iter().map(|(v, _, _)| *v).collect();
        let mut series = Vec::new();
        for (rank, &c) in shown.iter().enumerate() {
            let b = &catalogue.basins[c];
            let shares = (0..reports.len()).map(|k| basin_share(k, c)).collect();
            series.push((
                format!("#{} {} {}", rank + 1, b.kind.name(), report::point_text(&b.point, 3)),
                plot::PALETTE[rank % plot::PALETTE.len()],
                shares,
            ));
        }
        if !rest.is_empty() {
            let shares = (0..reports.len()).map(|k| rest.iter().map(|&c| basin_share(k, c)).sum()).collect();
            series.push((
                format!("{} other basins", rest.len()),
                plot::PALETTE[shown.len() % plot::PALETTE.len()],
                shares,
            ));
        }
        for (i, name) in ["moving", "plateau", "escaped", "nonfinite"].into_iter().enumerate() {
            let shares: Vec<f64> =
                reports.iter().enumerate().map(|(k, (_, _, s))| 100.0 * fraction(k, class_counts(s)[i].1)).collect();
            if shares.iter().any(|&v| v > 0.0) {
                series.push((name.to_string(), plot::CLASS_GREYS[i], shares));
            }
        }
        // A log axis needs positive values; lr and tol are read on one, and so
        // is any parameter whose values span more than a factor of 100.
        let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        let log_x = lo > 0.0 && (param != "steps" || hi / lo > 100.0);
        plot::draw_sweep(&mut batch, path, &plot::SweepPicture { param, values: &values, log_x, series })?;
    }
    batch.commit()?;
    Ok(Completion::of(partial))
}

/// Basins the sweep's table gives a column of their own.
const SWEEP_COLUMNS: usize = 12;
