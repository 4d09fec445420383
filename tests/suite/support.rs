//! Shared helpers: snapshot settings, the typed model for each target, the round-trip diff, the
//! binary run as a process, and what the client tests need of a local server (recorded retry
//! sleeps, the requests it received, hostile servers).

use std::fmt::Debug;
use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use backup_task_api::common::retry::RetryPolicy;
use backup_task_api::contract::{Api, Target};
use backup_task_api::{cbr, ocp};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wiremock::{MockServer, Request};

/// Snapshots live in the top-level `snapshots/`, with sorted maps, whatever the test's module.
pub fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_sort_maps(true);
    settings.set_omit_expression(true);
    settings
}

/// `tests/fixtures`, absolute.
pub fn fixtures_dir() -> PathBuf {
    root().join("tests/fixtures")
}

/// The crate's root, absolute: where the binary runs unless a test names another directory, so
/// relative arguments such as `openapi/cbr-operation-logs.yaml` resolve.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The binary under test, as Cargo built it for this run.
pub const BIN: &str = env!("CARGO_BIN_EXE_backup-task-api");

/// Starts the binary in `dir` with `args` and `stdin`, its stdout and stderr captured.
pub fn spawn(dir: &Path, args: &[&str], stdin: Stdio) -> Child {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts")
}

/// Runs the binary in `dir` (so reported paths are relative and deterministic) with `stdin` as
/// its input, and waits for it.
pub fn run_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = spawn(dir, args, Stdio::piped());
    // A child that exits before reading (usage errors) closes the pipe; that is not a failure here.
    let _ = child.stdin.take().expect("piped").write_all(stdin);
    child.wait_with_output().expect("binary finishes")
}

/// Runs the binary in the crate's root with `args` and nothing on stdin, and waits for it.
pub fn run(args: &[&str]) -> Output {
    run_in(root(), args, b"")
}

/// Runs the binary in the crate's root with `stdin` as its input, and waits for it.
pub fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    run_in(root(), args, stdin)
}

/// Output as text; lossy, so a test shows bytes that are not UTF-8 instead of failing on them.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What the run wrote to stdout, as text.
pub fn stdout(output: &Output) -> String {
    text(&output.stdout)
}

/// What the run wrote to stderr, as text.
pub fn stderr(output: &Output) -> String {
    text(&output.stderr)
}

/// Waits for `child`, killing it (by its id) if it is still running after `bound`: a guard
/// against a test that never ends (a run that blocks forever, a mock that serves instead of
/// refusing its options), not a measure of speed. `what` names the run in the failure.
pub fn finish(child: Child, bound: Duration, what: &str) -> Output {
    let pid = child.id().to_string();
    let (done, wait) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match wait.recv_timeout(bound) {
        Ok(output) => output.expect("binary finishes"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid]).status();
            panic!("{what}: still running after {bound:?}, so it hung");
        }
    }
}

/// A command that runs the binary with `args` in a shell that first sets `ulimit {limit}` (such
/// as `-n 64` or `-d 65536`): the binary under fewer descriptors or less memory than the tests
/// have. The caller sets the directory, environment and standard streams.
pub fn limited(limit: &str, args: &[&str]) -> Command {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit {limit} && exec \"$0\" \"$@\""))
        .arg(BIN)
        .args(args);
    command
}

/// The first line `child` writes to stdout, trimmed: `mock` prints its URL there first.
pub fn first_line(child: &mut Child) -> String {
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("first line");
    line.trim().to_owned()
}

/// What a typed decode gave: the `Debug` text of the value and its re-serialisation.
pub struct Typed {
    pub debug: String,
    pub json: Value,
}

fn decode<T: DeserializeOwned + Serialize + Debug>(value: &Value) -> Result<Typed, String> {
    let typed: T = serde_path_to_error::deserialize(value)
        .map_err(|e| format!("at {}: {}", e.path(), e.inner()))?;
    let json = serde_json::to_value(&typed).map_err(|e| format!("re-serialise: {e}"))?;
    Ok(Typed {
        debug: format!("{typed:#?}"),
        json,
    })
}

/// Decodes `value` into the generated (or hand-written replacement) type of `target`.
/// `None` when no typed model is mapped for that target.
pub fn typed(api: Api, target: &Target, value: &Value) -> Option<Result<Typed, String>> {
    Some(match (api, target) {
        (Api::Cbr, Target::Response { status: 200 }) => decode::<cbr::ListOpLogsResponse>(value),
        (Api::Cbr, Target::Response { .. }) => decode::<cbr::ErrorBody>(value),
        (Api::Ocp, Target::Response { status: 200 }) => {
            decode::<ocp::LogBackupTaskPageResponse>(value)
        }
        (Api::Ocp, Target::Response { .. }) => decode::<ocp::ErrorResponse>(value),
        (Api::Cbr, Target::Schema(name)) => match name.as_str() {
            "OperationLog" => decode::<cbr::OperationLog>(value),
            "OpExtraInfo" => decode::<cbr::OpExtraInfo>(value),
            "Resource" => decode::<cbr::Resource>(value),
            "ErrorResponse" => decode::<cbr::ErrorBody>(value),
            "ListOpLogsResponse" => decode::<cbr::ListOpLogsResponse>(value),
            _ => return None,
        },
        (Api::Ocp, Target::Schema(name)) => match name.as_str() {
            "LogBackupTask" => decode::<ocp::LogBackupTask>(value),
            "LogBackupTaskPage" => decode::<ocp::LogBackupTaskPage>(value),
            "PageInfo" => decode::<ocp::PageInfo>(value),
            "ApiError" => decode::<ocp::ApiError>(value),
            "ErrorResponse" => decode::<ocp::ErrorResponse>(value),
            "LogBackupTaskPageResponse" => decode::<ocp::LogBackupTaskPageResponse>(value),
            _ => return None,
        },
    })
}

