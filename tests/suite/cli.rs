//! The `validate` command, run as a process: output lines, exit codes, and bad input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use backup_task_api::contract::{self, Api};

use crate::support::settings;

const BIN: &str = env!("CARGO_BIN_EXE_backup-task-api");

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    // A child that exits before reading (usage errors) closes the pipe; that is not a failure here.
    let _ = child.stdin.take().expect("piped").write_all(stdin);
    child.wait_with_output().expect("binary finishes")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

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
    let out = run(&["validate", "--api", "cbr", &path], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("0 invalid"), "{}", stderr(&out));
}

#[test]
fn a_wrong_status_exits_1_naming_the_pointer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = cbr_example_file(&dir, |v| v["operation_logs"][0]["status"] = 42.into());
    let out = run(&["validate", "--api", "cbr", &path], b"");
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<String> = stdout(&out)
        .lines()
        .map(|l| l.replace(&path, "PATH"))
        .collect();
    assert_eq!(
        lines,
        [
            "PATH: /operation_logs/0/status: 42 is not one of \"success\", \"skipped\" or 4 other candidates",
            "PATH: /operation_logs/0/status: 42 is not of type \"string\"",
        ]
    );
}

#[test]
fn non_json_on_stdin_exits_1_with_line_and_column() {
    let out = run(
        &["validate", "--api", "ocp", "-"],
        b"{\n  \"data\": nope\n}",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "-:2:12: not JSON: expected ident\n");
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
        let out = run(
            &["validate", "--api", "cbr", path.to_str().expect("utf-8")],
            b"",
        );
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
    std::fs::write(&bad, r#"{"operation_logs": []}"#).expect("write");
    let bad = bad.display().to_string();
    let out = run(&["validate", "--api", "cbr", &good, &bad], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        format!("{bad}: (root): \"count\" is a required property\n")
    );
    assert!(stderr(&out).contains("2 input(s) checked against cbr response 200: 1 invalid"));
}

#[test]
fn a_component_schema_can_be_the_target() {
    let log = contract::examples(Api::Cbr).expect("spec")[0].value["operation_logs"][0].to_string();
    let out = run(
        &["validate", "--api", "cbr", "--schema", "OperationLog", "-"],
        log.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn usage_and_io_errors_exit_2() {
    let missing = run(
        &["validate", "--api", "cbr", "/definitely/not/here.json"],
        b"",
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).starts_with("error: cannot read /definitely/not/here.json"));

    let schema = run(
        &["validate", "--api", "cbr", "--schema", "Nope", "-"],
        b"{}",
    );
    assert_eq!(schema.status.code(), Some(2));
    assert!(stderr(&schema).contains("the cbr spec has no schema Nope; known:"));

    let status = run(&["validate", "--api", "ocp", "--status", "418", "-"], b"{}");
    assert_eq!(status.status.code(), Some(2));

    let api = run(&["validate", "--api", "aws", "-"], b"{}");
    assert_eq!(api.status.code(), Some(2));
    assert!(stderr(&api).contains("invalid value 'aws'"));

    let both = run(
        &[
            "validate", "--api", "cbr", "--status", "404", "--schema", "Resource", "-",
        ],
        b"{}",
    );
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn help_is_snapshotted() {
    let out = run(&["validate", "--help"], b"");
    assert_eq!(out.status.code(), Some(0));
    settings().bind(|| insta::assert_snapshot!("cli_validate_help", stdout(&out)));
}
