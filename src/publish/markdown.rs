//! GitHub-flavoured Markdown for the generated `REFERENCE.md` and `CHANGELOG.md`: table cells,
//! code spans, escaped prose, anchors and canonical JSON. Everything here is deterministic, so the
//! generated files can be drift-checked byte for byte.

use std::collections::BTreeMap;

use serde_json::Value;

/// `text` on one line and safe inside a GFM table cell: whitespace runs (newlines included) fold to
/// one space and `|` is escaped. GFM removes the backslash before a pipe even inside a code span
/// in a cell, so code spans keep their text.
pub(crate) fn cell(text: &str) -> String {
    fold(text).replace('|', "\\|")
}

/// `text` with whitespace runs folded to one space and trimmed.
pub(crate) fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` as literal prose: every character Markdown or HTML could read as syntax is escaped.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in fold(text).chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `text` as a code span, fenced with one backtick more than its longest backtick run (and padded
/// when it starts or ends with one), so any text stays literal.
pub(crate) fn code(text: &str) -> String {
    let text = fold(text);
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if text.starts_with('`') || text.ends_with('`') {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// An HTML anchor id from parts: lower-case ASCII letters, digits and `_`, other runs as one `-`.
/// GitHub prefixes ids with `user-content-` and resolves `#id` links to them.
pub(crate) fn slug(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        for c in part.chars() {
            if c.is_ascii_alphanumeric() || c == '_' {
                out.push(c.to_ascii_lowercase());
            } else if !out.ends_with('-') {
                out.push('-');
            }
        }
        if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// An empty anchor element to place before a heading or in a table cell.
pub(crate) fn anchor(id: &str) -> String {
    format!("<a id=\"{id}\"></a>")
}

/// A JSON value as a fenced `json` block: pretty, keys sorted whatever order the map kept, so the
/// output does not depend on serde_json's features.
pub(crate) fn json_block(value: &Value) -> String {
    // A `Value` always serialises; the fallback only keeps this function total.
    let text = serde_json::to_string_pretty(&sorted(value)).unwrap_or_else(|_| "null".into());
    format!("```json\n{text}\n```\n")
}

/// A JSON value on one line as a code span (enum values, defaults, examples in cells).
pub(crate) fn json_code(value: &Value) -> String {
    match value {
        Value::String(s) => code(s),
        other => code(&serde_json::to_string(&sorted(other)).unwrap_or_default()),
    }
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let ordered: BTreeMap<&String, Value> =
                map.iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(ordered.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_stay_on_one_line_and_escape_pipes() {
        assert_eq!(
            cell("a `x|y`\n  b | c\n"),
            "a `x\\|y` b \\| c",
            "a pipe would end the cell"
        );
    }

    #[test]
    fn code_spans_hold_backticks() {
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
    }

    #[test]
    fn escaped_prose_has_no_live_syntax() {
        assert_eq!(escape("a_b *c* <d> [e]"), "a\\_b \\*c\\* \\<d\\> \\[e\\]");
    }

    #[test]
    fn slugs_are_lower_case_and_separated_once() {
        assert_eq!(
            slug(&["field", "list_op_logs", "operation_logs[].extra_info"]),
            "field-list_op_logs-operation_logs-extra_info"
        );
        assert_eq!(slug(&["Schema", "OpExtraInfo"]), "schema-opextrainfo");
    }

    #[test]
    fn json_is_sorted_whatever_the_input_order() {
        let block = json_block(&json!({"b": 1, "a": {"d": 2, "c": 3}}));
        assert_eq!(
            block,
            "```json\n{\n  \"a\": {\n    \"c\": 3,\n    \"d\": 2\n  },\n  \"b\": 1\n}\n```\n"
        );
        assert_eq!(json_code(&json!(false)), "`false`");
        assert_eq!(json_code(&json!("x")), "`x`");
    }
}
