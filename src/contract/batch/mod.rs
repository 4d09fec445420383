//! Checking many recorded payloads at once: what the `validate` command runs.
//!
//! [`discover`] turns command-line paths into inputs (files, directories searched recursively for
//! `*.json`, `-` for standard input), lazily and in path order. [`stream`] checks them against one
//! target and hands each result to the caller in that order as soon as it is known; [`Output`]
//! writes results as text for people, JSON for machines or JUnit XML for CI dashboards.
//! [`check`] collects a whole run into a [`Report`] instead.
//!
//! Memory follows the work in flight, not the input: a reader thread reads inputs in order (an
//! NDJSON input line by line) into batches of at most [`BATCH_PAYLOADS`] payloads or
//! [`BATCH_BYTES`] bytes, one batch waits while one is checked in parallel (rayon), and a batch's
//! results are written and dropped before the next is checked. No input is read past
//! [`Options::max_bytes`] per document (per line with NDJSON), and a directory walk reads regular
//! files only.
//!
//! ```
//! use backup_task_api::contract::batch::{self, Options};
//! use backup_task_api::contract::{Api, Contract, Target};
//!
//! let dir = std::env::temp_dir().join(format!("batch-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! std::fs::write(dir.join("page.json"), r#"{"count": 0, "operation_logs": [], "limit": 0}"#)?;
//! let contract = Contract::get(Api::Cbr)?;
//! let options = Options::default();
//! let inputs = batch::discover(&[dir.clone()], &options);
//! let report = batch::check(contract, &Target::Response { status: 200 }, inputs, &options)?;
//! assert_eq!(report.summary().invalid, 1);
//! assert_eq!(report.exit_code(), 1);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod discover;
mod output;
pub(in crate::contract) mod read;

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc;

use rayon::prelude::*;
use serde::Serialize;

use super::{Api, Contract, ContractError, FailOn, Impact, JsonError, Target, Violation};

pub use discover::{Discover, discover};
pub use output::{Format, Output};
use read::{Batch, Reader};

/// Largest document (or NDJSON line) read by default: 64 MiB, room for the 50 MB pages the
/// benchmarks check.
pub const DEFAULT_MAX_BYTES: u64 = 64 << 20;

/// Most payloads checked together; the next batch is read meanwhile.
pub const BATCH_PAYLOADS: usize = 4096;

/// Most bytes of NDJSON lines (and standard input) held by one batch; a single longer line still
/// makes a batch of its own.
pub const BATCH_BYTES: usize = 16 << 20;

/// How inputs are read.
#[derive(Debug, Clone)]
pub struct Options {
    /// Every input holds one payload per line (recorded traffic); blank lines are skipped and
    /// each payload is reported with its line number. Directories then also yield `*.ndjson`
    /// and `*.jsonl` files.
    pub ndjson: bool,
    /// Largest document read, in bytes (with `ndjson`, largest line); a longer one is an
    /// unreadable input (exit 2), and nothing after it in that input is read.
    pub max_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ndjson: false,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

impl Options {
    /// One payload per line (see [`Options::ndjson`]).
    #[must_use]
    pub fn with_ndjson(mut self, ndjson: bool) -> Self {
        self.ndjson = ndjson;
        self
    }

    /// The largest document or line read (see [`Options::max_bytes`]).
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }
}

/// One input to check, as [`discover`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The path as reported: as given on the command line, or joined below a given directory;
    /// `-` for standard input.
    pub shown: String,
    /// Where the bytes come from.
    pub source: Source,
}

/// Where an input's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input, read once.
    Stdin,
    /// A path named on the command line: read whatever it is (a pipe from `<(...)` too), up to
    /// [`Options::max_bytes`]. It may not exist or not be readable: that shows when it is read.
    File(PathBuf),
    /// A file a directory walk found: read only if it is a regular file when opened (a file
    /// swapped for a FIFO or a device after the walk is skipped, never read or waited on).
    Found(PathBuf),
    /// Found by a directory walk but not a regular file (a FIFO, socket or device): skipped,
    /// with what it is.
    NotRegular(String),
    /// A directory that could not be listed, with the reason.
    Unlistable(String),
}

/// The outcome for one payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It satisfies the contract.
    Valid,
    /// It breaks the contract; every violation, sorted.
    Invalid(Vec<Violation>),
    /// It is not JSON; for an NDJSON line, the line in the error is the line in the file.
    NotJson(JsonError),
    /// It could not be read at all (missing, unreadable, a dangling symlink, an unlistable
    /// directory, larger than [`Options::max_bytes`]).
    Unreadable(String),
    /// A directory walk found it, but it is not a regular file, so it was not read.
    Skipped(String),
}

/// One checked payload: a file, standard input, or one line of an NDJSON input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The input's path as shown (see [`Input::shown`]).
    pub path: String,
    /// The 1-based line of the payload in an NDJSON input.
    pub line: Option<usize>,
    /// What the check found.
    pub outcome: Outcome,
}

impl Entry {
    /// `PATH` or `PATH:LINE`.
    pub fn location(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line}", self.path),
            None => self.path.clone(),
        }
    }
}

