//! Findings worded as register rows or spec changes, and written as text, JSON or Markdown.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Drift, Finding, Report, walk};
use crate::common::terminal::escape;
use crate::contract::Target;

/// How a drift report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: one block per finding, then a summary line.
    Text,
    /// For machines: the [`Report`] as one JSON object.
    Json,
    /// For a pull request or an issue: a table of drift and one of information, each row a
    /// proposal.
    Markdown,
}

/// `text` line by line, each escaped for a terminal (the newlines between them kept).
fn write_lines(out: &mut dyn Write, text: &str) -> io::Result<()> {
    for line in text.lines() {
        writeln!(out, "{}", escape(line))?;
    }
    Ok(())
}

/// The last segment of a template: the member's name.
fn name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn owner(def: Option<&String>, path: &str) -> String {
    match def {
        Some(def) => format!("`{def}`"),
        None => {
            let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
            format!(
                "the object at `{}`",
                if parent.is_empty() { "/" } else { parent }
            )
        }
    }
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// Turns the aggregate into worded findings: drift first (by kind, then target and path), then
/// information.
pub(super) fn build(drift: Drift) -> Report {
    let mut findings = Vec::new();
    let mut dropped = 0;
    let mut payloads = std::collections::BTreeMap::new();
    for (target, per) in &drift.targets {
        let t = target.to_string();
        payloads.insert(t.clone(), per.payloads);
        dropped += per.dropped;
        for (path, (tally, types, def)) in &per.unknown {
            let types: Vec<&str> = types.iter().copied().collect();
            let name = name_of(path);
            findings.push(Finding {
                kind: "unknown-member",
                target: t.clone(),
                path: path.clone(),
                count: tally.count,
                first: tally.first.clone(),
                detail: format!("undocumented member `{name}` ({})", types.join(", ")),
                proposal: format!(
                    "spec change: declare optional `{name}` ({}) in {}, with `x-evidence` naming \
                     this recording; or a register row: the service sends `{name}`, which the \
                     spec does not document (strict readers reject it)",
                    types.join(" or "),
                    owner(def.as_ref(), path)
                ),
                drift: true,
            });
        }
        for (path, (tally, values, def)) in &per.enums {
            let listed: Vec<String> = values.iter().map(|(v, n)| format!("{v} ×{n}")).collect();
            let names: Vec<&str> = values.keys().map(String::as_str).collect();
            findings.push(Finding {
                kind: "unknown-enum-value",
                target: t.clone(),
                path: path.clone(),
                count: tally.count,
                first: tally.first.clone(),
                detail: format!("values the enum does not list: {}", listed.join(", ")),
                proposal: format!(
                    "spec change: add {} to the enum of {} (the reader's enum is open; closed \
                     enums elsewhere reject them), with a register row citing this recording",
                    names.join(", "),
                    def.as_ref()
                        .map_or(format!("`{path}`"), |d| format!("`{d}`"))
                ),
                drift: true,
            });
        }
        for (path, tally) in &per.nulls {
            findings.push(Finding {
                kind: "null",
                target: t.clone(),
                path: path.clone(),
                count: tally.count,
                first: tally.first.clone(),
                detail: "`null` where the spec promises a value".into(),
                proposal: format!(
                    "spec change: mark `{}` `nullable: true`; or a register row: the service \
                     sends `null` there",
                    name_of(path)
                ),
                drift: true,
            });
        }
        for ((path, seen), (tally, documented)) in &per.types {
            findings.push(Finding {
                kind: "type",
                target: t.clone(),
                path: path.clone(),
                count: tally.count,
                first: tally.first.clone(),
                detail: format!("{seen} where the spec says {documented}"),
                proposal: format!(
                    "register row: the service sends {seen} for `{}`, the spec {documented}; \
                     decide which the contract follows (a `oneOf` of both, as OCP's `LongId` does)",
                    name_of(path)
                ),
                drift: true,
            });
        }
        for ((path, keyword), (tally, limit, low, high)) in &per.bounds {
            let seen = if low == high {
                number(*low)
            } else {
                format!("{} to {}", number(*low), number(*high))
            };
            findings.push(Finding {
                kind: "bound",
                target: t.clone(),
                path: path.clone(),
                count: tally.count,
                first: tally.first.clone(),
                detail: format!("beyond `{keyword}: {}`: seen {seen}", number(*limit)),
                proposal: format!(
                    "spec change: loosen `{keyword}` of `{}` to admit {seen}; or a register row: \
                     the service goes beyond the documented bound",
                    name_of(path)
                ),
                drift: true,
            });
        }
        for (path, shapes) in &per.timestamps {
            for (shape, (count, rejected, first)) in shapes {
                let accepted = *rejected == 0;
                findings.push(Finding {
                    kind: "timestamp-shape",
                    target: t.clone(),
                    path: path.clone(),
                    count: *count,
                    first: first.clone(),
                    detail: if accepted {
                        format!("shape `{shape}`, accepted by the contract")
                    } else {
                        format!("shape `{shape}`, {rejected} of them rejected by the contract")
                    },
                    proposal: if accepted {
                        "none: a documented shape".into()
                    } else {
                        format!(
                            "spec change: widen the `{}` pattern to accept `{shape}`, and add the \
                             shape to its register row",
                            walk::TIMESTAMP
                        )
                    },
                    drift: !accepted,
                });
            }
        }
    }
    for ((operation, status), tally) in &drift.statuses {
        findings.push(Finding {
            kind: "undocumented-status",
            target: operation.clone(),
            path: String::new(),
            count: tally.count,
            first: tally.first.clone(),
            detail: format!("status {status}, which the operation does not document"),
            proposal: format!(
                "spec change: document response {status} of {operation} (with its body schema \
                 and an example from this recording)"
            ),
            drift: true,
        });
    }
    for (target, tally) in &drift.not_json {
        findings.push(Finding {
            kind: "not-json",
            target: target.to_string(),
            path: String::new(),
            count: tally.count,
            first: tally.first.clone(),
            detail: "bodies that are not JSON".into(),
            proposal: "register row: the service (or a gateway in front of it) answers with a \
                       body that is not JSON"
                .into(),
            drift: true,
        });
    }
    // Information: documented members no payload showed, topmost only.
    for (target, per) in &drift.targets {
        let Some(document) = drift.documents.get(target) else {
            continue;
        };
        let mut documented = Vec::new();
        walk::documented(document, document, &mut String::new(), &mut documented, 0);
        let unseen: Vec<&String> = documented
            .iter()
            .filter(|path| !per.seen.contains(*path))
            .collect();
        for path in &unseen {
            let parent = parent_member(path);
            if parent.is_some_and(|p| unseen.iter().any(|u| u.as_str() == p)) {
                continue;
            }
            findings.push(never_seen(target, path, per.payloads));
        }
    }
    Report {
        api: drift.api.name(),
        payloads,
        skipped: drift.skipped,
        skipped_first: drift.skipped_first,
        unreadable: drift.unreadable,
        unreadable_count: drift.unreadable_count,
        dropped,
        findings,
    }
}

/// The template of the member that holds `path`'s member (array levels skipped).
fn parent_member(path: &str) -> Option<&str> {
    let mut parent = path.rsplit_once('/')?.0;
    while let Some(up) = parent.strip_suffix("/*") {
        parent = up;
    }
    (!parent.is_empty()).then_some(parent)
}

fn never_seen(target: &Target, path: &str, payloads: usize) -> Finding {
    Finding {
        kind: "never-seen",
        target: target.to_string(),
        path: path.to_owned(),
        count: 0,
        first: String::new(),
        detail: format!("documented, absent from all {payloads} payload(s)"),
        proposal: format!(
            "register row: no traffic evidence for `{}` yet; keep it optional, and drop it only \
             when traffic that should show it never does",
            name_of(path)
        ),
        drift: false,
    }
}

impl Report {
    /// Writes the report in `format`. Paths and values came from payloads and file names, so
    /// text and Markdown escape what a terminal would obey.
    pub fn write(&self, format: Format, out: &mut dyn Write) -> io::Result<()> {
        match format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, self).map_err(io::Error::other)?;
                writeln!(out)
            }
            Format::Text => write_lines(out, &self.text()),
            Format::Markdown => write_lines(out, &self.markdown()),
        }
    }

    /// The closing line: what was walked and what was found.
    pub fn summary_line(&self) -> String {
        let walked: usize = self.payloads.values().sum();
        let per: Vec<String> = self
            .payloads
            .iter()
            .map(|(target, n)| format!("{target}: {n}"))
            .collect();
        let mut line = format!(
            "{walked} {} payload(s) walked ({}): {} drift finding(s), {} for information",
            self.api,
            if per.is_empty() {
                "none".to_owned()
            } else {
                per.join(", ")
            },
            self.drift(),
            self.findings.len() - self.drift()
        );
        if self.skipped > 0 {
            line.push_str(&format!(", {} skipped", self.skipped));
        }
        if self.unreadable_count > 0 {
            line.push_str(&format!(", {} unreadable", self.unreadable_count));
        }
        if self.dropped > 0 {
            line.push_str(&format!(", {} observation(s) past the caps", self.dropped));
        }
        line
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            let label = if f.drift { f.kind } else { "info" };
            let _ = write!(out, "{label}: {} {}", f.target, f.path);
            if f.count > 0 {
                let _ = write!(out, ": {}, {} time(s)", f.detail, f.count);
            } else {
                let _ = write!(out, ": {}", f.detail);
            }
            if !f.first.is_empty() {
                let _ = write!(out, " (first: {})", f.first);
            }
            let _ = writeln!(out, "\n  proposed: {}", f.proposal);
        }
        for (location, why) in &self.unreadable {
            let _ = writeln!(out, "error: cannot read {location}: {why}");
        }
        if let Some((location, why)) = &self.skipped_first {
            let _ = writeln!(
                out,
                "skipped {location} (and {} more): {why}",
                self.skipped - 1
            );
        }
        let _ = writeln!(out, "{}", self.summary_line());
        out
    }

    fn markdown(&self) -> String {
        let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
        let mut out = format!("# Drift: {}\n\n{}\n", self.api, self.summary_line());
        for (title, drift) in [("Drift", true), ("Information", false)] {
            let rows: Vec<&Finding> = self.findings.iter().filter(|f| f.drift == drift).collect();
            if rows.is_empty() {
                continue;
            }
            let _ = write!(
                out,
                "\n## {title}\n\n| Kind | Target | Path | Seen | Count | First | Proposed |\n|---|---|---|---|---|---|---|\n"
            );
            for f in rows {
                let _ = writeln!(
                    out,
                    "| {} | {} | `{}` | {} | {} | {} | {} |",
                    f.kind,
                    cell(&f.target),
                    cell(&f.path),
                    cell(&f.detail),
                    f.count,
                    cell(&f.first),
                    cell(&f.proposal)
                );
            }
        }
        if !self.unreadable.is_empty() {
            out.push_str("\n## Unreadable\n\n");
            for (location, why) in &self.unreadable {
                let _ = writeln!(out, "- `{}`: {}", cell(location), cell(why));
            }
        }
        out
    }
}
