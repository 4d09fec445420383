//! `diff`: breaking-change detection between two versions of an OpenAPI 3.0 document.
//!
//! Every difference is reported as a [`Change`] with a rule id, the side it affects (requests,
//! read by the service from callers; responses, read by callers from the service), and an
//! [`Impact`]. The classification follows one principle: a change is compatible when every message
//! that was valid before is still valid for whoever reads it, so
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

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use super::{PublishError, Version};
use crate::common::terminal::escape;

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

/// The largest spec file [`load`] reads: real specs are well under 1 MiB (ours are about 30 KB),
/// and the parsers' work grows with the size: a 16 MiB file nested 128 levels deep everywhere took
/// serde_yaml 17 s and 2.7 GB, so the cap is 4 MiB.
pub const MAX_SPEC_BYTES: u64 = 4 * 1024 * 1024;

/// The deepest nesting of mappings and sequences [`load`] accepts (serde_yaml's recursion limit,
/// and [`crate::yaml::MAX_DEPTH`]). Checked in a first linear pass that names the line and column:
/// with serde_yaml (libyaml), 200 KB of `[[[[...` took 17 s before its own limit applied.
pub const MAX_NESTING: usize = 128;

/// How deep [`diff`] follows schemas into each other (properties, items, variants and `$ref`s):
/// every level is one frame of a recursive walk, and real specs nest a dozen levels.
pub const MAX_SCHEMA_DEPTH: usize = 128;

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

/// Which messages a change affects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// What callers send: operations, parameters, request bodies, security.
    Request,
    /// What callers read: statuses, bodies, headers, published component schemas.
    Response,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Request => "request",
            Side::Response => "response",
        })
    }
}

/// How bad a change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Impact {
    /// Breaks existing callers or readers: a major version.
    Breaking,
    /// Breaks only readers that reject what they do not know (closed enums, strict validation);
    /// not this crate's tolerant reader. A minor version, or major with `strict`.
    StrictReaders,
    /// Existing callers and readers keep working: a minor version.
    Compatible,
    /// Descriptions, examples, extensions: a patch version.
    Documentation,
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Impact::Breaking => "breaking",
            Impact::StrictReaders => "strict-readers",
            Impact::Compatible => "compatible",
            Impact::Documentation => "documentation",
        })
    }
}

/// The semantic version bump a set of changes needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bump {
    /// Nothing changed.
    None,
    /// Documentation only.
    Patch,
    /// Compatible changes.
    Minor,
    /// Breaking changes.
    Major,
}

impl fmt::Display for Bump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        })
    }
}

/// One difference between the two documents.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// Which messages it affects.
    pub side: Side,
    /// How bad it is.
    pub impact: Impact,
    /// `METHOD /path` of the operation, or `components`/`info`/`servers` for document-wide parts.
    pub operation: String,
    /// Where: `query parameter limit`, `response 200 application/json: operation_logs[].status`.
    pub location: String,
    /// The rule that classified it, such as `enum-widened` (README, "diff policy").
    pub rule: &'static str,
    /// What changed, readably.
    pub message: String,
}

/// Every change between two documents, sorted by side, operation and location.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// `info.version` of the old document.
    pub old_version: Option<String>,
    /// `info.version` of the new document.
    pub new_version: Option<String>,
    /// The changes.
    pub changes: Vec<Change>,
}

impl Report {
    /// The changes that count as breaking; with `strict`, those that break strict readers too.
    pub fn breaking(&self, strict: bool) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(move |c| is_breaking(c.impact, strict))
    }

    /// The bump these changes need.
    pub fn bump(&self, strict: bool) -> Bump {
        self.changes
            .iter()
            .map(|c| match c.impact {
                Impact::Breaking => Bump::Major,
                Impact::StrictReaders if strict => Bump::Major,
                Impact::StrictReaders | Impact::Compatible => Bump::Minor,
                Impact::Documentation => Bump::Patch,
            })
            .max()
            .unwrap_or(Bump::None)
    }

    /// Whether the new `info.version` raises the old one's major; `None` when either is not
    /// `MAJOR.MINOR.PATCH`.
    pub fn major_raised(&self) -> Option<bool> {
        let old = Version::parse(self.old_version.as_deref()?)?;
        let new = Version::parse(self.new_version.as_deref()?)?;
        Some(new.major > old.major)
    }

    /// Whether the change set may be published: no breaking change, or the major was raised.
    pub fn version_allows(&self, strict: bool) -> bool {
        self.breaking(strict).next().is_none() || self.major_raised() == Some(true)
    }

    /// The report for machines: versions, counts, the suggested bump, whether the version
    /// allows the changes, and every change.
    pub fn to_json(&self, strict: bool) -> Value {
        serde_json::json!({
            "old_version": self.old_version,
            "new_version": self.new_version,
            "strict": strict,
            "breaking": self.breaking(strict).count(),
            "bump": self.bump(strict),
            "major_raised": self.major_raised(),
            "version_allows": self.version_allows(strict),
            "changes": self.changes,
        })
    }

    /// The report for people: the changes grouped by side, then a summary and the suggested bump.
    /// Text from the specs is escaped for a terminal (`common::terminal`).
    pub fn to_text(&self, strict: bool) -> String {
        let mut out = String::new();
        for (side, heading) in [
            (Side::Request, "Requests (what callers send)"),
            (Side::Response, "Responses (what callers read)"),
        ] {
            let changes: Vec<&Change> = self.changes.iter().filter(|c| c.side == side).collect();
            if changes.is_empty() {
                out.push_str(&format!("{heading}: no changes\n"));
                continue;
            }
            out.push_str(&format!("{heading}:\n"));
            for c in changes {
                let at = if c.location.is_empty() {
                    c.operation.clone()
                } else {
                    format!("{}  {}", c.operation, c.location)
                };
                // Paths, property names and messages come from the specs: a terminal must not
                // act on a control character in them (a newline would forge a line of the report).
                out.push_str(&format!(
                    "  {:<14} {}: {} [{}]\n",
                    c.impact.to_string(),
                    escape(&at),
                    escape(&c.message),
                    c.rule
                ));
            }
        }
        let count = |side: Option<Side>, impact: Impact| {
            self.changes
                .iter()
                .filter(|c| c.impact == impact && side.is_none_or(|s| c.side == s))
                .count()
        };
        out.push_str(&format!(
            "\n{} change(s): {} breaking ({} request, {} response), {} breaking only strict readers, {} compatible, {} documentation\n",
            self.changes.len(),
            count(None, Impact::Breaking),
            count(Some(Side::Request), Impact::Breaking),
            count(Some(Side::Response), Impact::Breaking),
            count(None, Impact::StrictReaders),
            count(None, Impact::Compatible),
            count(None, Impact::Documentation),
        ));
        let versions = match (&self.old_version, &self.new_version) {
            (Some(old), Some(new)) => format!(" (info.version {old} -> {new})"),
            _ => String::new(),
        };
        let mode = if strict { ", strict readers" } else { "" };
        out.push_str(&format!(
            "suggested bump: {}{versions}{mode}\n",
            self.bump(strict)
        ));
        out
    }
}

fn is_breaking(impact: Impact, strict: bool) -> bool {
    impact == Impact::Breaking || (strict && impact == Impact::StrictReaders)
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

/// The release copy in `dir` that `new` (a document) is checked against; see
/// [`super::export::baseline`].
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
    super::export::baseline(dir, version)?.ok_or_else(no_baseline)
}

