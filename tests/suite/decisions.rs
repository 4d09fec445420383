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

/// Unresolved in the register: both spellings are valid, and the reader keeps both counts.
#[test]
fn cbr_vault_delete_declares_both_spellings_until_a_payload_settles_it() {
    for spelling in [
        json!({"fail_count": 0, "total_count": 3}),
        json!({"fail_delete_count": 1, "total_delete_count": 4}),
        json!({"fail_count": 0, "total_count": 3, "fail_delete_count": 1, "total_delete_count": 4}),
    ] {
        assert!(
            violations(Api::Cbr, schema("OpExtendInfoVaultDelete"), &spelling).is_empty(),
            "{spelling}"
        );
    }
    assert_eq!(
        violations(
            Api::Cbr,
            schema("OpExtendInfoVaultDelete"),
            &json!({"fail_delete_count": -1, "deleted": 2})
        ),
        pairs(&[
            ("", "additionalProperties"),
            ("/fail_delete_count", "minimum")
        ])
    );
    let terraform: cbr::OpExtendInfoVaultDelete =
        serde_json::from_value(json!({"fail_delete_count": 1, "total_delete_count": 4}))
            .expect("decodes");
    assert_eq!(
        (terraform.fail_delete_count, terraform.total_delete_count),
        (Some(1), Some(4))
    );
    assert_eq!((terraform.fail_count, terraform.total_count), (None, None));
    // Written back as they came: no count is lost.
    assert_eq!(
        serde_json::to_value(&terraform).expect("ser"),
        json!({"fail_delete_count": 1, "total_delete_count": 4})
    );
    let register = include_str!("../../openapi/DISCREPANCIES.md");
    let row = register
        .lines()
        .find(|l| l.starts_with("| C12 |"))
        .expect("row C12");
    assert!(row.contains("**Unresolved.**"), "{row}");
}

#[test]
fn cbr_page_and_error_info_members_are_optional() {
    let page = json!({"operation_logs": [{
        "id": "a", "project_id": "p", "status": "running", "error_info": {},
        "created_at": "2020-02-23T01:00:32Z", "started_at": "2020-02-23T01:00:32Z",
        "updated_at": "2020-02-23T01:00:32Z"
    }]});
    assert!(violations(Api::Cbr, Target::Response { status: 200 }, &page).is_empty());
    assert!(violations(Api::Cbr, Target::Response { status: 200 }, &json!({})).is_empty());
    let typed: cbr::ListOpLogsResponse =
        backup_task_api::common::reader::decode(page.to_string().as_bytes())
            .expect("a page without count decodes");
    assert_eq!(typed.count, None);
    assert_eq!(typed.operation_logs[0].error_info.code, None);
    let empty: cbr::ListOpLogsResponse =
        backup_task_api::common::reader::decode(b"{}").expect("an empty object decodes");
    assert!(empty.operation_logs.is_empty());
}

