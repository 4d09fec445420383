//! Violation messages: credentials kept out, and only the characters shown ever rendered.
//!
//! jsonschema renders the failing value into its message (`"abc" is not of type "integer"`).
//! Recorded traffic can carry a token or password where a test fixture never would (a captured
//! `X-Auth-Token` header pasted into a body, a misrouted login response), and `validate` prints
//! messages into CI logs. So a value under a key that names a credential is shown as
//! [`REDACTED`], wherever that key sits inside the failing value.
//!
//! A message keeps [`MAX_MESSAGE_CHARS`] characters and says how many it left out. The failing
//! value can be a whole document (an array of a million objects where a string belongs), so it is
//! never rendered into a string first: jsonschema writes its message with a placeholder where the
//! value goes ([`jsonschema::ValidationError::masked_with`]), and the value is rendered into a
//! writer that keeps the first characters and only counts the rest ([`Capped`]), redacting as it
//! goes. The value is read through jsonschema's representation traits, so a `serde_json::Value`
//! and a simd-json tape ([`super::tape`]) render the same text, the text `Value`'s `Display` gives.

use std::fmt::{self, Write as _};
use std::io;

use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind;
use jsonschema::json::{Array, Json, Node, Object};
use jsonschema::types::JsonType;
use serde_json::Value;

/// What a credential's value becomes in a message.
pub const REDACTED: &str = "<redacted>";

/// Longest message a violation carries; longer ones (a huge offending value) are cut.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// Stands where jsonschema would render the failing value; recognised by address, not by text.
static PLACEHOLDER: &str = "\u{0}value\u{0}";

/// Fragments of key names that hold credentials, compared lowercased with `-`, `_` and spaces
/// removed, so `X-Auth-Token`, `access_token`, `clientSecret` and `Authorization` all match.
const SENSITIVE: &[&str] = &[
    "token",
    "password",
    "passwd",
    "secret",
    "authorization",
    "cookie",
    "apikey",
    "accesskey",
    "privatekey",
    "credential",
    "signature",
];

/// Whether a key (an object member name or a JSON pointer segment) names a credential.
pub fn is_sensitive_key(key: &str) -> bool {
    is_sensitive(key, &mut String::new())
}

/// [`is_sensitive_key`] with a buffer reused across keys: a rendered value may have millions.
fn is_sensitive(key: &str, folded: &mut String) -> bool {
    folded.clear();
    folded.extend(
        key.chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .flat_map(char::to_lowercase),
    );
    SENSITIVE.iter().any(|word| folded.contains(word))
}

/// Whether any segment of the JSON pointer `pointer` names a credential.
fn pointer_is_sensitive(pointer: &str) -> bool {
    pointer
        .split('/')
        .skip(1)
        .any(|segment| is_sensitive_key(&segment.replace("~1", "/").replace("~0", "~")))
}

/// A writer that keeps the first `limit` characters of what it is given and counts the rest.
pub struct Capped {
    kept: Vec<u8>,
    chars: usize,
    limit: usize,
    /// Whether the character being written (its later UTF-8 bytes) is kept.
    keeping: bool,
}

impl Capped {
    /// Keeps `limit` characters.
    pub fn new(limit: usize) -> Self {
        Capped {
            kept: Vec::new(),
            chars: 0,
            limit,
            keeping: true,
        }
    }

    /// What was written, cut as [`MAX_MESSAGE_CHARS`] messages are: the kept characters, then
    /// `... (N more characters)` when some were left out.
    pub fn finish(self) -> String {
        let kept = String::from_utf8_lossy(&self.kept).into_owned();
        if self.chars <= self.limit {
            kept
        } else {
            format!("{kept}... ({} more characters)", self.chars - self.limit)
        }
    }

    fn take(&mut self, bytes: &[u8]) {
        if self.chars >= self.limit && !self.keeping {
            // Past the cut only the count grows: one per byte that starts a character.
            self.chars += bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count();
            return;
        }
        for &b in bytes {
            if b & 0xC0 != 0x80 {
                self.chars += 1;
                self.keeping = self.chars <= self.limit;
            }
            if self.keeping {
                self.kept.push(b);
            }
        }
    }
}

