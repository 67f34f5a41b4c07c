//! Pictures: the basin map and the sweep chart, as PNG through plotters,
//! with text in the bundled DejaVu Sans (no system fonts needed).

use std::path::Path;

use plotters::prelude::*;
use plotters::style::FontStyle;

use super::Report;
use crate::basins::{Basin, Label};
use crate::error::{Error, Result};
use crate::output::{Batch, Target, temporary_for};
use crate::region::Region;
use crate::surface::{Kind, Surface};
use crate::trajectories::TrajectoryPoint;

/// Basin colours, best minimum first (matplotlib's "tab10").
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(127, 127, 127),
];
/// Greys for the other classes: moving, plateau, escaped, non-finite.
pub const CLASS_GREYS: [RGBColor; 4] =
    [RGBColor(215, 215, 215), RGBColor(170, 170, 170), RGBColor(110, 110, 110), RGBColor(30, 30, 30)];

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../../assets/DejaVuSans.ttf"),
        );
    });
}

fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::Plot(e.to_string())
}

/// Draws into a temporary PNG staged in `batch` for `path`.
fn draw_png(
    batch: &mut Batch,
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend, plotters::coord::Shift>) -> Result<()>,
) -> Result<()> {
    register_font();
    let target = Target::resolve("--png", path)?;
    // The suffix tells the encoder the format.
    let tmp = temporary_for(&target, ".png").map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    {
        let root = BitMapBackend::new(tmp.path(), size).into_drawing_area();
        draw(&root)?;
        root.present().map_err(plot_error)?;
    }
    batch.add(path, target, tmp)
}

/// Nice tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of 10.
pub fn ticks(lo: f64, hi: f64, about: usize) -> Vec<f64> {
    let raw = (hi - lo) / about.max(1) as f64;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * power).find(|s| *s >= raw).unwrap_or(10.0 * power);
    let mut out = Vec::new();
    let mut t = (lo / step).ceil() * step;
    while t <= hi + 1e-9 * step {
        out.push(if t.abs() < 1e-12 * step { 0.0 } else { t });
        t += step;
    }
    out
}

