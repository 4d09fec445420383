//! The mock server: every response it sends satisfies the contract; filters, paging, auth, errors
//! and faults behave as documented; the typed clients list every record exactly once through it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backup_task_api::client::RetryPolicy;
use backup_task_api::common::Secret;
use backup_task_api::contract::{Api, Contract, Target, Verdict};
use backup_task_api::mock::{self, Fault, MockConfig, OCP_CLUSTER_ID, OCP_TENANT_ID, RunningMock};
use backup_task_api::ocp::signer::{self, SigningInput};
use backup_task_api::{Error, cbr, ocp};
use chrono::{TimeZone, Utc};
use serde_json::Value;

use crate::support::{finish, first_line, limited, recording, root, spawn};

const AK: &str = "mock-ak";
const SK: &str = "mock-sk-0123456789";

async fn start(config: MockConfig) -> RunningMock {
    mock::start(SocketAddr::from(([127, 0, 0, 1], 0)), config)
        .await
        .expect("mock starts")
}

fn config(records: usize) -> MockConfig {
    MockConfig {
        records,
        ocp_keys: Some((AK.into(), Secret::new(SK))),
        ..MockConfig::default()
    }
}

fn http() -> reqwest::Client {
    // Any client works for raw requests; install the same crypto provider the crate uses.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn cbr_url(server: &RunningMock, query: &str) -> String {
    format!(
        "{}/v3/{}/operation-logs{query}",
        server.url(),
        mock::CBR_PROJECT_ID
    )
}

fn ocp_url(server: &RunningMock, query: &str) -> String {
    format!(
        "{}/api/v2/ob/clusters/{OCP_CLUSTER_ID}/tenants/{OCP_TENANT_ID}/backup/task/logBackupTasks{query}",
        server.url()
    )
}

/// Sends a raw request, checks the response against the contract for its status, returns both.
async fn checked(api: Api, request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("mock answers");
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("body");
    let verdict = Contract::get(api)
        .expect("contract")
        .check_bytes(&Target::Response { status }, &body)
        .expect("documented status");
    assert_eq!(
        verdict,
        Verdict::Valid,
        "{api} {status}: {}",
        String::from_utf8_lossy(&body)
    );
    (status, serde_json::from_slice(&body).expect("JSON"))
}

fn cbr_client(server: &RunningMock) -> cbr::Client {
    cbr::Client::builder(server.url(), mock::CBR_PROJECT_ID)
        .with_token("any-token")
        .build()
        .expect("client")
}

fn ocp_client(server: &RunningMock) -> ocp::Client {
    ocp::Client::builder(server.url())
        .with_access_key(AK, SK)
        .build()
        .expect("client")
}

#[tokio::test]
async fn every_response_satisfies_the_contract() {
    let server = start(config(120)).await;
    let http = http();
    let cbr_cases = [
        ("", 200),
        ("?limit=7&offset=3", 200),
        ("?status=failed&operation_type=backup", 200),
        (
            "?start_time=2024-01-01T00:00:00Z&end_time=2024-01-02T00:00:00Z",
            200,
        ),
        ("?offset=100000", 200),
        // The contract's pattern allows calendar-impossible days; so does the mock (Schemathesis
        // found this one).
        ("?end_time=9936-02-31T23:20:34Z", 200),
        ("?limit=0", 400),
        ("?limit=abc", 400),
        ("?offset=-1", 400),
        ("?status=exploded", 400),
        ("?start_time=2024-01-01", 400),
        ("?vault_name=", 400),
    ];
    for (query, expected) in cbr_cases {
        let (status, _) = checked(
            Api::Cbr,
            http.get(cbr_url(&server, query))
                .header("X-Auth-Token", "t"),
        )
        .await;
        assert_eq!(status, expected, "cbr {query}");
    }
    let (status, body) = checked(Api::Cbr, http.get(cbr_url(&server, ""))).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (401, Some("APIGW.0301"))
    );
    assert!(
        body["request_id"].is_string(),
        "gateway errors carry request_id"
    );

    let ocp_cases = [
        ("", 200),
        ("?page=2&size=5", 200),
        ("?status=STARTING,FAILED", 200),
        ("?status=STOPPED&status=UNKNOWN", 200),
        ("?startTime=2024-01-01T00:00:00Z", 200),
        (
            "?startTime=2023-02-29T00:00:00Z&endTime=2024-13-01T00:00:00Z",
            400,
        ),
        ("?startTime=2023-02-29T00:00:00Z", 200),
        ("?page=0", 400),
        ("?size=x", 400),
        ("?status=", 400),
        ("?status=RUNNING", 400),
        ("?endTime=yesterday", 400),
    ];
    for (query, expected) in ocp_cases {
        let (status, _) = checked(
            Api::Ocp,
            http.get(ocp_url(&server, query))
                .basic_auth("admin", Some("admin")),
        )
        .await;
        assert_eq!(status, expected, "ocp {query}");
    }
    let (status, body) = checked(
        Api::Ocp,
        http.get(ocp_url(&server, ""))
            .basic_auth("admin", Some("wrong")),
    )
    .await;
    assert_eq!((status, body["successful"].as_bool()), (401, Some(false)));
    let other_tenant = format!(
        "{}/api/v2/ob/clusters/1/tenants/2/backup/task/logBackupTasks",
        server.url()
    );
    let (status, _) = checked(
        Api::Ocp,
        http.get(other_tenant).basic_auth("admin", Some("admin")),
    )
    .await;
    assert_eq!(status, 404);
    let bad_id = format!(
        "{}/api/v2/ob/clusters/abc/tenants/2/backup/task/logBackupTasks",
        server.url()
    );
    assert_eq!(
        checked(
            Api::Ocp,
            http.get(bad_id).basic_auth("admin", Some("admin"))
        )
        .await
        .0,
        400
    );
    server.stop().await.expect("stops");
}

