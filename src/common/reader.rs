//! The typed reader's tolerance for integral floats, and the raw records of a body.
//!
//! OpenAPI 3.0.3 defines `integer` as a JSON number without a fraction or exponent part, and the
//! contract follows it: `"count": 1.0` is a violation. serde's `i32` refuses `1.0` too, which
//! would fail a whole page over a value whose meaning is clear. The typed reader is tolerant
//! instead (strict contract, tolerant reader): when a body does not decode as it came, every
//! number written with a fraction or exponent whose value is a whole number that fits 64 bits
//! is rewritten as that integer ([`integral_floats_as_integers`]) and the body is read once more.
//! A `number` field reads the integer as the same float (`-0.0` as `0.0`), so nothing else
//! changes. Both clients read every page that way (an error body is rewritten before it is
//! read); [`decode`] is the same reader for bodies a caller holds.
//!
//! The typed models also drop members the specs do not know (the tolerant reader again); the
//! service's own text of each record stays available beside them ([`raw_array`]).

use std::borrow::Cow;

use serde::de::{
    DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::value::RawValue;

/// `bytes` with every integral float (`1.0`, `1e2`, `-0.0`, `100.0e-2`) that fits in an `i64`
/// or a `u64` written as that integer, exactly, from the digits (no float rounding); every other
/// byte as it was. Strings are never touched, and text that is not JSON comes back unchanged
/// where it cannot be read, for the parser to refuse. Borrows when nothing changes.
pub fn integral_floats_as_integers(bytes: &[u8]) -> Cow<'_, [u8]> {
    let mut rewrite = Rewrite::new(bytes);
    let rest = blocks(bytes, &mut rewrite);
    if let Some(from) = rest {
        scalar(bytes, from, &mut rewrite);
    }
    rewrite.finish()
}

/// The body being rewritten: the number runs found so far, in order, each replaced by its
/// integer when [`integral`] has one (the copy is made at the first).
struct Rewrite<'a> {
    bytes: &'a [u8],
    out: Option<Vec<u8>>,
    copied: usize,
}

impl<'a> Rewrite<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            out: None,
            copied: 0,
        }
    }

    /// The number-like run `start..end` (after every earlier one).
    fn run(&mut self, start: usize, end: usize) {
        if let Some(integer) = integral(&self.bytes[start..end]) {
            let bytes = self.bytes;
            let out = self
                .out
                .get_or_insert_with(|| Vec::with_capacity(bytes.len()));
            out.extend_from_slice(&bytes[self.copied..start]);
            out.extend_from_slice(integer.as_bytes());
            self.copied = end;
        }
    }

    fn finish(self) -> Cow<'a, [u8]> {
        match self.out {
            None => Cow::Borrowed(self.bytes),
            Some(mut out) => {
                out.extend_from_slice(&self.bytes[self.copied..]);
                Cow::Owned(out)
            }
        }
    }
}

/// The byte-at-a-time reader: from `from` (outside a string, not inside a number), every
/// number-like run outside strings goes to `rewrite`. A string runs to its closing quote, a `\`
/// escaping the byte after it; a run starts at `-` or a digit and takes every
/// `0-9 - + . e E` after it. This is the definition; [`blocks`] finds the same runs faster.
fn scalar(bytes: &[u8], from: usize, rewrite: &mut Rewrite<'_>) {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = end_of_string(bytes, i),
            b'-' | b'0'..=b'9' => {
                let end = end_of_number(bytes, i);
                rewrite.run(i, end);
                i = end.max(i + 1);
            }
            _ => i += 1,
        }
    }
}

