//! `validate` over many inputs, as a process: directories, NDJSON, the three output formats,
//! unreadable inputs, redaction, repeated member names, hostile and large input (FIFOs, endless
//! files, documents over the size cap, a huge failing value), streaming and bounded memory.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use backup_task_api::contract::{self, Api};
use serde_json::{Value, json};

use crate::support::settings;

const BIN: &str = env!("CARGO_BIN_EXE_backup-task-api");

/// Runs the binary in `dir` (so reported paths are relative and deterministic).
fn run(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .current_dir(dir)
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

/// Output as text, with the temporary directory (should it appear) replaced by `[TMP]`.
fn text(bytes: &[u8], dir: &Path) -> String {
    String::from_utf8_lossy(bytes).replace(&dir.display().to_string(), "[TMP]")
}

fn page() -> Value {
    contract::examples(Api::Cbr).expect("spec")[0].value.clone()
}

fn write(dir: &Path, relative: &str, bytes: impl AsRef<[u8]>) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

/// A tree with a valid page, an invalid one, non-JSON, a file that is not `*.json` (skipped) and
/// an NDJSON recording with a blank line and a CRLF line end.
fn corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "pages/ok.json", page().to_string());
    let mut bad = page();
    bad["operation_logs"][0]["status"] = json!(42);
    bad["limit"] = json!(0);
    write(root, "pages/nested/bad.json", bad.to_string());
    write(root, "pages/nested/broken.json", "{\n  \"count\": nope\n}");
    write(root, "pages/notes.txt", "not checked");
    let lines = [
        page().to_string(),
        String::new(),
        r#"{"count": 1, "operation_logs": 7}"#.to_owned(),
        "   ".to_owned(),
        "{trunc".to_owned(),
    ];
    write(root, "traffic.ndjson", lines.join("\r\n") + "\n");
    dir
}

#[test]
fn directories_are_searched_for_json_and_the_output_is_sorted() {
    let dir = corpus();
    let out = run(dir.path(), &["validate", "--api", "cbr", "pages"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout, dir.path()),
        "pages/nested/bad.json: /limit: 0 is less than the minimum of 1\n\
         pages/nested/bad.json: /operation_logs/0/status: 42 is not one of \"success\", \"skipped\" or 4 other candidates\n\
         pages/nested/bad.json: /operation_logs/0/status: 42 is not of type \"string\"\n\
         pages/nested/broken.json:2:13: not JSON: expected ident\n"
    );
    assert_eq!(
        text(&out.stderr, dir.path()),
        "3 input(s) checked against cbr response 200: 2 invalid, 4 violation(s)\n"
    );
}

#[test]
fn ndjson_reports_line_numbers_and_skips_blank_lines() {
    let dir = corpus();
    let out = run(
        dir.path(),
        &["validate", "--api", "cbr", "--ndjson", "traffic.ndjson"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout, dir.path()),
        "traffic.ndjson:3: /operation_logs: 7 is not of type \"array\"\n\
         traffic.ndjson:5:2: not JSON: key must be a string\n"
    );
    assert!(
        text(&out.stderr, dir.path()).starts_with("3 input(s) checked"),
        "{}",
        text(&out.stderr, dir.path())
    );
    let stdin = run(
        dir.path(),
        &["validate", "--api", "cbr", "--ndjson", "-"],
        b"\n{\"count\": 0, \"operation_logs\": []}\n\n",
    );
    assert_eq!(
        stdin.status.code(),
        Some(0),
        "{}",
        text(&stdin.stderr, dir.path())
    );
}

