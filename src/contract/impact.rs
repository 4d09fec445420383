//! What a violation means for the readers of the published types: does it break them, or is it
//! drift that a tolerant reader survives?
//!
//! The words are `diff`'s ([`crate::publish::diff::Impact`], the README's "Diff policy"), used in
//! the same sense: a *breaking* payload is one that a reader of the published types cannot read
//! (this crate's typed reader fails on it, or reads something other than what was sent); a
//! *strict-readers* payload breaks only readers that reject what they do not know (closed enums,
//! strict validation against the published schemas), not this crate's reader, whose enums are
//! open and which ignores unknown members, bounds, patterns and formats (the reader profile in
//! the README, "How the code is generated"). `diff`'s other two impacts, compatible and
//! documentation, describe spec changes that no payload can show, so a violation is never one.
//!
//! The rules, by the keyword that failed:
//!
//! | Keyword | Impact | Why |
//! |---|---|---|
//! | not JSON, `required`, `type` | breaking | the typed reader fails on the payload |
//! | `type` integer given an integral float such as `1.0` (OpenAPI 3.0.3's integer) | strict-readers | the typed reader reads it as the integer it writes |
//! | `type` with `null`, on a member its object does not require (not an array) | strict-readers | the reader's `Option` reads `null` as absent |
//! | `additionalProperties`, `unevaluatedProperties` (an unknown member of a closed object) | strict-readers | the reader ignores unknown members |
//! | `enum`, `const` on a string or boolean | strict-readers | the reader's enums are open; boolean enums are not in the reader profile |
//! | `minimum`, `maximum`, `exclusive*`, `multipleOf` | strict-readers | the reader has no bounds, unless the number does not fit the reader's integer (`i32` where the schema allows no more, else `i64`): breaking |
//! | `minLength`, `maxLength`, `pattern`, `format`, `minItems`, `maxItems`, `uniqueItems`, `minProperties`, `maxProperties` | strict-readers | the reader has none of them |
//! | `duplicateKey` (a member name repeated in one object) | breaking | serde's derived readers refuse a repeated member outright (`duplicate field`), and other parsers disagree on which occurrence counts, so the value read is not reliably the value sent |
//! | `anyOf`, `oneOf`, `allOf`, `not`, anything else | breaking | a composite or unknown rule may be what the reader relies on (OCP's `LongId` is a `oneOf` the reader enforces); as in `diff`, unknown is breaking until a rule says otherwise |
//!
//! `tests/suite/validate.rs` checks the rules against the typed reader: every mutation of the
//! spec examples whose violations are all strict-readers still decodes.

use std::fmt;

use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind;
use jsonschema::json::{Json, JsonNumber as _, Node};
use jsonschema::types::JsonType;
use serde::Serialize;
use serde_json::Value;

/// How bad one violation is for readers of the published types; `diff`'s words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Impact {
    /// Readers of the published types fail on the payload (or read another value than sent).
    Breaking,
    /// Only readers that reject what they do not know fail: drift a tolerant reader survives.
    StrictReaders,
}

impl Impact {
    /// `breaking` or `strict-readers`, as `diff` writes them.
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::Breaking => "breaking",
            Impact::StrictReaders => "strict-readers",
        }
    }
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which violations fail a run (`validate --fail-on`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FailOn {
    /// Any violation, drift included: the contract's full strictness (the default).
    #[default]
    Drift,
    /// Only [`Impact::Breaking`] violations.
    Breaking,
}

impl FailOn {
    /// Whether a violation of `impact` fails the run.
    pub fn fails(self, impact: Impact) -> bool {
        match self {
            FailOn::Drift => true,
            FailOn::Breaking => impact == Impact::Breaking,
        }
    }
}

/// The impact of `error`, raised on `instance`, by a schema of `document` (the compiled schema
/// document, to look up the failing keyword's neighbours).
pub fn of<'a, F: Json, N: Node<'a, F>>(
    error: &ValidationError<'_>,
    instance: &N,
    document: &Value,
) -> Impact {
    use Impact::{Breaking, StrictReaders};
    if error.kind().keyword() == super::convert::OPENAPI_INTEGER {
        // An integral float such as `1.0` where OpenAPI 3.0.3 wants an integer: the typed reader
        // reads it as the integer it writes (`common::reader`); a value out of the reader's
        // range also fails a bound, which is breaking on its own.
        return StrictReaders;
    }
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { .. }
        | ValidationErrorKind::UnevaluatedProperties { .. }
        | ValidationErrorKind::MinLength { .. }
        | ValidationErrorKind::MaxLength { .. }
        | ValidationErrorKind::Pattern { .. }
        | ValidationErrorKind::Format { .. }
        | ValidationErrorKind::MinItems { .. }
        | ValidationErrorKind::MaxItems { .. }
        | ValidationErrorKind::UniqueItems
        | ValidationErrorKind::MinProperties { .. }
        | ValidationErrorKind::MaxProperties { .. } => StrictReaders,
        ValidationErrorKind::Enum { .. } | ValidationErrorKind::Constant { .. } => {
            match instance.json_type() {
                JsonType::String | JsonType::Boolean => StrictReaders,
                _ => Breaking,
            }
        }
        ValidationErrorKind::Minimum { .. }
        | ValidationErrorKind::Maximum { .. }
        | ValidationErrorKind::ExclusiveMinimum { .. }
        | ValidationErrorKind::ExclusiveMaximum { .. }
        | ValidationErrorKind::MultipleOf { .. } => {
            let schema = schema_at(document, parent(error.schema_path().as_str()));
            if fits_reader(instance, schema) {
                StrictReaders
            } else {
                Breaking
            }
        }
        ValidationErrorKind::Type { .. } if instance.is_null() => {
            if null_is_absent(document, error.schema_path().as_str()) {
                StrictReaders
            } else {
                Breaking
            }
        }
        _ => Breaking,
    }
}

