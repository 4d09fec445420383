//! A local server that behaves like both services, for trying everything without a cloud account
//! and for testing clients: the documented examples plus seeded synthetic records, every query
//! filter, each API's paging, auth (CBR token; OCP Basic and AK/SK verified with the client's own
//! signer), each API's error shapes, and fault injection.
//!
//! Filter semantics where the services document none: CBR `start_time`/`end_time` bound
//! `started_at` (inclusive), OCP `startTime`/`endTime` bound `createTime`; records are newest first;
//! CBR `count` is the number of matching records; `enterprise_project_id` is accepted and does not
//! narrow (the mock's records carry no enterprise project). OCP `status` filter values map to the
//! response vocabulary: `STARTING` matches `STARTING` and `BEGINNING`, `INPROGRESS` matches
//! `INPROGRESS` and `RUNNING`, the others match themselves.

mod auth;
pub mod data;
pub mod replay;
pub(crate) mod server;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;

pub use data::{CBR_PROJECT_ID, Dataset, OCP_CLUSTER_ID, OCP_TENANT_ID};
pub use replay::{Recording, ReplayError, serve_replay, start_replay};

use crate::cbr::{self, OperationLog};
use crate::common::{Secret, Timestamp};
use crate::ocp::{self, LogBackupTask};
use auth::{cbr_authenticated, ocp_authenticate};

/// Path of the CBR operation.
pub const CBR_PATH: &str = "/v3/{project_id}/operation-logs";
/// Path of the OCP operation.
pub const OCP_PATH: &str =
    "/api/v2/ob/clusters/{id}/tenants/{tenant_id}/backup/task/logBackupTasks";
/// Request header that injects a fault into one authenticated request: `429`, `503`, `truncate`,
/// `non-json`, or `latency=MILLISECONDS` (at most [`MAX_LATENCY`]).
pub const FAULT_HEADER: &str = "x-mock-fault";
/// The longest latency the mock injects, per request or configured: 30 s. Each delayed request
/// holds one of [`MockConfig::max_connections`] slots, so an unbounded one would hold it as long
/// as a client asked.
pub const MAX_LATENCY: Duration = Duration::from_secs(30);
/// Default of [`MockConfig::header_timeout`]: 10 s, ample for any real client on any network.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default of [`MockConfig::write_timeout`]: 10 s without the client taking any of a response.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default of [`MockConfig::max_connections`]: 512, half the usual 1,024-descriptor limit, so
/// the mock runs out of slots before the process runs out of descriptors.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// How far a signed request's time (OCP `Date`, CBR `X-Sdk-Date`) may be from the mock's clock:
/// 15 minutes, as OCP and the CBR API gateway allow.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// A fault the mock can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 with `Retry-After: 1` (and OCP's `RateLimit-*` headers).
    Throttle,
    /// HTTP 503.
    Unavailable,
    /// The normal body cut in half.
    Truncate,
    /// An HTML page with status 200.
    NonJson,
    /// The normal response, this much later (at most [`MAX_LATENCY`]).
    Latency(Duration),
}

impl std::str::FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "429" | "throttle" => Ok(Fault::Throttle),
            "503" | "unavailable" => Ok(Fault::Unavailable),
            "truncate" => Ok(Fault::Truncate),
            "non-json" => Ok(Fault::NonJson),
            other => match other.strip_prefix("latency=").map(str::parse::<u64>) {
                Some(Ok(ms)) if Duration::from_millis(ms) <= MAX_LATENCY => {
                    Ok(Fault::Latency(Duration::from_millis(ms)))
                }
                Some(Ok(ms)) => Err(format!(
                    "latency={ms} is over the cap of {} ms",
                    MAX_LATENCY.as_millis()
                )),
                _ => Err(format!(
                    "unknown fault {other:?}: expected 429, 503, truncate, non-json or latency=MS"
                )),
            },
        }
    }
}

