//! `REFERENCE.md`: a spec as a page people read, published as `{api}/v{major}/REFERENCE.md`.
//!
//! Generated from the OpenAPI document alone (plus the discrepancy register), so it cannot say
//! anything the contract does not: the operation, every parameter (where it goes, type, required,
//! default, allowed values), the authentication schemes, every response with its body as a table
//! of field paths (type, required, nullable, known values, bounds, description, evidence), the
//! error shapes, the examples, every named schema with where it is used, and the register rows
//! that apply, linked both ways. The output is GitHub-flavoured Markdown, deterministic (maps are
//! walked in sorted order) and drift-checked with the rest of the publication.
//!
//! The page is written by one `Page` walk: `operation` writes each operation (parameters,
//! responses, bodies as field tables, headers, examples), `view` says how a schema reads there
//! (type, known values, bounds, description), and `sections` records what cites what on the way
//! and writes the closing sections from it (authentication, schemas, the register).

mod operation;
mod sections;
#[cfg(test)]
mod tests;
mod view;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::Version;
use super::export::BASE_URI;
use super::markdown::{code, escape, fold, json_code, slug};
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