/// Whether the number `instance` fits the integer the reader holds for `schema`: any number
/// where the schema allows non-integers (the reader's `f64`), else `i32` unless a bound of the
/// schema reaches beyond it (the converter writes `format: int32` as `i32` bounds and
/// `int64` as `i64` bounds, so a schema that allows more than `i32` is an `i64` field).
fn fits_reader<'a, F: Json, N: Node<'a, F>>(instance: &N, schema: Option<&Value>) -> bool {
    let Some(number) = instance.as_number() else {
        // A bound on a non-number: the keyword does not apply to it; nothing breaks.
        return true;
    };
    let Some(schema) = schema else {
        // Where the keyword sits is unknown: say breaking rather than promise too much.
        return false;
    };
    let types = types_of(schema);
    if !types.is_empty() && !types.contains(&"integer") {
        return true;
    }
    let wide = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]
        .iter()
        .filter_map(|k| schema.get(*k).and_then(Value::as_f64))
        .any(|bound| bound < f64::from(i32::MIN) || bound > f64::from(i32::MAX));
    let value = match (number.as_i64(), number.as_u64(), number.as_f64()) {
        (Some(v), _, _) => v as f64,
        (None, Some(v), _) => v as f64,
        (None, None, Some(v)) => v,
        (None, None, None) => return false,
    };
    if wide {
        // i64's range as f64; a float at the edge rounds, and an integer past it is breaking.
        number.as_i64().is_some() || (value.fract() == 0.0 && value.abs() < 9.2e18)
    } else {
        value.fract() == 0.0 && value >= f64::from(i32::MIN) && value <= f64::from(i32::MAX)
    }
}

/// Whether the `type` that failed on a `null` at `keyword_path` guards an object member that
/// the object does not require and that the reader holds as an `Option` (not an array, which it
/// holds as a `Vec` defaulting to empty, and which refuses `null`).
fn null_is_absent(document: &Value, keyword_path: &str) -> bool {
    let location = parent(keyword_path);
    if schema_at(document, location).is_some_and(|s| types_of(s).contains(&"array")) {
        return false;
    }
    // The member's schema may be wrapped: `$ref`, `allOf: [{$ref}]`.
    let mut member = location;
    loop {
        if let Some(rest) = member.strip_suffix("/$ref") {
            member = rest;
        } else if let Some((rest, index)) = member.rsplit_once('/')
            && index.parse::<usize>().is_ok()
            && let Some(rest) = rest.strip_suffix("/allOf")
        {
            member = rest;
        } else {
            break;
        }
    }
    let Some((object, name)) = member.rsplit_once('/') else {
        return false;
    };
    let Some(object) = object.strip_suffix("/properties") else {
        return false;
    };
    let name = unescape(name);
    match schema_at(document, object) {
        Some(object) => !object
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|required| required.iter().any(|r| r.as_str() == Some(&name))),
        None => false,
    }
}

