//! What one document says, read without comparing: its operations keyed by path template, an
//! operation's parameters, their wire form, and the security alternatives it accepts.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::refs::deref;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of a document.
pub(super) struct Operation<'v> {
    /// `GET /path`, as the document writes the path.
    pub(super) label: String,
    /// The path as the document writes it.
    pub(super) path: &'v str,
    /// Its path item (for path-level parameters).
    pub(super) item: &'v Value,
    /// The operation object.
    pub(super) operation: &'v Value,
}

/// Every operation, keyed by `(path template, method)`. Paths match with their variables' names
/// ignored: renaming `{id}` to `{clusterId}` changes nothing on the wire.
pub(super) fn operations(doc: &Value) -> BTreeMap<(String, &'static str), Operation<'_>> {
    let mut found = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return found;
    };
    for (path, item) in paths {
        let item = deref(doc, item);
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                found.insert(
                    (template(path), method),
                    Operation {
                        label: format!("{} {path}", method.to_uppercase()),
                        path,
                        item,
                        operation,
                    },
                );
            }
        }
    }
    found
}

/// A parameter's schema, from `schema` or its `content` media type.
pub(super) fn parameter_schema(param: &Value) -> Option<&Value> {
    param.get("schema").or_else(|| {
        param
            .get("content")
            .and_then(Value::as_object)
            .and_then(|c| c.values().next())
            .and_then(|m| m.get("schema"))
    })
}

/// `/a/{x}/b` as `/a/{}/b`.
fn template(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_variable = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_variable = true;
                out.push_str("{}");
            }
            '}' => in_variable = false,
            _ if in_variable => {}
            _ => out.push(c),
        }
    }
    out
}

/// The parameters of an operation, path-level ones overridden by operation-level ones, keyed by
/// `(in, key)` with the display name beside each. The key is the name, except for path
/// parameters, which are keyed by their place in the path template: renaming `{id}` to
/// `{clusterId}` changes nothing on the wire.
pub(super) fn parameters<'v>(
    doc: &'v Value,
    op: &Operation<'v>,
) -> BTreeMap<(String, String), (String, &'v Value)> {
    let variables = variables(op.path);
    let mut found = BTreeMap::new();
    for list in [op.item.get("parameters"), op.operation.get("parameters")] {
        for param in list.and_then(Value::as_array).into_iter().flatten() {
            let param = deref(doc, param);
            let location = param.get("in").and_then(Value::as_str).unwrap_or("unknown");
            let name = param.get("name").and_then(Value::as_str).unwrap_or("?");
            let key = match variables.iter().position(|v| v == name) {
                Some(place) if location == "path" => format!("{{{place}}}"),
                _ => name.to_owned(),
            };
            found.insert((location.to_owned(), key), (name.to_owned(), param));
        }
    }
    found
}

/// The names of a path template's variables, in order.
fn variables(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

/// A parameter's wire form, `style`/`explode` with the defaults OpenAPI gives each location.
pub(super) fn serialisation(location: &str, param: &Value) -> String {
    let default_style = match location {
        "query" | "cookie" => "form",
        _ => "simple",
    };
    let style = param
        .get("style")
        .and_then(Value::as_str)
        .unwrap_or(default_style);
    let explode = param
        .get("explode")
        .and_then(Value::as_bool)
        .unwrap_or(style == "form");
    let flag = |key: &str| param.get(key).and_then(Value::as_bool).unwrap_or(false);
    let mut text = format!("style {style}, explode {explode}");
    for key in ["allowReserved", "allowEmptyValue"] {
        if flag(key) {
            text.push_str(&format!(", {key}"));
        }
    }
    text
}

/// The security alternatives an operation accepts: each a sorted list of `scheme[scopes]`; an
/// empty alternative is anonymous access. No `security` anywhere means anonymous access.
pub(super) fn security_alternatives(doc: &Value, operation: &Value) -> BTreeSet<Vec<String>> {
    let requirements = operation
        .get("security")
        .or_else(|| doc.get("security"))
        .and_then(Value::as_array);
    let Some(requirements) = requirements else {
        return [Vec::new()].into();
    };
    if requirements.is_empty() {
        return [Vec::new()].into();
    }
    requirements
        .iter()
        .filter_map(Value::as_object)
        .map(|alternative| {
            let mut schemes: Vec<String> = alternative
                .iter()
                .map(|(name, scopes)| {
                    let scopes: Vec<&str> = scopes
                        .as_array()
                        .map(|s| s.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    if scopes.is_empty() {
                        name.clone()
                    } else {
                        format!("{name}[{}]", scopes.join(","))
                    }
                })
                .collect();
            schemes.sort();
            schemes
        })
        .collect()
}

pub(super) fn describe_alternative(alternative: &[String]) -> String {
    if alternative.is_empty() {
        "anonymous access".into()
    } else {
        alternative.join(" + ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_templates_match_whatever_the_variables_are_called() {
        assert_eq!(template("/a/{id}/b/{x}"), "/a/{}/b/{}");
        assert_eq!(variables("/a/{id}/b/{x}"), ["id", "x"]);
        assert!(variables("/plain").is_empty());
    }
}
