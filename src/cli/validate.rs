//! `validate`: recorded payloads against the contract, checked in parallel, reported in order.

use std::io::{self, IsTerminal as _};
use std::path::PathBuf;
use std::process::ExitCode;

use super::format::{Choices, Format};
use super::progress::{self, AroundBar};
use backup_task_api::contract::{self, Api, Contract, Target, batch};
use indicatif::{ProgressBar, ProgressDrawTarget};

/// Validate recorded JSON payloads against the contract (the OpenAPI specs in openapi/).
///
/// Inputs are files, directories (every `*.json` below them, recursively; with --ndjson also
/// `*.ndjson` and `*.jsonl`) and `-` for standard input. With --ndjson each non-blank line is
/// one payload, reported with its line number. Inputs are checked in parallel and reported as
/// they are done, in path order, then line; memory follows the work in flight, not the input.
/// Every violation of a payload is reported, a member name repeated in one object included
/// (`duplicateKey`); long values are cut and values under credential-like keys (token,
/// password, secret, authorization, ...) are redacted in messages.
///
/// A directory walk reads regular files only: a FIFO, socket or device is reported as skipped
/// and never opened. A document (with --ndjson, a line) longer than --max-bytes is not read:
/// it is an unreadable input.
///
/// Every violation has an impact, in `diff`'s words: `breaking` (readers of the published
/// types fail: a wrong type, a missing required member, not JSON, a value the typed reader
/// rejects, a repeated member name) or `strict-readers` (drift a tolerant reader survives: an
/// unknown member of a closed object, an unknown enum value, a bound, pattern or format).
///
/// With --exchanges, every line is a recorded exchange (as `proxy --record` writes it): its
/// response body is checked against its API's operation and status (the API from the
/// exchange, else its path, else --api); a status the operation does not document is a
/// violation, an exchange of no known operation is skipped.
///
/// Text output: one line per violation on stdout, `PATH[:LINE]: IMPACT: POINTER: message`,
/// then a summary on stderr; unreadable inputs are reported on stderr and the others still
/// checked.
///
/// Exit codes: 0 every payload is valid (with --fail-on breaking: no breaking violation);
/// 1 a payload breaks the contract or is not JSON; 2 usage or I/O error (an unreadable input,
/// an unknown schema or status).
#[derive(clap::Args)]
pub struct Args {
    /// Which API's contract (with --exchanges, for exchanges whose API neither the recording
    /// nor the path tells).
    #[arg(long, value_parser = ["cbr", "ocp"], required_unless_present = "exchanges")]
    api: Option<String>,
    /// Check against the response body for this HTTP status.
    #[arg(long, default_value_t = 200, conflicts_with_all = ["schema", "exchanges"])]
    status: u16,
    /// Check against one named component schema instead, such as `OperationLog`.
    #[arg(long, conflicts_with = "exchanges")]
    schema: Option<String>,
    /// Each input holds one payload per line (recorded traffic); blank lines are skipped.
    #[arg(long)]
    ndjson: bool,
    /// Each input holds recorded exchanges, one per line: check each response body against its
    /// operation and status.
    #[arg(long)]
    exchanges: bool,
    /// Which violations fail the run: `drift` any (the contract's full strictness), `breaking`
    /// only those that break readers of the published types.
    #[arg(long, value_enum, default_value_t = FailOn::Drift)]
    fail_on: FailOn,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = FORMATS)]
    format: Format,
    /// Largest document (with --ndjson, largest line) read, in bytes, or with a suffix: K, M, G
    /// (KiB, MiB, GiB). A longer one is an unreadable input (exit 2); nothing after it in that
    /// input is read.
    #[arg(long, value_name = "BYTES", default_value = "64M", value_parser = parse_bytes)]
    max_bytes: u64,
    /// JSON files or directories to check; `-` reads standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// What `validate --format` writes.
const FORMATS: Choices = Choices(&[
    (
        Format::Text,
        "For people: one line per violation, then a summary on stderr",
    ),
    (
        Format::Json,
        "For machines: per payload its path, line, valid flag and violations",
    ),
    (
        Format::Ndjson,
        "For streams: one JSON result per line, then a line with the summary",
    ),
    (
        Format::Junit,
        "JUnit XML for CI dashboards: one test case per payload",
    ),
]);

