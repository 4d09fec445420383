//! `backup-task-api`: contract checks for the CBR and OCP backup task-list APIs.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use backup_task_api::contract::{Api, Contract, Target, Verdict};
use clap::{Args, Parser, Subcommand};

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
    /// Validate JSON payloads against the contract (the OpenAPI specs in openapi/).
    ///
    /// Prints one line per violation, `PATH: POINTER: message`, and a summary on stderr.
    ///
    /// Exit codes: 0 every input is valid; 1 an input breaks the contract or is not JSON;
    /// 2 usage or I/O error (unreadable file, unknown schema or status).
    Validate(ValidateArgs),
    /// Run the one-command demo: a mock of both APIs in-process, both typed clients paging through
    /// it, every page checked against the contract. Exit 0 when every record came exactly once
    /// and no page broke the contract, 1 otherwise.
    Demo(cli::DemoArgs),
    /// Serve both APIs locally (mock data, auth, filters, paging, fault injection) until Ctrl-C.
    /// The first line of stdout is the URL.
    Mock(cli::MockArgs),
    /// List tasks from a real (or mock) service with the typed clients. Credentials come from the
    /// environment only. Exit 1 on a service error (its code and message are printed).
    #[command(subcommand)]
    List(cli::ListCommand),
}

#[derive(Args)]
struct ValidateArgs {
    /// Which API's contract.
    #[arg(long, value_parser = ["cbr", "ocp"])]
    api: String,
    /// Check against the response body for this HTTP status.
    #[arg(long, default_value_t = 200, conflicts_with = "schema")]
    status: u16,
    /// Check against one named component schema instead, such as `OperationLog`.
    #[arg(long)]
    schema: Option<String>,
    /// JSON files to check; `-` reads standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => validate(&args),
        Command::Demo(args) => cli::demo(args),
        Command::Mock(args) => cli::mock(args),
        Command::List(command) => cli::list(command),
    };
    match result {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn validate(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let api: Api = args.api.parse()?;
    let contract = Contract::get(api)?;
    let target = match &args.schema {
        Some(name) => Target::Schema(name.clone()),
        None => Target::Response {
            status: args.status,
        },
    };
    let mut stdout = io::stdout().lock();
    let (mut invalid, mut violations) = (0usize, 0usize);
    for path in &args.paths {
        let shown = path.display();
        let bytes = read_input(path).with_context(|| format!("cannot read {shown}"))?;
        match contract.check_bytes(&target, &bytes)? {
            Verdict::Valid => {}
            Verdict::Invalid { violations: found } => {
                invalid += 1;
                violations += found.len();
                for v in found {
                    let pointer = if v.pointer.is_empty() {
                        "(root)"
                    } else {
                        &v.pointer
                    };
                    writeln!(stdout, "{shown}: {pointer}: {}", v.message)?;
                }
            }
            Verdict::NotJson { error } => {
                invalid += 1;
                violations += 1;
                writeln!(
                    stdout,
                    "{shown}:{}:{}: not JSON: {}",
                    error.line, error.column, error.message
                )?;
            }
        }
    }
    stdout.flush()?;
    eprintln!(
        "{} input(s) checked against {api} {target}: {invalid} invalid, {violations} violation(s)",
        args.paths.len()
    );
    Ok(if invalid == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn read_input(path: &PathBuf) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        io::stdin().lock().read_to_end(&mut bytes)?;
    } else {
        bytes = std::fs::read(path)?;
    }
    Ok(bytes)
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
