//! The rules that classify changes, and the principle they follow (see [`classify`]).

use super::{Impact, Side};

/// Every rule a [`Change`](super::Change) can name, with what it covers and how it is classified. The README's
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

/// Whether a change lets more values through (widens), fewer (narrows), or neither cleanly.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Widened,
    Narrowed,
    Changed,
}

/// The impact of a change of `shape` on `side`; `tolerated` marks what this crate's reader
/// ignores (enums, bounds, patterns, unknown fields).
pub(super) fn classify(side: Side, shape: Shape, tolerated: bool) -> Impact {
    match (side, shape) {
        (Side::Request, Shape::Widened) => Impact::Compatible,
        (Side::Request, _) => Impact::Breaking,
        (Side::Response, Shape::Narrowed) => Impact::Compatible,
        (Side::Response, _) if tolerated => Impact::StrictReaders,
        (Side::Response, _) => Impact::Breaking,
    }
}
