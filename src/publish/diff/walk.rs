//! The document walker: operations, parameters, bodies, responses, headers, security and
//! components, matched between the two documents; schemas found on the way go to `schema`.

use std::collections::{BTreeSet, HashSet};

use serde_json::{Map, Value};

use super::document::{
    Operation, describe_alternative, operations, parameter_schema, parameters,
    security_alternatives, serialisation,
};
use super::refs::{Keywords, deref, keywords, object_or_empty};
use super::{Change, Impact, Rule, Side};

/// Keys that document but do not change what goes over the wire. `operationId` and `tags` name
/// generated methods and group operations; `license`, `contact` and `termsOfService` are `info`'s.
const DOC_KEYS: [&str; 13] = [
    "title",
    "summary",
    "description",
    "example",
    "examples",
    "deprecated",
    "externalDocs",
    "xml",
    "operationId",
    "tags",
    "license",
    "contact",
    "termsOfService",
];

/// Where in an operation a schema sits.
pub(super) struct Ctx<'c> {
    pub(super) side: Side,
    pub(super) operation: &'c str,
    pub(super) place: &'c str,
}

/// A schema node for [`Differ::compared`]: its address in its document, after `$ref`s.
pub(super) type Node = *const Value;

pub(super) struct Differ<'a> {
    pub(super) old: &'a Value,
    pub(super) new: &'a Value,
    pub(super) changes: Vec<Change>,
    /// The pairs of schemas compared at the current place ([`Differ::schema_pair`]): a pair met
    /// again, deeper (a recursive schema) or elsewhere (a shared component), is not walked again.
    pub(super) compared: HashSet<(Node, Node)>,
    /// How many schemas deep the walk is.
    pub(super) depth: usize,
    /// Where the walk passed [`MAX_SCHEMA_DEPTH`](super::MAX_SCHEMA_DEPTH), if it did.
    pub(super) too_deep: Option<String>,
}

impl<'a> Differ<'a> {
    pub(super) fn push(
        &mut self,
        ctx: &Ctx<'_>,
        path: &str,
        rule: Rule,
        impact: Impact,
        message: String,
    ) {
        debug_assert!(
            rule.impacts(ctx.side).contains(&impact),
            "{rule} gave {impact} on the {} side, which its policy does not list",
            ctx.side
        );
        let location = match (ctx.place.is_empty(), path.is_empty()) {
            (_, true) => ctx.place.to_owned(),
            (true, false) => path.to_owned(),
            (false, false) => format!("{}: {path}", ctx.place),
        };
        self.changes.push(Change {
            side: ctx.side,
            impact,
            operation: ctx.operation.to_owned(),
            location,
            rule,
            message,
        });
    }

    pub(super) fn document(&mut self) {
        let (old, new) = (self.old, self.new);
        let info = Ctx {
            side: Side::Response,
            operation: "info",
            place: "",
        };
        self.documentation(&info, "", old.get("info"), new.get("info"), &[]);
        if old.get("servers") != new.get("servers") {
            self.push(
                &Ctx {
                    side: Side::Request,
                    operation: "servers",
                    place: "",
                },
                "",
                Rule::DocumentationChanged,
                Impact::Documentation,
                "servers changed (clients take their base URL from configuration)".into(),
            );
        }
        let root = Ctx {
            side: Side::Request,
            operation: "document",
            place: "",
        };
        let empty = Map::new();
        let (old_root, new_root) = (
            old.as_object().unwrap_or(&empty),
            new.as_object().unwrap_or(&empty),
        );
        let compared = ["info", "servers", "paths", "components", "security"];
        let keys: BTreeSet<&String> = old_root.keys().chain(new_root.keys()).collect();
        let changed: Vec<&str> = keys
            .into_iter()
            .filter(|k| !compared.contains(&k.as_str()) && old_root.get(*k) != new_root.get(*k))
            .map(String::as_str)
            .collect();
        if !changed.is_empty() {
            self.push(
                &root,
                "",
                Rule::DocumentationChanged,
                Impact::Documentation,
                format!("{} changed", changed.join(", ")),
            );
        }
        self.operations();
        self.security_schemes();
        self.components();
    }

