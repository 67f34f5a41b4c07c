//! Untrusted input: tampered shard reports for `merge`, and starts files
//! that are endless, huge, binary or not files at all. Each is refused with
//! exit code 2 and one short line on stderr, `error: ...`, with no raw
//! control character, and nothing is written.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::{Value, json};

fn multistart(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("multistart").unwrap();
    cmd.env("XDG_RUNTIME_DIR", std::env::temp_dir()).current_dir(dir).timeout(Duration::from_secs(120));
    cmd
}

/// Two shards (0/2 and 1/2) of one small run, as parsed JSON.
fn shards() -> &'static [Value; 2] {
    static SHARDS: OnceLock<[Value; 2]> = OnceLock::new();
    SHARDS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let read = |k: u32| {
            let path = dir.path().join(format!("s{k}.json"));
            multistart(dir.path())
                .args(["--walkers", "2000", "--backend", "cpu", "--quiet", "--shard", &format!("{k}/2"), "--json"])
                .arg(&path)
                .assert()
                .success();
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        [read(0), read(1)]
    })
}

/// The files in `dir`, by name.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Runs `args` in `dir` and checks the refusal: exit code 2, one line
/// `error: ...` of printable text under 400 characters that contains
/// `needle`, and no file added to `dir`. Returns the line.
fn refused(dir: &Path, args: &[&str], needle: &str) -> String {
    let before = listing(dir);
    let output = multistart(dir).args(args).args(["--json", "out.json"]).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    let line = stderr.strip_suffix('\n').unwrap_or_else(|| panic!("{args:?}: no final newline: {stderr:?}"));
    assert!(line.starts_with("error: "), "{args:?}: {line}");
    assert!(!line.chars().any(char::is_control), "{args:?}: control characters in {line:?}");
    assert!(line.chars().count() < 400, "{args:?}: {} characters: {line}", line.chars().count());
    assert!(line.contains(needle), "{args:?}: expected {needle:?} in {line}");
    assert_eq!(listing(dir), before, "{args:?}: a file was written");
    line.to_string()
}

/// Writes shard 0 as it is and shard 1 changed by `tamper`, merges them,
/// and checks the refusal names `b.json` and `needle`.
fn merge_refuses(tamper: impl FnOnce(&mut Value), needle: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let [a, b] = shards().clone();
    let mut b = b;
    tamper(&mut b);
    std::fs::write(dir.path().join("a.json"), a.to_string()).unwrap();
    std::fs::write(dir.path().join("b.json"), b.to_string()).unwrap();
    let line = refused(dir.path(), &["merge", "a.json", "b.json"], needle);
    assert!(line.contains("b.json"), "{line}");
    line
}

fn merge_text_refused(text: &str, needle: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.json"), shards()[0].to_string()).unwrap();
    std::fs::write(dir.path().join("b.json"), text).unwrap();
    refused(dir.path(), &["merge", "a.json", "b.json"], needle)
}

#[test]
fn untampered_shards_merge_and_a_report_without_a_version_is_taken_as_this_one() {
    let dir = tempfile::tempdir().unwrap();
    let [a, mut b] = shards().clone();
    b.as_object_mut().unwrap().remove("version");
    std::fs::write(dir.path().join("a.json"), a.to_string()).unwrap();
    std::fs::write(dir.path().join("b.json"), b.to_string()).unwrap();
    multistart(dir.path()).args(["merge", "a.json", "b.json", "--json", "out.json"]).assert().success();
    let merged: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.json")).unwrap()).unwrap();
    assert_eq!(merged["walkers_done"], 2000);
    assert_eq!(merged["partial"], false);
}

#[test]
fn region_of_the_wrong_length() {
    merge_refuses(|b| b["config"]["region"] = json!([-2.0, 2.0, -2.0]), "config.region: 3 numbers, expected 4");
    // Refused as it is read, not after a million numbers are held.
    merge_refuses(|b| b["config"]["region"] = json!(vec![0; 1_000_000]), "config.region: invalid length 33");
}

