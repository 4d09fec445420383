//! Retries for the two idempotent GETs: exponential backoff with jitter (backon), bounded attempts
//! and total sleep, honouring `Retry-After` and OCP's `RateLimit-Reset`.
//!
//! The loop runs inside progenitor's `exec` hook, so the generated client decodes whatever the last
//! attempt returned. What the exchange looked like (final status, attempts, server-requested delay)
//! is recorded in a task-local [`Exchange`] for the hand-written layer to put into its errors.
//!
//! Everything a server controls is treated as hostile: a delay it asks for is added with checked
//! arithmetic and never slept beyond what is left of the policy's budget, and the final body is
//! read here, chunk by chunk, up to a byte limit, so no response can make the client hold more.

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
    /// what is left (however long: any `Retry-After` is safe) gets its error returned at once
    /// instead.
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
    /// The `Location` of the last response, when it was a redirect (which is never followed).
    pub location: Option<String>,
    /// The body limit, when the last response's body passed it (and was not read further).
    pub body_too_large: Option<u64>,
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

/// Sends `request`, retrying per `policy`, and reads the final response's body (at most
/// `max_body_bytes` of it). `prepare` runs before every attempt (OCP signs there, so each attempt
/// carries a fresh `Date`).
pub(crate) async fn execute(
    client: &reqwest::Client,
    mut request: reqwest::Request,
    policy: &RetryPolicy,
    max_body_bytes: u64,
    prepare: impl Fn(&mut reqwest::Request),
) -> reqwest::Result<reqwest::Response> {
    let mut delays = policy.delays();
    let mut slept = Duration::ZERO;
    let mut attempts = 0u32;
    loop {
        attempts = attempts.saturating_add(1);
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
            e.location = result.as_ref().ok().and_then(redirect_location);
        });
        let delay = match spare {
            Some(next) => next_delay(retry, delays.next(), asked, slept, policy.max_total_delay)
                .map(|delay| (delay, next)),
            None => None,
        };
        let Some((delay, next)) = delay else {
            return match result {
                Ok(response) => read_body(response, max_body_bytes).await,
                Err(error) => Err(error),
            };
        };
        policy.sleep.run(delay).await;
        slept = slept.saturating_add(delay);
        request = next;
    }
}

/// The wait before another attempt, or `None` to stop: not retryable, retries used up, or the
/// wait (the server's if it asked, else the backoff's) does not fit in what is left of `budget`
/// after `slept`. Checked arithmetic: a server's `Retry-After: 18446744073709551615` is a wait
/// that does not fit, not an overflow.
pub fn next_delay(
    retryable: bool,
    backoff: Option<Duration>,
    asked: Option<Duration>,
    slept: Duration,
    budget: Duration,
) -> Option<Duration> {
    if !retryable {
        return None;
    }
    let delay = asked.unwrap_or(backoff?);
    let total = slept.checked_add(delay)?;
    (total <= budget).then_some(delay)
}

/// The `Location` of a redirect, as text, for the error that reports it.
fn redirect_location(response: &reqwest::Response) -> Option<String> {
    if !response.status().is_redirection() {
        return None;
    }
    let location = response.headers().get(reqwest::header::LOCATION)?;
    Some(String::from_utf8_lossy(location.as_bytes()).into_owned())
}

