//! `backup-task-api`: contract checks, published schemas and breaking-change detection for the
//! CBR and OCP backup task-list APIs.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use backup_task_api::common::terminal::escape;
use backup_task_api::contract::{Api, Contract, Target, batch};
use backup_task_api::publish::{diff, export};
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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
    /// Text output: one line per violation on stdout, `PATH[:LINE]: POINTER: message`, then a
    /// summary on stderr; unreadable inputs are reported on stderr and the others still checked.
    ///
    /// Exit codes: 0 every payload is valid; 1 a payload breaks the contract or is not JSON;
    /// 2 usage or I/O error (an unreadable input, an unknown schema or status).
    Validate(ValidateArgs),
    /// Write the published JSON Schemas (2020-12) and OpenAPI copies, or check them.
    ///
    /// For each API: one standalone schema per component and per response body, under
    /// `{api}/v{major}/` with `$id` `https://schemas.backup-task-api.dev/{api}/v{major}/...`, a copy
    /// of the spec, a write-once release copy `{api}/releases/{version}.yaml`, and `index.json`
    /// listing every file. Output is deterministic (sorted keys, trailing newline).
    ///
    /// Exit codes: 0 written, or up to date; 1 `--check` found files that differ, are missing or
    /// are extra; 2 usage or I/O error.
    #[command(group(ArgGroup::new("mode").required(true).args(["out", "check"])))]
    Schemas(SchemasArgs),
    /// Classify every change between two versions of an OpenAPI spec as breaking or not.
    ///
    /// Changes are grouped by side (requests: what callers send; responses: what they read),
    /// each with its impact (breaking, strict-readers, compatible, documentation) and rule, then
    /// a summary and the suggested semver bump. The policy is in the README, "diff policy".
    ///
    /// Exit codes: 0 no breaking change (or, with --check-version, the major was raised);
    /// 1 breaking changes; 2 usage or I/O error (unreadable file, not YAML, not OpenAPI).
    Diff(DiffArgs),
    /// Run the one-command demo: a mock of both APIs in-process, both typed clients paging through
    /// it, every page checked against the contract. Exit 0 when every record came exactly once
    /// and no page broke the contract, 1 otherwise.
    Demo(cli::DemoArgs),
    /// Serve both APIs locally (mock data, auth, filters, paging, fault injection) until Ctrl-C.
    /// The first line of stdout is the URL.
    Mock(cli::MockArgs),
    /// Forward requests to a real (or mock) service, check every response against the contract,
    /// print one line per exchange and a summary on Ctrl-C or SIGTERM, and with --record append
    /// each exchange to a file. The first line of stdout is the URL. Exit 1 when a response broke
    /// the contract.
    Proxy(cli::proxy::ProxyArgs),
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
    /// Each input holds one payload per line (recorded traffic); blank lines are skipped.
    #[arg(long)]
    ndjson: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
    format: ValidateFormat,
    /// Largest document (with --ndjson, largest line) read, in bytes, or with a suffix: K, M, G
    /// (KiB, MiB, GiB). A longer one is an unreadable input (exit 2); nothing after it in that
    /// input is read.
    #[arg(long, value_name = "BYTES", default_value = "64M", value_parser = parse_bytes)]
    max_bytes: u64,
    /// JSON files or directories to check; `-` reads standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ValidateFormat {
    /// For people: one line per violation, then a summary on stderr.
    Text,
    /// For machines: per payload its path, line, valid flag and violations.
    Json,
    /// JUnit XML for CI dashboards: one test case per payload.
    Junit,
}

#[derive(Args)]
struct SchemasArgs {
    /// Write the files into DIR: changed files are rewritten, files an earlier run listed in
    /// DIR/index.json and no longer generated are removed, release copies are never rewritten.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Check DIR (default `schemas/`) instead: name every file that differs, is missing or is
    /// extra, and exit 1 if there is any.
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "schemas")]
    check: Option<PathBuf>,
}

#[derive(Args)]
struct DiffArgs {
    /// The old version: an OpenAPI file (YAML or JSON), or a directory of release copies such as
    /// `schemas/cbr/releases/`, from which the baseline for NEW's info.version is picked (the
    /// first release of its major, else the newest release before it).
    old: PathBuf,
    /// The new version: an OpenAPI file (YAML or JSON).
    new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
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

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// For people: changes grouped by side, a summary and the suggested bump.
    Text,
    /// For machines: one JSON object with the counts, the bump and every change.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => validate(&args),
        Command::Schemas(args) => schemas(&args),
        Command::Diff(args) => diff_specs(&args),
        Command::Demo(args) => cli::demo(args),
        Command::Mock(args) => cli::mock(args),
        Command::Proxy(args) => cli::proxy::proxy(args),
        Command::List(command) => cli::list(command),
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

fn validate(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let api: Api = args.api.parse()?;
    let contract = Contract::get(api)?;
    let target = match &args.schema {
        Some(name) => Target::Schema(name.clone()),
        None => Target::Response {
            status: args.status,
        },
    };
    let options = batch::Options::default()
        .with_ndjson(args.ndjson)
        .with_max_bytes(args.max_bytes);
    let inputs = batch::discover(&args.paths, &options);
    let format = match args.format {
        ValidateFormat::Text => batch::Format::Text,
        ValidateFormat::Json => batch::Format::Json,
        ValidateFormat::Junit => batch::Format::Junit,
    };
    // A counter where someone watches stderr and the results go elsewhere (on a terminal they
    // show progress themselves), from the 100th payload on.
    let watched = io::stderr().is_terminal() && !io::stdout().is_terminal();
    let bar = ProgressBar::hidden();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {human_pos} payloads checked ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    // Buffered, and flushed after every batch (`Output` as a `Sink`).
    let mut stdout = io::BufWriter::with_capacity(64 << 10, io::stdout().lock());
    let mut stderr = AroundBar(&bar);
    let output = batch::Output::new(format, api, &target, &mut stdout, &mut stderr)?;
    let mut sink = Progress {
        output,
        bar: &bar,
        watched,
    };
    let run = batch::stream(contract, &target, inputs, &options, &mut sink);
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
        eprintln!("{}", summary.line(api, &target));
    }
    Ok(ExitCode::from(summary.exit_code()))
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

/// Standard error, written around the progress bar so that a line never lands inside it.
struct AroundBar<'b>(&'b ProgressBar);

impl Write for AroundBar<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.suspend(|| io::stderr().write(bytes))
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

/// `--max-bytes`: a number of bytes, or of KiB, MiB or GiB with a `K`, `M` or `G` suffix.
fn parse_bytes(text: &str) -> Result<u64, String> {
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

fn schemas(args: &SchemasArgs) -> anyhow::Result<ExitCode> {
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
        return Ok(ExitCode::from(1));
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

fn diff_specs(args: &DiffArgs) -> anyhow::Result<ExitCode> {
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
    Ok(if passes {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
