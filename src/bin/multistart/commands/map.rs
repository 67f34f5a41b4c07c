//! `multistart map`: a grid of walkers, one per pixel, drawn by basin.

use std::time::Instant;

use crate::config::RunConfig;
use multistart::error::Result;
use multistart::output::Batch;
use multistart::report::plot;

use super::run::execute;
use super::*;

/// `multistart map`: the grid run, its table, and the picture.
pub fn map(config: &RunConfig, started: Instant) -> Result<Completion> {
    let mut engine = engine_for(config)?;
    let mut batch = Batch::new();
    let done = execute(config, engine.as_mut(), started, true, &mut batch)?;
    let completion = Completion::of(done.outcome.partial);
    let Some(path) = &config.outputs.png else {
        batch.commit()?;
        print_table(&done.report, &config.outputs);
        eprintln!("note: no picture written; add --png FILE to draw the map");
        return Ok(completion);
    };
    if done.outcome.partial {
        batch.commit()?;
        print_table(&done.report, &config.outputs);
        eprintln!("note: interrupted before every pixel was done: no picture written");
        return Ok(completion);
    }
    let problem = &config.problem;
    let multistart::problem::Starts::Grid { cols, rows } = problem.starts else { unreachable!("map runs grid starts") };
    let basin_rank: Vec<usize> = report_ids(&done.outcome.summary).into_iter().map(|id| id.saturating_sub(1)).collect();
    let critical = multistart::critical::find(&problem.surface, &problem.region, multistart::critical::DEFAULT_GRID);
    plot::draw_map(
        &mut batch,
        path,
        &plot::MapPicture {
            surface: problem.surface.clone(),
            region: problem.region.clone(),
            cols,
            rows,
            labels: &done.labels,
            basin_rank: &basin_rank,
            report: &done.report,
            critical: &critical,
            trajectories: &done.trajectories,
        },
    )?;
    batch.commit()?;
    print_table(&done.report, &config.outputs);
    eprintln!("wrote {} ({cols}x{rows}, one walker per pixel)", multistart::output::describe(path));
    Ok(completion)
}
