//! Adversarial cases for outputs, signals, memory bounds, precision and
//! messages: each asserts the exit code, the stderr line(s), and the state
//! of every file involved before and after (a device stays a device, a
//! FIFO stays a FIFO, existing files are untouched, no temporary is left).
//! Formula and input-file cases are in reliability_formula.rs and
//! reliability_inputs.rs.

use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

mod common;
use common::assert_partial_report;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("multistart")
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(args).current_dir(dir).env("XDG_RUNTIME_DIR", std::env::temp_dir()).stdin(Stdio::null());
    cmd
}

fn run(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().unwrap()
}

/// What a folder holds: per name, its type, mode and contents.
fn snapshot(dir: &Path) -> BTreeMap<String, (String, u32, Vec<u8>)> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = std::fs::symlink_metadata(entry.path()).unwrap();
        let t = meta.file_type();
        let (kind, bytes) = if t.is_symlink() {
            ("link", std::fs::read_link(entry.path()).unwrap().into_os_string().into_encoded_bytes())
        } else if t.is_fifo() {
            ("fifo", Vec::new())
        } else if t.is_socket() {
            ("socket", Vec::new())
        } else if t.is_dir() {
            ("dir", Vec::new())
        } else {
            ("file", std::fs::read(entry.path()).unwrap())
        };
        out.insert(entry.file_name().to_string_lossy().into_owned(), (kind.to_string(), meta.mode(), bytes));
    }
    out
}

fn stderr_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// One `error: ...` line, with no control character in it.
fn assert_one_error_line(what: &str, o: &Output) {
    let text = stderr_of(o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{what}: expected one line on stderr, got {text:?}");
    assert!(lines[0].starts_with("error: "), "{what}: {text:?}");
    assert!(!lines[0].chars().any(char::is_control), "{what}: control character in {text:?}");
    assert!(lines[0].len() < 400, "{what}: a {}-byte line", lines[0].len());
}

fn no_temporaries(dir: &Path) {
    for name in snapshot(dir).keys() {
        assert!(!name.starts_with(".multistart-"), "temporary file {name} left in {}", dir.display());
    }
}

const QUICK: [&str; 5] = ["--walkers", "2000", "--backend", "cpu", "--quiet"];

fn quick(extra: &[&str]) -> Vec<String> {
    QUICK.iter().chain(extra).map(|s| s.to_string()).collect()
}

/// A refusal: exit 2, one line naming `needle`, and the folder as it was.
struct Refusal {
    what: &'static str,
    args: Vec<String>,
    needle: &'static str,
}

fn refusal(what: &'static str, args: Vec<String>, needle: &'static str) -> Refusal {
    Refusal { what, args, needle }
}

/// A folder with a starts file, an existing report, a read-only file, a
/// hard link, symbolic links, a FIFO and a sub-folder.
fn furnished() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("starts.csv"), "x,y\n0,1.4\n0.5,0.5\n").unwrap();
    std::fs::write(p("old.json"), "{\"keep\": true}\n").unwrap();
    std::fs::write(p("locked.json"), "locked\n").unwrap();
    std::fs::set_permissions(p("locked.json"), std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::hard_link(p("old.json"), p("hard.json")).unwrap();
    std::os::unix::fs::symlink("old.json", p("link.json")).unwrap();
    std::os::unix::fs::symlink("starts.csv", p("starts-link.csv")).unwrap();
    std::os::unix::fs::symlink("nowhere/x.json", p("dangling.json")).unwrap();
    std::fs::create_dir(p("sub")).unwrap();
    mkfifo(&p("pipe"));
    dir
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(ok.success(), "mkfifo {}", path.display());
}

