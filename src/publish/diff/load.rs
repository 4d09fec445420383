//! Reading a spec file for `diff`, within its limits, and finding the release copy to compare with.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::DiffError;
use crate::publish::Version;

/// The largest spec file [`load`] reads: real specs are well under 1 MiB (ours are about 30 KB),
/// and the parsers' work grows with the size: a 16 MiB file nested 128 levels deep everywhere took
/// serde_yaml 17 s and 2.7 GB, so the cap is 4 MiB.
pub const MAX_SPEC_BYTES: u64 = 4 * 1024 * 1024;

/// The deepest nesting of mappings and sequences [`load`] accepts (serde_yaml's recursion limit,
/// and [`crate::yaml::MAX_DEPTH`]). Checked in a first linear pass that names the line and column:
/// with serde_yaml (libyaml), 200 KB of `[[[[...` took 17 s before its own limit applied.
pub const MAX_NESTING: usize = 128;

/// Reads an OpenAPI document (YAML or JSON) from `path`: at most [`MAX_SPEC_BYTES`], UTF-8,
/// nested at most [`MAX_NESTING`] levels.
pub fn load(path: &Path) -> Result<Value, DiffError> {
    let read_error = |source| DiffError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut bytes = Vec::new();
    // One byte more than the limit tells a file at the limit from a larger one, without reading
    // (or trusting the metadata of) the rest.
    file.take(MAX_SPEC_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(DiffError::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_SPEC_BYTES,
        });
    }
    let text = std::str::from_utf8(&bytes).map_err(|e| DiffError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.valid_up_to(),
    })?;
    check_nesting(path, text)?;
    let document: Value = crate::yaml::from_str(text).map_err(|source| DiffError::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    let not_openapi = |why: &str| DiffError::NotOpenApi {
        path: path.to_path_buf(),
        why: why.to_owned(),
    };
    let Some(root) = document.as_object() else {
        return Err(not_openapi("the top level is not a mapping"));
    };
    match root.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with('3') => {}
        Some(v) => return Err(not_openapi(&format!("openapi is {v:?}, not 3.x"))),
        None => return Err(not_openapi("no `openapi` version string")),
    }
    if !root.get("info").is_some_and(Value::is_object) {
        return Err(not_openapi("no `info` object"));
    }
    if root.get("paths").is_some_and(|p| !p.is_object()) {
        return Err(not_openapi("`paths` is not a mapping"));
    }
    Ok(document)
}

/// Refuses `text` when mappings and sequences nest deeper than [`MAX_NESTING`], before serde_yaml
/// sees it. saphyr-parser pulls events one at a time and caps its own flow nesting at 255, so this
/// pass stays linear in the size of the input whatever its nesting; it also decides syntax errors,
/// so a document it cannot read never reaches libyaml.
fn check_nesting(path: &Path, text: &str) -> Result<(), DiffError> {
    let too_deep = |line: usize, column: usize| DiffError::TooDeep {
        path: path.to_path_buf(),
        line,
        column,
        limit: MAX_NESTING,
    };
    let mut parser = saphyr_parser::Parser::new_from_str(text);
    let mut depth = 0usize;
    while let Some(event) = parser.next_event() {
        let (event, span) = match event {
            Ok(found) => found,
            Err(error) if error.info() == "recursion limit exceeded" => {
                let at = error.marker();
                return Err(too_deep(at.line(), at.col() + 1));
            }
            Err(source) => {
                return Err(DiffError::Syntax {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        match event {
            saphyr_parser::Event::SequenceStart(..) | saphyr_parser::Event::MappingStart(..) => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(too_deep(span.start.line(), span.start.col() + 1));
                }
            }
            saphyr_parser::Event::SequenceEnd | saphyr_parser::Event::MappingEnd => {
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    Ok(())
}

/// The release copy in `dir` that `new` (a document) is checked against; see
/// [`crate::publish::export::baseline`].
pub fn baseline_in(dir: &Path, new: &Value) -> Result<PathBuf, DiffError> {
    let text = new
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let no_baseline = || DiffError::NoBaseline {
        dir: dir.to_path_buf(),
        version: text.to_owned(),
    };
    let version = Version::parse(text).ok_or_else(no_baseline)?;
    crate::publish::export::baseline(dir, version)?.ok_or_else(no_baseline)
}
