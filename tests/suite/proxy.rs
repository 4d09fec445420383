//! `proxy` and `mock --replay` as processes: the typed clients through the proxy in front of the
//! mock list every record exactly once, the recording holds no credential and replays to the
//! same records, and the mock's faults show in the proxy's lines; and `list --check` against
//! replayed pages.

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

use backup_task_api::mock::{CBR_PROJECT_ID, OCP_CLUSTER_ID, OCP_TENANT_ID};
use backup_task_api::{cbr, ocp};
use base64::Engine as _;
use serde_json::Value;

use crate::support::{self, BIN, stderr, stdout};

const TOKEN: &str = "tok-proxy-7d1e2f";
const CBR_AK: &str = "cbr-ak";
const CBR_SK: &str = "cbr-sk-91ac3e";
const OCP_PASSWORD: &str = "pw-proxy-44b0c1";
const OCP_AK: &str = "ocp-ak";
const OCP_SK: &str = "ocp-sk-58d2a7";

/// A server process: its URL (the first line of stdout) and its stderr, collected by a thread.
struct Server {
    child: Child,
    url: String,
    stderr: Option<JoinHandle<String>>,
}

impl Server {
    fn spawn(args: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        let mut url = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut url)
            .expect("URL line");
        let mut stderr = child.stderr.take().expect("piped");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        assert!(url.starts_with("http://"), "{args:?}: {url:?}");
        Server {
            child,
            url: url.trim().to_owned(),
            stderr: Some(stderr),
        }
    }

    /// Sends SIGTERM and returns the exit code and everything written to stderr.
    fn stop(mut self) -> (Option<i32>, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let code = self.child.wait().expect("exits").code();
        let stderr = self.stderr.take().expect("once").join().expect("reader");
        (code, stderr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mock(extra: &[&str]) -> Server {
    let mut args = vec![
        "mock",
        "--addr",
        "127.0.0.1:0",
        "--records",
        "130",
        "--cbr-token",
        TOKEN,
        "--cbr-access-key",
        CBR_AK,
        "--cbr-secret-key",
        CBR_SK,
        "--ocp-password",
        OCP_PASSWORD,
        "--ocp-access-key",
        OCP_AK,
        "--ocp-secret-key",
        OCP_SK,
    ];
    args.extend_from_slice(extra);
    Server::spawn(&args)
}

fn proxy(upstream: &str, extra: &[&str]) -> Server {
    let mut args = vec!["proxy", "--upstream", upstream, "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Server::spawn(&args)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Every CBR record id and every OCP task (which has no id: its JSON) listed from `url` by each
/// typed client: CBR with a token and with AK/SK, OCP with Basic and with AK/SK; pages of 40 so
/// each listing takes several pages.
async fn listings(url: &str) -> Vec<(&'static str, Vec<String>)> {
    let cbr_ids = |logs: Vec<cbr::OperationLog>| logs.into_iter().map(|l| l.id).collect();
    let ocp_tasks = |tasks: Vec<ocp::LogBackupTask>| {
        tasks
            .iter()
            .map(|t| serde_json::to_string(t).expect("serialises"))
            .collect()
    };
    let cbr_token = cbr::Client::builder(url, CBR_PROJECT_ID)
        .with_token(TOKEN)
        .build()
        .expect("client");
    let cbr_signed = cbr::Client::builder(url, CBR_PROJECT_ID)
        .with_access_key(CBR_AK, CBR_SK)
        .build()
        .expect("client");
    let ocp_basic = ocp::Client::builder(url)
        .with_basic_auth("admin", OCP_PASSWORD)
        .build()
        .expect("client");
    let ocp_signed = ocp::Client::builder(url)
        .with_access_key(OCP_AK, OCP_SK)
        .build()
        .expect("client");
    let mut listed = Vec::new();
    for (name, client) in [("cbr token", &cbr_token), ("cbr ak/sk", &cbr_signed)] {
        let logs = client
            .list_op_logs(cbr::ListFilters::default())
            .limit(40)
            .collect_all()
            .await;
        listed.push((name, cbr_ids(logs.expect(name))));
    }
    for (name, client) in [("ocp basic", &ocp_basic), ("ocp ak/sk", &ocp_signed)] {
        let tasks = client
            .list_log_backup_tasks(OCP_CLUSTER_ID, OCP_TENANT_ID, ocp::ListFilters::default())
            .size(40)
            .collect_all()
            .await;
        listed.push((name, ocp_tasks(tasks.expect(name))));
    }
    listed
}

/// Each listing holds no record twice and the same records as `expected`.
fn assert_same_records(
    got: &[(&'static str, Vec<String>)],
    expected: &[(&'static str, Vec<String>)],
    via: &str,
) {
    for ((name, records), (_, direct)) in got.iter().zip(expected) {
        let distinct: std::collections::BTreeSet<_> = records.iter().collect();
        assert_eq!(
            distinct.len(),
            records.len(),
            "{name} {via}: a record came twice"
        );
        assert_eq!(
            records, direct,
            "{name} {via}: not the records the mock lists"
        );
        assert!(
            records.len() > 130,
            "{name} {via}: {} records",
            records.len()
        );
    }
}

/// Credentials as they would appear on the wire, none of which a recording may hold.
fn credentials() -> Vec<String> {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("admin:{OCP_PASSWORD}"));
    vec![
        TOKEN.into(),
        CBR_SK.into(),
        OCP_PASSWORD.into(),
        OCP_SK.into(),
        basic,
        "Signature=".into(),
        "OCP-ACCESS-KEY-HMACSHA1".into(),
        "SDK-HMAC-SHA256".into(),
    ]
}

#[test]
fn typed_clients_through_the_proxy_list_every_record_once_and_the_recording_replays() {
    let dir = tempfile::tempdir().expect("temp dir");
    let recording = dir.path().join("traffic.ndjson");
    let mock = mock(&[]);
    let proxy = proxy(&mock.url, &["--record", recording.to_str().expect("UTF-8")]);
    let runtime = runtime();
    let direct = runtime.block_on(listings(&mock.url));
    let proxied = runtime.block_on(listings(&proxy.url));
    assert_same_records(&proxied, &direct, "through the proxy");

    let (code, stderr) = proxy.stop();
    assert_eq!(code, Some(0), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("GET ")).collect();
    assert!(lines.len() >= 16, "one line per page: {stderr}");
    for line in &lines {
        assert!(line.contains(" 200 ") && line.ends_with(" ok"), "{line}");
    }
    let summary = stderr.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with(&format!(
            "{} exchanges: {} valid, 0 with 0 violations (0 breaking)",
            lines.len(),
            lines.len()
        )),
        "{summary}"
    );
    for secret in credentials() {
        assert!(!stderr.contains(&secret), "{secret} in the proxy's stderr");
    }

    let recorded = std::fs::read_to_string(&recording).expect("recording");
    assert_eq!(
        recorded.lines().count(),
        lines.len(),
        "one line per exchange"
    );
    for secret in credentials() {
        assert!(!recorded.contains(&secret), "{secret} in the recording");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&recording)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Contract-valid traffic: `validate --exchanges` passes it, and `drift` finds nothing for
    // either API (each skips the other's exchanges).
    let rec = recording.to_str().expect("UTF-8");
    let validated = support::run(&["validate", "--exchanges", rec]);
    assert_eq!(
        validated.status.code(),
        Some(0),
        "{}",
        support::stderr(&validated)
    );
    assert!(
        support::stderr(&validated).ends_with(&format!(
            "{} input(s) checked against recorded exchanges: 0 invalid, 0 violation(s) (0 breaking)\n",
            lines.len()
        )),
        "{}",
        support::stderr(&validated)
    );
    for api in ["cbr", "ocp"] {
        let drift = support::run(&["drift", "--api", api, "--exchanges", rec]);
        let report = support::stdout(&drift);
        assert_eq!(drift.status.code(), Some(0), "{api}: {report}");
        assert!(
            report.contains(&format!("{api} payload(s) walked"))
                && report.contains(": 0 drift finding(s)"),
            "{api}: {report}"
        );
    }

    drop(mock);
    let replay = Server::spawn(&[
        "mock",
        "--addr",
        "127.0.0.1:0",
        "--replay",
        recording.to_str().expect("UTF-8"),
    ]);
    let replayed = runtime.block_on(listings(&replay.url));
    assert_same_records(&replayed, &direct, "replayed");
}

#[test]
fn the_mocks_faults_show_in_the_proxys_lines_and_summary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let recording = dir.path().join("faults.ndjson");
    let rec = recording.to_str().expect("UTF-8");
    let mock = mock(&[]);
    let proxy = proxy(&mock.url, &["--record", rec]);
    let runtime = runtime();
    let url = format!("{}/v3/{CBR_PROJECT_ID}/operation-logs?limit=5", proxy.url);
    let statuses: Vec<u16> = runtime.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::new();
        let mut statuses = Vec::new();
        for fault in ["503", "non-json", "truncate", "429"] {
            let response = http
                .get(&url)
                .header("x-auth-token", TOKEN)
                .header("x-mock-fault", fault)
                .send()
                .await
                .expect("proxy answers");
            statuses.push(response.status().as_u16());
            let _ = response.bytes().await;
        }
        statuses
    });
    assert_eq!(
        statuses,
        [503, 200, 200, 429],
        "passed on as the mock sent them"
    );
    let (code, stderr) = proxy.stop();
    assert_eq!(code, Some(1), "a response broke the contract: {stderr}");
    let line = |status: &str, n: usize| {
        stderr
            .lines()
            .filter(|l| l.starts_with("GET ") && l.contains(status))
            .nth(n)
            .unwrap_or_else(|| panic!("no line with {status}: {stderr}"))
            .to_owned()
    };
    // Neither 503 nor 429 is a documented CBR response: each is a finding, as are both
    // broken 200 bodies.
    assert!(
        line(" 503 ", 0).contains("1 violation: [status not documented]"),
        "{stderr}"
    );
    assert!(
        line(" 429 ", 0).contains("1 violation: [status not documented]"),
        "{stderr}"
    );
    assert!(
        line(" 200 ", 0).contains("(1 breaking): [breaking not JSON: "),
        "{stderr}"
    );
    assert!(
        line(" 200 ", 1).contains("(1 breaking): [breaking not JSON: "),
        "{stderr}"
    );
    let summary = stderr.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with("4 exchanges: 0 valid, 4 with 4 violations (2 breaking)"),
        "{summary}"
    );
    assert!(summary.contains("1 upstream 5xx"), "{summary}");

    // The recording tells the same story to `validate --exchanges` and to `drift`.
    let validated = support::run(&["validate", "--exchanges", rec]);
    let report = support::stdout(&validated);
    assert_eq!(validated.status.code(), Some(1), "{report}");
    assert_eq!(
        report
            .lines()
            .filter(|l| l.contains("breaking: not JSON"))
            .count(),
        2,
        "{report}"
    );
    for status in ["503", "429"] {
        assert!(
            report.contains(&format!(
                "strict-readers: (root): status {status} is not documented"
            )),
            "{report}"
        );
    }
    let drift = support::run(&["drift", "--api", "cbr", "--exchanges", rec]);
    let report = support::stdout(&drift);
    assert_eq!(drift.status.code(), Some(1), "{report}");
    assert!(
        report.contains("status 503, which the operation does not document"),
        "{report}"
    );
    assert!(
        report.contains("status 429, which the operation does not document"),
        "{report}"
    );
    assert!(
        report.contains("bodies that are not JSON, 2 time(s)"),
        "{report}"
    );
    assert!(report.contains(": 3 drift finding(s)"), "{report}");
}

#[test]
fn an_upstream_that_does_not_answer_gets_a_502_with_a_clear_body() {
    // A port that was free a moment ago: nothing listens there.
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let upstream = format!("http://{}", free.local_addr().expect("addr"));
    drop(free);
    let proxy = proxy(&upstream, &[]);
    let runtime = runtime();
    let url = format!("{}/v3/{CBR_PROJECT_ID}/operation-logs", proxy.url);
    let (status, body): (u16, Value) = runtime.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let response = reqwest::Client::new()
            .get(&url)
            .header("x-auth-token", TOKEN)
            .send()
            .await
            .expect("proxy answers");
        (
            response.status().as_u16(),
            response.json().await.expect("JSON"),
        )
    });
    assert_eq!(status, 502);
    let message = body["error_msg"].as_str().unwrap_or_default();
    assert!(
        message.contains("proxy") && message.contains("did not answer"),
        "{body}"
    );
    let (_, stderr) = proxy.stop();
    assert!(
        stderr.contains(" 502 ") && stderr.contains("answered by the proxy"),
        "{stderr}"
    );
    assert!(!stderr.contains(TOKEN));
}

