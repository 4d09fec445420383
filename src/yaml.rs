//! Reading YAML (the specs, the release copies, the documents given to `diff`) into JSON values:
//! one parser, configured once, for the library and for `build.rs`.
//!
//! The parser is [serde-saphyr](https://docs.rs/serde-saphyr): pure Rust with
//! `#![forbid(unsafe_code)]` down to its parser (`granit-parser`), where `serde_yaml` (deprecated
//! by its author) and its forks run on `unsafe-libyaml`, a C-to-Rust transpilation. `diff` reads
//! files it is handed, so the parse path is input-facing. `build.rs` includes this very file
//! (`#[path = "src/yaml.rs"]`), so the generated types and the contract validator cannot read the
//! same spec two different ways.
//!
//! The options below keep what the crate reads equal to what `serde_yaml` 0.9 read: every spec,
//! release copy and fixture in this repository parses to the same value. Where they differ, this
//! reader refuses what `serde_yaml` let through silently: a duplicate key (it kept the last one),
//! `.inf`/`.nan` (it turned them into `null`).

use std::fmt;

use serde::de::DeserializeOwned;

/// Deepest nesting of sequences and mappings accepted; deeper input is an error, not a stack
/// overflow. 128 is `serde_yaml`'s recursion limit, so nothing it read is refused; the specs
/// here nest about 15 deep.
pub const MAX_DEPTH: usize = 128;

/// Most nodes (scalars, sequences, mappings) one document may hold, alias expansions included.
/// serde-saphyr's default (250,000) is sized for configuration files; the two specs here take
/// one node (key or value) per 20 bytes, so 250,000 would refuse a 5 MB description, and large
/// public ones (GitHub's REST API) are about twice that. Two million (about 40 MB of YAML)
/// leaves room while still stopping an alias bomb early.
pub const MAX_NODES: usize = 2_000_000;

/// Most parser events (about one per node, plus one per collection end) one document may cause.
pub const MAX_EVENTS: usize = 2 * MAX_NODES;

/// A YAML (or JSON) document could not be read: the parser's message, with line and column.
///
/// Opaque on purpose: the parser behind it is an implementation detail, so changing it is not a
/// breaking change for code that matches on this crate's errors.
#[derive(Debug)]
pub struct YamlError(Box<serde_saphyr::Error>);

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The user-facing wording: the default one gives Rust advice ("set DuplicateKeyPolicy in
        // Options", "use from_multiple") that means nothing to someone running `diff`.
        f.write_str(
            &self
                .0
                .render_with_formatter(&serde_saphyr::UserMessageFormatter),
        )
    }
}

impl std::error::Error for YamlError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // The message is this error's Display; only an underlying cause (an I/O error) is a source.
        self.0.source()
    }
}

impl From<serde_saphyr::Error> for YamlError {
    fn from(error: serde_saphyr::Error) -> Self {
        // Boxed: the parser's error is 112 bytes, which would make every `Result` carrying it
        // large (clippy's `result_large_err`).
        YamlError(Box::new(error))
    }
}

/// Parses one YAML document from text.
pub(crate) fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    Ok(serde_saphyr::from_str_with_options(text, options())?)
}

/// The parser's options; each departure from serde-saphyr's defaults says why.
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        // YAML 1.2, as OpenAPI requires and `serde_yaml` did: only `true`/`false` are booleans,
        // so an enum value or example `no`, `on` or `y` stays a string.
        strict_booleans: true,
        // A one-line message ("… at line L, column C"): the caller adds the file name, and the
        // rendered source snippet would put several lines of the file into every error chain.
        with_snippet: false,
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_nodes: MAX_NODES,
            max_events: MAX_EVENTS,
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn parse(text: &str) -> Result<Value, YamlError> {
        from_str(text)
    }

    #[test]
    fn yaml_1_1_booleans_stay_strings() {
        let value = parse("a: yes\nb: no\nc: on\nd: Off\ne: y\nf: true\n").expect("parses");
        assert_eq!(
            value,
            json!({"a": "yes", "b": "no", "c": "on", "d": "Off", "e": "y", "f": true})
        );
    }

    #[test]
    fn json_documents_parse_including_surrogate_pairs() {
        let value =
            parse("{\n\t\"a\": [1, 2.5, null],\n\t\"b\": \"\\ud83d\\ude00\"\n}").expect("parses");
        assert_eq!(value, json!({"a": [1, 2.5, null], "b": "\u{1F600}"}));
    }

    #[test]
    fn a_duplicate_key_is_an_error_naming_its_line() {
        let err = parse("a: 1\nb: 2\na: 3\n").expect_err("duplicate key");
        let message = err.to_string();
        assert!(
            message.contains("duplicate") && message.contains("line 3"),
            "{message}"
        );
        assert!(!message.contains('\n'), "one line: {message}");
        assert!(!message.contains("Options"), "no API advice: {message}");
    }

    #[test]
    fn non_finite_numbers_are_an_error_not_null() {
        assert!(parse("maximum: .inf\n").is_err());
    }

    #[test]
    fn nesting_up_to_the_limit_parses_and_deeper_is_an_error() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse(&nested(MAX_DEPTH)).is_ok());
        for depth in [MAX_DEPTH + 1, 100_000] {
            let err = parse(&nested(depth)).expect_err("too deep");
            assert!(err.to_string().contains("line 1"), "{err}");
        }
        let block: String = (0..=MAX_DEPTH)
            .map(|level| format!("{}k:\n", " ".repeat(level)))
            .collect();
        assert!(parse(&block).is_err(), "block nesting past the limit");
    }

    #[test]
    fn a_large_description_fits_the_node_budget() {
        // 300,000 nodes: past serde-saphyr's default budget (250,000), well inside MAX_NODES.
        let value = parse(&"- x\n".repeat(300_000)).expect("parses");
        assert_eq!(value.as_array().map(Vec::len), Some(300_000));
    }

    #[test]
    fn an_alias_bomb_is_refused() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (name, prev) in ["b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f", "g"])
        {
            bomb.push_str(&format!(
                "{name}: &{name} [{}]\n",
                vec![format!("*{prev}"); 10].join(", ")
            ));
        }
        assert!(parse(&bomb).is_err(), "10^8 nodes through aliases");
    }

    #[test]
    fn bad_input_is_an_error_with_a_location() {
        for text in [
            "openapi: 3.0.3\npaths: [\n",
            "a: 1\n---\nb: 2\n",
            "a: \u{1b}[31m\n",
        ] {
            let err = parse(text).expect_err(text).to_string();
            assert!(
                err.contains("line") && !err.contains("from_multiple"),
                "{err}"
            );
        }
    }
}
