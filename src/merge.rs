//! `multistart merge`'s reading side: shard reports are untrusted input.
//!
//! Each file is read with a size bound, parsed with serde_json's recursion
//! limit, and every value is checked before it is used: the version, the
//! stored configuration (rebuilt into a `Problem` and `Plan` and validated as the
//! command line would), and the summary (lengths against `dim`, counts
//! against the shard's walkers, histograms against `steps`). A file that
//! fails gets one line naming the file and the JSON key; nothing panics or
//! overflows, and memory stays within a small multiple of the bytes read
//! (lists of coordinates are refused while they are read past `MAX_DIM`).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::basins::Summary;
use crate::engine;
use crate::error::{Error, Result, number, quoted};
use crate::optim::{Optimizer, OptimizerParams};
use crate::plan::Plan;
use crate::problem::{Problem, Region, Starts};
use crate::report::{ConfigJson, Report};
use crate::surface::formula::Params;
use crate::surface::{Kind, MAX_DIM, Surface};

/// Largest shard report `merge` reads. A report holds each basin twice
/// (the table's row and the summary's exact counts), pretty-printed: about
/// 1.2 KB per basin, measured on Rastrigin 5-D, where 100,000 walkers reach
/// 72,000 basins and write 88 MB. 1 GiB holds some 850,000 basins in one
/// shard (shard a larger run more finely), and bounds what a tampered or
/// endless input (`/dev/zero`, a FIFO) makes `merge` read. The text is
/// parsed as it is read, never held whole, and the table's rows are
/// skipped: a real report takes about a third of its size in memory, a
/// tampered one of minimal basins a few times its size at most.
pub const MAX_REPORT_BYTES: u64 = 1 << 30;

/// The report versions this build merges: its own (reports of another
/// version may count differently, so their merge would not be exactly a
/// single run's). A report without a version is taken as this one's.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Longest device name or API text accepted (adapter names are short).
const MAX_DEVICE_TEXT: usize = 256;

/// What `merge` reads of each shard's JSON report.
#[derive(serde::Deserialize)]
pub(crate) struct ShardReport {
    #[serde(default)]
    version: Option<String>,
    surface: String,
    #[serde(with = "StoredConfig")]
    config: ConfigJson,
    device: DeviceJson,
    partial: bool,
    timing: crate::pipeline::Timing,
    walker_steps_per_s: f64,
    shard: Option<[u64; 2]>,
    summary: Summary,
}

/// `ConfigJson` as `merge` reads it: the same keys and defaults (the
/// compiler holds the two to the same fields), with `region` refused past
/// the most axes a surface has while it is read.
#[derive(serde::Deserialize)]
#[serde(remote = "ConfigJson")]
struct StoredConfig {
    walkers: u64,
    steps: u32,
    lr: f64,
    tol: f64,
    seed: u64,
    #[serde(deserialize_with = "crate::basins::at_most::<_, { 2 * MAX_DIM }>")]
    region: Vec<f64>,
    #[serde(default = "two")]
    dim: usize,
    starts: String,
    precision: crate::problem::Precision,
    optimizer: Optimizer,
    #[serde(default)]
    optimizer_params: OptimizerParams,
    backend: crate::plan::Backend,
    bound: f64,
    cluster_radius: f64,
    #[serde(default)]
    settle_tol: Option<f64>,
    #[serde(default)]
    expr: Option<String>,
    #[serde(default)]
    params: Params,
}

fn two() -> usize {
    2
}

#[derive(serde::Deserialize)]
struct DeviceJson {
    backend: String,
    name: String,
    api: String,
}

/// A shard report read and checked on its own, with the surface it names.
pub(crate) struct Shard {
    path: PathBuf,
    report: ShardReport,
    surface: Surface,
    /// [K, N].
    index: [u64; 2],
}

fn bad(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::Input(format!("{}: {why}", quoted(path)))
}

/// `text` on one line (control characters escaped) and cut to
/// `MAX_QUOTED_CHARS` characters: for messages of other parts, such as
/// serde's or the formula parser's, that may echo user text.
fn clip(text: &str) -> String {
    let max = crate::error::MAX_QUOTED_CHARS;
    // serde's messages quote what the file held (an unknown variant's name).
    let text = crate::error::one_line(text);
    let total = text.chars().count();
    if total <= max {
        return text.to_string();
    }
    format!("{}... ({} more characters)", text.chars().take(max).collect::<String>(), total - max)
}

