//! OCP's part of the hooks every generated call goes through (see [`crate::client::hooks`]):
//! AK/SK signing, and the `status` list in the form OCP documents. Basic credentials need no hook:
//! they are a sensitive default header.

use std::time::SystemTime;

use reqwest::header::{CONTENT_TYPE, DATE, HeaderValue};

use super::generated::Client;
use super::signer::{self, SigningInput};
use crate::client::hooks::{RequestHooks, impl_hooks};
pub(crate) use crate::client::signing::Keys;

/// OCP's AK/SK signing (`OCP-ACCESS-KEY-HMACSHA1`).
#[derive(Clone, Debug)]
pub(crate) struct Signing(pub(crate) Keys);

impl RequestHooks for Signing {
    fn sign(&self, request: &mut reqwest::Request, now: SystemTime) {
        sign(request, &self.0, now);
    }

    fn rewrite(request: &mut reqwest::Request) {
        merge_repeated_status(request.url_mut());
    }
}

impl_hooks!(Client, Signing);

/// progenitor sends an array query parameter as repeated keys (`status=A&status=B`); the spec
/// (and OCP's docs) use one comma-separated value (`status=A,B`), which OCP's Spring server binds
/// to the same list. Rewrite to the documented form.
fn merge_repeated_status(url: &mut reqwest::Url) {
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let statuses: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "status")
        .map(|(_, v)| v.as_str())
        .collect();
    if statuses.len() < 2 {
        return;
    }
    let merged = statuses.join(",");
    let mut rest: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(k, _)| k != "status")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    rest.push(("status", &merged));
    url.query_pairs_mut().clear().extend_pairs(rest);
}

/// Adds `Date` and the `OCP-ACCESS-KEY-HMACSHA1` `Authorization` header for this attempt.
pub(crate) fn sign(request: &mut reqwest::Request, keys: &Keys, now: SystemTime) {
    let date = signer::http_date(now);
    let url = request.url().clone();
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let ocp_headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-ocp-"))
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let ocp_refs: Vec<(&str, &str)> = ocp_headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let body = request
        .body()
        .and_then(reqwest::Body::as_bytes)
        .unwrap_or_default();
    let input = SigningInput {
        method: request.method().as_str(),
        path: url.path(),
        query: url.query().unwrap_or_default(),
        body,
        content_type: &content_type,
        date: &date,
        host: &host,
        ocp_headers: &ocp_refs,
    };
    let authorization = signer::authorization(&keys.access_key, keys.secret_key.expose(), &input);
    let headers = request.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&date) {
        headers.insert(DATE, value);
    }
    crate::client::http::set_authorization(request, &authorization);
}

#[cfg(test)]
mod tests {
    use reqwest::header::AUTHORIZATION;

    use super::*;
    use crate::common::Secret;

    #[test]
    fn repeated_status_keys_become_one_comma_separated_value() {
        let mut url = reqwest::Url::parse("http://h/p?page=1&status=STARTING&size=5&status=FAILED")
            .expect("url");
        merge_repeated_status(&mut url);
        assert_eq!(url.query(), Some("page=1&size=5&status=STARTING%2CFAILED"));
        let mut single = reqwest::Url::parse("http://h/p?status=FAILED&page=2").expect("url");
        merge_repeated_status(&mut single);
        assert_eq!(
            single.query(),
            Some("status=FAILED&page=2"),
            "one value is left as it is"
        );
    }

    #[test]
    fn signing_reproduces_the_documented_get_example() {
        // Worked example 2 of ocp-doc `300.ak-sk-sign-roles.md`: GET /api/v2/compute/idcs?size=100.
        // Our builder installs the rustls crypto provider; `reqwest::Client::new` would not.
        let client =
            crate::client::http::build_client(&Default::default(), Vec::new()).expect("client");
        let mut request = client
            .get("http://ocp.alibaba.net:8080/api/v2/compute/idcs?size=100")
            .header(CONTENT_TYPE, "application/json;charset=utf-8")
            .build()
            .expect("request");
        let keys = Keys {
            access_key: "cqammmxBpfGjFlto".into(),
            secret_key: Secret::new("2fc0c299cc94c6be266f2ceece765d4d"),
        };
        let now = httpdate::parse_http_date("Tue, 17 Jan 2023 04:14:02 GMT").expect("date");
        sign(&mut request, &keys, now);
        assert_eq!(request.headers()[DATE], "Tue, 17 Jan 2023 04:14:02 GMT");
        assert_eq!(
            request.headers()[AUTHORIZATION],
            "OCP-ACCESS-KEY-HMACSHA1 cqammmxBpfGjFlto:TsQD6HDOuZuJ409m0wdnZPmijlc="
        );
        assert!(request.headers()[AUTHORIZATION].is_sensitive());
        assert!(!format!("{keys:?}").contains("2fc0c299"), "{keys:?}");
    }
}
