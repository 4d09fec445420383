//! The HTTP client both APIs use: rustls (ring), timeouts, a user agent, sensitive headers.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// Connect timeout unless the caller sets one.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Whole-request timeout unless the caller sets one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The user agent unless the caller sets one.
pub const DEFAULT_USER_AGENT: &str = concat!("backup-task-api/", env!("CARGO_PKG_VERSION"));
/// The largest response body read unless the caller sets another: 32 MiB, some 40 times a full
/// 1,000-record CBR page (about 800 KiB), so no real page comes near it, while a server that
/// sends an endless or enormous body is cut off long before it costs real memory.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 32 * 1024 * 1024;

/// The transport and retry setters both clients' builders have; expands inside an `impl` of a
/// builder with a `transport: Transport` field.
macro_rules! transport_setters {
    () => {
        /// Time allowed for each whole request (default 30 s).
        pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.transport.http.timeout = timeout;
            self
        }

        /// Time allowed to connect (default 10 s).
        pub fn with_connect_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.transport.http.connect_timeout = timeout;
            self
        }

        /// The `User-Agent` header.
        pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
            self.transport.http.user_agent = user_agent.into();
            self
        }

        /// The largest response body read, in bytes (default
        /// [`DEFAULT_MAX_BODY_BYTES`](crate::client::http::DEFAULT_MAX_BODY_BYTES), 32 MiB). A
        /// larger body fails the call with
        /// [`Error::BodyTooLarge`](crate::client::Error::BodyTooLarge) as soon as its `Content-Length`
        /// or the bytes read so far pass the limit; nothing more of it is read.
        pub fn with_max_body_bytes(mut self, limit: u64) -> Self {
            self.transport.http.max_body_bytes = limit;
            self
        }

        /// How to retry throttled and failed requests
        /// ([`RetryPolicy::disabled`](crate::client::retry::RetryPolicy::disabled) to switch off).
        pub fn with_retry(mut self, retry: crate::client::retry::RetryPolicy) -> Self {
            self.transport.retry = retry;
            self
        }
    };
}
pub(crate) use transport_setters;

/// Transport settings shared by both clients' builders.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Time allowed for one whole request (each retry gets its own).
    pub timeout: Duration,
    /// `User-Agent` header.
    pub user_agent: String,
    /// The largest response body read, in bytes.
    pub max_body_bytes: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// A header whose value is a credential: marked sensitive, so reqwest and hyper never print it.
pub(crate) fn sensitive_header(value: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        "the credential contains characters not allowed in an HTTP header".to_owned()
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Sets a request's `Authorization` (a signature), marked sensitive. A value that is not a valid
/// header is left out, and the server then refuses the request: signing cannot report errors,
/// and each API's builder has checked what goes into it.
pub(crate) fn set_authorization(request: &mut reqwest::Request, value: &str) {
    if let Ok(mut value) = HeaderValue::from_str(value) {
        value.set_sensitive(true);
        request
            .headers_mut()
            .insert(reqwest::header::AUTHORIZATION, value);
    }
}

/// Builds the reqwest client. Installs the pure-Rust ring crypto provider for rustls once per
/// process (a provider the application installed first wins).
///
/// Redirects are never followed. reqwest strips only `Authorization` and `Cookie` when it follows
/// one to another host, so CBR's `X-Auth-Token` and `X-Security-Token` would go wherever a
/// `Location` pointed; neither API redirects a list call, so a 3xx is returned as it came and the
/// clients report it as [`Error::Redirect`](crate::client::Error::Redirect).
pub(crate) fn build_client(
    settings: &HttpSettings,
    default_headers: Vec<(HeaderName, HeaderValue)>,
) -> Result<reqwest::Client, reqwest::Error> {
    // `Err` only means a provider is installed already; either way one is there.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let headers: HeaderMap = default_headers.into_iter().collect();
    reqwest::Client::builder()
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.timeout)
        .user_agent(settings.user_agent.clone())
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Trims a trailing `/` and checks the endpoint is an http(s) base URL. A query or fragment is
/// refused because the generated client appends the API path and its parameters to the endpoint
/// as text: after a `#` every paging parameter would land in the fragment and never be sent, and
/// after a `?` the path would. User-info is refused because credentials belong in the builder's
/// auth setters, where they are kept secret, not in a URL that errors and logs may show.
pub(crate) fn validate_endpoint(endpoint: &str) -> Result<String, super::Error> {
    let url = reqwest::Url::parse(endpoint).map_err(|e| {
        crate::client::Error::InvalidRequest(format!(
            "endpoint {:?} is not a URL: {e}",
            without_user_info(endpoint)
        ))
    })?;
    let refuse = |why: &str| {
        crate::client::Error::InvalidRequest(format!(
            "endpoint {:?} {why}; give the service's base URL only, such as https://host/base",
            without_user_info(endpoint)
        ))
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refuse("is not http or https"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(
            "has user-info (user:password@); credentials go in the client's auth settings",
        ));
    }
    // `Url` drops an empty query or fragment (`?`, `#`) of some URLs, the raw text does not.
    if url.query().is_some() || endpoint.contains('?') {
        return Err(refuse("has a query (?...)"));
    }
    if url.fragment().is_some() || endpoint.contains('#') {
        return Err(refuse("has a fragment (#...)"));
    }
    Ok(endpoint.trim_end_matches('/').to_owned())
}

/// `endpoint` with anything between `//` and the last `@` before any query or fragment replaced,
/// so an error about it never shows a password, even one holding a `/` that ends the authority
/// early (this may hide an `@` in a path too, which costs nothing).
fn without_user_info(endpoint: &str) -> std::borrow::Cow<'_, str> {
    let Some(start) = endpoint.find("//").map(|i| i + 2) else {
        return endpoint.into();
    };
    let authority_end = endpoint[start..]
        .find(['?', '#'])
        .map_or(endpoint.len(), |i| start + i);
    match endpoint[start..authority_end].rfind('@') {
        Some(at) => format!(
            "{}<user-info>{}",
            &endpoint[..start],
            &endpoint[start + at..]
        )
        .into(),
        None => endpoint.into(),
    }
}

/// `YYYY-MM-DDThh:mm:ssZ`, the only form the query takes (no fraction).
pub(crate) fn query_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_is_a_base_url_without_query_fragment_or_user_info() {
        assert_eq!(
            validate_endpoint("https://h:8443/base/").expect("a base URL"),
            "https://h:8443/base"
        );
        for (endpoint, why) in [
            ("http://h/base?q=1#f", "query"),
            ("http://h/base?", "query"),
            ("http://h/base#f", "fragment"),
            ("http://h/#", "fragment"),
            ("http://user:hunter2@h/base", "user-info"),
            ("http://user@h", "user-info"),
            ("ftp://h", "not http"),
            ("h/base", "not a URL"),
        ] {
            let error = validate_endpoint(endpoint).expect_err(endpoint).to_string();
            assert!(error.contains(why), "{endpoint}: {error}");
            assert!(
                !error.contains("hunter2"),
                "the password is not echoed: {error}"
            );
        }
    }

    #[test]
    fn user_info_is_hidden_even_in_text_that_is_not_a_url() {
        assert_eq!(
            without_user_info("http://u:secret@h:1/p?x@y"),
            "http://<user-info>@h:1/p?x@y"
        );
        assert_eq!(
            without_user_info("http://u:se/cret@h"),
            "http://<user-info>@h"
        );
        assert_eq!(without_user_info("http://h/p"), "http://h/p");
        assert_eq!(without_user_info("no scheme"), "no scheme");
    }
}
