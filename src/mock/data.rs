//! The mock's data: the documented examples plus seeded synthetic records, built as the typed
//! models, so that what the mock serves is what the models say the services send.

use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};

use crate::cbr::{self, AppConsistencyStatus, Incremental, OperationType, TaskStatus};
use crate::common::Timestamp;
use crate::contract::{self, Api};
use crate::ocp::{self, BackupDimension, BackupMode, ClusterType, Id};

/// The project the CBR records belong to (the reference example's).
pub const CBR_PROJECT_ID: &str = "04f1829c788037ac2fb8c01eb2b04b95";
/// The OCP cluster the tasks belong to (the reference sample's).
pub const OCP_CLUSTER_ID: i64 = 1000005;
/// The OCP tenant the tasks belong to (the reference sample's).
pub const OCP_TENANT_ID: i64 = 1000012;

const PROVIDERS: [&str; 3] = [
    "0daac4c5-6707-4851-97ba-169e36266b66",
    "d1603440-187d-4516-af25-121250c7cc97",
    "3f3c3220-245c-4805-b811-758870015881",
];
const RESOURCE_TYPES: [&str; 6] = [
    "OS::Nova::Server",
    "OS::Cinder::Volume",
    "OS::Sfs::Turbo",
    "OS::Ironic::BareMetalServer",
    "OS::Native::Server",
    "OS::Workspace::DesktopV2",
];

/// Both APIs' records, newest first.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// CBR operation logs, newest `created_at` first.
    pub cbr: Vec<cbr::OperationLog>,
    /// OCP log backup tasks, newest `createTime` first.
    pub ocp: Vec<ocp::LogBackupTask>,
}

impl Dataset {
    /// The documented examples plus `records` synthetic records per API from `seed`.
    pub fn generate(records: usize, seed: u64) -> Dataset {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut cbr: Vec<cbr::OperationLog> = documented_cbr();
        cbr.extend((0..records).map(|i| cbr_record(i, &mut rng)));
        cbr.sort_by_cached_key(|log| std::cmp::Reverse(log.created_at.to_utc()));
        let mut ocp: Vec<ocp::LogBackupTask> = documented_ocp();
        ocp.extend((0..records).map(|i| ocp_task(i, &mut rng)));
        ocp.sort_by_cached_key(|task| {
            std::cmp::Reverse(task.create_time.as_ref().and_then(Timestamp::to_utc))
        });
        Dataset { cbr, ocp }
    }
}

fn documented_cbr() -> Vec<cbr::OperationLog> {
    examples(Api::Cbr, "/operation_logs")
}

fn documented_ocp() -> Vec<ocp::LogBackupTask> {
    examples(Api::Ocp, "/data/contents")
}

/// The records inside the spec's 200 examples; the suite proves they decode.
fn examples<T: serde::de::DeserializeOwned>(api: Api, pointer: &str) -> Vec<T> {
    contract::examples(api)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.status == 200)
        .filter_map(|e| e.value.pointer(pointer).cloned())
        .filter_map(|records| serde_json::from_value::<Vec<T>>(records).ok())
        .flatten()
        .collect()
}

fn uuid(rng: &mut fastrand::Rng) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        rng.u32(..),
        rng.u16(..),
        rng.u16(..0x1000),
        rng.u16(0x8000..0xc000),
        rng.u64(..1 << 48)
    )
}

fn start_of_data() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// One of the three shapes CBR sends, chosen by `shape`.
fn cbr_time(at: DateTime<Utc>, shape: usize) -> Timestamp {
    let text = match shape % 3 {
        0 => at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        1 => at.format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string(),
        _ => at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    };
    Timestamp::lenient(text)
}

/// One of the five shapes OCP sends, chosen by `shape`.
fn ocp_time(at: DateTime<Utc>, shape: usize) -> Timestamp {
    let east8 = FixedOffset::east_opt(8 * 3600).expect("+08:00 is within the valid offset range");
    let local = at.with_timezone(&east8);
    let text = match shape % 5 {
        0 => local.format("%Y-%m-%dT%H:%M:%S%.6f+08:00").to_string(),
        1 => local.format("%Y-%m-%dT%H:%M:%S%.3f+08:00").to_string(),
        2 => local.format("%Y-%m-%dT%H:%M:%S%.3f+0800").to_string(),
        3 => at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        _ => local.format("%Y-%m-%dT%H:%M:%S+08:00").to_string(),
    };
    Timestamp::lenient(text)
}

