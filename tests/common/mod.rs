//! GPU test helper: an adapter, or a loud skip, or (with
//! MULTISTART_REQUIRE_GPU=1, as CI sets) a failure.

#![allow(dead_code)]

use multistart::engine::gpu::{AdapterChoice, GpuContext};

pub fn gpu_required() -> bool {
    std::env::var("MULTISTART_REQUIRE_GPU").is_ok_and(|v| v == "1")
}

/// An open device, or None after printing SKIPPED (never silently).
pub fn gpu(test: &str) -> Option<GpuContext> {
    // XDG_RUNTIME_DIR is left as it is: setting it here would race the
    // other test threads, and Mesa only warns on stderr without it.
    match GpuContext::new(&AdapterChoice::Any) {
        Ok(ctx) => Some(ctx),
        Err(e) if gpu_required() => panic!("MULTISTART_REQUIRE_GPU=1 but no GPU adapter: {e}"),
        Err(e) => {
            eprintln!("SKIPPED {test}: no GPU adapter ({e}); set MULTISTART_REQUIRE_GPU=1 to make this a failure");
            None
        }
    }
}

/// True when a GPU adapter exists; prints SKIPPED or panics like `gpu`.
pub fn has_gpu(test: &str) -> bool {
    gpu(test).is_some()
}

/// MATLAB's peaks as a user would type it for `--expr`.
#[allow(dead_code)]
pub const PEAKS_FORMULA: &str =
    "3*(1-x)^2*exp(-x^2-(y+1)^2) - 10*(x/5 - x^3 - y^5)*exp(-x^2-y^2) - 1/3*exp(-(x+1)^2-y^2)";

/// A JSON report written by a run a signal stopped: marked partial, and its
/// counts add up to the walkers done (some, not all of a billion).
pub fn assert_partial_report(path: &std::path::Path) {
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(j["partial"], true);
    let done = j["walkers_done"].as_u64().unwrap();
    assert!(done > 0 && done < 1_000_000_000, "{done}");
    let counted: u64 = j["basins"].as_array().unwrap().iter().map(|b| b["count"].as_u64().unwrap()).sum::<u64>()
        + ["moving", "plateau", "escaped", "nonfinite"].iter().map(|k| j[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(counted, done);
}
