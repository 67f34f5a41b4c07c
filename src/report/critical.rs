//! `multistart critical`'s result: its console table, JSON and CSV.

use std::io::{self, Write};

use serde::Serialize;

use super::export::Tabular;
use super::region_text;
use crate::basins::Basin;
use crate::region::Region;
use crate::surface::formula::Params;
use crate::surface::{Kind, Surface};

/// The critical points found in a region, in report order.
#[derive(Clone, Debug, Serialize)]
pub struct CriticalPoints {
    /// The surface's name.
    pub surface: &'static str,
    /// Its formula, for `--expr` surfaces.
    pub expr: Option<String>,
    /// The formula's named parameters (`--set`), when it has any.
    #[serde(skip_serializing_if = "Params::is_empty")]
    pub params: Params,
    /// The region searched, XMIN,XMAX,YMIN,YMAX.
    pub region: Vec<f64>,
    /// One row per point.
    pub points: Vec<CriticalRow>,
    /// Newton starts per side of the search grid.
    #[serde(skip)]
    pub grid: u32,
    /// The surface as the header names it.
    #[serde(skip)]
    pub described: String,
}

/// One critical point: a CSV row and a JSON object.
#[derive(Clone, Debug, Serialize)]
pub struct CriticalRow {
    /// 1-based, minima by f first, then saddles, then maxima.
    pub id: usize,
    /// Minimum, saddle or maximum.
    pub kind: Kind,
    /// The point.
    pub x: f64,
    /// The point.
    pub y: f64,
    /// f at the point.
    pub f: f64,
    /// The Hessian's eigenvalues.
    pub lambda_min: f64,
    /// The Hessian's eigenvalues.
    pub lambda_max: f64,
}

impl CriticalPoints {
    /// The points `found` on `surface` in `region` from a `grid` x `grid` search.
    pub fn new(surface: &Surface, region: &Region, grid: u32, found: &[Basin]) -> Self {
        let points = found
            .iter()
            .enumerate()
            .map(|(k, b)| CriticalRow {
                id: k + 1,
                kind: b.kind,
                x: b.point[0],
                y: b.point[1],
                f: b.f,
                lambda_min: b.eigenvalues[0],
                lambda_max: b.eigenvalues[1],
            })
            .collect();
        CriticalPoints {
            surface: surface.name(),
            expr: surface.expr().map(str::to_string),
            params: surface.params().cloned().unwrap_or_default(),
            region: region.as_array(),
            points,
            grid,
            described: surface.describe(),
        }
    }

    /// The console table.
    pub fn print(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{} on {}: {} critical points (Newton from a {}x{} grid of starts)\n",
            self.described,
            region_text(&self.region),
            self.points.len(),
            self.grid,
            self.grid
        )?;
        writeln!(
            out,
            "{:>3}  {:<8} {:>10} {:>10} {:>10} {:>11} {:>11}",
            "#", "kind", "x", "y", "f", "lambda_min", "lambda_max"
        )?;
        for p in &self.points {
            writeln!(
                out,
                "{:>3}  {:<8} {:>10.6} {:>10.6} {:>10.6} {:>11.4} {:>11.4}",
                p.id,
                p.kind.name(),
                p.x,
                p.y,
                p.f,
                p.lambda_min,
                p.lambda_max
            )?;
        }
        Ok(())
    }
}

impl Tabular for CriticalPoints {
    fn write_rows(&self, out: &mut csv::Writer<&mut dyn Write>) -> csv::Result<()> {
        self.points.iter().try_for_each(|p| out.serialize(p))
    }
}