#[test]
fn bad_outputs_are_refused_before_any_work_and_touch_nothing() {
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let long_name = format!("{}/x.json", "d".repeat(5000));
    let cases = vec![
        refusal("a folder that does not exist, with a slash", quick(&["--json", "newdir/"]), "not a folder"),
        refusal("an existing folder", quick(&["--json", "sub"]), "not a folder"),
        refusal("a folder with a slash", quick(&["--csv-basins", "sub/"]), "not a folder"),
        refusal("an empty name", quick(&["--json", ""]), "--json"),
        refusal("a missing folder", quick(&["--json", "missing/x.json"]), "does not exist"),
        refusal("the same name twice", quick(&["--json", "a.json", "--csv-basins", "a.json"]), "same file"),
        refusal(
            "two spellings of one name",
            quick(&["--json", "a.json", "--csv-basins", "./sub/../a.json"]),
            "same file",
        ),
        refusal(
            "a hard link to another output",
            quick(&["--json", "old.json", "--csv-basins", "hard.json"]),
            "same file",
        ),
        refusal(
            "a symbolic link to another output",
            quick(&["--json", "link.json", "--csv-endpoints", "old.json"]),
            "same file",
        ),
        refusal("stdout twice", quick(&["--json", "-", "--csv-basins", "-"]), "same file"),
        refusal(
            "an output over the starts file",
            s(&["--starts-file", "starts.csv", "--backend", "cpu", "--quiet", "--csv-endpoints", "starts.csv"]),
            "reads",
        ),
        refusal(
            "an output over a link to the starts file",
            s(&["--starts-file", "starts.csv", "--backend", "cpu", "--quiet", "--json", "starts-link.csv"]),
            "reads",
        ),
        refusal("a read-only file", quick(&["--json", "locked.json"]), "read-only"),
        refusal("a dangling symbolic link", quick(&["--json", "dangling.json"]), "link"),
        refusal("a folder no one may write in", quick(&["--json", "/sys/x.json"]), "cannot write"),
        refusal(
            "a path under /dev that does not exist",
            quick(&["--json", "/dev/multistart-nothing/x.json"]),
            "--json",
        ),
        refusal(
            "trajectories onto the json",
            quick(&["--trajectories", "2", "--csv-trajectories", "a.csv", "--json", "a.csv"]),
            "same file",
        ),
        refusal(
            "map: picture and json the same",
            s(&["map", "--size", "16x16", "--backend", "cpu", "--quiet", "--png", "m.png", "--json", "m.png"]),
            "same file",
        ),
        refusal(
            "map: picture into a folder",
            s(&["map", "--size", "16x16", "--backend", "cpu", "--png", "sub"]),
            "not a folder",
        ),
        refusal(
            "sweep: csv and json the same",
            s(&[
                "sweep",
                "--param",
                "lr",
                "--values",
                "0.01,0.02",
                "--walkers",
                "100",
                "--backend",
                "cpu",
                "--csv",
                "s.csv",
                "--json",
                "s.csv",
            ]),
            "same file",
        ),
        refusal(
            "sweep: png in a missing folder",
            s(&[
                "sweep",
                "--param",
                "lr",
                "--values",
                "0.01",
                "--walkers",
                "100",
                "--backend",
                "cpu",
                "--png",
                "no/s.png",
            ]),
            "does not exist",
        ),
        refusal("critical: json and csv the same", s(&["critical", "--json", "c", "--csv", "c"]), "same file"),
        refusal(
            "bench: two outputs the same",
            s(&["bench", "--walkers", "1e3", "--runs", "1", "--json", "b", "--markdown", "b"]),
            "same file",
        ),
        refusal("merge: an output over a shard", s(&["merge", "old.json", "--json", "old.json"]), "reads"),
        refusal(
            "merge: an output over a hard link to a shard",
            s(&["merge", "old.json", "--csv-basins", "hard.json"]),
            "reads",
        ),
        refusal("a long path", quick(&["--json", &long_name]), "more characters"),
    ];
    let mut failures = Vec::new();
    for case in &cases {
        let dir = furnished();
        let before = snapshot(dir.path());
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let out = run(dir.path(), &args);
        let err = stderr_of(&out);
        let outcome = std::panic::catch_unwind(|| {
            assert_eq!(out.status.code(), Some(2), "{}: {err}", case.what);
            assert_one_error_line(case.what, &out);
            assert!(err.contains(case.needle), "{}: expected {:?} in {err:?}", case.what, case.needle);
            assert!(out.stdout.is_empty(), "{}: printed a table before refusing", case.what);
            assert_eq!(snapshot(dir.path()), before, "{}: the folder changed", case.what);
        });
        if outcome.is_err() {
            failures.push(case.what);
        }
    }
    assert!(failures.is_empty(), "failed: {failures:?}");
}

