//! A compiled validity check over the simd-json tape, for the JSON Schema subset the two specs
//! use.
//!
//! The contract's question on the hot path (every page `validate` reads, every response the proxy
//! forwards) is only "valid or not": a "not" is reported again by the engine's own validator
//! ([`super::Contract::check_bytes`]), so what is reported never depends on this module. The
//! engine answers that question through generic keyword objects, a virtual call per keyword and a
//! linear scan of an object's members per property; on a 1,000-record page that dispatch and
//! lookup were most of the time left after the parse. Here a target's converted schema is
//! compiled once into plain data, walked together with the tape: each object schema finds a
//! member's rule by one multiply of the name's first and last bytes into a small table with no
//! collision among its own names, `required` is a bit mask, and the keywords are fields checked
//! in one function.
//!
//! Exactness is decided at compile time: a schema with any keyword or form not implemented here
//! exactly as the engine implements it is not compiled at all ([`Unsupported`]), and that target
//! keeps the engine's validity path. Implemented: `type` (one or a list), the contract's
//! `x-openapi-integer`, `enum` and `const` of strings, booleans and null, `minLength`/`maxLength`
//! (code points), `pattern` (hand-written matchers for the specs' own patterns, else the
//! engine's regex), integer `minimum`/`maximum`/`exclusiveMinimum`/`exclusiveMaximum`,
//! `properties`, `required`, `additionalProperties` (up to 64 names an object), `items` (one
//! schema), `minItems`/`maxItems`, `$ref` to `#/$defs/...`, `allOf`, `anyOf`, `oneOf`, boolean
//! schemas, annotations, and `$schema`/`$defs` at the root.
//!
//! A valid page also skips the repeated-name pass of [`super::tape`]: the walk reads every name
//! of the objects it checks, and one bit per known name shows a name met twice; where it cannot
//! vouch (see [`Checker::is_valid_and_unique`]) the document takes the old path. At run time one case
//! is declined ([`Decline`]): a number with a fraction or exponent checked against a bound, whose
//! exact comparison the engine makes on the decimal text; the engine answers for that document.
//! A test fails if any target of either API is not compiled, so a spec edit that brings in an
//! unsupported keyword is seen, and the differential tests hold every verdict to the engine's.

use std::collections::HashMap;

use jsonschema::json::Json as _;
use serde_json::{Map, Value, json};
use simd_json::{Node as N, StaticNode as S};

use super::convert::{DEFS_PREFIX, OPENAPI_INTEGER};
use super::pattern::Matcher;
use super::tape::{TapeJson, TapeNode, name_key};

/// Why a schema was not compiled: where, and the keyword or form this module does not implement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// JSON pointer of the schema in the target's document.
    pub at: String,
    /// What is there.
    pub what: String,
}

/// The checker gives a document back to the engine (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decline;

/// Index of a compiled schema.
type Id = u32;

// JSON types as bits of a set.
const NULL: u8 = 1;
const BOOLEAN: u8 = 2;
const INTEGER: u8 = 4;
const NUMBER: u8 = 8;
const STRING: u8 = 16;
const ARRAY: u8 = 32;
const OBJECT: u8 = 64;
const ANY: u8 = 127;

/// An `enum` or `const` value: the specs only use these, and any other kind is [`Unsupported`].
#[derive(Debug)]
enum Scalar {
    Null,
    Bool(bool),
    Str(Box<str>),
}

/// What `additionalProperties` says of members `properties` does not name.
#[derive(Debug, Clone, Copy)]
enum Additional {
    Any,
    Never,
    Schema(Id),
}

/// A name `properties` or `required` names.
#[derive(Debug)]
struct Property {
    name: Box<str>,
    /// [`name_key`] of the name, which decides equality alone for names of up to 8 bytes.
    key: u64,
    /// Its `properties` schema, if it has one.
    schema: Option<Id>,
    /// Its own bit (names are at most 64): set in a mask of the names an object has, so a name
    /// met twice is seen, and compared with [`Properties::required`].
    bit: u64,
}

/// `properties`, `required` and `additionalProperties` of one object schema.
#[derive(Debug)]
struct Properties {
    names: Vec<Property>,
    /// Index into `names` by `(name_key * multiplier) >> shift`; [`EMPTY`] for none. Every name
    /// has a slot of its own ([`Properties::table`]), so one comparison confirms a hit.
    slots: Box<[u8]>,
    multiplier: u64,
    shift: u32,
    /// `slots` could not be made collision-free: the names are scanned instead.
    scan: bool,
    /// The bits of the names `required` lists.
    required: u64,
    additional: Additional,
}

/// An empty slot of [`Properties::slots`].
const EMPTY: u8 = u8::MAX;

impl Properties {
    /// Finds a multiplier that sends every name to a slot of its own.
    fn table(&mut self) {
        let mut bits = (self.names.len().max(2) * 2)
            .next_power_of_two()
            .trailing_zeros();
        // A fixed sequence of odd multipliers: the table is the same on every run.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        while bits <= 10 {
            for _ in 0..2000 {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let multiplier = state | 1;
                let shift = 64 - bits;
                let mut slots = vec![EMPTY; 1 << bits];
                let placed = self.names.iter().enumerate().all(|(index, property)| {
                    let slot = &mut slots[slot(property.key, multiplier, shift)];
                    let free = *slot == EMPTY;
                    // `names` has at most 255 entries ([`Compiler::properties`]).
                    *slot = index as u8;
                    free
                });
                if placed {
                    self.slots = slots.into_boxed_slice();
                    self.multiplier = multiplier;
                    self.shift = shift;
                    return;
                }
            }
            bits += 1;
        }
        // Names that agree in length and in their first and last four bytes share a key: no
        // multiplier parts them.
        self.scan = true;
    }

    fn find(&self, name: &str) -> Option<&Property> {
        let key = name_key(name);
        if self.scan {
            return self.names.iter().find(|p| same_name(p, name, key));
        }
        let index = self.slots[slot(key, self.multiplier, self.shift)];
        self.names
            .get(usize::from(index))
            .filter(|p| same_name(p, name, key))
    }
}

fn slot(key: u64, multiplier: u64, shift: u32) -> usize {
    (key.wrapping_mul(multiplier) >> shift) as usize
}

