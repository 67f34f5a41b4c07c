//! What each command does, from a validated configuration to its outputs.
//! `main` only parses and dispatches here.

use std::io::Write;
use std::time::Instant;

use crate::basins::{Label, Summary};
use crate::bench::{self, BenchConfig};
use crate::cli::CriticalArgs;
use crate::config::RunConfig;
use crate::engine::{self, Engine, gpu};
use crate::error::{Error, Result};
use crate::interrupt;
use crate::output::Batch;
use crate::pipeline::{self, Chunk, Outcome, Sink};
use crate::report::{self, Report, plot, thousands};
use crate::trajectories::{self, TrajectoryPoint};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How a command ended: with everything done, or stopped early by a signal
/// (its outputs written and marked partial).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    Complete,
    Partial,
}

impl Completion {
    fn of(partial: bool) -> Completion {
        if partial { Completion::Partial } else { Completion::Complete }
    }
}

/// A run and what it produced.
struct Done {
    outcome: Outcome,
    report: Report,
    trajectories: Vec<TrajectoryPoint>,
    /// Every walker's label, in index order, when asked for (the map).
    labels: Vec<Label>,
}

/// A progress bar on stderr that shows itself once a run has taken a
/// second, and only on a terminal (indicatif hides it otherwise).
struct Progress {
    bar: ProgressBar,
    shown: bool,
    since: Instant,
}

