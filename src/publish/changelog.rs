//! `CHANGELOG.md`: what changed in each API's contract, release by release, published as
//! `{api}/CHANGELOG.md`.
//!
//! Each section is [`diff`] between a release copy (`schemas/{api}/releases/{version}.yaml`) and
//! the release before it, grouped by impact (breaking, strict readers, compatible, documentation);
//! the first release says so. "Unreleased" is the current spec against the newest release. The
//! release copies are embedded at build time (`build.rs`), so the changelog is a function of the
//! source tree, like everything else `schemas` writes, and drift-checked with it.

use std::fmt::Write as _;

use serde_json::Value;

use super::diff::{self, Change, Impact, Report, Side};
use super::markdown::{code, escape};
use super::{PublishError, Version};
use crate::contract::Api;

include!(concat!(env!("OUT_DIR"), "/releases.rs"));

/// The file name of the changelog inside `{api}/`.
pub const FILE: &str = "CHANGELOG.md";

/// One published version of a spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    /// Its `info.version`.
    pub version: Version,
    /// The spec as released.
    pub spec: Value,
}

/// The release copies of `api` compiled into this crate, oldest first, plus `current` (the spec,
/// whose `info.version` is `current_version`) when that version has no copy yet: `schemas --out`
/// writes it in the same run that writes the changelog.
pub fn releases(
    api: Api,
    spec: &Value,
    current_version: Version,
) -> Result<Vec<Release>, PublishError> {
    let mut found = Vec::new();
    for (name, version, text) in RELEASES {
        if *name != api.name() {
            continue;
        }
        // build.rs embeds every `*.yaml`; only `MAJOR.MINOR.PATCH.yaml` is a release copy.
        let Some(parsed) = Version::parse(version) else {
            continue;
        };
        let spec: Value = crate::yaml::from_str(text).map_err(|source| PublishError::Release {
            path: format!("{api}/releases/{version}.yaml"),
            source,
        })?;
        found.push(Release {
            version: parsed,
            spec,
        });
    }
    if !found.iter().any(|r| r.version == current_version) {
        found.push(Release {
            version: current_version,
            spec: spec.clone(),
        });
    }
    found.sort_by_key(|r| r.version);
    Ok(found)
}

/// Renders the changelog of `api`: "Unreleased" (`spec` against the newest of `releases`), then
/// every release, newest first, against the one before it. Fails only where `diff` refuses a pair
/// (schemas nested past its limit).
pub fn render(api: Api, spec: &Value, releases: &[Release]) -> Result<String, PublishError> {
    let title = spec
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or(api.name());
    let version = spec
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let major = Version::parse(version).map_or_else(String::new, |v| v.major.to_string());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!-- Generated from {} and the release copies in releases/ by `backup-task-api schemas`; do not edit. -->\n",
        api.spec_path()
    );
    let _ = writeln!(out, "# {}: changelog\n", escape(title));
    let _ = writeln!(
        out,
        "Every change to the contract, release by release, as `backup-task-api diff` classifies \
         it between each release copy in [`releases/`](releases/) and the one before it. \
         **Breaking** changes need a new major; **strict readers** changes (new response enum \
         values, looser response bounds) break only readers that validate strictly or use closed \
         enums, not this crate's tolerant reader; **compatible** changes keep every existing caller \
         and reader working; **documentation** changes alter no message. The current contract is \
         described in [`v{major}/REFERENCE.md`](v{major}/REFERENCE.md).\n"
    );

    out.push_str("## Unreleased\n\n");
    match releases.last() {
        Some(newest) => {
            let report = diff::diff(&newest.spec, spec).map_err(compare_error)?;
            if report.changes.is_empty() {
                let _ = writeln!(
                    out,
                    "No changes: {} (info.version {version}) is release {} as published.\n",
                    code(api.spec_path()),
                    newest.version
                );
            } else {
                let _ = writeln!(
                    out,
                    "Changes in {} (info.version {version}) since release {}; suggested bump {}.\n",
                    code(api.spec_path()),
                    newest.version,
                    report.bump(false)
                );
                changes(&mut out, &report);
            }
        }
        None => out.push_str("Nothing is released yet.\n\n"),
    }

    for (i, release) in releases.iter().enumerate().rev() {
        let _ = writeln!(out, "## {}\n", release.version);
        let Some(previous) = i.checked_sub(1).and_then(|p| releases.get(p)) else {
            out.push_str(&first_release(&release.spec));
            continue;
        };
        let report = diff::diff(&previous.spec, &release.spec).map_err(compare_error)?;
        if report.changes.is_empty() {
            let _ = writeln!(
                out,
                "No changes to the contract since {}.\n",
                previous.version
            );
            continue;
        }
        let _ = writeln!(
            out,
            "Against {}: suggested bump {}{}.\n",
            previous.version,
            report.bump(false),
            if report.major_raised() == Some(true) {
                ", new major"
            } else {
                ""
            }
        );
        changes(&mut out, &report);
    }
    Ok(out)
}

fn compare_error(source: diff::DiffError) -> PublishError {
    PublishError::Compare {
        source: Box::new(source),
    }
}