#[tokio::test]
async fn unknown_paths_are_404_in_each_apis_shape() {
    let server = start(config(1)).await;
    let http = http();
    let response = http
        .get(format!("{}/v3/p/nothing", server.url()))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 404);
    let body: Value = response.json().await.expect("json");
    assert!(body["error_code"].is_string());
    let response = http
        .get(format!("{}/api/v2/nothing", server.url()))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 404);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["successful"], Value::Bool(false));
}

#[tokio::test]
async fn both_clients_list_every_record_exactly_once() {
    let report = backup_task_api::demo::run(1234, 9, 100)
        .await
        .expect("demo runs");
    for api in &report.apis {
        assert_eq!(api.records, 1235, "{:?}", api.api);
        assert_eq!(api.distinct, api.records, "{:?}", api.api);
        assert!(api.violations.is_empty(), "{:?}", api.violations);
        assert_eq!(
            api.pages, 13,
            "{:?}: 12 full pages and a short one",
            api.api
        );
    }
    assert!(report.is_clean());
}

#[tokio::test]
async fn cbr_filters_select_exactly_the_matching_records() {
    let server = start(config(300)).await;
    let client = cbr_client(&server);
    let all = client
        .list_op_logs(cbr::ListFilters::default())
        .collect_all()
        .await
        .expect("all");
    assert_eq!(all.len(), 301);
    let failed = client
        .list_op_logs(cbr::ListFilters::default().with_status(cbr::TaskStatusFilter::Failed))
        .collect_all()
        .await
        .expect("failed");
    assert_eq!(
        failed.len(),
        all.iter()
            .filter(|l| l.status == cbr::TaskStatus::Failed)
            .count()
    );
    assert!(!failed.is_empty());
    let copies = client
        .list_op_logs(
            cbr::ListFilters::default().with_operation_type(cbr::OperationTypeFilter::Copy),
        )
        .collect_all()
        .await
        .expect("copies");
    assert!(
        !copies.is_empty()
            && copies
                .iter()
                .all(|l| l.operation_type == Some(cbr::OperationType::Copy))
    );
    let from = Utc
        .with_ymd_and_hms(2024, 1, 2, 0, 0, 0)
        .single()
        .expect("time");
    let to = Utc
        .with_ymd_and_hms(2024, 1, 3, 0, 0, 0)
        .single()
        .expect("time");
    let window = client
        .list_op_logs(
            cbr::ListFilters::default()
                .with_start_time(from)
                .with_end_time(to),
        )
        .collect_all()
        .await
        .expect("window");
    let expected = all
        .iter()
        .filter(|l| l.started_at.to_utc().is_some_and(|t| t >= from && t <= to))
        .count();
    assert_eq!(window.len(), expected);
    assert!(expected > 0);
    let vault = all
        .iter()
        .find_map(|l| l.vault_name.clone())
        .expect("a vault");
    let in_vault = client
        .list_op_logs(cbr::ListFilters::default().with_vault_name(vault.clone()))
        .collect_all()
        .await
        .expect("vault");
    assert_eq!(
        in_vault.len(),
        all.iter()
            .filter(|l| l.vault_name.as_deref() == Some(&vault))
            .count()
    );
    let resource = all
        .iter()
        .find_map(|l| l.extra_info.as_ref()?.resource.as_ref()?.id.clone())
        .expect("a resource");
    let on_resource = client
        .list_op_logs(cbr::ListFilters::default().with_resource_id(resource))
        .collect_all()
        .await
        .expect("resource");
    assert_eq!(on_resource.len(), 1);
    let named = all
        .iter()
        .find_map(|l| l.extra_info.as_ref()?.resource.as_ref()?.name.clone())
        .expect("a name");
    let by_name = client
        .list_op_logs(cbr::ListFilters::default().with_resource_name(named.clone()))
        .collect_all()
        .await
        .expect("by name");
    let named_in_all = all
        .iter()
        .filter(|l| {
            l.extra_info
                .as_ref()
                .and_then(|e| e.resource.as_ref())
                .and_then(|r| r.name.as_deref())
                == Some(&named)
        })
        .count();
    assert_eq!(by_name.len(), named_in_all);
    let vault_id = all
        .iter()
        .find_map(|l| l.vault_id.clone())
        .expect("a vault id");
    let by_vault_id = client
        .list_op_logs(cbr::ListFilters::default().with_vault_id(vault_id.clone()))
        .collect_all()
        .await
        .expect("by vault id");
    assert!(
        !by_vault_id.is_empty()
            && by_vault_id
                .iter()
                .all(|l| l.vault_id.as_deref() == Some(&vault_id))
    );
    // The mock's records carry no enterprise project: the filter is accepted and narrows nothing.
    let eps = client
        .list_op_logs(cbr::ListFilters::default().with_enterprise_project_id("all_granted_eps"))
        .collect_all()
        .await
        .expect("eps");
    assert_eq!(eps.len(), all.len());
    let provider = client
        .list_op_logs(
            cbr::ListFilters::default().with_provider_id("d1603440-187d-4516-af25-121250c7cc97"),
        )
        .collect_all()
        .await
        .expect("disks");
    assert!(
        provider
            .iter()
            .all(|l| l.provider_id.as_deref() == Some("d1603440-187d-4516-af25-121250c7cc97"))
    );
    let page = client
        .list_op_logs(cbr::ListFilters::default())
        .limit(10)
        .offset(295)
        .send()
        .await
        .expect("tail page");
    assert_eq!(
        (page.operation_logs.len(), page.count, page.offset),
        (6, Some(301), Some(295))
    );
    server.stop().await.expect("stops");
}

