//! `mock --replay FILE`: serves recorded exchanges ([`crate::contract::exchange`]) instead of the
//! synthetic dataset, so tests written against the real service run offline.
//!
//! A request matches a recorded one with the same method, the same path (byte for byte) and the
//! same query parameters, compared decoded (`%20` and `+` alike) and in any order, without the
//! credential-like ones (a recording holds those redacted; see
//! [`crate::contract::redact::is_sensitive_key`]). Credentials are neither checked nor needed:
//! a replay answers whoever asks. When several recorded exchanges match, they are served in
//! the order recorded and the last one repeats (a recorded 429 and the retry's 200 replay as
//! they happened). A request that matches nothing gets a 404 in its API's error shape naming the
//! nearest recorded request.

use std::collections::HashMap;
use std::future::Future;
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use serde_json::json;

use super::{MockConfig, RunningMock, cbr_error, invalid_config, ocp_error, server};
use crate::common::terminal::escape;
use crate::contract::exchange::{ExchangeError, Reader};
use crate::contract::redact::{REDACTED, is_sensitive_key};

/// Most exchanges a recording may hold.
pub const MAX_EXCHANGES: usize = 100_000;
/// Most response-body bytes a recording may hold in all: 1 GiB.
pub const MAX_TOTAL_BODY_BYTES: usize = 1024 * 1024 * 1024;

/// Why a recording cannot be replayed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The file could not be opened.
    #[error("cannot open the recording {path}")]
    Open {
        /// The path given.
        path: String,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A line could not be read as an exchange.
    #[error("the recording cannot be replayed")]
    Exchange(#[source] ExchangeError),
    /// More than [`MAX_EXCHANGES`] exchanges or [`MAX_TOTAL_BODY_BYTES`] of bodies.
    #[error("the recording is over the replay's limit of {0}")]
    TooLarge(String),
    /// Not one exchange.
    #[error("the recording holds no exchange")]
    Empty,
}

/// What identifies a request: method, path, and the sorted decoded query without credentials.
type Key = (String, String, Vec<(String, String)>);

/// One recorded response, ready to send.
#[derive(Debug)]
struct Recorded {
    /// Line in the recording, for the 404's "nearest".
    line: u64,
    /// `METHOD path?query` as recorded, for the 404's "nearest".
    request: String,
    key: Key,
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

/// The matching recorded responses of one request, and which one is next.
#[derive(Debug, Default)]
struct Turns {
    recorded: Vec<usize>,
    next: AtomicUsize,
}

/// Recorded exchanges, indexed for replay.
#[derive(Debug)]
pub struct Recording {
    recorded: Vec<Recorded>,
    index: HashMap<Key, Turns>,
}

/// The request's identity: see the module docs.
fn key(method: &str, path: &str, query: &str) -> Key {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(name, _)| !is_sensitive_key(name))
        .collect();
    pairs.sort();
    (method.to_ascii_uppercase(), path.to_owned(), pairs)
}

/// Headers a replayed response does not repeat: those of the recorded connection, the length
/// (the body sets it), and any whose value the recording redacted.
fn replayed_header(name: &str, value: &str) -> bool {
    !matches!(
        name,
        "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "content-length"
    ) && value != REDACTED
}

impl Recording {
    /// Reads the recording at `path`.
    pub fn open(path: &Path) -> Result<Recording, ReplayError> {
        let file = std::fs::File::open(path).map_err(|source| ReplayError::Open {
            path: path.display().to_string(),
            source,
        })?;
        Recording::read(std::io::BufReader::new(file))
    }

    /// Reads a recording; any line that is not an exchange is an error naming it.
    pub fn read(input: impl BufRead) -> Result<Recording, ReplayError> {
        let mut recorded = Vec::new();
        let mut index: HashMap<Key, Turns> = HashMap::new();
        let mut total = 0usize;
        for item in Reader::new(input) {
            let (line, exchange) = item.map_err(ReplayError::Exchange)?;
            if recorded.len() == MAX_EXCHANGES {
                return Err(ReplayError::TooLarge(format!("{MAX_EXCHANGES} exchanges")));
            }
            let body = exchange
                .response
                .body_bytes()
                .map_err(ReplayError::Exchange)?;
            total = total.saturating_add(body.len());
            if total > MAX_TOTAL_BODY_BYTES {
                return Err(ReplayError::TooLarge(format!(
                    "{MAX_TOTAL_BODY_BYTES} bytes of bodies"
                )));
            }
            let request = &exchange.request;
            let key = key(&request.method, &request.path, &request.query);
            let shown = if request.query.is_empty() {
                format!("{} {}", request.method, request.path)
            } else {
                format!("{} {}?{}", request.method, request.path, request.query)
            };
            let status = StatusCode::from_u16(exchange.response.status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let headers = exchange
                .response
                .headers
                .iter()
                .filter(|(name, value)| replayed_header(name, value))
                .filter_map(|(name, value)| {
                    Some((
                        HeaderName::from_bytes(name.as_bytes()).ok()?,
                        HeaderValue::from_str(value).ok()?,
                    ))
                })
                .collect();
            index
                .entry(key.clone())
                .or_default()
                .recorded
                .push(recorded.len());
            recorded.push(Recorded {
                line,
                request: shown,
                key,
                status,
                headers,
                body: Bytes::from(body.into_owned()),
            });
        }
        if recorded.is_empty() {
            return Err(ReplayError::Empty);
        }
        Ok(Recording { recorded, index })
    }

    /// How many exchanges it holds.
    pub fn len(&self) -> usize {
        self.recorded.len()
    }

    /// Whether it holds none (never true of a recording [`Recording::read`] returned).
    pub fn is_empty(&self) -> bool {
        self.recorded.is_empty()
    }

    /// The next recorded response for this request, if any matches.
    fn answer(&self, key: &Key) -> Option<&Recorded> {
        let turns = self.index.get(key)?;
        let turn = turns.next.fetch_add(1, Ordering::Relaxed);
        let at = turns.recorded.get(turn).or_else(|| turns.recorded.last())?;
        self.recorded.get(*at)
    }

    /// The recorded request most like `key`: the same method and path first, then the fewest
    /// query parameters that differ.
    fn nearest(&self, key: &Key) -> Option<&Recorded> {
        let distance = |other: &Key| {
            let method = usize::from(other.0 != key.0) * 1_000_000;
            let path = usize::from(other.1 != key.1) * 10_000;
            let missing = key.2.iter().filter(|p| !other.2.contains(p)).count();
            let extra = other.2.iter().filter(|p| !key.2.contains(p)).count();
            method + path + missing + extra
        };
        self.recorded.iter().min_by_key(|r| distance(&r.key))
    }
}

/// Serves `recording` on `listener` under `config`'s connection limits (the rest of `config`
/// does not apply) until `shutdown` completes.
pub async fn serve_replay(
    listener: tokio::net::TcpListener,
    config: &MockConfig,
    recording: Recording,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    config.validate().map_err(invalid_config)?;
    let limits = server::Limits {
        max_connections: config.max_connections,
        header_timeout: config.header_timeout,
        write_timeout: config.write_timeout,
    };
    let router = Router::new()
        .fallback(replay)
        .with_state(Arc::new(recording));
    server::run(listener, router, limits, shutdown).await
}

/// [`serve_replay`] in the background on `addr` (port 0 picks a free one).
pub async fn start_replay(
    addr: SocketAddr,
    config: MockConfig,
    recording: Recording,
) -> std::io::Result<RunningMock> {
    config.validate().map_err(invalid_config)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        serve_replay(listener, &config, recording, async {
            let _ = rx.await;
        })
        .await
    });
    Ok(RunningMock {
        addr,
        shutdown: Some(tx),
        task,
    })
}

