//! Data-driven contract cases: one file per case under `tests/fixtures/{cbr,ocp}/{valid,invalid}`,
//! run with `insta::glob!`, so a new fixture is a new case with no code change.
//!
//! A case file is `{"description", "target": {"status": N} | {"schema": NAME}, "instance" | "raw",
//! "expect"?}`; `expect` (invalid cases) is the exact set of `(pointer, keyword)` violations.

use std::collections::BTreeSet;
use std::path::Path;

use backup_task_api::contract::{self, Api, Contract, Target};
use serde_json::Value;

use crate::support::{fixtures_dir, round_trip, settings, typed};

/// One case file.
pub struct Case {
    pub api: Api,
    pub target: Target,
    pub description: String,
    /// The parsed instance, or the parse error for `raw` text.
    pub instance: Result<Value, contract::JsonError>,
    /// `(pointer, keyword)` pairs the case expects; empty for valid cases.
    pub expect: BTreeSet<(String, String)>,
}

/// Reads a case file; panics with the file name on a malformed case (a broken fixture).
pub fn load(path: &Path) -> Case {
    let name = path.display();
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let case: Value = serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let api = match path
        .components()
        .rev()
        .nth(2)
        .and_then(|c| c.as_os_str().to_str())
    {
        Some("cbr") => Api::Cbr,
        Some("ocp") => Api::Ocp,
        other => panic!("{name}: fixture not under cbr/ or ocp/ ({other:?})"),
    };
    let target = match (&case["target"]["status"], &case["target"]["schema"]) {
        (Value::Number(n), _) => Target::Response {
            status: n
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .expect("status fits u16"),
        },
        (_, Value::String(s)) => Target::Schema(s.clone()),
        _ => panic!("{name}: target needs status or schema"),
    };
    let instance = match (
        &case.get("instance"),
        case.get("raw").and_then(Value::as_str),
    ) {
        (Some(instance), None) => Ok((*instance).clone()),
        (None, Some(raw)) => contract::parse_json(raw.as_bytes()),
        _ => panic!("{name}: exactly one of instance and raw"),
    };
    let expect = case["expect"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|e| {
                    let field = |k: &str| e[k].as_str().unwrap_or_else(|| panic!("{name}: {k}"));
                    (field("pointer").to_owned(), field("keyword").to_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    let description = case["description"].as_str().unwrap_or_default().to_owned();
    assert!(
        !description.is_empty(),
        "{name}: every case says why it exists"
    );
    Case {
        api,
        target,
        description,
        instance,
        expect,
    }
}

/// The violations a case's instance has, as `(pointer, keyword)`; a parse error is `("", "parse")`.
pub fn verdict(case: &Case) -> (BTreeSet<(String, String)>, Vec<String>) {
    match &case.instance {
        Err(e) => (
            [("".to_owned(), "parse".to_owned())].into(),
            vec![e.to_string()],
        ),
        Ok(instance) => {
            let contract = Contract::get(case.api).expect("contract compiles");
            let violations = contract
                .validate(&case.target, instance)
                .expect("target exists");
            let pairs = violations
                .iter()
                .map(|v| (v.pointer.clone(), v.keyword.clone()))
                .collect();
            let lines = violations
                .iter()
                .map(|v| format!("{}: {} [{}]", v.pointer, v.message, v.keyword))
                .collect();
            (pairs, lines)
        }
    }
}

#[test]
fn valid_cases_pass_decode_and_round_trip() {
    let base = fixtures_dir();
    settings().bind(|| {
        insta::glob!(&base, "*/valid/*.json", |path| {
            let case = load(path);
            assert!(case.expect.is_empty(), "a valid case expects no violations");
            let (found, lines) = verdict(&case);
            assert!(found.is_empty(), "{}: {lines:#?}", path.display());
            let instance = case.instance.as_ref().expect("valid cases are JSON");
            let decoded = typed(case.api, &case.target, instance)
                .unwrap_or_else(|| panic!("{}: no typed model for {}", path.display(), case.target))
                .unwrap_or_else(|e| panic!("{}: does not decode: {e}", path.display()));
            let diff = round_trip(instance, &decoded.json);
            assert!(
                diff.mismatches.is_empty(),
                "{}: {:#?}",
                path.display(),
                diff.mismatches
            );
            insta::assert_snapshot!(format!(
                "{}\nnormalised: {:?}\n\n{}",
                case.description, diff.normalised, decoded.debug
            ));
        });
    });
}

#[test]
fn invalid_cases_report_exactly_the_expected_violations() {
    let base = fixtures_dir();
    settings().bind(|| {
        insta::glob!(&base, "*/invalid/*.json", |path| {
            let case = load(path);
            assert!(
                !case.expect.is_empty(),
                "{}: an invalid case names its violations",
                path.display()
            );
            let (found, lines) = verdict(&case);
            assert_eq!(found, case.expect, "{}: {lines:#?}", path.display());
            insta::assert_snapshot!(format!("{}\n\n{}", case.description, lines.join("\n")));
        });
    });
}

/// Every case file under `fixtures/{cbr,ocp}/{valid,invalid}`.
fn every_case() -> Vec<std::path::PathBuf> {
    let mut paths = Vec::new();
    for api in ["cbr", "ocp"] {
        for kind in ["valid", "invalid"] {
            let dir = fixtures_dir().join(api).join(kind);
            for entry in
                std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            {
                let path = entry.expect("directory entry").path();
                if path.extension().is_some_and(|e| e == "json") {
                    paths.push(path);
                }
            }
        }
    }
    paths.sort();
    paths
}

/// The text of a case's payload: the `raw` text as written, or the instance serialised.
fn case_bytes(path: &Path) -> Vec<u8> {
    let case: Value = serde_json::from_slice(&std::fs::read(path).expect("read")).expect("JSON");
    match (
        case.get("raw").and_then(Value::as_str),
        case.get("instance"),
    ) {
        (Some(raw), _) => raw.as_bytes().to_vec(),
        (None, Some(instance)) => serde_json::to_vec(instance).expect("serialise"),
        _ => panic!("{}: exactly one of instance and raw", path.display()),
    }
}

/// `check_bytes` (simd-json tape, validated in place, violations collected and rendered on the
/// tape) gives exactly the verdict of `serde_json`'s reading of `text`: its repeated member
/// names, then `validate` on its `Value`, every message included.
fn assert_same_verdict(contract: &Contract, target: &Target, text: &[u8], what: &str) {
    let fast = contract.check_bytes(target, text).expect("target exists");
    let slow = match contract::parse_json_and_repeats(text) {
        Err(error) => contract::Verdict::NotJson { error },
        Ok((value, mut violations)) => {
            assert_eq!(
                contract::parse_json(text).as_ref(),
                Ok(&value),
                "parse_json reads what the repeat finder reads: {what}"
            );
            violations.extend(contract.validate(target, &value).expect("target exists"));
            violations.sort();
            if violations.is_empty() {
                contract::Verdict::Valid
            } else {
                contract::Verdict::Invalid { violations }
            }
        }
    };
    assert_eq!(fast, slow, "{what}");
}

#[test]
fn check_bytes_gives_validates_verdict_on_every_case_and_its_variants() {
    let cases = every_case();
    assert!(
        cases.len() > 300,
        "the fixtures are all here: {}",
        cases.len()
    );
    let mut valid = 0;
    for path in &cases {
        let case = load(path);
        let contract = Contract::get(case.api).expect("contract compiles");
        let text = case_bytes(path);
        let what = path.display().to_string();
        assert_same_verdict(contract, &case.target, &text, &what);
        if contract
            .check_bytes(&case.target, &text)
            .expect("target")
            .is_valid()
        {
            valid += 1;
        }
        let Ok(instance) = &case.instance else {
            continue;
        };
        // Pretty-printed, with a byte order mark.
        let mut pretty = b"\xEF\xBB\xBF".to_vec();
        pretty.extend(serde_json::to_vec_pretty(instance).expect("serialise"));
        assert_same_verdict(contract, &case.target, &pretty, &format!("{what} (pretty)"));
        // A member name repeated, first with a wrong value and then with a right one, and the
        // other way round: the repetition is a violation, and the rest of the verdict is that
        // of the last occurrence, which serde_json keeps.
        if let Value::Object(members) = instance
            && let Some((name, value)) = members.iter().next()
        {
            let body = &text[1..];
            let name = serde_json::to_string(name).expect("name");
            let value = serde_json::to_string(value).expect("value");
            let wrong = format!("{{{name}:{{\"wrong\":[1]}},");
            let first_wrong = [wrong.as_bytes(), body].concat();
            assert_same_verdict(
                contract,
                &case.target,
                &first_wrong,
                &format!("{what} (dup, first wrong)"),
            );
            let last_wrong = format!(
                "{},{name}:{{\"wrong\":[1]}}}}",
                std::str::from_utf8(&text[..text.len() - 1]).expect("UTF-8")
            );
            assert_same_verdict(
                contract,
                &case.target,
                last_wrong.as_bytes(),
                &format!("{what} (dup, last wrong)"),
            );
            let same_twice = format!(
                "{{{name}:{value},{}",
                std::str::from_utf8(body).expect("UTF-8")
            );
            assert_same_verdict(
                contract,
                &case.target,
                same_twice.as_bytes(),
                &format!("{what} (dup, same)"),
            );
        }
    }
    assert!(
        valid > 10,
        "some cases are valid, so the fast path ran: {valid}"
    );
}

/// One random edit of `text`: delete, duplicate or swap a short range, or insert a byte that
/// matters to a JSON parser (structure, escapes, number parts, whitespace, invalid UTF-8).
fn mutate(text: &[u8], rng: &mut fastrand::Rng) -> Vec<u8> {
    const BYTES: &[u8] = b"{}[],:\"\\0123456789eE+-.tfnu \t\n\r\x00\x1f\xff\xc3\xa9";
    let mut out = text.to_vec();
    let at = rng.usize(0..=out.len());
    let len = rng.usize(0..=8).min(out.len() - at);
    match rng.u8(0..4) {
        0 => {
            out.drain(at..at + len);
        }
        1 => {
            let copy = out[at..at + len].to_vec();
            out.splice(at..at, copy);
        }
        2 if at + 2 * len <= out.len() => {
            let (a, b) = (
                out[at..at + len].to_vec(),
                out[at + len..at + 2 * len].to_vec(),
            );
            out.splice(at..at + 2 * len, b.into_iter().chain(a));
        }
        _ => out.insert(at, BYTES[rng.usize(0..BYTES.len())]),
    }
    out
}

#[test]
fn check_bytes_gives_validates_verdict_on_random_edits_of_the_examples() {
    let mut rng = fastrand::Rng::with_seed(7);
    let (mut valid, mut invalid, mut not_json) = (0, 0, 0);
    for (api, file) in [
        (Api::Cbr, "cbr-list-op-logs-200.json"),
        (Api::Ocp, "ocp-log-backup-tasks-200.json"),
    ] {
        let contract = Contract::get(api).expect("contract compiles");
        let target = Target::Response { status: 200 };
        let example =
            std::fs::read(fixtures_dir().join("payloads").join(file)).expect("example payload");
        for round in 0..3000 {
            // Up to three edits stacked, so some inputs drift far from the example.
            let mut text = example.clone();
            for _ in 0..=round % 3 {
                text = mutate(&text, &mut rng);
            }
            let what = format!("{file}, round {round}: {}", String::from_utf8_lossy(&text));
            assert_same_verdict(contract, &target, &text, &what);
            match contract.check_bytes(&target, &text).expect("target") {
                contract::Verdict::Valid => valid += 1,
                contract::Verdict::Invalid { .. } => invalid += 1,
                contract::Verdict::NotJson { .. } => not_json += 1,
            }
        }
    }
    // The edits reach every outcome, so each path of `check_bytes` was compared.
    assert!(
        valid > 100 && invalid > 100 && not_json > 100,
        "{valid} {invalid} {not_json}"
    );
}

/// The `(pointer, keyword)` of every violation `check_bytes` finds in `text`.
fn found(contract: &Contract, text: &str) -> Vec<(String, String)> {
    match contract
        .check_bytes(&Target::Response { status: 200 }, text.as_bytes())
        .expect("target exists")
    {
        contract::Verdict::Invalid { violations } => violations
            .into_iter()
            .map(|v| (v.pointer, v.keyword))
            .collect(),
        other => panic!("{text}: {other:?}"),
    }
}

#[test]
fn a_repeated_member_name_is_a_violation_on_either_reading() {
    let contract = Contract::get(Api::Cbr).expect("contract compiles");
    let pair = |pointer: &str, keyword: &str| (pointer.to_owned(), keyword.to_owned());
    // Valid when the last occurrence wins, which is how it passed; other readers keep the first.
    let text = r#"{"count": "x", "count": 0, "operation_logs": []}"#;
    assert_eq!(found(contract, text), [pair("/count", "duplicateKey")]);
    // The same where the fast path declines the text (an integer beyond 64 bits) and serde_json
    // reads it.
    let text = r#"{"count": "x", "count": 0, "operation_logs": [], "limit": 18446744073709551616}"#;
    assert_eq!(
        found(contract, text),
        [pair("/count", "duplicateKey"), pair("/limit", "maximum")]
    );
    // Nested, three times, with its message; names that need escaping in a pointer.
    let text = r#"{"count": 0, "operation_logs": [], "a/b~": {"x": 1, "x": 2, "x": 3}}"#;
    let verdict = contract
        .check_bytes(&Target::Response { status: 200 }, text.as_bytes())
        .expect("target exists");
    let contract::Verdict::Invalid { violations } = verdict else {
        panic!("{verdict:?}");
    };
    let repeated: Vec<_> = violations
        .iter()
        .filter(|v| v.keyword == "duplicateKey")
        .map(|v| (v.pointer.as_str(), v.message.as_str()))
        .collect();
    assert_eq!(
        repeated,
        [(
            "/a~1b~0/x",
            "\"x\" occurs 3 times in one object; readers disagree on which one counts"
        )]
    );
    // The same names in different objects, or at different depths, repeat nothing.
    let valid = r#"{"count": 0, "operation_logs": [], "limit": 1}"#;
    assert!(
        contract
            .check_bytes(&Target::Response { status: 200 }, valid.as_bytes())
            .expect("target")
            .is_valid()
    );
    let example = std::fs::read(fixtures_dir().join("payloads/cbr-list-op-logs-200.json"))
        .expect("example payload");
    let mut page: Value = serde_json::from_slice(&example).expect("JSON");
    let record = page["operation_logs"][0].clone();
    page["operation_logs"] = Value::Array(vec![record.clone(), record]);
    let text = serde_json::to_string(&page).expect("serialise");
    assert!(
        contract
            .check_bytes(&Target::Response { status: 200 }, text.as_bytes())
            .expect("target")
            .is_valid(),
        "{text}"
    );
}