#[tokio::test]
async fn ocp_filters_select_exactly_the_matching_tasks() {
    let server = start(config(90)).await;
    let client = ocp_client(&server);
    let all = client
        .list_log_backup_tasks(OCP_CLUSTER_ID, OCP_TENANT_ID, ocp::ListFilters::default())
        .size(25)
        .collect_all()
        .await
        .expect("all");
    assert_eq!(all.len(), 91);
    let in_progress = client
        .list_log_backup_tasks(
            OCP_CLUSTER_ID,
            OCP_TENANT_ID,
            ocp::ListFilters::default()
                .with_status(ocp::LogBackupTaskStatusFilter::Inprogress)
                .with_status(ocp::LogBackupTaskStatusFilter::Failed),
        )
        .collect_all()
        .await
        .expect("filtered");
    let wanted = |t: &ocp::LogBackupTask| {
        matches!(
            t.status,
            Some(ocp::TaskStatus::Running | ocp::TaskStatus::InProgress | ocp::TaskStatus::Failed)
        )
    };
    assert_eq!(in_progress.len(), all.iter().filter(|t| wanted(t)).count());
    assert!(in_progress.iter().all(wanted));
    let from = Utc
        .with_ymd_and_hms(2024, 1, 1, 12, 0, 0)
        .single()
        .expect("time");
    let to = Utc
        .with_ymd_and_hms(2024, 1, 2, 12, 0, 0)
        .single()
        .expect("time");
    let window = client
        .list_log_backup_tasks(
            OCP_CLUSTER_ID,
            OCP_TENANT_ID,
            ocp::ListFilters::default()
                .with_start_time(from)
                .with_end_time(to),
        )
        .collect_all()
        .await
        .expect("window");
    let created = |t: &ocp::LogBackupTask| t.create_time.as_ref().and_then(|c| c.to_utc());
    let expected = all
        .iter()
        .filter(|t| created(t).is_some_and(|c| c >= from && c <= to))
        .count();
    assert!(expected > 0);
    assert_eq!(window.len(), expected);
    let page = client
        .list_log_backup_tasks(OCP_CLUSTER_ID, OCP_TENANT_ID, ocp::ListFilters::default())
        .page(4)
        .size(25)
        .send()
        .await
        .expect("last page");
    assert_eq!(page.data.contents.len(), 16);
    assert_eq!(
        (
            page.data.page.number,
            page.data.page.total_elements,
            page.data.page.total_pages
        ),
        (4, 91, 4)
    );
    server.stop().await.expect("stops");
}

#[tokio::test]
async fn ocp_auth_is_enforced_with_the_clients_own_signer() {
    let server = start(config(3)).await;
    assert!(
        ocp_client(&server)
            .list_log_backup_tasks(OCP_CLUSTER_ID, OCP_TENANT_ID, ocp::ListFilters::default())
            .send()
            .await
            .is_ok()
    );
    let wrong = ocp::Client::builder(server.url())
        .with_access_key(AK, "not-the-secret")
        .build()
        .expect("client");
    let err = wrong
        .list_log_backup_tasks(OCP_CLUSTER_ID, OCP_TENANT_ID, ocp::ListFilters::default())
        .send()
        .await
        .expect_err("bad signature");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    let basic = ocp::Client::builder(server.url())
        .with_basic_auth("admin", "admin")
        .build()
        .expect("client");
    assert!(
        basic
            .list_log_backup_tasks(OCP_CLUSTER_ID, OCP_TENANT_ID, ocp::ListFilters::default())
            .send()
            .await
            .is_ok()
    );

    // A correct signature over a Date 20 minutes old is refused (OCP allows 15).
    let url = reqwest::Url::parse(&ocp_url(&server, "?page=1")).expect("url");
    let stale =
        httpdate::fmt_http_date(std::time::SystemTime::now() - Duration::from_secs(20 * 60));
    let host = format!("{}", server.addr());
    let input = SigningInput {
        method: "GET",
        path: url.path(),
        query: "page=1",
        body: &[],
        content_type: "",
        date: &stale,
        host: &host,
        ocp_headers: &[],
    };
    let response = http()
        .get(url.clone())
        .header("date", &stale)
        .header("authorization", signer::authorization(AK, SK, &input))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 401);
    let body: Value = response.json().await.expect("json");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("15 minutes"),
        "{body}"
    );
    server.stop().await.expect("stops");
}

