//! `REFERENCE.md`: a spec as a page people read, published as `{api}/v{major}/REFERENCE.md`.
//!
//! Generated from the OpenAPI document alone (plus the discrepancy register), so it cannot say
//! anything the contract does not: the operation, every parameter (where it goes, type, required,
//! default, allowed values), the authentication schemes, every response with its body as a table
//! of field paths (type, required, nullable, known values, bounds, description, evidence), the
//! error shapes, the examples, every named schema with where it is used, and the register rows
//! that apply, linked both ways. The output is GitHub-flavoured Markdown, deterministic (maps are
//! walked in sorted order) and drift-checked with the rest of the publication.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::Version;
use super::export::BASE_URI;
use super::markdown::{anchor, cell, code, escape, fold, json_block, json_code, slug};
use super::register::{self, Loc};
use crate::contract::Api;

/// The file name of the reference inside `{api}/v{major}/`.
pub const FILE: &str = "REFERENCE.md";

/// Renders the reference of `api` from `spec` (its OpenAPI document), whose `info.version` is
/// `version`.
pub fn render(api: Api, spec: &Value, version: Version) -> String {
    Page::new(api, spec, version).render()
}

/// What a missing schema reads as.
static NULL: Value = Value::Null;

/// A link to somewhere in the page: its text and the anchor it points at.
type Link = (String, String);

struct Page<'a> {
    api: Api,
    spec: &'a Value,
    version: Version,
    /// Component name to the fields and parameters of that type, in page order.
    used_by: BTreeMap<&'a str, Vec<Link>>,
    /// Register row id to what it applies to, in page order.
    cited: BTreeMap<&'static str, Vec<Link>>,
}

/// A schema as a field sees it: `$ref` (or an `allOf` of one `$ref`) followed, with the wrapper's
/// description, nullability and evidence on top.
struct View<'a> {
    /// The schema after following references.
    schema: &'a Value,
    /// The component it came from, if any.
    name: Option<&'a str>,
    description: Option<&'a str>,
    nullable: bool,
    evidence: Vec<&'a str>,
    default: Option<&'a Value>,
}

/// The responses of one operation that share a body schema: `(key, component name, schema,
/// [(status, response)])`, where the key is the component name or `status N` for an inline body.
type Body<'a, 's> = (
    String,
    Option<&'a str>,
    &'a Value,
    Vec<(&'s str, &'a Value)>,
);

/// Whether a property must be present.
#[derive(Clone, Copy)]
enum Presence {
    Required,
    Optional,
    /// Required by one of the object's `anyOf`/`oneOf` alternatives.
    Alternative,
}

impl<'a> Page<'a> {
    fn new(api: Api, spec: &'a Value, version: Version) -> Self {
        Page {
            api,
            spec,
            version,
            used_by: BTreeMap::new(),
            cited: BTreeMap::new(),
        }
    }

    fn render(mut self) -> String {
        let operations = self.operations();
        let mut body = String::new();
        for (path, method, op) in &operations {
            self.operation(&mut body, path, method, op);
        }
        let schemas = self.schemas();
        let security = self.security();
        let register = self.register();

        let mut out = String::new();
        let title = self.text("/info/title").unwrap_or(self.api.name());
        let dir = format!("{}/v{}", self.api, self.version.major);
        let _ = writeln!(
            out,
            "<!-- Generated from {} (info.version {}) by `backup-task-api schemas`; do not edit. -->\n",
            self.api.spec_path(),
            self.version
        );
        let _ = writeln!(out, "# {}: reference\n", escape(title));
        let _ = writeln!(
            out,
            "Contract version **{}**, published as major `v{}`: every schema below is also a \
             standalone JSON Schema 2020-12 file under `$id` `{BASE_URI}{dir}/`, the spec itself is \
             [`openapi.yaml`](openapi.yaml), and what changed between releases is in the \
             [changelog](../CHANGELOG.md). Within a major, published schemas change only compatibly.\n",
            self.version, self.version.major
        );
        if let Some(description) = self.text("/info/description") {
            let _ = writeln!(out, "{}\n", description.trim());
        }
        out.push_str("## Contents\n\n");
        for (path, method, op) in &operations {
            let id = operation_id(op, path, method);
            let _ = writeln!(
                out,
                "- [{}](#{}): {}",
                code(&format!("{} {path}", method.to_uppercase())),
                slug(&["op", id]),
                fold(op.get("summary").and_then(Value::as_str).unwrap_or(id))
            );
        }
        out.push_str("- [Authentication](#authentication)\n");
        out.push_str("- [Schemas](#schemas)\n");
        out.push_str("- [Discrepancy register](#discrepancy-register)\n\n");
        out.push_str(&self.servers());
        out.push_str(&body);
        out.push_str(&security);
        out.push_str(&schemas);
        out.push_str(&register);
        out
    }