impl io::Write for Capped {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.take(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Write for Capped {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.take(s.as_bytes());
        Ok(())
    }
}

/// Writes jsonschema's message into a [`Capped`], rendering the value where the placeholder is.
struct Filling<'c, R: FnMut(&mut Capped) -> fmt::Result> {
    out: &'c mut Capped,
    render: R,
    /// Whether the message showed the value at all.
    shown: bool,
}

impl<R: FnMut(&mut Capped) -> fmt::Result> fmt::Write for Filling<'_, R> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if std::ptr::eq(s, PLACEHOLDER) {
            self.shown = true;
            (self.render)(self.out)
        } else {
            self.out.write_str(s)
        }
    }
}

/// The message of `error`, the failing value read from `instance`: redacted, and cut to
/// [`MAX_MESSAGE_CHARS`] without rendering more of the value than that (and a count). `None` for
/// the few kinds whose message shows parts of the value other than the whole
/// (`additionalItems`, `unevaluatedItems`, `propertyNames`): [`message_of_value`] has those.
pub fn message<'a, F: Json, N: Node<'a, F>>(
    error: &ValidationError<'_>,
    pointer: &str,
    instance: &N,
) -> Option<String> {
    let mut out = Capped::new(MAX_MESSAGE_CHARS);
    let whole = pointer_is_sensitive(pointer);
    match error.kind() {
        ValidationErrorKind::AdditionalItems { .. }
        | ValidationErrorKind::UnevaluatedItems { .. }
        | ValidationErrorKind::PropertyNames { .. } => return None,
        // The names come in the order the representation iterates them; a `Value` sorts them,
        // and so does the message, whatever it was read from.
        // The message names keys, not the value: a credential's keys are not shown either.
        ValidationErrorKind::AdditionalProperties { .. }
        | ValidationErrorKind::UnevaluatedProperties { .. }
            if whole =>
        {
            return Some(redacted_whole(error));
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            names_message(&mut out, "Additional properties", unexpected)
        }
        ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            names_message(&mut out, "Unevaluated properties", unexpected)
        }
        _ => {
            let mut filling = Filling {
                out: &mut out,
                render: |out: &mut Capped| {
                    if whole {
                        write_json_string(out, REDACTED)
                    } else {
                        render(instance, out)
                    }
                },
                shown: false,
            };
            // A `Capped` never fails, so neither does this write.
            let _ = write!(filling, "{}", error.masked_with(PLACEHOLDER));
            if whole && !filling.shown {
                return Some(redacted_whole(error));
            }
        }
    }
    Some(out.finish())
}

/// The message of an error raised on a `serde_json::Value`: [`message`], or for the kinds it
/// leaves out, jsonschema's own message, cut, and replaced whole when the value holds a
/// credential.
pub fn message_of_value(error: &ValidationError<'_>, pointer: &str, instance: &Value) -> String {
    message(error, pointer, &instance).unwrap_or_else(|| {
        if pointer_is_sensitive(pointer) || holds_credential(instance) {
            redacted_whole(error)
        } else {
            let mut out = Capped::new(MAX_MESSAGE_CHARS);
            let _ = write!(out, "{error}");
            out.finish()
        }
    })
}

/// The message for a credential that failed where the message would show it some other way than
/// whole (or not at all): what failed, never the value.
fn redacted_whole(error: &ValidationError<'_>) -> String {
    match error.kind().keyword() {
        // The contract's own keyword is reported as the `type` it refines (as in every report),
        // not by its internal name.
        super::convert::OPENAPI_INTEGER => format!(
            "{REDACTED} value fails `type` ({})",
            super::convert::OPENAPI_INTEGER_RULE
        ),
        keyword => format!("{REDACTED} value fails `{keyword}`"),
    }
}

/// `Additional properties are not allowed ('a', 'b' were unexpected)`, as jsonschema words it,
/// with the names sorted.
fn names_message(out: &mut Capped, what: &str, unexpected: &[String]) {
    let mut names: Vec<&String> = unexpected.iter().collect();
    names.sort();
    let _ = write!(out, "{what} are not allowed (");
    for (i, name) in names.iter().enumerate() {
        let _ = write!(out, "{}'{name}'", if i == 0 { "" } else { ", " });
    }
    let _ = out.write_str(if names.len() == 1 {
        " was unexpected)"
    } else {
        " were unexpected)"
    });
}

