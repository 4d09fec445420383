//! How a schema reads on the page: references followed into a [`View`], its type as people say
//! it, the values it may take, its bounds, and the description cell.

use std::fmt::Write as _;

use serde_json::Value;

use super::{Page, plain};
use crate::publish::markdown::{cell, code, escape, fold, json_code, slug};

/// A schema as a field sees it: `$ref` (or an `allOf` of one `$ref`) followed, with the wrapper's
/// description, nullability and evidence on top.
pub(super) struct View<'a> {
    /// The schema after following references.
    pub(super) schema: &'a Value,
    /// The component it came from, if any.
    pub(super) name: Option<&'a str>,
    pub(super) description: Option<&'a str>,
    pub(super) nullable: bool,
    pub(super) evidence: Vec<&'a str>,
    pub(super) default: Option<&'a Value>,
}
impl<'a> Page<'a> {
    /// Follows `reference` (`#/...`, chains included); the target and the last name on the way.
    pub(super) fn resolve(&self, reference: &'a str) -> Option<(&'a Value, &'a str)> {
        let mut reference = reference;
        // A cycle of bare `$ref`s has no target; give up after a chain no spec needs.
        for _ in 0..16 {
            let pointer = reference.strip_prefix('#')?;
            let target = self.spec.pointer(pointer)?;
            let name = pointer.rsplit('/').next()?;
            match target.get("$ref").and_then(Value::as_str) {
                Some(next) => reference = next,
                None => return Some((target, name)),
            }
        }
        None
    }

