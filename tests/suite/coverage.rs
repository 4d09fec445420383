//! Every documented (operation, status) has at least one example in the spec.

use backup_task_api::contract::{self, Api};

#[test]
fn every_documented_response_has_an_example() {
    for api in Api::ALL {
        let examples = contract::examples(api).expect("spec parses");
        let responses = contract::documented_responses(api).expect("spec parses");
        assert!(!responses.is_empty());
        for (operation, status) in responses {
            assert!(
                examples
                    .iter()
                    .any(|e| e.operation_id == operation && e.status == status),
                "{api} {operation} {status} has no example"
            );
        }
    }
}

/// The statuses each spec documents, pinned: CBR 200/400/401/403/404/500, OCP adds 429.
#[test]
fn documented_statuses_are_the_expected_set() {
    let statuses = |api| -> Vec<u16> {
        contract::documented_responses(api)
            .expect("spec")
            .into_iter()
            .map(|(_, s)| s)
            .collect()
    };
    assert_eq!(statuses(Api::Cbr), [200, 400, 401, 403, 404, 500]);
    assert_eq!(statuses(Api::Ocp), [200, 400, 401, 403, 404, 429, 500]);
}

/// Every test DISCREPANCIES.md names exists in this suite, so no row points at nothing.
#[test]
fn every_discrepancy_row_names_an_existing_test() {
    let root = env!("CARGO_MANIFEST_DIR");
    let register =
        std::fs::read_to_string(format!("{root}/openapi/DISCREPANCIES.md")).expect("register");
    let mut named = 0;
    let is_name = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    for reference in register.split('`') {
        let Some((module, test)) = reference.split_once("::") else {
            continue;
        };
        if !is_name(module) || !is_name(test) {
            continue;
        }
        let source = std::fs::read_to_string(format!("{root}/tests/suite/{module}.rs"))
            .unwrap_or_else(|_| {
                panic!("DISCREPANCIES.md names module {module}, which does not exist")
            });
        let definition = format!("fn {test}()");
        let at = source
            .find(&definition)
            .unwrap_or_else(|| panic!("no test {reference}"));
        let before = &source[..at];
        let attribute = before.rfind("#[test]").expect("a #[test] before it");
        assert!(
            !before[attribute..].contains("\nfn ") && !before[attribute..].contains("}\n"),
            "{reference} is not a #[test]"
        );
        named += 1;
    }
    assert!(named >= 30, "only {named} test references found");
}
