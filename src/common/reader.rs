//! The typed reader's tolerance for integral floats, and the raw records of a body.
//!
//! OpenAPI 3.0.3 defines `integer` as a JSON number without a fraction or exponent part, and the
//! contract follows it: `"count": 1.0` is a violation. serde's `i32` refuses `1.0` too, which
//! would fail a whole page over a value whose meaning is clear. The typed reader is tolerant
//! instead (strict contract, tolerant reader): before the generated models see a body, every
//! number written with a fraction or exponent whose value is a whole number that fits 64 bits
//! is rewritten as that integer ([`integral_floats_as_integers`]). A `number` field reads the
//! integer as the same float, so nothing else changes. Both clients read every body through it;
//! [`decode`] is the same reader for bodies a caller holds.
//!
//! The typed models also drop members the specs do not know (the tolerant reader again); the
//! service's own text of each record stays available beside them ([`raw_array`]).

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// `bytes` with every integral float (`1.0`, `1e2`, `-0.0`, `100.0e-2`) that fits in an `i64`
/// or a `u64` written as that integer, exactly, from the digits (no float rounding); every other
/// byte as it was. Strings are never touched, and text that is not JSON comes back unchanged
/// where it cannot be read, for the parser to refuse. Borrows when nothing changes.
pub fn integral_floats_as_integers(bytes: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = end_of_string(bytes, i),
            b'-' | b'0'..=b'9' => {
                let end = end_of_number(bytes, i);
                if let Some(integer) = integral(&bytes[i..end]) {
                    let out = out.get_or_insert_with(|| Vec::with_capacity(bytes.len()));
                    out.extend_from_slice(&bytes[copied..i]);
                    out.extend_from_slice(integer.as_bytes());
                    copied = end;
                }
                i = end.max(i + 1);
            }
            _ => i += 1,
        }
    }
    match out {
        None => Cow::Borrowed(bytes),
        Some(mut out) => {
            out.extend_from_slice(&bytes[copied..]);
            Cow::Owned(out)
        }
    }
}

/// Decodes `bytes` as `T` the way the clients do: [`integral_floats_as_integers`] first.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(&integral_floats_as_integers(bytes))
}

/// The index after the string that starts at `start` (a `"`), or the end of `bytes`.
fn end_of_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The index after the number-like run that starts at `start`.
fn end_of_number(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
        i += 1;
    }
    i
}

/// The integer `token` stands for, when it is a JSON number with a fraction or exponent part
/// whose value is whole and fits in an `i64` or a `u64`.
fn integral(token: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(token).ok()?;
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    // JSON's grammar: digits without a leading zero, a non-empty fraction, a signed exponent.
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (whole.len() > 1 && whole.starts_with('0')) {
        return None;
    }
    if fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    let shift: i64 = match exponent {
        None if fraction.is_none() => return None, // already an integer
        None => 0,
        Some(e) => {
            let e_digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if !digits(e_digits) || e_digits.len() > 4 {
                return None; // not JSON, or far beyond 64 bits either way
            }
            e.parse().ok()?
        }
    };
    // All significant digits, and where the decimal point sits among them after the exponent.
    let all: String = [whole, fraction.unwrap_or("")].concat();
    let point = i64::try_from(whole.len()).ok()? + shift;
    let (int_part, frac_part) = if point <= 0 {
        ("0".to_owned(), all.clone())
    } else {
        let point = usize::try_from(point).ok()?;
        if point >= all.len() {
            let zeros = point - all.len();
            if zeros > 20 {
                return None;
            }
            (format!("{all}{}", "0".repeat(zeros)), String::new())
        } else {
            (all[..point].to_owned(), all[point..].to_owned())
        }
    };
    if frac_part.bytes().any(|b| b != b'0') {
        return None;
    }
    let int_part = int_part.trim_start_matches('0');
    let magnitude = if int_part.is_empty() { "0" } else { int_part };
    if magnitude == "0" {
        return Some("0".into());
    }
    let integer = if negative {
        format!("-{magnitude}")
    } else {
        magnitude.to_owned()
    };
    let fits = if negative {
        integer.parse::<i64>().is_ok()
    } else {
        integer.parse::<u64>().is_ok()
    };
    fits.then_some(integer)
}

