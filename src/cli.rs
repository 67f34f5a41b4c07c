//! Command-line arguments (clap derive), turned into a validated RunConfig.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{self, Backend, Optimizer, Outputs, Precision, Region, RunConfig, Starts};
use crate::error::{Result, input};
use crate::surface::Surface;

#[derive(Debug, Parser)]
#[command(
    name = "multistart",
    version,
    about = "Runs many gradient-descent walkers on a surface at once (GPU or CPU), groups their endpoints into basins, and reports how often each minimum was reached.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the GPU adapters wgpu can see, with the limits that bound a chunk.
    Devices,
    /// Time the descent on the GPU, the fast CPU engine and the f64 reference.
    Bench(BenchArgs),
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Walker counts to time, comma-separated.
    #[arg(long, value_delimiter = ',', value_parser = config::parse_count, default_value = "1e3,1e4,1e5,1e6,1e7")]
    pub walkers: Vec<u64>,
    /// Steps per walker (every step runs: tol 0).
    #[arg(long, default_value_t = 1000)]
    pub steps: u32,
    /// Timed runs per size, after one warm-up.
    #[arg(long, default_value_t = 5)]
    pub runs: u32,
    /// Skip a size whose runs are predicted to take longer than this, in seconds.
    #[arg(long, default_value_t = 120.0, allow_hyphen_values = true)]
    pub max_seconds: f64,
    /// Largest walker count for the f64 reference.
    #[arg(long, value_parser = config::parse_count, default_value = "1e5")]
    pub f64_max_walkers: u64,
    /// GPU adapter whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    pub adapter: Option<String>,
    /// Write the results as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the rows as CSV.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Write the tables as Markdown.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

