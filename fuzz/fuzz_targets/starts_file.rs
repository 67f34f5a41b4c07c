//! The starts-file reader: any bytes give points or a one-line error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("multistart-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("starts.csv");
    std::fs::write(&path, data).unwrap();
    match multistart::starts::read_starts_file(&path) {
        Ok(points) => assert!(!points.is_empty() && points.iter().flatten().all(|c| c.is_finite())),
        Err(e) => assert!(!e.to_string().contains('\n')),
    }
});
