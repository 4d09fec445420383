//! Hand-written matchers for the patterns every record carries, for the fast validity check.
//!
//! Each record of a page has several date-times (`Timestamp`) and, in OCP, ids that may be
//! strings of a 64-bit integer (`LongId`); the regex engine's search for those patterns was a
//! tenth of a whole check. The exact pattern strings the specs use are matched here by a few
//! comparisons per byte instead, and `tests` proves each matcher equal to the engine's own
//! verdict on generated strings. A pattern not listed here (or one a spec edit changes) goes to
//! the engine as before: a validator compiled from `{"pattern": ...}` alone. OCP's `LongId`
//! (`oneOf` an int64 or its text) becomes one keyword that reads the value once
//! ([`fast_document`]).
//!
//! Only the validator behind the `is_valid` question uses these ([`keyword`]); a document that
//! fails is reported by the validators the engine compiles alone, so every message and keyword
//! of a report is the engine's.

use jsonschema::json::{Json, JsonNumber as _, Node as _};
use jsonschema::paths::Location;
use jsonschema::{Keyword, ValidationError};
use serde_json::{Map, Value, json};

/// CBR's `Timestamp`: RFC 3339 with the offset optional (the page's own examples have none).
pub const CBR_TIMESTAMP: &str = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$";

/// OCP's `Timestamp`: the offset required, its colon optional (`+0800`).
pub const OCP_TIMESTAMP: &str = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])$";

/// OCP's `LongId` as a string: the decimal text of a 64-bit signed integer, no leading zero,
/// no `-0`.
pub const INT64_TEXT: &str = "^(0|[1-9][0-9]{0,17}|[1-8][0-9]{18}|9[0-1][0-9]{17}|92[0-1][0-9]{16}|922[0-2][0-9]{15}|9223[0-2][0-9]{14}|92233[0-6][0-9]{13}|922337[0-1][0-9]{12}|92233720[0-2][0-9]{10}|922337203[0-5][0-9]{9}|9223372036[0-7][0-9]{8}|92233720368[0-4][0-9]{7}|922337203685[0-3][0-9]{6}|9223372036854[0-6][0-9]{5}|92233720368547[0-6][0-9]{4}|922337203685477[0-4][0-9]{3}|9223372036854775[0-7][0-9]{2}|922337203685477580[0-6]|9223372036854775807|-([1-9][0-9]{0,17}|[1-8][0-9]{18}|9[0-1][0-9]{17}|92[0-1][0-9]{16}|922[0-2][0-9]{15}|9223[0-2][0-9]{14}|92233[0-6][0-9]{13}|922337[0-1][0-9]{12}|92233720[0-2][0-9]{10}|922337203[0-5][0-9]{9}|9223372036[0-7][0-9]{8}|92233720368[0-4][0-9]{7}|922337203685[0-3][0-9]{6}|9223372036854[0-6][0-9]{5}|92233720368547[0-6][0-9]{4}|922337203685477[0-4][0-9]{3}|9223372036854775[0-7][0-9]{2}|922337203685477580[0-7]|9223372036854775808))$";

/// A pattern matched by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matcher {
    /// [`CBR_TIMESTAMP`].
    CbrTimestamp,
    /// [`OCP_TIMESTAMP`].
    OcpTimestamp,
    /// [`INT64_TEXT`].
    Int64Text,
}

impl Matcher {
    /// The matcher for exactly this pattern text, if there is one.
    pub fn for_pattern(pattern: &str) -> Option<Matcher> {
        match pattern {
            CBR_TIMESTAMP => Some(Matcher::CbrTimestamp),
            OCP_TIMESTAMP => Some(Matcher::OcpTimestamp),
            INT64_TEXT => Some(Matcher::Int64Text),
            _ => None,
        }
    }

    /// Whether `text` matches the pattern.
    pub fn is_match(self, text: &str) -> bool {
        match self {
            Matcher::CbrTimestamp => timestamp(text.as_bytes(), false),
            Matcher::OcpTimestamp => timestamp(text.as_bytes(), true),
            Matcher::Int64Text => int64_text(text.as_bytes()),
        }
    }
}