/// The `type`s a schema names (one or a list); empty when it names none.
fn types_of(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// `path` without its last segment.
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(parent, _)| parent)
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// The schema at a keyword location of jsonschema's (a JSON pointer into `document` in which a
/// `$ref` segment stands for the schema the reference names), or `None` when it does not resolve.
pub fn schema_at<'d>(document: &'d Value, location: &str) -> Option<&'d Value> {
    let mut node = document;
    for segment in location.split('/').skip(1) {
        if segment == "$ref"
            && let Some(reference) = node.get("$ref").and_then(Value::as_str)
        {
            node = resolve(document, reference)?;
            continue;
        }
        let segment = unescape(segment);
        node = match node {
            Value::Object(map) => map.get(&segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// The schema a local `$ref` (`#/...`) names in `document`.
pub fn resolve<'d>(document: &'d Value, reference: &str) -> Option<&'d Value> {
    document.pointer(reference.strip_prefix('#')?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Api, Contract, Target};
    use serde_json::json;

    fn impacts(api: Api, page: &Value) -> Vec<(String, String, Impact)> {
        Contract::get(api)
            .expect("compiles")
            .validate(&Target::Response { status: 200 }, page)
            .expect("target exists")
            .into_iter()
            .map(|v| (v.pointer, v.keyword, v.impact))
            .collect()
    }

    fn cbr_page() -> Value {
        crate::contract::examples(Api::Cbr).expect("spec")[0]
            .value
            .clone()
    }

    #[test]
    fn the_words_are_diffs() {
        use crate::publish::diff::Impact as Diff;
        assert_eq!(Impact::Breaking.to_string(), Diff::Breaking.to_string());
        assert_eq!(
            Impact::StrictReaders.to_string(),
            Diff::StrictReaders.to_string()
        );
        assert_eq!(
            serde_json::to_value(Impact::StrictReaders).expect("serialises"),
            serde_json::to_value(Diff::StrictReaders).expect("serialises")
        );
    }

    #[test]
    fn drift_is_strict_readers_and_what_the_reader_refuses_is_breaking() {
        let mut page = cbr_page();
        page["limit"] = json!(0);
        page["operation_logs"][0]["status"] = json!("cancelled");
        page["operation_logs"][0]["zone"] = json!("az1");
        page["operation_logs"][0]["provider_id"] = json!(null);
        page["operation_logs"][0]["project_id"] = json!(7);
        let found = impacts(Api::Cbr, &page);
        let impact_of = |pointer: &str, keyword: &str| {
            found
                .iter()
                .find(|(p, k, _)| p == pointer && k == keyword)
                .map(|(_, _, i)| *i)
                .unwrap_or_else(|| panic!("no {keyword} at {pointer}: {found:?}"))
        };
        assert_eq!(impact_of("/limit", "minimum"), Impact::StrictReaders);
        assert_eq!(
            impact_of("/operation_logs/0/status", "enum"),
            Impact::StrictReaders
        );
        assert_eq!(
            impact_of("/operation_logs/0", "additionalProperties"),
            Impact::StrictReaders
        );
        assert_eq!(
            impact_of("/operation_logs/0/provider_id", "type"),
            Impact::StrictReaders,
            "an optional member's null is read as absent"
        );
        assert_eq!(
            impact_of("/operation_logs/0/project_id", "type"),
            Impact::Breaking
        );
    }

    #[test]
    fn a_null_where_the_member_is_required_or_an_array_breaks() {
        let mut page = cbr_page();
        page["operation_logs"][0]["id"] = json!(null);
        page["operation_logs"][0]["extra_info"]["resource"]["extra_info"] =
            json!({"exclude_volumes": null});
        for (pointer, keyword, impact) in impacts(Api::Cbr, &page) {
            assert_eq!(impact, Impact::Breaking, "{pointer} {keyword}");
        }
    }

    #[test]
    fn a_number_past_the_readers_integer_breaks() {
        let mut page = cbr_page();
        page["limit"] = json!(5_000_000_000_i64);
        page["offset"] = json!(-1);
        let found = impacts(Api::Cbr, &page);
        assert!(
            found.contains(&("/limit".into(), "maximum".into(), Impact::Breaking)),
            "{found:?}"
        );
        assert!(
            found.contains(&("/offset".into(), "minimum".into(), Impact::StrictReaders)),
            "{found:?}"
        );
    }

    #[test]
    fn keyword_locations_resolve_through_refs() {
        let document = json!({
            "properties": {"a": {"$ref": "#/$defs/A"}},
            "$defs": {"A": {"type": "object", "properties": {"b~/c": {"type": "integer"}}}}
        });
        assert_eq!(
            schema_at(&document, "/properties/a/$ref/properties/b~0~1c"),
            Some(&json!({"type": "integer"}))
        );
        assert_eq!(schema_at(&document, "/properties/x"), None);
    }
}
