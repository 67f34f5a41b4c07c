//! Candidates grouped by grid hashing: cells of `cluster_radius`,
//! union-find over neighbouring cells, linear in walkers.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::engine::Endpoint;
use crate::surface::MAX_DIM;

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
pub(super) fn cluster(endpoints: &[Endpoint], candidates: &[usize], radius: f64) -> Vec<Vec<usize>> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Status;

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
}
