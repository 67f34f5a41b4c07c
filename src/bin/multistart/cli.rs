//! Command-line arguments (clap derive), turned into a validated RunConfig.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{self, Outputs, RunConfig};
use multistart::error::{Result, input};
use multistart::optim::{self, OptimizerParams};
use multistart::plan::{Backend, Plan};
use multistart::problem::{Optimizer, Precision, Problem, Region, Starts};
use multistart::report::SweepValue;
use multistart::surface::Surface;
use multistart::trajectories::TrajectorySpec;

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
    /// List the built-in surfaces, with their default regions and known minima.
    Surfaces,
    /// Time the descent on the GPU, the fast CPU engine and the f64 reference.
    Bench(BenchArgs),
    /// Colour each start of a grid by the basin its walker reaches, as a PNG.
    Map(MapArgs),
    /// Find every critical point in the region with Newton's method.
    Critical(CriticalArgs),
    /// Run the same starts for several values of one parameter.
    Sweep(SweepArgs),
    /// Combine the JSON reports of shards (--shard K/N) into the single run's.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// JSON reports written with --json, one per shard.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Write the merged report as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the merged basin table as CSV.
    #[arg(long, value_name = "FILE")]
    pub csv_basins: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MapArgs {
    /// Starts grid, one walker per pixel: the PNG's size.
    #[arg(long, default_value = "800x800", value_name = "WxH")]
    pub size: String,
    /// Write the map as PNG.
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
}

impl MapArgs {
    /// The run behind the map: grid starts of the asked size.
    pub fn into_config(self) -> Result<RunConfig> {
        let r = &self.run;
        if r.walkers.is_some()
            || r.grid.is_some()
            || r.start.is_some()
            || r.starts_file.is_some()
            || r.starts != StartsKind::Uniform
        {
            return Err(input(
                "map places one walker per pixel: use --size WxH, not --walkers, --grid, --start or --starts",
            ));
        }
        if r.shard.is_some() {
            return Err(input("map draws every pixel of its grid in one run: --shard is for plain runs and merge"));
        }
        let (cols, rows) = config::parse_grid(&self.size).map_err(|_| {
            input(format!("--size {}: expected WxH with whole numbers of at least 1, such as 800x800", self.size))
        })?;
        if cols < 16 || rows < 16 || cols > 8192 || rows > 8192 {
            return Err(input(format!("--size {}: expected 16 to 8192 pixels each way", self.size)));
        }
        let png = self.png;
        let mut run = self.run;
        run.grid = Some(format!("{cols}x{rows}"));
        let mut c = run.into_config()?;
        c.outputs.png = png;
        c.outputs.check()?;
        Ok(c)
    }
}

#[derive(Debug, Args)]
pub struct CriticalArgs {
    #[command(flatten)]
    pub surface: SurfaceArgs,
    /// Region to search XMIN,XMAX,YMIN,YMAX [default: the surface's].
    #[arg(long, allow_hyphen_values = true, value_name = "XMIN,XMAX,YMIN,YMAX")]
    pub region: Option<String>,
    /// Newton starts per side of the search grid: N, or NxN as the run's --grid.
    #[arg(long, value_parser = config::parse_square_side, default_value_t = multistart::critical::DEFAULT_GRID)]
    pub grid: u32,
    /// Write the points as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the points as CSV.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
}

impl CriticalArgs {
    /// The surface and the region to search, checked.
    pub fn resolve(&self) -> Result<(Surface, Region)> {
        let surface = self.surface.surface()?;
        if surface.dim() != 2 {
            return Err(input(format!(
                "critical searches a plane; {} is {}-dimensional",
                surface.describe(),
                surface.dim()
            )));
        }
        let region = match &self.region {
            Some(text) => Region::parse(text, 2)?,
            None => surface.default_region(),
        };
        // The run's checks, applied to this region.
        Problem { region: region.clone(), ..Problem::new(surface.clone()) }.validate()?;
        if !(4..=1024).contains(&self.grid) {
            return Err(input(format!("--grid {}: expected 4 to 1024 starts per side", self.grid)));
        }
        multistart::output::check_named(&[("--json", &self.json), ("--csv", &self.csv)], &[])?;
        Ok((surface, region))
    }
}

