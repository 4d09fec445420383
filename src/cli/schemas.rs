//! `schemas`: write the published JSON Schemas and OpenAPI copies, or check a directory of them.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use backup_task_api::common::terminal::escape;
use backup_task_api::publish::export;
use clap::ArgGroup;

use super::exit;

/// Write the published JSON Schemas (2020-12) and OpenAPI copies, or check them.
///
/// For each API: one standalone schema per component and per response body, under
/// `{api}/v{major}/` with `$id` `https://schemas.backup-task-api.dev/{api}/v{major}/...`, a copy
/// of the spec, a write-once release copy `{api}/releases/{version}.yaml`, and `index.json`
/// listing every file. Output is deterministic (sorted keys, trailing newline).
///
/// Exit codes: 0 written, or up to date; 1 `--check` found files that differ, are missing or
/// are extra; 2 usage or I/O error.
#[derive(clap::Args)]
#[command(group(ArgGroup::new("mode").required(true).args(["out", "check"])))]
pub struct Args {
    /// Write the files into DIR: changed files are rewritten, files an earlier run listed in
    /// DIR/index.json and no longer generated are removed, release copies are never rewritten.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Check DIR (default `schemas/`) instead: name every file that differs, is missing or is
    /// extra, and exit 1 if there is any.
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "schemas")]
    check: Option<PathBuf>,
}

/// Runs `schemas`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let publication = export::publication()?;
    let mut stdout = io::stdout().lock();
    if let Some(dir) = &args.check {
        let drift = publication.check(dir)?;
        for d in &drift {
            writeln!(stdout, "{}: {}", shown(dir, &d.path), d.kind)?;
        }
        stdout.flush()?;
        if drift.is_empty() {
            eprintln!("{} is up to date", dir.display());
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "{} is stale: {} file(s) differ, are missing or are extra; run `backup-task-api schemas --out {}`",
            dir.display(),
            drift.len(),
            dir.display()
        );
        return Ok(exit::found());
    }
    let Some(dir) = &args.out else {
        anyhow::bail!("give --out DIR or --check [DIR]");
    };
    let report = publication.write(dir)?;
    for path in &report.written {
        writeln!(stdout, "wrote {}", shown(dir, path))?;
    }
    for path in &report.removed {
        writeln!(stdout, "removed {}", shown(dir, path))?;
    }
    stdout.flush()?;
    eprintln!(
        "{}: {} written, {} unchanged, {} removed",
        dir.display(),
        report.written.len(),
        report.unchanged,
        report.removed.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// A published file's path for the terminal: names found in the directory (an extra file from a
/// checkout) may hold terminal controls, so they are escaped.
fn shown(dir: &Path, relative: &str) -> String {
    escape(&dir.join(relative).display().to_string()).into_owned()
}