/// Reads, parses and checks the shard report at `path`, refused past
/// `MAX_REPORT_BYTES` (a file, a device or a pipe alike: the bound is on the
/// bytes read, not on what the file system says).
pub(crate) fn read_shard_file(path: &Path) -> Result<Shard> {
    let file = std::fs::File::open(path).map_err(|e| bad(path, e))?;
    let meta = file.metadata().map_err(|e| bad(path, e))?;
    if meta.is_dir() {
        return Err(bad(path, "is a folder, not a JSON report"));
    }
    if meta.is_file() && meta.len() > MAX_REPORT_BYTES {
        return Err(too_large(path));
    }
    let mut reader = std::io::BufReader::new(file.take(MAX_REPORT_BYTES + 1));
    let shard = parse_shard(path, &mut serde_json::Deserializer::from_reader(&mut reader));
    if reader.get_ref().limit() == 0 {
        return Err(too_large(path));
    }
    shard
}

fn too_large(path: &Path) -> Error {
    bad(path, format!("larger than {} MiB: not a multistart JSON report (or an endless input)", MAX_REPORT_BYTES >> 20))
}

/// Parses and checks one shard report's text on its own.
pub(crate) fn read_shard(path: &Path, text: &str) -> Result<Shard> {
    parse_shard(path, &mut serde_json::Deserializer::from_str(text))
}

/// Parses and checks one shard report on its own.
fn parse_shard<'de, R: serde_json::de::Read<'de>>(path: &Path, de: &mut serde_json::Deserializer<R>) -> Result<Shard> {
    let not_a_report = |why: String| bad(path, format!("not a multistart JSON report ({why})"));
    let report: ShardReport = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let key = key_text(e.path());
        let inner = clip(&e.into_inner().to_string());
        if key.is_empty() {
            not_a_report(inner)
        } else {
            bad(path, format!("not a multistart JSON report: {key}: {inner}"))
        }
    })?;
    de.end().map_err(|e| not_a_report(clip(&e.to_string())))?;
    let key = |key: &str, why: String| bad(path, format!("{key}: {why}"));
    if let Some(v) = &report.version
        && v != VERSION
    {
        return Err(key(
            "version",
            format!(
                "{} is not this multistart's version ({VERSION}): merge with the multistart that wrote the shards",
                quoted(v)
            ),
        ));
    }
    let Some([k, n]) = report.shard else {
        return Err(bad(path, "not a shard: write shards with --shard K/N --json FILE"));
    };
    if n == 0 || k >= n {
        return Err(key("shard", format!("shard {k}/{n} does not exist: K must be below N")));
    }
    check_device(&report.device).map_err(|(k, why)| key(k, why))?;
    let surface = check_surface(&report).map_err(|(k, why)| key(k, why))?;
    let config = run_config(&report.config, surface.clone(), [k, n]).map_err(|(k, why)| key(&k, why))?;
    check_summary(&report, &config).map_err(|(k, why)| key(&k, why))?;
    let t = &report.timing;
    for (name, v) in [
        ("timing.total_s", t.total_s),
        ("timing.descent_s", t.descent_s),
        ("timing.basins_s", t.basins_s),
        ("walker_steps_per_s", report.walker_steps_per_s),
    ] {
        if !(v.is_finite() && (0.0..=1e300).contains(&v)) {
            return Err(key(name, format!("{v} is not a time or rate (expected a finite value of 0 or more)")));
        }
    }
    Ok(Shard { path: path.to_path_buf(), report, surface, index: [k, n] })
}

/// The JSON key a parse error is at, as "config.lr" or "summary.basins[0]":
/// keys the file made up (those merge does not read) quoted and cut, the
/// whole cut too, as a tampered file may nest them deep.
fn key_text(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        let name = match segment {
            Segment::Seq { index } => {
                out += &format!("[{index}]");
                continue;
            }
            Segment::Map { key } => key.as_str(),
            Segment::Enum { variant } => variant.as_str(),
            Segment::Unknown => "?",
        };
        let plain = name.len() <= 40 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !out.is_empty() {
            out.push('.');
        }
        out += &if plain { name.to_string() } else { quoted(name) };
    }
    clip(&out)
}

