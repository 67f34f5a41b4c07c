//! `multistart bench`: the same descent (every step runs: tol 0) at a sweep
//! of walker counts on each backend, timed in one run so that the GPU/CPU
//! ratios compare like with like.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::engine::Engine;
use crate::engine::cpu::{CpuEngine, cpu_model};
use crate::engine::gpu::{AdapterChoice, GpuContext, GpuEngine};
use crate::engine::simd::InstructionSet;
use crate::error::{Error, Result, input};
use crate::optim::{Optimizer, OptimizerParams};
use crate::output::check_named;
use crate::problem::{Precision, Problem};
use crate::report::export::{Exporter, Markdown, Tabular};
use crate::report::thousands;
use crate::surface::Surface;

/// What to measure.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// The surface descended.
    pub surface: Surface,
    /// The update rule, and the parameters it is given (the rest at their
    /// defaults).
    pub optimizer: Optimizer,
    /// See `optimizer`.
    pub optimizer_params: OptimizerParams,
    /// CPU threads for the CPU engines (and the basin-free descent);
    /// `None`: one per core, as runs use.
    pub threads: Option<usize>,
    /// The walker counts of the sweep, each from 1 to 2^40.
    pub walkers: Vec<u64>,
    /// Steps per walker, every one run (tol 0).
    pub steps: u32,
    /// Timed runs per size and backend, after one untimed warm-up run.
    pub runs: u32,
    /// A size whose timed runs would take longer than this (predicted from
    /// the size before) is skipped with a note.
    pub max_seconds: f64,
    /// Largest size for the f64 reference.
    pub f64_max_walkers: u64,
    /// Text the GPU adapter's name must contain (any case); `None` takes
    /// any, hardware first.
    pub adapter: Option<String>,
    /// Where to write the whole report as JSON.
    pub json: Option<PathBuf>,
    /// Where to write the rows as CSV.
    pub csv: Option<PathBuf>,
    /// Where to write the Markdown tables.
    pub markdown: Option<PathBuf>,
}

/// Most CPU threads `--threads` starts (each is an OS thread of its own).
pub const MAX_THREADS: usize = 1024;

impl BenchConfig {
    /// The configuration itself, or an input error naming the first flag
    /// out of range (or an output path given twice).
    pub fn validate(self) -> Result<Self> {
        if self.walkers.is_empty() || self.walkers.iter().any(|&w| w == 0 || w > crate::problem::MAX_WALKERS) {
            return Err(input("--walkers: expected a list of counts from 1 to 2^40, such as 1e3,1e4,1e5"));
        }
        if self.steps == 0 {
            return Err(input("--steps 0: expected at least 1 step"));
        }
        if self.runs == 0 {
            return Err(input("--runs 0: expected at least 1 timed run"));
        }
        if let Some(n) = self.threads
            && !(1..=MAX_THREADS).contains(&n)
        {
            return Err(input(format!("--threads {n}: expected 1 to {MAX_THREADS} threads")));
        }
        // The problem's own checks, on the smallest size.
        config(&self, 1, Precision::F32).validate()?;
        if !(self.max_seconds.is_finite() && self.max_seconds > 0.0) {
            return Err(input(format!("--max-seconds {}: expected a finite number above 0", self.max_seconds)));
        }
        check_named(&[("--json", &self.json), ("--csv", &self.csv), ("--markdown", &self.markdown)], &[])?;
        Ok(self)
    }
}

/// The machine the benchmark ran on.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    /// CPU model.
    pub cpu: String,
    /// CPU threads used.
    pub threads: usize,
    /// Vector instructions the fast CPU engine runs with.
    pub instruction_set: &'static str,
    /// GPU adapter name, if one was found.
    pub adapter: Option<String>,
    /// Its graphics API, device type and driver.
    pub api: Option<String>,
}

