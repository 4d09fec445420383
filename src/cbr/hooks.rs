//! CBR's part of the hooks every generated call goes through (see [`crate::client::hooks`]):
//! AK/SK signing. A token needs no hook: it is a sensitive default header.

use std::time::SystemTime;

use reqwest::header::{HeaderName, HeaderValue};

use super::generated::Client;
use super::signer::{self, SigningInput};
use crate::client::hooks::{RequestHooks, impl_hooks};
pub(crate) use crate::client::signing::Keys;
use crate::common::Secret;

/// What an AK/SK-signed request carries besides the signature.
#[derive(Clone, Debug)]
pub(crate) struct Signing {
    pub(crate) keys: Keys,
    /// Sent as `X-Project-Id` and signed, as Huawei Cloud's SDKs do.
    pub(crate) project_id: String,
    /// Sent as `X-Security-Token` (temporary credentials) and signed.
    pub(crate) security_token: Option<Secret>,
}

impl RequestHooks for Signing {
    fn sign(&self, request: &mut reqwest::Request, now: SystemTime) {
        sign(request, self, now);
    }
}

impl_hooks!(Client, Signing);

/// Adds `X-Project-Id`, `X-Security-Token` (if any), `X-Sdk-Date` and the `SDK-HMAC-SHA256`
/// `Authorization` header for this attempt. The builder checked that every value is a valid
/// header value; one that is not is left out, and the server then refuses the request.
///
/// The query goes out exactly as it is signed (the canonical query): reqwest form-encodes a space
/// as `+`, which the signature covers as `%20`, and a gateway that canonicalises the raw query
/// would read that `+` as a plus and refuse the signature. Huawei Cloud's SDKs send the canonical
/// query too.
pub(crate) fn sign(request: &mut reqwest::Request, signing: &Signing, now: SystemTime) {
    let date = signer::sdk_date(now);
    let mut signed: Vec<(&str, &str)> = vec![("x-project-id", &signing.project_id)];
    if let Some(token) = &signing.security_token {
        signed.push(("x-security-token", token.expose()));
    }
    if let Some(raw) = request.url().query() {
        let canonical = signer::canonical_query(raw);
        request
            .url_mut()
            .set_query((!canonical.is_empty()).then_some(canonical.as_str()));
    }
    let url = request.url().clone();
    let body = request
        .body()
        .and_then(reqwest::Body::as_bytes)
        .unwrap_or_default();
    let input = SigningInput {
        method: request.method().as_str(),
        path: url.path(),
        query: url.query().unwrap_or_default(),
        headers: &signed,
        body,
        date: &date,
    };
    let authorization = signer::authorization(
        &signing.keys.access_key,
        signing.keys.secret_key.expose(),
        &input,
    );
    let headers = request.headers_mut();
    for (name, value) in signed
        .iter()
        .copied()
        .chain([(signer::DATE_HEADER, date.as_str())])
    {
        if let Ok(mut value) = HeaderValue::from_str(value) {
            value.set_sensitive(name == "x-security-token");
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    crate::client::http::set_authorization(request, &authorization);
}

#[cfg(test)]
mod tests {
    use reqwest::header::AUTHORIZATION;

    use super::*;

    #[test]
    fn a_signed_request_carries_what_it_signed() {
        let client =
            crate::client::http::build_client(&Default::default(), Vec::new()).expect("client");
        let mut request = client
            .get("https://cbr.example.com/v3/p1/operation-logs?limit=10&offset=0")
            .build()
            .expect("request");
        let signing = Signing {
            keys: Keys {
                access_key: "AK1".into(),
                secret_key: Secret::new("SK-very-secret"),
            },
            project_id: "p1".into(),
            security_token: Some(Secret::new("temporary-token")),
        };
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_136_214_245);
        sign(&mut request, &signing, now);
        let headers = request.headers();
        assert_eq!(headers["x-sdk-date"], "20060102T150405Z");
        assert_eq!(headers["x-project-id"], "p1");
        assert_eq!(headers["x-security-token"], "temporary-token");
        assert!(headers["x-security-token"].is_sensitive());
        assert!(headers[AUTHORIZATION].is_sensitive());
        let expected = signer::authorization(
            "AK1",
            "SK-very-secret",
            &SigningInput {
                method: "GET",
                path: "/v3/p1/operation-logs",
                query: "limit=10&offset=0",
                headers: &[
                    ("X-Project-Id", "p1"),
                    ("X-Security-Token", "temporary-token"),
                ],
                body: b"",
                date: "20060102T150405Z",
            },
        );
        assert_eq!(headers[AUTHORIZATION], expected.as_str());
        assert!(expected.starts_with(
            "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=x-project-id;x-sdk-date;x-security-token, Signature="
        ));
        let shown = format!("{signing:?}");
        assert!(
            !shown.contains("SK-very-secret") && !shown.contains("temporary-token"),
            "{shown}"
        );
    }

    #[test]
    fn the_query_goes_out_as_it_is_signed() {
        let client =
            crate::client::http::build_client(&Default::default(), Vec::new()).expect("client");
        // What reqwest's query serialiser makes of a space, a plus and a non-ASCII name.
        let mut request = client
            .get("https://cbr.example.com/v3/p1/operation-logs")
            .query(&[("resource_name", "ECS 0001+b/ü"), ("limit", "10")])
            .build()
            .expect("request");
        assert_eq!(
            request.url().query(),
            Some("resource_name=ECS+0001%2Bb%2F%C3%BC&limit=10")
        );
        let signing = Signing {
            keys: Keys {
                access_key: "AK1".into(),
                secret_key: Secret::new("SK"),
            },
            project_id: "p1".into(),
            security_token: None,
        };
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_136_214_245);
        sign(&mut request, &signing, now);
        let wire = request.url().query().expect("a query").to_owned();
        assert_eq!(wire, "limit=10&resource_name=ECS%200001%2Bb%2F%C3%BC");
        let expected = signer::authorization(
            "AK1",
            "SK",
            &SigningInput {
                method: "GET",
                path: "/v3/p1/operation-logs",
                query: &wire,
                headers: &[("X-Project-Id", "p1")],
                body: b"",
                date: "20060102T150405Z",
            },
        );
        assert_eq!(request.headers()[AUTHORIZATION], expected.as_str());
        // A retry signs again: the query is already canonical and stays as it is.
        sign(&mut request, &signing, now);
        assert_eq!(request.url().query(), Some(wire.as_str()));
    }
}
