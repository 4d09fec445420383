//! What the benches share: the 1,000-record pages they measure, one per API, built the same way
//! so `contract` and `decode` time the same bytes.

use serde_json::{Value, json};

/// Records per page: the most one CBR page holds (`limit` 1..1000).
pub const RECORDS: usize = 1000;

/// A CBR page shaped like the reference example, varied per record.
pub fn cbr_page() -> Vec<u8> {
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

/// An OCP page shaped like the reference sample, varied per record.
pub fn ocp_page() -> Vec<u8> {
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
