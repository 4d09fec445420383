//! One operation on the page: its heading, authentication, parameters, responses, the body of
//! each as a table of fields (nested objects and array items included), headers and examples.

use std::fmt::Write as _;

use serde_json::Value;

use super::view::{View, alternatives};
use super::{NULL, Page, operation_id, plain};
use crate::publish::markdown::{anchor, cell, code, fold, json_block, json_code, slug};
use crate::publish::register::Loc;

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
    pub(super) fn operation(&mut self, out: &mut String, path: &str, method: &str, op: &'a Value) {
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

    pub(super) fn parameters(&mut self, out: &mut String, op_id: &str, op: &'a Value) {
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
    pub(super) fn schema_locs(&self, view: &View<'a>) -> Vec<Loc<'a>> {
        let mut locs: Vec<Loc<'a>> = view.name.map(Loc::Schema).into_iter().collect();
        if let Some(items) = view.schema.get("items") {
            locs.extend(self.view(items).name.map(Loc::Schema));
        }
        locs
    }

    pub(super) fn responses(&mut self, out: &mut String, op_id: &str, op: &'a Value) {
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

    pub(super) fn body_fields(
        &mut self,
        out: &mut String,
        op_id: &str,
        body: &str,
        root: &View<'a>,
    ) {
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
    pub(super) fn object_fields(
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

    pub(super) fn headers(&self, out: &mut String, status: &str, response: &'a Value) {
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