impl BenchArgs {
    pub fn into_config(self) -> Result<crate::bench::BenchConfig> {
        crate::bench::BenchConfig {
            surface: Surface::Peaks,
            walkers: self.walkers,
            steps: self.steps,
            runs: self.runs,
            max_seconds: self.max_seconds,
            f64_max_walkers: self.f64_max_walkers,
            adapter: self.adapter,
            json: self.json,
            csv: self.csv,
            markdown: self.markdown,
        }
        .validate()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StartsKind {
    /// Hashed uniform points in the region, reproducible from --seed.
    Uniform,
    /// Cell centres of a lattice (--grid WxH, or the nearest square to --walkers).
    Grid,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Surface to descend.
    #[arg(long, value_enum, default_value_t = Surface::Peaks)]
    pub surface: Surface,
    /// Number of walkers (100000, 100_000 and 1e5 all work) [default: 100000].
    #[arg(long, value_parser = config::parse_count)]
    pub walkers: Option<u64>,
    /// Gradient steps per walker (the budget).
    #[arg(long, default_value_t = 1000)]
    pub steps: u32,
    /// Learning rate: p <- p - lr * grad f(p).
    #[arg(long, default_value_t = 0.01, allow_hyphen_values = true)]
    pub lr: f64,
    /// A walker stops early when |grad f| < tol; 0 runs every step.
    #[arg(long, default_value_t = 1e-4, allow_hyphen_values = true)]
    pub tol: f64,
    /// Seed of the uniform starts: the same seed gives the same table.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Start region XMIN,XMAX,YMIN,YMAX [default: the surface's, [-2,2]^2 for peaks].
    #[arg(long, allow_hyphen_values = true, value_name = "XMIN,XMAX,YMIN,YMAX")]
    pub region: Option<String>,
    /// How starts are placed in the region.
    #[arg(long, value_enum, default_value_t = StartsKind::Uniform)]
    pub starts: StartsKind,
    /// Lattice for grid starts, such as 800x800 (implies --starts grid).
    #[arg(long, value_name = "WxH")]
    pub grid: Option<String>,
    /// One walker from this point.
    #[arg(long, allow_hyphen_values = true, value_name = "X,Y", conflicts_with_all = ["walkers", "grid", "starts_file"])]
    pub start: Option<String>,
    /// Start points from a CSV file with header x,y (one walker per row).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["walkers", "grid"])]
    pub starts_file: Option<PathBuf>,
    /// f32 is the GPU's arithmetic (mirrored on the CPU); f64 is the CPU reference.
    #[arg(long, value_enum, default_value_t = Precision::F32)]
    pub precision: Precision,
    #[arg(long, value_enum, default_value_t = Optimizer::Gd)]
    pub optimizer: Optimizer,
    /// auto: a hardware GPU if there is one, else the CPU engine.
    #[arg(long, value_enum, default_value_t = Backend::Auto)]
    pub backend: Backend,
    /// GPU adapter whose name contains this text (see `multistart devices`).
    #[arg(long, value_name = "TEXT")]
    pub adapter: Option<String>,
    /// Escape bound: a walker this many region half-widths from the centre has escaped.
    #[arg(long, default_value_t = 10.0, allow_hyphen_values = true)]
    pub bound: f64,
    /// Cell size for grouping endpoints into basins.
    #[arg(long, default_value_t = 1e-2, allow_hyphen_values = true)]
    pub cluster_radius: f64,
    /// Walkers per chunk [default: chosen by the engine].
    #[arg(long, value_parser = config::parse_count)]
    pub chunk: Option<u64>,
    /// Most steps in one GPU dispatch.
    #[arg(long, default_value_t = 250)]
    pub steps_per_dispatch: u32,
    /// Write the report as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the basin table as CSV.
    #[arg(long, value_name = "FILE")]
    pub csv_basins: Option<PathBuf>,
    /// Write one CSV row per walker.
    #[arg(long, value_name = "FILE")]
    pub csv_endpoints: Option<PathBuf>,
}

impl RunArgs {
    /// Plain arguments -> validated configuration. Reads the starts file.
    pub fn into_config(self) -> Result<RunConfig> {
        let mut c = RunConfig::new(self.surface);
        if let Some(text) = &self.region {
            let [x0, x1, y0, y1] = config::parse_numbers::<4>("--region", text)?;
            c.region = Region { x: [x0, x1], y: [y0, y1] };
        }
        c.walkers = self.walkers.unwrap_or(c.walkers);
        c.steps = self.steps;
        c.lr = self.lr;
        c.tol = self.tol;
        c.seed = self.seed;
        c.precision = self.precision;
        c.optimizer = self.optimizer;
        c.backend = self.backend;
        c.adapter = self.adapter;
        c.bound = self.bound;
        c.cluster_radius = self.cluster_radius;
        c.chunk = self.chunk;
        c.steps_per_dispatch = self.steps_per_dispatch;
        c.outputs = Outputs { json: self.json, csv_basins: self.csv_basins, csv_endpoints: self.csv_endpoints };
        c.starts = if let Some(text) = &self.start {
            let [x, y] = config::parse_numbers::<2>("--start", text)?;
            c.walkers = 1;
            Starts::Points { source: format!("start {x},{y}"), points: vec![[x, y]] }
        } else if let Some(path) = &self.starts_file {
            if self.starts == StartsKind::Grid {
                return Err(input("--starts-file and --starts grid exclude each other"));
            }
            let starts = config::starts_from_file(path)?;
            if let Starts::Points { points, .. } = &starts {
                c.walkers = points.len() as u64;
            }
            starts
        } else if let Some(text) = &self.grid {
            let (cols, rows) = config::parse_grid(text)?;
            let cells = cols as u64 * rows as u64;
            if self.walkers.is_some_and(|w| w != cells) {
                return Err(input(format!("--grid {text} gives {cells} walkers, but --walkers says {}", c.walkers)));
            }
            c.walkers = cells;
            Starts::Grid { cols, rows }
        } else if self.starts == StartsKind::Grid {
            let (cols, rows) = config::nearest_square(c.walkers);
            c.walkers = cols as u64 * rows as u64;
            Starts::Grid { cols, rows }
        } else {
            Starts::Uniform
        };
        c.validate()
    }
}
