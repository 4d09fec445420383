//! The `proxy` command: [`backup_task_api::proxy`] plus the lines it prints.

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use backup_task_api::common::terminal::escape;
use backup_task_api::contract::Api;
use backup_task_api::mock;
use backup_task_api::proxy::{self, Proxy, ProxyConfig, Recorder};

/// Forward requests to a real (or mock) service, check every response against the contract,
/// print one line per exchange and a summary on Ctrl-C or SIGTERM, and with --record append
/// each exchange to a file. The first line of stdout is the URL. Exit 1 when a response broke
/// the contract.
#[derive(clap::Args)]
pub struct Args {
    /// The service's base URL, http or https (such as https://cbr.cn-north-4.myhuaweicloud.com).
    #[arg(long)]
    upstream: String,
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// Append each exchange to FILE as one NDJSON line, credentials redacted (created 0600;
    /// a symbolic link is refused).
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// The API every response is checked against (default: told from each request's path).
    #[arg(long, value_parser = |s: &str| s.parse::<Api>())]
    api: Option<Api>,
    /// Milliseconds for one whole exchange with the upstream, body included.
    #[arg(long, default_value_t = proxy::DEFAULT_TIMEOUT.as_secs() * 1000)]
    timeout_ms: u64,
    /// Client connections open at once; more wait until one closes.
    #[arg(long, default_value_t = mock::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
}

/// `proxy`: forwards to the upstream until Ctrl-C or SIGTERM; stdout is one line, the URL;
/// stderr has one line per exchange and the summary. Exit 1 when a response broke the contract.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = ProxyConfig {
        api: args.api,
        timeout: Duration::from_millis(args.timeout_ms),
        max_connections: args.max_connections,
        ..ProxyConfig::new(args.upstream.clone())
    };
    let recorder = args
        .record
        .as_deref()
        .map(Recorder::open)
        .transpose()
        .context("--record")?;
    // Before binding, so a bad option is an error and no URL is printed.
    let proxy = Proxy::new(config, recorder).context("invalid proxy options")?;
    super::runtime()?.block_on(async {
        // Listening before the URL goes out; see `stop_signal`.
        let stop = super::stop_signal();
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let addr = listener.local_addr()?;
        let mut url_out = io::stdout().lock();
        writeln!(url_out, "http://{addr}")?;
        url_out.flush()?;
        drop(url_out);
        eprintln!(
            "proxying to {}{}{}; Ctrl-C or SIGTERM stops",
            escape(&args.upstream),
            match args.api {
                Some(api) => format!(", checking every response against {api}"),
                None => ", checking each response against the API its path names".to_owned(),
            },
            match &args.record {
                Some(path) => format!(", recording to {}", escape(&path.display().to_string())),
                None => String::new(),
            }
        );
        let mut line = String::new();
        let summary = proxy
            .serve(
                listener,
                move |observed| {
                    // Formatted first, then written in one piece: stderr is unbuffered, and
                    // `writeln!` straight to it made a system call of every part of the line.
                    line.clear();
                    let _ = writeln!(line, "{observed}");
                    // A closed stderr stops nothing: the traffic still flows and is recorded.
                    let _ = io::stderr().write_all(line.as_bytes());
                },
                stop,
            )
            .await?;
        eprintln!("{summary}");
        Ok(super::exit::verdict(summary.invalid == 0))
    })
}
