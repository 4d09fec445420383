//! OpenAPI 3.0 schema objects to JSON Schema 2020-12.
//!
//! OpenAPI 3.0 schemas are a dialect of draft 4/5 with extras that no JSON Schema validator knows.
//! The rules, each with a unit test below:
//! - `nullable: true` adds `"null"` to `type` (and `null` to `enum` when there is one); without a
//!   `type` (a `$ref`/`allOf`/`oneOf`/`anyOf` schema) the schema becomes
//!   `anyOf: [<the schema>, {type: null}]`. `nullable: false` is dropped.
//! - boolean `exclusiveMinimum`/`exclusiveMaximum` become the numeric 2020-12 form.
//! - `#/components/schemas/X` references become `#/$defs/X`.
//! - `example` becomes `examples: [example]`.
//! - `format: int32`/`int64` become `minimum`/`maximum` bounds (kept where the spec is tighter);
//!   `float`/`double` are dropped: none is a 2020-12 format, and strict validators reject unknown
//!   formats.
//! - OpenAPI-only keywords (`nullable`, `discriminator`, `xml`, `externalDocs`) and `x-*`
//!   extensions are dropped.
//!
//! One rule 2020-12 cannot express: OpenAPI 3.0.3 defines `integer` as "a JSON number without a
//! fraction or exponent part", so `1.0` is no integer, while 2020-12 calls any number with a zero
//! fraction one. The published files are plain 2020-12 and accept `1.0`; the contract's own
//! validators add [`OPENAPI_INTEGER`] beside every `type: integer` ([`mark_openapi_integers`]),
//! a keyword of this crate that rejects the integral floats `type` lets through and reports
//! them as `type` violations.

use jsonschema::json::{Json, JsonNumber as _, Node as _};
use jsonschema::paths::Location;
use jsonschema::{Keyword, ValidationError};
use serde_json::{Map, Value, json};

/// The contract's keyword for OpenAPI 3.0.3 integers (see the module docs). It exists only in the
/// documents the contract compiles, never in a published file; a violation of it is reported
/// as one of `type`.
pub const OPENAPI_INTEGER: &str = "x-openapi-integer";