/// The timing of one backend at one walker count.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// gpu (f32 shader), cpu-f32 (SIMD engine on the fastest instruction
    /// set the CPU has, as runs use it), cpu-f32-avx2 or cpu-f32-portable
    /// (the same engine held to a narrower set the CPU also has) or cpu-f64
    /// (scalar reference).
    pub backend: &'static str,
    /// The fast CPU engine's instruction set, on its rows.
    pub instruction_set: Option<&'static str>,
    /// Walkers descended in each run.
    pub walkers: u64,
    /// Steps per walker.
    pub steps: u32,
    /// Timed runs (the warm-up not counted).
    pub runs: u32,
    /// Median descent time of the timed runs, seconds, by `timer`.
    pub median_s: f64,
    /// Fastest timed run, seconds, by `timer`.
    pub min_s: f64,
    /// Mean of the timed runs, seconds, by `timer`.
    pub mean_s: f64,
    /// Their sample standard deviation, seconds (0 for one run): the
    /// spread that tells a ratio from noise.
    pub stddev_s: f64,
    /// Every timed run, seconds, by `timer`, in the order run (as
    /// hyperfine's `times`).
    pub times_s: Vec<f64>,
    /// walkers x steps / median_s.
    pub walker_steps_per_s: f64,
    /// What timed the row: "gpu-timestamps" (the kernel's dispatches, by
    /// the GPU's clock) or "host-clock" (around the whole descent).
    pub timer: &'static str,
    /// Median by the host clock around the whole descent (start points,
    /// dispatches, read-back), seconds: the same as `median_s` for host-clock rows.
    pub host_median_s: f64,
}

/// How the GPU compares with the fast CPU engine at one walker count.
#[derive(Clone, Debug, Serialize)]
pub struct Ratio {
    /// The walker count both were timed at.
    pub walkers: u64,
    /// Median CPU time / median GPU time: above 1, the GPU is faster.
    pub gpu_over_cpu: f64,
}

/// A benchmark's results, as the JSON output holds them.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// The multistart version that measured them.
    pub version: &'static str,
    /// The surface's name.
    pub surface: &'static str,
    /// The surface as the header shows it ("peaks", "expr x^2 + y^2").
    pub surface_text: String,
    /// The update rule timed.
    pub optimizer: Optimizer,
    /// Its parameters, every one by name.
    pub optimizer_params: OptimizerParams,
    /// The machine they were measured on.
    pub machine: Machine,
    /// How descent time was measured.
    pub timer: String,
    /// One-off GPU costs, seconds: device, pipeline, first dispatch.
    pub fixed_costs: Option<FixedCosts>,
    /// One row per backend and walker count timed, the GPU's first.
    pub rows: Vec<Row>,
    /// GPU/CPU speed at each walker count that both backends ran.
    pub ratios: Vec<Ratio>,
    /// Sizes and backends skipped, and why.
    pub notes: Vec<String>,
}

/// The GPU's one-off costs, paid once per process rather than per run.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct FixedCosts {
    /// Finding the adapter and opening the device, seconds.
    pub device_s: f64,
    /// Compiling the surface's shader pipeline, seconds.
    pub pipeline_s: f64,
    /// The first dispatch (one walker), seconds.
    pub first_dispatch_s: f64,
}

/// Progress on stderr, only when it is a terminal.
struct Progress(bool);

impl Progress {
    fn say(&self, text: &str) {
        if self.0 {
            eprint!("\r\x1b[2Kbench: {text}");
            let _ = std::io::stderr().flush();
        }
    }
    fn done(&self) {
        if self.0 {
            eprint!("\r\x1b[2K");
        }
    }
}

/// A backend to time: its rows' name, the engine, and the fast CPU
/// engine's instruction set where it is that.
struct Timed {
    name: &'static str,
    engine: Box<dyn Engine>,
    precision: Precision,
    set: Option<InstructionSet>,
}

