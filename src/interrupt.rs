//! Signals: the first Ctrl-C (SIGINT), SIGTERM or SIGHUP stops the run after
//! the current chunk; its outputs are written, marked partial, and the exit
//! code is 128 + the signal's number (130, 143, 129), as shells and
//! schedulers such as Slurm (SIGTERM at the time limit) expect. A second
//! signal quits at once, removing our temporary files first.

use std::sync::atomic::{AtomicI32, Ordering};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// The first signal received, or 0.
static FIRST: AtomicI32 = AtomicI32::new(0);

/// Installs the handler; call once at start-up.
pub fn install() {
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
    std::thread::spawn(move || {
        for signal in signals.forever() {
            if FIRST.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst).is_err() {
                crate::output::remove_temporaries();
                std::process::exit(128 + signal);
            }
            eprintln!(
                "\ninterrupted ({}): finishing the current chunk and writing what is done, marked partial (a second signal quits at once)",
                name(signal)
            );
        }
    });
}

fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        _ => "signal",
    }
}

/// Whether a signal asked the run to stop.
pub fn requested() -> bool {
    FIRST.load(Ordering::SeqCst) != 0
}

/// The exit code for a run a signal stopped: 128 + its number.
pub fn exit_code() -> u8 {
    (128 + FIRST.load(Ordering::SeqCst)).clamp(0, 255) as u8
}
