//! The fast path of a contract check: simd-json's tape, validated in place.
//!
//! `serde_json::Value` allocates a `String` per member name and per string and a `BTreeMap` per
//! object; on a typical page that is three quarters of a contract check. simd-json (SIMD, selected
//! at run time) parses into one flat vector of nodes whose strings borrow from a scratch copy of
//! the input, and the jsonschema crate validates those nodes through its representation traits
//! ([`jsonschema::json`]) as it validates a `Value`. The buffers are kept per thread, so a check
//! allocates nothing in the steady state.
//!
//! The fast path only ever answers "valid"; everything else goes to `serde_json` and
//! [`super::Contract::validate`]. [`with_document`] declines (passes `None`) whenever simd-json
//! might read the text differently from `serde_json`: any error, nesting deeper than
//! [`FAST_MAX_DEPTH`], integers beyond 64 bits. Where the two read a number differently the
//! difference cannot change a verdict (`-0` is the integer 0 here and -0.0 there; JSON Schema
//! compares numbers by value).
//!
//! A member name repeated in one object is the other difference: a `Value` keeps the last
//! occurrence, the tape keeps all, [`Object::get`] answers the last, and a members pass sees
//! every occurrence. That makes the tape at most stricter under monotone keywords, so a "valid"
//! here is a "valid" there; where a schema has a keyword that can turn stricter into laxer (`not`,
//! `if`, `oneOf` over containers, `minProperties`, ...), [`needs_unique_names`] says so and the
//! caller checks [`Document::has_duplicate_names`] first.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

use jsonschema::json::{Array, Json, Node, NodeIdentity, Object, cmp};
use jsonschema::types::JsonType;
use serde_json::{Map, Number, Value};
use simd_json::{Node as N, StaticNode as S};

/// Deepest nesting the fast path reads; `serde_json` stops at 128.
pub const FAST_MAX_DEPTH: usize = 100;

/// Largest document after which the per-thread buffers are kept for the next one.
const KEEP_BYTES: usize = 16 << 20;

/// simd-json's work buffers, its node vector and the copy of the input, kept per thread.
#[derive(Default)]
struct State {
    buffers: Option<simd_json::Buffers>,
    nodes: Option<simd_json::Tape<'static>>,
    scratch: Vec<u8>,
}

/// Parses `bytes` with simd-json and calls `f` with the document, or with `None` when the fast
/// path declines the text (see the module docs): the caller then parses it with `serde_json`.
pub fn with_document<R>(bytes: &[u8], f: impl FnOnce(Option<Document<'_>>) -> R) -> R {
    thread_local! {
        static STATE: RefCell<State> = RefCell::default();
    }
    // Taken out rather than borrowed, so a nested call (none today) gets fresh buffers.
    let mut state = STATE.with(|s| std::mem::take(&mut *s.borrow_mut()));
    let mut buffers = state
        .buffers
        .take()
        .unwrap_or_else(|| simd_json::Buffers::with_max_depth(0, FAST_MAX_DEPTH));
    let mut tape = state
        .nodes
        .take()
        .unwrap_or_else(simd_json::Tape::null)
        .reset();
    let mut scratch = std::mem::take(&mut state.scratch);
    scratch.clear();
    scratch.reserve(bytes.len() + simd_json::INPUT_PADDING);
    scratch.extend_from_slice(bytes);
    scratch.resize(bytes.len() + simd_json::INPUT_PADDING, b' ');
    let result =
        match simd_json::fill_tape_padded(&mut scratch, bytes.len(), &mut buffers, &mut tape) {
            Ok(()) if !tape.0.is_empty() => f(Some(Document { nodes: &tape.0 })),
            _ => f(None),
        };
    if bytes.len() <= KEEP_BYTES {
        // A huge document's buffers are dropped instead of held for the thread's life.
        state.nodes = Some(tape.reset());
        state.buffers = Some(buffers);
        state.scratch = scratch;
        STATE.with(|s| *s.borrow_mut() = state);
    }
    result
}

/// Whether a fast "valid" for `schema` needs a document without repeated member names: true when
/// the schema has a keyword under which a stricter reading of an object can pass where a laxer one
/// fails (see the module docs). Conservative: `oneOf` passes only when every branch is a scalar.
pub fn needs_unique_names(schema: &Value) -> bool {
    match schema {
        Value::Object(map) => map.iter().any(|(keyword, value)| {
            let inverts = match keyword.as_str() {
                "not" | "if" | "then" | "else" | "minProperties" | "maxContains"
                | "dependentSchemas" => true,
                "oneOf" => !value
                    .as_array()
                    .is_some_and(|branches| branches.iter().all(is_scalar_only)),
                _ => false,
            };
            inverts || needs_unique_names(value)
        }),
        Value::Array(items) => items.iter().any(needs_unique_names),
        _ => false,
    }
}

/// A schema whose `type` admits no object and no array: it fails every container by type alone.
fn is_scalar_only(schema: &Value) -> bool {
    let scalar = |t: &Value| {
        matches!(
            t.as_str(),
            Some("string" | "number" | "integer" | "boolean" | "null")
        )
    };
    match schema.get("type") {
        Some(Value::Array(types)) => types.iter().all(scalar),
        Some(t) => scalar(t),
        None => false,
    }
}

/// One parsed document.
#[derive(Clone, Copy)]
pub struct Document<'t> {
    nodes: &'t [simd_json::Node<'t>],
}