#[test]
fn json_output_is_snapshotted() {
    let dir = corpus();
    let out = run(
        dir.path(),
        &["validate", "--api", "cbr", "--format", "json", "pages"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let value: Value = serde_json::from_str(&text(&out.stdout, dir.path())).expect("JSON out");
    settings().bind(|| insta::assert_json_snapshot!("validate_json_pages", value));

    let ndjson = run(
        dir.path(),
        &[
            "validate",
            "--api",
            "cbr",
            "--ndjson",
            "--format",
            "json",
            "traffic.ndjson",
        ],
        b"",
    );
    let value: Value = serde_json::from_slice(&ndjson.stdout).expect("JSON out");
    settings().bind(|| insta::assert_json_snapshot!("validate_json_ndjson", value));
}

#[test]
fn junit_output_is_snapshotted_and_escapes_xml() {
    let dir = corpus();
    // A value with XML metacharacters must come out escaped, not break the document.
    let mut page = page();
    page["operation_logs"][0]["status"] = json!("<b>&\"done\"</b>");
    write(dir.path(), "pages/xml.json", page.to_string());
    let out = run(
        dir.path(),
        &["validate", "--api", "cbr", "--format", "junit", "pages"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let xml = text(&out.stdout, dir.path());
    assert!(xml.contains("&lt;b&gt;&amp;"), "{xml}");
    settings().bind(|| insta::assert_snapshot!("validate_junit_pages", xml));
}

#[test]
fn unreadable_inputs_are_reported_exit_2_and_the_rest_still_checked() {
    // As root, chmod cannot make a file unreadable; a dangling symlink named `*.json` fails to
    // open for everyone, so it stands in for one.
    let dir = corpus();
    std::os::unix::fs::symlink(
        dir.path().join("gone.json"),
        dir.path().join("pages/dangling.json"),
    )
    .expect("symlink");
    let out = run(dir.path(), &["validate", "--api", "cbr", "pages"], b"");
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr, dir.path());
    assert_eq!(
        stderr,
        "error: cannot read pages/dangling.json: No such file or directory (os error 2)\n\
         4 input(s) checked against cbr response 200: 2 invalid, 4 violation(s), 1 unreadable\n"
    );
    assert_eq!(
        text(&out.stdout, dir.path()).lines().count(),
        4,
        "the other files were still checked"
    );
    let json = run(
        dir.path(),
        &["validate", "--api", "cbr", "--format", "json", "pages"],
        b"",
    );
    assert_eq!(json.status.code(), Some(2));
    let value: Value = serde_json::from_slice(&json.stdout).expect("JSON out");
    assert_eq!(value["results"][0]["path"], "pages/dangling.json");
    assert_eq!(value["results"][0]["error"]["kind"], "io");
    // A symlink to a directory is not followed, so a link cycle cannot loop.
    std::os::unix::fs::symlink(
        dir.path().join("pages"),
        dir.path().join("pages/nested/loop"),
    )
    .expect("symlink");
    let looped = run(dir.path(), &["validate", "--api", "cbr", "pages"], b"");
    assert_eq!(looped.status.code(), Some(2));
    assert!(text(&looped.stderr, dir.path()).contains("4 input(s) checked"));
}

#[test]
fn credentials_in_payloads_never_reach_the_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A login response recorded where a page was expected, and a page with a header pasted in.
    write(
        dir.path(),
        "login.json",
        json!([{"access_token": "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0", "password": "hunter2"}])
            .to_string(),
    );
    let mut page = page();
    page["operation_logs"][0]["X-Auth-Token"] = json!("MIIZsecretTokenValue");
    page["operation_logs"][0]["extra_info"] = json!({"secret": 12345678});
    write(dir.path(), "page.json", page.to_string());
    for format in ["text", "json", "junit"] {
        let out = run(
            dir.path(),
            &["validate", "--api", "cbr", "--format", format, "."],
            b"",
        );
        assert_eq!(out.status.code(), Some(1), "{format}");
        let all = text(&out.stdout, dir.path()) + &text(&out.stderr, dir.path());
        for secret in ["eyJhbGciOiJIUzI1NiJ9", "hunter2", "MIIZsecret", "12345678"] {
            assert!(!all.contains(secret), "{format} leaks {secret}: {all}");
        }
        assert!(all.contains("redacted"), "{format}: {all}");
    }
}

#[test]
fn hostile_inputs_each_get_a_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: [(&str, Vec<u8>); 6] = [
        ("empty.json", Vec::new()),
        ("deep.json", "[".repeat(100_000).into_bytes()),
        ("deep_objects.json", "{\"a\":".repeat(100_000).into_bytes()),
        ("latin1.json", b"{\"count\": \"\xff\"}".to_vec()),
        ("binary.json", (0..=255u8).cycle().take(4096).collect()),
        (
            "bom.json",
            b"\xEF\xBB\xBF{\"count\": 0, \"operation_logs\": []}".to_vec(),
        ),
    ];
    for (name, bytes) in &cases {
        write(dir.path(), name, bytes);
    }
    let mut lines: Vec<u8> = b"\xEF\xBB\xBF{\"count\": 0, \"operation_logs\": []}\n".to_vec();
    lines.extend_from_slice(b"\xff\xfe\n");
    lines.extend_from_slice(&"[".repeat(100_000).into_bytes());
    write(dir.path(), "recorded.ndjson", lines);
    let out = run(dir.path(), &["validate", "--api", "cbr", "."], b"");
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout, dir.path());
    assert_eq!(
        stdout,
        "./binary.json:1:1: not JSON: expected value\n\
         ./deep.json:1:128: not JSON: recursion limit exceeded\n\
         ./deep_objects.json:1:636: not JSON: recursion limit exceeded\n\
         ./empty.json:1:0: not JSON: EOF while parsing a value\n\
         ./latin1.json:1:12: not JSON: invalid unicode code point\n"
    );
    assert!(!text(&out.stderr, dir.path()).contains("panicked"));
    let ndjson = run(
        dir.path(),
        &["validate", "--api", "cbr", "--ndjson", "recorded.ndjson"],
        b"",
    );
    assert_eq!(
        text(&ndjson.stdout, dir.path()),
        "recorded.ndjson:2:1: not JSON: expected value\n\
         recorded.ndjson:3:128: not JSON: recursion limit exceeded\n"
    );
}