/// Whether `name` (whose [`name_key`] is `key`) is the property's name, without a call to
/// `memcmp` for the names of up to 16 bytes that the specs have: the key holds the first and
/// last four bytes and the length, so it decides up to 8 bytes; up to 16, the first and last
/// eight bytes cover every byte.
fn same_name(property: &Property, name: &str, key: u64) -> bool {
    let (a, b) = (property.name.as_bytes(), name.as_bytes());
    if a.len() != b.len() || property.key != key {
        return false;
    }
    if a.len() <= 8 {
        return true;
    }
    if a.len() <= 16 {
        return a.first_chunk::<8>() == b.first_chunk::<8>()
            && a.last_chunk::<8>() == b.last_chunk::<8>();
    }
    a == b
}

/// A `pattern`: the hand-written matcher of its exact text ([`Matcher`]), else the engine's own
/// regex, compiled alone as `{"pattern": ...}`, so either way the verdict is the engine's.
enum Pattern {
    Hand(Matcher),
    Engine(Box<jsonschema::Validator<TapeJson>>),
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pattern::Hand(matcher) => f.debug_tuple("Hand").field(matcher).finish(),
            Pattern::Engine(_) => f.write_str("Engine"),
        }
    }
}

impl Pattern {
    fn compile(value: &Value) -> Option<Pattern> {
        let text = value.as_str()?;
        if let Some(matcher) = Matcher::for_pattern(text) {
            return Some(Pattern::Hand(matcher));
        }
        jsonschema::options_for::<TapeJson>()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&json!({ "pattern": text }))
            .ok()
            .map(|validator| Pattern::Engine(Box::new(validator)))
    }

    fn is_match(&self, text: &str) -> bool {
        match self {
            Pattern::Hand(matcher) => matcher.is_match(text),
            Pattern::Engine(validator) => {
                TapeJson::with_string_node(&mut (), text, |node| validator.is_valid(node))
            }
        }
    }
}

/// One compiled schema: every keyword it has, as data.
#[derive(Debug)]
struct Schema {
    /// The `false` schema.
    never: bool,
    types: u8,
    /// [`OPENAPI_INTEGER`]: a number written with a fraction or exponent whose value is integral
    /// fails.
    openapi_integer: bool,
    enumeration: Option<Box<[Scalar]>>,
    constant: Option<Scalar>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<Pattern>,
    minimum: Option<i128>,
    maximum: Option<i128>,
    exclusive_minimum: Option<i128>,
    exclusive_maximum: Option<i128>,
    properties: Option<Box<Properties>>,
    items: Option<Id>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    /// `$ref` and every `allOf` branch.
    all_of: Vec<Id>,
    any_of: Option<Box<[Id]>>,
    one_of: Option<OneOf>,
}

/// `oneOf`'s branches.
#[derive(Debug)]
struct OneOf {
    branches: Box<[Id]>,
    /// Where the branches' `type`s exclude each other (integers counting as numbers), each
    /// branch with its types: only the branch of the value's type can hold, so only it is
    /// checked. Worked out once references are resolved ([`finish`]).
    by_type: Option<Box<[(u8, Id)]>>,
}

impl Default for Schema {
    fn default() -> Self {
        Schema {
            never: false,
            types: ANY,
            openapi_integer: false,
            enumeration: None,
            constant: None,
            min_length: None,
            max_length: None,
            pattern: None,
            minimum: None,
            maximum: None,
            exclusive_minimum: None,
            exclusive_maximum: None,
            properties: None,
            items: None,
            min_items: None,
            max_items: None,
            all_of: Vec::new(),
            any_of: None,
            one_of: None,
        }
    }
}

impl Schema {
    /// The one schema this one refers to, when it says nothing else.
    fn alias(&self) -> Option<Id> {
        match self.all_of[..] {
            [only] if self.types == ANY && self.says_nothing_but_type_and_all_of() => Some(only),
            _ => None,
        }
    }

    /// Whether every keyword but `type` and `allOf` is absent.
    fn says_nothing_but_type_and_all_of(&self) -> bool {
        !self.never
            && !self.openapi_integer
            && self.enumeration.is_none()
            && self.constant.is_none()
            && self.min_length.is_none()
            && self.max_length.is_none()
            && self.pattern.is_none()
            && !self.has_bounds()
            && self.properties.is_none()
            && self.items.is_none()
            && self.min_items.is_none()
            && self.max_items.is_none()
            && self.any_of.is_none()
            && self.one_of.is_none()
    }

    /// Whether `other` has exactly the keywords this one has (values aside): a [`Quick`] shape
    /// is taken only by a schema with nothing more.
    fn same_keywords(&self, other: &Schema) -> bool {
        self.never == other.never
            && self.openapi_integer == other.openapi_integer
            && self.enumeration.is_some() == other.enumeration.is_some()
            && self.constant.is_some() == other.constant.is_some()
            && self.min_length.is_some() == other.min_length.is_some()
            && self.max_length.is_some() == other.max_length.is_some()
            && self.pattern.is_some() == other.pattern.is_some()
            && self.minimum.is_some() == other.minimum.is_some()
            && self.maximum.is_some() == other.maximum.is_some()
            && self.exclusive_minimum.is_some() == other.exclusive_minimum.is_some()
            && self.exclusive_maximum.is_some() == other.exclusive_maximum.is_some()
            && self.properties.is_some() == other.properties.is_some()
            && self.items.is_some() == other.items.is_some()
            && self.min_items.is_some() == other.min_items.is_some()
            && self.max_items.is_some() == other.max_items.is_some()
            && self.all_of.is_empty() == other.all_of.is_empty()
            && self.any_of.is_some() == other.any_of.is_some()
            && self.one_of.is_some() == other.one_of.is_some()
    }

    /// Whether this schema says nothing but `type` (and is no alias: see [`Schema::alias`]).
    fn alias_free_plain(&self) -> bool {
        self.says_nothing_but_type_and_all_of() && self.all_of.is_empty()
    }

    fn has_bounds(&self) -> bool {
        self.minimum.is_some()
            || self.maximum.is_some()
            || self.exclusive_minimum.is_some()
            || self.exclusive_maximum.is_some()
    }
}

