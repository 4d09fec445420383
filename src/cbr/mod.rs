//! CBR `ListOpLogs`: `GET /v3/{project_id}/operation-logs`.
//!
//! The models are generated from `openapi/cbr-operation-logs.yaml` by `build.rs`; the open enums,
//! [`Incremental`] and [`Timestamp`](crate::common::Timestamp) replace generated types so that the
//! reader never fails a page on a value the spec does not list.

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
    include!(concat!(env!("OUT_DIR"), "/cbr.rs"));
}

pub use client::{Auth, Client, ClientBuilder, ListOpLogs, MAX_LIMIT};
pub use generated::types::{
    ListOpLogsResponse, OpErrorInfo, OpExtendInfoBckup, OpExtendInfoCommon, OpExtendInfoDelete,
    OpExtendInfoRemoveResources, OpExtendInfoReplication, OpExtendInfoRestore, OpExtendInfoSync,
    OpExtendInfoVaultDelete, OpExtraInfo, OperationLog, OperationTypeFilter, Resource,
    ResourceExtraInfo, ResourceExtraInfoIncludeVolumes, TaskStatusFilter,
};
pub use types::{
    AppConsistencyStatus, ErrorBody, Incremental, OperationType, TaskStatus, raw_records,
    records_with_raw,
};
