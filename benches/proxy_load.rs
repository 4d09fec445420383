//! What the proxy adds: latency and throughput of the mock alone beside the mock behind
//! `backup-task-api proxy`. Run: `cargo bench --bench proxy_load` (a release build).
//!
//! Spawns `mock` (100,000 synthetic records per API) and `proxy --upstream MOCK` as processes
//! of their own, the proxy's per-exchange lines going to /dev/null, then for each of the two
//! URLs requests one 100-record CBR page as fast as it can, first from 1 connection and then
//! from 16 concurrent keep-alive connections, a few seconds each, and prints requests per
//! second and the latency percentiles of every request. The figure the README quotes is the
//! difference at p50 and p99. Self-contained on purpose: no helpers shared with other benches.
//!
//! `PROXY_LOAD_BASELINE=PATH` also runs the proxy of another build of this binary (an older
//! commit's `target/release/backup-task-api`, copied aside) in front of the same mock, each run
//! right beside this build's, so a before/after comparison comes from one session of one
//! machine's load. `PROXY_LOAD_SECONDS` changes the seconds per run (default 5).

use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const RECORDS: &str = "100000";
const LOAD_SECONDS: u64 = 5;

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `binary` with `args` and returns it with the URL it prints first and a count of the
/// lines it has written to stderr so far (the proxy writes one per exchange once it is checked).
fn spawn(binary: &str, args: &[&str]) -> (Process, String, Arc<AtomicU64>) {
    let mut child = Command::new(binary)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut url = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut url)
        .expect("URL line");
    let lines = Arc::new(AtomicU64::new(0));
    let counted = lines.clone();
    let stderr = std::io::BufReader::new(child.stderr.take().expect("piped"));
    std::thread::spawn(move || {
        for line in stderr.split(b'\n') {
            if line.is_err() {
                break;
            }
            counted.fetch_add(1, Ordering::Relaxed);
        }
    });
    (Process(child), url.trim().to_owned(), lines)
}

/// A proxy process's id and its count of stderr lines.
type Watched<'a> = (u32, &'a AtomicU64);

/// Waits until `lines` reaches `expected` (or a minute passes); how long that took.
fn caught_up(lines: &AtomicU64, expected: u64) -> Duration {
    let started = Instant::now();
    while lines.load(Ordering::Relaxed) < expected && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(1));
    }
    started.elapsed()
}

/// CPU time (user and system, every thread) process `pid` has used so far, from `/proc`; `None`
/// off Linux. Load-independent where wall-clock figures are not: it says what a request costs
/// the server, not how long it waited for a core.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces: the
    // line's 14th and 15th, utime and stime, are the 12th and 13th of these.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // In USER_HZ, which Linux fixes at 100 for this interface.
    Some(Duration::from_millis(ticks * 10))
}

/// Opens connections and lets the proxy compile its contract before anything is measured.
async fn warm_up(client: &reqwest::Client, url: &str) {
    for _ in 0..20 {
        let _ = client
            .get(url)
            .header("x-auth-token", "bench")
            .send()
            .await
            .expect("answers")
            .bytes()
            .await;
    }
}

