//! The CBR client against a real local HTTP server (wiremock): exact requests, every error shape,
//! retries (delays observed through an injected sleep, so nothing really waits), paging edge cases,
//! bad bodies, timeouts, and tolerant reading.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use backup_task_api::cbr::{
    Client, ErrorBody, ListFilters, OperationType, OperationTypeFilter, TaskStatus,
    TaskStatusFilter,
};
use backup_task_api::client::RetryPolicy;
use backup_task_api::{Error, VendorError};
use chrono::{TimeZone, Utc};
use futures::StreamExt;
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::{query_number, recording, requests};

const TOKEN: &str = "MIIZ-secret-token-value";
const LOGS: &str = "/v3/proj/operation-logs";

/// A retry policy whose sleeps are recorded instead of slept.
fn recorded(retries: usize) -> (RetryPolicy, Arc<Mutex<Vec<Duration>>>) {
    recording(
        RetryPolicy::default()
            .without_jitter()
            .with_max_retries(retries)
            .with_min_delay(Duration::from_millis(100)),
    )
}

fn client(server: &MockServer, retry: RetryPolicy) -> Client {
    Client::builder(server.uri(), "proj")
        .with_token(TOKEN)
        .with_retry(retry)
        .build()
        .expect("client")
}

fn log(i: usize) -> Value {
    json!({
        "id": format!("task-{i}"), "project_id": "proj", "status": "success",
        "created_at": "2019-05-23T14:31:36.039365", "started_at": "2019-05-23T14:31:36.007230",
        "updated_at": "2019-05-23T14:35:23.584418", "error_info": {"code": "", "message": ""}
    })
}

fn page(logs: Vec<Value>) -> Value {
    json!({"count": logs.len(), "operation_logs": logs})
}

/// Serves `total` records by `offset`/`limit`, like CBR; `cap` limits what it returns per page.
struct Dataset {
    total: usize,
    cap: usize,
}

impl Respond for Dataset {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let get = |key: &str| query_number(request, key);
        let offset = get("offset").unwrap_or(0);
        let limit = get("limit").unwrap_or(1000).min(self.cap);
        let logs: Vec<Value> = (offset..self.total.min(offset + limit)).map(log).collect();
        // `count` is the total here (as far as CBR's int32 goes); the client must not depend on
        // it either way.
        let count = self.total.min(i32::MAX as usize);
        ResponseTemplate::new(200).set_body_json(json!({"count": count, "operation_logs": logs}))
    }
}

#[tokio::test]
async fn every_filter_goes_out_exactly_and_unset_ones_are_omitted() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![])))
        .mount(&server)
        .await;
    let client = client(&server, RetryPolicy::disabled());
    client
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect("bare query");
    client
        .list_op_logs(
            ListFilters::default()
                .with_start_time(
                    Utc.with_ymd_and_hms(2018, 1, 1, 12, 0, 0)
                        .single()
                        .expect("time"),
                )
                .with_end_time(
                    Utc.with_ymd_and_hms(2018, 2, 1, 12, 0, 0)
                        .single()
                        .expect("time"),
                )
                .with_status(TaskStatusFilter::Running)
                .with_operation_type(OperationTypeFilter::Replication)
                .with_provider_id("0daac4c5-6707-4851-97ba-169e36266b66")
                .with_resource_id("res 1")
                .with_resource_name("ECS-0001")
                .with_vault_id("v1")
                .with_vault_name("my vault&co")
                .with_enterprise_project_id("all_granted_eps"),
        )
        .limit(50)
        .offset(0)
        .send()
        .await
        .expect("filtered query");
    let seen = requests(&server).await;
    assert_eq!(seen.len(), 2);
    for request in &seen {
        assert_eq!(request.method.as_str(), "GET");
        assert_eq!(request.url.path(), LOGS);
        assert_eq!(request.headers["x-auth-token"], TOKEN);
        assert!(
            request.headers.get("api-version").is_none(),
            "progenitor's api-version header is stripped"
        );
        assert!(
            request.headers["user-agent"]
                .to_str()
                .expect("ascii")
                .starts_with("backup-task-api/")
        );
    }
    assert_eq!(seen[0].url.query(), None, "no filter set, nothing sent");
    assert_eq!(
        seen[1].url.query(),
        Some(
            "end_time=2018-02-01T12%3A00%3A00Z&enterprise_project_id=all_granted_eps&limit=50&offset=0\
             &operation_type=replication&provider_id=0daac4c5-6707-4851-97ba-169e36266b66\
             &resource_id=res+1&resource_name=ECS-0001&start_time=2018-01-01T12%3A00%3A00Z\
             &status=running&vault_id=v1&vault_name=my+vault%26co"
        )
    );
}

