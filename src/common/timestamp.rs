//! A timestamp that reads every shape the two services send and writes back exactly what it read.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A time as CBR or OCP sent it.
///
/// The services send at least these shapes for the same fields:
/// `2019-05-23T14:35:23.584418` (no offset: UTC), `2019-05-23T14:35:23.584+00:00`,
/// `2020-02-23T01:00:32Z`, `2021-09-23T14:33:17.357+0800` (offset without a colon). A strict RFC 3339
/// parser rejects the first and the last; this type reads them all.
///
/// The original text is kept and is what [`Serialize`] writes, so a payload re-serialises byte for
/// byte. Deserialisation never fails on a string: text that is not a timestamp is kept too, and
/// [`Timestamp::to_utc`] returns `None` for it (the contract validator reports it; the reader does
/// not fail the page).
///
/// The text is read when asked ([`Timestamp::to_utc`] and the rest), not when a page is decoded:
/// most readers of a page never look at most of its times, and reading them all was a tenth of
/// a page's typed decoding (`benches/decode.rs`). Equality and hashing are of the text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    raw: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Parsed {
    /// The instant, with the offset the text gave (UTC where it gave none).
    at: DateTime<FixedOffset>,
    /// Whether the text carried an offset (`Z` counts).
    had_offset: bool,
}

/// Why a text is not a timestamp of a known shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not a timestamp of a known shape (YYYY-MM-DDThh:mm:ss[.fraction][Z|+hh:mm|+hhmm])"
)]
pub struct TimestampError {
    text: String,
}

impl Timestamp {
    /// Parses `text`, failing when it is not a timestamp of a known shape.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        match parse(text) {
            Some(_) => Ok(Self {
                raw: text.to_owned(),
            }),
            None => Err(TimestampError {
                text: text.to_owned(),
            }),
        }
    }

    /// Keeps `text` whatever it is; [`Timestamp::is_valid`] tells whether it parsed.
    pub fn lenient(text: impl Into<String>) -> Self {
        Self { raw: text.into() }
    }

    /// The text exactly as the service sent it.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether the text is a timestamp of a known shape.
    pub fn is_valid(&self) -> bool {
        self.parsed().is_some()
    }

    /// The instant in UTC. An offset-less time (CBR's own example shape) is taken as UTC.
    pub fn to_utc(&self) -> Option<DateTime<Utc>> {
        self.parsed().map(|p| p.at.with_timezone(&Utc))
    }

    /// The instant with the offset the text gave; `None` for unparsed text.
    pub fn to_fixed_offset(&self) -> Option<DateTime<FixedOffset>> {
        self.parsed().map(|p| p.at)
    }

    /// Whether the text carried an offset or `Z`.
    pub fn has_offset(&self) -> Option<bool> {
        self.parsed().map(|p| p.had_offset)
    }

    /// The text read as a time, each time it is asked for (see the type's documentation).
    fn parsed(&self) -> Option<Parsed> {
        parse(&self.raw)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    /// Formats as `YYYY-MM-DDThh:mm:ss[.ffffff]Z` (the fraction only when there is one).
    fn from(at: DateTime<Utc>) -> Self {
        Self::lenient(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_utc() {
            Some(utc) => write!(f, "Timestamp({:?} = {})", self.raw, utc.to_rfc3339()),
            None => write!(f, "Timestamp({:?}, unparsed)", self.raw),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Ok(Self::lenient(raw))
    }
}

impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> String {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        // The reader takes any string; the contract's pattern is the strict side.
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            metadata: Some(Box::new(schemars::schema::Metadata {
                description: Some("A timestamp in any of the shapes the services send.".into()),
                ..Default::default()
            })),
            ..Default::default()
        }
        .into()
    }
}