/// How the mock behaves.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Synthetic records per API, besides the documented examples.
    pub records: usize,
    /// Seed of the synthetic data and of fault selection.
    pub seed: u64,
    /// The one CBR token accepted; `None` accepts any non-empty token.
    pub cbr_token: Option<Secret>,
    /// CBR AK/SK pair accepted besides tokens (`SDK-HMAC-SHA256` signatures).
    pub cbr_keys: Option<(String, Secret)>,
    /// OCP Basic user.
    pub ocp_user: String,
    /// OCP Basic password.
    pub ocp_password: Secret,
    /// OCP AK/SK pair accepted besides Basic.
    pub ocp_keys: Option<(String, Secret)>,
    /// Latency added to every authenticated response (at most [`MAX_LATENCY`]).
    pub latency: Duration,
    /// Fraction of authenticated requests (0 to 1) that get one of `faults`.
    pub fault_rate: f64,
    /// Faults to choose from for that fraction, in turn.
    pub faults: Vec<Fault>,
    /// Connections open at once (at least 1); one more waits in the listen queue until one
    /// closes. Keep it below the process's descriptor limit (`ulimit -n`).
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, and how long a keep-alive
    /// connection may sit idle before its next request; the connection is closed after that.
    pub header_timeout: Duration,
    /// How long a response may wait for the client to take any of it (a client that pipelines
    /// requests and never reads); the connection is closed after that.
    pub write_timeout: Duration,
}

/// A [`MockConfig`] the mock cannot serve with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configured latency, or a latency fault, is over [`MAX_LATENCY`].
    #[error("{what} of {} ms is over the cap of {} ms", .requested.as_millis(), MAX_LATENCY.as_millis())]
    LatencyOverCap {
        /// Which setting: `latency` or `latency fault`.
        what: &'static str,
        /// What it asked for.
        requested: Duration,
    },
    /// `fault_rate` is not a fraction from 0 to 1.
    #[error("the fault rate must be from 0 to 1, got {0}")]
    FaultRate(f64),
    /// `max_connections` is 0 (nothing could be served) or more than the mock can count.
    #[error("max connections must be from 1 to {bound}, got {0}", bound = max_connections_bound())]
    MaxConnections(usize),
    /// `header_timeout` is zero: every request would time out.
    #[error("the header timeout must be more than 0 ms")]
    HeaderTimeout,
    /// `write_timeout` is zero: every response that fills the socket would fail.
    #[error("the write timeout must be more than 0 ms")]
    WriteTimeout,
}

/// The most connections [`MockConfig::max_connections`] can allow (a semaphore's bound).
fn max_connections_bound() -> usize {
    tokio::sync::Semaphore::MAX_PERMITS.min(usize::try_from(u32::MAX).unwrap_or(usize::MAX))
}

impl MockConfig {
    /// Checks the bounds [`start`] and [`serve`] rely on: latencies within [`MAX_LATENCY`], a
    /// fault rate from 0 to 1, at least one connection, timeouts above zero.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.latency > MAX_LATENCY {
            return Err(ConfigError::LatencyOverCap {
                what: "latency",
                requested: self.latency,
            });
        }
        for fault in &self.faults {
            if let Fault::Latency(requested) = *fault
                && requested > MAX_LATENCY
            {
                return Err(ConfigError::LatencyOverCap {
                    what: "latency fault",
                    requested,
                });
            }
        }
        if !(0.0..=1.0).contains(&self.fault_rate) {
            return Err(ConfigError::FaultRate(self.fault_rate));
        }
        if !(1..=max_connections_bound()).contains(&self.max_connections) {
            return Err(ConfigError::MaxConnections(self.max_connections));
        }
        if self.header_timeout.is_zero() {
            return Err(ConfigError::HeaderTimeout);
        }
        if self.write_timeout.is_zero() {
            return Err(ConfigError::WriteTimeout);
        }
        Ok(())
    }
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            records: 250,
            seed: 42,
            cbr_token: None,
            cbr_keys: None,
            ocp_user: "admin".into(),
            ocp_password: Secret::new("admin"),
            ocp_keys: None,
            latency: Duration::ZERO,
            fault_rate: 0.0,
            faults: Vec::new(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
        }
    }
}

struct AppState {
    /// The CBR records, newest first, as served.
    cbr: Vec<Served<CbrKeys>>,
    /// The OCP tasks, newest first, as served.
    ocp: Vec<Served<OcpKeys>>,
    config: MockConfig,
    requests: AtomicU64,
    query_time: regress::Regex,
}

/// A record as the mock keeps it: its JSON, serialised once at start so that a page is written
/// by copying text (escaping every string of every record on each request was most of the
/// mock's time per page), and what a query selects it by. The typed records are dropped once
/// these are made: together they would take half as much memory again.
struct Served<K> {
    json: Box<RawValue>,
    keys: K,
}