#[test]
fn cbr_servers_are_the_real_regional_hosts() {
    let spec = Api::Cbr.spec().expect("spec");
    let urls: Vec<&str> = spec["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .map(|s| s["url"].as_str().expect("url"))
        .collect();
    assert_eq!(
        urls,
        [
            "https://cbr.{region}.otc.t-systems.com",
            "https://cbr.{region}.myhuaweicloud.com"
        ]
    );
    assert!(!Api::Cbr.spec_yaml().contains("example.com"));
    // The Redocly rule against example hosts is on: only `info-contact` is switched off.
    for config in [
        include_str!("../../.ci/redocly.yaml"),
        include_str!("../../.ci/spectral.yaml"),
    ] {
        let off: Vec<&str> = config
            .lines()
            .filter(|l| l.trim_end().ends_with(": off"))
            .map(str::trim)
            .collect();
        assert_eq!(off, ["info-contact: off"], "{config}");
    }
}

#[test]
fn cbr_error_examples_use_the_documented_messages() {
    // CBR's error-code appendix, and the API gateway's code for a rejected token.
    let documented = [
        ("BackupService.9900", "Parameter verification failed."),
        ("BackupService.8600", "Not authenticated."),
        ("BackupService.6500", "The operation log does not exist."),
        ("BackupService.6501", "The task does not exist."),
        ("BackupService.9910", "Unknown error."),
        ("BackupService.9998", "Authentication failed."),
        ("APIGW.0301", "Incorrect IAM authentication information."),
    ];
    let mut seen = 0;
    for example in contract::examples(Api::Cbr).expect("spec") {
        if example.status == 200 {
            continue;
        }
        let body: cbr::ErrorBody = serde_json::from_value(example.value).expect("error body");
        let pair = (body.code().expect("code"), body.message().expect("message"));
        assert!(
            documented.contains(&pair),
            "{} {}: {pair:?} is not a documented code and message",
            example.status,
            example.name
        );
        seen += 1;
    }
    assert_eq!(seen, 5);
}

/// ajv in strict mode (`strictRequired`) wants every property an `anyOf` branch requires
/// declared in that branch; the branches add no second check of their values.
#[test]
fn cbr_error_any_of_branches_declare_what_they_require() {
    let spec = Api::Cbr.spec().expect("spec");
    let branches = spec["components"]["schemas"]["ErrorResponse"]["anyOf"]
        .as_array()
        .expect("anyOf");
    for branch in branches {
        for name in branch["required"].as_array().expect("required") {
            let name = name.as_str().expect("name");
            assert_eq!(branch["properties"][name], json!({}), "{name}");
        }
    }
    let published: Value = serde_json::from_str(include_str!(
        "../../schemas/cbr/v2/responses/list_op_logs/404.json"
    ))
    .expect("published schema");
    let text = published.to_string();
    assert!(
        text.contains(r#""anyOf""#) && text.contains(r#""error_code":{}"#),
        "{text}"
    );
    // A bad value is still reported once, by the outer property.
    assert_eq!(
        violations(
            Api::Cbr,
            Target::Response { status: 404 },
            &json!({"error_code": "", "error_msg": "x"})
        ),
        pairs(&[("/error_code", "minLength")])
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
    task["status"] = json!("PAUSED");
    assert_eq!(
        violations(Api::Ocp, schema("LogBackupTask"), &task),
        pairs(&[("/status", "enum")])
    );
}

#[test]
fn ocp_archive_states_are_known_statuses() {
    let response = component_enum(Api::Ocp, "LogBackupTaskStatus");
    for state in ["PREPARE", "DOING", "STOP", "SUSPENDING", "SUSPEND"] {
        assert!(response.iter().any(|s| s == state), "{state}");
        let mut task = ocp_task();
        task["status"] = json!(state);
        assert!(violations(Api::Ocp, schema("LogBackupTask"), &task).is_empty());
        let typed: ocp::LogBackupTask = serde_json::from_value(task).expect("decodes");
        assert!(typed.status.expect("status").is_known(), "{state}");
    }
}

#[test]
fn ocp_api_error_members_follow_ocp_express() {
    let body = json!({
        "successful": false, "status": 500,
        "error": {
            "code": 10000, "message": "Internal server error",
            "stackTrace": ["java.lang.IllegalStateException: x", "\tat a.B.c(B.java:1)"],
            "target": {"name": "tenantId"},
            "subErrors": [{"code": 60101, "message": "m", "target": "tenantId"}]
        }
    });
    assert!(violations(Api::Ocp, Target::Response { status: 500 }, &body).is_empty());
    let typed: ocp::ErrorResponse =
        backup_task_api::common::reader::decode(body.to_string().as_bytes()).expect("decodes");
    assert_eq!(typed.error.stack_trace.len(), 2);
    assert_eq!(
        typed.error.target.as_ref().map(|t| t.get("name").cloned()),
        Some(Some(json!("tenantId")))
    );
    assert_eq!(typed.error.sub_errors.len(), 1);
    // The shapes the spec used to declare are violations now.
    let mut old = body.clone();
    old["error"]["stackTrace"] = json!("java.lang.IllegalStateException: x");
    old["error"]["target"] = json!("tenantId");
    assert_eq!(
        violations(Api::Ocp, Target::Response { status: 500 }, &old),
        pairs(&[("/error/stackTrace", "type"), ("/error/target", "type")])
    );
}

#[test]
fn ocp_a_success_envelope_says_successful_true() {
    let mut page = contract::examples(Api::Ocp).expect("spec")[0].value.clone();
    page["successful"] = json!(false);
    assert_eq!(
        violations(Api::Ocp, Target::Response { status: 200 }, &page),
        pairs(&[("/successful", "enum")])
    );
}

/// OpenAPI 3.0.3: `1.0` is no integer, so the contract reports it (as `type`, the keyword it
/// breaks); the typed reader reads it as 1 (tolerant reader). The published 2020-12 files
/// cannot say this and accept it.
#[test]
fn integral_floats_break_the_contract_but_not_the_reader() {
    let text = r#"{"count": 1.0, "limit": 1e3, "operation_logs": []}"#;
    let contract = Contract::get(Api::Cbr).expect("compiles");
    let target = Target::Response { status: 200 };
    let contract::Verdict::Invalid { violations: found } = contract
        .check_bytes(&target, text.as_bytes())
        .expect("target")
    else {
        panic!("1.0 is no OpenAPI integer");
    };
    let message = found[0].message.clone();
    let found: Vec<(&str, &str, &str)> = found
        .iter()
        .map(|v| {
            (
                v.pointer.as_str(),
                v.keyword.as_str(),
                v.schema_path.as_str(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "/count",
                "type",
                "/$defs/ListOpLogsResponse/properties/count/type"
            ),
            (
                "/limit",
                "type",
                "/$defs/ListOpLogsResponse/properties/limit/type"
            )
        ]
    );
    assert!(
        message.starts_with("1.0 is not of type \"integer\""),
        "{message}"
    );
    let page: cbr::ListOpLogsResponse =
        backup_task_api::common::reader::decode(text.as_bytes()).expect("tolerated");
    assert_eq!((page.count, page.limit), (Some(1), Some(1000)));
    // OCP ids and page numbers too.
    let mut ocp_page = contract::examples(Api::Ocp).expect("spec")[0].value.clone();
    ocp_page["data"]["contents"][0]["clusterId"] = json!(1000005.0);
    ocp_page["data"]["page"]["totalPages"] = json!(1.0);
    assert_eq!(
        violations(Api::Ocp, Target::Response { status: 200 }, &ocp_page),
        pairs(&[
            ("/data/contents/0/clusterId", "oneOf"),
            ("/data/page/totalPages", "type")
        ])
    );
    let typed: ocp::LogBackupTaskPageResponse =
        backup_task_api::common::reader::decode(ocp_page.to_string().as_bytes()).expect("read");
    assert_eq!(
        typed.data.contents[0].cluster_id.map(ocp::Id::get),
        Some(1000005)
    );
    assert_eq!(typed.data.page.total_pages, 1);
    // The published 2020-12 schema calls it an integer: the README says so.
    assert!(
        jsonschema::validator_for(&json!({"type": "integer"}))
            .expect("schema")
            .is_valid(&json!(1.0))
    );
}

fn bytes_of(value: &Value) -> bytes::Bytes {
    serde_json::to_vec(value).expect("ser").into()
}

/// The service's own text of each record, beside the typed records that drop unknown members.
#[test]
fn raw_records_keep_what_the_typed_records_drop() {
    let mut cbr_page = contract::examples(Api::Cbr).expect("spec")[0].value.clone();
    cbr_page["operation_logs"][0]["extra_info"]["resource"]["zone"] = json!("eu-de-01");
    let body = serde_json::to_vec(&cbr_page).expect("ser");
    let raw = cbr::raw_records(&body).expect("records");
    let raw: Value = serde_json::from_str(raw[0].get()).expect("JSON");
    assert_eq!(raw, cbr_page["operation_logs"][0]);
    // Paired with the typed records of the same page, as `list --format json|ndjson` writes them.
    let page = backup_task_api::common::Page {
        number: 1,
        value: backup_task_api::common::reader::decode::<cbr::ListOpLogsResponse>(&body)
            .expect("decodes"),
        body: body.clone().into(),
    };
    let pairs_of_page = cbr::records_with_raw(&page).expect("paired");
    assert_eq!(pairs_of_page.len(), 1);
    assert_eq!(
        pairs_of_page[0].0.id,
        "4827f2da-b008-4507-ab7d-42d0df5ed912"
    );
    assert!(pairs_of_page[0].1.get().contains(r#""zone":"eu-de-01""#));
    let typed_text = serde_json::to_string(pairs_of_page[0].0).expect("ser");
    assert!(!typed_text.contains("zone"), "the typed record drops it");
    // A body whose records do not match the typed ones is refused, not paired wrongly.
    let mismatched = backup_task_api::common::Page {
        body: bytes_of(&json!({"operation_logs": []})),
        ..page
    };
    assert!(cbr::records_with_raw(&mismatched).is_none());
    let mut ocp_page = contract::examples(Api::Ocp).expect("spec")[0].value.clone();
    ocp_page["data"]["contents"][0]["newKnob"] = json!({"a": [1.0]});
    let body = serde_json::to_vec_pretty(&ocp_page).expect("ser");
    let raw = ocp::raw_records(&body).expect("records");
    assert!(!raw[0].get().contains('\n'), "one line: {}", raw[0].get());
    assert!(
        raw[0].get().contains(r#""newKnob":{"a":[1.0]}"#),
        "{}",
        raw[0].get()
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

/// The id pattern and the reader's `Id` agree on every decimal string: at the 64-bit edges, with
/// leading zeros and signs, and on seeded random digit strings of every length.
#[test]
fn ocp_id_pattern_accepts_exactly_what_the_reader_reads() {
    let contract_accepts =
        |text: &str| violations(Api::Ocp, schema("LongId"), &json!(text)).is_empty();
    let reader_reads = |text: &str| serde_json::from_value::<ocp::Id>(json!(text)).is_ok();
    for ok in [
        "0",
        "9223372036854775807",
        "-9223372036854775808",
        "9007199254740993",
        "-1",
    ] {
        assert!(contract_accepts(ok) && reader_reads(ok), "{ok}");
    }
    for bad in [
        "9223372036854775808",
        "-9223372036854775809",
        "99999999999999999999",
        "",
        "-",
        "+5",
        "1.0",
    ] {
        assert!(!contract_accepts(bad) && !reader_reads(bad), "{bad}");
    }
    // Spellings the reader tolerates but the contract does not (leading zeros, `-0`): the
    // contract is the stricter of the two, never the other way round.
    for tolerated in ["007", "-0"] {
        assert!(
            !contract_accepts(tolerated) && reader_reads(tolerated),
            "{tolerated}"
        );
    }
    let mut rng = fastrand::Rng::with_seed(5);
    for _ in 0..2000 {
        let len = rng.usize(1..=20);
        let mut text: String = (0..len).map(|_| char::from(b'0' + rng.u8(0..10))).collect();
        if rng.bool() {
            text.insert(0, '-');
        }
        if contract_accepts(&text) {
            assert!(reader_reads(&text), "{text}");
        }
        let canonical = text.trim_start_matches('-').len() == 1
            || !text.trim_start_matches('-').starts_with('0');
        if reader_reads(&text) && canonical && text != "-0" {
            assert!(contract_accepts(&text), "{text}");
        }
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
