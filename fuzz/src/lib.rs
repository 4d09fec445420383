//! The checks behind the fuzz targets: one function per target, each taking the raw fuzzer input.
//!
//! A check panics only when the code under test breaks a property: a fast-path verdict that
//! differs from `validate`'s, a decoded value that does not read back, a canonical form that is
//! not canonical, a parsed header that does not rebuild to itself, or a panic inside the code
//! under test. Errors on bad input are the expected outcome and are ignored.
//!
//! This file is also compiled into the stable test suite (`tests/suite/fuzz_regressions.rs`
//! includes it), which replays every input kept under `tests/fixtures/fuzz/<target>/` through the
//! same function the fuzzer called. So it uses only what both builds have (the library, `serde`,
//! `serde_json`, `serde_path_to_error`, `http`, `tempfile`) and no crate-level attribute.

use std::fmt::Debug;
use std::io::Write as _;
use std::time::{Duration, UNIX_EPOCH};

use backup_task_api::client::retry;
use backup_task_api::common::Timestamp;
use backup_task_api::common::terminal;
use backup_task_api::contract::{self, Api, Contract, Target, Verdict};
use backup_task_api::publish::diff;
use backup_task_api::{cbr, ocp};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// One target's check: it panics when a property breaks.
pub type Check = fn(&[u8]);

/// Every target: its name (`fuzz/fuzz_targets/<name>.rs`, `tests/fixtures/fuzz/<name>/`) and check.
pub const TARGETS: &[(&str, Check)] = &[
    ("contract_fast_path", contract_fast_path),
    ("decode_cbr_page", decode_cbr_page),
    ("decode_ocp_page", decode_ocp_page),
    ("decode_cbr_error", decode_cbr_error),
    ("decode_ocp_error", decode_ocp_error),
    ("timestamp", timestamp),
    ("server_delay", server_delay),
    ("cbr_signer", cbr_signer),
    ("ocp_signer", ocp_signer),
    ("diff_load", diff_load),
];

/// `Contract::check_bytes` (the simd-json tape fast path) gives exactly the verdict of
/// `contract::parse_json` then `Contract::validate`: valid, the same violations, or not JSON.
///
/// Byte 0 picks what is checked: bit 0 the API (0 CBR, 1 OCP), bit 1 the target (0 the 200 page,
/// 1 the 400 body, whose schema every documented error status of that API shares). The rest is
/// the payload.
pub fn contract_fast_path(data: &[u8]) {
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let api = if selector & 1 == 0 {
        Api::Cbr
    } else {
        Api::Ocp
    };
    let status = if selector & 2 == 0 { 200 } else { 400 };
    let target = Target::Response { status };
    let contract = Contract::get(api)
        .unwrap_or_else(|e| panic!("the {api} contract compiles (not input-derived): {e}"));
    let fast = contract
        .check_bytes(&target, payload)
        .unwrap_or_else(|e| panic!("{api} has a {target} target: {e}"));
    let slow = match contract::parse_json(payload) {
        Err(error) => Verdict::NotJson { error },
        Ok(value) => match contract.validate(&target, &value) {
            Ok(violations) if violations.is_empty() => Verdict::Valid,
            Ok(violations) => Verdict::Invalid { violations },
            Err(e) => panic!("{api} has a {target} target: {e}"),
        },
    };
    assert_eq!(
        fast, slow,
        "check_bytes and validate disagree ({api}, {target})"
    );
}

/// What the clients do with a body: `serde_json::from_slice` into the typed model (progenitor),
/// and on failure `serde_path_to_error` to name the failing path (`Error::decode`). Neither may
/// panic; a value that decodes must re-serialise, decode again, and write the same bytes again
/// (the reader's normalisations happen once).
fn decode<T: DeserializeOwned + Serialize + Debug>(data: &[u8], what: &str) -> Option<T> {
    let value = match serde_json::from_slice::<T>(data) {
        Ok(value) => value,
        Err(_) => {
            let mut deserializer = serde_json::Deserializer::from_slice(data);
            let _ = serde_path_to_error::deserialize::<_, T>(&mut deserializer)
                .map_err(|e| e.path().to_string());
            return None;
        }
    };
    let _ = format!("{value:?}");
    let written = serde_json::to_vec(&value)
        .unwrap_or_else(|e| panic!("{what}: a decoded value re-serialises: {e}"));
    let again: T = serde_json::from_slice(&written).unwrap_or_else(|e| {
        panic!(
            "{what}: what was written decodes again: {e}\n{}",
            String::from_utf8_lossy(&written)
        )
    });
    let rewritten = serde_json::to_vec(&again)
        .unwrap_or_else(|e| panic!("{what}: a decoded value re-serialises: {e}"));
    assert_eq!(
        String::from_utf8_lossy(&written),
        String::from_utf8_lossy(&rewritten),
        "{what}: decoding what was written writes it the same way"
    );
    Some(value)
}

