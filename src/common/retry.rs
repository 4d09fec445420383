//! Retries for the two idempotent GETs: exponential backoff with jitter (backon), bounded attempts
//! and total sleep, honouring `Retry-After` and OCP's `RateLimit-Reset`.
//!
//! The loop runs inside progenitor's `exec` hook, so the generated client decodes whatever the last
//! attempt returned. What the exchange looked like (final status, attempts, server-requested delay)
//! is recorded in a task-local [`Exchange`] for the hand-written layer to put into its errors.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// Statuses worth another try: throttling and gateway trouble.
pub const RETRY_STATUSES: [u16; 4] = [429, 502, 503, 504];

/// How to retry. The default: up to 3 retries, 200 ms doubling to at most 10 s, full jitter, at
/// most 30 s asleep in all.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    max_retries: usize,
    min_delay: Duration,
    max_delay: Duration,
    max_total_delay: Duration,
    jitter: Jitter,
    sleep: Sleep,
}

type SleepFn = dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync;

/// How the policy waits: `tokio::time::sleep` unless replaced.
#[derive(Clone, Default)]
struct Sleep(Option<Arc<SleepFn>>);

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "custom" } else { "tokio" })
    }
}

impl Sleep {
    async fn run(&self, delay: Duration) {
        match &self.0 {
            Some(sleep) => sleep(delay).await,
            None => tokio::time::sleep(delay).await,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Jitter {
    None,
    Random,
    Seeded(u64),
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_total_delay: Duration::from_secs(30),
            jitter: Jitter::Random,
            sleep: Sleep::default(),
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is sent once.
    pub fn disabled() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// At most `n` retries after the first attempt.
    pub fn with_max_retries(mut self, n: usize) -> Self {
        self.max_retries = n;
        self
    }

    /// The first backoff delay (it doubles each retry).
    pub fn with_min_delay(mut self, delay: Duration) -> Self {
        self.min_delay = delay;
        self
    }

    /// The longest backoff delay.
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The most time spent asleep between attempts, in all. A server asking to wait longer than
    /// what is left gets its error returned instead.
    pub fn with_max_total_delay(mut self, delay: Duration) -> Self {
        self.max_total_delay = delay;
        self
    }

    /// Exact exponential delays, no jitter (for reproducible behaviour).
    pub fn without_jitter(mut self) -> Self {
        self.jitter = Jitter::None;
        self
    }

    /// Jitter from a seeded generator (reproducible, still spread).
    pub fn with_jitter_seed(mut self, seed: u64) -> Self {
        self.jitter = Jitter::Seeded(seed);
        self
    }

    /// Waits with `sleep` instead of `tokio::time::sleep`: for another timer, or to observe the
    /// delays (tests record them and return at once).
    pub fn with_sleep<F, Fut>(mut self, sleep: F) -> Self
    where
        F: Fn(Duration) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.sleep = Sleep(Some(Arc::new(move |d| Box::pin(sleep(d)))));
        self
    }

    /// How many retries at most.
    pub fn max_retries(&self) -> usize {
        self.max_retries
    }

    /// The backoff delays in order, before any server-requested override.
    pub fn delays(&self) -> impl Iterator<Item = Duration> + use<> {
        let builder = ExponentialBuilder::new()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_max_times(self.max_retries);
        let builder = match self.jitter {
            Jitter::None => builder,
            Jitter::Random => builder.with_jitter(),
            Jitter::Seeded(seed) => builder.with_jitter().with_jitter_seed(seed),
        };
        builder.build()
    }
}

/// What happened on the wire for one logical request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exchange {
    /// The last response's status, if one came.
    pub status: Option<StatusCode>,
    /// What the last response asked the client to wait (`Retry-After` / `RateLimit-Reset`).
    pub retry_after: Option<Duration>,
    /// Requests sent, retries included.
    pub attempts: u32,
    /// Whether to keep the last response's body in `body`.
    capture: bool,
    /// The last response's body, when captured.
    pub body: Option<bytes::Bytes>,
}

tokio::task_local! {
    static EXCHANGE: RefCell<Exchange>;
}

/// Runs `future` (one generated-client call) and returns what its exchange looked like; with
/// `capture_body`, the exchange keeps the final response's body too.
pub(crate) async fn observed<F: Future>(future: F, capture_body: bool) -> (F::Output, Exchange) {
    let exchange = Exchange {
        capture: capture_body,
        ..Exchange::default()
    };
    EXCHANGE
        .scope(RefCell::new(exchange), async {
            let output = future.await;
            let exchange = EXCHANGE.with(|cell| cell.borrow().clone());
            (output, exchange)
        })
        .await
}

fn record(update: impl FnOnce(&mut Exchange)) {
    // Outside `observed` (a raw generated call) there is nothing to record into.
    let _ = EXCHANGE.try_with(|cell| update(&mut cell.borrow_mut()));
}

/// Sends `request`, retrying per `policy`. `prepare` runs before every attempt (OCP signs there, so
/// each attempt carries a fresh `Date`).
pub(crate) async fn execute(
    client: &reqwest::Client,
    mut request: reqwest::Request,
    policy: &RetryPolicy,
    prepare: impl Fn(&mut reqwest::Request),
) -> reqwest::Result<reqwest::Response> {
    let mut delays = policy.delays();
    let mut slept = Duration::ZERO;
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        prepare(&mut request);
        // A GET has no body, so this clone always succeeds; without it there is no retry.
        let spare = request.try_clone();
        let result = client.execute(request).await;
        let (retry, asked) = match &result {
            Ok(response) => {
                let asked = server_delay(response.headers(), SystemTime::now());
                (RETRY_STATUSES.contains(&response.status().as_u16()), asked)
            }
            Err(error) => (is_connection_error(error), None),
        };
        record(|e| {
            e.attempts = attempts;
            e.status = result.as_ref().ok().map(reqwest::Response::status);
            e.retry_after = asked;
        });
        let (true, Some(next), Some(backoff)) = (retry, spare, delays.next()) else {
            return match result {
                Ok(response) if capturing() => keep_body(response).await,
                other => other,
            };
        };
        let delay = asked.unwrap_or(backoff);
        if slept + delay > policy.max_total_delay {
            return match result {
                Ok(response) if capturing() => keep_body(response).await,
                other => other,
            };
        }
        policy.sleep.run(delay).await;
        slept += delay;
        request = next;
    }
}

