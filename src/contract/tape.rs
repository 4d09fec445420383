//! The fast path of a contract check: simd-json's tape, validated in place.
//!
//! `serde_json::Value` allocates a `String` per member name and per string and a `BTreeMap` per
//! object; on a typical page that is three quarters of a contract check. simd-json (SIMD, selected
//! at run time) parses into one flat vector of nodes whose strings borrow from a scratch copy of
//! the input, and the jsonschema crate validates those nodes through its representation traits
//! ([`jsonschema::json`]) as it validates a `Value`. The buffers are kept per thread, so a check
//! allocates nothing in the steady state.
//!
//! A document is read here exactly as `serde_json` reads it into a `Value`, so a verdict, and every
//! violation with its message, is the same on either. [`with_document`] declines (passes `None`)
//! whenever simd-json might read the text differently: any error, nesting deeper than
//! [`FAST_MAX_DEPTH`], integers beyond 64 bits. `-0` is the float -0.0 here as there.
//!
//! A member name repeated in one object is where the two could part: the tape holds every
//! occurrence, a `Value` only the last. [`with_document`] finds every repeated name
//! ([`Document::repeated_names`], which the contract reports as violations) and then hides the
//! earlier occurrences in the tape itself (the name node becomes a non-string, the object's
//! length drops), so validation sees the `Value`'s members, the last occurrence once, at no
//! cost to documents without repeats.
//!
//! Validation errors on a tape carry no copy of the failing value: building one for a failing
//! array of a million objects cost more than the whole valid document. An error's instance is a
//! marker that names the node instead ([`node_of`]); the caller renders the node from the tape,
//! and only as far as a message shows it.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::sync::OnceLock;

use jsonschema::json::{Array, Json, Node, NodeIdentity, Object, cmp};
use jsonschema::types::JsonType;
use jsonschema_value::LazyInstance;
use serde_json::{Map, Number, Value};
use simd_json::{Node as N, StaticNode as S};

use super::repeated::Repeated;

/// Deepest nesting the fast path reads; `serde_json` stops at 128.
pub const FAST_MAX_DEPTH: usize = 100;

/// Largest document after which the per-thread buffers are kept for the next one.
const KEEP_BYTES: usize = 16 << 20;

/// What a tape error's instance starts with; the node's index follows ([`node_of`]).
const MARKER: &str = "\u{0}backup-task-api tape node ";

/// simd-json's work buffers, its node vector and the copy of the input, kept per thread.
#[derive(Default)]
struct State {
    buffers: Option<simd_json::Buffers>,
    nodes: Option<simd_json::Tape<'static>>,
    scratch: Vec<u8>,
}

