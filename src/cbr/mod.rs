//! CBR `ListOpLogs`: `GET /v3/{project_id}/operation-logs`.
//!
//! The models are generated from `openapi/cbr-operation-logs.yaml` by `build.rs`; the open enums,
//! [`Incremental`] and [`Timestamp`](crate::common::Timestamp) replace generated types so that the
//! reader never fails a page on a value the spec does not list.

#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
pub(crate) mod hooks;
#[cfg(feature = "client")]
pub mod signer;
mod types;

generated_module!("cbr");

#[cfg(feature = "client")]
pub use client::{Auth, Client, ClientBuilder, ListFilters, ListOpLogs, MAX_LIMIT};
pub use generated::types::{
    ListOpLogsResponse, OpErrorInfo, OpExtendInfoBckup, OpExtendInfoCommon, OpExtendInfoDelete,
    OpExtendInfoRemoveResources, OpExtendInfoReplication, OpExtendInfoRestore, OpExtendInfoSync,
    OpExtendInfoVaultDelete, OpExtraInfo, OperationLog, OperationTypeFilter, Resource,
    ResourceExtraInfo, ResourceExtraInfoIncludeVolumes, TaskStatusFilter,
};
#[cfg(feature = "client")]
pub use types::records_with_raw;
pub use types::{
    AppConsistencyStatus, ErrorBody, Incremental, OperationType, TaskStatus, raw_records,
};
