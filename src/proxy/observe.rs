//! What the proxy learns from each exchange, the one line it prints about it, and the summary.

use std::fmt;
use std::time::Duration;

use crate::common::terminal::escape;
use crate::contract::exchange::Exchange;
use crate::contract::impact::Impact;
use crate::contract::{Api, Contract, ContractError, JsonError, Target, Verdict, Violation};

/// The path templates of the two operations, as the proxy tells the API from a path.
fn operation_of(path: &str) -> Option<Api> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    match segments.as_slice() {
        ["", "v3", project, "operation-logs"] if !project.is_empty() => Some(Api::Cbr),
        [
            "",
            "api",
            "v2",
            "ob",
            "clusters",
            cluster,
            "tenants",
            tenant,
            "backup",
            "task",
            "logBackupTasks",
        ] if !cluster.is_empty() && !tenant.is_empty() => Some(Api::Ocp),
        _ => None,
    }
}

/// The API whose operation `path` is, or `forced` (`--api`) whatever the path.
pub fn api_for(path: &str, forced: Option<Api>) -> Option<Api> {
    forced.or_else(|| operation_of(path))
}

/// The contract's verdict on one response, or why there is none.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// The body satisfies the contract for its operation and status.
    Valid,
    /// The body breaks the contract; every violation, sorted.
    Violations(Vec<Violation>),
    /// The body is not JSON.
    NotJson(JsonError),
    /// The operation documents no response with this status.
    UndocumentedStatus,
    /// Not checked, and why (a path of neither operation, a body cut short).
    NotChecked(String),
    /// The proxy answered itself, and why: 502 when the upstream could not be reached, 413 for
    /// a request body over its limit. Such an exchange is printed, never recorded.
    ProxyAnswered(String),
}

impl Outcome {
    /// How many contract findings this is: the violations, or 1 for a body that is not JSON or
    /// a status the operation does not document.
    pub fn violation_count(&self) -> usize {
        match self {
            Outcome::Violations(v) => v.len(),
            Outcome::NotJson(_) | Outcome::UndocumentedStatus => 1,
            _ => 0,
        }
    }
}

/// Checks `body` against `api`'s contract for `status`.
pub fn check(api: Api, status: u16, body: &[u8]) -> Outcome {
    let contract = match Contract::get(api) {
        Ok(contract) => contract,
        Err(e) => return Outcome::NotChecked(format!("the {api} contract is unavailable: {e}")),
    };
    outcome(contract.check_bytes(&Target::Response { status }, body))
}

/// [`check`] of the body `buffer` holds, parsed where it lies when it can be (no copy); `buffer`
/// holds the same bytes afterwards.
pub(super) fn check_buffer(api: Api, status: u16, buffer: &mut Vec<u8>) -> Outcome {
    let contract = match Contract::get(api) {
        Ok(contract) => contract,
        Err(e) => return Outcome::NotChecked(format!("the {api} contract is unavailable: {e}")),
    };
    outcome(contract.check_buffer(&Target::Response { status }, buffer))
}

/// The outcome a contract check's result means.
fn outcome(checked: Result<Verdict, ContractError>) -> Outcome {
    match checked {
        Ok(Verdict::Valid) => Outcome::Valid,
        Ok(Verdict::Invalid { violations }) => Outcome::Violations(violations),
        Ok(Verdict::NotJson { error }) => Outcome::NotJson(error),
        Err(ContractError::UnknownTarget { .. }) => Outcome::UndocumentedStatus,
        Err(e) => Outcome::NotChecked(e.to_string()),
    }
}

/// One exchange as the proxy saw it.
#[derive(Debug, Clone)]
pub struct Observed {
    /// The exchange, credentials redacted, as `--record` writes it.
    pub exchange: Exchange,
    /// The API it was checked against.
    pub api: Option<Api>,
    /// From the request's arrival to the end of the response body.
    pub latency: Duration,
    /// The verdict.
    pub outcome: Outcome,
}

/// How many violations one line lists before it says how many more there are.
const LISTED_VIOLATIONS: usize = 3;

impl fmt::Display for Observed {
    /// `GET /v3/p/operation-logs?limit=10 200 1.9 ms cbr ok`, or the violations with their count.
    /// Everything that came from the client or the server is escaped for the terminal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let request = &self.exchange.request;
        write!(f, "{} {}", escape(&request.method), escape(&request.path))?;
        if !request.query.is_empty() {
            write!(f, "?{}", escape(&request.query))?;
        }
        write!(
            f,
            " {} {:.1} ms",
            self.exchange.response.status,
            self.latency.as_secs_f64() * 1e3
        )?;
        if let Some(api) = self.api {
            write!(f, " {api}")?;
        }
        match &self.outcome {
            Outcome::Valid => f.write_str(" ok"),
            Outcome::Violations(violations) => {
                let n = violations.len();
                let breaking = violations
                    .iter()
                    .filter(|v| v.impact == Impact::Breaking)
                    .count();
                write!(
                    f,
                    " {n} violation{} ({breaking} breaking, {} strict-readers):",
                    if n == 1 { "" } else { "s" },
                    n - breaking
                )?;
                for v in violations.iter().take(LISTED_VIOLATIONS) {
                    let at = if v.pointer.is_empty() {
                        "/"
                    } else {
                        &v.pointer
                    };
                    write!(
                        f,
                        " [{} {} at {}: {}]",
                        v.impact,
                        escape(&v.keyword),
                        escape(at),
                        escape(&v.message)
                    )?;
                }
                if n > LISTED_VIOLATIONS {
                    write!(f, " and {} more", n - LISTED_VIOLATIONS)?;
                }
                Ok(())
            }
            Outcome::NotJson(e) => {
                let e = e.to_string();
                write!(
                    f,
                    " 1 violation (1 breaking): [breaking not JSON: {}]",
                    escape(&e)
                )
            }
            Outcome::UndocumentedStatus => f.write_str(" 1 violation: [status not documented]"),
            Outcome::NotChecked(why) => write!(f, " not checked: {}", escape(why)),
            Outcome::ProxyAnswered(why) => write!(f, " answered by the proxy: {}", escape(why)),
        }
    }
}

