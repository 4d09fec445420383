//! `list cbr|ocp`: the typed clients from the command line.
//!
//! Credentials come from the environment only: CBR_AUTH_TOKEN, or CBR_ACCESS_KEY and
//! CBR_SECRET_KEY (and CBR_SECURITY_TOKEN for temporary keys); OCP_USERNAME and OCP_PASSWORD, or
//! OCP_ACCESS_KEY and OCP_SECRET_KEY.
//!
//! Per API there are three small pieces: the flags ([`CbrArgs`], [`OcpArgs`]), a function that
//! sets them on the client's query ([`cbr_query`], [`ocp_query`]) and the [`Listing`] that fetches
//! and shows the records; everything else (output, progress, exit codes) is shared.

use std::borrow::Cow;
use std::io;
use std::process::ExitCode;

use anyhow::Context as _;
use backup_task_api::client::Page;
use backup_task_api::client::http::DEFAULT_MAX_BODY_BYTES;
use backup_task_api::common::reader::raw_array_borrowed;
use backup_task_api::common::terminal::escape;
use backup_task_api::contract::{Api, Contract, Impact, Target, Verdict};
use backup_task_api::{Error, cbr, ocp};
use chrono::{DateTime, Utc};
use clap::Subcommand;
use futures::{Stream, StreamExt as _};
use indicatif::ProgressBar;
use serde::Serialize;
use serde_json::value::RawValue;

use super::exit;
use super::format::{Choices, Format};
use super::progress;
use super::records::Printer;

/// List tasks from a real (or mock) service with the typed clients. Credentials come from the
/// environment only. Exit 1 on a service error (its code and message are printed).
#[derive(Subcommand)]
pub enum Command {
    /// CBR operation logs of a project (token in CBR_AUTH_TOKEN, or CBR_ACCESS_KEY/CBR_SECRET_KEY
    /// [+ CBR_SECURITY_TOKEN]).
    Cbr(CbrArgs),
    /// OCP log backup tasks of a tenant (credentials in OCP_USERNAME/OCP_PASSWORD or
    /// OCP_ACCESS_KEY/OCP_SECRET_KEY).
    Ocp(OcpArgs),
}

/// What `list --format` writes.
const FORMATS: Choices = Choices(&[
    (Format::Table, "A table for people"),
    (Format::Json, "One JSON array"),
    (Format::Ndjson, "One JSON record per line"),
]);

/// Options both `list` commands share.
#[derive(clap::Args)]
pub struct Common {
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
    #[arg(long, default_value = "table", value_parser = FORMATS)]
    format: Format,
    /// The largest response body read, in bytes; a larger one fails the run (exit 1).
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: u64,
    /// Check every page's raw body against the contract while listing: each violation goes to
    /// stderr with its impact (`page N: IMPACT: POINTER: message`), and the run exits 1 after
    /// listing if there was any.
    #[arg(long)]
    check: bool,
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .map_err(|e| format!("{text:?} is not an RFC 3339 time: {e}"))
}

/// Runs `list cbr|ocp`.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    let runtime = super::client_runtime()?;
    let result = match command {
        Command::Cbr(args) => {
            let client = cbr_client(&args.common, args.project_id)?;
            let query = cbr_query(&client, &args.common, args.filters, args.paging);
            runtime.block_on(print(query, &args.common))
        }
        Command::Ocp(args) => {
            let client = ocp_client(&args.common)?;
            let query = ocp_query(
                &client,
                &args.common,
                (args.cluster_id, args.tenant_id),
                args.filters,
                args.paging,
            );
            runtime.block_on(print(query, &args.common))
        }
    };
    match result {
        // Violations fail the run after the listing, which still shows every record.
        Ok(violated) => Ok(exit::verdict(!violated)),
        Err(error) => match error.downcast_ref::<Error>() {
            // A request the client refused to send (a bad endpoint, limit or offset) is a usage
            // error: exit 2, like every other one.
            Some(api_error) if is_invalid_request(api_error) => Err(error),
            // A service error is the run's result, not a usage problem: exit 1 with its code.
            // Its text came from the server, so it is escaped before it reaches a terminal.
            // The whole chain: a failed page's cause, the transport's, the parser's.
            Some(_) => {
                exit::print_error(format_args!("{error:#}"));
                Ok(exit::found())
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

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A listing query of one API, as `list` runs it: the first page or every record, and how a
/// record is shown in a table.
trait Listing<'a> {
    /// One record, printed exactly in JSON.
    type Record: Serialize;
    /// The table's column names.
    const HEADERS: &'static [&'static str];
    /// The API whose contract `--check` uses.
    const API: Api;
    /// A decoded page.
    type Page;
    /// Every page, with the raw body it was decoded from.
    fn pages(self) -> impl Stream<Item = Result<Page<Self::Page>, Error>> + 'a;
    /// The typed records of a page (all a table needs).
    fn records(page: &Page<Self::Page>) -> &[Self::Record];
    /// Where a page body holds its records: the path the API's `raw_records` reads (a test
    /// keeps the two the same), here read without copying a record (`raw_array_borrowed`).
    const RECORDS_AT: &'static [&'static str];
    /// A record's table row, one cell per header.
    fn row(record: &Self::Record) -> Vec<String>;
}

