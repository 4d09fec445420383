//! Recorded HTTP exchanges: one request and its response per line of an NDJSON file.
//!
//! `proxy --record FILE` writes them, `validate --exchanges` and `drift --exchanges` check them,
//! `mock --replay` serves them. One line looks like this (wrapped here):
//!
//! ```json
//! {"api":"cbr","started":"2026-11-27T10:00:00.123Z","latency_ms":1.9,
//!  "request":{"method":"GET","path":"/v3/p1/operation-logs","query":"limit=10&offset=0",
//!             "headers":[["accept","application/json"],["x-auth-token","<redacted>"]]},
//!  "response":{"status":200,"headers":[["content-type","application/json"]],
//!              "body":"{\"count\":0,\"operation_logs\":[]}"}}
//! ```
//!
//! The response body is kept as the exact text the server sent (a JSON string, so a body that
//! repeats a member name, writes `1.0` or pretty-prints over many lines is replayed and checked
//! byte for byte), or as `body_base64` when it is not UTF-8; `body_truncated` says a recorder cut
//! it at its size limit. Headers are `[name, value]` pairs in the order sent, names lowercased.
//! Credentials never reach a recording: [`redact_headers`] and [`redact_query`] replace the value
//! of every header and query parameter whose name looks like one ([`is_sensitive_key`]).

use std::borrow::Cow;
use std::fmt;
use std::io::{self, BufRead};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::redact::{REDACTED, is_sensitive_key};

/// Longest line [`Reader`] accepts by default: a response body at the clients' 32 MiB limit,
/// written as a JSON string, plus headers.
pub const MAX_LINE_BYTES: usize = 96 * 1024 * 1024;

/// Header and query pairs, in the order they were sent.
pub type Pairs = Vec<(String, String)>;

/// One request and the response it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// `cbr` or `ocp`, when the recorder knew; readers may also tell it from the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// When the request was received (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    /// Milliseconds from the request to the end of the response body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// What the client sent.
    pub request: Request,
    /// What the server answered.
    pub response: Response,
}

/// The request half of an [`Exchange`] (these APIs take no request body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// HTTP method, such as `GET`.
    pub method: String,
    /// Path, percent-encoded as sent, without the query.
    pub path: String,
    /// The raw query string without `?`, credentials redacted; empty when there was none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub query: String,
    /// Request headers, credentials redacted.
    #[serde(default)]
    pub headers: Pairs,
}

/// The response half of an [`Exchange`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response headers, credentials redacted.
    #[serde(default)]
    pub headers: Pairs,
    /// The body as sent, when it is UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body as sent, base64 (standard alphabet), when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
    /// The recorder kept only the first part of a longer body.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub body_truncated: bool,
}

impl Response {
    /// A response whose body is `bytes`, kept as text when it is UTF-8.
    pub fn new(status: u16, headers: Pairs, bytes: &[u8], truncated: bool) -> Self {
        let (body, body_base64) = match std::str::from_utf8(bytes) {
            Ok(text) => (Some(text.to_owned()), None),
            Err(_) => (
                None,
                Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
            ),
        };
        Response {
            status,
            headers,
            body,
            body_base64,
            body_truncated: truncated,
        }
    }

    /// The body's bytes (empty when the recording has none).
    pub fn body_bytes(&self) -> Result<Cow<'_, [u8]>, ExchangeError> {
        match (&self.body, &self.body_base64) {
            (Some(text), _) => Ok(Cow::Borrowed(text.as_bytes())),
            (None, Some(encoded)) => base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map(Cow::Owned)
                .map_err(ExchangeError::Base64),
            (None, None) => Ok(Cow::Borrowed(&[])),
        }
    }

    /// The first value of header `name` (compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

impl Request {
    /// The first value of header `name` (compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

fn header<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl Exchange {
    /// The exchange as one NDJSON line, without the newline. JSON escapes every control
    /// character inside strings, so the line holds no newline of its own.
    pub fn to_line(&self) -> Result<String, ExchangeError> {
        serde_json::to_string(self).map_err(ExchangeError::Encode)
    }
}

/// Header pairs with names lowercased and the value of every credential-like header
/// (`Authorization`, `X-Auth-Token`, `X-Security-Token`, `Cookie`, ...) replaced.
pub fn redact_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Pairs {
    headers
        .into_iter()
        .map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            let value = if is_sensitive_key(&name) {
                REDACTED.to_owned()
            } else {
                String::from_utf8_lossy(value).into_owned()
            };
            (name, value)
        })
        .collect()
}