#[cfg(unix)]
#[test]
fn a_recording_through_a_symlink_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("elsewhere");
    std::fs::write(&target, "").expect("target");
    let link = dir.path().join("traffic.ndjson");
    std::os::unix::fs::symlink(&target, &link).expect("link");
    let out = Command::new(BIN)
        .args([
            "proxy",
            "--upstream",
            "http://127.0.0.1:9",
            "--listen",
            "127.0.0.1:0",
            "--record",
        ])
        .arg(&link)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no URL");
    assert!(String::from_utf8_lossy(&out.stderr).contains("symbolic link"));
    assert_eq!(std::fs::read(&target).expect("target"), b"");
}

#[test]
fn a_request_no_recording_matches_gets_a_404_naming_the_nearest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let recording = dir.path().join("r.ndjson");
    write_recording(&recording);
    let replay = Server::spawn(&[
        "mock",
        "--addr",
        "127.0.0.1:0",
        "--replay",
        recording.to_str().expect("UTF-8"),
    ]);
    let runtime = runtime();
    let ask = |query: &str| {
        let url = format!("{}/v3/p1/operation-logs{query}", replay.url);
        runtime.block_on(async move {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let response = reqwest::Client::new()
                .get(&url)
                .send()
                .await
                .expect("answers");
            let status = response.status().as_u16();
            (status, response.text().await.expect("text"))
        })
    };
    let (status, body) = ask("?offset=0&limit=10&x-auth-token=whatever");
    assert_eq!(
        (status, body.as_str()),
        (200, "{\"count\":0,\"operation_logs\":[]}")
    );
    let (status, body) = ask("?limit=10&offset=20");
    assert_eq!(status, 404);
    let body: Value = serde_json::from_str(&body).expect("JSON");
    let message = body["error_msg"].as_str().unwrap_or_default();
    assert!(
        message.contains("GET /v3/p1/operation-logs?limit=10&offset=20")
            && message.contains(
                "nearest recorded request: GET /v3/p1/operation-logs?limit=10&offset=0 (line 1)"
            ),
        "{message}"
    );
}

