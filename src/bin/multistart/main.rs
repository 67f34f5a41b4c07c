//! The `multistart` binary: parse, dispatch, and turn errors into one line
//! on stderr and an exit code (2 bad input, 1 run-time failure).

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

mod cli;
mod commands;
mod config;
mod interrupt;

use crate::cli::{Cli, Command};
use multistart::engine::gpu;

fn main() -> ExitCode {
    // SAFETY: the first statement, while this is the only thread.
    unsafe { gpu::quiet_driver_runtime_dir() };
    let started = Instant::now();
    crate::interrupt::install();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{}", clap_message(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        None => cli.run.into_config().and_then(|c| stoppable(|| commands::single_run(&c, started))),
        Some(Command::Devices) => commands::devices(),
        Some(Command::Surfaces) => commands::surfaces(),
        Some(Command::Bench(args)) => args.into_config().and_then(|b| commands::bench(&b)),
        Some(Command::Map(args)) => args.into_config().and_then(|c| stoppable(|| commands::map(&c, started))),
        Some(Command::Critical(args)) => commands::critical(&args),
        Some(Command::Merge(args)) => commands::merge(&args),
        Some(Command::Sweep(args)) => {
            let param = args.param.name().to_string();
            args.into_configs().and_then(|runs| stoppable(|| commands::sweep(&param, &runs, started)))
        }
    };
    match result {
        // Outputs were written, marked partial.
        Ok(commands::Completion::Partial) => ExitCode::from(crate::interrupt::exit_code()),
        Ok(commands::Completion::Complete) => ExitCode::SUCCESS,
        Err(e) => {
            // A problem's field is named by the flag that sets it.
            eprintln!("error: {}", multistart::error::one_line(&e.cli_message()));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// Runs a command that stops after its current chunk at a signal (the
/// inputs are read before, where a signal quits at once).
fn stoppable(
    command: impl FnOnce() -> multistart::Result<commands::Completion>,
) -> multistart::Result<commands::Completion> {
    crate::interrupt::set_stoppable(true);
    command()
}

/// Longest line of a clap error: it quotes the argument given, whatever its
/// length.
const MAX_CLAP_LINE: usize = 300;

/// clap's error on one line: the error, the valid values and the "did you
/// mean" tip, without the usage and the pointer to --help; control
/// characters escaped.
fn clap_message(text: &str) -> String {
    let mut message = String::new();
    let mut in_usage = false;
    for line in text.lines() {
        in_usage = line.starts_with("Usage:") || (in_usage && !line.trim().is_empty());
        let line = line.trim();
        if in_usage || line.is_empty() || line.starts_with("For more information") {
            continue;
        }
        if !message.is_empty() {
            message += if message.ends_with(':') { " " } else { "; " };
        }
        let mut line = multistart::error::one_line(line);
        if line.chars().count() > MAX_CLAP_LINE {
            let more = line.chars().count() - MAX_CLAP_LINE;
            line = format!("{}... ({more} more characters)", line.chars().take(MAX_CLAP_LINE).collect::<String>());
        }
        message += &line;
    }
    if message.is_empty() { "error: bad arguments".to_string() } else { message }
}