/// Every rule a [`Change`] can name, with what it covers and how it is classified. The README's
/// "diff policy" is this table; a test checks that each rule has a fixture pair.
pub const RULES: [(&str, &str); 38] = [
    ("operation-removed", "an operation is gone: breaking"),
    ("operation-added", "a new operation: compatible"),
    ("parameter-removed", "a parameter is gone: breaking"),
    (
        "parameter-added",
        "a new parameter: breaking if required, else compatible",
    ),
    (
        "parameter-style-changed",
        "style, explode or allowReserved changed: breaking",
    ),
    (
        "required-added",
        "a parameter, body or property became required: breaking for requests, compatible for responses",
    ),
    (
        "required-removed",
        "a parameter, body or property became optional: compatible for requests, breaking for responses",
    ),
    ("request-body-removed", "the request body is gone: breaking"),
    (
        "request-body-added",
        "a request body: breaking if required, else compatible",
    ),
    (
        "media-type-removed",
        "a request or response media type is gone: breaking",
    ),
    ("media-type-added", "a new media type: compatible"),
    (
        "status-removed",
        "a documented response status is gone: breaking",
    ),
    ("status-added", "a new response status: compatible"),
    ("header-removed", "a response header is gone: breaking"),
    ("header-added", "a new response header: compatible"),
    (
        "security-requirement-removed",
        "a way to authenticate is no longer accepted: breaking",
    ),
    (
        "security-requirement-added",
        "a new way to authenticate is accepted: compatible",
    ),
    (
        "security-scheme-changed",
        "a security scheme's type, location or name changed: breaking",
    ),
    (
        "component-removed",
        "a component schema (a published schema file) is gone: breaking",
    ),
    ("component-added", "a new component schema: compatible"),
    (
        "type-changed",
        "type changed: widening breaks responses, narrowing breaks requests",
    ),
    (
        "nullable-added",
        "null allowed: breaks responses, compatible for requests",
    ),
    (
        "nullable-removed",
        "null no longer allowed: breaks requests, compatible for responses",
    ),
    (
        "enum-widened",
        "enum values added or the enum dropped: compatible for requests, strict readers only for responses",
    ),
    (
        "enum-narrowed",
        "enum values removed or an enum added: breaks requests, compatible for responses",
    ),
    (
        "bounds-tightened",
        "a minimum, maximum, length, item count, uniqueness or multipleOf tightened: breaks requests, compatible for responses",
    ),
    (
        "bounds-loosened",
        "such a bound loosened or dropped: compatible for requests, strict readers only for responses",
    ),
    (
        "pattern-changed",
        "pattern added (narrows), removed (widens) or changed (both): requests break on narrowing, responses break strict readers on widening",
    ),
    (
        "format-changed",
        "format added, removed or changed (int32 to int64 widens): typed readers and callers see it, so no strict-readers leniency",
    ),
    (
        "default-changed",
        "default changed: breaking for requests (callers that omit the value get other behaviour), documentation for responses",
    ),
    (
        "property-removed",
        "an object property is gone: breaking on both sides",
    ),
    (
        "property-added",
        "a new property: breaking in requests if required, else compatible; in responses strict readers only if the object was closed, else compatible",
    ),
    (
        "additional-properties-opened",
        "unknown properties now allowed: compatible for requests, strict readers only for responses",
    ),
    (
        "additional-properties-closed",
        "unknown properties no longer allowed: breaks requests, compatible for responses",
    ),
    (
        "variant-added",
        "a oneOf/anyOf branch added (widens) or an allOf member added (narrows)",
    ),
    (
        "variant-removed",
        "a oneOf/anyOf branch removed (narrows) or an allOf member removed (widens)",
    ),
    (
        "keyword-changed",
        "any other schema keyword changed: breaking, until a rule says otherwise",
    ),
    (
        "documentation-changed",
        "descriptions, summaries, examples, x- extensions, servers: documentation",
    ),
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Keys that document but do not change what goes over the wire. `operationId` and `tags` name
/// generated methods and group operations; `license`, `contact` and `termsOfService` are `info`'s.
const DOC_KEYS: [&str; 13] = [
    "title",
    "summary",
    "description",
    "example",
    "examples",
    "deprecated",
    "externalDocs",
    "xml",
    "operationId",
    "tags",
    "license",
    "contact",
    "termsOfService",
];

/// Schema keywords compared by their own rule; any other differing keyword is `keyword-changed`.
const SCHEMA_KEYS: [&str; 26] = [
    "$ref",
    "type",
    "nullable",
    "enum",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "multipleOf",
    "uniqueItems",
    "pattern",
    "format",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "oneOf",
    "anyOf",
    "allOf",
    "default",
];

/// Lower bounds: raising one tightens. Upper bounds: lowering one tightens.
const LOWER_BOUNDS: [&str; 4] = ["minimum", "minLength", "minItems", "minProperties"];
const UPPER_BOUNDS: [&str; 4] = ["maximum", "maxLength", "maxItems", "maxProperties"];

const MAX_REF_HOPS: usize = 32;

/// Whether a change lets more values through (widens), fewer (narrows), or neither cleanly.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Widened,
    Narrowed,
    Changed,
}

/// The impact of a change of `shape` on `side`; `tolerated` marks what this crate's reader
/// ignores (enums, bounds, patterns, unknown fields).
fn classify(side: Side, shape: Shape, tolerated: bool) -> Impact {
    match (side, shape) {
        (Side::Request, Shape::Widened) => Impact::Compatible,
        (Side::Request, _) => Impact::Breaking,
        (Side::Response, Shape::Narrowed) => Impact::Compatible,
        (Side::Response, _) if tolerated => Impact::StrictReaders,
        (Side::Response, _) => Impact::Breaking,
    }
}

/// Where in an operation a schema sits.
struct Ctx<'c> {
    side: Side,
    operation: &'c str,
    place: &'c str,
}

/// A schema's keywords, borrowed from its document (with an `allOf` wrapper's on top, see
/// [`resolve`]). Borrowed, not cloned: the nodes below keep their place in the document, which is
/// what [`Differ::compared`] tells them apart by.
type Keywords<'a> = BTreeMap<&'a str, &'a Value>;

/// A schema node for [`Differ::compared`]: its address in its document, after `$ref`s.
type Node = *const Value;

struct Differ<'a> {
    old: &'a Value,
    new: &'a Value,
    changes: Vec<Change>,
    /// The pairs of schemas compared at the current place ([`Differ::schema_pair`]): a pair met
    /// again, deeper (a recursive schema) or elsewhere (a shared component), is not walked again.
    compared: HashSet<(Node, Node)>,
    /// How many schemas deep the walk is.
    depth: usize,
    /// Where the walk passed [`MAX_SCHEMA_DEPTH`], if it did.
    too_deep: Option<String>,
}

impl<'a> Differ<'a> {
    fn push(
        &mut self,
        ctx: &Ctx<'_>,
        path: &str,
        rule: &'static str,
        impact: Impact,
        message: String,
    ) {
        let location = match (ctx.place.is_empty(), path.is_empty()) {
            (_, true) => ctx.place.to_owned(),
            (true, false) => path.to_owned(),
            (false, false) => format!("{}: {path}", ctx.place),
        };
        self.changes.push(Change {
            side: ctx.side,
            impact,
            operation: ctx.operation.to_owned(),
            location,
            rule,
            message,
        });
    }

