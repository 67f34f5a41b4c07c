//! Signals: the first Ctrl-C (SIGINT), SIGTERM or SIGHUP stops the run after
//! the current chunk; its outputs are written, marked partial, and the exit
//! code is 128 + the signal's number (130, 143, 129), as shells and
//! schedulers such as Slurm (SIGTERM at the time limit) expect. A second
//! signal quits at once, removing our temporary files first. A command that
//! cannot stop early (bench, critical, merge, reading the inputs) quits at
//! the first signal the same way.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// The first signal received, or 0.
static FIRST: AtomicI32 = AtomicI32::new(0);
/// Whether the command now running stops after its current chunk.
static STOPPABLE: AtomicBool = AtomicBool::new(false);
/// Copies of the first signal that come this soon after it are one signal:
/// `timeout` and job schedulers send SIGTERM to a process and again to its
/// group, which is not a user asking twice.
const SAME_SIGNAL_WINDOW: Duration = Duration::from_millis(50);

/// Installs the handler; call once at start-up.
pub fn install() {
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
    std::thread::spawn(move || {
        let mut first_at: Option<Instant> = None;
        for signal in signals.forever() {
            if let Some(at) = first_at {
                if signal == FIRST.load(Ordering::SeqCst) && at.elapsed() < SAME_SIGNAL_WINDOW {
                    continue;
                }
                multistart::output::remove_temporaries();
                std::process::exit(128 + signal);
            }
            first_at = Some(Instant::now());
            FIRST.store(signal, Ordering::SeqCst);
            if !STOPPABLE.load(Ordering::SeqCst) {
                multistart::output::remove_temporaries();
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

/// Marks the command now running as one that stops after its current
/// chunk when a signal comes (a run, a map, a sweep); others quit at once.
pub fn set_stoppable(stoppable: bool) {
    STOPPABLE.store(stoppable, Ordering::SeqCst);
}

/// Whether a signal asked the run to stop.
pub fn requested() -> bool {
    FIRST.load(Ordering::SeqCst) != 0
}

/// The exit code for a run a signal stopped: 128 + its number.
pub fn exit_code() -> u8 {
    (128 + FIRST.load(Ordering::SeqCst)).clamp(0, 255) as u8
}
