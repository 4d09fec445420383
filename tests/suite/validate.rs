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

use crate::support::{self, limited, run_in, settings, spawn};

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
    let out = run_in(dir.path(), &["validate", "--api", "cbr", "pages"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout, dir.path()),
        "pages/nested/bad.json: strict-readers: /limit: 0 is less than the minimum of 1\n\
         pages/nested/bad.json: breaking: /operation_logs/0/status: 42 is not one of \"success\", \"skipped\" or 4 other candidates\n\
         pages/nested/bad.json: breaking: /operation_logs/0/status: 42 is not of type \"string\"\n\
         pages/nested/broken.json:2:13: breaking: not JSON: expected ident\n"
    );
    assert_eq!(
        text(&out.stderr, dir.path()),
        "3 input(s) checked against cbr response 200: 2 invalid, 4 violation(s) (3 breaking)\n"
    );
}

#[test]
fn ndjson_reports_line_numbers_and_skips_blank_lines() {
    let dir = corpus();
    let out = run_in(
        dir.path(),
        &["validate", "--api", "cbr", "--ndjson", "traffic.ndjson"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout, dir.path()),
        "traffic.ndjson:3: breaking: /operation_logs: 7 is not of type \"array\"\n\
         traffic.ndjson:5:2: breaking: not JSON: key must be a string\n"
    );
    assert!(
        text(&out.stderr, dir.path()).starts_with("3 input(s) checked"),
        "{}",
        text(&out.stderr, dir.path())
    );
    let stdin = run_in(
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
    let out = run_in(
        dir.path(),
        &["validate", "--api", "cbr", "--format", "json", "pages"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let value: Value = serde_json::from_str(&text(&out.stdout, dir.path())).expect("JSON out");
    settings().bind(|| insta::assert_json_snapshot!("validate_json_pages", value));

    let ndjson = run_in(
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
    let out = run_in(
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
    let out = run_in(dir.path(), &["validate", "--api", "cbr", "pages"], b"");
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr, dir.path());
    assert_eq!(
        stderr,
        "error: cannot read pages/dangling.json: No such file or directory (os error 2)\n\
         4 input(s) checked against cbr response 200: 2 invalid, 4 violation(s) (3 breaking), 1 unreadable\n"
    );
    assert_eq!(
        text(&out.stdout, dir.path()).lines().count(),
        4,
        "the other files were still checked"
    );
    let json = run_in(
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
    let looped = run_in(dir.path(), &["validate", "--api", "cbr", "pages"], b"");
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
        let out = run_in(
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
    let out = run_in(dir.path(), &["validate", "--api", "cbr", "."], b"");
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout, dir.path());
    assert_eq!(
        stdout,
        "./binary.json:1:1: breaking: not JSON: expected value\n\
         ./deep.json:1:128: breaking: not JSON: recursion limit exceeded\n\
         ./deep_objects.json:1:636: breaking: not JSON: recursion limit exceeded\n\
         ./empty.json:1:0: breaking: not JSON: EOF while parsing a value\n\
         ./latin1.json:1:12: breaking: not JSON: invalid unicode code point\n"
    );
    assert!(!text(&out.stderr, dir.path()).contains("panicked"));
    let ndjson = run_in(
        dir.path(),
        &["validate", "--api", "cbr", "--ndjson", "recorded.ndjson"],
        b"",
    );
    assert_eq!(
        text(&ndjson.stdout, dir.path()),
        "recorded.ndjson:2:1: breaking: not JSON: expected value\n\
         recorded.ndjson:3:128: breaking: not JSON: recursion limit exceeded\n"
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
    let out = run_in(dir.path(), &["validate", "--api", "cbr", "."], b"");
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
    let out = run_in(
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
            "large_bad.json: strict-readers: /operation_logs/{last}/status: \"archived\" is not one of \"success\", \"skipped\" or 4 other candidates\n"
        )
    );
    eprintln!("two 10 MB documents checked in {took:?}");
}

/// How long a run that used to block forever gets before it counts as hung: a guard against a
/// test that never ends, not a measure of speed (every run here takes a few seconds at most).
const HANG_GUARD: Duration = Duration::from_secs(120);

/// Waits for `child`, killing it if it is still running after [`HANG_GUARD`].
fn finish(child: Child, what: &str) -> Output {
    support::finish(child, HANG_GUARD, what)
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
    let out = run_in(dir.path(), &["validate", "--api", "cbr", "."], b"");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        text(&out.stderr, dir.path())
    );
    assert_eq!(
        text(&out.stdout, dir.path()),
        "./count.json: breaking: /count: \"count\" occurs 2 times in one object; readers disagree on which one counts\n\
         ./record.json: breaking: /operation_logs/1/status: \"status\" occurs 3 times in one object; readers disagree on which one counts\n"
    );
    let ndjson = run_in(
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
        json!([{"pointer": "/count", "keyword": "duplicateKey", "impact": "breaking",
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
         4 input(s) checked against cbr response 200: 2 invalid, 4 violation(s) (3 breaking), 1 skipped\n"
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
    let out = run_in(
        dir.path(),
        &["validate", "--api", "cbr", "--max-bytes", &limit, "."],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr, dir.path()),
        format!(
            "error: cannot read ./b_large.json: larger than the limit of {limit} bytes (--max-bytes)\n\
             2 input(s) checked against cbr response 200: 0 invalid, 0 violation(s) (0 breaking), 1 unreadable\n"
        )
    );
    // The default is large enough for every fixture; nonsense is a usage error.
    assert_eq!(
        run_in(dir.path(), &["validate", "--api", "cbr", "."], b"")
            .status
            .code(),
        Some(0)
    );
    for bad in ["0", "10X", "-1", "99999999999G", ""] {
        let flag = format!("--max-bytes={bad}");
        let out = run_in(dir.path(), &["validate", "--api", "cbr", &flag, "."], b"");
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
                format!("-:{i}: breaking: /operation_logs: 7 is not of type \"array\"")
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
    let child = limited(&format!("-d {limit_kib}"), args)
        .current_dir(dir)
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
    let out = run_in(dir.path(), &["validate", "--api", "cbr", "."], b"");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        !stdout.contains(['\u{1b}', '\u{7}', '\u{9b}']),
        "a control reached the terminal: {stdout:?}"
    );
    assert_eq!(
        stdout,
        "./x\\x1b[2K.json: strict-readers: (root): Additional properties are not allowed ('\\x1b]0;pwned\\x07' was unexpected)\n\
         ./x\\x1b[2K.json: breaking: /count: \"\\u{9b}31m\" is not of type \"integer\"\n"
    );
    // JSON output stays exact.
    let json = run_in(
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
    // 200,000 lines of `{"count":-1,"operation_logs":7}`, each invalid twice (a bound the typed
    // reader survives, a type it does not: one breaking violation per line). Every result used to be held, sorted and written at
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
                "{lines} input(s) checked against cbr response 200: {lines} invalid, {} violation(s) ({lines} breaking)\n",
                2 * lines,
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
            "hostile.json: breaking: /operation_logs/0/checkpoint_id: {kept}... ({} more characters)\n",
            whole.chars().count() - 300
        )
    );
}

/// A page whose only violations are drift: an unknown member and an unknown enum value.
fn drifted_page() -> Value {
    let mut page = page();
    page["operation_logs"][0]["zone"] = json!("az1");
    page["operation_logs"][0]["status"] = json!("cancelled");
    page
}

#[test]
fn fail_on_breaking_passes_drift_and_still_reports_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "drift.json", drifted_page().to_string());
    let args = [
        "validate",
        "--api",
        "cbr",
        "--fail-on",
        "breaking",
        "drift.json",
    ];
    let out = run_in(dir.path(), &args, b"");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        text(&out.stderr, dir.path())
    );
    let stdout = text(&out.stdout, dir.path());
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(
        stdout
            .lines()
            .all(|l| l.starts_with("drift.json: strict-readers: ")),
        "{stdout}"
    );
    // The default is today's strictness: any violation fails.
    let strict = run_in(dir.path(), &["validate", "--api", "cbr", "drift.json"], b"");
    assert_eq!(strict.status.code(), Some(1));
    // A breaking violation fails either way.
    let mut broken = drifted_page();
    broken["count"] = json!("7");
    write(dir.path(), "broken.json", broken.to_string());
    let args = [
        "validate",
        "--api",
        "cbr",
        "--fail-on",
        "breaking",
        "broken.json",
    ];
    assert_eq!(run_in(dir.path(), &args, b"").status.code(), Some(1));
    // JUnit shows the drift-only payload as passed, with its violations in system-out.
    let args = [
        "validate",
        "--api",
        "cbr",
        "--fail-on",
        "breaking",
        "--format",
        "junit",
        "drift.json",
    ];
    let xml = text(&run_in(dir.path(), &args, b"").stdout, dir.path());
    assert!(
        xml.contains("failures=\"0\"") && xml.contains("<system-out>"),
        "{xml}"
    );
    assert!(
        xml.contains("[additionalProperties] strict-readers"),
        "{xml}"
    );
}

#[test]
fn ndjson_output_is_one_result_per_line_then_the_summary() {
    let dir = corpus();
    let args = ["validate", "--api", "cbr", "--format", "ndjson", "pages"];
    let out = run_in(dir.path(), &args, b"");
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<Value> = text(&out.stdout, dir.path())
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(lines[0]["path"], "pages/nested/bad.json");
    let impacts: Vec<&str> = lines[0]["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| v["impact"].as_str().expect("impact"))
        .collect();
    assert_eq!(impacts, ["strict-readers", "breaking", "breaking"]);
    assert_eq!(lines[1]["error"]["impact"], "breaking");
    assert_eq!(lines[3]["summary"]["breaking"], 3);
    assert_eq!(lines[3]["target"], "response 200");
}

/// One recorded exchange line.
fn exchange_line(api: Option<&str>, path: &str, status: u16, body: &str) -> String {
    let mut exchange = json!({
        "request": {"method": "GET", "path": path, "headers": [["x-auth-token", "<redacted>"]]},
        "response": {"status": status, "headers": [], "body": body}
    });
    if let Some(api) = api {
        exchange["api"] = json!(api);
    }
    exchange.to_string()
}

#[test]
fn exchanges_are_checked_against_their_operation_and_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cbr = "/v3/p1/operation-logs";
    let ocp = "/api/v2/ob/clusters/1/tenants/2/backup/task/logBackupTasks";
    let ocp_page = contract::examples(Api::Ocp).expect("spec")[0]
        .value
        .to_string();
    let lines = [
        exchange_line(Some("cbr"), cbr, 200, &page().to_string()),
        exchange_line(None, cbr, 200, &drifted_page().to_string()),
        String::new(),
        exchange_line(None, ocp, 200, &ocp_page),
        exchange_line(None, cbr, 404, r#"{"error_code": 7}"#),
        exchange_line(None, cbr, 502, "<html>bad gateway</html>"),
        exchange_line(None, "/v3/p1/backups", 200, "{}"),
        exchange_line(None, cbr, 200, "{\"count\":"),
    ];
    write(dir.path(), "traffic.ndjson", lines.join("\n") + "\n");
    let out = run_in(
        dir.path(),
        &["validate", "--exchanges", "traffic.ndjson"],
        b"",
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        text(&out.stderr, dir.path())
    );
    let stdout = text(&out.stdout, dir.path());
    let stderr = text(&out.stderr, dir.path());
    let expected = [
        "traffic.ndjson:2: strict-readers: /operation_logs/0: Additional properties are not allowed ('zone' was unexpected)",
        "traffic.ndjson:2: strict-readers: /operation_logs/0/status: \"cancelled\" is not one of \"success\", \"skipped\" or 4 other candidates",
        "traffic.ndjson:5: breaking: (root): {\"error_code\":7} is not valid under any of the schemas listed in the 'anyOf' keyword",
        "traffic.ndjson:5: breaking: /error_code: 7 is not of type \"string\"",
        "traffic.ndjson:6: strict-readers: (root): status 502 is not documented for GET /v3/{project_id}/operation-logs (documented: 200, 400, 401, 403, 404, 500)",
        "traffic.ndjson:8:9: breaking: not JSON: the response body (its line 1, column 9): EOF while parsing a value",
    ];
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected, "{stdout}");
    assert!(
        stderr.contains("warning: skipped traffic.ndjson:7: GET /v3/p1/backups is not an operation of the cbr or ocp contract"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(
            "7 input(s) checked against recorded exchanges: 4 invalid, 6 violation(s) (3 breaking), 1 skipped\n"
        ),
        "{stderr}"
    );
    // A line that is not an exchange is an unreadable input: exit 2, the rest still checked.
    write(dir.path(), "broken.ndjson", "{\"not\": \"an exchange\"}\n");
    let out = run_in(
        dir.path(),
        &[
            "validate",
            "--exchanges",
            "--format",
            "json",
            "broken.ndjson",
            "traffic.ndjson",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    let value: Value = serde_json::from_slice(&out.stdout).expect("JSON out");
    assert_eq!(value["target"], "exchanges");
    assert_eq!(value["results"][0]["error"]["kind"], "io");
    assert_eq!(value["summary"]["inputs"], 8);
}

/// Every mutation of every spec example that the contract calls drift only (all violations
/// strict-readers) still decodes with the typed reader: the impact never promises what the
/// reader does not keep. Each mutation is also checked on both validator paths (tape and
/// `Value`), which must agree on every violation and impact.
#[test]
fn strict_readers_violations_never_break_the_typed_reader() {
    fn leaves(value: &Value, pointer: String, out: &mut Vec<String>) {
        out.push(pointer.clone());
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    leaves(
                        v,
                        format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    )
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    leaves(v, format!("{pointer}/{i}"), out)
                }
            }
            _ => {}
        }
    }
    let replacements = [
        json!(null),
        json!("zz-unknown"),
        json!(""),
        json!(-1),
        json!(1001),
        json!(5_000_000_000_i64),
        json!(1.5),
        json!(true),
        json!({}),
        json!([]),
    ];
    let (mut drift_only, mut breaking) = (0, 0);
    for api in Api::ALL {
        let contract = contract::Contract::get(api).expect("compiles");
        for example in contract::examples(api).expect("spec") {
            let target = contract::Target::Response {
                status: example.status,
            };
            let mut pointers = Vec::new();
            leaves(&example.value, String::new(), &mut pointers);
            let mut mutations = Vec::new();
            for pointer in &pointers {
                for replacement in &replacements {
                    let mut mutated = example.value.clone();
                    if pointer.is_empty() {
                        continue;
                    }
                    *mutated.pointer_mut(pointer).expect("exists") = replacement.clone();
                    mutations.push(mutated);
                }
                let mut mutated = example.value.clone();
                if let Some(object) = mutated.pointer_mut(pointer).and_then(Value::as_object_mut) {
                    object.insert("zz_unknown".into(), json!(1));
                    mutations.push(mutated);
                }
            }
            for mutated in mutations {
                let violations = contract.validate(&target, &mutated).expect("target");
                let bytes = mutated.to_string();
                match contract
                    .check_bytes(&target, bytes.as_bytes())
                    .expect("target")
                {
                    contract::Verdict::Invalid { violations: tape } => {
                        assert_eq!(tape, violations, "{api} {}: {bytes}", example.name)
                    }
                    contract::Verdict::Valid => assert!(violations.is_empty()),
                    other => panic!("{other:?}"),
                }
                if violations.is_empty() {
                    continue;
                }
                if violations
                    .iter()
                    .all(|v| v.impact == contract::Impact::StrictReaders)
                {
                    drift_only += 1;
                    let decoded = crate::support::typed(api, &target, &mutated).expect("mapped");
                    assert!(
                        decoded.is_ok(),
                        "{api} {}: {violations:?} called drift, but the reader fails: {:?}\n{bytes}",
                        example.name,
                        decoded.err()
                    );
                } else {
                    breaking += 1;
                }
            }
        }
    }
    // Both kinds occur, so the test can fail either way.
    assert!(
        drift_only > 100 && breaking > 100,
        "{drift_only} drift, {breaking} breaking"
    );
}