    fn document(&mut self) {
        let (old, new) = (self.old, self.new);
        let info = Ctx {
            side: Side::Response,
            operation: "info",
            place: "",
        };
        self.documentation(&info, "", old.get("info"), new.get("info"), &[]);
        if old.get("servers") != new.get("servers") {
            self.push(
                &Ctx {
                    side: Side::Request,
                    operation: "servers",
                    place: "",
                },
                "",
                "documentation-changed",
                Impact::Documentation,
                "servers changed (clients take their base URL from configuration)".into(),
            );
        }
        let root = Ctx {
            side: Side::Request,
            operation: "document",
            place: "",
        };
        let empty = Map::new();
        let (old_root, new_root) = (
            old.as_object().unwrap_or(&empty),
            new.as_object().unwrap_or(&empty),
        );
        let compared = ["info", "servers", "paths", "components", "security"];
        let keys: BTreeSet<&String> = old_root.keys().chain(new_root.keys()).collect();
        let changed: Vec<&str> = keys
            .into_iter()
            .filter(|k| !compared.contains(&k.as_str()) && old_root.get(*k) != new_root.get(*k))
            .map(String::as_str)
            .collect();
        if !changed.is_empty() {
            self.push(
                &root,
                "",
                "documentation-changed",
                Impact::Documentation,
                format!("{} changed", changed.join(", ")),
            );
        }
        self.operations();
        self.security_schemes();
        self.components();
    }

    fn operations(&mut self) {
        let old_ops = operations(self.old);
        let new_ops = operations(self.new);
        for (key, old_op) in &old_ops {
            match new_ops.get(key) {
                None => {
                    let ctx = Ctx {
                        side: Side::Request,
                        operation: &old_op.label,
                        place: "",
                    };
                    self.push(
                        &ctx,
                        "",
                        "operation-removed",
                        Impact::Breaking,
                        "operation removed".into(),
                    );
                }
                Some(new_op) => self.operation(old_op, new_op),
            }
        }
        for (key, new_op) in &new_ops {
            if !old_ops.contains_key(key) {
                let ctx = Ctx {
                    side: Side::Request,
                    operation: &new_op.label,
                    place: "",
                };
                self.push(
                    &ctx,
                    "",
                    "operation-added",
                    Impact::Compatible,
                    "operation added".into(),
                );
            }
        }
    }

    fn operation(&mut self, old: &Operation<'a>, new: &Operation<'a>) {
        let label = new.label.as_str();
        let ctx = Ctx {
            side: Side::Request,
            operation: label,
            place: "",
        };
        self.documentation(&ctx, "", Some(old.operation), Some(new.operation), &[]);
        self.parameters(label, old, new);
        self.request_body(
            label,
            old.operation.get("requestBody"),
            new.operation.get("requestBody"),
        );
        self.security(label, old.operation, new.operation);
        self.responses(
            label,
            old.operation.get("responses"),
            new.operation.get("responses"),
        );
    }

    fn parameters(&mut self, label: &str, old: &Operation<'a>, new: &Operation<'a>) {
        let old_params = parameters(self.old, old);
        let new_params = parameters(self.new, new);
        let required = |p: &Value| p.get("required") == Some(&Value::Bool(true));
        for (key, (old_name, old_param)) in &old_params {
            let location = key.0.as_str();
            let Some((new_name, new_param)) = new_params.get(key) else {
                let place = format!("{location} parameter {old_name}");
                let ctx = Ctx {
                    side: Side::Request,
                    operation: label,
                    place: &place,
                };
                self.push(
                    &ctx,
                    "",
                    "parameter-removed",
                    Impact::Breaking,
                    "parameter removed (callers that send it are rejected or ignored)".into(),
                );
                continue;
            };
            let place = format!("{location} parameter {new_name}");
            let ctx = Ctx {
                side: Side::Request,
                operation: label,
                place: &place,
            };
            match (required(old_param), required(new_param)) {
                (false, true) => self.push(
                    &ctx,
                    "",
                    "required-added",
                    Impact::Breaking,
                    "parameter became required".into(),
                ),
                (true, false) => self.push(
                    &ctx,
                    "",
                    "required-removed",
                    Impact::Compatible,
                    "parameter became optional".into(),
                ),
                _ => {}
            }
            let old_style = serialisation(location, old_param);
            let new_style = serialisation(location, new_param);
            if old_style != new_style {
                self.push(
                    &ctx,
                    "",
                    "parameter-style-changed",
                    Impact::Breaking,
                    format!("serialisation changed from {old_style} to {new_style}"),
                );
            }
            self.documentation(&ctx, "", Some(old_param), Some(new_param), &[]);
            self.schema_pair(
                &ctx,
                parameter_schema(old_param),
                parameter_schema(new_param),
            );
        }
        for (key, (name, new_param)) in &new_params {
            if old_params.contains_key(key) {
                continue;
            }
            let place = format!("{} parameter {name}", key.0);
            let ctx = Ctx {
                side: Side::Request,
                operation: label,
                place: &place,
            };
            let (impact, what) = if required(new_param) {
                (
                    Impact::Breaking,
                    "required parameter added (existing callers do not send it)",
                )
            } else {
                (Impact::Compatible, "optional parameter added")
            };
            self.push(&ctx, "", "parameter-added", impact, what.into());
        }
    }

    fn request_body(&mut self, label: &str, old: Option<&'a Value>, new: Option<&'a Value>) {
        let old = old.map(|b| deref(self.old, b));
        let new = new.map(|b| deref(self.new, b));
        let ctx = Ctx {
            side: Side::Request,
            operation: label,
            place: "request body",
        };
        let required = |b: &Value| b.get("required") == Some(&Value::Bool(true));
        match (old, new) {
            (None, None) => {}
            (Some(_), None) => self.push(
                &ctx,
                "",
                "request-body-removed",
                Impact::Breaking,
                "request body removed (callers that send one are rejected or ignored)".into(),
            ),
            (None, Some(new)) => {
                let (impact, what) = if required(new) {
                    (Impact::Breaking, "required request body added")
                } else {
                    (Impact::Compatible, "optional request body added")
                };
                self.push(&ctx, "", "request-body-added", impact, what.into());
            }
            (Some(old), Some(new)) => {
                match (required(old), required(new)) {
                    (false, true) => self.push(
                        &ctx,
                        "",
                        "required-added",
                        Impact::Breaking,
                        "request body became required".into(),
                    ),
                    (true, false) => self.push(
                        &ctx,
                        "",
                        "required-removed",
                        Impact::Compatible,
                        "request body became optional".into(),
                    ),
                    _ => {}
                }
                self.documentation(&ctx, "", Some(old), Some(new), &["content", "required"]);
                self.content(
                    label,
                    Side::Request,
                    "request body",
                    old.get("content"),
                    new.get("content"),
                );
            }
        }
    }