/// Whether `text` is safe to print: [`terminal::escape`] left no control character in it.
fn assert_escaped(text: &str, what: &str) {
    let shown = terminal::escape(text);
    assert!(
        !shown.chars().any(char::is_control),
        "{what}: escape leaves no control character: {shown:?}"
    );
}

/// A CBR page body (`ListOpLogsResponse`), as `Client::list` decodes it.
pub fn decode_cbr_page(data: &[u8]) {
    let _ = decode::<cbr::ListOpLogsResponse>(data, "CBR page");
}

/// An OCP page body (`LogBackupTaskPageResponse`), as `Client::list` decodes it.
pub fn decode_ocp_page(data: &[u8]) {
    let _ = decode::<ocp::LogBackupTaskPageResponse>(data, "OCP page");
}

/// A CBR error body (`ErrorBody`); its code and message, escaped, are safe on a terminal.
pub fn decode_cbr_error(data: &[u8]) {
    if let Some(body) = decode::<cbr::ErrorBody>(data, "CBR error") {
        for text in [body.code(), body.message(), body.request_id.as_deref()]
            .into_iter()
            .flatten()
        {
            assert_escaped(text, "CBR error");
        }
    }
}

/// An OCP error body (`ErrorResponse`); every text in it, escaped, is safe on a terminal.
pub fn decode_ocp_error(data: &[u8]) {
    if let Some(body) = decode::<ocp::ErrorResponse>(data, "OCP error") {
        let value = serde_json::to_value(&body)
            .unwrap_or_else(|e| panic!("OCP error: a decoded value re-serialises: {e}"));
        for_each_string(&value, &mut |text| assert_escaped(text, "OCP error"));
    }
}

fn for_each_string(value: &serde_json::Value, f: &mut impl FnMut(&str)) {
    match value {
        serde_json::Value::String(text) => f(text),
        serde_json::Value::Array(items) => items.iter().for_each(|v| for_each_string(v, f)),
        serde_json::Value::Object(members) => members.iter().for_each(|(k, v)| {
            f(k);
            for_each_string(v, f);
        }),
        _ => {}
    }
}

/// `Timestamp::parse` and `Timestamp::lenient` agree; a parsed time has an instant in UTC and
/// with its offset (the same one); what `Timestamp::from` writes for that instant parses back to
/// it; the JSON form reads back equal. Input: the text (not UTF-8: skipped).
pub fn timestamp(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lenient = Timestamp::lenient(text);
    let parsed = Timestamp::parse(text);
    assert_eq!(
        parsed.is_ok(),
        lenient.is_valid(),
        "parse and lenient agree"
    );
    assert_eq!(lenient.as_str(), text, "the text is kept as it came");
    let _ = format!("{lenient:?} {lenient}");
    let json =
        serde_json::to_string(&lenient).unwrap_or_else(|e| panic!("a timestamp serialises: {e}"));
    let back: Timestamp =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json} deserialises: {e}"));
    assert_eq!(back, lenient, "the JSON form reads back equal");
    match parsed {
        Err(error) => {
            let _ = error.to_string();
            assert_eq!(lenient.to_utc(), None);
            assert_eq!(lenient.to_fixed_offset(), None);
            assert_eq!(lenient.has_offset(), None);
        }
        Ok(ts) => {
            let utc = ts
                .to_utc()
                .unwrap_or_else(|| panic!("{ts:?}: a parsed time has a UTC instant"));
            let fixed = ts
                .to_fixed_offset()
                .unwrap_or_else(|| panic!("{ts:?}: a parsed time has an offset"));
            assert_eq!(fixed.to_utc(), utc, "{ts:?}: one instant, two offsets");
            assert!(ts.has_offset().is_some(), "{ts:?}");
            let written = Timestamp::from(utc);
            assert_eq!(
                written.to_utc(),
                Some(utc),
                "{ts:?}: what Timestamp::from writes ({written:?}) parses back to the instant"
            );
        }
    }
}

