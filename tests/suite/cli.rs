//! The `validate` command, run as a process: output lines, exit codes, and bad input.

use std::process::{Command, Output, Stdio};

use backup_task_api::contract::{self, Api};

use crate::support::{BIN, first_line, root, run, run_with_stdin, settings, spawn, stderr, stdout};

/// The CBR page's example, as a file (the "done when" check of the first issue).
fn cbr_example_file(
    dir: &tempfile::TempDir,
    mutate: impl FnOnce(&mut serde_json::Value),
) -> String {
    let mut value = contract::examples(Api::Cbr).expect("spec")[0].value.clone();
    mutate(&mut value);
    let path = dir.path().join("page.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&value).expect("json")).expect("write");
    path.display().to_string()
}

#[test]
fn the_page_example_is_valid_and_exits_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = cbr_example_file(&dir, |_| {});
    let out = run(&["validate", "--api", "cbr", &path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("0 invalid"), "{}", stderr(&out));
}

#[test]
fn a_wrong_status_exits_1_naming_the_pointer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = cbr_example_file(&dir, |v| v["operation_logs"][0]["status"] = 42.into());
    let out = run(&["validate", "--api", "cbr", &path]);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<String> = stdout(&out)
        .lines()
        .map(|l| l.replace(&path, "PATH"))
        .collect();
    assert_eq!(
        lines,
        [
            "PATH: breaking: /operation_logs/0/status: 42 is not one of \"success\", \"skipped\" or 4 other candidates",
            "PATH: breaking: /operation_logs/0/status: 42 is not of type \"string\"",
        ]
    );
}

#[test]
fn non_json_on_stdin_exits_1_with_line_and_column() {
    let out = run_with_stdin(
        &["validate", "--api", "ocp", "-"],
        b"{\n  \"data\": nope\n}",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "-:2:12: breaking: not JSON: expected ident\n");
}

#[test]
fn hostile_inputs_get_a_verdict_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "empty.json",
            Vec::new(),
            "not JSON: EOF while parsing a value",
        ),
        (
            "deep.json",
            "[".repeat(100_000).into_bytes(),
            "not JSON: recursion limit exceeded",
        ),
        (
            "latin1.json",
            b"{\"count\": \"\xff\"}".to_vec(),
            "not JSON: invalid unicode code point",
        ),
        (
            "bom.json",
            b"\xEF\xBB\xBF{\"count\": 0, \"operation_logs\": []}".to_vec(),
            "",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let out = run(&["validate", "--api", "cbr", path.to_str().expect("utf-8")]);
        let code = if expected.is_empty() { 0 } else { 1 };
        assert_eq!(out.status.code(), Some(code), "{name}: {}", stderr(&out));
        assert!(stdout(&out).contains(expected), "{name}: {}", stdout(&out));
        assert!(
            !stderr(&out).contains("panicked"),
            "{name}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn every_input_is_checked_and_any_invalid_one_fails_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = cbr_example_file(&dir, |_| {});
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"operation_logs": 7}"#).expect("write");
    let bad = bad.display().to_string();
    let out = run(&["validate", "--api", "cbr", &good, &bad]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        format!("{bad}: breaking: /operation_logs: 7 is not of type \"array\"\n")
    );
    assert!(stderr(&out).contains("2 input(s) checked against cbr response 200: 1 invalid"));
}