/// Whether `byte` can be part of a number-like run (see [`scalar`]).
fn in_number(byte: u8) -> bool {
    matches!(byte, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
}

/// The fast reader, 64 bytes at a time, for the usual body with no `\` in it: a string is then
/// exactly the text between a quote and the next, so whether a byte is inside one is the parity
/// of the quotes before it, computed for 64 bytes at once. Only a `.`, `e` or `E` outside strings
/// can make a run integral (a page has few: JSON's literals and non-integer numbers), and only
/// the run around each one is looked at; every other run has no fraction or exponent and
/// [`integral`] would leave it. At the first block with a `\` it stops and returns where
/// [`scalar`] is to go on (`None`: done). A run handed to `rewrite` is the one [`scalar`] finds.
fn blocks(bytes: &[u8], rewrite: &mut Rewrite<'_>) -> Option<usize> {
    // All ones while the text before the block ends inside a string.
    let mut inside_before = 0u64;
    // Where the next run can start: after the last one handed over.
    let mut next = 0;
    let mut base = 0;
    while base < bytes.len() {
        let Masks {
            quotes,
            backslashes,
            marks,
        } = match bytes.get(base..base + 64) {
            Some(block) => masks(block),
            None => {
                // The last, short block: padded with blanks, which are none of the bytes sought.
                let mut block = [b' '; 64];
                block[..bytes.len() - base].copy_from_slice(&bytes[base..]);
                masks(&block)
            }
        };
        if backslashes != 0 {
            return Some(resume_at(bytes, base, next, inside_before != 0));
        }
        let inside = prefix_xor(quotes) ^ inside_before;
        let mut outside = marks & !inside;
        while outside != 0 {
            let at = base + outside.trailing_zeros() as usize;
            outside &= outside - 1;
            if at < next {
                continue;
            }
            // The run is the stretch of run bytes around `at`, from its first `-` or digit.
            let mut start = at;
            while start > next && in_number(bytes[start - 1]) {
                start -= 1;
            }
            let Some(first) = bytes[start..=at]
                .iter()
                .position(|b| matches!(b, b'-' | b'0'..=b'9'))
            else {
                continue; // `e` of `true`, a stray `.`: no run here
            };
            let end = end_of_number(bytes, at);
            rewrite.run(start + first, end);
            next = end;
        }
        // `0 - 1` is all ones: still inside a string after this block.
        inside_before = 0u64.wrapping_sub(inside >> 63);
        base += 64;
    }
    None
}

/// Where [`scalar`] takes over from [`blocks`] at the block starting at `base`: after the last
/// run handed over (`next`), after the string the block starts in, or at the start of the run
/// the block starts in, so that it reads the rest exactly as it would have from the start.
fn resume_at(bytes: &[u8], base: usize, next: usize, inside_string: bool) -> usize {
    if next >= base {
        return next;
    }
    if inside_string {
        // `end_of_string` reads from the byte after the one it is given (the opening quote).
        return end_of_string(bytes, base - 1);
    }
    let mut start = base;
    while start > next && in_number(bytes[start - 1]) {
        start -= 1;
    }
    start
}

/// One block's bytes of interest, bit `i` for byte `i`.
struct Masks {
    quotes: u64,
    /// Not zero when the block has a `\`: the bits are not in byte order.
    backslashes: u64,
    /// `.`, `e` and `E`.
    marks: u64,
}

/// The masks of `block` (64 bytes).
fn masks(block: &[u8]) -> Masks {
    const LOWER: u64 = u64::from_ne_bytes([0x20; 8]);
    let mut masks = Masks {
        quotes: 0,
        backslashes: 0,
        marks: 0,
    };
    for (k, chunk) in block.chunks_exact(8).enumerate() {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        // Little-endian: byte `j` of the chunk is bits 8j..8j+7, so its flag lands on bit j.
        let word = u64::from_le_bytes(word);
        let shift = 8 * k;
        masks.quotes |= bits(equal(word, b'"')) << shift;
        // Only whether there is one: no need to spend the gathering on it.
        masks.backslashes |= equal(word, b'\\');
        // `E | 0x20` is `e`, and no other byte is: one compare finds both.
        masks.marks |= bits(equal(word, b'.') | equal(word | LOWER, b'e')) << shift;
    }
    masks
}

/// The high bit of each byte of `word` that equals `byte`, exactly (no borrow between bytes).
fn equal(word: u64, byte: u8) -> u64 {
    const LOW7: u64 = u64::from_ne_bytes([0x7f; 8]);
    let x = word ^ u64::from_ne_bytes([byte; 8]);
    // A byte's high bit ends up set when the byte is zero: its low seven bits plus 0x7f do not
    // carry into bit 7, and its own bit 7 is clear.
    !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
}

/// The high bits of the eight bytes of `flags` (nothing else set) as bits 0 to 7.
fn bits(flags: u64) -> u64 {
    // Byte j's flag, moved to bit 8j, is multiplied onto bit 56 + j; the other products fall
    // below bit 56 or past bit 63 and never collide, so no carries reach the top byte.
    ((flags >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// Bit `i` is the xor of bits `0..=i` of `x`: set after an odd number of quotes.
fn prefix_xor(mut x: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        x ^= x << shift;
    }
    x
}

/// Decodes `bytes` as `T` the way the clients read a page: as it came, and only if that fails,
/// once more with [`integral_floats_as_integers`] (most bodies have no integral float, and the
/// pre-pass was a tenth of a decode). The models' own members read both texts as the same
/// values (a `number` field's `-0.0` may come out as `0.0`), so the result is what reading the
/// rewritten text would give; a `serde_json::Value` inside `T` keeps the numbers as sent unless
/// the body needed the rewrite. The error is the first read's when there was nothing to
/// rewrite, else the second's.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(bytes).or_else(|error| decode_rewritten(bytes).unwrap_or(Err(error)))
}

/// The second read of [`decode`], for a body whose first read failed (the clients make the
/// first through the generated code): `bytes` with [`integral_floats_as_integers`], or `None`
/// when there is nothing to rewrite and a second read would fail the same way.
pub(crate) fn decode_rewritten<T: DeserializeOwned>(
    bytes: &[u8],
) -> Option<Result<T, serde_json::Error>> {
    match integral_floats_as_integers(bytes) {
        Cow::Owned(rewritten) => Some(serde_json::from_slice(&rewritten)),
        Cow::Borrowed(_) => None,
    }
}

/// The index after the string that starts at `start` (a `"`), or the end of `bytes`.
fn end_of_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    loop {
        i = next_quote_or_backslash(bytes, i);
        match bytes.get(i) {
            Some(b'\\') => i += 2,
            Some(_) => return i + 1,
            None => return bytes.len(),
        }
    }
}

/// The index of the first `"` or `\` in `bytes` at or after `from`, or `bytes.len()`: eight bytes
/// at a time (a string's text is most of a page, and this scan is on every body the clients read).
fn next_quote_or_backslash(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const QUOTES: u64 = u64::from_ne_bytes([b'"'; 8]);
    const BACKSLASHES: u64 = u64::from_ne_bytes([b'\\'; 8]);
    // Whether any byte of `word` is zero (exact as a yes/no).
    let has_zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS != 0;
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_ne_bytes(word);
        if has_zero(word ^ QUOTES) || has_zero(word ^ BACKSLASHES) {
            break;
        }
        i += 8;
    }
    bytes[i.min(bytes.len())..]
        .iter()
        .position(|b| matches!(b, b'"' | b'\\'))
        .map_or(bytes.len(), |at| i + at)
}