#[tokio::test]
async fn project_id_is_percent_encoded_in_the_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![])))
        .mount(&server)
        .await;
    let client = Client::builder(server.uri(), "a b/c?")
        .with_token(TOKEN)
        .build()
        .expect("client");
    client
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect("page");
    assert_eq!(
        requests(&server).await[0].url.path(),
        "/v3/a%20b%2Fc%3F/operation-logs"
    );
}

#[tokio::test]
async fn bad_arguments_are_errors_before_anything_is_sent() {
    let server = MockServer::start().await;
    let client = client(&server, RetryPolicy::disabled());
    for limit in [0, 1001] {
        let err = client
            .list_op_logs(ListFilters::default())
            .limit(limit)
            .send()
            .await
            .expect_err("out of range");
        assert!(matches!(err, Error::InvalidRequest(_)), "{err}");
    }
    assert!(requests(&server).await.is_empty());
    for (endpoint, token) in [("not a url", TOKEN), ("ftp://x", TOKEN), ("http://x", "")] {
        let err = Client::builder(endpoint, "p")
            .with_token(token)
            .build()
            .expect_err(endpoint);
        assert!(matches!(err, Error::InvalidRequest(_)), "{err}");
    }
    let err = Client::builder("http://x", "p")
        .build()
        .expect_err("no credentials");
    assert!(err.to_string().contains("with_token"), "{err}");
}

#[tokio::test]
async fn error_bodies_are_parsed_in_every_shape() {
    let cases = [
        (
            404,
            json!({"error_code": "BackupService.6500", "error_msg": "Operation log does not exist."}),
            "BackupService.6500",
            None,
        ),
        (
            401,
            json!({"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information.", "request_id": "r-1"}),
            "APIGW.0301",
            Some("r-1"),
        ),
        (
            500,
            json!({"code": "BackupService.9998", "message": "System error."}),
            "BackupService.9998",
            None,
        ),
        (
            403,
            json!({"error_code": "BackupService.8600", "error_msg": "denied", "extra": 1}),
            "BackupService.8600",
            None,
        ),
    ];
    for (status, body, code, request_id) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status).set_body_json(&body))
            .mount(&server)
            .await;
        let err = client(&server, RetryPolicy::disabled())
            .list_op_logs(ListFilters::default())
            .send()
            .await
            .expect_err("error status");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert!(!err.is_retryable());
        let Some(parsed) = err.vendor_body::<ErrorBody>() else {
            panic!("{status}: {err:?}")
        };
        assert_eq!(parsed.code(), Some(code));
        assert_eq!(parsed.request_id.as_deref(), request_id);
        assert!(err.to_string().contains(code), "{err}");
    }
}

#[tokio::test]
async fn a_non_json_error_page_keeps_its_status_and_an_excerpt() {
    let server = MockServer::start().await;
    let html = "<html><body>502 Bad Gateway</body></html>";
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_string(html))
        .mount(&server)
        .await;
    let err = client(&server, RetryPolicy::disabled())
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect_err("500");
    match &err {
        Error::Api {
            status,
            body: VendorError::Unparsed { excerpt },
            attempts: 1,
            ..
        } => {
            assert_eq!(status.as_u16(), 500);
            assert_eq!(excerpt, html);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn throttling_is_retried_honouring_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "7")
                .set_body_json(json!({"error_code": "APIGW.0308", "error_msg": "throttled"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![log(0)])))
        .mount(&server)
        .await;
    let (policy, slept) = recorded(3);
    let page = client(&server, policy)
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect("second attempt succeeds");
    assert_eq!(page.operation_logs.len(), 1);
    assert_eq!(requests(&server).await.len(), 2);
    assert_eq!(*slept.lock().expect("lock"), [Duration::from_secs(7)]);
}

