//! `timestamp`: see [`backup_task_api_fuzz::timestamp`] for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| backup_task_api_fuzz::timestamp(data));