impl Progress {
    fn new(walkers: u64, enabled: bool) -> Self {
        let bar = ProgressBar::with_draw_target(Some(walkers), ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template(
            "{bar:32} {human_pos}/{human_len} walkers  {msg}  {elapsed} elapsed, ETA {eta}",
        )
        .expect("valid template");
        bar.set_style(style);
        Progress { bar, shown: !enabled, since: Instant::now() }
    }
}

impl Sink for Progress {
    fn chunk(&mut self, chunk: &Chunk) -> Result<()> {
        if !self.shown && self.since.elapsed().as_secs_f64() > 1.0 {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar.set_position(chunk.walkers_done);
        self.bar.set_message(format!("{:.2e} walker-steps/s", chunk.walker_steps as f64 / chunk.descent_s.max(1e-9)));
        Ok(())
    }
}

/// Runs `config` on `engine` and stages the files it asks for in `batch`.
/// A signal stops it after the current chunk.
fn execute(
    config: &RunConfig,
    engine: &mut dyn Engine,
    started: Instant,
    keep_labels: bool,
    batch: &mut Batch,
) -> Result<Done> {
    let (problem, plan) = (&config.problem, &config.plan);
    let mut endpoints_csv =
        config.outputs.csv_endpoints.as_deref().map(|p| report::EndpointsWriter::create(p, problem)).transpose()?;
    let mut labels = Vec::new();
    let mut keep = |chunk: &Chunk| {
        labels.extend_from_slice(chunk.labels);
        Ok(())
    };
    let range = plan.walker_range(problem.walkers);
    let mut progress = Progress::new(range.end - range.start, !config.quiet);
    let mut sinks: Vec<&mut dyn Sink> = vec![&mut progress];
    if let Some(writer) = endpoints_csv.as_mut() {
        sinks.push(writer);
    }
    if keep_labels {
        sinks.push(&mut keep);
    }
    let mut outcome = pipeline::run(problem, plan, engine, &mut sinks, &interrupt::requested)?;
    drop(sinks);
    progress.bar.finish_and_clear();
    // Device set-up counts too.
    outcome.timing.total_s = started.elapsed().as_secs_f64();
    let trajectories = match &config.trajectories {
        Some(spec) if !outcome.partial => {
            let (points, stopped) = trajectories::record(problem, engine, spec, &interrupt::requested)?;
            outcome.partial |= stopped;
            points
        }
        _ => Vec::new(),
    };
    let report = Report::new(problem, plan, engine.device(), &outcome);
    let o = &config.outputs;
    if let Some(path) = &o.json {
        report::write_json(batch, path, &report)?;
    }
    if let Some(path) = &o.csv_basins {
        report::write_csv_basins(batch, path, &report)?;
    }
    if let Some(writer) = endpoints_csv {
        writer.finish(batch, &report_ids(&outcome.summary), outcome.partial)?;
    }
    if let Some(path) = &o.csv_trajectories {
        trajectories::write_csv(batch, path, &trajectories, outcome.partial)?;
    }
    Ok(Done { outcome, report, trajectories, labels })
}

/// `ids[i]`: the report's 1-based id of `summary.basins[i]`.
fn report_ids(summary: &Summary) -> Vec<usize> {
    let mut ids = vec![0; summary.basins.len()];
    for (rank, i) in summary.report_order().into_iter().enumerate() {
        ids[i] = rank + 1;
    }
    ids
}

fn engine_for(config: &RunConfig) -> Result<Box<dyn Engine>> {
    let (engine, notice) = engine::select(&config.problem, &config.plan)?;
    if let Some(notice) = notice.filter(|_| !config.quiet) {
        eprintln!("{notice}");
    }
    Ok(engine)
}

/// The table on stdout, or on stderr when an output file is stdout (`-`).
fn print_table(report: &Report, outputs: &crate::config::Outputs) {
    let mut out = table_stream(outputs.uses_stdout());
    let _ = report::print_table(&mut out, report).and_then(|_| out.flush());
}

/// `multistart [OPTIONS]`: one run, its table, its files.
pub fn single_run(config: &RunConfig, started: Instant) -> Result<Completion> {
    if config.trajectories.is_some() && config.outputs.csv_trajectories.is_none() {
        return Err(Error::Input("--trajectories needs --csv-trajectories FILE to write the paths to".into()));
    }
    let mut engine = engine_for(config)?;
    let mut batch = Batch::new();
    let done = execute(config, engine.as_mut(), started, false, &mut batch)?;
    batch.commit()?;
    print_table(&done.report, &config.outputs);
    Ok(Completion::of(done.outcome.partial))
}

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
    let crate::problem::Starts::Grid { cols, rows } = problem.starts else { unreachable!("map runs grid starts") };
    let basin_rank: Vec<usize> = report_ids(&done.outcome.summary).into_iter().map(|id| id.saturating_sub(1)).collect();
    let critical = crate::critical::find(&problem.surface, &problem.region, crate::critical::DEFAULT_GRID);
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
    eprintln!("wrote {} ({cols}x{rows}, one walker per pixel)", crate::output::describe(path));
    Ok(completion)
}

/// `multistart critical`: the table of every critical point in the region.
pub fn critical(args: &CriticalArgs) -> Result<Completion> {
    let (surface, region) = args.resolve()?;
    let found = crate::critical::find(&surface, &region, args.grid);
    let mut out = table_stream(crate::output::any_stdout(&[args.json.as_deref(), args.csv.as_deref()]));
    let _ = writeln!(
        out,
        "{} on {}: {} critical points (Newton from a {}x{} grid of starts)\n",
        surface.describe(),
        report::region_text(&region.as_array()),
        found.len(),
        args.grid,
        args.grid
    );
    let _ = writeln!(
        out,
        "{:>3}  {:<8} {:>10} {:>10} {:>10} {:>11} {:>11}",
        "#", "kind", "x", "y", "f", "lambda_min", "lambda_max"
    );
    for (k, b) in found.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:>3}  {:<8} {:>10.6} {:>10.6} {:>10.6} {:>11.4} {:>11.4}",
            k + 1,
            b.kind.name(),
            b.point[0],
            b.point[1],
            b.f,
            b.eigenvalues[0],
            b.eigenvalues[1]
        );
    }
    #[derive(serde::Serialize)]
    struct Point {
        id: usize,
        kind: crate::surface::Kind,
        x: f64,
        y: f64,
        f: f64,
        lambda_min: f64,
        lambda_max: f64,
    }
    let rows: Vec<Point> = found
        .iter()
        .enumerate()
        .map(|(k, b)| Point {
            id: k + 1,
            kind: b.kind,
            x: b.point[0],
            y: b.point[1],
            f: b.f,
            lambda_min: b.eigenvalues[0],
            lambda_max: b.eigenvalues[1],
        })
        .collect();
    let _ = out.flush();
    let mut batch = Batch::new();
    if let Some(path) = &args.json {
        let json = serde_json::json!({"surface": surface.name(), "expr": surface.expr(), "region": region.as_array(), "points": rows});
        report::write_json(&mut batch, path, &json)?;
    }
    if let Some(path) = &args.csv {
        batch.stage(path, |w| {
            let mut out = csv::Writer::from_writer(w);
            for r in &rows {
                out.serialize(r)?;
            }
            out.flush()
        })?;
    }
    batch.commit()?;
    Ok(Completion::Complete)
}