#[tokio::test]
async fn cbr_token_can_be_pinned() {
    let server = start(MockConfig {
        cbr_token: Some(Secret::new("right")),
        ..config(2)
    })
    .await;
    let wrong = cbr::Client::builder(server.url(), mock::CBR_PROJECT_ID)
        .with_token("wrong")
        .build()
        .expect("client");
    let err = wrong
        .list_op_logs(cbr::ListFilters::default())
        .send()
        .await
        .expect_err("pinned");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(
        err.vendor()
            .map(|v| v.to_string().starts_with("APIGW.0301")),
        Some(true)
    );
    let right = cbr::Client::builder(server.url(), mock::CBR_PROJECT_ID)
        .with_token("right")
        .build()
        .expect("client");
    assert_eq!(
        right
            .list_op_logs(cbr::ListFilters::default())
            .send()
            .await
            .expect("ok")
            .count,
        Some(3)
    );
    server.stop().await.expect("stops");
}

fn recorded_retries() -> (RetryPolicy, Arc<Mutex<Vec<Duration>>>) {
    recording(RetryPolicy::default().with_max_retries(10))
}

#[tokio::test]
async fn clients_retry_through_injected_throttling_and_outages() {
    let faulty = MockConfig {
        fault_rate: 0.4,
        faults: vec![Fault::Throttle, Fault::Unavailable],
        ..config(500)
    };
    let server = start(faulty).await;
    let (policy, slept) = recorded_retries();
    let client = cbr::Client::builder(server.url(), mock::CBR_PROJECT_ID)
        .with_token("t")
        .with_retry(policy.clone())
        .build()
        .expect("client");
    let logs = client
        .list_op_logs(cbr::ListFilters::default())
        .limit(50)
        .collect_all()
        .await
        .expect("retries get through");
    let ids: std::collections::HashSet<_> = logs.iter().map(|l| l.id.clone()).collect();
    assert_eq!((logs.len(), ids.len()), (501, 501));
    let ocp = ocp::Client::builder(server.url())
        .with_basic_auth("admin", "admin")
        .with_retry(policy)
        .build()
        .expect("client");
    let tasks = ocp
        .list_log_backup_tasks(OCP_CLUSTER_ID, OCP_TENANT_ID, ocp::ListFilters::default())
        .size(50)
        .collect_all()
        .await
        .expect("retries get through");
    assert_eq!(tasks.len(), 501);
    let waits = slept.lock().expect("lock").clone();
    assert!(
        !waits.is_empty(),
        "a 40% fault rate must have caused retries"
    );
    assert!(
        waits.contains(&Duration::from_secs(1)),
        "429 answers carry Retry-After: 1: {waits:?}"
    );
    server.stop().await.expect("stops");
}

#[tokio::test]
async fn truncated_and_non_json_bodies_are_reported_not_decoded() {
    let server = start(config(5)).await;
    // Asked for by header, per request.
    for (fault, check) in [
        ("truncate", "EOF while parsing"),
        ("non-json", "expected value"),
    ] {
        let response = reqwest_with_fault(fault)
            .get(cbr_url(&server, ""))
            .header("X-Auth-Token", "t")
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status().as_u16(), 200);
        let body = response.bytes().await.expect("body");
        let verdict = Contract::get(Api::Cbr)
            .expect("contract")
            .check_bytes(&Target::Response { status: 200 }, &body)
            .expect("target");
        let Verdict::NotJson { error } = verdict else {
            panic!("{fault}: {verdict:?}")
        };
        assert!(error.message.contains(check), "{fault}: {}", error.message);
    }

    // Through the typed client: a mock that truncates every response.
    let broken = start(MockConfig {
        fault_rate: 1.0,
        faults: vec![Fault::Truncate],
        ..config(5)
    })
    .await;
    let client = cbr::Client::builder(broken.url(), mock::CBR_PROJECT_ID)
        .with_token("t")
        .build()
        .expect("client");
    let err = client
        .list_op_logs(cbr::ListFilters::default())
        .send()
        .await
        .expect_err("truncated");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    let html = start(MockConfig {
        fault_rate: 1.0,
        faults: vec![Fault::NonJson],
        ..config(5)
    })
    .await;
    let client = ocp::Client::builder(html.url())
        .with_basic_auth("admin", "admin")
        .build()
        .expect("client");
    let err = client
        .list_log_backup_tasks(OCP_CLUSTER_ID, OCP_TENANT_ID, ocp::ListFilters::default())
        .send()
        .await
        .expect_err("html");
    let Error::Decode { excerpt, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(excerpt.starts_with("<html>"), "{excerpt}");
    for server in [server, broken, html] {
        server.stop().await.expect("stops");
    }
}