/// The shapes most values of a page are checked against, answered in [`Checker::member`]; any
/// value they do not settle exactly (numbers with a fraction or exponent, containers) takes the
/// call to [`Checker::valid`] after all.
#[derive(Debug, Clone, Copy)]
enum Quick {
    /// Anything else.
    Call,
    /// `type` and nothing else.
    Types(u8),
    /// `type` of strings (and null) and a hand-written [`Matcher`], nothing else.
    Pattern(u8, Matcher),
    /// `type` of integers (and null), [`OPENAPI_INTEGER`], `minimum` and `maximum`, nothing else.
    Integer { types: u8, min: i128, max: i128 },
    /// `type` of strings (and null) and `enum`, nothing else.
    Enum(u8),
    /// Nothing but a `oneOf` of an [`Quick::Integer`] and a [`Quick::Pattern`] of strings alone
    /// (OCP's `LongId`): an integer is the one branch's, a string the other's.
    IntegerOrPattern {
        min: i128,
        max: i128,
        matcher: Matcher,
    },
}

impl Quick {
    fn of(schema: &Schema) -> Quick {
        if schema.alias_free_plain() {
            return Quick::Types(schema.types);
        }
        let bare = Schema {
            types: schema.types,
            ..Schema::default()
        };
        let strings = schema.types & !(STRING | NULL) == 0;
        if let (true, Some(Pattern::Hand(matcher))) = (strings, &schema.pattern) {
            let rest = Schema {
                pattern: Some(Pattern::Hand(*matcher)),
                ..bare
            };
            if rest.same_keywords(schema) {
                return Quick::Pattern(schema.types, *matcher);
            }
            return Quick::Call;
        }
        if let (true, Some(_)) = (strings, &schema.enumeration) {
            let rest = Schema {
                enumeration: Some(Box::new([])),
                ..bare
            };
            if rest.same_keywords(schema) {
                return Quick::Enum(schema.types);
            }
            return Quick::Call;
        }
        let integers = schema.types & !(INTEGER | NULL) == 0;
        if let (true, true, Some(min), Some(max)) = (
            integers,
            schema.openapi_integer,
            schema.minimum,
            schema.maximum,
        ) {
            let rest = Schema {
                openapi_integer: true,
                minimum: Some(min),
                maximum: Some(max),
                ..bare
            };
            if rest.same_keywords(schema) {
                return Quick::Integer {
                    types: schema.types,
                    min,
                    max,
                };
            }
        }
        Quick::Call
    }
}

/// A target's schema, compiled for the validity question over tapes.
#[derive(Debug)]
pub struct Checker {
    schemas: Vec<Schema>,
    /// Per schema, the shape of the common schemas that are answered where a member or element
    /// is met, without a call to [`Checker::valid`] ([`Checker::member`]).
    quick: Vec<Quick>,
    root: Id,
}

impl Checker {
    /// Compiles `document` (a standalone 2020-12 document as the contract compiles it, `$defs`
    /// at its root), or says what in it is not implemented here.
    pub fn compile(document: &Value) -> Result<Checker, Unsupported> {
        let mut compiler = Compiler {
            document,
            schemas: Vec::new(),
            defs: HashMap::new(),
        };
        let root = compiler.compile(document, "", true)?;
        finish(compiler.schemas, root)
    }

    /// Whether `node` satisfies the schema, exactly as the engine would answer; [`Decline`] for
    /// the rare value only the engine compares exactly (see the module docs). The tape is one
    /// whose repeated names are hidden ([`super::tape::Document`]).
    pub fn is_valid(&self, node: TapeNode<'_>) -> Result<bool, Decline> {
        let (nodes, at) = node.raw();
        self.valid(self.root, nodes, at, &mut false)
    }

    /// Whether `node`, in a tape whose repeated names were not looked for yet, is valid and
    /// certainly has no member name repeated in one object: then it is valid as a whole, and
    /// the repeated-name pass ([`super::tape`]) can be skipped. `false` says nothing more: the
    /// caller takes the path that finds repeated names first.
    ///
    /// The walk sees every member of every object it checks against `properties`; a name met
    /// twice there (its bit already set) ends it. Where the walk does not see every name of
    /// an object (members no rule reads, objects checked by no `properties`, names
    /// `additionalProperties` lets in, which the bits do not cover), the answer is `false`.
    pub fn is_valid_and_unique(&self, node: TapeNode<'_>) -> bool {
        let (nodes, at) = node.raw();
        let mut unsure = false;
        matches!(self.valid(self.root, nodes, at, &mut unsure), Ok(true)) && !unsure
    }

