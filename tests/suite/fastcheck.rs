//! The compiled validity check (`contract::fastcheck`) held to the engine: its verdict must be
//! `Contract::is_valid`'s on every fixture, payload and spec example, on the seeded mutations of
//! the contract-implies-reader property test (its generator, reused), and on hand-made edge
//! cases put at every value of every example: integral floats, `-0`, huge numbers, unicode
//! lengths, nulls, wrong types, unknown and repeated members. The check may decline a document
//! (the engine answers it then); declines are counted and must stay rare.

use std::path::Path;

use backup_task_api::contract::{self, Api, Contract, Target};
use serde_json::Value;

use crate::contract_implies_reader::{edit, pointers, pool, property_names};
use crate::support::fixtures_dir;

/// Verdicts compared, by outcome.
#[derive(Debug, Default)]
struct Tally {
    valid: usize,
    invalid: usize,
    declined: usize,
    /// Documents the check vouched for before repeated names were looked for.
    vouched: usize,
    /// Valid documents with no repeated name: the ones it could vouch for.
    unique_valid: usize,
    disagreements: Vec<String>,
}

impl Tally {
    /// Compares the two verdicts on `bytes` (text that is not JSON has none to compare).
    fn check(&mut self, contract: &Contract, target: &Target, bytes: &[u8]) {
        let Ok((value, repeats)) = contract::parse_json_and_repeats(bytes) else {
            return;
        };
        let engine = contract.is_valid(target, &value).expect("target exists");
        // Vouching skips the repeated-name pass: only for a valid document that repeats no name.
        let vouched = contract
            .fastcheck_vouches(target, bytes)
            .expect("target exists");
        if engine && repeats.is_empty() {
            self.unique_valid += 1;
        }
        if vouched {
            self.vouched += 1;
            if !engine || !repeats.is_empty() {
                self.disagreements.push(format!(
                    "{} {target}: vouched for, engine {engine}, {} repeated names: {}",
                    contract.api(),
                    repeats.len(),
                    String::from_utf8_lossy(bytes)
                ));
            }
        }
        match contract
            .fastcheck_verdict(target, bytes)
            .expect("target exists")
        {
            Some(verdict) => {
                if verdict {
                    self.valid += 1;
                } else {
                    self.invalid += 1;
                }
                if verdict != engine {
                    self.disagreements.push(format!(
                        "{} {target}: compiled {verdict}, engine {engine}: {}",
                        contract.api(),
                        String::from_utf8_lossy(bytes)
                    ));
                }
            }
            None => self.declined += 1,
        }
    }

    fn assert_agrees(&self, what: &str) {
        println!(
            "{what}: {} valid, {} invalid, {} declined; vouched for {} of {} valid without a \
             repeated name",
            self.valid, self.invalid, self.declined, self.vouched, self.unique_valid
        );
        assert!(
            self.disagreements.is_empty(),
            "{what}: {} disagreements, such as:\n{}",
            self.disagreements.len(),
            self.disagreements[..self.disagreements.len().min(5)].join("\n")
        );
    }
}

#[test]
fn every_target_of_both_apis_has_the_compiled_check() {
    for api in Api::ALL {
        let contract = Contract::get(api).expect("contract compiles");
        for target in contract.targets() {
            let why = contract.fastcheck_unsupported(target).expect("target");
            assert_eq!(why, None, "{api} {target} falls back to the engine");
        }
    }
}

/// Every case file under `tests/fixtures/{cbr,ocp}/{valid,invalid}`, as its bytes.
fn fixture_texts() -> Vec<(Api, Target, Vec<u8>)> {
    let mut out = Vec::new();
    for api in Api::ALL {
        for kind in ["valid", "invalid"] {
            let dir = fixtures_dir().join(api.name()).join(kind);
            let mut paths: Vec<_> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|entry| entry.expect("directory entry").path())
                .filter(|path| path.extension().is_some_and(|e| e == "json"))
                .collect();
            paths.sort();
            for path in paths {
                let case = crate::fixtures::load(&path);
                let file: Value =
                    serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("JSON");
                let bytes = match file.get("raw").and_then(Value::as_str) {
                    Some(raw) => raw.as_bytes().to_vec(),
                    None => serde_json::to_vec(&file["instance"]).expect("serialise"),
                };
                out.push((api, case.target, bytes));
            }
        }
    }
    out
}

#[test]
fn the_compiled_check_agrees_with_the_engine_on_every_fixture_payload_and_example() {
    let mut tally = Tally::default();
    for (api, target, bytes) in fixture_texts() {
        let contract = Contract::get(api).expect("contract compiles");
        tally.check(contract, &target, &bytes);
    }
    for api in Api::ALL {
        let contract = Contract::get(api).expect("contract compiles");
        let page = Path::new("payloads").join(format!(
            "{}-{}-200.json",
            api.name(),
            match api {
                Api::Cbr => "list-op-logs",
                Api::Ocp => "log-backup-tasks",
            }
        ));
        let bytes = std::fs::read(fixtures_dir().join(page)).expect("payload");
        tally.check(contract, &Target::Response { status: 200 }, &bytes);
        for example in contract::examples(api).expect("spec parses") {
            let bytes = serde_json::to_vec(&example.value).expect("serialise");
            tally.check(
                contract,
                &Target::Response {
                    status: example.status,
                },
                &bytes,
            );
        }
    }
    tally.assert_agrees("fixtures");
    assert!(tally.valid >= 40 && tally.invalid >= 200, "{tally:?}");
}

