//! The `multistart` binary: parse, dispatch, and turn errors into one line
//! on stderr and an exit code (2 bad input, 1 run-time failure).

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use multistart::cli::{Cli, Command, SweepParam};
use multistart::commands;
use multistart::engine::gpu;

fn main() -> ExitCode {
    let started = Instant::now();
    gpu::quiet_driver_runtime_dir();
    multistart::interrupt::install();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's message, kept to its first line.
            let text = e.to_string();
            eprintln!("{}", text.lines().next().unwrap_or("error: bad arguments"));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        None => cli.run.into_config().and_then(|c| commands::single_run(&c, started)),
        Some(Command::Devices) => commands::devices(),
        Some(Command::Surfaces) => commands::surfaces(),
        Some(Command::Bench(args)) => args.into_config().and_then(|b| commands::bench(&b)),
        Some(Command::Map(args)) => args.into_config().and_then(|c| commands::map(&c, started)),
        Some(Command::Critical(args)) => commands::critical(&args),
        Some(Command::Merge(args)) => commands::merge(&args),
        Some(Command::Sweep(args)) => {
            let param = match args.param {
                SweepParam::Lr => "lr",
                SweepParam::Steps => "steps",
                SweepParam::Tol => "tol",
                SweepParam::Beta => "beta",
                SweepParam::Damping => "damping",
            };
            args.into_configs().and_then(|runs| commands::sweep(param, &runs, started))
        }
    };
    match result {
        // Outputs were written, marked partial.
        Ok(()) if multistart::interrupt::requested() => ExitCode::from(130),
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", multistart::error::one_line(&e.to_string()));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
