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

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rayon::prelude::*;
use serde::Serialize;

use super::{Api, Contract, ContractError, JsonError, Target, Verdict, Violation};
use crate::common::terminal::Escaped;

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

/// The inputs named by `paths`, lazily, in path order: `-` is standard input, a directory stands
/// for every `*.json` file below it (also `*.ndjson` and `*.jsonl` with [`Options::ndjson`]), and
/// anything else is a file.
///
/// Order: by path, as text, where a directory's contents sort as its path with a `/` appended;
/// the walk lists one directory at a time, so it holds one listing per level, never the whole
/// tree. Symlinks to regular files are followed, symlinks to directories are not (a link cycle
/// cannot make the walk endless), a symlink whose target is gone is kept so that reading it
/// reports the error, and anything else that is not a regular file (FIFO, socket, device) is
/// reported as skipped without being opened.
pub fn discover(paths: &[PathBuf], options: &Options) -> Discover {
    let mut named: Vec<(String, Pending)> = paths
        .iter()
        .map(|path| {
            if path.as_os_str() == "-" {
                let input = Input {
                    shown: "-".into(),
                    source: Source::Stdin,
                };
                ("-".to_owned(), Pending::Input(input))
            } else if path.is_dir() {
                let shown = path.display().to_string();
                (format!("{shown}/"), Pending::Dir(path.clone()))
            } else {
                let input = Input {
                    shown: path.display().to_string(),
                    source: Source::File(path.clone()),
                };
                (input.shown.clone(), Pending::Input(input))
            }
        })
        .collect();
    // Stable: the same path given twice keeps command-line order.
    named.sort_by(|a, b| a.0.cmp(&b.0));
    Discover {
        pending: named
            .into_iter()
            .rev()
            .map(|(_, pending)| pending)
            .collect(),
        ndjson: options.ndjson,
    }
}

/// The inputs [`discover`] finds, one at a time.
#[derive(Debug)]
pub struct Discover {
    /// What is still to come, the next last.
    pending: Vec<Pending>,
    ndjson: bool,
}

#[derive(Debug)]
enum Pending {
    Input(Input),
    Dir(PathBuf),
}

impl Iterator for Discover {
    type Item = Input;

    fn next(&mut self) -> Option<Input> {
        loop {
            match self.pending.pop()? {
                Pending::Input(input) => return Some(input),
                Pending::Dir(dir) => self.list(&dir),
            }
        }
    }
}

impl Discover {
    /// Pushes what `dir` holds, sorted, so that it comes next.
    fn list(&mut self, dir: &Path) {
        let unlistable = |path: &Path, why: String| {
            Pending::Input(Input {
                shown: path.display().to_string(),
                source: Source::Unlistable(why),
            })
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) => {
                self.pending.push(unlistable(dir, error.to_string()));
                return;
            }
        };
        let mut found: Vec<(String, Pending)> = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    found.push((String::new(), unlistable(dir, error.to_string())));
                    continue;
                }
            };
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = match entry.file_type() {
                Ok(kind) => kind,
                Err(error) => {
                    found.push((name, unlistable(&path, error.to_string())));
                    continue;
                }
            };
            if kind.is_dir() {
                found.push((format!("{name}/"), Pending::Dir(path)));
                continue;
            }
            if !self.wanted(&path) {
                continue;
            }
            let what = if kind.is_symlink() {
                match std::fs::metadata(&path) {
                    // A symlink to a directory is not followed.
                    Ok(target) if target.is_dir() => continue,
                    Ok(target) => not_regular(&target.file_type()),
                    // A dangling link is read, so that reading it reports why.
                    Err(_) => None,
                }
            } else {
                not_regular(&kind)
            };
            let source = match what {
                None => Source::Found(path.clone()),
                Some(what) => Source::NotRegular(what),
            };
            let input = Input {
                shown: path.display().to_string(),
                source,
            };
            found.push((name, Pending::Input(input)));
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        self.pending
            .extend(found.into_iter().rev().map(|(_, pending)| pending));
    }

    fn wanted(&self, path: &Path) -> bool {
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        extension == "json" || (self.ndjson && matches!(extension, "ndjson" | "jsonl"))
    }
}