/// Requests `url` from `connections` workers for `seconds`; every request's latency.
async fn load(
    client: &reqwest::Client,
    url: &str,
    connections: usize,
    seconds: u64,
) -> (Vec<Duration>, Duration) {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_owned());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let response = client
                        .get(&url)
                        .header("x-auth-token", "bench")
                        .send()
                        .await
                        .expect("answers");
                    assert!(response.status().is_success(), "{}", response.status());
                    let body = response.bytes().await.expect("body");
                    assert!(body.len() > 1000);
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.expect("worker"));
    }
    (all, started.elapsed())
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let rank = ((fraction * sorted.len() as f64).ceil() as usize).max(1) - 1;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let this = env!("CARGO_BIN_EXE_backup-task-api");
    let seconds = std::env::var("PROXY_LOAD_SECONDS")
        .ok()
        .map_or(LOAD_SECONDS, |s| {
            s.parse().expect("PROXY_LOAD_SECONDS: whole seconds")
        });
    let baseline = std::env::var("PROXY_LOAD_BASELINE").ok();
    let (mock, mock_url, _) = spawn(
        this,
        &["mock", "--addr", "127.0.0.1:0", "--records", RECORDS],
    );
    let proxy_args = ["proxy", "--upstream", &mock_url, "--listen", "127.0.0.1:0"];
    let mut proxies = Vec::new();
    if let Some(binary) = &baseline {
        proxies.push(("baseline proxy", spawn(binary, &proxy_args)));
    }
    proxies.push(("via proxy", spawn(this, &proxy_args)));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "machine: {} cores; one 100-record CBR page; {seconds} s per run",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let mock_pid = mock.0.id();
    let targets: Vec<(&str, &str, Option<Watched>)> =
        std::iter::once(("mock alone", mock_url.as_str(), None))
            .chain(proxies.iter().map(|(name, (process, url, lines))| {
                (*name, url.as_str(), Some((process.0.id(), &**lines)))
            }))
            .collect();
    let _ = rustls::crypto::ring::default_provider().install_default();
    for connections in [1, 16] {
        let mut p = Vec::new();
        for (name, base, proxy) in &targets {
            let proxy_pid = proxy.map(|(pid, _)| pid);
            let lines_before = proxy.map(|(_, lines)| lines.load(Ordering::Relaxed));
            let url = format!(
                "{base}/v3/{}/operation-logs?limit=100&offset=500",
                backup_task_api::mock::CBR_PROJECT_ID
            );
            let client = reqwest::Client::new();
            runtime.block_on(warm_up(&client, &url));
            let cpu = |pid: Option<u32>| pid.and_then(cpu_time);
            let before = (cpu(Some(mock_pid)), cpu(proxy_pid));
            let (mut latencies, took) = runtime.block_on(load(&client, &url, connections, seconds));
            let after = (cpu(Some(mock_pid)), cpu(proxy_pid));
            latencies.sort_unstable();
            let n = latencies.len();
            let (p50, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));
            let per_request = |before: Option<Duration>, after: Option<Duration>| {
                before.zip(after).map_or("?".to_owned(), |(b, a)| {
                    format!("{:.0}", (a - b).as_secs_f64() * 1e6 / n as f64)
                })
            };
            let mut cpu_text = format!("mock {} µs", per_request(before.0, after.0));
            if proxy_pid.is_some() {
                cpu_text += &format!(", proxy {} µs", per_request(before.1, after.1));
            }
            println!(
                "{connections:>2} connections, {name:<14}: {:>6.0} requests/s, p50 {:.2} ms, p99 {:.2} ms ({n} requests; CPU per request: {cpu_text})",
                n as f64 / took.as_secs_f64(),
                ms(p50),
                ms(p99),
            );
            p.push((*name, p50, p99));
            // Every exchange must be checked, not only answered: how far the checks (one line
            // each) were behind when the load stopped, and how long they took to catch up.
            if let (Some((_, lines)), Some(before)) = (proxy, lines_before) {
                let expected = before + 20 + n as u64;
                let behind = expected.saturating_sub(lines.load(Ordering::Relaxed));
                let took = caught_up(lines, expected);
                println!(
                    "{connections:>2} connections, {name:<14}: checks {behind} exchanges behind at the end, caught up in {:.0} ms",
                    ms(took)
                );
            }
        }
        for (name, p50, p99) in &p[1..] {
            println!(
                "{connections:>2} connections, added by the {}: p50 {:+.2} ms, p99 {:+.2} ms",
                name.trim_start_matches("via "),
                ms(*p50) - ms(p[0].1),
                ms(*p99) - ms(p[0].2)
            );
        }
    }
}