#[test]
fn many_inputs_in_parallel_come_out_in_path_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..300 {
        let body = if i % 7 == 0 {
            json!({"count": i, "operation_logs": 7})
        } else {
            json!({"count": i, "operation_logs": []})
        };
        write(
            dir.path(),
            &format!("d{}/{i:03}.json", i % 5),
            body.to_string(),
        );
    }
    let out = run(dir.path(), &["validate", "--api", "cbr", "."], b"");
    assert_eq!(out.status.code(), Some(1));
    let reported: Vec<String> = text(&out.stdout, dir.path())
        .lines()
        .map(|l| l.split(':').next().expect("a path").to_owned())
        .collect();
    let mut expected: Vec<String> = (0..300)
        .filter(|i| i % 7 == 0)
        .map(|i| format!("./d{}/{i:03}.json", i % 5))
        .collect();
    expected.sort();
    assert_eq!(reported, expected);
    assert!(text(&out.stderr, dir.path()).contains("300 input(s) checked"));
}

/// Records of a CBR page (the documented one, varied) until the body reaches `bytes`.
fn large_page(bytes: usize) -> Vec<u8> {
    let template = page()["operation_logs"][0].clone();
    let one = template.to_string().len() + 1;
    let logs: Vec<Value> = (0..bytes / one + 1)
        .map(|i| {
            let mut log = template.clone();
            log["id"] = json!(format!("4827f2da-b008-4507-ab7d-{i:012}"));
            log
        })
        .collect();
    serde_json::to_vec(&json!({"count": logs.len(), "operation_logs": logs})).expect("json")
}

/// The 50 MB case runs in the benchmark (`benches/compare_ajv.sh`); a debug build here checks a
/// 10 MB document in a few seconds, one valid and one with a violation at its very end.
#[test]
fn a_large_document_gets_a_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = large_page(10 << 20);
    assert!(body.len() >= 10 << 20);
    write(dir.path(), "large.json", &body);
    let mut value: Value = serde_json::from_slice(&body).expect("json");
    let last = value["operation_logs"].as_array().expect("array").len() - 1;
    value["operation_logs"][last]["status"] = json!("archived");
    write(dir.path(), "large_bad.json", value.to_string());
    let started = Instant::now();
    let out = run(
        dir.path(),
        &["validate", "--api", "cbr", "large.json", "large_bad.json"],
        b"",
    );
    let took = started.elapsed();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        text(&out.stderr, dir.path())
    );
    assert_eq!(
        text(&out.stdout, dir.path()),
        format!(
            "large_bad.json: /operation_logs/{last}/status: \"archived\" is not one of \"success\", \"skipped\" or 4 other candidates\n"
        )
    );
    eprintln!("two 10 MB documents checked in {took:?}");
}

/// How long a run that used to block forever gets before it counts as hung: a guard against a
/// test that never ends, not a measure of speed (every run here takes a few seconds at most).
const HANG_GUARD: Duration = Duration::from_secs(120);