    /// Media types of a request body or response, and their schemas.
    fn content(
        &mut self,
        label: &str,
        side: Side,
        place: &str,
        old: Option<&'a Value>,
        new: Option<&'a Value>,
    ) {
        let (old, new) = (object_or_empty(old), object_or_empty(new));
        let ctx = Ctx {
            side,
            operation: label,
            place,
        };
        for (media, old_media) in old {
            let Some(new_media) = new.get(media) else {
                let what = match side {
                    Side::Request => "callers that send it are rejected",
                    Side::Response => "readers expecting it get nothing they know",
                };
                self.push(
                    &ctx,
                    "",
                    "media-type-removed",
                    Impact::Breaking,
                    format!("media type {media} removed ({what})"),
                );
                continue;
            };
            let media_place = format!("{place} {media}");
            let media_ctx = Ctx {
                side,
                operation: label,
                place: &media_place,
            };
            self.documentation(
                &media_ctx,
                "",
                Some(old_media),
                Some(new_media),
                &["schema", "encoding"],
            );
            self.schema_pair(&media_ctx, old_media.get("schema"), new_media.get("schema"));
        }
        for media in new.keys().filter(|m| !old.contains_key(*m)) {
            self.push(
                &ctx,
                "",
                "media-type-added",
                Impact::Compatible,
                format!("media type {media} added"),
            );
        }
    }

    fn responses(&mut self, label: &str, old: Option<&'a Value>, new: Option<&'a Value>) {
        let (old, new) = (object_or_empty(old), object_or_empty(new));
        for (status, old_response) in old {
            let place = format!("response {status}");
            let ctx = Ctx {
                side: Side::Response,
                operation: label,
                place: &place,
            };
            let Some(new_response) = new.get(status) else {
                self.push(
                    &ctx,
                    "",
                    "status-removed",
                    Impact::Breaking,
                    "documented response status removed (readers handling it lose its contract)"
                        .into(),
                );
                continue;
            };
            let old_response = deref(self.old, old_response);
            let new_response = deref(self.new, new_response);
            self.documentation(
                &ctx,
                "",
                Some(old_response),
                Some(new_response),
                &["content", "headers", "links"],
            );
            self.headers(
                &ctx,
                old_response.get("headers"),
                new_response.get("headers"),
            );
            self.content(
                label,
                Side::Response,
                &place,
                old_response.get("content"),
                new_response.get("content"),
            );
        }
        for status in new.keys().filter(|s| !old.contains_key(*s)) {
            let place = format!("response {status}");
            let ctx = Ctx {
                side: Side::Response,
                operation: label,
                place: &place,
            };
            self.push(
                &ctx,
                "",
                "status-added",
                Impact::Compatible,
                "response status added".into(),
            );
        }
    }

    fn headers(&mut self, ctx: &Ctx<'_>, old: Option<&'a Value>, new: Option<&'a Value>) {
        let (old, new) = (object_or_empty(old), object_or_empty(new));
        for (name, old_header) in old {
            let Some(new_header) = new.get(name) else {
                self.push(
                    ctx,
                    "",
                    "header-removed",
                    Impact::Breaking,
                    format!("header {name} removed"),
                );
                continue;
            };
            let place = format!("{} header {name}", ctx.place);
            let header_ctx = Ctx {
                side: ctx.side,
                operation: ctx.operation,
                place: &place,
            };
            let old_header = deref(self.old, old_header);
            let new_header = deref(self.new, new_header);
            self.documentation(
                &header_ctx,
                "",
                Some(old_header),
                Some(new_header),
                &["schema", "required", "style", "explode"],
            );
            self.schema_pair(
                &header_ctx,
                old_header.get("schema"),
                new_header.get("schema"),
            );
        }
        for name in new.keys().filter(|n| !old.contains_key(*n)) {
            self.push(
                ctx,
                "",
                "header-added",
                Impact::Compatible,
                format!("header {name} added"),
            );
        }
    }

    fn security(&mut self, label: &str, old_op: &Value, new_op: &Value) {
        let old = security_alternatives(self.old, old_op);
        let new = security_alternatives(self.new, new_op);
        let ctx = Ctx {
            side: Side::Request,
            operation: label,
            place: "security",
        };
        for gone in old.difference(&new) {
            self.push(
                &ctx,
                "",
                "security-requirement-removed",
                Impact::Breaking,
                format!("{} no longer accepted", describe_alternative(gone)),
            );
        }
        for added in new.difference(&old) {
            self.push(
                &ctx,
                "",
                "security-requirement-added",
                Impact::Compatible,
                format!("{} now accepted", describe_alternative(added)),
            );
        }
    }

    fn security_schemes(&mut self) {
        fn schemes(doc: &Value) -> Option<&Map<String, Value>> {
            doc.pointer("/components/securitySchemes")
                .and_then(Value::as_object)
        }
        let (Some(old), Some(new)) = (schemes(self.old), schemes(self.new)) else {
            return;
        };
        for (name, old_scheme) in old {
            let Some(new_scheme) = new.get(name) else {
                continue; // Its removal shows as removed requirements where it was used.
            };
            let place = format!("scheme {name}");
            let ctx = Ctx {
                side: Side::Request,
                operation: "components",
                place: &place,
            };
            let (old_scheme, new_scheme) =
                (deref(self.old, old_scheme), deref(self.new, new_scheme));
            if without_docs(old_scheme) != without_docs(new_scheme) {
                self.push(
                    &ctx,
                    "",
                    "security-scheme-changed",
                    Impact::Breaking,
                    format!(
                        "security scheme changed from {} to {}",
                        compact(&without_docs(old_scheme)),
                        compact(&without_docs(new_scheme))
                    ),
                );
            }
            self.documentation(&ctx, "", Some(old_scheme), Some(new_scheme), &[]);
        }
    }

