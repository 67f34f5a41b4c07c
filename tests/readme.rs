//! The README follows the code: every output it quotes (a fenced block that
//! starts with `$ multistart ...`) is run again, and each quoted line must
//! match, in order, a line of what the command prints now, in shape: the
//! same words and punctuation, any numbers (timings, counts and shares vary
//! by machine). Lines of "..." mark rows the README leaves out; the device
//! lines and the `devices` listing name this machine's hardware and are
//! skipped. `docs/regen.sh` runs every quoted command again and writes its
//! output into the README.

use std::process::Command;

mod common;

/// The quoted commands and their quoted lines.
fn quoted_runs() -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut runs = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("```") {
            let block: Vec<&str> = lines.by_ref().take_while(|l| !l.trim_start().starts_with("```")).collect();
            if let Some(cmd) = block.first().and_then(|l| l.strip_prefix("$ multistart")) {
                runs.push((cmd.trim().to_string(), block[1..].iter().map(|l| l.to_string()).collect()));
            }
        }
    }
    runs
}

/// A line with every number written as `#` and runs of spaces as one.
fn shape(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let starts_number = c.is_ascii_digit() || (c == '-' && chars.peek().is_some_and(|d| d.is_ascii_digit()));
        if starts_number {
            while chars.peek().is_some_and(|d| d.is_ascii_digit() || matches!(d, '.' | ',' | 'e' | '-' | '+' | '_')) {
                chars.next();
            }
            out.push('#');
        } else if c.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_string()
}

/// Lines that name the machine rather than the computation.
fn machine_specific(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("cpu: ") || t.starts_with("gpu: ") || t.starts_with("note: using the ")
}

#[test]
fn every_quoted_output_still_has_its_shape() {
    let runs = quoted_runs();
    assert!(runs.len() >= 4, "the README quotes {} runs", runs.len());
    let gpu = common::has_gpu("every_quoted_output_still_has_its_shape (the --backend gpu runs)");
    for (cmd, quoted) in runs.iter().filter(|(cmd, _)| cmd != "devices") {
        if cmd.contains("--backend gpu") && !gpu {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("docs")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_multistart"))
            .args(cmd.split_whitespace())
            .current_dir(dir.path())
            .env("XDG_RUNTIME_DIR", std::env::temp_dir())
            .output()
            .unwrap();
        assert!(out.status.success(), "multistart {cmd}: {}", String::from_utf8_lossy(&out.stderr));
        let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let mut now = printed.lines().filter(|l| !machine_specific(l)).map(shape);
        for line in quoted.iter().filter(|l| !machine_specific(l) && !l.trim().is_empty()) {
            if line.trim() == "..." {
                continue;
            }
            let want = shape(line);
            assert!(
                now.by_ref().any(|l| l == want),
                "multistart {cmd}: the README quotes\n  {line}\nwhose shape ({want}) is not in what it prints now, in order:\n{printed}"
            );
        }
    }
}
