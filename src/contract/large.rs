//! Large documents checked a batch of records at a time, so the tape stays small.
//!
//! A page of 50 MB parsed whole makes a tape of 70 MB and a structural index of 25 MB: fresh
//! memory the kernel hands over a page fault at a time (two fifths of the check's time), then
//! read back from main memory by every later pass. Almost all of such a page is one array of
//! records (CBR `operation_logs`, OCP `data.contents`), and each record is checked on its own
//! (`items`). So a large document is cut instead: the envelope, with that array replaced by
//! `[]`, is checked against the target; the records are parsed and checked against the items'
//! component a batch of about [`BATCH_BYTES`] at a time, through one tape that is reused and fits
//! in the cache.
//!
//! This path only ever answers [`Verdict::Valid`]. Anything else declines (`None`) and the
//! caller checks the whole document as before, so every report stays exactly
//! [`super::Contract::check_bytes`]'s: a violation anywhere, a repeated member name, text the
//! fast parser declines or that is not JSON, a document whose shape the scanner does not expect,
//! a schema that says more about the array than its `items` and `maxItems` ([`Plan::of`]).
//!
//! Why a valid answer here is the whole document's: every byte of the document is read by
//! simd-json, in the envelope or in a batch, except the separators between batches, which the
//! scanner checks itself (`,` and whitespace). If the envelope and every `[batch]` parse, the
//! whole text is JSON with the array where the scanner found it, as deep as the fast path allows
//! (a record is at most [`super::tape::FAST_MAX_DEPTH`] levels deep in its batch, and the path to
//! the array adds a few, far below `serde_json`'s 128). `items` applies to each record alone and
//! `maxItems` is counted; the envelope's other keywords see the same document less the records,
//! which they do not read ([`Plan::of`] refuses a schema where they could).

use jsonschema::json::{Array as _, Node as _};
use serde_json::{Map, Value};

use super::tape;
use super::{Compiled, Contract, ContractError, Target, Verdict, convert};

/// Documents at least this long take this path; a smaller one is parsed whole (its tape fits
/// the per-thread buffers, which are kept, so it pays no page faults after the first).
pub const LARGE_BYTES: usize = 4 << 20;

/// Records parsed at once: about this many bytes of their text (a record longer than this is a
/// batch of its own). The tape of a batch is about 1.6 times its text for the two APIs' records.
pub const BATCH_BYTES: usize = 64 << 10;

/// Where a target's record array is and what its records are checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The member names from the root to the array.
    path: Vec<String>,
    /// The component every record is checked against (the array's `items`).
    items: String,
    /// The array's `maxItems`, if it has one.
    max_items: Option<u64>,
}

/// Schema keywords that say nothing about a value (annotations) or that this path handles where
/// they sit: they may stand beside what [`Plan::of`] reads.
const ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "$comment",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "default",
];

/// Keywords of an object on the path to the array whose verdict does not depend on the array's
/// elements: checked on the envelope, where the array is `[]`.
const OBJECT_KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
];

/// How deep [`Plan::of`] looks for the array: CBR's is at depth 1, OCP's at 2.
const MAX_PATH: usize = 3;

impl Plan {
    /// The plan for a compiled target's schema `document` (its components under `$defs`), or
    /// `None` when this path cannot serve it: it needs exactly one array of records reachable
    /// through objects' `properties`, every object on the way saying nothing that could read the
    /// array beyond its own member (only `type: object`, `properties`, `required`,
    /// `additionalProperties`, `minProperties`, `maxProperties` and annotations),
    /// and the array's schema `type: array`, `items` a reference to a component, and at most
    /// `maxItems` beside them.
    pub fn of(document: &Value) -> Option<Plan> {
        let defs = document.get("$defs").and_then(Value::as_object);
        let mut root = document.as_object()?.clone();
        // The document's own bookkeeping is no constraint on the instance.
        for key in ["$schema", "$id", "$defs"] {
            root.remove(key);
        }
        let mut found = Vec::new();
        let mut path = Vec::new();
        search(&Value::Object(root), defs, &mut path, &mut found, 0);
        match found.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        }
    }
}