/// Whether a value under a credential-like key sits anywhere inside `instance`.
fn holds_credential(instance: &Value) -> bool {
    let mut folded = String::new();
    let mut stack = vec![instance];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(map) => {
                for (key, child) in map {
                    if is_sensitive(key, &mut folded) {
                        return true;
                    }
                    stack.push(child);
                }
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    false
}

/// `text` as a JSON string, escaped as `serde_json` escapes it.
fn write_json_string(out: &mut Capped, text: &str) -> fmt::Result {
    serde_json::to_writer(out, text).map_err(|_| fmt::Error)
}

/// One level of a value being rendered: the members or elements still to write.
enum Level<'a, F: Json, N: Node<'a, F>> {
    Array(<N::Array as Array<'a, F>>::ElementsIter),
    Object(std::vec::IntoIter<(<N::Object as Object<'a, F>>::MemberName, N)>),
}

/// Writes `node` as compact JSON, exactly as `serde_json::Value`'s `Display` writes it (members
/// sorted by name), with every value under a credential-like key replaced by [`REDACTED`].
/// Iterative: a caller's `Value` may nest deeper than any stack allows.
pub fn render<'a, F: Json, N: Node<'a, F>>(node: &N, out: &mut Capped) -> fmt::Result {
    let mut folded = String::new();
    let mut stack: Vec<(Level<'a, F, N>, bool)> = Vec::new();
    let mut next = Some(node.clone());
    loop {
        if let Some(node) = next.take() {
            match node.json_type() {
                JsonType::Array => {
                    out.write_char('[')?;
                    if let Some(array) = node.as_array() {
                        stack.push((Level::Array(array.elements()), true));
                    }
                }
                JsonType::Object => {
                    out.write_char('{')?;
                    if let Some(object) = node.as_object() {
                        let mut members: Vec<_> = object.members().collect();
                        members.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
                        stack.push((Level::Object(members.into_iter()), true));
                    }
                }
                _ => write_scalar(&node, out)?,
            }
        }
        let Some((level, first)) = stack.last_mut() else {
            return Ok(());
        };
        let separator = if *first { "" } else { "," };
        *first = false;
        match level {
            Level::Array(elements) => match elements.next() {
                Some(element) => {
                    out.write_str(separator)?;
                    next = Some(element);
                }
                None => {
                    out.write_char(']')?;
                    stack.pop();
                }
            },
            Level::Object(members) => match members.next() {
                Some((name, value)) => {
                    out.write_str(separator)?;
                    write_json_string(out, name.as_ref())?;
                    out.write_char(':')?;
                    if is_sensitive(name.as_ref(), &mut folded) {
                        write_json_string(out, REDACTED)?;
                    } else {
                        next = Some(value);
                    }
                }
                None => {
                    out.write_char('}')?;
                    stack.pop();
                }
            },
        }
    }
}

/// A string, number, boolean or null, as `serde_json` writes it.
fn write_scalar<'a, F: Json, N: Node<'a, F>>(node: &N, out: &mut Capped) -> fmt::Result {
    use jsonschema::json::JsonNumber as _;

    if let Some(text) = node.as_string() {
        write_json_string(out, &text)
    } else if let Some(number) = node.as_number() {
        serde_json::to_writer(out, number.to_number().as_ref()).map_err(|_| fmt::Error)
    } else if let Some(b) = node.as_boolean() {
        out.write_str(if b { "true" } else { "false" })
    } else {
        out.write_str("null")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credential_keys_are_recognised_in_any_spelling() {
        for key in [
            "X-Auth-Token",
            "access_token",
            "clientSecret",
            "Authorization",
            "password",
            "OCP_SECRET_KEY",
            "apiKey",
        ] {
            assert!(is_sensitive_key(key), "{key}");
        }
        for key in [
            "status",
            "request_id",
            "traceId",
            "backup_name",
            "provider_id",
        ] {
            assert!(!is_sensitive_key(key), "{key}");
        }
    }

    /// The messages of every error of `instance` against `schema`, by pointer.
    fn messages(schema: Value, instance: &Value) -> Vec<(String, String)> {
        let validator = jsonschema::options().build(&schema).expect("compiles");
        let mut found: Vec<(String, String)> = validator
            .iter_errors(instance)
            .map(|error| {
                let pointer = error.instance_path().as_str().to_owned();
                let message = message_of_value(&error, &pointer, error.instance());
                (pointer, message)
            })
            .collect();
        found.sort();
        found
    }

    /// An integral float under a credential key: the value stays out, and the keyword is the
    /// `type` every report names, not the contract's internal one.
    #[test]
    fn the_contracts_integer_keyword_is_named_type_when_redacted() {
        use super::super::convert::{OPENAPI_INTEGER, openapi_integer_keyword};
        let schema =
            json!({"properties": {"password": {"type": "integer", OPENAPI_INTEGER: true}}});
        let validator = jsonschema::options()
            .with_keyword(OPENAPI_INTEGER, openapi_integer_keyword)
            .build(&schema)
            .expect("compiles");
        let instance = json!({"password": 1234.0});
        let found: Vec<String> = validator
            .iter_errors(&instance)
            .map(|error| {
                let pointer = error.instance_path().as_str().to_owned();
                message_of_value(&error, &pointer, error.instance())
            })
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("<redacted> value fails `type`"),
            "{found:?}"
        );
        assert!(
            !found[0].contains("1234") && !found[0].contains(OPENAPI_INTEGER),
            "{found:?}"
        );
    }

    #[test]
    fn values_under_credential_keys_leave_the_message() {
        let schema =
            json!({"properties": {"auth": {"properties": {"password": {"type": "integer"}}}}});
        assert_eq!(
            messages(schema, &json!({"auth": {"password": "hunter2"}})),
            [(
                "/auth/password".to_owned(),
                "\"<redacted>\" is not of type \"integer\"".to_owned()
            )]
        );
        let body = json!({"X-Auth-Token": "MIIabc", "n": [1, {"secret": "s"}]});
        let found = messages(json!({"type": "array"}), &body);
        let text = &found[0].1;
        assert!(
            !text.contains("MIIabc") && !text.contains("\"s\""),
            "{text}"
        );
        assert_eq!(
            text,
            r#"{"X-Auth-Token":"<redacted>","n":[1,{"secret":"<redacted>"}]} is not of type "array""#
        );
        let plain = messages(json!({"minimum": 2}), &json!(1));
        assert_eq!(plain[0].1, "1 is less than the minimum of 2");
        // The credential failed, but the message would show it some other way.
        let schema = json!({"properties": {"token": {"required": ["x"]}}});
        let found = messages(schema, &json!({"token": {"value": "hunter2"}}));
        assert_eq!(found[0].1, "<redacted> value fails `required`");
        // A message that names keys only keeps them.
        let keys_only = "Additional properties are not allowed ('password' was unexpected)";
        let schema = json!({"properties": {"a": {}}, "additionalProperties": false});
        let found = messages(schema, &json!({"password": "hunter2"}));
        assert_eq!(found[0].1, keys_only);
    }

    #[test]
    fn a_redacted_value_replaces_the_value_only() {
        // Regression: the redaction replaced every occurrence of the value's text, so the `1`
        // of the limit `10` became `"<redacted>"0`.
        let schema = json!({"properties": {"token": {"minimum": 10}}});
        assert_eq!(
            messages(schema, &json!({"token": 1})),
            [(
                "/token".to_owned(),
                "\"<redacted>\" is less than the minimum of 10".to_owned()
            )]
        );
    }

    #[test]
    fn a_long_value_is_cut_while_rendered_and_the_rest_counted() {
        let long = "é".repeat(1000);
        let found = messages(json!({"type": "integer"}), &json!(long));
        let text = &found[0].1;
        // `"` + 1000 characters + `" is not of type "integer"`.
        let total = 1 + 1000 + r#"" is not of type "integer""#.len();
        let expected = format!(
            "\"{}... ({} more characters)",
            "é".repeat(MAX_MESSAGE_CHARS - 1),
            total - MAX_MESSAGE_CHARS
        );
        assert_eq!(text, &expected);
        // Members come sorted, as `Value` shows them, and nothing of the cut part is kept.
        let mut out = Capped::new(5);
        render(&&json!({"b": [1, 2.5, null], "a": true}), &mut out).expect("renders");
        assert_eq!(out.finish(), r#"{"a":... (22 more characters)"#);
    }
}
