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
//!
//! The files, in the order of the stages:
//! - `classify.rs`: `Label`, `BasinParams` and each walker's class;
//! - `cluster.rs`: grid hashing and union-find over the candidates;
//! - `polish.rs`: Newton's method in f64 (`polish`, the Newton step);
//! - `summary.rs`: `Summary`, `Basin`, `IterationHistogram`, and inserting
//!   and merging basins (`MERGE_TOL`, the basin index, `at_most`);
//! - `stats.rs`: `wilson95` and `restarts_for_99`, for the report;
//! - here: `Summary::add_chunk`, which runs the stages on one chunk.

mod classify;
mod cluster;
mod polish;
mod stats;
mod summary;

pub use classify::{BasinParams, DRIFT_FACTOR, Label, Stall};
pub use polish::polish;
pub use stats::{restarts_for_99, wilson95};
pub use summary::{Basin, IterationHistogram, MERGE_TOL, Summary, at_most};

use rayon::prelude::*;

use crate::engine::Endpoint;
use classify::{classify_walker, in_valley, stall};
use cluster::cluster;
use summary::merge_range;

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
        let stalls: Vec<Stall> = (0..endpoints.len())
            .into_par_iter()
            .filter(|&i| labels[i] == Label::Moving)
            .map(|i| stall(&endpoints[i], params))
            .collect();
        self.moving_oscillating += stalls.iter().filter(|&&s| s == Stall::Oscillating).count() as u64;
        self.moving_drifting += stalls.iter().filter(|&&s| s == Stall::Drifting).count() as u64;
        let valley_f: Vec<f64> = (0..endpoints.len())
            .into_par_iter()
            .filter(|&i| labels[i] == Label::Plateau && in_valley(&endpoints[i], params))
            .map(|i| endpoints[i].f)
            .collect();
        self.plateau_valley += valley_f.len() as u64;
        let range = valley_f.iter().fold(None, |r, &f| merge_range(r, Some([f, f])));
        self.valley_f = merge_range(self.valley_f, range);
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
}
