//! Writing entries as they come: text for people, JSON or NDJSON for machines, JUnit XML for CI.
//! Every violation is written with its impact ([`crate::contract::impact`]).

use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};

use serde::Serialize;

use super::{Entry, Outcome, Sink, Summary};
use crate::common::terminal::Escaped;
use crate::contract::{Api, FailOn, Impact, Target, Violation};

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: one line per violation on `out` (`PATH[:LINE]: IMPACT: POINTER: message`,
    /// the impact `breaking` or `strict-readers`, the pointer `(root)` for the whole document;
    /// `PATH[:LINE]:COLUMN: breaking: not JSON: message` with the parser's position for text
    /// that is not JSON), and on `err` one `error: cannot read PATH[:LINE]: why` line per
    /// unreadable input and one `warning: skipped PATH: why` per skipped file, then the summary
    /// line.
    Text,
    /// For machines: one pretty-printed object with the API, the target, one result per entry
    /// (its path, line (NDJSON), `valid`, `violations` (pointer, keyword, message, impact) and,
    /// for text that is not JSON, an input that could not be read or a skipped file, an `error`
    /// with its `kind`: `not_json`, `io` or `skipped`), then the [`Summary`]. Written as results
    /// come, so the summary is the last member.
    Json,
    /// For machines that read a stream: one compact JSON line per entry (a result as
    /// [`Format::Json`] writes it), then a last line with the API, the target and the summary.
    Ndjson,
    /// JUnit XML for CI dashboards: one test suite (`API TARGET`), one test case per entry named
    /// `PATH[:LINE]`; an invalid payload is a failure listing its violations with their impact
    /// (with [`FailOn::Breaking`], a payload whose violations are all drift passes and lists them
    /// in its `system-out`), one that is not JSON a failure of type `not-json`, an unreadable
    /// input an error of type `io`, a skipped file a skipped test case. The counts come first in
    /// the XML, so the test cases wait in a temporary file until the run ends.
    Junit,
}

/// Writes entries as they come, in one [`Format`].
pub struct Output<'w> {
    /// What the payloads are checked against, in words; the JUnit suite's name.
    suite: String,
    api: Option<Api>,
    target: String,
    fail_on: FailOn,
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
    kind: Kind,
}

enum Kind {
    Text,
    Json { results: usize },
    Ndjson,
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
        let suite = format!("{api} {target}");
        Self::start(format, Some(api), target.to_string(), suite, out, err)
    }

    /// Starts the output of a run over recorded exchanges ([`super::Against::Exchanges`]): the
    /// target is `exchanges`, the API `api` (`null` in JSON when none was given).
    pub fn for_exchanges(
        format: Format,
        api: Option<Api>,
        out: &'w mut dyn Write,
        err: &'w mut dyn Write,
    ) -> io::Result<Self> {
        let suite = "recorded exchanges".to_owned();
        Self::start(format, api, "exchanges".to_owned(), suite, out, err)
    }

    fn start(
        format: Format,
        api: Option<Api>,
        target: String,
        suite: String,
        out: &'w mut dyn Write,
        err: &'w mut dyn Write,
    ) -> io::Result<Self> {
        let kind = match format {
            Format::Text => Kind::Text,
            Format::Json => {
                let api = serde_json::to_string(&api.map(Api::name)).map_err(io::Error::other)?;
                let target_json = serde_json::to_string(&target).map_err(io::Error::other)?;
                write!(
                    out,
                    "{{\n  \"api\": {api},\n  \"target\": {target_json},\n  \"results\": ["
                )?;
                Kind::Json { results: 0 }
            }
            Format::Ndjson => Kind::Ndjson,
            Format::Junit => Kind::Junit(Box::new(Junit::new()?)),
        };
        Ok(Output {
            suite,
            api,
            target,
            fail_on: FailOn::default(),
            out,
            err,
            kind,
        })
    }

    /// Which violations fail a payload ([`FailOn`]); JUnit shows a payload whose violations do
    /// not fail it as passed. The other formats show every violation either way.
    #[must_use]
    pub fn with_fail_on(mut self, fail_on: FailOn) -> Self {
        self.fail_on = fail_on;
        self
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
            Kind::Ndjson => {
                serde_json::to_writer(&mut *self.out, &json_entry(entry))
                    .map_err(io::Error::other)?;
                self.out.write_all(b"\n")
            }
            Kind::Junit(junit) => {
                junit.add(test_case(entry, &self.suite, self.fail_on), &self.suite)
            }
        }
    }

    /// Ends the output: the summary line (text, on `err`), the closing and summary (JSON), the
    /// whole document (JUnit).
    pub fn finish(self, summary: &Summary) -> io::Result<()> {
        match self.kind {
            Kind::Text => {
                self.out.flush()?;
                writeln!(self.err, "{}", summary.line_for(&self.suite))?;
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
            Kind::Ndjson => {
                #[derive(Serialize)]
                struct Last<'a> {
                    api: Option<&'a str>,
                    target: &'a str,
                    summary: &'a Summary,
                }
                let last = Last {
                    api: self.api.map(Api::name),
                    target: &self.target,
                    summary,
                };
                serde_json::to_writer(&mut *self.out, &last).map_err(io::Error::other)?;
                self.out.write_all(b"\n")?;
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
                writeln!(out, "{location}: {}: {pointer}: {message}", v.impact)?;
            }
            Ok(())
        }
        Outcome::NotJson(error) => writeln!(
            out,
            "{}:{}:{}: {}: not JSON: {}",
            Shown(&entry.path),
            error.line,
            error.column,
            Impact::Breaking,
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
    impact: Impact,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum JsonProblem<'a> {
    NotJson {
        line: usize,
        column: usize,
        message: &'a str,
        impact: Impact,
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
                    impact: v.impact,
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
                impact: Impact::Breaking,
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

fn test_case(entry: &Entry, suite: &str, fail_on: FailOn) -> quick_junit::TestCase {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus};

    let mut drift = None;
    let status = match &entry.outcome {
        Outcome::Valid => TestCaseStatus::success(),
        Outcome::Invalid(violations) => {
            let lines: Vec<String> = violations
                .iter()
                .map(|v| {
                    let pointer = display_pointer(v);
                    format!("{pointer} [{}] {}: {}", v.keyword, v.impact, v.message)
                })
                .collect();
            if violations.iter().any(|v| fail_on.fails(v.impact)) {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let breaking = violations
                    .iter()
                    .filter(|v| v.impact == Impact::Breaking)
                    .count();
                status
                    .set_type("contract")
                    .set_message(format!(
                        "{} violation(s), {breaking} breaking",
                        violations.len()
                    ))
                    .set_description(lines.join("\n"));
                status
            } else {
                drift = Some(lines.join("\n"));
                TestCaseStatus::success()
            }
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
    if let Some(drift) = drift {
        case.set_system_out(drift);
    }
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

    use crate::contract::batch::Report;
    use crate::contract::{Impact, JsonError};

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
                        impact: Impact::Breaking,
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
                suite.add_test_case(test_case(entry, suite_name, FailOn::Drift));
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
}
