//! `diff_load`: see [`backup_task_api_fuzz::diff_load`] for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| backup_task_api_fuzz::diff_load(data));
