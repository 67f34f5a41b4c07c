//! The binary as a user runs it: tables, files, and bad input.

use assert_cmd::Command;

fn multistart() -> Command {
    let mut cmd = Command::cargo_bin("multistart").unwrap();
    cmd.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    cmd
}

/// Table rows of kind minimum.
fn minima_rows(text: &str) -> usize {
    text.lines().filter(|l| l.split_whitespace().nth(1) == Some("minimum")).count()
}

fn stdout_of(args: &[&str]) -> String {
    let out = multistart().args(args).assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn default_cpu_run_prints_three_minima_and_the_classes() {
    let text = stdout_of(&["--walkers", "20000", "--backend", "cpu"]);
    assert!(text.contains("peaks on [-2, 2] x [-2, 2], 20,000 walkers x 1,000 steps"), "{text}");
    assert_eq!(minima_rows(&text), 3, "{text}");
    for needle in
        ["0.228279  -1.625535  -6.551133", "-1.347396   0.204519  -3.049849", "0.296446   0.320196  -0.064936"]
    {
        assert!(text.contains(needle), "missing {needle}: {text}");
    }
    for class in ["moving", "plateau", "escaped", "nonfinite"] {
        assert!(text.lines().any(|l| l.trim_start().starts_with(class)), "{class}: {text}");
    }
    assert!(text.contains("restarts for a 99% chance"), "{text}");
}

#[test]
fn same_seed_prints_the_same_table() {
    let strip = |t: String| t.lines().filter(|l| !l.contains("wall ")).collect::<Vec<_>>().join("\n");
    let args = ["--walkers", "5000", "--backend", "cpu", "--seed", "42"];
    assert_eq!(strip(stdout_of(&args)), strip(stdout_of(&args)));
}

#[test]
fn single_start_matches_the_course_notes_to_1e9() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("e.csv");
    stdout_of(&[
        "--start",
        "0,1.4",
        "--tol",
        "0",
        "--precision",
        "f64",
        "--backend",
        "cpu",
        "--csv-endpoints",
        csv.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let headers = rows.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        ["index", "x0", "y0", "x", "y", "f", "grad_norm", "iterations", "status", "basin", "class", "partial"]
    );
    let row = rows.records().next().unwrap().unwrap();
    let x: f64 = row[3].parse().unwrap();
    let y: f64 = row[4].parse().unwrap();
    assert!((x - 0.296445553846832).abs() < 1e-9 && (y - 0.320196247666835).abs() < 1e-9, "{x} {y}");
    assert_eq!(&row[7], "1000");
    assert_eq!(&row[10], "basin");
}

#[test]
fn lr_above_the_stable_bound_says_why_the_global_minimum_is_empty() {
    let text = stdout_of(&["--walkers", "20000", "--lr", "0.1", "--steps", "100", "--backend", "cpu"]);
    assert!(!text.lines().filter(|l| !l.starts_with("warning")).any(|l| l.contains("-1.625535")), "{text}");
    assert!(text.contains("warning: lr 0.1 is at or above 2/lambda_max = 0.0663 of the global minimum"), "{text}");
}

/// `--set` gives a formula's named parameters their values: the header
/// and the JSON show them, merge keeps them, and `sweep --param` varies one.
#[test]
fn set_names_a_formula_parameter_that_sweep_varies_and_merge_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let base = ["--expr", "x^4 - a*x^2 + y^2", "--set", "a=2", "--backend", "cpu", "--walkers", "2000"];
    let text = stdout_of(&[&base[..], &["--json", &path("r.json")]].concat());
    assert!(text.contains("expr x^4 - a*x^2 + y^2 with a = 2 on"), "{text}");
    // a = 2: minima at x = +-1, f = -1.
    assert!(text.contains("-1.000000   0.000000  -1.000000"), "{text}");
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(path(name)).unwrap()).unwrap()
    };
    assert_eq!(read("r.json")["config"]["params"], serde_json::json!({"a": 2.0}));
    for k in 0..2 {
        stdout_of(&[&base[..], &["--shard", &format!("{k}/2"), "--json", &path(&format!("s{k}.json"))]].concat());
    }
    stdout_of(&["merge", &path("s0.json"), &path("s1.json"), "--json", &path("m.json")]);
    let (merged, single) = (read("m.json"), read("r.json"));
    assert_eq!(merged["config"]["params"], serde_json::json!({"a": 2.0}));
    assert_eq!(merged["basins"].as_array().unwrap().len(), single["basins"].as_array().unwrap().len());
    // The swept name needs no --set; each run's report carries its value.
    let sweep = ["sweep", "--expr", "x^4 - a*x^2 + y^2", "--param", "a", "--values", "-1,2", "--backend", "cpu"];
    let text = stdout_of(&[&sweep[..], &["--walkers", "2000", "--json", &path("sw.json")]].concat());
    assert!(text.contains("sweep of a over 2 values") && text.contains("expr x^4 - a*x^2 + y^2 on"), "{text}");
    let runs = read("sw.json")["runs"].as_array().unwrap().clone();
    let values: Vec<_> = runs.iter().map(|r| r["report"]["config"]["params"]["a"].as_f64().unwrap()).collect();
    assert_eq!(values, [-1.0, 2.0]);
    // a = -1: one minimum at the origin; a = 2: two, at x = +-1.
    assert_eq!(runs[0]["report"]["basins"].as_array().unwrap().len(), 1);
    assert_eq!(runs[1]["report"]["basins"].as_array().unwrap().len(), 2);
}

