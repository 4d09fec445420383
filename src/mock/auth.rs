//! The mock's authentication: CBR tokens and `SDK-HMAC-SHA256` signatures, OCP Basic and
//! `OCP-ACCESS-KEY-HMACSHA1` signatures, each verified with the client's own signer over what
//! arrived, every secret compared in constant time.

use std::time::SystemTime;

use axum::http::{HeaderMap, Method, Uri};
use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use subtle::{Choice, ConstantTimeEq as _};

use super::{MAX_CLOCK_SKEW, MockConfig};
use crate::ocp::signer::{self, SigningInput};

/// Whether a signed request's time is within [`MAX_CLOCK_SKEW`] of the mock's clock, either way.
fn within_clock_skew(sent: SystemTime) -> bool {
    let now = SystemTime::now();
    now.duration_since(sent)
        .or_else(|_| sent.duration_since(now))
        .is_ok_and(|skew| skew <= MAX_CLOCK_SKEW)
}

/// Whether `given` is `expected`, in a time that depends on neither's content: both are hashed
/// to 32 bytes first (so where they differ, and even whether their lengths do, does not show)
/// and the digests compared with `subtle`. A `Choice`, so callers combine several comparisons
/// with `&` rather than `&&`, whose early exit would tell which one failed.
fn same_secret(given: &[u8], expected: &[u8]) -> Choice {
    Sha256::digest(given)
        .as_slice()
        .ct_eq(Sha256::digest(expected).as_slice())
}

/// The message of every OCP credential mismatch (Spring Security's): a wrong user, a wrong
/// password, an unknown access key and a wrong signature all read alike, so the answer does not
/// tell which part of a guess was right.
const OCP_BAD_CREDENTIALS: &str = "Bad credentials";

/// An `Authorization` value split into its scheme and credentials (RFC 7235: the scheme is a
/// token followed by a space, the credentials may be surrounded by more).
fn auth_scheme(authorization: &str) -> (&str, &str) {
    let authorization = authorization.trim();
    match authorization.split_once(' ') {
        Some((scheme, credentials)) => (scheme, credentials.trim()),
        None => (authorization, ""),
    }
}

/// An `X-Auth-Token`, or an `SDK-HMAC-SHA256` signature recomputed with the client's signer over
/// what arrived (the gateway answers every failure alike, so this says only yes or no). The
/// access key, the signature and the rest are all checked whatever fails first, so the time
/// taken does not tell an unknown access key from a wrong signature.
pub(super) fn cbr_authenticated(
    config: &MockConfig,
    project_id: &str,
    headers: &HeaderMap,
    uri: &Uri,
) -> bool {
    use crate::cbr::signer as cbr_signer;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(parsed) = header("authorization").and_then(cbr_signer::parse_authorization) else {
        let token = header("x-auth-token").unwrap_or_default();
        return match &config.cbr_token {
            Some(pinned) => same_secret(token.as_bytes(), pinned.expose().as_bytes()).into(),
            None => !token.is_empty(),
        };
    };
    let Some((access_key, secret)) = &config.cbr_keys else {
        return false;
    };
    let Some(date) = header(cbr_signer::DATE_HEADER) else {
        return false;
    };
    let fresh = cbr_signer::parse_sdk_date(date).is_some_and(within_clock_skew);
    let signed: Option<Vec<(&str, &str)>> = parsed
        .signed_headers
        .iter()
        .filter(|name| name.as_str() != cbr_signer::DATE_HEADER)
        .map(|name| Some((name.as_str(), header(name)?)))
        .collect();
    let Some(signed) = signed else {
        return false;
    };
    let input = cbr_signer::SigningInput {
        method: "GET",
        path: uri.path(),
        query: uri.query().unwrap_or_default(),
        headers: &signed,
        body: &[],
        date,
    };
    let expected = cbr_signer::sign(secret.expose(), &input);
    let keys = same_secret(parsed.access_key.as_bytes(), access_key.as_bytes())
        & same_secret(parsed.signature.as_bytes(), expected.as_bytes());
    let date_signed = parsed
        .signed_headers
        .iter()
        .any(|h| h == cbr_signer::DATE_HEADER);
    let project = header("x-project-id").is_none_or(|p| p == project_id);
    bool::from(keys) & fresh & date_signed & project
}