/// The index after the number-like run that starts at `start`.
fn end_of_number(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() && in_number(bytes[i]) {
        i += 1;
    }
    i
}

/// The integer `token` stands for, when it is a JSON number with a fraction or exponent part
/// whose value is whole and fits in an `i64` or a `u64`.
fn integral(token: &[u8]) -> Option<String> {
    // Most numbers are integers already: no fraction, no exponent, nothing to do.
    if !token.iter().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        return None;
    }
    // The usual float (`100.1899`): without an exponent, a digit other than 0 after the point
    // means not whole, whatever else the token holds; said here before any parsing, as the
    // steps below say it too (a float per record is common, and this is on every body).
    if !token.iter().any(|b| matches!(b, b'e' | b'E'))
        && let Some(point) = token.iter().position(|b| *b == b'.')
        && token[point + 1..].iter().any(|b| matches!(b, b'1'..=b'9'))
    {
        return None;
    }
    let text = std::str::from_utf8(token).ok()?;
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    // JSON's grammar: digits without a leading zero, a non-empty fraction, a signed exponent.
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (whole.len() > 1 && whole.starts_with('0')) {
        return None;
    }
    if fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    // A fraction with a digit other than 0 and no exponent to move it (`100.1899`): not whole.
    if exponent.is_none() && fraction.is_some_and(|f| f.bytes().any(|b| b != b'0')) {
        return None;
    }
    let shift: i64 = match exponent {
        None if fraction.is_none() => return None, // already an integer
        None => 0,
        Some(e) => {
            let e_digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if !digits(e_digits) || e_digits.len() > 4 {
                return None; // not JSON, or far beyond 64 bits either way
            }
            e.parse().ok()?
        }
    };
    // All significant digits, and where the decimal point sits among them after the exponent.
    let all: String = [whole, fraction.unwrap_or("")].concat();
    let point = i64::try_from(whole.len()).ok()? + shift;
    let (int_part, frac_part) = if point <= 0 {
        ("0".to_owned(), all.clone())
    } else {
        let point = usize::try_from(point).ok()?;
        if point >= all.len() {
            let zeros = point - all.len();
            if zeros > 20 {
                return None;
            }
            (format!("{all}{}", "0".repeat(zeros)), String::new())
        } else {
            (all[..point].to_owned(), all[point..].to_owned())
        }
    };
    if frac_part.bytes().any(|b| b != b'0') {
        return None;
    }
    let int_part = int_part.trim_start_matches('0');
    let magnitude = if int_part.is_empty() { "0" } else { int_part };
    if magnitude == "0" {
        return Some("0".into());
    }
    let integer = if negative {
        format!("-{magnitude}")
    } else {
        magnitude.to_owned()
    };
    let fits = if negative {
        integer.parse::<i64>().is_ok()
    } else {
        integer.parse::<u64>().is_ok()
    };
    fits.then_some(integer)
}

