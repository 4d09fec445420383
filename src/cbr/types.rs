//! Hand-written CBR response types that replace generated ones (see `build.rs`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::common::open_enum::open_enum;

open_enum! {
    /// Task type of an operation log, as responses carry it.
    pub enum OperationType {
        /// A backup.
        Backup = "backup",
        /// A copy of a backup.
        Copy = "copy",
        /// A cross-region replication.
        Replication = "replication",
        /// A backup deletion.
        Delete = "delete",
        /// A restoration.
        Restore = "restore",
        /// A vault deletion.
        VaultDelete = "vault_delete",
        /// Resources removed from a vault.
        RemoveResource = "remove_resource",
        /// A synchronisation.
        Sync = "sync",
    }
}

open_enum! {
    /// Status of a task, as responses carry it.
    pub enum TaskStatus {
        /// Finished successfully.
        Success = "success",
        /// Skipped.
        Skipped = "skipped",
        /// Failed.
        Failed = "failed",
        /// Running.
        Running = "running",
        /// Timed out.
        Timeout = "timeout",
        /// Waiting to run.
        Waiting = "waiting",
    }
}

open_enum! {
    /// Whether an application-consistent backup succeeded.
    pub enum AppConsistencyStatus {
        /// It did not.
        Failed = "0",
        /// It did.
        Succeeded = "1",
    }
}

/// Whether a backup is incremental: the page documents the strings `"true"`/`"false"`, other CBR
/// APIs send a JSON boolean. Both are read, and written back in the form they came in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Incremental {
    /// A JSON boolean.
    Bool(bool),
    /// A JSON string, normally `"true"` or `"false"`; other text is kept as it came.
    Text(String),
}

impl Incremental {
    /// The flag, when the value is a boolean or the string `"true"`/`"false"`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            Self::Text(t) if t == "true" => Some(true),
            Self::Text(t) if t == "false" => Some(false),
            Self::Text(_) => None,
        }
    }
}

impl fmt::Display for Incremental {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::Text(t) => f.write_str(t),
        }
    }
}