#[test]
fn json_has_the_contract_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    stdout_of(&["--walkers", "10000", "--backend", "cpu", "--json", path.to_str().unwrap()]);
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for key in [
        "version",
        "surface",
        "config",
        "device",
        "timing",
        "basins",
        "moving",
        "plateau",
        "escaped",
        "nonfinite",
        "restarts_for_99",
    ] {
        assert!(j.get(key).is_some(), "missing {key}");
    }
    for key in ["walkers", "steps", "lr", "tol", "seed", "region", "starts", "precision", "optimizer", "backend"] {
        assert!(j["config"].get(key).is_some(), "missing config.{key}");
    }
    assert_eq!(j["config"]["region"], serde_json::json!([-2.0, 2.0, -2.0, 2.0]));
    assert_eq!(j["device"]["backend"], "cpu");
    for key in ["backend", "name", "api"] {
        assert!(j["device"].get(key).is_some(), "missing device.{key}");
    }
    for key in ["total_s", "descent_s", "basins_s"] {
        assert!(j["timing"][key].as_f64().unwrap() >= 0.0);
    }
    let basins = j["basins"].as_array().unwrap();
    assert_eq!(basins.len(), 3);
    for key in ["id", "kind", "best", "point", "f", "count", "fraction", "ci95", "median_iterations", "max_stable_lr"] {
        assert!(basins[0].get(key).is_some(), "missing basins[0].{key}");
    }
    assert_eq!(basins[0]["kind"], "minimum");
    assert_eq!(basins[0]["best"], true);
    let total: u64 = basins.iter().map(|b| b["count"].as_u64().unwrap()).sum::<u64>()
        + ["moving", "plateau", "escaped", "nonfinite"].iter().map(|k| j[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(total, 10_000);
}

#[test]
fn csv_basins_counts_add_up_to_the_walkers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.csv");
    stdout_of(&["--walkers", "10000", "--backend", "cpu", "--csv-basins", path.to_str().unwrap()]);
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let count = reader.headers().unwrap().iter().position(|h| h == "count").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3 + 4);
    assert_eq!(rows.iter().map(|r| r[count].parse::<u64>().unwrap()).sum::<u64>(), 10_000);
}

/// Basins CSV rows start with the run's settings, so the files of several
/// runs stack into one tidy table; points have the table's fixed decimals.
#[test]
fn csv_basins_of_several_runs_stack_into_one_table() {
    let dir = tempfile::tempdir().unwrap();
    let mut headers = Vec::new();
    let mut rows = Vec::new();
    for optimizer in ["gd", "momentum", "adam"] {
        let path = dir.path().join(format!("{optimizer}.csv"));
        stdout_of(&[
            "--optimizer",
            optimizer,
            "--walkers",
            "3000",
            "--backend",
            "cpu",
            "--csv-basins",
            path.to_str().unwrap(),
        ]);
        let mut reader = csv::Reader::from_path(&path).unwrap();
        headers.push(reader.headers().unwrap().clone());
        rows.extend(reader.records().map(Result::unwrap));
    }
    assert!(headers.iter().all(|h| *h == headers[0]), "{headers:?}");
    let h = &headers[0];
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    assert_eq!(&h.iter().take(4).collect::<Vec<_>>(), &["surface", "dim", "optimizer", "optimizer_params"]);
    assert!(rows.iter().all(|r| r.len() == h.len()));
    let adam = rows.iter().find(|r| &r[col("optimizer")] == "adam").unwrap();
    assert_eq!(&adam[col("optimizer_params")], "beta1 0.9, beta2 0.999, eps 0.00000001");
    let global: Vec<(&str, &str)> =
        rows.iter().filter(|r| &r[col("global")] == "true").map(|r| (&r[col("x")], &r[col("y")])).collect();
    assert_eq!(global, [("0.228279", "-1.625535"); 3], "joinable points");
}