/// Waits for `child`, killing it (by its id) if it is still running after [`HANG_GUARD`].
fn finish(child: Child, what: &str) -> Output {
    let pid = child.id().to_string();
    let (done, wait) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match wait.recv_timeout(HANG_GUARD) {
        Ok(output) => output.expect("binary finishes"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid]).status();
            panic!("{what}: still running after {HANG_GUARD:?}, so it hung");
        }
    }
}

fn spawn(dir: &Path, args: &[&str], stdin: Stdio) -> Child {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts")
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
}

#[test]
fn repeated_member_names_are_violations() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Valid under "the last one wins", which is how it passed before; other readers keep the first.
    write(
        dir.path(),
        "count.json",
        r#"{"count": "x", "count": 0, "operation_logs": []}"#,
    );
    // Inside a record, three times; and the same names in different records, which is fine.
    let record = page()["operation_logs"][0].to_string();
    let repeated = format!(
        r#"{{"count": 2, "operation_logs": [{}, {{"status": "success", "status": "failed", {}]}}"#,
        record,
        &record[1..]
    );
    write(dir.path(), "record.json", repeated);
    write(
        dir.path(),
        "traffic.ndjson",
        "{\"count\": 0, \"operation_logs\": []}\n{\"count\": 0, \"operation_logs\": [], \"count\": 0}\n",
    );
    let out = run(dir.path(), &["validate", "--api", "cbr", "."], b"");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        text(&out.stderr, dir.path())
    );
    assert_eq!(
        text(&out.stdout, dir.path()),
        "./count.json: /count: \"count\" occurs 2 times in one object; readers disagree on which one counts\n\
         ./record.json: /operation_logs/1/status: \"status\" occurs 3 times in one object; readers disagree on which one counts\n"
    );
    let ndjson = run(
        dir.path(),
        &[
            "validate",
            "--api",
            "cbr",
            "--ndjson",
            "--format",
            "json",
            "traffic.ndjson",
        ],
        b"",
    );
    assert_eq!(ndjson.status.code(), Some(1));
    let value: Value = serde_json::from_slice(&ndjson.stdout).expect("JSON out");
    assert_eq!(value["results"][0]["valid"], true);
    assert_eq!(
        value["results"][1]["violations"],
        json!([{"pointer": "/count", "keyword": "duplicateKey",
                "message": "\"count\" occurs 2 times in one object; readers disagree on which one counts"}])
    );
}

#[test]
fn a_fifo_in_a_directory_is_skipped_not_waited_on() {
    let dir = corpus();
    mkfifo(&dir.path().join("pages/nested/a.json"));
    // Named `.txt`, a FIFO is not an input at all.
    mkfifo(&dir.path().join("pages/pipe.txt"));
    let child = spawn(
        dir.path(),
        &["validate", "--api", "cbr", "pages"],
        Stdio::null(),
    );
    let out = finish(child, "validate over a directory holding a FIFO");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr, dir.path()),
        "warning: skipped pages/nested/a.json: not a regular file (a FIFO)\n\
         4 input(s) checked against cbr response 200: 2 invalid, 4 violation(s), 1 skipped\n"
    );
    assert_eq!(text(&out.stdout, dir.path()).lines().count(), 4);
    let json = finish(
        spawn(
            dir.path(),
            &["validate", "--api", "cbr", "--format", "json", "pages"],
            Stdio::null(),
        ),
        "the same as JSON",
    );
    let value: Value = serde_json::from_slice(&json.stdout).expect("JSON out");
    assert_eq!(value["results"][0]["path"], "pages/nested/a.json");
    assert_eq!(value["results"][0]["error"]["kind"], "skipped");
    assert_eq!(value["summary"]["skipped"], 1);
}

#[test]
fn a_pipe_named_on_the_command_line_is_read() {
    // What `validate <(curl ...)` hands over: the caller means it, so it is read to its end.
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("live.json");
    mkfifo(&fifo);
    let body = page().to_string();
    let writer = std::thread::spawn(move || std::fs::write(fifo, body));
    let child = spawn(
        dir.path(),
        &["validate", "--api", "cbr", "live.json"],
        Stdio::null(),
    );
    let out = finish(child, "validate of a named pipe");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        text(&out.stderr, dir.path())
    );
    writer.join().expect("writer").expect("written");
}