/// `None` for a regular file, else what it is instead.
fn not_regular(kind: &std::fs::FileType) -> Option<String> {
    if kind.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let what = if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_char_device() {
            "a character device"
        } else if kind.is_block_device() {
            "a block device"
        } else if kind.is_dir() {
            "a directory"
        } else {
            "of an unknown kind"
        };
        Some(format!("not a regular file ({what})"))
    }
    #[cfg(not(unix))]
    Some("not a regular file".to_owned())
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
            }
            Outcome::NotJson(_) => {
                self.invalid += 1;
                self.violations += 1;
            }
            Outcome::Unreadable(_) => self.unreadable += 1,
            Outcome::Skipped(_) => self.skipped += 1,
        }
    }

    /// The process exit code: 2 if an input could not be read, else 1 if any payload is
    /// invalid, else 0. Skipped files change nothing.
    pub fn exit_code(&self) -> u8 {
        if self.unreadable > 0 {
            2
        } else if self.invalid > 0 {
            1
        } else {
            0
        }
    }

    /// `N input(s) checked against API TARGET: I invalid, V violation(s)`, then `, U unreadable`
    /// and `, S skipped` when there are any.
    pub fn line(&self, api: Api, target: &Target) -> String {
        let mut line = format!(
            "{} input(s) checked against {api} {target}: {} invalid, {} violation(s)",
            self.inputs, self.invalid, self.violations
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
    // Fail on an unknown target before reading anything, not once per input.
    contract.validator(target)?;
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
            .map(|task| task.run(contract, target, &batch.data, options))
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

/// Payloads read in order, checked together.
#[derive(Default)]
struct Batch {
    /// The bytes of every [`Task::Bytes`] of the batch.
    data: Vec<u8>,
    tasks: Vec<Task>,
}

/// One entry to produce.
enum Task {
    /// Read the file and check it (in the worker, so files are read in parallel).
    Read {
        shown: String,
        path: PathBuf,
        /// Found by a walk: read only a regular file.
        regular_only: bool,
    },
    /// Check bytes already read: an NDJSON line, or standard input.
    Bytes {
        shown: String,
        line: Option<usize>,
        range: Range<usize>,
    },
    /// Nothing to check: the reader already knows the outcome.
    Done(Entry),
}

impl Task {
    fn run(&self, contract: &Contract, target: &Target, data: &[u8], options: &Options) -> Entry {
        match self {
            Task::Read {
                shown,
                path,
                regular_only,
            } => {
                let outcome = match read_document(path, *regular_only, options.max_bytes) {
                    Ok(bytes) => outcome(contract, target, &bytes, None),
                    Err(outcome) => outcome,
                };
                Entry {
                    path: shown.clone(),
                    line: None,
                    outcome,
                }
            }
            Task::Bytes { shown, line, range } => Entry {
                path: shown.clone(),
                line: *line,
                outcome: outcome(contract, target, &data[range.clone()], *line),
            },
            Task::Done(entry) => entry.clone(),
        }
    }
}

/// The verdict on `bytes`; `line` is where an NDJSON payload sits in its file.
fn outcome(contract: &Contract, target: &Target, bytes: &[u8], line: Option<usize>) -> Outcome {
    match contract.check_bytes(target, bytes) {
        Ok(Verdict::Valid) => Outcome::Valid,
        Ok(Verdict::Invalid { violations }) => Outcome::Invalid(violations),
        // The parser saw one line; its line is the file's.
        Ok(Verdict::NotJson { error }) => Outcome::NotJson(match line {
            Some(line) => JsonError { line, ..error },
            None => error,
        }),
        // `stream` made sure the target exists, so this cannot happen; report it, never panic.
        Err(error) => Outcome::Unreadable(error.to_string()),
    }
}

/// Why a document or line over the limit is not read.
fn too_large(max_bytes: u64) -> String {
    format!("larger than the limit of {max_bytes} bytes (--max-bytes)")
}

/// Opens a file: with `regular_only`, refuses (as [`Outcome::Skipped`]) anything that is not a
/// regular file once open, and never waits on a FIFO to open.
fn open(path: &Path, regular_only: bool) -> Result<(File, Option<u64>), Outcome> {
    let unreadable = |error: io::Error| Outcome::Unreadable(error.to_string());
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    if regular_only {
        use std::os::unix::fs::OpenOptionsExt as _;
        // Opening a FIFO for reading waits for a writer; without one it must not hang the run.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(unreadable)?;
    let metadata = file.metadata().map_err(unreadable)?;
    if regular_only && let Some(what) = not_regular(&metadata.file_type()) {
        return Err(Outcome::Skipped(what));
    }
    Ok((file, metadata.is_file().then_some(metadata.len())))
}

/// The whole document at `path`, at most `max_bytes` of it.
fn read_document(path: &Path, regular_only: bool, max_bytes: u64) -> Result<Vec<u8>, Outcome> {
    let (file, size) = open(path, regular_only)?;
    read_capped(file, size, max_bytes).map_err(|error| match error {
        Capped::TooLarge => Outcome::Unreadable(too_large(max_bytes)),
        Capped::Io(error) => Outcome::Unreadable(error.to_string()),
    })
}

enum Capped {
    TooLarge,
    Io(io::Error),
}

/// Everything `reader` holds, refusing more than `max_bytes` (one byte more is read to tell).
fn read_capped(reader: impl Read, size: Option<u64>, max_bytes: u64) -> Result<Vec<u8>, Capped> {
    // A regular file's size is known: read it into one allocation, not a doubling series.
    let expected = size.unwrap_or(0).min(max_bytes).saturating_add(1);
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(Capped::Io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(Capped::TooLarge);
    }
    Ok(bytes)
}

/// The reader thread: inputs in order into batches, each sent when full.
struct Reader {
    batch: Batch,
    channel: mpsc::SyncSender<Batch>,
    options: Options,
    /// Standard input as read the first time `-` came (a document, not NDJSON).
    stdin: Option<Result<Vec<u8>, String>>,
}

/// The run stopped reading: the checker is gone.
struct Stopped;

impl Reader {
    fn new(channel: mpsc::SyncSender<Batch>, options: Options) -> Self {
        Reader {
            batch: Batch::default(),
            channel,
            options,
            stdin: None,
        }
    }

    fn run(mut self, inputs: impl Iterator<Item = Input>) {
        for input in inputs {
            if self.input(input).is_err() {
                return;
            }
        }
        if !self.batch.tasks.is_empty() {
            let _ = self.send();
        }
    }

    fn input(&mut self, input: Input) -> Result<(), Stopped> {
        let done = |outcome| {
            Task::Done(Entry {
                path: input.shown.clone(),
                line: None,
                outcome,
            })
        };
        match (&input.source, self.options.ndjson) {
            (Source::Unlistable(why), _) => self.push(done(Outcome::Unreadable(why.clone()))),
            (Source::NotRegular(what), _) => self.push(done(Outcome::Skipped(what.clone()))),
            (Source::File(path), false) => self.push(Task::Read {
                shown: input.shown.clone(),
                path: path.clone(),
                regular_only: false,
            }),
            (Source::Found(path), false) => self.push(Task::Read {
                shown: input.shown.clone(),
                path: path.clone(),
                regular_only: true,
            }),
            (Source::File(path) | Source::Found(path), true) => {
                let regular_only = matches!(input.source, Source::Found(_));
                match open(path, regular_only) {
                    // A regular file has a size; anything else may be written as it is read.
                    Ok((file, size)) => self.lines(&input.shown, file, size.is_none()),
                    Err(outcome) => self.push(done(outcome)),
                }
            }
            (Source::Stdin, true) => self.lines(&input.shown, io::stdin().lock(), true),
            (Source::Stdin, false) => {
                let max_bytes = self.options.max_bytes;
                let stdin = self.stdin.get_or_insert_with(|| {
                    read_capped(io::stdin().lock(), None, max_bytes).map_err(|error| match error {
                        Capped::TooLarge => too_large(max_bytes),
                        Capped::Io(error) => error.to_string(),
                    })
                });
                match stdin {
                    Ok(bytes) => {
                        let start = self.batch.data.len();
                        self.batch.data.extend_from_slice(bytes);
                        let range = start..self.batch.data.len();
                        self.push(Task::Bytes {
                            shown: input.shown.clone(),
                            line: None,
                            range,
                        })
                    }
                    Err(why) => {
                        let why = why.clone();
                        self.push(done(Outcome::Unreadable(why)))
                    }
                }
            }
        }
    }

    /// Every non-blank line of `reader` as a payload, each at most `max_bytes` long. A `live`
    /// reader (standard input, a pipe) may be traffic still being recorded: what was read is
    /// sent on before waiting for more, so its results come as its lines do.
    fn lines(&mut self, shown: &str, reader: impl Read, live: bool) -> Result<(), Stopped> {
        let max_bytes = self.options.max_bytes;
        let mut reader = BufReader::with_capacity(256 << 10, reader);
        let mut number = 0;
        loop {
            if live && reader.buffer().is_empty() && !self.batch.tasks.is_empty() {
                self.send()?;
            }
            number += 1;
            let start = self.batch.data.len();
            let read = (&mut reader)
                .take(max_bytes.saturating_add(1))
                .read_until(b'\n', &mut self.batch.data);
            let problem = match read {
                Ok(0) => {
                    self.batch.data.truncate(start);
                    return Ok(());
                }
                Ok(_) => {
                    let line = &self.batch.data[start..];
                    let ended = line.last() == Some(&b'\n');
                    let content = line.strip_suffix(b"\n").unwrap_or(line);
                    if !ended && content.len() as u64 > max_bytes {
                        // Nothing after an over-long line is read: it may never end.
                        Some(format!(
                            "line {number} is {}; the rest of the input is not read",
                            too_large(max_bytes)
                        ))
                    } else {
                        let content = content.strip_suffix(b"\r").unwrap_or(content);
                        let end = start + content.len();
                        if content.iter().all(u8::is_ascii_whitespace) {
                            self.batch.data.truncate(start);
                        } else {
                            self.batch.data.truncate(end);
                            self.push(Task::Bytes {
                                shown: shown.to_owned(),
                                line: Some(number),
                                range: start..end,
                            })?;
                        }
                        None
                    }
                }
                Err(error) => Some(error.to_string()),
            };
            if let Some(why) = problem {
                self.batch.data.truncate(start);
                return self.push(Task::Done(Entry {
                    path: shown.to_owned(),
                    line: Some(number),
                    outcome: Outcome::Unreadable(why),
                }));
            }
        }
    }

    /// Adds `task`, sending the batch when it is full.
    fn push(&mut self, task: Task) -> Result<(), Stopped> {
        self.batch.tasks.push(task);
        if self.batch.tasks.len() >= BATCH_PAYLOADS || self.batch.data.len() >= BATCH_BYTES {
            self.send()?;
        }
        Ok(())
    }

    /// Sends the batch as it is; waits while the checker still has one waiting.
    fn send(&mut self) -> Result<(), Stopped> {
        let batch = std::mem::take(&mut self.batch);
        self.channel.send(batch).map_err(|_| Stopped)
    }
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

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: one line per violation on `out` (`PATH[:LINE]: POINTER: message`, the pointer
    /// `(root)` for the whole document; `PATH[:LINE]:COLUMN: not JSON: message` with the parser's
    /// position for text that is not JSON), and on `err` one `error: cannot read PATH[:LINE]: why`
    /// line per unreadable input and one `warning: skipped PATH: why` per skipped file, then the
    /// summary line.
    Text,
    /// For machines: one pretty-printed object with the API, the target, one result per entry
    /// (its path, line (NDJSON), `valid`, `violations` (pointer, keyword, message) and, for text
    /// that is not JSON, an input that could not be read or a skipped file, an `error` with its
    /// `kind`: `not_json`, `io` or `skipped`), then the [`Summary`]. Written as results come, so
    /// the summary is the last member.
    Json,
    /// JUnit XML for CI dashboards: one test suite (`API TARGET`), one test case per entry named
    /// `PATH[:LINE]`; an invalid payload is a failure listing its violations, one that is not
    /// JSON a failure of type `not-json`, an unreadable input an error of type `io`, a skipped
    /// file a skipped test case. The counts come first in the XML, so the test cases wait in a
    /// temporary file until the run ends.
    Junit,
}

/// Writes entries as they come, in one [`Format`].
pub struct Output<'w> {
    suite: String,
    api: Api,
    target: Target,
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
    kind: Kind,
}

enum Kind {
    Text,
    Json { results: usize },
    Junit(Box<Junit>),
}

impl<'w> Output<'w> {
    /// Starts the output (JSON writes its opening, JUnit makes its temporary file).
    pub fn new(
        format: Format,
        api: Api,
        target: &Target,
        out: &'w mut dyn Write,
        err: &'w mut dyn Write,
    ) -> io::Result<Self> {
        let kind = match format {
            Format::Text => Kind::Text,
            Format::Json => {
                let json = |value: &str| serde_json::to_string(value).map_err(io::Error::other);
                write!(
                    out,
                    "{{\n  \"api\": {},\n  \"target\": {},\n  \"results\": [",
                    json(api.name())?,
                    json(&target.to_string())?
                )?;
                Kind::Json { results: 0 }
            }
            Format::Junit => Kind::Junit(Box::new(Junit::new()?)),
        };
        Ok(Output {
            suite: format!("{api} {target}"),
            api,
            target: target.clone(),
            out,
            err,
            kind,
        })
    }

    /// Writes one entry.
    pub fn write_entry(&mut self, entry: &Entry) -> io::Result<()> {
        match &mut self.kind {
            Kind::Text => write_text(entry, self.out, self.err),
            Kind::Json { results } => {
                self.out
                    .write_all(if *results == 0 { b"\n" } else { b",\n" })?;
                *results += 1;
                write_indented(self.out, &json_entry(entry), 4)
            }
            Kind::Junit(junit) => junit.add(test_case(entry, &self.suite), &self.suite),
        }
    }

    /// Ends the output: the summary line (text, on `err`), the closing and summary (JSON), the
    /// whole document (JUnit).
    pub fn finish(self, summary: &Summary) -> io::Result<()> {
        match self.kind {
            Kind::Text => {
                self.out.flush()?;
                writeln!(self.err, "{}", summary.line(self.api, &self.target))?;
            }
            Kind::Json { results } => {
                self.out
                    .write_all(if results == 0 { b"],\n" } else { b"\n  ],\n" })?;
                self.out.write_all(b"  \"summary\": ")?;
                let mut text = Vec::new();
                serde_json::to_writer_pretty(&mut text, summary).map_err(io::Error::other)?;
                // The summary's first line follows its name; the rest sit one level in.
                let text = String::from_utf8_lossy(&text).replace('\n', "\n  ");
                writeln!(self.out, "{text}\n}}")?;
            }
            Kind::Junit(junit) => junit.finish(&self.suite, self.out)?,
        }
        self.out.flush()
    }
}

impl Sink for Output<'_> {
    fn entry(&mut self, entry: &Entry) -> io::Result<()> {
        self.write_entry(entry)
    }

    fn batch_done(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn display_pointer(v: &Violation) -> &str {
    if v.pointer.is_empty() {
        "(root)"
    } else {
        &v.pointer
    }
}

/// Text for a terminal: [`Escaped`], with printable ASCII (nearly every message) written as it is
/// after one quick look, since a million lines of output are a million looks.
struct Shown<'a>(&'a str);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.bytes().all(|b| matches!(b, b' '..=b'~')) {
            f.write_str(self.0)
        } else {
            std::fmt::Display::fmt(&Escaped(self.0), f)
        }
    }
}

/// One entry as text. Paths, pointers and messages carry payload text (a member name, a string
/// with C1 controls, which JSON does not escape, a file name), so each is printed with whatever
/// a terminal would obey escaped ([`Shown`]).
fn write_text(entry: &Entry, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
    let location = entry.location();
    let location = Shown(&location);
    match &entry.outcome {
        Outcome::Valid => Ok(()),
        Outcome::Invalid(violations) => {
            for v in violations {
                let (pointer, message) = (Shown(display_pointer(v)), Shown(&v.message));
                writeln!(out, "{location}: {pointer}: {message}")?;
            }
            Ok(())
        }
        Outcome::NotJson(error) => writeln!(
            out,
            "{}:{}:{}: not JSON: {}",
            Shown(&entry.path),
            error.line,
            error.column,
            Shown(&error.message)
        ),
        Outcome::Unreadable(why) => {
            writeln!(err, "error: cannot read {location}: {}", Shown(why))
        }
        Outcome::Skipped(why) => writeln!(err, "warning: skipped {location}: {}", Shown(why)),
    }
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    valid: bool,
    violations: Vec<JsonViolation<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<JsonProblem<'a>>,
}

#[derive(Serialize)]
struct JsonViolation<'a> {
    pointer: &'a str,
    keyword: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum JsonProblem<'a> {
    NotJson {
        line: usize,
        column: usize,
        message: &'a str,
    },
    Io {
        message: &'a str,
    },
    Skipped {
        message: &'a str,
    },
}

