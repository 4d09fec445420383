//! A reverse proxy for either API that checks every response against the contract, prints one
//! line per exchange, and can record the traffic for `validate --exchanges`, `drift` and
//! `mock --replay`.
//!
//! Each request goes upstream as it came: method, path and query bytes unchanged, every header
//! but the hop-by-hop ones (`Connection` and those it names, `Keep-Alive`, `TE`, `Trailer`,
//! `Transfer-Encoding`, `Upgrade`, `Proxy-*`) and `Host`. Credentials pass through untouched;
//! they are never printed and a recording holds them redacted ([`crate::contract::exchange`]).
//!
//! **`Host` and signatures.** By default the upstream gets its own host in `Host` (what a
//! virtual host or a TLS front end routes on). A signature that covers `Host` was computed by the
//! client for the host it talked to, the proxy's, so for such a request the proxy forwards the
//! `Host` it was sent instead, and the upstream recomputes the very string the client signed:
//! OCP's `OCP-ACCESS-KEY-HMACSHA1` always signs `Host`, CBR's `SDK-HMAC-SHA256` when its
//! `SignedHeaders` lists `host` (this crate's CBR signer does not list it, so CBR signatures
//! pass either way). An upstream that routes on `Host` then sees the proxy's host; to reach one
//! with a `Host`-signed request, give the proxy a name the upstream answers to.
//!
//! **Bounds.** Connections are served by the mock's accept loop (a cap on open connections, a
//! header-read timeout, a write timeout). A request body is read whole, at most
//! [`MAX_REQUEST_BODY_BYTES`] (these APIs take none). A response body is passed on chunk by
//! chunk as it arrives and kept for the check up to [`ProxyConfig::max_body_bytes`] (the
//! clients' own 32 MiB); past that the client gets an error instead of the rest. The whole
//! exchange upstream has [`ProxyConfig::timeout`]. The contract check, the line and the
//! recording happen after the body has gone to the client, off the request's path, on
//! long-lived threads of their own ([`ProxyConfig::checkers`]), each taking the exchanges from
//! its queue in the order they end. Every request takes a place in the shortest queue before it
//! is forwarded, and the queues hold at most 1,024 exchanges more than the connection limit, so
//! when checks fall that far behind, new requests wait for them instead of the backlog (and the
//! bodies it holds) growing.

mod body;
pub mod observe;
pub mod record;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;
use tokio::sync::mpsc;

pub use observe::{Observed, Outcome, Summary};
pub use record::{RecordError, Recorder};

use crate::contract::Api;
use crate::contract::exchange::{self, Exchange, Pairs};
use crate::mock::server;
use body::{Ended, Tee, error_chain};

/// The largest request body forwarded: 1 MiB (the APIs' requests have none).
pub const MAX_REQUEST_BODY_BYTES: usize = 1024 * 1024;
/// Default of [`ProxyConfig::timeout`]: 60 s, above the mock's longest injected latency (30 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Exchanges whose body has ended and that wait for their check, print and recording, over all
/// the checkers' queues, beyond one per allowed connection. Each request takes its place in a
/// queue before it is forwarded; a request that finds every place taken waits.
const QUEUE: usize = 1024;

/// How the proxy behaves.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// The service's base URL (`http` or `https`), without query, fragment or user-info.
    pub upstream: String,
    /// The API every response is checked against; `None` tells it from each path.
    pub api: Option<Api>,
    /// The largest response body passed on and checked.
    pub max_body_bytes: u64,
    /// Time for one whole exchange with the upstream, body included.
    pub timeout: Duration,
    /// Time to connect to the upstream.
    pub connect_timeout: Duration,
    /// Client connections open at once.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers (or idle between requests).
    pub header_timeout: Duration,
    /// How long a response may wait for the client to take any of it.
    pub write_timeout: Duration,
    /// Threads that check, record and report the exchanges (at least 1; by default one per
    /// core). A check takes a core while it runs, and on a machine the proxy shares, fewer
    /// threads get less of it: with one, checks fell behind under load.
    pub checkers: usize,
}