impl<'t> Document<'t> {
    /// The root value.
    pub fn root(&self) -> TapeNode<'t> {
        TapeNode {
            nodes: self.nodes,
            at: 0,
        }
    }

    /// The document as a `serde_json::Value` (the last of repeated names wins, as there).
    pub fn to_value(&self) -> Value {
        self.root().to_value().into_owned()
    }

    /// Whether some object names a member twice. One pass over the document.
    pub fn has_duplicate_names(&self) -> bool {
        // The names of the objects being read, innermost last; depth is bounded by the parser.
        fn walk<'t>(node: TapeNode<'t>, names: &mut Vec<&'t str>) -> bool {
            match node.node() {
                N::Object { .. } => {
                    let start = names.len();
                    for (name, value) in Members(node.children()) {
                        if names[start..].contains(&name) || walk(value, names) {
                            return true;
                        }
                        names.push(name);
                    }
                    names.truncate(start);
                    false
                }
                N::Array { .. } => node.children().any(|element| walk(element, names)),
                _ => false,
            }
        }
        walk(self.root(), &mut Vec::new())
    }
}

/// Index one past the value at `at`.
fn end_of(nodes: &[simd_json::Node<'_>], at: usize) -> usize {
    match nodes.get(at) {
        Some(N::Array { count, .. } | N::Object { count, .. }) => at + count + 1,
        _ => at + 1,
    }
}

/// The tape as a representation the jsonschema crate validates.
pub struct TapeJson;

impl Json for TapeJson {
    type Node<'a> = TapeNode<'a>;
    type PreparedKey = Box<str>;
    type StringBuffer = ();

    // A lookup scans the members, so one pass over them beats any second lookup.
    const KEYS_PER_LOOKUP: usize = 64;
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> Box<str> {
        key.into()
    }

    fn with_string_node<T>((): &mut (), string: &str, f: impl FnOnce(TapeNode<'_>) -> T) -> T {
        let nodes = [N::String(string)];
        f(TapeNode {
            nodes: &nodes,
            at: 0,
        })
    }
}

/// One value in a tape.
#[derive(Clone, Copy)]
pub struct TapeNode<'a> {
    nodes: &'a [simd_json::Node<'a>],
    at: usize,
}

impl fmt::Debug for TapeNode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_value(), f)
    }
}

impl<'a> TapeNode<'a> {
    fn node(&self) -> &'a simd_json::Node<'a> {
        &self.nodes[self.at]
    }

    fn children(&self) -> Children<'a> {
        Children {
            nodes: self.nodes,
            next: self.at + 1,
            end: end_of(self.nodes, self.at),
        }
    }
}

/// The number simd-json read. simd-json refuses what does not fit an `f64`, so `from_f64` holds.
fn number(node: &S) -> Option<Number> {
    match node {
        S::I64(n) => Some((*n).into()),
        S::U64(n) => Some((*n).into()),
        S::F64(f) => Number::from_f64(*f),
        S::Bool(_) | S::Null => None,
    }
}

