//! Generates the two raw clients from `openapi/*.yaml` with progenitor.
//!
//! The specs are the strict contract (closed objects, bounds, patterns). The generated models are
//! the tolerant reader, so before generation each spec goes through the *reader profile*
//! (`reader_profile` below), which removes what would make deserialisation reject a real payload:
//! `additionalProperties: false`, numeric and length bounds, patterns, `minItems`, and `enum` on
//! booleans. Response-side enums, timestamps, ids and other hand-written shapes are swapped in with
//! `with_replacement`. The contract module validates against the unmodified specs.
//!
//! Each API's output is two files: the models (`{api}_types.rs`), always compiled, and the raw
//! client (`{api}_client.rs`), compiled with the `client` feature only.
//!
//! It also embeds the release copies `schemas/{api}/releases/*.yaml` (`embed_releases`), from
//! which `publish::changelog` writes each API's `CHANGELOG.md`.

use std::path::{Path, PathBuf};

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use serde_json::Value;

// The library's YAML reader itself, so that generation and the contract validator cannot read a
// spec two different ways. Only `from_str` is used here.
#[path = "src/yaml.rs"]
#[allow(dead_code)]
mod yaml;

/// One spec and how to generate it.
struct Api {
    /// Spec path, relative to the manifest.
    spec: &'static str,
    /// Output name in `OUT_DIR`: `{out}_types.rs` (the models) and `{out}_client.rs` (the raw
    /// client, compiled only with the `client` feature).
    out: &'static str,
    /// Type given to the generated `Client` as its `inner` value (carries auth for the hooks).
    inner: &'static str,
    /// `(schema name, replacement type, impls the replacement provides)`.
    replacements: &'static [(&'static str, &'static str, &'static [TypeImpl])],
}

const OPEN_ENUM: &[TypeImpl] = &[TypeImpl::FromStringIrrefutable, TypeImpl::Display];

const APIS: &[Api] = &[
    Api {
        spec: "openapi/cbr-operation-logs.yaml",
        out: "cbr",
        inner: "crate::client::hooks::Inner<crate::cbr::hooks::Signing>",
        replacements: &[
            (
                "Timestamp",
                "crate::common::Timestamp",
                &[TypeImpl::Display],
            ),
            ("OperationType", "crate::cbr::OperationType", OPEN_ENUM),
            ("TaskStatus", "crate::cbr::TaskStatus", OPEN_ENUM),
            (
                "AppConsistencyStatus",
                "crate::cbr::AppConsistencyStatus",
                OPEN_ENUM,
            ),
            ("Incremental", "crate::cbr::Incremental", &[]),
            ("ErrorResponse", "crate::cbr::ErrorBody", &[]),
        ],
    },
    Api {
        spec: "openapi/ocp-log-backup-tasks.yaml",
        out: "ocp",
        inner: "crate::client::hooks::Inner<crate::ocp::hooks::Signing>",
        replacements: &[
            (
                "Timestamp",
                "crate::common::Timestamp",
                &[TypeImpl::Display],
            ),
            ("LongId", "crate::ocp::Id", &[TypeImpl::Display]),
            ("LogBackupTaskStatus", "crate::ocp::TaskStatus", OPEN_ENUM),
            ("BackupMode", "crate::ocp::BackupMode", OPEN_ENUM),
            ("BackupDimension", "crate::ocp::BackupDimension", OPEN_ENUM),
            ("ClusterType", "crate::ocp::ClusterType", OPEN_ENUM),
            ("ErrorCode", "crate::ocp::ErrorCode", &[TypeImpl::Display]),
        ],
    },
];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    println!("cargo:rerun-if-changed=build.rs");
    let mut failed = false;
    for api in APIS {
        println!("cargo:rerun-if-changed={}", api.spec);
        if let Err(message) = generate(api, &manifest, &out_dir) {
            // `cargo::error` shows the message without a backtrace; the exit code fails the build.
            println!(
                "cargo::error={}: {}",
                api.spec,
                message.replace('\n', " | ")
            );
            failed = true;
        }
    }
    if let Err(message) = embed_releases(&manifest, &out_dir) {
        println!("cargo::error=schemas/*/releases: {message}");
        failed = true;
    }
    if failed {
        std::process::exit(1);
    }
}

