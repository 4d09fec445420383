//! `mock`: both APIs served locally, with the mock's data, auth, paging and faults.

use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use backup_task_api::common::Secret;
use backup_task_api::mock::{self, Fault, MockConfig};

/// Serve both APIs locally (mock data, auth, filters, paging, fault injection) until Ctrl-C or SIGTERM.
/// The first line of stdout is the URL.
#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Synthetic records per API, besides the documented examples.
    #[arg(long, default_value_t = 250)]
    records: usize,
    /// Seed of the synthetic data and of fault selection.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The one CBR X-Auth-Token accepted (default: any non-empty token).
    #[arg(long)]
    cbr_token: Option<String>,
    /// CBR access key accepted for AK/SK signing (with --cbr-secret-key).
    #[arg(long, requires = "cbr_secret_key")]
    cbr_access_key: Option<String>,
    /// CBR secret key accepted for AK/SK signing (with --cbr-access-key).
    #[arg(long, requires = "cbr_access_key")]
    cbr_secret_key: Option<String>,
    /// OCP Basic user.
    #[arg(long, default_value = "admin")]
    ocp_user: String,
    /// OCP Basic password.
    #[arg(long, default_value = "admin")]
    ocp_password: String,
    /// OCP access key accepted for AK/SK signing (with --ocp-secret-key).
    #[arg(long, requires = "ocp_secret_key")]
    ocp_access_key: Option<String>,
    /// OCP secret key accepted for AK/SK signing (with --ocp-access-key).
    #[arg(long, requires = "ocp_access_key")]
    ocp_secret_key: Option<String>,
    /// Latency added to every authenticated response, in milliseconds (at most 30000).
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Fraction of authenticated requests (0 to 1) that get one of the --fault kinds, in turn.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// A fault to inject: 429, 503, truncate, non-json or latency=MS (MS at most 30000;
    /// repeatable). One authenticated request can also ask for one with the header
    /// `x-mock-fault: KIND`.
    #[arg(long = "fault", value_parser = |s: &str| s.parse::<Fault>())]
    faults: Vec<Fault>,
    /// Connections open at once; more wait until one closes. Keep it below the descriptor limit
    /// (ulimit -n).
    #[arg(long, default_value_t = mock::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// Milliseconds a client may take to send a request's headers, or leave a keep-alive
    /// connection idle, before the connection is closed.
    #[arg(long, default_value_t = mock::DEFAULT_HEADER_TIMEOUT.as_secs() * 1000)]
    header_timeout_ms: u64,
    /// Milliseconds a response may wait for the client to take any of it before the connection
    /// is closed.
    #[arg(long, default_value_t = mock::DEFAULT_WRITE_TIMEOUT.as_secs() * 1000)]
    write_timeout_ms: u64,
    /// Serve the exchanges recorded in FILE (by `proxy --record`) instead of mock data, matched
    /// on method, path and query (in any order, credentials ignored); the data, auth and fault
    /// options do not apply.
    #[arg(long, value_name = "FILE")]
    replay: Option<std::path::PathBuf>,
}

/// Runs `mock`: serves both APIs until Ctrl-C or SIGTERM; stdout is one line, the URL; the rest goes to
/// stderr.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = MockConfig {
        records: args.records,
        seed: args.seed,
        cbr_token: args.cbr_token.map(Secret::new),
        cbr_keys: args
            .cbr_access_key
            .clone()
            .zip(args.cbr_secret_key.map(Secret::new)),
        ocp_user: args.ocp_user.clone(),
        ocp_password: Secret::new(args.ocp_password.clone()),
        ocp_keys: args
            .ocp_access_key
            .clone()
            .zip(args.ocp_secret_key.map(Secret::new)),
        latency: Duration::from_millis(args.latency_ms),
        fault_rate: args.fault_rate,
        faults: args.faults,
        max_connections: args.max_connections,
        header_timeout: Duration::from_millis(args.header_timeout_ms),
        write_timeout: Duration::from_millis(args.write_timeout_ms),
    };
    // Before binding, so a bad option is a usage error and no URL is printed.
    config.validate().context("invalid mock options")?;
    if let Some(path) = &args.replay {
        return replay(path, args.addr, config);
    }
    super::runtime()?.block_on(async {
        // Listening before the URL goes out; see `stop_signal`.
        let stop = super::stop_signal();
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let addr = listener.local_addr()?;
        // Only the URL goes to stdout, so a script can read one line and close the pipe.
        let mut url_out = io::stdout().lock();
        writeln!(url_out, "http://{addr}")?;
        url_out.flush()?;
        drop(url_out);
        banner(&mut io::stderr().lock(), &config)?;
        mock::serve(listener, config, stop).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// What the mock serves and which credentials it takes, for stderr: never what the password or
/// a secret key is, since this text lands in terminals, CI logs and bug reports.
fn banner(out: &mut impl io::Write, config: &MockConfig) -> io::Result<()> {
    let signed = |keys: &Option<(String, Secret)>| match keys {
        Some((ak, _)) => format!(", or signed with access key {ak}"),
        None => String::new(),
    };
    let pinned = if config.cbr_token.is_some() {
        " (pinned by --cbr-token)"
    } else {
        ""
    };
    writeln!(
        out,
        "CBR: GET /v3/{}/operation-logs with any X-Auth-Token{pinned}{}",
        mock::CBR_PROJECT_ID,
        signed(&config.cbr_keys)
    )?;
    writeln!(
        out,
        "OCP: GET /api/v2/ob/clusters/{}/tenants/{}/backup/task/logBackupTasks \
         with Basic auth configured (user {}){}",
        mock::OCP_CLUSTER_ID,
        mock::OCP_TENANT_ID,
        config.ocp_user,
        signed(&config.ocp_keys)
    )?;
    writeln!(
        out,
        "{} synthetic records per API (seed {}); at most {} connections, {} ms for a request's \
         headers; Ctrl-C or SIGTERM stops",
        config.records,
        config.seed,
        config.max_connections,
        config.header_timeout.as_millis()
    )?;
    out.flush()
}

/// `mock --replay`: the recording is read before binding, so a bad one prints no URL.
fn replay(
    path: &std::path::Path,
    addr: SocketAddr,
    config: MockConfig,
) -> anyhow::Result<ExitCode> {
    let recording = mock::Recording::open(path)?;
    super::runtime()?.block_on(async {
        // Listening before the URL goes out; see `stop_signal`.
        let stop = super::stop_signal();
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let mut url_out = io::stdout().lock();
        writeln!(url_out, "http://{}", listener.local_addr()?)?;
        url_out.flush()?;
        drop(url_out);
        eprintln!(
            "replaying {} recorded exchanges from {}; Ctrl-C or SIGTERM stops",
            recording.len(),
            backup_task_api::common::terminal::escape(&path.display().to_string())
        );
        mock::serve_replay(listener, &config, recording, stop).await?;
        Ok(ExitCode::SUCCESS)
    })
}