/// A raw client that asks the mock for `fault` on every request.
fn reqwest_with_fault(fault: &str) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        mock::FAULT_HEADER,
        reqwest::header::HeaderValue::from_str(fault).expect("ascii"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

#[tokio::test]
async fn latency_can_be_injected_per_request() {
    let server = start(config(1)).await;
    let started = std::time::Instant::now();
    let response = reqwest_with_fault("latency=300")
        .get(cbr_url(&server, ""))
        .header("X-Auth-Token", "t")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    let response = reqwest_with_fault("sideways")
        .get(cbr_url(&server, ""))
        .header("X-Auth-Token", "t")
        .send()
        .await
        .expect("answers");
    assert_eq!(
        response.status().as_u16(),
        400,
        "an unknown fault is a bad request, not a panic"
    );
    server.stop().await.expect("stops");
}

#[tokio::test]
async fn cbr_access_key_signatures_are_verified_with_the_clients_own_signer() {
    let server = start(MockConfig {
        cbr_keys: Some((AK.into(), Secret::new(SK))),
        ..config(40)
    })
    .await;
    let signed = cbr::Client::builder(server.url(), mock::CBR_PROJECT_ID)
        .with_access_key(AK, SK)
        .build()
        .expect("client");
    let all = signed
        .list_op_logs(cbr::ListFilters::default())
        .limit(7)
        .collect_all()
        .await
        .expect("every page, signed");
    let by_token = cbr_client(&server)
        .list_op_logs(cbr::ListFilters::default())
        .collect_all()
        .await
        .expect("tokens still work");
    assert_eq!(all.len(), by_token.len());
    assert!(all.len() > 40);
    // A wrong secret or an unknown access key is refused in the gateway's shape.
    for (ak, sk) in [(AK, "not-the-secret"), ("other-ak", SK)] {
        let client = cbr::Client::builder(server.url(), mock::CBR_PROJECT_ID)
            .with_access_key(ak, sk)
            .build()
            .expect("client");
        let err = client
            .list_op_logs(cbr::ListFilters::default())
            .send()
            .await
            .expect_err("refused");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err}");
        assert!(err.to_string().contains("APIGW.0301"), "{err}");
    }
    // The signature covers the query: the same headers on another query are refused.
    let url = reqwest::Url::parse(&cbr_url(&server, "?limit=3")).expect("url");
    let date = backup_task_api::cbr::signer::sdk_date(std::time::SystemTime::now());
    let input = backup_task_api::cbr::signer::SigningInput {
        method: "GET",
        path: url.path(),
        query: "limit=3",
        headers: &[("x-project-id", mock::CBR_PROJECT_ID)],
        body: &[],
        date: &date,
    };
    let authorization = backup_task_api::cbr::signer::authorization(AK, SK, &input);
    for (query, expected) in [("?limit=3", 200), ("?limit=4", 401)] {
        let (status, _) = checked(
            Api::Cbr,
            http()
                .get(cbr_url(&server, query))
                .header("x-project-id", mock::CBR_PROJECT_ID)
                .header("x-sdk-date", &date)
                .header("authorization", &authorization),
        )
        .await;
        assert_eq!(status, expected, "{query}");
    }
    // A correct signature over an X-Sdk-Date 20 minutes old is refused (the gateway allows 15).
    let stale = backup_task_api::cbr::signer::sdk_date(
        std::time::SystemTime::now() - Duration::from_secs(20 * 60),
    );
    let stale_input = backup_task_api::cbr::signer::SigningInput {
        date: &stale,
        ..input
    };
    let (status, _) = checked(
        Api::Cbr,
        http()
            .get(cbr_url(&server, "?limit=3"))
            .header("x-project-id", mock::CBR_PROJECT_ID)
            .header("x-sdk-date", &stale)
            .header(
                "authorization",
                backup_task_api::cbr::signer::authorization(AK, SK, &stale_input),
            ),
    )
    .await;
    assert_eq!(status, 401, "stale X-Sdk-Date");
    // Without --cbr-access-key a signed request is refused.
    let plain = start(config(2)).await;
    let err = cbr::Client::builder(plain.url(), mock::CBR_PROJECT_ID)
        .with_access_key(AK, SK)
        .build()
        .expect("client")
        .list_op_logs(cbr::ListFilters::default())
        .send()
        .await
        .expect_err("no keys configured");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    plain.stop().await.expect("stops");
    server.stop().await.expect("stops");
}

// ---- hostile clients (issue 9, items 13-15) ----

/// The longest any step below waits for the mock. Generous, so a loaded machine does not fail
/// these tests; only a mock that never answers (or holds a connection forever) does.
const BOUND: Duration = Duration::from_secs(20);

/// A request line and headers without the blank line that ends them: the mock waits for more.
fn half_request() -> String {
    format!(
        "GET /v3/{}/operation-logs HTTP/1.1\r\nHost: mock\r\nX-Auth-Token: t\r\n",
        mock::CBR_PROJECT_ID
    )
}

async fn half_sent(addr: SocketAddr) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt as _;
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    stream
        .write_all(half_request().as_bytes())
        .await
        .expect("writes");
    stream
}

/// Whether the mock closes `stream` within [`BOUND`] (whatever it sends before closing).
async fn closed_by_mock(stream: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt as _;
    let mut sink = Vec::new();
    tokio::time::timeout(BOUND, stream.read_to_end(&mut sink))
        .await
        .is_ok()
}

/// Whether the mock has already closed `stream`, without waiting: the end of the stream (or a
/// reset) is there to read now.
fn already_closed(stream: &tokio::net::TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match stream.try_read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(_) => return true,
        }
    }
}