#[test]
fn dev_null_stays_a_device_and_many_outputs_may_go_there() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &quick(&["--json", "/dev/null", "--csv-basins", "/dev/null", "--csv-endpoints", "/dev/null"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let meta = std::fs::symlink_metadata("/dev/null").unwrap();
    assert!(meta.file_type().is_char_device(), "/dev/null is no longer a character device");
    assert!(String::from_utf8_lossy(&out.stdout).contains("walkers"), "the table is on stdout");
    assert!(snapshot(dir.path()).is_empty());
}

#[test]
fn dash_writes_json_to_stdout_and_the_table_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["--walkers", "2000", "--backend", "cpu", "--json", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is the JSON alone");
    assert_eq!(j["walkers_done"], 2000);
    assert!(stderr_of(&out).contains("restarts for a 99% chance"), "the table goes to stderr");
    assert!(snapshot(dir.path()).is_empty());

    let out = run(dir.path(), &["--walkers", "2000", "--backend", "cpu", "--quiet", "--csv-basins", "-"]);
    assert_eq!(out.status.code(), Some(0));
    let mut reader = csv::Reader::from_reader(&out.stdout[..]);
    let count = reader.headers().unwrap().iter().position(|h| h == "count").unwrap();
    let total: u64 = reader.records().map(|r| r.unwrap()[count].parse::<u64>().unwrap()).sum();
    assert_eq!(total, 2000, "the CSV on stdout counts every walker");
}

#[test]
fn dev_stdout_is_written_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &quick(&["--json", "/dev/stdout"]).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"walkers_done\": 2000"));
    assert!(std::fs::symlink_metadata("/dev/stdout").unwrap().file_type().is_symlink());
}

#[test]
fn a_fifo_is_written_in_place_and_stays_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let out = run(dir.path(), &quick(&["--json", "pipe"]).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let read = reader.join().unwrap();
    let j: serde_json::Value = serde_json::from_slice(&read).unwrap();
    assert_eq!(j["walkers_done"], 2000);
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    no_temporaries(dir.path());
}

#[test]
fn an_existing_file_keeps_its_mode_and_a_link_stays_a_link() {
    let dir = furnished();
    let p = |n: &str| dir.path().join(n);
    std::fs::set_permissions(p("old.json"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(dir.path(), &quick(&["--json", "link.json"]).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(std::fs::symlink_metadata(p("link.json")).unwrap().file_type().is_symlink(), "the link was replaced");
    let meta = std::fs::metadata(p("old.json")).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o600, "the mode changed");
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p("old.json")).unwrap()).unwrap();
    assert_eq!(j["walkers_done"], 2000);
    // The hard link still names the old contents: a rename, not an overwrite.
    assert_eq!(std::fs::read_to_string(p("hard.json")).unwrap(), "{\"keep\": true}\n");
    no_temporaries(dir.path());
}

#[test]
fn new_files_respect_the_umask() {
    for (umask, mode) in [("077", 0o600), ("022", 0o644), ("002", 0o664)] {
        let dir = tempfile::tempdir().unwrap();
        let script = format!("umask {umask}; exec \"$0\" \"$@\"");
        let out = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(bin())
            .args(QUICK)
            .args(["--json", "r.json", "--csv-basins", "b.csv"])
            .current_dir(dir.path())
            .env("XDG_RUNTIME_DIR", std::env::temp_dir())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        for name in ["r.json", "b.csv"] {
            let m = std::fs::metadata(dir.path().join(name)).unwrap().mode() & 0o777;
            assert_eq!(m, mode, "umask {umask}: {name} has mode {m:o}");
        }
    }
}

