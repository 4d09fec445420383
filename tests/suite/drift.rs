//! `drift` as a process: a corpus with what the contract does not say (snapshotted as Markdown),
//! the repository's valid fixtures (no drift), and recorded exchanges.

use std::path::Path;
use std::process::Output;

use backup_task_api::contract::{self, Api};
use serde_json::{Value, json};

use crate::support::{fixtures_dir, run_in, settings};

/// Runs the binary in `dir` with nothing on stdin.
fn run(dir: &Path, args: &[&str]) -> Output {
    run_in(dir, args, b"")
}

fn page(api: Api) -> Value {
    contract::examples(api).expect("spec")[0].value.clone()
}

/// Three CBR pages as NDJSON: an undocumented member, an unknown status, a `null`, a limit
/// beyond its bound, an epoch-milliseconds timestamp, and one line that is not JSON.
fn corpus(dir: &Path) {
    let mut lines = Vec::new();
    for i in 0..3 {
        let mut page = page(Api::Cbr);
        let log = &mut page["operation_logs"][0];
        log["extra_info"]["resource"]["zone"] = json!(format!("az{i}"));
        if i > 0 {
            log["status"] = json!("cancelled");
            log["provider_id"] = json!(null);
        }
        if i == 2 {
            log["created_at"] = json!("1723190661000");
            page["limit"] = json!(5000);
        }
        lines.push(page.to_string());
    }
    lines.push("<html>502</html>".into());
    std::fs::write(dir.join("corpus.ndjson"), lines.join("\n") + "\n").expect("write");
}

#[test]
fn drift_aggregates_what_the_contract_does_not_say() {
    let dir = tempfile::tempdir().expect("tempdir");
    corpus(dir.path());
    let args = [
        "drift",
        "--api",
        "cbr",
        "--ndjson",
        "--format",
        "markdown",
        "corpus.ndjson",
    ];
    let out = run(dir.path(), &args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let markdown = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        markdown.contains(
            "| unknown-member | response 200 | `/operation_logs/*/extra_info/resource/zone` |"
        ),
        "{markdown}"
    );
    settings().bind(|| insta::assert_snapshot!("drift_markdown_corpus", markdown));

    let text = run(
        dir.path(),
        &["drift", "--api", "cbr", "--ndjson", "corpus.ndjson"],
    );
    let text = String::from_utf8(text.stdout).expect("UTF-8");
    assert!(
        text.contains("unknown-enum-value: response 200 /operation_logs/*/status: values the enum does not list: \"cancelled\" ×2, 2 time(s) (first: corpus.ndjson:2 /operation_logs/0/status)"),
        "{text}"
    );
    let json = run(
        dir.path(),
        &[
            "drift",
            "--api",
            "cbr",
            "--ndjson",
            "--format",
            "json",
            "corpus.ndjson",
        ],
    );
    let report: Value = serde_json::from_slice(&json.stdout).expect("JSON out");
    let kinds: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["drift"] == true)
        .map(|f| f["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        [
            "unknown-member",
            "unknown-enum-value",
            "null",
            "bound",
            "timestamp-shape",
            "not-json"
        ]
    );
    assert_eq!(report["payloads"]["response 200"], 3);
}

#[test]
fn the_valid_fixtures_show_no_drift() {
    // Each fixture wraps its payload in `instance` and names its target.
    for api in Api::ALL {
        let dir = tempfile::tempdir().expect("tempdir");
        let source = fixtures_dir().join(api.name()).join("valid");
        let mut statuses = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(&source).expect("fixtures") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            let fixture: Value =
                serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("JSON");
            // A fixture of one component schema is not a response body: not drift's input.
            let Some(status) = fixture["target"]["status"].as_u64() else {
                continue;
            };
            let status = status.to_string();
            let into = dir.path().join(&status);
            std::fs::create_dir_all(&into).expect("mkdir");
            std::fs::write(into.join(&name), fixture["instance"].to_string()).expect("write");
            statuses.insert(status);
        }
        for status in statuses {
            let args = [
                "drift",
                "--api",
                api.name(),
                "--status",
                &status,
                "--format",
                "json",
                &status,
            ];
            let out = run(dir.path(), &args);
            let report: Value = serde_json::from_slice(&out.stdout).expect("JSON out");
            let drift: Vec<&Value> = report["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .filter(|f| f["drift"] == true)
                .collect();
            assert!(drift.is_empty(), "{api} {status}: {drift:#?}");
            assert_eq!(out.status.code(), Some(0), "{api} {status}");
        }
    }
}

#[test]
fn drift_reads_recorded_exchanges() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = "/api/v2/ob/clusters/1/tenants/2/backup/task/logBackupTasks";
    let mut drifted = page(Api::Ocp);
    drifted["data"]["contents"][0]["newKnob"] = json!(true);
    let line = |status: u16, body: &Value| {
        json!({"request": {"method": "GET", "path": path},
               "response": {"status": status, "body": body.to_string()}})
        .to_string()
    };
    let lines = [
        line(200, &page(Api::Ocp)),
        line(200, &drifted),
        line(503, &json!({"oops": 1})),
        "not an exchange".to_owned(),
    ];
    std::fs::write(dir.path().join("traffic.ndjson"), lines.join("\n")).expect("write");
    let out = run(
        dir.path(),
        &["drift", "--api", "ocp", "--exchanges", "traffic.ndjson"],
    );
    // The line that is not an exchange is unreadable: exit 2, after the report.
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        text.contains("unknown-member: response 200 /data/contents/*/newKnob: undocumented member `newKnob` (boolean), 1 time(s) (first: traffic.ndjson:2 /data/contents/0/newKnob)"),
        "{text}"
    );
    assert!(
        text.contains("undocumented-status: GET /api/v2/ob/clusters/{id}/tenants/{tenantId}/backup/task/logBackupTasks : status 503"),
        "{text}"
    );
    assert!(
        text.contains("error: cannot read traffic.ndjson: line 4 is not an exchange"),
        "{text}"
    );
}