#[test]
fn a_component_schema_can_be_the_target() {
    let log = contract::examples(Api::Cbr).expect("spec")[0].value["operation_logs"][0].to_string();
    let out = run_with_stdin(
        &["validate", "--api", "cbr", "--schema", "OperationLog", "-"],
        log.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn usage_and_io_errors_exit_2() {
    let missing = run(&["validate", "--api", "cbr", "/definitely/not/here.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).starts_with("error: cannot read /definitely/not/here.json"));

    let schema = run_with_stdin(
        &["validate", "--api", "cbr", "--schema", "Nope", "-"],
        b"{}",
    );
    assert_eq!(schema.status.code(), Some(2));
    assert!(stderr(&schema).contains("the cbr spec has no schema Nope; known:"));

    let status = run_with_stdin(&["validate", "--api", "ocp", "--status", "418", "-"], b"{}");
    assert_eq!(status.status.code(), Some(2));

    let api = run_with_stdin(&["validate", "--api", "aws", "-"], b"{}");
    assert_eq!(api.status.code(), Some(2));
    assert!(stderr(&api).contains("invalid value 'aws'"));

    let both = run_with_stdin(
        &[
            "validate", "--api", "cbr", "--status", "404", "--schema", "Resource", "-",
        ],
        b"{}",
    );
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn help_is_snapshotted() {
    let out = run(&["validate", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    settings().bind(|| insta::assert_snapshot!("cli_validate_help", stdout(&out)));
}

#[test]
fn demo_lists_both_apis_through_the_mock_with_no_violations() {
    let out = run(&["demo", "--records", "150", "--page-size", "40"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(2)
        .take(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    // api, pages, records, expected, violations: 151 records in pages of 40 is 4 pages.
    assert_eq!(rows[0][..5], ["cbr", "4", "151", "151", "0"]);
    assert_eq!(rows[1][..5], ["ocp", "4", "151", "151", "0"]);
    assert!(
        text.contains("0 contract violation(s), every record exactly once"),
        "{text}"
    );
}

/// Starts `mock` as a process; returns it and its URL (the first line of its stdout).
fn spawn_mock(extra: &[&str]) -> (std::process::Child, String) {
    let args = [
        &["mock", "--addr", "127.0.0.1:0", "--records", "30"][..],
        extra,
    ]
    .concat();
    let mut child = spawn(root(), &args, Stdio::null());
    let url = first_line(&mut child);
    (child, url)
}

#[test]
fn mock_prints_its_url_first_and_stops_on_ctrl_c() {
    let (child, url) = spawn_mock(&[]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let list = Command::new(BIN)
        .args([
            "list",
            "cbr",
            "--endpoint",
            &url,
            "--project-id",
            backup_task_api::mock::CBR_PROJECT_ID,
            "--format",
            "ndjson",
            "--all",
        ])
        .env("CBR_AUTH_TOKEN", "any")
        .output()
        .expect("list runs");
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    assert_eq!(
        stdout(&list).lines().count(),
        31,
        "30 synthetic records and the documented one"
    );
    assert_eq!(signal(child, "INT"), Some(0), "Ctrl-C is a clean stop");
}

#[test]
fn mock_stops_cleanly_on_sigterm() {
    // What `kill`, CI runners and containers send: a clean stop (exit 0), as the proxy's.
    let (child, url) = spawn_mock(&[]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(
        signal(child, "TERM"),
        Some(0),
        "SIGTERM is a clean stop, not death by the signal"
    );
}

/// Sends `child` the signal `name` (`INT`, `TERM`) and returns its exit code (`None`: the
/// signal killed it).
fn signal(mut child: std::process::Child, name: &str) -> Option<i32> {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    child.wait().expect("exits").code()
}

#[test]
fn list_formats_filters_and_errors() {
    let (mut child, url) = spawn_mock(&["--ocp-access-key", "ak", "--ocp-secret-key", "sk"]);
    let ocp = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = Command::new(BIN);
        command
            .args([
                "list",
                "ocp",
                "--endpoint",
                &url,
                "--cluster-id",
                "1000005",
                "--tenant-id",
            ])
            .args(args);
        for key in [
            "OCP_ACCESS_KEY",
            "OCP_SECRET_KEY",
            "OCP_USERNAME",
            "OCP_PASSWORD",
        ] {
            command.env_remove(key);
        }
        command
            .envs(env.iter().copied())
            .output()
            .expect("list runs")
    };
    let signed = [("OCP_ACCESS_KEY", "ak"), ("OCP_SECRET_KEY", "sk")];
    let json = ocp(&["1000012", "--format", "json", "--size", "5"], &signed);
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    let page: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).expect("a JSON array");
    assert_eq!(page.len(), 5, "one page without --all");
    let table = ocp(
        &["1000012", "--all", "--status", "FAILED"],
        &[("OCP_USERNAME", "admin"), ("OCP_PASSWORD", "admin")],
    );
    assert_eq!(table.status.code(), Some(0), "{}", stderr(&table));
    let lines: Vec<String> = stdout(&table).lines().map(str::to_owned).collect();
    assert!(
        lines[0].starts_with("tenant") && lines[0].contains("status"),
        "{}",
        lines[0]
    );
    assert!(
        lines.len() > 1 && lines[1..].iter().all(|l| l.contains("FAILED")),
        "{lines:?}"
    );

    let denied = ocp(
        &["1000012"],
        &[("OCP_USERNAME", "admin"), ("OCP_PASSWORD", "nope")],
    );
    assert_eq!(denied.status.code(), Some(1));
    assert!(
        stderr(&denied).contains("HTTP 401") && stderr(&denied).contains("10008"),
        "{}",
        stderr(&denied)
    );
    assert!(
        !stderr(&denied).contains("nope"),
        "the password is not echoed"
    );
    let missing = ocp(&["1000012"], &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("set OCP_ACCESS_KEY and OCP_SECRET_KEY"),
        "{}",
        stderr(&missing)
    );
    let unknown = ocp(&["42"], &signed);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("60101"), "{}", stderr(&unknown));
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn list_cbr_signs_with_access_keys_from_the_environment() {
    let (mut child, url) =
        spawn_mock(&["--cbr-access-key", "cbr-ak", "--cbr-secret-key", "cbr-sk"]);
    let cbr = |env: &[(&str, &str)]| {
        let mut command = Command::new(BIN);
        command.args([
            "list",
            "cbr",
            "--endpoint",
            &url,
            "--project-id",
            backup_task_api::mock::CBR_PROJECT_ID,
            "--format",
            "ndjson",
            "--all",
        ]);
        for key in [
            "CBR_AUTH_TOKEN",
            "CBR_ACCESS_KEY",
            "CBR_SECRET_KEY",
            "CBR_SECURITY_TOKEN",
        ] {
            command.env_remove(key);
        }
        command
            .envs(env.iter().copied())
            .output()
            .expect("list runs")
    };
    let signed = cbr(&[("CBR_ACCESS_KEY", "cbr-ak"), ("CBR_SECRET_KEY", "cbr-sk")]);
    assert_eq!(signed.status.code(), Some(0), "{}", stderr(&signed));
    assert_eq!(stdout(&signed).lines().count(), 31);
    let wrong = cbr(&[("CBR_ACCESS_KEY", "cbr-ak"), ("CBR_SECRET_KEY", "nope")]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(stderr(&wrong).contains("APIGW.0301"), "{}", stderr(&wrong));
    assert!(!stderr(&wrong).contains("nope"), "{}", stderr(&wrong));
    let half = cbr(&[("CBR_ACCESS_KEY", "cbr-ak")]);
    assert_eq!(half.status.code(), Some(2));
    assert!(
        stderr(&half).contains("CBR_ACCESS_KEY and CBR_SECRET_KEY"),
        "{}",
        stderr(&half)
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn help_of_demo_mock_and_list_is_snapshotted() {
    for (name, args) in [
        ("cli_demo_help", &["demo", "--help"][..]),
        ("cli_mock_help", &["mock", "--help"][..]),
        ("cli_proxy_help", &["proxy", "--help"][..]),
        ("cli_list_cbr_help", &["list", "cbr", "--help"][..]),
        ("cli_list_ocp_help", &["list", "ocp", "--help"][..]),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(0), "{name}");
        settings().bind(|| insta::assert_snapshot!(name, stdout(&out)));
    }
}

// ---- `list` against hostile servers and hostile input (issue 9) ----

/// `list cbr` with a token and `args`, against `endpoint`.
fn list_cbr(endpoint: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args([
            "list",
            "cbr",
            "--endpoint",
            endpoint,
            "--project-id",
            "proj",
        ])
        .args(args)
        .env_remove("CBR_ACCESS_KEY")
        .env_remove("CBR_SECRET_KEY")
        .env("CBR_AUTH_TOKEN", "token-value")
        .output()
        .expect("list runs")
}

/// A CBR record whose text fields carry what a terminal would obey.
fn hostile_log(i: usize, text: &str) -> serde_json::Value {
    serde_json::json!({
        "id": format!("task-{i}\x1b[31m"), "project_id": "proj", "status": "success",
        "created_at": "2019-05-23T14:31:36.039365", "started_at": "2019-05-23T14:31:36.007230",
        "updated_at": "2019-05-23T14:35:23.584418", "error_info": {"code": "", "message": ""},
        "extra_info": {"resource": {"id": "r", "name": text, "type": "OS::Nova::Server"}}
    })
}

/// Whether `bytes` hold a control character other than the newlines that end lines.
fn has_raw_controls(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes)
        .chars()
        .any(|c| c != '\n' && (c.is_control() || c == '\u{202e}'))
}

#[test]
fn list_refuses_an_endpoint_that_is_not_a_base_url() {
    for (endpoint, why) in [
        ("http://127.0.0.1:9/base?q=1#f", "has a query"),
        ("http://127.0.0.1:9/base#f", "has a fragment"),
        ("http://admin:hunter2@127.0.0.1:9/base", "has user-info"),
    ] {
        let out = list_cbr(endpoint, &["--all"]);
        assert_eq!(out.status.code(), Some(2), "{endpoint}: {}", stderr(&out));
        assert!(stderr(&out).contains(why), "{endpoint}: {}", stderr(&out));
        assert!(!stderr(&out).contains("hunter2"), "{}", stderr(&out));
    }
    let out = list_cbr("http://127.0.0.1:9", &["--limit", "5000"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad limit is usage too: {}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_escapes_server_text_on_a_terminal_and_keeps_json_exact() {
    use wiremock::matchers::{method, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let text = "ECS\r\x1b[2Kforged\nline\u{9b}1m\u{202e}txt";
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("vault_id", "fails"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error_code": "BackupService.9900", "error_msg": text
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"count": 1, "operation_logs": [hostile_log(1, text)]}),
        ))
        .mount(&server)
        .await;
    let url = server.uri();

    let failed = list_cbr(&url, &["--vault-id", "fails"]);
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    assert!(!has_raw_controls(&failed.stderr), "{:?}", stderr(&failed));
    assert_eq!(
        stderr(&failed).lines().count(),
        1,
        "no forged line: {}",
        stderr(&failed)
    );
    assert!(
        stderr(&failed).contains(r"ECS\r\x1b[2Kforged\nline\u{9b}1m\u{202e}txt"),
        "{}",
        stderr(&failed)
    );

    let table = list_cbr(&url, &["--format", "table"]);
    assert_eq!(table.status.code(), Some(0), "{}", stderr(&table));
    assert!(!has_raw_controls(&table.stdout), "{:?}", stdout(&table));
    let lines: Vec<String> = stdout(&table).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "a header and one row: {lines:?}");
    assert!(lines[1].starts_with(r"task-1\x1b[31m"), "{}", lines[1]);
    assert!(
        lines[1].ends_with(r"ECS\r\x1b[2Kforged\nline\u{9b}1m\u{202e}txt"),
        "{}",
        lines[1]
    );

    for format in ["json", "ndjson"] {
        let out = list_cbr(&url, &["--format", format]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let value: serde_json::Value = match format {
            "json" => serde_json::from_slice(&out.stdout).expect("a JSON array"),
            _ => serde_json::from_slice(&out.stdout).expect("one JSON line"),
        };
        let record = if format == "json" { &value[0] } else { &value };
        assert_eq!(
            record["extra_info"]["resource"]["name"], text,
            "{format} is exact"
        );
        assert_eq!(record["id"], "task-1\x1b[31m");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn list_all_stops_when_paging_does_not_advance_and_prints_what_came() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    // The same full page whatever the offset: this ran forever, buffering every table row.
    let server = MockServer::start().await;
    let logs: Vec<serde_json::Value> = (0..2).map(|i| hostile_log(i, "vm")).collect();
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"count": 2, "operation_logs": logs})),
        )
        .mount(&server)
        .await;
    for format in ["table", "ndjson"] {
        let out = list_cbr(
            &server.uri(),
            &["--all", "--limit", "2", "--format", format],
        );
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("paging does not advance: page 2"),
            "{}",
            stderr(&out)
        );
        let expected = if format == "table" { 3 } else { 2 };
        assert_eq!(
            stdout(&out).lines().count(),
            expected,
            "{format}: the records before the repeat are printed: {}",
            stdout(&out)
        );
    }
    assert_eq!(
        server.received_requests().await.expect("recorded").len(),
        4,
        "two requests per run"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_fails_on_a_body_over_max_body_bytes() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"count": 1, "operation_logs": [hostile_log(1, "vm")]}),
        ))
        .mount(&server)
        .await;
    let out = list_cbr(&server.uri(), &["--max-body-bytes", "100"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("larger than the limit of 100 bytes"),
        "{}",
        stderr(&out)
    );
    let out = list_cbr(&server.uri(), &["--max-body-bytes", "100000"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