#[test]
fn grid_and_file_starts() {
    let text = stdout_of(&["--starts", "grid", "--walkers", "10000", "--backend", "cpu"]);
    assert!(text.contains("starts grid 100x100"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let starts = dir.path().join("s.csv");
    std::fs::write(&starts, "x,y\n0,1.4\n-1.2,0.1\n").unwrap();
    let text = stdout_of(&["--starts-file", starts.to_str().unwrap(), "--backend", "cpu"]);
    assert!(text.contains("2 walkers"), "{text}");
    assert_eq!(minima_rows(&text), 2, "{text}");
}

/// Each bad input: exit 2, one line starting with "error:", and no file.
#[test]
fn bad_input_exits_2_with_one_line_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let bad_starts = dir.path().join("bad.csv");
    std::fs::write(&bad_starts, "x,y\n1,2\n3,abc\n").unwrap();
    let no_header = dir.path().join("nohdr.csv");
    std::fs::write(&no_header, "a,b\n1,2\n").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--walkers".into(), "0".into()], "--walkers 0"),
        (vec!["--walkers".into(), "2e12".into()], "expected 1 to"),
        (vec!["--walkers".into(), "many".into()], "many"),
        (vec!["--steps".into(), "0".into()], "--steps 0"),
        (vec!["--lr".into(), "0".into()], "--lr 0"),
        (vec!["--lr".into(), "-1".into()], "--lr -1"),
        (vec!["--lr".into(), "inf".into()], "--lr inf"),
        (vec!["--lr".into(), "NaN".into()], "--lr NaN"),
        (vec!["--tol".into(), "-1e-3".into()], "--tol"),
        (vec!["--region".into(), "2,-2,-2,2".into()], "inverted"),
        (vec!["--region".into(), "-2,2,1,1".into()], "empty"),
        (vec!["--region".into(), "-2,2,-2,inf".into()], "finite"),
        (vec!["--region".into(), "-2,2,-2".into()], "4 comma-separated"),
        (vec!["--grid".into(), "10by10".into()], "--grid 10by10"),
        (vec!["--grid".into(), "0x10".into()], "--grid 0x10"),
        (vec!["--start".into(), "1e400,0".into()], "--start"),
        (vec!["--start".into(), "1,2,3".into()], "--start"),
        (vec!["--starts-file".into(), dir.path().join("none.csv").to_str().unwrap().into()], "none.csv"),
        (vec!["--starts-file".into(), bad_starts.to_str().unwrap().into()], "row 3, column y"),
        (vec!["--starts-file".into(), no_header.to_str().unwrap().into()], "header"),
        (vec!["--bound".into(), "0.5".into()], "--bound"),
        (vec!["--cluster-radius".into(), "0".into()], "--cluster-radius"),
        (vec!["--csv-basins".into(), dir.path().join("missing/b.csv").to_str().unwrap().into()], "does not exist"),
        (vec!["--surface".into(), "banana".into()], "banana"),
        (vec!["--expr".into(), "x^2 +* y".into()], "column 6: expected a number"),
        (vec!["--expr".into(), "sin(x".into()], "column 6: expected \")\""),
        (vec!["--expr".into(), "x + w".into()], "unknown name \"w\""),
        (vec!["--expr".into(), "x^2 - a*y".into()], "given a value by --set NAME=VALUE"),
        (vec!["--expr".into(), "x^2 - a*y".into(), "--set".into(), "a=1,b=2".into()], "--set b: the formula has no b"),
        (
            vec!["--expr".into(), "x^2 - a*y".into(), "--set".into(), "a=1".into(), "--set".into(), "a=2".into()],
            "given twice",
        ),
        (vec!["--expr".into(), "x^2 - a*y".into(), "--set".into(), "a=inf".into()], "not a finite number"),
        (vec!["--set".into(), "a=1".into()], "--expr"),
        (vec!["--expr".into(), "x^2".into(), "--surface".into(), "camel".into()], "cannot be used with"),
        (vec!["--surface".into(), "camel".into(), "--dim".into(), "3".into()], "camel is 2-D only"),
        (vec!["--surface".into(), "rastrigin".into(), "--dim".into(), "0".into()], "--dim 0"),
        (
            vec![
                "--surface".into(),
                "rastrigin".into(),
                "--dim".into(),
                "3".into(),
                "--region".into(),
                "-1,1,-1,1".into(),
            ],
            "6 comma-separated",
        ),
        (
            vec!["--surface".into(), "rastrigin".into(), "--dim".into(), "3".into(), "--starts".into(), "grid".into()],
            "cover a plane",
        ),
        (
            vec!["--surface".into(), "rastrigin".into(), "--dim".into(), "3".into(), "--start".into(), "1,2".into()],
            "3 comma-separated",
        ),
        (vec!["--optimizer".into(), "adam".into(), "--damping".into(), "0.5".into()], "does not use it"),
        (vec!["--optimizer".into(), "momentum".into(), "--beta".into(), "1.5".into()], "--beta 1.5"),
        (vec!["--optimizer".into(), "newton".into(), "--damping".into(), "0".into()], "--damping 0"),
        (vec!["--optimizer".into(), "rmsprop".into(), "--rho".into(), "1.2".into()], "--rho 1.2"),
        (vec!["--optimizer".into(), "adam".into(), "--eps".into(), "-1".into()], "--eps -1"),
        (vec!["--surface".into(), "ackley".into(), "--dim".into(), "17".into()], "--dim 17"),
        (vec!["--optimizer".into(), "adamw".into()], "adamw"),
        (vec!["--precision".into(), "f16".into()], "f16"),
        (vec!["--backend".into(), "tpu".into()], "tpu"),
        (vec!["--shard".into(), "2/2".into()], "--shard 2/2"),
        (vec!["--shard".into(), "one/two".into()], "one/two"),
        (
            vec![
                "--every".into(),
                "0".into(),
                "--trajectories".into(),
                "1".into(),
                "--csv-trajectories".into(),
                "t.csv".into(),
            ],
            "--every 0",
        ),
    ];
    for (args, needle) in cases {
        let output = multistart().args(&args).arg("--json").arg(&out).arg("--backend").arg("cpu").output().unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} left a file");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "{args:?} left a temporary file");
    }
}