/// The changes of a report, one list per impact, in the report's order.
fn changes(out: &mut String, report: &Report) {
    for (impact, heading) in [
        (Impact::Breaking, "Breaking"),
        (Impact::StrictReaders, "Breaking only strict readers"),
        (Impact::Compatible, "Compatible"),
        (Impact::Documentation, "Documentation"),
    ] {
        let group: Vec<&Change> = report
            .changes
            .iter()
            .filter(|c| c.impact == impact)
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {heading}\n");
        for change in group {
            let side = match change.side {
                Side::Request => "request",
                Side::Response => "response",
            };
            let _ = write!(out, "- {side}, {}", code(&change.operation));
            if !change.location.is_empty() {
                let _ = write!(out, " {}", code(&change.location));
            }
            let _ = writeln!(
                out,
                ": {} ({})",
                escape(&change.message),
                code(change.rule.id())
            );
        }
        out.push('\n');
    }
}

/// The section of the first release: what it contains.
fn first_release(spec: &Value) -> String {
    let mut out = String::from("The first release of this contract:\n\n");
    let mut operations: Vec<String> = Vec::new();
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let Some(responses) = op.get("responses").and_then(Value::as_object) else {
                    continue;
                };
                let mut statuses: Vec<&String> = responses.keys().collect();
                statuses.sort();
                let id = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map_or_else(String::new, |id| format!(" ({})", code(id)));
                let parameters = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
                operations.push(format!(
                    "- {}{id}: {parameters} parameter(s), responses {}\n",
                    code(&format!("{} {path}", method.to_uppercase())),
                    statuses.join(", ")
                ));
            }
        }
    }
    operations.sort();
    for line in operations {
        out.push_str(&line);
    }
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map_or(0, |s| s.len());
    let _ = writeln!(
        out,
        "- {schemas} component schema(s), each published as a JSON Schema file\n"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(version: &str, limit_max: u32, statuses: &[&str], note: &str) -> Value {
        serde_json::json!({
            "openapi": "3.0.3",
            "info": {"title": "Items", "version": version, "description": note},
            "paths": {"/items": {"get": {
                "operationId": "list_items",
                "parameters": [{"name": "limit", "in": "query", "schema":
                    {"type": "integer", "maximum": limit_max}}],
                "responses": {"200": {"description": "OK", "content": {"application/json":
                    {"schema": {"$ref": "#/components/schemas/Item"}}}}},
            }}},
            "components": {"schemas": {"Item": {
                "type": "object",
                "properties": {"status": {"type": "string", "enum": statuses}},
            }}},
        })
    }

    fn release(version: &str, spec: Value) -> Release {
        Release {
            version: Version::parse(version).expect("version"),
            spec,
        }
    }

    #[test]
    fn each_release_is_diffed_with_the_one_before_and_grouped_by_impact() {
        let v1 = spec("1.0.0", 100, &["ok"], "first");
        let v11 = spec("1.1.0", 200, &["ok", "late"], "second");
        let current = spec("1.1.0", 50, &["ok", "late"], "second");
        let text = render(
            Api::Cbr,
            &current,
            &[release("1.0.0", v1), release("1.1.0", v11)],
        )
        .expect("renders");
        let unreleased = section(&text, "## Unreleased");
        assert!(
            unreleased.contains("since release 1.1.0; suggested bump major"),
            "{unreleased}"
        );
        assert!(unreleased.contains("### Breaking\n"), "{unreleased}");
        assert!(unreleased.contains("(`bounds-tightened`)"), "{unreleased}");

        let minor = section(&text, "## 1.1.0");
        assert!(
            minor.contains("Against 1.0.0: suggested bump minor."),
            "{minor}"
        );
        assert!(
            minor.contains("### Breaking only strict readers\n"),
            "{minor}"
        );
        assert!(minor.contains("(`enum-widened`)"), "{minor}");
        assert!(minor.contains("### Compatible\n"), "{minor}");
        assert!(minor.contains("(`bounds-loosened`)"), "{minor}");
        assert!(minor.contains("### Documentation\n"), "{minor}");
        assert!(!minor.contains("### Breaking\n"), "{minor}");

        let first = section(&text, "## 1.0.0");
        assert!(first.contains("The first release"), "{first}");
        assert!(first.contains("`GET /items` (`list_items`): 1 parameter(s), responses 200"));

        // Newest first.
        let at = |h: &str| text.find(h).expect(h);
        assert!(at("## Unreleased") < at("## 1.1.0") && at("## 1.1.0") < at("## 1.0.0"));
    }

    #[test]
    fn a_spec_equal_to_its_release_has_nothing_unreleased() {
        let v1 = spec("1.0.0", 100, &["ok"], "first");
        let text = render(Api::Ocp, &v1, &[release("1.0.0", v1.clone())]).expect("renders");
        assert!(
            section(&text, "## Unreleased")
                .contains("No changes: `openapi/ocp-log-backup-tasks.yaml`"),
            "{text}"
        );
    }

    #[test]
    fn the_current_version_counts_as_released_when_it_has_no_copy_yet() {
        let spec = Api::Cbr.spec().expect("spec");
        let version = Version::parse("9.9.9").expect("version");
        let found = releases(Api::Cbr, spec, version).expect("releases parse");
        assert_eq!(found.last().map(|r| r.version), Some(version));
        assert!(
            found.len() >= 2,
            "the embedded 1.0.0 copy and the new version"
        );
    }

    fn section<'t>(text: &'t str, heading: &str) -> &'t str {
        let start = text.find(heading).expect(heading);
        let rest = &text[start + heading.len()..];
        let end = rest.find("\n## ").map_or(rest.len(), |e| e + 1);
        &rest[..end]
    }
}