#[tokio::test]
async fn gateway_errors_back_off_exponentially_then_give_up_with_the_last_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .mount(&server)
        .await;
    let (policy, slept) = recorded(3);
    let err = client(&server, policy)
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect_err("always 503");
    assert_eq!(requests(&server).await.len(), 4, "1 attempt + 3 retries");
    // backon computes in f32, so compare whole milliseconds.
    let ms: Vec<u128> = slept
        .lock()
        .expect("lock")
        .iter()
        .map(Duration::as_millis)
        .collect();
    assert_eq!(ms, [100, 200, 400]);
    assert!(matches!(err, Error::Api { attempts: 4, .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test]
async fn retry_after_as_an_http_date_and_a_total_budget() {
    let server = MockServer::start().await;
    let later = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", later.as_str()))
        .mount(&server)
        .await;
    let (policy, slept) = recorded(3);
    let err = client(&server, policy)
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect_err("asked to wait an hour");
    // An hour is beyond the 30 s budget: the client returns the error instead of waiting.
    assert_eq!(requests(&server).await.len(), 1);
    assert!(slept.lock().expect("lock").is_empty());
    let Error::Api {
        retry_after: Some(wait),
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert!(wait > Duration::from_secs(3500), "{wait:?}");
}

#[tokio::test]
async fn retries_can_be_switched_off() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let err = client(&server, RetryPolicy::disabled())
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect_err("503");
    assert_eq!(requests(&server).await.len(), 1);
    assert!(matches!(err, Error::Api { attempts: 1, .. }));
}

#[tokio::test]
async fn a_dead_server_is_a_transport_error_after_retries() {
    let address = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    }; // dropped: nothing listens there now
    let (policy, slept) = recorded(2);
    let client = Client::builder(format!("http://{address}"), "p")
        .with_token(TOKEN)
        .with_retry(policy)
        .build()
        .expect("client");
    let err = client
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect_err("refused");
    assert!(
        matches!(err, Error::Transport { attempts: 3, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(slept.lock().expect("lock").len(), 2);
    assert!(
        err.to_string()
            .starts_with("transport error after 3 attempt(s)"),
        "{err}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(page(vec![]))
                .set_delay(Duration::from_secs(30)),
        )
        .mount(&server)
        .await;
    let client = Client::builder(server.uri(), "p")
        .with_token(TOKEN)
        .with_timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let err = client
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect_err("too slow");
    let Error::Transport {
        source,
        attempts: 1,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(source.is_timeout());
    assert!(
        err.to_string().starts_with("timed out after 1 attempt(s)"),
        "{err}"
    );
}

#[tokio::test]
async fn truncated_non_json_and_wrong_typed_bodies_are_decode_errors_with_a_path() {
    let cases = [
        (
            r#"{"count": 1, "operation_logs": [{"id": "x""#.to_owned(),
            // serde_path_to_error writes `?` for the key it was reading when the text ran out.
            "operation_logs[0].?",
        ),
        ("upstream said no".to_owned(), "."),
        (
            r#"{"count": "many", "operation_logs": []}"#.to_owned(),
            "count",
        ),
        (
            json!({"count": 1, "operation_logs": [{"id": 5}]}).to_string(),
            "operation_logs[0].id",
        ),
    ];
    for (body, at) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body.clone()))
            .mount(&server)
            .await;
        let err = client(&server, RetryPolicy::disabled())
            .list_op_logs(ListFilters::default())
            .send()
            .await
            .expect_err(&body);
        let Error::Decode {
            path,
            excerpt,
            status,
            ..
        } = &err
        else {
            panic!("{body}: {err:?}")
        };
        assert_eq!(path, at, "{body}");
        assert_eq!(status.map(|s| s.as_u16()), Some(200));
        assert!(body.starts_with(excerpt.as_str()), "{excerpt}");
        assert!(!err.is_retryable());
    }
}

#[tokio::test]
async fn paging_empty_first_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Dataset {
            total: 0,
            cap: 1000,
        })
        .mount(&server)
        .await;
    let all = client(&server, RetryPolicy::disabled())
        .list_op_logs(ListFilters::default())
        .collect_all()
        .await
        .expect("all");
    assert!(all.is_empty());
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn paging_total_an_exact_multiple_of_the_page_size() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Dataset {
            total: 6,
            cap: 1000,
        })
        .mount(&server)
        .await;
    let all = client(&server, RetryPolicy::disabled())
        .list_op_logs(ListFilters::default())
        .limit(3)
        .collect_all()
        .await
        .expect("all");
    let ids: Vec<&str> = all.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(
        ids,
        ["task-0", "task-1", "task-2", "task-3", "task-4", "task-5"]
    );
    let offsets: Vec<String> = requests(&server)
        .await
        .iter()
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        offsets,
        ["limit=3&offset=0", "limit=3&offset=3", "limit=3&offset=6"]
    );
}

