//! `schemas`: the published directory is up to date, every file stands alone (its `$id`, title,
//! description, and references that resolve inside it), compiles, and gives the contract's verdict
//! on every fixture; `--check` names every stale file. The same files are cross-checked with ajv
//! and Python jsonschema by `.ci/run` (`.ci/crosscheck.mjs`, `.ci/crosscheck.py`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use backup_task_api::contract::{self, Api, Contract, Target};
use backup_task_api::publish::PublishError;
use backup_task_api::publish::export::{self, BASE_URI, Drift, DriftKind};
use serde_json::Value;

use crate::fixtures;
use crate::support::{fixtures_dir, root, run, settings, text};

fn published() -> PathBuf {
    root().join("schemas")
}

/// Every published schema file, path to document.
fn schema_files() -> BTreeMap<String, Value> {
    export::publication()
        .expect("publication")
        .files()
        .filter(|(path, _)| path.ends_with(".json") && *path != export::INDEX)
        .map(|(path, bytes)| {
            (
                path.to_owned(),
                serde_json::from_slice(bytes).expect("schema files are JSON"),
            )
        })
        .collect()
}

#[test]
fn the_checked_in_schemas_are_up_to_date() {
    let drift = export::publication()
        .expect("publication")
        .check(&published())
        .expect("schemas/ readable");
    assert!(
        drift.is_empty(),
        "schemas/ is stale; run `cargo run -- schemas --out schemas`: {drift:#?}"
    );
}

#[test]
fn every_file_stands_alone_with_id_title_and_description() {
    let files = schema_files();
    assert!(files.len() > 40, "{} files", files.len());
    for (path, document) in &files {
        assert_eq!(document["$schema"], contract::DIALECT, "{path}");
        let id = document["$id"].as_str().expect("$id");
        assert_eq!(id, format!("{BASE_URI}{path}"));
        let (api, major) = path.split_once('/').expect("api/...");
        assert!(
            api.parse::<Api>().is_ok() && major.starts_with("v2/"),
            "{path}"
        );
        assert!(
            document["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{path}"
        );
        assert!(
            document["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{path}"
        );
        for reference in refs(document) {
            let pointer = reference
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("{path}: {reference} leaves the file"));
            assert!(
                document.pointer(pointer).is_some(),
                "{path}: {reference} does not resolve"
            );
        }
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(document)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}

fn refs(value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| match (k.as_str(), v) {
                ("$ref", Value::String(r)) => vec![r.clone()],
                ("examples", _) => Vec::new(),
                _ => refs(v),
            })
            .collect(),
        Value::Array(items) => items.iter().flat_map(refs).collect(),
        _ => Vec::new(),
    }
}

/// The published file of a fixture's target, through the index.
fn file_for(index: &Value, api: Api, target: &Target) -> String {
    let entry = &index["apis"][api.name()];
    let found = match target {
        Target::Schema(name) => &entry["components"][name]["file"],
        Target::Response { status } => entry["responses"]
            .as_object()
            .expect("responses")
            .values()
            .map(|by_status| &by_status[status.to_string()]["file"])
            .find(|f| f.is_string())
            .unwrap_or(&Value::Null),
    };
    found.as_str().expect("the index names a file").to_owned()
}