/// The elements of the array at `pointer` (RFC 6901) in the JSON `body`, each exactly as the
/// body has it save for whitespace between tokens, which is removed (so a record is one line, as
/// NDJSON needs): member order, number spelling, escapes and unknown members stay. `None` when
/// `body` is not JSON or holds no array there.
pub fn raw_array(body: &[u8], pointer: &[&str]) -> Option<Vec<Box<RawValue>>> {
    raw_array_borrowed(body, pointer).map(|items| items.into_iter().map(Cow::into_owned).collect())
}

/// [`raw_array`] without the copies: each element borrowed from `body` when it has no
/// whitespace to remove (what services send), a compacted copy only when it has. For a caller
/// that writes the records out and drops them with the body (`list --format ndjson`).
pub fn raw_array_borrowed<'b>(body: &'b [u8], pointer: &[&str]) -> Option<Vec<Cow<'b, RawValue>>> {
    // One pass over the body: the members off the path are skipped, the array's elements
    // borrowed, already checked as JSON by that pass (so a compact one is not parsed again).
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let items = Select(pointer).deserialize(&mut deserializer).ok()??;
    deserializer.end().ok()?;
    items
        .into_iter()
        .map(|item| match compact(item.get()) {
            Cow::Borrowed(_) => Some(Cow::Borrowed(item)),
            // Only blanks between tokens were removed, but the check is cheap next to the copy
            // and keeps this free of any unchecked `RawValue`.
            Cow::Owned(text) => RawValue::from_string(text).ok().map(Cow::Owned),
        })
        .collect()
}

