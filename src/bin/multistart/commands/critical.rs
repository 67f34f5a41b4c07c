//! `multistart critical`: every critical point in a region, by Newton's method.

use std::io::Write;

use crate::cli::CriticalArgs;
use multistart::error::Result;
use multistart::output::Batch;
use multistart::report::{self};

use super::*;

/// `multistart critical`: the table of every critical point in the region.
pub fn critical(args: &CriticalArgs) -> Result<Completion> {
    let (surface, region) = args.resolve()?;
    let found = multistart::critical::find(&surface, &region, args.grid);
    let mut out = table_stream(multistart::output::any_stdout(&[args.json.as_deref(), args.csv.as_deref()]));
    let _ = writeln!(
        out,
        "{} on {}: {} critical points (Newton from a {}x{} grid of starts)\n",
        surface.describe(),
        report::region_text(&region.as_array()),
        found.len(),
        args.grid,
        args.grid
    );
    let _ = writeln!(
        out,
        "{:>3}  {:<8} {:>10} {:>10} {:>10} {:>11} {:>11}",
        "#", "kind", "x", "y", "f", "lambda_min", "lambda_max"
    );
    for (k, b) in found.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:>3}  {:<8} {:>10.6} {:>10.6} {:>10.6} {:>11.4} {:>11.4}",
            k + 1,
            b.kind.name(),
            b.point[0],
            b.point[1],
            b.f,
            b.eigenvalues[0],
            b.eigenvalues[1]
        );
    }
    #[derive(serde::Serialize)]
    struct Point {
        id: usize,
        kind: multistart::surface::Kind,
        x: f64,
        y: f64,
        f: f64,
        lambda_min: f64,
        lambda_max: f64,
    }
    let rows: Vec<Point> = found
        .iter()
        .enumerate()
        .map(|(k, b)| Point {
            id: k + 1,
            kind: b.kind,
            x: b.point[0],
            y: b.point[1],
            f: b.f,
            lambda_min: b.eigenvalues[0],
            lambda_max: b.eigenvalues[1],
        })
        .collect();
    let _ = out.flush();
    let mut batch = Batch::new();
    if let Some(path) = &args.json {
        let json = serde_json::json!({"surface": surface.name(), "expr": surface.expr(), "region": region.as_array(), "points": rows});
        report::write_json(&mut batch, path, &json)?;
    }
    if let Some(path) = &args.csv {
        batch.stage(path, |w| {
            let mut out = csv::Writer::from_writer(w);
            for r in &rows {
                out.serialize(r)?;
            }
            out.flush()
        })?;
    }
    batch.commit()?;
    Ok(Completion::Complete)
}