/// How a re-serialised value differs from the input.
#[derive(Debug, Default)]
pub struct RoundTrip {
    /// Differences the reader is documented to make (DISCREPANCIES.md, "Reader normalisations"):
    /// an optional member whose value was `null` or `[]` is left out, and an integer in a
    /// `number` field comes back as a float of the same value.
    pub normalised: Vec<String>,
    /// Every other difference, with its key path. Must be empty.
    pub mismatches: Vec<String>,
}

/// Compares `input` with what the typed model wrote back.
pub fn round_trip(input: &Value, output: &Value) -> RoundTrip {
    let mut result = RoundTrip::default();
    walk(input, output, String::new(), &mut result);
    result
}

fn walk(input: &Value, output: &Value, path: String, result: &mut RoundTrip) {
    match (input, output) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let here = format!("{path}/{key}");
                match b.get(key) {
                    Some(other) => walk(value, other, here, result),
                    None if value.is_null() => {
                        result.normalised.push(format!("{here} (null dropped)"))
                    }
                    None if value.as_array().is_some_and(Vec::is_empty) => result
                        .normalised
                        .push(format!("{here} (empty array dropped)")),
                    None => result.mismatches.push(format!("{here}: lost {value}")),
                }
            }
            for key in b.keys().filter(|k| !a.contains_key(*k)) {
                result
                    .mismatches
                    .push(format!("{path}/{key}: added {}", b[key]));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                walk(x, y, format!("{path}/{i}"), result);
            }
        }
        (Value::Number(a), Value::Number(b)) if a != b && a.as_f64() == b.as_f64() => {
            result
                .normalised
                .push(format!("{path} ({a} written as {b})"));
        }
        (a, b) if a == b => {}
        (a, b) => result.mismatches.push(format!("{path}: {a} became {b}")),
    }
}

/// The sleeps a [`RetryPolicy`] asked for, in order.
pub type Slept = Arc<Mutex<Vec<Duration>>>;

/// `policy` with its sleeps recorded instead of slept, so a test sees every delay and waits for
/// none.
pub fn recording(policy: RetryPolicy) -> (RetryPolicy, Slept) {
    let slept = Slept::default();
    let log = slept.clone();
    let policy = policy.with_sleep(move |d| {
        log.lock().expect("lock").push(d);
        async {}
    });
    (policy, slept)
}

/// Every request `server` has received so far.
pub async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.expect("recording is on")
}

/// The query parameter `key` of `request` as a number; `None` when it is absent or is not one.
pub fn query_number(request: &Request, key: &str) -> Option<usize> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.parse().ok())
}

/// How [`endless_body_server`] frames its body.
#[derive(Debug, Clone, Copy)]
pub enum Framing {
    /// `Transfer-Encoding: chunked`, no length.
    Chunked,
    /// No length and no chunking: the body runs until the connection closes.
    UntilClose,
    /// A `Content-Length` of 100 bytes, then a body that never stops (the length lies; a
    /// client must stop at 100).
    LyingLength,
}

/// A raw HTTP/1.1 server on 127.0.0.1 that answers every request with `status` and a body of
/// `{"operation_logs": [` followed by spaces for as long as the client reads: the hostile server
/// of "an endless body". Returns its base URL; it stops with the test's runtime.
pub async fn endless_body_server(status: u16, framing: Framing) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let framing_header = match framing {
                    Framing::Chunked => "transfer-encoding: chunked\r\n",
                    Framing::UntilClose => "connection: close\r\n",
                    Framing::LyingLength => "content-length: 100\r\n",
                };
                let head = format!(
                    "HTTP/1.1 {status} Whatever\r\ncontent-type: application/json\r\n{framing_header}\r\n"
                );
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let mut chunk = b"{\"operation_logs\": [".to_vec();
                chunk.resize(64 * 1024, b' ');
                let framed = match framing {
                    Framing::Chunked => {
                        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                        framed.extend_from_slice(&chunk);
                        framed.extend_from_slice(b"\r\n");
                        framed
                    }
                    Framing::UntilClose | Framing::LyingLength => chunk,
                };
                // Until the client hangs up: it must, once it has had enough.
                while socket.write_all(&framed).await.is_ok() {}
            });
        }
    });
    format!("http://{addr}")
}
