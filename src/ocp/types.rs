//! Hand-written OCP response types that replace generated ones (see `build.rs`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::common::open_enum::open_enum;

open_enum! {
    /// Status of a log backup task, as responses carry it. Responses use the console's vocabulary
    /// (`RUNNING`, `BEGINNING`, ...), not only the query filter's, and OceanBase's own log archive
    /// states (`PREPARE`, `DOING`, `STOP`, `SUSPENDING`, `SUSPEND`) can reach them too.
    pub enum TaskStatus {
        /// Starting (console vocabulary).
        Beginning = "BEGINNING",
        /// Running; what every published sample says.
        Running = "RUNNING",
        /// Being started (filter vocabulary).
        Starting = "STARTING",
        /// In progress (filter vocabulary).
        InProgress = "INPROGRESS",
        /// Being stopped.
        Stopping = "STOPPING",
        /// Stopped.
        Stopped = "STOPPED",
        /// Failed.
        Failed = "FAILED",
        /// Interrupted.
        Interrupted = "INTERRUPTED",
        /// Unknown to OCP itself.
        Unknown = "UNKNOWN",
        /// Preparing (an OceanBase log archive state).
        Prepare = "PREPARE",
        /// Archiving (an OceanBase log archive state).
        Doing = "DOING",
        /// Stopped (an OceanBase log archive state).
        Stop = "STOP",
        /// Being suspended (an OceanBase log archive state).
        Suspending = "SUSPENDING",
        /// Suspended (an OceanBase log archive state).
        Suspend = "SUSPEND",
    }
}

open_enum! {
    /// The backup mode.
    pub enum BackupMode {
        /// Physical backup.
        Physical = "PHYSICAL_BACKUP",
        /// Logical backup.
        Logical = "LOGICAL_BACKUP",
    }
}

open_enum! {
    /// The backup dimension.
    pub enum BackupDimension {
        /// Cluster backup.
        Cluster = "CLUSTER",
        /// Tenant backup.
        Tenant = "TENANT",
    }
}

open_enum! {
    /// The cluster's role.
    pub enum ClusterType {
        /// A primary cluster.
        Primary = "PRIMARY",
        /// A standby cluster.
        Standby = "STANDBY",
    }
}

/// A 64-bit OCP id. OCP writes ids as JSON numbers, but may write ids above 2^53-1 as decimal
/// strings; both are read, and written back in the form they came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id {
    value: i64,
    quoted: bool,
}

impl Id {
    /// An id written as a JSON number.
    pub const fn new(value: i64) -> Self {
        Self {
            value,
            quoted: false,
        }
    }

    /// An id written as a JSON string, as OCP does for ids above 2^53-1.
    pub const fn quoted(value: i64) -> Self {
        Self {
            value,
            quoted: true,
        }
    }

    /// The id.
    pub const fn get(self) -> i64 {
        self.value
    }

    /// Whether it came as a JSON string.
    pub const fn was_quoted(self) -> bool {
        self.quoted
    }
}