#[test]
fn a_full_device_leaves_no_other_output_looking_complete() {
    let dir = furnished();
    let before = std::fs::read(dir.path().join("old.json")).unwrap();
    let out = run(
        dir.path(),
        &quick(&["--json", "old.json", "--csv-endpoints", "new.csv", "--csv-basins", "/dev/full"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert_one_error_line("disk full", &out);
    let err = stderr_of(&out);
    assert!(err.contains("No space left on device") && err.contains("no other output was written"), "{err}");
    assert_eq!(std::fs::read(dir.path().join("old.json")).unwrap(), before, "the existing report was replaced");
    assert!(!dir.path().join("new.csv").exists(), "a new output was left behind");
    assert!(std::fs::symlink_metadata("/dev/full").unwrap().file_type().is_char_device());
    no_temporaries(dir.path());
}

/// Spawns a long run and sends it `signals` (after `first_after`, then
/// `gap` apart).
fn signalled(dir: &Path, args: &[&str], signals: &[&str], first_after: Duration, gap: Duration) -> Output {
    let child = command(dir, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(first_after);
    for (k, signal) in signals.iter().enumerate() {
        if k > 0 {
            std::thread::sleep(gap);
        }
        // The shell's builtin kill: no procps needed.
        let sent = Command::new("sh").args(["-c", &format!("kill -{signal} {}", child.id())]).status().unwrap();
        assert!(sent.success());
    }
    child.wait_with_output().unwrap()
}

const LONG: [&str; 5] = ["--walkers", "1e9", "--backend", "cpu", "--quiet"];

fn long<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    LONG.iter().chain(extra).copied().collect()
}

#[test]
fn sigterm_and_sighup_stop_like_ctrl_c_with_their_exit_codes() {
    for (signal, code) in [("TERM", 143), ("HUP", 129)] {
        let dir = tempfile::tempdir().unwrap();
        let out = signalled(
            dir.path(),
            &long(&["--json", "r.json", "--csv-basins", "b.csv"]),
            &[signal],
            Duration::from_millis(1500),
            Duration::ZERO,
        );
        assert_eq!(out.status.code(), Some(code), "SIG{signal}: {}", stderr_of(&out));
        assert!(stderr_of(&out).contains(&format!("interrupted (SIG{signal})")), "{}", stderr_of(&out));
        assert_partial_report(&dir.path().join("r.json"));
        let mut reader = csv::Reader::from_path(dir.path().join("b.csv")).unwrap();
        let partial = reader.headers().unwrap().iter().position(|h| h == "partial").expect("a partial column");
        for row in reader.records() {
            assert_eq!(&row.unwrap()[partial], "true");
        }
        no_temporaries(dir.path());
    }
}

#[test]
fn a_second_signal_quits_at_once_and_removes_the_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    // The endpoint CSV streams into a temporary file during the run.
    let started = std::time::Instant::now();
    let out = signalled(
        dir.path(),
        &long(&["--json", "r.json", "--csv-endpoints", "e.csv", "--chunk", "4e6"]),
        &["INT", "TERM"],
        Duration::from_millis(1500),
        Duration::from_millis(300),
    );
    assert_eq!(out.status.code(), Some(143), "{}", stderr_of(&out));
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(snapshot(dir.path()).is_empty(), "left behind: {:?}", snapshot(dir.path()).keys().collect::<Vec<_>>());
}

#[test]
fn a_signal_stops_trajectory_recording() {
    let dir = tempfile::tempdir().unwrap();
    let out = signalled(
        dir.path(),
        &[
            "--walkers",
            "1000",
            "--backend",
            "cpu",
            "--quiet",
            "--steps",
            "100000",
            "--tol",
            "0",
            "--every",
            "1",
            "--trajectories",
            "1000",
            "--csv-trajectories",
            "t.csv",
            "--json",
            "r.json",
        ],
        &["INT"],
        Duration::from_millis(2500),
        Duration::ZERO,
    );
    assert_eq!(out.status.code(), Some(130), "{}", stderr_of(&out));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(j["partial"], true);
    let rows = csv::Reader::from_path(dir.path().join("t.csv")).unwrap().records().count();
    assert!(rows > 0 && rows < 1000 * 100_001, "{rows} trajectory rows");
    no_temporaries(dir.path());
}

#[test]
fn a_signal_after_the_last_chunk_leaves_a_complete_run_and_exit_0() {
    // The run blocks opening the FIFO (its output) once every walker is
    // done; the signal comes then; the reader opens afterwards.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    mkfifo(&fifo);
    let child = command(dir.path(), &quick(&["--json", "pipe"]).iter().map(String::as_str).collect::<Vec<_>>())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let sent = Command::new("sh").args(["-c", &format!("kill -TERM {}", child.id())]).status().unwrap();
    assert!(sent.success());
    std::thread::sleep(Duration::from_millis(200));
    let read = std::fs::read(&fifo).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let j: serde_json::Value = serde_json::from_slice(&read).unwrap();
    assert_eq!(j["partial"], false);
    assert_eq!(j["walkers_done"], 2000);
}

#[test]
fn a_stopped_sweep_says_partial_everywhere_and_shares_what_ran() {
    let dir = tempfile::tempdir().unwrap();
    let out = signalled(
        dir.path(),
        &[
            "sweep",
            "--param",
            "lr",
            "--values",
            "0.01,0.02,0.03,0.04",
            "--walkers",
            "1e9",
            "--backend",
            "cpu",
            "--quiet",
            "--json",
            "s.json",
            "--csv",
            "s.csv",
        ],
        &["TERM"],
        Duration::from_millis(1500),
        Duration::ZERO,
    );
    assert_eq!(out.status.code(), Some(143), "{}", stderr_of(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("partial: stopped by a signal"));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("s.json")).unwrap()).unwrap();
    assert_eq!(j["partial"], true);
    let mut reader = csv::Reader::from_path(dir.path().join("s.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (fraction, partial) = (col("fraction"), col("partial"));
    let mut sum = 0.0;
    for row in reader.records() {
        let row = row.unwrap();
        assert_eq!(&row[partial], "true");
        sum += row[fraction].parse::<f64>().unwrap();
    }
    assert!((sum - 1.0).abs() < 1e-9, "shares of the walkers run add up to {sum}");
    no_temporaries(dir.path());
}

#[test]
fn sizes_beyond_memory_and_values_beyond_the_precision_are_refused() {
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let cases = vec![
        refusal("a chunk beyond memory", quick(&["--chunk", "1e12"]), "--chunk"),
        refusal("a chunk of u64::MAX", quick(&["--chunk", "18446744073709551615"]), "--chunk"),
        refusal(
            "trajectories of u64::MAX",
            quick(&["--trajectories", "18446744073709551615", "--csv-trajectories", "t.csv"]),
            "--trajectories",
        ),
        refusal(
            "more trajectories than the limit",
            s(&["--walkers", "1e6", "--backend", "cpu", "--trajectories", "20000", "--csv-trajectories", "t.csv"]),
            "--trajectories",
        ),
        refusal(
            "more trajectories than walkers",
            s(&["--walkers", "10", "--backend", "cpu", "--trajectories", "50", "--csv-trajectories", "t.csv"]),
            "--trajectories",
        ),
        refusal(
            "trajectories in exponent form",
            quick(&["--trajectories", "1e10", "--csv-trajectories", "t.csv"]),
            "--trajectories",
        ),
        refusal(
            "trajectory records beyond memory",
            s(&[
                "--walkers",
                "10000",
                "--backend",
                "cpu",
                "--steps",
                "4000000000",
                "--every",
                "1",
                "--trajectories",
                "10000",
                "--csv-trajectories",
                "t.csv",
            ]),
            "--trajectories",
        ),
        refusal("walkers beyond 2^40", s(&["--walkers", "2e12"]), "--walkers"),
        refusal("lr that is 0 in f32", quick(&["--lr", "1e-320"]), "f32"),
        refusal("lr that is infinite in f32", quick(&["--lr", "1e300"]), "f32"),
        refusal(
            "lr subnormal in f64",
            s(&["--walkers", "100", "--backend", "cpu", "--precision", "f64", "--lr", "1e-320"]),
            "f64",
        ),
        refusal("eps that is 0 in f32", quick(&["--optimizer", "adam", "--eps", "1e-50"]), "--eps"),
        refusal(
            "beta that rounds to 1 in f32",
            quick(&["--optimizer", "momentum", "--beta", "0.99999999999"]),
            "rounds to 1",
        ),
        refusal("rho that rounds to 1 in f32", quick(&["--optimizer", "rmsprop", "--rho", "0.999999999999"]), "--rho"),
        refusal("beta2 that is subnormal in f32", quick(&["--optimizer", "adam", "--beta2", "1e-40"]), "--beta2"),
        refusal("tol whose square underflows", quick(&["--tol", "1e-30"]), "--tol"),
        refusal("damping subnormal in f32", quick(&["--optimizer", "newton", "--damping", "1e-45"]), "--damping"),
        refusal("an escape box beyond f32", quick(&["--bound", "1e300"]), "--bound"),
        refusal("a region empty in f32", quick(&["--region", "1,1.00000000001,0,1"]), "empty in f32"),
        refusal("a cluster radius subnormal in f64", quick(&["--cluster-radius", "1e-320"]), "--cluster-radius"),
        refusal(
            "a sweep value that is 0 in f32",
            s(&["sweep", "--param", "lr", "--values", "0.01,1e-320", "--walkers", "100", "--backend", "cpu"]),
            "f32",
        ),
    ];
    let mut failures = Vec::new();
    for case in &cases {
        let dir = tempfile::tempdir().unwrap();
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let out = command(dir.path(), &args).output().unwrap();
        let err = stderr_of(&out);
        let outcome = std::panic::catch_unwind(|| {
            assert_eq!(out.status.code(), Some(2), "{}: {err}", case.what);
            assert!(err.starts_with("error: ") && err.contains(case.needle), "{}: {err:?}", case.what);
            assert!(!err.contains("0.0000000000000000"), "{}: a number written out in full: {err}", case.what);
            assert!(snapshot(dir.path()).is_empty(), "{}: a file was written", case.what);
        });
        if outcome.is_err() {
            failures.push(case.what);
        }
    }
    assert!(failures.is_empty(), "failed: {failures:?}");
}

#[test]
fn messages_are_one_line_without_control_characters() {
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let cases = vec![
        ("a newline in an output path", quick(&["--json", "a\nb/x.json"])),
        ("escape codes in an output path", quick(&["--json", "\x1b[2J\x1b[31m/x.json"])),
        ("escape codes in a region", quick(&["--region", "\x1b[2J,1,2,3"])),
        ("escape codes in a grid", s(&["--grid", "8\x1bx8", "--backend", "cpu"])),
        ("escape codes in a shard", quick(&["--shard", "0\x1b/2"])),
        ("escape codes in a start", s(&["--start", "0,\x1b1", "--backend", "cpu"])),
        ("escape codes in a starts file name", s(&["--starts-file", "\x1b]0;title\x07.csv", "--backend", "cpu"])),
        ("a newline in a walker count", quick(&["--walkers", "1\n2"])),
        ("a bell in a merge input", s(&["merge", "shard\x07.json"])),
        ("a bidi override in an output path", quick(&["--json", "/nonexistent\u{202e}/x.json"])),
        ("a bidi override in a formula", quick(&["--expr", "x^2+y^2\u{202e}"])),
    ];
    for (what, args) in cases {
        let dir = tempfile::tempdir().unwrap();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{what}: {}", stderr_of(&out));
        let err = stderr_of(&out);
        assert_eq!(err.lines().count(), 1, "{what}: {err:?}");
        assert!(err.starts_with("error: "), "{what}: {err:?}");
        assert!(!err.trim_end().chars().any(|c| !multistart::error::printable(c)), "{what}: {err:?}");
        assert!(snapshot(dir.path()).is_empty(), "{what}: a file was written");
    }
}

#[test]
fn clap_errors_keep_the_valid_values_and_the_suggestion_on_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &[&str]); 4] = [
        (&["--backend", "gpus"], &["invalid value 'gpus'", "[possible values: auto, cpu, gpu]"]),
        (
            &["--optimzer", "adam"],
            &["unexpected argument '--optimzer'", "tip: a similar argument exists: '--optimizer'"],
        ),
        (&["merge"], &["the following required arguments were not provided", "<FILE>"]),
        (&["--precision", "f16"], &["invalid value 'f16'", "possible values: f32, f64"]),
    ];
    for (args, needles) in cases {
        let out = run(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr_of(&out);
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("Usage:") && !err.contains("For more information"), "{args:?}: {err}");
        for needle in needles {
            assert!(err.contains(needle), "{args:?}: expected {needle:?} in {err}");
        }
    }
}

