//! The `mock`, `list` and `demo` commands: each a library call plus formatting.

use std::io::{self, IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use backup_task_api::common::Secret;
use backup_task_api::common::http::DEFAULT_MAX_BODY_BYTES;
use backup_task_api::common::terminal::{Escaped, escape};
use backup_task_api::mock::{self, Fault, MockConfig};
use backup_task_api::{Error, cbr, demo, ocp};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use futures::StreamExt as _;
use serde::Serialize;

pub(crate) mod proxy;

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

// ---- mock ----

/// Options of `mock`.
#[derive(Args)]
pub struct MockArgs {
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

/// `mock`: serves both APIs until Ctrl-C; stdout is one line, the URL; the rest goes to stderr.
pub fn mock(args: MockArgs) -> anyhow::Result<ExitCode> {
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
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr).await.with_context(|| format!("cannot listen on {}", args.addr))?;
        let addr = listener.local_addr()?;
        // Only the URL goes to stdout, so a script can read one line and close the pipe.
        let mut url_out = io::stdout().lock();
        writeln!(url_out, "http://{addr}")?;
        url_out.flush()?;
        drop(url_out);
        let mut out = io::stderr().lock();
        writeln!(out, "CBR: GET /v3/{}/operation-logs with any X-Auth-Token{}{}", mock::CBR_PROJECT_ID, if config.cbr_token.is_some() { " (pinned by --cbr-token)" } else { "" }, match &config.cbr_keys { Some((ak, _)) => format!(", or signed with access key {ak}"), None => String::new() })?;
        // Which credentials work, never what the password or a secret key is: this line lands in
        // terminals, CI logs and bug reports.
        writeln!(
            out,
            "OCP: GET /api/v2/ob/clusters/{}/tenants/{}/backup/task/logBackupTasks with Basic auth configured (user {}){}",
            mock::OCP_CLUSTER_ID,
            mock::OCP_TENANT_ID,
            config.ocp_user,
            match &config.ocp_keys { Some((ak, _)) => format!(", or signed with access key {ak}"), None => String::new() }
        )?;
        writeln!(out, "{} synthetic records per API (seed {}); at most {} connections, {} ms for a request's headers; Ctrl-C stops", config.records, config.seed, config.max_connections, config.header_timeout.as_millis())?;
        out.flush()?;
        drop(out);
        mock::serve(listener, config, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `mock --replay`: the recording is read before binding, so a bad one prints no URL.
fn replay(
    path: &std::path::Path,
    addr: SocketAddr,
    config: MockConfig,
) -> anyhow::Result<ExitCode> {
    let recording = mock::Recording::open(path)?;
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let mut url_out = io::stdout().lock();
        writeln!(url_out, "http://{}", listener.local_addr()?)?;
        url_out.flush()?;
        drop(url_out);
        eprintln!(
            "replaying {} recorded exchanges from {}; Ctrl-C stops",
            recording.len(),
            escape(&path.display().to_string())
        );
        mock::serve_replay(listener, &config, recording, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        Ok(ExitCode::SUCCESS)
    })
}

// ---- demo ----

/// Options of `demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Synthetic records per API in the mock.
    #[arg(long, default_value_t = 2500)]
    records: usize,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Records per page.
    #[arg(long, default_value_t = 100)]
    page_size: u32,
}

/// `demo`: mock in-process, both clients page through it, every page checked against the contract.
pub fn demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
    if args.page_size == 0 {
        anyhow::bail!("--page-size must be at least 1");
    }
    let report = runtime()?.block_on(demo::run(args.records, args.seed, args.page_size))?;
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "mock server: {} ({} synthetic records per API, seed {})",
        report.mock_url, args.records, args.seed
    )?;
    writeln!(
        out,
        "{:<4} {:>6} {:>8} {:>9} {:>11} {:>9}",
        "api", "pages", "records", "expected", "violations", "time"
    )?;
    for api in &report.apis {
        writeln!(
            out,
            "{:<4} {:>6} {:>8} {:>9} {:>11} {:>7}ms",
            api.api,
            api.pages,
            api.records,
            api.expected,
            api.violations.len(),
            api.elapsed.as_millis()
        )?;
        for (page, v) in api.violations.iter().take(20) {
            let pointer = if v.pointer.is_empty() {
                "(root)"
            } else {
                &v.pointer
            };
            // The pointer and message quote the payload, which came from a server.
            writeln!(
                out,
                "  page {page}: {}: {}",
                Escaped(pointer),
                Escaped(&v.message)
            )?;
        }
        if api.distinct != api.records {
            writeln!(out, "  {} records repeated", api.records - api.distinct)?;
        }
    }
    let violations: usize = report.apis.iter().map(|a| a.violations.len()).sum();
    writeln!(
        out,
        "total: {} ms, {violations} contract violation(s), {}",
        report.elapsed.as_millis(),
        if report.is_clean() {
            "every record exactly once"
        } else {
            "NOT CLEAN"
        }
    )?;
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