    pub(super) fn view(&self, schema: &'a Value) -> View<'a> {
        let reference = schema.get("$ref").and_then(Value::as_str).or_else(|| {
            match schema
                .get("allOf")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
            {
                Some([only]) => only.get("$ref").and_then(Value::as_str),
                _ => None,
            }
        });
        let (target, name) = match reference.and_then(|r| self.resolve(r)) {
            Some((target, name)) => (target, Some(name)),
            None => (schema, None),
        };
        let text = |s: &'a Value, key: &str| s.get(key).and_then(Value::as_str);
        // A component's own evidence is shown where the component is listed, not on every field.
        let evidence: Vec<&str> = text(schema, "x-evidence").into_iter().collect();
        let flag = |s: &Value, key: &str| s.get(key).and_then(Value::as_bool) == Some(true);
        View {
            schema: target,
            name,
            description: text(schema, "description").or_else(|| text(target, "description")),
            nullable: flag(schema, "nullable") || flag(target, "nullable"),
            evidence,
            default: schema.get("default").or_else(|| target.get("default")),
        }
    }

    /// The description and evidence of an object that is not a schema (a parameter, header or
    /// security scheme), for [`Page::description`].
    pub(super) fn described(value: &'a Value) -> View<'a> {
        View {
            schema: value,
            name: None,
            description: value.get("description").and_then(Value::as_str),
            nullable: false,
            evidence: value
                .get("x-evidence")
                .and_then(Value::as_str)
                .into_iter()
                .collect(),
            default: None,
        }
    }

    /// `[`Name`](#schema-name)`.
    pub(super) fn schema_link(name: &str) -> String {
        format!("[{}](#{})", code(name), slug(&["schema", name]))
    }

    /// The type as people say it: `integer (int32)`, `array of string (Timestamp)`,
    /// `one of integer (int64), string (LongId)`.
    pub(super) fn type_text(&self, view: &View<'a>) -> String {
        let base = self.base_type(view.schema);
        match view.name {
            Some(name) => format!("{base} ({})", Self::schema_link(name)),
            None => base,
        }
    }

    pub(super) fn base_type(&self, schema: &'a Value) -> String {
        if schema.get("type").is_none()
            && let Some(branches) = alternatives(schema)
        {
            let types: Vec<String> = branches
                .iter()
                .map(|b| self.type_text(&self.view(b)))
                .collect();
            return format!("one of {}", types.join(", "));
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("array") => match schema.get("items") {
                Some(items) => format!("array of {}", self.type_text(&self.view(items))),
                None => "array".into(),
            },
            Some(t) => match schema.get("format").and_then(Value::as_str) {
                Some(format) => format!("{t} ({format})"),
                None => t.to_owned(),
            },
            None if schema.get("properties").is_some() => "object".into(),
            None => "any".into(),
        }
    }

    /// The enum values a value may take (through alternatives and array items), as code spans.
    pub(super) fn known_values(&self, schema: &'a Value) -> Vec<String> {
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            return values.iter().map(json_code).collect();
        }
        if let Some(branches) = alternatives(schema) {
            // Beside other types, a string value is shown as JSON (`"true"`, not `true`).
            return branches
                .iter()
                .flat_map(|b| {
                    let view = self.view(b);
                    view.schema
                        .get("enum")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .map(|v| code(&v.to_string()))
                        .collect::<Vec<_>>()
                })
                .collect();
        }
        if schema.get("type").and_then(Value::as_str) == Some("array")
            && let Some(items) = schema.get("items")
        {
            return self.known_values(self.view(items).schema);
        }
        Vec::new()
    }

    /// Bounds, lengths, item counts, patterns and closedness, as short phrases.
    pub(super) fn bounds(&self, view: &View<'a>) -> Vec<String> {
        if view.schema.get("type").is_none()
            && let Some(branches) = alternatives(view.schema)
        {
            return branches
                .iter()
                .filter_map(|b| {
                    let branch = self.view(b);
                    let phrases = bounds_of(branch.schema, view.name.or(branch.name));
                    (!phrases.is_empty()).then(|| {
                        format!("{}: {}", self.base_type(branch.schema), phrases.join(", "))
                    })
                })
                .collect();
        }
        bounds_of(view.schema, view.name)
    }

    /// The description cell: the description, the evidence for it, and an example.
    pub(super) fn description(view: &View<'_>, example: Option<&Value>) -> String {
        let mut text = view.description.map(fold).unwrap_or_default();
        if !view.evidence.is_empty() {
            let evidence: Vec<String> = view.evidence.iter().map(|e| escape(e)).collect();
            let evidence = evidence.join("; ");
            let stop = if evidence.ends_with('.') { "" } else { "." };
            let _ = write!(text, " *Evidence:* {evidence}{stop}");
        }
        if let Some(example) = example {
            let _ = write!(text, " Example: {}.", json_code(example));
        }
        cell(text.trim())
    }
}

/// The `oneOf` (or `anyOf`) branches of a schema.
pub(super) fn alternatives(schema: &Value) -> Option<&Vec<Value>> {
    schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
}

/// The constraints of one schema (no references followed) as short phrases. A pattern of a named
/// schema is shown where that schema is listed, not on every field of its type.
pub(super) fn bounds_of(schema: &Value, named: Option<&str>) -> Vec<String> {
    let mut phrases = Vec::new();
    let number = |key: &str| schema.get(key).filter(|v| v.is_number()).map(plain);
    let flag = |key: &str| schema.get(key).and_then(Value::as_bool) == Some(true);
    let range = |what: &str, low: Option<String>, high: Option<String>, open: (bool, bool)| {
        let prefix = if what.is_empty() {
            String::new()
        } else {
            format!("{what} ")
        };
        match (low, high) {
            (Some(l), Some(h)) if !open.0 && !open.1 => Some(format!("{prefix}{l} to {h}")),
            (low, high) => {
                let parts: Vec<String> = low
                    .map(|l| format!("{}{l}", if open.0 { "> " } else { "≥ " }))
                    .into_iter()
                    .chain(high.map(|h| format!("{}{h}", if open.1 { "< " } else { "≤ " })))
                    .collect();
                (!parts.is_empty()).then(|| format!("{prefix}{}", parts.join(" and ")))
            }
        }
    };
    phrases.extend(range(
        "",
        number("minimum"),
        number("maximum"),
        (flag("exclusiveMinimum"), flag("exclusiveMaximum")),
    ));
    phrases.extend(range(
        "length",
        number("minLength"),
        number("maxLength"),
        (false, false),
    ));
    phrases.extend(range(
        "items",
        number("minItems"),
        number("maxItems"),
        (false, false),
    ));
    if flag("uniqueItems") {
        phrases.push("unique items".into());
    }
    if let Some(m) = number("multipleOf") {
        phrases.push(format!("multiple of {m}"));
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        phrases.push(match named {
            Some(name) => format!("pattern of {}", Page::schema_link(name)),
            None => format!("pattern {}", code(pattern)),
        });
    }
    if schema.get("properties").is_some()
        || schema.get("type").and_then(Value::as_str) == Some("object")
    {
        phrases.push(match schema.get("additionalProperties") {
            Some(Value::Bool(false)) => "closed: no other members".into(),
            _ => "open: other members allowed".into(),
        });
    }
    phrases
}
