//! The schema-guided walk: one payload beside its converted schema, every observation the drift
//! report aggregates, and the documented members a schema names.
//!
//! At each value the walk gathers the schemas that apply to it: the schema itself, what its
//! `$ref` names, every `allOf` member, and the `anyOf`/`oneOf` branches whose `type` admits the
//! value (so OpenAPI's `nullable` wrapper, OCP's `LongId` and CBR's `Incremental` pick their
//! branch, and CBR's error `anyOf` of `required` pairs merges). Members are those of every
//! applicable schema; an object is closed when one of them says `additionalProperties: false`.

use serde_json::Value;

use super::{Kind, Observation};
use crate::contract::impact::resolve;

/// The component both specs give their response timestamps.
pub(super) const TIMESTAMP: &str = "Timestamp";

/// Deepest schema nesting followed (`$ref` chains included); the specs nest far less.
const MAX_SCHEMA_DEPTH: usize = 64;

/// One applicable schema and the component (`$defs` entry) it came from, if any.
#[derive(Clone, Copy)]
struct Applied<'d> {
    schema: &'d Value,
    def: Option<&'d str>,
}

/// The schemas that apply to `instance` (`None`: to any value) at `schema`.
fn expand<'d>(
    document: &'d Value,
    schema: &'d Value,
    def: Option<&'d str>,
    instance: Option<&Value>,
    depth: usize,
    out: &mut Vec<Applied<'d>>,
) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    let Value::Object(map) = schema else { return };
    out.push(Applied { schema, def });
    if let Some(reference) = map.get("$ref").and_then(Value::as_str)
        && let Some(target) = resolve(document, reference)
    {
        let name = reference.rsplit('/').next();
        expand(document, target, name, instance, depth + 1, out);
    }
    for member in map
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        expand(document, member, def, instance, depth + 1, out);
    }
    for key in ["anyOf", "oneOf"] {
        for branch in map.get(key).and_then(Value::as_array).into_iter().flatten() {
            if instance.is_none_or(|v| admits(document, branch, v, depth + 1)) {
                expand(document, branch, def, instance, depth + 1, out);
            }
        }
    }
}

/// Whether `schema`'s `type` (through `$ref`s and `allOf`) admits `value`'s JSON type; a schema
/// that names no type admits anything.
fn admits(document: &Value, schema: &Value, value: &Value, depth: usize) -> bool {
    let mut applied = Vec::new();
    expand(document, schema, None, None, depth, &mut applied);
    let types: Vec<&str> = applied.iter().flat_map(|a| types_of(a.schema)).collect();
    types.is_empty() || types.iter().any(|t| type_admits(t, value))
}

fn types_of(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn type_admits(name: &str, value: &Value) -> bool {
    match (name, value) {
        ("null", Value::Null)
        | ("boolean", Value::Bool(_))
        | ("string", Value::String(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_))
        | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    }
}

/// The JSON type of `value`, as JSON Schema names it.
pub(super) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Where the walk is: the path template (`/operation_logs/*/status`) and the real pointer.
pub(super) struct Place<'p> {
    pub template: &'p mut String,
    pub pointer: &'p mut String,
}