#[test]
fn dev_stdout_redirected_to_a_file_keeps_what_the_file_held() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.txt");
    std::fs::write(&log, "LOGLINE ".repeat(2000) + "\n").unwrap();
    let script = "exec \"$0\" --walkers 2000 --backend cpu --quiet --json /dev/stdout >> log.txt";
    let out = Command::new("sh").args(["-c", script]).arg(bin()).current_dir(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.starts_with(&"LOGLINE ".repeat(2000)), "the log's lines were overwritten");
    let json_at = text.find('{').unwrap();
    let j: serde_json::Value = serde_json::from_str(&text[json_at..]).expect("only the JSON follows the log");
    assert_eq!(j["walkers_done"], 2000);
    // The table went to stderr, since stdout is the JSON's.
    assert!(stderr_of(&out).contains("restarts for a 99% chance"));

    let script = "exec \"$0\" --walkers 2000 --backend cpu --quiet --json /dev/stdout > o.txt";
    let out = Command::new("sh").args(["-c", script]).arg(bin()).current_dir(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("o.txt")).unwrap()).unwrap();
    assert_eq!(j["walkers_done"], 2000);
}

#[test]
fn regular_files_reached_through_dev_or_proc_are_replaced_whole() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("z.json"), "X".repeat(30_000)).unwrap();
    for path in ["/proc/self/cwd/z.json", "/proc/self/cwd/new.json"] {
        let out = run(dir.path(), &quick(&["--json", path]).iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(out.status.code(), Some(0), "{path}: {}", stderr_of(&out));
        let name = path.rsplit('/').next().unwrap();
        let j: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(name)).unwrap()).expect("a whole JSON file");
        assert_eq!(j["walkers_done"], 2000);
    }
    no_temporaries(dir.path());
}

