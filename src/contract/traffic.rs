//! Recorded traffic against the contract: which operation an exchange ([`super::exchange`]) is,
//! and what its response must look like.
//!
//! An exchange names its API (`"api": "cbr"`), or its request path tells: each spec's operations
//! are matched on method and path template, a `{variable}` standing for one non-empty segment,
//! and the template may sit at the end of a longer path (a gateway prefix). CBR's one operation is
//! `GET /v3/{project_id}/operation-logs`, OCP's
//! `GET /api/v2/ob/clusters/{id}/tenants/{tenantId}/backup/task/logBackupTasks`.
//!
//! A status the operation does not document is a violation of its own (keyword [`STATUS`]), not
//! an error: breaking for a success or redirect status (the typed reader has no type for its
//! body), strict-readers for an error status (the typed client reports any error status as an
//! error and reads its body leniently).

use std::sync::OnceLock;

use serde_json::Value;

use super::exchange::Exchange;
use super::{Api, ContractError, Impact, Target, Violation};

/// The keyword of a violation for a status the operation does not document.
pub const STATUS: &str = "status";

/// One operation of a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// Which API.
    pub api: Api,
    /// HTTP method, upper case.
    pub method: String,
    /// The path template, such as `/v3/{project_id}/operation-logs`.
    pub path: String,
    /// The `operationId`.
    pub operation_id: String,
    /// Every documented status with a JSON body, ascending.
    pub statuses: Vec<u16>,
}

impl Operation {
    /// Whether `path` (without query) is this operation's template, possibly after a prefix.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        if !self.method.eq_ignore_ascii_case(method) {
            return false;
        }
        let template: Vec<&str> = self.path.split('/').filter(|s| !s.is_empty()).collect();
        let actual: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if actual.len() < template.len() {
            return false;
        }
        let tail = &actual[actual.len() - template.len()..];
        template
            .iter()
            .zip(tail)
            .all(|(t, a)| (t.starts_with('{') && t.ends_with('}') && !a.is_empty()) || t == a)
    }

    /// The violation for a `status` this operation does not document.
    pub fn undocumented(&self, status: u16) -> Violation {
        let documented: Vec<String> = self.statuses.iter().map(u16::to_string).collect();
        Violation {
            pointer: String::new(),
            keyword: STATUS.to_owned(),
            message: format!(
                "status {status} is not documented for {} {} (documented: {})",
                self.method,
                self.path,
                documented.join(", ")
            ),
            schema_path: String::new(),
            impact: if status >= 400 {
                Impact::StrictReaders
            } else {
                Impact::Breaking
            },
        }
    }
}

/// Every operation of `api`'s spec, read once.
pub fn operations(api: Api) -> Result<&'static [Operation], ContractError> {
    static OPERATIONS: [OnceLock<Result<Vec<Operation>, String>>; 2] =
        [OnceLock::new(), OnceLock::new()];
    OPERATIONS[api as usize]
        .get_or_init(|| read_operations(api).map_err(|e| e.to_string()))
        .as_deref()
        .map_err(|why| ContractError::Spec {
            api,
            why: why.clone(),
        })
}

fn read_operations(api: Api) -> Result<Vec<Operation>, ContractError> {
    let spec = api.spec()?;
    let mut found = Vec::new();
    let paths = spec.get("paths").and_then(Value::as_object);
    for (path, item) in paths.into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let Some(operation_id) = operation.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let mut statuses: Vec<u16> = operation
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter(|(_, r)| r.pointer("/content/application~1json").is_some())
                .filter_map(|(code, _)| code.parse().ok())
                .collect();
            statuses.sort_unstable();
            found.push(Operation {
                api,
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                operation_id: operation_id.to_owned(),
                statuses,
            });
        }
    }
    Ok(found)
}

/// Where an exchange belongs in the contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    /// A documented status of a known operation: its body is checked against `target`.
    Documented {
        /// The operation.
        operation: &'static Operation,
        /// `response STATUS`.
        target: Target,
    },
    /// A known operation answered with a status it does not document.
    Undocumented {
        /// The operation.
        operation: &'static Operation,
        /// The violation that says so.
        violation: Violation,
    },
}

