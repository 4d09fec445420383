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

use serde_json::{Map, Value, json};

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