// ---- list ----

/// Output formats of `list`.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// One JSON array.
    Json,
    /// One JSON record per line.
    Ndjson,
}

/// Options both `list` commands share.
#[derive(Args)]
pub struct ListCommon {
    /// The service's base URL.
    #[arg(long)]
    endpoint: String,
    /// Only tasks from this time on (UTC, like 2024-08-06T00:00:00Z).
    #[arg(long, value_parser = parse_time)]
    start_time: Option<DateTime<Utc>>,
    /// Only tasks up to this time (UTC, like 2024-08-07T00:00:00Z).
    #[arg(long, value_parser = parse_time)]
    end_time: Option<DateTime<Utc>>,
    /// Every page, not only the first.
    #[arg(long)]
    all: bool,
    /// Output format: `table` sizes its columns on the first 1,000 rows, then streams, and shows
    /// server text with control characters escaped; `json` and `ndjson` are exact.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// The largest response body read, in bytes; a larger one fails the run (exit 1).
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: u64,
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .map_err(|e| format!("{text:?} is not an RFC 3339 time: {e}"))
}

/// `list`: the clients from the command line. Credentials come from the environment only:
/// CBR_AUTH_TOKEN, or CBR_ACCESS_KEY and CBR_SECRET_KEY (and CBR_SECURITY_TOKEN for temporary
/// keys); OCP_USERNAME and OCP_PASSWORD, or OCP_ACCESS_KEY and OCP_SECRET_KEY.
#[derive(Subcommand)]
pub enum ListCommand {
    /// CBR operation logs of a project (token in CBR_AUTH_TOKEN, or CBR_ACCESS_KEY/CBR_SECRET_KEY
    /// [+ CBR_SECURITY_TOKEN]).
    Cbr {
        /// Shared options.
        #[command(flatten)]
        common: ListCommon,
        /// The project id.
        #[arg(long)]
        project_id: String,
        /// Task status.
        #[arg(long, value_parser = |s: &str| s.parse::<cbr::TaskStatusFilter>().map_err(|e| e.to_string()))]
        status: Option<cbr::TaskStatusFilter>,
        /// Task type.
        #[arg(long, value_parser = |s: &str| s.parse::<cbr::OperationTypeFilter>().map_err(|e| e.to_string()))]
        operation_type: Option<cbr::OperationTypeFilter>,
        /// Backup provider id.
        #[arg(long)]
        provider_id: Option<String>,
        /// Resource id.
        #[arg(long)]
        resource_id: Option<String>,
        /// Resource name.
        #[arg(long)]
        resource_name: Option<String>,
        /// Vault id.
        #[arg(long)]
        vault_id: Option<String>,
        /// Vault name.
        #[arg(long)]
        vault_name: Option<String>,
        /// Enterprise project id (`all_granted_eps` for all).
        #[arg(long)]
        enterprise_project_id: Option<String>,
        /// Records per page (1 to 1000).
        #[arg(long)]
        limit: Option<u32>,
        /// 0-based record offset.
        #[arg(long)]
        offset: Option<u32>,
    },
    /// OCP log backup tasks of a tenant (credentials in OCP_USERNAME/OCP_PASSWORD or
    /// OCP_ACCESS_KEY/OCP_SECRET_KEY).
    Ocp {
        /// Shared options.
        #[command(flatten)]
        common: ListCommon,
        /// The cluster id.
        #[arg(long)]
        cluster_id: i64,
        /// The tenant id.
        #[arg(long)]
        tenant_id: i64,
        /// Task status (repeatable).
        #[arg(long, value_parser = |s: &str| s.parse::<ocp::LogBackupTaskStatusFilter>().map_err(|e| e.to_string()))]
        status: Vec<ocp::LogBackupTaskStatusFilter>,
        /// 1-based page.
        #[arg(long)]
        page: Option<u32>,
        /// Tasks per page.
        #[arg(long)]
        size: Option<u32>,
    },
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `list cbr|ocp`.
pub fn list(command: ListCommand) -> anyhow::Result<ExitCode> {
    let runtime = runtime()?;
    let result = match command {
        ListCommand::Cbr {
            common,
            project_id,
            status,
            operation_type,
            provider_id,
            resource_id,
            resource_name,
            vault_id,
            vault_name,
            enterprise_project_id,
            limit,
            offset,
        } => {
            let builder = cbr::Client::builder(&common.endpoint, project_id)
                .with_max_body_bytes(common.max_body_bytes);
            let builder = match (
                env("CBR_ACCESS_KEY"),
                env("CBR_SECRET_KEY"),
                env("CBR_SECURITY_TOKEN"),
                env("CBR_AUTH_TOKEN"),
            ) {
                (Some(ak), Some(sk), Some(token), _) => {
                    builder.with_temporary_access_key(ak, sk, token)
                }
                (Some(ak), Some(sk), None, _) => builder.with_access_key(ak, sk),
                (None, None, _, Some(token)) => builder.with_token(token),
                _ => anyhow::bail!(
                    "set CBR_AUTH_TOKEN to a CBR token, or CBR_ACCESS_KEY and CBR_SECRET_KEY \
                     (and CBR_SECURITY_TOKEN for temporary keys)"
                ),
            };
            let client = builder.build()?;
            let mut query = client.list_op_logs();
            if let Some(v) = common.start_time {
                query = query.start_time(v)
            }
            if let Some(v) = common.end_time {
                query = query.end_time(v)
            }
            if let Some(v) = status {
                query = query.status(v)
            }
            if let Some(v) = operation_type {
                query = query.operation_type(v)
            }
            if let Some(v) = provider_id {
                query = query.provider_id(v)
            }
            if let Some(v) = resource_id {
                query = query.resource_id(v)
            }
            if let Some(v) = resource_name {
                query = query.resource_name(v)
            }
            if let Some(v) = vault_id {
                query = query.vault_id(v)
            }
            if let Some(v) = vault_name {
                query = query.vault_name(v)
            }
            if let Some(v) = enterprise_project_id {
                query = query.enterprise_project_id(v)
            }
            if let Some(v) = limit {
                query = query.limit(v)
            }
            if let Some(v) = offset {
                query = query.offset(v)
            }
            runtime.block_on(async {
                let mut printer = Printer::new(
                    io::BufWriter::new(io::stdout()),
                    common.format,
                    &[
                        "id",
                        "operation_type",
                        "status",
                        "started_at",
                        "ended_at",
                        "resource",
                    ],
                );
                let listed = async {
                    if common.all {
                        let progress = progress_bar();
                        let mut records = Box::pin(query.stream());
                        while let Some(log) = records.next().await {
                            let log = log?;
                            progress.inc(1);
                            printer.record(&log, cbr_row(&log))?;
                        }
                        progress.finish_and_clear();
                    } else {
                        for log in query.send().await?.operation_logs {
                            printer.record(&log, cbr_row(&log))?;
                        }
                    }
                    anyhow::Ok(())
                }
                .await;
                printer.finish(listed)
            })
        }
        ListCommand::Ocp {
            common,
            cluster_id,
            tenant_id,
            status,
            page,
            size,
        } => {
            let mut builder =
                ocp::Client::builder(&common.endpoint).with_max_body_bytes(common.max_body_bytes);
            builder = match (
                env("OCP_ACCESS_KEY"),
                env("OCP_SECRET_KEY"),
                env("OCP_USERNAME"),
                env("OCP_PASSWORD"),
            ) {
                (Some(ak), Some(sk), _, _) => builder.with_access_key(ak, sk),
                (_, _, Some(user), Some(password)) => builder.with_basic_auth(user, password),
                _ => anyhow::bail!(
                    "set OCP_ACCESS_KEY and OCP_SECRET_KEY, or OCP_USERNAME and OCP_PASSWORD"
                ),
            };
            let client = builder.build()?;
            let mut query = client.list_log_backup_tasks(cluster_id, tenant_id);
            if let Some(v) = common.start_time {
                query = query.start_time(v)
            }
            if let Some(v) = common.end_time {
                query = query.end_time(v)
            }
            for v in status {
                query = query.status(v)
            }
            if let Some(v) = page {
                query = query.page(v)
            }
            if let Some(v) = size {
                query = query.size(v)
            }
            runtime.block_on(async {
                let mut printer = Printer::new(
                    io::BufWriter::new(io::stdout()),
                    common.format,
                    &["tenant", "status", "mode", "checkpoint", "delay", "created"],
                );
                let listed = async {
                    if common.all {
                        let progress = progress_bar();
                        let mut tasks = Box::pin(query.stream());
                        while let Some(task) = tasks.next().await {
                            let task = task?;
                            progress.inc(1);
                            printer.record(&task, ocp_row(&task))?;
                        }
                        progress.finish_and_clear();
                    } else {
                        for task in query.send().await?.data.contents {
                            printer.record(&task, ocp_row(&task))?;
                        }
                    }
                    anyhow::Ok(())
                }
                .await;
                printer.finish(listed)
            })
        }
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(error) => match error.downcast_ref::<Error>() {
            // A request the client refused to send (a bad endpoint, limit or offset) is a usage
            // error: exit 2, like every other one.
            Some(api_error) if is_invalid_request(api_error) => Err(error),
            // A service error is the run's result, not a usage problem: exit 1 with its code.
            // Its text came from the server, so it is escaped before it reaches a terminal.
            Some(api_error) => {
                eprintln!("error: {}", Escaped(&api_error.to_string()));
                Ok(ExitCode::from(1))
            }
            None => Err(error),
        },
    }
}

/// Whether `error` (or the failed page it wraps) is a request the client refused to send.
fn is_invalid_request(error: &Error) -> bool {
    match error {
        Error::InvalidRequest(_) => true,
        Error::Page { source, .. } => is_invalid_request(source),
        _ => false,
    }
}

fn text<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn cbr_row(log: &cbr::OperationLog) -> Vec<String> {
    let resource = log
        .extra_info
        .as_ref()
        .and_then(|e| e.resource.as_ref())
        .and_then(|r| r.name.clone());
    vec![
        log.id.clone(),
        text(log.operation_type.as_ref()),
        log.status.to_string(),
        log.started_at.to_string(),
        text(log.ended_at.as_ref()),
        resource.unwrap_or_default(),
    ]
}

fn ocp_row(task: &ocp::LogBackupTask) -> Vec<String> {
    vec![
        text(task.tenant_name.as_ref()),
        text(task.status.as_ref()),
        text(task.backup_mode.as_ref()),
        text(task.checkpoint.as_ref()),
        text(task.delay),
        text(task.create_time.as_ref()),
    ]
}

/// A progress bar on stderr when it is a terminal; hidden otherwise.
fn progress_bar() -> indicatif::ProgressBar {
    if io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message("records");
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    } else {
        indicatif::ProgressBar::hidden()
    }
}

