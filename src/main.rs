//! The `multistart` binary: parse, run, report; errors become one line on
//! stderr and an exit code (2 bad input, 1 run-time failure).

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use multistart::cli::{Cli, Command};
use multistart::config::RunConfig;
use multistart::engine::{self, gpu};
use multistart::report::{self, Report};
use multistart::{Error, Result};

fn main() -> ExitCode {
    let started = Instant::now();
    gpu::quiet_driver_runtime_dir();
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
        Some(Command::Devices) => devices(),
        Some(Command::Bench(args)) => args.into_config().and_then(|b| {
            let report = multistart::bench::run(&b)?;
            multistart::bench::write_outputs(&b, &report)?;
            print!("{}", multistart::bench::markdown(&report));
            Ok(())
        }),
        None => cli.run.into_config().and_then(|config| run(&config, started)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn run(config: &RunConfig, started: Instant) -> Result<()> {
    let (mut engine, notice) = engine::select(config)?;
    if let Some(notice) = notice {
        eprintln!("{notice}");
    }
    let outcome = multistart::run::run(config, engine.as_mut(), started)?;
    let report = Report::new(config, engine.device(), &outcome);
    let o = &config.outputs;
    if let Some(path) = &o.json {
        report::write_json(path, &report)?;
    }
    if let Some(path) = &o.csv_basins {
        report::write_csv_basins(path, &report)?;
    }
    if let (Some(path), Some(endpoints)) = (&o.csv_endpoints, &outcome.endpoints) {
        let mut ids = vec![0; outcome.summary.basins.len()];
        for (rank, i) in outcome.summary.report_order().into_iter().enumerate() {
            ids[i] = rank + 1;
        }
        report::write_csv_endpoints(path, endpoints, &ids)?;
    }
    let mut stdout = std::io::stdout().lock();
    report::print_table(&mut stdout, &report).and_then(|_| stdout.flush()).ok();
    Ok(())
}

/// `multistart devices`: every adapter, with the limits that bound a chunk.
fn devices() -> Result<()> {
    let adapters = gpu::list_adapters();
    if adapters.is_empty() {
        return Err(Error::NoAdapter(
            "no GPU adapter found: install a Vulkan driver (on Debian without a GPU: apt-get install mesa-vulkan-drivers libvulkan1)".into(),
        ));
    }
    let mut out = std::io::stdout().lock();
    for (i, a) in adapters.iter().enumerate() {
        let _ = writeln!(
            out,
            "{i}: {}\n   api {}, type {}, driver {}\n   max storage binding {} MiB, max buffer {} MiB, \
             max workgroups per dimension {}: up to {} walkers per chunk",
            a.name,
            a.api,
            a.device_type,
            a.driver,
            a.max_storage_buffer_binding_size >> 20,
            a.max_buffer_size >> 20,
            a.max_compute_workgroups_per_dimension,
            multistart::report::thousands(a.max_chunk_walkers),
        );
    }
    Ok(())
}