/// `YYYY-MM-DD(T| )hh:mm:ss[.f{1,9}][Z|±hh:mm|±hhmm|±hh]`.
fn parse(text: &str) -> Option<Parsed> {
    let (local, offset) = split_offset(text)?;
    // chrono's `%.f` takes 1 to 9 fraction digits and an absent fraction. The fixed-width shape
    // every service sends is read directly first: chrono's format-string parser was a quarter of
    // a page's typed decoding (benches/decode.rs); it still reads every other shape.
    let naive = match fixed_width(local) {
        Some(naive) => naive,
        None => {
            // `%.f` also accepts more than nine digits by truncation; keep the contract's
            // bound (`fixed_width` keeps it itself).
            if local
                .rsplit_once('.')
                .is_some_and(|(_, frac)| frac.len() > 9)
            {
                return None;
            }
            NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S%.f"))
                .ok()?
        }
    };
    let had_offset = offset.is_some();
    let offset = offset.unwrap_or(FixedOffset::east_opt(0)?);
    let at = naive.and_local_timezone(offset).single()?;
    Some(Parsed { at, had_offset })
}

/// `YYYY-MM-DD(T| )hh:mm:ss[.f{1,9}]` with exactly those digit counts and a valid date and time
/// (no leap second), as chrono's `%Y-%m-%dT%H:%M:%S%.f` reads it; `None` for anything else,
/// which is left to chrono.
fn fixed_width(local: &str) -> Option<NaiveDateTime> {
    let b = local.as_bytes();
    let (head, fraction) = (b.get(..19)?, &b[19..]);
    let shape_ok = head[4] == b'-'
        && head[7] == b'-'
        && matches!(head[10], b'T' | b' ')
        && head[13] == b':'
        && head[16] == b':';
    if !shape_ok {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        head[range].iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let nanos = match fraction {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let value = digits.iter().try_fold(0u32, |n, d| {
                d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
            })?;
            value * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let second = number(17..19)?;
    if second > 59 {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(number(0..4)?).ok()?,
        number(5..7)?,
        number(8..10)?,
    )?;
    let time =
        chrono::NaiveTime::from_hms_nano_opt(number(11..13)?, number(14..16)?, second, nanos)?;
    Some(NaiveDateTime::new(date, time))
}

/// The number two ASCII digits write, or `None` when either is not one.
fn two_digits(tens: u8, ones: u8) -> Option<i32> {
    (tens.is_ascii_digit() && ones.is_ascii_digit())
        .then(|| i32::from(tens - b'0') * 10 + i32::from(ones - b'0'))
}

/// Splits a trailing `Z`, `±hh:mm`, `±hhmm` or `±hh` from the local part.
fn split_offset(text: &str) -> Option<(&str, Option<FixedOffset>)> {
    if let Some(local) = text.strip_suffix(['Z', 'z']) {
        return Some((local, Some(FixedOffset::east_opt(0)?)));
    }
    // The offset sign can only come after the time part (the date's `-` are before the `T`).
    // Byte searches: every byte sought is ASCII, so each index is a char boundary.
    let bytes = text.as_bytes();
    let time_start = bytes.iter().position(|b| matches!(b, b'T' | b' '))?;
    let Some(sign_at) = bytes[time_start..]
        .iter()
        .rposition(|b| matches!(b, b'+' | b'-'))
        .map(|i| i + time_start)
    else {
        return Some((text, None));
    };
    let (local, offset) = text.split_at(sign_at);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    // Read from the bytes in place: a timestamp is decoded for every record of a page, so no
    // allocation here.
    let (hours, minutes) = match *offset.as_bytes() {
        [_, h1, h2] => (two_digits(h1, h2)?, 0), // ±hh
        [_, h1, h2, m1, m2] => (two_digits(h1, h2)?, two_digits(m1, m2)?), // ±hhmm
        [_, h1, h2, b':', m1, m2] => (two_digits(h1, h2)?, two_digits(m1, m2)?), // ±hh:mm
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some((
        local,
        Some(FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))?),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shape the two services are known to send (`openapi/DISCREPANCIES.md`, rows C1 and
    /// O6), for both services, with its UTC instant.
    const SHAPES: &[(&str, &str)] = &[
        (
            "2019-05-23T14:35:23.584418",
            "2019-05-23T14:35:23.584418+00:00",
        ),
        (
            "2019-05-23T14:35:23.584+00:00",
            "2019-05-23T14:35:23.584+00:00",
        ),
        ("2020-02-23T01:00:32Z", "2020-02-23T01:00:32+00:00"),
        (
            "2024-08-09T16:04:21.810084+08:00",
            "2024-08-09T08:04:21.810084+00:00",
        ),
        (
            "2024-08-09T16:06:02.743+08:00",
            "2024-08-09T08:06:02.743+00:00",
        ),
        (
            "2021-09-23T14:33:17.357+0800",
            "2021-09-23T06:33:17.357+00:00",
        ),
        (
            "2024-08-09T08:02:57.715753Z",
            "2024-08-09T08:02:57.715753+00:00",
        ),
        ("2020-01-01T00:00:00+08:00", "2019-12-31T16:00:00+00:00"),
        ("2020-01-01T00:00:00-05:30", "2020-01-01T05:30:00+00:00"),
    ];

    #[test]
    fn the_fixed_width_reading_agrees_with_chrono() {
        let chrono_reads = |local: &str| {
            NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S%.f"))
                .ok()
        };
        let mut read = 0;
        for local in [
            "2019-05-23T14:35:23.584418",
            "2019-05-23 14:35:23",
            "2019-05-23T14:35:23.1",
            "2019-05-23T14:35:23.123456789",
            "2019-05-23T14:35:23.1234567890",
            "2019-05-23T14:35:23.",
            "2019-05-23T14:35:60",
            "2019-05-23T24:00:00",
            "2019-02-29T00:00:00",
            "2020-02-29T00:00:00",
            "2019-13-01T00:00:00",
            "2019-00-10T00:00:00",
            "2019-5-23T14:35:23",
            "+2019-05-23T14:35:23",
            "2019-05-23t14:35:23",
            "2019-05-23T14:35:2a",
            "2019-05-23T14:35:23.5x",
            "0000-01-01T00:00:00",
            "9999-12-31T23:59:59.999999999",
        ] {
            if let Some(fast) = fixed_width(local) {
                read += 1;
                assert_eq!(Some(fast), chrono_reads(local), "{local}");
            }
        }
        assert_eq!(
            read, 7,
            "the fixed-width shapes above are read without chrono"
        );
    }

    #[test]
    fn every_known_shape_parses_to_the_right_instant() {
        for (text, utc) in SHAPES {
            let ts = Timestamp::parse(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                ts.to_utc().map(|t| t.to_rfc3339()).as_deref(),
                Some(*utc),
                "{text}"
            );
            assert_eq!(ts.as_str(), *text);
        }
    }

    #[test]
    fn offsetless_time_is_utc_and_says_so() {
        let ts = Timestamp::parse("2019-05-23T14:35:23.584418").expect("page example shape");
        assert_eq!(ts.has_offset(), Some(false));
        assert_eq!(
            Timestamp::parse("2020-02-23T01:00:32Z")
                .expect("Z")
                .has_offset(),
            Some(true)
        );
    }

    #[test]
    fn serialises_back_byte_for_byte() {
        for (text, _) in SHAPES {
            let json = format!("\"{text}\"");
            let ts: Timestamp = serde_json::from_str(&json).expect("any string deserialises");
            assert_eq!(serde_json::to_string(&ts).expect("serialise"), json);
        }
    }

    #[test]
    fn non_timestamps_are_rejected_by_parse_but_kept_by_the_reader() {
        for bad in [
            "",
            "yesterday",
            "2019-13-01T00:00:00Z",
            "2019-02-30T00:00:00Z",
            "2019-05-23",
            "2019-05-23T25:00:00Z",
            "2019-05-23T14:35:23+8",
            "2019-05-23T14:35:23+24:00",
            "2019-05-23T14:35:23.1234567890Z",
            "2019-05-23T14:35:23+08:00:00",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad:?} should not parse");
            let kept: Timestamp =
                serde_json::from_value(serde_json::Value::String(bad.into())).expect("kept");
            assert!(!kept.is_valid());
            assert_eq!(kept.to_utc(), None);
            assert_eq!(kept.as_str(), bad);
        }
    }

    #[test]
    fn wrong_json_type_is_an_error_not_a_panic() {
        let err = serde_json::from_str::<Timestamp>("12").expect_err("a number is not a timestamp");
        assert!(err.to_string().contains("expected a string"), "{err}");
    }

    #[test]
    fn from_utc_formats_in_the_z_shape() {
        let at = DateTime::parse_from_rfc3339("2018-01-01T12:00:00Z")
            .expect("valid")
            .to_utc();
        assert_eq!(Timestamp::from(at).as_str(), "2018-01-01T12:00:00Z");
    }
}
