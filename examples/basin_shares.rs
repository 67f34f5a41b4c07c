//! Runs peaks with 10,000 walkers through the library's public API alone
//! and prints each basin's share of the walkers, and the endpoints' classes.
//!
//! `cargo run --example basin_shares` (tests/example.rs runs it too).

use multistart::engine::cpu::CpuEngine;
use multistart::pipeline::{self, Chunk};
use multistart::surface::Surface;
use multistart::{Plan, Problem};

fn main() -> multistart::Result<()> {
    let problem = Problem { walkers: 10_000, ..Problem::new(Surface::Peaks) }.validate()?;
    // Endpoints stream past in chunks: count the ones that converged.
    let mut converged = 0;
    let mut count_converged = |chunk: &Chunk| {
        converged += chunk.endpoints.iter().filter(|e| e.status == multistart::engine::Status::Converged).count();
        Ok(())
    };
    let outcome = pipeline::run(&problem, &Plan::cpu(), &mut CpuEngine::new(), &mut [&mut count_converged], &|| false)?;
    let summary = &outcome.summary;
    println!("{} walkers on {}, {converged} converged", summary.walkers, problem.surface.describe());
    for i in summary.report_order() {
        let basin = &summary.basins[i];
        let share = 100.0 * basin.count as f64 / summary.walkers as f64;
        println!(
            "{:<8} at ({:>9.6}, {:>9.6})  f = {:>9.6}  {share:5.2}%",
            basin.kind.name(),
            basin.point[0],
            basin.point[1],
            basin.f
        );
    }
    println!("still moving: {}, plateau: {}, escaped: {}", summary.moving, summary.plateau, summary.escaped);
    Ok(())
}
