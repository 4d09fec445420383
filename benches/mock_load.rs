//! Load on the mock and memory of a streaming client. Run: `cargo bench --bench mock_load`.
//!
//! Spawns `backup-task-api mock` as its own process with 100,000 synthetic records per API, then
//! 1. sends as many requests for one 100-record page as it can for a few seconds from concurrent
//!    keep-alive connections, per API, and reports requests per second;
//! 2. streams every CBR record with the typed client (pages of 1,000) and reports records per
//!    second and this process's peak resident memory while streaming (Linux `VmHWM`, reset before
//!    the run through `/proc/self/clear_refs`), beside the same for `collect_all`.

use std::io::BufRead as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backup_task_api::{cbr, mock};
use futures::StreamExt as _;

const RECORDS: &str = "100000";
const LOAD_SECONDS: u64 = 5;
const CONNECTIONS: usize = 16;

fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn reset_peak() {
    // "5" resets the peak RSS (Linux 4.0+); elsewhere the figure is the process's lifetime peak.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

async fn load(url: String, token_header: (&'static str, String)) -> (u64, Duration) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(LOAD_SECONDS);
    let started = Instant::now();
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (client, url, header) = (client.clone(), url.clone(), token_header.clone());
            tokio::spawn(async move {
                let mut done = 0u64;
                while Instant::now() < deadline {
                    let response = client
                        .get(&url)
                        .header(header.0, &header.1)
                        .send()
                        .await
                        .expect("mock answers");
                    assert!(response.status().is_success(), "{}", response.status());
                    let body = response.bytes().await.expect("body");
                    assert!(body.len() > 1000);
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut total = 0;
    for worker in workers {
        total += worker.await.expect("worker");
    }
    (total, started.elapsed())
}

fn main() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_backup-task-api"))
        .args(["mock", "--addr", "127.0.0.1:0", "--records", RECORDS])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("mock starts");
    let mut url = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut url)
        .expect("URL line");
    let url = url.trim().to_owned();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "machine: {} cores; mock: {RECORDS} records per API, {url}",
        std::thread::available_parallelism().map_or(0, usize::from)
    );

    let cbr_page = format!(
        "{url}/v3/{}/operation-logs?limit=100&offset=500",
        mock::CBR_PROJECT_ID
    );
    let (n, took) = runtime.block_on(load(cbr_page, ("x-auth-token", "bench".into())));
    println!(
        "cbr: one 100-record page: {:.0} requests/s ({n} in {:.1}s, {CONNECTIONS} connections)",
        n as f64 / took.as_secs_f64(),
        took.as_secs_f64()
    );
    let ocp_page = format!(
        "{url}/api/v2/ob/clusters/{}/tenants/{}/backup/task/logBackupTasks?page=6&size=100",
        mock::OCP_CLUSTER_ID,
        mock::OCP_TENANT_ID
    );
    let basic = ("authorization", "Basic YWRtaW46YWRtaW4=".to_owned());
    let (n, took) = runtime.block_on(load(ocp_page, basic));
    println!(
        "ocp: one 100-record page: {:.0} requests/s ({n} in {:.1}s, {CONNECTIONS} connections)",
        n as f64 / took.as_secs_f64(),
        took.as_secs_f64()
    );

    let client = cbr::Client::builder(&url, mock::CBR_PROJECT_ID)
        .with_token("bench")
        .build()
        .expect("client");
    let baseline = proc_status_kb("VmRSS:").unwrap_or_default();
    reset_peak();
    let started = Instant::now();
    let streamed = runtime.block_on(async {
        let mut stream = Box::pin(client.list_op_logs(cbr::ListFilters::default()).stream());
        let mut n = 0u64;
        while let Some(log) = stream.next().await {
            std::hint::black_box(log.expect("record"));
            n += 1;
        }
        n
    });
    let took = started.elapsed();
    let peak = proc_status_kb("VmHWM:").unwrap_or_default();
    println!(
        "cbr stream: {streamed} records in {:.2}s = {:.0} records/s; peak RSS {:.1} MiB ({:+.1} MiB over the {:.1} MiB before)",
        took.as_secs_f64(),
        streamed as f64 / took.as_secs_f64(),
        peak as f64 / 1024.0,
        (peak as f64 - baseline as f64) / 1024.0,
        baseline as f64 / 1024.0
    );
    reset_peak();
    let started = Instant::now();
    let collected = runtime
        .block_on(
            client
                .list_op_logs(cbr::ListFilters::default())
                .collect_all(),
        )
        .expect("all");
    let took = started.elapsed();
    let peak = proc_status_kb("VmHWM:").unwrap_or_default();
    println!(
        "cbr collect_all (for comparison): {} records in {:.2}s; peak RSS {:.1} MiB",
        collected.len(),
        took.as_secs_f64(),
        peak as f64 / 1024.0
    );
    drop(collected);
    let _ = child.kill();
    let _ = child.wait();
}