#[test]
fn endless_input_stops_at_max_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let zero = || Stdio::from(std::fs::File::open("/dev/zero").expect("/dev/zero"));
    let cases: [(&[&str], Stdio, &str); 4] = [
        (
            &["validate", "--api", "cbr", "--max-bytes", "1K", "/dev/zero"],
            Stdio::null(),
            "error: cannot read /dev/zero: larger than the limit of 1024 bytes (--max-bytes)\n",
        ),
        (
            &["validate", "--api", "cbr", "--max-bytes", "1K", "-"],
            zero(),
            "error: cannot read -: larger than the limit of 1024 bytes (--max-bytes)\n",
        ),
        (
            &[
                "validate",
                "--api",
                "cbr",
                "--max-bytes",
                "1K",
                "--ndjson",
                "/dev/zero",
            ],
            Stdio::null(),
            "error: cannot read /dev/zero:1: line 1 is larger than the limit of 1024 bytes (--max-bytes); the rest of the input is not read\n",
        ),
        (
            &[
                "validate",
                "--api",
                "cbr",
                "--max-bytes",
                "1K",
                "--ndjson",
                "-",
            ],
            zero(),
            "error: cannot read -:1: line 1 is larger than the limit of 1024 bytes (--max-bytes); the rest of the input is not read\n",
        ),
    ];
    for (args, stdin, expected) in cases {
        let out = finish(spawn(dir.path(), args, stdin), &args.join(" "));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr, dir.path());
        assert!(stderr.starts_with(expected), "{args:?}: {stderr}");
        assert!(stderr.ends_with("1 unreadable\n"), "{args:?}: {stderr}");
    }
}

#[test]
fn documents_over_max_bytes_are_unreadable_and_the_rest_still_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let small = r#"{"count": 0, "operation_logs": []}"#;
    write(dir.path(), "a_small.json", small);
    write(dir.path(), "b_large.json", page().to_string());
    let limit = (small.len() + 1).to_string();
    let out = run(
        dir.path(),
        &["validate", "--api", "cbr", "--max-bytes", &limit, "."],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr, dir.path()),
        format!(
            "error: cannot read ./b_large.json: larger than the limit of {limit} bytes (--max-bytes)\n\
             2 input(s) checked against cbr response 200: 0 invalid, 0 violation(s), 1 unreadable\n"
        )
    );
    // The default is large enough for every fixture; nonsense is a usage error.
    assert_eq!(
        run(dir.path(), &["validate", "--api", "cbr", "."], b"")
            .status
            .code(),
        Some(0)
    );
    for bad in ["0", "10X", "-1", "99999999999G", ""] {
        let flag = format!("--max-bytes={bad}");
        let out = run(dir.path(), &["validate", "--api", "cbr", &flag, "."], b"");
        assert_eq!(out.status.code(), Some(2), "--max-bytes {bad:?}");
        assert!(
            text(&out.stderr, dir.path()).contains("--max-bytes"),
            "{}",
            text(&out.stderr, dir.path())
        );
    }
}

#[test]
fn ndjson_on_a_pipe_is_reported_as_its_lines_come() {
    // Recorded traffic still being written: each result must come before the input ends, which
    // reading the whole input first never allows.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = spawn(
        dir.path(),
        &["validate", "--api", "cbr", "--ndjson", "-"],
        Stdio::piped(),
    );
    let mut stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let (line_read, next_line) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if line_read.send(line).is_err() {
                return;
            }
        }
    });
    for i in 1..=3 {
        writeln!(stdin, "{{\"count\": {i}, \"operation_logs\": 7}}").expect("write a line");
        stdin.flush().expect("flush");
        match next_line.recv_timeout(HANG_GUARD) {
            Ok(line) => assert_eq!(
                line.expect("UTF-8"),
                format!("-:{i}: /operation_logs: 7 is not of type \"array\"")
            ),
            Err(_) => {
                let _ = child.kill();
                panic!("no result for line {i} while the input was still open");
            }
        }
    }
    drop(stdin);
    let out = finish(child, "validate of a pipe");
    assert_eq!(out.status.code(), Some(1));
}

/// `validate` in a shell whose data segment is capped at `limit_kib` (`ulimit -d`): a run that
/// needs more fails to allocate and aborts. Two rayon threads and two malloc arenas, so the
/// figure does not depend on the machine's cores.
fn run_capped(dir: &Path, limit_kib: usize, args: &[&str]) -> Output {
    let child = Command::new("sh")
        .current_dir(dir)
        .arg("-c")
        .arg(format!("ulimit -d {limit_kib} && exec \"$0\" \"$@\""))
        .arg(BIN)
        .args(args)
        .env("RAYON_NUM_THREADS", "2")
        .env("MALLOC_ARENA_MAX", "2")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sh starts");
    finish(child, &args.join(" "))
}

