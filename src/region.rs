//! The box walkers start in: one [lo, hi] per dimension. Plain data that
//! surfaces (their default regions), starts and runs all use.

use serde::Serialize;

use crate::error::{Result, input, invalid, number, quoted};

/// Largest finite coordinate accepted for a start or a region edge.
pub const MAX_COORDINATE: f64 = 1e15;

/// An axis-aligned box, one [lo, hi] per dimension.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Region {
    /// [lo, hi] of each dimension, in order.
    pub axes: Vec<[f64; 2]>,
}

impl Region {
    /// [x0, x1] x [y0, y1].
    pub fn xy(x: [f64; 2], y: [f64; 2]) -> Region {
        Region { axes: vec![x, y] }
    }

    /// [lo, hi]^dim.
    pub fn cube(lo: f64, hi: f64, dim: usize) -> Region {
        Region { axes: vec![[lo, hi]; dim] }
    }

    /// The number of dimensions.
    pub fn dim(&self) -> usize {
        self.axes.len()
    }

    /// The first axis (the map's horizontal one).
    pub fn x(&self) -> [f64; 2] {
        self.axes[0]
    }

    /// The second axis (the map's vertical one).
    pub fn y(&self) -> [f64; 2] {
        self.axes[1]
    }

    /// hi - lo along `axis`.
    pub fn width(&self, axis: usize) -> f64 {
        self.axes[axis][1] - self.axes[axis][0]
    }

    /// [xmin, xmax, ymin, ymax, ...], the order the CLI and the JSON use.
    pub fn as_array(&self) -> Vec<f64> {
        self.axes.iter().flatten().copied().collect()
    }

    /// Product of the widths: the region's area (volume in D dimensions).
    pub fn volume(&self) -> f64 {
        (0..self.dim()).map(|k| self.width(k)).product()
    }

    /// The box `factor` half-widths from the centre on each axis: walkers
    /// outside it have escaped.
    pub fn scaled(&self, factor: f64) -> Region {
        let axes = self
            .axes
            .iter()
            .map(|a| {
                let (c, h) = (0.5 * (a[0] + a[1]), 0.5 * (a[1] - a[0]) * factor);
                [c - h, c + h]
            })
            .collect();
        Region { axes }
    }

    /// Parses `--region`: 2 x dim numbers (min and max per axis), or two
    /// numbers for every axis alike.
    pub fn parse(text: &str, dim: usize) -> Result<Region> {
        let shown = quoted(text);
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        let expected = if dim == 2 {
            "4 comma-separated numbers XMIN,XMAX,YMIN,YMAX (or 2, LO,HI, for both axes)".to_string()
        } else {
            format!("{} comma-separated numbers (min and max of each of the {dim} axes) or 2 (LO,HI for all)", 2 * dim)
        };
        if parts.len() != 2 && parts.len() != 2 * dim {
            return Err(input(format!("--region {shown}: expected {expected}")));
        }
        let mut values = Vec::with_capacity(parts.len());
        for part in &parts {
            match part.parse::<f64>() {
                Ok(v) => values.push(v),
                Err(_) => {
                    return Err(input(format!("--region {shown}: '{part}' is not a number; expected {expected}")));
                }
            }
        }
        let axes = if values.len() == 2 {
            vec![[values[0], values[1]]; dim]
        } else {
            values.chunks(2).map(|c| [c[0], c[1]]).collect()
        };
        Ok(Region { axes })
    }

    /// Refuses non-finite, huge, empty or inverted axes, as `--region`.
    pub(crate) fn validate(&self) -> Result<()> {
        let v = self.as_array();
        if v.iter().any(|c| !c.is_finite() || c.abs() > MAX_COORDINATE) {
            return Err(invalid(
                "region",
                format!("{}: every edge must be a finite number of at most {MAX_COORDINATE:e} in size", fmt_region(&v)),
            ));
        }
        if self.axes.iter().any(|a| a[0] >= a[1]) {
            return Err(invalid(
                "region",
                format!("{}: expected each axis' min below its max (the region is empty or inverted)", fmt_region(&v)),
            ));
        }
        Ok(())
    }
}

fn fmt_region(v: &[f64]) -> String {
    v.iter().map(|&c| number(c)).collect::<Vec<_>>().join(",")
}