/// Times every backend this machine has at each walker count of `b`
/// (the GPU skipped with a note where none is found).
pub fn run(b: &BenchConfig) -> Result<BenchReport> {
    match b.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| input(format!("--threads {n}: {e}")))?
            .install(|| run_here(b)),
        None => run_here(b),
    }
}

/// `run` on the current rayon pool.
fn run_here(b: &BenchConfig) -> Result<BenchReport> {
    let progress = Progress(std::io::stderr().is_terminal());
    let mut notes = Vec::new();
    let t = Instant::now();
    progress.say("opening the GPU");
    let ctx = match GpuContext::new(&b.adapter.clone().map(AdapterChoice::Named).unwrap_or(AdapterChoice::Any)) {
        Ok(ctx) => Some(ctx),
        Err(Error::NoAdapter(why)) => {
            notes.push(format!("gpu rows skipped: {why}"));
            None
        }
        Err(e) => return Err(e),
    };
    let device_s = t.elapsed().as_secs_f64();
    let mut fixed = None;
    let best = InstructionSet::best();
    // The fast engine runs plain descent on 2-D surfaces; the rest is the
    // scalar engine's, which no instruction set changes.
    let fast = crate::engine::simd::handles(&config(b, 1, Precision::F32));
    let mut machine = Machine {
        cpu: cpu_model(),
        threads: rayon::current_num_threads(),
        instruction_set: if fast { best.name() } else { "scalar" },
        adapter: None,
        api: None,
    };
    let mut engines: Vec<Timed> = Vec::new();
    if let Some(ctx) = ctx {
        let t = Instant::now();
        let gpu = GpuEngine::new(ctx, &b.surface)?;
        let pipeline_s = t.elapsed().as_secs_f64();
        let info = gpu.device().clone();
        machine.adapter = Some(info.name.clone());
        machine.api = Some(format!("{}, {}", info.api, info.driver.unwrap_or_default()));
        let mut gpu = gpu;
        let t = Instant::now();
        gpu.descend(&config(b, 1, Precision::F32), 0..1)?;
        fixed = Some(FixedCosts { device_s, pipeline_s, first_dispatch_s: t.elapsed().as_secs_f64() });
        engines.push(Timed { name: "gpu", engine: Box::new(gpu), precision: Precision::F32, set: None });
    }
    engines.push(Timed {
        name: "cpu-f32",
        engine: Box::new(CpuEngine::new()),
        precision: Precision::F32,
        set: Some(best),
    });
    for set in InstructionSet::ALL.into_iter().rev().filter(|s| fast && s.available() && *s != best) {
        let name = match set {
            InstructionSet::Portable => "cpu-f32-portable",
            InstructionSet::Avx2 => "cpu-f32-avx2",
            InstructionSet::Avx512 => "cpu-f32-avx512",
        };
        engines.push(Timed { name, engine: Box::new(CpuEngine::on(set)), precision: Precision::F32, set: Some(set) });
    }
    engines.push(Timed { name: "cpu-f64", engine: Box::new(CpuEngine::new()), precision: Precision::F64, set: None });
    // The GPU is timed last, its rows shown first. Timed first, on lavapipe,
    // it left the CPU rows of a few milliseconds that followed it at half
    // speed (10,000 walkers: 1.2e9 walker-steps/s, against 2.3e9 alone).
    if engines[0].name == "gpu" {
        engines.rotate_left(1);
    }

    let mut rows = Vec::new();
    for Timed { name, engine, precision, set } in engines.iter_mut() {
        let mut throughput: Option<f64> = None;
        for &walkers in &b.walkers {
            if *precision == Precision::F64 && walkers > b.f64_max_walkers {
                notes.push(format!(
                    "{name} {}: skipped (the f64 reference runs up to {} walkers)",
                    thousands(walkers),
                    thousands(b.f64_max_walkers)
                ));
                continue;
            }
            let work = walkers as f64 * b.steps as f64;
            if let Some(rate) = throughput {
                let predicted = work / rate * (b.runs + 1) as f64;
                if predicted > b.max_seconds {
                    notes.push(format!(
                        "{name} {}: skipped (predicted {predicted:.0} s for {} runs, above --max-seconds {})",
                        thousands(walkers),
                        b.runs + 1,
                        b.max_seconds
                    ));
                    continue;
                }
            }
            let cfg = config(b, walkers, *precision);
            let (mut host_times, mut device_times) = (Vec::new(), Vec::new());
            for run in 0..=b.runs {
                progress.say(&format!("{name} {} walkers, run {run}/{}", thousands(walkers), b.runs));
                let t = Instant::now();
                let mut first = 0;
                let mut device = Some(0.0);
                while first < walkers {
                    let range = first..(first + engine.preferred_chunk()).min(walkers);
                    first = range.end;
                    std::hint::black_box(engine.descend(&cfg, range)?);
                    device = device.zip(engine.device_seconds()).map(|(a, b)| a + b);
                }
                if run > 0 {
                    host_times.push(t.elapsed().as_secs_f64());
                    device_times.extend(device);
                }
            }
            let (timer, in_order) = if device_times.len() == host_times.len() {
                ("gpu-timestamps", device_times.clone())
            } else {
                ("host-clock", host_times.clone())
            };
            let n = in_order.len() as f64;
            let mean_s = in_order.iter().sum::<f64>() / n;
            let stddev_s = if in_order.len() > 1 {
                (in_order.iter().map(|t| (t - mean_s).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
            } else {
                0.0
            };
            host_times.sort_by(f64::total_cmp);
            let mut sorted = in_order.clone();
            sorted.sort_by(f64::total_cmp);
            let times = &sorted;
            let median_s = median(times);
            let host_median_s = median(&host_times);
            throughput = Some(work / host_median_s);
            rows.push(Row {
                backend: name,
                instruction_set: set.map(InstructionSet::name),
                walkers,
                steps: b.steps,
                runs: b.runs,
                median_s,
                min_s: times[0],
                mean_s,
                stddev_s,
                times_s: in_order,
                walker_steps_per_s: work / median_s,
                timer,
                host_median_s,
            });
        }
    }
    progress.done();
    rows.sort_by_key(|row| row.backend != "gpu");
    let ratios = b
        .walkers
        .iter()
        .filter_map(|&w| {
            let find = |backend| rows.iter().find(|r| r.backend == backend && r.walkers == w);
            Some(Ratio { walkers: w, gpu_over_cpu: find("cpu-f32")?.median_s / find("gpu")?.median_s })
        })
        .collect();
    let timer = if rows.iter().any(|r| r.timer == "gpu-timestamps") {
        "gpu rows: GPU timestamp queries, from the first dispatch's start to the last one's end (the host \
         clock's figure, with start points and read-back, is in the host column); cpu rows: host clock"
    } else {
        "host clock around each descent (start points, all dispatches and the read-back included)"
    };
    Ok(BenchReport {
        version: env!("CARGO_PKG_VERSION"),
        surface: b.surface.name(),
        surface_text: b.surface.describe(),
        optimizer: b.optimizer,
        optimizer_params: b.optimizer.resolved(&b.optimizer_params),
        machine,
        timer: timer.to_string(),
        fixed_costs: fixed,
        rows,
        ratios,
        notes,
    })
}

fn config(b: &BenchConfig, walkers: u64, precision: Precision) -> Problem {
    Problem {
        walkers,
        steps: b.steps,
        tol: 0.0,
        precision,
        optimizer: b.optimizer,
        optimizer_params: b.optimizer_params.clone(),
        ..Problem::new(b.surface.clone())
    }
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 { sorted[n / 2] } else { 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]) }
}

