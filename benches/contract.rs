//! The contract check of a 1,000-record page per API: parse + validate through the library's hot
//! path (`Contract::check_bytes`), its simd-json tape parse (`parse_fast`), and for comparison the
//! `serde_json::Value` parse and `Value` validation it no longer needs for a valid payload. Run: `cargo bench --bench contract`;
//! `benches/compare_ajv.sh` runs it beside ajv on the same bytes.
//!
//! With `CONTRACT_BENCH_PAGES=DIR` the pages are also written to `DIR/{cbr,ocp}_1000.json`, so
//! another tool can check exactly these bytes.

use std::hint::black_box;

use backup_task_api::contract::{self, Api, Contract, Target, Verdict};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

const RECORDS: usize = 1000;

/// A CBR page shaped like the reference example, varied per record (as in `benches/decode.rs`).
fn cbr_page() -> Vec<u8> {
    let logs: Vec<Value> = (0..RECORDS)
        .map(|i| {
            let status = ["success", "running", "failed"][i % 3];
            let operation_type = ["backup", "restore", "replication"][i % 3];
            json!({
                "status": status,
                "provider_id": "0daac4c5-6707-4851-97ba-169e36266b66",
                "checkpoint_id": format!("b432511f-d889-428f-8b0e-{i:012}"),
                "updated_at": "2019-05-23T14:35:23.584418",
                "error_info": {"message": "", "code": ""},
                "vault_id": null,
                "started_at": "2019-05-23T14:31:36.007230+00:00",
                "id": format!("4827f2da-b008-4507-ab7d-{i:012}"),
                "extra_info": {
                    "resource": {"type": "OS::Nova::Server", "id": "1dab32fa-ebf2-415a-ab0b-eabe6353bc86", "name": format!("ECS-{i:04}")},
                    "backup": {"backup_name": "manualbk_backup", "backup_id": "0e5d0ef6-7f0a-4890-b98c-cb12490e31c1", "incremental": "true"},
                    "common": {"progress": i % 101, "request_id": "req-cdb98cc4-e87b-4f40-9b4a-57ec036620bc"}
                },
                "ended_at": "2019-05-23T14:35:23Z",
                "created_at": "2019-05-23T14:31:36.039365",
                "operation_type": operation_type,
                "vault_name": null,
                "project_id": "04f1829c788037ac2fb8c01eb2b04b95",
                "policy_id": null
            })
        })
        .collect();
    serde_json::to_vec(&json!({"count": RECORDS, "operation_logs": logs})).expect("serialise")
}

/// An OCP page shaped like the reference sample, varied per record (as in `benches/decode.rs`).
fn ocp_page() -> Vec<u8> {
    let tasks: Vec<Value> = (0..RECORDS)
        .map(|i| {
            json!({
                "agentServerIp": "10.0.0.1", "backupDimension": "TENANT", "backupMode": "PHYSICAL_BACKUP",
                "backupUri": "file:///obbackup", "checkpoint": "2024-08-09T16:04:21.810084+08:00",
                "clusterId": 1000005, "clusterName": "ob_431", "clusterType": "PRIMARY",
                "createTime": "2021-09-23T14:33:17.357+0800", "delay": 100.1899 + i as f64,
                "obClusterId": 199, "obTenantId": 1050 + i, "status": "RUNNING",
                "tenantId": 1000012, "tenantName": format!("tenant{i}")
            })
        })
        .collect();
    let body = json!({
        "data": {"contents": tasks, "page": {"number": 1, "size": RECORDS, "totalElements": RECORDS, "totalPages": 1}},
        "duration": 79, "server": "a24d13ce67", "status": 200, "successful": true,
        "timestamp": "2024-08-09T16:06:02.743+08:00", "traceId": "8e1e79e260d12bba"
    });
    serde_json::to_vec(&body).expect("serialise")
}

fn check(c: &mut Criterion) {
    let target = Target::Response { status: 200 };
    let out = std::env::var_os("CONTRACT_BENCH_PAGES");
    for (api, bytes) in [(Api::Cbr, cbr_page()), (Api::Ocp, ocp_page())] {
        let contract = Contract::get(api).expect("the contract compiles");
        // A benchmark of the fast path must not be measuring a page that fails.
        let verdict = contract.check_bytes(&target, &bytes).expect("target");
        assert_eq!(verdict, Verdict::Valid, "the {api} page is valid");
        if let Some(dir) = &out {
            std::fs::write(
                std::path::Path::new(dir).join(format!("{api}_1000.json")),
                &bytes,
            )
            .expect("write the page");
        }
        let mut group = c.benchmark_group(format!("contract_{api}_1000"));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("check_bytes", |b| {
            b.iter(|| {
                contract
                    .check_bytes(&target, black_box(&bytes))
                    .expect("target")
            })
        });
        group.bench_function("parse", |b| {
            b.iter(|| contract::parse_json(black_box(&bytes)).expect("parses"))
        });
        group.bench_function("parse_fast", |b| {
            b.iter(|| contract::tape::with_document(black_box(&bytes), |d| d.is_some()))
        });
        let value = contract::parse_json(&bytes).expect("parses");
        group.bench_function("is_valid", |b| {
            b.iter(|| {
                contract
                    .is_valid(&target, black_box(&value))
                    .expect("target")
            })
        });
        group.finish();
    }
}

criterion_group!(benches, check);
criterion_main!(benches);
