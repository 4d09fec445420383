//! One test per row of `openapi/DISCREPANCIES.md`: each pins a decision where a reference page
//! contradicts itself, its example, or the public evidence that row names (the Huawei Cloud SDKs
//! and Terraform provider, a newer revision of the page, oceanbase/ocp-express, OCP's samples).

use backup_task_api::contract::{self, Api, Contract, Target};
use backup_task_api::{cbr, ocp};
use serde_json::{Value, json};

fn violations(api: Api, target: Target, instance: &Value) -> Vec<(String, String)> {
    Contract::get(api)
        .expect("compiles")
        .validate(&target, instance)
        .expect("target exists")
        .into_iter()
        .map(|v| (v.pointer, v.keyword))
        .collect()
}

fn schema(name: &str) -> Target {
    Target::Schema(name.into())
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(p, k)| (p.to_string(), k.to_string()))
        .collect()
}

/// The page's example operation log; each test mutates a copy.
fn cbr_log() -> Value {
    contract::examples(Api::Cbr).expect("spec")[0].value["operation_logs"][0].clone()
}

fn ocp_task() -> Value {
    contract::examples(Api::Ocp).expect("spec")[0].value["data"]["contents"][0].clone()
}

/// A query parameter's schema, as written in the spec.
fn parameter(api: Api, name: &str) -> Value {
    let spec = api.spec().expect("spec");
    let operation = spec["paths"]
        .as_object()
        .expect("paths")
        .values()
        .next()
        .expect("one path");
    operation["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{api} has no parameter {name}"))
        .clone()
}

fn component_enum(api: Api, name: &str) -> Vec<String> {
    let spec = api.spec().expect("spec");
    serde_json::from_value(spec["components"]["schemas"][name]["enum"].clone()).expect("enum")
}

// ---- CBR ----

#[test]
fn cbr_timestamps_accept_the_three_shapes_and_reject_others() {
    for shape in [
        "2019-05-23T14:35:23.584418",
        "2019-05-23T14:35:23.584+00:00",
        "2020-02-23T01:00:32Z",
    ] {
        assert!(
            violations(Api::Cbr, schema("Timestamp"), &json!(shape)).is_empty(),
            "{shape}"
        );
    }
    for bad in [
        "2019-05-23",
        "2019-05-23T14:35:23+0800",
        "yesterday",
        "2019-05-23 14:35:23",
    ] {
        assert_eq!(
            violations(Api::Cbr, schema("Timestamp"), &json!(bad)),
            pairs(&[("", "pattern")]),
            "{bad}"
        );
    }
}

#[test]
fn cbr_vault_and_policy_ids_are_nullable() {
    let mut log = cbr_log();
    assert!(
        log["vault_id"].is_null() && log["policy_id"].is_null(),
        "the page's example has nulls"
    );
    assert!(violations(Api::Cbr, schema("OperationLog"), &log).is_empty());
    log["project_id"] = Value::Null;
    assert_eq!(
        violations(Api::Cbr, schema("OperationLog"), &log),
        pairs(&[("/project_id", "type")])
    );
}

#[test]
fn cbr_required_fields_follow_the_go_sdk() {
    let required =
        &Api::Cbr.spec().expect("spec")["components"]["schemas"]["OperationLog"]["required"];
    assert_eq!(
        required,
        &json!([
            "id",
            "project_id",
            "status",
            "created_at",
            "started_at",
            "updated_at",
            "error_info"
        ])
    );
    let mut log = cbr_log();
    log.as_object_mut()
        .expect("object")
        .remove("operation_type");
    assert!(violations(Api::Cbr, schema("OperationLog"), &log).is_empty());
}

#[test]
fn cbr_operation_type_filter_has_all_eight_sdk_values() {
    let values = component_enum(Api::Cbr, "OperationTypeFilter");
    for v in ["copy", "replication", "sync"] {
        assert!(values.iter().any(|x| x == v), "{v}");
    }
    assert_eq!(values.len(), 8);
    assert_eq!(
        cbr::OperationTypeFilter::Replication.to_string(),
        "replication"
    );
}

#[test]
fn cbr_response_operation_types_include_sync_copy_replication() {
    assert_eq!(
        component_enum(Api::Cbr, "OperationType"),
        cbr::OperationType::KNOWN
    );
    for v in ["sync", "copy", "replication"] {
        let mut log = cbr_log();
        log["operation_type"] = json!(v);
        assert!(
            violations(Api::Cbr, schema("OperationLog"), &log).is_empty(),
            "{v}"
        );
        assert!(cbr::OperationType::from(v).is_known());
    }
}