    /// Component schemas are published one file each (`schemas`): removing one breaks whoever
    /// loads that file. Changes inside them are reported where operations use them.
    fn components(&mut self) {
        let names = |doc: &Value| -> BTreeSet<String> {
            doc.pointer("/components/schemas")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        let (old, new) = (names(self.old), names(self.new));
        let ctx = Ctx {
            side: Side::Response,
            operation: "components",
            place: "",
        };
        for name in old.difference(&new) {
            self.push(
                &ctx,
                &format!("schema {name}"),
                "component-removed",
                Impact::Breaking,
                "component schema removed (its published schema file goes away)".into(),
            );
        }
        for name in new.difference(&old) {
            self.push(
                &ctx,
                &format!("schema {name}"),
                "component-added",
                Impact::Compatible,
                "component schema added".into(),
            );
        }
    }

    /// One `documentation-changed` entry when documenting keywords (or `x-*` extensions) differ.
    /// `skip` lists the keys compared elsewhere.
    fn documentation(
        &mut self,
        ctx: &Ctx<'_>,
        path: &str,
        old: Option<&Value>,
        new: Option<&Value>,
        skip: &[&str],
    ) {
        self.documentation_of(ctx, path, &keywords(old), &keywords(new), skip);
    }

    /// [`Differ::documentation`] of two keyword maps.
    fn documentation_of(
        &mut self,
        ctx: &Ctx<'_>,
        path: &str,
        old: &Keywords<'_>,
        new: &Keywords<'_>,
        skip: &[&str],
    ) {
        let keys: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
        let changed: Vec<&str> = keys
            .into_iter()
            .filter(|k| is_doc_key(k) && !skip.contains(k))
            .filter(|k| old.get(k) != new.get(k))
            .collect();
        if !changed.is_empty() {
            self.push(
                ctx,
                path,
                "documentation-changed",
                Impact::Documentation,
                format!("{} changed", changed.join(", ")),
            );
        }
    }

    /// Compares the schemas at one place (a parameter, a body's media type, a header).
    fn schema_pair(&mut self, ctx: &Ctx<'_>, old: Option<&'a Value>, new: Option<&'a Value>) {
        static ANY: Value = Value::Bool(true);
        self.compared.clear();
        self.schema(ctx, "", old.unwrap_or(&ANY), new.unwrap_or(&ANY));
    }

    fn schema(&mut self, ctx: &Ctx<'_>, path: &str, old: &'a Value, new: &'a Value) {
        if self.too_deep.is_some() {
            return;
        }
        let pair = (
            std::ptr::from_ref(deref(self.old, old)),
            std::ptr::from_ref(deref(self.new, new)),
        );
        if !self.compared.insert(pair) {
            // Compared already: further up (a recursive schema) or at another path of this place
            // (a shared component, whose changes were reported there).
            return;
        }
        if self.depth >= MAX_SCHEMA_DEPTH {
            let at = match (ctx.place.is_empty(), path.is_empty()) {
                (true, _) => format!("{} {path}", ctx.operation),
                (false, true) => format!("{} {}", ctx.operation, ctx.place),
                (false, false) => format!("{} {}: {path}", ctx.operation, ctx.place),
            };
            self.too_deep = Some(at);
            return;
        }
        self.depth += 1;
        let (o, n) = (resolve(self.old, old), resolve(self.new, new));
        self.schema_keywords(ctx, path, &o, &n);
        self.depth -= 1;
    }

    fn schema_keywords(&mut self, ctx: &Ctx<'_>, path: &str, o: &Keywords<'a>, n: &Keywords<'a>) {
        let side = ctx.side;
        self.documentation_of(ctx, path, o, n, &[]);

        // Type, without null: nullability is its own rule.
        let (old_types, new_types) = (types(o), types(n));
        if old_types != new_types {
            let shape = if subset(&old_types, &new_types) {
                Shape::Widened
            } else if subset(&new_types, &old_types) {
                Shape::Narrowed
            } else {
                Shape::Changed
            };
            let verb = match shape {
                Shape::Widened => "widened",
                Shape::Narrowed => "narrowed",
                Shape::Changed => "changed",
            };
            self.push(
                ctx,
                path,
                "type-changed",
                classify(side, shape, false),
                format!(
                    "type {verb} from {} to {}",
                    show_types(&old_types),
                    show_types(&new_types)
                ),
            );
        }
        match (nullable(o), nullable(n)) {
            (false, true) => self.push(
                ctx,
                path,
                "nullable-added",
                classify(side, Shape::Widened, false),
                "became nullable".into(),
            ),
            (true, false) => self.push(
                ctx,
                path,
                "nullable-removed",
                classify(side, Shape::Narrowed, false),
                "no longer nullable".into(),
            ),
            _ => {}
        }

        self.enums(ctx, path, o.get("enum").copied(), n.get("enum").copied());
        self.bounds(ctx, path, o, n);

        match (o.get("pattern").copied(), n.get("pattern").copied()) {
            (a, b) if a == b => {}
            (None, Some(p)) => self.push(
                ctx,
                path,
                "pattern-changed",
                classify(side, Shape::Narrowed, true),
                format!("pattern {} added", compact(p)),
            ),
            (Some(p), None) => self.push(
                ctx,
                path,
                "pattern-changed",
                classify(side, Shape::Widened, true),
                format!("pattern {} removed", compact(p)),
            ),
            (Some(a), Some(b)) => self.push(
                ctx,
                path,
                "pattern-changed",
                classify(side, Shape::Changed, true),
                format!("pattern changed from {} to {}", compact(a), compact(b)),
            ),
            (None, None) => {}
        }

        let (old_format, new_format) = (
            o.get("format").and_then(|f| f.as_str()),
            n.get("format").and_then(|f| f.as_str()),
        );
        if old_format != new_format {
            let shape = match (old_format, new_format) {
                (None, Some(_)) => Shape::Narrowed,
                (Some(_), None) => Shape::Widened,
                (Some("int32"), Some("int64")) | (Some("float"), Some("double")) => Shape::Widened,
                (Some("int64"), Some("int32")) | (Some("double"), Some("float")) => Shape::Narrowed,
                _ => Shape::Changed,
            };
            let show = |f: Option<&str>| f.map_or("none".to_owned(), |f| format!("{f:?}"));
            self.push(
                ctx,
                path,
                "format-changed",
                classify(side, shape, false),
                format!(
                    "format changed from {} to {}",
                    show(old_format),
                    show(new_format)
                ),
            );
        }

        if o.get("default") != n.get("default") {
            let (impact, why) = match side {
                Side::Request => (
                    Impact::Breaking,
                    "callers that omit the value get other behaviour",
                ),
                Side::Response => (Impact::Documentation, "a response default only documents"),
            };
            let show = |v: Option<&&Value>| v.map_or("none".to_owned(), |v| compact(v));
            self.push(
                ctx,
                path,
                "default-changed",
                impact,
                format!(
                    "default changed from {} to {} ({why})",
                    show(o.get("default")),
                    show(n.get("default"))
                ),
            );
        }

        self.objects(ctx, path, o, n);

        if let (Some(a), Some(b)) = (o.get("items"), n.get("items")) {
            self.schema(ctx, &format!("{path}[]"), a, b);
        } else if o.get("items") != n.get("items") {
            self.push(
                ctx,
                path,
                "keyword-changed",
                classify(side, Shape::Changed, false),
                "items added or removed".into(),
            );
        }

        for keyword in ["oneOf", "anyOf", "allOf"] {
            let (a, b) = (o.get(keyword).copied(), n.get(keyword).copied());
            self.variants(ctx, path, keyword, a, b);
        }

        let keys: BTreeSet<&str> = o.keys().chain(n.keys()).copied().collect();
        for key in keys {
            if SCHEMA_KEYS.contains(&key) || is_doc_key(key) {
                continue;
            }
            if o.get(key) != n.get(key) {
                self.push(
                    ctx,
                    path,
                    "keyword-changed",
                    classify(side, Shape::Changed, false),
                    format!(
                        "{key} changed from {} to {}",
                        o.get(key).map_or("none".to_owned(), |v| compact(v)),
                        n.get(key).map_or("none".to_owned(), |v| compact(v))
                    ),
                );
            }
        }
    }

    fn enums(&mut self, ctx: &Ctx<'_>, path: &str, old: Option<&Value>, new: Option<&Value>) {
        let values = |e: Option<&Value>| -> Option<Vec<Value>> {
            e.and_then(Value::as_array)
                .map(|v| v.iter().filter(|x| !x.is_null()).cloned().collect())
        };
        let (old, new) = (values(old), values(new));
        let side = ctx.side;
        let list = |vs: &[&Value]| vs.iter().map(|v| compact(v)).collect::<Vec<_>>().join(", ");
        match (&old, &new) {
            (None, None) => {}
            (Some(_), None) => self.push(
                ctx,
                path,
                "enum-widened",
                classify(side, Shape::Widened, true),
                "enum removed: any value of the type is allowed".into(),
            ),
            (None, Some(values)) => self.push(
                ctx,
                path,
                "enum-narrowed",
                classify(side, Shape::Narrowed, true),
                format!(
                    "enum added: only {}",
                    list(&values.iter().collect::<Vec<_>>())
                ),
            ),
            (Some(old), Some(new)) => {
                let (old_set, new_set) = (canonical_set(old), canonical_set(new));
                let added: Vec<&Value> = new
                    .iter()
                    .filter(|v| !old_set.contains(&v.to_string()))
                    .collect();
                let removed: Vec<&Value> = old
                    .iter()
                    .filter(|v| !new_set.contains(&v.to_string()))
                    .collect();
                if !added.is_empty() {
                    self.push(
                        ctx,
                        path,
                        "enum-widened",
                        classify(side, Shape::Widened, true),
                        format!("enum value(s) added: {}", list(&added)),
                    );
                }
                if !removed.is_empty() {
                    self.push(
                        ctx,
                        path,
                        "enum-narrowed",
                        classify(side, Shape::Narrowed, true),
                        format!("enum value(s) removed: {}", list(&removed)),
                    );
                }
            }
        }
    }

    fn bounds(&mut self, ctx: &Ctx<'_>, path: &str, o: &Keywords<'a>, n: &Keywords<'a>) {
        let side = ctx.side;
        let number = |m: &Keywords<'a>, k: &str| m.get(k).and_then(|v| v.as_f64());
        let report = |this: &mut Self, key: &str, shape: Shape| {
            let show = |m: &Keywords<'a>| m.get(key).map_or("none".to_owned(), |v| compact(v));
            let (rule, verb) = match shape {
                Shape::Narrowed => ("bounds-tightened", "tightened"),
                Shape::Widened => ("bounds-loosened", "loosened"),
                Shape::Changed => ("bounds-tightened", "changed"),
            };
            this.push(
                ctx,
                path,
                rule,
                classify(side, shape, true),
                format!("{key} {verb} from {} to {}", show(o), show(n)),
            );
        };
        for key in LOWER_BOUNDS {
            match (number(o, key), number(n, key)) {
                (a, b) if a == b => {}
                (None, Some(_)) => report(self, key, Shape::Narrowed),
                (Some(_), None) => report(self, key, Shape::Widened),
                (Some(a), Some(b)) if b > a => report(self, key, Shape::Narrowed),
                _ => report(self, key, Shape::Widened),
            }
        }
        for key in UPPER_BOUNDS {
            match (number(o, key), number(n, key)) {
                (a, b) if a == b => {}
                (None, Some(_)) => report(self, key, Shape::Narrowed),
                (Some(_), None) => report(self, key, Shape::Widened),
                (Some(a), Some(b)) if b < a => report(self, key, Shape::Narrowed),
                _ => report(self, key, Shape::Widened),
            }
        }
        // OpenAPI 3.0 exclusive bounds are flags on minimum/maximum; 3.1's are numbers. A flag
        // turned on tightens; a number is a bound like the others.
        for (key, raising_tightens) in [("exclusiveMinimum", true), ("exclusiveMaximum", false)] {
            match (o.get(key).copied(), n.get(key).copied()) {
                (a, b) if a == b => {}
                (None | Some(Value::Bool(false)), Some(Value::Bool(true))) => {
                    report(self, key, Shape::Narrowed)
                }
                (Some(Value::Bool(true)), None | Some(Value::Bool(false))) => {
                    report(self, key, Shape::Widened)
                }
                (a, b) => match (a.and_then(Value::as_f64), b.and_then(Value::as_f64)) {
                    (None, Some(_)) => report(self, key, Shape::Narrowed),
                    (Some(_), None) => report(self, key, Shape::Widened),
                    (Some(a), Some(b)) if (b > a) == raising_tightens => {
                        report(self, key, Shape::Narrowed)
                    }
                    (Some(_), Some(_)) => report(self, key, Shape::Widened),
                    (None, None) => report(self, key, Shape::Changed),
                },
            }
        }
        match (o.get("uniqueItems").copied(), n.get("uniqueItems").copied()) {
            (a, b) if a == b => {}
            (_, Some(Value::Bool(true))) => report(self, "uniqueItems", Shape::Narrowed),
            _ => report(self, "uniqueItems", Shape::Widened),
        }
        if o.get("multipleOf") != n.get("multipleOf") {
            let shape = match (number(o, "multipleOf"), number(n, "multipleOf")) {
                (None, Some(_)) => Shape::Narrowed,
                (Some(_), None) => Shape::Widened,
                // A multiple of the old step narrows; a divisor of it widens.
                (Some(a), Some(b)) if a != 0.0 && (b / a).fract() == 0.0 => Shape::Narrowed,
                (Some(a), Some(b)) if b != 0.0 && (a / b).fract() == 0.0 => Shape::Widened,
                _ => Shape::Changed,
            };
            report(self, "multipleOf", shape);
        }
    }

    fn objects(&mut self, ctx: &Ctx<'_>, path: &str, o: &Keywords<'a>, n: &Keywords<'a>) {
        let side = ctx.side;
        let properties = |m: &Keywords<'a>| object_or_empty(m.get("properties").copied());
        let (old_props, new_props) = (properties(o), properties(n));
        let required = |m: &Keywords<'a>| -> BTreeSet<String> {
            m.get("required")
                .and_then(|r| r.as_array())
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let (old_required, new_required) = (required(o), required(n));
        let child = |name: &str| {
            if path.is_empty() {
                name.to_owned()
            } else {
                format!("{path}.{name}")
            }
        };
        let old_closed = o.get("additionalProperties").copied() == Some(&Value::Bool(false));
        for (name, old_schema) in old_props {
            let here = child(name);
            let Some(new_schema) = new_props.get(name) else {
                let why = match side {
                    Side::Request => "callers that send it are rejected or ignored",
                    Side::Response => "readers that use it lose it",
                };
                self.push(
                    ctx,
                    &here,
                    "property-removed",
                    Impact::Breaking,
                    format!("property removed ({why})"),
                );
                continue;
            };
            match (old_required.contains(name), new_required.contains(name)) {
                (false, true) => self.push(
                    ctx,
                    &here,
                    "required-added",
                    classify(side, Shape::Narrowed, false),
                    "became required".into(),
                ),
                (true, false) => self.push(
                    ctx,
                    &here,
                    "required-removed",
                    classify(side, Shape::Widened, false),
                    "became optional".into(),
                ),
                _ => {}
            }
            self.schema(ctx, &here, old_schema, new_schema);
        }
        for (name, _) in new_props
            .iter()
            .filter(|(k, _)| !old_props.contains_key(*k))
        {
            let is_required = new_required.contains(name);
            let (impact, what) = match (side, is_required) {
                (Side::Request, true) => (
                    Impact::Breaking,
                    "required property added (existing callers do not send it)",
                ),
                (Side::Request, false) => (Impact::Compatible, "optional property added"),
                (Side::Response, _) if old_closed => (
                    Impact::StrictReaders,
                    "property added to a closed object (strict readers reject it)",
                ),
                (Side::Response, _) => (Impact::Compatible, "property added"),
            };
            self.push(ctx, &child(name), "property-added", impact, what.into());
        }
        // `required` naming a property that is not in `properties` (as in an `anyOf` branch).
        let undeclared =
            |r: &BTreeSet<String>, props: &Map<String, Value>, other: &Map<String, Value>| {
                r.iter()
                    .filter(|k| !props.contains_key(*k) && !other.contains_key(*k))
                    .cloned()
                    .collect::<BTreeSet<_>>()
            };
        let old_bare = undeclared(&old_required, old_props, new_props);
        let new_bare = undeclared(&new_required, new_props, old_props);
        for name in new_bare.difference(&old_bare) {
            self.push(
                ctx,
                &child(name),
                "required-added",
                classify(side, Shape::Narrowed, false),
                "became required".into(),
            );
        }
        for name in old_bare.difference(&new_bare) {
            self.push(
                ctx,
                &child(name),
                "required-removed",
                classify(side, Shape::Widened, false),
                "became optional".into(),
            );
        }

        match (
            o.get("additionalProperties").copied(),
            n.get("additionalProperties").copied(),
        ) {
            (a, b) if a == b => {}
            (Some(a @ Value::Object(_)), Some(b @ Value::Object(_))) => {
                self.schema(ctx, &format!("{path}{{*}}"), a, b)
            }
            (_, Some(Value::Bool(false))) => self.push(
                ctx,
                path,
                "additional-properties-closed",
                classify(side, Shape::Narrowed, true),
                "unknown properties no longer allowed".into(),
            ),
            (Some(Value::Bool(false)), _) => self.push(
                ctx,
                path,
                "additional-properties-opened",
                classify(side, Shape::Widened, true),
                "unknown properties now allowed".into(),
            ),
            (None | Some(Value::Bool(true)), Some(_)) => self.push(
                ctx,
                path,
                "additional-properties-closed",
                classify(side, Shape::Narrowed, true),
                "unknown properties now constrained by a schema".into(),
            ),
            (None, None) => {}
            (Some(_), _) => self.push(
                ctx,
                path,
                "additional-properties-opened",
                classify(side, Shape::Widened, true),
                "unknown properties no longer constrained".into(),
            ),
        }
    }

    /// `oneOf`/`anyOf`/`allOf`: unchanged branches are matched by value; when only branches in
    /// place changed (same count), they are compared pairwise; otherwise added and removed
    /// branches are reported. A new `oneOf`/`anyOf` branch widens, a new `allOf` member narrows.
    fn variants(
        &mut self,
        ctx: &Ctx<'_>,
        path: &str,
        keyword: &str,
        old: Option<&'a Value>,
        new: Option<&'a Value>,
    ) {
        let empty: &[Value] = &[];
        let old: &[Value] = old.and_then(Value::as_array).map_or(empty, Vec::as_slice);
        let new: &[Value] = new.and_then(Value::as_array).map_or(empty, Vec::as_slice);
        if old == new {
            return;
        }
        // A single-$ref allOf was already read through by `resolve`.
        if keyword == "allOf"
            && (is_single_ref(old) || is_single_ref(new))
            && old.len() == new.len()
        {
            return;
        }
        if old.len() == new.len() {
            for (i, (a, b)) in old.iter().zip(new).enumerate() {
                if a != b {
                    self.schema(ctx, &format!("{path}<{keyword} {i}>"), a, b);
                }
            }
            return;
        }
        let (add_shape, remove_shape) = if keyword == "allOf" {
            (Shape::Narrowed, Shape::Widened)
        } else {
            (Shape::Widened, Shape::Narrowed)
        };
        // Membership by canonical text (maps are sorted), not by scanning: linear, not quadratic,
        // in the number of branches.
        let (old_set, new_set) = (canonical_set(old), canonical_set(new));
        for (i, branch) in old.iter().enumerate() {
            if !new_set.contains(&branch.to_string()) {
                self.push(
                    ctx,
                    path,
                    "variant-removed",
                    classify(ctx.side, remove_shape, false),
                    format!("{keyword} branch {i} removed: {}", compact(branch)),
                );
            }
        }
        for (i, branch) in new.iter().enumerate() {
            if !old_set.contains(&branch.to_string()) {
                self.push(
                    ctx,
                    path,
                    "variant-added",
                    classify(ctx.side, add_shape, false),
                    format!("{keyword} branch {i} added: {}", compact(branch)),
                );
            }
        }
    }
}

fn is_single_ref(branches: &[Value]) -> bool {
    matches!(branches, [only] if only.get("$ref").is_some())
}

fn is_doc_key(key: &str) -> bool {
    DOC_KEYS.contains(&key) || key.starts_with("x-")
}

/// `value` without documenting keywords, for comparing what it means.
fn without_docs(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !is_doc_key(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// One-line JSON for messages, cut when long.
fn compact(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 120 {
        let cut: String = text.chars().take(117).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// Follows a `$ref` (a `#/...` pointer into `root`), repeatedly; anything else is returned as is.
fn deref<'v>(root: &'v Value, value: &'v Value) -> &'v Value {
    let mut current = value;
    for _ in 0..MAX_REF_HOPS {
        match current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| lookup(root, r))
        {
            Some(target) => current = target,
            None => break,
        }
    }
    current
}

fn lookup<'v>(root: &'v Value, reference: &str) -> Option<&'v Value> {
    root.pointer(reference.strip_prefix('#')?)
}

/// The schema `schema` stands for: `$ref`s followed, and an `allOf` holding a single `$ref` read
/// as the referenced schema with the wrapper's other keywords (`nullable`, `description`) on top.
fn resolve<'v>(root: &'v Value, schema: &'v Value) -> Keywords<'v> {
    let mut current = schema;
    let mut wrappers: Vec<&'v Map<String, Value>> = Vec::new();
    for _ in 0..MAX_REF_HOPS {
        let Some(map) = current.as_object() else {
            break;
        };
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            match lookup(root, reference) {
                Some(target) => {
                    current = target;
                    continue;
                }
                None => break, // External or dangling: compared as written.
            }
        }
        if let Some(Value::Array(members)) = map.get("allOf")
            && is_single_ref(members)
        {
            wrappers.push(map);
            current = &members[0];
            continue;
        }
        break;
    }
    // `true`, `false` or a malformed schema: nothing to compare keyword by keyword.
    let mut merged = keywords(Some(current));
    for wrapper in wrappers.iter().rev() {
        for (key, value) in wrapper.iter().filter(|(k, _)| *k != "allOf") {
            merged.insert(key.as_str(), value);
        }
    }
    merged
}

/// An object's map; an empty one for anything else.
fn object_or_empty(value: Option<&Value>) -> &Map<String, Value> {
    static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
    value.and_then(Value::as_object).unwrap_or(&EMPTY)
}

/// An object's keys and values, borrowed; empty for anything else.
fn keywords(value: Option<&Value>) -> Keywords<'_> {
    value
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default()
}