impl<K> Served<K> {
    fn of<T: Serialize>(record: &T, keys: K) -> Self {
        Self {
            json: raw_json(record),
            keys,
        }
    }
}

/// What a CBR query selects a record by.
struct CbrKeys {
    /// `time_key` of its `started_at`.
    time: Option<String>,
    status: String,
    operation_type: Option<String>,
    provider_id: Option<String>,
    resource_id: Option<String>,
    resource_name: Option<String>,
    vault_id: Option<String>,
    vault_name: Option<String>,
}

impl CbrKeys {
    fn of(log: &OperationLog) -> Self {
        let resource = log.extra_info.as_ref().and_then(|e| e.resource.as_ref());
        Self {
            time: time_key(Some(&log.started_at)),
            status: log.status.as_str().to_owned(),
            operation_type: log.operation_type.as_ref().map(|o| o.as_str().to_owned()),
            provider_id: log.provider_id.clone(),
            resource_id: resource.and_then(|r| r.id.clone()),
            resource_name: resource.and_then(|r| r.name.clone()),
            vault_id: log.vault_id.clone(),
            vault_name: log.vault_name.clone(),
        }
    }
}

/// What an OCP query selects a task by.
struct OcpKeys {
    /// `time_key` of its `createTime`.
    time: Option<String>,
    status: Option<String>,
}

impl OcpKeys {
    fn of(task: &LogBackupTask) -> Self {
        Self {
            time: time_key(task.create_time.as_ref()),
            status: task.status.as_ref().map(|s| s.as_str().to_owned()),
        }
    }
}

/// The mock's routes, ready to serve.
pub fn router(config: MockConfig) -> Router {
    let data = Dataset::generate(config.records, config.seed);
    let state = Arc::new(AppState {
        cbr: data
            .cbr
            .iter()
            .map(|log| Served::of(log, CbrKeys::of(log)))
            .collect(),
        ocp: data
            .ocp
            .iter()
            .map(|task| Served::of(task, OcpKeys::of(task)))
            .collect(),
        config,
        requests: AtomicU64::new(0),
        query_time: query_time_pattern(),
    });
    Router::new()
        .route(CBR_PATH, get(cbr_handler))
        .route(OCP_PATH, get(ocp_handler))
        .fallback(not_found)
        .with_state(state)
}

/// A mock serving in the background.
#[derive(Debug)]
pub struct RunningMock {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningMock {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops it and waits for open connections to finish.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        (&mut self.task)
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Binds `addr` (port 0 picks a free one) and serves in the background. A `config` that fails
/// [`MockConfig::validate`] is an [`std::io::ErrorKind::InvalidInput`] error, before binding.
pub async fn start(addr: SocketAddr, config: MockConfig) -> std::io::Result<RunningMock> {
    config.validate().map_err(invalid_config)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, config, async {
        let _ = rx.await;
    }));
    Ok(RunningMock {
        addr,
        shutdown: Some(tx),
        task,
    })
}

/// Serves on `listener` until `shutdown` completes, then lets open requests finish. At most
/// [`MockConfig::max_connections`] connections are open at once; one whose request headers take
/// longer than [`MockConfig::header_timeout`], or whose client takes none of a response for
/// [`MockConfig::write_timeout`], is closed. A `config` that fails
/// [`MockConfig::validate`] is an [`std::io::ErrorKind::InvalidInput`] error.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: MockConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    config.validate().map_err(invalid_config)?;
    let limits = server::Limits {
        max_connections: config.max_connections,
        header_timeout: config.header_timeout,
        write_timeout: config.write_timeout,
    };
    server::run(listener, router(config), limits, shutdown).await
}

fn invalid_config(e: ConfigError) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, e)
}

// ---- shared pieces ----

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `value`'s JSON, as `serde_json` writes it inside a page (so a page of these is byte for byte
/// the page of the records). The models serialise infallibly (strings, numbers, maps with string
/// keys); were one ever to fail, it would stand as `null` rather than stop the mock.
fn raw_json<T: Serialize>(value: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).unwrap_or_default()
}

fn to_json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_response(status, body),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The single value of `key`; two values or an empty one are invalid (OCP answers 400 to `key=`).
fn single<'q>(pairs: &'q [(String, String)], key: &str) -> Result<Option<&'q str>, String> {
    let mut values = pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str());
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(""), _) => Err(format!("{key} is empty")),
        (Some(v), None) => Ok(Some(v)),
        (Some(_), Some(_)) => Err(format!("{key} is given more than once")),
    }
}