impl From<i64> for Id {
    fn from(value: i64) -> Self {
        Self::new(value)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.quoted {
            serializer.collect_str(&self.value)
        } else {
            serializer.serialize_i64(self.value)
        }
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a 64-bit integer id, as a number or a decimal string")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id::new(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Id, E> {
                i64::try_from(v)
                    .map(Id::new)
                    .map_err(|_| E::custom(format!("id {v} does not fit in 64 signed bits")))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Id, E> {
                // A tolerant reader: `5.0` means 5 (the contract still calls it a violation).
                whole_i64(v)
                    .map(Id::new)
                    .ok_or_else(|| E::custom(format!("id {v} is not a 64-bit integer")))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Id, E> {
                // `i64::from_str` takes a leading `+`; the contract does not, so neither does this.
                if v.starts_with('+') {
                    return Err(E::custom(format!("id {v:?} is not a decimal integer")));
                }
                v.parse::<i64>()
                    .map(|value| Id {
                        value,
                        quoted: true,
                    })
                    .map_err(|_| E::custom(format!("id {v:?} is not a 64-bit decimal integer")))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl schemars::JsonSchema for Id {
    fn schema_name() -> String {
        "Id".into()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        use schemars::schema::{InstanceType, SchemaObject, StringValidation};
        SchemaObject {
            instance_type: Some(vec![InstanceType::Integer, InstanceType::String].into()),
            string: Some(Box::new(StringValidation {
                pattern: Some("^-?[0-9]{1,19}$".into()),
                ..Default::default()
            })),
            ..Default::default()
        }
        .into()
    }
}

/// An OCP error code: an integer in OCP's code and docs, a string in some clients' mocks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A numeric code (`0` on the documented 429 body).
    Int(i64),
    /// A text code.
    Text(String),
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(n) => write!(f, "{n}"),
            Self::Text(t) => f.write_str(t),
        }
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Int(n) => serializer.serialize_i64(*n),
            Self::Text(t) => serializer.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ErrorCode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string error code")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ErrorCode, E> {
                Ok(ErrorCode::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ErrorCode, E> {
                i64::try_from(v).map(ErrorCode::Int).map_err(|_| {
                    E::custom(format!("error code {v} does not fit in 64 signed bits"))
                })
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ErrorCode, E> {
                whole_i64(v)
                    .map(ErrorCode::Int)
                    .ok_or_else(|| E::custom(format!("error code {v} is not an integer")))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ErrorCode, E> {
                Ok(ErrorCode::Text(v.to_owned()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl schemars::JsonSchema for ErrorCode {
    fn schema_name() -> String {
        "ErrorCode".into()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        use schemars::schema::{InstanceType, SchemaObject};
        SchemaObject {
            instance_type: Some(vec![InstanceType::Integer, InstanceType::String].into()),
            ..Default::default()
        }
        .into()
    }
}

/// `v` as an `i64` when it is a whole number in range (`5.0`), for readers that tolerate integral
/// floats. 2^63 itself is out of range: `i64::MAX as f64` rounds up to it.
fn whole_i64(v: f64) -> Option<i64> {
    const TWO_TO_63: f64 = 9_223_372_036_854_775_808.0;
    // The casts are exact: `v` is whole and within range.
    #[allow(clippy::cast_possible_truncation)]
    (v.fract() == 0.0 && (-TWO_TO_63..TWO_TO_63).contains(&v)).then_some(v as i64)
}

/// The tasks of an OCP page body (`data.contents`), each exactly as the service sent it (whitespace
/// between tokens removed), in order: unknown members such as a new `newKnob` included, which the
/// typed [`LogBackupTask`](super::LogBackupTask) leaves out. Pair them with the typed tasks of the
/// same body ([`Page::body`](crate::common::Page)) by position. `None` when `body` is not JSON or
/// has no `data.contents` array.
pub fn raw_records(body: &[u8]) -> Option<Vec<Box<serde_json::value::RawValue>>> {
    crate::common::reader::raw_array(body, &["data", "contents"])
}

/// Each typed task of `page` with its raw record ([`raw_records`]), in order. `None` when the
/// body's tasks cannot be paired with the typed ones (not the same number of them).
pub fn records_with_raw(
    page: &crate::common::Page<super::LogBackupTaskPageResponse>,
) -> Option<Vec<(&super::LogBackupTask, Box<serde_json::value::RawValue>)>> {
    let typed = &page.value.data.contents;
    if typed.is_empty() {
        return Some(Vec::new());
    }
    let raw = raw_records(&page.body)?;
    (raw.len() == typed.len()).then(|| typed.iter().zip(raw).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_reads_numbers_and_numeric_strings_and_writes_them_back() {
        for (json, value) in [
            ("1000005", 1000005),
            ("\"9007199254740993\"", 9007199254740993),
            ("-1", -1),
        ] {
            let id: Id = serde_json::from_str(json).expect(json);
            assert_eq!(id.get(), value);
            assert_eq!(serde_json::to_string(&id).expect("ser"), json);
        }
    }

    #[test]
    fn id_rejects_what_is_not_an_integer() {
        for bad in [
            "\"12a\"",
            "\"\"",
            "1.5",
            "true",
            "\"+5\"",
            "18446744073709551615",
        ] {
            let err = serde_json::from_str::<Id>(bad).expect_err(bad);
            assert!(!err.to_string().is_empty());
        }
    }

    #[test]
    fn error_code_keeps_its_json_type() {
        for json in ["0", "\"ACCESS_DENIED\""] {
            let code: ErrorCode = serde_json::from_str(json).expect(json);
            assert_eq!(serde_json::to_string(&code).expect("ser"), json);
        }
        assert!(serde_json::from_str::<ErrorCode>("null").is_err());
    }

    #[test]
    fn unknown_status_is_kept() {
        let status: TaskStatus = serde_json::from_str("\"PAUSED\"").expect("any string");
        assert_eq!(status, TaskStatus::Other("PAUSED".into()));
        assert_eq!(serde_json::to_string(&status).expect("ser"), "\"PAUSED\"");
    }

    #[test]
    fn oceanbase_archive_states_are_known_statuses() {
        for text in [
            "PREPARE",
            "DOING",
            "STOP",
            "SUSPENDING",
            "SUSPEND",
            "BEGINNING",
        ] {
            let status: TaskStatus = serde_json::from_value(text.into()).expect("a string");
            assert!(status.is_known(), "{text}");
            assert_eq!(status.as_str(), text);
        }
    }

    #[test]
    fn ids_and_codes_tolerate_integral_floats_only() {
        let id: Id = serde_json::from_str("5.0").expect("a whole float");
        assert_eq!((id.get(), id.was_quoted()), (5, false));
        let code: ErrorCode = serde_json::from_str("0.0").expect("a whole float");
        assert_eq!(code, ErrorCode::Int(0));
        for bad in ["5.5", "9223372036854775808.0", "1e300"] {
            assert!(serde_json::from_str::<Id>(bad).is_err(), "{bad}");
            assert!(serde_json::from_str::<ErrorCode>(bad).is_err(), "{bad}");
        }
        assert_eq!(
            serde_json::from_str::<Id>("-9223372036854775808.0")
                .map(Id::get)
                .ok(),
            Some(i64::MIN)
        );
    }
}