/// Parses `bytes` with simd-json and calls `f` with the document, or with `None` when the fast
/// path declines the text (see the module docs): the caller then parses it with `serde_json`.
pub fn with_document<R>(bytes: &[u8], f: impl FnOnce(Option<&Document<'_>>) -> R) -> R {
    with_document_or_quick(bytes, |_| None, f)
}

/// [`with_document`], with a first look at the tape: `quick` gets the root of the tape as
/// parsed, before the repeated-name pass (so a repeated name is still there, every occurrence
/// of it), and when it answers, that is the answer, and the pass is skipped. Else `f` gets the
/// document as [`with_document`] gives it. For the compiled check, which can vouch in its own
/// walk that no name repeats ([`super::fastcheck::Checker::is_valid_and_unique`]).
pub fn with_document_or_quick<R>(
    bytes: &[u8],
    quick: impl FnOnce(TapeNode<'_>) -> Option<R>,
    f: impl FnOnce(Option<&Document<'_>>) -> R,
) -> R {
    let mut state = take_state();
    let mut scratch = std::mem::take(&mut state.scratch);
    scratch.clear();
    scratch.reserve(bytes.len() + simd_json::INPUT_PADDING);
    scratch.extend_from_slice(bytes);
    scratch.resize(bytes.len() + simd_json::INPUT_PADDING, b' ');
    let result = parse_padded(&mut state, &mut scratch, bytes.len(), quick, f);
    state.scratch = scratch;
    put_state(state, bytes.len());
    result
}

/// [`with_document`] of the bytes `buffer` holds, parsed where they are instead of in a copy:
/// a large document's copy cost more than its parse, most of it the first touch of the fresh
/// pages. simd-json writes into its input only where it unescapes a string, so text with no
/// backslash is read in place and left as it was (the caller's `serde_json` fallback still sees
/// the original); other text goes through the copy. `buffer` holds the same bytes afterwards;
/// its capacity may grow by [`simd_json::INPUT_PADDING`] (reserve that to spare a reallocation).
pub fn with_document_in_place<R>(
    buffer: &mut Vec<u8>,
    f: impl FnOnce(Option<&Document<'_>>) -> R,
) -> R {
    with_document_in_place_or_quick(buffer, |_| None, f)
}

/// [`with_document_in_place`] with the first look of [`with_document_or_quick`].
pub fn with_document_in_place_or_quick<R>(
    buffer: &mut Vec<u8>,
    quick: impl FnOnce(TapeNode<'_>) -> Option<R>,
    f: impl FnOnce(Option<&Document<'_>>) -> R,
) -> R {
    if has_backslash(buffer) {
        return with_document_or_quick(buffer, quick, f);
    }
    let len = buffer.len();
    let mut state = take_state();
    buffer.resize(len + simd_json::INPUT_PADDING, b' ');
    let result = parse_padded(&mut state, buffer, len, quick, f);
    buffer.truncate(len);
    put_state(state, len);
    result
}

/// Whether `bytes` holds a backslash: whole chunks compared without a branch per byte, so the
/// scan runs at memory speed.
fn has_backslash(bytes: &[u8]) -> bool {
    bytes
        .chunks(256)
        .any(|chunk| chunk.iter().fold(false, |seen, &b| seen | (b == b'\\')))
}

thread_local! {
    static STATE: RefCell<State> = RefCell::default();
}

/// The thread's buffers, taken out rather than borrowed, so a nested call (none today) gets
/// fresh ones.
fn take_state() -> State {
    STATE.with(|s| std::mem::take(&mut *s.borrow_mut()))
}

/// Gives the buffers back after a document of `len` bytes.
fn put_state(state: State, len: usize) {
    if len <= KEEP_BYTES {
        // A huge document's buffers are dropped instead of held for the thread's life.
        STATE.with(|s| *s.borrow_mut() = state);
    }
}

/// Parses `padded[..len]` (followed by at least [`simd_json::INPUT_PADDING`] bytes) into the
/// state's tape and answers with `quick` or `f`, as [`with_document_or_quick`] says.
fn parse_padded<R>(
    state: &mut State,
    padded: &mut [u8],
    len: usize,
    quick: impl FnOnce(TapeNode<'_>) -> Option<R>,
    f: impl FnOnce(Option<&Document<'_>>) -> R,
) -> R {
    let mut buffers = state
        .buffers
        .take()
        .unwrap_or_else(|| simd_json::Buffers::with_max_depth(0, FAST_MAX_DEPTH));
    let mut tape = state
        .nodes
        .take()
        .unwrap_or_else(simd_json::Tape::null)
        .reset();
    let result = match simd_json::fill_tape_padded(padded, len, &mut buffers, &mut tape) {
        Ok(()) if !tape.0.is_empty() => {
            let root = TapeNode {
                nodes: &tape.0,
                at: 0,
            };
            match quick(root) {
                Some(answer) => answer,
                None => {
                    let repeated = hide_repeated(&mut tape.0);
                    f(Some(&Document {
                        nodes: &tape.0,
                        repeated,
                    }))
                }
            }
        }
        _ => f(None),
    };
    state.nodes = Some(tape.reset());
    state.buffers = Some(buffers);
    result
}

/// One parsed document.
pub struct Document<'t> {
    nodes: &'t [simd_json::Node<'t>],
    repeated: Vec<Repeated>,
}

/// A container being scanned for repeated names.
#[derive(Clone, Copy)]
struct Open {
    /// Its index in the tape.
    at: usize,
    /// One past its last node.
    end: usize,
    /// An object (else an array, whose elements are never names).
    object: bool,
    /// Two bits per name seen, one per word, by [`name_key`]: a name with either bit clear is
    /// new without a look at the others, and almost every name is.
    bloom: [u64; 2],
}

/// Objects with more members than this find repeated names with a hash map, not the bloom word.
const BLOOM_MEMBERS: usize = 16;

/// A name seen more than once: its object, the name, its latest name node, how often it occurs.
type Repeat<'t> = (usize, &'t str, usize, usize);

/// Finds every repeated member name, then hides the earlier occurrences in the tape: each hidden
/// name node becomes `null` (a name is a string in any tape simd-json makes, so [`Members`]
/// knows to skip it) and its object's length drops by one.
///
/// Every document pays for this pass, so it is one loop over the nodes that keeps no list of
/// names: a name whose bits in its object's bloom word are not both set is new, and only then are
/// the object's earlier names read again from the tape. A pointer is worked out only for a name
/// that does repeat.
fn hide_repeated(nodes: &mut [simd_json::Node<'_>]) -> Vec<Repeated> {
    // The innermost container open, in locals (the loop reads it for every node); the ones
    // around it wait in `outer`. At the top level there is none: an array that ends nowhere.
    let top = Open {
        at: usize::MAX,
        end: usize::MAX,
        object: false,
        bloom: [0; 2],
    };
    let mut container = top;
    let mut outer: Vec<Open> = Vec::new();
    // Objects open that are too large for a bloom word, innermost last, with their names.
    let mut indexes: Vec<(usize, HashMap<&str, usize>)> = Vec::new();
    // (hidden name node, its object).
    let mut hidden: Vec<(usize, usize)> = Vec::new();
    let mut repeats: Vec<Repeat<'_>> = Vec::new();
    // Where each repeated name of an object sits in `repeats`.
    let mut repeat_of: HashMap<(usize, &str), usize> = HashMap::new();
    let mut i = 0;
    while i < nodes.len() {
        while container.end <= i {
            if indexes.last().is_some_and(|(at, _)| *at == container.at) {
                indexes.pop();
            }
            container = outer.pop().unwrap_or(top);
        }
        // Inside an object the node is a member name, and its value follows: a scalar value is
        // stepped over with its name, a container opens and is read next.
        let value = if container.object {
            if let N::String(name) = nodes[i] {
                let object = container.at;
                let earlier = match indexes.last_mut() {
                    Some((at, index)) if *at == object => match index.entry(name) {
                        Entry::Occupied(mut found) => Some(found.insert(i)),
                        Entry::Vacant(slot) => {
                            slot.insert(i);
                            None
                        }
                    },
                    _ => {
                        let hash = name_key(name).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                        let bits = [1 << (hash >> 58), 1 << ((hash >> 52) & 63)];
                        let [low, high] = &mut container.bloom;
                        let maybe = *low & bits[0] != 0 && *high & bits[1] != 0;
                        *low |= bits[0];
                        *high |= bits[1];
                        if maybe {
                            latest_before(nodes, object, i, name)
                        } else {
                            None
                        }
                    }
                };
                if let Some(earlier) = earlier {
                    // The earlier occurrence is hidden; `Value` keeps the last.
                    hidden.push((earlier, object));
                    match repeat_of.entry((object, name)) {
                        Entry::Occupied(found) => {
                            let repeat = &mut repeats[*found.get()];
                            repeat.2 = i;
                            repeat.3 += 1;
                        }
                        Entry::Vacant(slot) => {
                            slot.insert(repeats.len());
                            repeats.push((object, name, i, 2));
                        }
                    }
                }
            }
            i + 1
        } else {
            i
        };
        let (end, object) = match nodes.get(value) {
            Some(&N::Object { len, count }) => {
                if len > BLOOM_MEMBERS {
                    indexes.push((value, HashMap::with_capacity(len)));
                }
                (value + count + 1, true)
            }
            // An array's elements are no names, even inside an object.
            Some(&N::Array { count, .. }) => (value + count + 1, false),
            _ => {
                i = value + 1;
                continue;
            }
        };
        outer.push(container);
        container = Open {
            at: value,
            end,
            object,
            bloom: [0; 2],
        };
        i = value + 1;
    }
    // Pointers first: the walk to a name reads the names of the members it passes through.
    let repeated = repeats
        .into_iter()
        .map(|(_, name, latest, count)| Repeated {
            pointer: pointer_to(nodes, latest),
            name: name.to_owned(),
            count,
        })
        .collect();
    for &(name_at, object_at) in &hidden {
        nodes[name_at] = N::Static(S::Null);
        if let Some(N::Object { len, .. }) = nodes.get_mut(object_at) {
            *len -= 1;
        }
    }
    repeated
}

/// The name node of the latest occurrence of `name` in the object at `object` before index
/// `before`, reading the tape (the rare path of [`hide_repeated`]).
fn latest_before(
    nodes: &[simd_json::Node<'_>],
    object: usize,
    before: usize,
    name: &str,
) -> Option<usize> {
    let mut latest = None;
    let mut at = object + 1;
    while at < before {
        if matches!(nodes.get(at), Some(N::String(seen)) if *seen == name) {
            latest = Some(at);
        }
        at = end_of(nodes, end_of(nodes, at));
    }
    latest
}

impl<'t> Document<'t> {
    /// The root value.
    pub fn root(&self) -> TapeNode<'t> {
        self.node(0)
    }

    /// The value at index `at` of the tape (as [`node_of`] gives it).
    fn node(&self, at: usize) -> TapeNode<'t> {
        TapeNode {
            nodes: self.nodes,
            at,
        }
    }

    /// The node an error's instance names, if it names one of this document's nodes.
    pub fn node_of(&self, instance: &Value) -> Option<TapeNode<'t>> {
        node_of(instance)
            .filter(|at| *at < self.nodes.len())
            .map(|at| self.node(at))
    }

    /// The document as a `serde_json::Value` (the last of repeated names wins, as there).
    pub fn to_value(&self) -> Value {
        self.root().to_value().into_owned()
    }

    /// Every member name that occurs more than once in one of the document's objects (hidden
    /// members' values included), in no particular order.
    pub fn repeated_names(&self) -> &[Repeated] {
        &self.repeated
    }
}

/// A name's first and last four bytes and its length in one word: names that differ almost
/// always differ here, so a name is told from another, or from a bloom word, in a few cycles.
/// Fixed-size loads only: a copy of a variable length is a call to memcpy, which cost more than
/// the rest of the scan.
pub(crate) fn name_key(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let len = bytes.len();
    let word = match (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        (Some(first), Some(last)) => {
            u64::from(u32::from_le_bytes(*first)) | (u64::from(u32::from_le_bytes(*last)) << 32)
        }
        _ => bytes.iter().fold(0, |word, &b| (word << 8) | u64::from(b)),
    };
    word ^ (len as u64).rotate_right(8)
}

/// The JSON pointer of the member whose name node is at `name_at`: the root is walked down to
/// it, each container's children skipped whole until one holds it. Only repeated names need one.
fn pointer_to(nodes: &[simd_json::Node<'_>], name_at: usize) -> String {
    let mut out = String::new();
    let mut at = 0;
    while at < name_at {
        let is_object = matches!(nodes.get(at), Some(N::Object { .. }));
        let end = end_of(nodes, at);
        let mut child = at + 1;
        let mut index = 0;
        loop {
            if child >= end {
                // Not inside this container after all: not reachable for a tape simd-json made.
                return out;
            }
            let (step_at, value_at) = if is_object {
                (child, end_of(nodes, child))
            } else {
                (child, child)
            };
            let next = end_of(nodes, value_at);
            if step_at == name_at || next > name_at {
                out.push('/');
                match nodes.get(step_at) {
                    Some(N::String(name)) if is_object => push_escaped(&mut out, name),
                    _ => out.push_str(&index.to_string()),
                }
                if step_at == name_at {
                    return out;
                }
                at = value_at;
                break;
            }
            child = next;
            index += 1;
        }
    }
    out
}

/// Appends `segment` to a JSON pointer, escaped as RFC 6901 says (`~` as `~0`, `/` as `~1`).
pub(crate) fn push_escaped(out: &mut String, segment: &str) {
    for c in segment.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// The index of the tape node an error's instance stands for; `None` for a real value.
pub fn node_of(instance: &Value) -> Option<usize> {
    instance.as_str()?.strip_prefix(MARKER)?.parse().ok()
}

/// What an error's instance becomes: a marker naming node `at` ([`node_of`]).
fn marker(_: &[u8], at: u32) -> Value {
    Value::String(format!("{MARKER}{at}"))
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

    /// The tape and this value's index in it, for [`super::fastcheck`], which walks the nodes
    /// itself.
    pub(crate) fn raw(&self) -> (&'a [simd_json::Node<'a>], usize) {
        (self.nodes, self.at)
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
        // simd-json reads `-0` as the integer 0 (`0` is `U64`); serde_json reads the float -0.0,
        // and a message shows it as `-0.0`.
        S::I64(0) => Number::from_f64(-0.0),
        S::I64(n) => Some((*n).into()),
        S::U64(n) => Some((*n).into()),
        S::F64(f) => Number::from_f64(*f),
        S::Bool(_) | S::Null => None,
    }
}

/// Whether `node` equals `expected` as JSON Schema compares (`enum`, `const`), without building a
/// `Value` of it: a failing array of a million objects is compared, not copied.
fn equals(node: &TapeNode<'_>, expected: &Value) -> bool {
    match (node.node(), expected) {
        (N::String(s), Value::String(e)) => s == e,
        (N::Static(S::Null), e) => e.is_null(),
        (N::Static(S::Bool(b)), e) => e.as_bool() == Some(*b),
        (N::Static(n), Value::Number(e)) => number(n).is_some_and(|n| cmp::equal_numbers(&n, e)),
        (N::Array { .. }, Value::Array(items)) => {
            node.as_array()
                .is_some_and(|array| array.len() == items.len())
                && node.children().zip(items).all(|(n, e)| equals(&n, e))
        }
        (N::Object { .. }, Value::Object(members)) => node.as_object().is_some_and(|object| {
            object.len() == members.len()
                && object
                    .members()
                    .all(|(name, n)| members.get(name).is_some_and(|e| equals(&n, e)))
        }),
        _ => false,
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
        equals(self, expected)
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

    fn lazy_value(&self) -> LazyInstance<'a> {
        // A marker naming the node, not a copy of it (see the module docs). A tape too long for a
        // `u32` index (never under the input caps) gets the copy.
        match u32::try_from(self.at) {
            Ok(at) => LazyInstance::Deferred {
                bytes: &[],
                tag: at,
                make: marker,
                cell: OnceLock::new(),
            },
            Err(_) => LazyInstance::Ready(self.to_value()),
        }
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

/// An object's members, in document order, without those a later one of the same name hides.
pub struct Members<'a>(Children<'a>);

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, TapeNode<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let name = self.0.next()?;
            let value = self.0.next()?;
            // A name that is not a string is one a later member hides ([`hide_repeated`]).
            if let N::String(text) = name.node() {
                return Some((text, value));
            }
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
        // Hidden members are skipped, so the one found is the last occurrence, as in a `Value`.
        self.members()
            .find(|(name, _)| *name == key.as_ref())
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
        // Equal as `Value`s, `-0` included (the float -0.0 on both sides), so a message that
        // shows a number shows the same text.
        assert_eq!(value, exact, "{shown}");
        assert_eq!(value.to_string(), exact.to_string(), "{shown}");
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
    fn in_place_reads_as_the_copy_does_and_leaves_the_bytes_alone() {
        let texts: &[&[u8]] = &[
            br#"{"a":[1,2.5,-0],"b":{"c":null},"d":"x"}"#,
            br#"{"a":"esc\"aped\u00e9","a":"x\\y"}"#,
            br#"{"k":1,"k":2}"#,
            b"[1,2",
            b"[123456789012345678901234567890]",
            b"",
            b"7",
        ];
        for text in texts {
            let shown = String::from_utf8_lossy(text);
            let copied = with_document(text, |doc| {
                doc.map(|d| (d.to_value(), d.repeated_names().to_vec()))
            });
            // With and without spare room for the padding.
            for spare in [0, simd_json::INPUT_PADDING] {
                let mut buffer = Vec::with_capacity(text.len() + spare);
                buffer.extend_from_slice(text);
                let in_place = with_document_in_place(&mut buffer, |doc| {
                    doc.map(|d| (d.to_value(), d.repeated_names().to_vec()))
                });
                assert_eq!(in_place, copied, "{shown}");
                assert_eq!(buffer, *text, "{shown}");
            }
        }
        assert!(has_backslash(
            &[b'a'; 1000]
                .iter()
                .chain(b"\\")
                .copied()
                .collect::<Vec<_>>()
        ));
        assert!(!has_backslash(&[b'a'; 1000]));
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
    fn repeated_names_are_found_and_only_the_last_one_is_seen() {
        /// A text and the `(pointer, count)` of every name repeated in it.
        type Case<'c> = (&'c [u8], &'c [(&'c str, usize)]);
        let cases: &[Case<'_>] = &[
            (br#"{"a":1,"b":{"a":2,"c":3},"a":4}"#, &[("/a", 2)]),
            (
                br#"[{"x":1},{"y":[{"k":1,"k":2,"k":3}]}]"#,
                &[("/1/y/0/k", 3)],
            ),
            (
                br#"{"a":{"b":{"c":1}},"z":{"a":1,"b":2,"b":3}}"#,
                &[("/z/b", 2)],
            ),
            // Inside a member a later one hides, and with names a pointer escapes.
            (
                br#"{"m":{"q":1,"q":2},"m":{},"a/b":0,"a/b":1}"#,
                &[("/a~1b", 2), ("/m", 2), ("/m/q", 2)],
            ),
            // The same name in different objects, or nested, is no repetition.
            (br#"{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}"#, &[]),
            (br#"{"a":[],"b":{},"c":[{}],"d":{"e":{}},"f":1}"#, &[]),
            (br#"[1,"a",{"a":null}]"#, &[]),
        ];
        for (text, expected) in cases {
            let shown = String::from_utf8_lossy(text);
            with_document(text, |doc| {
                let doc = doc.expect("parses");
                let mut found: Vec<(String, usize)> = doc
                    .repeated_names()
                    .iter()
                    .map(|r| (r.pointer.clone(), r.count))
                    .collect();
                found.sort();
                let expected: Vec<(String, usize)> = expected
                    .iter()
                    .map(|(p, n)| ((*p).to_owned(), *n))
                    .collect();
                assert_eq!(found, expected, "{shown}");
                // The document reads as serde_json's `Value`: the last occurrence, once.
                let exact: Value = serde_json::from_slice(text).expect("JSON");
                assert_eq!(doc.to_value(), exact, "{shown}");
                assert!(doc.root().equals_value(&exact), "{shown}");
            });
        }
        // Many members take the hash map; earlier occurrences disappear from every view.
        let mut text = String::from("{");
        for i in 0..100 {
            text.push_str(&format!("\"k{i}\":{i},"));
        }
        text.push_str(r#""k7":"last","k42":[1],"k7":true}"#);
        with_document(text.as_bytes(), |doc| {
            let doc = doc.expect("parses");
            let mut found: Vec<(String, usize)> = doc
                .repeated_names()
                .iter()
                .map(|r| (r.pointer.clone(), r.count))
                .collect();
            found.sort();
            assert_eq!(found, [("/k42".to_owned(), 2), ("/k7".to_owned(), 3)]);
            let root = doc.root().as_object().expect("object");
            assert_eq!(root.len(), 100);
            assert_eq!(root.members().count(), 100);
            let k7 = root.get(&TapeJson::prepare_key("k7")).expect("k7");
            assert_eq!(k7.as_boolean(), Some(true));
            let k42 = root.get(&TapeJson::prepare_key("k42")).expect("k42");
            assert_eq!(k42.as_array().map(|a| a.len()), Some(1));
        });
    }

    #[test]
    fn large_objects_inside_large_objects_keep_their_own_names() {
        // Both past the bloom word's size: each has its own index, and the inner one closing
        // must leave the outer one's in place.
        let members = |prefix: &str| -> String {
            (0..20)
                .map(|i| format!("\"{prefix}{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let text = format!(
            r#"{{{},"inner":{{{},"k3":0}},"k3":1,"in3":2}}"#,
            members("k"),
            members("k")
        );
        with_document(text.as_bytes(), |doc| {
            let doc = doc.expect("parses");
            let mut found: Vec<(String, usize)> = doc
                .repeated_names()
                .iter()
                .map(|r| (r.pointer.clone(), r.count))
                .collect();
            found.sort();
            assert_eq!(found, [("/inner/k3".to_owned(), 2), ("/k3".to_owned(), 2)]);
            let exact: Value = serde_json::from_str(&text).expect("JSON");
            assert_eq!(doc.to_value(), exact);
        });
    }

    #[test]
    fn an_error_names_its_node_instead_of_copying_it() {
        with_document(br#"{"a":[{"x":1},{"x":2}],"b":"s"}"#, |doc| {
            let doc = doc.expect("parses");
            let root = doc.root().as_object().expect("object");
            let a = root.get(&TapeJson::prepare_key("a")).expect("a");
            let instance = a.lazy_value().into_cow().into_owned();
            let named = doc.node_of(&instance).expect("a node of this tape");
            assert_eq!(named.to_value().into_owned(), json!([{"x": 1}, {"x": 2}]));
            // A real value, even a string, names nothing.
            assert!(doc.node_of(&json!("s")).is_none());
            assert!(doc.node_of(&json!(3)).is_none());
        });
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
            assert!(!items[5].equals_value(&json!({"a": [1], "b": 1})));
            assert!(!items[5].equals_value(&json!([1])));
            assert!(!items[5].equals_value(&json!("{\"a\":[1]}")));
        });
    }
}