/// The Markdown table (also what the console shows).
pub fn markdown(r: &BenchReport) -> String {
    let mut s = String::new();
    let m = &r.machine;
    s += &format!(
        "{} descent, optimizer {}, {} steps per walker, every step run (tol 0); median, min and mean ± σ of the \
         timed runs after one warm-up.\n\n",
        r.surface_text,
        match r.optimizer.describe(&r.optimizer_params).as_str() {
            "" => r.optimizer.name().to_string(),
            params => format!("{} ({params})", r.optimizer.name()),
        },
        r.rows.first().map_or(0, |row| row.steps)
    );
    s += &match m.instruction_set {
        "scalar" => {
            format!("- CPU: {}, {} threads, scalar engine (the fast one runs plain descent in 2-D)", m.cpu, m.threads)
        }
        set => format!("- CPU: {}, {} threads, fast engine on {set}", m.cpu, m.threads),
    };
    let mut narrower: Vec<&str> = r.rows.iter().map(|row| row.backend).filter(|b| b.starts_with("cpu-f32-")).collect();
    narrower.dedup();
    if !narrower.is_empty() {
        s += &format!(" (cpu-f32; {}: the same engine held to narrower instruction sets)", narrower.join(", "));
    }
    s += "\n";
    match (&m.adapter, &m.api) {
        (Some(a), Some(api)) => s += &format!("- GPU: {a} ({api})\n"),
        _ => s += "- GPU: none found\n",
    }
    s += &format!("- timer: {}\n", r.timer);
    if let Some(f) = r.fixed_costs {
        s += &format!(
            "- fixed GPU costs: device {:.3} s, pipeline {:.3} s, first dispatch {:.3} s\n",
            f.device_s, f.pipeline_s, f.first_dispatch_s
        );
    }
    s += "\n| backend | walkers | median (s) | min (s) | mean ± σ (s) | walker-steps/s | timer | host median (s) |\n\
          |---|---:|---:|---:|---:|---:|---|---:|\n";
    for row in &r.rows {
        s += &format!(
            "| {} | {} | {:.4} | {:.4} | {:.4} ± {:.4} | {:.3e} | {} | {:.4} |\n",
            row.backend,
            thousands(row.walkers),
            row.median_s,
            row.min_s,
            row.mean_s,
            row.stddev_s,
            row.walker_steps_per_s,
            row.timer,
            row.host_median_s
        );
    }
    if !r.ratios.is_empty() {
        s += "\n| walkers | GPU/CPU speed (cpu-f32 median / gpu median) |\n|---:|---:|\n";
        for ratio in &r.ratios {
            s += &format!("| {} | {:.2}x |\n", thousands(ratio.walkers), ratio.gpu_over_cpu);
        }
    }
    for note in &r.notes {
        s += &format!("\nnote: {note}");
    }
    if !r.notes.is_empty() {
        s += "\n";
    }
    s
}

