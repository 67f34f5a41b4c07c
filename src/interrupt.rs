//! Ctrl-C: the first stops the run after the current chunk (its outputs are
//! written, marked partial, and the exit code is 130); a second quits at once.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

/// Installs the handler; call once at start-up.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\ninterrupted: finishing the current chunk and writing what is done (Ctrl-C again quits at once)");
    });
}

/// Whether the user asked to stop.
pub fn requested() -> bool {
    STOP.load(Ordering::SeqCst)
}