/// `client::retry::server_delay` over hostile `Retry-After` / `RateLimit-Reset` values and any
/// clock; then what `retry::execute` does with the delay.
///
/// Input: lines. The first is `now`, in seconds since the Unix epoch (negative: before it;
/// anything else: 2023-01-17T09:13:57Z). Every other line is a header `name: value`, the value's
/// bytes as they come (lines that are not a valid header are skipped).
pub fn server_delay(data: &[u8]) {
    let mut lines = data.split(|&b| b == b'\n');
    let now = lines
        .next()
        .and_then(|line| std::str::from_utf8(line).ok())
        .and_then(|line| line.trim().parse::<i64>().ok())
        .and_then(|secs| {
            let offset = Duration::from_secs(secs.unsigned_abs());
            if secs < 0 {
                UNIX_EPOCH.checked_sub(offset)
            } else {
                UNIX_EPOCH.checked_add(offset)
            }
        })
        .unwrap_or(UNIX_EPOCH + Duration::from_secs(1_673_946_837));
    let mut headers = http::HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii_start());
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name),
            http::HeaderValue::from_bytes(value),
        ) {
            headers.append(name, value);
        }
    }
    let delay = retry::server_delay(&headers, now);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if header("retry-after").is_none() && header("ratelimit-reset").is_none() {
        assert_eq!(delay, None, "no header, no delay");
    }
    let Some(delay) = delay else {
        return;
    };
    // What `retry::execute` does with it: the decision is `retry::next_delay`, for any time
    // already slept within a budget. It must never panic, and a delay it grants fits the budget.
    for slept in [0, 1, 29, 30].map(Duration::from_secs) {
        let budget = Duration::from_secs(30);
        let granted = retry::next_delay(
            true,
            Some(Duration::from_millis(200)),
            Some(delay),
            slept,
            budget,
        );
        if let Some(granted) = granted {
            assert_eq!(granted, delay, "the server's delay is used as asked");
            assert!(
                slept.checked_add(granted).is_some_and(|t| t <= budget),
                "{granted:?} over the budget"
            );
        }
    }
}

/// Whether `text` is only RFC 3986 unreserved characters, upper-case `%XX` escapes and `extra`.
fn is_canonical(text: &str, extra: &[u8]) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = |at: usize| {
                bytes
                    .get(at)
                    .is_some_and(|h| h.is_ascii_digit() || (b'A'..=b'F').contains(h))
            };
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"-._~".contains(&b) || extra.contains(&b)) {
            return false;
        }
        i += 1;
    }
    true
}

/// `name: value` pairs from the input's lines whose name is a valid HTTP header name (the only
/// names a request can carry), for the signers' header lists.
fn header_lines(text: &str) -> Vec<(&str, &str)> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| http::HeaderName::from_bytes(name.as_bytes()).is_ok())
        .collect()
}

/// The CBR signer's parsers (what the mock runs on an incoming request): `parse_authorization`
/// reads back what it parsed once rebuilt; `parse_sdk_date` reads back what `sdk_date` writes;
/// `canonical_query` and `canonical_uri` are canonical (escaped, idempotent); signing the input
/// as method, path, query, date and header lines does not panic. Input: the text.
pub fn cbr_signer(data: &[u8]) {
    use cbr::signer;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(parsed) = signer::parse_authorization(text) {
        let rebuilt = format!(
            "{} Access={}, SignedHeaders={}, Signature={}",
            signer::ALGORITHM,
            parsed.access_key,
            parsed.signed_headers.join(";"),
            parsed.signature
        );
        assert_eq!(
            signer::parse_authorization(&rebuilt).as_ref(),
            Some(&parsed),
            "the rebuilt value {rebuilt:?} reads back"
        );
    }
    if let Some(at) = signer::parse_sdk_date(text) {
        let written = signer::sdk_date(at);
        assert_eq!(
            signer::parse_sdk_date(&written),
            Some(at),
            "what sdk_date writes ({written:?}) reads back"
        );
    }
    let query = signer::canonical_query(text);
    assert!(is_canonical(&query, b"=&"), "{query:?} is escaped");
    assert_eq!(signer::canonical_query(&query), query, "canonical twice");
    let uri = signer::canonical_uri(text);
    assert!(
        is_canonical(&uri, b"/") && uri.ends_with('/'),
        "{uri:?} is escaped and ends in /"
    );
    assert_eq!(signer::canonical_uri(&uri), uri, "canonical twice");
    let headers = header_lines(text);
    let input = signer::SigningInput {
        method: text,
        path: text,
        query: text,
        headers: &headers,
        body: data,
        date: text,
    };
    let authorization = signer::authorization("ak", "sk", &input);
    assert!(
        signer::parse_authorization(&authorization).is_some(),
        "what authorization writes reads back: {authorization:?}"
    );
}

