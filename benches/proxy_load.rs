//! What the proxy adds: latency and throughput of the mock alone beside the mock behind
//! `backup-task-api proxy`. Run: `cargo bench --bench proxy_load` (a release build).
//!
//! Spawns `mock` (100,000 synthetic records per API) and `proxy --upstream MOCK` as processes
//! of their own, the proxy's per-exchange lines going to /dev/null, then for each of the two
//! URLs requests one 100-record CBR page as fast as it can, first from 1 connection and then
//! from 16 concurrent keep-alive connections, a few seconds each, and prints requests per
//! second and the latency percentiles of every request. The figure the README quotes is the
//! difference at p50 and p99. Self-contained on purpose: no helpers shared with other benches.

use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
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

/// Starts the binary with `args` and returns it with the URL it prints first.
fn spawn(args: &[&str]) -> (Process, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_backup-task-api"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let mut url = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut url)
        .expect("URL line");
    (Process(child), url.trim().to_owned())
}

/// Requests `url` from `connections` workers for [`LOAD_SECONDS`]; every request's latency.
async fn load(url: String, connections: usize) -> (Vec<Duration>, Duration) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    // Warm-up: connections opened, the proxy's contract compiled.
    for _ in 0..20 {
        let _ = client
            .get(&url)
            .header("x-auth-token", "bench")
            .send()
            .await
            .expect("answers")
            .bytes()
            .await;
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(LOAD_SECONDS);
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
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
    let (_mock, mock_url) = spawn(&["mock", "--addr", "127.0.0.1:0", "--records", RECORDS]);
    let (_proxy, proxy_url) = spawn(&["proxy", "--upstream", &mock_url, "--listen", "127.0.0.1:0"]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "machine: {} cores; one 100-record CBR page; {LOAD_SECONDS} s per run",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    for connections in [1, 16] {
        let mut p = Vec::new();
        for (name, base) in [("mock alone", &mock_url), ("via proxy", &proxy_url)] {
            let url = format!(
                "{base}/v3/{}/operation-logs?limit=100&offset=500",
                backup_task_api::mock::CBR_PROJECT_ID
            );
            let (mut latencies, took) = runtime.block_on(load(url, connections));
            latencies.sort_unstable();
            let (p50, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));
            println!(
                "{connections:>2} connections, {name:<10}: {:>6.0} requests/s, p50 {:.2} ms, p99 {:.2} ms ({} requests)",
                latencies.len() as f64 / took.as_secs_f64(),
                ms(p50),
                ms(p99),
                latencies.len()
            );
            p.push((p50, p99));
        }
        println!(
            "{connections:>2} connections, added by the proxy: p50 {:+.2} ms, p99 {:+.2} ms",
            ms(p[1].0) - ms(p[0].0),
            ms(p[1].1) - ms(p[0].1)
        );
    }
}