impl Tabular for BenchReport {
    fn write_rows(&self, out: &mut csv::Writer<&mut dyn Write>) -> csv::Result<()> {
        // Every field but the list of times (the JSON has it), which a CSV
        // cell cannot hold.
        #[derive(Serialize)]
        struct CsvRow<'a> {
            backend: &'a str,
            instruction_set: Option<&'a str>,
            walkers: u64,
            steps: u32,
            runs: u32,
            median_s: f64,
            min_s: f64,
            mean_s: f64,
            stddev_s: f64,
            walker_steps_per_s: f64,
            timer: &'a str,
            host_median_s: f64,
        }
        self.rows.iter().try_for_each(|r| {
            out.serialize(CsvRow {
                backend: r.backend,
                instruction_set: r.instruction_set,
                walkers: r.walkers,
                steps: r.steps,
                runs: r.runs,
                median_s: r.median_s,
                min_s: r.min_s,
                mean_s: r.mean_s,
                stddev_s: r.stddev_s,
                walker_steps_per_s: r.walker_steps_per_s,
                timer: r.timer,
                host_median_s: r.host_median_s,
            })
        })
    }
}

impl Exporter<BenchReport> for Markdown {
    fn export(&self, report: &BenchReport, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(markdown(report).as_bytes())
    }
}
