//! Checking many recorded payloads at once: what the `validate` command runs.
//!
//! [`discover`] turns command-line paths into inputs (files, directories searched recursively for
//! `*.json`, `-` for standard input), [`check`] checks them in parallel (rayon) against one target
//! and returns a [`Report`] in a fixed order (by path, then line), and the report writes itself as
//! text for people, JSON for machines or JUnit XML for CI dashboards.
//!
//! ```
//! use backup_task_api::contract::batch::{self, Options};
//! use backup_task_api::contract::{Api, Contract, Target};
//!
//! let dir = std::env::temp_dir().join(format!("batch-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! std::fs::write(dir.join("page.json"), r#"{"count": 0, "operation_logs": [], "limit": 0}"#)?;
//! let contract = Contract::get(Api::Cbr)?;
//! let inputs = batch::discover(&[dir.clone()], &Options::default());
//! let report = batch::check(contract, &Target::Response { status: 200 }, &inputs, &Options::default(), &|| {})?;
//! assert_eq!(report.summary().invalid, 1);
//! assert_eq!(report.exit_code(), 1);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use super::{Api, Contract, ContractError, JsonError, Target, Verdict, Violation};

/// How inputs are read.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Every input holds one payload per line (recorded traffic); blank lines are skipped and
    /// each payload is reported with its line number. Directories then also yield `*.ndjson`
    /// and `*.jsonl` files.
    pub ndjson: bool,
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
    /// A file (it may not exist or not be readable: that shows when it is read).
    File(PathBuf),
    /// A directory that could not be listed, with the reason.
    Unlistable(String),
}

/// The inputs named by `paths`: `-` is standard input, a directory stands for every `*.json`
/// file below it (also `*.ndjson` and `*.jsonl` with [`Options::ndjson`]), sorted, and anything
/// else is a file. Symlinks to files are followed, symlinks to directories are not (a link cycle
/// cannot make the walk endless), and a symlink whose target is gone is kept so that reading it
/// reports the error.
pub fn discover(paths: &[PathBuf], options: &Options) -> Vec<Input> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input {
                shown: "-".into(),
                source: Source::Stdin,
            });
        } else if path.is_dir() {
            walk(path, options, &mut inputs);
        } else {
            inputs.push(file(path));
        }
    }
    inputs
}

fn file(path: &Path) -> Input {
    Input {
        shown: path.display().to_string(),
        source: Source::File(path.to_owned()),
    }
}

/// Every matching file below `root`, with an explicit stack: a deep tree cannot overflow ours.
fn walk(root: &Path, options: &Options, inputs: &mut Vec<Input>) {
    let wanted = |path: &Path| {
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        extension == "json" || (options.ndjson && matches!(extension, "ndjson" | "jsonl"))
    };
    let mut found = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) => {
                found.push(Input {
                    shown: dir.display().to_string(),
                    source: Source::Unlistable(error.to_string()),
                });
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    found.push(Input {
                        shown: dir.display().to_string(),
                        source: Source::Unlistable(error.to_string()),
                    });
                    continue;
                }
            };
            let path = entry.path();
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => stack.push(path),
                // A symlink to a directory is not followed; to a file (or to nothing) it is read.
                Ok(kind) if kind.is_symlink() && path.is_dir() => {}
                Ok(_) if wanted(&path) => found.push(file(&path)),
                Ok(_) => {}
                Err(error) => found.push(Input {
                    shown: path.display().to_string(),
                    source: Source::Unlistable(error.to_string()),
                }),
            }
        }
    }
    found.sort_by(|a, b| a.shown.cmp(&b.shown));
    inputs.extend(found);
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
    /// directory).
    Unreadable(String),
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

/// Counts over a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Payloads checked, plus inputs that could not be read.
    pub inputs: usize,
    /// Payloads that satisfy the contract.
    pub valid: usize,
    /// Payloads that break it or are not JSON.
    pub invalid: usize,
    /// Inputs that could not be read.
    pub unreadable: usize,
    /// Violations in all, a payload that is not JSON counting one.
    pub violations: usize,
}