#[test]
fn more_outputs_that_cannot_be_written_are_refused_before_the_run() {
    let dir = furnished();
    let _socket = std::os::unix::net::UnixListener::bind(dir.path().join("sock.json")).unwrap();
    std::fs::write(dir.path().join("plain"), "a file\n").unwrap();
    let long_name = format!("{}.json", "n".repeat(300));
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        ("a socket", quick(&["--json", "sock.json"]), "socket"),
        ("a name longer than the file system takes", quick(&["--json", &long_name]), "longer than 255 bytes"),
        ("a file as a folder", quick(&["--json", "plain/x.json"]), "is not a folder"),
        ("stdout as - and as /dev/stdout", quick(&["--json", "-", "--csv-basins", "/dev/stdout"]), "same file"),
        (
            "critical: stdout twice",
            vec!["critical".into(), "--json".into(), "-".into(), "--csv".into(), "/dev/stdout".into()],
            "same file",
        ),
        ("an adapter for the CPU", quick(&["--adapter", "llvmpipe"]), "--adapter"),
        (
            "a sharded map",
            vec![
                "map".into(),
                "--size".into(),
                "20x20".into(),
                "--shard".into(),
                "0/2".into(),
                "--png".into(),
                "m.png".into(),
                "--backend".into(),
                "cpu".into(),
            ],
            "--shard",
        ),
        ("a long number echoed", quick(&["--eps", "1e-300"]), "1e-300"),
        ("a long formula constant", quick(&["--expr", "x^2+y^2+1e300"]), "1e300"),
        (
            "two ways to choose the walkers to follow",
            quick(&["--walker-ids", "5", "--trajectories", "3", "--csv-trajectories", "t.csv"]),
            "give one",
        ),
    ];
    for (what, args, needle) in cases {
        let before = snapshot(dir.path());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // stdout is a pipe here, as /dev/stdout is then.
        let out = command(dir.path(), &args).stdout(Stdio::piped()).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{what}: {}", stderr_of(&out));
        assert_one_error_line(what, &out);
        assert!(stderr_of(&out).contains(needle), "{what}: expected {needle:?} in {}", stderr_of(&out));
        assert_eq!(snapshot(dir.path()), before, "{what}: the folder changed");
    }
}