async fn replay(State(recording): State<Arc<Recording>>, request: Request) -> Response {
    let uri = request.uri();
    let key = key(
        request.method().as_str(),
        uri.path(),
        uri.query().unwrap_or_default(),
    );
    if let Some(found) = recording.answer(&key) {
        let mut response = Response::new(Body::from(found.body.clone()));
        *response.status_mut() = found.status;
        let headers = response.headers_mut();
        for (name, value) in &found.headers {
            headers.append(name.clone(), value.clone());
        }
        return response;
    }
    let asked = match uri.query() {
        Some(query) => format!("{} {}?{query}", request.method(), uri.path()),
        None => format!("{} {}", request.method(), uri.path()),
    };
    let nearest = recording.nearest(&key).map_or_else(
        || "none".to_owned(),
        |r| format!("{} (line {})", r.request, r.line),
    );
    // What the client asked is echoed; escaped, so a terminal that prints the message is safe.
    let message = format!(
        "no recorded exchange matches {}; nearest recorded request: {}",
        escape(&asked),
        escape(&nearest)
    );
    if uri.path().starts_with("/api/") {
        ocp_error(StatusCode::NOT_FOUND, json!(404), &message)
    } else {
        cbr_error(StatusCode::NOT_FOUND, "MOCK.0404", &message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORDING: &str = r#"
{"request":{"method":"GET","path":"/v3/p/operation-logs","query":"limit=2&offset=0&x-auth-token=<redacted>"},"response":{"status":429,"headers":[["retry-after","1"],["content-length","2"]],"body":"{}"}}
{"request":{"method":"GET","path":"/v3/p/operation-logs","query":"offset=0&limit=2"},"response":{"status":200,"headers":[["content-type","application/json"]],"body":"{\"count\":0}"}}
{"request":{"method":"GET","path":"/v3/p/operation-logs","query":"limit=2&offset=2&status=a%20b"},"response":{"status":200,"body":"[]"}}
"#;

    #[test]
    fn requests_match_in_any_parameter_order_without_credentials_in_turn() {
        let recording = Recording::read(RECORDING.as_bytes()).expect("reads");
        assert_eq!(recording.len(), 3);
        let asked = key(
            "GET",
            "/v3/p/operation-logs",
            "access_token=t&offset=0&limit=2",
        );
        let statuses: Vec<u16> = (0..3)
            .map(|_| recording.answer(&asked).expect("matches").status.as_u16())
            .collect();
        assert_eq!(statuses, [429, 200, 200], "in turn, the last repeats");
        let spaced = key("GET", "/v3/p/operation-logs", "status=a+b&offset=2&limit=2");
        assert_eq!(
            recording.answer(&spaced).expect("matches").body.as_ref(),
            b"[]"
        );
        assert!(
            recording
                .answer(&key("POST", "/v3/p/operation-logs", "limit=2&offset=0"))
                .is_none()
        );
    }

    #[test]
    fn the_nearest_request_shares_method_and_path_and_most_parameters() {
        let recording = Recording::read(RECORDING.as_bytes()).expect("reads");
        let asked = key("GET", "/v3/p/operation-logs", "limit=2&offset=2");
        let nearest = recording.nearest(&asked).expect("some");
        assert_eq!(nearest.line, 4, "{nearest:?}");
    }

    #[test]
    fn a_bad_line_or_an_empty_recording_is_refused() {
        assert!(matches!(
            Recording::read("not json\n".as_bytes()),
            Err(ReplayError::Exchange(ExchangeError::Malformed {
                line: 1,
                ..
            }))
        ));
        assert!(matches!(
            Recording::read("\n".as_bytes()),
            Err(ReplayError::Empty)
        ));
    }
}
