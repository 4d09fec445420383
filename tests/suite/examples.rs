//! Every example embedded in the specs, found by walking them: a new example is a new case.
//! Each one validates, decodes into the typed model, writes back equal JSON (save the documented
//! reader normalisations, which are snapshotted), and its typed value is snapshotted.

use backup_task_api::contract::{self, Api, Contract, Target};

use crate::support::{round_trip, settings, typed};

fn check_examples(api: Api) {
    let examples = contract::examples(api).expect("spec parses");
    assert!(!examples.is_empty(), "{api} spec has no examples");
    let contract = Contract::get(api).expect("contract compiles");
    let mut normalised = Vec::new();
    for example in examples {
        let label = format!("{}_{}_{}", api, example.status, example.name);
        let target = Target::Response {
            status: example.status,
        };

        let violations = contract
            .validate(&target, &example.value)
            .expect("target exists");
        assert!(
            violations.is_empty(),
            "{label} breaks its own spec: {violations:#?}"
        );

        let decoded = typed(api, &target, &example.value)
            .expect("every response has a typed model")
            .unwrap_or_else(|e| panic!("{label} does not decode: {e}"));

        let diff = round_trip(&example.value, &decoded.json);
        assert!(
            diff.mismatches.is_empty(),
            "{label} does not round-trip: {:#?}",
            diff.mismatches
        );
        normalised.extend(diff.normalised.into_iter().map(|n| format!("{label}: {n}")));

        settings().bind(|| insta::assert_snapshot!(format!("example_{label}"), decoded.debug));
    }
    // The reader normalisations the examples hit, pinned: a new one shows up here in review.
    settings().bind(|| {
        insta::assert_debug_snapshot!(format!("example_{api}_normalisations"), normalised)
    });
}

#[test]
fn cbr_examples_validate_decode_and_round_trip() {
    check_examples(Api::Cbr);
}

#[test]
fn ocp_examples_validate_decode_and_round_trip() {
    check_examples(Api::Ocp);
}

/// DISCREPANCIES.md: the CBR page's own example timestamps have no offset; they parse as UTC.
#[test]
fn cbr_page_example_timestamps_are_read_as_utc() {
    let example = &contract::examples(Api::Cbr).expect("spec")[0];
    let page: backup_task_api::cbr::ListOpLogsResponse =
        serde_json::from_value(example.value.clone()).expect("decodes");
    let log = &page.operation_logs[0];
    assert_eq!(log.updated_at.as_str(), "2019-05-23T14:35:23.584418");
    assert_eq!(
        log.updated_at.to_utc().map(|t| t.to_rfc3339()).as_deref(),
        Some("2019-05-23T14:35:23.584418+00:00")
    );
    assert_eq!(log.updated_at.has_offset(), Some(false));
}

/// DISCREPANCIES.md: OCP samples say `RUNNING`, which the page's status list lacks; the response
/// vocabulary has it as a known value.
#[test]
fn ocp_sample_status_running_is_a_known_value() {
    let example = &contract::examples(Api::Ocp).expect("spec")[0];
    let page: backup_task_api::ocp::LogBackupTaskPageResponse =
        serde_json::from_value(example.value.clone()).expect("decodes");
    assert_eq!(
        page.data.contents[0].status,
        Some(backup_task_api::ocp::TaskStatus::Running)
    );
    assert_eq!(page.data.contents[0].delay, Some(100.1899));
}

/// `tests/fixtures/payloads/` holds the reference pages' 200 examples as the pages print them (the
/// README's run command validates one); they are the same JSON as the examples in the specs.
#[test]
fn payload_files_are_the_reference_page_examples() {
    let dir = crate::support::fixtures_dir().join("payloads");
    for (api, file) in [
        (Api::Cbr, "cbr-list-op-logs-200.json"),
        (Api::Ocp, "ocp-log-backup-tasks-200.json"),
    ] {
        let text = std::fs::read(dir.join(file)).expect("payload file");
        let payload = contract::parse_json(&text).expect("payload is JSON");
        let example = contract::examples(api)
            .expect("spec")
            .into_iter()
            .find(|e| e.status == 200 && e.name == "reference_page")
            .expect("reference_page example");
        assert_eq!(
            payload, example.value,
            "{file} differs from the {api} spec's example"
        );
    }
}
