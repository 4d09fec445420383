//! The client layer's one error type.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

use crate::common::retry::{Exchange, RETRY_STATUSES};
use crate::common::terminal::Escaped;
use crate::{cbr, ocp};

/// Longest body excerpt an error carries.
const EXCERPT_CHARS: usize = 200;

/// What went wrong calling CBR or OCP.
///
/// `Display` escapes every text that came from the server (vendor codes and messages, decode
/// messages, body excerpts, a redirect's `Location`), with [`Escaped`] or as a quoted `{:?}`,
/// so printing an error cannot drive a terminal; the fields keep the text exactly as it came.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request could not be built (a bad argument, an endpoint that is not a URL).
    #[error("invalid request: {0}")]
    InvalidRequest(String),

    /// No response: connection refused or reset, DNS failure, or a timeout.
    #[error("{} after {attempts} attempt(s): {source}", if source.is_timeout() { "timed out" } else { "transport error" })]
    Transport {
        /// The underlying failure.
        #[source]
        source: reqwest::Error,
        /// Requests sent, retries included.
        attempts: u32,
    },

    /// An HTTP error status, with the vendor's error body as far as it could be read.
    #[error("HTTP {status} after {attempts} attempt(s): {body}")]
    Api {
        /// The status.
        status: StatusCode,
        /// The vendor's error body.
        body: VendorError,
        /// What the server asked the client to wait before trying again.
        retry_after: Option<Duration>,
        /// Requests sent, retries included.
        attempts: u32,
    },

    /// OCP answered with a success status but its envelope says `successful: false`.
    #[error("HTTP {status} but the OCP envelope says successful: false: {body}")]
    Unsuccessful {
        /// The (success) status.
        status: StatusCode,
        /// The envelope's error, as far as it could be read.
        body: VendorError,
    },

    /// The server answered with a redirect, which the clients never follow: credentials must not
    /// go to wherever a `Location` points, and neither API redirects a list call.
    #[error("HTTP {status}: the server redirects to {}; redirects are not followed, so the credentials are not sent there (is the endpoint right?)", location.as_deref().map_or_else(|| "nowhere (no Location header)".into(), |l| format!("{l:?}")))]
    Redirect {
        /// The 3xx status.
        status: StatusCode,
        /// The `Location` header, when there was one (lossily decoded to text).
        location: Option<String>,
    },

    /// The response body passed the client's limit (`with_max_body_bytes`); it was not read
    /// further.
    #[error(
        "the HTTP {status} response body is larger than the limit of {limit} bytes (raise it with with_max_body_bytes or --max-body-bytes)"
    )]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: u64,
        /// The status of the response.
        status: StatusCode,
    },

    /// A paged listing stopped because the server's paging does not advance: following it would
    /// repeat the same page without end.
    #[error("paging does not advance: page {page} {reason}; stopped after {records} record(s)")]
    PagingStalled {
        /// 1-based number of the page that did not advance (its records were not delivered).
        page: u64,
        /// Records the stream had delivered before it.
        records: u64,
        /// How the page failed to advance.
        reason: Stall,
    },

    /// The body does not decode into the expected type.
    #[error("{} body does not decode at {path}: {} (body starts: {excerpt:?})", status.map(|s| s.to_string()).unwrap_or_else(|| "the".into()), Escaped(message))]
    Decode {
        /// The status of the response, when known.
        status: Option<StatusCode>,
        /// JSON path where decoding failed (`.` for the root).
        path: String,
        /// What was wrong there.
        message: String,
        /// The start of the body.
        excerpt: String,
    },

    /// A page of a paged listing failed; the records before it were delivered.
    #[error("page {page} failed after {records} record(s) were delivered: {source}")]
    Page {
        /// 1-based number of the page that failed.
        page: u64,
        /// Records the stream had delivered before the failure.
        records: u64,
        /// Why the page failed.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// The HTTP status, when a response came.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. } | Error::Unsuccessful { status, .. } => Some(*status),
            Error::Decode { status, .. } => *status,
            Error::Transport { source, .. } => source.status(),
            Error::Page { source, .. } => source.status(),
            Error::Redirect { status, .. } | Error::BodyTooLarge { status, .. } => Some(*status),
            Error::InvalidRequest(_) | Error::PagingStalled { .. } => None,
        }
    }

    /// Whether the same request may succeed later: throttling, gateway errors, transport
    /// failures. (The client has already retried these as its policy allows.)
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { status, .. } => RETRY_STATUSES.contains(&status.as_u16()),
            Error::Transport { .. } => true,
            Error::Page { source, .. } => source.is_retryable(),
            Error::InvalidRequest(_)
            | Error::Unsuccessful { .. }
            | Error::Decode { .. }
            | Error::Redirect { .. }
            | Error::BodyTooLarge { .. }
            | Error::PagingStalled { .. } => false,
        }
    }

    /// The vendor's error body, when there is one.
    pub fn vendor(&self) -> Option<&VendorError> {
        match self {
            Error::Api { body, .. } | Error::Unsuccessful { body, .. } => Some(body),
            Error::Page { source, .. } => source.vendor(),
            _ => None,
        }
    }

    /// Decoding failed: find the JSON path where it failed by decoding `bytes` as `T` once more.
    pub(crate) fn decode<T: serde::de::DeserializeOwned>(
        status: Option<StatusCode>,
        bytes: &[u8],
    ) -> Error {
        // Read as the client read it (`common::reader`), so the failure found is the same one.
        let read = crate::common::reader::integral_floats_as_integers(bytes);
        let mut deserializer = serde_json::Deserializer::from_slice(&read);
        let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Err(e) => (e.path().to_string(), e.into_inner().to_string()),
            // It decodes now: the body is fine and the failure was elsewhere (trailing bytes).
            Ok(_) => (".".into(), "unexpected data after the JSON value".into()),
        };
        Error::Decode {
            status,
            path,
            message,
            excerpt: excerpt(bytes),
        }
    }

    /// What the exchange itself says went wrong, whatever the generated client made of the
    /// response it was handed: a body over the limit (it got an empty stand-in), or a redirect
    /// (it got the 3xx as an unexpected status). Checked first by both clients.
    pub(crate) fn from_exchange(exchange: &Exchange) -> Option<Error> {
        let status = exchange.status?;
        if let Some(limit) = exchange.body_too_large {
            return Some(Error::BodyTooLarge { limit, status });
        }
        status.is_redirection().then(|| Error::Redirect {
            status,
            location: exchange.location.as_deref().map(excerpt_str),
        })
    }

    pub(crate) fn transport(source: reqwest::Error, exchange: &Exchange) -> Error {
        Error::Transport {
            source,
            attempts: exchange.attempts.max(1),
        }
    }
}

