//! A walker between steps, and why it stopped: what the optimizers update
//! and the engines carry. Twin of `Walker` in shaders/descent.wgsl.

use num_traits::Float;
use serde::Serialize;

use crate::surface::MAX_DIM;

/// Why a walker stopped (argmin's "termination reason").
/// The kernel's `STATUS_*` constants are written from these values
/// (`engine::gpu::prelude`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[repr(u32)]
pub enum Status {
    /// Still moving when the step budget ran out.
    Moving = 0,
    /// |grad f| fell below `tol`.
    Converged = 1,
    /// Left the escape box (`--bound` half-widths from the region's centre).
    Escaped = 2,
    /// A coordinate became NaN or infinite.
    NonFinite = 3,
}

impl Status {
    /// Every status, in code order.
    pub const ALL: [Status; 4] = [Status::Moving, Status::Converged, Status::Escaped, Status::NonFinite];

    /// The status of a kernel code; unknown codes read as moving.
    pub fn from_u32(v: u32) -> Status {
        match v {
            1 => Status::Converged,
            2 => Status::Escaped,
            3 => Status::NonFinite,
            _ => Status::Moving,
        }
    }

    /// Its name in tables and files.
    pub fn name(self) -> &'static str {
        match self {
            Status::Moving => "moving",
            Status::Converged => "converged",
            Status::Escaped => "escaped",
            Status::NonFinite => "nonfinite",
        }
    }
}

/// A walker between steps. Twin of `Walker` in shaders/descent.wgsl.
#[derive(Clone, Copy, Debug)]
pub struct WalkerState<T> {
    /// Position.
    pub p: [T; MAX_DIM],
    /// First moment (momentum, Nesterov, Adam).
    pub m: [T; MAX_DIM],
    /// Second moment (the adaptive methods: RMSProp, Adam...).
    pub v: [T; MAX_DIM],
    /// Updates applied so far.
    pub iterations: u32,
    /// Moving until the loop stops it.
    pub status: Status,
}

impl<T: Float> WalkerState<T> {
    /// A walker at `start`, at rest, moving.
    pub fn at(start: &[T]) -> Self {
        let mut p = [T::zero(); MAX_DIM];
        p[..start.len()].copy_from_slice(start);
        WalkerState { p, m: [T::zero(); MAX_DIM], v: [T::zero(); MAX_DIM], iterations: 0, status: Status::Moving }
    }
}
