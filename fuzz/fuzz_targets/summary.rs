//! `merge`'s reader: two shard reports (the input split at its first NUL)
//! give a report whose counts add up, or a short one-line error; never a
//! panic, an overflow or an allocation beyond the input's size.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (a, b) = text.split_once('\0').unwrap_or((&text, ""));
    let inputs = [("a.json".into(), a.to_string()), ("b.json".into(), b.to_string())];
    match multistart::merge::merge_texts(&inputs) {
        Ok(report) => {
            let counted: u64 = report.basins.iter().map(|b| b.count).sum::<u64>()
                + report.moving
                + report.plateau
                + report.escaped
                + report.nonfinite;
            assert_eq!(counted, report.walkers_done);
            let dim = report.config.dim;
            assert_eq!(report.config.region.len(), 2 * dim);
            for b in &report.basins {
                assert_eq!(b.point.len(), dim);
                assert!(b.median_iterations.is_none_or(|i| i <= report.config.steps));
            }
        }
        Err(e) => {
            let message = multistart::error::one_line(&e.to_string());
            assert!(!e.to_string().contains('\n'), "{message}");
            assert!(message.contains("a.json") || message.contains("b.json"), "{message}");
            assert!(message.len() < 600, "{} characters: {message}", message.len());
        }
    }
});