#[test]
fn text_output_escapes_what_a_terminal_would_obey() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A C1 control (JSON leaves it raw) in a value, ESC and BEL in a member name, ESC in a path.
    let body = r#"{"count": "\u009b31m", "operation_logs": [], "\u001b]0;pwned\u0007": 1}"#;
    write(dir.path(), "x\u{1b}[2K.json", body);
    let out = run(dir.path(), &["validate", "--api", "cbr", "."], b"");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        !stdout.contains(['\u{1b}', '\u{7}', '\u{9b}']),
        "a control reached the terminal: {stdout:?}"
    );
    assert_eq!(
        stdout,
        "./x\\x1b[2K.json: (root): Additional properties are not allowed ('\\x1b]0;pwned\\x07' was unexpected)\n\
         ./x\\x1b[2K.json: /count: \"\\u{9b}31m\" is not of type \"integer\"\n"
    );
    // JSON output stays exact.
    let json = run(
        dir.path(),
        &["validate", "--api", "cbr", "--format", "json", "."],
        b"",
    );
    let value: Value = serde_json::from_slice(&json.stdout).expect("JSON out");
    assert_eq!(value["results"][0]["path"], "./x\u{1b}[2K.json");
    assert_eq!(
        value["results"][0]["violations"][1]["message"],
        "\"\u{9b}31m\" is not of type \"integer\""
    );
}

#[test]
fn ndjson_memory_follows_the_work_in_flight_not_the_lines() {
    // 200,000 lines of `{"count":-1,"operation_logs":7}`, each invalid twice. Every result used to be held, sorted and written at
    // the end: about 180 MB at this size (845 MB for a million lines), over the cap below.
    // Checked and written a batch at a time, the run stays near 30 MB in every format.
    let dir = tempfile::tempdir().expect("tempdir");
    let lines = 200_000;
    write(
        dir.path(),
        "lines.ndjson",
        "{\"count\":-1,\"operation_logs\":7}\n".repeat(lines),
    );
    for format in ["text", "json", "junit"] {
        let args = [
            "validate",
            "--api",
            "cbr",
            "--ndjson",
            "--format",
            format,
            "lines.ndjson",
        ];
        let out = run_capped(dir.path(), 100_000, &args);
        let stderr = text(&out.stderr, dir.path());
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
        assert!(
            stderr.ends_with(&format!(
                "{lines} input(s) checked against cbr response 200: {lines} invalid, {} violation(s)\n",
                2 * lines
            )),
            "{format}: {stderr}"
        );
        let stdout = String::from_utf8(out.stdout).expect("UTF-8");
        let reported = match format {
            "text" => stdout.lines().count() / 2,
            "json" => {
                let value: Value = serde_json::from_str(&stdout).expect("JSON out");
                value["results"].as_array().expect("results").len()
            }
            _ => stdout.matches("<testcase ").count(),
        };
        assert_eq!(reported, lines, "{format}");
    }
}

#[test]
fn an_invalid_document_costs_about_what_a_valid_one_does() {
    // The reference page with one string (`checkpoint_id`) an array of 300,000 small objects,
    // 2.4 MB. Its violation used to copy the failing array into a `Value` (a map per object) and
    // render it whole three times: about 250 MB at its peak, over the cap below. Checked and
    // rendered on the tape, and only as far as the message shows it, it takes about 70.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut value = page();
    value["operation_logs"][0]["checkpoint_id"] = Value::Array(vec![json!({"a": 1}); 300_000]);
    write(dir.path(), "hostile.json", value.to_string());
    let out = run_capped(
        dir.path(),
        150_000,
        &["validate", "--api", "cbr", "hostile.json"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        text(&out.stderr, dir.path())
    );
    // The message is cut as before and counts what it left out.
    let whole = format!(
        "{} is not of type \"string\"",
        value["operation_logs"][0]["checkpoint_id"]
    );
    let kept: String = whole.chars().take(300).collect();
    assert_eq!(
        text(&out.stdout, dir.path()),
        format!(
            "hostile.json: /operation_logs/0/checkpoint_id: {kept}... ({} more characters)\n",
            whole.chars().count() - 300
        )
    );
}
