//! The spec-derived JSON Schema (strict contract) and the schemars schema of the typed models
//! (tolerant reader) give the same verdict on every fixture and example, except where the reader
//! is documented to be more tolerant (DISCREPANCIES.md, "Reader tolerances").

use std::collections::BTreeSet;

use backup_task_api::contract::{self, Api, Target};
use backup_task_api::{cbr, ocp};
use schemars::JsonSchema;
use serde_json::Value;

use crate::fixtures::{load, verdict};
use crate::support::fixtures_dir;

/// Keywords whose failure the reader tolerates, each for a documented reason.
const TOLERATED: &[(&str, &str)] = &[
    ("additionalProperties", "unknown fields are ignored"),
    ("enum", "response enums are open (`Other(String)`)"),
    (
        "pattern",
        "timestamps keep any text; `to_utc()` says whether it parsed",
    ),
    ("minimum", "numeric bounds are the contract's job"),
    ("maximum", "numeric bounds are the contract's job"),
    ("minLength", "length bounds are the contract's job"),
    ("maxLength", "length bounds are the contract's job"),
    (
        "anyOf",
        "the CBR error body is read whichever members it has",
    ),
];

fn reader_schema(api: Api, target: &Target) -> Option<Value> {
    let schema = match (api, target) {
        (Api::Cbr, Target::Response { status: 200 }) => {
            schemars::schema_for!(cbr::ListOpLogsResponse)
        }
        (Api::Cbr, Target::Response { .. }) => schemars::schema_for!(cbr::ErrorBody),
        (Api::Ocp, Target::Response { status: 200 }) => {
            schemars::schema_for!(ocp::LogBackupTaskPageResponse)
        }
        (Api::Ocp, Target::Response { .. }) => schemars::schema_for!(ocp::ErrorResponse),
        (Api::Cbr, Target::Schema(n)) if n == "OperationLog" => {
            schemars::schema_for!(cbr::OperationLog)
        }
        (Api::Ocp, Target::Schema(n)) if n == "LogBackupTask" => {
            schemars::schema_for!(ocp::LogBackupTask)
        }
        _ => return None,
    };
    Some(serde_json::to_value(schema).expect("schemars output is JSON"))
}

fn reader_accepts(api: Api, target: &Target, instance: &Value) -> Option<bool> {
    let schema = reader_schema(api, target)?;
    let validator = jsonschema::validator_for(&schema).expect("schemars schema compiles");
    Some(validator.is_valid(instance))
}

/// Whether a contract violation is one the reader tolerates.
fn tolerated(instance: &Value, pointer: &str, keyword: &str) -> bool {
    TOLERATED.iter().any(|(k, _)| *k == keyword)
        // Optional members: the reader takes `null` as absent, whatever the schema
        // (`type`, or `oneOf` for the id and error-code unions) says about it.
        || (matches!(keyword, "type" | "oneOf") && instance.pointer(pointer) == Some(&Value::Null))
        // `incremental` and OCP error codes keep any string (`Incremental::Text`,
        // `ErrorCode::Text`), like an open enum.
        || (keyword == "oneOf"
            && (pointer.ends_with("/incremental") || pointer.ends_with("/code"))
            && instance.pointer(pointer).is_some_and(Value::is_string))
}

fn check(
    label: &str,
    api: Api,
    target: &Target,
    instance: &Value,
    found: &BTreeSet<(String, String)>,
) -> bool {
    let Some(reader_ok) = reader_accepts(api, target, instance) else {
        return false;
    };
    let contract_ok = found.is_empty();
    if contract_ok {
        assert!(
            reader_ok,
            "{label}: the contract accepts it but the reader's schema does not"
        );
    } else if reader_ok {
        let untolerated: Vec<_> = found
            .iter()
            .filter(|(p, k)| !tolerated(instance, p, k))
            .collect();
        assert!(
            untolerated.is_empty(),
            "{label}: the reader accepts what the contract rejects for {untolerated:?}"
        );
    }
    true
}

#[test]
fn contract_and_reader_schemas_agree_on_every_case() {
    let mut compared = 0;
    for entry in glob_cases() {
        let case = load(&entry);
        let Ok(instance) = &case.instance else {
            continue;
        };
        let (found, _) = verdict(&case);
        if check(
            &entry.display().to_string(),
            case.api,
            &case.target,
            instance,
            &found,
        ) {
            compared += 1;
        }
    }
    for api in Api::ALL {
        let contract = contract::Contract::get(api).expect("compiles");
        for example in contract::examples(api).expect("spec") {
            let target = Target::Response {
                status: example.status,
            };
            let found = contract
                .validate(&target, &example.value)
                .expect("target")
                .into_iter()
                .map(|v| (v.pointer, v.keyword))
                .collect();
            assert!(check(&example.name, api, &target, &example.value, &found));
            compared += 1;
        }
    }
    assert!(compared >= 13, "only {compared} cases compared");
}

fn glob_cases() -> Vec<std::path::PathBuf> {
    let mut paths = Vec::new();
    for api in ["cbr", "ocp"] {
        for kind in ["valid", "invalid"] {
            let dir = fixtures_dir().join(api).join(kind);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            paths.extend(
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "json")),
            );
        }
    }
    paths.sort();
    paths
}

/// The tolerance list itself is pinned: widening it is a reviewed change.
#[test]
fn tolerated_keywords_are_the_documented_set() {
    let keywords: Vec<_> = TOLERATED.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keywords,
        [
            "additionalProperties",
            "enum",
            "pattern",
            "minimum",
            "maximum",
            "minLength",
            "maxLength",
            "anyOf"
        ]
    );
    let _ = cbr::OperationLog::schema_name();
}