impl ProxyConfig {
    /// The defaults, in front of `upstream`.
    pub fn new(upstream: impl Into<String>) -> Self {
        ProxyConfig {
            upstream: upstream.into(),
            api: None,
            max_body_bytes: crate::client::http::DEFAULT_MAX_BODY_BYTES,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: crate::client::http::DEFAULT_CONNECT_TIMEOUT,
            max_connections: crate::mock::DEFAULT_MAX_CONNECTIONS,
            header_timeout: crate::mock::DEFAULT_HEADER_TIMEOUT,
            write_timeout: crate::mock::DEFAULT_WRITE_TIMEOUT,
            checkers: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

/// Why the proxy cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The upstream is not a usable base URL.
    #[error("invalid upstream")]
    Upstream(#[source] crate::Error),
    /// A limit is zero or out of range; the message says which.
    #[error("invalid proxy option: {0}")]
    Config(String),
    /// The HTTP client could not be built.
    #[error("cannot build the upstream client")]
    Client(#[source] reqwest::Error),
    /// Binding or serving failed.
    #[error("cannot serve")]
    Io(#[source] std::io::Error),
}

/// What every request handler shares.
struct Shared {
    base: String,
    client: reqwest::Client,
    api: Option<Api>,
    limit: usize,
    /// Each checker's queue.
    checkers: Vec<mpsc::Sender<Finished>>,
}

/// A proxy ready to serve: the upstream checked, the client built, the recording open.
pub struct Proxy {
    config: ProxyConfig,
    base: String,
    client: reqwest::Client,
    recorder: Option<Recorder>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("upstream", &self.base)
            .field("recording", &self.recorder.as_ref().map(Recorder::path))
            .finish_non_exhaustive()
    }
}

impl Proxy {
    /// Checks `config` and builds the upstream client (rustls for `https`).
    pub fn new(config: ProxyConfig, recorder: Option<Recorder>) -> Result<Proxy, ProxyError> {
        let base = crate::client::http::validate_endpoint(&config.upstream)
            .map_err(ProxyError::Upstream)?;
        if config.max_body_bytes == 0 || usize::try_from(config.max_body_bytes).is_err() {
            return Err(ProxyError::Config(format!(
                "the body limit must be from 1 to {} bytes",
                usize::MAX
            )));
        }
        for (what, value) in [
            ("timeout", config.timeout),
            ("connect timeout", config.connect_timeout),
            ("header timeout", config.header_timeout),
            ("write timeout", config.write_timeout),
        ] {
            if value.is_zero() {
                return Err(ProxyError::Config(format!("the {what} must be above 0")));
            }
        }
        if config.checkers == 0 {
            return Err(ProxyError::Config("checkers must be at least 1".into()));
        }
        if !(1..=u32::MAX as usize).contains(&config.max_connections)
            || config.max_connections > tokio::sync::Semaphore::MAX_PERMITS
        {
            return Err(ProxyError::Config(format!(
                "max connections must be at least 1, got {}",
                config.max_connections
            )));
        }
        // `Err` only means a provider is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            // A redirect goes back to the client as it came, like every other answer.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ProxyError::Client)?;
        Ok(Proxy {
            config,
            base,
            client,
            recorder,
        })
    }

    /// Serves on `listener` until `shutdown` completes, then lets open exchanges finish and
    /// returns the totals. `on_exchange` is called once per exchange, in about the order they
    /// end (exactly, with one checker), after the exchange is checked and recorded; it runs on a
    /// checker thread, one exchange at a time, so it may block, and the checkers wait while it
    /// does.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        on_exchange: impl FnMut(&Observed) + Send + 'static,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<Summary, ProxyError> {
        // Long-lived threads for every check, each with a queue of its own: a thread hand-off
        // per exchange (the blocking pool's) cost more than a check of a 100-record page, one
        // queue shared behind a lock woke a second thread for every exchange, and a thread that
        // stays keeps the parser's buffers and the regex caches warm. The queues together have
        // room for every open connection's exchange beside the backlog; a request goes to the
        // one with most room, so it waits only when all are full.
        let checkers = self.config.checkers;
        let capacity = (QUEUE + self.config.max_connections).div_ceil(checkers);
        let collector = Arc::new(Mutex::new(Collector {
            recorder: self.recorder,
            on_exchange,
            summary: Summary::default(),
        }));
        let (queues, checkers): (Vec<_>, Vec<_>) = (0..checkers)
            .map(|_| {
                let (tx, rx) = mpsc::channel(capacity);
                let collector = collector.clone();
                (
                    tx,
                    tokio::task::spawn_blocking(move || check_all(rx, &collector)),
                )
            })
            .unzip();
        let shared = Arc::new(Shared {
            base: self.base,
            client: self.client,
            api: self.config.api,
            limit: usize::try_from(self.config.max_body_bytes).unwrap_or(usize::MAX),
            checkers: queues,
        });
        let router = Router::new().fallback(forward).with_state(shared);
        let limits = server::Limits {
            max_connections: self.config.max_connections,
            header_timeout: self.config.header_timeout,
            write_timeout: self.config.write_timeout,
        };
        let served = server::run(listener, router, limits, shutdown).await;
        // Every sender is gone with the router and the connections (an exchange whose body is
        // still on its way holds its reserved place until it has sent), so the checkers end once
        // the last exchange is in.
        for checker in checkers {
            checker
                .await
                .map_err(|e| ProxyError::Io(std::io::Error::other(e)))?;
        }
        served.map_err(ProxyError::Io)?;
        let summary = std::mem::take(&mut lock(&collector).summary);
        Ok(summary)
    }
}

/// Where the checked exchanges go: the recording, the totals and the caller's callback, one
/// exchange at a time.
struct Collector<F> {
    recorder: Option<Recorder>,
    on_exchange: F,
    summary: Summary,
}

impl<F: FnMut(&Observed)> Collector<F> {
    /// Records, counts and reports `observed`.
    fn take(&mut self, observed: &Observed) {
        let answered_by_proxy = matches!(observed.outcome, Outcome::ProxyAnswered(_));
        if let Some(recorder) = self.recorder.as_mut().filter(|_| !answered_by_proxy)
            && recorder.append(&observed.exchange).is_err()
        {
            self.summary.record_errors += 1;
        }
        self.summary.add(observed);
        (self.on_exchange)(observed);
    }
}

/// `mutex` locked, also after a panic elsewhere: what it guards (the totals) stays usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Takes exchanges off `queue` until it is closed and empty: checks each, then hands it to the
/// collector. Several run at once, so the exchanges reach the collector in about the order they
/// ended (exactly, with one checker).
fn check_all<F: FnMut(&Observed)>(
    mut queue: mpsc::Receiver<Finished>,
    collector: &Mutex<Collector<F>>,
) {
    while let Some(finished) = queue.blocking_recv() {
        let observed = finished.observe();
        lock(collector).take(&observed);
    }
}

/// A proxy serving in the background.
#[derive(Debug)]
pub struct RunningProxy {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<Summary, ProxyError>>,
}

impl RunningProxy {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops it, waits for open exchanges, and returns the totals.
    pub async fn stop(mut self) -> Result<Summary, ProxyError> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        (&mut self.task)
            .await
            .unwrap_or_else(|e| Err(ProxyError::Io(std::io::Error::other(e))))
    }
}

/// Binds `addr` (port 0 picks a free one) and serves `proxy` in the background.
pub async fn start(
    addr: SocketAddr,
    proxy: Proxy,
    on_exchange: impl FnMut(&Observed) + Send + 'static,
) -> Result<RunningProxy, ProxyError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(ProxyError::Io)?;
    let addr = listener.local_addr().map_err(ProxyError::Io)?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(proxy.serve(listener, on_exchange, async {
        let _ = rx.await;
    }));
    Ok(RunningProxy {
        addr,
        shutdown: Some(tx),
        task,
    })
}

/// Headers that belong to one connection, not to the request (RFC 9110, 7.6.1), and the ones
/// the proxy sets itself (`Host`, `Content-Length`).
fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
    )
}