#[test]
fn a_missing_temporary_folder_is_found_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path(), &["--walkers", "2000", "--backend", "cpu", "--quiet", "--json", "-"])
        .env("TMPDIR", dir.path().join("missing"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert_one_error_line("TMPDIR", &out);
    assert!(stderr_of(&out).contains("temporary folder"), "{}", stderr_of(&out));
    assert!(out.stdout.is_empty());
}

#[test]
fn commands_that_cannot_stop_early_quit_at_the_first_signal() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let out = signalled(
        dir.path(),
        &["bench", "--walkers", "1e6", "--runs", "50", "--json", "b.json", "--csv", "b.csv"],
        &["TERM"],
        Duration::from_millis(700),
        Duration::ZERO,
    );
    assert_eq!(out.status.code(), Some(143), "{}", stderr_of(&out));
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(!stderr_of(&out).contains("marked partial"), "no partial output is promised: {}", stderr_of(&out));
    assert!(snapshot(dir.path()).is_empty(), "{:?}", snapshot(dir.path()).keys().collect::<Vec<_>>());
}

#[test]
fn a_signal_sent_to_the_process_and_its_group_at_once_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let child = command(dir.path(), &long(&["--json", "r.json", "--csv-endpoints", "e.csv"]))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let pid = child.id();
    let sent = Command::new("sh").args(["-c", &format!("kill -TERM {pid}; kill -TERM {pid}")]).status().unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", stderr_of(&out));
    assert_partial_report(&dir.path().join("r.json"));
    let mut reader = csv::Reader::from_path(dir.path().join("e.csv")).unwrap();
    let partial = reader.headers().unwrap().iter().position(|h| h == "partial").expect("a partial column");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    let mut rows = 0;
    for row in reader.records() {
        assert_eq!(&row.unwrap()[partial], "true");
        rows += 1;
    }
    assert_eq!(rows, j["walkers_done"].as_u64().unwrap(), "the endpoint rows are the walkers the report counts");
    no_temporaries(dir.path());
}

