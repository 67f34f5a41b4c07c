//! `merge`'s reader: two shard reports (the input split at its first NUL)
//! give a report or a one-line error, never a panic or an overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (a, b) = text.split_once('\0').unwrap_or((&text, ""));
    let inputs = [("a.json".into(), a.to_string()), ("b.json".into(), b.to_string())];
    match multistart::commands::merge_texts(&inputs) {
        Ok(report) => {
            let counted: u64 = report.basins.iter().map(|b| b.count).sum::<u64>()
                + report.moving + report.plateau + report.escaped + report.nonfinite;
            assert_eq!(counted, report.walkers_done);
        }
        Err(e) => assert!(!e.to_string().contains('\n')),
    }
});
