//! Every critical point in a region: Newton's method on the gradient from
//! a coarse grid of starts. Descent never reaches saddles and maxima, so the
//! map and `multistart critical` find them this way.

use crate::basins::{Basin, Summary, polish};
use crate::region::Region;
use crate::starts::grid_point;
use crate::surface::Surface;

/// Starts per side of the coarse grid.
pub const DEFAULT_GRID: u32 = 64;

/// The critical points Newton reaches from a `grid` x `grid` lattice of
/// starts, inside the region, minima by f, then saddles, then maxima.
pub fn find(surface: &Surface, region: &Region, grid: u32) -> Vec<Basin> {
    // A Newton run may travel a few cells: enough to reach the point of its
    // cell's basin, not so far that it lands outside the region's picture.
    let travel = 4.0 * region.width(0).max(region.width(1)) / grid as f64;
    let mut found = Summary::default();
    for i in 0..(grid as u64 * grid as u64) {
        let start = grid_point(i, grid, grid, region);
        if let Some(b) = polish(surface, &start, travel) {
            let p = b.point.clone();
            if (region.x()[0]..=region.x()[1]).contains(&p[0]) && (region.y()[0]..=region.y()[1]).contains(&p[1]) {
                let k = found.insert(b);
                found.basins[k].count += 1;
            }
        }
    }
    let order = found.report_order();
    order.into_iter().map(|i| found.basins[i].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_nine_critical_points_of_peaks_to_1e6() {
        let found = find(&Surface::Peaks, &Surface::Peaks.default_region(), DEFAULT_GRID);
        assert_eq!(found.len(), 9, "{found:?}");
        for k in Surface::Peaks.known_points() {
            let b = found
                .iter()
                .find(|b| (b.point[0] - k.point[0]).abs() < 1e-6 && (b.point[1] - k.point[1]).abs() < 1e-6)
                .unwrap_or_else(|| panic!("missing {k:?}"));
            assert_eq!(b.kind, k.kind);
            assert!((b.f - k.f).abs() < 1e-6);
        }
    }
}
