//! `ocp_signer`: see [`backup_task_api_fuzz::ocp_signer`] for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| backup_task_api_fuzz::ocp_signer(data));
