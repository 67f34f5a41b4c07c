//! Basin studies as a user runs them: map, critical, sweep, trajectories.

use assert_cmd::Command;
use multistart::surface::Surface;

fn multistart() -> Command {
    let mut cmd = Command::cargo_bin("multistart").unwrap();
    cmd.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    cmd
}

fn stdout_of(args: &[&str]) -> String {
    let out = multistart().args(args).assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn critical_lists_the_nine_points_of_peaks_to_1e6() {
    let text = stdout_of(&["critical"]);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .filter(|w: &Vec<&str>| w.len() == 7 && w[0].parse::<u32>().is_ok())
        .collect();
    assert_eq!(rows.len(), 9, "{text}");
    for kind in ["minimum", "saddle", "maximum"] {
        assert_eq!(rows.iter().filter(|r| r[1] == kind).count(), 3, "{text}");
    }
    let known = Surface::Peaks.known_points().into_iter().map(|k| (k.point[0], k.point[1]));
    for (x, y) in known {
        assert!(
            rows.iter()
                .any(|r| (r[2].parse::<f64>().unwrap() - x).abs() < 1e-6
                    && (r[3].parse::<f64>().unwrap() - y).abs() < 1e-6),
            "missing ({x}, {y}): {text}"
        );
    }
}

#[test]
fn map_draws_the_asked_size_with_basin_colours_marks_and_grid_shares() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("basins.png");
    let map_json = dir.path().join("map.json");
    let grid_json = dir.path().join("grid.json");
    stdout_of(&["map", "--backend", "cpu", "--png", png.to_str().unwrap(), "--json", map_json.to_str().unwrap()]);
    let img = image::open(&png).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (800, 800));

    // At least three basin colours, each on many pixels.
    let palette = [[31u8, 119, 180], [255, 127, 14], [44, 160, 44]];
    for colour in palette {
        let n = img.pixels().filter(|p| p.0 == colour).count();
        assert!(n > 10_000, "{colour:?} on {n} pixels");
    }
    // A mark (black at its centre) at each of the nine critical points.
    let to_px = |x: f64, y: f64| {
        (((x + 2.0) / 4.0 * 800.0 - 0.5).round() as u32, (800.0 - (y + 2.0) / 4.0 * 800.0 - 0.5).round() as u32)
    };
    for (x, y) in [
        (0.228279, -1.625535),
        (-1.347396, 0.204519),
        (0.296446, 0.320196),
        (0.416323, -0.394145),
        (-0.265938, 0.466740),
        (1.098273, 0.854461),
        (1.285685, -0.004848),
        (-0.460025, -0.629197),
        (-0.009318, 1.581368),
    ] {
        let (px, py) = to_px(x, y);
        assert_eq!(img.get_pixel(px, py).0, [0, 0, 0], "no mark at ({x}, {y})");
    }
    // The legend: a pale box in the top right corner.
    assert!(img.get_pixel(780, 14).0.iter().all(|&c| c > 200));

    // The legend's shares are those of a grid run of the same size.
    stdout_of(&["--starts", "grid", "--grid", "800x800", "--backend", "cpu", "--json", grid_json.to_str().unwrap()]);
    let (m, g) = (read_json(&map_json), read_json(&grid_json));
    assert_eq!(m["basins"].as_array().unwrap().len(), 3);
    for (a, b) in m["basins"].as_array().unwrap().iter().zip(g["basins"].as_array().unwrap()) {
        assert_eq!(a["count"], b["count"]);
        assert_eq!(a["fraction"], b["fraction"]);
        assert!(a["area"].as_f64().unwrap() > 1.0);
    }
    assert_eq!(m["moving"], g["moving"]);
}

