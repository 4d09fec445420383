//! Drift: over a corpus of recorded payloads or exchanges, what the services send that the
//! contract does not say, aggregated, each finding worded as a proposed register row or spec
//! change.
//!
//! Every payload is walked beside its schema (`walk`): members a closed object does not
//! declare, grouped by path template (`/operation_logs/*/extra_info/resource/zone`) with a count
//! and the first location; enum values the spec does not list; `null` where the spec promises a
//! value; values of another type; numbers and lengths beyond a bound; the timestamp shapes seen
//! per field (and which of them the contract rejects); statuses an operation does not document;
//! bodies that are not JSON; and the documented members the corpus never shows.
//!
//! Memory follows the distinct findings, not the corpus: one payload is held at a time (at most
//! [`Options::max_bytes`], as `validate` reads it), and each kind of finding keeps at most
//! [`MAX_DISTINCT`] templates (and each template at most [`MAX_VALUES`] distinct values or
//! shapes); what is past a cap is counted, not kept.
//!
//! ```
//! use backup_task_api::contract::Api;
//! use backup_task_api::contract::drift::Drift;
//!
//! let mut drift = Drift::new(Api::Cbr);
//! let page = br#"{"count": 1, "operation_logs": [{"id": "1", "project_id": "p",
//!   "status": "cancelled", "created_at": "2024-01-01T00:00:00Z",
//!   "started_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
//!   "error_info": {"code": "", "message": ""}, "zone": "az1"}]}"#;
//! drift.payload(&Default::default(), "page.json", page)?;
//! let report = drift.finish();
//! let paths: Vec<&str> = report.findings.iter().map(|f| f.path.as_str()).collect();
//! assert!(paths.contains(&"/operation_logs/*/zone"));
//! assert!(paths.contains(&"/operation_logs/*/status"));
//! # Ok::<(), backup_task_api::contract::ContractError>(())
//! ```

mod report;
mod walk;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufReader};
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use super::batch::read::{Capped, open, read_capped, read_document, too_large};
use super::batch::{self, Source};
use super::exchange::{self, Exchange};
use super::traffic::{self, Located};
use super::{Api, Contract, ContractError, Target, parse_json, schema_document};

pub use report::Format;

/// Most distinct templates kept per kind of finding.
pub const MAX_DISTINCT: usize = 10_000;

/// Most distinct values (enum values, timestamp shapes, types) kept per template.
pub const MAX_VALUES: usize = 100;

/// How a corpus is read.
#[derive(Debug, Clone)]
pub struct Options {
    /// Inputs are recorded exchanges ([`exchange`]), one per line: each response body is walked
    /// against its operation and status.
    pub exchanges: bool,
    /// Inputs hold one payload per line (without `exchanges`).
    pub ndjson: bool,
    /// Largest document or line read, in bytes; a longer one is unreadable.
    pub max_bytes: u64,
    /// What each payload is (without `exchanges`).
    pub target: Target,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            exchanges: false,
            ndjson: false,
            max_bytes: batch::DEFAULT_MAX_BYTES,
            target: Target::Response { status: 200 },
        }
    }
}

/// What the walk saw at one place.
pub(crate) struct Observation<'a> {
    template: &'a str,
    pointer: &'a str,
    kind: Kind<'a>,
}

/// The kinds of observation.
pub(crate) enum Kind<'a> {
    /// A documented member was present.
    Seen,
    /// A member a closed object does not declare.
    Unknown {
        seen: &'static str,
        def: Option<&'a str>,
    },
    /// A value the enum does not list.
    Enum {
        value: &'a Value,
        def: Option<&'a str>,
    },
    /// `null` where the schema does not allow it.
    Null,
    /// A value of a type the schema does not allow.
    Type {
        documented: String,
        seen: &'static str,
    },
    /// A number (or a string's length) beyond a bound.
    Bound {
        keyword: &'static str,
        limit: f64,
        value: f64,
    },
    /// A timestamp.
    Timestamp { text: &'a str },
}

/// Count and first location of one finding.
#[derive(Debug, Clone, Default)]
struct Tally {
    count: usize,
    first: String,
}

impl Tally {
    fn add(&mut self, location: &str, pointer: &str) {
        if self.count == 0 {
            self.first = first(location, pointer);
        }
        self.count += 1;
    }
}