#[tokio::test]
async fn paging_stops_on_a_short_page_and_ignores_count() {
    // The server says count=1 on every page, yet has 5 records: count is not a bound.
    let server = MockServer::start().await;
    for (offset, logs) in [
        (0, vec![log(0), log(1)]),
        (2, vec![log(2), log(3)]),
        (4, vec![log(4)]),
    ] {
        Mock::given(method("GET"))
            .and(wiremock::matchers::query_param(
                "offset",
                offset.to_string(),
            ))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"count": 1, "operation_logs": logs})),
            )
            .mount(&server)
            .await;
    }
    let all = client(&server, RetryPolicy::disabled())
        .list_op_logs(ListFilters::default())
        .limit(2)
        .collect_all()
        .await
        .expect("all");
    assert_eq!(all.len(), 5);
    assert_eq!(
        requests(&server).await.len(),
        3,
        "the short third page ends it"
    );
}

#[tokio::test]
async fn paging_when_the_server_returns_fewer_than_asked() {
    // A server that caps pages below `limit`: its first short page is taken as the last (the
    // documented stop rule), so the client asks once and reports what it got.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Dataset { total: 10, cap: 4 })
        .mount(&server)
        .await;
    let all = client(&server, RetryPolicy::disabled())
        .list_op_logs(ListFilters::default())
        .limit(5)
        .collect_all()
        .await
        .expect("all");
    assert_eq!(all.len(), 4);
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_page_that_fails_then_succeeds_on_retry_repeats_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::query_param("offset", "2"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(Dataset {
            total: 5,
            cap: 1000,
        })
        .mount(&server)
        .await;
    let (policy, slept) = recorded(2);
    let all = client(&server, policy)
        .list_op_logs(ListFilters::default())
        .limit(2)
        .collect_all()
        .await
        .expect("all");
    let ids: Vec<String> = all.into_iter().map(|l| l.id).collect();
    assert_eq!(ids, (0..5).map(|i| format!("task-{i}")).collect::<Vec<_>>());
    assert_eq!(requests(&server).await.len(), 4, "3 pages + 1 retry");
    assert_eq!(slept.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn a_page_that_keeps_failing_ends_the_stream_with_how_far_it_got() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::query_param("offset", "2"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"error_code": "BackupService.9998", "error_msg": "boom"})),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(Dataset {
            total: 5,
            cap: 1000,
        })
        .mount(&server)
        .await;
    let items: Vec<_> = client(&server, RetryPolicy::disabled())
        .list_op_logs(ListFilters::default())
        .limit(2)
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 3, "two records, then one error, then the end");
    assert!(items[..2].iter().all(Result::is_ok));
    match &items[2] {
        Err(Error::Page {
            page: 2,
            records: 2,
            source,
        }) => assert_eq!(source.status().map(|s| s.as_u16()), Some(500)),
        other => panic!("{other:?}"),
    }
    let err = client(&server, RetryPolicy::disabled())
        .list_op_logs(ListFilters::default())
        .limit(2)
        .collect_all()
        .await
        .expect_err("fails");
    assert_eq!(
        err.status().map(|s| s.as_u16()),
        Some(500),
        "status reaches through Page"
    );
}

#[tokio::test]
async fn the_stream_is_lazy_one_page_at_a_time() {
    // Memory is bounded by one page: a page is requested only when the previous one is used up.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Dataset {
            total: 100_000,
            cap: 1000,
        })
        .mount(&server)
        .await;
    let client = client(&server, RetryPolicy::disabled());
    let mut stream = Box::pin(client.list_op_logs(ListFilters::default()).stream());
    for _ in 0..1000 {
        stream.next().await.expect("item").expect("ok");
    }
    assert_eq!(
        requests(&server).await.len(),
        1,
        "1000 records need one page"
    );
    stream.next().await.expect("item").expect("ok");
    assert_eq!(
        requests(&server).await.len(),
        2,
        "record 1001 needs the second page"
    );
    let rest = stream
        .fold(0usize, |n, item| async move {
            item.expect("ok");
            n + 1
        })
        .await;
    assert_eq!(rest, 100_000 - 1001);
    assert_eq!(
        requests(&server).await.len(),
        101,
        "100 full pages and the empty one"
    );
}