/// Counts over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Entries: payloads checked, plus inputs that could not be read or were skipped.
    pub inputs: usize,
    /// Payloads that satisfy the contract.
    pub valid: usize,
    /// Payloads that break it or are not JSON.
    pub invalid: usize,
    /// Inputs that could not be read.
    pub unreadable: usize,
    /// Files a directory walk skipped because they are not regular files.
    pub skipped: usize,
    /// Violations in all, a payload that is not JSON counting one.
    pub violations: usize,
    /// Of those, the ones that break readers of the published types ([`Impact::Breaking`]).
    pub breaking: usize,
}

impl Summary {
    /// Counts `entry` in.
    pub fn add(&mut self, entry: &Entry) {
        self.inputs += 1;
        match &entry.outcome {
            Outcome::Valid => self.valid += 1,
            Outcome::Invalid(violations) => {
                self.invalid += 1;
                self.violations += violations.len();
                self.breaking += violations
                    .iter()
                    .filter(|v| v.impact == Impact::Breaking)
                    .count();
            }
            Outcome::NotJson(_) => {
                self.invalid += 1;
                self.violations += 1;
                self.breaking += 1;
            }
            Outcome::Unreadable(_) => self.unreadable += 1,
            Outcome::Skipped(_) => self.skipped += 1,
        }
    }

    /// The process exit code: 2 if an input could not be read, else 1 if any payload is
    /// invalid, else 0. Skipped files change nothing.
    pub fn exit_code(&self) -> u8 {
        self.exit_code_on(FailOn::Drift)
    }

    /// The process exit code when `fail_on` says which violations fail the run: 2 if an input
    /// could not be read, else 1 if a payload has such a violation (any, or a breaking one),
    /// else 0.
    pub fn exit_code_on(&self, fail_on: FailOn) -> u8 {
        let failing = match fail_on {
            FailOn::Drift => self.invalid,
            FailOn::Breaking => self.breaking,
        };
        if self.unreadable > 0 {
            2
        } else if failing > 0 {
            1
        } else {
            0
        }
    }

    /// `N input(s) checked against API TARGET: I invalid, V violation(s) (B breaking)`, then
    /// `, U unreadable` and `, S skipped` when there are any.
    pub fn line(&self, api: Api, target: &Target) -> String {
        self.line_for(&format!("{api} {target}"))
    }

    /// [`Summary::line`] with what the inputs were checked against in words.
    pub fn line_for(&self, against: &str) -> String {
        let mut line = format!(
            "{} input(s) checked against {against}: {} invalid, {} violation(s) ({} breaking)",
            self.inputs, self.invalid, self.violations, self.breaking
        );
        if self.unreadable > 0 {
            line.push_str(&format!(", {} unreadable", self.unreadable));
        }
        if self.skipped > 0 {
            line.push_str(&format!(", {} skipped", self.skipped));
        }
        line
    }
}

/// What stops a run (as opposed to an input that cannot be read, which is an entry).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The target is unknown; nothing was read.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// Writing a result (or starting the reader thread) failed; the run stopped there.
    #[error(transparent)]
    Io(io::Error),
}

/// Where [`stream`] hands its results: every entry in order, and a word after each batch.
pub trait Sink {
    /// One entry, in input order.
    fn entry(&mut self, entry: &Entry) -> io::Result<()>;

    /// A batch is done and the next may take a while (standard input still being written):
    /// the moment to flush.
    fn batch_done(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<F: FnMut(&Entry) -> io::Result<()>> Sink for F {
    fn entry(&mut self, entry: &Entry) -> io::Result<()> {
        self(entry)
    }
}

/// What each payload of a run is checked against.
#[derive(Debug, Clone, Copy)]
pub enum Against<'a> {
    /// Every payload against one target of one contract.
    Target(&'a Contract, &'a Target),
    /// Every input line is a recorded exchange ([`super::exchange`]): its response body against
    /// its API's operation and status ([`super::traffic`]). The API is the exchange's own, else
    /// the one its path names, else this one.
    Exchanges(Option<Api>),
}

impl Against<'_> {
    /// What the payloads are checked against, in words (`cbr response 200`).
    pub fn describe(&self) -> String {
        match self {
            Against::Target(contract, target) => format!("{} {target}", contract.api()),
            Against::Exchanges(_) => "recorded exchanges".to_owned(),
        }
    }
}