/// Prints the first page, or with `--all` every record, in the chosen format; with `--check`,
/// checks each page's body on the way. Returns whether a page broke the contract.
async fn print<'a, L: Listing<'a>>(query: L, common: &Common) -> anyhow::Result<bool> {
    // 64 KiB at a time into the locked stdout: a listing writes tens of MB, and the default 8 KiB
    // buffer meant a write call (and a lock) per few records.
    let out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let mut printer = Printer::new(out, common.format, L::HEADERS)?;
    let mut check = PageCheck::new(L::API, common.check)?;
    let listed = async {
        // Pages, not records: each raw body is checked as it came (`--check`), and JSON and
        // NDJSON write each record as the service sent it (the raw record beside the typed
        // one), so members the spec does not know are kept.
        let progress = progress::spinner();
        let mut pages = Box::pin(query.pages());
        while let Some(page) = pages.next().await {
            let page = page?;
            if let Some(check) = check.as_mut() {
                check.page(page.number, &page.body, &progress)?;
            }
            if let Format::Table = common.format {
                // A table shows typed fields only: the raw records are not read at all.
                let records = L::records(&page);
                for record in records {
                    printer.record(&(), || L::row(record))?;
                }
                progress.inc(records.len() as u64);
            } else {
                let records = L::records(&page);
                let raw = raw_records::<L>(&page.body, records.len())
                    .context("the page's raw records do not match its typed records")?;
                progress.inc(records.len() as u64);
                for (record, raw) in records.iter().zip(raw) {
                    printer.record(&raw, || L::row(record))?;
                }
            }
            if !common.all {
                break;
            }
        }
        progress.finish_and_clear();
        anyhow::Ok(())
    }
    .await;
    printer.finish(listed)?;
    Ok(check.is_some_and(PageCheck::finish))
}

/// The records of a page `body` as the service sent them (blanks between tokens removed),
/// borrowed from it where there is nothing to remove; `None` when they cannot be paired with
/// the page's `typed` typed records (not the same number of them).
fn raw_records<'a, 'b, L: Listing<'a>>(
    body: &'b [u8],
    typed: usize,
) -> Option<Vec<Cow<'b, RawValue>>> {
    if typed == 0 {
        // Nothing to pair: the body is not read again.
        return Some(Vec::new());
    }
    raw_array_borrowed(body, L::RECORDS_AT).filter(|raw| raw.len() == typed)
}

/// `list --check`: every page's body against the contract's 200 response.
struct PageCheck {
    contract: &'static Contract,
    violations: usize,
    pages: usize,
}

impl PageCheck {
    fn new(api: Api, check: bool) -> anyhow::Result<Option<Self>> {
        if !check {
            return Ok(None);
        }
        Ok(Some(PageCheck {
            contract: Contract::get(api)?,
            violations: 0,
            pages: 0,
        }))
    }

    /// Checks one page's body; reports its violations on stderr, around the progress spinner.
    fn page(&mut self, number: u64, body: &[u8], progress: &ProgressBar) -> anyhow::Result<()> {
        let target = Target::Response { status: 200 };
        let lines: Vec<String> = match self.contract.check_bytes(&target, body)? {
            Verdict::Valid => Vec::new(),
            Verdict::Invalid { violations } => violations
                .iter()
                .map(|v| {
                    let pointer = if v.pointer.is_empty() {
                        "(root)"
                    } else {
                        &v.pointer
                    };
                    // Pointers and messages carry server text.
                    format!(
                        "page {number}: {}: {}: {}",
                        v.impact,
                        escape(pointer),
                        escape(&v.message)
                    )
                })
                .collect(),
            Verdict::NotJson { error } => vec![format!(
                "page {number}: {}: not JSON: {}",
                Impact::Breaking,
                escape(&error.to_string())
            )],
        };
        self.pages += 1;
        self.violations += lines.len();
        if !lines.is_empty() {
            progress.suspend(|| {
                for line in &lines {
                    eprintln!("{line}");
                }
            });
        }
        Ok(())
    }

