//! The starts-file reader: any bytes give points or a short one-line error,
//! never a panic; records past the 1 MiB bound and rows past the memory
//! budget are refused.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("multistart-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("starts.csv");
    std::fs::write(&path, data).unwrap();
    // A small budget (room for 64 points of 16 coordinates), so the row
    // bound is reached too.
    let budget = 64 * (40 + 8 * 16);
    match multistart::starts::read_starts_file_within(&path, budget) {
        Ok(points) => {
            assert!(!points.is_empty());
            let dim = points[0].len();
            assert!(points.iter().all(|p| p.len() == dim));
            assert!(points.len() as u64 <= multistart::starts::max_start_rows(dim, budget));
            assert!(points.iter().flatten().all(|c| c.is_finite()));
        }
        Err(e) => {
            let message = e.to_string();
            assert!(!message.contains('\n'), "{message}");
            assert!(message.len() < 400 + path.as_os_str().len(), "{} characters: {message}", message.len());
        }
    }
});