/// `headers` without the hop-by-hop ones and those `Connection` names.
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|token| token.trim().to_ascii_lowercase())
        .collect();
    headers
        .iter()
        .filter(|(name, _)| !is_hop_by_hop(name) && !named.iter().any(|n| n == name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// Whether the request carries a signature computed over its `Host` header.
fn signature_covers_host(headers: &HeaderMap) -> bool {
    let Some(authorization) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let scheme = authorization.split_whitespace().next().unwrap_or_default();
    if scheme.eq_ignore_ascii_case(crate::ocp::signer::AUTH_SCHEME) {
        return true;
    }
    crate::cbr::signer::parse_authorization(authorization)
        .is_some_and(|parsed| parsed.signed_headers.iter().any(|h| h == "host"))
}

fn pairs(headers: &HeaderMap) -> Pairs {
    exchange::redact_headers(headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())))
}

/// How an exchange ended, as the request handler hands it to the checker: the raw parts, so the
/// copying, redacting and formatting an [`Observed`] needs happen on the checker's thread, off
/// the request's path.
struct Finished {
    api: Option<Api>,
    started_at: DateTime<Utc>,
    latency: Duration,
    method: Method,
    path: String,
    query: String,
    request_headers: HeaderMap,
    status: StatusCode,
    response_headers: HeaderMap,
    body: Vec<u8>,
    how: How,
}