/// Everything one run found, sorted by path and then line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Which API's contract.
    pub api: Api,
    /// What each payload was checked against.
    pub target: Target,
    /// One entry per payload or unreadable input.
    pub entries: Vec<Entry>,
}

/// Checks every input against `target`, in parallel, calling `progress` once per input done.
/// Only an unknown target fails the whole run; an input that cannot be read becomes an
/// [`Outcome::Unreadable`] entry and the others are still checked.
pub fn check(
    contract: &Contract,
    target: &Target,
    inputs: &[Input],
    options: &Options,
    progress: &(dyn Fn() + Sync),
) -> Result<Report, ContractError> {
    // Fail on an unknown target before reading anything, not once per input.
    contract.validator(target)?;
    // Standard input can be read only once; `-` given twice checks the same bytes twice.
    let stdin = if inputs.iter().any(|i| i.source == Source::Stdin) {
        let mut bytes = Vec::new();
        Some(io::stdin().lock().read_to_end(&mut bytes).map(|_| bytes))
    } else {
        None
    };
    let per_input: Vec<Vec<Entry>> = inputs
        .par_iter()
        .map(|input| {
            let entries = check_input(contract, target, input, stdin.as_ref(), options);
            progress();
            entries
        })
        .collect();
    let mut entries: Vec<Entry> = per_input.into_iter().flatten().collect();
    // Stable: the same path given twice keeps command-line order.
    entries.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    Ok(Report {
        api: contract.api(),
        target: target.clone(),
        entries,
    })
}

fn check_input(
    contract: &Contract,
    target: &Target,
    input: &Input,
    stdin: Option<&io::Result<Vec<u8>>>,
    options: &Options,
) -> Vec<Entry> {
    let entry = |line, outcome| Entry {
        path: input.shown.clone(),
        line,
        outcome,
    };
    let owned;
    let bytes: &[u8] = match (&input.source, stdin) {
        (Source::Stdin, Some(Ok(bytes))) => bytes,
        (Source::Stdin, Some(Err(error))) => {
            return vec![entry(None, Outcome::Unreadable(error.to_string()))];
        }
        (Source::Stdin, None) => &[],
        (Source::File(path), _) => match std::fs::read(path) {
            Ok(bytes) => {
                owned = bytes;
                &owned
            }
            Err(error) => return vec![entry(None, Outcome::Unreadable(error.to_string()))],
        },
        (Source::Unlistable(why), _) => return vec![entry(None, Outcome::Unreadable(why.clone()))],
    };
    if !options.ndjson {
        return vec![entry(None, outcome(contract, target, bytes))];
    }
    let lines: Vec<(usize, &[u8])> = bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.strip_suffix(b"\r").unwrap_or(line)))
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
        .collect();
    lines
        .into_par_iter()
        .map(|(number, line)| {
            let outcome = match outcome(contract, target, line) {
                // The parser saw one line; its line is the file's.
                Outcome::NotJson(error) => Outcome::NotJson(JsonError {
                    line: number,
                    ..error
                }),
                other => other,
            };
            entry(Some(number), outcome)
        })
        .collect()
}

fn outcome(contract: &Contract, target: &Target, bytes: &[u8]) -> Outcome {
    match contract.check_bytes(target, bytes) {
        Ok(Verdict::Valid) => Outcome::Valid,
        Ok(Verdict::Invalid { violations }) => Outcome::Invalid(violations),
        Ok(Verdict::NotJson { error }) => Outcome::NotJson(error),
        // `check` made sure the target exists, so this cannot happen; report it, never panic.
        Err(error) => Outcome::Unreadable(error.to_string()),
    }
}

/// The JSON output's shape.
#[derive(Serialize)]
struct JsonReport<'a> {
    api: &'a str,
    target: String,
    summary: Summary,
    results: Vec<JsonEntry<'a>>,
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
}