    fn operations(&mut self) {
        let old_ops = operations(self.old);
        let new_ops = operations(self.new);
        for (key, old_op) in &old_ops {
            match new_ops.get(key) {
                None => {
                    let ctx = Ctx {
                        side: Side::Request,
                        operation: &old_op.label,
                        place: "",
                    };
                    self.push(
                        &ctx,
                        "",
                        Rule::OperationRemoved,
                        Impact::Breaking,
                        "operation removed".into(),
                    );
                }
                Some(new_op) => self.operation(old_op, new_op),
            }
        }
        for (key, new_op) in &new_ops {
            if !old_ops.contains_key(key) {
                let ctx = Ctx {
                    side: Side::Request,
                    operation: &new_op.label,
                    place: "",
                };
                self.push(
                    &ctx,
                    "",
                    Rule::OperationAdded,
                    Impact::Compatible,
                    "operation added".into(),
                );
            }
        }
    }

    fn operation(&mut self, old: &Operation<'a>, new: &Operation<'a>) {
        let label = new.label.as_str();
        let ctx = Ctx {
            side: Side::Request,
            operation: label,
            place: "",
        };
        self.documentation(&ctx, "", Some(old.operation), Some(new.operation), &[]);
        self.parameters(label, old, new);
        self.request_body(
            label,
            old.operation.get("requestBody"),
            new.operation.get("requestBody"),
        );
        self.security(label, old.operation, new.operation);
        self.responses(
            label,
            old.operation.get("responses"),
            new.operation.get("responses"),
        );
    }

    fn parameters(&mut self, label: &str, old: &Operation<'a>, new: &Operation<'a>) {
        let old_params = parameters(self.old, old);
        let new_params = parameters(self.new, new);
        let required = |p: &Value| p.get("required") == Some(&Value::Bool(true));
        for (key, (old_name, old_param)) in &old_params {
            let location = key.0.as_str();
            let Some((new_name, new_param)) = new_params.get(key) else {
                let place = format!("{location} parameter {old_name}");
                let ctx = Ctx {
                    side: Side::Request,
                    operation: label,
                    place: &place,
                };
                self.push(
                    &ctx,
                    "",
                    Rule::ParameterRemoved,
                    Impact::Breaking,
                    "parameter removed (callers that send it are rejected or ignored)".into(),
                );
                continue;
            };
            let place = format!("{location} parameter {new_name}");
            let ctx = Ctx {
                side: Side::Request,
                operation: label,
                place: &place,
            };
            match (required(old_param), required(new_param)) {
                (false, true) => self.push(
                    &ctx,
                    "",
                    Rule::RequiredAdded,
                    Impact::Breaking,
                    "parameter became required".into(),
                ),
                (true, false) => self.push(
                    &ctx,
                    "",
                    Rule::RequiredRemoved,
                    Impact::Compatible,
                    "parameter became optional".into(),
                ),
                _ => {}
            }
            let old_style = serialisation(location, old_param);
            let new_style = serialisation(location, new_param);
            if old_style != new_style {
                self.push(
                    &ctx,
                    "",
                    Rule::ParameterStyleChanged,
                    Impact::Breaking,
                    format!("serialisation changed from {old_style} to {new_style}"),
                );
            }
            self.documentation(&ctx, "", Some(old_param), Some(new_param), &[]);
            self.schema_pair(
                &ctx,
                parameter_schema(old_param),
                parameter_schema(new_param),
            );
        }
        for (key, (name, new_param)) in &new_params {
            if old_params.contains_key(key) {
                continue;
            }
            let place = format!("{} parameter {name}", key.0);
            let ctx = Ctx {
                side: Side::Request,
                operation: label,
                place: &place,
            };
            let (impact, what) = if required(new_param) {
                (
                    Impact::Breaking,
                    "required parameter added (existing callers do not send it)",
                )
            } else {
                (Impact::Compatible, "optional parameter added")
            };
            self.push(&ctx, "", Rule::ParameterAdded, impact, what.into());
        }
    }

    fn request_body(&mut self, label: &str, old: Option<&'a Value>, new: Option<&'a Value>) {
        let old = old.map(|b| deref(self.old, b));
        let new = new.map(|b| deref(self.new, b));
        let ctx = Ctx {
            side: Side::Request,
            operation: label,
            place: "request body",
        };
        let required = |b: &Value| b.get("required") == Some(&Value::Bool(true));
        match (old, new) {
            (None, None) => {}
            (Some(_), None) => self.push(
                &ctx,
                "",
                Rule::RequestBodyRemoved,
                Impact::Breaking,
                "request body removed (callers that send one are rejected or ignored)".into(),
            ),
            (None, Some(new)) => {
                let (impact, what) = if required(new) {
                    (Impact::Breaking, "required request body added")
                } else {
                    (Impact::Compatible, "optional request body added")
                };
                self.push(&ctx, "", Rule::RequestBodyAdded, impact, what.into());
            }
            (Some(old), Some(new)) => {
                match (required(old), required(new)) {
                    (false, true) => self.push(
                        &ctx,
                        "",
                        Rule::RequiredAdded,
                        Impact::Breaking,
                        "request body became required".into(),
                    ),
                    (true, false) => self.push(
                        &ctx,
                        "",
                        Rule::RequiredRemoved,
                        Impact::Compatible,
                        "request body became optional".into(),
                    ),
                    _ => {}
                }
                self.documentation(&ctx, "", Some(old), Some(new), &["content", "required"]);
                self.content(
                    label,
                    Side::Request,
                    "request body",
                    old.get("content"),
                    new.get("content"),
                );
            }
        }
    }