#[tokio::test]
async fn tolerant_reading_of_a_real_world_page() {
    let mut odd = log(1);
    odd["status"] = json!("archived");
    odd["operation_type"] = json!("cold_archive");
    odd["created_at"] = json!("2019-05-23T14:35:23.584+00:00");
    odd["started_at"] = json!("2020-02-23T01:00:32Z");
    odd["updated_at"] = json!("not a time");
    odd["vault_id"] = Value::Null;
    odd["brand_new_field"] = json!({"nested": [1, 2]});
    odd["extra_info"] = json!({"backup": {"incremental": true}, "copy": {"unknown": "member"}});
    let mut string_incremental = log(2);
    string_incremental["extra_info"] = json!({"backup": {"incremental": "false"}});
    // `3.0` is no OpenAPI integer (the contract says so); the reader takes it as 3.
    let body =
        json!({"count": 3.0, "operation_logs": [log(0), odd, string_incremental], "next": "?"});
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&body))
        .mount(&server)
        .await;
    let page = client(&server, RetryPolicy::disabled())
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect("tolerated");
    assert_eq!(page.count, Some(3));
    let odd = &page.operation_logs[1];
    assert_eq!(odd.status, TaskStatus::Other("archived".into()));
    assert_eq!(
        odd.operation_type,
        Some(OperationType::Other("cold_archive".into()))
    );
    assert_eq!(
        odd.created_at.to_utc().map(|t| t.timestamp()),
        Some(1558622123)
    );
    assert_eq!(odd.started_at.has_offset(), Some(true));
    assert!(!odd.updated_at.is_valid());
    assert_eq!(odd.updated_at.as_str(), "not a time");
    assert_eq!(odd.vault_id, None);
    let incremental = |l: &backup_task_api::cbr::OperationLog| {
        l.extra_info
            .as_ref()
            .and_then(|e| e.backup.as_ref())
            .and_then(|b| b.incremental.as_ref())
            .and_then(|i| i.as_bool())
    };
    assert_eq!(incremental(odd), Some(true));
    assert_eq!(incremental(&page.operation_logs[2]), Some(false));
    assert_eq!(
        page.operation_logs[0].operation_type, None,
        "missing optional field"
    );
}

#[tokio::test]
async fn secrets_never_appear_in_debug_or_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error_code": "APIGW.0301", "error_msg": "bad token", "request_id": "r"}),
        ))
        .mount(&server)
        .await;
    let builder = Client::builder(server.uri(), "proj")
        .with_token(TOKEN)
        .with_retry(RetryPolicy::disabled());
    let client = builder.clone().build().expect("client");
    let err = client
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect_err("401");
    for text in [
        format!("{builder:?}"),
        format!("{client:?}"),
        format!("{err:?}"),
        err.to_string(),
        format!("{err:#?}"),
    ] {
        assert!(!text.contains(TOKEN), "token leaked: {text}");
    }
    assert!(format!("{builder:?}").contains("<redacted>"));
}

/// Recomputes the signature of a received AK/SK-signed request from what the server saw.
fn verify_signature(request: &Request, access_key: &str, secret_key: &str) {
    use backup_task_api::cbr::signer::{self, SigningInput};
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_owned()
    };
    let authorization = header("authorization");
    let parsed = signer::parse_authorization(&authorization).expect("SDK-HMAC-SHA256 value");
    assert_eq!(parsed.access_key, access_key);
    let signed: Vec<(String, String)> = parsed
        .signed_headers
        .iter()
        .filter(|name| name.as_str() != signer::DATE_HEADER)
        .map(|name| (name.clone(), header(name)))
        .collect();
    let signed: Vec<(&str, &str)> = signed
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let date = header("x-sdk-date");
    let input = SigningInput {
        method: request.method.as_str(),
        path: request.url.path(),
        query: request.url.query().unwrap_or_default(),
        headers: &signed,
        body: &request.body,
        date: &date,
    };
    assert_eq!(parsed.signature, signer::sign(secret_key, &input));
    assert_ne!(parsed.signature, signer::sign("another secret", &input));
}