fn first(location: &str, pointer: &str) -> String {
    if pointer.is_empty() {
        location.to_owned()
    } else {
        format!("{location} {pointer}")
    }
}

/// An enum's unknown values: their tally, each value's count, and the component it belongs to.
type EnumValues = (Tally, BTreeMap<String, usize>, Option<String>);

/// Per target: what was seen.
#[derive(Debug, Default)]
struct PerTarget {
    payloads: usize,
    seen: BTreeSet<String>,
    unknown: BTreeMap<String, (Tally, BTreeSet<&'static str>, Option<String>)>,
    enums: BTreeMap<String, EnumValues>,
    nulls: BTreeMap<String, Tally>,
    types: BTreeMap<(String, &'static str), (Tally, String)>,
    bounds: BTreeMap<(String, &'static str), (Tally, f64, f64, f64)>,
    /// Shape -> (count, rejected by the contract, first location).
    timestamps: BTreeMap<String, BTreeMap<String, (usize, usize, String)>>,
    /// Observations past a cap, counted only.
    dropped: usize,
}

/// The aggregator: feed it payloads or exchanges, then [`Drift::finish`].
#[derive(Debug)]
pub struct Drift {
    api: Api,
    documents: BTreeMap<Target, Value>,
    targets: BTreeMap<Target, PerTarget>,
    statuses: BTreeMap<(String, u16), Tally>,
    not_json: BTreeMap<Target, Tally>,
    unreadable: Vec<(String, String)>,
    unreadable_count: usize,
    skipped: usize,
    skipped_first: Option<(String, String)>,
}

impl Drift {
    /// An empty aggregate for `api`.
    pub fn new(api: Api) -> Self {
        Drift {
            api,
            documents: BTreeMap::new(),
            targets: BTreeMap::new(),
            statuses: BTreeMap::new(),
            not_json: BTreeMap::new(),
            unreadable: Vec::new(),
            unreadable_count: 0,
            skipped: 0,
            skipped_first: None,
        }
    }

    /// Walks one payload, found at `location`, as `options.target`.
    pub fn payload(
        &mut self,
        options: &Options,
        location: &str,
        bytes: &[u8],
    ) -> Result<(), ContractError> {
        self.body(&options.target, location, bytes)
    }

    /// Walks one recorded exchange found at `location`: its body against its operation and
    /// status. An exchange of the other API, of no known operation, or with a cut body is
    /// counted as skipped; an undocumented status is a finding.
    pub fn exchange(&mut self, location: &str, exchange: &Exchange) -> Result<(), ContractError> {
        let located = traffic::locate(exchange, Some(self.api));
        let (operation, target) = match located {
            Ok(Located::Documented { operation, target }) if operation.api == self.api => {
                (operation, target)
            }
            Ok(Located::Undocumented { operation, .. }) if operation.api == self.api => {
                let key = (
                    format!("{} {}", operation.method, operation.path),
                    exchange.response.status,
                );
                self.statuses.entry(key).or_default().add(location, "");
                return Ok(());
            }
            Ok(_) => {
                self.skip(
                    location,
                    format!("an exchange of another API than {}", self.api),
                );
                return Ok(());
            }
            Err(why) => {
                self.skip(location, why);
                return Ok(());
            }
        };
        let _ = operation;
        match exchange.response.body_bytes() {
            Ok(body) => self.body(&target, location, &body),
            Err(error) => {
                self.unreadable(location, error.to_string());
                Ok(())
            }
        }
    }

    fn skip(&mut self, location: &str, why: String) {
        self.skipped += 1;
        self.skipped_first.get_or_insert((location.to_owned(), why));
    }

    /// Records an input that could not be read.
    pub fn unreadable(&mut self, location: &str, why: String) {
        self.unreadable_count += 1;
        if self.unreadable.len() < MAX_VALUES {
            self.unreadable.push((location.to_owned(), why));
        }
    }

    fn body(&mut self, target: &Target, location: &str, bytes: &[u8]) -> Result<(), ContractError> {
        if !self.documents.contains_key(target) {
            // Refuses an unknown target before anything is counted.
            Contract::get(self.api)?.is_valid(target, &Value::Null)?;
            let document = schema_document(self.api, target, None)?;
            self.documents.insert(target.clone(), document);
        }
        let value = match parse_json(bytes) {
            Ok(value) => value,
            Err(_) => {
                self.not_json
                    .entry(target.clone())
                    .or_default()
                    .add(location, "");
                return Ok(());
            }
        };
        let document = &self.documents[target];
        let per = self.targets.entry(target.clone()).or_default();
        per.payloads += 1;
        let contract = Contract::get(self.api)?;
        let (mut template, mut pointer) = (String::new(), String::new());
        let mut place = walk::Place {
            template: &mut template,
            pointer: &mut pointer,
        };
        let mut record = |o: Observation<'_>| per.record(contract, location, o);
        walk::walk(document, document, &value, &mut place, &mut record, 0);
        Ok(())
    }

    /// The findings, worded.
    pub fn finish(self) -> Report {
        report::build(self)
    }
}

impl PerTarget {
    fn record(&mut self, contract: &Contract, location: &str, o: Observation<'_>) {
        let room = |len: usize, has: bool| has || len < MAX_DISTINCT;
        match o.kind {
            Kind::Seen => {
                // Bounded by the documented templates.
                if !self.seen.contains(o.template) {
                    self.seen.insert(o.template.to_owned());
                }
            }
            Kind::Unknown { seen, def } => {
                if !room(self.unknown.len(), self.unknown.contains_key(o.template)) {
                    self.dropped += 1;
                    return;
                }
                let entry = self
                    .unknown
                    .entry(o.template.to_owned())
                    .or_insert_with(|| (Tally::default(), BTreeSet::new(), def.map(str::to_owned)));
                entry.0.add(location, o.pointer);
                entry.1.insert(seen);
            }
            Kind::Enum { value, def } => {
                if !room(self.enums.len(), self.enums.contains_key(o.template)) {
                    self.dropped += 1;
                    return;
                }
                let entry = self
                    .enums
                    .entry(o.template.to_owned())
                    .or_insert_with(|| (Tally::default(), BTreeMap::new(), def.map(str::to_owned)));
                entry.0.add(location, o.pointer);
                let shown = cut(&value.to_string());
                if entry.1.len() < MAX_VALUES || entry.1.contains_key(&shown) {
                    *entry.1.entry(shown).or_default() += 1;
                } else {
                    self.dropped += 1;
                }
            }
            Kind::Null => {
                if !room(self.nulls.len(), self.nulls.contains_key(o.template)) {
                    self.dropped += 1;
                    return;
                }
                self.nulls
                    .entry(o.template.to_owned())
                    .or_default()
                    .add(location, o.pointer);
            }
            Kind::Type { documented, seen } => {
                let key = (o.template.to_owned(), seen);
                if !room(self.types.len(), self.types.contains_key(&key)) {
                    self.dropped += 1;
                    return;
                }
                let entry = self
                    .types
                    .entry(key)
                    .or_insert_with(|| (Tally::default(), documented));
                entry.0.add(location, o.pointer);
            }
            Kind::Bound {
                keyword,
                limit,
                value,
            } => {
                let key = (o.template.to_owned(), keyword);
                if !room(self.bounds.len(), self.bounds.contains_key(&key)) {
                    self.dropped += 1;
                    return;
                }
                let entry = self
                    .bounds
                    .entry(key)
                    .or_insert_with(|| (Tally::default(), limit, value, value));
                entry.0.add(location, o.pointer);
                entry.2 = entry.2.min(value);
                entry.3 = entry.3.max(value);
            }
            Kind::Timestamp { text } => {
                let has = self.timestamps.contains_key(o.template);
                if !room(self.timestamps.len(), has) {
                    self.dropped += 1;
                    return;
                }
                let shapes = self.timestamps.entry(o.template.to_owned()).or_default();
                let shape = shape(text);
                if shapes.len() >= MAX_VALUES && !shapes.contains_key(&shape) {
                    self.dropped += 1;
                    return;
                }
                let rejected = !contract
                    .is_valid(
                        &Target::Schema(walk::TIMESTAMP.to_owned()),
                        &Value::String(text.to_owned()),
                    )
                    .unwrap_or(true);
                let entry = shapes
                    .entry(shape)
                    .or_insert_with(|| (0, 0, first(location, o.pointer)));
                entry.0 += 1;
                entry.1 += usize::from(rejected);
            }
        }
    }
}

/// A value as shown in a finding: at most 80 characters.
fn cut(text: &str) -> String {
    if text.chars().count() <= 80 {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(80).collect();
    cut.push_str("...");
    cut
}

/// The shape of a timestamp: `YYYY-MM-DDThh:mm:ss`, then `.` and one `f` per fraction digit,
/// then the offset as written (`Z`, `+hh:mm`, `+hhmm`); text of another form keeps its
/// punctuation with every digit shown as `9` and every letter as `a`.
pub fn shape(text: &str) -> String {
    const HEAD: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    let bytes = text.as_bytes();
    let standard = bytes.len() >= HEAD.len()
        && HEAD.iter().zip(bytes).all(|(h, b)| match h {
            b'd' => b.is_ascii_digit(),
            other => other == b,
        });
    if !standard {
        return cut(&text
            .chars()
            .map(|c| match c {
                '0'..='9' => '9',
                c if c.is_alphabetic() => 'a',
                c if c.is_control() => '?',
                c => c,
            })
            .collect::<String>());
    }
    let mut out = String::from("YYYY-MM-DDThh:mm:ss");
    let mut rest = &text[HEAD.len()..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        out.push('.');
        out.extend(std::iter::repeat_n('f', digits));
        rest = &fraction[digits..];
    }
    let offset = match rest.as_bytes() {
        [] => String::new(),
        [b'Z'] => "Z".to_owned(),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]
            if [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()) =>
        {
            format!("{}hh:mm", *sign as char)
        }
        [sign @ (b'+' | b'-'), h1, h2, m1, m2]
            if [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()) =>
        {
            format!("{}hhmm", *sign as char)
        }
        _ => shape(rest),
    };
    out.push_str(&offset);
    out
}

/// Walks every input of `paths` into a [`Report`]: files, directories (`*.json`, and with
/// NDJSON or exchanges `*.ndjson`/`*.jsonl`), `-` for standard input.
pub fn run(api: Api, paths: &[PathBuf], options: &Options) -> Result<Report, ContractError> {
    let mut drift = Drift::new(api);
    let lines = options.exchanges || options.ndjson;
    let found = batch::Options::default()
        .with_ndjson(lines)
        .with_max_bytes(options.max_bytes);
    for input in batch::discover(paths, &found) {
        let shown = input.shown.clone();
        // A file a directory walk found is read only if it is a regular file.
        let regular_only = matches!(input.source, Source::Found(_));
        match input.source {
            Source::Unlistable(why) => drift.unreadable(&shown, why),
            Source::NotRegular(what) => drift.skip(&shown, what),
            Source::Stdin if !lines => {
                match read_capped(io::stdin().lock(), None, options.max_bytes) {
                    Ok(bytes) => drift.payload(options, &shown, &bytes)?,
                    Err(Capped::TooLarge) => drift.unreadable(&shown, too_large(options.max_bytes)),
                    Err(Capped::Io(e)) => drift.unreadable(&shown, e.to_string()),
                }
            }
            Source::Stdin => read_lines(&mut drift, options, &shown, io::stdin().lock())?,
            Source::File(path) | Source::Found(path) if !lines => {
                match read_document(&path, regular_only, options.max_bytes) {
                    Ok(bytes) => drift.payload(options, &shown, &bytes)?,
                    Err(outcome) => drift.unreadable(&shown, outcome_text(outcome)),
                }
            }
            Source::File(path) | Source::Found(path) => match open(&path, regular_only) {
                Ok((file, _)) => read_lines(&mut drift, options, &shown, file)?,
                Err(outcome) => drift.unreadable(&shown, outcome_text(outcome)),
            },
        }
    }
    Ok(drift.finish())
}

fn outcome_text(outcome: batch::Outcome) -> String {
    match outcome {
        batch::Outcome::Unreadable(why) | batch::Outcome::Skipped(why) => why,
        other => format!("{other:?}"),
    }
}

/// Every line of `reader`: an exchange, or a payload.
fn read_lines(
    drift: &mut Drift,
    options: &Options,
    shown: &str,
    reader: impl io::Read,
) -> Result<(), ContractError> {
    let limit = usize::try_from(options.max_bytes).unwrap_or(usize::MAX);
    let reader = BufReader::with_capacity(256 << 10, reader);
    if options.exchanges {
        for item in exchange::Reader::with_limit(reader, limit) {
            match item {
                Ok((line, exchange)) => drift.exchange(&format!("{shown}:{line}"), &exchange)?,
                Err(error) => {
                    let why = std::iter::successors(Some(&error as &dyn std::error::Error), |e| {
                        e.source()
                    })
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(": ");
                    drift.unreadable(shown, why);
                }
            }
        }
        return Ok(());
    }
    // A payload per line: the exchange reader's bounded line reading, without the decoding.
    let mut lines = LineReader::new(reader, limit);
    while let Some(item) = lines.next_line() {
        match item {
            Ok((number, bytes)) => drift.payload(options, &format!("{shown}:{number}"), bytes)?,
            Err(why) => drift.unreadable(shown, why),
        }
    }
    Ok(())
}

/// Non-blank lines of at most `limit` bytes; a longer one is an error, and reading goes on.
struct LineReader<R> {
    input: R,
    limit: usize,
    number: u64,
    buffer: Vec<u8>,
}

impl<R: io::BufRead> LineReader<R> {
    fn new(input: R, limit: usize) -> Self {
        LineReader {
            input,
            limit,
            number: 0,
            buffer: Vec::new(),
        }
    }

    fn next_line(&mut self) -> Option<Result<(u64, &[u8]), String>> {
        use io::{BufRead as _, Read as _};
        loop {
            self.buffer.clear();
            let read = (&mut self.input)
                .take(self.limit as u64 + 1)
                .read_until(b'\n', &mut self.buffer);
            self.number += 1;
            match read {
                Ok(0) => return None,
                Err(e) => return Some(Err(e.to_string())),
                Ok(_) => {}
            }
            let ended = self.buffer.last() == Some(&b'\n');
            if !ended && self.buffer.len() > self.limit {
                // Drop the rest of the line, then go on.
                let mut sink = Vec::new();
                let _ = self.input.read_until(b'\n', &mut sink);
                return Some(Err(format!(
                    "line {} is {}",
                    self.number,
                    too_large(self.limit as u64)
                )));
            }
            let line = self.buffer.strip_suffix(b"\n").unwrap_or(&self.buffer);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let end = line.len();
            return Some(Ok((self.number, &self.buffer[..end])));
        }
    }
}

/// One finding, worded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// What kind: `unknown-member`, `unknown-enum-value`, `null`, `type`, `bound`,
    /// `timestamp-shape`, `undocumented-status`, `not-json`, `never-seen`.
    pub kind: &'static str,
    /// `response 200`, or the operation for a status.
    pub target: String,
    /// The path template, such as `/operation_logs/*/extra_info/resource/zone`.
    pub path: String,
    /// How often it was seen.
    pub count: usize,
    /// Where it was seen first (`FILE[:LINE] POINTER`); empty for `never-seen`.
    pub first: String,
    /// What was seen.
    pub detail: String,
    /// The proposed register row or spec change.
    pub proposal: String,
    /// Whether it is drift (something the contract does not say); `false` for information
    /// (`never-seen`, and timestamp shapes the contract accepts).
    pub drift: bool,
}

/// What a drift run found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Which API.
    pub api: &'static str,
    /// Payloads walked, per target.
    pub payloads: BTreeMap<String, usize>,
    /// Inputs (or exchanges) skipped, with the first reason.
    pub skipped: usize,
    /// The first skipped input and why.
    pub skipped_first: Option<(String, String)>,
    /// Inputs that could not be read (the first [`MAX_VALUES`] of them listed).
    pub unreadable: Vec<(String, String)>,
    /// How many could not be read.
    pub unreadable_count: usize,
    /// Observations past a cap: counted, not kept.
    pub dropped: usize,
    /// Every finding, drift first, then information.
    pub findings: Vec<Finding>,
}

impl Report {
    /// How many findings are drift.
    pub fn drift(&self) -> usize {
        self.findings.iter().filter(|f| f.drift).count()
    }