mod common;

#[test]
fn backend_gpu_without_an_adapter_says_what_to_install() {
    // Hide every Vulkan driver; this build has no GL fallback.
    let output = multistart()
        .args(["--backend", "gpu", "--walkers", "1000"])
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("VK_ADD_DRIVER_FILES", "")
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("error: no GPU adapter found")
            && stderr.contains("mesa-vulkan-drivers")
            && stderr.contains("--backend cpu"),
        "{stderr}"
    );
}

#[test]
fn devices_lists_the_adapters() {
    let Some(ctx) = common::gpu("devices_lists_the_adapters") else { return };
    let name = ctx.adapter.get_info().name;
    let text = stdout_of(&["devices"]);
    assert!(text.contains(&name) && text.contains("walkers per chunk"), "{text}");
}

#[test]
fn backend_gpu_names_the_adapter_and_matches_the_cpu_table() {
    let Some(ctx) = common::gpu("backend_gpu_names_the_adapter_and_matches_the_cpu_table") else { return };
    let name = ctx.adapter.get_info().name;
    drop(ctx);
    let dir = tempfile::tempdir().unwrap();
    let json = |backend: &str| {
        let path = dir.path().join(format!("{backend}.json"));
        let text = stdout_of(&["--walkers", "100000", "--backend", backend, "--json", path.to_str().unwrap()]);
        let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        (text, j)
    };
    let (gpu_text, gpu) = json("gpu");
    let (_, cpu) = json("cpu");
    assert!(gpu_text.lines().nth(2).unwrap().contains(&format!("gpu: {name}")), "{gpu_text}");
    assert_eq!(gpu["device"]["backend"], "gpu");
    assert_eq!(gpu["device"]["name"], name.as_str());
    let (gb, cb) = (gpu["basins"].as_array().unwrap(), cpu["basins"].as_array().unwrap());
    assert_eq!(gb.len(), 3);
    assert_eq!(gb.len(), cb.len());
    for (g, c) in gb.iter().zip(cb) {
        for k in 0..2 {
            assert!((g["point"][k].as_f64().unwrap() - c["point"][k].as_f64().unwrap()).abs() < 1e-6);
        }
        assert!(g["count"].as_u64().unwrap().abs_diff(c["count"].as_u64().unwrap()) <= 10);
    }
}

#[test]
fn auto_explains_its_choice() {
    if !common::has_gpu("auto_explains_its_choice") {
        return;
    }
    let hardware =
        multistart::engine::gpu::list_adapters().iter().any(|a| a.device_type != "Cpu" && a.device_type != "Other");
    let output = multistart().args(["--walkers", "2000"]).output().unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    if hardware {
        assert!(stderr.contains("note: using the GPU engine on"), "{stderr}");
    } else {
        assert!(stderr.contains("note: using the CPU engine: no hardware GPU found"), "{stderr}");
    }
}