#[tokio::test]
async fn access_key_signing_signs_every_attempt_and_sends_no_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![log(1)])))
        .mount(&server)
        .await;
    let (retry, _) = recorded(2);
    let client = Client::builder(server.uri(), "proj")
        .with_temporary_access_key("AK-ID-1", "SK-secret-value", "security-token-value")
        .with_retry(retry)
        .build()
        .expect("client");
    let shown = format!("{client:?}");
    for secret in ["SK-secret-value", "security-token-value"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    let page = client
        .list_op_logs(
            ListFilters::default()
                .with_operation_type(OperationTypeFilter::Backup)
                .with_resource_name("ECS one+two"),
        )
        .limit(5)
        .send()
        .await
        .expect("page after one retry");
    assert_eq!(page.operation_logs.len(), 1);
    let received = requests(&server).await;
    assert_eq!(received.len(), 2, "the 503 was retried");
    for request in &received {
        assert_eq!(request.url.path(), LOGS);
        assert!(request.headers.get("x-auth-token").is_none());
        assert!(request.headers.get("api-version").is_none());
        assert_eq!(request.headers["x-project-id"], "proj");
        assert_eq!(request.headers["x-security-token"], "security-token-value");
        let authorization = request.headers["authorization"].to_str().expect("ASCII");
        assert!(
            authorization.starts_with(
                "SDK-HMAC-SHA256 Access=AK-ID-1, \
                 SignedHeaders=x-project-id;x-sdk-date;x-security-token, Signature="
            ),
            "{authorization}"
        );
        verify_signature(request, "AK-ID-1", "SK-secret-value");
    }
}

#[tokio::test]
async fn empty_access_keys_are_refused_before_anything_is_sent() {
    for (ak, sk) in [("", "sk"), ("ak", "")] {
        let error = Client::builder("http://127.0.0.1:9", "proj")
            .with_access_key(ak, sk)
            .build()
            .expect_err("empty key");
        assert!(
            error
                .to_string()
                .contains("access key or secret key is empty"),
            "{error}"
        );
    }
    let error = Client::builder("http://127.0.0.1:9", "proj")
        .with_temporary_access_key("ak", "sk", "bad\ntoken")
        .build()
        .expect_err("a token that is no header value");
    assert!(!error.to_string().contains("bad\ntoken"), "{error}");
}

// ---- hostile servers (issue 9) ----

/// Every header that carries a credential in either auth mode.
const CREDENTIAL_HEADERS: [&str; 4] = [
    "x-auth-token",
    "x-security-token",
    "authorization",
    "x-project-id",
];

#[tokio::test]
async fn redirects_are_not_followed_so_credentials_never_reach_another_origin() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(vec![log(0)])))
        .mount(&elsewhere)
        .await;
    let target = format!("{}{LOGS}", elsewhere.uri());
    for status in [301, 302, 303, 307, 308] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status).insert_header("location", target.as_str()))
            .mount(&server)
            .await;
        let token = client(&server, RetryPolicy::disabled());
        let signed = Client::builder(server.uri(), "proj")
            .with_temporary_access_key("AK-ID-1", "SK-secret-value", "security-token-value")
            .with_retry(RetryPolicy::disabled())
            .build()
            .expect("client");
        for client in [token, signed] {
            let error = client
                .list_op_logs(ListFilters::default())
                .send()
                .await
                .expect_err("a redirect");
            match &error {
                Error::Redirect {
                    status: got,
                    location,
                } => {
                    assert_eq!(got.as_u16(), status);
                    assert_eq!(location.as_deref(), Some(target.as_str()));
                }
                other => panic!("{status}: {other:?}"),
            }
            assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
            assert!(!error.is_retryable());
            assert!(error.to_string().contains("not followed"), "{error}");
            let error = client
                .list_op_logs(ListFilters::default())
                .collect_all()
                .await
                .expect_err("a redirect ends a stream too");
            assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        }
        assert_eq!(requests(&server).await.len(), 4, "{status}: sent once each");
    }
    let leaked = requests(&elsewhere).await;
    let credentials: Vec<_> = leaked
        .iter()
        .flat_map(|r| {
            CREDENTIAL_HEADERS
                .iter()
                .filter(|h| r.headers.contains_key(**h))
        })
        .collect();
    assert!(
        credentials.is_empty(),
        "credentials reached another origin: {credentials:?}"
    );
    assert!(
        leaked.is_empty(),
        "the other origin was never asked: {}",
        leaked.len()
    );
}

