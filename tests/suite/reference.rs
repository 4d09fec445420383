//! The pages other teams read: each API's `REFERENCE.md` and `CHANGELOG.md` are part of the
//! publication (listed in the index, drift-checked by `schemas --check`) and render on a code
//! host: every table row has its header's cell count, and every link lands on an anchor or file.
//! The generator's columns are unit-tested in `publish::reference`; the changelog's grouping in
//! `publish::changelog`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use backup_task_api::contract::Api;
use backup_task_api::publish::export;
use serde_json::Value;

use crate::support::BIN;

/// Every Markdown page of the publication, path to text: a reference and a changelog per API.
fn pages() -> Vec<(String, String)> {
    let pages: Vec<(String, String)> = export::publication()
        .expect("publication")
        .files()
        .filter(|(path, _)| path.ends_with(".md"))
        .map(|(path, bytes)| {
            (
                path.to_owned(),
                String::from_utf8(bytes.to_vec()).expect("pages are UTF-8"),
            )
        })
        .collect();
    assert_eq!(
        pages.len(),
        2 * Api::ALL.len(),
        "{:?}",
        pages.iter().map(|p| &p.0).collect::<Vec<_>>()
    );
    pages
}

#[test]
fn both_apis_publish_a_reference_and_a_changelog_listed_in_the_index() {
    let publication = export::publication().expect("publication");
    let index = publication.index().expect("index");
    let files: BTreeSet<&str> = index["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for api in Api::ALL {
        let entry = &index["apis"][api.name()];
        let reference = format!("{api}/v2/REFERENCE.md");
        let changelog = format!("{api}/CHANGELOG.md");
        assert_eq!(entry["reference"], reference.as_str());
        assert_eq!(entry["changelog"], changelog.as_str());
        assert!(files.contains(reference.as_str()), "{reference}");
        assert!(files.contains(changelog.as_str()), "{changelog}");
    }
}

/// The cells of a table line: pipes that are not backslash-escaped separate them (GFM).
fn cell_count(line: &str) -> usize {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut count = 1;
    let mut escaped = false;
    for c in inner.chars() {
        if c == '|' && !escaped {
            count += 1;
        }
        escaped = c == '\\' && !escaped;
    }
    count
}

#[test]
fn every_table_row_has_as_many_cells_as_its_header() {
    for (path, text) in pages() {
        let mut header: Option<usize> = None;
        for (number, line) in text.lines().enumerate() {
            if !line.starts_with('|') {
                header = None;
                continue;
            }
            let cells = cell_count(line);
            match header {
                None => header = Some(cells),
                Some(expected) => assert_eq!(
                    cells,
                    expected,
                    "{path}:{}: a stray or missing pipe: {line}",
                    number + 1
                ),
            }
        }
    }
}

/// GitHub's anchor for a heading: lower case, punctuation other than `-` and `_` dropped,
/// spaces as hyphens.
fn heading_slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// A Markdown text without its fenced blocks and code spans, where `](` is not a link.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // A code span closes at the next backtick run of the same length.
        let mut rest = line;
        while let Some(open) = rest.find('`') {
            out.push_str(&rest[..open]);
            let run = rest[open..].len() - rest[open..].trim_start_matches('`').len();
            let after = &rest[open + run..];
            let fence = "`".repeat(run);
            match after.find(&fence) {
                Some(close) => rest = after[close + run..].trim_start_matches('`'),
                None => {
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out.push('\n');
    }
    out
}

/// Every `](target)` of a Markdown text, outside code.
fn link_targets(text: &str) -> Vec<String> {
    prose(text)
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(target, _)| target.to_owned()))
        .collect()
}

#[test]
fn every_link_lands_on_an_anchor_or_a_published_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let published: BTreeSet<String> = export::publication()
        .expect("publication")
        .files()
        .map(|(path, _)| path.to_owned())
        .collect();
    let mut checked = 0;
    for (path, text) in pages() {
        let mut anchors: BTreeSet<String> = text
            .split("<a id=\"")
            .skip(1)
            .filter_map(|rest| rest.split_once('"').map(|(id, _)| id.to_owned()))
            .collect();
        anchors.extend(
            text.lines()
                .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("### ")))
                .map(heading_slug),
        );
        let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
        for target in link_targets(&text) {
            checked += 1;
            if let Some(fragment) = target.strip_prefix('#') {
                assert!(
                    anchors.contains(fragment),
                    "{path}: no anchor for #{fragment}"
                );
                continue;
            }
            // A relative link: a file of the publication, or (for the register, the release
            // copies) something the repository has beside it.
            let joined = format!("{dir}/{target}");
            let mut parts: Vec<&str> = Vec::new();
            for part in joined.split('/') {
                match part {
                    "" | "." => {}
                    ".." => {
                        parts.pop();
                    }
                    other => parts.push(other),
                }
            }
            let resolved = parts.join("/");
            let up = target.matches("../").count();
            let on_disk = if up > dir.split('/').count() {
                root.join("..").join(&resolved)
            } else {
                root.join(&resolved)
            };
            assert!(
                published.contains(&resolved) || on_disk.exists(),
                "{path}: link {target} leads nowhere ({})",
                on_disk.display()
            );
        }
    }
    assert!(checked > 200, "only {checked} links checked");
}

#[test]
fn each_changelog_has_an_unreleased_section_and_one_per_release() {
    for (path, text) in pages() {
        if !path.ends_with("CHANGELOG.md") {
            continue;
        }
        let unreleased = text.find("\n## Unreleased\n").expect("Unreleased");
        let first = text.find("\n## 1.0.0\n").expect("the 1.0.0 section");
        assert!(unreleased < first, "{path}: newest first");
        assert!(
            text[first..].contains("The first release of this contract"),
            "{path}"
        );
        assert!(
            text[unreleased..first].contains("No changes"),
            "{path}: the spec is release 1.0.0 as published"
        );
    }
}

/// `schemas --check` covers the pages like every other published file: an edited reference and
/// a deleted changelog are named, and the run fails.
#[test]
fn schemas_check_names_an_edited_reference_and_a_missing_changelog() {
    let dir = tempfile::tempdir().expect("tempdir");
    export::publication()
        .expect("publication")
        .write(dir.path())
        .expect("written");
    let reference = dir.path().join("cbr/v2/REFERENCE.md");
    let mut text = std::fs::read_to_string(&reference).expect("reference written");
    text.push_str("\nEdited by hand.\n");
    std::fs::write(&reference, text).expect("edit");
    std::fs::remove_file(dir.path().join("ocp/CHANGELOG.md")).expect("remove");

    let output = Command::new(BIN)
        .arg("schemas")
        .arg("--check")
        .arg(dir.path())
        .output()
        .expect("binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let lines: Vec<&str> = stdout
        .lines()
        .map(|l| l.strip_prefix(&*dir.path().to_string_lossy()).unwrap_or(l))
        .collect();
    assert_eq!(
        lines,
        [
            "/cbr/v2/REFERENCE.md: differs",
            "/ocp/CHANGELOG.md: missing"
        ]
    );
}
