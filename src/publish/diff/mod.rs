//! `diff`: breaking-change detection between two versions of an OpenAPI 3.0 document.
//!
//! Every difference is reported as a [`Change`] with the [`Rule`] that found it, the side it
//! affects (requests, read by the service from callers; responses, read by callers from the
//! service), and an [`Impact`]. The classification follows one principle: a change is compatible
//! when every message that was valid before is still valid for whoever reads it, so
//!
//! - on the request side, accepting more (widening) is compatible and accepting less breaks
//!   callers: a new required parameter, a narrower enum, tighter bounds, a removed parameter;
//! - on the response side, sending less (narrowing) is compatible and sending more breaks readers:
//!   a removed field, a field that became optional or nullable, a changed type.
//!
//! Widening a response in ways only a validating reader notices (new enum values, looser bounds or
//! patterns, an object that stops being closed, a new field in a closed object) is
//! [`Impact::StrictReaders`]: it breaks readers with closed enums or strict validators (such as the
//! previously published schemas), but not this crate's tolerant reader, whose enums are open and
//! which ignores unknown fields, bounds and patterns. It counts as breaking with `strict`.
//!
//! `$ref`s are resolved (to any `#/...` pointer of the same document), `allOf` with a single
//! `$ref` is read as that schema with the wrapper's keywords on top, and each pair of schemas is
//! compared once per place (a parameter, a body's media type, a header): recursive schemas
//! terminate, and a schema graph whose references fan out costs its size, not its number of
//! paths. Input is bounded: [`MAX_SPEC_BYTES`] per file, [`MAX_NESTING`] levels of YAML or JSON,
//! [`MAX_SCHEMA_DEPTH`] levels of schemas.
//!
//! The parts: [`load`](fn@load) reads a spec within its limits; `document` reads what one
//! document says (operations, parameters, security); the walker (`walk`) matches operations,
//! parameters, bodies, responses and security between the two documents; `schema` compares the
//! schemas it finds there, through `refs` (`$ref` resolution); each difference is classified by a
//! [`Rule`] (`rule`) into the [`Report`] (`report`).

mod document;
mod load;
mod refs;
mod report;
mod rule;
mod schema;
mod walk;

use std::collections::HashSet;
use std::path::PathBuf;

use serde_json::Value;

pub use load::{MAX_NESTING, MAX_SPEC_BYTES, baseline_in, load};
pub use report::{Bump, Change, Impact, Report, Side};
pub use rule::{Policy, Rule};
pub use schema::MAX_SCHEMA_DEPTH;

use super::PublishError;
use crate::common::terminal::escape;
use walk::Differ;

/// What stops a diff from running (as opposed to finding breaking changes).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    /// The file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_SPEC_BYTES`].
    #[error("{} is larger than {limit} bytes; diff reads specs up to that size", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The file is not UTF-8 text.
    #[error("{} is not UTF-8 text (invalid byte at offset {offset})", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Where the first invalid byte is.
        offset: usize,
    },
    /// The file nests mappings and sequences deeper than [`MAX_NESTING`].
    #[error(
        "{} nests deeper than {limit} levels at line {line} column {column}; diff refuses it",
        path.display()
    )]
    TooDeep {
        /// The file.
        path: PathBuf,
        /// Where the nesting passed the limit (1-based).
        line: usize,
        /// The column there (1-based).
        column: usize,
        /// The limit.
        limit: usize,
    },
    /// The file is not YAML (or JSON), as the nesting check read it.
    #[error("{} is not valid YAML or JSON", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The scanner's message, with line and column.
        #[source]
        source: saphyr_parser::ScanError,
    },
    /// The file is neither YAML nor JSON.
    #[error("{} is not valid YAML or JSON", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        #[source]
        source: crate::yaml::YamlError,
    },
    /// The file parsed but is not an OpenAPI 3 document.
    #[error("{} is not an OpenAPI 3 document: {why}", path.display())]
    NotOpenApi {
        /// The file.
        path: PathBuf,
        /// What is missing.
        why: String,
    },
    /// Schemas nest deeper than [`MAX_SCHEMA_DEPTH`] (through properties, items, variants and
    /// `$ref`s to ever new schemas).
    #[error(
        "schemas nest deeper than {limit} levels at {}; diff refuses to compare them",
        escape(at)
    )]
    SchemaTooDeep {
        /// The operation and location where the walk stopped, as a change would name them.
        at: String,
        /// The limit.
        limit: usize,
    },
    /// A directory of release copies has none to compare with.
    #[error(
        "{} holds no release copy to compare version {version} with",
        dir.display()
    )]
    NoBaseline {
        /// The directory.
        dir: PathBuf,
        /// The new document's `info.version`.
        version: String,
    },
    /// A directory of release copies could not be listed.
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// Every change from `old` to `new` (both OpenAPI 3 documents as JSON values).
///
/// The work is linear in the size of the documents for each place a schema sits (a parameter, a
/// body's media type, a header): each pair of schemas (after `$ref`s) is compared once per place,
/// so a change inside a schema used at several places of one body is reported at the first of them
/// in document order, and a schema graph whose references fan out costs what its size costs, not
/// what its paths do. Fails with [`DiffError::SchemaTooDeep`] when schemas nest deeper than
/// [`MAX_SCHEMA_DEPTH`].
pub fn diff(old: &Value, new: &Value) -> Result<Report, DiffError> {
    let mut differ = Differ {
        old,
        new,
        changes: Vec::new(),
        compared: HashSet::new(),
        depth: 0,
        too_deep: None,
    };
    differ.document();
    if let Some(at) = differ.too_deep {
        return Err(DiffError::SchemaTooDeep {
            at,
            limit: MAX_SCHEMA_DEPTH,
        });
    }
    let mut changes = differ.changes;
    changes.sort_by(|a, b| {
        (a.side, &a.operation, &a.location, a.rule, &a.message).cmp(&(
            b.side,
            &b.operation,
            &b.location,
            b.rule,
            &b.message,
        ))
    });
    changes.dedup();
    let version = |doc: &Value| {
        doc.pointer("/info/version")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    Ok(Report {
        old_version: version(old),
        new_version: version(new),
        changes,
    })
}
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[test]
    fn reference_loops_and_recursive_schemas_terminate() {
        let doc = |extra: Value| {
            json!({
                "openapi": "3.0.3", "info": {"title": "t", "version": "1.0.0"},
                "paths": {"/a": {"get": {"responses": {"200": {"description": "ok",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}}},
                "components": {"schemas": {
                    "A": {"$ref": "#/components/schemas/B"},
                    "B": {"$ref": "#/components/schemas/A"},
                    "N": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/N"},
                          "extra": extra}}
                }}
            })
        };
        let (old, new) = (
            doc(json!({"type": "string"})),
            doc(json!({"type": "integer"})),
        );
        assert!(diff(&old, &old).expect("compares").changes.is_empty());
        // N is not used by an operation: only the published component set is compared.
        assert!(diff(&old, &new).expect("compares").changes.is_empty());
    }
}
