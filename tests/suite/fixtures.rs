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