type Keyed<T> = std::result::Result<T, (&'static str, String)>;

fn check_device(d: &DeviceJson) -> Keyed<()> {
    if d.backend != "cpu" && d.backend != "gpu" {
        return Err((
            "device.backend",
            format!("{} is not a backend (expected \"cpu\" or \"gpu\")", quoted(&d.backend)),
        ));
    }
    for (k, text) in [("device.name", &d.name), ("device.api", &d.api)] {
        if text.chars().count() > MAX_DEVICE_TEXT || !text.chars().all(crate::error::printable) {
            return Err((
                k,
                format!(
                    "{} is not a device's text (expected at most {MAX_DEVICE_TEXT} printable characters)",
                    quoted(text)
                ),
            ));
        }
    }
    Ok(())
}

/// The surface the report names, in its `config.dim` dimensions.
fn check_surface(r: &ShardReport) -> Keyed<Surface> {
    let surface = match (r.surface.as_str(), &r.config.expr) {
        ("expr", Some(text)) => Surface::formula_with(text, &r.config.params)
            .map_err(|e| ("config.expr", format!("{}: {}", quoted(text), clip(&e.to_string()))))?,
        ("expr", None) => return Err(("config.expr", "missing: surface \"expr\" needs its formula".into())),
        (_, Some(_)) => {
            return Err(("config.expr", format!("given, but surface {} is not \"expr\"", quoted(&r.surface))));
        }
        (name, None) => match Surface::all().into_iter().find(|s| s.name() == name) {
            Some(s) => s,
            None => {
                let names: Vec<&str> = Surface::all().iter().map(|s| s.name()).collect();
                return Err((
                    "surface",
                    format!("{} is not a surface (expected one of {}, or \"expr\")", quoted(name), names.join(", ")),
                ));
            }
        },
    };
    surface.with_dim(r.config.dim).map_err(|e| ("config.dim", clip(&e)))
}

/// The stored configuration as the problem and plan it ran, validated as
/// the command line validates them; errors name the key of the value refused.
fn run_config(
    c: &ConfigJson,
    surface: Surface,
    [k, n]: [u64; 2],
) -> std::result::Result<(Problem, Plan), (String, String)> {
    let key = |k: &str| format!("config.{k}");
    let dim = surface.dim();
    if c.region.len() != 2 * dim {
        return Err((
            key("region"),
            format!("{} numbers, expected {} (min and max of each of the {dim} axes)", c.region.len(), 2 * dim),
        ));
    }
    let region = Region { axes: c.region.chunks(2).map(|a| [a[0], a[1]]).collect() };
    let starts = match c.starts.as_str() {
        "uniform" => Starts::Uniform,
        s if s.starts_with("grid ") => match crate::starts::parse_lattice(&s["grid ".len()..]) {
            Some((cols, rows)) => Starts::Grid { cols, rows },
            None => return Err((key("starts"), format!("{} is not a grid WxH", quoted(s)))),
        },
        // Explicit points: the file or the start itself is not in the
        // report, so the count is taken as stored.
        s if s.starts_with("file ") || s.starts_with("start ") => Starts::Uniform,
        s => {
            return Err((
                key("starts"),
                format!("{} is not a start source (expected uniform, grid WxH, file ... or start ...)", quoted(s)),
            ));
        }
    };
    let problem = Problem {
        region,
        walkers: c.walkers,
        steps: c.steps,
        lr: c.lr,
        tol: c.tol,
        seed: c.seed,
        starts,
        precision: c.precision,
        optimizer: c.optimizer,
        optimizer_params: stored_params(c.optimizer, &c.optimizer_params),
        bound: c.bound,
        cluster_radius: c.cluster_radius,
        settle_tol: c.settle_tol,
        ..Problem::new(surface)
    };
    let plan = Plan { backend: c.backend, shard: Some((k, n)), ..Plan::default() };
    let refused = |e: Error| (config_key(&e), clip(&e.cli_message()));
    let problem = problem.validate().map_err(refused)?;
    let plan = plan.validate(&problem).map_err(refused)?;
    Ok((problem, plan))
}

/// The parameters a report stores. Reports before the optimizer registry
/// stored the same four for every optimizer (beta1, beta2, eps, damping:
/// RMSProp's rho as beta2); those are read as the optimizer's own.
fn stored_params(optimizer: Optimizer, stored: &OptimizerParams) -> OptimizerParams {
    const LEGACY: [&str; 4] = ["beta1", "beta2", "eps", "damping"];
    let names: Vec<&str> = stored.iter().map(|(name, _)| name).collect();
    if names.len() != LEGACY.len() || !LEGACY.iter().all(|n| names.contains(n)) {
        return stored.clone();
    }
    let legacy_name = |name: &'static str| match name {
        "beta" => "beta1",
        "rho" => "beta2",
        other => other,
    };
    let mut own = OptimizerParams::new();
    for p in optimizer.spec().params {
        if let Some(v) = stored.get(legacy_name(p.name)) {
            own.set(p.name, v).expect("a registry name");
        }
    }
    own
}