/// The schema a `$ref`-only schema stands for, followed through components (at most a few
/// hops, so a cycle ends); the schema itself when it is no reference.
fn resolve<'v>(schema: &'v Value, defs: Option<&'v Map<String, Value>>) -> Option<&'v Value> {
    let mut schema = schema;
    for _ in 0..8 {
        let Some(map) = schema.as_object() else {
            return Some(schema);
        };
        let Some(target) = map.get("$ref") else {
            return Some(schema);
        };
        if map
            .keys()
            .any(|k| k != "$ref" && !ANNOTATIONS.contains(&k.as_str()))
        {
            return None;
        }
        let name = target.as_str()?.strip_prefix(convert::DEFS_PREFIX)?;
        schema = defs?.get(name)?;
    }
    None
}

/// Looks below `schema` (an object schema on the path) for record arrays, adding each to `found`.
fn search(
    schema: &Value,
    defs: Option<&Map<String, Value>>,
    path: &mut Vec<String>,
    found: &mut Vec<Plan>,
    depth: usize,
) {
    let Some(map) = resolve(schema, defs).and_then(Value::as_object) else {
        return;
    };
    let is_object = map.get("type").and_then(Value::as_str) == Some("object");
    let plain = map
        .keys()
        .all(|k| OBJECT_KEYWORDS.contains(&k.as_str()) || ANNOTATIONS.contains(&k.as_str()));
    if !is_object || !plain || depth >= MAX_PATH {
        return;
    }
    let Some(properties) = map.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, property) in properties {
        path.push(name.clone());
        if let Some(plan) = record_array(property, defs, path) {
            found.push(plan);
        } else {
            search(property, defs, path, found, depth + 1);
        }
        path.pop();
    }
}

/// The plan for `schema` when it is an array of component records this path can check.
fn record_array(
    schema: &Value,
    defs: Option<&Map<String, Value>>,
    path: &[String],
) -> Option<Plan> {
    let map = resolve(schema, defs)?.as_object()?;
    if map.get("type").and_then(Value::as_str) != Some("array") {
        return None;
    }
    let allowed = |k: &String| {
        matches!(k.as_str(), "type" | "items" | "maxItems") || ANNOTATIONS.contains(&k.as_str())
    };
    if !map.keys().all(allowed) {
        return None;
    }
    let items = map.get("items")?.as_object()?;
    if items.len() != 1 {
        return None;
    }
    let name = items
        .get("$ref")?
        .as_str()?
        .strip_prefix(convert::DEFS_PREFIX)?;
    defs?.get(name)?;
    let max_items = match map.get("maxItems") {
        None => None,
        Some(max) => Some(max.as_u64()?),
    };
    Some(Plan {
        path: path.to_vec(),
        items: name.to_owned(),
        max_items,
    })
}

/// `Some(Verdict::Valid)` when `bytes` (no byte order mark) satisfies `target` as checked a
/// batch of records at a time; `None` when it does not or this path cannot tell (see the module
/// docs): the caller then checks the whole document.
pub(super) fn check(
    contract: &Contract,
    target: &Target,
    compiled: &Compiled,
    bytes: &[u8],
) -> Result<Option<Verdict>, ContractError> {
    match compiled.large.get_or_init(|| Plan::of(&compiled.document)) {
        Some(plan) => check_plan(contract, target, compiled, plan, bytes, BATCH_BYTES),
        None => Ok(None),
    }
}

/// [`check`] by `plan`, in batches of about `batch_bytes`.
fn check_plan(
    contract: &Contract,
    target: &Target,
    compiled: &Compiled,
    plan: &Plan,
    bytes: &[u8],
    batch_bytes: usize,
) -> Result<Option<Verdict>, ContractError> {
    let Some(open) = find_array(bytes, &plan.path) else {
        return Ok(None);
    };
    let envelope_validator = contract.fast_validator(target, compiled)?;
    let items_target = Target::Schema(plan.items.clone());
    // A component that does not compile is the whole document's path to report, if it matters.
    let Some(items_validator) = contract
        .compiled(&items_target)
        .and_then(|compiled| contract.fast_validator(&items_target, compiled))
        .ok()
    else {
        return Ok(None);
    };
    let mut batches = Batches {
        bytes,
        buffer: Vec::with_capacity(batch_bytes * 2 + simd_json::INPUT_PADDING + 2),
        validator: items_validator,
        count: 0,
    };
    let Some(close) = batches.run(open, batch_bytes) else {
        return Ok(None);
    };
    if plan.max_items.is_some_and(|max| batches.count > max) {
        return Ok(None);
    }
    // The envelope: the document with the array replaced by `[]`.
    let mut buffer = batches.buffer;
    buffer.clear();
    buffer.extend_from_slice(&bytes[..open]);
    buffer.extend_from_slice(b"[]");
    buffer.extend_from_slice(&bytes[close..]);
    let envelope_valid = tape::with_document_in_place_or_quick(
        &mut buffer,
        |root| envelope_validator.quick(root).map(|_| true),
        |document| {
            document.is_some_and(|d| {
                d.repeated_names().is_empty() && envelope_validator.is_valid(d.root())
            })
        },
    );
    Ok(envelope_valid.then_some(Verdict::Valid))
}

