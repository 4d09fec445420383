//! OCP "View the log backup tasks of a tenant":
//! `GET /api/v2/ob/clusters/{id}/tenants/{tenantId}/backup/task/logBackupTasks`.
//!
//! The models are generated from `openapi/ocp-log-backup-tasks.yaml` by `build.rs`; the open enums,
//! [`Id`], [`ErrorCode`] and [`Timestamp`](crate::common::Timestamp) replace generated types so
//! that the reader never fails a page on a value the spec does not list.

mod client;
pub(crate) mod hooks;
pub mod signer;
mod types;

/// The progenitor output, kept private; what users need is re-exported below.
/// (`dead_code`: parts of the raw client are reached only as the hand-written layer grows.)
#[allow(
    missing_docs,
    unused_imports,
    dead_code,
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used
)]
pub(crate) mod generated {
    include!(concat!(env!("OUT_DIR"), "/ocp.rs"));
}

pub use client::{Auth, Client, ClientBuilder, DEFAULT_PAGE_SIZE, ListLogBackupTasks};
pub use generated::types::{
    ApiError, ApiErrorTarget, ApiSubError, ErrorResponse, LogBackupTask, LogBackupTaskPage,
    LogBackupTaskPageResponse, LogBackupTaskStatusFilter, PageInfo,
};
pub use types::{
    BackupDimension, BackupMode, ClusterType, ErrorCode, Id, TaskStatus, raw_records,
    records_with_raw,
};