#[test]
fn region_inverted() {
    merge_refuses(|b| b["config"]["region"] = json!([2.0, -2.0, -2.0, 2.0]), "config.region");
}

#[test]
fn basin_point_of_the_wrong_length() {
    merge_refuses(|b| b["summary"]["basins"][0]["point"] = json!([0.5]), "summary.basins[0].point: 1 coordinates");
    merge_refuses(|b| b["summary"]["basins"][0]["point"] = json!(vec![0; 1_000_000]), "point: invalid length 17");
}

#[test]
fn eigenvalues_of_the_wrong_length() {
    merge_refuses(
        |b| b["summary"]["basins"][0]["eigenvalues"] = json!([1.0, 2.0, 3.0]),
        "summary.basins[0].eigenvalues",
    );
}

#[test]
fn unknown_version() {
    let line = merge_refuses(|b| b["version"] = json!("99.0.0"), "is not this multistart's version");
    assert!(line.contains("version: ") && line.contains("99.0.0"), "{line}");
}

#[test]
fn histogram_past_the_step_budget() {
    merge_refuses(
        |b| {
            let basin = &mut b["summary"]["basins"][0];
            let count = basin["count"].as_u64().unwrap();
            basin["iterations"] = json!({"1001": count});
        },
        "summary.basins[0].iterations: 1001 iterations is more than the 1000 steps",
    );
}

#[test]
fn histogram_counts_that_overflow_when_summed() {
    merge_refuses(
        |b| b["summary"]["basins"][0]["iterations"] = json!({"3": u64::MAX, "4": 2}),
        "summary.basins[0].iterations: the histogram does not count",
    );
}

#[test]
fn steps_zero() {
    merge_refuses(|b| b["config"]["steps"] = json!(0), "config.steps: --steps 0");
}

#[test]
fn lr_negative() {
    merge_refuses(|b| b["config"]["lr"] = json!(-1.0), "config.lr: --lr -1");
}

#[test]
fn walkers_zero() {
    merge_refuses(|b| b["config"]["walkers"] = json!(0), "config.walkers: --walkers 0");
}

#[test]
fn nan_and_infinite_values() {
    // JSON has no NaN: serde_json writes it as null.
    merge_refuses(|b| b["config"]["tol"] = Value::Null, "config.tol: invalid type: null");
    merge_text_refused(
        &shards()[1].to_string().replacen("\"lr\":0.01", "\"lr\":1e999", 1),
        "config.lr: number out of range",
    );
}

#[test]
fn optimizer_parameters_the_cli_refuses() {
    merge_refuses(|b| b["config"]["optimizer_params"]["beta1"] = json!(1.5), "config.optimizer_params.beta1");
    merge_refuses(|b| b["config"]["optimizer_params"]["eps"] = json!(0.0), "config.optimizer_params.eps");
}

#[test]
fn wrong_types() {
    merge_refuses(|b| b["config"]["steps"] = json!("many"), "config.steps: invalid type: string");
    merge_refuses(|b| b["summary"]["moving"] = json!(-1), "summary.moving: invalid value");
    merge_refuses(|b| b["summary"]["basins"] = json!({"0": 1}), "summary.basins: invalid type: map");
}

#[test]
fn missing_keys() {
    merge_refuses(|b| drop(b["config"].as_object_mut().unwrap().remove("steps")), "config: missing field `steps`");
    merge_refuses(|b| drop(b.as_object_mut().unwrap().remove("summary")), "missing field `summary`");
}