/// Where a command's table goes: stdout, or stderr when an output file is
/// stdout (`-`), so that stdout holds that file alone.
fn table_stream(outputs_use_stdout: bool) -> Box<dyn Write> {
    if outputs_use_stdout { Box::new(std::io::stderr().lock()) } else { Box::new(std::io::stdout().lock()) }
}

/// `multistart sweep`: the same starts for each value; a share table.
pub fn sweep(param: &str, runs: &[(f64, RunConfig)], started: Instant) -> Result<Completion> {
    let first_run = &runs[0].1;
    let first = &first_run.problem;
    let mut engine = engine_for(first_run)?;
    let mut reports = Vec::new();
    let mut catalogue = Summary::default();
    let mut columns: Vec<Vec<usize>> = Vec::new();
    // A signal stops the sweep after the current chunk: the values not yet
    // run are left out, and every output says partial.
    let mut partial = false;
    for (k, (value, config)) in runs.iter().enumerate() {
        if crate::interrupt::requested() {
            partial = true;
            break;
        }
        if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            eprint!("\rsweep: {param} = {value} ({}/{})", k + 1, runs.len());
        }
        // Each value's run writes no files of its own: the sweep's are below.
        let mut one_value = config.clone();
        one_value.outputs = Default::default();
        let done = execute(&one_value, engine.as_mut(), started, false, &mut Batch::new())?;
        partial |= done.outcome.partial;
        columns.push(catalogue.merge(&done.outcome.summary));
        reports.push((*value, done.report, done.outcome.summary));
    }
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprint!("\r\x1b[2K");
    }
    let order = catalogue.report_order();
    // Shares are of the walkers each value actually ran.
    let walkers_run = |k: usize| reports[k].2.walkers;
    let fraction = |k: usize, count: u64| count as f64 / walkers_run(k).max(1) as f64;
    // Walkers of catalogue basin `c` in run `k`.
    let basin_count = |k: usize, c: usize| -> u64 {
        let s = &reports[k].2;
        columns[k].iter().enumerate().filter(|&(_, &to)| to == c).map(|(from, _)| s.basins[from].count).sum()
    };
    let basin_share = |k: usize, c: usize| 100.0 * fraction(k, basin_count(k, c));
    let class_counts = |s: &Summary| {
        [("moving", s.moving), ("plateau", s.plateau), ("escaped", s.escaped), ("nonfinite", s.nonfinite)]
    };

    let o = &first_run.outputs;
    let mut out = table_stream(o.uses_stdout());
    if partial {
        let _ = writeln!(
            out,
            "partial: stopped by a signal after {} of {} values; shares are of the walkers each value ran\n",
            reports.len(),
            runs.len()
        );
    }
    let _ = writeln!(
        out,
        "sweep of {param} over {} values: {} {} walkers from the same starts, {} on {}, optimizer {}, {}\n",
        runs.len(),
        thousands(first.walkers),
        first.starts.describe(),
        first.surface.describe(),
        report::region_text(&first.region.as_array()),
        first.optimizer.name(),
        engine.device().describe()
    );
    let _ = writeln!(out, "share of walkers (%):");
    // The lowest basins get a column each; the rest share one (all are in
    // --json and --csv).
    let (shown, rest) = order.split_at(order.len().min(SWEEP_COLUMNS));
    let label = |rank: usize, c: usize| {
        let b = &catalogue.basins[c];
        format!("#{} {} {}", rank + 1, &b.kind.name()[..3], report::point_text(&b.point, 3).replace(", ", ","))
    };
    let width = shown.iter().enumerate().map(|(rank, &c)| label(rank, c).len()).max().unwrap_or(0).max(12);
    let mut header = format!("{:>10}", param);
    for (rank, &c) in shown.iter().enumerate() {
        header += &format!(" {:>width$}", label(rank, c));
    }
    if !rest.is_empty() {
        header += &format!(" {:>width$}", format!("{} others", rest.len()));
    }
    header += &format!(" {:>8} {:>8} {:>8} {:>9}", "moving", "plateau", "escaped", "nonfinite");
    let _ = writeln!(out, "{header}");
    for (k, (value, _, s)) in reports.iter().enumerate() {
        let mut line = format!("{value:>10}");
        for &c in shown {
            line += &format!(" {:>width$.2}", basin_share(k, c));
        }
        if !rest.is_empty() {
            line += &format!(" {:>width$.2}", rest.iter().map(|&c| basin_share(k, c)).sum::<f64>());
        }
        for (i, (_, count)) in class_counts(s).into_iter().enumerate() {
            line += &format!(" {:>w$.2}", 100.0 * fraction(k, count), w = if i == 3 { 9 } else { 8 });
        }
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
    drop(out);

    let mut batch = Batch::new();
    if let Some(path) = &o.json {
        let runs_json: Vec<_> = reports.iter().map(|(v, r, _)| serde_json::json!({"value": v, "report": r})).collect();
        let values: Vec<f64> = runs.iter().map(|(v, _)| *v).collect();
        let json = serde_json::json!({"param": param, "values": values, "partial": partial, "runs": runs_json});
        report::write_json(&mut batch, path, &json)?;
    }
    if let Some(path) = &o.csv_basins {
        batch.stage(path, |w| {
            let mut csv_out = csv::Writer::from_writer(w);
            let axes = report::axis_names(first.surface.dim());
            let mut columns: Vec<String> = ["value", "class", "id", "kind"].map(String::from).to_vec();
            columns.extend(axes.iter().cloned());
            columns.extend(["f", "count", "fraction", "partial"].map(String::from));
            csv_out.write_record(&columns)?;
            for (k, (value, _, s)) in reports.iter().enumerate() {
                for (rank, &c) in order.iter().enumerate() {
                    let b = &catalogue.basins[c];
                    let count = basin_count(k, c);
                    let mut row = vec![value.to_string(), "basin".into(), (rank + 1).to_string(), b.kind.name().into()];
                    row.extend(b.point.iter().map(|x| x.to_string()));
                    row.extend([
                        b.f.to_string(),
                        count.to_string(),
                        fraction(k, count).to_string(),
                        partial.to_string(),
                    ]);
                    csv_out.write_record(&row)?;
                }
                for (name, count) in class_counts(s) {
                    // Empty id, kind, point and f.
                    let mut row = vec![value.to_string(), name.into()];
                    row.extend(std::iter::repeat_n(String::new(), 3 + axes.len()));
                    row.extend([count.to_string(), fraction(k, count).to_string(), partial.to_string()]);
                    csv_out.write_record(&row)?;
                }
            }
            csv_out.flush()
        })?;
    }
    if let Some(path) = &o.png {
        let values: Vec<f64> = reports.iter().map(|(v, _, _)| *v).collect();
        let mut series = Vec::new();
        for (rank, &c) in shown.iter().enumerate() {
            let b = &catalogue.basins[c];
            let shares = (0..reports.len()).map(|k| basin_share(k, c)).collect();
            series.push((
                format!("#{} {} {}", rank + 1, b.kind.name(), report::point_text(&b.point, 3)),
                plot::PALETTE[rank % plot::PALETTE.len()],
                shares,
            ));
        }
        if !rest.is_empty() {
            let shares = (0..reports.len()).map(|k| rest.iter().map(|&c| basin_share(k, c)).sum()).collect();
            series.push((
                format!("{} other basins", rest.len()),
                plot::PALETTE[shown.len() % plot::PALETTE.len()],
                shares,
            ));
        }
        for (i, name) in ["moving", "plateau", "escaped", "nonfinite"].into_iter().enumerate() {
            let shares: Vec<f64> =
                reports.iter().enumerate().map(|(k, (_, _, s))| 100.0 * fraction(k, class_counts(s)[i].1)).collect();
            if shares.iter().any(|&v| v > 0.0) {
                series.push((name.to_string(), plot::CLASS_GREYS[i], shares));
            }
        }
        // A log axis needs positive values; lr and tol are read on one, and so
        // is any parameter whose values span more than a factor of 100.
        let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        let log_x = lo > 0.0 && (param != "steps" || hi / lo > 100.0);
        plot::draw_sweep(&mut batch, path, &plot::SweepPicture { param, values: &values, log_x, series })?;
    }
    batch.commit()?;
    Ok(Completion::of(partial))
}