/// The JSON key of the value a problem or plan refuses.
fn config_key(e: &Error) -> String {
    match e {
        Error::Invalid { field: "shard", .. } => "shard".into(),
        Error::Invalid { field, .. } if crate::optim::param_names().contains(field) => {
            format!("config.optimizer_params.{field}")
        }
        Error::Invalid { field, .. } => format!("config.{field}"),
        _ => "config".into(),
    }
}

/// The summary against its configuration: every count once, every length
/// its dimension's, every histogram within the step budget.
fn check_summary(r: &ShardReport, (config, plan): &(Problem, Plan)) -> std::result::Result<(), (String, String)> {
    let sm = &r.summary;
    let dim = config.surface.dim();
    let range = plan.walker_range(config.walkers);
    let size = range.end - range.start;
    let [k, n] = r.shard.expect("checked");
    let escape = config.escape_box();
    for (i, b) in sm.basins.iter().enumerate() {
        let key = |k: &str| format!("summary.basins[{i}].{k}");
        if b.point.len() != dim {
            return Err((key("point"), format!("{} coordinates, but the surface is {dim}-dimensional", b.point.len())));
        }
        if b.eigenvalues.len() != dim {
            return Err((
                key("eigenvalues"),
                format!("{} values, expected {dim} (one per dimension)", b.eigenvalues.len()),
            ));
        }
        if !b.point.iter().chain(&b.eigenvalues).chain([&b.f]).all(|v| v.is_finite()) {
            return Err((key("point"), "expected finite coordinates, f and eigenvalues".into()));
        }
        // A basin is a critical point a walker reached: inside the escape
        // box, f the surface's value there, the kind its eigenvalues' signs.
        if b.point.iter().zip(&escape.axes).any(|(c, a)| *c < a[0] || *c > a[1]) {
            return Err((key("point"), "outside the run's escape box: no walker ends there".into()));
        }
        let f = config.surface.value(&b.point);
        // False for a NaN value too.
        let matches = (b.f - f).abs() <= 1e-9 * (1.0 + f.abs());
        if !matches {
            return Err((key("f"), format!("{} is not the surface's value at the point ({})", number(b.f), number(f))));
        }
        let kind = match (b.eigenvalues.iter().all(|&e| e > 0.0), b.eigenvalues.iter().all(|&e| e < 0.0)) {
            (true, _) => Kind::Minimum,
            (_, true) => Kind::Maximum,
            _ => Kind::Saddle,
        };
        if b.kind != kind {
            return Err((key("kind"), format!("{} with these eigenvalues is a {}", b.kind.name(), kind.name())));
        }
        if b.count == 0 || b.count > size {
            return Err((
                key("count"),
                format!("{} is not a count of walkers of shard {k}/{n} (1 to {size})", b.count),
            ));
        }
        if let Some((&steps, _)) = b.iterations.0.iter().find(|&(&s, _)| s > config.steps) {
            return Err((
                key("iterations"),
                format!("{steps} iterations is more than the {} steps of the run", config.steps),
            ));
        }
        let total = b.iterations.0.values().copied().try_fold(0u64, u64::checked_add);
        if total != Some(b.count) {
            return Err((key("iterations"), format!("the histogram does not count the basin's {} walkers", b.count)));
        }
    }
    // A summary counts each of its shard's walkers once: this also keeps
    // every sum of the merge from overflowing.
    let counted = sm
        .basins
        .iter()
        .map(|b| b.count)
        .chain([sm.moving, sm.plateau, sm.escaped, sm.nonfinite])
        .try_fold(0u64, u64::checked_add);
    if counted != Some(sm.walkers) || sm.walkers > size || (!r.partial && sm.walkers != size) {
        return Err(("summary".into(), format!("does not count the {size} walkers of shard {k}/{n} once each")));
    }
    Ok(())
}

/// A JSON value as a message shows it: strings quoted and cut, the rest cut.
fn shown(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => quoted(s),
        other => clip(&other.to_string()),
    }
}

/// The first key at which two JSON values differ, as "config.seed: 2 vs 1".
fn first_difference(path: &str, a: &serde_json::Value, b: &serde_json::Value) -> Option<String> {
    match (a, b) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => x.iter().find_map(|(k, v)| {
            first_difference(&format!("{path}.{k}"), v, y.get(k).unwrap_or(&serde_json::Value::Null))
        }),
        _ if a != b => Some(format!("{path}: {} vs {}", shown(a), shown(b))),
        _ => None,
    }
}