fn capturing() -> bool {
    EXCHANGE
        .try_with(|cell| cell.borrow().capture)
        .unwrap_or(false)
}

/// Reads the body into the exchange and hands the generated code an identical response.
async fn keep_body(response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    let mut builder = http::Response::builder()
        .status(response.status())
        .version(response.version());
    if let Some(headers) = builder.headers_mut() {
        *headers = response.headers().clone();
    }
    let body = response.bytes().await?;
    record(|e| e.body = Some(body.clone()));
    match builder.body(body) {
        Ok(rebuilt) => Ok(reqwest::Response::from(rebuilt)),
        // Status, version and headers came from a valid response, so this does not happen; if it
        // did, the body is still in the exchange and the call fails as a decode error.
        Err(_) => Ok(reqwest::Response::from(http::Response::new(
            bytes::Bytes::new(),
        ))),
    }
}

/// A failure before any response: refused, reset, DNS. Timeouts are not retried: a server that
/// does not answer in the request timeout is not helped by being asked again at once.
fn is_connection_error(error: &reqwest::Error) -> bool {
    !error.is_timeout() && (error.is_connect() || error.is_request())
}

/// The wait a response asks for: `Retry-After` in seconds or as an HTTP date, else OCP's
/// `RateLimit-Reset` (seconds until the window resets).
pub fn server_delay(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(value) = header("retry-after") {
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        if let Ok(at) = httpdate::parse_http_date(value) {
            return Some(at.duration_since(now).unwrap_or(Duration::ZERO));
        }
    }
    header("ratelimit-reset")
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    reqwest::header::HeaderName::from_static(k),
                    HeaderValue::from_str(v).expect("ascii"),
                )
            })
            .collect()
    }

    #[test]
    fn delays_double_up_to_the_cap_and_stop_after_max_retries() {
        let policy = RetryPolicy::default()
            .without_jitter()
            .with_max_retries(5)
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(500));
        let ms: Vec<u128> = policy.delays().map(|d| d.as_millis()).collect();
        assert_eq!(ms, [100, 200, 400, 500, 500]);
        assert_eq!(RetryPolicy::disabled().delays().count(), 0);
    }

    #[test]
    fn seeded_jitter_is_reproducible_and_bounded() {
        let policy = RetryPolicy::default()
            .with_jitter_seed(7)
            .with_max_retries(4);
        let a: Vec<Duration> = policy.delays().collect();
        let b: Vec<Duration> = policy.delays().collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 4);
        // backon's jitter adds up to one more delay on top of the exponential one.
        let plain: Vec<Duration> = policy.clone().without_jitter().delays().collect();
        for (j, p) in a.iter().zip(&plain) {
            assert!(j >= p && *j <= *p * 2, "{j:?} vs {p:?}");
        }
    }

    #[test]
    fn retry_after_seconds_date_and_ratelimit_reset() {
        let now = httpdate::parse_http_date("Tue, 17 Jan 2023 09:13:57 GMT").expect("date");
        assert_eq!(
            server_delay(&headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            server_delay(
                &headers(&[("retry-after", "Tue, 17 Jan 2023 09:14:07 GMT")]),
                now
            ),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            server_delay(
                &headers(&[("retry-after", "Tue, 17 Jan 2023 09:00:00 GMT")]),
                now
            ),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(
            server_delay(&headers(&[("ratelimit-reset", "3")]), now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            server_delay(&headers(&[("retry-after", "soon")]), now),
            None
        );
        assert_eq!(server_delay(&HeaderMap::new(), now), None);
    }
}