/// Basins the sweep's table gives a column of their own.
const SWEEP_COLUMNS: usize = 12;

pub use crate::merge::merge_texts;

/// `multistart merge`: shards' summaries into exactly the single run's report.
pub fn merge(args: &crate::cli::MergeArgs) -> Result<Completion> {
    crate::output::check_named(&[("--json", &args.json), ("--csv-basins", &args.csv_basins)], &args.inputs)?;
    let report = crate::merge::merge_files(&args.inputs)?;
    let mut batch = Batch::new();
    if let Some(path) = &args.json {
        report::write_json(&mut batch, path, &report)?;
    }
    if let Some(path) = &args.csv_basins {
        report::write_csv_basins(&mut batch, path, &report)?;
    }
    batch.commit()?;
    let mut out = table_stream(crate::output::any_stdout(&[args.json.as_deref(), args.csv_basins.as_deref()]));
    let _ = report::print_table(&mut out, &report).and_then(|_| out.flush());
    Ok(Completion::Complete)
}

/// `multistart surfaces`: the built-in surfaces.
pub fn surfaces() -> Result<Completion> {
    let mut out = std::io::stdout().lock();
    for s in crate::surface::Surface::all() {
        let known = s.known_points();
        let minima = known.iter().filter(|k| k.kind == crate::surface::Kind::Minimum).count();
        let globals = s.global_minima().count();
        let dims = if s.takes_dim() { "any --dim D (default 2)" } else { "2-D" };
        let listed = match (s.name(), minima) {
            ("rastrigin" | "ackley", _) => "many local minima; the global one known".to_string(),
            ("rosenbrock", _) => "the global minimum known (and a local one for 4 <= D <= 7)".to_string(),
            (_, 0) => "no isolated minimum (a valley of them along x = 0)".to_string(),
            (_, 1) => format!("1 known minimum ({globals} global)"),
            _ => format!("{minima} known minima ({globals} global)"),
        };
        let _ = writeln!(
            out,
            "{:<11} {dims:<24} region {:<30} lr {:<6} {listed}",
            s.name(),
            report::region_text(&s.default_region().as_array()),
            s.default_lr()
        );
    }
    Ok(Completion::Complete)
}

