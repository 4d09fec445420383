//! OCP "View the log backup tasks of a tenant":
//! `GET /api/v2/ob/clusters/{id}/tenants/{tenantId}/backup/task/logBackupTasks`.
//!
//! The models are generated from `openapi/ocp-log-backup-tasks.yaml` by `build.rs`; the open enums,
//! [`Id`], [`ErrorCode`] and [`Timestamp`](crate::common::Timestamp) replace generated types so
//! that the reader never fails a page on a value the spec does not list.

#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
pub(crate) mod hooks;
#[cfg(feature = "client")]
pub mod signer;
mod types;

generated_module!("ocp");

#[cfg(feature = "client")]
pub use client::{
    Auth, Client, ClientBuilder, DEFAULT_PAGE_SIZE, ListFilters, ListLogBackupTasks, Tenant,
};
pub use generated::types::{
    ApiError, ApiErrorTarget, ApiSubError, ErrorResponse, LogBackupTask, LogBackupTaskPage,
    LogBackupTaskPageResponse, LogBackupTaskStatusFilter, PageInfo,
};
#[cfg(feature = "client")]
pub use types::records_with_raw;
pub use types::{BackupDimension, BackupMode, ClusterType, ErrorCode, Id, TaskStatus, raw_records};