/// Reads one HTTP/1.1 response with a `Content-Length` from `stream`; returns its status.
async fn read_response(stream: &mut tokio::net::TcpStream) -> u16 {
    use tokio::io::AsyncReadExt as _;
    let mut received = Vec::new();
    let mut buf = [0u8; 8192];
    let read = async {
        loop {
            let n = stream.read(&mut buf).await.expect("reads");
            assert!(n > 0, "closed mid-response: {received:?}");
            received.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&received);
            let Some(end) = text.find("\r\n\r\n") else {
                continue;
            };
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .expect("content-length");
            if received.len() >= end + 4 + length {
                return text[9..12].parse::<u16>().expect("status");
            }
        }
    };
    tokio::time::timeout(BOUND, read)
        .await
        .expect("a response within the bound")
}

#[tokio::test]
async fn half_sent_requests_are_dropped_and_real_requests_are_served_again() {
    // Regression: the mock had no header-read timeout, so a half-sent request held its
    // connection (and a descriptor) forever.
    let server = start(MockConfig {
        max_connections: 4,
        header_timeout: Duration::from_millis(200),
        ..config(3)
    })
    .await;
    let mut hostile = Vec::new();
    for _ in 0..12 {
        hostile.push(half_sent(server.addr()).await);
    }
    // Three times the cap: the real request waits behind them and is served once they are gone.
    let response = http()
        .get(cbr_url(&server, ""))
        .header("X-Auth-Token", "t")
        .timeout(BOUND)
        .send()
        .await
        .expect("served once the half-sent requests are dropped");
    assert_eq!(response.status().as_u16(), 200);
    let closed = futures::future::join_all(hostile.iter_mut().map(closed_by_mock)).await;
    assert!(
        closed.iter().all(|c| *c),
        "every half-sent request is dropped: {closed:?}"
    );
    server.stop().await.expect("stops");
}

#[tokio::test]
async fn a_connection_over_the_cap_waits_for_a_free_slot() {
    let server = start(MockConfig {
        max_connections: 1,
        header_timeout: Duration::from_millis(300),
        ..config(1)
    })
    .await;
    let hostile = half_sent(server.addr()).await;
    let mut real = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connects");
    {
        use tokio::io::AsyncWriteExt as _;
        let request = half_request() + "\r\n";
        real.write_all(request.as_bytes()).await.expect("writes");
    }
    assert_eq!(read_response(&mut real).await, 200);
    // The only slot was the half-sent connection's: the real one was answered only after the mock
    // had closed that one (a FIN on loopback is there to read before the next answer arrives).
    assert!(already_closed(&hostile), "answered while the cap was full");
    server.stop().await.expect("stops");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let server = start(MockConfig {
        header_timeout: Duration::from_millis(200),
        ..config(1)
    })
    .await;
    let mut stream = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connects");
    {
        use tokio::io::AsyncWriteExt as _;
        let request = half_request() + "\r\n";
        stream.write_all(request.as_bytes()).await.expect("writes");
    }
    assert_eq!(read_response(&mut stream).await, 200);
    assert!(
        closed_by_mock(&mut stream).await,
        "a keep-alive connection with no next request is closed"
    );
    server.stop().await.expect("stops");
}

#[tokio::test]
async fn a_client_that_never_reads_loses_its_slot() {
    use tokio::io::AsyncWriteExt as _;
    let server = start(MockConfig {
        max_connections: 1,
        write_timeout: Duration::from_millis(200),
        ..config(2000)
    })
    .await;
    // 40 requests for 1,000-record pages (about 30 MB of answers) sent at once and never read:
    // far more than the socket buffers hold, so the mock's writes stall.
    let mut hog = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connects");
    let request = format!(
        "GET /v3/{}/operation-logs?limit=1000 HTTP/1.1\r\nHost: mock\r\nX-Auth-Token: t\r\n\r\n",
        mock::CBR_PROJECT_ID
    );
    hog.write_all(request.repeat(40).as_bytes())
        .await
        .expect("writes");
    // The hog holds the only slot; the real request is served once its stalled write gives up.
    let response = http()
        .get(cbr_url(&server, "?limit=1"))
        .header("X-Auth-Token", "t")
        .timeout(BOUND)
        .send()
        .await
        .expect("served once the stalled connection is closed");
    assert_eq!(response.status().as_u16(), 200);
    drop(hog);
    server.stop().await.expect("stops");
}

