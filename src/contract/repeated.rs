//! Member names repeated in one object: a violation of their own.
//!
//! RFC 8259 says names SHOULD be unique and leaves the rest to the reader: `serde_json` (and so a
//! `Value`) keeps the last occurrence, many other parsers keep the first, some reject the text. A
//! payload `{"count": "x", "count": 0}` is then one payload to this checker and another to the
//! next reader, a known class of JSON interoperability bugs. So every repeated name is reported,
//! with the pointer of the member, keyword [`KEYWORD`], whatever the schema says; the rest of the
//! check reads the document as a `Value` does.
//!
//! Both readers of the text find them: the simd-json tape when it is built
//! ([`super::tape::Document::repeated_names`]), and [`parse`] for text the fast path declines.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::tape::push_escaped;
use super::{Impact, JsonError, Violation, json_error, truncate};

/// The keyword of a repeated-name violation. It is no JSON Schema keyword: the rule holds for
/// every target.
pub const KEYWORD: &str = "duplicateKey";

/// A member name that occurs more than once in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeated {
    /// JSON pointer (RFC 6901) of the member.
    pub pointer: String,
    /// The name.
    pub name: String,
    /// How often it occurs in the object.
    pub count: usize,
}

impl Repeated {
    /// The violation that reports it: the member's pointer, [`KEYWORD`], a message naming the
    /// name, and an empty schema path (the rule is not in the schema).
    pub fn violation(&self) -> Violation {
        // The name as JSON: quoted, and with control characters escaped.
        let name = serde_json::to_string(&self.name).unwrap_or_default();
        Violation {
            pointer: self.pointer.clone(),
            keyword: KEYWORD.to_owned(),
            message: truncate(&format!(
                "{name} occurs {} times in one object; readers disagree on which one counts",
                self.count
            )),
            schema_path: String::new(),
            // See `impact`: serde's derived readers refuse a repeated member, and parsers
            // disagree on which occurrence counts.
            impact: Impact::Breaking,
        }
    }
}

/// Parses JSON text as `serde_json` reads it into a `Value` (the last of repeated names kept),
/// and finds every repeated name on the way, below hidden members too, in no particular order.
pub fn parse(bytes: &[u8]) -> Result<(Value, Vec<Repeated>), JsonError> {
    let mut found = Finder::default();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = Seed(&mut found)
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value))
        .map_err(json_error)?;
    Ok((value, found.repeated))
}

/// The pointer of the value being read and what was found so far.
#[derive(Default)]
struct Finder {
    /// JSON pointer of the value being read; one string, cut back as the reader leaves a level.
    pointer: String,
    repeated: Vec<Repeated>,
}

/// Reads one value, as `Value`'s own `Deserialize` does, into the [`Finder`].
struct Seed<'f>(&'f mut Finder);

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Number::from_f64(f).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let finder = self.0;
        let start = finder.pointer.len();
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        loop {
            finder.pointer.truncate(start);
            finder.pointer.push('/');
            finder.pointer.push_str(&items.len().to_string());
            let Some(item) = seq.next_element_seed(Seed(finder))? else {
                break;
            };
            items.push(item);
        }
        finder.pointer.truncate(start);
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let finder = self.0;
        let start = finder.pointer.len();
        let mut map = Map::new();
        // Names seen more than once, with how often (allocated at the first repeat).
        let mut counts: HashMap<String, usize> = HashMap::new();
        while let Some(name) = access.next_key::<String>()? {
            finder.pointer.push('/');
            push_escaped(&mut finder.pointer, &name);
            let value = access.next_value_seed(Seed(finder))?;
            finder.pointer.truncate(start);
            if map.contains_key(&name) {
                *counts.entry(name.clone()).or_insert(1) += 1;
            }
            map.insert(name, value);
        }
        for (name, count) in counts {
            let mut pointer = finder.pointer.clone();
            pointer.push('/');
            push_escaped(&mut pointer, &name);
            finder.repeated.push(Repeated {
                pointer,
                name,
                count,
            });
        }
        Ok(Value::Object(map))
    }
}
