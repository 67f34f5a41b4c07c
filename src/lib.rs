//! multistart: many independent gradient-descent walkers on a surface at
//! once, on the GPU (a WGSL compute shader through wgpu) or the CPU, their
//! endpoints grouped into basins and reported with confidence intervals.
//!
//! # Running a problem from Rust
//!
//! A [`Problem`] says what to compute (surface, region, starts, optimizer,
//! steps, tolerance, seed, precision); a [`Plan`] says how (which walkers,
//! in what chunks, on which engine). [`pipeline::run`] runs it, handing each
//! chunk of endpoints to your sinks, and returns the basins:
//!
//! ```
//! use multistart::engine::{Status, cpu::CpuEngine};
//! use multistart::pipeline::{self, Chunk};
//! use multistart::surface::{Kind, Surface};
//! use multistart::{Plan, Problem};
//!
//! let problem = Problem { walkers: 2_000, ..Problem::new(Surface::Peaks) }.validate()?;
//! let mut converged = 0;
//! let mut count = |chunk: &Chunk| {
//!     converged += chunk.endpoints.iter().filter(|e| e.status == Status::Converged).count();
//!     Ok(())
//! };
//! let never = || false; // or a Ctrl-C flag: the run stops after the current chunk
//! let outcome = pipeline::run(&problem, &Plan::cpu(), &mut CpuEngine::new(), &mut [&mut count], &never)?;
//!
//! let summary = &outcome.summary;
//! let best = summary.best_minimum().expect("peaks has minima");
//! assert_eq!(best.kind, Kind::Minimum);
//! assert!((best.f - -6.551133).abs() < 1e-6);
//! let in_basins: u64 = summary.basins.iter().map(|b| b.count).sum();
//! assert_eq!(in_basins + summary.moving + summary.plateau + summary.escaped + summary.nonfinite, 2_000);
//! assert!(converged > 1_000);
//! # Ok::<(), multistart::Error>(())
//! ```
//!
//! `engine::select(&problem, &plan)` picks the GPU engine where there is a
//! GPU; `report::Report::new` turns an outcome into the JSON report the
//! command line writes. examples/basin_shares.rs is a whole program.
//!
//! # Layout
//!
//! Data flows one way, and the imports follow it:
//! [`problem`] and [`plan`] -> [`starts`] -> [`engine`] (with [`optim`] and
//! [`surface`]) -> endpoints -> [`basins`] -> [`report`], driven by
//! [`pipeline`]. The command line (src/bin/multistart/) is a client of this
//! library like any other: it parses flags into a problem and a plan, runs
//! the pipeline with Ctrl-C as its stop, and writes the report's files.

// Every public item has rustdoc; clippy -D warnings makes this an error.
#![warn(missing_docs)]
pub mod basins;
pub mod bench;
pub mod critical;
pub mod engine;
pub mod error;
pub mod memory;
pub mod merge;
pub mod optim;
pub mod output;
pub mod pipeline;
pub mod plan;
pub mod precision;
pub mod problem;
pub mod region;
pub mod report;
pub mod starts;
pub mod surface;
pub mod trajectories;
pub mod walker;

pub use error::{Error, Result};
pub use plan::Plan;
pub use problem::Problem;