/// What the checker is to do with a [`Finished`] exchange.
enum How {
    /// Check the body, which ended as this says.
    Check(Ended),
    /// Nothing to check: the proxy answered itself, and why.
    Answered(String),
}

impl Finished {
    /// Checks the body and builds the exchange as `--record` writes it.
    fn observe(self) -> Observed {
        let Finished {
            api,
            started_at,
            latency,
            method,
            path,
            query,
            request_headers,
            status,
            response_headers,
            mut body,
            how,
        } = self;
        let truncated = matches!(&how, How::Check(ended) if *ended != Ended::Complete);
        let outcome = match (how, api) {
            (How::Answered(why), _) => Outcome::ProxyAnswered(why),
            (How::Check(Ended::Complete), Some(api)) => {
                observe::check_buffer(api, status.as_u16(), &mut body)
            }
            (How::Check(Ended::Complete), None) => {
                Outcome::NotChecked("the path is neither API's operation".into())
            }
            (How::Check(Ended::OverLimit), _) => Outcome::NotChecked(
                "the body is over the proxy's limit; the client got an error".into(),
            ),
            (How::Check(Ended::Broken(why)), _) => {
                Outcome::NotChecked(format!("the upstream broke off the body: {why}"))
            }
            (How::Check(Ended::ClientGone), _) => {
                Outcome::NotChecked("the client left before the body ended".into())
            }
        };
        // The body moves into the exchange as it is: no copy when it is UTF-8, as it nearly
        // always is.
        let (text, base64) = match String::from_utf8(body) {
            Ok(text) => (Some(text), None),
            Err(e) => (
                None,
                Some(base64::engine::general_purpose::STANDARD.encode(e.into_bytes())),
            ),
        };
        let exchange = Exchange {
            api: api.map(|a| a.name().to_owned()),
            started: Some(started_at.to_rfc3339_opts(SecondsFormat::Millis, true)),
            latency_ms: Some(latency.as_secs_f64() * 1e3),
            request: exchange::Request {
                method: method.as_str().to_owned(),
                path,
                query: exchange::redact_query(&query),
                headers: pairs(&request_headers),
            },
            response: exchange::Response {
                status: status.as_u16(),
                headers: pairs(&response_headers),
                body: text,
                body_base64: base64,
                body_truncated: truncated,
            },
        };
        Observed {
            exchange,
            api,
            latency,
            outcome,
        }
    }
}