    /// The walk: `unsure` is set where the walk cannot vouch that no name repeats below `at`
    /// (see [`Checker::is_valid_and_unique`]).
    fn valid(
        &self,
        id: Id,
        nodes: &[N<'_>],
        at: usize,
        unsure: &mut bool,
    ) -> Result<bool, Decline> {
        let schema = &self.schemas[id as usize];
        if schema.never {
            return Ok(false);
        }
        let own = match &nodes[at] {
            N::String(text) => self.string(schema, text),
            N::Static(S::Null) => {
                schema.types & NULL != 0 && scalar_allowed(schema, |s| matches!(s, Scalar::Null))
            }
            N::Static(S::Bool(b)) => {
                schema.types & BOOLEAN != 0
                    && scalar_allowed(schema, |s| matches!(s, Scalar::Bool(e) if e == b))
            }
            N::Static(number) => number_valid(schema, number)?,
            N::Array { len, count } => {
                schema.types & ARRAY != 0
                    && schema.enumeration.is_none()
                    && schema.constant.is_none()
                    && self.array(schema, nodes, at, *len, *count, unsure)?
            }
            N::Object { count, .. } => {
                schema.types & OBJECT != 0
                    && schema.enumeration.is_none()
                    && schema.constant.is_none()
                    && self.object(schema, nodes, at, *count, unsure)?
            }
        };
        if !own {
            return Ok(false);
        }
        for &branch in &schema.all_of {
            if !self.valid(branch, nodes, at, unsure)? {
                return Ok(false);
            }
        }
        if let Some(branches) = &schema.any_of {
            let mut any = false;
            for &branch in branches.iter() {
                if self.valid(branch, nodes, at, unsure)? {
                    any = true;
                    break;
                }
            }
            if !any {
                return Ok(false);
            }
        }
        if let Some(one_of) = &schema.one_of {
            let holds = match &one_of.by_type {
                Some(by_type) => {
                    let bit = type_bit(&nodes[at]);
                    match by_type.iter().find(|(types, _)| types & bit != 0) {
                        Some(&(_, branch)) => self.member(branch, nodes, at, unsure)?,
                        None => false,
                    }
                }
                None => {
                    let mut holding = 0;
                    for &branch in one_of.branches.iter() {
                        if self.valid(branch, nodes, at, unsure)? {
                            holding += 1;
                            if holding > 1 {
                                break;
                            }
                        }
                    }
                    holding == 1
                }
            };
            if !holds {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// [`Checker::valid`] of a member or element: a schema that says only `type` is answered
    /// here for strings, booleans and null (numbers, whose integer rules are subtler, and
    /// containers, whose names the walk must see, take the call).
    #[inline(always)]
    fn member(
        &self,
        id: Id,
        nodes: &[N<'_>],
        at: usize,
        unsure: &mut bool,
    ) -> Result<bool, Decline> {
        let node = &nodes[at];
        let scalar = match node {
            N::String(_) => STRING,
            N::Static(S::Null) => NULL,
            N::Static(S::Bool(_)) => BOOLEAN,
            _ => 0,
        };
        match self.quick[id as usize] {
            Quick::Types(types) if scalar != 0 => return Ok(types & scalar != 0),
            // No `OPENAPI_INTEGER` here: a number written as an integer is both an integer and
            // a number, and a fraction is a number.
            Quick::Types(types) => match node {
                N::Static(S::U64(_)) => return Ok(types & (INTEGER | NUMBER) != 0),
                N::Static(S::I64(n)) if *n != 0 => return Ok(types & (INTEGER | NUMBER) != 0),
                N::Static(S::F64(_)) if types & NUMBER != 0 => return Ok(true),
                _ => {}
            },
            Quick::Enum(types) => {
                let allowed = |check: &dyn Fn(&Scalar) -> bool| {
                    self.schemas[id as usize]
                        .enumeration
                        .as_ref()
                        .is_some_and(|values| values.iter().any(check))
                };
                match node {
                    N::String(text) => {
                        return Ok(types & STRING != 0
                            && allowed(&|s| matches!(s, Scalar::Str(e) if **e == **text)));
                    }
                    N::Static(S::Null) => {
                        return Ok(types & NULL != 0 && allowed(&|s| matches!(s, Scalar::Null)));
                    }
                    // Neither strings nor null.
                    N::Static(_) => return Ok(false),
                    _ => {}
                }
            }
            Quick::IntegerOrPattern { min, max, matcher } => match *node {
                N::String(text) => return Ok(matcher.is_match(text)),
                N::Static(S::U64(n)) => {
                    let n = i128::from(n);
                    return Ok(min <= n && n <= max);
                }
                N::Static(S::I64(n)) if n != 0 => {
                    let n = i128::from(n);
                    return Ok(min <= n && n <= max);
                }
                _ => {}
            },
            Quick::Pattern(types, matcher) => match node {
                N::String(text) => return Ok(types & STRING != 0 && matcher.is_match(text)),
                // Types of strings and null only: nothing else passes.
                _ if scalar != 0 || matches!(node, N::Static(_)) => {
                    return Ok(types & scalar != 0);
                }
                _ => {}
            },
            Quick::Integer { types, min, max } => match *node {
                // The numbers written as integers; `I64(0)` is `-0`, a float to the engine.
                N::Static(S::U64(n)) => {
                    let n = i128::from(n);
                    return Ok(types & INTEGER != 0 && min <= n && n <= max);
                }
                N::Static(S::I64(n)) if n != 0 => {
                    let n = i128::from(n);
                    return Ok(types & INTEGER != 0 && min <= n && n <= max);
                }
                _ if scalar != 0 => return Ok(types & scalar != 0),
                _ => {}
            },
            _ => {}
        }
        self.valid(id, nodes, at, unsure)
    }

    fn string(&self, schema: &Schema, text: &str) -> bool {
        if schema.types & STRING == 0 {
            return false;
        }
        // Lengths count code points; the byte length decides without counting when a code point
        // (one to four bytes) cannot change the answer.
        let bytes = text.len() as u64;
        if let Some(min) = schema.min_length
            && (bytes < min || (bytes / 4 < min && (text.chars().count() as u64) < min))
        {
            return false;
        }
        if let Some(max) = schema.max_length
            && bytes > max
            && text.chars().count() as u64 > max
        {
            return false;
        }
        if let Some(pattern) = &schema.pattern
            && !pattern.is_match(text)
        {
            return false;
        }
        scalar_allowed(schema, |s| matches!(s, Scalar::Str(e) if **e == *text))
    }

    fn array(
        &self,
        schema: &Schema,
        nodes: &[N<'_>],
        at: usize,
        len: usize,
        count: usize,
        unsure: &mut bool,
    ) -> Result<bool, Decline> {
        let elements = len;
        let len = len as u64;
        if schema.min_items.is_some_and(|min| len < min)
            || schema.max_items.is_some_and(|max| len > max)
        {
            return Ok(false);
        }
        if let Some(items) = schema.items {
            let end = at + count + 1;
            let mut i = at + 1;
            while i < end {
                if !self.member(items, nodes, i, unsure)? {
                    return Ok(false);
                }
                i = end_of(nodes, i);
            }
        } else if count > elements {
            // Containers among the elements, which nothing reads.
            *unsure = true;
        }
        Ok(true)
    }

    fn object(
        &self,
        schema: &Schema,
        nodes: &[N<'_>],
        at: usize,
        count: usize,
        unsure: &mut bool,
    ) -> Result<bool, Decline> {
        let Some(properties) = &schema.properties else {
            // Members nothing reads.
            *unsure |= count > 0;
            return Ok(true);
        };
        let end = at + count + 1;
        let mut seen = 0u64;
        let mut i = at + 1;
        while i < end {
            let value = i + 1;
            let next = end_of(nodes, value);
            // A name that is no string is an earlier occurrence of a repeated name, hidden
            // ([`super::tape`]): the document as a `Value` reads has only the last.
            if let N::String(name) = &nodes[i] {
                let rule = match properties.find(name) {
                    Some(property) => {
                        if seen & property.bit != 0 {
                            // A repeated name, not hidden yet: the caller finds it.
                            *unsure = true;
                            return Ok(false);
                        }
                        seen |= property.bit;
                        property.schema
                    }
                    None => {
                        // Names no bit covers: one may repeat another.
                        *unsure = true;
                        match properties.additional {
                            Additional::Any => None,
                            Additional::Never => return Ok(false),
                            Additional::Schema(id) => Some(id),
                        }
                    }
                };
                match rule {
                    Some(rule) => {
                        if !self.member(rule, nodes, value, unsure)? {
                            return Ok(false);
                        }
                    }
                    // A value no rule reads: a container's names are not seen.
                    None => *unsure |= end_of(nodes, value) > value + 1,
                }
            }
            i = next;
        }
        Ok(seen & properties.required == properties.required)
    }
}

/// Whether `enum` and `const` allow the scalar `matches` recognises (a number never: neither
/// keyword holds one in a compiled schema).
fn scalar_allowed(schema: &Schema, matches: impl Fn(&Scalar) -> bool) -> bool {
    schema
        .enumeration
        .as_ref()
        .is_none_or(|values| values.iter().any(&matches))
        && schema.constant.as_ref().is_none_or(matches)
}

/// A number as the engine reads it from the tape ([`super::tape`]'s `number`).
enum Num {
    Int(i128),
    Float(f64),
}

fn number_valid(schema: &Schema, number: &S) -> Result<bool, Decline> {
    let number = match *number {
        S::U64(n) => Num::Int(i128::from(n)),
        // simd-json reads `-0` as the integer 0; the engine sees the float -0.0, as serde_json.
        S::I64(0) => Num::Float(-0.0),
        S::I64(n) => Num::Int(i128::from(n)),
        S::F64(f) if f.is_finite() => Num::Float(f),
        // Not a number to the engine at all; never in a tape simd-json makes.
        _ => return Err(Decline),
    };
    let integral = match number {
        Num::Int(_) => true,
        Num::Float(f) => f.fract() == 0.0,
    };
    let typed = schema.types & NUMBER != 0 || (integral && schema.types & INTEGER != 0);
    if !typed || schema.enumeration.is_some() || schema.constant.is_some() {
        return Ok(false);
    }
    if schema.openapi_integer && integral && matches!(number, Num::Float(_)) {
        return Ok(false);
    }
    if !schema.has_bounds() {
        return Ok(true);
    }
    let Num::Int(n) = number else {
        return Err(Decline);
    };
    Ok(schema.minimum.is_none_or(|min| n >= min)
        && schema.maximum.is_none_or(|max| n <= max)
        && schema.exclusive_minimum.is_none_or(|min| n > min)
        && schema.exclusive_maximum.is_none_or(|max| n < max))
}

/// A value's type as a bit of [`Schema::types`]; a number is both an integer and a number
/// (as [`OneOf::by_type`] counts them).
fn type_bit(node: &N<'_>) -> u8 {
    match node {
        N::String(_) => STRING,
        N::Static(S::Null) => NULL,
        N::Static(S::Bool(_)) => BOOLEAN,
        N::Static(_) => INTEGER | NUMBER,
        N::Array { .. } => ARRAY,
        N::Object { .. } => OBJECT,
    }
}

/// The checker of the compiled `schemas`: every reference to a schema that only refers on (a
/// `$ref` alone, or an `allOf` of one `$ref`, as the specs wrap every shared component) goes to
/// the end of the chain, which saved a call per level for most values of a page; and each
/// `oneOf` whose branches' types exclude each other dispatches on the value's type.
fn finish(mut schemas: Vec<Schema>, root: Id) -> Result<Checker, Unsupported> {
    let mut end = Vec::with_capacity(schemas.len());
    for id in 0..schemas.len() {
        let mut at = id;
        for _ in 0..schemas.len() {
            match schemas[at].alias() {
                Some(next) => at = next as usize,
                None => break,
            }
        }
        if schemas[at].alias().is_some() {
            return Err(unsupported(
                "",
                "a cycle of references and nothing else".into(),
            ));
        }
        // `at` indexes `schemas`, whose length fits an `Id` ([`Compiler::reserve`]).
        end.push(at as Id);
    }
    let resolve = |id: &mut Id| *id = end[*id as usize];
    for schema in &mut schemas {
        schema.all_of.iter_mut().for_each(resolve);
        if let Some(branches) = &mut schema.any_of {
            branches.iter_mut().for_each(resolve);
        }
        if let Some(one_of) = &mut schema.one_of {
            one_of.branches.iter_mut().for_each(resolve);
        }
        if let Some(items) = &mut schema.items {
            resolve(items);
        }
        if let Some(properties) = &mut schema.properties {
            for property in &mut properties.names {
                if let Some(id) = &mut property.schema {
                    resolve(id);
                }
            }
            if let Additional::Schema(id) = &mut properties.additional {
                resolve(id);
            }
        }
    }
    for at in 0..schemas.len() {
        let by_type = schemas[at]
            .one_of
            .as_ref()
            .and_then(|one_of| exclusive(&schemas, &one_of.branches));
        if let Some(one_of) = &mut schemas[at].one_of {
            one_of.by_type = by_type;
        }
    }
    let mut quick: Vec<Quick> = schemas.iter().map(Quick::of).collect();
    for (at, schema) in schemas.iter().enumerate() {
        let only_one_of = Schema {
            one_of: Some(OneOf {
                branches: Box::new([]),
                by_type: None,
            }),
            ..Schema::default()
        };
        let Some(OneOf {
            by_type: Some(by_type),
            ..
        }) = &schema.one_of
        else {
            continue;
        };
        if schema.types != ANY || !only_one_of.same_keywords(schema) {
            continue;
        }
        let shapes: Vec<Quick> = by_type.iter().map(|(_, b)| quick[*b as usize]).collect();
        if let [
            Quick::Integer {
                types: INTEGER,
                min,
                max,
            },
            Quick::Pattern(STRING, matcher),
        ] = shapes[..]
        {
            quick[at] = Quick::IntegerOrPattern { min, max, matcher };
        }
    }
    Ok(Checker {
        root: end[root as usize],
        schemas,
        quick,
    })
}

/// Each branch with the types it allows by its own `type` (integers counting as numbers), if
/// no type is allowed by two; else `None`.
fn exclusive(schemas: &[Schema], branches: &[Id]) -> Option<Box<[(u8, Id)]>> {
    let mut union = 0u8;
    let mut out = Vec::with_capacity(branches.len());
    for &branch in branches {
        let schema = &schemas[branch as usize];
        let mut types = if schema.never { 0 } else { schema.types };
        if types & (INTEGER | NUMBER) != 0 {
            types |= INTEGER | NUMBER;
        }
        if union & types != 0 {
            return None;
        }
        union |= types;
        out.push((types, branch));
    }
    Some(out.into_boxed_slice())
}

/// Index one past the value at `at`.
fn end_of(nodes: &[N<'_>], at: usize) -> usize {
    match nodes[at] {
        N::Array { count, .. } | N::Object { count, .. } => at + count + 1,
        _ => at + 1,
    }
}

/// Compiles the schemas of one document into [`Checker::schemas`].
struct Compiler<'d> {
    document: &'d Value,
    schemas: Vec<Schema>,
    /// `$defs` entries compiled or being compiled, by name.
    defs: HashMap<&'d str, Id>,
}

impl<'d> Compiler<'d> {
    fn compile(&mut self, schema: &'d Value, at: &str, root: bool) -> Result<Id, Unsupported> {
        let id = self.reserve()?;
        self.schemas[id as usize] = self.schema(schema, at, root)?;
        Ok(id)
    }

    fn reserve(&mut self) -> Result<Id, Unsupported> {
        let id = Id::try_from(self.schemas.len()).map_err(|_| Unsupported {
            at: String::new(),
            what: "more schemas than an index holds".into(),
        })?;
        self.schemas.push(Schema::default());
        Ok(id)
    }

    /// The schema a `$ref` names: only `#/$defs/Name`, the form the converted documents use.
    fn reference(&mut self, target: &'d str, at: &str) -> Result<Id, Unsupported> {
        let name = target
            .strip_prefix(DEFS_PREFIX)
            .filter(|name| !name.contains(['/', '~', '%']))
            .ok_or_else(|| unsupported(at, format!("$ref {target:?}")))?;
        if let Some(&id) = self.defs.get(name) {
            return Ok(id);
        }
        let schema = self
            .document
            .get("$defs")
            .and_then(|defs| defs.get(name))
            .ok_or_else(|| unsupported(at, format!("$ref {target:?} to nothing")))?;
        // Reserved before it is compiled: a schema that refers to itself finds its id.
        let id = self.reserve()?;
        self.defs.insert(name, id);
        self.schemas[id as usize] = self.schema(schema, &format!("/$defs/{name}"), false)?;
        Ok(id)
    }

    /// One schema. Implemented: `type` (one or a list), [`OPENAPI_INTEGER`], `enum` and `const`
    /// of strings, booleans and null, `minLength`/`maxLength` (code points), `pattern` ([`Pattern`]:
    /// by hand where [`Matcher`] has the exact text, else the engine's regex), integer `minimum`/`maximum`/
    /// `exclusiveMinimum`/`exclusiveMaximum`, `properties`, `required` (up to 64 names),
    /// `additionalProperties`, `items` (one schema), `minItems`/`maxItems`, `$ref` to
    /// `#/$defs/...`, `allOf`, `anyOf`, `oneOf`, boolean schemas; annotations (`title`,
    /// `description`, `$comment`, `examples`, `default`, `deprecated`, `readOnly`, `writeOnly`),
    /// and `$schema` and `$defs` at the root. Anything else is [`Unsupported`].
    fn schema(&mut self, value: &'d Value, at: &str, root: bool) -> Result<Schema, Unsupported> {
        let map = match value {
            Value::Bool(true) => return Ok(Schema::default()),
            Value::Bool(false) => {
                return Ok(Schema {
                    never: true,
                    ..Schema::default()
                });
            }
            Value::Object(map) => map,
            _ => return Err(unsupported(at, "a schema that is no object".into())),
        };
        let mut schema = Schema::default();
        for (key, value) in map {
            let here = format!("{at}/{key}");
            let wrong = || unsupported(&here, format!("{key}: {value}"));
            match key.as_str() {
                "title" | "description" | "$comment" | "examples" | "default" | "deprecated"
                | "readOnly" | "writeOnly" => {}
                "$schema" | "$defs" if root => {}
                "type" => schema.types = types(value).ok_or_else(wrong)?,
                OPENAPI_INTEGER if value == &Value::Bool(true) => schema.openapi_integer = true,
                "enum" => {
                    let values = value.as_array().ok_or_else(wrong)?;
                    let scalars: Option<Vec<Scalar>> = values.iter().map(scalar).collect();
                    schema.enumeration = Some(scalars.ok_or_else(wrong)?.into_boxed_slice());
                }
                "const" => schema.constant = Some(scalar(value).ok_or_else(wrong)?),
                "minLength" => schema.min_length = Some(value.as_u64().ok_or_else(wrong)?),
                "maxLength" => schema.max_length = Some(value.as_u64().ok_or_else(wrong)?),
                "minItems" => schema.min_items = Some(value.as_u64().ok_or_else(wrong)?),
                "maxItems" => schema.max_items = Some(value.as_u64().ok_or_else(wrong)?),
                "pattern" => {
                    schema.pattern = Some(Pattern::compile(value).ok_or_else(wrong)?);
                }
                "minimum" => schema.minimum = Some(integer(value).ok_or_else(wrong)?),
                "maximum" => schema.maximum = Some(integer(value).ok_or_else(wrong)?),
                "exclusiveMinimum" => {
                    schema.exclusive_minimum = Some(integer(value).ok_or_else(wrong)?);
                }
                "exclusiveMaximum" => {
                    schema.exclusive_maximum = Some(integer(value).ok_or_else(wrong)?);
                }
                // Compiled together below.
                "properties" | "required" | "additionalProperties" => {}
                "items" => schema.items = Some(self.compile(value, &here, false)?),
                "$ref" => {
                    let target = value.as_str().ok_or_else(wrong)?;
                    let id = self.reference(target, &here)?;
                    schema.all_of.push(id);
                }
                "allOf" => {
                    for branch in self.branches(value, &here)? {
                        schema.all_of.push(branch);
                    }
                }
                "anyOf" => schema.any_of = Some(self.branches(value, &here)?.into_boxed_slice()),
                "oneOf" => {
                    let branches = self.branches(value, &here)?.into_boxed_slice();
                    schema.one_of = Some(OneOf {
                        branches,
                        by_type: None,
                    });
                }
                _ => return Err(wrong()),
            }
        }
        if ["properties", "required", "additionalProperties"]
            .iter()
            .any(|k| map.contains_key(*k))
        {
            schema.properties = Some(Box::new(self.properties(map, at)?));
        }
        Ok(schema)
    }

    fn branches(&mut self, value: &'d Value, at: &str) -> Result<Vec<Id>, Unsupported> {
        let branches = value
            .as_array()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| unsupported(at, format!("{value}")))?;
        branches
            .iter()
            .enumerate()
            .map(|(i, branch)| self.compile(branch, &format!("{at}/{i}"), false))
            .collect()
    }

    fn properties(
        &mut self,
        map: &'d Map<String, Value>,
        at: &str,
    ) -> Result<Properties, Unsupported> {
        let mut names: Vec<Property> = Vec::new();
        if let Some(value) = map.get("properties") {
            let here = format!("{at}/properties");
            let properties = value
                .as_object()
                .ok_or_else(|| unsupported(&here, format!("{value}")))?;
            for (name, sub) in properties {
                let schema = self.compile(sub, &format!("{here}/{name}"), false)?;
                names.push(property(name, Some(schema), names.len()));
            }
        }
        let mut required = 0u64;
        if let Some(value) = map.get("required") {
            let wrong = || unsupported(&format!("{at}/required"), format!("{value}"));
            let list = value.as_array().ok_or_else(wrong)?;
            for name in list {
                let name = name.as_str().ok_or_else(wrong)?;
                if let Some(known) = names.iter().find(|p| &*p.name == name) {
                    required |= known.bit;
                } else {
                    names.push(property(name, None, names.len()));
                    required |= names.last().map_or(0, |p| p.bit);
                }
            }
        }
        // One bit per name in a `u64`.
        if names.len() > 64 {
            return Err(unsupported(at, format!("{} property names", names.len())));
        }
        let additional = match map.get("additionalProperties") {
            None | Some(Value::Bool(true)) => Additional::Any,
            Some(Value::Bool(false)) => Additional::Never,
            Some(schema) => Additional::Schema(self.compile(
                schema,
                &format!("{at}/additionalProperties"),
                false,
            )?),
        };
        let mut properties = Properties {
            names,
            slots: Box::new([]),
            multiplier: 0,
            shift: 0,
            scan: false,
            required,
            additional,
        };
        properties.table();
        Ok(properties)
    }
}

/// The property `name` as the `index`th of its object (bit 0 past the 64th, which
/// [`Compiler::properties`] refuses).
fn property(name: &str, schema: Option<Id>, index: usize) -> Property {
    Property {
        name: name.into(),
        key: name_key(name),
        schema,
        bit: 1u64.checked_shl(index as u32).unwrap_or(0),
    }
}

fn unsupported(at: &str, what: String) -> Unsupported {
    Unsupported {
        at: at.to_owned(),
        what,
    }
}

/// `type` as a set of bits; `None` for a name that is no JSON type or an empty list.
fn types(value: &Value) -> Option<u8> {
    let one = |name: &str| match name {
        "null" => Some(NULL),
        "boolean" => Some(BOOLEAN),
        "integer" => Some(INTEGER),
        "number" => Some(NUMBER),
        "string" => Some(STRING),
        "array" => Some(ARRAY),
        "object" => Some(OBJECT),
        _ => None,
    };
    match value {
        Value::String(name) => one(name),
        Value::Array(names) if !names.is_empty() => names
            .iter()
            .try_fold(0, |set, name| Some(set | one(name.as_str()?)?)),
        _ => None,
    }
}

fn scalar(value: &Value) -> Option<Scalar> {
    match value {
        Value::Null => Some(Scalar::Null),
        Value::Bool(b) => Some(Scalar::Bool(*b)),
        Value::String(s) => Some(Scalar::Str(s.as_str().into())),
        _ => None,
    }
}

/// A bound written as an integer; a bound with a fraction is [`Unsupported`].
fn integer(value: &Value) -> Option<i128> {
    value
        .as_i64()
        .map(i128::from)
        .or_else(|| value.as_u64().map(i128::from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::tape::with_document;
    use serde_json::json;

    /// The compiled verdict on `text` against `schema`, and the engine's own on the same tape.
    fn both(schema: &Value, text: &str) -> (Result<bool, Decline>, bool) {
        let checker = Checker::compile(schema).expect("compiles");
        let engine = crate::contract::validator_options::<crate::contract::tape::TapeJson>()
            .build(schema)
            .expect("engine compiles");
        with_document(text.as_bytes(), |document| {
            let root = document.expect("parses").root();
            (checker.is_valid(root), engine.is_valid(root))
        })
    }

    #[test]
    fn keywords_it_does_not_implement_keep_the_engine() {
        let unsupported = [
            json!({"format": "date-time"}),
            json!({"patternProperties": {"^x": {}}}),
            json!({"pattern": "(unclosed"}),
            json!({"not": {}}),
            json!({"minimum": 0.5}),
            json!({"enum": [1, 2]}),
            json!({"const": {"a": 1}}),
            json!({"$ref": "#/components/schemas/X"}),
            json!({"$ref": "#/$defs/Missing"}),
            json!({"items": [{}]}),
            json!({"properties": {"a": {"uniqueItems": true}}}),
            json!({"anyOf": []}),
            json!({"type": "date"}),
            json!({"x-other": true}),
            json!({"$defs": {"A": {"$schema": "x"}}, "$ref": "#/$defs/A"}),
        ];
        for schema in unsupported {
            let why = Checker::compile(&schema).expect_err("unsupported");
            assert!(!why.what.is_empty(), "{schema}");
        }
        Checker::compile(&json!({"$defs": {"A": {"type": "string"}}, "$ref": "#/$defs/A"}))
            .expect("supported");
    }

    #[test]
    fn verdicts_match_the_engine_on_each_keyword() {
        let schema = json!({
            "$defs": {
                "Id": {"oneOf": [
                    {"type": "integer", "minimum": -5, "maximum": 5, OPENAPI_INTEGER: true},
                    {"type": "string", "pattern": super::super::pattern::INT64_TEXT},
                ]},
                "Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}},
                         "additionalProperties": false},
            },
            "type": "object",
            "required": ["id", "name"],
            "properties": {
                "id": {"allOf": [{"$ref": "#/$defs/Id"}]},
                "name": {"type": ["string", "null"], "minLength": 2, "maxLength": 3},
                "kind": {"enum": ["a", "b", null]},
                "ok": {"const": true},
                "ratio": {"type": "number", "exclusiveMaximum": 1},
                "list": {"type": "array", "items": {"type": "integer"}, "maxItems": 2},
                "node": {"$ref": "#/$defs/Node"},
                "either": {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 0}]},
                "code": {"pattern": "^[A-Z]{2}[0-9]$"},
                "state": {"type": ["string", "null"], "enum": ["x", null]},
                "weight": {"type": "number"},
            },
            "additionalProperties": {"type": "boolean"},
        });
        let texts = [
            r#"{"id":1,"name":"ab"}"#,
            r#"{"id":1}"#,
            r#"{"name":"ab"}"#,
            r#"{"id":6,"name":"ab"}"#,
            r#"{"id":-5,"name":"ab"}"#,
            r#"{"id":-6,"name":"ab"}"#,
            r#"{"id":5,"name":"ab"}"#,
            r#"{"id":true,"name":"ab"}"#,
            r#"{"id":null,"name":"ab"}"#,
            r#"{"id":[1],"name":"ab"}"#,
            r#"{"id":{},"name":"ab"}"#,
            r#"{"id":5e0,"name":"ab"}"#,
            r#"{"id":0,"name":"ab"}"#,
            r#"{"id":-0.0,"name":"ab"}"#,
            r#"{"id":1.0,"name":"ab"}"#,
            r#"{"id":-0,"name":"ab"}"#,
            r#"{"id":"9223372036854775807","name":"ab"}"#,
            r#"{"id":"9223372036854775808","name":"ab"}"#,
            r#"{"id":"-0","name":"ab"}"#,
            r#"{"id":1,"name":"éé"}"#,
            r#"{"id":1,"name":"é"}"#,
            r#"{"id":1,"name":"😀😀😀"}"#,
            r#"{"id":1,"name":"😀😀😀😀"}"#,
            r#"{"id":1,"name":null}"#,
            r#"{"id":1,"name":"ab","kind":null}"#,
            r#"{"id":1,"name":"ab","kind":"c"}"#,
            r#"{"id":1,"name":"ab","ok":false}"#,
            r#"{"id":1,"name":"ab","ratio":0}"#,
            r#"{"id":1,"name":"ab","list":[1,2]}"#,
            r#"{"id":1,"name":"ab","list":[1,2,3]}"#,
            r#"{"id":1,"name":"ab","list":[1,2.0]}"#,
            r#"{"id":1,"name":"ab","list":[1,2.5]}"#,
            r#"{"id":1,"name":"ab","node":{"next":{"next":{}}}}"#,
            r#"{"id":1,"name":"ab","node":{"next":{"other":{}}}}"#,
            r#"{"id":1,"name":"ab","either":-1}"#,
            r#"{"id":1,"name":"ab","either":"x"}"#,
            r#"{"id":1,"name":"ab","code":"AB1"}"#,
            r#"{"id":1,"name":"ab","code":"ab1"}"#,
            r#"{"id":1,"name":"ab","code":5}"#,
            r#"{"id":1,"name":"ab","state":"x"}"#,
            r#"{"id":1,"name":"ab","state":null}"#,
            r#"{"id":1,"name":"ab","state":"y"}"#,
            r#"{"id":1,"name":"ab","state":true}"#,
            r#"{"id":1,"name":"ab","state":1}"#,
            r#"{"id":1,"name":"ab","state":["x"]}"#,
            r#"{"id":1,"name":"ab","weight":1}"#,
            r#"{"id":1,"name":"ab","weight":-0}"#,
            r#"{"id":1,"name":"ab","weight":1.5}"#,
            r#"{"id":1,"name":"ab","weight":"1"}"#,
            r#"{"id":1,"name":"ab","extra":true}"#,
            r#"{"id":1,"name":"ab","extra":1}"#,
            r#"{"id":"x","id":1,"name":"ab"}"#,
            r#"{"id":1,"id":"x","name":"ab"}"#,
            r#"[]"#,
            r#"null"#,
        ];
        for text in texts {
            let (compiled, engine) = both(&schema, text);
            assert_eq!(compiled, Ok(engine), "{text}");
        }
        // A fraction checked against a bound: only the engine compares it exactly.
        for (ratio, engine_says) in [("0.5", true), ("1.5", false)] {
            let text = format!(r#"{{"id":1,"name":"ab","ratio":{ratio}}}"#);
            assert_eq!(both(&schema, &text), (Err(Decline), engine_says), "{text}");
        }
    }

    #[test]
    fn every_name_finds_its_own_rule() {
        // Forty names in a table, and names alike in length and in their first and last four
        // bytes, which share a key and are scanned.
        let tabled: Vec<String> = (0..40).map(|i| format!("name{i:02}x")).collect();
        let alike: Vec<String> = (0..3).map(|i| format!("abcd{i}wxyz")).collect();
        for (names, scanned) in [(tabled, false), (alike, true)] {
            let mut properties = json!({});
            for name in &names {
                properties[name] = json!({"const": name});
            }
            let schema =
                json!({"type": "object", "properties": properties, "additionalProperties": false});
            let checker = Checker::compile(&schema).expect("compiles");
            let table = checker.schemas[checker.root as usize]
                .properties
                .as_ref()
                .expect("properties");
            assert_eq!(table.scan, scanned);
            let check = |text: String| {
                with_document(text.as_bytes(), |d| {
                    checker.is_valid(d.expect("JSON").root())
                })
            };
            for name in &names {
                assert_eq!(
                    check(format!(r#"{{"{name}":"{name}"}}"#)),
                    Ok(true),
                    "{name}"
                );
                let other =
                    &names[(names.iter().position(|n| n == name).unwrap_or(0) + 1) % names.len()];
                assert_eq!(
                    check(format!(r#"{{"{name}":"{other}"}}"#)),
                    Ok(false),
                    "{name}"
                );
            }
            assert_eq!(check(r#"{"name00":"name00"}"#.to_owned()), Ok(false));
        }
    }
}
