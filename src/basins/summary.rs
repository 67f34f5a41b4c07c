//! The mergeable summary: basins (found by their polished point), the
//! other classes' counts, and iteration histograms.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::surface::{Kind, MAX_DIM};

/// Polished points closer than this (in each coordinate) are one point.
pub const MERGE_TOL: f64 = 1e-7;

/// Exact histogram of iterations: merges by adding counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IterationHistogram(pub BTreeMap<u32, u64>);

impl IterationHistogram {
    /// The histogram of `values`, with one map update per distinct value:
    /// counted in an array when they are few enough (iteration counts are
    /// at most the step budget), as sorted runs otherwise.
    pub fn of(mut values: Vec<u32>) -> Self {
        let mut histogram = IterationHistogram::default();
        let max = values.iter().copied().max().unwrap_or(0) as usize;
        if max <= 2 * values.len() + 1024 {
            let mut counts = vec![0u64; max + 1];
            for &v in &values {
                counts[v as usize] += 1;
            }
            for (v, &count) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
                histogram.add(v as u32, count);
            }
        } else {
            values.sort_unstable();
            for run in values.chunk_by(|a, b| a == b) {
                histogram.add(run[0], run.len() as u64);
            }
        }
        histogram
    }

    /// Counts `count` more walkers that took `iterations` steps.
    pub fn add(&mut self, iterations: u32, count: u64) {
        *self.0.entry(iterations).or_default() += count;
    }

    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &IterationHistogram) {
        for (&k, &v) in &other.0 {
            self.add(k, v);
        }
    }

    /// The smallest value with at least `q` of the counts at or below it.
    pub fn quantile(&self, q: f64) -> Option<u32> {
        let total: u64 = self.0.values().sum();
        let target = ((q * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (&k, &v) in &self.0 {
            seen += v;
            if seen >= target {
                return Some(k);
            }
        }
        None
    }
}

/// One critical point that walkers reached.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Basin {
    /// The polished critical point.
    #[serde(deserialize_with = "at_most::<_, MAX_DIM>")]
    pub point: Vec<f64>,
    /// The surface's value at the point.
    pub f: f64,
    /// Minimum, saddle or maximum, from the Hessian's eigenvalues.
    pub kind: Kind,
    /// Hessian eigenvalues at the point, ascending.
    #[serde(deserialize_with = "at_most::<_, MAX_DIM>")]
    pub eigenvalues: Vec<f64>,
    /// Walkers that reached it.
    pub count: u64,
    /// Steps its walkers took to get there.
    pub iterations: IterationHistogram,
}

impl Basin {
    /// The largest learning rate at which plain gradient descent can settle
    /// here: 2 / lambda_max (for a minimum).
    pub fn max_stable_lr(&self) -> Option<f64> {
        (self.kind == Kind::Minimum).then(|| 2.0 / self.eigenvalues.last().copied().unwrap_or(f64::NAN))
    }
}

/// A list of at most `N` numbers, refused while it is read past that: a
/// tampered report's `[0,0,0,...]` would otherwise cost 8 bytes (16 as the
/// vector doubles) for every 2 bytes of text.
pub fn at_most<'de, D: serde::Deserializer<'de>, const N: usize>(d: D) -> Result<Vec<f64>, D::Error> {
    struct Bounded<const N: usize>;
    impl<'de, const N: usize> serde::de::Visitor<'de> for Bounded<N> {
        type Value = Vec<f64>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "a list of at most {N} numbers")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<f64>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(N));
            while let Some(v) = seq.next_element()? {
                if out.len() == N {
                    return Err(serde::de::Error::invalid_length(N + 1, &self));
                }
                out.push(v);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Bounded::<N>)
}