/// Finds the operation and target of `exchange`: its `api` member, else the API whose path
/// template its request path matches; `fallback` when neither tells. `Err` says why the exchange
/// cannot be checked (no known operation, a truncated body).
pub fn locate(exchange: &Exchange, fallback: Option<Api>) -> Result<Located, String> {
    let named =
        match exchange.api.as_deref() {
            Some(name) => Some(name.parse::<Api>().map_err(|_| {
                format!("unknown API {name:?} in the recording (expected cbr or ocp)")
            })?),
            None => None,
        };
    let request = &exchange.request;
    let candidates: Vec<Api> = match named.or(fallback) {
        Some(api) if named.is_some() => vec![api],
        // The path decides; the fallback only breaks a tie or stands in for no match.
        _ => Api::ALL.to_vec(),
    };
    let mut found = None;
    for api in candidates {
        let operations = operations(api).map_err(|e| e.to_string())?;
        if let Some(op) = operations
            .iter()
            .find(|op| op.matches(&request.method, &request.path))
        {
            found = Some(op);
            if Some(api) == fallback || named.is_some() {
                break;
            }
        }
    }
    let Some(operation) = found else {
        return Err(format!(
            "{} {} is not an operation of the {} contract",
            request.method,
            request.path,
            named.map_or("cbr or ocp".to_owned(), |api| api.to_string())
        ));
    };
    if exchange.response.body_truncated {
        return Err("the recorder kept only the first part of the body".to_owned());
    }
    let status = exchange.response.status;
    Ok(if operation.statuses.contains(&status) {
        Located::Documented {
            operation,
            target: Target::Response { status },
        }
    } else {
        Located::Undocumented {
            operation,
            violation: operation.undocumented(status),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::exchange::{Request, Response};

    fn exchange(api: Option<&str>, path: &str, status: u16) -> Exchange {
        Exchange {
            api: api.map(str::to_owned),
            started: None,
            latency_ms: None,
            request: Request {
                method: "GET".into(),
                path: path.into(),
                query: String::new(),
                headers: Vec::new(),
            },
            response: Response::new(status, Vec::new(), b"{}", false),
        }
    }

    #[test]
    fn the_path_tells_the_api_and_the_status_the_target() {
        let cbr = locate(&exchange(None, "/v3/p1/operation-logs", 404), None).expect("cbr");
        match cbr {
            Located::Documented { operation, target } => {
                assert_eq!(operation.api, Api::Cbr);
                assert_eq!(target, Target::Response { status: 404 });
            }
            other => panic!("{other:?}"),
        }
        let ocp_path = "/gateway/api/v2/ob/clusters/1/tenants/2/backup/task/logBackupTasks";
        match locate(&exchange(None, ocp_path, 200), None).expect("ocp") {
            Located::Documented { operation, .. } => assert_eq!(operation.api, Api::Ocp),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_undocumented_status_is_a_violation_and_an_unknown_path_a_reason() {
        match locate(&exchange(Some("cbr"), "/v3/p1/operation-logs", 502), None) {
            Ok(Located::Undocumented { violation, .. }) => {
                assert_eq!(violation.keyword, STATUS);
                assert_eq!(violation.impact, Impact::StrictReaders);
                assert!(
                    violation.message.contains("200, 400"),
                    "{}",
                    violation.message
                );
            }
            other => panic!("{other:?}"),
        }
        match locate(&exchange(None, "/v3/p1/operation-logs", 204), None) {
            Ok(Located::Undocumented { violation, .. }) => {
                assert_eq!(violation.impact, Impact::Breaking)
            }
            other => panic!("{other:?}"),
        }
        let why = locate(&exchange(Some("ocp"), "/v3/p1/operation-logs", 200), None)
            .expect_err("not an OCP path");
        assert!(
            why.contains("not an operation of the ocp contract"),
            "{why}"
        );
        let why = locate(&exchange(Some("aws"), "/", 200), None).expect_err("unknown API");
        assert!(why.contains("unknown API"), "{why}");
    }
}