impl Report {
    /// Counts of valid, invalid and unreadable inputs and of violations.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary {
            inputs: self.entries.len(),
            ..Summary::default()
        };
        for entry in &self.entries {
            match &entry.outcome {
                Outcome::Valid => summary.valid += 1,
                Outcome::Invalid(violations) => {
                    summary.invalid += 1;
                    summary.violations += violations.len();
                }
                Outcome::NotJson(_) => {
                    summary.invalid += 1;
                    summary.violations += 1;
                }
                Outcome::Unreadable(_) => summary.unreadable += 1,
            }
        }
        summary
    }

    /// The process exit code: 2 if an input could not be read, else 1 if any payload is
    /// invalid, else 0.
    pub fn exit_code(&self) -> u8 {
        let summary = self.summary();
        if summary.unreadable > 0 {
            2
        } else if summary.invalid > 0 {
            1
        } else {
            0
        }
    }

    /// The summary line: `N input(s) checked against API TARGET: I invalid, V violation(s)`,
    /// then `, U unreadable` when there are any.
    pub fn summary_line(&self) -> String {
        let s = self.summary();
        let mut line = format!(
            "{} input(s) checked against {} {}: {} invalid, {} violation(s)",
            s.inputs, self.api, self.target, s.invalid, s.violations
        );
        if s.unreadable > 0 {
            line.push_str(&format!(", {} unreadable", s.unreadable));
        }
        line
    }

    /// Text for people: one line per violation on `out` (`PATH[:LINE]: POINTER: message`, the
    /// pointer `(root)` for the whole document; `PATH[:LINE]:COLUMN: not JSON: message` with the
    /// parser's position for text that is not JSON), and on `err` one `error: cannot read PATH:
    /// why` line per unreadable input, then the summary line.
    pub fn write_text(&self, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
        for entry in &self.entries {
            match &entry.outcome {
                Outcome::Valid => {}
                Outcome::Invalid(violations) => {
                    let location = entry.location();
                    for v in violations {
                        writeln!(out, "{location}: {}: {}", display_pointer(v), v.message)?;
                    }
                }
                Outcome::NotJson(error) => writeln!(
                    out,
                    "{}:{}:{}: not JSON: {}",
                    entry.path, error.line, error.column, error.message
                )?,
                Outcome::Unreadable(why) => {
                    writeln!(err, "error: cannot read {}: {why}", entry.location())?
                }
            }
        }
        out.flush()?;
        writeln!(err, "{}", self.summary_line())
    }

    /// JSON for machines: the API, target, [`Summary`] and one result per entry with its path,
    /// line (NDJSON), `valid`, `violations` (pointer, keyword, message) and, for text that is not
    /// JSON or an input that could not be read, an `error` with its `kind` (`not_json`, `io`).
    pub fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let results = self
            .entries
            .iter()
            .map(|entry| {
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
                    Outcome::Unreadable(why) => {
                        (Vec::new(), Some(JsonProblem::Io { message: why }))
                    }
                };
                JsonEntry {
                    path: &entry.path,
                    line: entry.line,
                    valid: entry.outcome == Outcome::Valid,
                    violations,
                    error,
                }
            })
            .collect();
        let report = JsonReport {
            api: self.api.name(),
            target: self.target.to_string(),
            summary: self.summary(),
            results,
        };
        serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::other)?;
        writeln!(out)
    }

    /// JUnit XML for CI dashboards: one test suite (`API TARGET`), one test case per entry
    /// named `PATH[:LINE]`; an invalid payload is a failure listing its violations, one that is
    /// not JSON a failure of type `not-json`, an unreadable input an error of type `io`.
    pub fn write_junit(&self, out: &mut dyn Write) -> io::Result<()> {
        use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

        let suite_name = format!("{} {}", self.api, self.target);
        let mut suite = TestSuite::new(suite_name.as_str());
        for entry in &self.entries {
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
            };
            let mut case = TestCase::new(entry.location(), status);
            case.set_classname(suite_name.as_str());
            suite.add_test_case(case);
        }
        let mut report = quick_junit::Report::new("backup-task-api validate");
        report.add_test_suite(suite);
        report.serialize(&mut *out).map_err(io::Error::other)
    }
}

fn display_pointer(v: &Violation) -> &str {
    if v.pointer.is_empty() {
        "(root)"
    } else {
        &v.pointer
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
}