/// Shards checked one by one into the merged report: they must be distinct
/// shards of one run.
pub(crate) fn combine(shards: Vec<Shard>) -> Result<Report> {
    let Some(first) = shards.first() else {
        return Err(Error::Input("merge: no shards given".into()));
    };
    for (i, s) in shards.iter().enumerate().skip(1) {
        let path = &s.path;
        if s.report.surface != first.report.surface {
            return Err(bad(
                path,
                format!("surface {} differs from {}'s {}", s.report.surface, quoted(&first.path), first.report.surface),
            ));
        }
        let (a, b) = (
            serde_json::to_value(&s.report.config).expect("plain data"),
            serde_json::to_value(&first.report.config).expect("plain data"),
        );
        if let Some(diff) = first_difference("config", &a, &b) {
            return Err(bad(path, format!("differs from {} in {diff}", quoted(&first.path))));
        }
        let ([k, n], n0) = (s.index, first.index[1]);
        if n != n0 {
            return Err(bad(path, format!("shard {k}/{n} is not one of {n0} shards like {}", quoted(&first.path))));
        }
        if shards[..i].iter().any(|t| t.index == s.index) {
            return Err(bad(path, format!("shard {k}/{n} is given twice")));
        }
    }
    let mut summary = Summary::default();
    let mut timing = crate::pipeline::Timing::default();
    let mut walker_steps = 0.0;
    for s in &shards {
        let r = &s.report;
        summary.merge(&r.summary);
        timing.total_s += r.timing.total_s;
        timing.descent_s += r.timing.descent_s;
        timing.basins_s += r.timing.basins_s;
        walker_steps += r.walker_steps_per_s * r.timing.descent_s;
    }
    let rate = walker_steps / timing.descent_s.max(1e-12);
    if ![timing.total_s, timing.descent_s, timing.basins_s, rate].iter().all(|v| v.is_finite()) {
        return Err(bad(&first.path, "timing: the shards' times add up to more than a float holds"));
    }
    let n = first.index[1];
    let partial = shards.iter().any(|s| s.report.partial) || (shards.len() as u64) < n;
    if (shards.len() as u64) < n {
        eprintln!("note: {} of {n} shards given: the merged report is partial", shards.len());
    }
    let mut names: Vec<&str> = shards.iter().map(|s| s.report.device.name.as_str()).collect();
    names.dedup();
    let device = engine::DeviceInfo {
        backend: if first.report.device.backend == "gpu" { "gpu" } else { "cpu" },
        name: names.join("; "),
        api: first.report.device.api.clone(),
        driver: None,
        threads: None,
    };
    Ok(Report::build(&first.surface, first.report.config.clone(), device, summary, partial, timing, rate, None))
}

/// The merged report of shards' JSON texts, each named by its file; any
/// text that is not a consistent shard of the same run is refused.
pub fn merge_texts(inputs: &[(PathBuf, String)]) -> Result<Report> {
    if inputs.is_empty() {
        return Err(Error::Input("merge: no shards given".into()));
    }
    let shards = inputs.iter().map(|(path, text)| read_shard(path, text)).collect::<Result<Vec<_>>>()?;
    combine(shards)
}

/// The merged report of the shard files at `paths`, each read with
/// `MAX_REPORT_BYTES` as its bound and checked before the next is read.
pub fn merge_files(paths: &[PathBuf]) -> Result<Report> {
    if paths.is_empty() {
        return Err(Error::Input("merge: no shards given".into()));
    }
    let mut shards = Vec::with_capacity(paths.len());
    for path in paths {
        shards.push(read_shard_file(path)?);
    }
    combine(shards)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report written before the registry stored beta1, beta2, eps and
    /// damping for every optimizer; it reads as the optimizer's own.
    #[test]
    fn reports_of_the_four_fixed_parameters_read_as_the_optimizers_own() {
        let legacy: OptimizerParams =
            serde_json::from_str(r#"{"beta1":0.9,"beta2":0.8,"eps":1e-8,"damping":0.5}"#).unwrap();
        let rmsprop = stored_params(Optimizer::Rmsprop, &legacy);
        assert_eq!(serde_json::to_string(&rmsprop).unwrap(), r#"{"rho":0.8,"eps":1e-8}"#);
        assert_eq!(stored_params(Optimizer::Gd, &legacy), OptimizerParams::new());
        let own: OptimizerParams = serde_json::from_str(r#"{"beta1":0.7}"#).unwrap();
        assert_eq!(stored_params(Optimizer::Adam, &own), own);
    }
}