/// Forwards one request and passes the response back, observing both.
async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let started = Instant::now();
    let started_at = Utc::now();
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let api = observe::api_for(&path, shared.api);
    // A place in the checker's queue before anything is forwarded: when checks fall behind by
    // the whole queue, new requests wait here, so the backlog (and the bodies it holds) stays
    // bounded however long the proxy runs.
    // The checker with the shortest queue: with room in every one, the same one each time, so an
    // idle proxy wakes one thread per exchange and keeps its caches warm.
    let reserved = match shared.checkers.iter().max_by_key(|queue| queue.capacity()) {
        Some(queue) => queue.clone().reserve_owned().await.ok(),
        None => None,
    };
    let Some(slot) = reserved else {
        // Only when the checker is gone, which ends the proxy anyway.
        let why = "the proxy's checker has stopped".to_owned();
        return proxy_error(api, StatusCode::SERVICE_UNAVAILABLE, &why);
    };
    let url = if query.is_empty() {
        format!("{}{path}", shared.base)
    } else {
        format!("{}{path}?{query}", shared.base)
    };
    let mut headers = end_to_end(&parts.headers);
    headers.remove(header::CONTENT_LENGTH);
    if !signature_covers_host(&parts.headers) {
        headers.remove(header::HOST);
    }
    let method = parts.method.clone();
    let finished =
        move |status: StatusCode, response_headers: HeaderMap, body: Vec<u8>, how| Finished {
            api,
            started_at,
            latency: started.elapsed(),
            method: parts.method,
            path,
            query,
            request_headers: parts.headers,
            status,
            response_headers,
            body,
            how,
        };
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            let why = format!("the request body is over {MAX_REQUEST_BODY_BYTES} bytes");
            return answer(slot, api, StatusCode::PAYLOAD_TOO_LARGE, why, finished);
        }
    };
    let sent = shared
        .client
        .request(method, url)
        .headers(headers)
        .body(body)
        .send()
        .await;
    let upstream = match sent {
        Ok(upstream) => upstream,
        Err(e) => {
            // Without the URL: its query may carry a credential.
            let why = format!(
                "the upstream {} did not answer: {}",
                shared.base,
                error_chain(&e.without_url())
            );
            return answer(slot, api, StatusCode::BAD_GATEWAY, why, finished);
        }
    };
    let status = upstream.status();
    let response_headers = end_to_end(upstream.headers());
    let recorded_headers = response_headers.clone();
    let finish = Box::new(move |kept: Vec<u8>, ended: Ended| {
        slot.send(finished(status, recorded_headers, kept, How::Check(ended)));
    });
    let expected = upstream.content_length();
    let tee = Tee::new(upstream.bytes_stream(), shared.limit, expected, finish);
    let mut response = Response::new(Body::from_stream(tee));
    *response.status_mut() = status;
    *response.headers_mut() = response_headers;
    response
}

/// The proxy's own answer (`status`, a body in the API's error shape saying `why`), reported as an
/// exchange the proxy answered itself.
fn answer(
    slot: mpsc::OwnedPermit<Finished>,
    api: Option<Api>,
    status: StatusCode,
    why: String,
    finished: impl FnOnce(StatusCode, HeaderMap, Vec<u8>, How) -> Finished,
) -> Response {
    let response = proxy_error(api, status, &why);
    slot.send(finished(
        response.status(),
        response.headers().clone(),
        Vec::new(),
        How::Answered(why),
    ));
    response
}