/// The OCP signer's parsers (what the mock runs on an incoming request): `parse_authorization`
/// reads back what it parsed once rebuilt; `parse_http_date` reads back what `http_date` writes;
/// `canonical_query` is canonical (escaped, idempotent); signing the input in every field, with
/// its lines as headers, does not panic. Input: the text.
pub fn ocp_signer(data: &[u8]) {
    use ocp::signer;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(parsed) = signer::parse_authorization(text) {
        let rebuilt = format!(
            "{} {}:{}",
            signer::AUTH_SCHEME,
            parsed.access_key,
            parsed.signature
        );
        assert_eq!(
            signer::parse_authorization(&rebuilt).as_ref(),
            Some(&parsed),
            "the rebuilt value {rebuilt:?} reads back"
        );
    }
    if let Some(at) = signer::parse_http_date(text) {
        let written = signer::http_date(at);
        assert_eq!(
            signer::parse_http_date(&written),
            Some(at),
            "what http_date writes ({written:?}) reads back"
        );
    }
    let query = signer::canonical_query(text);
    assert!(is_canonical(&query, b"=&"), "{query:?} is escaped");
    assert_eq!(signer::canonical_query(&query), query, "canonical twice");
    let md5 = signer::content_md5(data);
    assert!(md5.len() == if data.is_empty() { 0 } else { 32 }, "{md5:?}");
    let headers = header_lines(text);
    let input = signer::SigningInput {
        method: text,
        path: text,
        query: text,
        body: data,
        content_type: text,
        date: text,
        host: text,
        ocp_headers: &headers,
    };
    let authorization = signer::authorization("ak", "sk", &input);
    assert!(
        signer::parse_authorization(&authorization).is_some(),
        "what authorization writes reads back: {authorization:?}"
    );
}

/// `publish::diff::load` on any bytes (through a file, as `diff` reads one); a document it accepts
/// compared with itself reports no change, and compared either way with each published spec the
/// diff and both report forms run to the end.
pub fn diff_load(data: &[u8]) {
    // A temporary file that cannot be made is the machine's fault, not the input's.
    let Ok(mut file) = tempfile::NamedTempFile::new() else {
        return;
    };
    if file.write_all(data).and_then(|()| file.flush()).is_err() {
        return;
    }
    let Ok(document) = diff::load(file.path()) else {
        return;
    };
    // A refusal (schemas nested past diff's limit) is an answer too; only a panic is a finding.
    let Ok(same) = diff::diff(&document, &document) else {
        return;
    };
    assert!(
        same.changes.is_empty(),
        "a document compared with itself has no change: {:?}",
        same.changes
    );
    for api in [Api::Cbr, Api::Ocp] {
        let spec = api
            .spec()
            .unwrap_or_else(|e| panic!("the {api} spec loads (not input-derived): {e}"));
        for report in [diff::diff(spec, &document), diff::diff(&document, spec)]
            .into_iter()
            .flatten()
        {
            let _ = report.to_text(true);
            let _ = report.to_json(false);
            let _ = report.version_allows(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_means_unreserved_or_escaped() {
        assert!(is_canonical("a-b.c_d~e%2F%C3%A9", b""));
        assert!(is_canonical("k=v&x=", b"=&"));
        for wrong in ["%2f", "%2", "a b", "a+b", "k=v"] {
            assert!(!is_canonical(wrong, b""), "{wrong}");
        }
    }
}