fn number(
    pairs: &[(String, String)],
    key: &str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, String> {
    match single(pairs, key)? {
        None => Ok(None),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(format!(
                "{key} must be an integer from {min} to {max}, got {v:?}"
            )),
        },
    }
}

/// A query time, `YYYY-MM-DDThh:mm:ssZ`: checked with the spec's own `QueryTime` pattern and kept
/// as text. The form is fixed-width UTC, so text order is time order; comparing text accepts
/// exactly what the contract accepts, calendar-impossible days such as `02-31` included (a
/// real server may refuse those; the contract does not, so the mock does not).
fn time(state: &AppState, pairs: &[(String, String)], key: &str) -> Result<Option<String>, String> {
    match single(pairs, key)? {
        None => Ok(None),
        Some(v) if state.query_time.find(v).is_some() => Ok(Some(v.to_owned())),
        Some(v) => Err(format!(
            "{key} must be a UTC time like 2018-01-01T12:00:00Z, got {v:?}"
        )),
    }
}

/// Whether a record whose time key (see [`time_key`]) is `key` lies in `[from, to]`; with no
/// bounds every record does, without looking at its time.
fn within(key: &Option<String>, from: Option<&str>, to: Option<&str>) -> bool {
    if from.is_none() && to.is_none() {
        return true;
    }
    match key {
        Some(at) => from.is_none_or(|f| at.as_str() >= f) && to.is_none_or(|t| at.as_str() <= t),
        None => false,
    }
}

/// A record's time in the query-time form, to the second, for [`within`]; computed once per record.
fn time_key(at: Option<&Timestamp>) -> Option<String> {
    at.and_then(Timestamp::to_utc)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// The records from `skip` on, at most `take` of them: an unfiltered page.
fn window<T>(all: &[T], skip: usize, take: usize) -> &[T] {
    let first = skip.min(all.len());
    &all[first..first.saturating_add(take).min(all.len())]
}

/// One pass over the records: how many match, and the matching ones from `skip` on, at most
/// `take` (memory bounded by the page, whatever the dataset).
fn page_of<I: Copy>(
    items: impl Iterator<Item = I>,
    matches: impl Fn(I) -> bool,
    skip: usize,
    take: usize,
) -> (usize, Vec<I>) {
    let mut page = Vec::with_capacity(take.min(1000));
    let mut count = 0;
    for item in items {
        if matches(item) {
            if count >= skip && page.len() < take {
                page.push(item);
            }
            count += 1;
        }
    }
    (count, page)
}

/// The `QueryTime` pattern of the CBR spec (OCP's is the same), compiled once.
fn query_time_pattern() -> regress::Regex {
    let pattern = crate::contract::Api::Cbr
        .spec()
        .ok()
        .and_then(|spec| spec.pointer("/components/schemas/QueryTime/pattern"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$");
    regress::Regex::new(pattern)
        .or_else(|_| regress::Regex::new("^$"))
        .expect("the fallback pattern `^$` compiles")
}

/// Which fault, if any, this request gets: the header first, else the configured fraction.
fn pick_fault(state: &AppState, headers: &HeaderMap, n: u64) -> Result<Option<Fault>, String> {
    if let Some(value) = headers.get(FAULT_HEADER) {
        return value
            .to_str()
            .map_err(|_| "bad fault header".to_owned())?
            .parse()
            .map(Some);
    }
    let config = &state.config;
    if config.faults.is_empty() || config.fault_rate <= 0.0 {
        return Ok(None);
    }
    let mut rng = fastrand::Rng::with_seed(config.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    if rng.f64() < config.fault_rate {
        let index = usize::try_from(n).unwrap_or_default() % config.faults.len();
        return Ok(config.faults.get(index).copied());
    }
    Ok(None)
}

/// Applies `fault` to what the handler would have answered.
async fn with_fault(fault: Option<Fault>, ocp: bool, normal: Response) -> Response {
    match fault {
        None => normal,
        Some(Fault::Latency(delay)) => {
            tokio::time::sleep(delay).await;
            normal
        }
        Some(Fault::Throttle) => {
            let mut response = if ocp {
                ocp_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    json!(0),
                    "Too many requests, please try again later.",
                )
            } else {
                cbr_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "APIGW.0308",
                    "The request is throttled.",
                )
            };
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            if ocp {
                headers.insert("ratelimit-limit", HeaderValue::from_static("10"));
                headers.insert("ratelimit-remaining", HeaderValue::from_static("0"));
                headers.insert("ratelimit-reset", HeaderValue::from_static("1"));
            }
            response
        }
        Some(Fault::Unavailable) => {
            let mut response = Response::new(Body::from("Service Unavailable"));
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response
        }
        Some(Fault::Truncate) => {
            let (parts, body) = normal.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            Response::from_parts(parts, Body::from(bytes.slice(..bytes.len() / 2)))
        }
        Some(Fault::NonJson) => {
            let mut response = Response::new(Body::from(
                "<html><body><h1>502 Bad Gateway</h1></body></html>",
            ));
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            response
        }
    }
}

async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ocp_error(
            StatusCode::NOT_FOUND,
            json!(404),
            &format!("No handler for {}", uri.path()),
        )
    } else {
        cbr_error(
            StatusCode::NOT_FOUND,
            "APIGW.0101",
            "The API does not exist or has not been published in the environment.",
        )
    }
}

