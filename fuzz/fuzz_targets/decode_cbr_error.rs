//! `decode_cbr_error`: see [`backup_task_api_fuzz::decode_cbr_error`] for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| backup_task_api_fuzz::decode_cbr_error(data));
