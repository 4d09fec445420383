//! Output formats: one definition for every command. A command offers the formats it writes,
//! each with its own help text (what `text` or `json` holds there), through [`Choices`].

use std::ffi::OsStr;
use std::fmt;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

/// An output format, by its name on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Lines for people.
    Text,
    /// Aligned columns for people.
    Table,
    /// One JSON document.
    Json,
    /// One JSON value per line.
    Ndjson,
    /// JUnit XML.
    Junit,
    /// Markdown, for a pull request or an issue.
    Markdown,
}

impl Format {
    /// The value of `--format`.
    pub const fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Table => "table",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
        }
    }

    /// The error for a format that a command's [`Choices`] do not offer, so could not be parsed:
    /// a usage error (exit 2), never a panic.
    pub fn not_offered(self, command: &str) -> anyhow::Error {
        anyhow::anyhow!("`{command}` does not write --format {self}")
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The formats one command offers, each with its help text there, in the order `--help` lists
/// them: the value parser of that command's `--format`.
#[derive(Clone, Copy)]
pub struct Choices(pub &'static [(Format, &'static str)]);

impl TypedValueParser for Choices {
    type Value = Format;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Format, clap::Error> {
        // clap's own check, so a wrong value gets the message a `ValueEnum` gets; text that is
        // not UTF-8 is named as shown (as a `ValueEnum` does), and never matches a name.
        let text = value.to_string_lossy();
        let possible: Vec<PossibleValue> = self
            .0
            .iter()
            .map(|(f, _)| PossibleValue::new(f.name()))
            .collect();
        let name = PossibleValuesParser::new(possible).parse_ref(cmd, arg, OsStr::new(&*text))?;
        Ok(self
            .0
            .iter()
            .map(|(format, _)| *format)
            .find(|format| format.name() == name)
            .expect("PossibleValuesParser accepts only these names"))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.0.iter().map(|(format, help)| {
            PossibleValue::new(format.name()).help(*help)
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_has_its_own_name() {
        let all = [
            Format::Text,
            Format::Table,
            Format::Json,
            Format::Ndjson,
            Format::Junit,
            Format::Markdown,
        ];
        let names: std::collections::BTreeSet<_> = all.iter().map(|f| f.name()).collect();
        assert_eq!(names.len(), all.len());
    }

    #[test]
    fn a_command_takes_only_the_formats_it_offers() {
        let choices = Choices(&[(Format::Text, "people"), (Format::Json, "machines")]);
        let cmd = clap::Command::new("x");
        let parse = |v: &str| choices.parse_ref(&cmd, None, OsStr::new(v));
        assert_eq!(parse("json").ok(), Some(Format::Json));
        let error = parse("junit").expect_err("not offered").to_string();
        assert!(error.contains("[possible values: text, json]"), "{error}");
    }
}