fn cbr_record(i: usize, rng: &mut fastrand::Rng) -> cbr::OperationLog {
    let operation = OperationType::from(OperationType::KNOWN[i % OperationType::KNOWN.len()]);
    let status = TaskStatus::from(TaskStatus::KNOWN[rng.usize(..TaskStatus::KNOWN.len())]);
    let created = start_of_data() + Duration::minutes(37 * i as i64);
    let started =
        created + Duration::seconds(rng.i64(0..60)) + Duration::microseconds(rng.i64(0..1_000_000));
    let finished = !matches!(status, TaskStatus::Running | TaskStatus::Waiting);
    let ended = finished.then(|| started + Duration::seconds(rng.i64(60..3600)));
    let failed = matches!(status, TaskStatus::Failed | TaskStatus::Timeout);
    let shape = rng.usize(..3);
    let resource = cbr::Resource {
        extra_info: i.is_multiple_of(4).then(|| cbr::ResourceExtraInfo {
            exclude_volumes: vec![uuid(rng)],
            include_volumes: vec![cbr::ResourceExtraInfoIncludeVolumes {
                id: Some(uuid(rng)),
                os_version: Some("CentOS 7.9 64bit".into()),
            }],
        }),
        id: Some(uuid(rng)),
        name: Some(format!("ecs-{i:05}")),
        type_: Some(RESOURCE_TYPES[i % RESOURCE_TYPES.len()].into()),
    };
    let common = cbr::OpExtendInfoCommon {
        progress: Some(if finished { 100 } else { rng.i32(0..100) }),
        request_id: Some(format!("req-{}", uuid(rng))),
        task_id: Some(uuid(rng)),
    };
    let mut extra = cbr::OpExtraInfo {
        common: Some(common),
        ..Default::default()
    };
    let backup_id = uuid(rng);
    match &operation {
        OperationType::Backup => {
            extra.backup = Some(cbr::OpExtendInfoBckup {
                backup_id: Some(backup_id),
                backup_name: Some(format!("autobk_{i:05}")),
                incremental: Some(if i.is_multiple_of(2) {
                    Incremental::Text(i.is_multiple_of(4).to_string())
                } else {
                    Incremental::Bool(i.is_multiple_of(3))
                }),
                app_consistency_status: i
                    .is_multiple_of(5)
                    .then(|| AppConsistencyStatus::from(if failed { "0" } else { "1" })),
                app_consistency_error_code: i.is_multiple_of(5).then(String::new),
                app_consistency_error_message: i.is_multiple_of(5).then(String::new),
            });
            extra.resource = Some(resource);
        }
        OperationType::Copy => extra.resource = Some(resource),
        OperationType::Replication => {
            extra.replication = Some(cbr::OpExtendInfoReplication {
                source_backup_id: Some(backup_id),
                source_checkpoint_id: Some(uuid(rng)),
                source_project_id: Some(CBR_PROJECT_ID.into()),
                source_region: Some("eu-de".into()),
                source_backup_name: Some(format!("autobk_{i:05}")),
                destination_backup_id: Some(uuid(rng)),
                destination_checkpoint_id: Some(uuid(rng)),
                destination_project_id: Some(format!("{:032x}", rng.u128(..))),
                destination_region: Some("eu-nl".into()),
                destination_backup_name: Some(format!("replicate_{i:05}")),
            });
        }
        OperationType::Delete => {
            extra.delete = Some(cbr::OpExtendInfoDelete {
                backup_id: Some(backup_id),
                backup_name: Some(format!("manualbk_{i:05}")),
            });
        }
        OperationType::Restore => {
            extra.restore = Some(cbr::OpExtendInfoRestore {
                backup_id: Some(backup_id),
                backup_name: Some(format!("autobk_{i:05}")),
                target_resource_id: resource.id.clone(),
                target_resource_name: resource.name.clone(),
            });
            extra.resource = Some(resource);
        }
        OperationType::VaultDelete => {
            let total = rng.i32(0..20);
            extra.vault_delete = Some(cbr::OpExtendInfoVaultDelete {
                fail_count: Some(if failed { 1.min(total) } else { 0 }),
                total_count: Some(total),
                // The mock sends the documented (SDK) spelling only.
                fail_delete_count: None,
                total_delete_count: None,
            });
        }
        OperationType::RemoveResource => {
            extra.remove_resources = Some(cbr::OpExtendInfoRemoveResources {
                fail_count: Some(0),
                total_count: Some(1),
                resources: vec![resource],
            });
        }
        OperationType::Sync | OperationType::Other(_) => {
            extra.sync = Some(cbr::OpExtendInfoSync {
                sync_backup_num: Some(rng.i32(0..50)),
                delete_backup_num: Some(rng.i32(0..5)),
                err_sync_backup_num: Some(if failed { 1 } else { 0 }),
            });
        }
    }
    let with_vault = !i.is_multiple_of(7);
    cbr::OperationLog {
        checkpoint_id: Some(uuid(rng)),
        created_at: cbr_time(created, shape),
        ended_at: ended.map(|t| cbr_time(t, shape)),
        error_info: if failed {
            cbr::OpErrorInfo {
                code: Some("BackupService.6504".into()),
                message: Some("The backup task failed.".into()),
            }
        } else {
            cbr::OpErrorInfo {
                code: Some(String::new()),
                message: Some(String::new()),
            }
        },
        extra_info: Some(extra),
        id: uuid(rng),
        operation_type: Some(operation),
        policy_id: i.is_multiple_of(3).then(|| uuid(rng)),
        project_id: CBR_PROJECT_ID.into(),
        provider_id: Some(PROVIDERS[i % PROVIDERS.len()].into()),
        started_at: cbr_time(started, shape),
        status,
        updated_at: cbr_time(ended.unwrap_or(started), shape),
        vault_id: with_vault.then(|| uuid(rng)),
        vault_name: with_vault.then(|| format!("vault-{:03}", i % 13)),
    }
}