/// Adds [`OPENAPI_INTEGER`] to every schema of `document` whose `type` is or includes `integer`.
/// Examples, enums, defaults and constants are data, not schemas, and are left alone.
pub fn mark_openapi_integers(document: &mut Value) {
    match document {
        Value::Object(map) => {
            let integer = match map.get("type") {
                Some(Value::String(t)) => t == "integer",
                Some(Value::Array(types)) => types.iter().any(|t| t == "integer"),
                _ => false,
            };
            if integer {
                map.insert(OPENAPI_INTEGER.into(), Value::Bool(true));
            }
            for (key, child) in map.iter_mut() {
                if !matches!(key.as_str(), "examples" | "enum" | "const" | "default") {
                    mark_openapi_integers(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mark_openapi_integers),
        _ => {}
    }
}

/// Why the [`OPENAPI_INTEGER`] keyword fails a number, as its messages say.
pub const OPENAPI_INTEGER_RULE: &str = "OpenAPI 3.0.3: an integer has no fraction or exponent part";

/// The [`OPENAPI_INTEGER`] keyword: a number that 2020-12 calls an integer but that is written
/// with a fraction or exponent (`1.0`, `1e2`) fails. Everything else passes here; `type` itself
/// reports a string, a `1.5` and the rest.
struct OpenApiInteger;

impl<'i, F: Json> Keyword<'i, F> for OpenApiInteger {
    fn validate(&self, instance: F::Node<'i>) -> Result<(), ValidationError<'i>> {
        if Keyword::<F>::is_valid(self, instance.clone()) {
            return Ok(());
        }
        let text = instance
            .as_number()
            .map(|n| n.to_number().to_string())
            .unwrap_or_default();
        Err(ValidationError::custom(format!(
            "{text} is not of type \"integer\" ({OPENAPI_INTEGER_RULE})"
        )))
    }

    fn is_valid(&self, instance: F::Node<'i>) -> bool {
        // `is_written_as_integer` reads a float of 2^63 or more as an integer (serde_json cannot
        // tell it from a long integer literal); the int64 bounds reject those anyway.
        instance
            .as_number()
            .is_none_or(|n| !n.is_integer() || n.is_written_as_integer())
    }
}

/// The factory [`jsonschema::ValidationOptions::with_keyword`] takes for [`OPENAPI_INTEGER`].
pub fn openapi_integer_keyword<'a, F: Json>(
    _parent: &'a Map<String, Value>,
    _value: &'a Value,
    _path: Location,
) -> Result<Box<dyn for<'i> Keyword<'i, F>>, ValidationError<'a>> {
    Ok(Box::new(OpenApiInteger))
}

/// Where `$ref`s to components point after conversion.
pub const DEFS_PREFIX: &str = "#/$defs/";
const COMPONENTS_PREFIX: &str = "#/components/schemas/";

/// Converts one OpenAPI 3.0 schema object (and everything nested in it) to JSON Schema 2020-12.
pub fn to_json_schema(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        // `true`/`false` schemas and malformed values pass through; the compiler reports the latter.
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        match key.as_str() {
            "nullable" | "discriminator" | "xml" | "externalDocs" => {}
            k if k.starts_with("x-") => {}
            "$ref" => {
                let target = value.as_str().unwrap_or_default();
                let converted = match target.strip_prefix(COMPONENTS_PREFIX) {
                    Some(name) => format!("{DEFS_PREFIX}{name}"),
                    None => target.to_owned(),
                };
                out.insert(key.clone(), Value::String(converted));
            }
            "example" => {
                out.insert("examples".into(), Value::Array(vec![value.clone()]));
            }
            "properties" | "patternProperties" | "$defs" => {
                let converted = value
                    .as_object()
                    .map(|props| {
                        props
                            .iter()
                            .map(|(name, sub)| (name.clone(), to_json_schema(sub)))
                            .collect::<Map<_, _>>()
                    })
                    .map(Value::Object)
                    .unwrap_or_else(|| value.clone());
                out.insert(key.clone(), converted);
            }
            "items" | "not" | "additionalProperties" => {
                out.insert(key.clone(), to_json_schema(value));
            }
            "allOf" | "anyOf" | "oneOf" => {
                let converted = value
                    .as_array()
                    .map(|subs| Value::Array(subs.iter().map(to_json_schema).collect()))
                    .unwrap_or_else(|| value.clone());
                out.insert(key.clone(), converted);
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    exclusive_bounds(map, &mut out);
    integer_format(&mut out);
    if map.get("nullable") == Some(&Value::Bool(true)) {
        return nullable(out);
    }
    Value::Object(out)
}

/// Converts every schema under `components.schemas` of an OpenAPI document, keyed by name.
pub fn components_to_defs(spec: &Value) -> Map<String, Value> {
    spec.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| {
            schemas
                .iter()
                .map(|(name, schema)| (name.clone(), to_json_schema(schema)))
                .collect()
        })
        .unwrap_or_default()
}

/// The names of every `$defs` entry `schema` reaches, directly or through other entries.
pub fn reachable_defs(schema: &Value, defs: &Map<String, Value>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut stack = vec![schema];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(map) => {
                if let Some(name) = map
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix(DEFS_PREFIX))
                    && !seen.iter().any(|s| s == name)
                {
                    seen.push(name.to_owned());
                    if let Some(target) = defs.get(name) {
                        stack.push(target);
                    }
                }
                stack.extend(map.iter().filter(|(k, _)| *k != "examples").map(|(_, v)| v));
            }
            Value::Array(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
    seen.sort();
    seen
}

fn exclusive_bounds(original: &Map<String, Value>, out: &mut Map<String, Value>) {
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        match original.get(exclusive) {
            Some(Value::Bool(true)) => match out.remove(bound) {
                Some(limit) => {
                    out.insert(exclusive.into(), limit);
                }
                // `exclusiveMinimum: true` without `minimum` constrains nothing.
                None => {
                    out.remove(exclusive);
                }
            },
            Some(Value::Bool(false)) => {
                out.remove(exclusive);
            }
            _ => {}
        }
    }
}

fn integer_format(out: &mut Map<String, Value>) {
    let (low, high): (i64, i64) = match out.get("format").and_then(Value::as_str) {
        Some("int32") => (i32::MIN.into(), i32::MAX.into()),
        Some("int64") => (i64::MIN, i64::MAX),
        Some("float" | "double") => {
            out.remove("format");
            return;
        }
        _ => return,
    };
    out.remove("format");
    // Keep a bound from the spec where it is at least as tight as the format's; an exclusive
    // bound from the spec always is.
    let existing_min = out.get("minimum").and_then(Value::as_f64);
    if !out.contains_key("exclusiveMinimum") && existing_min.is_none_or(|m| m < low as f64) {
        out.insert("minimum".into(), json!(low));
    }
    let existing_max = out.get("maximum").and_then(Value::as_f64);
    if !out.contains_key("exclusiveMaximum") && existing_max.is_none_or(|m| m > high as f64) {
        out.insert("maximum".into(), json!(high));
    }
}

fn nullable(mut out: Map<String, Value>) -> Value {
    match out.get_mut("type") {
        Some(Value::String(ty)) => {
            let ty = std::mem::take(ty);
            out.insert("type".into(), json!([ty, "null"]));
        }
        Some(Value::Array(types)) => {
            if !types.iter().any(|t| t == "null") {
                types.push(json!("null"));
            }
        }
        _ => {
            // No type to widen: allow null beside whatever the schema is. Annotations stay outside
            // so that tools still show them.
            let mut outer = Map::new();
            for key in ["title", "description", "default", "examples", "deprecated"] {
                if let Some(v) = out.remove(key) {
                    outer.insert(key.into(), v);
                }
            }
            outer.insert(
                "anyOf".into(),
                json!([Value::Object(out), {"type": "null"}]),
            );
            return Value::Object(outer);
        }
    }
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_widens_the_type() {
        assert_eq!(
            to_json_schema(&json!({"type": "string", "nullable": true})),
            json!({"type": ["string", "null"]})
        );
    }

    #[test]
    fn nullable_adds_null_to_an_enum() {
        assert_eq!(
            to_json_schema(&json!({"type": "string", "enum": ["a"], "nullable": true})),
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
    }

    #[test]
    fn nullable_false_is_dropped() {
        assert_eq!(
            to_json_schema(&json!({"type": "string", "nullable": false})),
            json!({"type": "string"})
        );
    }

    #[test]
    fn nullable_all_of_ref_becomes_any_of_with_null() {
        assert_eq!(
            to_json_schema(&json!({
                "allOf": [{"$ref": "#/components/schemas/T"}],
                "nullable": true,
                "description": "d"
            })),
            json!({
                "description": "d",
                "anyOf": [{"allOf": [{"$ref": "#/$defs/T"}]}, {"type": "null"}]
            })
        );
    }

    #[test]
    fn boolean_exclusive_bounds_become_numeric() {
        assert_eq!(
            to_json_schema(&json!({
                "type": "number", "minimum": 0, "exclusiveMinimum": true,
                "maximum": 10, "exclusiveMaximum": false
            })),
            json!({"type": "number", "exclusiveMinimum": 0, "maximum": 10})
        );
        assert_eq!(
            to_json_schema(&json!({"type": "number", "exclusiveMaximum": true})),
            json!({"type": "number"})
        );
    }

    #[test]
    fn component_refs_point_into_defs() {
        assert_eq!(
            to_json_schema(&json!({"items": {"$ref": "#/components/schemas/OperationLog"}})),
            json!({"items": {"$ref": "#/$defs/OperationLog"}})
        );
    }

    #[test]
    fn openapi_only_keywords_and_extensions_are_dropped() {
        assert_eq!(
            to_json_schema(&json!({
                "type": "object", "x-evidence": "sdk", "discriminator": {"propertyName": "k"},
                "xml": {"name": "n"}, "externalDocs": {"url": "u"}, "readOnly": true
            })),
            json!({"type": "object", "readOnly": true})
        );
    }

    #[test]
    fn example_becomes_examples() {
        assert_eq!(
            to_json_schema(&json!({"type": "string", "example": "x"})),
            json!({"type": "string", "examples": ["x"]})
        );
    }

    #[test]
    fn integer_formats_become_bounds_keeping_tighter_ones() {
        assert_eq!(
            to_json_schema(&json!({"type": "integer", "format": "int32", "minimum": 0})),
            json!({"type": "integer", "minimum": 0, "maximum": 2147483647})
        );
        assert_eq!(
            to_json_schema(&json!({"type": "integer", "format": "int64"})),
            json!({"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX})
        );
        assert_eq!(
            to_json_schema(&json!({"type": "number", "format": "double"})),
            json!({"type": "number"})
        );
        assert_eq!(
            to_json_schema(&json!({"type": "string", "format": "date-time"})),
            json!({"type": "string", "format": "date-time"})
        );
    }

    #[test]
    fn nested_schemas_are_converted_everywhere() {
        let converted = to_json_schema(&json!({
            "type": "object",
            "properties": {
                "a": {"type": "string", "nullable": true},
                "nullable": {"type": "integer", "format": "int32"}
            },
            "additionalProperties": {"type": "string", "nullable": true},
            "oneOf": [{"type": "boolean", "nullable": true}],
            "not": {"type": "string", "x-a": 1},
            "items": {"allOf": [{"$ref": "#/components/schemas/B"}]}
        }));
        assert_eq!(
            converted["properties"]["a"]["type"],
            json!(["string", "null"])
        );
        // A property named like a keyword is a property, not a keyword.
        assert_eq!(
            converted["properties"]["nullable"]["maximum"],
            json!(2147483647)
        );
        assert_eq!(
            converted["additionalProperties"]["type"],
            json!(["string", "null"])
        );
        assert_eq!(converted["oneOf"][0]["type"], json!(["boolean", "null"]));
        assert_eq!(converted["not"], json!({"type": "string"}));
        assert_eq!(converted["items"]["allOf"][0]["$ref"], json!("#/$defs/B"));
    }

    #[test]
    fn integer_schemas_are_marked_and_data_is_not() {
        let mut document = json!({
            "type": "object",
            "properties": {
                "count": {"type": "integer", "minimum": 0},
                "maybe": {"type": ["integer", "null"]},
                "type": {"type": "string"},
                "delay": {"type": "number"}
            },
            "examples": [{"type": "integer"}],
            "oneOf": [{"type": "integer"}, {"type": "string"}]
        });
        mark_openapi_integers(&mut document);
        assert_eq!(
            document["properties"]["count"][OPENAPI_INTEGER],
            json!(true)
        );
        assert_eq!(
            document["properties"]["maybe"][OPENAPI_INTEGER],
            json!(true)
        );
        assert_eq!(document["oneOf"][0][OPENAPI_INTEGER], json!(true));
        assert!(
            document["properties"]["type"]
                .get(OPENAPI_INTEGER)
                .is_none()
        );
        assert!(
            document["properties"]["delay"]
                .get(OPENAPI_INTEGER)
                .is_none()
        );
        assert!(document.get(OPENAPI_INTEGER).is_none());
        assert!(document["examples"][0].get(OPENAPI_INTEGER).is_none());
    }

    #[test]
    fn the_keyword_rejects_integral_floats_only() {
        let mut schema = json!({"type": "integer"});
        mark_openapi_integers(&mut schema);
        let validator = jsonschema::options()
            .with_keyword(OPENAPI_INTEGER, openapi_integer_keyword)
            .build(&schema)
            .expect("compiles");
        for text in [
            "1",
            "-1",
            "0",
            "9223372036854775807",
            "18446744073709551615",
        ] {
            let value: Value = serde_json::from_str(text).expect("JSON");
            assert!(validator.is_valid(&value), "{text}");
        }
        for text in ["1.0", "0.0", "-3.0", "1e2", "1E0", "100.0e-2"] {
            let value: Value = serde_json::from_str(text).expect("JSON");
            assert!(!validator.is_valid(&value), "{text}");
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| e.to_string())
                .collect();
            assert_eq!(
                errors.len(),
                1,
                "{text}: only this keyword fails: {errors:?}"
            );
            assert!(errors[0].contains("OpenAPI 3.0.3"), "{errors:?}");
        }
        // `type` reports these itself; the keyword stays quiet.
        let value = json!(1.5);
        let errors: Vec<_> = validator.iter_errors(&value).collect();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].kind().keyword(), "type");
        assert!(validator.is_valid(&json!(1)) && !validator.is_valid(&json!("1")));
    }

    #[test]
    fn reachable_defs_follows_refs_transitively_and_terminates_on_cycles() {
        let defs: Map<String, Value> = serde_json::from_value(json!({
            "A": {"properties": {"b": {"$ref": "#/$defs/B"}}},
            "B": {"items": {"$ref": "#/$defs/A"}},
            "C": {"type": "string"}
        }))
        .expect("object");
        assert_eq!(
            reachable_defs(&json!({"$ref": "#/$defs/A"}), &defs),
            vec!["A", "B"]
        );
    }
}