/// The JSON text of each value, for membership tests: serde_json's maps are sorted, so equal
/// values have equal text.
fn canonical_set(values: &[Value]) -> HashSet<String> {
    values.iter().map(Value::to_string).collect()
}

/// The non-null types a schema allows; `None` when it names none (any type).
fn types(schema: &Keywords<'_>) -> Option<BTreeSet<String>> {
    let found: BTreeSet<String> = match schema.get("type")? {
        Value::String(t) => [t.clone()].into(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => return None,
    };
    Some(found.into_iter().filter(|t| t != "null").collect())
}

fn nullable(schema: &Keywords<'_>) -> bool {
    schema.get("nullable").copied() == Some(&Value::Bool(true))
        || schema
            .get("type")
            .and_then(|t| t.as_array())
            .is_some_and(|ts| ts.iter().any(|t| t == "null"))
}

/// Whether every value of types `a` is a value of types `b` (`integer` is a `number`).
fn subset(a: &Option<BTreeSet<String>>, b: &Option<BTreeSet<String>>) -> bool {
    match (a, b) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(a), Some(b)) => a
            .iter()
            .all(|t| b.contains(t) || (t == "integer" && b.contains("number"))),
    }
}

fn show_types(types: &Option<BTreeSet<String>>) -> String {
    match types {
        None => "any".into(),
        Some(ts) if ts.is_empty() => "null".into(),
        Some(ts) => ts.iter().cloned().collect::<Vec<_>>().join("|"),
    }
}

