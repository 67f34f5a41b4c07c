//! multistart: many independent gradient-descent walkers on a surface at
//! once, on the GPU (a WGSL compute shader through wgpu) or the CPU, their
//! endpoints grouped into basins and reported with confidence intervals.
//!
//! Data flows one way:
//! `cli` -> `config::RunConfig` -> `engine` (chunk by chunk, starts from
//! `starts`) -> `basins::Summary` -> `report`.

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

pub use error::{Error, Result};
pub use plan::Plan;
pub use problem::Problem;