/// Reads one JSON value and returns the elements of the array at the path it holds (the
/// member names, outermost first), borrowed from the input; `None` when the value holds no
/// array there. A member named twice counts by its last value, as a map would keep it.
struct Select<'p>(&'p [&'p str]);

impl<'de> DeserializeSeed<'de> for Select<'_> {
    type Value = Option<Vec<&'de RawValue>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Select<'_> {
    type Value = Option<Vec<&'de RawValue>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if self.0.is_empty() {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
            while let Some(item) = seq.next_element::<&'de RawValue>()? {
                items.push(item);
            }
            return Ok(Some(items));
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some((key, rest)) = self.0.split_first() else {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(None);
        };
        let mut found = None;
        while let Some(on_path) = map.next_key_seed(IsKey(key))? {
            if on_path {
                found = map.next_value_seed(Select(rest))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Reads a member name and tells whether it is the one wanted, without keeping it.
struct IsKey<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for IsKey<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for IsKey<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<bool, E> {
        Ok(name == self.0)
    }
}

/// `text` (one JSON value) without whitespace outside strings; borrowed when it has none.
fn compact(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    // In JSON text a byte up to a blank is a blank (a control character in a string is not
    // JSON), so text without one is compact: checked 16 bytes at a time, which the compiler
    // vectorizes, instead of walking strings. Records with blanks in their strings (half of the
    // mock's, as in "The backup task failed.") take the walk below.
    if bytes
        .chunks(16)
        .all(|chunk| chunk.iter().fold(true, |none, b| none & (*b > b' ')))
    {
        return Cow::Borrowed(text);
    }
    // Copied in runs between blanks, and only once there is a blank: a compact record (what
    // services send) is not copied at all. The runs are cut at ASCII blanks only, so every cut
    // is a char boundary and nothing is validated again.
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = end_of_string(bytes, i),
            b' ' | b'\t' | b'\n' | b'\r' => {
                out.get_or_insert_with(|| String::with_capacity(bytes.len()))
                    .push_str(&text[copied..i]);
                i += 1;
                copied = i;
            }
            _ => i += 1,
        }
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied.min(text.len())..]);
            Cow::Owned(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(text: &str) -> String {
        String::from_utf8(integral_floats_as_integers(text.as_bytes()).into_owned()).expect("UTF-8")
    }

    #[test]
    fn integral_floats_become_integers_exactly() {
        for (input, output) in [
            ("1.0", "1"),
            ("-3.000", "-3"),
            ("-0.0", "0"),
            ("0.0", "0"),
            ("1e2", "100"),
            ("1E+2", "100"),
            ("100.0e-2", "1"),
            ("2.5e1", "25"),
            ("9007199254740993.0", "9007199254740993"),
            ("9223372036854775807.0", "9223372036854775807"),
            ("-9223372036854775808.0", "-9223372036854775808"),
            ("18446744073709551615.0", "18446744073709551615"),
        ] {
            assert_eq!(rewrite(input), output, "{input}");
        }
    }

    #[test]
    fn everything_else_is_left_as_it_was() {
        for same in [
            "1",
            "-7",
            "1.5",
            "1e-2",
            "100.1899",
            "18446744073709551616.0",
            "-9223372036854775809.0",
            "1e400",
            "01.0",
            "1.",
            ".5",
            "1.0.0",
            "--1.0",
            "\"1.0\"",
            "\"a\\\"1.0\"",
            "{\"count\": \"2.0\"}",
            "",
            "tru",
        ] {
            assert_eq!(rewrite(same), same, "{same}");
            assert!(matches!(
                integral_floats_as_integers(same.as_bytes()),
                Cow::Borrowed(_)
            ));
        }
        assert_eq!(
            rewrite(r#"{"count":1.0,"k 2.0":"v 3.0","delay":5.0,"a":[0.0,1.5]}"#),
            r#"{"count":1,"k 2.0":"v 3.0","delay":5,"a":[0,1.5]}"#
        );
    }

    #[test]
    fn strings_are_skipped_whole_wherever_their_quotes_and_escapes_fall() {
        // The scan reads eight bytes at a time: put the escapes and the closing quote at every
        // offset within a word, and numbers that look integral inside and after the strings.
        for pad in 0..20 {
            let text = "x".repeat(pad);
            let body = format!(
                r#"{{"{text}\"1.0\\": "{text}\"2.0", "k{text}": 3.0, "{text}é\u0022": [4.0]}}"#
            );
            let expected = format!(
                r#"{{"{text}\"1.0\\": "{text}\"2.0", "k{text}": 3, "{text}é\u0022": [4]}}"#
            );
            assert_eq!(rewrite(&body), expected, "pad {pad}");
            let parsed: serde_json::Value = serde_json::from_str(&rewrite(&body)).expect("JSON");
            assert_eq!(parsed[format!("k{text}")], 3);
        }
        // An unterminated string runs to the end, whatever its length.
        for unterminated in ["\"abc 1.0", "\"abcdefghijklmnop 1.0", "\"abcdefgh\\"] {
            assert_eq!(rewrite(unterminated), unterminated);
        }
    }

    /// The rewrite as the byte-at-a-time definition alone gives it.
    fn by_definition(bytes: &[u8]) -> Cow<'_, [u8]> {
        let mut rewrite = Rewrite::new(bytes);
        scalar(bytes, 0, &mut rewrite);
        rewrite.finish()
    }

    #[test]
    fn the_masks_flag_exactly_the_bytes_sought() {
        // Every byte value at every position of a word, beside neighbours that would make a
        // borrowing zero test misfire (0x00, 0x01, the byte itself).
        for byte in 0..=255u8 {
            for position in 0..8 {
                for filler in [0x00, 0x01, b'"', b'e', 0xff] {
                    let mut word = [filler; 8];
                    word[position] = byte;
                    let flags = bits(equal(u64::from_le_bytes(word), b'"'));
                    let expected = word
                        .iter()
                        .enumerate()
                        .filter(|(_, b)| **b == b'"')
                        .fold(0u64, |m, (i, _)| m | 1 << i);
                    assert_eq!(flags, expected, "{word:?}");
                }
            }
        }
        // Quotes at 1, 4 and 7: inside from 1 to 3, and from 7 on.
        assert_eq!(prefix_xor(0b1001_0010), !0u64 << 7 | 0b1110);
    }

    #[test]
    fn a_page_with_escapes_reads_as_one_without() {
        // The same numbers after a `\` in the first, a middle or the last block (the fast
        // reader hands over to the byte reader there), and in a string that spans blocks.
        let numbers = r#""n": [1.0, -2e1, 3.5, 1e300, 0.0e0], "#;
        for escape_at in [0, 10, 63, 64, 65, 200, 400] {
            let mut body = String::from("{");
            while body.len() < 600 {
                if body.len() >= escape_at && !body.contains('\\') {
                    body.push_str(r#""e\"1.0": 7.0, "#);
                }
                body.push_str(numbers);
                body.push_str(&format!(
                    r#""s{}": "{}", "#,
                    body.len(),
                    "x.e".repeat(body.len() % 50)
                ));
            }
            body.push_str(r#""end": 1.0}"#);
            let fast = integral_floats_as_integers(body.as_bytes());
            assert_eq!(
                fast,
                by_definition(body.as_bytes()),
                "escape at {escape_at}"
            );
            let value: serde_json::Value = serde_json::from_slice(&fast).expect("still JSON");
            assert_eq!(value["n"], serde_json::json!([1, -20, 3.5, 1e300, 0]));
            assert_eq!(value["end"], 1);
        }
    }

    #[test]
    fn the_fast_reader_agrees_with_the_definition_on_every_fixture_and_spec() {
        // Every file the tests and specs hold (pages, errors, mutations, fuzz seeds, YAML),
        // as it is: real bodies with their escapes, numbers and layouts.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut pending = vec![root.join("tests/fixtures"), root.join("openapi")];
        let mut files = 0;
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).expect("a readable directory") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    pending.push(path);
                    continue;
                }
                let bytes = std::fs::read(&path).expect("a readable file");
                assert_eq!(
                    integral_floats_as_integers(&bytes),
                    by_definition(&bytes),
                    "{}",
                    path.display()
                );
                files += 1;
            }
        }
        assert!(files > 300, "only {files} files found");
    }

    proptest::proptest! {
        /// The fast reader finds the runs the definition finds, on text of the bytes that
        /// matter (quotes, escapes, number bytes, literals' letters) in any order and length,
        /// across block boundaries, JSON or not.
        #[test]
        fn the_fast_reader_agrees_with_the_definition(
            text in proptest::collection::vec(
                proptest::sample::select(b"\"\\0123456789.eE+-:, tru{}[]x".to_vec()),
                0..300,
            ),
            keep_escapes in proptest::bool::ANY,
        ) {
            let mut text = text;
            if !keep_escapes {
                text.retain(|b| *b != b'\\');
            }
            proptest::prop_assert_eq!(
                integral_floats_as_integers(&text),
                by_definition(&text)
            );
        }
    }

    #[test]
    fn decode_reads_integral_floats_into_integer_fields() {
        let page: crate::cbr::ListOpLogsResponse =
            decode(br#"{"count": 1.0, "limit": 1e3, "operation_logs": []}"#).expect("tolerated");
        assert_eq!((page.count, page.limit), (Some(1), Some(1000)));
        assert!(decode::<crate::cbr::ListOpLogsResponse>(br#"{"count": 1.5}"#).is_err());
    }

    /// The second read happens only for a body that fails the first, so an open member keeps
    /// the service's `2.0` unless something else needed the rewrite; an error with nothing to
    /// rewrite is the first read's.
    #[test]
    fn decode_rewrites_only_a_body_that_needs_it() {
        #[derive(Debug, serde::Deserialize)]
        struct Page {
            count: i64,
            extra: serde_json::Value,
        }
        let as_sent: Page = decode(br#"{"count": 1, "extra": 2.0}"#).expect("reads");
        assert!(as_sent.extra.is_f64(), "{:?}", as_sent.extra);
        let rewritten: Page = decode(br#"{"count": 1.0, "extra": 2.0}"#).expect("reads");
        assert_eq!(rewritten.count, 1);
        assert!(rewritten.extra.is_i64(), "{:?}", rewritten.extra);
        let error = decode::<Page>(br#"{"count": "one", "extra": 2.0}"#).expect_err("a string");
        assert!(
            error.to_string().contains("invalid type: string"),
            "{error}"
        );
        let error = decode::<Page>(br#"{"count": 1.5, "extra": 2.0}"#).expect_err("a fraction");
        assert!(
            error.to_string().contains("invalid type: floating point"),
            "{error}"
        );
    }

    #[test]
    fn raw_array_keeps_what_the_service_sent() {
        let body = br#"{"count": 2, "operation_logs": [
            {"id": "a", "zz": 1.0, "extra_info": {"resource": {"zone": "eu-de-01"}}},
            {"id": "b\u00e9 \" x", "a": [1, 2]}
        ]}"#;
        let records = raw_array(body, &["operation_logs"]).expect("an array");
        let texts: Vec<&str> = records.iter().map(|r| r.get()).collect();
        assert_eq!(
            texts,
            [
                r#"{"id":"a","zz":1.0,"extra_info":{"resource":{"zone":"eu-de-01"}}}"#,
                r#"{"id":"b\u00e9 \" x","a":[1,2]}"#,
            ]
        );
        let nested = br#"{"data": {"contents": [{"newKnob": true}], "page": {}}}"#;
        let tasks = raw_array(nested, &["data", "contents"]).expect("an array");
        assert_eq!(tasks[0].get(), r#"{"newKnob":true}"#);
        assert!(raw_array(b"{}", &["operation_logs"]).is_none());
        assert!(raw_array(b"not json", &["operation_logs"]).is_none());
        assert!(raw_array(br#"{"operation_logs": 3}"#, &["operation_logs"]).is_none());
        // Not JSON after the array, or around it: no records rather than a guess.
        assert!(raw_array(br#"{"operation_logs": [1]} x"#, &["operation_logs"]).is_none());
        assert!(raw_array(br#"{"operation_logs": [1], "a": tru}"#, &["operation_logs"]).is_none());
        assert!(raw_array(br#"{"data": [{"contents": [1]}]}"#, &["data", "contents"]).is_none());
        // A member named twice counts by its last value, as a map keeps it.
        let twice = br#"{"operation_logs": [1], "operation_logs": [2, 3]}"#;
        let last = raw_array(twice, &["operation_logs"]).expect("an array");
        assert_eq!(last.iter().map(|r| r.get()).collect::<Vec<_>>(), ["2", "3"]);
        // The path's members are found among others of every kind, nested or not.
        let mixed = br#"{"a": {"contents": [9]}, "b": [1, {"c": null}], "n": -1.5e3,
            "s": "x\"y", "t": true, "data": {"page": null, "contents": [ {"k": [ 1 , 2 ]} ]}}"#;
        let found = raw_array(mixed, &["data", "contents"]).expect("an array");
        assert_eq!(found[0].get(), r#"{"k":[1,2]}"#);
        assert_eq!(raw_array(b" [ 1 , {} ] ", &[]).expect("top level").len(), 2);
    }

    #[test]
    fn raw_array_borrowed_copies_only_the_records_with_blanks_to_remove() {
        let body = br#"{"operation_logs": [{"id":"a b","n":[1,2]}, {"id": "c"}, 3]}"#;
        let borrowed = raw_array_borrowed(body, &["operation_logs"]).expect("an array");
        let kinds: Vec<(&str, bool)> = borrowed
            .iter()
            .map(|r| (r.get(), matches!(r, Cow::Borrowed(_))))
            .collect();
        assert_eq!(
            kinds,
            [
                (r#"{"id":"a b","n":[1,2]}"#, true),
                (r#"{"id":"c"}"#, false),
                ("3", true),
            ]
        );
        // The same texts as the owned records.
        let owned = raw_array(body, &["operation_logs"]).expect("an array");
        assert!(owned.iter().map(|r| r.get()).eq(kinds.iter().map(|k| k.0)));
        // Blanks only inside strings: nothing to remove, borrowed.
        let spaced = br#"[{"m":"a b\tc"}, "x y"]"#;
        let spaced = raw_array_borrowed(spaced, &[]).expect("an array");
        assert!(spaced.iter().all(|r| matches!(r, Cow::Borrowed(_))));
        assert_eq!(spaced[0].get(), r#"{"m":"a b\tc"}"#);
        // The same refusals.
        for bad in [&b"not json"[..], br#"{"operation_logs": [1]} x"#, b"{}"] {
            assert!(raw_array_borrowed(bad, &["operation_logs"]).is_none());
        }
    }
}