/// Checks every input against `target`, in order, and hands every entry to `sink` as soon as
/// its batch is checked (see the module docs for what is held meanwhile). Returns the counts.
///
/// Only an unknown target, or an error from `sink`, stops the run; an input that cannot be read
/// becomes an [`Outcome::Unreadable`] entry and the others are still checked. Standard input is
/// read once: `-` given twice checks the same document twice, but with [`Options::ndjson`] its
/// lines are read as they come, so a second `-` finds nothing left.
pub fn stream<I>(
    contract: &Contract,
    target: &Target,
    inputs: I,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<Summary, Error>
where
    I: IntoIterator<Item = Input>,
    I::IntoIter: Send + 'static,
{
    stream_against(Against::Target(contract, target), inputs, options, sink)
}

/// [`stream`] against a target or, with [`Against::Exchanges`], over recorded exchanges, read
/// one per line whatever [`Options::ndjson`] says. An exchange line that is not an exchange is
/// unreadable (exit 2); one whose operation is not in the contract, or whose body the recorder
/// cut, is skipped with the reason; a status the operation does not document is a violation.
pub fn stream_against<I>(
    against: Against<'_>,
    inputs: I,
    options: &Options,
    sink: &mut dyn Sink,
) -> Result<Summary, Error>
where
    I: IntoIterator<Item = Input>,
    I::IntoIter: Send + 'static,
{
    let mut options = options.clone();
    match against {
        // Fail on an unknown target before reading anything, not once per input.
        Against::Target(contract, target) => {
            contract.validator(target)?;
        }
        Against::Exchanges(_) => {
            options.ndjson = true;
            // Both contracts compile before the first line, not inside the workers.
            for api in Api::ALL {
                Contract::get(api)?;
                super::traffic::operations(api)?;
            }
        }
    }
    let options = &options;
    let (batches, receive) = mpsc::sync_channel::<Batch>(1);
    let inputs = inputs.into_iter();
    let reader_options = options.clone();
    // Detached, not scoped: a run that stops early (a closed stdout) must not wait for a reader
    // blocked on standard input. Its next send fails, and it ends.
    let reader = std::thread::Builder::new()
        .name("validate-reader".into())
        .spawn(move || Reader::new(batches, reader_options).run(inputs))
        .map_err(Error::Io)?;
    let mut summary = Summary::default();
    for batch in receive {
        let entries: Vec<Entry> = batch
            .tasks
            .par_iter()
            .map(|task| task.run(against, &batch.data, options))
            .collect();
        drop(batch);
        for entry in &entries {
            summary.add(entry);
            sink.entry(entry).map_err(Error::Io)?;
        }
        sink.batch_done().map_err(Error::Io)?;
    }
    // The reader has sent its last batch; a panic there must not pass for the end of the input.
    reader
        .join()
        .map_err(|_| Error::Io(io::Error::other("the input reader stopped unexpectedly")))?;
    Ok(summary)
}

/// Checks every input against `target` and keeps every entry: [`stream`] into a [`Report`].
/// Memory grows with the entries; the `validate` command streams instead.
pub fn check<I>(
    contract: &Contract,
    target: &Target,
    inputs: I,
    options: &Options,
) -> Result<Report, Error>
where
    I: IntoIterator<Item = Input>,
    I::IntoIter: Send + 'static,
{
    let mut entries = Vec::new();
    let mut keep = |entry: &Entry| {
        entries.push(entry.clone());
        Ok(())
    };
    stream(contract, target, inputs, options, &mut keep)?;
    Ok(Report {
        api: contract.api(),
        target: target.clone(),
        entries,
    })
}

/// Everything one run found, in path order, then line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Which API's contract.
    pub api: Api,
    /// What each payload was checked against.
    pub target: Target,
    /// One entry per payload or unreadable input.
    pub entries: Vec<Entry>,
}

impl Report {
    /// Counts of valid, invalid, unreadable and skipped inputs and of violations.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for entry in &self.entries {
            summary.add(entry);
        }
        summary
    }

    /// The process exit code ([`Summary::exit_code`]).
    pub fn exit_code(&self) -> u8 {
        self.summary().exit_code()
    }

    /// The summary line ([`Summary::line`]).
    pub fn summary_line(&self) -> String {
        self.summary().line(self.api, &self.target)
    }

    /// The report as [`Format::Text`], the summary line last on `err`.
    pub fn write_text(&self, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
        self.write(Output::new(Format::Text, self.api, &self.target, out, err)?)
    }

    /// The report as [`Format::Json`].
    pub fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut err = io::sink();
        self.write(Output::new(
            Format::Json,
            self.api,
            &self.target,
            out,
            &mut err,
        )?)
    }

    /// The report as [`Format::Junit`].
    pub fn write_junit(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut err = io::sink();
        self.write(Output::new(
            Format::Junit,
            self.api,
            &self.target,
            out,
            &mut err,
        )?)
    }

    fn write(&self, mut output: Output<'_>) -> io::Result<()> {
        for entry in &self.entries {
            output.write_entry(entry)?;
        }
        output.finish(&self.summary())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_inputs_give_exit_2_and_the_rest_are_still_checked() {
        let report = Report {
            api: Api::Cbr,
            target: Target::Response { status: 200 },
            entries: vec![
                Entry {
                    path: "a.json".into(),
                    line: None,
                    outcome: Outcome::Unreadable("gone".into()),
                },
                Entry {
                    path: "b.json".into(),
                    line: None,
                    outcome: Outcome::Valid,
                },
            ],
        };
        assert_eq!(report.exit_code(), 2);
        assert_eq!(
            report.summary_line(),
            "2 input(s) checked against cbr response 200: 0 invalid, 0 violation(s) (0 breaking), 1 unreadable"
        );
    }
}
