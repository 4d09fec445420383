//! `diff`: classify every change between two versions of a spec, and say whether it breaks.

use std::io::{self, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use backup_task_api::publish::diff;

use super::exit;
use super::format::{Choices, Format};

/// Classify every change between two versions of an OpenAPI spec as breaking or not.
///
/// Changes are grouped by side (requests: what callers send; responses: what they read),
/// each with its impact (breaking, strict-readers, compatible, documentation) and rule, then
/// a summary and the suggested semver bump. The policy is in the README, "diff policy".
///
/// Exit codes: 0 no breaking change (or, with --check-version, the major was raised);
/// 1 breaking changes; 2 usage or I/O error (unreadable file, not YAML, not OpenAPI).
#[derive(clap::Args)]
pub struct Args {
    /// The old version: an OpenAPI file (YAML or JSON), or a directory of release copies such as
    /// `schemas/cbr/releases/`, from which the baseline for NEW's info.version is picked (the
    /// first release of its major, else the newest release before it).
    old: PathBuf,
    /// The new version: an OpenAPI file (YAML or JSON).
    new: PathBuf,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = FORMATS)]
    format: Format,
    /// Count changes that break only strict readers (new response enum values, looser response
    /// bounds or patterns, new fields in closed objects) as breaking.
    #[arg(long)]
    strict: bool,
    /// Exit 1 only on breaking changes that NEW's info.version does not announce: pass when it
    /// raises OLD's major.
    #[arg(long)]
    check_version: bool,
}

/// What `diff --format` writes.
const FORMATS: Choices = Choices(&[
    (
        Format::Text,
        "For people: changes grouped by side, a summary and the suggested bump",
    ),
    (
        Format::Json,
        "For machines: one JSON object with the counts, the bump and every change",
    ),
]);

/// Runs `diff`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let new = diff::load(&args.new)?;
    let old_path = if args.old.is_dir() {
        let baseline = diff::baseline_in(&args.old, &new)?;
        eprintln!("baseline: {}", baseline.display());
        baseline
    } else {
        args.old.clone()
    };
    let old = diff::load(&old_path)?;
    let report = diff::diff(&old, &new)?;
    let mut stdout = io::stdout().lock();
    match args.format {
        Format::Text => {
            writeln!(stdout, "{} -> {}", old_path.display(), args.new.display())?;
            write!(stdout, "{}", report.to_text(args.strict))?;
        }
        Format::Json => {
            let json = serde_json::to_string_pretty(&report.to_json(args.strict))?;
            writeln!(stdout, "{json}")?;
        }
        other @ (Format::Table | Format::Ndjson | Format::Junit | Format::Markdown) => {
            return Err(other.not_offered("diff"));
        }
    }
    stdout.flush()?;
    let breaking = report.breaking(args.strict).count();
    let passes = if args.check_version {
        report.version_allows(args.strict)
    } else {
        breaking == 0
    };
    if args.check_version && breaking > 0 {
        eprintln!(
            "{breaking} breaking change(s); info.version {} -> {}: {}",
            report.old_version.as_deref().unwrap_or("?"),
            report.new_version.as_deref().unwrap_or("?"),
            if passes {
                "the major was raised"
            } else {
                "raise the major version (or undo the breaking changes)"
            }
        );
    }
    Ok(exit::verdict(passes))
}