/// Walks `instance` beside `schema`, handing every observation to `drift`.
pub(super) fn walk(
    document: &Value,
    schema: &Value,
    instance: &Value,
    place: &mut Place<'_>,
    drift: &mut dyn FnMut(Observation<'_>),
    depth: usize,
) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    let mut applied = Vec::new();
    expand(document, schema, None, Some(instance), 0, &mut applied);
    let types: Vec<&str> = applied.iter().flat_map(|a| types_of(a.schema)).collect();
    let observe = |drift: &mut dyn FnMut(Observation<'_>), kind: Kind, place: &Place<'_>| {
        drift(Observation {
            template: place.template,
            pointer: place.pointer,
            kind,
        })
    };
    if !types.is_empty() && !types.iter().any(|t| type_admits(t, instance)) {
        let kind = if instance.is_null() {
            Kind::Null
        } else {
            Kind::Type {
                documented: types.join(" or "),
                seen: json_type(instance),
            }
        };
        observe(drift, kind, place);
        return;
    }
    let enums: Vec<&Vec<Value>> = applied
        .iter()
        .filter_map(|a| a.schema.get("enum").and_then(Value::as_array))
        .collect();
    if !enums.is_empty() && !instance.is_null() && !enums.iter().any(|e| e.contains(instance)) {
        let def = applied.iter().rev().find_map(|a| a.def);
        observe(
            drift,
            Kind::Enum {
                value: instance,
                def,
            },
            place,
        );
    }
    for a in &applied {
        bounds(a.schema, instance, place, drift);
    }
    if let Value::String(text) = instance
        && applied.iter().any(|a| a.def == Some(TIMESTAMP))
    {
        observe(drift, Kind::Timestamp { text }, place);
    }
    match instance {
        Value::Object(members) => {
            let closed = applied
                .iter()
                .find(|a| a.schema.get("additionalProperties") == Some(&Value::Bool(false)));
            for (name, value) in members {
                let declared: Vec<&Value> = applied
                    .iter()
                    .filter_map(|a| a.schema.get("properties")?.get(name))
                    .collect();
                let extra = applied.iter().find_map(|a| {
                    a.schema
                        .get("additionalProperties")
                        .filter(|s| s.is_object())
                });
                let (t, p) = (place.template.len(), place.pointer.len());
                let escaped = name.replace('~', "~0").replace('/', "~1");
                place.pointer.push('/');
                place.pointer.push_str(&escaped);
                place.template.push('/');
                if declared.is_empty() && extra.is_some() {
                    place.template.push('*');
                } else {
                    place.template.push_str(&escaped);
                }
                if !declared.is_empty() {
                    observe(drift, Kind::Seen, place);
                    for schema in declared {
                        walk(document, schema, value, place, drift, depth + 1);
                    }
                } else if let Some(schema) = extra {
                    walk(document, schema, value, place, drift, depth + 1);
                } else if let Some(closed) = closed {
                    let kind = Kind::Unknown {
                        seen: json_type(value),
                        def: closed
                            .def
                            .or_else(|| applied.iter().rev().find_map(|a| a.def)),
                    };
                    observe(drift, kind, place);
                }
                place.template.truncate(t);
                place.pointer.truncate(p);
            }
        }
        Value::Array(items) => {
            let item_schemas: Vec<&Value> = applied
                .iter()
                .filter_map(|a| a.schema.get("items"))
                .collect();
            let t = place.template.len();
            place.template.push_str("/*");
            for (i, item) in items.iter().enumerate() {
                let p = place.pointer.len();
                place.pointer.push('/');
                place.pointer.push_str(&i.to_string());
                for schema in &item_schemas {
                    walk(document, schema, item, place, drift, depth + 1);
                }
                place.pointer.truncate(p);
            }
            place.template.truncate(t);
        }
        _ => {}
    }
}

/// Whether a value is beyond a limit.
type Beyond = fn(f64, f64) -> bool;

/// A numeric or length bound of `schema` that `instance` is beyond.
fn bounds(
    schema: &Value,
    instance: &Value,
    place: &Place<'_>,
    drift: &mut dyn FnMut(Observation<'_>),
) {
    let measured = match instance {
        Value::Number(n) => n.as_f64().map(|v| (v, false)),
        Value::String(s) => Some((s.chars().count() as f64, true)),
        _ => None,
    };
    let Some((value, is_length)) = measured else {
        return;
    };
    let checks: &[(&str, Beyond)] = if is_length {
        &[("minLength", |v, l| v < l), ("maxLength", |v, l| v > l)]
    } else {
        &[
            ("minimum", |v, l| v < l),
            ("maximum", |v, l| v > l),
            ("exclusiveMinimum", |v, l| v <= l),
            ("exclusiveMaximum", |v, l| v >= l),
        ]
    };
    for (keyword, beyond) in checks {
        if let Some(limit) = schema.get(*keyword).and_then(Value::as_f64)
            && beyond(value, limit)
        {
            drift(Observation {
                template: place.template,
                pointer: place.pointer,
                kind: Kind::Bound {
                    keyword,
                    limit,
                    value,
                },
            });
        }
    }
}

/// Every member template `schema` documents, below `template`, in document order.
pub(super) fn documented(
    document: &Value,
    schema: &Value,
    template: &mut String,
    out: &mut Vec<String>,
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    let mut applied = Vec::new();
    expand(document, schema, None, None, 0, &mut applied);
    for a in &applied {
        for (name, member) in a
            .schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let t = template.len();
            template.push('/');
            template.push_str(&name.replace('~', "~0").replace('/', "~1"));
            if !out.contains(template) {
                out.push(template.clone());
                documented(document, member, template, out, depth + 1);
            }
            template.truncate(t);
        }
        if let Some(items) = a.schema.get("items") {
            let t = template.len();
            template.push_str("/*");
            documented(document, items, template, out, depth + 1);
            template.truncate(t);
        }
    }
}