/// One operation of a document.
struct Operation<'v> {
    /// `GET /path`, as the document writes the path.
    label: String,
    path: &'v str,
    item: &'v Value,
    operation: &'v Value,
}

/// Every operation, keyed by `(path template, method)`. Paths match with their variables' names
/// ignored: renaming `{id}` to `{clusterId}` changes nothing on the wire.
fn operations(doc: &Value) -> BTreeMap<(String, &'static str), Operation<'_>> {
    let mut found = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return found;
    };
    for (path, item) in paths {
        let item = deref(doc, item);
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                found.insert(
                    (template(path), method),
                    Operation {
                        label: format!("{} {path}", method.to_uppercase()),
                        path,
                        item,
                        operation,
                    },
                );
            }
        }
    }
    found
}

/// A parameter's schema, from `schema` or its `content` media type.
fn parameter_schema(param: &Value) -> Option<&Value> {
    param.get("schema").or_else(|| {
        param
            .get("content")
            .and_then(Value::as_object)
            .and_then(|c| c.values().next())
            .and_then(|m| m.get("schema"))
    })
}

/// `/a/{x}/b` as `/a/{}/b`.
fn template(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_variable = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_variable = true;
                out.push_str("{}");
            }
            '}' => in_variable = false,
            _ if in_variable => {}
            _ => out.push(c),
        }
    }
    out
}