#[test]
fn cbr_offset_query_parameter_is_zero_based() {
    let offset = parameter(Api::Cbr, "offset");
    assert_eq!(offset["schema"]["minimum"], json!(0));
    assert_eq!(offset["schema"]["default"], json!(0));
    let limit = parameter(Api::Cbr, "limit");
    assert_eq!(
        (
            limit["schema"]["minimum"].clone(),
            limit["schema"]["maximum"].clone()
        ),
        (json!(1), json!(1000))
    );
}

#[test]
fn cbr_enterprise_project_id_parameter_exists() {
    assert_eq!(
        parameter(Api::Cbr, "enterprise_project_id")["schema"]["type"],
        json!("string")
    );
}

#[test]
fn cbr_404_is_an_error_body_not_a_page() {
    let page = json!({"count": 0, "operation_logs": []});
    assert!(!violations(Api::Cbr, Target::Response { status: 404 }, &page).is_empty());
    let error =
        json!({"error_code": "BackupService.6500", "error_msg": "Operation log does not exist."});
    assert!(violations(Api::Cbr, Target::Response { status: 404 }, &error).is_empty());
}

#[test]
fn cbr_error_body_accepts_either_spelling() {
    let target = || Target::Response { status: 401 };
    let gateway = json!({"error_code": "APIGW.0301", "error_msg": "x", "request_id": "r"});
    assert!(violations(Api::Cbr, target(), &gateway).is_empty());
    assert!(
        violations(
            Api::Cbr,
            target(),
            &json!({"code": "APIGW.0301", "message": "x"})
        )
        .is_empty()
    );
    assert_eq!(
        violations(Api::Cbr, target(), &json!({"error_msg": "x"})),
        pairs(&[("", "anyOf")])
    );
}

#[test]
fn cbr_incremental_accepts_string_and_boolean() {
    for ok in [json!("true"), json!("false"), json!(true), json!(false)] {
        assert!(
            violations(Api::Cbr, schema("Incremental"), &ok).is_empty(),
            "{ok}"
        );
    }
    assert_eq!(
        violations(Api::Cbr, schema("Incremental"), &json!("yes")),
        pairs(&[("", "oneOf")])
    );
    let typed: cbr::OpExtendInfoBckup =
        serde_json::from_value(json!({"incremental": false})).expect("bool");
    assert_eq!(typed.incremental.and_then(|i| i.as_bool()), Some(false));
}

#[test]
fn cbr_sdk_only_members_are_part_of_the_contract() {
    let extra = json!({
        "backup": {"app_consistency_status": "1", "app_consistency_error_code": "", "app_consistency_error_message": ""},
        "replication": {"source_region": "eu-de", "destination_region": "eu-nl"},
        "resource": {"extra_info": {"include_volumes": [{"id": "v1", "os_version": "CentOS 7"}]}}
    });
    assert!(violations(Api::Cbr, schema("OpExtraInfo"), &extra).is_empty());
}

#[test]
fn cbr_vault_delete_uses_the_sdk_member_names() {
    assert!(
        violations(
            Api::Cbr,
            schema("OpExtendInfoVaultDelete"),
            &json!({"fail_count": 0, "total_count": 3})
        )
        .is_empty()
    );
    // The Terraform provider's names are reported, so a recorded payload settles the question.
    assert_eq!(
        violations(
            Api::Cbr,
            schema("OpExtendInfoVaultDelete"),
            &json!({"fail_delete_count": 0})
        ),
        pairs(&[("", "additionalProperties")])
    );
}

#[test]
fn cbr_resource_type_is_a_free_string() {
    let resource = json!({"id": "r", "name": "desk", "type": "OS::Workspace::DesktopV2"});
    assert!(violations(Api::Cbr, schema("Resource"), &resource).is_empty());
}

// ---- OCP ----

#[test]
fn ocp_response_and_filter_status_vocabularies_differ() {
    let response = component_enum(Api::Ocp, "LogBackupTaskStatus");
    let filter = component_enum(Api::Ocp, "LogBackupTaskStatusFilter");
    assert!(response.iter().any(|s| s == "RUNNING") && !filter.iter().any(|s| s == "RUNNING"));
    assert_eq!(response, ocp::TaskStatus::KNOWN);
    let mut task = ocp_task();
    task["status"] = json!("DOING");
    assert_eq!(
        violations(Api::Ocp, schema("LogBackupTask"), &task),
        pairs(&[("/status", "enum")])
    );
}