/// What `sweep --param` varies: a run's own setting, a choice (the
/// optimizer, the surface), a parameter of an optimizer (any name `--help`
/// lists as a flag, such as beta or rho), or a named parameter of the
/// formula (`--expr "x^4 - a*x^2" --param a`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SweepParam {
    Lr,
    Steps,
    Tol,
    Seed,
    Optimizer,
    Surface,
    /// An optimizer's parameter, by the name its flag has.
    OptimizerParam(&'static str),
    /// A name of the `--expr` formula, which `--set` may also give.
    Formula(String),
}

impl SweepParam {
    /// The name `--param` takes (and the sweep's JSON stores).
    pub fn name(&self) -> &str {
        match self {
            SweepParam::Lr => "lr",
            SweepParam::Steps => "steps",
            SweepParam::Tol => "tol",
            SweepParam::Seed => "seed",
            SweepParam::Optimizer => "optimizer",
            SweepParam::Surface => "surface",
            SweepParam::OptimizerParam(name) => name,
            SweepParam::Formula(name) => name,
        }
    }

    fn all() -> Vec<SweepParam> {
        use SweepParam as P;
        let own = [P::Lr, P::Steps, P::Tol, P::Seed, P::Optimizer, P::Surface];
        own.into_iter().chain(optim::param_names().into_iter().map(SweepParam::OptimizerParam)).collect()
    }

    /// `--param`'s parser: the run's and optimizers' names in any case;
    /// any other name is the formula's (checked against it in
    /// `into_configs`, where the formula is known).
    fn parse(text: &str) -> Result<SweepParam, String> {
        if let Some(p) = SweepParam::all().into_iter().find(|p| p.name().eq_ignore_ascii_case(text)) {
            return Ok(p);
        }
        if text.chars().next().is_some_and(char::is_alphabetic) && text.chars().all(|c| c.is_alphanumeric() || c == '_')
        {
            return Ok(SweepParam::Formula(text.to_string()));
        }
        let all = SweepParam::all();
        let names: Vec<&str> = all.iter().map(|p| p.name()).collect();
        Err(format!(
            "{} is not one of {}, nor a name of the formula",
            multistart::error::quoted(text),
            names.join(", ")
        ))
    }

    /// Whether its values are names or whole numbers, not a numeric list.
    fn takes_a_list(&self) -> bool {
        matches!(self, SweepParam::Seed | SweepParam::Optimizer | SweepParam::Surface)
    }
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The parameter to vary: lr, steps, tol, a parameter of the optimizer, or a
    /// named parameter of the --expr formula (--set gives its value elsewhere).
    #[arg(long, value_parser = SweepParam::parse)]
    pub param: SweepParam,
    /// Its values, comma-separated: numbers, A:B:STEP (both ends included),
    /// or A..B with --log N (N values spaced evenly in log).
    #[arg(long, value_delimiter = ',', required = true, allow_hyphen_values = true)]
    pub values: Vec<String>,
    /// How many values a span A..B of --values gives, spaced evenly in log.
    #[arg(long, value_parser = config::parse_steps, value_name = "N")]
    pub log: Option<u32>,
    /// Draw share against value as PNG.
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
    /// Write one CSV row per value and class.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// The run's options; --json writes {param, values, runs}.
    #[command(flatten)]
    pub run: RunArgs,
}

