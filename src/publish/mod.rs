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

use crate::common::terminal::escape;
use crate::contract::{Api, ContractError};

/// What stops a publication step (writing, checking or reading published files).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// A spec or one of its schemas could not be converted.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// A file or directory could not be read or written.
    #[error("cannot read or write {}", shown(path))]
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
    /// Two versions of a spec could not be compared for the changelog.
    #[error("cannot compare the releases for the changelog")]
    Compare {
        /// Why `diff` refused them.
        #[source]
        source: Box<diff::DiffError>,
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
    /// A path that would be written, created, removed or compared is a symbolic link. Links are
    /// never followed: a checkout (a pull request in CI) can plant one to make `schemas` write or
    /// delete files outside the directory.
    #[error(
        "refusing to follow the symbolic link {}: `schemas` never writes, removes or reads through one",
        shown(path)
    )]
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// The previous `index.json` is not one `schemas` writes, or lists a file it must not delete.
    #[error("{}: {why}; refusing to use it", shown(index))]
    Index {
        /// The index file.
        index: PathBuf,
        /// What is wrong, naming the entry (escaped for the terminal).
        why: String,
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

/// A path for a message: it may hold names from a checkout or an index, so terminal controls in it
/// are escaped.
fn shown(path: &std::path::Path) -> String {
    escape(&path.display().to_string()).into_owned()
}

impl PublishError {
    fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> PublishError {
        let path = path.into();
        move |source| PublishError::Io { path, source }
    }
}
