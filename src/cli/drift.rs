//! `drift`: what recorded payloads or exchanges show that the contract does not say.

use std::io::{self, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use backup_task_api::common::terminal::escape;
use backup_task_api::contract::{Api, Target, drift};

use super::format::{Choices, Format};
use super::validate::parse_bytes;

/// Report what recorded payloads or exchanges show that the contract does not say.
///
/// Aggregated over the whole corpus: unknown members by path template
/// (`/operation_logs/*/extra_info/resource/zone`) with counts and a first location, unknown enum
/// values, nulls where the spec promises a value, values of another type, values beyond bounds,
/// the timestamp shapes seen per field, undocumented statuses, bodies that are not JSON, and (for
/// information) documented members never seen. Each finding is worded as a proposed register
/// row or spec change. Inputs are read as `validate` reads them; memory follows the distinct
/// findings, not the corpus.
///
/// Exit codes: 0 no drift; 1 drift found; 2 usage or I/O error (an unreadable input).
#[derive(clap::Args)]
pub struct Args {
    /// Which API's contract.
    #[arg(long, value_parser = ["cbr", "ocp"])]
    api: String,
    /// Inputs hold recorded exchanges, one per line (as `proxy --record` writes them).
    #[arg(long)]
    exchanges: bool,
    /// Inputs hold one payload per line.
    #[arg(long, conflicts_with = "exchanges")]
    ndjson: bool,
    /// What each payload is (without --exchanges): the response body for this HTTP status.
    #[arg(long, default_value_t = 200, conflicts_with = "exchanges")]
    status: u16,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = FORMATS)]
    format: Format,
    /// Largest document or line read, in bytes, or with a suffix: K, M, G.
    #[arg(long, value_name = "BYTES", default_value = "64M", value_parser = parse_bytes)]
    max_bytes: u64,
    /// Files or directories of payloads or exchanges; `-` reads standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// What `drift --format` writes.
const FORMATS: Choices = Choices(&[
    (
        Format::Text,
        "For people: one block per finding with its proposal, then a summary",
    ),
    (
        Format::Json,
        "For machines: the whole report as one JSON object",
    ),
    (
        Format::Markdown,
        "For a pull request: tables of drift and information, one proposal per row",
    ),
]);

/// Runs `drift`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let api: Api = args.api.parse()?;
    let options = drift::Options {
        exchanges: args.exchanges,
        ndjson: args.ndjson,
        max_bytes: args.max_bytes,
        target: Target::Response {
            status: args.status,
        },
    };
    let format = match args.format {
        Format::Text => drift::Format::Text,
        Format::Json => drift::Format::Json,
        Format::Markdown => drift::Format::Markdown,
        other => return Err(other.not_offered("drift")),
    };
    let report = drift::run(api, &args.paths, &options)?;
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    report.write(format, &mut stdout)?;
    stdout.flush()?;
    if format != drift::Format::Text {
        eprintln!("{}", escape(&report.summary_line()));
    }
    Ok(ExitCode::from(report.exit_code()))
}