#[test]
fn sweep_lr_shows_what_each_learning_rate_reaches() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("sweep.json");
    let png = dir.path().join("sweep.png");
    stdout_of(&[
        "sweep",
        "--param",
        "lr",
        "--values",
        "0.00001,0.001,0.01,0.1,0.5",
        "--walkers",
        "20000",
        "--backend",
        "cpu",
        "--json",
        json.to_str().unwrap(),
        "--png",
        png.to_str().unwrap(),
    ]);
    let j = read_json(&json);
    assert_eq!(j["param"], "lr");
    assert_eq!(j["values"].as_array().unwrap().len(), 5);
    let minima_at = |k: usize| -> Vec<(f64, u64)> {
        j["runs"][k]["report"]["basins"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["kind"] == "minimum" && b["count"].as_u64().unwrap() > 0)
            .map(|b| (b["point"][1].as_f64().unwrap(), b["count"].as_u64().unwrap()))
            .collect()
    };
    assert_eq!(j["runs"][4]["value"], 0.5);
    assert!(minima_at(4).is_empty(), "lr 0.5 puts walkers in a minimum");
    assert!(
        !minima_at(3).is_empty() && minima_at(3).iter().all(|(y, _)| (y - -1.625535).abs() > 0.1),
        "lr 0.1: {:?}",
        minima_at(3)
    );
    assert_eq!(minima_at(2).len(), 3, "lr 0.01 reaches all three minima");
    assert_eq!(image::open(&png).unwrap().to_rgb8().dimensions(), (900, 600));
}

#[test]
fn trajectory_from_0_1_4_ends_at_the_shallow_minimum() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("t.csv");
    stdout_of(&[
        "--start",
        "0,1.4",
        "--backend",
        "cpu",
        "--trajectories",
        "1",
        "--every",
        "50",
        "--csv-trajectories",
        csv_path.to_str().unwrap(),
    ]);
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), ["walker", "step", "x", "y", "f", "partial"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!((&rows[0][1], &rows[0][2], &rows[0][3]), ("0", "0.0", "1.399999976158142"));
    assert_eq!(&rows[1][1], "50");
    let last = rows.last().unwrap();
    let (x, y): (f64, f64) = (last[2].parse().unwrap(), last[3].parse().unwrap());
    assert!((x - 0.2964).abs() < 1e-3 && (y - 0.3202).abs() < 1e-3, "{x} {y}");
}

#[test]
fn study_commands_refuse_bad_input_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("x.png");
    let cases: Vec<Vec<&str>> = vec![
        vec!["map", "--size", "800"],
        vec!["map", "--size", "4x4"],
        vec!["map", "--walkers", "100"],
        vec!["sweep", "--param", "lr", "--values", "0.01,-1"],
        vec!["sweep", "--param", "steps", "--values", "10.5"],
        vec!["sweep", "--param", "speed", "--values", "1"],
        vec!["critical", "--region", "2,-2,0,1"],
        vec!["--start", "0,1", "--trajectories", "1"],
        vec!["--walkers", "10", "--walker-ids", "10", "--csv-trajectories", "t.csv"],
    ];
    for args in cases {
        let output = multistart().args(&args).arg("--png").arg(&png).current_dir(dir.path()).output().unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "{args:?} left a file");
    }
}

/// Sweeps outside the plane: 1-D (once a panic) and 3-D (once cut to x, y)
/// label basins by their whole point and write x1..xD columns.
#[test]
fn sweep_reports_points_in_their_own_dimension() {
    let dir = tempfile::tempdir().unwrap();
    for dim in ["1", "3"] {
        let csv = dir.path().join(format!("sweep{dim}.csv"));
        let output = multistart()
            .args(["sweep", "--surface", "rastrigin", "--dim", dim, "--region", "-1.5,1.5", "--param", "lr"])
            .args(["--values", "0.001,0.002", "--walkers", "2000", "--backend", "cpu", "-q", "--csv"])
            .arg(&csv)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8(output.stdout).unwrap();
        let text = std::fs::read_to_string(&csv).unwrap();
        let header = text.lines().next().unwrap();
        if dim == "1" {
            assert!(stdout.contains("#1 min (0.000)"), "{stdout}");
            assert_eq!(header, "value,class,id,kind,x1,f,count,fraction,ci95_lo,ci95_hi,partial");
        } else {
            assert!(stdout.contains("#1 min (0.000,0.000,0.000)") && stdout.contains("others"), "{stdout}");
            assert_eq!(header, "value,class,id,kind,x1,x2,x3,f,count,fraction,ci95_lo,ci95_hi,partial");
        }
        let columns = header.split(',').count();
        assert!(text.lines().all(|l| l.split(',').count() == columns));
    }
}

