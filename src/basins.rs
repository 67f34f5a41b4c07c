//! From endpoints to basins, chunk by chunk.
//!
//! Each walker gets a class from its own endpoint only (so the result does
//! not depend on how walkers are chunked or sharded):
//! - escaped / non-finite: from the engine's status;
//! - moving: the step budget ran out with |grad f| still above the settle
//!   tolerance (and the endpoint farther from a critical point, by one f64
//!   Newton step, than the engine's floats can resolve);
//! - plateau: settled, but one Newton step from the endpoint is longer than
//!   the cluster radius (the flat outskirts, where |grad f| is tiny and no
//!   critical point is near): one f64 Hessian per walker, linear;
//! - otherwise a candidate for a basin.
//!
//! Candidates are clustered by grid hashing (cells of `cluster_radius`,
//! union-find over neighbouring cells: linear in walkers), each cluster's
//! lowest endpoint is polished with Newton's method in f64 and classified by
//! its Hessian's eigenvalues, and clusters whose polished points coincide
//! are one basin. A `Summary` merges with another exactly, in any order.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::engine::{Endpoint, Status};
use crate::surface::{Kind, MAX_DIM, Surface, solve, symmetric_eigenvalues};

/// Polished points closer than this (in each coordinate) are one point.
pub const MERGE_TOL: f64 = 1e-7;

/// Where one walker ended up. `Basin(i)` indexes `Summary::basins`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    Basin(usize),
    Moving,
    Plateau,
    Escaped,
    NonFinite,
}

impl Label {
    pub fn class_name(self) -> &'static str {
        match self {
            Label::Basin(_) => "basin",
            Label::Moving => "moving",
            Label::Plateau => "plateau",
            Label::Escaped => "escaped",
            Label::NonFinite => "nonfinite",
        }
    }
}

/// What the basin stage needs from the run's configuration.
#[derive(Clone, Debug)]
pub struct BasinParams {
    pub surface: Surface,
    pub settle_tol: f64,
    pub cluster_radius: f64,
    /// Relative spacing of the engine's floats (f32's or f64's epsilon).
    pub epsilon: f64,
}

impl BasinParams {
    pub fn new(config: &crate::problem::Problem) -> Self {
        BasinParams {
            surface: config.surface.clone(),
            settle_tol: config.settle_tol(),
            cluster_radius: config.cluster_radius,
            epsilon: match config.precision {
                crate::problem::Precision::F32 => f32::EPSILON as f64,
                crate::problem::Precision::F64 => f64::EPSILON,
            },
        }
    }
}

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

    pub fn add(&mut self, iterations: u32, count: u64) {
        *self.0.entry(iterations).or_default() += count;
    }

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
    pub f: f64,
    pub kind: Kind,
    /// Hessian eigenvalues at the point, ascending.
    #[serde(deserialize_with = "at_most::<_, MAX_DIM>")]
    pub eigenvalues: Vec<f64>,
    /// Walkers that reached it.
    pub count: u64,
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
    pub walkers: u64,
    /// In order of first discovery; the report sorts them.
    pub basins: Vec<Basin>,
    pub moving: u64,
    pub plateau: u64,
    pub escaped: u64,
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

impl Summary {
    /// Classifies and clusters one chunk of endpoints, adds it to the
    /// summary, and returns each endpoint's label.
    pub fn add_chunk(&mut self, endpoints: &[Endpoint], params: &BasinParams) -> Vec<Label> {
        self.walkers += endpoints.len() as u64;
        // One f64 Hessian per settled walker: the costly part, in parallel.
        let mut labels: Vec<Label> = endpoints.par_iter().map(|e| classify_walker(e, params)).collect();
        let candidates: Vec<usize> =
            (0..endpoints.len()).into_par_iter().filter(|&i| labels[i] == Label::Basin(usize::MAX)).collect();
        let clusters = cluster(endpoints, &candidates, params.cluster_radius);
        // Each cluster's lowest endpoint, polished: in parallel, then
        // inserted in cluster order (so the result does not depend on threads).
        let polished: Vec<(Option<Basin>, IterationHistogram)> = clusters
            .par_iter()
            .map(|cluster| {
                let best =
                    *cluster.iter().min_by(|&&a, &&b| endpoints[a].f.total_cmp(&endpoints[b].f)).expect("non-empty");
                let basin = polish(&params.surface, &endpoints[best].point, 4.0 * params.cluster_radius);
                (basin, IterationHistogram::of(cluster.iter().map(|&i| endpoints[i].iterations).collect()))
            })
            .collect();
        for (cluster, (basin, histogram)) in clusters.into_iter().zip(polished) {
            let label = match basin {
                Some(basin) => Label::Basin(self.insert(basin)),
                None => Label::Plateau,
            };
            for &i in &cluster {
                labels[i] = label;
            }
            if let Label::Basin(b) = label {
                self.basins[b].count += cluster.len() as u64;
                self.basins[b].iterations.merge(&histogram);
            }
        }
        for label in &labels {
            match label {
                Label::Moving => self.moving += 1,
                Label::Plateau => self.plateau += 1,
                Label::Escaped => self.escaped += 1,
                Label::NonFinite => self.nonfinite += 1,
                Label::Basin(_) => {}
            }
        }
        labels
    }

