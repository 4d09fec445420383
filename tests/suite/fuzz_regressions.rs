//! Every input kept from fuzzing (`tests/fixtures/fuzz/<target>/`), replayed on stable through the
//! very check the fuzz target runs: the checks file of the fuzz crate is compiled in here.
//!
//! A crash found by `fuzz/run.sh` is fixed, then its input is copied into the target's folder, so
//! it stays a test with no code change. The folders also keep a few inputs per target that reach
//! each property of its check, so every check runs here even before any crash.

use std::path::{Path, PathBuf};

use crate::support::fixtures_dir;

#[path = "../../fuzz/src/lib.rs"]
mod checks;

fn kept_inputs(target: &str) -> Vec<PathBuf> {
    let dir = fixtures_dir().join("fuzz").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every kept input of `target` through its check; names every input whose check panics.
fn replay(target: &str) {
    let (_, check) = checks::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("{target} is in checks::TARGETS"));
    let inputs = kept_inputs(target);
    assert!(!inputs.is_empty(), "{target} keeps at least one input");
    let failed: Vec<String> = inputs
        .iter()
        .filter_map(|path| {
            let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            std::panic::catch_unwind(|| check(&data))
                .is_err()
                .then(|| path.display().to_string())
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{target}: these inputs fail: {failed:#?}"
    );
}

fn names_in(dir: &Path, suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| {
            let name = entry.expect("a readable directory entry").file_name();
            name.to_str()?.strip_suffix(suffix).map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

#[test]
fn every_fuzz_target_has_a_check_and_a_folder_of_kept_inputs() {
    let mut checks: Vec<String> = checks::TARGETS
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    checks.sort();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(
        names_in(&root.join("fuzz/fuzz_targets"), ".rs"),
        checks,
        "fuzz/fuzz_targets/*.rs and checks::TARGETS"
    );
    assert_eq!(
        names_in(&fixtures_dir().join("fuzz"), ""),
        checks,
        "tests/fixtures/fuzz/* and checks::TARGETS"
    );
}

#[test]
fn contract_fast_path_kept_inputs() {
    replay("contract_fast_path");
}

#[test]
fn decode_cbr_page_kept_inputs() {
    replay("decode_cbr_page");
}

#[test]
fn decode_ocp_page_kept_inputs() {
    replay("decode_ocp_page");
}

#[test]
fn decode_cbr_error_kept_inputs() {
    replay("decode_cbr_error");
}

#[test]
fn decode_ocp_error_kept_inputs() {
    replay("decode_ocp_error");
}

#[test]
fn timestamp_kept_inputs() {
    replay("timestamp");
}

/// Its two kept inputs (`Retry-After` / `RateLimit-Reset` of `u64::MAX` seconds) overflowed the
/// retry loop's `slept + delay` before the retry budget used checked arithmetic.
#[test]
fn server_delay_kept_inputs() {
    replay("server_delay");
}

#[test]
fn cbr_signer_kept_inputs() {
    replay("cbr_signer");
}

#[test]
fn ocp_signer_kept_inputs() {
    replay("ocp_signer");
}

#[test]
fn diff_load_kept_inputs() {
    replay("diff_load");
}