/// How often a batch cut where a record seemed to end may fail to parse before the rest of the
/// array is cut by the exact scanner.
const MAX_MISSES: usize = 3;

/// The records of the array, parsed and checked a batch at a time.
struct Batches<'b, 'v> {
    bytes: &'b [u8],
    /// The batch as parsed: `[`, its records, `]`, and simd-json's padding.
    buffer: Vec<u8>,
    validator: super::Fast<'v>,
    /// Records checked so far.
    count: u64,
}

/// What became of one batch.
enum Batch {
    /// Parsed, and every record valid.
    Valid,
    /// Parsed, and a record is not valid (or a name repeats): the whole document reports it.
    Invalid,
    /// Not JSON as cut, or text the fast parser declines.
    Unparsed,
}

impl Batches<'_, '_> {
    /// Checks the records of the array whose `[` is at `open`; one past its `]` when all are
    /// valid, `None` when one is not or the text is not as expected.
    ///
    /// Finding where each record ends takes a scan of every byte, which cost a third of the
    /// check; a batch is cut instead where one record seems to end and the next begin (`}`, a
    /// comma, `{`), about `batch_bytes` on. That cut may be inside a string or a nested array,
    /// but then the batch does not parse: a text that starts where a record starts parses as a
    /// sequence of values only if it ends where one ends. So a batch that parses holds whole
    /// records, and one that does not is cut again at the next such place, [`MAX_MISSES`] times
    /// at most; after that, and for the last records (where the array's end must be found), the
    /// exact scanner cuts.
    fn run(&mut self, open: usize, batch_bytes: usize) -> Option<usize> {
        let bytes = self.bytes;
        // Always where a record starts, or right after the `[`.
        let mut at = open + 1;
        'batches: loop {
            let mut from = at.saturating_add(batch_bytes);
            for _ in 0..MAX_MISSES {
                let Some((end, next)) = next_cut(bytes, from) else {
                    break 'batches;
                };
                match self.check(at..end) {
                    Batch::Valid => {
                        at = next;
                        continue 'batches;
                    }
                    Batch::Invalid => return None,
                    Batch::Unparsed => from = end,
                }
            }
            break;
        }
        // The rest, cut by the exact scanner.
        let mut scan = Scan { bytes, at };
        scan.ws();
        if at == open + 1 && bytes.get(scan.at) == Some(&b']') {
            return Some(scan.at + 1);
        }
        let mut start = scan.at;
        loop {
            scan.value()?;
            let end = scan.at;
            scan.ws();
            match bytes.get(scan.at)? {
                b',' => {
                    scan.at += 1;
                    scan.ws();
                    if end - start >= batch_bytes {
                        self.check_exact(start..end)?;
                        start = scan.at;
                    }
                }
                b']' => {
                    self.check_exact(start..end)?;
                    return Some(scan.at + 1);
                }
                _ => return None,
            }
        }
    }

    /// [`Batches::check`] of a batch the exact scanner cut: anything but valid ends the path.
    fn check_exact(&mut self, records: std::ops::Range<usize>) -> Option<()> {
        matches!(self.check(records), Batch::Valid).then_some(())
    }

    /// Parses `[records]` and checks every record.
    fn check(&mut self, records: std::ops::Range<usize>) -> Batch {
        let validator = self.validator;
        self.buffer.clear();
        self.buffer.push(b'[');
        self.buffer.extend_from_slice(&self.bytes[records]);
        self.buffer.push(b']');
        // A batch whose every record the compiled check vouches for (valid, no name repeated)
        // skips the repeated-name pass; any other goes the whole way below.
        let vouched = |root: tape::TapeNode<'_>| {
            let mut n = 0u64;
            for record in root.as_array()?.elements() {
                validator.quick(record)?;
                n += 1;
            }
            Some(Some(Some(n)))
        };
        let checked =
            tape::with_document_in_place_or_quick(&mut self.buffer, vouched, |document| {
                let document = document?;
                if !document.repeated_names().is_empty() {
                    return Some(None);
                }
                let mut n = 0u64;
                for record in document.root().as_array()?.elements() {
                    if !validator.is_valid(record) {
                        return Some(None);
                    }
                    n += 1;
                }
                Some(Some(n))
            });
        match checked {
            Some(Some(n)) => {
                self.count += n;
                Batch::Valid
            }
            Some(None) => Batch::Invalid,
            None => Batch::Unparsed,
        }
    }
}