fn json_entry(entry: &Entry) -> JsonEntry<'_> {
    let (violations, error) = match &entry.outcome {
        Outcome::Valid => (Vec::new(), None),
        Outcome::Invalid(violations) => (
            violations
                .iter()
                .map(|v| JsonViolation {
                    pointer: &v.pointer,
                    keyword: &v.keyword,
                    message: &v.message,
                })
                .collect(),
            None,
        ),
        Outcome::NotJson(e) => (
            Vec::new(),
            Some(JsonProblem::NotJson {
                line: e.line,
                column: e.column,
                message: &e.message,
            }),
        ),
        Outcome::Unreadable(why) => (Vec::new(), Some(JsonProblem::Io { message: why })),
        Outcome::Skipped(why) => (Vec::new(), Some(JsonProblem::Skipped { message: why })),
    };
    JsonEntry {
        path: &entry.path,
        line: entry.line,
        valid: entry.outcome == Outcome::Valid,
        violations,
        error,
    }
}

/// `value` pretty-printed as `serde_json` prints it `depth` spaces in, as a member of an array.
fn write_indented(out: &mut dyn Write, value: &impl Serialize, depth: usize) -> io::Result<()> {
    let mut text = Vec::new();
    serde_json::to_writer_pretty(&mut text, value).map_err(io::Error::other)?;
    let indent = " ".repeat(depth);
    // JSON text holds a newline only between tokens (strings escape theirs), so every line is
    // a line of the document.
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
        }
        out.write_all(indent.as_bytes())?;
        out.write_all(line)?;
    }
    Ok(())
}