#[test]
fn published_files_give_the_contract_verdict_on_every_fixture() {
    let publication = export::publication().expect("publication");
    let index = publication.index().expect("index");
    let files = schema_files();
    let validators: BTreeMap<&String, jsonschema::Validator> = files
        .iter()
        .map(|(path, doc)| {
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(doc)
                .expect("compiles");
            (path, validator)
        })
        .collect();
    let mut checked = 0;
    for pattern in ["cbr/*/*.json", "ocp/*/*.json"] {
        let dir = fixtures_dir();
        let paths = glob_cases(&dir, pattern);
        for path in paths {
            let case = fixtures::load(&path);
            let Ok(instance) = &case.instance else {
                continue; // Not JSON: no schema is consulted.
            };
            let file = file_for(&index, case.api, &case.target);
            let published = validators[&file].is_valid(instance);
            let contract = Contract::get(case.api)
                .expect("contract")
                .is_valid(&case.target, instance)
                .expect("target");
            assert_eq!(published, contract, "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked > 290, "{checked} cases");
}

fn glob_cases(base: &Path, pattern: &str) -> Vec<PathBuf> {
    let (api, _) = pattern.split_once('/').expect("api/...");
    let mut found = Vec::new();
    for verdict in ["valid", "invalid"] {
        for entry in std::fs::read_dir(base.join(api).join(verdict)).expect("fixture dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn output_is_deterministic_sorted_and_newline_terminated() {
    let first = export::publication().expect("publication");
    let second = export::publication().expect("publication");
    assert_eq!(first, second);
    for (path, bytes) in first.files() {
        assert_eq!(bytes.last(), Some(&b'\n'), "{path}");
        if path.ends_with(".json") {
            let value: Value = serde_json::from_slice(bytes).expect("JSON");
            assert!(keys_sorted(&value), "{path}");
        }
    }
}

fn keys_sorted(value: &Value) -> bool {
    match value {
        Value::Object(map) => {
            let keys: Vec<&String> = map.keys().collect();
            keys.windows(2).all(|w| w[0] < w[1]) && map.values().all(keys_sorted)
        }
        Value::Array(items) => items.iter().all(keys_sorted),
        _ => true,
    }
}

#[test]
fn check_names_every_differing_missing_and_extra_file_and_write_repairs_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let publication = export::publication().expect("publication");
    publication.write(root).expect("write");
    assert_eq!(publication.check(root).expect("check"), Vec::<Drift>::new());

    let differs = "cbr/v2/components/OperationLog.json";
    let missing = "ocp/v2/responses/list_log_backup_tasks/429.json";
    std::fs::write(root.join(differs), "{}\n").expect("write");
    std::fs::remove_file(root.join(missing)).expect("remove");
    std::fs::write(root.join("cbr/v2/components/Stale.json"), "{}\n").expect("write");
    // An earlier release copy is published history, not an extra file; a frozen copy of the
    // current version is not compared.
    std::fs::write(root.join("cbr/releases/0.9.0.yaml"), "old\n").expect("write");
    std::fs::write(root.join("ocp/releases/1.0.0.yaml"), "as first published\n").expect("write");

    let drift = publication.check(root).expect("check");
    let expected = [
        ("cbr/v2/components/OperationLog.json", DriftKind::Differs),
        ("cbr/v2/components/Stale.json", DriftKind::Extra),
        (missing, DriftKind::Missing),
    ]
    .map(|(path, kind)| Drift {
        path: path.to_owned(),
        kind,
    });
    assert_eq!(drift, expected);

    let out = run(&["schemas", "--check", &root.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout).replace(&root.display().to_string(), "DIR");
    assert_eq!(
        stdout,
        "DIR/cbr/v2/components/OperationLog.json: differs\n\
         DIR/cbr/v2/components/Stale.json: extra\n\
         DIR/ocp/v2/responses/list_log_backup_tasks/429.json: missing\n"
    );

    let report = publication.write(root).expect("rewrite");
    assert_eq!(report.written, [differs, missing]);
    // Stale.json was never in an index, so `write` leaves it (it deletes only what it wrote).
    assert!(report.removed.is_empty());
    std::fs::remove_file(root.join("cbr/v2/components/Stale.json")).expect("remove");
    assert!(publication.check(root).expect("check").is_empty());
    assert_eq!(
        std::fs::read_to_string(root.join("ocp/releases/1.0.0.yaml")).expect("frozen copy"),
        "as first published\n",
        "release copies are never rewritten"
    );
}

#[test]
fn write_removes_what_an_earlier_index_listed_and_no_longer_exists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let publication = export::publication().expect("publication");
    publication.write(root).expect("write");
    let index_path = root.join(export::INDEX);
    let mut index: Value =
        serde_json::from_str(&std::fs::read_to_string(&index_path).expect("index")).expect("JSON");
    // As if an earlier major had been published: v0 files listed in the old index.
    std::fs::create_dir_all(root.join("cbr/v0")).expect("mkdir");
    std::fs::write(root.join("cbr/v0/openapi.yaml"), "old\n").expect("write");
    let files = index["files"].as_array_mut().expect("files");
    files.push("cbr/v0/openapi.yaml".into());
    std::fs::write(&index_path, serde_json::to_vec(&index).expect("JSON")).expect("write");

    let report = publication.write(root).expect("write");
    assert_eq!(report.removed, ["cbr/v0/openapi.yaml"]);
    assert_eq!(report.written, [export::INDEX]);
    assert!(publication.check(root).expect("check").is_empty());
}

#[test]
fn the_command_writes_then_checks_clean_and_needs_a_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("published");
    let shown = out_dir.display().to_string();
    let out = run(&["schemas", "--out", &shown]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("0 unchanged, 0 removed"));
    let out = run(&["schemas", "--check", &shown]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(text(&out.stdout), "");
    let out = run(&["schemas"]);
    assert_eq!(out.status.code(), Some(2), "--out or --check is required");
    let out = run(&["schemas", "--out", &shown, "--check"]);
    assert_eq!(out.status.code(), Some(2), "not both");
    // The default directory is schemas/, which is up to date.
    let out = run(&["schemas", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn the_index_lists_every_api_component_and_response() {
    let index = export::publication()
        .expect("publication")
        .index()
        .expect("index");
    for api in Api::ALL {
        let entry = &index["apis"][api.name()];
        let components = entry["components"].as_object().expect("components");
        let spec = api.spec().expect("spec");
        let names = spec["components"]["schemas"].as_object().expect("schemas");
        assert_eq!(components.len(), names.len(), "{api}");
        let statuses: usize = entry["responses"]
            .as_object()
            .expect("responses")
            .values()
            .map(|s| s.as_object().map_or(0, |s| s.len()))
            .sum();
        assert_eq!(
            statuses,
            contract::documented_responses(api)
                .expect("responses")
                .len()
        );
        assert_eq!(entry["openapi"], format!("{api}/v2/openapi.yaml"));
        assert_eq!(entry["release"], format!("{api}/releases/2.0.0.yaml"));
    }
}

#[test]
fn help_is_snapshotted() {
    let out = run(&["schemas", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    settings().bind(|| insta::assert_snapshot!("cli_schemas_help", text(&out.stdout)));
}

/// A directory with `out/` (the output directory, already published into) beside a file and a
/// directory outside it that a planted link or index entry aims at.
struct Hostile {
    _dir: tempfile::TempDir,
    out: PathBuf,
    victim: PathBuf,
    victim_dir: PathBuf,
}

const VICTIM: &str = "not yours to overwrite\n";

fn hostile() -> Hostile {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    export::publication()
        .expect("publication")
        .write(&out)
        .expect("a clean first write");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, VICTIM).expect("write victim");
    let victim_dir = dir.path().join("elsewhere");
    std::fs::create_dir(&victim_dir).expect("mkdir");
    std::fs::write(victim_dir.join("openapi.yaml"), VICTIM).expect("write");
    Hostile {
        _dir: dir,
        out,
        victim,
        victim_dir,
    }
}

impl Hostile {
    /// Replaces `out/relative` (a file or a directory) with a symbolic link to `target`.
    fn plant(&self, relative: &str, target: &Path) -> PathBuf {
        let link = self.out.join(relative);
        if link.is_dir() {
            std::fs::remove_dir_all(&link).expect("rm -r");
        } else if link.exists() {
            std::fs::remove_file(&link).expect("rm");
        }
        std::os::unix::fs::symlink(target, &link).expect("symlink");
        link
    }

    /// Adds `entries` to `out/index.json`'s file list, as an earlier run might have listed them.
    fn list_in_index(&self, entries: &[&str]) {
        let path = self.out.join(export::INDEX);
        let mut index: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("index")).expect("JSON");
        let files = index["files"].as_array_mut().expect("files");
        files.extend(entries.iter().map(|e| Value::from(*e)));
        std::fs::write(&path, serde_json::to_vec(&index).expect("JSON")).expect("write");
    }

    /// Runs `schemas MODE out` and asserts exit 2 with `named` in the message.
    fn refused(&self, mode: &str, named: &str) {
        let out = run(&["schemas", mode, &self.out.display().to_string()]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{mode}: {stderr}");
        assert!(
            stderr.contains(named),
            "{mode}: {named} not named in: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }

    fn assert_untouched(&self) {
        assert_eq!(
            std::fs::read_to_string(&self.victim).expect("the victim still exists"),
            VICTIM
        );
        let mut outside: Vec<String> = std::fs::read_dir(&self.victim_dir)
            .expect("elsewhere")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        outside.sort();
        assert_eq!(outside, ["openapi.yaml"], "nothing created outside");
        assert_eq!(
            std::fs::read_to_string(self.victim_dir.join("openapi.yaml")).expect("kept"),
            VICTIM
        );
    }
}

/// Regression (issue 9, item 11): with a link planted where `schemas --out` writes a file (one it
/// rewrites, and the index it always reads and writes), it wrote through the link, outside the
/// directory.
#[test]
fn a_link_planted_for_a_written_file_is_refused_and_not_followed() {
    for relative in ["cbr/v2/components/OperationLog.json", export::INDEX] {
        let h = hostile();
        let link = h.plant(relative, &h.victim);
        let shown = link.display().to_string();
        h.refused("--out", &shown);
        h.refused("--check", &shown);
        h.assert_untouched();
        let publication = export::publication().expect("publication");
        match publication.write(&h.out) {
            Err(PublishError::Symlink { path }) => assert_eq!(path, link),
            other => panic!("{relative}: expected a refused link, got {other:?}"),
        }
        assert!(
            std::fs::symlink_metadata(&link)
                .expect("still there")
                .file_type()
                .is_symlink(),
            "refused before any change"
        );
        h.assert_untouched();
    }
}

/// Regression (issue 9, item 11): a link planted for a directory on the way (and for the output
/// directory itself) made `schemas --out` create and rewrite files in the directory it aims at.
#[test]
fn a_link_planted_for_a_directory_on_the_way_is_refused() {
    let h = hostile();
    let link = h.plant("ocp/v2", &h.victim_dir);
    h.refused("--out", &link.display().to_string());
    h.refused("--check", &link.display().to_string());
    h.assert_untouched();

    let h = hostile();
    let real = h.out.with_file_name("real-out");
    std::fs::rename(&h.out, &real).expect("mv");
    std::os::unix::fs::symlink(&h.victim_dir, &h.out).expect("symlink");
    h.refused("--out", &h.out.display().to_string());
    h.refused("--check", &h.out.display().to_string());
    // With a trailing `/` the system would resolve the link; it is refused all the same.
    let slash = format!("{}/", h.out.display());
    let out = run(&["schemas", "--out", &slash]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    h.assert_untouched();
}

/// Regression (issue 9, item 11): `schemas --out` deletes what the previous index lists and no
/// longer generates; an entry leaving the directory (`..`, absolute), passing through a planted
/// link, or naming a write-once release copy is refused with the entry named, and nothing is
/// deleted or written.
#[test]
fn index_entries_outside_the_directory_are_refused_never_deleted() {
    for (entry, named) in [
        (
            "../victim.txt",
            "\"../victim.txt\" is absolute or leaves the directory",
        ),
        ("ABSOLUTE", "is absolute or leaves the directory"),
        ("cbr/v2/../../../victim.txt", "leaves the directory"),
        (
            "cbr/releases/1.0.0.yaml",
            "is a release copy, which is never removed",
        ),
    ] {
        let h = hostile();
        let absolute = h.victim.display().to_string();
        let entry = if entry == "ABSOLUTE" {
            &absolute
        } else {
            entry
        };
        h.list_in_index(&[entry]);
        let index_before = std::fs::read(h.out.join(export::INDEX)).expect("index");
        h.refused("--out", named);
        h.assert_untouched();
        assert!(h.out.join("cbr/releases/2.0.0.yaml").is_file(), "{entry}");
        assert_eq!(
            std::fs::read(h.out.join(export::INDEX)).expect("index"),
            index_before,
            "{entry}: refused before any change"
        );
    }
    let h = hostile();
    // An entry inside the directory whose way passes a planted link: `out/cbr/v0` -> elsewhere.
    h.plant("cbr/v0", &h.victim_dir);
    h.list_in_index(&["cbr/v0/openapi.yaml"]);
    h.refused("--out", &h.out.join("cbr/v0").display().to_string());
    h.assert_untouched();
    // A control character in an entry is shown escaped, not sent to the terminal.
    let h2 = hostile();
    h2.list_in_index(&["../\u{1b}[2Jx"]);
    h2.refused("--out", r"\x1b[2Jx");
    // An index that is not one `schemas` wrote is not guessed at: nothing it lists is deleted,
    // and it is not overwritten.
    let h3 = hostile();
    std::fs::write(h3.out.join(export::INDEX), "not an index\n").expect("write");
    h3.refused("--out", "not JSON");
    assert_eq!(
        std::fs::read_to_string(h3.out.join(export::INDEX)).expect("index"),
        "not an index\n"
    );
}

/// A link elsewhere in the tree is not entered by `--check`: it is an extra file.
#[test]
fn check_reports_a_stray_link_as_extra_without_entering_it() {
    let h = hostile();
    std::os::unix::fs::symlink(&h.victim_dir, h.out.join("cbr/v2/stray")).expect("symlink");
    let drift = export::publication()
        .expect("publication")
        .check(&h.out)
        .expect("check");
    assert_eq!(
        drift,
        [Drift {
            path: "cbr/v2/stray".into(),
            kind: DriftKind::Extra
        }]
    );
}