/// Basic credentials (the scheme in any case, RFC 7235), or an AK/SK signature recomputed with
/// the client's signer over what arrived. User and password, and access key and signature, are
/// compared together in constant time and fail with one message, [`OCP_BAD_CREDENTIALS`].
pub(super) fn ocp_authenticate(
    config: &MockConfig,
    method: &Method,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<(), String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let (scheme, credentials) = auth_scheme(header("authorization"));
    if scheme.eq_ignore_ascii_case("Basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(credentials)
            .unwrap_or_default();
        // RFC 7617: the user ends at the first colon; no colon, no password, no match.
        let (user, password, colon) = match decoded.iter().position(|&b| b == b':') {
            Some(at) => (&decoded[..at], &decoded[at + 1..], true),
            None => (&decoded[..], &[][..], false),
        };
        let matches = same_secret(user, config.ocp_user.as_bytes())
            & same_secret(password, config.ocp_password.expose().as_bytes());
        return if colon & bool::from(matches) {
            Ok(())
        } else {
            Err(OCP_BAD_CREDENTIALS.into())
        };
    }
    if !scheme.eq_ignore_ascii_case(signer::AUTH_SCHEME) {
        return Err("Full authentication is required to access this resource".into());
    }
    let Some(signer::ParsedAuthorization {
        access_key,
        signature,
    }) = signer::parse_authorization(header("authorization"))
    else {
        return Err("Malformed OCP-ACCESS-KEY-HMACSHA1 authorization".into());
    };
    // The Date before the keys: what is wrong with it says nothing about them.
    let date = header("date");
    let sent = signer::parse_http_date(date)
        .ok_or_else(|| "Missing or malformed Date header".to_owned())?;
    if !within_clock_skew(sent) {
        return Err("The Date header is more than 15 minutes from the server's clock".into());
    }
    // Without configured keys every access key is unknown, and reads so.
    let Some((expected_key, secret)) = &config.ocp_keys else {
        return Err(OCP_BAD_CREDENTIALS.into());
    };
    let ocp_headers: Vec<(&str, &str)> = headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-ocp-"))
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let input = SigningInput {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or_default(),
        body: &[],
        content_type: header("content-type"),
        date,
        host: header("host"),
        ocp_headers: &ocp_headers,
    };
    let expected = signer::sign(secret.expose(), &input);
    let matches = same_secret(access_key.as_bytes(), expected_key.as_bytes())
        & same_secret(signature.as_bytes(), expected.as_bytes());
    if bool::from(matches) {
        Ok(())
    } else {
        Err(OCP_BAD_CREDENTIALS.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_secret_is_equality_of_bytes() {
        let yes = |a: &str, b: &str| bool::from(same_secret(a.as_bytes(), b.as_bytes()));
        assert!(yes("s3cret", "s3cret"));
        assert!(yes("", ""));
        assert!(!yes("s3cret", "t3cret"), "first byte differs");
        assert!(!yes("s3cret", "s3creu"), "last byte differs");
        assert!(!yes("s3cret", "s3cret-and-more"), "a prefix");
        assert!(!yes("s3cret-and-more", "s3cret"), "longer than expected");
        assert!(!yes("", "s3cret"), "empty");
        assert!(!yes("S3CRET", "s3cret"), "case matters");
    }

    #[test]
    fn auth_scheme_splits_at_the_first_space() {
        assert_eq!(auth_scheme("Basic YWJj"), ("Basic", "YWJj"));
        assert_eq!(auth_scheme("  basic   YWJj  "), ("basic", "YWJj"));
        assert_eq!(auth_scheme("Basic"), ("Basic", ""));
        assert_eq!(auth_scheme(""), ("", ""));
        assert_eq!(
            auth_scheme("OCP-ACCESS-KEY-HMACSHA1 ak:c2ln"),
            ("OCP-ACCESS-KEY-HMACSHA1", "ak:c2ln")
        );
    }
}