#[test]
fn single_start_on_the_gpu_reaches_the_shallow_minimum() {
    if !common::has_gpu("single_start_on_the_gpu_reaches_the_shallow_minimum") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("e.csv");
    stdout_of(&["--start", "0,1.4", "--tol", "0", "--backend", "gpu", "--csv-endpoints", csv.to_str().unwrap()]);
    let text = std::fs::read_to_string(&csv).unwrap();
    let row: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    let (x, y): (f64, f64) = (row[3].parse().unwrap(), row[4].parse().unwrap());
    assert!((x - 0.2964).abs() < 1e-3 && (y - 0.3202).abs() < 1e-3, "{x} {y}");
}

#[test]
fn five_million_walkers_run_in_several_gpu_chunks() {
    if !common::has_gpu("five_million_walkers_run_in_several_gpu_chunks") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.json");
    stdout_of(&["--walkers", "5000000", "--steps", "100", "--backend", "gpu", "--json", path.to_str().unwrap()]);
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let total: u64 = j["basins"].as_array().unwrap().iter().map(|b| b["count"].as_u64().unwrap()).sum::<u64>()
        + ["moving", "plateau", "escaped", "nonfinite"].iter().map(|k| j[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(total, 5_000_000);
}

#[test]
fn bench_json_has_rows_per_size_and_backend_and_the_ratios() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.json");
    let md = dir.path().join("b.md");
    let has_gpu = common::has_gpu("bench_json_has_rows_per_size_and_backend_and_the_ratios (gpu rows)");
    let text = stdout_of(&[
        "bench",
        "--walkers",
        "1e3,2e3",
        "--steps",
        "50",
        "--runs",
        "2",
        "--json",
        path.to_str().unwrap(),
        "--markdown",
        md.to_str().unwrap(),
    ]);
    assert!(
        text.contains(
            "| backend | walkers | median (s) | min (s) | mean ± σ (s) | walker-steps/s | timer | host median (s) |"
        ),
        "{text}"
    );
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for key in ["cpu", "threads", "adapter", "api"] {
        assert!(j["machine"].get(key).is_some(), "machine.{key}");
    }
    let rows = j["rows"].as_array().unwrap();
    // The fast engine on its best instruction set, and on each narrower
    // one this CPU has (portable at least, where the best is not).
    let best = j["machine"]["instruction_set"].as_str().unwrap();
    let narrower: &[&str] = match best {
        "avx512f" => &["cpu-f32-avx2", "cpu-f32-portable"],
        "avx2+fma" => &["cpu-f32-portable"],
        _ => &[],
    };
    let backends: Vec<&str> = has_gpu
        .then_some("gpu")
        .into_iter()
        .chain(["cpu-f32"])
        .chain(narrower.iter().copied())
        .chain(["cpu-f64"])
        .collect();
    assert_eq!(rows.len(), 2 * backends.len());
    for row in rows {
        let backend = row["backend"].as_str().unwrap();
        assert!(backends.contains(&backend), "{backend}");
        let set = row["instruction_set"].as_str();
        match backend {
            "cpu-f32" => assert_eq!(set, Some(best)),
            "cpu-f32-avx2" => assert_eq!(set, Some("avx2+fma")),
            "cpu-f32-portable" => assert_eq!(set, Some("portable")),
            _ => assert_eq!(set, None),
        }
        assert_eq!(row["steps"], 50);
        assert_eq!(row["runs"], 2);
        let (median, min, rate) = (
            row["median_s"].as_f64().unwrap(),
            row["min_s"].as_f64().unwrap(),
            row["walker_steps_per_s"].as_f64().unwrap(),
        );
        assert!(min > 0.0 && min <= median);
        // Every timed run, in order, with their mean and spread.
        let times: Vec<f64> = row["times_s"].as_array().unwrap().iter().map(|t| t.as_f64().unwrap()).collect();
        assert_eq!(times.len(), 2);
        let mean = row["mean_s"].as_f64().unwrap();
        assert!((mean - 0.5 * (times[0] + times[1])).abs() <= 1e-12 * mean);
        let sd = row["stddev_s"].as_f64().unwrap();
        assert!((sd - (times[0] - times[1]).abs() / 2f64.sqrt()).abs() <= 1e-9 * mean.max(sd));
        assert_eq!(times.iter().copied().fold(f64::MAX, f64::min), min);
        let walkers = row["walkers"].as_f64().unwrap();
        assert!((rate - walkers * 50.0 / median).abs() <= 1e-6 * rate);
        // GPU rows by the GPU's timestamps where it has them (lavapipe does):
        // inside the host's time around the same runs.
        let host = row["host_median_s"].as_f64().unwrap();
        match row["timer"].as_str().unwrap() {
            "host-clock" => assert_eq!(host, median),
            "gpu-timestamps" => assert!(row["backend"] == "gpu" && median <= 1.01 * host, "{row}"),
            other => panic!("timer {other}"),
        }
    }
    assert_eq!(j["ratios"].as_array().unwrap().len(), if has_gpu { 2 } else { 0 });
    assert_eq!(std::fs::read_to_string(&md).unwrap(), text);
}

#[test]
fn bench_refuses_bad_lists() {
    for args in [&["bench", "--walkers", "1e3,0"][..], &["bench", "--runs", "0"], &["bench", "--walkers", "lots"]] {
        let output = multistart().args(args).output().unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    }
}

#[test]
fn sigint_writes_a_complete_file_marked_partial_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("multistart"))
        .args(["--walkers", "1e9", "--backend", "cpu", "--quiet", "--json", json.to_str().unwrap()])
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // The shell's builtin kill: no procps needed.
    let killed = std::process::Command::new("sh").args(["-c", &format!("kill -INT {}", child.id())]).status().unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", String::from_utf8_lossy(&output.stderr));
    common::assert_partial_report(&json);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "a temporary file was left");
    assert!(String::from_utf8(output.stdout).unwrap().contains("interrupted:"));
}

