//! OCP AK/SK request signing (`Authorization: OCP-ACCESS-KEY-HMACSHA1 {AK}:{signature}`).
//!
//! Source: ocp-doc `200.api-reference/200.api-call-description.md` and `300.ak-sk-sign-roles.md`
//! (OceanBase's public OCP documentation). The server recomputes the
//! signature from what it receives, so everything here mirrors what a Spring MVC server *sees*
//! (decoded query parameters, lower-cased HTTP/2 header names), not merely what the client typed.
//!
//! The string to sign is seven fields joined by `\n`:
//!
//! ```text
//! METHOD
//! Content-MD5            (upper-case hex MD5 of the body; empty when there is no body)
//! Content-Type
//! Date                   (RFC 1123, within 15 minutes of the server clock)
//! Host
//! x-ocp-headers          (sorted `name:value` lines joined by `\n`; EMPTY LINE when there are none)
//! path[?canonical-query] (no `?` when the query is empty)
//! ```
//!
//! **Finding on the empty x-ocp-headers block** (verified against both worked examples of the
//! doc): the block is a *field*, not optional lines. With no `x-ocp-*` header the message keeps an
//! empty line, i.e. `...Host\n\n/path`. Example 2 (no x-ocp headers) only yields
//! `TsQD6HDOuZuJ409m0wdnZPmijlc=` with that empty line; omitting it gives
//! `z8WkUF9uqidosScpRdXgo66ZdNk=`. Example 1 likewise only yields `XN8P+O+v3vUabB16ZCooq5wMJoY=`
//! when its `x-ocp-data:A,1` line is included (without it: `n53oTujMlcnUT1Wd5LwCnkbJLnM=`).
//!
//! Everything in this module is pure (no clock, no I/O) and total: no input makes it panic.
//! No type here holds the secret key, so no `Debug` output can leak it.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use md5::{Digest as _, Md5};
use percent_encoding::percent_encode;
use sha1::Sha1;

use crate::client::signing::{RFC3986_RESERVED, query_params};

/// The `Authorization` scheme name OCP expects in front of `{AK}:{signature}`.
pub const AUTH_SCHEME: &str = "OCP-ACCESS-KEY-HMACSHA1";

/// Prefix (compared case-insensitively) of the headers that take part in the signature.
const OCP_HEADER_PREFIX: &str = "x-ocp-";

type HmacSha1 = Hmac<Sha1>;

/// Everything about one request that goes into an OCP signature.
///
/// All fields are borrowed so that a caller can sign a request it is about to send without
/// copying its body. It carries no secret, so deriving `Debug` is safe.
#[derive(Debug, Clone, Copy)]
pub struct SigningInput<'a> {
    /// HTTP method exactly as sent (normally upper-case, e.g. `GET`); not normalised, because the
    /// server signs the method it receives.
    pub method: &'a str,
    /// Request path as sent, starting with `/`, without query (e.g. `/api/v2/compute/idcs`).
    pub path: &'a str,
    /// Raw query string as sent, without the leading `?` (one leading `?` is tolerated), possibly
    /// empty, possibly containing percent-escapes. It is decoded and re-encoded canonically by
    /// [`canonical_query`].
    pub query: &'a str,
    /// Request body bytes; empty means "no body" (Content-MD5 is then the empty string).
    pub body: &'a [u8],
    /// `Content-Type` header value as sent; may be empty.
    pub content_type: &'a str,
    /// `Date` header value as sent (RFC 1123, see [`http_date`]).
    pub date: &'a str,
    /// `Host` header value as sent, including a non-default port (e.g. `ocp.alibaba.net:8080`).
    pub host: &'a str,
    /// Extra request headers as `(name, value)`. Only names starting with `x-ocp-`
    /// (case-insensitive) are signed; the others are ignored, so a caller may pass all headers.
    pub ocp_headers: &'a [(&'a str, &'a str)],
}