    /// A string at `pointer` in the spec.
    fn text(&self, pointer: &str) -> Option<&'a str> {
        self.spec.pointer(pointer).and_then(Value::as_str)
    }

    /// Every `(path, method, operation)`, sorted by path then method.
    fn operations(&self) -> Vec<(&'a str, &'a str, &'a Value)> {
        let mut found = Vec::new();
        let Some(paths) = self.spec.get("paths").and_then(Value::as_object) else {
            return found;
        };
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                if op.get("responses").is_some() {
                    found.push((path.as_str(), method.as_str(), op));
                }
            }
        }
        found.sort_by_key(|(path, method, _)| (*path, *method));
        found
    }

    /// Follows `reference` (`#/...`, chains included); the target and the last name on the way.
    fn resolve(&self, reference: &'a str) -> Option<(&'a Value, &'a str)> {
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

    fn view(&self, schema: &'a Value) -> View<'a> {
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
    fn described(value: &'a Value) -> View<'a> {
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
    fn schema_link(name: &str) -> String {
        format!("[{}](#{})", code(name), slug(&["schema", name]))
    }

    /// The type as people say it: `integer (int32)`, `array of string (Timestamp)`,
    /// `one of integer (int64), string (LongId)`.
    fn type_text(&self, view: &View<'a>) -> String {
        let base = self.base_type(view.schema);
        match view.name {
            Some(name) => format!("{base} ({})", Self::schema_link(name)),
            None => base,
        }
    }

    fn base_type(&self, schema: &'a Value) -> String {
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
    fn known_values(&self, schema: &'a Value) -> Vec<String> {
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
    fn bounds(&self, view: &View<'a>) -> Vec<String> {
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
    fn description(view: &View<'_>, example: Option<&Value>) -> String {
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

    /// The register rows about `locs`, as links, each recorded as citing `link`.
    fn register_cell(&mut self, locs: &[Loc<'_>], link: &Link) -> String {
        let mut ids: Vec<&'static str> = locs
            .iter()
            .flat_map(|loc| register::rows_about(self.api, *loc))
            .collect();
        register::sort(&mut ids);
        ids.iter()
            .map(|id| {
                let citing = self.cited.entry(id).or_default();
                if !citing.contains(link) {
                    citing.push(link.clone());
                }
                format!("[{id}](#{})", slug(&["register", id]))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn note_use(&mut self, view: &View<'a>, link: &Link) {
        let mut names: Vec<&'a str> = view.name.into_iter().collect();
        if let Some(items) = view.schema.get("items") {
            names.extend(self.view(items).name);
        }
        for name in names {
            let users = self.used_by.entry(name).or_default();
            if !users.contains(link) {
                users.push(link.clone());
            }
        }
    }

    fn servers(&self) -> String {
        let mut out = String::new();
        let Some(servers) = self.spec.get("servers").and_then(Value::as_array) else {
            return out;
        };
        out.push_str("**Servers**\n\n");
        for server in servers {
            let url = server
                .get("url")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let _ = write!(out, "- {}", code(url));
            if let Some(d) = server.get("description").and_then(Value::as_str) {
                let _ = write!(out, ": {}", fold(d));
            }
            out.push('\n');
            if let Some(vars) = server.get("variables").and_then(Value::as_object) {
                let mut names: Vec<&String> = vars.keys().collect();
                names.sort();
                for name in names {
                    let var = &vars[name.as_str()];
                    let _ = write!(out, "  - {}", code(&format!("{{{name}}}")));
                    if let Some(default) = var.get("default") {
                        let _ = write!(out, " (default {})", json_code(default));
                    }
                    if let Some(d) = var.get("description").and_then(Value::as_str) {
                        let _ = write!(out, ": {}", fold(d));
                    }
                    out.push('\n');
                }
            }
        }
        out.push('\n');
        out
    }

    fn operation(&mut self, out: &mut String, path: &str, method: &str, op: &'a Value) {
        let id = operation_id(op, path, method);
        let _ = writeln!(
            out,
            "{}\n## {}\n",
            anchor(&slug(&["op", id])),
            code(&format!("{} {path}", method.to_uppercase()))
        );
        let _ = write!(out, "Operation {}", code(id));
        if let Some(summary) = op.get("summary").and_then(Value::as_str) {
            let _ = write!(out, ": {}", fold(summary));
        }
        out.push_str(".\n\n");
        if let Some(description) = op.get("description").and_then(Value::as_str) {
            let _ = writeln!(out, "{}\n", description.trim());
        }
        let security = op
            .get("security")
            .or_else(|| self.spec.get("security"))
            .and_then(Value::as_array);
        if let Some(requirements) = security {
            let ways: Vec<String> = requirements
                .iter()
                .filter_map(Value::as_object)
                .map(|requirement| {
                    let mut names: Vec<&String> = requirement.keys().collect();
                    names.sort();
                    let names: Vec<String> = names
                        .iter()
                        .map(|n| format!("[{}](#{})", code(n), slug(&["security", n])))
                        .collect();
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(" and ")
                    }
                })
                .collect();
            let _ = writeln!(out, "**Authentication:** {}.\n", ways.join(", or "));
        }
        self.parameters(out, id, op);
        self.responses(out, id, op);
    }

    fn parameters(&mut self, out: &mut String, op_id: &str, op: &'a Value) {
        let Some(parameters) = op.get("parameters").and_then(Value::as_array) else {
            return;
        };
        out.push_str("### Parameters\n\n");
        out.push_str(
            "| Name | In | Type | Required | Default | Allowed values | Description | Register |\n",
        );
        out.push_str("|---|---|---|---|---|---|---|---|\n");
        for parameter in parameters {
            let parameter = match parameter.get("$ref").and_then(Value::as_str) {
                Some(r) => match self.resolve(r) {
                    Some((target, _)) => target,
                    None => continue,
                },
                None => parameter,
            };
            let name = parameter
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let location = parameter
                .get("in")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let anchor_id = slug(&["param", op_id, name]);
            let link = (format!("parameter {}", code(name)), anchor_id.clone());
            let view = self.view(parameter.get("schema").unwrap_or(&NULL));
            let mut type_text = self.type_text(&view);
            let style: Vec<String> = ["style", "explode", "allowReserved"]
                .iter()
                .filter_map(|key| {
                    parameter
                        .get(*key)
                        .map(|v| code(&format!("{key}: {}", plain(v))))
                })
                .collect();
            if !style.is_empty() {
                let _ = write!(type_text, "; {}", style.join(", "));
                if parameter.get("style").and_then(Value::as_str) == Some("form")
                    && parameter.get("explode").and_then(Value::as_bool) == Some(false)
                {
                    type_text.push_str(" (comma-separated)");
                }
            }
            let mut allowed = self.known_values(view.schema);
            allowed.extend(self.bounds(&view));
            let description =
                Self::description(&Self::described(parameter), parameter.get("example"));
            let mut locs: Vec<Loc<'_>> = vec![Loc::Parameter(name)];
            locs.extend(self.schema_locs(&view));
            let register = self.register_cell(&locs, &link);
            self.note_use(&view, &link);
            let required = parameter.get("required").and_then(Value::as_bool) == Some(true);
            let _ = writeln!(
                out,
                "| {}{} | {} | {} | {} | {} | {} | {} | {} |",
                anchor(&anchor_id),
                code(name),
                location,
                cell(&type_text),
                if required { "yes" } else { "no" },
                view.default.map(json_code).unwrap_or_default(),
                cell(&allowed.join(", ")),
                description,
                register
            );
        }
        out.push('\n');
    }

    /// `Schema` locations of a view and of its array items (a register row about a type applies
    /// to every field of that type).
    fn schema_locs(&self, view: &View<'a>) -> Vec<Loc<'a>> {
        let mut locs: Vec<Loc<'a>> = view.name.map(Loc::Schema).into_iter().collect();
        if let Some(items) = view.schema.get("items") {
            locs.extend(self.view(items).name.map(Loc::Schema));
        }
        locs
    }

    fn responses(&mut self, out: &mut String, op_id: &str, op: &'a Value) {
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            return;
        };
        let mut statuses: Vec<(&str, &'a Value)> =
            responses.iter().map(|(s, r)| (s.as_str(), r)).collect();
        statuses.sort_by_key(|(s, _)| (s.parse::<u16>().unwrap_or(u16::MAX), *s));

        // Responses that share a body schema share one field table.
        let mut bodies: Vec<Body<'a, '_>> = Vec::new();
        for (status, response) in &statuses {
            let Some(schema) = response.pointer("/content/application~1json/schema") else {
                continue;
            };
            let name = self.view(schema).name;
            let key = name.map_or_else(|| format!("status {status}"), str::to_owned);
            match bodies.iter_mut().find(|(k, ..)| *k == key) {
                Some((.., members)) => members.push((status, response)),
                None => bodies.push((key, name, schema, vec![(status, response)])),
            }
        }
        let body_anchor = |key: &str| slug(&["body", op_id, key]);

        out.push_str("### Responses\n\n");
        out.push_str("| Status | Description | Body | Published schema | Register |\n");
        out.push_str("|---|---|---|---|---|\n");
        for (status, response) in &statuses {
            let anchor_id = slug(&["response", op_id, status]);
            let link = (format!("response {}", code(status)), anchor_id.clone());
            let body = bodies
                .iter()
                .find(|(.., members)| members.iter().any(|(s, _)| s == status))
                .map(|(key, name, ..)| {
                    let text = name.map_or_else(|| "inline".to_owned(), code);
                    format!("[{text}](#{})", body_anchor(key))
                })
                .unwrap_or_else(|| "none".to_owned());
            let file = if response
                .pointer("/content/application~1json/schema")
                .is_some()
            {
                let file = format!("responses/{op_id}/{status}.json");
                format!("[{}]({file})", code(&file))
            } else {
                String::new()
            };
            let locs: Vec<Loc> = status
                .parse::<u16>()
                .ok()
                .map(Loc::Status)
                .into_iter()
                .collect();
            let register = self.register_cell(&locs, &link);
            let description = response
                .get("description")
                .and_then(Value::as_str)
                .map(cell)
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {}{} | {} | {} | {} | {} |",
                anchor(&anchor_id),
                code(status),
                description,
                body,
                file,
                register
            );
        }
        out.push('\n');

        for (key, name, schema, members) in &bodies {
            let errors = members
                .iter()
                .all(|(s, _)| s.parse::<u16>().is_ok_and(|s| s >= 400));
            let list: Vec<String> = members.iter().map(|(s, _)| s.to_string()).collect();
            let _ = writeln!(
                out,
                "{}\n### {} {} ({})\n",
                anchor(&body_anchor(key)),
                if errors { "Error body" } else { "Body" },
                name.map_or_else(|| "inline".to_owned(), code),
                list.join(", ")
            );
            let view = self.view(schema);
            if let Some(description) = view.description {
                let _ = writeln!(out, "{}\n", fold(description));
            }
            if let Some(name) = name {
                let file = format!("components/{name}.json");
                let _ = writeln!(
                    out,
                    "Schema {} ([{}]({file})).\n",
                    Self::schema_link(name),
                    code(&file)
                );
            }
            self.body_fields(out, op_id, key, &view);
            for (status, response) in members {
                self.headers(out, status, response);
            }
            for (status, response) in members {
                examples(out, status, response);
            }
        }
    }

    fn body_fields(&mut self, out: &mut String, op_id: &str, body: &str, root: &View<'a>) {
        let mut rows = Vec::new();
        let mut notes = Vec::new();
        let mut stack: Vec<&'a str> = root.name.into_iter().collect();
        self.object_fields(
            op_id,
            body,
            root.schema,
            root.name,
            "",
            &mut stack,
            &mut rows,
            &mut notes,
        );
        if rows.is_empty() {
            let _ = writeln!(out, "The body is {}.\n", cell(&self.type_text(root)));
            return;
        }
        out.push_str(
            "| Field | Type | Required | Nullable | Known values | Bounds | Description | Register |\n",
        );
        out.push_str("|---|---|---|---|---|---|---|---|\n");
        for row in rows {
            out.push_str(&row);
            out.push('\n');
        }
        out.push('\n');
        for note in notes {
            let _ = writeln!(out, "{note}\n");
        }
    }

    /// One table row per property of `object` (sorted by name), then the rows of nested objects
    /// and array items under `prefix.name.` and `prefix.name[].`.
    #[allow(clippy::too_many_arguments)]
    fn object_fields(
        &mut self,
        op_id: &str,
        body: &str,
        object: &'a Value,
        owner: Option<&'a str>,
        prefix: &str,
        stack: &mut Vec<&'a str>,
        rows: &mut Vec<String>,
        notes: &mut Vec<String>,
    ) {
        let Some(properties) = object.get("properties").and_then(Value::as_object) else {
            return;
        };
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let alternative_sets: Vec<Vec<&str>> = alternatives(object)
            .into_iter()
            .flatten()
            .map(|branch| {
                branch
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect()
            })
            .filter(|set: &Vec<&str>| !set.is_empty())
            .collect();
        if !alternative_sets.is_empty() {
            let which = if object.get("oneOf").is_some() {
                "exactly one"
            } else {
                "at least one"
            };
            let sets: Vec<String> = alternative_sets
                .iter()
                .map(|set| {
                    let names: Vec<String> =
                        set.iter().map(|n| code(&format!("{prefix}{n}"))).collect();
                    format!("({})", names.join(", "))
                })
                .collect();
            let whose = if prefix.is_empty() {
                "The body".to_owned()
            } else {
                code(prefix.trim_end_matches('.'))
            };
            notes.push(format!(
                "{whose} must carry {which} of these sets of fields: {}.",
                sets.join(" or ")
            ));
        }
        let mut names: Vec<&'a String> = properties.keys().collect();
        names.sort();
        for name in names {
            let property = &properties[name.as_str()];
            let path = format!("{prefix}{name}");
            let view = self.view(property);
            let anchor_id = slug(&["field", op_id, body, &path]);
            let link = (format!("{} ({body})", code(&path)), anchor_id.clone());
            let presence = if required.contains(&name.as_str()) {
                Presence::Required
            } else if alternative_sets.iter().any(|s| s.contains(&name.as_str())) {
                Presence::Alternative
            } else {
                Presence::Optional
            };
            let mut locs: Vec<Loc<'_>> = owner
                .map(|owner| Loc::Field(owner, name.as_str()))
                .into_iter()
                .collect();
            locs.extend(self.schema_locs(&view));
            let register = self.register_cell(&locs, &link);
            self.note_use(&view, &link);
            // What the rows below this one describe: an array's items, or the value itself.
            let (child, child_prefix) = match view.schema.get("type").and_then(Value::as_str) {
                Some("array") => (
                    view.schema.get("items").map(|i| self.view(i)),
                    format!("{path}[]."),
                ),
                _ => (None, format!("{path}.")),
            };
            let child_name = child.as_ref().map_or(view.name, |c| c.name);
            let recursive = child_name.is_some_and(|n| stack.contains(&n));
            let mut type_text = self.type_text(&view);
            if recursive {
                type_text.push_str(", recursive: its fields are listed above");
            }
            rows.push(format!(
                "| {}{} | {} | {} | {} | {} | {} | {} | {} |",
                anchor(&anchor_id),
                code(&path),
                cell(&type_text),
                match presence {
                    Presence::Required => "yes",
                    Presence::Optional => "no",
                    Presence::Alternative => "in an alternative (below)",
                },
                if view.nullable { "yes" } else { "no" },
                cell(&self.known_values(view.schema).join(", ")),
                cell(&self.bounds(&view).join(", ")),
                Self::description(&view, None),
                register
            ));
            if recursive {
                continue;
            }
            let depth = stack.len();
            stack.extend(child_name);
            let child_schema = child.as_ref().map_or(view.schema, |c| c.schema);
            self.object_fields(
                op_id,
                body,
                child_schema,
                child_name,
                &child_prefix,
                stack,
                rows,
                notes,
            );
            stack.truncate(depth);
        }
    }

    fn headers(&self, out: &mut String, status: &str, response: &'a Value) {
        let Some(headers) = response.get("headers").and_then(Value::as_object) else {
            return;
        };
        let _ = writeln!(out, "Headers of {}:\n", code(status));
        out.push_str("| Header | Type | Bounds | Description |\n|---|---|---|---|\n");
        let mut names: Vec<&String> = headers.keys().collect();
        names.sort();
        for name in names {
            let header = &headers[name.as_str()];
            let view = self.view(header.get("schema").unwrap_or(&NULL));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                code(name),
                cell(&self.type_text(&view)),
                cell(&self.bounds(&view).join(", ")),
                Self::description(&Self::described(header), None)
            );
        }
        out.push('\n');
    }

    fn security(&mut self) -> String {
        let mut out = String::from("## Authentication\n\n");
        let Some(schemes) = self
            .spec
            .pointer("/components/securitySchemes")
            .and_then(Value::as_object)
        else {
            out.push_str("The spec defines no security scheme.\n\n");
            return out;
        };
        out.push_str("| Scheme | Type | Sent as | Description |\n|---|---|---|---|\n");
        let mut names: Vec<&String> = schemes.keys().collect();
        names.sort();
        for name in names {
            let scheme = &schemes[name.as_str()];
            let kind = scheme.get("type").and_then(Value::as_str).unwrap_or("?");
            let field = |key: &str| scheme.get(key).and_then(Value::as_str).unwrap_or_default();
            let (kind, sent) = match kind {
                "http" => (
                    format!("http {}", field("scheme")),
                    format!("header {}", code("Authorization")),
                ),
                "apiKey" => (
                    "apiKey".to_owned(),
                    format!("{} {}", field("in"), code(field("name"))),
                ),
                other => (other.to_owned(), String::new()),
            };
            let view = Self::described(scheme);
            let _ = writeln!(
                out,
                "| {}{} | {} | {} | {} |",
                anchor(&slug(&["security", name])),
                code(name),
                kind,
                sent,
                Self::description(&view, None)
            );
        }
        out.push('\n');
        out
    }

    fn schemas(&mut self) -> String {
        let mut out = String::from("## Schemas\n\n");
        out.push_str(
            "Every named schema of the spec, each also published as a standalone JSON Schema \
             file, with the fields and parameters that use it.\n\n",
        );
        out.push_str(
            "| Schema | Type | Known values | Bounds | Description | Used by | Register |\n",
        );
        out.push_str("|---|---|---|---|---|---|---|\n");
        let Some(schemas) = self
            .spec
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        else {
            return out;
        };
        let mut names: Vec<&'a String> = schemas.keys().collect();
        names.sort();
        for name in names {
            let schema = &schemas[name.as_str()];
            let anchor_id = slug(&["schema", name]);
            let link = (format!("schema {}", code(name)), anchor_id.clone());
            let mut view = self.view(schema);
            view.name = None;
            let mut bounds = bounds_of(schema, None);
            if alternatives(schema).is_some() && schema.get("type").is_none() {
                bounds = self.bounds(&view);
            }
            let register = self.register_cell(&[Loc::Schema(name)], &link);
            let used: Vec<String> = self
                .used_by
                .get(name.as_str())
                .into_iter()
                .flatten()
                .map(|(text, id)| format!("[{text}](#{id})"))
                .collect();
            let file = format!("components/{name}.json");
            let _ = writeln!(
                out,
                "| {}[{}]({file}) | {} | {} | {} | {} | {} | {} |",
                anchor(&anchor_id),
                code(name),
                cell(&self.base_type(schema)),
                cell(&self.known_values(schema).join(", ")),
                cell(&bounds.join(", ")),
                Self::description(&view, None),
                cell(&used.join(", ")),
                register
            );
        }
        out.push('\n');
        out
    }

    fn register(&self) -> String {
        let mut out = String::from("## Discrepancy register\n\n");
        out.push_str(
            "The rows of this project's discrepancy register \
             ([`openapi/DISCREPANCIES.md`](../../../openapi/DISCREPANCIES.md)) that apply to this \
             API: what the vendor's reference page says, what the evidence shows, what this \
             contract decided, and the test that pins the decision. Each row links to what it \
             applies to, and each of those links back here.\n\n",
        );
        for table in register::tables() {
            let rows: Vec<_> = table
                .rows
                .iter()
                .filter(|row| self.cited.contains_key(row.id.as_str()))
                .collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(out, "### {}\n", table.heading);
            let _ = writeln!(out, "| {} | Applies to |", table.header.join(" | "));
            let _ = writeln!(out, "{}|---|", "|---".repeat(table.header.len()));
            for row in rows {
                let mut cells = row.cells.clone();
                if let Some(first) = cells.first_mut() {
                    *first = format!("{}{first}", anchor(&slug(&["register", &row.id])));
                }
                let applies: Vec<String> = self
                    .cited
                    .get(row.id.as_str())
                    .into_iter()
                    .flatten()
                    .map(|(text, id)| format!("[{text}](#{id})"))
                    .collect();
                let _ = writeln!(
                    out,
                    "| {} | {} |",
                    cells.join(" | "),
                    cell(&applies.join(", "))
                );
            }
            out.push('\n');
        }
        out
    }
}

/// The `oneOf` (or `anyOf`) branches of a schema.
fn alternatives(schema: &Value) -> Option<&Vec<Value>> {
    schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
}

fn operation_id<'a>(op: &'a Value, path: &'a str, method: &'a str) -> &'a str {
    op.get("operationId")
        .and_then(Value::as_str)
        .unwrap_or(if path.is_empty() { method } else { path })
}

/// A JSON scalar as plain text (`form`, `false`).
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The constraints of one schema (no references followed) as short phrases. A pattern of a named
/// schema is shown where that schema is listed, not on every field of its type.
fn bounds_of(schema: &Value, named: Option<&str>) -> Vec<String> {
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

fn examples(out: &mut String, status: &str, response: &Value) {
    let Some(media) = response.pointer("/content/application~1json") else {
        return;
    };
    if let Some(examples) = media.get("examples").and_then(Value::as_object) {
        let mut names: Vec<&String> = examples.keys().collect();
        names.sort();
        for name in names {
            let example = &examples[name.as_str()];
            let _ = write!(out, "Example {} {}", code(status), code(name));
            if let Some(summary) = example.get("summary").and_then(Value::as_str) {
                // Summaries are written like descriptions (Markdown code spans and all).
                let _ = write!(out, ": {}", fold(summary));
            }
            out.push_str("\n\n");
            if let Some(value) = example.get("value") {
                out.push_str(&json_block(value));
                out.push('\n');
            }
        }
    } else if let Some(value) = media.get("example") {
        let _ = writeln!(out, "Example {}:\n", code(status));
        out.push_str(&json_block(value));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A spec small enough to read, shaped to hit every column: a nullable field with a pipe in
    /// its description, an enum, numeric and length bounds, a required set of alternatives, a
    /// recursive array, and a component and property the register has rows about (OCP's
    /// `LogBackupTask.delay`: O2, N3).
    fn spec() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "Tasks", "version": "1.2.3"},
            "paths": {"/tasks": {"get": {
                "operationId": "list_tasks",
                "summary": "List tasks",
                "parameters": [{
                    "name": "size", "in": "query", "description": "Page size.",
                    "schema": {"type": "integer", "format": "int32", "minimum": 1, "default": 10},
                }],
                "responses": {"200": {"description": "OK", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/LogBackupTask"},
                    "examples": {"one": {"summary": "One task", "value": {"delay": 1.5}}},
                }}}},
            }}},
            "components": {"schemas": {
                "LogBackupTask": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["id"],
                    "anyOf": [{"required": ["delay"]}, {"required": ["kind"]}],
                    "properties": {
                        "id": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 10},
                        "note": {"type": "string", "nullable": true, "maxLength": 5,
                                 "description": "Either `a|b` or\n  nothing."},
                        "kind": {"$ref": "#/components/schemas/Kind"},
                        "delay": {"type": "number", "x-evidence": "samples"},
                        "children": {"type": "array",
                                     "items": {"$ref": "#/components/schemas/LogBackupTask"}},
                    },
                },
                "Kind": {"type": "string", "enum": ["A", "B"], "description": "The kind."},
            }},
        })
    }

    fn page() -> String {
        render(Api::Ocp, &spec(), Version::parse("1.2.3").expect("version"))
    }

    fn row<'t>(page: &'t str, anchor_id: &str) -> &'t str {
        let start = page
            .find(&format!("<a id=\"{anchor_id}\"></a>"))
            .unwrap_or_else(|| panic!("no anchor {anchor_id} in\n{page}"));
        let line_start = page[..start].rfind('\n').map_or(0, |i| i + 1);
        let end = page[start..].find('\n').map_or(page.len(), |i| start + i);
        &page[line_start..end]
    }

    #[test]
    fn a_nullable_field_says_so_and_its_description_cannot_break_the_table() {
        let page = page();
        assert_eq!(
            row(&page, "field-list_tasks-logbackuptask-note"),
            "| <a id=\"field-list_tasks-logbackuptask-note\"></a>`note` | string | no | yes |  \
             | length ≤ 5 | Either `a\\|b` or nothing. |  |"
        );
    }

    #[test]
    fn bounds_formats_enums_and_required_sets_are_columns() {
        let page = page();
        assert_eq!(
            row(&page, "field-list_tasks-logbackuptask-id"),
            "| <a id=\"field-list_tasks-logbackuptask-id\"></a>`id` | integer (int64) | yes | no \
             |  | 1 to 10 |  |  |"
        );
        assert_eq!(
            row(&page, "field-list_tasks-logbackuptask-kind"),
            "| <a id=\"field-list_tasks-logbackuptask-kind\"></a>`kind` | string \
             ([`Kind`](#schema-kind)) | in an alternative (below) | no | `A`, `B` |  | The kind. |  |"
        );
        assert!(
            page.contains(
                "The body must carry at least one of these sets of fields: (`delay`) or (`kind`)."
            ),
            "{page}"
        );
        assert_eq!(
            row(&page, "param-list_tasks-size"),
            "| <a id=\"param-list_tasks-size\"></a>`size` | query | integer (int32) | no | `10` \
             | ≥ 1 | Page size. | [O5](#register-o5) |",
            "a parameter the register has a row about links to it"
        );
    }

    #[test]
    fn a_field_links_to_its_register_rows_and_the_rows_link_back() {
        let page = page();
        let field = "field-list_tasks-logbackuptask-delay";
        assert!(
            row(&page, field).ends_with(
                "| number | in an alternative (below) | no |  |  | *Evidence:* samples. \
                 | [O2](#register-o2), [N3](#register-n3) |"
            ),
            "{}",
            row(&page, field)
        );
        for register_row in ["register-o2", "register-n3"] {
            assert!(
                row(&page, register_row).contains(&format!("(#{field})")),
                "{register_row} does not link back to {field}"
            );
        }
        // Rows about nothing on this page are left out.
        assert!(!page.contains("register-o1"), "{page}");
    }

    #[test]
    fn a_recursive_schema_is_listed_once() {
        let page = page();
        assert!(
            row(&page, "field-list_tasks-logbackuptask-children")
                .contains("array of object ([`LogBackupTask`](#schema-logbackuptask)), recursive")
        );
        assert!(!page.contains("children[].id"), "{page}");
    }

    #[test]
    fn examples_are_sorted_json_blocks() {
        let page = page();
        assert!(
            page.contains(
                "Example `200` `one`: One task\n\n```json\n{\n  \"delay\": 1.5\n}\n```\n"
            ),
            "{page}"
        );
    }

    #[test]
    fn the_real_specs_name_every_register_row_they_apply_to() {
        for api in Api::ALL {
            let spec = api.spec().expect("spec");
            let page = render(api, spec, Version::parse("1.0.0").expect("version"));
            for (row_api, id, _) in register::APPLIES {
                if *row_api == api {
                    let anchor_id = slug(&["register", id]);
                    assert!(
                        row(&page, &anchor_id).contains("](#"),
                        "{api}: register row {id} links to nothing"
                    );
                }
            }
        }
    }

    #[test]
    fn cbr_vault_id_is_nullable_and_cites_c2_and_n1() {
        let page = render(
            Api::Cbr,
            Api::Cbr.spec().expect("spec"),
            Version::parse("1.0.0").expect("version"),
        );
        let vault_id = row(
            &page,
            "field-list_op_logs-listoplogsresponse-operation_logs-vault_id",
        );
        assert!(
            vault_id.contains("| string | no | yes |")
                && vault_id.ends_with("| [C2](#register-c2), [N1](#register-n1) |"),
            "{vault_id}"
        );
    }
}
