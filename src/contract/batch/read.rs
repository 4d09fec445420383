//! The reader thread and the workers: inputs into bounded batches, and each payload's verdict.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use super::discover::not_regular;
use super::{Against, BATCH_BYTES, BATCH_PAYLOADS, Entry, Input, Options, Outcome, Source};
use crate::contract::exchange::Exchange;
use crate::contract::traffic::{self, Located};
use crate::contract::{Api, Contract, JsonError, Target, Verdict};

/// Payloads read in order, checked together.
#[derive(Default)]
pub(super) struct Batch {
    /// The bytes of every [`Task::Bytes`] of the batch.
    pub(super) data: Vec<u8>,
    pub(super) tasks: Vec<Task>,
}

/// One entry to produce.
pub(super) enum Task {
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
    pub(super) fn run(&self, against: Against<'_>, data: &[u8], options: &Options) -> Entry {
        match self {
            Task::Read {
                shown,
                path,
                regular_only,
            } => {
                let outcome = match read_document(path, *regular_only, options.max_bytes) {
                    // The file's own buffer is checked in place: no copy of a large document.
                    Ok(mut bytes) => match against {
                        Against::Target(contract, target) => {
                            to_outcome(contract.check_buffer(target, &mut bytes), None)
                        }
                        Against::Exchanges(_) => outcome(against, &bytes, None),
                    },
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
                outcome: outcome(against, &data[range.clone()], *line),
            },
            Task::Done(entry) => entry.clone(),
        }
    }
}

/// The verdict on `bytes`; `line` is where an NDJSON payload sits in its file.
fn outcome(against: Against<'_>, bytes: &[u8], line: Option<usize>) -> Outcome {
    match against {
        Against::Target(contract, target) => verdict(contract, target, bytes, line),
        Against::Exchanges(fallback) => exchange_outcome(bytes, line, fallback),
    }
}

/// The verdict on one recorded exchange: its response body against its operation and status.
fn exchange_outcome(line_bytes: &[u8], line: Option<usize>, fallback: Option<Api>) -> Outcome {
    let exchange: Exchange = match serde_json::from_slice(line_bytes) {
        Ok(exchange) => exchange,
        Err(error) => return Outcome::Unreadable(format!("not a recorded exchange: {error}")),
    };
    let (operation, target) = match traffic::locate(&exchange, fallback) {
        Ok(Located::Documented { operation, target }) => (operation, target),
        Ok(Located::Undocumented { violation, .. }) => return Outcome::Invalid(vec![violation]),
        Err(why) => return Outcome::Skipped(why),
    };
    let body = match exchange.response.body_bytes() {
        Ok(body) => body,
        Err(error) => return Outcome::Unreadable(error.to_string()),
    };
    let contract = match Contract::get(operation.api) {
        Ok(contract) => contract,
        Err(error) => return Outcome::Unreadable(error.to_string()),
    };
    match verdict(contract, &target, &body, None) {
        // Where in the body the parser stopped, said in words: the location is the file's line.
        Outcome::NotJson(error) => Outcome::NotJson(JsonError {
            line: line.unwrap_or(error.line),
            column: error.column,
            message: format!(
                "the response body (its line {}, column {}): {}",
                error.line, error.column, error.message
            ),
        }),
        other => other,
    }
}

/// The verdict of `contract` on `bytes` as `target`.
fn verdict(contract: &Contract, target: &Target, bytes: &[u8], line: Option<usize>) -> Outcome {
    to_outcome(contract.check_bytes(target, bytes), line)
}

/// The outcome of a check; `line` is where an NDJSON payload sits in its file.
fn to_outcome(
    checked: Result<Verdict, crate::contract::ContractError>,
    line: Option<usize>,
) -> Outcome {
    match checked {
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
pub(in crate::contract) fn too_large(max_bytes: u64) -> String {
    format!("larger than the limit of {max_bytes} bytes (--max-bytes)")
}

/// Opens a file: with `regular_only`, refuses (as [`Outcome::Skipped`]) anything that is not a
/// regular file once open, and never waits on a FIFO to open.
pub(in crate::contract) fn open(
    path: &Path,
    regular_only: bool,
) -> Result<(File, Option<u64>), Outcome> {
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
pub(in crate::contract) fn read_document(
    path: &Path,
    regular_only: bool,
    max_bytes: u64,
) -> Result<Vec<u8>, Outcome> {
    let (file, size) = open(path, regular_only)?;
    read_capped(file, size, max_bytes).map_err(|error| match error {
        Capped::TooLarge => Outcome::Unreadable(too_large(max_bytes)),
        Capped::Io(error) => Outcome::Unreadable(error.to_string()),
    })
}

pub(in crate::contract) enum Capped {
    TooLarge,
    Io(io::Error),
}

/// Everything `reader` holds, refusing more than `max_bytes` (one byte more is read to tell).
pub(in crate::contract) fn read_capped(
    reader: impl Read,
    size: Option<u64>,
    max_bytes: u64,
) -> Result<Vec<u8>, Capped> {
    // A regular file's size is known: read it into one allocation, not a doubling series, with
    // room for the padding the fast path adds to parse it in place (`tape::with_document_in_place`).
    let expected = size
        .unwrap_or(0)
        .min(max_bytes)
        .saturating_add(1 + simd_json::INPUT_PADDING as u64);
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
pub(super) struct Reader {
    batch: Batch,
    channel: mpsc::SyncSender<Batch>,
    options: Options,
    /// Standard input as read the first time `-` came (a document, not NDJSON).
    stdin: Option<Result<Vec<u8>, String>>,
}

/// The run stopped reading: the checker is gone.
struct Stopped;

impl Reader {
    pub(super) fn new(channel: mpsc::SyncSender<Batch>, options: Options) -> Self {
        Reader {
            batch: Batch::default(),
            channel,
            options,
            stdin: None,
        }
    }

    pub(super) fn run(mut self, inputs: impl Iterator<Item = Input>) {
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