#[test]
fn half_sent_requests_cannot_exhaust_the_descriptors() {
    // The case, scaled down: more half-sent requests than the process has descriptors.
    // Before the cap the mock accepted until `accept` failed with EMFILE, and the real request
    // timed out.
    let mut child = limited(
        "-n 64",
        &[
            "mock",
            "--addr",
            "127.0.0.1:0",
            "--records",
            "3",
            "--max-connections",
            "24",
            "--header-timeout-ms",
            "200",
        ],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::null())
    .spawn()
    .expect("mock starts");
    let addr: SocketAddr = first_line(&mut child)
        .trim_start_matches("http://")
        .parse()
        .expect("address");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let status = runtime.block_on(async {
        let mut hostile = Vec::new();
        for _ in 0..100 {
            hostile.push(half_sent(addr).await);
        }
        let response = http()
            .get(format!(
                "http://{addr}/v3/{}/operation-logs",
                mock::CBR_PROJECT_ID
            ))
            .header("X-Auth-Token", "t")
            .timeout(BOUND)
            .send()
            .await;
        drop(hostile);
        response.map(|r| r.status().as_u16())
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status.expect("a real request is served"), 200);
}

#[tokio::test]
async fn faults_and_delays_come_only_after_authentication() {
    // Regression: `x-mock-fault` (and the configured faults) worked without credentials.
    let server = start(config(2)).await;
    let always = start(MockConfig {
        fault_rate: 1.0,
        faults: vec![Fault::NonJson],
        ..config(2)
    })
    .await;
    for fault in ["non-json", "429", "503", "truncate", "latency=30000"] {
        let (status, body) = checked(
            Api::Cbr,
            reqwest_with_fault(fault)
                .get(cbr_url(&server, ""))
                .timeout(BOUND),
        )
        .await;
        assert_eq!(
            (status, body["error_code"].as_str()),
            (401, Some("APIGW.0301")),
            "cbr {fault}"
        );
        let (status, body) = checked(
            Api::Ocp,
            reqwest_with_fault(fault)
                .get(ocp_url(&server, ""))
                .basic_auth("admin", Some("wrong"))
                .timeout(BOUND),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_i64()),
            (401, Some(10008)),
            "ocp {fault}"
        );
    }
    let (status, _) = checked(Api::Cbr, http().get(cbr_url(&always, ""))).await;
    assert_eq!(status, 401, "a configured fault waits for credentials too");
    let (status, _) = checked(Api::Ocp, http().get(ocp_url(&always, ""))).await;
    assert_eq!(status, 401);
    // With credentials the fault still applies.
    let html = http()
        .get(ocp_url(&always, ""))
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .expect("answers");
    assert_eq!(
        html.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/html")
    );
    for server in [server, always] {
        server.stop().await.expect("stops");
    }
}

#[tokio::test]
async fn injected_latency_is_capped() {
    assert_eq!(
        "latency=30000".parse::<Fault>(),
        Ok(Fault::Latency(mock::MAX_LATENCY))
    );
    let over = "latency=30001".parse::<Fault>().expect_err("over the cap");
    assert!(over.contains("cap of 30000 ms"), "{over}");
    let server = start(config(1)).await;
    let (status, body) = checked(
        Api::Cbr,
        reqwest_with_fault("latency=18446744073709551615")
            .get(cbr_url(&server, ""))
            .header("X-Auth-Token", "t")
            .timeout(BOUND),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("cap of 30000 ms")),
        "{body}"
    );
    let (status, body) = checked(
        Api::Ocp,
        reqwest_with_fault("latency=30001")
            .get(ocp_url(&server, ""))
            .basic_auth("admin", Some("admin"))
            .timeout(BOUND),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    server.stop().await.expect("stops");
    // A configuration the mock cannot serve with does not start.
    let over_cap = Duration::from_millis(30_001);
    for (bad, says) in [
        (
            MockConfig {
                latency: over_cap,
                ..config(1)
            },
            "latency of 30001 ms is over the cap of 30000 ms",
        ),
        (
            MockConfig {
                faults: vec![Fault::Latency(over_cap)],
                fault_rate: 0.5,
                ..config(1)
            },
            "latency fault of 30001 ms",
        ),
        (
            MockConfig {
                max_connections: 0,
                ..config(1)
            },
            "max connections must be from 1",
        ),
        (
            MockConfig {
                header_timeout: Duration::ZERO,
                ..config(1)
            },
            "header timeout",
        ),
        (
            MockConfig {
                write_timeout: Duration::ZERO,
                ..config(1)
            },
            "write timeout",
        ),
        (
            MockConfig {
                fault_rate: 1.5,
                ..config(1)
            },
            "fault rate",
        ),
    ] {
        let err = mock::start(SocketAddr::from(([127, 0, 0, 1], 0)), bad)
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains(says), "{err}");
    }
}

/// Runs the binary with `args`; fails the test if it is still running after [`BOUND`] (a mock
/// that started serving instead of refusing its options).
fn run_bounded(args: &[&str]) -> std::process::Output {
    let child = spawn(root(), args, std::process::Stdio::null());
    finish(child, BOUND, &format!("{args:?}"))
}

#[test]
fn mock_options_over_their_bounds_are_usage_errors() {
    for (args, says) in [
        (
            &["--latency-ms", "30001"][..],
            "latency of 30001 ms is over the cap of 30000 ms",
        ),
        (&["--fault", "latency=30001"][..], "cap of 30000 ms"),
        (&["--max-connections", "0"][..], "max connections"),
        (&["--header-timeout-ms", "0"][..], "header timeout"),
        (&["--write-timeout-ms", "0"][..], "write timeout"),
        (&["--fault-rate", "2"][..], "fault rate"),
    ] {
        let out = run_bounded(&[&["mock", "--addr", "127.0.0.1:0"][..], args].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "no URL for a mock that does not start"
        );
    }
}