impl SweepArgs {
    /// One validated configuration per value, from the same starts.
    pub fn into_configs(self) -> Result<Vec<(SweepValue, RunConfig)>> {
        if self.run.csv_basins.is_some() || self.run.csv_endpoints.is_some() || self.run.trajectories.is_some() {
            return Err(input(
                "sweep writes --json, --csv and --png; --csv-basins, --csv-endpoints and --trajectories belong to single runs",
            ));
        }
        if self.run.shard.is_some() {
            return Err(input("sweep runs every walker for each value: --shard is for plain runs and merge"));
        }
        if self.param == SweepParam::Surface && self.run.surface.expr.is_some() {
            return Err(input("--param surface varies the built-in surface; --expr gives one of your own"));
        }
        if self.log.is_some() && self.param.takes_a_list() {
            return Err(input(format!("--log spaces numbers; --param {} takes a list", self.param.name())));
        }
        let (png, csv) = (self.png, self.csv);
        let numbers =
            if self.param.takes_a_list() { Vec::new() } else { config::parse_values(&self.values, self.log)? };
        let run_args = self.run.clone();
        let mut run = self.run;
        // An optimizer sweep gives each optimizer the flags it uses, below.
        let given = std::mem::take(&mut run.optimizer_params.0);
        if self.param != SweepParam::Optimizer {
            run.optimizer_params.0 = given.clone();
        }
        if let SweepParam::Formula(name) = &self.param {
            if run.surface.expr.is_none() {
                return Err(input(format!(
                    "--param {}: not lr, steps, tol or an optimizer's parameter; a formula's parameter needs --expr",
                    multistart::error::quoted(name)
                )));
            }
            // The swept name needs no --set: the first value stands in
            // while the base run is checked.
            if !run.surface.set.iter().any(|(n, _)| n == name) {
                run.surface.set.push((name.clone(), numbers[0]));
            }
        }
        let mut base = run.into_config()?;
        base.outputs.png = png;
        base.outputs.csv_basins = csv;
        multistart::output::check_named(
            &[("--json", &base.outputs.json), ("--csv", &base.outputs.csv_basins), ("--png", &base.outputs.png)],
            &base.outputs.inputs,
        )?;
        let names = self.values.iter().map(|v| v.trim().to_string());
        let configs: Vec<(SweepValue, RunConfig)> = match &self.param {
            SweepParam::Optimizer => {
                let mut used = vec![false; given.iter().count()];
                let runs = names
                    .map(|name| {
                        let optimizer = Optimizer::from_name(&name).ok_or_else(|| {
                            let names: Vec<&str> = Optimizer::ALL.iter().map(|o| o.name()).collect();
                            input(format!("--values: unknown optimizer {name:?}: expected {}", names.join(", ")))
                        })?;
                        // Each optimizer takes the flags it uses.
                        let mut c = base.clone();
                        c.problem.optimizer = optimizer;
                        c.problem.optimizer_params = OptimizerParams::new();
                        for (k, (param, v)) in given.iter().enumerate() {
                            if optimizer.uses(param) {
                                c.problem.optimizer_params.set(param, v)?;
                                used[k] = true;
                            }
                        }
                        Ok((SweepValue::Name(optimizer.name().into()), c.validate()?))
                    })
                    .collect::<Result<Vec<_>>>()?;
                if let Some(k) = used.iter().position(|u| !u) {
                    let (param, v) = given.iter().nth(k).expect("a given parameter");
                    return Err(input(format!(
                        "--{param} {}: none of the optimizers swept uses it",
                        multistart::error::number(v)
                    )));
                }
                runs
            }
            SweepParam::Surface => names
                .map(|name| {
                    let mut args = run_args.clone();
                    args.surface.surface = Surface::from_name(&name).map_err(|e| input(format!("--values: {e}")))?;
                    let mut c = args.into_config()?;
                    c.outputs = base.outputs.clone();
                    Ok((SweepValue::Name(c.problem.surface.name().into()), c.validate()?))
                })
                .collect::<Result<_>>()?,
            SweepParam::Seed => names
                .map(|text| {
                    let seed = config::parse_count(&text).map_err(|e| input(format!("--values: seed {e}")))?;
                    let mut c = base.clone();
                    c.problem.seed = seed;
                    Ok((SweepValue::Number(seed as f64), c.validate()?))
                })
                .collect::<Result<_>>()?,
            param => numbers
                .into_iter()
                .map(|v| {
                    let mut c = base.clone();
                    let p = &mut c.problem;
                    match param {
                        SweepParam::Lr => p.lr = v,
                        SweepParam::Tol => p.tol = v,
                        &SweepParam::OptimizerParam(name) => {
                            if !p.optimizer.uses(name) {
                                return Err(input(format!(
                                    "--param {name}: --optimizer {} does not use it",
                                    p.optimizer.name()
                                )));
                            }
                            p.optimizer_params.set(name, v)?
                        }
                        SweepParam::Formula(name) => {
                            p.surface =
                                p.surface.with_param(name, v).map_err(|e| input(format!("--param {name}: {e}")))?
                        }
                        SweepParam::Steps => {
                            if !(v >= 1.0 && v.fract() == 0.0 && v <= u32::MAX as f64) {
                                return Err(input(format!("--values: steps {v} is not a whole number of at least 1")));
                            }
                            p.steps = v as u32;
                        }
                        SweepParam::Seed | SweepParam::Optimizer | SweepParam::Surface => unreachable!("above"),
                    }
                    Ok((SweepValue::Number(v), c.validate()?))
                })
                .collect::<Result<_>>()?,
        };
        Ok(configs)
    }
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Walker counts to time, comma-separated.
    #[arg(long, value_delimiter = ',', value_parser = config::parse_count, default_value = "1e3,1e4,1e5,1e6,1e7")]
    pub walkers: Vec<u64>,
    /// Steps per walker (every step runs: tol 0).
    #[arg(long, value_parser = config::parse_steps, default_value_t = 1000)]
    pub steps: u32,
    /// Timed runs per size, after one warm-up.
    #[arg(long, value_parser = config::parse_steps, default_value_t = 5)]
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
    /// The surface to descend (any 2-D one runs on the fast CPU engine).
    #[command(flatten)]
    pub surface: SurfaceArgs,
    /// The update rule timed (plain gradient descent runs on the fast CPU engine).
    #[arg(long, value_enum, ignore_case = true, default_value_t = Optimizer::Gd)]
    pub optimizer: Optimizer,
    /// The optimizer's parameters.
    #[command(flatten)]
    pub optimizer_params: OptimizerFlags,
    /// CPU threads for the CPU engines [default: one per core].
    #[arg(long, value_parser = config::parse_steps, value_name = "N")]
    pub threads: Option<u32>,
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
    pub fn into_config(self) -> Result<multistart::bench::BenchConfig> {
        multistart::bench::BenchConfig {
            surface: self.surface.surface()?,
            optimizer: self.optimizer,
            optimizer_params: self.optimizer_params.0,
            threads: self.threads.map(|n| n as usize),
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

/// `--surface NAME` or `--expr FORMULA`, and `--dim`.
#[derive(Clone, Debug, Args)]
pub struct SurfaceArgs {
    /// Built-in surface (see `multistart surfaces`).
    #[arg(long, default_value = "peaks", value_parser = Surface::from_name, conflicts_with = "expr")]
    pub surface: Surface,
    /// Your own surface: a formula in x and y (z for 3-D, or x1..xD) with + - * / ^ (or **),
    /// pi, e, exp, exp2, log, log2, log10, sqrt, abs, sin, cos, tan, asin, acos, atan, sinh,
    /// cosh, tanh, atan2(y, x), min(a, b), max(a, b), pow(a, b), such as "x^2 + 3*sin(y)".
    #[arg(long, value_name = "FORMULA", allow_hyphen_values = true)]
    pub expr: Option<String>,
    /// A value for a name of the formula that is not a variable, a constant or a
    /// function: --set a=2 (repeat it, or a=2,b=3).
    #[arg(long, value_name = "NAME=VALUE", value_delimiter = ',', value_parser = config::parse_assignment,
          requires = "expr", allow_hyphen_values = true)]
    pub set: Vec<(String, f64)>,
    /// Dimensions, for rosenbrock, rastrigin, ackley and formulas in x1..xD [default: 2, or the formula's].
    #[arg(long, value_name = "D")]
    pub dim: Option<usize>,
}

impl SurfaceArgs {
    /// The surface asked for; a formula is parsed and differentiated here.
    pub fn surface(&self) -> Result<Surface> {
        let surface = match &self.expr {
            Some(text) => {
                let mut params = multistart::surface::formula::Params::new();
                for (name, value) in &self.set {
                    if params.insert(name.clone(), *value).is_some() {
                        return Err(input(format!("--set {}: given twice", multistart::error::quoted(name))));
                    }
                }
                Surface::formula_with(text, &params)
                    .map_err(|e| input(format!("--expr {}: {e}", multistart::error::quoted(text))))?
            }
            None => self.surface.clone(),
        };
        match self.dim {
            Some(dim) => surface.with_dim(dim).map_err(input),
            None => Ok(surface),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StartsKind {
    /// Hashed uniform points in the region, reproducible from --seed.
    Uniform,
    /// Cell centres of a lattice (--grid WxH, or the nearest square to --walkers).
    Grid,
}

#[derive(Clone, Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub surface: SurfaceArgs,
    /// Number of walkers (100000, 100_000 and 1e5 all work) [default: 100000].
    #[arg(long, value_parser = config::parse_count)]
    pub walkers: Option<u64>,
    /// Gradient steps per walker (the budget).
    #[arg(long, value_parser = config::parse_steps, default_value_t = 1000)]
    pub steps: u32,
    /// Learning rate [default: the surface's: 0.01, 0.002 for rastrigin, 0.001 for rosenbrock].
    #[arg(long, allow_hyphen_values = true)]
    pub lr: Option<f64>,
    /// A walker stops early when |grad f| < tol; 0 runs every step.
    #[arg(long, default_value_t = 1e-4, allow_hyphen_values = true)]
    pub tol: f64,
    /// Seed of the uniform starts: the same seed gives the same table.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Start region XMIN,XMAX,YMIN,YMAX (in D dimensions 2D numbers, or LO,HI for every axis) [default: the surface's].
    #[arg(long, allow_hyphen_values = true, value_name = "XMIN,XMAX,YMIN,YMAX")]
    pub region: Option<String>,
    /// How starts are placed in the region.
    #[arg(long, value_enum, ignore_case = true, default_value_t = StartsKind::Uniform)]
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
    #[arg(long, value_enum, ignore_case = true, default_value_t = Precision::F32)]
    pub precision: Precision,
    #[arg(long, value_enum, ignore_case = true, default_value_t = Optimizer::Gd)]
    pub optimizer: Optimizer,
    /// The optimizer's parameters, one flag per name (from src/optim/).
    #[command(flatten)]
    pub optimizer_params: OptimizerFlags,
    /// auto: a hardware GPU if there is one, else the CPU engine.
    #[arg(long, value_enum, ignore_case = true, default_value_t = Backend::Auto)]
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
    /// |grad f| below which a walker still moving when the steps run out
    /// counts as settled [default: --tol, or 1e-4 with --tol 0].
    #[arg(long, allow_hyphen_values = true, value_name = "X")]
    pub settle_tol: Option<f64>,
    /// Walkers per chunk [default: chosen by the engine].
    #[arg(long, value_parser = config::parse_count)]
    pub chunk: Option<u64>,
    /// Most steps in one GPU dispatch.
    #[arg(long, value_parser = config::parse_steps, default_value_t = 250)]
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
    /// Record the paths of the first K walkers (or those of --walker-ids).
    #[arg(long, value_parser = config::parse_count, value_name = "K")]
    pub trajectories: Option<u64>,
    /// Walkers whose paths to record, comma-separated indices.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub walker_ids: Vec<u64>,
    /// Record a trajectory point every M steps.
    #[arg(long, value_parser = config::parse_steps, default_value_t = 10, value_name = "M")]
    pub every: u32,
    /// Write the recorded paths as CSV: walker, step, x, y, f.
    #[arg(long, value_name = "FILE")]
    pub csv_trajectories: Option<PathBuf>,
    /// No progress bar and no notices on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Run shard K of N of the same seeded run (walkers [K*W/N, (K+1)*W/N)); combine with `merge`.
    #[arg(long, value_name = "K/N", value_parser = config::parse_shard)]
    pub shard: Option<(u64, u64)>,
}

impl RunArgs {
    /// Plain arguments -> validated configuration. Reads the starts file.
    pub fn into_config(self) -> Result<RunConfig> {
        let mut c = RunConfig::new(self.surface.surface()?);
        let p = &mut c.problem;
        if let Some(text) = &self.region {
            p.region = Region::parse(text, p.surface.dim())?;
        }
        p.walkers = self.walkers.unwrap_or(p.walkers);
        p.steps = self.steps;
        p.lr = self.lr.unwrap_or(p.lr);
        p.tol = self.tol;
        p.seed = self.seed;
        p.precision = self.precision;
        p.optimizer = self.optimizer;
        p.optimizer_params = self.optimizer_params.0.clone();
        p.bound = self.bound;
        p.cluster_radius = self.cluster_radius;
        p.settle_tol = self.settle_tol;
        if self.adapter.is_some() && self.backend == Backend::Cpu {
            return Err(input("--adapter chooses a GPU adapter; --backend cpu uses none"));
        }
        c.plan = Plan {
            backend: self.backend,
            adapter: self.adapter.clone(),
            chunk: self.chunk,
            steps_per_dispatch: self.steps_per_dispatch,
            shard: self.shard,
        };
        c.quiet = self.quiet;
        c.outputs = Outputs {
            json: self.json,
            csv_basins: self.csv_basins,
            csv_endpoints: self.csv_endpoints,
            csv_trajectories: self.csv_trajectories,
            png: None,
            inputs: self.starts_file.iter().cloned().collect(),
        };
        let p = &mut c.problem;
        p.starts = if let Some(text) = &self.start {
            let point = config::parse_point("--start", text, p.surface.dim())?;
            p.walkers = 1;
            Starts::Points { source: format!("start {text}"), points: vec![point] }
        } else if let Some(path) = &self.starts_file {
            if self.starts == StartsKind::Grid {
                return Err(input("--starts-file and --starts grid exclude each other"));
            }
            let points = multistart::starts::read_starts_file(path)?;
            p.walkers = points.len() as u64;
            Starts::Points { source: format!("file {}", path.display()), points }
        } else if let Some(text) = &self.grid {
            let (cols, rows) = config::parse_grid(text)?;
            let cells = cols as u64 * rows as u64;
            if self.walkers.is_some_and(|w| w != cells) {
                return Err(input(format!("--grid {text} gives {cells} walkers, but --walkers says {}", p.walkers)));
            }
            p.walkers = cells;
            Starts::Grid { cols, rows }
        } else if self.starts == StartsKind::Grid {
            let (cols, rows) = config::nearest_square(p.walkers);
            p.walkers = cols as u64 * rows as u64;
            Starts::Grid { cols, rows }
        } else {
            Starts::Uniform
        };
        let walkers = p.walkers;
        // After the starts, which may set the walker count: the first K
        // walkers are listed only once K is known to be small enough.
        if self.trajectories.is_some() && !self.walker_ids.is_empty() {
            return Err(input("--trajectories K and --walker-ids LIST both choose the walkers to follow: give one"));
        }
        c.trajectories = match (self.trajectories, self.walker_ids.is_empty()) {
            (None, true) => None,
            (Some(k), true) => {
                if k > walkers.min(config::MAX_TRAJECTORIES) {
                    return Err(input(format!(
                        "--trajectories {k}: expected 1 to {} (the walkers, at most {})",
                        walkers.min(config::MAX_TRAJECTORIES),
                        config::MAX_TRAJECTORIES
                    )));
                }
                Some(TrajectorySpec { walkers: (0..k).collect(), every: self.every })
            }
            (_, false) => Some(TrajectorySpec { walkers: self.walker_ids.clone(), every: self.every }),
        };
        c.validate()
    }
}

/// The flags of every optimizer's parameters (`--beta`, `--rho`, ...), made
/// from the registry in src/optim/ so a new optimizer's parameters need no
/// edit here. Whether the chosen optimizer uses one is checked with the
/// problem.
#[derive(Clone, Debug, Default)]
pub struct OptimizerFlags(OptimizerParams);

impl clap::FromArgMatches for OptimizerFlags {
    fn from_arg_matches(matches: &clap::ArgMatches) -> std::result::Result<Self, clap::Error> {
        let mut params = OptimizerParams::new();
        for name in optim::param_names() {
            if let Some(&v) = matches.get_one::<f64>(name) {
                params.set(name, v).expect("a registry name");
            }
        }
        Ok(OptimizerFlags(params))
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> std::result::Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for OptimizerFlags {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        optim::param_names().into_iter().fold(cmd, |cmd, name| {
            cmd.arg(
                clap::Arg::new(name)
                    .long(name)
                    // A few bytes per flag, once per command built.
                    .value_name(&*Box::leak(name.to_uppercase().into_boxed_str()))
                    .value_parser(clap::value_parser!(f64))
                    .allow_hyphen_values(true)
                    .help(optim::param_help(name)),
            )
        })
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}