/// Embeds the release copies `schemas/{api}/releases/{version}.yaml` as `releases.rs` in
/// `OUT_DIR`, so the published changelog is a function of the source tree (like the spec copy),
/// not of whichever directory `schemas --out` is pointed at.
fn embed_releases(manifest: &Path, out_dir: &Path) -> Result<(), String> {
    let mut found = Vec::new();
    for api in ["cbr", "ocp"] {
        let relative = format!("schemas/{api}/releases");
        // Cargo scans a directory given here for changes, so a new release copy is picked up.
        println!("cargo:rerun-if-changed={relative}");
        let dir = manifest.join(&relative);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot list {relative}: {e}")),
        };
        for entry in entries {
            let path = entry
                .map_err(|e| format!("cannot list {relative}: {e}"))?
                .path();
            let Some(version) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".yaml"))
            else {
                continue;
            };
            let Some(text) = path.to_str() else {
                return Err(format!("{} is not valid UTF-8", path.display()));
            };
            found.push((api, version.to_owned(), text.to_owned()));
        }
    }
    found.sort();
    let mut code = String::from(
        "/// Every release copy in `schemas/`: API name, version text, the copy.\n\
         pub(crate) const RELEASES: &[(&str, &str, &str)] = &[\n",
    );
    for (api, version, path) in &found {
        code.push_str(&format!(
            "    ({api:?}, {version:?}, include_str!({path:?})),\n"
        ));
    }
    code.push_str("];\n");
    write_fresh(&out_dir.join("releases.rs"), &code)
        .map_err(|e| format!("cannot write releases.rs: {e}"))
}

fn generate(api: &Api, manifest: &Path, out_dir: &Path) -> Result<(), String> {
    let path = manifest.join(api.spec);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read: {e}"))?;
    let mut doc: Value = yaml::from_str(&text).map_err(|e| format!("not valid YAML: {e}"))?;
    reader_profile(&mut doc);
    let spec: openapiv3::OpenAPI =
        serde_json::from_value(doc).map_err(|e| format!("not an OpenAPI 3.0 document: {e}"))?;

    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_derive("schemars::JsonSchema")
        .with_derive("PartialEq")
        .with_inner_type(api.inner.parse().map_err(|e| format!("inner type: {e}"))?)
        .with_hooks(HooksMode::Expected);
    for (schema, replacement, impls) in api.replacements {
        settings.with_replacement(schema, replacement, impls.iter().cloned());
    }

    // progenitor reports most problems as errors but panics on some (for example two success
    // types for one operation); turn both into one message naming the spec.
    let tokens = std::panic::catch_unwind(|| Generator::new(&settings).generate_tokens(&spec))
        .map_err(|panic| {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            format!("progenitor panicked: {why}")
        })?
        .map_err(|e| format!("progenitor rejected the spec: {e}"))?;
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    // The models (`mod types`) go in a file of their own, so that they compile without reqwest
    // and progenitor-client, which only the raw client needs.
    let mut empty = file.clone();
    empty.items.clear();
    let (types, client): (Vec<syn::Item>, Vec<syn::Item>) = file
        .items
        .into_iter()
        .partition(|item| matches!(item, syn::Item::Mod(m) if m.ident == "types"));
    if types.len() != 1 {
        return Err(format!(
            "expected one `mod types` in the generated code, found {}",
            types.len()
        ));
    }
    for (suffix, items) in [("types", types), ("client", client)] {
        let code = prettyplease::unparse(&syn::File {
            items,
            ..empty.clone()
        });
        let name = format!("{}_{suffix}.rs", api.out);
        write_fresh(&out_dir.join(&name), &code)
            .map_err(|e| format!("cannot write {name}: {e}"))?;
    }
    Ok(())
}

/// Writes `contents` to a new file at `path`: the old one is unlinked first, so a file that is a
/// hard link into another target directory (a copied or seeded `target/`) is replaced, not
/// overwritten in place under the other build's feet.
fn write_fresh(path: &Path, contents: &str) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::write(path, contents)
}

/// Keywords that only constrain values. The contract checks them; the reader must not reject a
/// page over them (typify turns them into `NonZero*` integers and validated newtypes).
const CONSTRAINTS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
];

/// Relaxes a spec for generation; see the module docs. Walks every schema-bearing value.
fn reader_profile(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let is_schema = map.contains_key("type")
                || map.contains_key("properties")
                || map.contains_key("allOf")
                || map.contains_key("oneOf");
            if is_schema {
                for key in CONSTRAINTS {
                    map.remove(*key);
                }
                if map.get("additionalProperties") == Some(&Value::Bool(false)) {
                    map.remove("additionalProperties");
                }
                if map.get("type").and_then(Value::as_str) == Some("boolean") {
                    map.remove("enum");
                }
            }
            for (key, child) in map.iter_mut() {
                match key.as_str() {
                    // Examples are data, not schemas: leave them as they are.
                    "examples" | "example" => {}
                    // A property map's keys are names, so a property called `pattern` or `type`
                    // must not be mistaken for a keyword: recurse into each value instead.
                    "properties" => {
                        if let Value::Object(props) = child {
                            props.values_mut().for_each(reader_profile);
                        }
                    }
                    _ => reader_profile(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(reader_profile),
        _ => {}
    }
}