    /// The summary line on stderr; whether any page broke the contract.
    fn finish(self) -> bool {
        eprintln!(
            "{} page(s) checked against the {} contract: {} violation(s)",
            self.pages,
            self.contract.api(),
            self.violations
        );
        self.violations > 0
    }
}

fn text<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Flags of `list cbr`.
#[derive(clap::Args)]
pub struct CbrArgs {
    /// Shared options.
    #[command(flatten)]
    common: Common,
    /// The project id.
    #[arg(long)]
    project_id: String,
    /// Filters: the client's own, one flag per field.
    #[command(flatten)]
    filters: cbr::ListFilters,
    /// Paging.
    #[command(flatten)]
    paging: CbrPaging,
}

/// The paging flags of `list cbr` (the filters are [`cbr::ListFilters`]).
#[derive(clap::Args)]
pub struct CbrPaging {
    /// Records per page (1 to 1000).
    #[arg(long)]
    limit: Option<u32>,
    /// 0-based record offset.
    #[arg(long)]
    offset: Option<u32>,
}

/// The CBR client, with the credentials the environment holds.
fn cbr_client(common: &Common, project_id: String) -> anyhow::Result<cbr::Client> {
    let builder = cbr::Client::builder(&common.endpoint, project_id)
        .with_max_body_bytes(common.max_body_bytes);
    let builder = match (
        env("CBR_ACCESS_KEY"),
        env("CBR_SECRET_KEY"),
        env("CBR_SECURITY_TOKEN"),
        env("CBR_AUTH_TOKEN"),
    ) {
        (Some(ak), Some(sk), Some(token), _) => builder.with_temporary_access_key(ak, sk, token),
        (Some(ak), Some(sk), None, _) => builder.with_access_key(ak, sk),
        (None, None, _, Some(token)) => builder.with_token(token),
        _ => anyhow::bail!(
            "set CBR_AUTH_TOKEN to a CBR token, or CBR_ACCESS_KEY and CBR_SECRET_KEY \
             (and CBR_SECURITY_TOKEN for temporary keys)"
        ),
    };
    Ok(builder.build()?)
}

/// The CBR query for the flags: the one place that maps them to the client's filters.
fn cbr_query<'c>(
    client: &'c cbr::Client,
    common: &Common,
    filters: cbr::ListFilters,
    paging: CbrPaging,
) -> cbr::ListOpLogs<'c> {
    let filters = cbr::ListFilters {
        start_time: common.start_time,
        end_time: common.end_time,
        ..filters
    };
    let mut query = client.list_op_logs(filters);
    if let Some(v) = paging.limit {
        query = query.limit(v)
    }
    if let Some(v) = paging.offset {
        query = query.offset(v)
    }
    query
}

impl<'a> Listing<'a> for cbr::ListOpLogs<'a> {
    type Record = cbr::OperationLog;
    const HEADERS: &'static [&'static str] = &[
        "id",
        "operation_type",
        "status",
        "started_at",
        "ended_at",
        "resource",
    ];

    const API: Api = Api::Cbr;
    type Page = cbr::ListOpLogsResponse;

    fn pages(self) -> impl Stream<Item = Result<Page<Self::Page>, Error>> + 'a {
        cbr::ListOpLogs::pages(self)
    }

    fn records(page: &Page<Self::Page>) -> &[Self::Record] {
        &page.value.operation_logs
    }

    const RECORDS_AT: &'static [&'static str] = &["operation_logs"];

    fn row(log: &cbr::OperationLog) -> Vec<String> {
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
}

/// Flags of `list ocp`.
#[derive(clap::Args)]
pub struct OcpArgs {
    /// Shared options.
    #[command(flatten)]
    common: Common,
    /// The cluster id.
    #[arg(long)]
    cluster_id: i64,
    /// The tenant id.
    #[arg(long)]
    tenant_id: i64,
    /// Filters: the client's own, one flag per field.
    #[command(flatten)]
    filters: ocp::ListFilters,
    /// Paging.
    #[command(flatten)]
    paging: OcpPaging,
}

/// The paging flags of `list ocp` (the filters are [`ocp::ListFilters`]).
#[derive(clap::Args)]
pub struct OcpPaging {
    /// 1-based page.
    #[arg(long)]
    page: Option<u32>,
    /// Tasks per page.
    #[arg(long)]
    size: Option<u32>,
}

