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
//! exchange upstream has [`ProxyConfig::timeout`]. The contract check and the recording happen
//! after the body has gone to the client, off the request's path.

mod body;
pub mod observe;
pub mod record;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use chrono::{SecondsFormat, Utc};
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
/// Exchanges waiting to be printed and recorded; a request that finds the queue full waits.
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
    observed: mpsc::Sender<Observed>,
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
    /// returns the totals. `on_exchange` is called once per exchange, in the order they end,
    /// after the exchange is recorded; it runs on a thread of its own, so it may block.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        on_exchange: impl FnMut(&Observed) + Send + 'static,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<Summary, ProxyError> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let recorder = self.recorder;
        let collector = tokio::task::spawn_blocking(move || collect(rx, recorder, on_exchange));
        let shared = Arc::new(Shared {
            base: self.base,
            client: self.client,
            api: self.config.api,
            limit: usize::try_from(self.config.max_body_bytes).unwrap_or(usize::MAX),
            observed: tx,
        });
        let router = Router::new().fallback(forward).with_state(shared);
        let limits = server::Limits {
            max_connections: self.config.max_connections,
            header_timeout: self.config.header_timeout,
            write_timeout: self.config.write_timeout,
        };
        let served = server::run(listener, router, limits, shutdown).await;
        // Every sender is gone with the router and the connections (a check still running holds
        // its own until it has sent), so the collector ends once the last exchange is in.
        let summary = collector
            .await
            .map_err(|e| ProxyError::Io(std::io::Error::other(e)))?;
        served.map_err(ProxyError::Io)?;
        Ok(summary)
    }
}

/// Records, counts and reports each exchange as it ends.
fn collect(
    mut rx: mpsc::Receiver<Observed>,
    mut recorder: Option<Recorder>,
    mut on_exchange: impl FnMut(&Observed),
) -> Summary {
    let mut summary = Summary::default();
    while let Some(observed) = rx.blocking_recv() {
        let answered_by_proxy = matches!(observed.outcome, Outcome::ProxyAnswered(_));
        if let Some(recorder) = recorder.as_mut().filter(|_| !answered_by_proxy)
            && recorder.append(&observed.exchange).is_err()
        {
            summary.record_errors += 1;
        }
        summary.add(&observed);
        on_exchange(&observed);
    }
    summary
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

/// Forwards one request and passes the response back, observing both.
async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let started = Instant::now();
    let started_at = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let api = observe::api_for(&path, shared.api);
    let recorded = exchange::Request {
        method: parts.method.as_str().to_owned(),
        path: path.clone(),
        query: exchange::redact_query(&query),
        headers: pairs(&parts.headers),
    };
    let observe = |status: StatusCode, headers: &HeaderMap, body: &[u8], outcome: Outcome| {
        let exchange = Exchange {
            api: api.map(|a| a.name().to_owned()),
            started: Some(started_at.clone()),
            latency_ms: Some(started.elapsed().as_secs_f64() * 1e3),
            request: recorded.clone(),
            response: exchange::Response::new(status.as_u16(), pairs(headers), body, false),
        };
        Observed {
            exchange,
            api,
            latency: started.elapsed(),
            outcome,
        }
    };
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            let why = format!("the request body is over {MAX_REQUEST_BODY_BYTES} bytes");
            return answer(&shared, api, StatusCode::PAYLOAD_TOO_LARGE, why, &observe).await;
        }
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
    let sent = shared
        .client
        .request(parts.method.clone(), url)
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
            return answer(&shared, api, StatusCode::BAD_GATEWAY, why, &observe).await;
        }
    };
    let status = upstream.status();
    let response_headers = end_to_end(upstream.headers());
    let recorded_headers = pairs(&response_headers);
    let tx = shared.observed.clone();
    let finish = Box::new(move |kept: Bytes, ended: Ended| {
        let latency = started.elapsed();
        let job = move || {
            let outcome = match (&ended, api) {
                (Ended::Complete, Some(api)) => observe::check(api, status.as_u16(), &kept),
                (Ended::Complete, None) => {
                    Outcome::NotChecked("the path is neither API's operation".into())
                }
                (Ended::OverLimit, _) => Outcome::NotChecked(
                    "the body is over the proxy's limit; the client got an error".into(),
                ),
                (Ended::Broken(why), _) => {
                    Outcome::NotChecked(format!("the upstream broke off the body: {why}"))
                }
                (Ended::ClientGone, _) => {
                    Outcome::NotChecked("the client left before the body ended".into())
                }
            };
            let exchange = Exchange {
                api: api.map(|a| a.name().to_owned()),
                started: Some(started_at),
                latency_ms: Some(latency.as_secs_f64() * 1e3),
                request: recorded,
                response: exchange::Response::new(
                    status.as_u16(),
                    recorded_headers,
                    &kept,
                    ended != Ended::Complete,
                ),
            };
            let _ = tx.blocking_send(Observed {
                exchange,
                api,
                latency,
                outcome,
            });
        };
        // Off the runtime's worker threads: a check of a large body takes a while.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(job)),
            Err(_) => job(),
        }
    });
    let expected = upstream.content_length();
    let tee = Tee::new(upstream.bytes_stream(), shared.limit, expected, finish);
    let mut response = Response::new(Body::from_stream(tee));
    *response.status_mut() = status;
    *response.headers_mut() = response_headers;
    response
}

/// The proxy's own answer (502, 413), in the error shape of the request's API so a typed client
/// shows its message; a plain JSON object when the API is unknown.
/// The proxy's own answer (`status`, a body in the API's error shape saying `why`), reported as an
/// exchange the proxy answered itself.
async fn answer(
    shared: &Shared,
    api: Option<Api>,
    status: StatusCode,
    why: String,
    observe: &impl Fn(StatusCode, &HeaderMap, &[u8], Outcome) -> Observed,
) -> Response {
    let response = proxy_error(api, status, &why);
    let _ = shared
        .observed
        .send(observe(
            response.status(),
            response.headers(),
            b"",
            Outcome::ProxyAnswered(why),
        ))
        .await;
    response
}

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