/// Rows a table buffers to size its columns; later rows are printed as they come, in those
/// widths, so a listing of any length holds at most this many rows in memory.
const TABLE_SIZING_ROWS: usize = 1000;

/// Writes records as a table, a JSON array or NDJSON, streaming. A table buffers its first
/// [`TABLE_SIZING_ROWS`] rows to size the columns, prints them, then prints every later row at
/// once in the same widths (a longer cell pushes the rest of its row out of line). Table cells
/// came from the server and are escaped; JSON output is exact.
struct Printer<W: io::Write> {
    out: W,
    format: Format,
    headers: Vec<String>,
    /// Table rows waiting for the column widths.
    rows: Vec<Vec<String>>,
    /// The column widths, once the table's head is printed.
    widths: Option<Vec<usize>>,
    first: bool,
}

impl<W: io::Write> Printer<W> {
    fn new(out: W, format: Format, headers: &[&str]) -> Self {
        Self {
            out,
            format,
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            widths: None,
            first: true,
        }
    }

    fn record<T: Serialize>(&mut self, value: &T, row: Vec<String>) -> anyhow::Result<()> {
        match self.format {
            Format::Table => {
                let row: Vec<String> = row.iter().map(|cell| escape(cell).into_owned()).collect();
                match &self.widths {
                    Some(widths) => write_row(&mut self.out, &row, widths)?,
                    None => {
                        self.rows.push(row);
                        if self.rows.len() >= TABLE_SIZING_ROWS {
                            self.print_table_head()?;
                        }
                    }
                }
            }
            Format::Ndjson => writeln!(self.out, "{}", serde_json::to_string(value)?)?,
            Format::Json => {
                write!(
                    self.out,
                    "{}{}",
                    if self.first { "[\n  " } else { ",\n  " },
                    serde_json::to_string(value)?
                )?;
            }
        }
        self.first = false;
        Ok(())
    }