#[test]
fn json_nested_100k_deep() {
    // Where a type is expected, the first level too many is refused; in a
    // key merge does not read, serde_json skips the nesting without
    // recursion (and without end, it reaches the end of the file).
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    merge_text_refused(&deep(100_000), "not a multistart JSON report: [0]: invalid type: sequence");
    merge_refuses(|b| b["config"]["starts"] = serde_json::from_str(&deep(100)).unwrap(), "config.starts");
    let at = |key: &str, value: &str| shards()[1].to_string().replacen(key, &format!("{value},{key}"), 1);
    let open = "[".repeat(100_000);
    merge_text_refused(&at("\"walkers\":", &format!("\"extra\":{open}")), "config.extra: expected value");
    // The summary's basins come last (the table's rows, which merge skips, first).
    let text = shards()[1].to_string();
    let i = text.rfind("\"point\":").unwrap();
    let points = format!("{}\"point\":{open}{}", &text[..i], &text[i + "\"point\":".len()..]);
    merge_text_refused(&points, "].point[0]: invalid type: sequence, expected f64");
    // Closed, in a key merge does not read: skipped, and the rest still
    // checked (here the shard is refused for its seed).
    let closed = at("\"walkers\":", &format!("\"extra\":{}", deep(100_000))).replacen("\"seed\":1", "\"seed\":9", 1);
    merge_text_refused(&closed, "config.seed: 9 vs 1");
}

#[test]
fn counts_that_do_not_add_up_and_shards_that_do_not_exist() {
    merge_refuses(
        |b| b["summary"]["walkers"] = json!(b["summary"]["walkers"].as_u64().unwrap() + 1),
        "does not count the 1000 walkers of shard 1/2",
    );
    merge_refuses(|b| b["summary"]["basins"][0]["count"] = json!(u64::MAX), "summary.basins[0].count");
    merge_refuses(|b| b["shard"] = json!([3, 2]), "shard: shard 3/2 does not exist");
}

#[test]
fn dimension_out_of_range() {
    merge_refuses(|b| b["config"]["dim"] = json!(1000), "config.dim");
    merge_refuses(|b| b["config"]["dim"] = json!(u64::MAX), "config.dim");
}

#[test]
fn text_with_escape_codes_or_of_great_length_is_quoted_and_cut() {
    let line =
        merge_refuses(|b| b["surface"] = json!(format!("\x1b[2J{}", "p".repeat(1 << 20))), "surface: \"\\u{1b}[2J");
    assert!(line.contains("more characters"), "{line}");
    merge_refuses(|b| b["device"]["name"] = json!("GPU\x1b]0;owned\x07"), "device.name");
    merge_refuses(|b| b["config"]["starts"] = json!("x".repeat(1 << 20)), "config.starts: \"xxx");
    merge_refuses(
        |b| {
            b["surface"] = json!("expr");
            b["config"]["expr"] = json!(format!("x + {}\x1b[31m", "(".repeat(5000)));
        },
        "config.expr: \"x + ((",
    );
}

/// Found by `cargo fuzz run summary`: the key of a value merge skips was
/// shown whole in the error, however long.
#[test]
fn keys_and_names_the_file_made_up_are_quoted_and_cut() {
    let key = format!("\x1b[2J{}", "k".repeat(10_000));
    let text = shards()[1].to_string().replacen("\"walkers\":", &format!("{}:[1,}},\"walkers\":", json!(key)), 1);
    let line = merge_text_refused(&text, "not a multistart JSON report: config.\"\\u{1b}[2Jkkk");
    assert!(line.contains("more characters"), "{line}");
    merge_refuses(
        |b| b["config"]["optimizer"] = json!(format!("\n\x1b[31m{}", "o".repeat(10_000))),
        "config.optimizer",
    );
}

#[test]
fn trailing_text_after_the_report() {
    merge_text_refused(&format!("{} {{}}", shards()[1]), "trailing characters");
}

#[test]
fn merge_of_dev_zero() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.json"), shards()[0].to_string()).unwrap();
    refused(dir.path(), &["merge", "a.json", "/dev/zero"], "/dev/zero");
}

#[test]
fn merge_of_a_file_past_the_size_bound() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.json"), shards()[0].to_string()).unwrap();
    // Sparse: no disk is used.
    let file = std::fs::File::create(dir.path().join("big.json")).unwrap();
    file.set_len(multistart::merge::MAX_REPORT_BYTES + 1).unwrap();
    refused(dir.path(), &["merge", "a.json", "big.json"], "larger than 1024 MiB");
}