/// Everything the report needs, mergeable.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Walkers summarised, of every class.
    pub walkers: u64,
    /// In order of first discovery; the report sorts them.
    pub basins: Vec<Basin>,
    /// Walkers still descending when the step budget ran out.
    pub moving: u64,
    /// Of the moving walkers, those oscillating around a minimum that lr
    /// overshoots (`Stall::Oscillating`).
    #[serde(default)]
    pub moving_oscillating: u64,
    /// Of the moving walkers, those drifting on a flat stretch far from any
    /// critical point (`Stall::Drifting`).
    #[serde(default)]
    pub moving_drifting: u64,
    /// Walkers that settled on a flat stretch with no critical point near.
    pub plateau: u64,
    /// Of the plateau walkers, those in a valley of minima (a line or
    /// surface of lowest points, degenerate Hessian).
    #[serde(default)]
    pub plateau_valley: u64,
    /// The lowest and highest f of those walkers.
    #[serde(default)]
    pub valley_f: Option<[f64; 2]>,
    /// Walkers that left the escape box.
    pub escaped: u64,
    /// Walkers whose coordinates became NaN or infinite.
    pub nonfinite: u64,
    /// Where each basin's point lies, to find coinciding points fast.
    #[serde(skip)]
    index: BasinIndex,
}

/// Basin indices by their point's cell of side `INDEX_CELL`: a lookup, not
/// part of the data (always equal; rebuilt after deserialising).
#[derive(Clone, Debug, Default)]
struct BasinIndex {
    cells: HashMap<Vec<i64>, Vec<usize>>,
    basins: usize,
}

impl PartialEq for BasinIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Cell side of the basin index: above `MERGE_TOL`, so a point's
/// neighbours within the tolerance lie in at most two cells per axis.
const INDEX_CELL: f64 = 1e-5;

/// The cells a point within `MERGE_TOL` of `p` may lie in; None when there
/// are too many (huge coordinates), for a plain scan instead.
fn index_cells(p: &[f64]) -> Option<Vec<Vec<i64>>> {
    let mut cells = vec![Vec::with_capacity(p.len())];
    for &c in p {
        let tol = MERGE_TOL * (1.0 + c.abs());
        let (lo, hi) = (((c - tol) / INDEX_CELL).floor() as i64, ((c + tol) / INDEX_CELL).floor() as i64);
        if hi - lo > 1 || cells.len() > 64 {
            return None;
        }
        cells = cells
            .into_iter()
            .flat_map(|cell| {
                (lo..=hi).map(move |k| {
                    let mut next = cell.clone();
                    next.push(k);
                    next
                })
            })
            .collect();
    }
    Some(cells)
}

fn index_cell(p: &[f64]) -> Vec<i64> {
    p.iter().map(|c| (c / INDEX_CELL).floor() as i64).collect()
}

/// The smallest range holding both.
pub(super) fn merge_range(a: Option<[f64; 2]>, b: Option<[f64; 2]>) -> Option<[f64; 2]> {
    match (a, b) {
        (Some([lo, hi]), Some([l2, h2])) => Some([lo.min(l2), hi.max(h2)]),
        (a, b) => a.or(b),
    }
}

impl Summary {
    /// Adds another summary's counts; returns where each of its basins went.
    pub fn merge(&mut self, other: &Summary) -> Vec<usize> {
        self.walkers += other.walkers;
        self.moving += other.moving;
        self.moving_oscillating += other.moving_oscillating;
        self.moving_drifting += other.moving_drifting;
        self.plateau += other.plateau;
        self.plateau_valley += other.plateau_valley;
        self.valley_f = merge_range(self.valley_f, other.valley_f);
        self.escaped += other.escaped;
        self.nonfinite += other.nonfinite;
        other
            .basins
            .iter()
            .map(|b| {
                let i = self.insert(Basin { count: 0, iterations: IterationHistogram::default(), ..b.clone() });
                self.basins[i].count += b.count;
                self.basins[i].iterations.merge(&b.iterations);
                i
            })
            .collect()
    }