/// Most latencies the summary keeps for its percentiles; later exchanges are counted but
/// their latencies are not kept, so a proxy left running for days holds bounded memory.
const KEPT_LATENCIES: usize = 1_000_000;

/// Totals over every exchange the proxy saw.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Exchanges seen.
    pub exchanges: u64,
    /// Responses checked and valid.
    pub valid: u64,
    /// Responses with at least one contract finding.
    pub invalid: u64,
    /// Contract findings over all responses ([`Outcome::violation_count`]).
    pub violations: u64,
    /// Of those, the ones that break readers of the published types ([`Impact::Breaking`];
    /// a body that is not JSON counts here too).
    pub breaking: u64,
    /// Responses not checked.
    pub not_checked: u64,
    /// Exchanges the proxy answered itself (502, 413): [`Outcome::ProxyAnswered`].
    pub proxy_answered: u64,
    /// Responses with a 5xx status from the upstream.
    pub server_errors: u64,
    /// Exchanges `--record` could not write.
    pub record_errors: u64,
    latencies: Vec<Duration>,
}

impl Summary {
    /// Counts `observed` in.
    pub fn add(&mut self, observed: &Observed) {
        self.exchanges += 1;
        match &observed.outcome {
            Outcome::Valid => self.valid += 1,
            Outcome::ProxyAnswered(_) => self.proxy_answered += 1,
            Outcome::NotChecked(_) => self.not_checked += 1,
            other => {
                self.invalid += 1;
                self.violations += other.violation_count() as u64;
                self.breaking += match other {
                    Outcome::Violations(v) => {
                        v.iter().filter(|v| v.impact == Impact::Breaking).count() as u64
                    }
                    Outcome::NotJson(_) => 1,
                    _ => 0,
                };
            }
        }
        if (500..600).contains(&observed.exchange.response.status)
            && !matches!(observed.outcome, Outcome::ProxyAnswered(_))
        {
            self.server_errors += 1;
        }
        if self.latencies.len() < KEPT_LATENCIES {
            self.latencies.push(observed.latency);
        }
    }

    /// The latency below which `fraction` (0 to 1) of the kept latencies lie (nearest rank).
    pub fn latency_percentile(&self, fraction: f64) -> Option<Duration> {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let last = sorted.len().checked_sub(1)?;
        let rank = ((fraction.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize).max(1) - 1;
        sorted.get(rank.min(last)).copied()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} exchanges: {} valid, {} with {} violations ({} breaking), {} not checked, {} answered by the proxy (502, 413), {} upstream 5xx",
            self.exchanges,
            self.valid,
            self.invalid,
            self.violations,
            self.breaking,
            self.not_checked,
            self.proxy_answered,
            self.server_errors
        )?;
        if let (Some(p50), Some(p99)) =
            (self.latency_percentile(0.5), self.latency_percentile(0.99))
        {
            write!(
                f,
                "; latency p50 {:.1} ms, p99 {:.1} ms",
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3
            )?;
        }
        if self.record_errors > 0 {
            write!(f, "; {} not recorded", self.record_errors)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_comes_from_the_operation_path() {
        assert_eq!(api_for("/v3/p1/operation-logs", None), Some(Api::Cbr));
        assert_eq!(api_for("/v3/p1/operation-logs/", None), Some(Api::Cbr));
        assert_eq!(
            api_for(
                "/api/v2/ob/clusters/1/tenants/2/backup/task/logBackupTasks",
                None
            ),
            Some(Api::Ocp)
        );
        assert_eq!(api_for("/v3//operation-logs", None), None);
        assert_eq!(api_for("/other", None), None);
        assert_eq!(api_for("/other", Some(Api::Ocp)), Some(Api::Ocp));
    }

    #[test]
    fn a_line_escapes_what_the_server_sent_and_counts_violations() {
        let exchange: Exchange = serde_json::from_str(
            r#"{"request":{"method":"GET","path":"/v3/p/operation-logs","query":"a=\u001b[2J"},
                "response":{"status":200,"body":"{}"}}"#,
        )
        .expect("exchange");
        let outcome = check(Api::Cbr, 200, b"{\"count\":\"\\u001b[31m\"}");
        assert!(outcome.violation_count() >= 1, "{outcome:?}");
        let line = Observed {
            exchange,
            api: Some(Api::Cbr),
            latency: Duration::from_micros(1500),
            outcome,
        }
        .to_string();
        assert!(!line.contains('\u{1b}'), "{line}");
        assert!(line.contains(" 200 1.5 ms cbr "), "{line}");
        assert!(
            line.contains("violation") && line.contains("breaking"),
            "{line}"
        );
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut summary = Summary::default();
        assert_eq!(summary.latency_percentile(0.5), None);
        summary.latencies = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(
            summary.latency_percentile(0.5),
            Some(Duration::from_millis(50))
        );
        assert_eq!(
            summary.latency_percentile(0.99),
            Some(Duration::from_millis(99))
        );
    }
}
