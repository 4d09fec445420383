//! What `diff` reports: each [`Change`] with its side and impact, and the [`Report`] of them all
//! with the version bump they need, as text for people and JSON for machines.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::Rule;
use crate::common::terminal::escape;
use crate::publish::Version;

/// Which messages a change affects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// What callers send: operations, parameters, request bodies, security.
    Request,
    /// What callers read: statuses, bodies, headers, published component schemas.
    Response,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Request => "request",
            Side::Response => "response",
        })
    }
}

/// How bad a change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Impact {
    /// Breaks existing callers or readers: a major version.
    Breaking,
    /// Breaks only readers that reject what they do not know (closed enums, strict validation);
    /// not this crate's tolerant reader. A minor version, or major with `strict`.
    StrictReaders,
    /// Existing callers and readers keep working: a minor version.
    Compatible,
    /// Descriptions, examples, extensions: a patch version.
    Documentation,
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Impact::Breaking => "breaking",
            Impact::StrictReaders => "strict-readers",
            Impact::Compatible => "compatible",
            Impact::Documentation => "documentation",
        })
    }
}

/// The semantic version bump a set of changes needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bump {
    /// Nothing changed.
    None,
    /// Documentation only.
    Patch,
    /// Compatible changes.
    Minor,
    /// Breaking changes.
    Major,
}

impl fmt::Display for Bump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        })
    }
}

/// One difference between the two documents.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// Which messages it affects.
    pub side: Side,
    /// How bad it is.
    pub impact: Impact,
    /// `METHOD /path` of the operation, or `components`/`info`/`servers` for document-wide parts.
    pub operation: String,
    /// Where: `query parameter limit`, `response 200 application/json: operation_logs[].status`.
    pub location: String,
    /// The rule that classified it; reports name it by its id, such as `enum-widened` (README,
    /// "diff policy").
    pub rule: Rule,
    /// What changed, readably.
    pub message: String,
}

/// Every change between two documents, sorted by side, operation and location.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// `info.version` of the old document.
    pub old_version: Option<String>,
    /// `info.version` of the new document.
    pub new_version: Option<String>,
    /// The changes.
    pub changes: Vec<Change>,
}

impl Report {
    /// The changes that count as breaking; with `strict`, those that break strict readers too.
    pub fn breaking(&self, strict: bool) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(move |c| is_breaking(c.impact, strict))
    }

    /// The bump these changes need.
    pub fn bump(&self, strict: bool) -> Bump {
        self.changes
            .iter()
            .map(|c| match c.impact {
                Impact::Breaking => Bump::Major,
                Impact::StrictReaders if strict => Bump::Major,
                Impact::StrictReaders | Impact::Compatible => Bump::Minor,
                Impact::Documentation => Bump::Patch,
            })
            .max()
            .unwrap_or(Bump::None)
    }

    /// Whether the new `info.version` raises the old one's major; `None` when either is not
    /// `MAJOR.MINOR.PATCH`.
    pub fn major_raised(&self) -> Option<bool> {
        let old = Version::parse(self.old_version.as_deref()?)?;
        let new = Version::parse(self.new_version.as_deref()?)?;
        Some(new.major > old.major)
    }

    /// Whether the change set may be published: no breaking change, or the major was raised.
    pub fn version_allows(&self, strict: bool) -> bool {
        self.breaking(strict).next().is_none() || self.major_raised() == Some(true)
    }

    /// The report for machines: versions, counts, the suggested bump, whether the version
    /// allows the changes, and every change.
    pub fn to_json(&self, strict: bool) -> Value {
        serde_json::json!({
            "old_version": self.old_version,
            "new_version": self.new_version,
            "strict": strict,
            "breaking": self.breaking(strict).count(),
            "bump": self.bump(strict),
            "major_raised": self.major_raised(),
            "version_allows": self.version_allows(strict),
            "changes": self.changes,
        })
    }

    /// The report for people: the changes grouped by side, then a summary and the suggested bump.
    /// Text from the specs is escaped for a terminal (`common::terminal`).
    pub fn to_text(&self, strict: bool) -> String {
        let mut out = String::new();
        for (side, heading) in [
            (Side::Request, "Requests (what callers send)"),
            (Side::Response, "Responses (what callers read)"),
        ] {
            let changes: Vec<&Change> = self.changes.iter().filter(|c| c.side == side).collect();
            if changes.is_empty() {
                out.push_str(&format!("{heading}: no changes\n"));
                continue;
            }
            out.push_str(&format!("{heading}:\n"));
            for c in changes {
                let at = if c.location.is_empty() {
                    c.operation.clone()
                } else {
                    format!("{}  {}", c.operation, c.location)
                };
                // Paths, property names and messages come from the specs: a terminal must not
                // act on a control character in them (a newline would forge a line of the report).
                out.push_str(&format!(
                    "  {:<14} {}: {} [{}]\n",
                    c.impact.to_string(),
                    escape(&at),
                    escape(&c.message),
                    c.rule
                ));
            }
        }
        let count = |side: Option<Side>, impact: Impact| {
            self.changes
                .iter()
                .filter(|c| c.impact == impact && side.is_none_or(|s| c.side == s))
                .count()
        };
        out.push_str(&format!(
            "\n{} change(s): {} breaking ({} request, {} response), {} breaking only strict readers, {} compatible, {} documentation\n",
            self.changes.len(),
            count(None, Impact::Breaking),
            count(Some(Side::Request), Impact::Breaking),
            count(Some(Side::Response), Impact::Breaking),
            count(None, Impact::StrictReaders),
            count(None, Impact::Compatible),
            count(None, Impact::Documentation),
        ));
        let versions = match (&self.old_version, &self.new_version) {
            (Some(old), Some(new)) => format!(" (info.version {old} -> {new})"),
            _ => String::new(),
        };
        let mode = if strict { ", strict readers" } else { "" };
        out.push_str(&format!(
            "suggested bump: {}{versions}{mode}\n",
            self.bump(strict)
        ));
        out
    }
}

fn is_breaking(impact: Impact, strict: bool) -> bool {
    impact == Impact::Breaking || (strict && impact == Impact::StrictReaders)
}
#[cfg(test)]
mod tests {
    use super::*;

    /// Property names and messages come from the specs: escaped before a terminal.
    #[test]
    fn the_text_report_escapes_spec_text_for_the_terminal() {
        let report = Report {
            old_version: None,
            new_version: None,
            changes: vec![Change {
                side: Side::Response,
                impact: Impact::Breaking,
                operation: "GET /a".into(),
                location: "response 200: x\u{1b}[2J".into(),
                rule: Rule::PropertyRemoved,
                message: "property removed\n  breaking       GET /forged".into(),
            }],
        };
        let text = report.to_text(false);
        assert!(text.contains(r"response 200: x\x1b[2J: property removed\n  breaking"));
        assert!(!text.contains('\u{1b}') && !text.contains("\n  breaking       GET /forged"));
    }

    #[test]
    fn strict_readers_count_as_breaking_only_when_asked() {
        let report = Report {
            old_version: Some("1.2.0".into()),
            new_version: Some("1.3.0".into()),
            changes: vec![Change {
                side: Side::Response,
                impact: Impact::StrictReaders,
                operation: "GET /a".into(),
                location: "response 200".into(),
                rule: Rule::EnumWidened,
                message: "enum value(s) added".into(),
            }],
        };
        assert_eq!(report.bump(false), Bump::Minor);
        assert_eq!(report.bump(true), Bump::Major);
        assert!(report.version_allows(false));
        assert!(!report.version_allows(true));
        assert_eq!(report.major_raised(), Some(false));
    }
}