/// Whether `b` is an ASCII digit no greater than `max`.
fn digit(b: u8, max: u8) -> bool {
    b.is_ascii_digit() && b <= max
}

/// Two digits from `min` to `max` (a two-digit number, `max` at least 10).
fn two(pair: &[u8], min: u8, max: u8) -> bool {
    match pair {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
            let n = (a - b'0') * 10 + (b - b'0');
            (min..=max).contains(&n)
        }
        _ => false,
    }
}

/// `YYYY-MM-DDTHH:MM:SS`, an optional fraction of one to nine digits, then the offset: `Z` or
/// `±HH:MM` (`±HHMM` too with `colon_optional`); with `colon_optional` the offset is required
/// (OCP), else it is optional and its colon is not (CBR). The day is 01-31 whatever the month,
/// as the pattern says.
fn timestamp(s: &[u8], ocp: bool) -> bool {
    let Some((date, rest)) = s.split_first_chunk::<19>() else {
        return false;
    };
    let fixed = date[..4].iter().all(u8::is_ascii_digit)
        && date[4] == b'-'
        && two(&date[5..7], 1, 12)
        && date[7] == b'-'
        && two(&date[8..10], 1, 31)
        && date[10] == b'T'
        && two(&date[11..13], 0, 23)
        && date[13] == b':'
        && digit(date[14], b'5')
        && date[15].is_ascii_digit()
        && date[16] == b':'
        && digit(date[17], b'5')
        && date[18].is_ascii_digit();
    if !fixed {
        return false;
    }
    let mut rest = rest;
    if let Some((b'.', after)) = rest.split_first() {
        let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
        if !(1..=9).contains(&digits) {
            return false;
        }
        rest = &after[digits..];
    }
    match rest {
        [] => !ocp,
        [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            two(&[*h1, *h2], 0, 23) && digit(*m1, b'5') && m2.is_ascii_digit()
        }
        [b'+' | b'-', h1, h2, m1, m2] if ocp => {
            two(&[*h1, *h2], 0, 23) && digit(*m1, b'5') && m2.is_ascii_digit()
        }
        _ => false,
    }
}

/// The decimal text of an `i64`: `0`, or an optional `-` and digits with no leading zero, in
/// range (`-0` is not one).
fn int64_text(s: &[u8]) -> bool {
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits {
        [] => false,
        [b'0'] => !negative,
        [b'0', ..] => false,
        _ if digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) => false,
        _ => {
            // At most 19 digits: fits a u64.
            let value = digits
                .iter()
                .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            let max = if negative { i64::MIN } else { i64::MAX };
            value <= max.unsigned_abs()
        }
    }
}

/// The `pattern` keyword of the validity-only validators: a [`Matcher`] where one fits the
/// pattern text, else the engine's own check of it.
enum Pattern<F: Json> {
    Hand(Matcher),
    Engine(jsonschema::Validator<F>),
}

impl<'i, F: Json> Keyword<'i, F> for Pattern<F> {
    fn validate(&self, instance: F::Node<'i>) -> Result<(), ValidationError<'i>> {
        // Never asked by this crate (the validator is used for `is_valid` only); the answer
        // agrees with `is_valid`, as the trait requires.
        if Keyword::<F>::is_valid(self, instance) {
            Ok(())
        } else {
            Err(ValidationError::custom("does not match the pattern"))
        }
    }

    fn is_valid(&self, instance: F::Node<'i>) -> bool {
        match self {
            Pattern::Hand(matcher) => instance.as_string().is_none_or(|s| matcher.is_match(&s)),
            Pattern::Engine(validator) => validator.is_valid(instance),
        }
    }
}

/// The factory [`jsonschema::ValidationOptions::with_keyword`] takes for `pattern` in the
/// validity-only validators (see the module docs).
pub fn keyword<'a, F: Json>(
    _parent: &'a Map<String, Value>,
    value: &'a Value,
    _path: Location,
) -> Result<Box<dyn for<'i> Keyword<'i, F>>, ValidationError<'a>> {
    if let Some(matcher) = value.as_str().and_then(Matcher::for_pattern) {
        return Ok(Box::new(Pattern::<F>::Hand(matcher)));
    }
    let validator = jsonschema::options_for::<F>()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&json!({ "pattern": value }))
        .map_err(|e| ValidationError::custom(e.to_string()))?;
    Ok(Box::new(Pattern::Engine(validator)))
}

