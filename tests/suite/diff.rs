//! `diff`: one pair of small specs per rule under `tests/fixtures/diff/<rule>/{old,new}.yaml`,
//! with the expected classification in `expect.json` (the exact `(rule, side, impact)` list and the
//! suggested bump), run with `insta::glob!` so a new pair is a new case with no code change.
//! Directories named `scenario-*` pin what must not be reported, or how references are followed.

use std::path::Path;

use backup_task_api::contract::Api;
use backup_task_api::publish::diff::{self, Bump, Rule};
use serde_json::Value;

use crate::support::{fixtures_dir, run, settings, text};

fn triples(changes: &Value) -> Vec<(String, String, String)> {
    let mut found: Vec<(String, String, String)> = changes
        .as_array()
        .expect("a list of changes")
        .iter()
        .map(|c| {
            let field = |k: &str| c[k].as_str().expect("string field").to_owned();
            (field("rule"), field("side"), field("impact"))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn each_fixture_pair_gets_its_expected_classification() {
    let base = fixtures_dir().join("diff");
    settings().bind(|| {
        insta::glob!(&base, "*/old.yaml", |old_path| {
            let dir = old_path.parent().expect("a case directory");
            let old = diff::load(old_path).expect("old.yaml loads");
            let new = diff::load(&dir.join("new.yaml")).expect("new.yaml loads");
            let expect: Value = serde_json::from_str(
                &std::fs::read_to_string(dir.join("expect.json")).expect("expect.json"),
            )
            .expect("expect.json is JSON");
            let report = diff::diff(&old, &new).expect("the pair compares");
            let found = triples(&serde_json::to_value(&report.changes).expect("serialises"));
            assert_eq!(
                found,
                triples(&expect["changes"]),
                "{}:\n{}",
                dir.display(),
                report.to_text(false)
            );
            assert_eq!(
                Some(report.bump(false).to_string().as_str()),
                expect["bump"].as_str(),
                "{}",
                dir.display()
            );
            for change in &report.changes {
                assert!(
                    change.rule.impacts(change.side).contains(&change.impact),
                    "{}: {} gave {} on the {} side, which its policy does not list",
                    dir.display(),
                    change.rule,
                    change.impact,
                    change.side
                );
            }
            insta::assert_snapshot!(report.to_text(false));
        });
    });
}

#[test]
fn every_rule_has_a_fixture_pair_named_after_it() {
    let base = fixtures_dir().join("diff");
    for rule in Rule::ALL {
        let rule = rule.id();
        let dir = base.join(rule);
        assert!(
            dir.join("old.yaml").is_file() && dir.join("new.yaml").is_file(),
            "no fixture pair for rule {rule} in {}",
            dir.display()
        );
        let expect = std::fs::read_to_string(dir.join("expect.json")).expect("expect.json");
        assert!(
            expect.contains(&format!("\"rule\": \"{rule}\"")),
            "{rule}: its pair does not produce it"
        );
    }
    for entry in std::fs::read_dir(&base).expect("fixtures/diff") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            name.starts_with("scenario-") || Rule::ALL.iter().any(|rule| rule.id() == name),
            "{name}: a pair is named after a rule or starts with scenario-"
        );
    }
}

#[test]
fn each_spec_diffed_against_itself_reports_nothing() {
    for api in Api::ALL {
        let spec = api.spec().expect("spec parses");
        let report = diff::diff(spec, spec).expect("the spec compares");
        assert!(report.changes.is_empty(), "{api}: {:#?}", report.changes);
        assert_eq!(report.bump(true), Bump::None);
        assert!(report.version_allows(true));
    }
}

#[test]
fn the_rules_are_all_different_and_described() {
    let mut names: Vec<&str> = Rule::ALL.iter().map(|rule| rule.id()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Rule::ALL.len());
    assert!(Rule::ALL.iter().all(|rule| !rule.description().is_empty()));
}

/// Where the README's diff policy table starts and ends: the lines between are generated.
const TABLE_START: &str = "<!-- diff policy table: generated from publish::diff::Rule::ALL";
const TABLE_END: &str = "<!-- end of the diff policy table -->";

/// The README's diff policy table as `Rule::ALL` says it: one row per rule, its description, its
/// policy on each side (empty where it reports nothing), and its id.
fn policy_table() -> String {
    use backup_task_api::publish::diff::Side;
    let mut table = String::from("| Change | Requests | Responses | Rule |\n|---|---|---|---|\n");
    for rule in Rule::ALL {
        let when = |side| rule.policy(side).map_or("", |p| p.when);
        table.push_str(&format!(
            "| {} | {} | {} | `{}` |\n",
            rule.description(),
            when(Side::Request),
            when(Side::Response),
            rule.id()
        ));
    }
    table
}

/// The policy table in the README is `Rule::ALL`: a rule added, renamed or reclassified without
/// the README following fails here. `BTA_WRITE_README=1` (outside CI) writes the table instead.
#[test]
fn the_readme_policy_table_is_rule_all() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let start = readme
        .find(TABLE_START)
        .expect("the README marks the table's start");
    // The marker is an HTML comment that may span lines: the table starts after its `-->`.
    let start = start
        + readme[start..]
            .find("-->\n")
            .expect("the marker comment ends")
        + 4;
    let end = start
        + readme[start..]
            .find(TABLE_END)
            .expect("the README marks the table's end");
    let expected = policy_table();
    if readme[start..end] == expected {
        return;
    }
    if std::env::var_os("BTA_WRITE_README").is_some() && std::env::var_os("CI").is_none() {
        let written = format!("{}{expected}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, written).expect("README.md written");
        return;
    }
    panic!(
        "the README's diff policy table is not Rule::ALL; run \
         `BTA_WRITE_README=1 cargo test --test suite the_readme_policy_table` to write it:\n{expected}"
    );
}

fn case(rule: &str, file: &str) -> String {
    Path::new("tests/fixtures/diff")
        .join(rule)
        .join(file)
        .display()
        .to_string()
}

#[test]
fn breaking_changes_exit_1_and_compatible_ones_exit_0() {
    let out = run(&[
        "diff",
        &case("parameter-removed", "old.yaml"),
        &case("parameter-removed", "new.yaml"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("suggested bump: major"));
    let out = run(&[
        "diff",
        &case("enum-widened", "old.yaml"),
        &case("enum-widened", "new.yaml"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("suggested bump: minor"));
    // With --strict, a new response enum value breaks (strict readers have closed enums).
    let out = run(&[
        "diff",
        "--strict",
        &case("enum-widened", "old.yaml"),
        &case("enum-widened", "new.yaml"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("suggested bump: major"));
}

#[test]
fn json_output_carries_the_counts_the_bump_and_every_change() {
    let out = run(&[
        "diff",
        "--format",
        "json",
        &case("required-added", "old.yaml"),
        &case("required-added", "new.yaml"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    settings().bind(|| insta::assert_json_snapshot!("diff_json_required_added", report));
}

#[test]
fn check_version_passes_a_breaking_change_only_with_a_raised_major() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = case("property-removed", "old.yaml");
    let new_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(case("property-removed", "new.yaml")),
    )
    .expect("new.yaml");
    for (version, expected) in [("1.0.1", 1), ("1.1.0", 1), ("2.0.0", 0)] {
        let path = dir.path().join(format!("{version}.yaml"));
        let bumped = new_text.replace("version: 1.0.0", &format!("version: {version}"));
        assert_ne!(bumped, new_text, "the fixture names its version");
        std::fs::write(&path, bumped).expect("write");
        let out = run(&["diff", "--check-version", &old, &path.display().to_string()]);
        assert_eq!(
            out.status.code(),
            Some(expected),
            "{version}: {}",
            text(&out.stderr)
        );
    }
    // A compatible change passes whatever the version says.
    let out = run(&[
        "diff",
        "--check-version",
        &case("status-added", "old.yaml"),
        &case("status-added", "new.yaml"),
    ]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_release_directory_as_old_picks_the_baseline() {
    let out = run(&[
        "diff",
        "--check-version",
        "schemas/cbr/releases",
        "openapi/cbr-operation-logs.yaml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("baseline: schemas/cbr/releases/2.0.0.yaml"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "openapi: 3.0.3\npaths: [\n").expect("write");
    let not_openapi = dir.path().join("list.yaml");
    std::fs::write(&not_openapi, "- a\n- b\n").expect("write");
    let swagger = dir.path().join("swagger.yaml");
    std::fs::write(&swagger, "swagger: '2.0'\ninfo: {title: t, version: '1'}\n").expect("write");
    let good = case("status-added", "old.yaml");
    for (path, says) in [
        (&broken, "is not valid YAML or JSON"),
        (
            &not_openapi,
            "is not an OpenAPI 3 document: the top level is not a mapping",
        ),
        (
            &swagger,
            "is not an OpenAPI 3 document: no `openapi` version string",
        ),
        (&dir.path().join("absent.yaml"), "cannot read"),
    ] {
        let shown = path.display().to_string();
        let out = run(&["diff", &shown, &good]);
        assert_eq!(out.status.code(), Some(2), "{shown}");
        let err = text(&out.stderr);
        assert!(err.contains(&shown) && err.contains(says), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = run(&["diff", &good]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing argument is a usage error"
    );
}

#[test]
fn help_is_snapshotted() {
    let out = run(&["diff", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    settings().bind(|| insta::assert_snapshot!("cli_diff_help", text(&out.stdout)));
}

/// A spec whose response schema `L0` has `width` properties each referring to `L1`, and so on
/// down to `L{levels}`, a string (or `leaf`): `width^levels` paths through `levels + 1` schemas.
fn fan_out(levels: usize, width: usize, leaf: &str) -> Value {
    let mut schemas = serde_json::Map::new();
    for level in 0..levels {
        let properties: serde_json::Map<String, Value> = (0..width)
            .map(|i| {
                let name = char::from(b'a' + u8::try_from(i).expect("a small width"));
                let reference = format!("#/components/schemas/L{}", level + 1);
                (name.to_string(), serde_json::json!({ "$ref": reference }))
            })
            .collect();
        schemas.insert(
            format!("L{level}"),
            serde_json::json!({"type": "object", "properties": properties}),
        );
    }
    schemas.insert(format!("L{levels}"), serde_json::json!({ "type": leaf }));
    serde_json::json!({
        "openapi": "3.0.3",
        "info": {"title": "fan-out", "version": "1.0.0"},
        "paths": {"/fan": {"get": {"responses": {"200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/L0"}}}
        }}}}},
        "components": {"schemas": schemas}
    })
}

/// Regression (issue 9, item 12): every path through a `$ref` fan-out was walked, so 20 levels
/// of 2 properties took 5.7 s and 516 MB (a million copies of the one change). Each pair of
/// schemas is now compared once per place: the change at the leaf is reported once, at the first
/// path that reaches it.
#[test]
fn a_reference_fan_out_is_compared_once_per_pair_of_schemas() {
    for (levels, width) in [(8, 2), (20, 4)] {
        let (old, new) = (
            fan_out(levels, width, "string"),
            fan_out(levels, width, "integer"),
        );
        let report = diff::diff(&old, &new).expect("compares");
        let first_path = vec!["a"; levels].join(".");
        assert_eq!(
            report.changes,
            [diff::Change {
                side: diff::Side::Response,
                impact: diff::Impact::Breaking,
                operation: "GET /fan".into(),
                location: format!("response 200 application/json: {first_path}"),
                rule: Rule::TypeChanged,
                message: "type changed from string to integer".into(),
            }],
            "{levels} levels of {width}"
        );
        let same = diff::diff(&old, &old).expect("compares");
        assert!(same.changes.is_empty(), "{:#?}", same.changes);
    }
    // The same through the command, which also loads the files.
    let dir = tempfile::tempdir().expect("tempdir");
    let (old, new) = (dir.path().join("old.json"), dir.path().join("new.json"));
    for (path, leaf) in [(&old, "string"), (&new, "integer")] {
        std::fs::write(path, fan_out(20, 4, leaf).to_string()).expect("write");
    }
    let out = run(&[
        "diff",
        &old.display().to_string(),
        &new.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("\n1 change(s): 1 breaking (0 request, 1 response)"),
        "{}",
        text(&out.stdout)
    );
}

/// Regression (issue 9, item 12): a chain of ever new schemas deeper than the walk's limit is an
/// error naming where it stopped (it was silently cut at 64 levels, leaving changes below out).
#[test]
fn schemas_nested_past_the_limit_are_refused_naming_the_place() {
    let (old, new) = (fan_out(200, 1, "string"), fan_out(200, 1, "integer"));
    let error = diff::diff(&old, &new).expect_err("too deep");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "schemas nest deeper than {} levels at GET /fan response 200 application/json: a.a.a.",
            diff::MAX_SCHEMA_DEPTH
        )),
        "{message}"
    );
    assert!(matches!(
        error,
        diff::DiffError::SchemaTooDeep { limit: 128, .. }
    ));
    // One level less than the limit still compares, and finds the change at the bottom.
    let report = diff::diff(
        &fan_out(diff::MAX_SCHEMA_DEPTH - 1, 1, "string"),
        &fan_out(diff::MAX_SCHEMA_DEPTH - 1, 1, "integer"),
    )
    .expect("within the limit");
    assert_eq!(report.changes.len(), 1, "{:#?}", report.changes);
}

/// Regression (issue 9, item 12): 200 KB of nested YAML flow sequences took 17 s in the parser
/// (libyaml scans the whole document, doing work proportional to the nesting for each token,
/// before serde_yaml's recursion limit applies). Nesting past the limit, in flow or block style or
/// as JSON, and a file past the size limit are refused with an error naming the file.
#[test]
fn deep_nesting_and_oversized_files_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = case("status-added", "old.yaml");
    let limit = diff::MAX_NESTING;
    let block: String = (0..=limit)
        .map(|level| format!("{}k:\n", "  ".repeat(level)))
        .chain([format!("{}leaf: 1\n", "  ".repeat(limit + 1))])
        .collect();
    let cases = [
        ("flow.yaml", format!("x: {}\n", "[".repeat(100_000))),
        (
            "flow-closed.yaml",
            format!("x: {}{}\n", "[".repeat(200), "]".repeat(200)),
        ),
        ("block.yaml", format!("openapi: 3.0.3\n{block}")),
        (
            "deep.json",
            format!("{}1{}", "{\"a\":".repeat(limit + 1), "}".repeat(limit + 1)),
        ),
    ];
    for (name, content) in &cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("write");
        let shown = path.display().to_string();
        let out = run(&["diff", &shown, &good]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.contains(&format!("{shown} nests deeper than {limit} levels at line")),
            "{name}: {err}"
        );
    }
    // At the limit it parses (and is then not an OpenAPI document).
    let at_limit = dir.path().join("at-limit.json");
    std::fs::write(
        &at_limit,
        format!("{}1{}", "[".repeat(limit), "]".repeat(limit)),
    )
    .expect("write");
    let out = run(&["diff", &at_limit.display().to_string(), &good]);
    assert!(
        text(&out.stderr).contains("is not an OpenAPI 3 document"),
        "{}",
        text(&out.stderr)
    );

    let big = dir.path().join("big.yaml");
    let file = std::fs::File::create(&big).expect("create");
    file.set_len(diff::MAX_SPEC_BYTES + 1)
        .expect("a sparse file past the limit");
    let shown = big.display().to_string();
    let out = run(&["diff", &good, &shown]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&format!(
            "{shown} is larger than {} bytes",
            diff::MAX_SPEC_BYTES
        )),
        "{}",
        text(&out.stderr)
    );
}
