//! Reference resolution: `$ref`s to `#/...` pointers of the same document, and `allOf` wrappers
//! of a single `$ref`, read through a bounded number of hops.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

const MAX_REF_HOPS: usize = 32;

/// A schema's keywords, borrowed from its document (with an `allOf` wrapper's on top, see
/// [`resolve`]). Borrowed, not cloned: the nodes below keep their place in the document, which is
/// what [`Differ::compared`](super::walk::Differ::compared) tells them apart by.
pub(super) type Keywords<'a> = BTreeMap<&'a str, &'a Value>;

pub(super) fn is_single_ref(branches: &[Value]) -> bool {
    matches!(branches, [only] if only.get("$ref").is_some())
}

/// Follows a `$ref` (a `#/...` pointer into `root`), repeatedly; anything else is returned as is.
pub(super) fn deref<'v>(root: &'v Value, value: &'v Value) -> &'v Value {
    let mut current = value;
    for _ in 0..MAX_REF_HOPS {
        match current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| lookup(root, r))
        {
            Some(target) => current = target,
            None => break,
        }
    }
    current
}

fn lookup<'v>(root: &'v Value, reference: &str) -> Option<&'v Value> {
    root.pointer(reference.strip_prefix('#')?)
}

/// The schema `schema` stands for: `$ref`s followed, and an `allOf` holding a single `$ref` read
/// as the referenced schema with the wrapper's other keywords (`nullable`, `description`) on top.
pub(super) fn resolve<'v>(root: &'v Value, schema: &'v Value) -> Keywords<'v> {
    let mut current = schema;
    let mut wrappers: Vec<&'v Map<String, Value>> = Vec::new();
    for _ in 0..MAX_REF_HOPS {
        let Some(map) = current.as_object() else {
            break;
        };
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            match lookup(root, reference) {
                Some(target) => {
                    current = target;
                    continue;
                }
                None => break, // External or dangling: compared as written.
            }
        }
        if let Some(Value::Array(members)) = map.get("allOf")
            && is_single_ref(members)
        {
            wrappers.push(map);
            current = &members[0];
            continue;
        }
        break;
    }
    // `true`, `false` or a malformed schema: nothing to compare keyword by keyword.
    let mut merged = keywords(Some(current));
    for wrapper in wrappers.iter().rev() {
        for (key, value) in wrapper.iter().filter(|(k, _)| *k != "allOf") {
            merged.insert(key.as_str(), value);
        }
    }
    merged
}

/// An object's map; an empty one for anything else.
pub(super) fn object_or_empty(value: Option<&Value>) -> &Map<String, Value> {
    static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
    value.and_then(Value::as_object).unwrap_or(&EMPTY)
}

/// An object's keys and values, borrowed; empty for anything else.
pub(super) fn keywords(value: Option<&Value>) -> Keywords<'_> {
    value
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default()
}
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[test]
    fn a_single_ref_all_of_reads_as_the_ref_with_the_wrapper_on_top() {
        let doc = json!({"components": {"schemas": {"T": {"type": "string", "description": "t"}}}});
        let wrapped = json!({"allOf": [{"$ref": "#/components/schemas/T"}], "nullable": true,
                             "description": "w"});
        let map = resolve(&doc, &wrapped);
        let merged: Map<String, Value> = map
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect();
        assert_eq!(
            Value::Object(merged),
            json!({"type": "string", "nullable": true, "description": "w"})
        );
    }
}
