//! `contract_fast_path`: see [`backup_task_api_fuzz::contract_fast_path`] for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| backup_task_api_fuzz::contract_fast_path(data));
