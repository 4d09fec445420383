//! Schema comparison: each pair of schemas at one place, keyword by keyword (types, nullability,
//! enums, bounds, patterns, formats, defaults, properties, items, variants), once per pair.

use std::collections::{BTreeSet, HashSet};

use serde_json::{Map, Value};

use super::refs::{Keywords, deref, is_single_ref, object_or_empty, resolve};
use super::rule::{Shape, classify};
use super::walk::{Ctx, Differ, compact, is_doc_key};
use super::{Impact, Rule, Side};

/// How deep [`diff`](fn@super::diff) follows schemas into each other (properties, items, variants and `$ref`s):
/// every level is one frame of a recursive walk, and real specs nest a dozen levels.
pub const MAX_SCHEMA_DEPTH: usize = 128;

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

impl<'a> Differ<'a> {
    /// Compares the schemas at one place (a parameter, a body's media type, a header).
    pub(super) fn schema_pair(
        &mut self,
        ctx: &Ctx<'_>,
        old: Option<&'a Value>,
        new: Option<&'a Value>,
    ) {
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
                Rule::TypeChanged,
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
                Rule::NullableAdded,
                classify(side, Shape::Widened, false),
                "became nullable".into(),
            ),
            (true, false) => self.push(
                ctx,
                path,
                Rule::NullableRemoved,
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
                Rule::PatternChanged,
                classify(side, Shape::Narrowed, true),
                format!("pattern {} added", compact(p)),
            ),
            (Some(p), None) => self.push(
                ctx,
                path,
                Rule::PatternChanged,
                classify(side, Shape::Widened, true),
                format!("pattern {} removed", compact(p)),
            ),
            (Some(a), Some(b)) => self.push(
                ctx,
                path,
                Rule::PatternChanged,
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
                Rule::FormatChanged,
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
                Rule::DefaultChanged,
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
                Rule::KeywordChanged,
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
                    Rule::KeywordChanged,
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
                Rule::EnumWidened,
                classify(side, Shape::Widened, true),
                "enum removed: any value of the type is allowed".into(),
            ),
            (None, Some(values)) => self.push(
                ctx,
                path,
                Rule::EnumNarrowed,
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
                        Rule::EnumWidened,
                        classify(side, Shape::Widened, true),
                        format!("enum value(s) added: {}", list(&added)),
                    );
                }
                if !removed.is_empty() {
                    self.push(
                        ctx,
                        path,
                        Rule::EnumNarrowed,
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
                Shape::Narrowed => (Rule::BoundsTightened, "tightened"),
                Shape::Widened => (Rule::BoundsLoosened, "loosened"),
                Shape::Changed => (Rule::BoundsTightened, "changed"),
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
                    Rule::PropertyRemoved,
                    Impact::Breaking,
                    format!("property removed ({why})"),
                );
                continue;
            };
            match (old_required.contains(name), new_required.contains(name)) {
                (false, true) => self.push(
                    ctx,
                    &here,
                    Rule::RequiredAdded,
                    classify(side, Shape::Narrowed, false),
                    "became required".into(),
                ),
                (true, false) => self.push(
                    ctx,
                    &here,
                    Rule::RequiredRemoved,
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
            self.push(ctx, &child(name), Rule::PropertyAdded, impact, what.into());
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
                Rule::RequiredAdded,
                classify(side, Shape::Narrowed, false),
                "became required".into(),
            );
        }
        for name in old_bare.difference(&new_bare) {
            self.push(
                ctx,
                &child(name),
                Rule::RequiredRemoved,
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
                Rule::AdditionalPropertiesClosed,
                classify(side, Shape::Narrowed, true),
                "unknown properties no longer allowed".into(),
            ),
            (Some(Value::Bool(false)), _) => self.push(
                ctx,
                path,
                Rule::AdditionalPropertiesOpened,
                classify(side, Shape::Widened, true),
                "unknown properties now allowed".into(),
            ),
            (None | Some(Value::Bool(true)), Some(_)) => self.push(
                ctx,
                path,
                Rule::AdditionalPropertiesClosed,
                classify(side, Shape::Narrowed, true),
                "unknown properties now constrained by a schema".into(),
            ),
            (None, None) => {}
            (Some(_), _) => self.push(
                ctx,
                path,
                Rule::AdditionalPropertiesOpened,
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
                    Rule::VariantRemoved,
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
                    Rule::VariantAdded,
                    classify(ctx.side, add_shape, false),
                    format!("{keyword} branch {i} added: {}", compact(branch)),
                );
            }
        }
    }
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
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_values_are_numbers_when_comparing_types() {
        let set = |ts: &[&str]| Some(ts.iter().map(|t| (*t).to_owned()).collect());
        assert!(subset(&set(&["integer"]), &set(&["number"])));
        assert!(!subset(&set(&["number"]), &set(&["integer"])));
        assert!(subset(&set(&["string"]), &None), "no type is any type");
        assert!(!subset(&None, &set(&["string"])));
    }
}