/// The first place at or after `from` where one record seems to end and another begin: a `}`,
/// whitespace, a comma, whitespace and a `{`. One past the `}`, and where the `{` is.
fn next_cut(bytes: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut at = from;
    loop {
        at += bytes.get(at..)?.iter().position(|&b| b == b'}')? + 1;
        let mut scan = Scan { bytes, at };
        scan.ws();
        if scan.eat(b',').is_some() {
            scan.ws();
            if bytes.get(scan.at) == Some(&b'{') {
                return Some((at, scan.at));
            }
        }
    }
}

/// Where the array at `path` in the document `bytes` starts (its `[`), when the document is an
/// object that holds one there.
fn find_array(bytes: &[u8], path: &[String]) -> Option<usize> {
    let mut scan = Scan { bytes, at: 0 };
    for (depth, name) in path.iter().enumerate() {
        scan.ws();
        scan.eat(b'{')?;
        loop {
            scan.ws();
            let key = scan.string()?;
            scan.ws();
            scan.eat(b':')?;
            scan.ws();
            if &bytes[key] == name.as_bytes() {
                break;
            }
            scan.value()?;
            scan.ws();
            scan.eat(b',')?;
        }
        if depth + 1 == path.len() {
            return (bytes.get(scan.at) == Some(&b'[')).then_some(scan.at);
        }
    }
    None
}

/// A cursor that steps over JSON text without checking it: every byte it steps over is read
/// again by simd-json (see the module docs), so it only has to find the ends of values in valid
/// text, and stay in bounds in any other.
struct Scan<'b> {
    bytes: &'b [u8],
    at: usize,
}