    /// Adds another summary's counts; returns where each of its basins went.
    pub fn merge(&mut self, other: &Summary) -> Vec<usize> {
        self.walkers += other.walkers;
        self.moving += other.moving;
        self.plateau += other.plateau;
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

/// The class of one endpoint on its own; `Basin(usize::MAX)` marks a
/// candidate for clustering.
fn classify_walker(e: &Endpoint, params: &BasinParams) -> Label {
    let step = || newton_step(&params.surface, &e.point);
    match e.status {
        Status::Escaped => return Label::Escaped,
        Status::NonFinite => return Label::NonFinite,
        // NaN gradient norms count as moving too.
        Status::Moving if e.grad_norm.partial_cmp(&params.settle_tol) != Some(std::cmp::Ordering::Less) => {
            // Unless it sits as close to a critical point as its floats can
            // tell: at high curvature (Rastrigin's 397) f32 cannot resolve
            // |grad f| < tol, and such a walker has arrived, not moving.
            let resolution = 8.0 * params.epsilon * (1.0 + norm(&e.point));
            if !step().is_some_and(|s| s <= resolution) {
                return Label::Moving;
            }
        }
        Status::Moving | Status::Converged => {}
    }
    match step() {
        Some(step) if step <= params.cluster_radius => Label::Basin(usize::MAX),
        _ => Label::Plateau,
    }
}

/// Length of the Newton step H^-1 grad f at `p`, or None where the Hessian
/// is singular.
fn newton_step(surface: &Surface, p: &[f64]) -> Option<f64> {
    if let [x, y] = *p {
        // 2-D in closed form, without allocating: the basin stage's hot path
        // (the general solve on stack buffers measured 40% slower here).
        let (g, h) = surface.gradient_hessian2([x, y]);
        let det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
        let d = [(h[1][1] * g[0] - h[0][1] * g[1]) / det, (h[0][0] * g[1] - h[1][0] * g[0]) / det];
        return (det != 0.0 && d[0].is_finite() && d[1].is_finite()).then(|| (d[0] * d[0] + d[1] * d[1]).sqrt());
    }
    newton_delta(surface, p).map(|d| norm(&d))
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// The Newton step H^-1 grad f at `p` (to subtract), in f64.
fn newton_delta(surface: &Surface, p: &[f64]) -> Option<Vec<f64>> {
    let mut g = vec![0.0; p.len()];
    surface.gradient(p, &mut g);
    solve(&surface.hessian(p), &g, p.len())
}

/// Newton's method on the gradient from `start`. None when it travels more
/// than `max_travel`, does not converge, or ends on a degenerate Hessian:
/// then the walkers there are on a plateau, not at a critical point.
pub fn polish(surface: &Surface, start: &[f64], max_travel: f64) -> Option<Basin> {
    let n = start.len();
    let mut p = start.to_vec();
    let distance = |p: &[f64]| norm(&p.iter().zip(start).map(|(a, b)| a - b).collect::<Vec<_>>());
    for _ in 0..100 {
        let d = newton_delta(surface, &p)?;
        for (x, dx) in p.iter_mut().zip(&d) {
            *x -= dx;
        }
        if distance(&p) > max_travel {
            return None;
        }
        if norm(&d) <= 1e-15 * (1.0 + norm(&p)) {
            break;
        }
    }
    let mut g = vec![0.0; n];
    surface.gradient(&p, &mut g);
    let eig = symmetric_eigenvalues(&surface.hessian(&p), n);
    let scale = eig.iter().fold(1.0f64, |m, e| m.max(e.abs()));
    let smallest = eig.iter().fold(f64::INFINITY, |m, e| m.min(e.abs()));
    if norm(&g) > 1e-9 * scale || smallest < 1e-9 * scale {
        return None;
    }
    let kind = match (eig.iter().all(|&e| e > 0.0), eig.iter().all(|&e| e < 0.0)) {
        (true, _) => Kind::Minimum,
        (_, true) => Kind::Maximum,
        _ => Kind::Saddle,
    };
    Some(Basin {
        f: surface.value(&p),
        point: p,
        kind,
        eigenvalues: eig,
        count: 0,
        iterations: IterationHistogram::default(),
    })
}

/// FNV's multiply over the cell's words, rotated so that high bits mix
/// too. The clustering's map is looked up once per walker, and the standard
/// SipHash (made to resist chosen keys, which grid cells are not) was a
/// third of its time.
#[derive(Default)]
struct CellHash(u64);

impl std::hash::Hasher for CellHash {
    fn finish(&self) -> u64 {
        self.0
    }
    /// A word at a time (a slice of i64 arrives here as its bytes).
    fn write(&mut self, bytes: &[u8]) {
        for word in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..word.len()].copy_from_slice(word);
            self.0 = (self.0 ^ u64::from_le_bytes(w)).wrapping_mul(0x0100_0000_01b3).rotate_left(23);
        }
    }
}

type CellHasher = std::hash::BuildHasherDefault<CellHash>;

/// Neighbouring cells are joined for D <= 3 (3^D - 1 neighbours); above,
/// a basin split across cells is joined again by its polished point.
const JOIN_NEIGHBOURS_UP_TO_DIM: usize = 3;

/// Groups candidates whose endpoints lie in the same (or, for D <= 3,
/// neighbouring) cells of a grid with cell size `radius`. Linear in
/// candidates.
fn cluster(endpoints: &[Endpoint], candidates: &[usize], radius: f64) -> Vec<Vec<usize>> {
    // Each thread maps its share of the candidates to cells; the maps
    // (one entry per cell) are then merged, in candidate order.
    let (cells, members) = candidates.par_chunks(CLUSTER_CHUNK).map(|chunk| cells_of(endpoints, chunk, radius)).reduce(
        Default::default,
        |(mut cells, mut members), (other_cells, mut other_members)| {
            for (key, id) in other_cells {
                let moved = std::mem::take(&mut other_members[id]);
                match cells.get(&key) {
                    Some(&known) => members[known].extend(moved),
                    None => {
                        cells.insert(key, members.len());
                        members.push(moved);
                    }
                }
            }
            (cells, members)
        },
    );
    let mut parent: Vec<usize> = (0..members.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let dim = endpoints.first().map_or(0, |e| e.point.len());
    if dim <= JOIN_NEIGHBOURS_UP_TO_DIM {
        let offsets: Vec<Vec<i64>> = (0..3usize.pow(dim as u32))
            .map(|code| (0..dim).map(|k| (code / 3usize.pow(k as u32) % 3) as i64 - 1).collect())
            .filter(|o: &Vec<i64>| o.iter().any(|&d| d != 0))
            .collect();
        for (cell, &id) in &cells {
            for offset in &offsets {
                let next: Vec<i64> = cell.iter().zip(offset).map(|(c, d)| c + d).collect();
                if let Some(&other) = cells.get(&next) {
                    let (a, b) = (root(&mut parent, id), root(&mut parent, other));
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for (id, cell_members) in members.iter().enumerate() {
        let r = root(&mut parent, id);
        groups.entry(r).or_default().extend_from_slice(cell_members);
    }
    let mut out: Vec<Vec<usize>> = groups.into_values().collect();
    // Members in index order, groups by their first: the same result for any number of threads.
    out.par_iter_mut().for_each(|g| g.sort_unstable());
    out.sort_by_key(|g| g[0]);
    out
}

/// Candidates per clustering task.
const CLUSTER_CHUNK: usize = 1 << 16;

type CellMap = HashMap<Vec<i64>, usize, CellHasher>;

/// The cells of grid size `radius` that `candidates` fall in, and the
/// candidates in each (by cell id, in candidate order).
fn cells_of(endpoints: &[Endpoint], candidates: &[usize], radius: f64) -> (CellMap, Vec<Vec<usize>>) {
    let mut cells = CellMap::default();
    let mut members: Vec<Vec<usize>> = Vec::new();
    // The cell on the stack: a map key is allocated once per cell, not per walker.
    let mut cell = [0i64; MAX_DIM];
    for &i in candidates {
        let point = &endpoints[i].point;
        for (k, c) in point.iter().enumerate() {
            cell[k] = (c / radius).floor() as i64;
        }
        let key = &cell[..point.len()];
        let id = match cells.get(key) {
            Some(&id) => id,
            None => {
                cells.insert(key.to_vec(), members.len());
                members.push(Vec::new());
                members.len() - 1
            }
        };
        members[id].push(i);
    }
    (cells, members)
}

/// 95% Wilson score interval for `k` successes in `n` trials.
pub fn wilson95(k: u64, n: u64) -> [f64; 2] {
    if n == 0 {
        return [0.0, 1.0];
    }
    let z = 1.959_963_984_540_054;
    let (trials, p) = (n as f64, k as f64 / n as f64);
    let denom = 1.0 + z * z / trials;
    let centre = (p + z * z / (2.0 * trials)) / denom;
    let half = z / denom * (p * (1.0 - p) / trials + z * z / (4.0 * trials * trials)).sqrt();
    // At k = 0 (k = n) the bound is 0 (1) exactly, not a rounding away from it.
    let lo = if k == 0 { 0.0 } else { (centre - half).max(0.0) };
    let hi = if k == n { 1.0 } else { (centre + half).min(1.0) };
    [lo, hi]
}

/// Random restarts needed for a 99% chance that at least one reaches a
/// basin each start reaches with probability `p`: ceil(ln 0.01 / ln(1-p)).
pub fn restarts_for_99(p: f64) -> Option<u64> {
    if p.is_nan() || p <= 0.0 {
        return None;
    }
    if p >= 1.0 {
        return Some(1);
    }
    Some(((0.01f64).ln() / (1.0 - p).ln()).ceil().max(1.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn wilson_matches_textbook_value() {
        // 50 of 100: 0.4038 to 0.5962 (Wilson 1927; e.g. Newcombe 1998).
        let [lo, hi] = wilson95(50, 100);
        assert_relative_eq!(lo, 0.4038, epsilon = 1e-4);
        assert_relative_eq!(hi, 0.5962, epsilon = 1e-4);
        assert_eq!(wilson95(0, 5000)[0], 0.0);
        assert_eq!(wilson95(5000, 5000)[1], 1.0);
    }

    #[test]
    fn restarts_for_half_is_seven() {
        // 1 - 0.5^7 = 0.992 >= 0.99 > 1 - 0.5^6.
        assert_eq!(restarts_for_99(0.5), Some(7));
        assert_eq!(restarts_for_99(1.0), Some(1));
        assert_eq!(restarts_for_99(0.0), None);
    }

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

    #[test]
    fn clusters_do_not_depend_on_how_the_candidates_are_split() {
        // Three tight groups, interleaved, over more candidates than one task takes.
        let centres = [[0.5, 0.5], [-1.25, 0.25], [0.75, -1.5]];
        let endpoints: Vec<Endpoint> = (0..3 * CLUSTER_CHUNK + 17)
            .map(|i| {
                let c = centres[i % 3];
                let jitter = (i % 97) as f64 * 1e-7;
                Endpoint {
                    index: i as u64,
                    point: vec![c[0] + jitter, c[1] - jitter],
                    f: 0.0,
                    grad_norm: 0.0,
                    iterations: 0,
                    status: Status::Converged,
                }
            })
            .collect();
        let candidates: Vec<usize> = (0..endpoints.len()).collect();
        let groups = cluster(&endpoints, &candidates, 1e-3);
        assert_eq!(groups.len(), 3);
        for (k, group) in groups.iter().enumerate() {
            assert_eq!(group[0], k);
            assert!(group.windows(2).all(|w| w[0] < w[1] && w[1] - w[0] == 3));
        }
    }

    #[test]
    fn polish_finds_every_known_peaks_point() {
        for k in Surface::Peaks.known_points() {
            let b = polish(&Surface::Peaks, &[k.point[0] + 3e-3, k.point[1] - 3e-3], 4e-2).expect("polishes");
            assert_eq!(b.kind, k.kind);
            assert!((b.point[0] - k.point[0]).abs() < 1e-6 && (b.point[1] - k.point[1]).abs() < 1e-6, "{b:?}");
            assert!((b.f - k.f).abs() < 1e-6);
        }
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

    #[test]
    fn polish_refuses_the_flat_outskirts() {
        assert!(polish(&Surface::Peaks, &[3.8, -3.5], 4e-2).is_none());
    }
}