fn write_recording(path: &Path) {
    let line = r#"{"request":{"method":"GET","path":"/v3/p1/operation-logs","query":"limit=10&offset=0"},"response":{"status":200,"headers":[["content-type","application/json"]],"body":"{\"count\":0,\"operation_logs\":[]}"}}"#;
    std::fs::write(path, format!("{line}\n")).expect("writes");
}

/// `list --check` against recorded pages: drift in a page is reported with its location and
/// impact and makes the exit 1, while the records (the unknown member included) are still
/// listed; a clean page exits 0; without `--check` nothing is checked.
#[test]
fn list_check_reports_each_pages_violations_and_still_lists_the_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let recording = dir.path().join("pages.ndjson");
    let fixtures = support::fixtures_dir().join("cbr");
    let lines: Vec<String> = [
        (
            "drifted",
            "invalid/reference_page__extra_field__operation_logs.0.extra_info.backup.json",
        ),
        ("clean", "valid/copy_task.json"),
    ]
    .iter()
    .map(|(project, fixture)| {
        let fixture: Value =
            serde_json::from_slice(&std::fs::read(fixtures.join(fixture)).expect("fixture"))
                .expect("JSON");
        serde_json::json!({
            "request": {
                "method": "GET",
                "path": format!("/v3/{project}/operation-logs"),
                "query": "limit=1000&offset=0",
            },
            "response": {
                "status": 200,
                "headers": [["content-type", "application/json"]],
                "body": fixture["instance"].to_string(),
            },
        })
        .to_string()
    })
    .collect();
    std::fs::write(&recording, lines.join("\n") + "\n").expect("writes");
    let replay = Server::spawn(&[
        "mock",
        "--addr",
        "127.0.0.1:0",
        "--replay",
        recording.to_str().expect("UTF-8"),
    ]);
    let list = |project: &str, check: bool| {
        let mut command = Command::new(BIN);
        command
            .args([
                "list",
                "cbr",
                "--endpoint",
                &replay.url,
                "--project-id",
                project,
            ])
            .args(["--format", "ndjson"])
            .env("CBR_AUTH_TOKEN", "t");
        if check {
            command.arg("--check");
        }
        command.output().expect("list runs")
    };

    let drifted = list("drifted", true);
    assert_eq!(drifted.status.code(), Some(1), "{}", stderr(&drifted));
    let report = stderr(&drifted);
    assert!(
        report.contains(
            "page 1: strict-readers: /operation_logs/0/extra_info/backup: Additional properties \
             are not allowed ('undocumentedField' was unexpected)"
        ) && report.contains("1 page(s) checked against the cbr contract: 1 violation(s)"),
        "{report}"
    );
    let records = stdout(&drifted);
    assert_eq!(records.lines().count(), 1, "{records}");
    assert!(records.contains("\"undocumentedField\""), "{records}");

    let clean = list("clean", true);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    assert!(
        stderr(&clean).contains("1 page(s) checked against the cbr contract: 0 violation(s)"),
        "{}",
        stderr(&clean)
    );
    assert_eq!(stdout(&clean).lines().count(), 1);

    let unchecked = list("drifted", false);
    assert_eq!(unchecked.status.code(), Some(0), "{}", stderr(&unchecked));
    assert!(!stderr(&unchecked).contains("checked against"));
    assert_eq!(
        stdout(&unchecked),
        records,
        "the same records, checked or not"
    );
}