    /// 2 if an input could not be read, 1 if the corpus shows drift, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.unreadable_count > 0 {
            2
        } else if self.drift() > 0 {
            1
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::contract::exchange::{Request, Response};

    /// Every example of `api`'s spec as a recorded exchange of its operation and status.
    fn example_exchanges(api: Api) -> Vec<Exchange> {
        let path = match api {
            Api::Cbr => "/v3/p1/operation-logs",
            Api::Ocp => "/api/v2/ob/clusters/1/tenants/2/backup/task/logBackupTasks",
        };
        crate::contract::examples(api)
            .expect("spec")
            .into_iter()
            .map(|example| Exchange {
                api: None,
                started: None,
                latency_ms: None,
                request: Request {
                    method: "GET".into(),
                    path: path.into(),
                    query: String::new(),
                    headers: Vec::new(),
                },
                response: Response::new(
                    example.status,
                    Vec::new(),
                    example.value.to_string().as_bytes(),
                    false,
                ),
            })
            .collect()
    }

    #[test]
    fn the_spec_examples_show_no_drift() {
        for api in Api::ALL {
            let mut drift = Drift::new(api);
            for (i, exchange) in example_exchanges(api).iter().enumerate() {
                drift
                    .exchange(&format!("examples:{}", i + 1), exchange)
                    .expect("known targets");
            }
            let report = drift.finish();
            let found: Vec<String> = report
                .findings
                .iter()
                .filter(|f| f.drift)
                .map(|f| format!("{} {} {}: {}", f.kind, f.target, f.path, f.detail))
                .collect();
            assert!(found.is_empty(), "{api}: {found:#?}");
            assert_eq!(report.exit_code(), 0);
            assert!(report.payloads.values().sum::<usize>() > 3, "{report:?}");
        }
    }

    #[test]
    fn what_the_contract_does_not_say_is_aggregated_by_template() {
        let example = &example_exchanges(Api::Cbr)[0];
        let mut page: Value =
            serde_json::from_str(example.response.body.as_deref().expect("text")).expect("json");
        let logs = page["operation_logs"].as_array_mut().expect("logs");
        let first = logs[0].clone();
        logs.push(first);
        for log in logs.iter_mut() {
            log["zone"] = Value::from("az1");
            log["status"] = Value::from("cancelled");
            log["provider_id"] = Value::Null;
            log["created_at"] = Value::from("1723190661000");
        }
        page["limit"] = Value::from(5000);
        let mut drift = Drift::new(Api::Cbr);
        drift
            .payload(&Options::default(), "a.json", page.to_string().as_bytes())
            .expect("walked");
        drift
            .payload(&Options::default(), "b.json", b"<html>")
            .expect("walked");
        let report = drift.finish();
        let find = |kind: &str, path: &str| {
            report
                .findings
                .iter()
                .find(|f| f.kind == kind && f.path == path)
                .unwrap_or_else(|| panic!("no {kind} at {path}: {:#?}", report.findings))
        };
        let zone = find("unknown-member", "/operation_logs/*/zone");
        assert_eq!(zone.count, 2);
        assert_eq!(zone.first, "a.json /operation_logs/0/zone");
        assert!(
            zone.proposal.contains("`OperationLog`"),
            "{}",
            zone.proposal
        );
        let status = find("unknown-enum-value", "/operation_logs/*/status");
        assert!(
            status.detail.contains("\"cancelled\" ×2"),
            "{}",
            status.detail
        );
        assert!(
            status.proposal.contains("`TaskStatus`"),
            "{}",
            status.proposal
        );
        assert_eq!(find("null", "/operation_logs/*/provider_id").count, 2);
        assert!(find("bound", "/limit").detail.contains("maximum: 1000"));
        let shape = find("timestamp-shape", "/operation_logs/*/created_at");
        assert!(
            shape.drift && shape.detail.contains("9999999999999"),
            "{}",
            shape.detail
        );
        assert_eq!(find("not-json", "").count, 1);
        assert_eq!(report.exit_code(), 1);
    }

    #[test]
    fn shapes_name_the_parts_of_a_timestamp() {
        let cases = [
            (
                "2024-08-09T16:04:21.810084+08:00",
                "YYYY-MM-DDThh:mm:ss.ffffff+hh:mm",
            ),
            (
                "2021-09-23T14:33:17.357+0800",
                "YYYY-MM-DDThh:mm:ss.fff+hhmm",
            ),
            ("2020-02-23T01:00:32Z", "YYYY-MM-DDThh:mm:ssZ"),
            ("2019-05-23T14:35:23.584418", "YYYY-MM-DDThh:mm:ss.ffffff"),
            ("1723190661000", "9999999999999"),
            ("2024/08/09 16:04", "9999/99/99 99:99"),
        ];
        for (text, expected) in cases {
            assert_eq!(shape(text), expected, "{text}");
        }
    }
}