impl<'a> Node<'a, TapeJson> for TapeNode<'a> {
    type Object = TapeObject<'a>;
    type Array = TapeArray<'a>;
    type Number = Number;

    fn as_object(&self) -> Option<TapeObject<'a>> {
        match self.node() {
            N::Object { len, .. } => Some(TapeObject {
                node: *self,
                len: *len,
            }),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<TapeArray<'a>> {
        match self.node() {
            N::Array { len, .. } => Some(TapeArray {
                node: *self,
                len: *len,
            }),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self.node() {
            N::String(s) => Some(Cow::Borrowed(s)),
            _ => None,
        }
    }

    fn as_number(&self) -> Option<Number> {
        match self.node() {
            N::Static(s) => number(s),
            _ => None,
        }
    }

    fn is_number(&self) -> bool {
        self.as_number().is_some()
    }

    fn as_boolean(&self) -> Option<bool> {
        match self.node() {
            N::Static(S::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self.node(), N::Static(S::Null))
    }

    fn json_type(&self) -> JsonType {
        match self.node() {
            N::Static(S::Null) => JsonType::Null,
            N::Static(S::Bool(_)) => JsonType::Boolean,
            N::Static(_) => JsonType::Number,
            N::String(_) => JsonType::String,
            N::Array { .. } => JsonType::Array,
            N::Object { .. } => JsonType::Object,
        }
    }

    fn equals_value(&self, expected: &Value) -> bool {
        // `enum` and `const` compare scalars on every record: answer those without a `Value`.
        match (self.node(), expected) {
            (N::String(s), Value::String(e)) => s == e,
            (N::String(_), _) => false,
            (N::Static(S::Null), e) => e.is_null(),
            (N::Static(S::Bool(b)), e) => e.as_bool() == Some(*b),
            (N::Static(n), Value::Number(e)) => {
                number(n).is_some_and(|n| cmp::equal_numbers(&n, e))
            }
            (N::Static(_), _) => false,
            _ => cmp::equal(&self.to_value(), expected),
        }
    }

    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(match self.node() {
            N::Static(S::Null) => Value::Null,
            N::Static(S::Bool(b)) => Value::Bool(*b),
            N::Static(s) => number(s).map_or(Value::Null, Value::Number),
            N::String(s) => Value::String((*s).to_owned()),
            N::Array { .. } => {
                Value::Array(self.children().map(|e| e.to_value().into_owned()).collect())
            }
            N::Object { .. } => Value::Object(
                Members(self.children())
                    .map(|(name, value)| (name.to_owned(), value.to_value().into_owned()))
                    .collect::<Map<String, Value>>(),
            ),
        })
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref(self.node()) as usize))
    }
}

/// The values that follow a container's node, one per step (nested ones skipped whole).
pub struct Children<'a> {
    nodes: &'a [simd_json::Node<'a>],
    next: usize,
    end: usize,
}

impl<'a> Iterator for Children<'a> {
    type Item = TapeNode<'a>;

    fn next(&mut self) -> Option<TapeNode<'a>> {
        (self.next < self.end).then(|| {
            let node = TapeNode {
                nodes: self.nodes,
                at: self.next,
            };
            self.next = end_of(self.nodes, self.next);
            node
        })
    }
}

/// An object's members, in document order: its children taken as name, value pairs.
pub struct Members<'a>(Children<'a>);

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, TapeNode<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let name = self.0.next()?;
        let value = self.0.next()?;
        match name.node() {
            N::String(name) => Some((name, value)),
            // Not reachable for a tape simd-json made; stop rather than misread.
            _ => None,
        }
    }
}

/// An object in a tape.
#[derive(Clone, Copy)]
pub struct TapeObject<'a> {
    node: TapeNode<'a>,
    len: usize,
}

impl<'a> Object<'a, TapeJson> for TapeObject<'a> {
    type Node = TapeNode<'a>;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        self.len
    }

    fn get(&self, key: &Box<str>) -> Option<TapeNode<'a>> {
        // The last occurrence, as a `Value` keeps it.
        self.members()
            .filter(|(name, _)| *name == key.as_ref())
            .last()
            .map(|(_, value)| value)
    }

    fn members(&self) -> Members<'a> {
        Members(self.node.children())
    }
}

/// An array in a tape.
#[derive(Clone, Copy)]
pub struct TapeArray<'a> {
    node: TapeNode<'a>,
    len: usize,
}