/// How a paged listing failed to advance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stall {
    /// The page held exactly the records of the page before: the server ignores the offset or
    /// page number the client sent.
    RepeatedRecords,
    /// OCP reported the same page number as for the page before.
    RepeatedPageNumber {
        /// The page number the server reported twice.
        number: i64,
    },
    /// The next page would start past the largest offset or page number the API takes.
    CursorLimit,
}

impl fmt::Display for Stall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stall::RepeatedRecords => f.write_str(
                "holds the same records as the page before (the server ignores the offset or page it was sent)",
            ),
            Stall::RepeatedPageNumber { number } => write!(
                f,
                "is reported as page number {number} again (the server ignores the page it was sent)"
            ),
            Stall::CursorLimit => f.write_str(
                "would start past the largest offset or page number the API takes (2147483647)",
            ),
        }
    }
}

/// A vendor's error body.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum VendorError {
    /// CBR's `{error_code, error_msg, request_id?}` (or `{code, message}`).
    Cbr(Box<cbr::ErrorBody>),
    /// OCP's error envelope.
    Ocp(Box<ocp::ErrorResponse>),
    /// A body that is not the vendor's error shape (a proxy's HTML page, say).
    Unparsed {
        /// The start of the body.
        excerpt: String,
    },
}

impl fmt::Display for VendorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VendorError::Cbr(body) => {
                write!(
                    f,
                    "{}: {}",
                    Escaped(body.code().unwrap_or("(no code)")),
                    Escaped(body.message().unwrap_or("(no message)"))
                )?;
                if let Some(id) = &body.request_id {
                    write!(f, " (request_id {})", Escaped(id))?;
                }
                Ok(())
            }
            VendorError::Ocp(envelope) => {
                let error = &envelope.error;
                write!(
                    f,
                    "{}: {}",
                    Escaped(&error.code.to_string()),
                    Escaped(&error.message)
                )?;
                if let Some(debug) = &error.debug_message {
                    write!(f, " ({})", Escaped(debug))?;
                }
                if let Some(trace) = &envelope.trace_id {
                    write!(f, " [traceId {}]", Escaped(trace))?;
                }
                Ok(())
            }
            VendorError::Unparsed { excerpt } if excerpt.is_empty() => f.write_str("(empty body)"),
            // `{:?}` escapes every control (C0, C1, bidi) already.
            VendorError::Unparsed { excerpt } => write!(f, "unrecognised body: {excerpt:?}"),
        }
    }
}

/// The start of a body, as text, for error messages.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    excerpt_str(&String::from_utf8_lossy(bytes))
}

/// The start of a text, for error messages.
fn excerpt_str(text: &str) -> String {
    let mut cut: String = text.chars().take(EXCERPT_CHARS).collect();
    if text.chars().nth(EXCERPT_CHARS).is_some() {
        cut.push_str("...");
    }
    cut
}