/// The OCP client, with the credentials the environment holds.
fn ocp_client(common: &Common) -> anyhow::Result<ocp::Client> {
    let builder = ocp::Client::builder(&common.endpoint).with_max_body_bytes(common.max_body_bytes);
    let builder = match (
        env("OCP_ACCESS_KEY"),
        env("OCP_SECRET_KEY"),
        env("OCP_USERNAME"),
        env("OCP_PASSWORD"),
    ) {
        (Some(ak), Some(sk), _, _) => builder.with_access_key(ak, sk),
        (_, _, Some(user), Some(password)) => builder.with_basic_auth(user, password),
        _ => {
            anyhow::bail!("set OCP_ACCESS_KEY and OCP_SECRET_KEY, or OCP_USERNAME and OCP_PASSWORD")
        }
    };
    Ok(builder.build()?)
}

/// The OCP query for the flags: the one place that maps them to the client's filters.
fn ocp_query<'c>(
    client: &'c ocp::Client,
    common: &Common,
    (cluster_id, tenant_id): (i64, i64),
    filters: ocp::ListFilters,
    paging: OcpPaging,
) -> ocp::ListLogBackupTasks<'c> {
    let filters = ocp::ListFilters {
        start_time: common.start_time,
        end_time: common.end_time,
        ..filters
    };
    let mut query = client.list_log_backup_tasks(cluster_id, tenant_id, filters);
    if let Some(v) = paging.page {
        query = query.page(v)
    }
    if let Some(v) = paging.size {
        query = query.size(v)
    }
    query
}

impl<'a> Listing<'a> for ocp::ListLogBackupTasks<'a> {
    type Record = ocp::LogBackupTask;
    const HEADERS: &'static [&'static str] =
        &["tenant", "status", "mode", "checkpoint", "delay", "created"];

    const API: Api = Api::Ocp;
    type Page = ocp::LogBackupTaskPageResponse;

    fn pages(self) -> impl Stream<Item = Result<Page<Self::Page>, Error>> + 'a {
        ocp::ListLogBackupTasks::pages(self)
    }

    fn records(page: &Page<Self::Page>) -> &[Self::Record] {
        &page.value.data.contents
    }

    const RECORDS_AT: &'static [&'static str] = &["data", "contents"];

    fn row(task: &ocp::LogBackupTask) -> Vec<String> {
        vec![
            text(task.tenant_name.as_ref()),
            text(task.status.as_ref()),
            text(task.backup_mode.as_ref()),
            text(task.checkpoint.as_ref()),
            text(task.delay),
            text(task.create_time.as_ref()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `RECORDS_AT` reads what the API's own `raw_records` reads, on pages of both shapes.
    #[test]
    fn the_records_path_of_each_listing_is_its_apis() {
        let cbr_page = br#"{"count": 2, "operation_logs": [{"id": "a", "zz": 1}, {"id":"b"}]}"#;
        let ocp_page = br#"{"successful": true, "data": {"contents": [{"newKnob": [1, 2]}]}}"#;
        let texts = |raw: Option<Vec<Box<RawValue>>>| {
            raw.map(|r| r.iter().map(|r| r.get().to_owned()).collect::<Vec<_>>())
        };
        let borrowed = |raw: Option<Vec<Cow<'_, RawValue>>>| {
            raw.map(|r| r.iter().map(|r| r.get().to_owned()).collect::<Vec<_>>())
        };
        for body in [&cbr_page[..], ocp_page] {
            assert_eq!(
                borrowed(raw_array_borrowed(body, cbr::ListOpLogs::RECORDS_AT)),
                texts(cbr::raw_records(body))
            );
            assert_eq!(
                borrowed(raw_array_borrowed(
                    body,
                    ocp::ListLogBackupTasks::RECORDS_AT
                )),
                texts(ocp::raw_records(body))
            );
        }
        assert!(cbr::raw_records(cbr_page).is_some() && ocp::raw_records(ocp_page).is_some());
    }

    #[test]
    fn raw_records_pair_only_with_as_many_typed_records() {
        let body = br#"{"operation_logs": [{"id": "a"}, {"id":"b"}]}"#;
        let raw = raw_records::<cbr::ListOpLogs<'_>>(body, 2).expect("two records");
        assert_eq!(raw.len(), 2);
        assert!(raw_records::<cbr::ListOpLogs<'_>>(body, 3).is_none());
        assert_eq!(
            raw_records::<cbr::ListOpLogs<'_>>(b"not read", 0).map(|r| r.len()),
            Some(0)
        );
    }
}