impl Serialize for Incremental {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Bool(b) => serializer.serialize_bool(*b),
            Self::Text(t) => serializer.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for Incremental {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Incremental;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean or the string \"true\" or \"false\"")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Incremental, E> {
                Ok(Incremental::Bool(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Incremental, E> {
                Ok(Incremental::Text(v.to_owned()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl schemars::JsonSchema for Incremental {
    fn schema_name() -> String {
        "Incremental".into()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        use schemars::schema::{InstanceType, SchemaObject};
        SchemaObject {
            instance_type: Some(vec![InstanceType::Boolean, InstanceType::String].into()),
            ..Default::default()
        }
        .into()
    }
}

/// The CBR error body. Service errors carry `error_code`/`error_msg`; the API gateway adds
/// `request_id`; the Huawei Go SDK also accepts `code`/`message`. Every member is optional so that
/// any of those shapes (and a partial one) is read; [`ErrorBody::code`] and
/// [`ErrorBody::message`] pick whichever spelling is there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorBody {
    /// Error code, such as `BackupService.6500` or `APIGW.0301`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Error message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_msg: Option<String>,
    /// Request ID, added by the API gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Error code, in the alternative spelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Error message, in the alternative spelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ErrorBody {
    /// The error code, in whichever spelling the body used.
    pub fn code(&self) -> Option<&str> {
        self.error_code.as_deref().or(self.code.as_deref())
    }

    /// The error message, in whichever spelling the body used.
    pub fn message(&self) -> Option<&str> {
        self.error_msg.as_deref().or(self.message.as_deref())
    }
}

/// The records of a CBR page body (`operation_logs`), each exactly as the service sent it
/// (whitespace between tokens removed), in order: unknown members such as
/// `extra_info.resource.zone` included, which the typed
/// [`OperationLog`](super::OperationLog) leaves out. Pair them with the typed records of the same
/// body ([`Page::body`](crate::common::Page)) by position. `None` when `body` is not JSON or has
/// no `operation_logs` array.
pub fn raw_records(body: &[u8]) -> Option<Vec<Box<serde_json::value::RawValue>>> {
    crate::common::reader::raw_array(body, &["operation_logs"])
}

/// Each typed record of `page` with its raw record ([`raw_records`]), in order. `None` when the
/// body's records cannot be paired with the typed ones (not the same number of them).
pub fn records_with_raw(
    page: &crate::common::Page<super::ListOpLogsResponse>,
) -> Option<Vec<(&super::OperationLog, Box<serde_json::value::RawValue>)>> {
    let typed = &page.value.operation_logs;
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
    fn error_body_reads_both_spellings() {
        let service: ErrorBody = serde_json::from_str(
            r#"{"error_code":"BackupService.6500","error_msg":"Operation log does not exist."}"#,
        )
        .expect("service shape");
        assert_eq!(service.code(), Some("BackupService.6500"));
        assert_eq!(service.message(), Some("Operation log does not exist."));
        let sdk: ErrorBody = serde_json::from_str(
            r#"{"code":"APIGW.0301","message":"bad token","request_id":"r1"}"#,
        )
        .expect("alternative shape");
        assert_eq!(
            (sdk.code(), sdk.message()),
            (Some("APIGW.0301"), Some("bad token"))
        );
        assert_eq!(sdk.request_id.as_deref(), Some("r1"));
    }

    #[test]
    fn unknown_operation_type_is_kept_and_written_back() {
        let op: OperationType = serde_json::from_str("\"archive\"").expect("any string");
        assert_eq!(op, OperationType::Other("archive".into()));
        assert!(!op.is_known());
        assert_eq!(serde_json::to_string(&op).expect("ser"), "\"archive\"");
    }

    #[test]
    fn every_known_value_round_trips() {
        for text in OperationType::KNOWN {
            let op = OperationType::from(*text);
            assert!(op.is_known(), "{text}");
            assert_eq!(op.as_str(), *text);
        }
        for text in TaskStatus::KNOWN {
            assert!(TaskStatus::from(*text).is_known(), "{text}");
        }
        assert_eq!(
            AppConsistencyStatus::from("1"),
            AppConsistencyStatus::Succeeded
        );
    }

    #[test]
    fn raw_records_keep_members_the_typed_records_drop() {
        let body = br#"{"operation_logs": [{"id": "a", "project_id": "p", "status": "success",
            "created_at": "2019-05-23T14:31:36", "started_at": "2019-05-23T14:31:36",
            "updated_at": "2019-05-23T14:31:36", "error_info": {},
            "extra_info": {"resource": {"id": "r", "zone": "eu-de-01"}}}]}"#;
        let typed: crate::cbr::ListOpLogsResponse =
            crate::common::reader::decode(body).expect("decodes");
        let raw = raw_records(body).expect("an array");
        assert_eq!(raw.len(), typed.operation_logs.len());
        let written = serde_json::to_string(&typed.operation_logs[0]).expect("ser");
        assert!(
            !written.contains("zone"),
            "the typed record drops it: {written}"
        );
        assert!(
            raw[0].get().contains(r#""zone":"eu-de-01""#),
            "{}",
            raw[0].get()
        );
    }

    #[test]
    fn open_enum_matches_case_sensitively() {
        assert_eq!(
            TaskStatus::from("SUCCESS"),
            TaskStatus::Other("SUCCESS".into())
        );
    }

    #[test]
    fn incremental_reads_both_forms_and_writes_them_back() {
        for (json, flag) in [
            ("true", Some(true)),
            ("\"false\"", Some(false)),
            ("\"maybe\"", None),
        ] {
            let inc: Incremental = serde_json::from_str(json).expect(json);
            assert_eq!(inc.as_bool(), flag, "{json}");
            assert_eq!(serde_json::to_string(&inc).expect("ser"), json);
        }
        let err = serde_json::from_str::<Incremental>("1").expect_err("a number is neither");
        assert!(err.to_string().contains("a boolean or the string"), "{err}");
    }
}