// ---- CBR ----

fn cbr_error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut body = json!({"error_code": code, "error_msg": message});
    if code.starts_with("APIGW") {
        body["request_id"] = json!(format!("{:032x}", fastrand::u128(..)));
    }
    to_json(status, &body)
}

#[derive(Serialize)]
struct CbrPage<'a> {
    count: usize,
    limit: i64,
    offset: i64,
    operation_logs: Vec<&'a RawValue>,
}

/// Authentication comes before everything a request can ask for (a fault, a delay): a client
/// without credentials gets its 401 at once, and cannot make the mock hold a slot for it.
async fn cbr_handler(
    State(state): State<Arc<AppState>>,
    Path(project_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if !cbr_authenticated(&state.config, &project_id, &headers, &uri) {
        return cbr_error(
            StatusCode::UNAUTHORIZED,
            "APIGW.0301",
            "Incorrect IAM authentication information: verify aksk or token failed.",
        );
    }
    let n = state.requests.fetch_add(1, Ordering::Relaxed);
    let fault = match pick_fault(&state, &headers, n) {
        Ok(fault) => fault,
        Err(why) => return cbr_error(StatusCode::BAD_REQUEST, "BackupService.9900", &why),
    };
    if state.config.latency > Duration::ZERO {
        tokio::time::sleep(state.config.latency).await;
    }
    let normal = cbr_answer(&state, &project_id, &uri);
    with_fault(fault, false, normal).await
}

fn cbr_answer(state: &AppState, project_id: &str, uri: &Uri) -> Response {
    let pairs = query_pairs(uri);
    match cbr_query(state, project_id, &pairs) {
        Ok(page) => to_json(StatusCode::OK, &page),
        Err(why) => cbr_error(
            StatusCode::BAD_REQUEST,
            "BackupService.9900",
            &format!("Invalid parameter: {why}."),
        ),
    }
}

fn cbr_query<'a>(
    state: &'a AppState,
    project_id: &str,
    pairs: &[(String, String)],
) -> Result<CbrPage<'a>, String> {
    let limit = number(pairs, "limit", 1, 1000)?.unwrap_or(1000);
    let offset = number(pairs, "offset", 0, i64::from(i32::MAX))?.unwrap_or(0);
    let start = time(state, pairs, "start_time")?;
    let end = time(state, pairs, "end_time")?;
    let enum_value = |key: &str, known: &[&str]| -> Result<Option<String>, String> {
        match single(pairs, key)? {
            Some(v) if !known.contains(&v) => {
                Err(format!("{key} must be one of {known:?}, got {v:?}"))
            }
            v => Ok(v.map(str::to_owned)),
        }
    };
    let status = enum_value("status", cbr::TaskStatus::KNOWN)?;
    let operation_type = enum_value("operation_type", cbr::OperationType::KNOWN)?;
    let text = |key: &str| single(pairs, key).map(|v| v.map(str::to_owned));
    let (provider_id, resource_id, resource_name) = (
        text("provider_id")?,
        text("resource_id")?,
        text("resource_name")?,
    );
    let (vault_id, vault_name) = (text("vault_id")?, text("vault_name")?);
    let _enterprise_project = text("enterprise_project_id")?;
    // An unset filter selects every record; a set one, those whose member is that value.
    let is = |filter: &Option<String>, value: Option<&str>| {
        filter.as_deref().is_none_or(|f| value == Some(f))
    };
    let matches = |record: &Served<CbrKeys>| {
        let keys = &record.keys;
        within(&keys.time, start.as_deref(), end.as_deref())
            && is(&status, Some(&keys.status))
            && is(&operation_type, keys.operation_type.as_deref())
            && is(&provider_id, keys.provider_id.as_deref())
            && is(&resource_id, keys.resource_id.as_deref())
            && is(&resource_name, keys.resource_name.as_deref())
            && is(&vault_id, keys.vault_id.as_deref())
            && is(&vault_name, keys.vault_name.as_deref())
    };
    let skip = usize::try_from(offset).unwrap_or(usize::MAX);
    let take = usize::try_from(limit).unwrap_or(0);
    let filtered = start.is_some()
        || end.is_some()
        || status.is_some()
        || operation_type.is_some()
        || provider_id.is_some()
        || resource_id.is_some()
        || resource_name.is_some()
        || vault_id.is_some()
        || vault_name.is_some();
    // Every record belongs to one project, so another project has none; and with no filter the
    // page is a slice (scanning 100,000 records per request is what made this slow).
    let (count, operation_logs) = if project_id != data::CBR_PROJECT_ID {
        (0, Vec::new())
    } else if !filtered {
        (
            state.cbr.len(),
            window(&state.cbr, skip, take)
                .iter()
                .map(|record| &*record.json)
                .collect(),
        )
    } else {
        let (count, page) = page_of(state.cbr.iter(), matches, skip, take);
        (
            count,
            page.into_iter().map(|record| &*record.json).collect(),
        )
    };
    Ok(CbrPage {
        count,
        limit,
        offset,
        operation_logs,
    })
}