#[test]
fn the_compiled_check_agrees_with_the_engine_on_seeded_mutations() {
    let pool = pool();
    let names = property_names();
    let mut rng = fastrand::Rng::with_seed(13);
    for api in Api::ALL {
        let contract = Contract::get(api).expect("contract compiles");
        let mut tally = Tally::default();
        let mut mutations = 0;
        for example in contract::examples(api).expect("spec parses") {
            let target = Target::Response {
                status: example.status,
            };
            for _ in 0..1500 {
                let mut doc = example.value.clone();
                for _ in 0..rng.usize(1..=3) {
                    edit(&mut doc, &mut rng, &pool, &names);
                }
                mutations += 1;
                let bytes = serde_json::to_vec(&doc).expect("serialise");
                tally.check(contract, &target, &bytes);
            }
        }
        tally.assert_agrees(&format!("{api}: {mutations} mutations"));
        assert!(mutations >= 6000, "{api}: {mutations}");
        assert!(
            tally.valid >= 1000 && tally.invalid >= 2000,
            "{api}: too few of one kind: {tally:?}"
        );
        assert!(tally.declined * 100 <= mutations, "{api}: {tally:?}");
        // The quick path (no repeated-name pass) must carry most valid documents.
        assert!(tally.vouched * 2 >= tally.unique_valid, "{api}: {tally:?}");
    }
}

/// Raw JSON put in place of a value: each a case where a checker could part from the engine.
fn edge_values() -> Vec<String> {
    let mut values: Vec<String> = [
        "0",
        "-0",
        "1",
        "1.0",
        "-1",
        "-1.0",
        "0.0",
        "-0.0",
        "1e2",
        "1E0",
        "100",
        "1.5",
        "599",
        "600",
        "99",
        "2147483647",
        "2147483648",
        "2147483647.0",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
        "18446744073709551616",
        "1e300",
        "-1e-300",
        "123456789012345678901234567890",
        "null",
        "true",
        "false",
        "{}",
        "[]",
        "[null]",
        r#"{"a":1}"#,
        r#""""#,
        r#""x""#,
        r#""\u00e9""#,
        r#""9223372036854775807""#,
        r#""9223372036854775808""#,
        r#""-0""#,
        r#""2020-02-23T01:00:32Z""#,
        r#""2021-09-23T14:33:17.357+0800""#,
        r#""2019-05-23T14:35:23.584418""#,
        r#""2020-13-23T01:00:32Z""#,
    ]
    .map(str::to_owned)
    .to_vec();
    // Lengths around the specs' `maxLength` (255) in one-, two- and four-byte code points.
    for c in ["a", "é", "😀"] {
        for n in [254, 255, 256] {
            values.push(format!("\"{}\"", c.repeat(n)));
        }
    }
    values
}

/// `doc` as text with the value at `pointer` written as `raw`.
fn with_raw(doc: &Value, pointer: &str, raw: &str) -> Vec<u8> {
    const MARK: &str = "@@edge-value@@";
    let mut doc = doc.clone();
    match doc.pointer_mut(pointer) {
        Some(slot) => *slot = Value::String(MARK.into()),
        None => return Vec::new(),
    }
    serde_json::to_string(&doc)
        .expect("serialise")
        .replacen(&format!("\"{MARK}\""), raw, 1)
        .into_bytes()
}

/// Object texts with an edit of their members: an unknown member, and a member repeated with
/// the other occurrence `null` (first and last), so the engine's `Value` keeps one or the other.
fn member_edits(object: &serde_json::Map<String, Value>) -> Vec<String> {
    let text = Value::Object(object.clone()).to_string();
    let inner = &text[1..text.len() - 1];
    let mut out = vec![if inner.is_empty() {
        r#"{"zzUnknown":1}"#.to_owned()
    } else {
        format!(r#"{{{inner},"zzUnknown":1}}"#)
    }];
    if let Some(name) = object.keys().next() {
        let name = serde_json::to_string(name).expect("serialise");
        out.push(format!("{{{name}:null,{inner}}}"));
        out.push(format!("{{{inner},{name}:null}}"));
        out.push(format!("{{{inner},{inner}}}"));
    }
    out
}

#[test]
fn the_compiled_check_agrees_with_the_engine_on_edge_values_everywhere() {
    let values = edge_values();
    let mut tally = Tally::default();
    for api in Api::ALL {
        let contract = Contract::get(api).expect("contract compiles");
        for example in contract::examples(api).expect("spec parses") {
            let target = Target::Response {
                status: example.status,
            };
            let mut all = Vec::new();
            pointers(&example.value, String::new(), &mut all);
            for pointer in &all {
                for raw in &values {
                    tally.check(contract, &target, &with_raw(&example.value, pointer, raw));
                }
                if let Some(Value::Object(object)) = example.value.pointer(pointer) {
                    for raw in member_edits(object) {
                        tally.check(contract, &target, &with_raw(&example.value, pointer, &raw));
                    }
                }
            }
        }
    }
    tally.assert_agrees("edge values");
    assert!(tally.valid >= 500 && tally.invalid >= 5000, "{tally:?}");
}