#[test]
fn four_shards_merge_into_exactly_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let base = ["--walkers", "50000", "--backend", "cpu", "--quiet"];
    stdout_of(&[&base[..], &["--json", &path("single.json")]].concat());
    for k in 0..4 {
        stdout_of(&[&base[..], &["--shard", &format!("{k}/4"), "--json", &path(&format!("s{k}.json"))]].concat());
    }
    // In another order than the shards'.
    stdout_of(&[
        "merge",
        &path("s2.json"),
        &path("s0.json"),
        &path("s3.json"),
        &path("s1.json"),
        "--json",
        &path("merged.json"),
    ]);
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(path(name)).unwrap()).unwrap()
    };
    let (single, merged) = (read("single.json"), read("merged.json"));
    assert_eq!(merged["partial"], false);
    assert_eq!(merged["walkers_done"], 50_000);
    for key in ["moving", "plateau", "escaped", "nonfinite", "restarts_for_99"] {
        assert_eq!(single[key], merged[key], "{key}");
    }
    let (a, b) = (single["basins"].as_array().unwrap(), merged["basins"].as_array().unwrap());
    assert_eq!(a.len(), 3);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        for key in ["count", "fraction", "ci95", "median_iterations", "p90_iterations", "kind"] {
            assert_eq!(x[key], y[key], "{key}");
        }
        for k in 0..2 {
            assert!((x["point"][k].as_f64().unwrap() - y["point"][k].as_f64().unwrap()).abs() < 1e-12);
        }
    }
    for b in single["summary"]["basins"].as_array().unwrap() {
        let twin = merged["summary"]["basins"].as_array().unwrap().iter().find(|m| m["count"] == b["count"]).unwrap();
        assert_eq!(twin["iterations"], b["iterations"]);
    }
}