/// The keyword that stands for OCP's `LongId` in the validity-only validators: an integer
/// written as one within the 64-bit signed range, or a string [`INT64_TEXT`] matches.
pub const LONG_ID: &str = "x-long-id";

/// `LongId`'s `oneOf` as the contract compiles it: an OpenAPI integer in the `int64` range, or
/// its decimal text.
fn long_id_one_of() -> Value {
    json!([
        {
            "type": "integer",
            "minimum": i64::MIN,
            "maximum": i64::MAX,
            super::convert::OPENAPI_INTEGER: true,
        },
        {"type": "string", "pattern": INT64_TEXT},
    ])
}

/// `document` for the validity-only validators: every `oneOf` that is exactly `LongId`'s
/// becomes [`LONG_ID`], which reads a value once where `oneOf` tried both branches (four ids a
/// record in OCP); the tests prove the two agree.
pub fn fast_document(document: &Value) -> Value {
    let one_of = long_id_one_of();
    let mut out = document.clone();
    replace_long_ids(&mut out, &one_of);
    out
}

fn replace_long_ids(schema: &mut Value, one_of: &Value) {
    match schema {
        Value::Object(map) => {
            if map.get("oneOf") == Some(one_of) {
                map.remove("oneOf");
                map.insert(LONG_ID.to_owned(), Value::Bool(true));
            }
            for (key, child) in map.iter_mut() {
                if !matches!(key.as_str(), "examples" | "enum" | "const" | "default") {
                    replace_long_ids(child, one_of);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| replace_long_ids(v, one_of)),
        _ => {}
    }
}

/// The [`LONG_ID`] keyword.
struct LongId;

impl<'i, F: Json> Keyword<'i, F> for LongId {
    fn validate(&self, instance: F::Node<'i>) -> Result<(), ValidationError<'i>> {
        // Never asked by this crate, as for [`Pattern`].
        if Keyword::<F>::is_valid(self, instance) {
            Ok(())
        } else {
            Err(ValidationError::custom("is not a 64-bit id"))
        }
    }

    fn is_valid(&self, instance: F::Node<'i>) -> bool {
        if let Some(text) = instance.as_string() {
            return int64_text(text.as_bytes());
        }
        // An integer as it was written: a float (`1.0`, `-0`) is none, and `maximum` refuses an
        // unsigned one past `i64::MAX`.
        instance.as_number().is_some_and(|n| {
            let n = n.to_number();
            n.is_i64() || n.as_u64().is_some_and(|u| i64::try_from(u).is_ok())
        })
    }
}

/// The factory for [`LONG_ID`].
pub fn long_id_keyword<'a, F: Json>(
    _parent: &'a Map<String, Value>,
    _value: &'a Value,
    _path: Location,
) -> Result<Box<dyn for<'i> Keyword<'i, F>>, ValidationError<'a>> {
    Ok(Box::new(LongId))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The engine's verdict on `text` for `pattern`.
    fn engine(pattern: &str) -> jsonschema::Validator {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&json!({ "type": "string", "pattern": pattern }))
            .expect("compiles")
    }

    /// A seeded xorshift: the same strings every run.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, bound: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            usize::try_from(self.0 % bound as u64).expect("fits")
        }
    }

    /// Every string `seeds` gives with each position replaced by each byte of `alphabet`, with
    /// one byte inserted or removed, and with two-digit fields swept through 00-99; then
    /// random edits of those.
    fn variants(seeds: &[&str], alphabet: &[u8]) -> Vec<String> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        for seed in seeds {
            let seed = seed.as_bytes().to_vec();
            out.push(seed.clone());
            for at in 0..=seed.len() {
                if at < seed.len() {
                    let mut cut = seed.clone();
                    cut.remove(at);
                    out.push(cut);
                    out.push(seed[..at].to_vec());
                }
                for &b in alphabet {
                    if at < seed.len() {
                        let mut swapped = seed.clone();
                        swapped[at] = b;
                        out.push(swapped);
                    }
                    let mut grown = seed.clone();
                    grown.insert(at, b);
                    out.push(grown);
                }
                if at + 1 < seed.len() {
                    for n in 0..100u8 {
                        let mut swept = seed.clone();
                        swept[at] = b'0' + n / 10;
                        swept[at + 1] = b'0' + n % 10;
                        out.push(swept);
                    }
                }
            }
        }
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let base = out.len();
        for _ in 0..20_000 {
            let mut s = out[rng.below(base)].clone();
            for _ in 0..1 + rng.below(3) {
                let b = alphabet[rng.below(alphabet.len())];
                match rng.below(3) {
                    0 if !s.is_empty() => {
                        let at = rng.below(s.len());
                        s[at] = b;
                    }
                    1 => {
                        let at = rng.below(s.len() + 1);
                        s.insert(at, b);
                    }
                    _ if !s.is_empty() => {
                        let at = rng.below(s.len());
                        s.remove(at);
                    }
                    _ => {}
                }
            }
            out.push(s);
        }
        out.into_iter()
            .filter_map(|s| String::from_utf8(s).ok())
            .collect()
    }

    /// Asserts the matcher and the engine agree on every string, and that both answers occur.
    fn agree(pattern: &str, strings: &[String]) {
        let matcher = Matcher::for_pattern(pattern).expect("a hand matcher");
        let engine = engine(pattern);
        let mut matched = 0;
        for s in strings {
            let expected = engine.is_valid(&json!(s));
            assert_eq!(matcher.is_match(s), expected, "{pattern} on {s:?}");
            matched += usize::from(expected);
        }
        assert!(
            matched > 100 && matched < strings.len() - 100,
            "{matched} of {}",
            strings.len()
        );
    }

    #[test]
    fn timestamps_match_as_the_engine_matches() {
        let seeds = [
            "2019-05-23T14:31:36",
            "2019-05-23T14:31:36Z",
            "2019-05-23T14:31:36.039365",
            "2019-12-31T23:59:59.123456789+00:00",
            "2021-09-23T14:33:17.357+0800",
            "2024-08-09T16:04:21.810084+08:00",
            "0000-01-01T00:00:00-23:59",
            "2024-02-30T09:05:07.1Z",
        ];
        let alphabet = b"0123456789-+:.TZtz \n\r/\xc3\xa9\x00";
        // Non-ASCII bytes are spliced in one at a time, so a few variants are not UTF-8 and
        // dropped; the rest still hold digits of other scripts only as whole characters below.
        let mut strings = variants(&seeds, alphabet);
        strings.extend(
            [
                "２０１９-05-23T14:31:36Z",
                "2019-05-23T14:31:36.\u{661}Z",
                "",
            ]
            .map(String::from),
        );
        agree(CBR_TIMESTAMP, &strings);
        agree(OCP_TIMESTAMP, &strings);
    }

    #[test]
    fn int64_text_matches_as_the_engine_matches() {
        let seeds = [
            "0",
            "7",
            "1050",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "99999999999999999999",
            "1000000000000000000",
            "-1",
        ];
        let mut strings = variants(&seeds, b"0123456789-+ .e\n");
        // Every value near the bounds, written both ways.
        for delta in 0..200i128 {
            for n in [
                i128::from(i64::MAX) - delta + 100,
                i128::from(i64::MIN) + delta - 100,
            ] {
                strings.push(n.to_string());
            }
        }
        agree(INT64_TEXT, &strings);
    }

    #[test]
    fn every_pattern_of_both_specs_has_a_hand_matcher() {
        // Not needed for correctness (another pattern goes to the engine), but a spec edit that
        // changes one of these would quietly slow every check: this says so.
        fn patterns(value: &Value, out: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    for (key, child) in map {
                        match (key.as_str(), child) {
                            ("pattern", Value::String(p)) => out.push(p.clone()),
                            ("examples" | "enum" | "const" | "default", _) => {}
                            _ => patterns(child, out),
                        }
                    }
                }
                Value::Array(items) => items.iter().for_each(|v| patterns(v, out)),
                _ => {}
            }
        }
        // The response bodies' schemas: what every check reads (a query parameter's pattern is
        // never checked on a body).
        for api in crate::contract::Api::ALL {
            let contract = crate::contract::Contract::get(api).expect("compiles");
            let target = crate::contract::Target::Response { status: 200 };
            let document = &contract.compiled(&target).expect("target").document;
            let mut found = Vec::new();
            patterns(document, &mut found);
            assert!(!found.is_empty(), "{api}");
            for pattern in found {
                assert!(Matcher::for_pattern(&pattern).is_some(), "{api}: {pattern}");
            }
        }
    }

    #[test]
    fn long_id_reads_as_its_one_of() {
        let engine = crate::contract::validator_options::<crate::contract::tape::TapeJson>()
            .build(&json!({ "oneOf": long_id_one_of() }))
            .expect("compiles");
        let fast_schema = fast_document(&json!({ "oneOf": long_id_one_of() }));
        assert_eq!(fast_schema, json!({ LONG_ID: true }));
        let fast = crate::contract::fast_validator_options::<crate::contract::tape::TapeJson>()
            .build(&fast_schema)
            .expect("compiles");
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "0.0",
            "-0.0",
            "1",
            "-1",
            "1.0",
            "1e2",
            "1E0",
            "1.5",
            "-1.5",
            "100.1899",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "9223372036854775807.0",
            "9.223372036854775807e18",
            "1e19",
            "-1e19",
            "null",
            "true",
            "false",
            "[]",
            "{}",
            "[1]",
            "{\"a\":1}",
            "\"\"",
            "\"-\"",
            "\"-0\"",
            "\"00\"",
            "\"01\"",
            "\"1 \"",
            "\"+1\"",
            "\"1050\"",
            "\"9223372036854775807\"",
            "\"9223372036854775808\"",
            "\"-9223372036854775808\"",
            "\"-9223372036854775809\"",
            "\"1.0\"",
        ]
        .map(String::from)
        .to_vec();
        for delta in 0..50i128 {
            for n in [
                i128::from(i64::MAX) - delta + 25,
                i128::from(i64::MIN) + delta - 25,
                delta - 25,
            ] {
                texts.push(n.to_string());
                texts.push(format!("\"{n}\""));
            }
        }
        let (mut valid, mut invalid) = (0, 0);
        for text in &texts {
            // A text beyond the fast parser (past 64 bits) never reaches this keyword.
            crate::contract::tape::with_document(text.as_bytes(), |doc| {
                if let Some(doc) = doc {
                    let expected = engine.is_valid(doc.root());
                    assert_eq!(fast.is_valid(doc.root()), expected, "{text}");
                    if expected {
                        valid += 1;
                    } else {
                        invalid += 1;
                    }
                }
            });
        }
        assert!(
            valid > 50 && invalid > 50,
            "{valid} valid, {invalid} invalid"
        );
        // The OCP contract's `LongId` is the one replaced.
        let contract = crate::contract::Contract::get(crate::contract::Api::Ocp).expect("compiles");
        let target = crate::contract::Target::Response { status: 200 };
        let document = &contract.compiled(&target).expect("target").document;
        let fast = fast_document(document);
        assert_ne!(&fast, document);
        assert_eq!(fast["$defs"]["LongId"][LONG_ID], json!(true));
    }

    #[test]
    fn other_patterns_go_to_the_engine() {
        let validator = crate::contract::fast_validator_options::<crate::contract::tape::TapeJson>(
        )
        .build(&json!({"properties": {"a": {"pattern": "^x+$"}, "t": {"pattern": CBR_TIMESTAMP}}}))
        .expect("compiles");
        for (text, valid) in [
            (r#"{"a":"xxx","t":"2019-05-23T14:31:36"}"#, true),
            (r#"{"a":"xy"}"#, false),
            (r#"{"t":"2019-13-23T14:31:36"}"#, false),
            (r#"{"a":1,"t":null}"#, true),
        ] {
            crate::contract::tape::with_document(text.as_bytes(), |doc| {
                assert_eq!(
                    validator.is_valid(doc.expect("parses").root()),
                    valid,
                    "{text}"
                );
            });
        }
    }
}