/// `--fail-on`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum FailOn {
    /// Any violation fails the run.
    Drift,
    /// Only breaking violations fail the run.
    Breaking,
}

/// Runs `validate`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let api: Option<Api> = args.api.as_deref().map(str::parse).transpose()?;
    let target = match &args.schema {
        Some(name) => Target::Schema(name.clone()),
        None => Target::Response {
            status: args.status,
        },
    };
    let contract = match api {
        Some(api) => Some(Contract::get(api)?),
        None => None,
    };
    let against = match (args.exchanges, contract) {
        (true, _) => batch::Against::Exchanges(api),
        (false, Some(contract)) => batch::Against::Target(contract, &target),
        (false, None) => anyhow::bail!("give --api cbr|ocp (or --exchanges)"),
    };
    let fail_on = match args.fail_on {
        FailOn::Drift => contract::FailOn::Drift,
        FailOn::Breaking => contract::FailOn::Breaking,
    };
    let options = batch::Options::default()
        .with_ndjson(args.ndjson || args.exchanges)
        .with_max_bytes(args.max_bytes);
    let inputs = batch::discover(&args.paths, &options);
    let format = match args.format {
        Format::Text => batch::Format::Text,
        Format::Json => batch::Format::Json,
        Format::Ndjson => batch::Format::Ndjson,
        Format::Junit => batch::Format::Junit,
        other @ (Format::Table | Format::Markdown) => return Err(other.not_offered("validate")),
    };
    // A counter where someone watches stderr and the results go elsewhere (on a terminal they
    // show progress themselves), from the 100th payload on.
    let watched = io::stderr().is_terminal() && !io::stdout().is_terminal();
    let bar = progress::counter();
    // Buffered, and flushed after every batch (`Output` as a `Sink`).
    let mut stdout = io::BufWriter::with_capacity(64 << 10, io::stdout().lock());
    let mut stderr = AroundBar(&bar);
    let output = match against {
        batch::Against::Target(contract, target) => {
            batch::Output::new(format, contract.api(), target, &mut stdout, &mut stderr)?
        }
        batch::Against::Exchanges(api) => {
            batch::Output::for_exchanges(format, api, &mut stdout, &mut stderr)?
        }
    }
    .with_fail_on(fail_on);
    let mut sink = Progress {
        output,
        bar: &bar,
        watched,
    };
    let run = batch::stream_against(against, inputs, &options, &mut sink);
    let output = sink.output;
    let summary = match run {
        Ok(summary) => summary,
        // An I/O error as itself, so that a closed stdout is told from a failure.
        Err(batch::Error::Io(error)) => return Err(error.into()),
        Err(error) => return Err(error.into()),
    };
    bar.finish_and_clear();
    output.finish(&summary)?;
    if format != batch::Format::Text {
        eprintln!("{}", summary.line_for(&against.describe()));
    }
    Ok(ExitCode::from(summary.exit_code_on(fail_on)))
}

/// The output, and the progress counter moved along with it.
struct Progress<'o, 'b> {
    output: batch::Output<'o>,
    bar: &'b ProgressBar,
    watched: bool,
}

impl batch::Sink for Progress<'_, '_> {
    fn entry(&mut self, entry: &batch::Entry) -> io::Result<()> {
        if self.watched && self.bar.position() == 99 {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.bar.inc(1);
        self.output.write_entry(entry)
    }

    fn batch_done(&mut self) -> io::Result<()> {
        batch::Sink::batch_done(&mut self.output)
    }
}

/// `--max-bytes`: a number of bytes, or of KiB, MiB or GiB with a `K`, `M` or `G` suffix.
pub(super) fn parse_bytes(text: &str) -> Result<u64, String> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit: u64 = match text[digits.len()..].to_ascii_uppercase().as_str() {
        "" => 1,
        "K" | "KIB" => 1 << 10,
        "M" | "MIB" => 1 << 20,
        "G" | "GIB" => 1 << 30,
        other => return Err(format!("unknown unit {other:?}: use K, M or G")),
    };
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a number of bytes"))?;
    match number.checked_mul(unit) {
        Some(0) => Err("the limit must be at least one byte".to_owned()),
        Some(bytes) => Ok(bytes),
        None => Err(format!("{text} is too large")),
    }
}