    /// Sizes the columns on the buffered rows, prints the header and those rows.
    fn print_table_head(&mut self) -> io::Result<()> {
        let mut widths: Vec<usize> = self.headers.iter().map(String::len).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            write_row(&mut self.out, row, &widths)?;
        }
        self.rows = Vec::new();
        self.widths = Some(widths);
        Ok(())
    }

    /// Ends the output after a listing that `listed` says ended well or not. A JSON array is
    /// closed only after a complete listing, so a consumer cannot take a partial one for all;
    /// a table prints the rows that came before a failure.
    fn finish(mut self, listed: anyhow::Result<()>) -> anyhow::Result<()> {
        match (self.format, &listed) {
            (Format::Json, Ok(())) => {
                writeln!(self.out, "{}", if self.first { "[]" } else { "\n]" })?
            }
            (Format::Table, _) if self.widths.is_none() => self.print_table_head()?,
            _ => {}
        }
        self.out.flush()?;
        listed
    }
}

fn write_row(out: &mut impl io::Write, row: &[String], widths: &[usize]) -> io::Result<()> {
    let cells: Vec<String> = row
        .iter()
        .zip(widths)
        .map(|(c, w)| format!("{c:<w$}"))
        .collect();
    writeln!(out, "{}", cells.join("  ").trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: usize) -> Vec<String> {
        vec![format!("id-{i}"), "ok".into()]
    }

    #[test]
    fn a_table_prints_its_first_rows_once_they_size_the_columns_and_streams_the_rest() {
        // 1,000, the documented bound, not the constant: the test pins the number.
        let mut printer = Printer::new(Vec::new(), Format::Table, &["id", "status"]);
        for i in 0..999 {
            printer.record(&i, row(i)).expect("buffered");
        }
        assert!(printer.out.is_empty(), "still sizing the columns");
        printer.record(&0, row(999)).expect("printed");
        assert_eq!(
            printer.out.split(|b| *b == b'\n').count() - 1,
            1001,
            "header and 1,000 rows"
        );
        assert!(printer.rows.is_empty(), "nothing is held once printed");
        printer
            .record(&0, vec!["a-much-longer-id-than-before".into(), "ok".into()])
            .expect("printed");
        assert!(printer.rows.is_empty(), "later rows are not held either");
        printer.finish(Ok(())).expect("finished");
    }

    #[test]
    fn table_cells_are_escaped_and_the_widths_count_what_is_shown() {
        let mut printer = Printer::new(Vec::new(), Format::Table, &["id", "status"]);
        printer
            .record(&0, vec!["a\x1b[2Kb\r".into(), "ok".into()])
            .expect("row");
        printer.record(&0, row(1)).expect("row");
        printer.print_table_head().expect("printed");
        let text = String::from_utf8(printer.out).expect("utf-8");
        let shown = r"a\x1b[2Kb\r";
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            [
                format!("{:<11}  status", "id"),
                format!("{shown}  ok"),
                format!("{:<11}  ok", "id-1"),
            ]
        );
    }

    #[test]
    fn a_failed_listing_leaves_the_json_array_open_and_prints_the_table_so_far() {
        let mut out = Vec::new();
        let mut json = Printer::new(&mut out, Format::Json, &["id"]);
        json.record(&1, vec![]).expect("record");
        assert!(json.finish(Err(anyhow::anyhow!("page 2 failed"))).is_err());
        assert_eq!(out, b"[\n  1", "no closing bracket: not a complete array");
        let mut out = Vec::new();
        let mut table = Printer::new(&mut out, Format::Table, &["id", "status"]);
        table.record(&1, row(1)).expect("record");
        assert!(table.finish(Err(anyhow::anyhow!("page 2 failed"))).is_err());
        assert_eq!(out, b"id    status\nid-1  ok\n");
    }
}