/// A raw query string with the value of every credential-like parameter replaced; the other
/// parameters are kept byte for byte, in order.
pub fn redact_query(query: &str) -> String {
    if query.is_empty() {
        return String::new();
    }
    query
        .split('&')
        .map(|pair| {
            let (name, _) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded: String = form_urlencoded::parse(name.as_bytes())
                .map(|(k, _)| k.into_owned())
                .next()
                .unwrap_or_default();
            if is_sensitive_key(&decoded) {
                format!("{name}={REDACTED}")
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Why a recording cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// Reading the file failed.
    #[error("cannot read the recording")]
    Io(#[source] io::Error),
    /// A line is longer than the reader's limit; the reader skipped it.
    #[error("line {line} is longer than {limit} bytes")]
    TooLong {
        /// 1-based line number.
        line: u64,
        /// The limit in bytes.
        limit: usize,
    },
    /// A line is not an exchange.
    #[error("line {line} is not an exchange")]
    Malformed {
        /// 1-based line number.
        line: u64,
        /// What serde_json found.
        #[source]
        source: serde_json::Error,
    },
    /// `body_base64` is not base64.
    #[error("the recorded body is not valid base64")]
    Base64(#[source] base64::DecodeError),
    /// An exchange could not be written as JSON.
    #[error("cannot write the exchange as JSON")]
    Encode(#[source] serde_json::Error),
}

/// Reads exchanges from NDJSON, one per non-blank line, each line at most a given length.
///
/// A line that is too long or not an exchange is an `Err` item; reading goes on with the next
/// line. An I/O error ends the iteration after it is returned.
pub struct Reader<R> {
    input: R,
    limit: usize,
    line: u64,
    buffer: Vec<u8>,
    done: bool,
}

impl<R> fmt::Debug for Reader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("limit", &self.limit)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl<R: BufRead> Reader<R> {
    /// A reader with the default line limit, [`MAX_LINE_BYTES`].
    pub fn new(input: R) -> Self {
        Self::with_limit(input, MAX_LINE_BYTES)
    }

    /// A reader that refuses lines longer than `limit` bytes.
    pub fn with_limit(input: R, limit: usize) -> Self {
        Reader {
            input,
            limit,
            line: 0,
            buffer: Vec::new(),
            done: false,
        }
    }

    /// Reads one line into the buffer, at most `limit + 1` bytes of it; returns whether the
    /// line was longer than the limit (its rest is consumed and dropped), or `None` at the end.
    fn read_line(&mut self) -> io::Result<Option<bool>> {
        self.buffer.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let available = match self.input.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                return Ok(any.then_some(too_long));
            }
            any = true;
            let (chunk, end) = match available.iter().position(|&b| b == b'\n') {
                Some(at) => (&available[..at], Some(at + 1)),
                None => (available, None),
            };
            if !too_long {
                let room = self.limit.saturating_sub(self.buffer.len());
                if chunk.len() > room {
                    too_long = true;
                    self.buffer.clear();
                } else {
                    self.buffer.extend_from_slice(chunk);
                }
            }
            let consumed = end.unwrap_or(chunk.len());
            self.input.consume(consumed);
            if end.is_some() {
                return Ok(Some(too_long));
            }
        }
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    /// The 1-based line number and the exchange on it.
    type Item = Result<(u64, Exchange), ExchangeError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let too_long = match self.read_line() {
                Ok(Some(too_long)) => too_long,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(ExchangeError::Io(e)));
                }
            };
            self.line = self.line.saturating_add(1);
            let line = self.line;
            if too_long {
                return Some(Err(ExchangeError::TooLong {
                    line,
                    limit: self.limit,
                }));
            }
            if self.buffer.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(
                serde_json::from_slice(&self.buffer)
                    .map(|exchange| (line, exchange))
                    .map_err(|source| ExchangeError::Malformed { line, source }),
            );
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Exchange {
        Exchange {
            api: Some("cbr".into()),
            started: None,
            latency_ms: Some(1.5),
            request: Request {
                method: "GET".into(),
                path: "/v3/p1/operation-logs".into(),
                query: "limit=10".into(),
                headers: vec![("accept".into(), "application/json".into())],
            },
            response: Response::new(
                200,
                vec![],
                b"{\n  \"count\": 1.0,\n  \"count\": 2\n}",
                false,
            ),
        }
    }

    #[test]
    fn a_line_round_trips_and_keeps_the_body_byte_for_byte() {
        let line = sample().to_line().expect("encodes");
        assert!(!line.contains('\n'), "{line}");
        let input = format!("\n{line}\n  \n");
        let mut reader = Reader::new(input.as_bytes());
        let (number, back) = reader.next().expect("one item").expect("decodes");
        assert_eq!(number, 2);
        assert_eq!(back, sample());
        assert_eq!(
            back.response.body_bytes().expect("body").as_ref(),
            b"{\n  \"count\": 1.0,\n  \"count\": 2\n}"
        );
        assert!(reader.next().is_none());
    }

    #[test]
    fn a_body_that_is_not_utf8_is_kept_as_base64() {
        let response = Response::new(200, vec![], &[0xff, 0xfe, b'{'], false);
        assert!(response.body.is_none());
        assert_eq!(
            response.body_bytes().expect("decodes").as_ref(),
            &[0xff, 0xfe, b'{']
        );
    }

    #[test]
    fn credentials_are_redacted_in_headers_and_queries() {
        let headers = redact_headers([
            ("X-Auth-Token", b"abc".as_slice()),
            (
                "Authorization",
                b"SDK-HMAC-SHA256 Access=AK, Signature=s".as_slice(),
            ),
            ("X-Security-Token", b"sts".as_slice()),
            ("Content-Type", b"application/json".as_slice()),
        ]);
        let text = format!("{headers:?}");
        for secret in ["abc", "Signature=s", "sts"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(
            headers[3],
            ("content-type".into(), "application/json".into())
        );
        assert_eq!(
            redact_query("limit=1&access_token=xyz&status=a%20b"),
            "limit=1&access_token=<redacted>&status=a%20b"
        );
    }

    #[test]
    fn long_and_malformed_lines_are_errors_and_reading_goes_on() {
        let good = sample().to_line().expect("encodes");
        let input = format!("{}\nnot json\n{good}\n", "x".repeat(good.len() + 1));
        let items: Vec<_> = Reader::with_limit(input.as_bytes(), good.len()).collect();
        assert!(matches!(
            items[0],
            Err(ExchangeError::TooLong { line: 1, .. })
        ));
        assert!(matches!(
            items[1],
            Err(ExchangeError::Malformed { line: 2, .. })
        ));
        assert!(matches!(items[2], Ok((3, _))));
        assert_eq!(items.len(), 3);
    }
}