fn test_case(entry: &Entry, suite: &str) -> quick_junit::TestCase {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus};

    let status = match &entry.outcome {
        Outcome::Valid => TestCaseStatus::success(),
        Outcome::Invalid(violations) => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let lines: Vec<String> = violations
                .iter()
                .map(|v| format!("{} [{}]: {}", display_pointer(v), v.keyword, v.message))
                .collect();
            status
                .set_type("contract")
                .set_message(format!("{} violation(s)", violations.len()))
                .set_description(lines.join("\n"));
            status
        }
        Outcome::NotJson(error) => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_type("not-json").set_message(error.to_string());
            status
        }
        Outcome::Unreadable(why) => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_type("io")
                .set_message(format!("cannot read: {why}"));
            status
        }
        Outcome::Skipped(why) => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(format!("skipped: {why}"));
            status
        }
    };
    let mut case = TestCase::new(entry.location(), status);
    case.set_classname(suite);
    case
}

/// The JUnit document, written as quick-junit writes it, with the test cases kept in a
/// temporary file (and a few in memory) until the counts that precede them are known.
///
/// quick-junit serialises whole reports only. Each few hundred test cases are serialised as the
/// one suite of a report and cut out of it; at the end a report with the final counts and one
/// stand-in test case gives what comes before and after the test cases. The result is the
/// document quick-junit would write for all of them at once, byte for byte.
struct Junit {
    pending: Vec<quick_junit::TestCase>,
    cases: BufWriter<File>,
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

/// Test cases serialised together.
const JUNIT_CHUNK: usize = 256;

/// Where the test cases start in a serialised report: quick-junit indents them two levels.
const CASES_START: &[u8] = b"\n        <testcase";

/// Where they end.
const CASES_END: &[u8] = b"\n    </testsuite>";

const REPORT_NAME: &str = "backup-task-api validate";

impl Junit {
    fn new() -> io::Result<Self> {
        Ok(Junit {
            pending: Vec::new(),
            cases: BufWriter::new(tempfile::tempfile()?),
            tests: 0,
            failures: 0,
            errors: 0,
            skipped: 0,
        })
    }