/// The parameters of an operation, path-level ones overridden by operation-level ones, keyed by
/// `(in, key)` with the display name beside each. The key is the name, except for path
/// parameters, which are keyed by their place in the path template: renaming `{id}` to
/// `{clusterId}` changes nothing on the wire.
fn parameters<'v>(
    doc: &'v Value,
    op: &Operation<'v>,
) -> BTreeMap<(String, String), (String, &'v Value)> {
    let variables = variables(op.path);
    let mut found = BTreeMap::new();
    for list in [op.item.get("parameters"), op.operation.get("parameters")] {
        for param in list.and_then(Value::as_array).into_iter().flatten() {
            let param = deref(doc, param);
            let location = param.get("in").and_then(Value::as_str).unwrap_or("unknown");
            let name = param.get("name").and_then(Value::as_str).unwrap_or("?");
            let key = match variables.iter().position(|v| v == name) {
                Some(place) if location == "path" => format!("{{{place}}}"),
                _ => name.to_owned(),
            };
            found.insert((location.to_owned(), key), (name.to_owned(), param));
        }
    }
    found
}

/// The names of a path template's variables, in order.
fn variables(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

/// A parameter's wire form, `style`/`explode` with the defaults OpenAPI gives each location.
fn serialisation(location: &str, param: &Value) -> String {
    let default_style = match location {
        "query" | "cookie" => "form",
        _ => "simple",
    };
    let style = param
        .get("style")
        .and_then(Value::as_str)
        .unwrap_or(default_style);
    let explode = param
        .get("explode")
        .and_then(Value::as_bool)
        .unwrap_or(style == "form");
    let flag = |key: &str| param.get(key).and_then(Value::as_bool).unwrap_or(false);
    let mut text = format!("style {style}, explode {explode}");
    for key in ["allowReserved", "allowEmptyValue"] {
        if flag(key) {
            text.push_str(&format!(", {key}"));
        }
    }
    text
}

/// The security alternatives an operation accepts: each a sorted list of `scheme[scopes]`; an
/// empty alternative is anonymous access. No `security` anywhere means anonymous access.
fn security_alternatives(doc: &Value, operation: &Value) -> BTreeSet<Vec<String>> {
    let requirements = operation
        .get("security")
        .or_else(|| doc.get("security"))
        .and_then(Value::as_array);
    let Some(requirements) = requirements else {
        return [Vec::new()].into();
    };
    if requirements.is_empty() {
        return [Vec::new()].into();
    }
    requirements
        .iter()
        .filter_map(Value::as_object)
        .map(|alternative| {
            let mut schemes: Vec<String> = alternative
                .iter()
                .map(|(name, scopes)| {
                    let scopes: Vec<&str> = scopes
                        .as_array()
                        .map(|s| s.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    if scopes.is_empty() {
                        name.clone()
                    } else {
                        format!("{name}[{}]", scopes.join(","))
                    }
                })
                .collect();
            schemes.sort();
            schemes
        })
        .collect()
}

fn describe_alternative(alternative: &[String]) -> String {
    if alternative.is_empty() {
        "anonymous access".into()
    } else {
        alternative.join(" + ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn path_templates_match_whatever_the_variables_are_called() {
        assert_eq!(template("/a/{id}/b/{x}"), "/a/{}/b/{}");
        assert_eq!(variables("/a/{id}/b/{x}"), ["id", "x"]);
        assert!(variables("/plain").is_empty());
    }

    #[test]
    fn integer_values_are_numbers_when_comparing_types() {
        let set = |ts: &[&str]| Some(ts.iter().map(|t| (*t).to_owned()).collect());
        assert!(subset(&set(&["integer"]), &set(&["number"])));
        assert!(!subset(&set(&["number"]), &set(&["integer"])));
        assert!(subset(&set(&["string"]), &None), "no type is any type");
        assert!(!subset(&None, &set(&["string"])));
    }

    #[test]
    fn a_single_ref_all_of_reads_as_the_ref_with_the_wrapper_on_top() {
        let doc = json!({"components": {"schemas": {"T": {"type": "string", "description": "t"}}}});
        let wrapped = json!({"allOf": [{"$ref": "#/components/schemas/T"}], "nullable": true,
                             "description": "w"});
        let map = resolve(&doc, &wrapped);
        let merged: Map<String, Value> = map
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect();
        assert_eq!(
            Value::Object(merged),
            json!({"type": "string", "nullable": true, "description": "w"})
        );
    }

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

    /// Property names and messages come from the specs: escaped before a terminal.
    #[test]
    fn the_text_report_escapes_spec_text_for_the_terminal() {
        let report = Report {
            old_version: None,
            new_version: None,
            changes: vec![Change {
                side: Side::Response,
                impact: Impact::Breaking,
                operation: "GET /a".into(),
                location: "response 200: x\u{1b}[2J".into(),
                rule: "property-removed",
                message: "property removed\n  breaking       GET /forged".into(),
            }],
        };
        let text = report.to_text(false);
        assert!(text.contains(r"response 200: x\x1b[2J: property removed\n  breaking"));
        assert!(!text.contains('\u{1b}') && !text.contains("\n  breaking       GET /forged"));
    }

    #[test]
    fn strict_readers_count_as_breaking_only_when_asked() {
        let report = Report {
            old_version: Some("1.2.0".into()),
            new_version: Some("1.3.0".into()),
            changes: vec![Change {
                side: Side::Response,
                impact: Impact::StrictReaders,
                operation: "GET /a".into(),
                location: "response 200".into(),
                rule: "enum-widened",
                message: "enum value(s) added".into(),
            }],
        };
        assert_eq!(report.bump(false), Bump::Minor);
        assert_eq!(report.bump(true), Bump::Major);
        assert!(report.version_allows(false));
        assert!(!report.version_allows(true));
        assert_eq!(report.major_raised(), Some(false));
    }
}