/// The proxy's own answer (502, 413), in the error shape of the request's API so a typed client
/// shows its message; a plain JSON object when the API is unknown.
fn proxy_error(api: Option<Api>, status: StatusCode, why: &str) -> Response {
    let message = format!("backup-task-api proxy: {why}");
    let body = match api {
        Some(Api::Cbr) => {
            json!({"error_code": format!("PROXY.{}", status.as_u16()), "error_msg": message})
        }
        Some(Api::Ocp) => json!({
            "duration": 0,
            "error": {"code": status.as_u16(), "message": message},
            "server": "backup-task-api-proxy",
            "status": status.as_u16(),
            "successful": false,
            "timestamp": crate::common::Timestamp::from(Utc::now()).as_str(),
        }),
        None => json!({"error": "proxy", "status": status.as_u16(), "message": message}),
    };
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_dropped() {
        let mut headers = HeaderMap::new();
        headers.insert("connection", HeaderValue::from_static("close, x-private"));
        headers.insert("x-private", HeaderValue::from_static("1"));
        headers.insert("te", HeaderValue::from_static("trailers"));
        headers.insert("x-auth-token", HeaderValue::from_static("t"));
        headers.insert("accept", HeaderValue::from_static("application/json"));
        let kept = end_to_end(&headers);
        let names: Vec<&str> = kept.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["x-auth-token", "accept"]);
    }

    fn finished(body: &[u8], how: How) -> Finished {
        let mut request_headers = HeaderMap::new();
        request_headers.insert("x-auth-token", HeaderValue::from_static("s3cret"));
        request_headers.insert("accept", HeaderValue::from_static("application/json"));
        let mut response_headers = HeaderMap::new();
        response_headers.insert("set-cookie", HeaderValue::from_static("session=s3cret"));
        Finished {
            api: Some(Api::Cbr),
            started_at: Utc::now(),
            latency: Duration::from_micros(1500),
            method: Method::GET,
            path: "/v3/p/operation-logs".into(),
            query: "limit=1&access_token=s3cret".into(),
            request_headers,
            status: StatusCode::OK,
            response_headers,
            body: body.to_vec(),
            how,
        }
    }

    #[test]
    fn a_finished_exchange_is_checked_and_recorded_without_credentials() {
        let body = br#"{"count":"one","operation_logs":[]}"#;
        let observed = finished(body, How::Check(Ended::Complete)).observe();
        assert!(
            matches!(&observed.outcome, Outcome::Violations(v) if !v.is_empty()),
            "{:?}",
            observed.outcome
        );
        let response = &observed.exchange.response;
        assert_eq!(response.body.as_deref().map(str::as_bytes), Some(&body[..]));
        assert!(!response.body_truncated);
        let line = observed.exchange.to_line().expect("encodes");
        assert!(!line.contains("s3cret"), "{line}");
        assert!(line.contains("application/json"), "{line}");
        assert_eq!(observed.exchange.api.as_deref(), Some("cbr"));
    }

    #[test]
    fn a_body_cut_short_is_recorded_as_truncated_and_not_checked() {
        let observed = finished(b"{\"count\":", How::Check(Ended::OverLimit)).observe();
        assert!(matches!(observed.outcome, Outcome::NotChecked(_)));
        assert!(observed.exchange.response.body_truncated);

        let observed = finished(b"", How::Answered("no upstream".into())).observe();
        assert_eq!(
            observed.outcome,
            Outcome::ProxyAnswered("no upstream".into())
        );
        assert!(!observed.exchange.response.body_truncated);

        // Not UTF-8: kept byte for byte as base64, and still checked (as not JSON).
        let observed = finished(b"\xff\xfe", How::Check(Ended::Complete)).observe();
        assert!(matches!(observed.outcome, Outcome::NotJson(_)));
        let response = &observed.exchange.response;
        assert_eq!(response.body, None);
        assert_eq!(response.body_bytes().expect("base64").as_ref(), b"\xff\xfe");
    }

    #[test]
    fn no_checker_is_refused() {
        let config = ProxyConfig {
            checkers: 0,
            ..ProxyConfig::new("http://127.0.0.1:1")
        };
        assert!(matches!(
            Proxy::new(config, None),
            Err(ProxyError::Config(_))
        ));
    }

    #[test]
    fn host_is_kept_only_for_signatures_over_it() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            signature_covers_host(&headers)
        };
        assert!(with("OCP-ACCESS-KEY-HMACSHA1 ak:c2ln"));
        assert!(with(
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=ab"
        ));
        assert!(!with(
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-project-id;x-sdk-date, Signature=ab"
        ));
        assert!(!with("Basic YWRtaW46YWRtaW4="));
        assert!(!signature_covers_host(&HeaderMap::new()));
    }
}