#[tokio::test]
async fn the_basic_scheme_is_matched_in_any_case() {
    use base64::Engine as _;
    let server = start(config(1)).await;
    let credentials = base64::engine::general_purpose::STANDARD.encode("admin:admin");
    for scheme in ["Basic", "basic", "BASIC", "bAsIc"] {
        let (status, _) = checked(
            Api::Ocp,
            http()
                .get(ocp_url(&server, ""))
                .header("authorization", format!("{scheme} {credentials}")),
        )
        .await;
        assert_eq!(status, 200, "{scheme}");
    }
    let (status, _) = checked(
        Api::Ocp,
        http()
            .get(ocp_url(&server, ""))
            .header("authorization", format!("Basic   {credentials} ")),
    )
    .await;
    assert_eq!(status, 200, "spaces around the credentials");
    server.stop().await.expect("stops");
}

/// A 401 body without what changes from one response to the next (trace id, time).
fn without_volatile(mut body: Value) -> Value {
    if let Some(object) = body.as_object_mut() {
        for key in ["traceId", "timestamp", "request_id"] {
            object.remove(key);
        }
    }
    body
}

#[tokio::test]
async fn every_credential_mismatch_reads_alike() {
    use base64::Engine as _;
    // Regression: OCP answered "Unknown access key" to one and "The signature does not match" to
    // the other, telling a guesser which half was right.
    let server = start(MockConfig {
        cbr_keys: Some((AK.into(), Secret::new(SK))),
        cbr_token: Some(Secret::new("right")),
        ..config(1)
    })
    .await;
    let url = reqwest::Url::parse(&ocp_url(&server, "")).expect("url");
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let host = server.addr().to_string();
    let input = SigningInput {
        method: "GET",
        path: url.path(),
        query: "",
        body: &[],
        content_type: "",
        date: &date,
        host: &host,
        ocp_headers: &[],
    };
    let mut ocp_bodies = Vec::new();
    for (what, authorization) in [
        (
            "unknown access key",
            signer::authorization("other-ak", SK, &input),
        ),
        (
            "wrong signature",
            signer::authorization(AK, "not-the-secret", &input),
        ),
        (
            "wrong user",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("root:admin")
            ),
        ),
        (
            "wrong password",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("admin:nope")
            ),
        ),
    ] {
        let (status, body) = checked(
            Api::Ocp,
            http()
                .get(url.clone())
                .header("date", &date)
                .header("authorization", authorization),
        )
        .await;
        assert_eq!(status, 401, "{what}");
        ocp_bodies.push((what, without_volatile(body)));
    }
    for (what, body) in &ocp_bodies[1..] {
        assert_eq!(
            body, &ocp_bodies[0].1,
            "{what} reads like an unknown access key"
        );
    }

    let cbr_url = reqwest::Url::parse(&cbr_url(&server, "")).expect("url");
    let sdk_date = backup_task_api::cbr::signer::sdk_date(std::time::SystemTime::now());
    let cbr_input = backup_task_api::cbr::signer::SigningInput {
        method: "GET",
        path: cbr_url.path(),
        query: "",
        headers: &[],
        body: &[],
        date: &sdk_date,
    };
    let mut cbr_bodies = Vec::new();
    for (what, header, value) in [
        (
            "unknown access key",
            "authorization",
            backup_task_api::cbr::signer::authorization("other-ak", SK, &cbr_input),
        ),
        (
            "wrong signature",
            "authorization",
            backup_task_api::cbr::signer::authorization(AK, "not-the-secret", &cbr_input),
        ),
        ("wrong token", "x-auth-token", "wrong".to_owned()),
    ] {
        let (status, body) = checked(
            Api::Cbr,
            http()
                .get(cbr_url.clone())
                .header("x-sdk-date", &sdk_date)
                .header(header, value),
        )
        .await;
        assert_eq!(status, 401, "{what}");
        cbr_bodies.push((what, without_volatile(body)));
    }
    for (what, body) in &cbr_bodies[1..] {
        assert_eq!(
            body, &cbr_bodies[0].1,
            "{what} reads like an unknown access key"
        );
    }
    server.stop().await.expect("stops");
}

#[test]
fn the_startup_banner_names_no_password_or_secret() {
    // Regression: the banner printed `Basic admin:PASSWORD`.
    use std::io::BufRead as _;
    let secrets = ["pw-9f3a61", "osk-77b1c2", "tok-51c2d3", "csk-0d4e5f"];
    let mut child = spawn(
        root(),
        &[
            "mock",
            "--addr",
            "127.0.0.1:0",
            "--records",
            "1",
            "--ocp-password",
            secrets[0],
            "--ocp-access-key",
            "ocp-ak",
            "--ocp-secret-key",
            secrets[1],
            "--cbr-token",
            secrets[2],
            "--cbr-access-key",
            "cbr-ak",
            "--cbr-secret-key",
            secrets[3],
        ],
        std::process::Stdio::null(),
    );
    let mut banner = String::new();
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("piped"));
    while !banner.contains("SIGTERM stops") {
        if stderr.read_line(&mut banner).expect("reads") == 0 {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        banner.contains("Basic auth configured (user admin)"),
        "{banner}"
    );
    assert!(
        banner.contains("ocp-ak") && banner.contains("cbr-ak"),
        "{banner}"
    );
    for secret in secrets {
        assert!(!banner.contains(secret), "{secret} in {banner}");
    }
}
