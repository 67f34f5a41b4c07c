//! The example under examples/ is a program outside the crate: `cargo test`
//! builds it, and this runs it and reads its basin shares.

use std::process::Command;

/// target/<profile>/examples/NAME, beside this test's own deps/ folder.
fn example(name: &str) -> std::path::PathBuf {
    let me = std::env::current_exe().unwrap();
    let profile_dir = me.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir.join("examples").join(name)
}

#[test]
fn basin_shares_prints_the_three_minima_of_peaks() {
    let output = Command::new(example("basin_shares")).output().expect("cargo test builds the examples");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("10000 walkers on peaks"), "{text}");
    let minima: Vec<&str> = text.lines().filter(|l| l.starts_with("minimum")).collect();
    assert_eq!(minima.len(), 3, "{text}");
    // The global minimum of peaks, first: f = -6.551133 at (0.228279, -1.625535).
    assert!(
        minima[0].contains("0.228279") && minima[0].contains("-1.625535") && minima[0].contains("-6.551133"),
        "{text}"
    );
    let shares: f64 =
        minima.iter().map(|l| l.rsplit(' ').next().unwrap().trim_end_matches('%').parse::<f64>().unwrap()).sum();
    assert!((60.0..90.0).contains(&shares), "minima hold {shares}% of the walkers: {text}");
}
