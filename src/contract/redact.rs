//! Keeps credentials out of violation messages.
//!
//! jsonschema renders the failing value into its message (`"abc" is not of type "integer"`).
//! Recorded traffic can carry a token or password where a test fixture never would (a captured
//! `X-Auth-Token` header pasted into a body, a misrouted login response), and `validate` prints
//! messages into CI logs. So a value under a key that names a credential is replaced by
//! [`REDACTED`] before the message is kept, wherever that key sits inside the failing value.

use serde_json::Value;

/// What a credential's value becomes in a message.
pub const REDACTED: &str = "<redacted>";

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
    let folded: String = key
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    SENSITIVE.iter().any(|word| folded.contains(word))
}

/// Whether any segment of the JSON pointer `pointer` names a credential.
fn pointer_is_sensitive(pointer: &str) -> bool {
    pointer
        .split('/')
        .skip(1)
        .any(|segment| is_sensitive_key(&segment.replace("~1", "/").replace("~0", "~")))
}

/// `instance` with every value under a sensitive key replaced, or `None` when it holds none.
/// Walks with an explicit stack: callers may hand `validate` values deeper than any parser allows.
fn redacted_copy(instance: &Value) -> Option<Value> {
    let mut found = false;
    let mut stack = vec![instance];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(map) => {
                for (key, child) in map {
                    if is_sensitive_key(key) {
                        found = true;
                    } else {
                        stack.push(child);
                    }
                }
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    if !found {
        return None;
    }
    let mut copy = instance.clone();
    let mut stack = vec![&mut copy];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    if is_sensitive_key(key) {
                        *child = Value::String(REDACTED.to_owned());
                    } else {
                        stack.push(child);
                    }
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
    Some(copy)
}

/// `message` about `instance` at `pointer`, with credentials in the rendered value replaced.
pub fn message(message: String, pointer: &str, instance: &Value, keyword: &str) -> String {
    let whole = pointer_is_sensitive(pointer);
    let replacement = if whole {
        Value::String(REDACTED.to_owned())
    } else {
        match redacted_copy(instance) {
            Some(copy) => copy,
            None => return message,
        }
    };
    // jsonschema renders the failing instance with `Display`, the compact form `to_string`
    // gives, and no other value of the document.
    let rendered = instance.to_string();
    if message.contains(&rendered) {
        message.replace(&rendered, &replacement.to_string())
    } else if whole {
        // The credential itself failed, but the message shows it some other way: say what
        // failed, never the value.
        format!("{REDACTED} value fails `{keyword}`")
    } else {
        // The message does not show the instance (`additionalProperties` names only keys).
        message
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

    #[test]
    fn values_under_credential_keys_leave_the_message() {
        let text = message(
            "\"hunter2\" is not of type \"integer\"".into(),
            "/auth/password",
            &json!("hunter2"),
            "type",
        );
        assert_eq!(text, "\"<redacted>\" is not of type \"integer\"");
        let body = json!({"X-Auth-Token": "MIIabc", "n": [1, {"secret": "s"}]});
        let text = message(
            format!("{body} is not of type \"array\""),
            "",
            &body,
            "type",
        );
        assert!(
            !text.contains("MIIabc") && !text.contains("\"s\""),
            "{text}"
        );
        assert!(
            text.contains("\"n\":[1,{\"secret\":\"<redacted>\"}]"),
            "{text}"
        );
        let plain = message("1 is too small".into(), "/count", &json!(1), "minimum");
        assert_eq!(plain, "1 is too small");
        let elsewhere = message("value hunter2".into(), "/token", &json!("x"), "pattern");
        assert_eq!(elsewhere, "<redacted> value fails `pattern`");
        let keys_only = "Additional properties are not allowed ('password' was unexpected)";
        let body = json!({"password": "hunter2"});
        assert_eq!(
            message(keys_only.into(), "", &body, "additionalProperties"),
            keys_only
        );
    }
}