/// `multistart devices`: every adapter, with the limits that bound a chunk.
pub fn devices() -> Result<Completion> {
    let adapters = gpu::list_adapters();
    if adapters.is_empty() {
        return Err(Error::NoAdapter(
            "no GPU adapter found: install a Vulkan driver (on Debian without a GPU: apt-get install mesa-vulkan-drivers libvulkan1)".into(),
        ));
    }
    let mut out = std::io::stdout().lock();
    for (i, a) in adapters.iter().enumerate() {
        let _ = writeln!(
            out,
            "{i}: {}\n   api {}, type {}, driver {}\n   max storage binding {} MiB, max buffer {} MiB, \
             max workgroups per dimension {}: up to {} walkers per chunk",
            a.name,
            a.api,
            a.device_type,
            a.driver,
            a.max_storage_buffer_binding_size >> 20,
            a.max_buffer_size >> 20,
            a.max_compute_workgroups_per_dimension,
            thousands(a.max_chunk_walkers),
        );
    }
    Ok(Completion::Complete)
}

/// `multistart bench`.
pub fn bench(b: &BenchConfig) -> Result<Completion> {
    let report = bench::run(b)?;
    bench::write_outputs(b, &report)?;
    let mut out =
        table_stream(crate::output::any_stdout(&[b.json.as_deref(), b.csv.as_deref(), b.markdown.as_deref()]));
    let _ = write!(out, "{}", bench::markdown(&report));
    Ok(Completion::Complete)
}