    fn add(&mut self, case: quick_junit::TestCase, suite: &str) -> io::Result<()> {
        use quick_junit::{NonSuccessKind, TestCaseStatus};

        self.tests += 1;
        match &case.status {
            TestCaseStatus::Success { .. } => {}
            TestCaseStatus::NonSuccess { kind, .. } => match kind {
                NonSuccessKind::Failure => self.failures += 1,
                NonSuccessKind::Error => self.errors += 1,
            },
            TestCaseStatus::Skipped { .. } => self.skipped += 1,
        }
        self.pending.push(case);
        if self.pending.len() >= JUNIT_CHUNK {
            self.flush(suite)?;
        }
        Ok(())
    }

    /// Serialises the pending test cases into the temporary file.
    fn flush(&mut self, suite: &str) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut chunk = quick_junit::TestSuite::new(suite);
        chunk.add_test_cases(self.pending.drain(..));
        let xml = serialise(chunk)?;
        let (start, end) = cases_in(&xml)?;
        self.cases.write_all(&xml[start..end])
    }

    fn finish(mut self, suite: &str, out: &mut dyn Write) -> io::Result<()> {
        self.flush(suite)?;
        let mut totals = quick_junit::TestSuite::new(suite);
        if self.tests == 0 {
            // No test case: quick-junit writes the suite as an empty element.
            return out.write_all(&serialise(totals)?);
        }
        totals.add_test_case(quick_junit::TestCase::new(
            "stand-in",
            quick_junit::TestCaseStatus::success(),
        ));
        totals.tests = self.tests;
        totals.failures = self.failures;
        totals.errors = self.errors;
        totals.skipped = self.skipped;
        let frame = serialise(totals)?;
        let (start, end) = cases_in(&frame)?;
        out.write_all(&frame[..start])?;
        let mut cases = self
            .cases
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        cases.rewind()?;
        io::copy(&mut cases, out)?;
        out.write_all(&frame[end..])
    }
}