#[test]
fn merge_refuses_mismatched_and_corrupt_summaries() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let base = ["--walkers", "2000", "--backend", "cpu", "--quiet"];
    stdout_of(&[&base[..], &["--shard", "0/2", "--json", &path("a.json")]].concat());
    stdout_of(&[&base[..], &["--shard", "1/2", "--seed", "7", "--json", &path("seed.json")]].concat());
    stdout_of(&[&base[..], &["--shard", "1/2", "--lr", "0.02", "--json", &path("lr.json")]].concat());
    stdout_of(&[&base[..], &["--json", &path("whole.json")]].concat());
    std::fs::write(path("corrupt.json"), "{\"version\": ").unwrap();
    // A well-formed file whose counts do not add up (or would overflow).
    let mut tampered: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path("seed.json")).unwrap()).unwrap();
    tampered["config"]["seed"] = 1.into();
    tampered["summary"]["moving"] = u64::MAX.into();
    std::fs::write(path("tampered.json"), tampered.to_string()).unwrap();
    let out = path("out.json");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![path("a.json"), path("seed.json")], "config.seed: 7 vs 1"),
        (vec![path("a.json"), path("lr.json")], "config.lr: 0.02 vs 0.01"),
        (vec![path("a.json"), path("a.json")], "given twice"),
        (vec![path("a.json"), path("whole.json")], "not a shard"),
        (vec![path("a.json"), path("corrupt.json")], "not a multistart JSON report"),
        (vec![path("a.json"), path("tampered.json")], "does not count the 1000 walkers of shard 1/2 once each"),
        (vec![path("a.json"), path("missing.json")], "missing.json"),
    ];
    for (inputs, needle) in cases {
        let output = multistart().arg("merge").args(&inputs).args(["--json", &out]).output().unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{inputs:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{inputs:?}: {stderr}");
        assert!(!std::path::Path::new(&out).exists());
    }
    let output = multistart().args(["--walkers", "100", "--shard", "4/4", "--backend", "cpu"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8(output.stderr).unwrap().contains("--shard 4/4"));
}

/// The check: Rastrigin in 5-D with a million walkers on the GPU
/// reports many local minima, the best the global one at the origin.
#[test]
fn rastrigin_5d_with_a_million_walkers_on_the_gpu() {
    if !common::has_gpu("rastrigin_5d_with_a_million_walkers_on_the_gpu") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let output = multistart()
        .args(["--surface", "rastrigin", "--dim", "5", "--walkers", "1000000", "--backend", "gpu", "-q", "--json"])
        .arg(&json)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("rastrigin (5-D) on [-5.12, 5.12]^5") && stdout.contains("more critical points"),
        "{stdout}"
    );
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["config"]["dim"], 5);
    // Far from the origin f32 cannot push |grad f| below tol at curvature 397:
    // those walkers arrived all the same, and are not counted as moving.
    assert!(report["moving"].as_u64().unwrap() < 1000, "{}", report["moving"]);
    let basins = report["basins"].as_array().unwrap();
    assert!(basins.len() > 10_000, "{} basins", basins.len());
    let best = &basins[0];
    assert_eq!(best["best"], true);
    assert_eq!(best["global"], true);
    let point: Vec<f64> = best["point"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(point.len() == 5 && point.iter().all(|c| c.abs() < 1e-6), "{point:?}");
}

/// stderr that is not a terminal (a Slurm or CI log) gets plain progress
/// lines instead of a bar; --quiet silences them.
#[test]
fn a_log_gets_plain_progress_lines() {
    let args = ["--walkers", "40000", "--chunk", "10000", "--steps", "100", "--backend", "cpu"];
    let out = multistart().args(args).env("MULTISTART_PROGRESS_SECONDS", "0").assert().success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("progress: ")).collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(lines[0].starts_with("progress: 10,000 of 40,000 walkers (25.0%), "), "{stderr}");
    assert!(lines[2].contains("30,000 of 40,000 walkers (75.0%)") && lines[2].ends_with(" s left"), "{stderr}");
    assert!(!stderr.contains('\r'), "no bar: {stderr:?}");
    let quiet = multistart().args(args).arg("--quiet").env("MULTISTART_PROGRESS_SECONDS", "0").assert().success();
    assert!(quiet.get_output().stderr.is_empty());
}

/// A shard says which walkers it ran, in the header and the JSON; sweep,
/// whose report merge cannot read, refuses --shard.
#[test]
fn a_shard_names_its_walkers_and_sweep_refuses_shards() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("s.json");
    let out = multistart()
        .args(["--walkers", "1000", "--shard", "1/4", "--backend", "cpu", "--json"])
        .arg(&json)
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("250 walkers (shard 1/4 of 1,000: indices 250 to 499) x 1,000 steps"), "{text}");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["shard_walkers"], serde_json::json!([250, 500]));
    assert_eq!(report["config"]["walkers"], 1000);
    let refused = multistart()
        .args(["sweep", "--param", "lr", "--values", "0.01", "--walkers", "100", "--shard", "0/2"])
        .assert()
        .code(2);
    let stderr = String::from_utf8(refused.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr, "error: sweep runs every walker for each value: --shard is for plain runs and merge\n");
}

/// With --tol 0 every step runs, and --settle-tol sets the threshold the
/// classification uses (1e-4 unless told), shown in the header and the JSON.
#[test]
fn settle_tol_is_the_classifications_own_threshold() {
    let moving = |extra: &[&str]| {
        let mut args = vec!["--walkers", "4000", "--tol", "0", "--backend", "cpu"];
        args.extend_from_slice(extra);
        let text = stdout_of(&args);
        let row = text.lines().find(|l| l.trim_start().starts_with("moving")).unwrap().to_string();
        (text, row.split_whitespace().nth(1).unwrap().replace(',', "").parse::<u64>().unwrap())
    };
    let (text, default) = moving(&[]);
    assert!(text.contains("tol 0 (settled below |grad f| 0.0001)"), "{text}");
    let (text, loose) = moving(&["--settle-tol", "0.1"]);
    assert!(text.contains("tol 0 (settled below |grad f| 0.1)"), "{text}");
    assert!(default > 500 && loose < default / 2, "moving {default} at 1e-4, {loose} at 0.1");
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    multistart()
        .args(["--walkers", "100", "--tol", "0", "--settle-tol", "0.1", "--json"])
        .arg(&json)
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["config"]["settle_tol"], 0.1);
}