/// Eight copies of a byte in one word.
const fn splat(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

/// Whether any byte of `word` is `b`.
const fn has(word: u64, b: u8) -> bool {
    let x = word ^ splat(b);
    x.wrapping_sub(splat(1)) & !x & splat(0x80) != 0
}

impl Scan<'_> {
    fn ws(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.bytes.get(self.at) == Some(&b)).then(|| self.at += 1)
    }

    /// Steps over a string at the cursor; the range of its text between the quotes.
    fn string(&mut self) -> Option<std::ops::Range<usize>> {
        self.eat(b'"')?;
        let start = self.at;
        let end = self.string_end()?;
        Some(start..end - 1)
    }

    /// From inside a string, one past its closing quote. Eight bytes at a time while none is a
    /// quote or a backslash: most of a record's text is inside strings.
    fn string_end(&mut self) -> Option<usize> {
        loop {
            while let Some(chunk) = self.bytes.get(self.at..self.at + 8) {
                let word = u64::from_le_bytes(chunk.try_into().ok()?);
                if has(word, b'"') || has(word, b'\\') {
                    break;
                }
                self.at += 8;
            }
            match self.bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    return Some(self.at);
                }
                b'\\' => self.at += 2,
                _ => self.at += 1,
            }
        }
    }

    /// Steps over one value at the cursor.
    fn value(&mut self) -> Option<()> {
        match self.bytes.get(self.at)? {
            b'"' => {
                self.at += 1;
                self.string_end().map(|_| ())
            }
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.bytes.get(self.at)? {
                        b'"' => {
                            self.at += 1;
                            self.string_end()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.at += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.at += 1;
                }
            }
            _ => {
                // A number or a literal: up to the next delimiter.
                let start = self.at;
                while !matches!(
                    self.bytes.get(self.at),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.at += 1;
                }
                (self.at > start).then_some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Api;
    use serde_json::json;

    const TARGET: Target = Target::Response { status: 200 };

    /// A valid page of `n` records of `api`, varied enough to reach several branches.
    fn page(api: Api, n: usize) -> String {
        match api {
            Api::Cbr => {
                let logs: Vec<Value> = (0..n)
                    .map(|i| {
                        let status = ["success", "running", "failed"][i % 3];
                        json!({
                            "id": format!("4827f2da-{i:08}"), "project_id": "04f1829c",
                            "status": status,
                            "created_at": "2019-05-23T14:31:36.039365",
                            "started_at": "2019-05-23T14:31:36.007230+00:00",
                            "updated_at": "2019-05-23T14:35:23Z",
                            "error_info": {"message": "", "code": ""},
                            "policy_id": null, "vault_id": if i % 2 == 0 { json!(null) } else { json!("v\"x") },
                            "extra_info": {"common": {"progress": i % 101, "request_id": "req-1"}}
                        })
                    })
                    .collect();
                json!({"count": n, "operation_logs": logs}).to_string()
            }
            Api::Ocp => {
                let tasks: Vec<Value> = (0..n)
                    .map(|i| {
                        json!({
                            "clusterId": 1000005, "obTenantId": format!("{}", 1050 + i),
                            "status": "RUNNING", "createTime": "2021-09-23T14:33:17.357+0800",
                            "delay": 100.1899 + i as f64, "tenantName": format!("tenant{i}")
                        })
                    })
                    .collect();
                json!({
                    "data": {"contents": tasks, "page": {"number": 1, "size": n, "totalElements": n, "totalPages": 1}},
                    "successful": true, "timestamp": "2024-08-09T16:06:02.743+08:00"
                })
                .to_string()
            }
        }
    }

    /// What this path says of `text` in batches of `batch` bytes, after checking it against
    /// the whole-document check: this path never calls valid what that one does not.
    fn streamed(api: Api, text: &[u8], batch: usize) -> Option<Verdict> {
        let contract = Contract::get(api).expect("compiles");
        let compiled = contract.compiled(&TARGET).expect("target");
        let plan = Plan::of(&compiled.document).expect("a plan for the page");
        let found = check_plan(contract, &TARGET, compiled, &plan, text, batch).expect("target");
        let whole = contract.check_bytes(&TARGET, text).expect("target");
        if found.is_some() {
            assert_eq!(whole, Verdict::Valid, "{}", String::from_utf8_lossy(text));
        }
        found
    }

    #[test]
    fn both_pages_have_a_plan() {
        for (api, path, items) in [
            (Api::Cbr, vec!["operation_logs"], "OperationLog"),
            (Api::Ocp, vec!["data", "contents"], "LogBackupTask"),
        ] {
            let contract = Contract::get(api).expect("compiles");
            let compiled = contract.compiled(&TARGET).expect("target");
            let plan = Plan::of(&compiled.document).expect("a plan");
            assert_eq!(plan.path, path);
            assert_eq!(plan.items, items);
            assert_eq!(plan.max_items, None);
        }
    }

    #[test]
    fn valid_pages_are_valid_in_any_batch_size() {
        for api in Api::ALL {
            for n in [0, 1, 2, 7, 50] {
                let text = page(api, n);
                for batch in [1, 100, 1000, 1 << 20] {
                    assert_eq!(
                        streamed(api, text.as_bytes(), batch),
                        Some(Verdict::Valid),
                        "{api} {n} records, batch {batch}"
                    );
                }
            }
        }
        // Whitespace anywhere JSON allows it.
        let spaced = " {\n \"count\" : 2 ,\"operation_logs\"\t:[ {\"id\":\"a\",\"project_id\":\"p\",\"status\":\"success\",\"created_at\":\"2019-05-23T14:31:36Z\",\"started_at\":\"2019-05-23T14:31:36Z\",\"updated_at\":\"2019-05-23T14:31:36Z\",\"error_info\":{}} \r\n, {\"id\":\"b\",\"project_id\":\"p\",\"status\":\"running\",\"created_at\":\"2019-05-23T14:31:36Z\",\"started_at\":\"2019-05-23T14:31:36Z\",\"updated_at\":\"2019-05-23T14:31:36Z\",\"error_info\":{}}\n] } \n";
        for batch in [1, 1 << 20] {
            assert_eq!(
                streamed(Api::Cbr, spaced.as_bytes(), batch),
                Some(Verdict::Valid)
            );
        }
        assert_eq!(
            streamed(Api::Cbr, br#"{"operation_logs":[ ]}"#, 1),
            Some(Verdict::Valid)
        );
    }

    #[test]
    fn cuts_inside_a_record_are_found_and_cut_again() {
        // Records whose nested arrays of objects and strings hold what looks like a cut:
        // `},{` where no record ends. Every batch size still finds every record valid, through
        // the missed cuts and, past the misses allowed, the exact scanner.
        let record = |i: usize, resources: usize| {
            let resources: Vec<Value> = (0..resources)
                .map(
                    |r| json!({"id": format!("r{r}"), "name": "a},{b", "type": "OS::Nova::Server"}),
                )
                .collect();
            json!({
                "id": format!("id-{i}"), "project_id": "p}, {\"x\":[{}]", "status": "success",
                "created_at": "2019-05-23T14:31:36Z", "started_at": "2019-05-23T14:31:36Z",
                "updated_at": "2019-05-23T14:31:36Z", "error_info": {},
                "extra_info": {"remove_resources": {"fail_count": 0, "total_count": 1, "resources": resources}}
            })
        };
        for resources in [1, 2, 8] {
            let logs: Vec<Value> = (0..20).map(|i| record(i, resources)).collect();
            let text = json!({"count": 20, "operation_logs": logs}).to_string();
            for batch in [1, 50, 300, 1000, 1 << 20] {
                assert_eq!(
                    streamed(Api::Cbr, text.as_bytes(), batch),
                    Some(Verdict::Valid),
                    "{resources} resources, batch {batch}"
                );
            }
            // And a violation after the cuts is still found.
            let bad = text.replacen("\"id\":\"id-19\"", "\"id\":19", 1);
            assert_ne!(bad, text);
            for batch in [1, 300, 1 << 20] {
                assert_eq!(streamed(Api::Cbr, bad.as_bytes(), batch), None);
            }
        }
    }

    #[test]
    fn anything_but_a_valid_page_declines() {
        let cbr = page(Api::Cbr, 7);
        let ocp = page(Api::Ocp, 7);
        let record_end = cbr.rfind("}]").expect("array end");
        let cases: Vec<(Api, String)> = vec![
            // A violation in a record: the first, a middle one, the last.
            (Api::Cbr, cbr.replacen("\"success\"", "\"nope\"", 1)),
            (Api::Cbr, cbr.replacen("\"running\"", "\"nope\"", 2)),
            (
                Api::Cbr,
                format!("{},\"extra\":1{}", &cbr[..record_end], &cbr[record_end..]),
            ),
            (Api::Ocp, ocp.replacen("\"RUNNING\"", "\"NOPE\"", 1)),
            (Api::Ocp, ocp.replacen("\"1053\"", "1053.0", 1)),
            (Api::Ocp, ocp.replacen("\"1053\"", "\"01053\"", 1)),
            // In the envelope.
            (Api::Cbr, cbr.replacen("\"count\":7", "\"count\":-7", 1)),
            (
                Api::Cbr,
                cbr.replacen("{\"count\"", "{\"x\":1,\"count\"", 1),
            ),
            (
                Api::Ocp,
                ocp.replacen("\"successful\":true", "\"successful\":false", 1),
            ),
            (
                Api::Ocp,
                ocp.replacen("\"totalPages\":1", "\"totalPages\":-1", 1),
            ),
            // Not an array where the records go, or records that are no objects.
            (Api::Cbr, r#"{"operation_logs":{}}"#.to_owned()),
            (Api::Cbr, r#"{"operation_logs":[1,2]}"#.to_owned()),
            (Api::Ocp, r#"{"data":[],"successful":true}"#.to_owned()),
            // Repeated names: in a record, in the envelope, the array's own.
            (
                Api::Cbr,
                cbr.replacen("\"project_id\"", "\"id\":\"z\",\"project_id\"", 1),
            ),
            (
                Api::Cbr,
                cbr.replacen("{\"count\":7", "{\"count\":7,\"count\":7", 1),
            ),
            (
                Api::Cbr,
                format!("{},\"operation_logs\":[]}}", &cbr[..cbr.len() - 1]),
            ),
            (
                Api::Cbr,
                format!("{},\"operation\\u005flogs\":[]}}", &cbr[..cbr.len() - 1]),
            ),
            (
                Api::Ocp,
                ocp.replacen("{\"data\":", "{\"data\":{},\"data\":", 1),
            ),
            // Not JSON: separators, cut short, trailing text.
            (Api::Cbr, format!("{},]}}", &cbr[..record_end + 1])),
            (Api::Cbr, cbr.replacen("},{", "}{", 1)),
            (Api::Cbr, cbr.replacen("},{", "},,{", 1)),
            (Api::Cbr, cbr[..cbr.len() / 2].to_owned()),
            (Api::Cbr, cbr[..record_end + 1].to_owned()),
            (Api::Cbr, cbr[..cbr.len() - 1].to_owned()),
            (Api::Cbr, format!("{cbr} x")),
            (Api::Cbr, format!("{cbr}{cbr}")),
            (Api::Cbr, cbr.replacen("\"id\":\"", "\"id\":\"\\x", 1)),
            (Api::Cbr, cbr.replacen(':', " ", 1)),
            (Api::Cbr, cbr.replacen("null", "nul", 1)),
            (Api::Cbr, String::new()),
            (Api::Cbr, "[]".to_owned()),
            (Api::Cbr, "nonsense".to_owned()),
            // Past the fast path: integers beyond 64 bits, deep nesting.
            (
                Api::Cbr,
                cbr.replacen(
                    "\"progress\":1",
                    "\"progress\":123456789012345678901234567890",
                    1,
                ),
            ),
            (
                Api::Cbr,
                cbr.replacen(
                    "\"id\":",
                    &format!("\"deep\":{}1{},\"id\":", "[".repeat(120), "]".repeat(120)),
                    1,
                ),
            ),
        ];
        for (api, text) in &cases {
            for batch in [1, 200, 1 << 20] {
                assert_eq!(
                    streamed(*api, text.as_bytes(), batch),
                    None,
                    "{api}: {text}"
                );
            }
        }
    }

    #[test]
    fn random_edits_never_make_an_invalid_page_valid() {
        // A seeded generator: the same edits every run.
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % bound as u64).expect("fits")
        };
        let alphabet = b"{}[]\",:\\ 0x-.e\n";
        let (mut valid, mut declined) = (0, 0);
        for api in Api::ALL {
            let text = page(api, 5).into_bytes();
            for _ in 0..400 {
                let mut edited = text.clone();
                for _ in 0..1 + next(2) {
                    let at = next(edited.len());
                    let byte = alphabet[next(alphabet.len())];
                    match next(3) {
                        0 => edited[at] = byte,
                        1 => edited.insert(at, byte),
                        _ => {
                            edited.remove(at);
                        }
                    }
                }
                // `streamed` asserts that a valid answer is the whole check's answer too.
                match streamed(api, &edited, 1 + next(300)) {
                    Some(_) => valid += 1,
                    None => declined += 1,
                }
            }
        }
        // Both outcomes were reached, so both sides were compared.
        assert!(
            valid > 20 && declined > 20,
            "{valid} valid, {declined} declined"
        );
    }

    #[test]
    fn max_items_is_counted() {
        let contract = Contract::get(Api::Cbr).expect("compiles");
        let compiled = contract.compiled(&TARGET).expect("target");
        let mut plan = Plan::of(&compiled.document).expect("plan");
        plan.max_items = Some(3);
        for (n, expected) in [(0, true), (3, true), (4, false), (9, false)] {
            let text = page(Api::Cbr, n);
            for batch in [1, 1 << 20] {
                let found = check_plan(contract, &TARGET, compiled, &plan, text.as_bytes(), batch)
                    .expect("target");
                assert_eq!(found.is_some(), expected, "{n} records, batch {batch}");
            }
        }
    }

    #[test]
    fn a_plan_only_where_the_records_alone_decide() {
        let document = |array: Value, envelope: Value| {
            let mut root = json!({
                "type": "object",
                "properties": {"items": {"$ref": "#/$defs/List"}, "n": {"type": "integer"}},
                "additionalProperties": false,
                "required": ["items"],
            });
            if let (Some(root), Value::Object(extra)) = (root.as_object_mut(), envelope) {
                root.extend(extra);
            }
            json!({
                "$schema": super::super::DIALECT,
                "$ref": "#/$defs/Page",
                "$defs": {"Page": root, "List": array, "Record": {"type": "object"}},
            })
        };
        let records =
            json!({"type": "array", "items": {"$ref": "#/$defs/Record"}, "description": "d"});
        let plan = Plan::of(&document(records.clone(), json!({}))).expect("plan");
        assert_eq!(
            (plan.path, plan.items, plan.max_items),
            (vec!["items".to_owned()], "Record".to_owned(), None)
        );
        let mut bounded = records.clone();
        bounded["maxItems"] = json!(10);
        assert_eq!(
            Plan::of(&document(bounded, json!({})))
                .expect("plan")
                .max_items,
            Some(10)
        );
        // What depends on the elements, or may read the array another way, has no plan.
        for (key, value) in [
            ("minItems", json!(1)),
            ("uniqueItems", json!(true)),
            ("contains", json!({"type": "object"})),
            ("prefixItems", json!([])),
            ("unevaluatedItems", json!(false)),
        ] {
            let mut array = records.clone();
            array[key] = value;
            assert_eq!(Plan::of(&document(array, json!({}))), None, "{key}");
        }
        for (key, value) in [
            (
                "patternProperties",
                json!({"^i": {"type": "array", "minItems": 1}}),
            ),
            ("allOf", json!([{"properties": {"items": {"minItems": 1}}}])),
            ("if", json!({})),
            ("unevaluatedProperties", json!(false)),
            ("dependentSchemas", json!({})),
        ] {
            assert_eq!(
                Plan::of(&document(records.clone(), json!({ key: value }))),
                None,
                "{key}"
            );
        }
        let inline = json!({"type": "array", "items": {"type": "object"}});
        assert_eq!(Plan::of(&document(inline, json!({}))), None);
    }

    /// Text shaped like record boundaries after the record array, inside an envelope string:
    /// the batches end where the array does, so a valid page stays valid and a violation after
    /// it is still found.
    #[test]
    fn record_boundaries_past_the_array_are_not_cut() {
        let ocp = page(Api::Ocp, 40);
        let envelope = |trace: &str| format!("{},\"traceId\":{trace}}}", &ocp[..ocp.len() - 1]);
        let shaped = r#""},{\"clusterId\":1},{\"status\":\"NOPE\"}],\"page\":{}},{""#;
        let valid = envelope(shaped);
        let contract = Contract::get(Api::Ocp).expect("compiles");
        assert_eq!(
            contract
                .check_bytes(&TARGET, valid.as_bytes())
                .expect("target"),
            Verdict::Valid,
            "the page with that trace id is valid"
        );
        for batch in [1, 200, 1 << 20] {
            assert_eq!(
                streamed(Api::Ocp, valid.as_bytes(), batch),
                Some(Verdict::Valid),
                "{batch}"
            );
        }
        // The same text, then a number where a string belongs: invalid after the array.
        let invalid = envelope(&format!("{shaped},\"server\":1"));
        let Verdict::Invalid { violations } = contract
            .check_bytes(&TARGET, invalid.as_bytes())
            .expect("target")
        else {
            panic!("a number for server is a violation")
        };
        assert_eq!(violations[0].pointer, "/server");
        for batch in [1, 200, 1 << 20] {
            assert_eq!(
                streamed(Api::Ocp, invalid.as_bytes(), batch),
                None,
                "{batch}"
            );
        }
    }

    #[test]
    fn a_large_page_takes_this_path_and_an_invalid_one_gets_the_whole_report() {
        large_page_of(Api::Cbr, "\"failed\"", ("\"count\":", "\"count\":-"));
        large_page_of(
            Api::Ocp,
            "\"RUNNING\"",
            ("\"totalPages\":1", "\"totalPages\":-1"),
        );
    }

    /// A page of `api` of at least [`LARGE_BYTES`] is valid through `check_bytes` and
    /// `check_buffer`; with `record_value` in its last record made `"nope"` and `envelope`'s
    /// text replaced, both give `validate`'s report of the two violations.
    fn large_page_of(api: Api, record_value: &str, envelope: (&str, &str)) {
        let contract = Contract::get(api).expect("compiles");
        let mut n = 1000;
        let mut text = page(api, n);
        while text.len() < LARGE_BYTES {
            n *= 2;
            text = page(api, n);
        }
        assert_eq!(
            contract
                .check_bytes(&TARGET, text.as_bytes())
                .expect("target"),
            Verdict::Valid
        );
        let mut buffer = text.clone().into_bytes();
        assert_eq!(
            contract.check_buffer(&TARGET, &mut buffer).expect("target"),
            Verdict::Valid
        );
        // A violation in the last record and one in the envelope: the report is `validate`'s.
        let last = text.rfind(record_value).expect("the value in a record");
        let bad = format!(
            "{}\"nope\"{}",
            &text[..last],
            &text[last + record_value.len()..]
        )
        .replacen(envelope.0, envelope.1, 1);
        let (value, repeats) =
            crate::contract::parse_json_and_repeats(bad.as_bytes()).expect("JSON");
        assert!(repeats.is_empty());
        let expected = contract.validate(&TARGET, &value).expect("target");
        assert_eq!(expected.len(), 2);
        let found = contract
            .check_bytes(&TARGET, bad.as_bytes())
            .expect("target");
        assert_eq!(
            found,
            Verdict::Invalid {
                violations: expected.clone()
            }
        );
        let mut buffer = bad.into_bytes();
        let found = contract.check_buffer(&TARGET, &mut buffer).expect("target");
        assert_eq!(
            found,
            Verdict::Invalid {
                violations: expected
            }
        );
    }
}