/// A report of one suite, as quick-junit writes it.
fn serialise(suite: quick_junit::TestSuite) -> io::Result<Vec<u8>> {
    let mut report = quick_junit::Report::new(REPORT_NAME);
    report.add_test_suite(suite);
    let mut xml = Vec::new();
    report.serialize(&mut xml).map_err(io::Error::other)?;
    Ok(xml)
}

/// Where the test cases of a serialised one-suite report start and end. Neither marker can occur
/// inside one: `<` is escaped in every name, message and text.
fn cases_in(xml: &[u8]) -> io::Result<(usize, usize)> {
    let find = |needle: &[u8]| xml.windows(needle.len()).position(|w| w == needle);
    let rfind = |needle: &[u8]| xml.windows(needle.len()).rposition(|w| w == needle);
    match (find(CASES_START), rfind(CASES_END)) {
        (Some(start), Some(end)) if start <= end => Ok((start, end)),
        _ => Err(io::Error::other(
            "quick-junit wrote a report of an unexpected shape",
        )),
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
            "2 input(s) checked against cbr response 200: 0 invalid, 0 violation(s), 1 unreadable"
        );
    }
    /// Entries of every outcome, `n` of them.
    fn entries(n: usize) -> Vec<Entry> {
        (0..n)
            .map(|i| Entry {
                path: format!("p/{i:04}.json"),
                line: (i % 2 == 0).then_some(i + 1),
                outcome: match i % 5 {
                    0 => Outcome::Valid,
                    1 => Outcome::Invalid(vec![Violation {
                        pointer: format!("/a/{i}"),
                        keyword: "type".into(),
                        message: "\"<b>&\" is not of type \"integer\"\n\u{1b}[2K".into(),
                        schema_path: "/properties/a/type".into(),
                    }]),
                    2 => Outcome::NotJson(JsonError {
                        line: 1,
                        column: 2,
                        message: "expected value".into(),
                    }),
                    3 => Outcome::Unreadable("gone <&> away".into()),
                    _ => Outcome::Skipped("not a regular file (a FIFO)".into()),
                },
            })
            .collect()
    }

    fn report(entries: Vec<Entry>) -> Report {
        Report {
            api: Api::Cbr,
            target: Target::Response { status: 200 },
            entries,
        }
    }

    #[test]
    fn junit_is_what_quick_junit_writes_for_the_whole_run_at_once() {
        // Several chunks, one of them partial, and no entry at all.
        for n in [0, 1, JUNIT_CHUNK, 2 * JUNIT_CHUNK + 37] {
            let report = report(entries(n));
            let mut streamed = Vec::new();
            report.write_junit(&mut streamed).expect("written");
            let suite_name = "cbr response 200";
            let mut suite = quick_junit::TestSuite::new(suite_name);
            for entry in &report.entries {
                suite.add_test_case(test_case(entry, suite_name));
            }
            let mut whole = quick_junit::Report::new(REPORT_NAME);
            whole.add_test_suite(suite);
            let expected = whole.to_string().expect("serialised");
            assert_eq!(String::from_utf8_lossy(&streamed), expected, "{n} entries");
        }
    }

    #[test]
    fn json_is_one_pretty_document_with_the_summary_last() {
        #[derive(Serialize)]
        struct Whole<'a> {
            api: &'a str,
            target: String,
            results: Vec<JsonEntry<'a>>,
            summary: Summary,
        }
        for n in [0, 1, 7] {
            let report = report(entries(n));
            let mut streamed = Vec::new();
            report.write_json(&mut streamed).expect("written");
            let whole = Whole {
                api: "cbr",
                target: "response 200".into(),
                results: report.entries.iter().map(json_entry).collect(),
                summary: report.summary(),
            };
            let expected = serde_json::to_string_pretty(&whole).expect("serialised") + "\n";
            assert_eq!(String::from_utf8_lossy(&streamed), expected, "{n} entries");
        }
    }

    #[test]
    fn a_walk_comes_in_path_order_one_directory_at_a_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for file in [
            "a.json",
            "a-b.json",
            "a/x.json",
            "a/b/y.json",
            "a.jsonl",
            "b.json",
            "a0/z.json",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, "{}").expect("write");
        }
        let shown = |options: &Options| -> Vec<String> {
            let found: Vec<String> = discover(&[root.to_owned()], options)
                .map(|input| input.shown)
                .collect();
            found
                .iter()
                .map(|path| path.replace(&root.display().to_string(), ""))
                .collect()
        };
        let found = shown(&Options::default());
        // What sorting every path as text gives, and what the walk gave before it streamed.
        let mut sorted = found.clone();
        sorted.sort();
        assert_eq!(found, sorted);
        assert_eq!(
            found,
            [
                "/a-b.json",
                "/a.json",
                "/a/b/y.json",
                "/a/x.json",
                "/a0/z.json",
                "/b.json"
            ]
        );
        assert!(shown(&Options::default().with_ndjson(true)).contains(&"/a.jsonl".to_owned()));
    }
}