// ---- OCP ----

fn ocp_error(status: StatusCode, code: serde_json::Value, message: &str) -> Response {
    let body = json!({
        "duration": 0,
        "error": {"code": code, "message": message},
        "server": "backup-task-api-mock",
        "status": status.as_u16(),
        "successful": false,
        "timestamp": now_timestamp(),
        "traceId": format!("{:016x}", fastrand::u64(..)),
    });
    to_json(status, &body)
}

fn now_timestamp() -> String {
    Timestamp::from(Utc::now()).as_str().to_owned()
}

#[derive(Serialize)]
struct OcpEnvelope<'a> {
    data: OcpPage<'a>,
    duration: u64,
    server: &'static str,
    status: u16,
    successful: bool,
    timestamp: String,
    #[serde(rename = "traceId")]
    trace_id: String,
}

#[derive(Serialize)]
struct OcpPage<'a> {
    contents: Vec<&'a RawValue>,
    page: ocp::PageInfo,
}

/// Authentication first, as in [`cbr_handler`].
async fn ocp_handler(
    State(state): State<Arc<AppState>>,
    Path((cluster, tenant)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if let Err(why) = ocp_authenticate(&state.config, &method, &headers, &uri) {
        return ocp_error(StatusCode::UNAUTHORIZED, json!(10008), &why);
    }
    let n = state.requests.fetch_add(1, Ordering::Relaxed);
    let fault = match pick_fault(&state, &headers, n) {
        Ok(fault) => fault,
        Err(why) => return ocp_error(StatusCode::BAD_REQUEST, json!(400), &why),
    };
    if state.config.latency > Duration::ZERO {
        tokio::time::sleep(state.config.latency).await;
    }
    let started = std::time::Instant::now();
    let normal = ocp_answer(&state, &cluster, &tenant, &uri, started);
    with_fault(fault, true, normal).await
}

fn ocp_answer(
    state: &AppState,
    cluster: &str,
    tenant: &str,
    uri: &Uri,
    started: std::time::Instant,
) -> Response {
    let (Ok(cluster), Ok(tenant)) = (cluster.parse::<i64>(), tenant.parse::<i64>()) else {
        return ocp_error(
            StatusCode::BAD_REQUEST,
            json!(60018),
            "Invalid request parameter: id and tenantId must be integers",
        );
    };
    if (cluster, tenant) != (OCP_CLUSTER_ID, OCP_TENANT_ID) {
        return ocp_error(
            StatusCode::NOT_FOUND,
            json!(60101),
            &format!("Tenant {tenant} does not exist in cluster {cluster}"),
        );
    }
    let pairs = query_pairs(uri);
    match ocp_query(state, &pairs) {
        Ok(page) => to_json(
            StatusCode::OK,
            &OcpEnvelope {
                data: page,
                duration: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                server: "backup-task-api-mock",
                status: 200,
                successful: true,
                timestamp: now_timestamp(),
                trace_id: format!("{:016x}", fastrand::u64(..)),
            },
        ),
        Err(why) => ocp_error(
            StatusCode::BAD_REQUEST,
            json!(60018),
            &format!("Invalid request parameter: {why}"),
        ),
    }
}

/// Which response statuses a filter value selects.
fn ocp_status_matches(filter: &str, status: &str) -> bool {
    match filter {
        "STARTING" => matches!(status, "STARTING" | "BEGINNING"),
        "INPROGRESS" => matches!(status, "INPROGRESS" | "RUNNING"),
        other => other == status,
    }
}

fn ocp_query<'a>(state: &'a AppState, pairs: &[(String, String)]) -> Result<OcpPage<'a>, String> {
    let page = number(pairs, "page", 1, i64::from(i32::MAX))?.unwrap_or(1);
    let size = number(pairs, "size", 1, i64::from(i32::MAX))?.unwrap_or(10);
    let start = time(state, pairs, "startTime")?;
    let end = time(state, pairs, "endTime")?;
    // Spring binds both `status=A,B` and `status=A&status=B`.
    let mut statuses = Vec::new();
    for (_, value) in pairs.iter().filter(|(k, _)| k == "status") {
        for status in value.split(',') {
            if status.parse::<ocp::LogBackupTaskStatusFilter>().is_err() {
                return Err(format!(
                    "status {status:?} is not one of STARTING, INPROGRESS, STOPPING, STOPPED, FAILED, INTERRUPTED, UNKNOWN"
                ));
            }
            statuses.push(status.to_owned());
        }
    }
    let matches = |task: &Served<OcpKeys>| {
        within(&task.keys.time, start.as_deref(), end.as_deref())
            && (statuses.is_empty()
                || task
                    .keys
                    .status
                    .as_ref()
                    .is_some_and(|s| statuses.iter().any(|f| ocp_status_matches(f, s))))
    };
    let size_usize = usize::try_from(size).unwrap_or(usize::MAX);
    let skip = usize::try_from(page - 1)
        .unwrap_or(usize::MAX)
        .saturating_mul(size_usize);
    // With no filter the page is a slice, as for CBR.
    let (total, found) = if start.is_none() && end.is_none() && statuses.is_empty() {
        (
            state.ocp.len(),
            window(&state.ocp, skip, size_usize).iter().collect(),
        )
    } else {
        page_of(state.ocp.iter(), matches, skip, size_usize)
    };
    let total_pages = total.div_ceil(size_usize);
    Ok(OcpPage {
        contents: found.into_iter().map(|task| &*task.json).collect(),
        page: ocp::PageInfo {
            number: i32::try_from(page).unwrap_or(i32::MAX),
            size: i32::try_from(size).unwrap_or(i32::MAX),
            total_elements: i64::try_from(total).unwrap_or(i64::MAX),
            total_pages: i32::try_from(total_pages).unwrap_or(i32::MAX),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The records serialised once at start make the same bytes as serialising the records.
    #[test]
    fn a_page_of_serialised_records_is_the_page_of_the_records() {
        let data = Dataset::generate(200, 7);
        let page = |raw: &[Box<RawValue>]| {
            serde_json::to_string(&raw.iter().map(|r| &**r).collect::<Vec<_>>()).expect("ser")
        };
        let cbr: Vec<_> = data.cbr.iter().map(raw_json).collect();
        let ocp: Vec<_> = data.ocp.iter().map(raw_json).collect();
        assert_eq!(page(&cbr), serde_json::to_string(&data.cbr).expect("ser"));
        assert_eq!(page(&ocp), serde_json::to_string(&data.ocp).expect("ser"));
        assert!(page(&cbr).len() > 200 * 100, "the records are all there");
    }

    #[test]
    fn latency_faults_are_capped() {
        assert_eq!(
            "latency=30000".parse::<Fault>(),
            Ok(Fault::Latency(MAX_LATENCY))
        );
        assert!("latency=30001".parse::<Fault>().is_err());
        assert!("latency=18446744073709551615".parse::<Fault>().is_err());
        assert!("latency=-1".parse::<Fault>().is_err());
    }

    #[test]
    fn the_default_config_is_valid() {
        assert_eq!(MockConfig::default().validate(), Ok(()));
    }
}