/// Reads the body, at most `limit` bytes of it, and hands the generated code an identical
/// response built from those bytes (keeping them in the exchange when it captures). A body
/// whose `Content-Length` passes the limit is not read at all; one without (chunked, or a
/// length that lied) is read chunk by chunk and dropped the moment the running total passes it.
/// Either way the exchange records the limit and the generated code gets the status with an
/// empty body, which the client maps to [`Error::BodyTooLarge`](crate::client::Error::BodyTooLarge).
async fn read_body(
    mut response: reqwest::Response,
    limit: u64,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let mut builder = http::Response::builder()
        .status(status)
        .version(response.version());
    if let Some(headers) = builder.headers_mut() {
        *headers = response.headers().clone();
    }
    let declared = response.content_length();
    if declared.is_some_and(|length| length > limit) {
        return Ok(too_large(status, limit));
    }
    // Sized from the declared length (at most `limit`), so an honest body is one allocation.
    let capacity = usize::try_from(declared.unwrap_or(0)).unwrap_or(0);
    let mut body = bytes::BytesMut::with_capacity(capacity);
    while let Some(chunk) = response.chunk().await? {
        let total = u64::try_from(body.len().saturating_add(chunk.len())).unwrap_or(u64::MAX);
        if total > limit {
            return Ok(too_large(status, limit));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    if capturing() {
        record(|e| e.body = Some(body.clone()));
    }
    // The typed reader's one tolerance the models cannot hold themselves (`reader`): integral
    // floats in integer fields. An error body is rewritten here, before the generated code reads
    // it, so the open members of an error (OCP's `target`) always hold the rewritten numbers; a
    // success body is read as it came and rewritten only if that read fails (`call::send`),
    // which spares every page the pre-pass. The exchange keeps the body as it came.
    let body = if status.is_success() {
        body
    } else {
        match crate::common::reader::integral_floats_as_integers(&body) {
            std::borrow::Cow::Borrowed(_) => body,
            std::borrow::Cow::Owned(rewritten) => bytes::Bytes::from(rewritten),
        }
    };
    match builder.body(body) {
        Ok(rebuilt) => Ok(reqwest::Response::from(rebuilt)),
        // Status, version and headers came from a valid response, so this does not happen; if it
        // did, the body is still in the exchange and the call fails as a decode error.
        Err(_) => Ok(reqwest::Response::from(http::Response::new(
            bytes::Bytes::new(),
        ))),
    }
}

/// Records that the body passed `limit` and stands in an empty response with the same status.
fn too_large(status: StatusCode, limit: u64) -> reqwest::Response {
    record(|e| e.body_too_large = Some(limit));
    let mut response = http::Response::new(bytes::Bytes::new());
    *response.status_mut() = status;
    reqwest::Response::from(response)
}

fn capturing() -> bool {
    EXCHANGE
        .try_with(|cell| cell.borrow().capture)
        .unwrap_or(false)
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
    // Any u64 of seconds is a valid `Duration`, and a date is at most year 9999: nothing here
    // overflows; what is too long for the budget is decided by `next_delay`.
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

    #[test]
    fn a_huge_server_delay_stops_the_retries_instead_of_overflowing() {
        let budget = Duration::from_secs(30);
        let huge = Duration::from_secs(u64::MAX);
        let slept = Duration::from_secs(1);
        let backoff = Some(Duration::from_millis(400));
        assert_eq!(next_delay(true, backoff, Some(huge), slept, budget), None);
        assert_eq!(
            next_delay(
                true,
                backoff,
                Some(Duration::MAX),
                Duration::MAX,
                Duration::MAX
            ),
            None
        );
        assert_eq!(
            next_delay(true, backoff, Some(Duration::from_secs(29)), slept, budget),
            Some(Duration::from_secs(29)),
            "a wait that fits exactly is slept"
        );
        assert_eq!(
            next_delay(true, backoff, None, slept, budget),
            Some(Duration::from_millis(400))
        );
        assert_eq!(next_delay(false, backoff, None, slept, budget), None);
        assert_eq!(
            next_delay(true, None, Some(Duration::ZERO), slept, budget),
            None,
            "retries used up: a server asking for no wait does not get another"
        );
    }

    /// Any `Retry-After`/`RateLimit-Reset` text, including the largest numbers and dates.
    fn header_text() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..48),
            any::<u64>().prop_map(|n| n.to_string().into_bytes()),
            "[0-9]{15,30}".prop_map(String::into_bytes),
            "(Mon|Fri|Sun), [0-3][0-9] (Jan|Feb|Dec) [0-9]{4} [0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT"
                .prop_map(String::into_bytes),
            " *-?[0-9]{1,4}(\\.[0-9])? *".prop_map(String::into_bytes),
        ]
    }

    /// Seconds a server may ask for, weighted to the ends where arithmetic overflows.
    fn seconds() -> impl proptest::strategy::Strategy<Value = u64> {
        use proptest::prelude::*;
        prop_oneof![0u64..120, (u64::MAX - 1000)..=u64::MAX, any::<u64>()]
    }

    proptest::proptest! {
        #[test]
        fn server_delay_reads_any_header_without_panicking(
            retry_after in header_text(),
            reset in header_text(),
            now_secs in 0u64..=253_402_300_799,
        ) {
            let mut headers = HeaderMap::new();
            let retry_after_value = HeaderValue::from_bytes(&retry_after).ok();
            if let Some(value) = &retry_after_value {
                headers.insert("retry-after", value.clone());
            }
            if let Ok(value) = HeaderValue::from_bytes(&reset) {
                headers.insert("ratelimit-reset", value);
            }
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(now_secs);
            let delay = server_delay(&headers, now);
            let seconds = retry_after_value
                .as_ref()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            if let Some(seconds) = seconds {
                proptest::prop_assert_eq!(delay, Some(Duration::from_secs(seconds)));
            }
        }

        #[test]
        fn the_next_delay_always_fits_the_budget(
            retryable in proptest::bool::ANY,
            backoff in proptest::option::of(proptest::num::u64::ANY),
            asked in proptest::option::of(seconds()),
            slept in seconds(),
            budget in seconds(),
        ) {
            let ms = Duration::from_millis;
            let secs = Duration::from_secs;
            let got = next_delay(retryable, backoff.map(ms), asked.map(secs), secs(slept), secs(budget));
            if let Some(delay) = got {
                proptest::prop_assert!(retryable && backoff.is_some());
                proptest::prop_assert_eq!(Some(delay), asked.map(secs).or(backoff.map(ms)));
                proptest::prop_assert!(secs(slept).checked_add(delay).is_some_and(|t| t <= secs(budget)));
            }
        }

        /// `execute`'s loop, with the server asking for any waits: it ends, never sleeps past the
        /// budget in all and never sleeps more often than the policy retries.
        #[test]
        fn retries_never_sleep_past_the_budget_whatever_the_server_asks(
            asked in proptest::collection::vec(proptest::option::of(seconds()), 1..12),
            max_retries in 0usize..10,
            budget_ms in 0u64..100_000,
        ) {
            let policy = RetryPolicy::default()
                .with_max_retries(max_retries)
                .with_max_total_delay(Duration::from_millis(budget_ms));
            let mut delays = policy.delays();
            let mut slept = Duration::ZERO;
            let mut sleeps = 0usize;
            for asked in &asked {
                let asked = asked.map(Duration::from_secs);
                match next_delay(true, delays.next(), asked, slept, policy.max_total_delay) {
                    Some(delay) => {
                        slept = slept.saturating_add(delay);
                        sleeps += 1;
                    }
                    None => break,
                }
            }
            proptest::prop_assert!(slept <= policy.max_total_delay);
            proptest::prop_assert!(sleeps <= max_retries);
        }
    }
}