#[test]
fn merge_of_a_fifo_that_never_ends() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.json"), shards()[0].to_string()).unwrap();
    let fifo: PathBuf = dir.path().join("endless.json");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // Whitespace is valid JSON padding: only the size bound stops it. The
    // writer ends when merge closes the pipe (a broken pipe); it is not
    // joined, so the test cannot hang on it.
    let writer = fifo.clone();
    std::thread::spawn(move || {
        use std::io::Write;
        let mut out = std::fs::OpenOptions::new().write(true).open(writer).unwrap();
        let spaces = vec![b' '; 1 << 16];
        while out.write_all(&spaces).is_ok() {}
    });
    refused(dir.path(), &["merge", "a.json", "endless.json"], "larger than 1024 MiB");
}

#[test]
fn merge_of_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.json"), shards()[0].to_string()).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    refused(dir.path(), &["merge", "a.json", "sub"], "is a folder");
}

/// `--starts-file FILE` in a fresh folder holding `contents` as `FILE`.
fn starts_refused(contents: &[u8], needle: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("starts.csv"), contents).unwrap();
    refused(dir.path(), &["--starts-file", "starts.csv", "--backend", "cpu", "--quiet"], needle)
}

#[test]
fn starts_file_dev_zero() {
    let dir = tempfile::tempdir().unwrap();
    refused(dir.path(), &["--starts-file", "/dev/zero", "--backend", "cpu"], "a line longer than 1 MiB");
}

#[test]
fn starts_file_with_a_line_past_the_bound() {
    let long = format!("x,y\n{},1\n", "1".repeat(multistart::starts::MAX_RECORD_BYTES + 10));
    starts_refused(long.as_bytes(), "row 2: a line longer than 1 MiB");
    // A quoted field's newlines join lines into one record.
    let joined = format!("x,y,note\n1,2,\"{}\"\n", "ab\n".repeat(multistart::starts::MAX_RECORD_BYTES / 3 + 10));
    starts_refused(joined.as_bytes(), "a line longer than 1 MiB");
}

#[test]
fn starts_file_with_a_huge_header() {
    let header = format!("{}\n1,2\n", "\x1b[31mx".repeat(multistart::starts::MAX_RECORD_BYTES / 4));
    starts_refused(header.as_bytes(), "row 1: a line longer than 1 MiB");
}

#[test]
fn starts_file_with_a_garbage_header_of_escape_codes() {
    let line = starts_refused(b"\x1b[2J\x1b[31mx\x07,\x1b]0;y\r\n1,2\n", "row 1: expected a header");
    assert!(line.contains("\\u{1b}[2J"), "{line}");
    let long = format!("{}\n1,2\n", "\x1b[2Jz,".repeat(10_000));
    let line = starts_refused(long.as_bytes(), "row 1: expected a header");
    assert!(line.contains("more characters"), "{line}");
}

#[test]
fn starts_file_empty_binary_or_a_folder() {
    starts_refused(b"", "expected a header");
    let binary: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    starts_refused(&binary, "starts file");
    starts_refused(b"x,y\n1,\xff\xfe\n", "row 2");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    refused(dir.path(), &["--starts-file", "sub", "--backend", "cpu"], "is a folder");
}

#[test]
fn starts_file_cell_of_great_length_is_cut() {
    let text = format!("x,y\n1,{}\n", "9".repeat(500_000) + "z");
    let line = starts_refused(text.as_bytes(), "row 2, column y");
    assert!(line.contains("more characters"), "{line}");
}

#[test]
fn basins_no_run_can_produce_are_refused() {
    merge_refuses(|b| b["summary"]["basins"][0]["point"] = json!([1e300, -1e300]), "outside the run's escape box");
    merge_refuses(|b| b["summary"]["basins"][0]["f"] = json!(1e308), "is not the surface's value at the point");
    merge_refuses(|b| b["summary"]["basins"][0]["eigenvalues"] = json!([-1e300, -5.0]), "is a maximum");
    merge_refuses(|b| b["summary"]["basins"][0]["kind"] = json!("saddle"), "saddle with these eigenvalues");
}
