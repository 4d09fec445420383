//! Exit codes, the same for every command: 0 the run found nothing wrong; 1 it ran and found
//! what it looks for (a contract violation, a breaking change, stale files, a service error);
//! 2 usage or I/O error. And the `error:` line that goes with them.

use std::fmt::Display;
use std::io;
use std::process::ExitCode;

use backup_task_api::common::terminal::Escaped;

/// Exit 1: the run worked and found a problem in what it checked or fetched.
pub fn found() -> ExitCode {
    ExitCode::from(1)
}

/// Exit 0 when the run `passed`, else [`found`].
pub fn verdict(passed: bool) -> ExitCode {
    if passed { ExitCode::SUCCESS } else { found() }
}

/// Prints `error: MESSAGE` on stderr. The message quotes servers, payloads and paths, so its
/// control characters are escaped: never raw controls on a terminal.
pub fn print_error(message: impl Display) {
    eprintln!("error: {}", Escaped(&message.to_string()));
}

/// The process's exit code for a command's result: its own code; 0 when stdout was closed
/// early (`| head`), quietly; else the error chain and exit 2.
pub fn finish(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            print_error(format_args!("{error:#}"));
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