/// A tick value in at most 3 significant digits: 1e-5, 0.001, 250.
fn axis_number(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) {
        let s = format!("{v:.2e}");
        let (mantissa, exponent) = s.split_once('e').expect("e format");
        format!("{}e{exponent}", mantissa.trim_end_matches('0').trim_end_matches('.'))
    } else {
        let s = format!("{:.6}", (v * 1e6).round() / 1e6);
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn tick_text(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Everything the basin map shows.
pub struct MapPicture<'a> {
    /// The surface, for the contour lines.
    pub surface: Surface,
    /// The box the map covers.
    pub region: Region,
    /// Grid walkers along x: the picture's width in pixels.
    pub cols: u32,
    /// Grid walkers along y: its height in pixels.
    pub rows: u32,
    /// One label per grid walker, in walker index order.
    pub labels: &'a [Label],
    /// `basin_rank[i]`: colour index of `Summary::basins[i]` (report order).
    pub basin_rank: &'a [usize],
    /// The run's report, for the legend.
    pub report: &'a Report,
    /// The critical points to mark.
    pub critical: &'a [Basin],
    /// Walkers' paths to draw over the map (may be empty).
    pub trajectories: &'a [TrajectoryPoint],
}

/// One pixel per walker; contour lines of f; marks at the critical points;
/// ticks and a legend drawn over the map.
pub fn draw_map(batch: &mut Batch, path: &Path, m: &MapPicture) -> Result<()> {
    let (w, h) = (m.cols, m.rows);
    let r = &m.region;
    let to_px = |x: f64, y: f64| -> (i32, i32) {
        (
            ((x - r.x()[0]) / r.width(0) * w as f64 - 0.5).round() as i32,
            (h as f64 - (y - r.y()[0]) / r.width(1) * h as f64 - 0.5).round() as i32,
        )
    };
    // f at each pixel's walker start, banded for contour lines.
    let f_at = |col: u32, row: u32| {
        let p = crate::starts::grid_point(row as u64 * w as u64 + col as u64, w, h, r);
        m.surface.value2(p)
    };
    let values: Vec<f64> = (0..h).flat_map(|row| (0..w).map(move |col| (col, row))).map(|(c, r)| f_at(c, r)).collect();
    let (fmin, fmax) = values.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let band_step = ((fmax - fmin) / 24.0).max(1e-12);
    let band = |v: f64| ((v - fmin) / band_step).floor() as i64;

    draw_png(batch, path, (w, h), |root| {
        for row in 0..h {
            for col in 0..w {
                let i = (row * w + col) as usize;
                let base = match m.labels[i] {
                    Label::Basin(b) => PALETTE[m.basin_rank[b] % PALETTE.len()],
                    Label::Moving => CLASS_GREYS[0],
                    Label::Plateau => CLASS_GREYS[1],
                    Label::Escaped => CLASS_GREYS[2],
                    Label::NonFinite => CLASS_GREYS[3],
                };
                let b = band(values[i]);
                let edge =
                    (col + 1 < w && band(values[i + 1]) != b) || (row + 1 < h && band(values[i + w as usize]) != b);
                let color = if edge { RGBColor(base.0 / 2, base.1 / 2, base.2 / 2) } else { base };
                root.draw_pixel((col as i32, (h - 1 - row) as i32), &color).map_err(plot_error)?;
            }
        }
        // Critical points: minimum filled dot, saddle x, maximum triangle.
        for c in m.critical {
            let at = to_px(c.point[0], c.point[1]);
            match c.kind {
                Kind::Minimum => {
                    root.draw(&Circle::new(at, 6, WHITE.filled())).map_err(plot_error)?;
                    root.draw(&Circle::new(at, 4, BLACK.filled())).map_err(plot_error)?;
                }
                Kind::Saddle => root.draw(&Cross::new(at, 6, BLACK.stroke_width(3))).map_err(plot_error)?,
                Kind::Maximum => root.draw(&TriangleMarker::new(at, 8, BLACK.filled())).map_err(plot_error)?,
            }
        }
        // Trajectories: path as a line, start as a square, end as a circle.
        let mut by_walker: Vec<Vec<(i32, i32)>> = Vec::new();
        for (k, p) in m.trajectories.iter().enumerate() {
            if k == 0 || m.trajectories[k - 1].walker != p.walker {
                by_walker.push(Vec::new());
            }
            by_walker.last_mut().expect("pushed").push(to_px(p.x, p.y));
        }
        for path in &by_walker {
            root.draw(&PathElement::new(path.clone(), BLACK.stroke_width(2))).map_err(plot_error)?;
            let (s, e) = (path[0], path[path.len() - 1]);
            root.draw(&Rectangle::new([(s.0 - 5, s.1 - 5), (s.0 + 5, s.1 + 5)], BLUE.filled())).map_err(plot_error)?;
            root.draw(&Circle::new(e, 5, RED.filled())).map_err(plot_error)?;
        }
        // Ticks along the bottom and left edges, labels inside.
        let font = ("sans-serif", 13).into_font().color(&BLACK);
        for t in ticks(r.x()[0], r.x()[1], 5) {
            let (x, _) = to_px(t, r.y()[0]);
            root.draw(&PathElement::new(vec![(x, h as i32 - 1), (x, h as i32 - 9)], BLACK.stroke_width(2)))
                .map_err(plot_error)?;
            root.draw(&Text::new(tick_text(t), (x + 3, h as i32 - 24), font.clone())).map_err(plot_error)?;
        }
        for t in ticks(r.y()[0], r.y()[1], 5) {
            let (_, y) = to_px(r.x()[0], t);
            if y > h as i32 - 30 {
                continue; // the x labels are there
            }
            root.draw(&PathElement::new(vec![(0, y), (8, y)], BLACK.stroke_width(2))).map_err(plot_error)?;
            root.draw(&Text::new(tick_text(t), (11, y - 7), font.clone())).map_err(plot_error)?;
        }
        // Legend, top right, over a pale box.
        let rep = m.report;
        let mut lines: Vec<(RGBColor, String)> = rep
            .basins
            .iter()
            .map(|b| {
                (
                    PALETTE[(b.id - 1) % PALETTE.len()],
                    format!(
                        "#{} {} ({:.3}, {:.3}) f {:.3}: {:.1}%",
                        b.id,
                        b.kind.name(),
                        b.point[0],
                        b.point[1],
                        b.f,
                        100.0 * b.fraction
                    ),
                )
            })
            .collect();
        let n = rep.walkers_done as f64;
        for (k, (name, count)) in super::files::classes(rep).into_iter().enumerate() {
            if count > 0 {
                lines.push((CLASS_GREYS[k], format!("{name}: {:.1}%", 100.0 * count as f64 / n)));
            }
        }
        let title = format!(
            "{} basins, {} lr {}, {} steps, {}x{} starts",
            rep.surface_text(),
            rep.config.optimizer.name(),
            rep.config.lr,
            rep.config.steps,
            w,
            h
        );
        let lh = 18;
        let box_w = 310.min(w as i32 - 20);
        let (x0, y0) = (w as i32 - box_w - 10, 10);
        let box_h = lh * (lines.len() as i32 + 1) + 12;
        root.draw(&Rectangle::new([(x0, y0), (x0 + box_w, y0 + box_h)], WHITE.mix(0.85).filled()))
            .map_err(plot_error)?;
        root.draw(&Rectangle::new([(x0, y0), (x0 + box_w, y0 + box_h)], BLACK.stroke_width(1))).map_err(plot_error)?;
        root.draw(&Text::new(title, (x0 + 8, y0 + 6), font.clone())).map_err(plot_error)?;
        for (k, (color, text)) in lines.iter().enumerate() {
            let y = y0 + 6 + lh * (k as i32 + 1);
            root.draw(&Rectangle::new([(x0 + 8, y + 2), (x0 + 20, y + 14)], color.filled())).map_err(plot_error)?;
            root.draw(&Text::new(text.clone(), (x0 + 26, y), font.clone())).map_err(plot_error)?;
        }
        Ok(())
    })
}

/// Share of each class against the swept value: one line per basin.
pub struct SweepPicture<'a> {
    /// The swept parameter's name: the x axis's label.
    pub param: &'a str,
    /// Its values, one per run, in sweep order (0, 1, 2... for names).
    pub values: Vec<f64>,
    /// The names at 0, 1, 2... when the values are names (optimizers,
    /// surfaces), else None.
    pub labels: Option<Vec<String>>,
    /// Whether the x axis is logarithmic.
    pub log_x: bool,
    /// (name, colour, share per value in percent).
    pub series: Vec<(String, RGBColor, Vec<f64>)>,
}