#[tokio::test]
async fn a_huge_retry_after_returns_the_error_instead_of_overflowing() {
    // Retry-After 1, then u64::MAX seconds: adding the second to the first overflowed a Duration.
    let server = MockServer::start().await;
    let throttled = json!({"error_code": "APIGW.0308", "error_msg": "throttled"});
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(&throttled),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "18446744073709551615")
                .set_body_json(&throttled),
        )
        .mount(&server)
        .await;
    let (policy, slept) = recorded(3);
    let error = client(&server, policy)
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect_err("the server asks for more than the budget");
    match error {
        Error::Api {
            status,
            retry_after,
            attempts,
            ..
        } => {
            assert_eq!(status.as_u16(), 429);
            assert_eq!(retry_after, Some(Duration::from_secs(u64::MAX)));
            assert_eq!(attempts, 2);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(*slept.lock().expect("lock"), [Duration::from_secs(1)]);
}

fn capped(url: &str, limit: u64) -> Client {
    Client::builder(url, "proj")
        .with_token(TOKEN)
        .with_retry(RetryPolicy::disabled())
        .with_max_body_bytes(limit)
        .build()
        .expect("client")
}

fn assert_too_large(error: &Error, limit: u64, status: u16) {
    match error {
        Error::BodyTooLarge {
            limit: got,
            status: got_status,
        } => {
            assert_eq!(*got, limit);
            assert_eq!(got_status.as_u16(), status);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        error.to_string().contains("larger than the limit"),
        "{error}"
    );
    assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
}

#[tokio::test]
async fn a_body_over_the_limit_fails_by_its_content_length_and_one_at_the_limit_passes() {
    let body = serde_json::to_vec(&page((0..3).map(log).collect())).expect("json");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"))
        .mount(&server)
        .await;
    let limit = body.len() as u64;
    let page = capped(&server.uri(), limit)
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect("a body exactly at the limit");
    assert_eq!(page.operation_logs.len(), 3);
    let error = capped(&server.uri(), limit - 1)
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect_err("one byte over");
    assert_too_large(&error, limit - 1, 200);
    let error = capped(&server.uri(), limit - 1)
        .list_op_logs(ListFilters::default())
        .collect_all()
        .await
        .expect_err("in a stream too");
    match &error {
        Error::Page { source, .. } => assert_too_large(source, limit - 1, 200),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_endless_body_is_cut_off_at_the_limit_whatever_its_framing() {
    use crate::support::{Framing, endless_body_server};
    for (status, framing) in [
        (200, Framing::Chunked),
        (200, Framing::UntilClose),
        (500, Framing::Chunked),
    ] {
        let url = endless_body_server(status, framing).await;
        let error = capped(&url, 1024 * 1024)
            .list_op_logs(ListFilters::default())
            .send()
            .await
            .expect_err("endless");
        assert_too_large(&error, 1024 * 1024, status);
    }
    // A length that lies low: the client reads what it declared and stops there.
    let url = endless_body_server(200, Framing::LyingLength).await;
    let error = capped(&url, 1024 * 1024)
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect_err("100 bytes of an unfinished page");
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
}

/// Answers every request with the same full page of `n` records, whatever the offset.
struct IgnoresOffset {
    n: usize,
}

impl Respond for IgnoresOffset {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(page((0..self.n).map(log).collect()))
    }
}

#[tokio::test]
async fn paging_that_does_not_advance_ends_with_a_clear_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(IgnoresOffset { n: 3 })
        .mount(&server)
        .await;
    let items: Vec<_> = client(&server, RetryPolicy::disabled())
        .list_op_logs(ListFilters::default())
        .limit(3)
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 4, "the first page's 3 records, then the error");
    assert!(items[..3].iter().all(Result::is_ok));
    match &items[3] {
        Err(
            error @ Error::PagingStalled {
                page: 2,
                records: 3,
                reason: backup_task_api::Stall::RepeatedRecords,
            },
        ) => assert!(
            error.to_string().contains("paging does not advance"),
            "{error}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn paging_ends_where_the_offset_cannot_go_further() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Dataset {
            total: i32::MAX as usize + 10,
            cap: 1000,
        })
        .mount(&server)
        .await;
    let start = i32::MAX as u32 - 2;
    let items: Vec<_> = client(&server, RetryPolicy::disabled())
        .list_op_logs(ListFilters::default())
        .offset(start)
        .limit(3)
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 4, "one full page, then the error: {items:?}");
    assert!(
        matches!(
            items[3],
            Err(Error::PagingStalled {
                page: 2,
                records: 3,
                reason: backup_task_api::Stall::CursorLimit,
            })
        ),
        "{:?}",
        items[3]
    );
    let error = client(&server, RetryPolicy::disabled())
        .list_op_logs(ListFilters::default())
        .offset(i32::MAX as u32 + 1)
        .send()
        .await
        .expect_err("an offset CBR cannot take");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn server_text_in_an_error_is_escaped_when_shown_and_exact_when_read() {
    let message = "quota\r\x1b[2Kall good\nerror: forged \u{9b}31m";
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error_code": "BackupService.9900\x1b]0;t\x07", "error_msg": message, "request_id": "r\r1"}),
        ))
        .mount(&server)
        .await;
    let error = client(&server, RetryPolicy::disabled())
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect_err("400");
    let shown = error.to_string();
    assert!(
        !shown.chars().any(|c| c.is_control()),
        "a control character reached the text: {shown:?}"
    );
    assert!(
        shown.contains(r"quota\r\x1b[2Kall good\nerror: forged \u{9b}31m"),
        "{shown}"
    );
    assert!(shown.contains(r"BackupService.9900\x1b]0;t\x07"), "{shown}");
    assert!(shown.contains(r"(request_id r\r1)"), "{shown}");
    match error.vendor_body::<ErrorBody>() {
        Some(body) => assert_eq!(body.message(), Some(message)),
        None => panic!("{error:?}"),
    }
}