/// Where most walkers go non-finite because the formula is undefined on
/// part of the region, the report says so, with a point where it is.
#[test]
fn a_formula_undefined_on_part_of_the_region_is_named() {
    let out = multistart().args(["--expr", "sqrt(x)", "--walkers", "1000", "--backend", "cpu"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("of walkers went non-finite: expr sqrt(x) is undefined on part of the region (f = NaN at (-2.000000, -2.000000))"),
        "{text}"
    );
    // A surface defined everywhere gets no such line.
    assert!(!stdout_of(&["--walkers", "1000", "--backend", "cpu"]).contains("non-finite"));
}

/// Walkers still moving at the end are told apart by what more steps would
/// do: those still approaching a minimum (raise --steps), those drifting on
/// the flat outskirts, those oscillating because lr exceeds 2/lambda_max.
#[test]
fn moving_walkers_are_diagnosed_by_what_more_steps_would_do() {
    let warnings = |extra: &[&str]| {
        let mut args = vec!["--walkers", "20000", "--backend", "cpu"];
        args.extend_from_slice(extra);
        stdout_of(&args).lines().filter(|l| l.starts_with("warning: ")).map(String::from).collect::<Vec<_>>()
    };
    let default = warnings(&[]);
    assert!(default.iter().any(|w| w.contains("% of walkers were drifting on the flat outskirts")), "{default:?}");
    assert!(!default.iter().any(|w| w.contains("raise --steps")), "{default:?}");
    let short = warnings(&["--steps", "50"]);
    assert!(short.iter().any(|w| w.contains("still moving after 50 steps: raise --steps")), "{short:?}");
    let fast = warnings(&["--lr", "0.07"]);
    assert!(
        fast.iter()
            .any(|w| w.contains("% of walkers were oscillating around a minimum whose 2/lambda_max is below lr 0.07")),
        "{fast:?}"
    );
}

/// bench times any surface, formula and optimizer, on as many threads as asked.
#[test]
fn bench_takes_the_surface_the_optimizer_and_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.json");
    let args = ["bench", "--walkers", "500", "--steps", "20", "--runs", "1", "--threads", "1"];
    let text = stdout_of(
        &[
            &args[..],
            &["--expr", "x^2 + y^2", "--optimizer", "momentum", "--beta", "0.5", "--json", path.to_str().unwrap()],
        ]
        .concat(),
    );
    assert!(text.starts_with("expr x^2 + y^2 descent, optimizer momentum (beta 0.5), 20 steps per walker"), "{text}");
    assert!(text.contains("1 threads, scalar engine"), "{text}");
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(j["machine"]["threads"], 1);
    assert_eq!(j["optimizer"], "momentum");
    assert_eq!(j["optimizer_params"], serde_json::json!({"beta": 0.5}));
    assert!(!j["rows"].as_array().unwrap().iter().any(|r| r["backend"] == "cpu-f32-portable"));
    for threads in ["0", "5000"] {
        let out = multistart().args(["bench", "--walkers", "10", "--threads", threads]).assert().code(2);
        let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert_eq!(stderr, format!("error: --threads {threads}: expected 1 to 1024 threads\n"));
    }
    let text = stdout_of(&[&args[..], &["--surface", "himmelblau"]].concat());
    assert!(text.starts_with("himmelblau descent, optimizer gd,") && text.contains("fast engine on"), "{text}");
}

/// A line of minima (x^2 along y; x^2 sin(y) along x = 0 where sin y > 0)
/// is reported as a valley of minima, not only as a plateau.
#[test]
fn a_valley_of_minima_is_named() {
    for (args, share) in [(vec!["--expr", "x^2"], "100.0%"), (vec!["--surface", "xsiny"], "%")] {
        let text = stdout_of(&[&args[..], &["--walkers", "2000", "--backend", "cpu"]].concat());
        assert!(text.contains("no walker reached an isolated minimum (see the valley below)"), "{text}");
        let line = text.lines().find(|l| l.contains("settled in a valley of minima at f = 0.000000")).expect(&text);
        assert!(line.contains(share) && line.contains("degenerate"), "{line}");
    }
    assert!(!stdout_of(&["--walkers", "2000", "--backend", "cpu"]).contains("valley"));
}
