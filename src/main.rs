//! `backup-task-api`: contract checks, published schemas and breaking-change detection for the
//! CBR and OCP backup task-list APIs. Each command lives in `src/cli/`; this file parses the
//! command line and dispatches.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

use cli::{demo, diff, drift, list, mock, proxy, schemas, validate};

/// Typed clients, contract checks and schemas for the CBR operation-log and OCP log-backup-task APIs.
#[derive(Parser)]
#[command(name = "backup-task-api", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// The commands, in the order `--help` lists them. Each one's help text is the doc comment of
// its arguments in src/cli/, so the variants carry none (a `///` here would replace it). A new
// command is one variant here, one arm in `main` and one file in src/cli/.
#[derive(Subcommand)]
enum Command {
    Validate(validate::Args),
    Drift(drift::Args),
    Schemas(schemas::Args),
    Diff(diff::Args),
    Demo(demo::Args),
    Mock(mock::Args),
    Proxy(proxy::Args),
    #[command(subcommand)]
    List(list::Command),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Validate(args) => validate::run(&args),
        Command::Drift(args) => drift::run(&args),
        Command::Schemas(args) => schemas::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Demo(args) => demo::run(args),
        Command::Mock(args) => mock::run(args),
        Command::Proxy(args) => proxy::run(args),
        Command::List(command) => list::run(command),
    };
    cli::exit::finish(result)
}
