//! The seam between the generated OCP client and this crate: progenitor's `ClientHooks`.

use std::time::SystemTime;

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, DATE, HeaderValue};

use super::generated::Client;
use super::signer::{self, SigningInput};
use crate::common::retry::{self, RetryPolicy};
pub(crate) use crate::common::signing::Keys;

/// State the generated client carries for the hooks.
#[derive(Clone, Debug)]
pub struct Inner {
    pub(crate) retry: RetryPolicy,
    /// The largest response body read (see `HttpSettings::max_body_bytes`).
    pub(crate) max_body_bytes: u64,
    /// AK/SK keys when the client signs requests; Basic credentials are a default header instead.
    pub(crate) signing: Option<Keys>,
}

impl ClientHooks<Inner> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        // progenitor adds an `api-version` header to every request; neither service knows it.
        request.headers_mut().remove("api-version");
        merge_repeated_status(request.url_mut());
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let keys = self.inner().signing.as_ref();
        let inner = self.inner();
        retry::execute(
            self.client(),
            request,
            &inner.retry,
            inner.max_body_bytes,
            |request| {
                if let Some(keys) = keys {
                    sign(request, keys, SystemTime::now());
                }
            },
        )
        .await
    }
}

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
    if let Ok(mut value) = HeaderValue::from_str(&authorization) {
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
}

#[cfg(test)]
mod tests {
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
        // FACTS.md worked example 2: GET /api/v2/compute/idcs?size=100.
        // Our builder installs the rustls crypto provider; `reqwest::Client::new` would not.
        let client =
            crate::common::http::build_client(&Default::default(), Vec::new()).expect("client");
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