/// Builds the exact message that is HMAC-signed (see the module docs for its shape).
///
/// The x-ocp-headers line is always present, empty when no `x-ocp-*` header is given; the path
/// is followed by `?` and the [`canonical_query`] only when that query is non-empty.
#[must_use]
pub fn string_to_sign(input: &SigningInput<'_>) -> String {
    let query = canonical_query(input.query);
    let path_and_query = if query.is_empty() {
        input.path.to_owned()
    } else {
        format!("{}?{}", input.path, query)
    };
    [
        input.method,
        &content_md5(input.body),
        input.content_type,
        input.date,
        input.host,
        &canonical_ocp_headers(input.ocp_headers),
        &path_and_query,
    ]
    .join("\n")
}

/// Computes `Base64(HMAC-SHA1(secret_key, string_to_sign(input)))`.
///
/// The secret is used only as the HMAC key and never stored or formatted.
#[must_use]
pub fn sign(secret_key: &str, input: &SigningInput<'_>) -> String {
    let message = string_to_sign(input);
    // HMAC accepts keys of any length (long keys are hashed, short ones padded), so
    // `new_from_slice` cannot fail for HMAC-SHA1. Matching instead of unwrapping keeps the
    // function panic-free; the empty fallback would simply be rejected by the server.
    match HmacSha1::new_from_slice(secret_key.as_bytes()) {
        Ok(mut mac) => {
            mac.update(message.as_bytes());
            BASE64.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Builds the full `Authorization` header value: `OCP-ACCESS-KEY-HMACSHA1 {access_key}:{sig}`.
///
/// The result contains the signature, not the secret; it is still a credential for about
/// 15 minutes (the server's `Date` window), so callers should not log it.
#[must_use]
pub fn authorization(access_key: &str, secret_key: &str, input: &SigningInput<'_>) -> String {
    format!("{AUTH_SCHEME} {access_key}:{}", sign(secret_key, input))
}

/// Upper-case hex MD5 of `body`, or the empty string when `body` is empty.
///
/// An empty body is treated as "no body" because OCP's examples (a bodiless `GET`) sign an
/// empty Content-MD5 field rather than the MD5 of zero bytes.
#[must_use]
pub fn content_md5(body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    Md5::digest(body)
        .iter()
        .fold(String::with_capacity(32), |mut hex, b| {
            // Writing to a String cannot fail; the Result is ignored rather than unwrapped.
            let _ = write!(hex, "{b:02X}");
            hex
        })
}

/// Canonical form of a raw query string for the signature.
///
/// Steps, each chosen to match what OCP's Spring MVC server reconstructs from its decoded
/// parameter map:
///
/// 1. Split on `&`, then each pair on its first `=`. Empty pairs (`a=1&&b=2`) are dropped; a
///    pair with no `=` (`flag`) is a key with an empty value (`flag=`), as the servlet API sees it.
///    Pairs with an empty key (`=x`) are dropped, because Tomcat ignores nameless parameters.
/// 2. Decode keys and values: `+` becomes a space, then `%XX` escapes are decoded. A literal
///    `+` means space because Tomcat/Spring decode query parameters with form-urlencoded rules
///    (which is why a literal `+` in a time offset must be *sent* as `%2B`); signing it as `%2B`
///    would sign a value the server never sees. Malformed escapes (`%zz`, a trailing `%`) are
///    kept literally, so they re-encode as `%25...`; this never panics.
/// 3. Group by key; sort keys, and the values of each key, by their decoded bytes (for UTF-8 this
///    is code-point order, which equals Java's `String` order outside the rare surrogate range).
/// 4. Join each key's values with `,` and percent-encode key and joined value per RFC 3986
///    (unreserved `A-Za-z0-9-._~` kept, else upper-case `%XX`), so `a=1&a=2` gives `a=1%2C2`.
/// 5. Join `key=value` pairs with `&`. An empty or all-empty query yields `""`.
#[must_use]
pub fn canonical_query(raw: &str) -> String {
    query_params(raw)
        .into_iter()
        .map(|(key, values)| {
            let joined = values.join(&b","[..]);
            format!(
                "{}={}",
                percent_encode(&key, RFC3986_RESERVED),
                percent_encode(&joined, RFC3986_RESERVED)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Formats `t` as an RFC 1123 `Date` header value, e.g. `Tue, 17 Jan 2023 09:13:57 GMT`.
///
/// `httpdate` panics on times before 1970 or after 9999; those are clamped into its range
/// instead (such a `Date` is far outside OCP's 15-minute window anyway, so the server rejects
/// the request cleanly rather than this process aborting).
#[must_use]
pub fn http_date(t: SystemTime) -> String {
    // 9999-12-31T23:59:59Z, the last second httpdate can format.
    const MAX_SECS: u64 = 253_402_300_799;
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .min(MAX_SECS);
    let clamped = UNIX_EPOCH
        .checked_add(Duration::from_secs(secs))
        .unwrap_or(UNIX_EPOCH);
    httpdate::fmt_http_date(clamped)
}

/// The parts of an `Authorization: OCP-ACCESS-KEY-HMACSHA1 {AK}:{signature}` value, for a server
/// that verifies one. It holds the signature, not the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuthorization {
    /// The access key, before the last `:`.
    pub access_key: String,
    /// The Base64 signature, after the last `:`.
    pub signature: String,
}

/// Reads an `Authorization` value of this scheme; `None` for any other shape (Basic included).
///
/// The split is at the last `:` because a Base64 signature never contains one, so an access key
/// that does still reads back whole. Surrounding spaces are trimmed, as HTTP strips them. The
/// scheme name is matched in any case (RFC 7235).
#[must_use]
pub fn parse_authorization(value: &str) -> Option<ParsedAuthorization> {
    let value = value.trim_start_matches([' ', '\t']);
    let (scheme, rest) = value.split_at_checked(AUTH_SCHEME.len())?;
    if !scheme.eq_ignore_ascii_case(AUTH_SCHEME) {
        return None;
    }
    // The scheme is a whole word: `OCP-ACCESS-KEY-HMACSHA1X ...` is another scheme.
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let (access_key, signature) = rest.trim_matches([' ', '\t']).rsplit_once(':')?;
    Some(ParsedAuthorization {
        access_key: access_key.to_owned(),
        signature: signature.to_owned(),
    })
}

/// Reads a `Date` header value back (RFC 1123, or the obsolete RFC 850 and asctime forms that
/// HTTP also allows); `None` for anything else.
#[must_use]
pub fn parse_http_date(text: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(text).ok()
}

/// The x-ocp-headers field: `x-ocp-*` headers as lower-cased `name:value` lines, sorted by
/// name, joined by `\n`; empty when there are none.
///
/// Names are lower-cased because header names are case-insensitive and the HTTP stack
/// (`http::HeaderName`, and HTTP/2 on the wire) sends them lower-case, so that is what the
/// server sees. Values are trimmed of surrounding spaces/tabs, which HTTP strips on receipt.
/// The sort is stable, so repeated names keep the order in which they are sent.
fn canonical_ocp_headers(headers: &[(&str, &str)]) -> String {
    let mut lines: Vec<(String, &str)> = headers
        .iter()
        .filter(|(name, _)| {
            name.get(..OCP_HEADER_PREFIX.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(OCP_HEADER_PREFIX))
        })
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim_matches([' ', '\t'])))
        .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    lines
        .iter()
        .map(|(name, value)| format!("{name}:{value}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const AK: &str = "cqammmxBpfGjFlto";
    const SK: &str = "2fc0c299cc94c6be266f2ceece765d4d";
    const HOST: &str = "ocp.alibaba.net:8080";
    const BODY1: &[u8] = br#"{"name":"test01","description":"test","regionId":1}"#;

    fn example1<'a>(headers: &'a [(&'a str, &'a str)]) -> SigningInput<'a> {
        SigningInput {
            method: "POST",
            path: "/api/v2/compute/idcs",
            query: "",
            body: BODY1,
            content_type: "application/json",
            date: "Tue, 17 Jan 2023 09:13:57 GMT",
            host: HOST,
            ocp_headers: headers,
        }
    }

    fn example2() -> SigningInput<'static> {
        SigningInput {
            method: "GET",
            path: "/api/v2/compute/idcs",
            query: "size=100",
            body: b"",
            content_type: "application/json;charset=utf-8",
            date: "Tue, 17 Jan 2023 04:14:02 GMT",
            host: HOST,
            ocp_headers: &[],
        }
    }

    fn bare(query: &str) -> SigningInput<'_> {
        SigningInput {
            method: "GET",
            path: "/p",
            query,
            body: b"",
            content_type: "",
            date: "D",
            host: "h",
            ocp_headers: &[],
        }
    }

    #[test]
    fn example1_string_to_sign_and_signature() {
        let headers = [("x-ocp-data", "A,1")];
        let input = example1(&headers);
        assert_eq!(content_md5(BODY1), "186974DB33A090A16D3E2CA35F547B56");
        assert_eq!(
            string_to_sign(&input),
            "POST\n186974DB33A090A16D3E2CA35F547B56\napplication/json\n\
             Tue, 17 Jan 2023 09:13:57 GMT\nocp.alibaba.net:8080\nx-ocp-data:A,1\n\
             /api/v2/compute/idcs"
        );
        assert_eq!(sign(SK, &input), "XN8P+O+v3vUabB16ZCooq5wMJoY=");
        assert_eq!(
            authorization(AK, SK, &input),
            "OCP-ACCESS-KEY-HMACSHA1 cqammmxBpfGjFlto:XN8P+O+v3vUabB16ZCooq5wMJoY="
        );
    }

    #[test]
    fn example1_needs_its_x_ocp_header() {
        // Dropping the header changes the signature: it really is part of the message.
        assert_ne!(sign(SK, &example1(&[])), "XN8P+O+v3vUabB16ZCooq5wMJoY=");
    }

    #[test]
    fn example2_string_to_sign_keeps_empty_header_line() {
        let input = example2();
        assert_eq!(
            string_to_sign(&input),
            "GET\n\napplication/json;charset=utf-8\nTue, 17 Jan 2023 04:14:02 GMT\n\
             ocp.alibaba.net:8080\n\n/api/v2/compute/idcs?size=100"
        );
        assert_eq!(sign(SK, &input), "TsQD6HDOuZuJ409m0wdnZPmijlc=");
        assert_eq!(
            authorization(AK, SK, &input),
            "OCP-ACCESS-KEY-HMACSHA1 cqammmxBpfGjFlto:TsQD6HDOuZuJ409m0wdnZPmijlc="
        );
    }

    #[test]
    fn repeated_keys_merge_with_sorted_values() {
        assert_eq!(canonical_query("b=2&a=2&a=1"), "a=1%2C2&b=2");
        assert_eq!(canonical_query("a=1&a=2"), "a=1%2C2");
        // A comma inside one value is encoded the same way as the merge separator, matching
        // Spring, which binds `status=A,B` and `status=A&status=B` alike.
        assert_eq!(
            canonical_query("status=RUNNING,FAILED"),
            "status=RUNNING%2CFAILED"
        );
    }

    #[test]
    fn reserved_characters_and_time_offset_are_encoded() {
        assert_eq!(
            canonical_query("startTime=2024-08-09T16%3A04%3A21%2B08%3A00"),
            "startTime=2024-08-09T16%3A04%3A21%2B08%3A00"
        );
        // Unescaped reserved characters in the raw query are escaped canonically.
        assert_eq!(canonical_query("t=16:04:21"), "t=16%3A04%3A21");
        assert_eq!(
            canonical_query("k=a/b?c@d!e*f'g(h)"),
            "k=a%2Fb%3Fc%40d%21e%2Af%27g%28h%29"
        );
        // Unreserved characters stay; lower-case escapes are normalised to upper-case.
        assert_eq!(canonical_query("k=A-z.0_9~"), "k=A-z.0_9~");
        assert_eq!(canonical_query("k=%2b%3a"), "k=%2B%3A");
        // Non-ASCII is encoded as its UTF-8 bytes.
        assert_eq!(canonical_query("name=%C3%A9t%C3%A9"), "name=%C3%A9t%C3%A9");
        assert_eq!(canonical_query("name=été"), "name=%C3%A9t%C3%A9");
    }

    #[test]
    fn literal_plus_is_a_space_like_spring() {
        // `+08:00` sent unescaped reaches Spring as ` 08:00`; sign what the server sees.
        assert_eq!(canonical_query("offset=+08:00"), "offset=%2008%3A00");
        assert_eq!(canonical_query("offset=%2B08:00"), "offset=%2B08%3A00");
        assert_eq!(canonical_query("a+b=c+d"), "a%20b=c%20d");
    }

    #[test]
    fn key_without_equals_has_empty_value() {
        assert_eq!(canonical_query("flag"), "flag=");
        assert_eq!(canonical_query("b=1&flag&a=2"), "a=2&b=1&flag=");
        assert_eq!(canonical_query("k=&k=x"), "k=%2Cx");
        // Only the first `=` splits.
        assert_eq!(canonical_query("k=a=b"), "k=a%3Db");
    }

    #[test]
    fn empty_pairs_and_nameless_parameters_are_dropped() {
        assert_eq!(canonical_query("a=1&&b=2&"), "a=1&b=2");
        assert_eq!(canonical_query("=x&a=1"), "a=1");
        assert_eq!(canonical_query("?a=1"), "a=1");
    }

    #[test]
    fn empty_query_has_no_question_mark() {
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("&&"), "");
        assert!(string_to_sign(&bare("")).ends_with("\nh\n\n/p"));
        assert!(string_to_sign(&bare("&")).ends_with("\n/p"));
        assert!(string_to_sign(&bare("a=1")).ends_with("\n/p?a=1"));
    }

    #[test]
    fn keys_are_sorted() {
        assert_eq!(
            canonical_query("size=10&page=1&status=RUNNING&endTime=x"),
            "endTime=x&page=1&size=10&status=RUNNING"
        );
        // Byte order: upper-case before lower-case, as in Java's String.compareTo.
        assert_eq!(canonical_query("b=1&B=2&a=3"), "B=2&a=3&b=1");
    }

    #[test]
    fn ocp_headers_sorted_case_insensitive_others_ignored() {
        let headers = [
            ("X-OCP-Zeta", "z"),
            ("Content-Type", "application/json"),
            ("x-ocp-alpha", " a "),
            ("Authorization", "secret-ish"),
            ("X-Ocp-Mid", "m"),
            ("x-ocpnot", "no"),
            ("x-oc", "short"),
        ];
        assert_eq!(
            canonical_ocp_headers(&headers),
            "x-ocp-alpha:a\nx-ocp-mid:m\nx-ocp-zeta:z"
        );
        let mut input = bare("");
        input.ocp_headers = &headers;
        assert_eq!(
            string_to_sign(&input),
            "GET\n\n\nD\nh\nx-ocp-alpha:a\nx-ocp-mid:m\nx-ocp-zeta:z\n/p"
        );
        // Name case does not change the signature.
        let lower = [("x-ocp-data", "A,1")];
        let upper = [("X-OCP-DATA", "A,1")];
        assert_eq!(sign(SK, &example1(&upper)), sign(SK, &example1(&lower)));
        // Non-x-ocp headers alone leave the block empty.
        assert_eq!(canonical_ocp_headers(&[("Accept", "*/*")]), "");
    }

    #[test]
    fn malformed_escapes_do_not_panic() {
        assert_eq!(canonical_query("a=%zz"), "a=%25zz");
        assert_eq!(canonical_query("a=%"), "a=%25");
        assert_eq!(canonical_query("a=%4"), "a=%254");
        assert_eq!(canonical_query("%=%%"), "%25=%25%25");
        // Invalid UTF-8 after decoding is carried as bytes.
        assert_eq!(canonical_query("a=%FF%FE"), "a=%FF%FE");
        for raw in [
            "%", "%%%", "=", "==", "&=&", "%E2%82", "a=%C3", "?", "??a", "+", "%+1",
        ] {
            let _ = string_to_sign(&bare(raw));
            let _ = sign("", &bare(raw));
        }
    }

    #[test]
    fn content_md5_empty_body_is_empty() {
        assert_eq!(content_md5(b""), "");
        assert_eq!(content_md5(b"a"), "0CC175B9C0F1B6A831C399E269772661");
    }

    #[test]
    fn http_date_is_rfc1123_and_total() {
        let t = UNIX_EPOCH + Duration::from_secs(1_673_946_837);
        assert_eq!(http_date(t), "Tue, 17 Jan 2023 09:13:57 GMT");
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
        // Out-of-range times are clamped instead of panicking inside httpdate.
        if let Some(before) = UNIX_EPOCH.checked_sub(Duration::from_secs(10)) {
            assert_eq!(http_date(before), "Thu, 01 Jan 1970 00:00:00 GMT");
        }
        if let Some(far) = UNIX_EPOCH.checked_add(Duration::from_secs(400_000_000_000)) {
            assert_eq!(http_date(far), "Fri, 31 Dec 9999 23:59:59 GMT");
        }
    }

    #[test]
    fn an_authorization_value_reads_back() {
        let value = authorization(AK, SK, &example2());
        assert_eq!(
            parse_authorization(&value),
            Some(ParsedAuthorization {
                access_key: AK.into(),
                signature: "TsQD6HDOuZuJ409m0wdnZPmijlc=".into(),
            })
        );
        // Base64 has no `:`, so the last one separates even an access key that holds one.
        assert_eq!(
            parse_authorization("OCP-ACCESS-KEY-HMACSHA1 a:b:sig=")
                .map(|p| (p.access_key, p.signature)),
            Some(("a:b".into(), "sig=".into()))
        );
        // RFC 7235: the scheme name is case-insensitive.
        assert_eq!(
            parse_authorization("ocp-access-key-hmacsha1 ak:sig")
                .map(|p| (p.access_key, p.signature)),
            Some(("ak".into(), "sig".into()))
        );
        for wrong in [
            "",
            "Basic YQ==",
            "OCP-ACCESS-KEY-HMACSHA1",
            "OCP-ACCESS-KEY-HMACSHA1 no-colon",
            "OCP-ACCESS-KEY-HMACSHA1X ak:sig",
            "ocp-access-key-hmacsha1x ak:sig",
        ] {
            assert_eq!(parse_authorization(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn a_date_header_reads_back() {
        let t = UNIX_EPOCH + Duration::from_secs(1_673_946_837);
        assert_eq!(parse_http_date(&http_date(t)), Some(t));
        assert_eq!(parse_http_date("Tuesday, 17-Jan-23 09:13:57 GMT"), Some(t));
        for wrong in ["", "yesterday", "2023-01-17T09:13:57Z"] {
            assert_eq!(parse_http_date(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn signing_input_debug_is_available_and_secret_free() {
        // SigningInput never holds the secret; its Debug output therefore cannot contain it.
        let text = format!("{:?}", example2());
        assert!(!text.contains(SK));
    }
}
