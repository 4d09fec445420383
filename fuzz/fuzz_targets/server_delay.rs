//! `server_delay`: see [`backup_task_api_fuzz::server_delay`] for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| backup_task_api_fuzz::server_delay(data));