    /// Finds the basin at `basin.point` (or adds it, with no walkers yet).
    /// Of two coinciding polished points the lower (f, then coordinates) is
    /// kept, so the result does not depend on the order of insertion.
    pub fn insert(&mut self, basin: Basin) -> usize {
        let same = |b: &Basin| {
            b.point.len() == basin.point.len()
                && b.point.iter().zip(&basin.point).all(|(a, c)| (a - c).abs() <= MERGE_TOL * (1.0 + c.abs()))
        };
        if self.index.basins != self.basins.len() {
            self.index = BasinIndex::default();
            for (i, b) in self.basins.iter().enumerate() {
                self.index.cells.entry(index_cell(&b.point)).or_default().push(i);
            }
            self.index.basins = self.basins.len();
        }
        let found = match index_cells(&basin.point) {
            Some(cells) => cells
                .iter()
                .filter_map(|c| self.index.cells.get(c))
                .flatten()
                .copied()
                .filter(|&i| same(&self.basins[i]))
                .min(),
            None => self.basins.iter().position(same),
        };
        if let Some(i) = found {
            let kept = &mut self.basins[i];
            let lower = basin.f.total_cmp(&kept.f).then_with(|| {
                basin
                    .point
                    .iter()
                    .zip(&kept.point)
                    .map(|(a, b)| a.total_cmp(b))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            if lower.is_lt() {
                // The kept point moves (within MERGE_TOL): so does its index entry.
                let (old, new) = (index_cell(&kept.point), index_cell(&basin.point));
                kept.point = basin.point.clone();
                kept.f = basin.f;
                kept.eigenvalues = basin.eigenvalues.clone();
                if old != new {
                    if let Some(list) = self.index.cells.get_mut(&old) {
                        list.retain(|&k| k != i);
                    }
                    self.index.cells.entry(new).or_default().push(i);
                }
            }
            return i;
        }
        self.index.cells.entry(index_cell(&basin.point)).or_default().push(self.basins.len());
        self.basins.push(Basin { count: 0, iterations: IterationHistogram::default(), ..basin });
        self.index.basins = self.basins.len();
        self.basins.len() - 1
    }

    /// The lowest minimum reached.
    pub fn best_minimum(&self) -> Option<&Basin> {
        self.basins.iter().filter(|b| b.kind == Kind::Minimum && b.count > 0).min_by(|a, b| a.f.total_cmp(&b.f))
    }

    /// Basin indices in report order: minima by f, then saddles, then maxima.
    pub fn report_order(&self) -> Vec<usize> {
        let rank = |k: Kind| match k {
            Kind::Minimum => 0,
            Kind::Saddle => 1,
            Kind::Maximum => 2,
        };
        let mut order: Vec<usize> = (0..self.basins.len()).filter(|&i| self.basins[i].count > 0).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&self.basins[a], &self.basins[b]);
            rank(a.kind).cmp(&rank(b.kind)).then(a.f.total_cmp(&b.f))
        });
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles() {
        let mut h = IterationHistogram::default();
        for v in 1..=10 {
            h.add(v, 1);
        }
        assert_eq!(h.quantile(0.5), Some(5));
        assert_eq!(h.quantile(0.9), Some(9));
    }

    #[test]
    fn histogram_of_counts_and_sorts_alike() {
        let small: Vec<u32> = (0..5000).map(|i| (i * 7 % 300) as u32).collect();
        let dense = IterationHistogram::of(small.clone());
        // Values far above the count take the sorting path.
        let sorted = IterationHistogram::of(small.iter().map(|v| v * 1_000_000).collect());
        assert_eq!(dense.0.len(), 300);
        assert!(dense.0.iter().zip(&sorted.0).all(|((a, n), (b, m))| a * 1_000_000 == *b && n == m));
        assert_eq!(dense.0.values().sum::<u64>(), 5000);
    }

    /// Points within MERGE_TOL are one basin however they straddle the
    /// index's cells, and when the kept point moves to a lower one.
    #[test]
    fn coinciding_points_are_one_basin_across_index_cells() {
        let basin = |x: f64, f: f64| Basin {
            point: vec![x, 0.5],
            f,
            kind: Kind::Minimum,
            eigenvalues: vec![1.0, 2.0],
            count: 0,
            iterations: IterationHistogram::default(),
        };
        let edge = INDEX_CELL;
        let mut s = Summary::default();
        let a = s.insert(basin(edge - 4e-8, 1.0));
        let b = s.insert(basin(edge + 4e-8, 0.5));
        // Within MERGE_TOL of the kept point (now the second), not of the first.
        let c = s.insert(basin(edge + 1.3e-7, 0.7));
        assert_eq!((a, b, c), (0, 0, 0));
        assert_eq!(s.basins.len(), 1);
        assert_eq!(s.basins[0].point[0], edge + 4e-8);
        assert_eq!(s.insert(basin(edge + 1e-3, 0.0)), 1);
    }
}