/// An error and its causes as `anyhow`'s `{:#}` prints them: each `source()` after a `": "`.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}

/// Each message says its part once: no cause's text is repeated by the message above it.
#[tokio::test]
async fn error_chains_read_once() {
    // Transport: a port nothing listens on (bound, then released).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = closed.local_addr().expect("address");
    drop(closed);
    let transport = Client::builder(format!("http://{address}"), "proj")
        .with_token(TOKEN)
        .with_retry(RetryPolicy::disabled())
        .build()
        .expect("client")
        .list_op_logs(ListFilters::default())
        .send()
        .await
        .expect_err("refused");
    assert!(
        matches!(transport, Error::Transport { .. }),
        "{transport:?}"
    );

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::query_param("offset", "0"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"count": 1, "operation_logs": [{"id": 5}]}"#),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::query_param("offset", "7"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error_code": "BackupService.6302", "error_msg": "Invalid offset.", "request_id": "r-1"
        })))
        .mount(&server)
        .await;
    let client = client(&server, RetryPolicy::disabled());
    let decode = client
        .list_op_logs(ListFilters::default())
        .offset(0)
        .send()
        .await
        .expect_err("decode");
    assert!(matches!(decode, Error::Decode { .. }), "{decode:?}");
    let vendor = Box::pin(
        client
            .list_op_logs(ListFilters::default())
            .offset(7)
            .stream(),
    )
    .next()
    .await
    .expect("an item")
    .expect_err("vendor");
    assert!(matches!(vendor, Error::Page { .. }), "{vendor:?}");

    let mut shown = String::new();
    for (what, error) in [
        ("transport", &transport),
        ("decode", &decode),
        ("vendor, on a page", &vendor),
    ] {
        let text = chain(error);
        // Every link of the chain adds text of its own.
        let mut link: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(this) = link {
            if let Some(cause) = this.source() {
                let cause = cause.to_string();
                assert!(!this.to_string().contains(&cause), "{what}: {text}");
            }
            link = this.source();
        }
        shown.push_str(&format!("{what}:\n{text}\n\n"));
    }
    let shown = shown.replace(&address.to_string(), "[closed port]");
    crate::support::settings().bind(|| insta::assert_snapshot!("client_error_chains", shown));
}