fn ocp_task(i: usize, rng: &mut fastrand::Rng) -> ocp::LogBackupTask {
    let status = ocp::TaskStatus::from(ocp::TaskStatus::KNOWN[i % ocp::TaskStatus::KNOWN.len()]);
    let created = start_of_data()
        + Duration::minutes(41 * i as i64)
        + Duration::microseconds(rng.i64(0..1_000_000));
    let checkpoint = created + Duration::seconds(rng.i64(60..86_400));
    let shape = rng.usize(..5);
    let troubled = matches!(
        status,
        ocp::TaskStatus::Failed | ocp::TaskStatus::Interrupted
    );
    // Every tenth task has its ids as strings, as OCP's serializer writes ids above 2^53-1.
    let id = |value: i64| {
        if i % 10 == 9 {
            Id::quoted(value)
        } else {
            Id::new(value)
        }
    };
    ocp::LogBackupTask {
        agent_server_ip: Some(format!("10.0.{}.{}", rng.u8(..), rng.u8(1..255))),
        backup_dimension: Some(BackupDimension::from(if i % 6 == 5 {
            "CLUSTER"
        } else {
            "TENANT"
        })),
        backup_mode: Some(BackupMode::from(if i % 4 == 3 {
            "LOGICAL_BACKUP"
        } else {
            "PHYSICAL_BACKUP"
        })),
        backup_uri: Some(format!("file:///obbackup/{i}")),
        checkpoint: Some(ocp_time(checkpoint, shape)),
        cluster_id: Some(id(OCP_CLUSTER_ID)),
        cluster_name: Some("ob_431".into()),
        cluster_type: Some(ClusterType::from(if i % 5 == 4 {
            "STANDBY"
        } else {
            "PRIMARY"
        })),
        create_time: Some(ocp_time(created, shape)),
        delay: Some((rng.f64() * 50_000.0).round() / 10_000.0),
        error_msg: troubled.then(|| "archive log of tenant stopped: disk full".into()),
        modify_time: i.is_multiple_of(3).then(|| ocp_time(checkpoint, shape + 1)),
        ob_cluster_id: Some(id(199)),
        ob_tenant_id: Some(id(1050)),
        status: Some(status),
        tenant_id: Some(id(OCP_TENANT_ID)),
        tenant_name: Some("ww1144".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_data() {
        let a = Dataset::generate(50, 7);
        let b = Dataset::generate(50, 7);
        assert_eq!(a.cbr, b.cbr);
        assert_eq!(a.ocp, b.ocp);
        assert_ne!(Dataset::generate(50, 8).cbr, a.cbr);
    }

    #[test]
    fn the_documented_examples_are_included_and_order_is_newest_first() {
        let data = Dataset::generate(20, 1);
        assert_eq!(data.cbr.len(), 21);
        assert_eq!(data.ocp.len(), 21);
        assert!(
            data.cbr
                .iter()
                .any(|l| l.id == "4827f2da-b008-4507-ab7d-42d0df5ed912")
        );
        let times: Vec<_> = data.cbr.iter().map(|l| l.created_at.to_utc()).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn every_operation_type_status_and_shape_appears() {
        let data = Dataset::generate(200, 3);
        for known in OperationType::KNOWN {
            assert!(
                data.cbr
                    .iter()
                    .any(|l| l.operation_type.as_ref().map(OperationType::as_str) == Some(known)),
                "{known}"
            );
        }
        for known in TaskStatus::KNOWN {
            assert!(
                data.cbr.iter().any(|l| l.status.as_str() == *known),
                "{known}"
            );
        }
        for known in ocp::TaskStatus::KNOWN {
            assert!(
                data.ocp
                    .iter()
                    .any(|t| t.status.as_ref().map(ocp::TaskStatus::as_str) == Some(known)),
                "{known}"
            );
        }
        for suffix in ["+0800", "+08:00", "Z"] {
            assert!(
                data.ocp.iter().any(|t| t
                    .create_time
                    .as_ref()
                    .is_some_and(|c| c.as_str().ends_with(suffix))),
                "{suffix}"
            );
        }
        assert!(data.cbr.iter().all(|l| l.created_at.is_valid()));
    }
}