    /// Media types of a request body or response, and their schemas.
    fn content(
        &mut self,
        label: &str,
        side: Side,
        place: &str,
        old: Option<&'a Value>,
        new: Option<&'a Value>,
    ) {
        let (old, new) = (object_or_empty(old), object_or_empty(new));
        let ctx = Ctx {
            side,
            operation: label,
            place,
        };
        for (media, old_media) in old {
            let Some(new_media) = new.get(media) else {
                let what = match side {
                    Side::Request => "callers that send it are rejected",
                    Side::Response => "readers expecting it get nothing they know",
                };
                self.push(
                    &ctx,
                    "",
                    Rule::MediaTypeRemoved,
                    Impact::Breaking,
                    format!("media type {media} removed ({what})"),
                );
                continue;
            };
            let media_place = format!("{place} {media}");
            let media_ctx = Ctx {
                side,
                operation: label,
                place: &media_place,
            };
            self.documentation(
                &media_ctx,
                "",
                Some(old_media),
                Some(new_media),
                &["schema", "encoding"],
            );
            self.schema_pair(&media_ctx, old_media.get("schema"), new_media.get("schema"));
        }
        for media in new.keys().filter(|m| !old.contains_key(*m)) {
            self.push(
                &ctx,
                "",
                Rule::MediaTypeAdded,
                Impact::Compatible,
                format!("media type {media} added"),
            );
        }
    }

    fn responses(&mut self, label: &str, old: Option<&'a Value>, new: Option<&'a Value>) {
        let (old, new) = (object_or_empty(old), object_or_empty(new));
        for (status, old_response) in old {
            let place = format!("response {status}");
            let ctx = Ctx {
                side: Side::Response,
                operation: label,
                place: &place,
            };
            let Some(new_response) = new.get(status) else {
                self.push(
                    &ctx,
                    "",
                    Rule::StatusRemoved,
                    Impact::Breaking,
                    "documented response status removed (readers handling it lose its contract)"
                        .into(),
                );
                continue;
            };
            let old_response = deref(self.old, old_response);
            let new_response = deref(self.new, new_response);
            self.documentation(
                &ctx,
                "",
                Some(old_response),
                Some(new_response),
                &["content", "headers", "links"],
            );
            self.headers(
                &ctx,
                old_response.get("headers"),
                new_response.get("headers"),
            );
            self.content(
                label,
                Side::Response,
                &place,
                old_response.get("content"),
                new_response.get("content"),
            );
        }
        for status in new.keys().filter(|s| !old.contains_key(*s)) {
            let place = format!("response {status}");
            let ctx = Ctx {
                side: Side::Response,
                operation: label,
                place: &place,
            };
            self.push(
                &ctx,
                "",
                Rule::StatusAdded,
                Impact::Compatible,
                "response status added".into(),
            );
        }
    }

    fn headers(&mut self, ctx: &Ctx<'_>, old: Option<&'a Value>, new: Option<&'a Value>) {
        let (old, new) = (object_or_empty(old), object_or_empty(new));
        for (name, old_header) in old {
            let Some(new_header) = new.get(name) else {
                self.push(
                    ctx,
                    "",
                    Rule::HeaderRemoved,
                    Impact::Breaking,
                    format!("header {name} removed"),
                );
                continue;
            };
            let place = format!("{} header {name}", ctx.place);
            let header_ctx = Ctx {
                side: ctx.side,
                operation: ctx.operation,
                place: &place,
            };
            let old_header = deref(self.old, old_header);
            let new_header = deref(self.new, new_header);
            self.documentation(
                &header_ctx,
                "",
                Some(old_header),
                Some(new_header),
                &["schema", "required", "style", "explode"],
            );
            self.schema_pair(
                &header_ctx,
                old_header.get("schema"),
                new_header.get("schema"),
            );
        }
        for name in new.keys().filter(|n| !old.contains_key(*n)) {
            self.push(
                ctx,
                "",
                Rule::HeaderAdded,
                Impact::Compatible,
                format!("header {name} added"),
            );
        }
    }