#[test]
fn clap_errors_do_not_echo_a_huge_argument() {
    let dir = tempfile::tempdir().unwrap();
    let huge = "q".repeat(5000);
    for args in [vec!["--surface", huge.as_str()], vec!["--optimizer", huge.as_str()], vec![huge.as_str()]] {
        let out = run(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr_of(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.len() < 800, "a {}-byte message", err.len());
    }
}

#[test]
fn a_file_of_someone_elses_is_not_replaced_though_its_folder_is_writable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let theirs = dir.path().join("theirs.json");
    std::fs::write(&theirs, "keep\n").unwrap();
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o644)).unwrap();
    let root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
    let out = if root {
        // As user nobody (util-linux's setpriv), the file is root's.
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin())
            .args(QUICK)
            .args(["--json", "theirs.json"])
            .current_dir(dir.path())
            .env("XDG_RUNTIME_DIR", dir.path())
            .output()
            .unwrap()
    } else {
        // Not root: our own file made read-only stands in for another's.
        std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o444)).unwrap();
        run(dir.path(), &quick(&["--json", "theirs.json"]).iter().map(String::as_str).collect::<Vec<_>>())
    };
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert_one_error_line("someone else's file", &out);
    assert!(stderr_of(&out).contains("not overwritten"), "{}", stderr_of(&out));
    assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "keep\n");
    assert_eq!(std::fs::metadata(&theirs).unwrap().uid(), std::fs::metadata("/proc/self").unwrap().uid());
    no_temporaries(dir.path());
}

#[test]
fn counts_take_one_syntax_and_enums_one_case_rule() {
    let dir = tempfile::tempdir().unwrap();
    // The same table whatever the spelling of the counts and the case of the names.
    let plain = run(dir.path(), &["--walkers", "2000", "--steps", "1000", "--backend", "cpu", "--quiet"]);
    let spelled =
        run(dir.path(), &["--walkers", "2e3", "--steps", "1e3", "--backend", "CPU", "--surface", "Peaks", "-q"]);
    let table = |o: &Output| {
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        text.lines().filter(|l| !l.contains("wall")).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(plain.status.code(), Some(0), "{}", stderr_of(&plain));
    assert_eq!(spelled.status.code(), Some(0), "{}", stderr_of(&spelled));
    assert_eq!(table(&plain), table(&spelled));
    let critical = run(dir.path(), &["critical", "--grid", "32x32"]);
    assert_eq!(critical.status.code(), Some(0), "{}", stderr_of(&critical));
    assert!(String::from_utf8_lossy(&critical.stdout).contains("32x32 grid"));
    for (args, needle) in [
        (&["--steps", "1e10"][..], "above the most"),
        (&["--every", "1.5"], "not a whole number"),
        (&["critical", "--grid", "32x16"], "not square"),
    ] {
        let out = run(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_one_error_line("counts", &out);
        assert!(stderr_of(&out).contains(needle), "{args:?}: {}", stderr_of(&out));
    }
}