/// The elements of the array at `pointer` (RFC 6901) in the JSON `body`, each exactly as the
/// body has it save for whitespace between tokens, which is removed (so a record is one line, as
/// NDJSON needs): member order, number spelling, escapes and unknown members stay. `None` when
/// `body` is not JSON or holds no array there.
pub fn raw_array(body: &[u8], pointer: &[&str]) -> Option<Vec<Box<RawValue>>> {
    let mut node: &RawValue = serde_json::from_slice(body).ok()?;
    for key in pointer {
        let members: std::collections::HashMap<&str, &RawValue> =
            serde_json::from_str(node.get()).ok()?;
        node = members.get(key).copied()?;
    }
    let items: Vec<&RawValue> = serde_json::from_str(node.get()).ok()?;
    items
        .into_iter()
        .map(|item| RawValue::from_string(compact(item.get())).ok())
        .collect()
}

/// `text` (one JSON value) without whitespace outside strings.
fn compact(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let end = end_of_string(bytes, i);
                out.extend_from_slice(&bytes[i..end]);
                i = end;
            }
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    // Only ASCII whitespace outside strings was removed, so the text is still UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(text: &str) -> String {
        String::from_utf8(integral_floats_as_integers(text.as_bytes()).into_owned()).expect("UTF-8")
    }

    #[test]
    fn integral_floats_become_integers_exactly() {
        for (input, output) in [
            ("1.0", "1"),
            ("-3.000", "-3"),
            ("-0.0", "0"),
            ("0.0", "0"),
            ("1e2", "100"),
            ("1E+2", "100"),
            ("100.0e-2", "1"),
            ("2.5e1", "25"),
            ("9007199254740993.0", "9007199254740993"),
            ("9223372036854775807.0", "9223372036854775807"),
            ("-9223372036854775808.0", "-9223372036854775808"),
            ("18446744073709551615.0", "18446744073709551615"),
        ] {
            assert_eq!(rewrite(input), output, "{input}");
        }
    }

    #[test]
    fn everything_else_is_left_as_it_was() {
        for same in [
            "1",
            "-7",
            "1.5",
            "1e-2",
            "100.1899",
            "18446744073709551616.0",
            "-9223372036854775809.0",
            "1e400",
            "01.0",
            "1.",
            ".5",
            "1.0.0",
            "--1.0",
            "\"1.0\"",
            "\"a\\\"1.0\"",
            "{\"count\": \"2.0\"}",
            "",
            "tru",
        ] {
            assert_eq!(rewrite(same), same, "{same}");
            assert!(matches!(
                integral_floats_as_integers(same.as_bytes()),
                Cow::Borrowed(_)
            ));
        }
        assert_eq!(
            rewrite(r#"{"count":1.0,"k 2.0":"v 3.0","delay":5.0,"a":[0.0,1.5]}"#),
            r#"{"count":1,"k 2.0":"v 3.0","delay":5,"a":[0,1.5]}"#
        );
    }

    #[test]
    fn decode_reads_integral_floats_into_integer_fields() {
        let page: crate::cbr::ListOpLogsResponse =
            decode(br#"{"count": 1.0, "limit": 1e3, "operation_logs": []}"#).expect("tolerated");
        assert_eq!((page.count, page.limit), (Some(1), Some(1000)));
        assert!(decode::<crate::cbr::ListOpLogsResponse>(br#"{"count": 1.5}"#).is_err());
    }

    #[test]
    fn raw_array_keeps_what_the_service_sent() {
        let body = br#"{"count": 2, "operation_logs": [
            {"id": "a", "zz": 1.0, "extra_info": {"resource": {"zone": "eu-de-01"}}},
            {"id": "b\u00e9 \" x", "a": [1, 2]}
        ]}"#;
        let records = raw_array(body, &["operation_logs"]).expect("an array");
        let texts: Vec<&str> = records.iter().map(|r| r.get()).collect();
        assert_eq!(
            texts,
            [
                r#"{"id":"a","zz":1.0,"extra_info":{"resource":{"zone":"eu-de-01"}}}"#,
                r#"{"id":"b\u00e9 \" x","a":[1,2]}"#,
            ]
        );
        let nested = br#"{"data": {"contents": [{"newKnob": true}], "page": {}}}"#;
        let tasks = raw_array(nested, &["data", "contents"]).expect("an array");
        assert_eq!(tasks[0].get(), r#"{"newKnob":true}"#);
        assert!(raw_array(b"{}", &["operation_logs"]).is_none());
        assert!(raw_array(b"not json", &["operation_logs"]).is_none());
        assert!(raw_array(br#"{"operation_logs": 3}"#, &["operation_logs"]).is_none());
    }
}