    fn security(&mut self, label: &str, old_op: &Value, new_op: &Value) {
        let old = security_alternatives(self.old, old_op);
        let new = security_alternatives(self.new, new_op);
        let ctx = Ctx {
            side: Side::Request,
            operation: label,
            place: "security",
        };
        for gone in old.difference(&new) {
            self.push(
                &ctx,
                "",
                Rule::SecurityRequirementRemoved,
                Impact::Breaking,
                format!("{} no longer accepted", describe_alternative(gone)),
            );
        }
        for added in new.difference(&old) {
            self.push(
                &ctx,
                "",
                Rule::SecurityRequirementAdded,
                Impact::Compatible,
                format!("{} now accepted", describe_alternative(added)),
            );
        }
    }

    fn security_schemes(&mut self) {
        fn schemes(doc: &Value) -> Option<&Map<String, Value>> {
            doc.pointer("/components/securitySchemes")
                .and_then(Value::as_object)
        }
        let (Some(old), Some(new)) = (schemes(self.old), schemes(self.new)) else {
            return;
        };
        for (name, old_scheme) in old {
            let Some(new_scheme) = new.get(name) else {
                continue; // Its removal shows as removed requirements where it was used.
            };
            let place = format!("scheme {name}");
            let ctx = Ctx {
                side: Side::Request,
                operation: "components",
                place: &place,
            };
            let (old_scheme, new_scheme) =
                (deref(self.old, old_scheme), deref(self.new, new_scheme));
            if without_docs(old_scheme) != without_docs(new_scheme) {
                self.push(
                    &ctx,
                    "",
                    Rule::SecuritySchemeChanged,
                    Impact::Breaking,
                    format!(
                        "security scheme changed from {} to {}",
                        compact(&without_docs(old_scheme)),
                        compact(&without_docs(new_scheme))
                    ),
                );
            }
            self.documentation(&ctx, "", Some(old_scheme), Some(new_scheme), &[]);
        }
    }

    /// Component schemas are published one file each (`schemas`): removing one breaks whoever
    /// loads that file. Changes inside them are reported where operations use them.
    fn components(&mut self) {
        let names = |doc: &Value| -> BTreeSet<String> {
            doc.pointer("/components/schemas")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        let (old, new) = (names(self.old), names(self.new));
        let ctx = Ctx {
            side: Side::Response,
            operation: "components",
            place: "",
        };
        for name in old.difference(&new) {
            self.push(
                &ctx,
                &format!("schema {name}"),
                Rule::ComponentRemoved,
                Impact::Breaking,
                "component schema removed (its published schema file goes away)".into(),
            );
        }
        for name in new.difference(&old) {
            self.push(
                &ctx,
                &format!("schema {name}"),
                Rule::ComponentAdded,
                Impact::Compatible,
                "component schema added".into(),
            );
        }
    }

    /// One `documentation-changed` entry when documenting keywords (or `x-*` extensions) differ.
    /// `skip` lists the keys compared elsewhere.
    pub(super) fn documentation(
        &mut self,
        ctx: &Ctx<'_>,
        path: &str,
        old: Option<&Value>,
        new: Option<&Value>,
        skip: &[&str],
    ) {
        self.documentation_of(ctx, path, &keywords(old), &keywords(new), skip);
    }

    /// [`Differ::documentation`] of two keyword maps.
    pub(super) fn documentation_of(
        &mut self,
        ctx: &Ctx<'_>,
        path: &str,
        old: &Keywords<'_>,
        new: &Keywords<'_>,
        skip: &[&str],
    ) {
        let keys: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
        let changed: Vec<&str> = keys
            .into_iter()
            .filter(|k| is_doc_key(k) && !skip.contains(k))
            .filter(|k| old.get(k) != new.get(k))
            .collect();
        if !changed.is_empty() {
            self.push(
                ctx,
                path,
                Rule::DocumentationChanged,
                Impact::Documentation,
                format!("{} changed", changed.join(", ")),
            );
        }
    }
}

pub(super) fn is_doc_key(key: &str) -> bool {
    DOC_KEYS.contains(&key) || key.starts_with("x-")
}

/// `value` without documenting keywords, for comparing what it means.
fn without_docs(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !is_doc_key(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// One-line JSON for messages, cut when long.
pub(super) fn compact(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 120 {
        let cut: String = text.chars().take(117).collect();
        format!("{cut}...")
    } else {
        text
    }
}