/// `--values` as ranges and log spans: the rows are the values they stand for.
#[test]
fn sweep_values_take_ranges_and_log_spans() {
    let rows = |values: &[&str]| {
        let mut args =
            vec!["sweep", "--param", "lr", "--walkers", "500", "--steps", "20", "--backend", "cpu", "--quiet"];
        args.extend_from_slice(values);
        let out = multistart().args(&args).assert().success().get_output().stdout.clone();
        let text = String::from_utf8(out).unwrap();
        let firsts: Vec<String> = text
            .lines()
            .skip_while(|l| !l.trim_start().starts_with("lr "))
            .skip(1)
            .map_while(|l| l.split_whitespace().next().map(String::from))
            .collect();
        firsts
    };
    assert_eq!(rows(&["--values", "0.05:0.07:0.005"]), ["0.05", "0.055", "0.06", "0.065", "0.07"]);
    assert_eq!(rows(&["--values", "1e-4..1e-2", "--log", "3"]), ["0.0001", "0.001", "0.01"]);
}

/// The sweep's JSON numbers basins as its table and CSV do, with each
/// value's counts and Wilson intervals under those ids.
#[test]
fn sweep_json_and_csv_share_basin_ids() {
    let dir = tempfile::tempdir().unwrap();
    let (json, csv) = (dir.path().join("s.json"), dir.path().join("s.csv"));
    multistart()
        .args(["sweep", "--param", "lr", "--values", "0.01,0.1", "--walkers", "3000", "--backend", "cpu", "-q"])
        .arg("--json")
        .arg(&json)
        .arg("--csv")
        .arg(&csv)
        .assert()
        .success();
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let mut reader = csv::Reader::from_path(&csv).unwrap();
    let h = reader.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    for r in reader.records().map(Result::unwrap).filter(|r| &r[col("class")] == "basin") {
        let id: u64 = r[col("id")].parse().unwrap();
        let basin = j["basins"].as_array().unwrap().iter().find(|b| b["id"] == id).unwrap();
        assert_eq!(format!("{:.6}", basin["point"][0].as_f64().unwrap()), r[col("x")]);
        let run = j["runs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|run| run["value"].as_f64() == r[col("value")].parse().ok())
            .unwrap();
        let count = run["counts"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap();
        assert_eq!(count["count"].as_u64(), r[col("count")].parse().ok());
        assert_eq!(count["ci95"][0].as_f64().unwrap().to_string(), r[col("ci95_lo")]);
    }
}

/// `sweep --param optimizer|surface|seed` compares what users compare:
/// one row per value, named in the table, the CSV and the JSON.
#[test]
fn sweeps_of_optimizers_surfaces_and_seeds() {
    let first_column = |args: &[&str]| {
        let text = stdout_of(args);
        let header = text.lines().position(|l| l.contains("moving  plateau")).expect("a share table");
        text.lines().skip(header + 1).map(|l| l.split_whitespace().next().unwrap().to_string()).collect::<Vec<_>>()
    };
    let common = ["--walkers", "2000", "--backend", "cpu", "-q"];
    let mut args = vec!["sweep", "--param", "optimizer", "--values", "gd,momentum,adam", "--beta", "0.5"];
    args.extend(common);
    assert_eq!(first_column(&args), ["gd", "momentum", "adam"]);
    let mut args = vec!["sweep", "--param", "surface", "--values", "peaks,booth"];
    args.extend(common);
    assert_eq!(first_column(&args), ["peaks", "booth"]);
    let mut args = vec!["sweep", "--param", "seed", "--values", "1,2,1e1"];
    args.extend(common);
    assert_eq!(first_column(&args), ["1", "2", "10"]);

    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("s.json");
    multistart()
        .args(["sweep", "--param", "optimizer", "--values", "gd,nesterov", "--beta", "0.5"])
        .args(common)
        .arg("--json")
        .arg(&json)
        .assert()
        .success();
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(j["values"], serde_json::json!(["gd", "nesterov"]));
    assert_eq!(j["runs"][1]["report"]["config"]["optimizer_params"], serde_json::json!({"beta": 0.5}));
    assert_eq!(j["runs"][0]["report"]["config"]["optimizer_params"], serde_json::json!({}));

    for (args, needle) in [
        (vec!["--param", "optimizer", "--values", "gd,sgd"], "unknown optimizer \"sgd\""),
        (
            vec!["--param", "optimizer", "--values", "gd,rmsprop", "--beta", "0.5"],
            "none of the optimizers swept uses it",
        ),
        (vec!["--param", "surface", "--values", "peaks,nope"], "unknown surface"),
        (vec!["--param", "seed", "--values", "1.5"], "seed"),
    ] {
        let out = multistart().arg("sweep").args(&args).args(common).assert().code(2);
        let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert!(stderr.starts_with("error: ") && stderr.contains(needle) && stderr.lines().count() == 1, "{stderr}");
    }
}