#[test]
fn ocp_delay_is_a_number() {
    let mut task = ocp_task();
    for delay in [json!(77.6421), json!(5)] {
        task["delay"] = delay;
        assert!(violations(Api::Ocp, schema("LogBackupTask"), &task).is_empty());
    }
    task["delay"] = json!("5");
    assert_eq!(
        violations(Api::Ocp, schema("LogBackupTask"), &task),
        pairs(&[("/delay", "type")])
    );
}

#[test]
fn ocp_data_is_a_page_wrapper() {
    let mut envelope = contract::examples(Api::Ocp).expect("spec")[0].value.clone();
    envelope["data"] = ocp_task();
    let found = violations(Api::Ocp, Target::Response { status: 200 }, &envelope);
    assert!(
        found.contains(&("/data".into(), "required".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("/data".into(), "additionalProperties".into())),
        "{found:?}"
    );
}

#[test]
fn ocp_agent_server_ip_is_part_of_the_contract() {
    assert!(ocp_task().get("agentServerIp").is_some());
    assert!(violations(Api::Ocp, schema("LogBackupTask"), &ocp_task()).is_empty());
}

#[test]
fn ocp_page_and_size_query_parameters_exist() {
    let page = parameter(Api::Ocp, "page");
    assert_eq!(
        (
            page["schema"]["minimum"].clone(),
            page["schema"]["default"].clone()
        ),
        (json!(1), json!(1))
    );
    let size = parameter(Api::Ocp, "size");
    assert_eq!(
        size["schema"]["maximum"],
        Value::Null,
        "size is not capped: samples use 5000"
    );
}

#[test]
fn ocp_offsets_without_colon_are_valid() {
    for shape in [
        "2024-08-09T16:04:21.810084+08:00",
        "2024-08-09T16:06:02.743+08:00",
        "2021-09-23T14:33:17.357+0800",
        "2024-08-09T08:02:57.715753Z",
        "2020-01-01T00:00:00+08:00",
    ] {
        assert!(
            violations(Api::Ocp, schema("Timestamp"), &json!(shape)).is_empty(),
            "{shape}"
        );
    }
    // OCP always sends an offset; an offset-less time is a violation there (unlike CBR).
    assert_eq!(
        violations(Api::Ocp, schema("Timestamp"), &json!("2024-08-09T16:04:21")),
        pairs(&[("", "pattern")])
    );
}

#[test]
fn ocp_ids_may_be_decimal_strings() {
    for ok in [json!(1000005), json!("9007199254740993")] {
        assert!(
            violations(Api::Ocp, schema("LongId"), &ok).is_empty(),
            "{ok}"
        );
    }
    for bad in [json!("12a"), json!(1.5), json!(null)] {
        assert_eq!(
            violations(Api::Ocp, schema("LongId"), &bad),
            pairs(&[("", "oneOf")]),
            "{bad}"
        );
    }
}

#[test]
fn ocp_task_fields_are_all_optional() {
    assert!(violations(Api::Ocp, schema("LogBackupTask"), &json!({})).is_empty());
    let typed: ocp::LogBackupTask = serde_json::from_value(json!({})).expect("empty task reads");
    assert_eq!(typed.status, None);
}

#[test]
fn ocp_error_code_is_integer_or_string() {
    let error = |code: Value| json!({"successful": false, "status": 429, "error": {"code": code, "message": "m"}});
    let target = || Target::Response { status: 429 };
    assert!(violations(Api::Ocp, target(), &error(json!(0))).is_empty());
    assert!(violations(Api::Ocp, target(), &error(json!("ACCESS_DENIED"))).is_empty());
    assert_eq!(
        violations(Api::Ocp, target(), &error(json!(null))),
        pairs(&[("/error/code", "oneOf")])
    );
}

#[test]
fn ocp_status_filter_is_comma_separated() {
    let status = parameter(Api::Ocp, "status");
    assert_eq!(
        (status["style"].clone(), status["explode"].clone()),
        (json!("form"), json!(false))
    );
    assert_eq!(
        status["schema"]["minItems"],
        json!(1),
        "never an empty status="
    );
}
