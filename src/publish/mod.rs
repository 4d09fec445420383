//! Publication: the specs as standalone JSON Schema files for other teams ([`export`]), each
//! API's reference page ([`reference`](mod@reference)) and changelog ([`changelog`]), and the
//! breaking-change check between two versions of a spec ([`diff`]).
//!
//! All of it works from the OpenAPI documents alone (the reference adds the discrepancy
//! register, the changelog the release copies); none of it needs the typed models.

pub mod changelog;
pub mod diff;
pub mod export;
mod markdown;
pub mod reference;
mod register;
mod version;

use std::path::PathBuf;

pub use version::Version;

use crate::contract::{Api, ContractError};

/// What stops a publication step (writing, checking or reading published files).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// A spec or one of its schemas could not be converted.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// A file or directory could not be read or written.
    #[error("cannot read or write {}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A generated document did not serialise (a bug: every value is plain JSON).
    #[error("cannot serialise {path}")]
    Serialise {
        /// The file it was meant for, relative to the output directory.
        path: String,
        /// The serialiser's message.
        #[source]
        source: serde_json::Error,
    },
    /// A release copy compiled into this crate is not YAML (it was edited by hand).
    #[error("the release copy {path} is not valid YAML")]
    Release {
        /// The copy, relative to the published directory.
        path: String,
        /// The parser's message.
        #[source]
        source: crate::yaml::YamlError,
    },
    /// `info.version` of a spec is not `MAJOR.MINOR.PATCH`.
    #[error("the {api} spec's info.version {version:?} is not MAJOR.MINOR.PATCH")]
    Version {
        /// Which spec.
        api: Api,
        /// What it says.
        version: String,
    },
}

impl PublishError {
    fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> PublishError {
        let path = path.into();
        move |source| PublishError::Io { path, source }
    }
}
