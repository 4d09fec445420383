//! `backup-task-api`: contract checks, published schemas and breaking-change detection for the
//! CBR and OCP backup task-list APIs.

use std::io;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

/// Typed clients, contract checks and schemas for the CBR operation-log and OCP log-backup-task APIs.
#[derive(Parser)]
#[command(name = "backup-task-api", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Validate(cli::validate::Args),
    Schemas(cli::schemas::Args),
    Diff(cli::diff::Args),
    Demo(cli::demo::Args),
    Mock(cli::mock::Args),
    #[command(subcommand)]
    List(cli::list::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => cli::validate::run(&args),
        Command::Schemas(args) => cli::schemas::run(&args),
        Command::Diff(args) => cli::diff::run(&args),
        Command::Demo(args) => cli::demo::run(args),
        Command::Mock(args) => cli::mock::run(args),
        Command::List(command) => cli::list::run(command),
    };
    match result {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            // Error chains quote servers, payloads and paths: never raw controls on a terminal.
            eprintln!(
                "error: {}",
                backup_task_api::common::terminal::Escaped(&format!("{error:#}"))
            );
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