impl<'a> Array<'a, TapeJson> for TapeArray<'a> {
    type Node = TapeNode<'a>;
    type ElementsIter = Children<'a>;

    fn len(&self) -> usize {
        self.len
    }

    fn elements(&self) -> Children<'a> {
        self.node.children()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What the fast path makes of `text`, checked against serde_json: `None` when it declines.
    fn fast(text: &[u8]) -> Option<Value> {
        let shown = String::from_utf8_lossy(text).into_owned();
        let value = with_document(text, |doc| doc.map(|d| d.to_value()))?;
        let exact: Value = serde_json::from_slice(text)
            .unwrap_or_else(|e| panic!("fast accepted what serde_json refuses ({e}): {shown}"));
        // `-0` is the one text read differently (the integer 0 here, -0.0 there): equal as JSON
        // Schema compares numbers, so no verdict changes.
        if !shown.contains("-0") {
            assert_eq!(value, exact, "{shown}");
        }
        assert!(cmp::equal(&value, &exact), "{shown}");
        Some(value)
    }

    #[test]
    fn the_fast_parser_agrees_with_serde_json_or_declines() {
        let texts: &[&[u8]] = &[
            br#"{"a":[1,-2,3.5,1e3,18446744073709551615,-9223372036854775808],"b":{"c":null,"d":true,"e":false},"f":"x\"y\u00e9","g":[],"h":{}}"#,
            br#"{"na\nme":"esc\\aped","\ud83d\ude00":"\ud83d\ude00"}"#,
            b"  {\"a\" :\t[ 1 ,\r\n 2 ] }  ",
            br#"[[[{"x":[{"y":{}}]}]],"tail"]"#,
            b"[]",
            b"{}",
            b"0",
            b"\"\"",
            // Each of these must be refused: by both, or declined here.
            b"{\"a\":1,}",
            b"[1,2",
            b"[01]",
            b"[1.]",
            b"[.5]",
            b"[+1]",
            b"[-]",
            b"[NaN]",
            b"[Infinity]",
            b"\"raw\ncontrol\"",
            b"\"tab\tinside\"",
            b"\"\\ud800\"",
            b"\"\\ud800\\u0041\"",
            b"\"\\x41\"",
            b"\"\xff\xfe\"",
            b"\"\xed\xa0\x80\"",
            b"[1] [2]",
            b"[1]x",
            b"",
            b"   ",
            b"\x0c[1]",
            b"[1]\x00",
            b"{\"a\" 1}",
            b"{1:2}",
            b"[true, tru]",
            b"nul",
            b"\"unterminated",
        ];
        for text in texts {
            let serde = serde_json::from_slice::<Value>(text).ok();
            // Declined (`None`) is always safe: the caller then uses serde_json itself.
            if let Some(value) = fast(text) {
                assert!(
                    serde.is_some_and(|s| cmp::equal(&s, &value)),
                    "{}",
                    String::from_utf8_lossy(text)
                );
            }
        }
        // Valid documents of every shape take the fast path.
        for text in &texts[..8] {
            assert!(fast(text).is_some(), "{}", String::from_utf8_lossy(text));
        }
        // Ordinary numbers take the fast path (and `fast` proved them equal to serde_json's)...
        for n in [
            "0.1",
            "100.1899",
            "1.7976931348623157e308",
            "5e-324",
            "2.2250738585072014e-308",
            "-0.0",
            "-0",
            "1E+2",
            "0.30000000000000004",
        ] {
            assert!(fast(format!("[{n}]").as_bytes()).is_some(), "{n}");
        }
        // ...integers beyond 64 bits (serde_json: a float) and overflow (serde_json: an error)
        // do not.
        for n in [
            "123456789012345678901234567890",
            "18446744073709551616",
            "1e400",
        ] {
            assert!(fast(format!("[{n}]").as_bytes()).is_none(), "{n}");
        }
        // Nesting deeper than the fast limit is declined; serde_json decides it.
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(fast(deep(FAST_MAX_DEPTH + 1).as_bytes()).is_none());
        assert!(fast(deep(FAST_MAX_DEPTH).as_bytes()).is_some());
        assert!(fast(deep(100_000).as_bytes()).is_none());
    }

    #[test]
    fn siblings_after_nested_containers_are_found() {
        with_document(
            br#"{"a":{"b":[1,{"c":2}],"d":3},"e":[[],[4]],"f":5}"#,
            |doc| {
                let root = doc.expect("parses").root().as_object().expect("object");
                let names: Vec<&str> = root.members().map(|(n, _)| n).collect();
                assert_eq!(names, ["a", "e", "f"]);
                assert_eq!(root.len(), 3);
                let f = root.get(&TapeJson::prepare_key("f")).expect("f");
                assert_eq!(f.as_number().and_then(|n| n.as_u64()), Some(5));
                let e = root.get(&TapeJson::prepare_key("e")).expect("e");
                let lens: Vec<usize> = e
                    .as_array()
                    .expect("array")
                    .elements()
                    .map(|x| x.as_array().expect("array").len())
                    .collect();
                assert_eq!(lens, [0, 1]);
                assert!(root.get(&TapeJson::prepare_key("zz")).is_none());
            },
        );
    }

    #[test]
    fn repeated_names_are_found_and_the_last_one_wins() {
        let cases: &[(&[u8], bool)] = &[
            (br#"{"a":1,"b":{"a":2,"c":3},"a":4}"#, true),
            (br#"[{"x":1},{"y":[{"k":1,"k":2}]}]"#, true),
            (br#"{"a":{"b":{"c":1}},"z":{"a":1,"b":2,"b":3}}"#, true),
            // The same name in different objects, or nested, is no repetition.
            (br#"{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}"#, false),
            (br#"{"a":[],"b":{},"c":[{}],"d":{"e":{}},"f":1}"#, false),
            (br#"[1,"a",{"a":null}]"#, false),
        ];
        for (text, repeated) in cases {
            with_document(text, |doc| {
                let doc = doc.expect("parses");
                assert_eq!(
                    doc.has_duplicate_names(),
                    *repeated,
                    "{}",
                    String::from_utf8_lossy(text)
                );
                // The `Value` of the document is serde_json's, last occurrence included.
                let exact: Value = serde_json::from_slice(text).expect("JSON");
                assert_eq!(doc.to_value(), exact);
            });
        }
        with_document(br#"{"a":1,"b":2,"a":4}"#, |doc| {
            let root = doc.expect("parses").root().as_object().expect("object");
            let a = root.get(&TapeJson::prepare_key("a")).expect("a");
            assert_eq!(a.as_number().and_then(|n| n.as_u64()), Some(4));
        });
    }

    #[test]
    fn keywords_that_can_invert_a_verdict_ask_for_unique_names() {
        for schema in [
            json!({"not": {"required": ["a"]}}),
            json!({"properties": {"x": {"if": {}, "then": {}}}}),
            json!({"$defs": {"X": {"minProperties": 2}}}),
            json!({"oneOf": [{"type": "object"}, {"type": "string"}]}),
            json!({"oneOf": [{"$ref": "#/$defs/X"}, {"type": "null"}]}),
        ] {
            assert!(needs_unique_names(&schema), "{schema}");
        }
        for schema in [
            json!({"type": "object", "properties": {"a": {"enum": ["x"]}}, "required": ["a"], "additionalProperties": false}),
            json!({"oneOf": [{"type": "string", "enum": ["true"]}, {"type": "boolean"}]}),
            json!({"oneOf": [{"type": ["integer", "null"]}, {"type": "string"}]}),
            json!({"allOf": [{"$ref": "#/$defs/X"}], "anyOf": [{"maxProperties": 3}]}),
        ] {
            assert!(!needs_unique_names(&schema), "{schema}");
        }
    }

    #[test]
    fn scalars_compare_with_enum_values_like_values_do() {
        with_document(br#"["ok",1,1.0,null,true,{"a":[1]}]"#, |doc| {
            let items: Vec<TapeNode<'_>> = doc
                .expect("parses")
                .root()
                .as_array()
                .expect("array")
                .elements()
                .collect();
            assert!(items[0].equals_value(&json!("ok")));
            assert!(!items[0].equals_value(&json!("OK")));
            assert!(!items[0].equals_value(&json!(1)));
            assert!(items[1].equals_value(&json!(1.0)));
            assert!(items[2].equals_value(&json!(1)));
            assert!(!items[1].equals_value(&json!("1")));
            assert!(items[3].equals_value(&json!(null)));
            assert!(!items[3].equals_value(&json!(false)));
            assert!(items[4].equals_value(&json!(true)));
            assert!(items[5].equals_value(&json!({"a": [1.0]})));
            assert!(!items[5].equals_value(&json!({"a": [2]})));
        });
    }
}
