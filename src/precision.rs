//! The float type of a descent, and which values it can hold.

use serde::{Deserialize, Serialize};

use crate::error::{Result, invalid, number};

/// The float type walkers descend in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Single precision: the GPU's arithmetic, mirrored on the CPU.
    F32,
    /// Double precision on the CPU: the accuracy reference.
    F64,
}

impl Precision {
    /// "f32" or "f64".
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }
}

/// Whether `v` is a normal number of `precision` (not 0, not subnormal,
/// not infinite once rounded to it).
pub fn is_normal_in(precision: Precision, v: f64) -> bool {
    match precision {
        Precision::F32 => (v as f32).is_normal(),
        Precision::F64 => v.is_normal(),
    }
}

/// Refuses a value the precision cannot represent as a normal number.
pub fn normal_in(precision: Precision, field: &'static str, v: f64) -> Result<()> {
    if is_normal_in(precision, v) {
        return Ok(());
    }
    let (lo, hi) = match precision {
        Precision::F32 => (f32::MIN_POSITIVE as f64, f32::MAX as f64),
        Precision::F64 => (f64::MIN_POSITIVE, f64::MAX),
    };
    let tip = if precision == Precision::F32 { "; precision f64 on the CPU holds more" } else { "" };
    Err(invalid(
        field,
        format!(
            "{}: out of {}'s range (its normal numbers are {lo:.1e} to {hi:.1e} in size){tip}",
            number(v),
            precision.name()
        ),
    ))
}
