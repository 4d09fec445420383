//! What cites what: the schemas each field and parameter uses and the register rows that apply,
//! recorded while the operations are written, and the closing sections built from them
//! (authentication, schemas with their users, the discrepancy register with its links back).

use std::fmt::Write as _;

use serde_json::Value;

use super::view::{View, alternatives, bounds_of};
use super::{Link, Page};
use crate::publish::markdown::{anchor, cell, code, slug};
use crate::publish::register::{self, Loc};

impl<'a> Page<'a> {
    /// The register rows about `locs`, as links, each recorded as citing `link`.
    pub(super) fn register_cell(&mut self, locs: &[Loc<'_>], link: &Link) -> String {
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

    pub(super) fn note_use(&mut self, view: &View<'a>, link: &Link) {
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

    pub(super) fn security(&mut self) -> String {
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

    pub(super) fn schemas(&mut self) -> String {
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

    pub(super) fn register(&self) -> String {
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