/// The sweep chart, as a PNG at `path` staged in `batch`.
pub fn draw_sweep(batch: &mut Batch, path: &Path, s: &SweepPicture) -> Result<()> {
    draw_png(batch, path, (900, 600), |root| {
        root.fill(&WHITE).map_err(plot_error)?;
        let (lo, hi) = s.values.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        let (lo, hi) = if lo == hi { (lo * 0.5, hi * 1.5 + 1e-12) } else { (lo, hi) };
        let caption = format!("share of walkers against {}", s.param);
        let mut builder = ChartBuilder::on(root);
        builder
            .caption(caption, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .right_y_label_area_size(0);
        macro_rules! body {
            ($chart:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .x_desc(s.param)
                    .y_desc("walkers (%)")
                    .x_label_formatter(&|v| match &s.labels {
                        // A name at each whole position, nothing between.
                        Some(names) if (v - v.round()).abs() < 1e-6 && v.round() >= 0.0 => {
                            names.get(v.round() as usize).cloned().unwrap_or_default()
                        }
                        Some(_) => String::new(),
                        None => axis_number(*v),
                    })
                    .label_style(("sans-serif", 14))
                    .draw()
                    .map_err(plot_error)?;
                for (name, color, shares) in &s.series {
                    let pts: Vec<(f64, f64)> = s.values.iter().copied().zip(shares.iter().copied()).collect();
                    let style = color.stroke_width(3);
                    chart
                        .draw_series(LineSeries::new(pts.clone(), style))
                        .map_err(plot_error)?
                        .label(name.clone())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
                    chart.draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled()))).map_err(plot_error)?;
                }
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .label_font(("sans-serif", 13))
                    .position(SeriesLabelPosition::UpperRight)
                    .draw()
                    .map_err(plot_error)?;
            }};
        }
        if s.log_x {
            body!(builder.build_cartesian_2d((lo * 0.7..hi * 1.4).log_scale(), 0.0..100.0).map_err(plot_error)?);
        } else {
            let pad = if s.labels.is_some() { 0.5 } else { 0.05 * (hi - lo) };
            body!(builder.build_cartesian_2d(lo - pad..hi + pad, 0.0..100.0).map_err(plot_error)?);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_numbers_are_short() {
        assert_eq!(axis_number(9.999999999999999e-6), "1e-5");
        assert_eq!(axis_number(0.001), "0.001");
        assert_eq!(axis_number(0.5), "0.5");
        assert_eq!(axis_number(250.0), "250");
        assert_eq!(axis_number(0.0), "0");
    }

    #[test]
    fn ticks_cover_the_range_in_round_steps() {
        assert_eq!(ticks(-2.0, 2.0, 5), vec![-2.0, -1.0, 0.0, 1.0, 2.0]);
    }
}
