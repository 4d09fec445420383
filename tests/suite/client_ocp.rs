//! The OCP client against a real local HTTP server (wiremock): exact requests and both auth modes
//! (the AK/SK signature is recomputed from what the server received), the envelope's
//! `successful: false`, error shapes, `RateLimit-Reset`, paging by `page`/`size`, tolerant reading.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use backup_task_api::client::RetryPolicy;
use backup_task_api::ocp::signer::{self, SigningInput};
use backup_task_api::ocp::{
    BackupMode, Client, ErrorCode, ErrorResponse, ListFilters, LogBackupTaskStatusFilter,
    TaskStatus,
};
use backup_task_api::{Error, VendorError};
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::{query_number, recording, requests};

const PASSWORD: &str = "s3cret-Passw0rd";
const SECRET_KEY: &str = "2fc0c299cc94c6be266f2ceece765d4d";
const TASKS: &str = "/api/v2/ob/clusters/1000005/tenants/1000012/backup/task/logBackupTasks";

fn recorded(retries: usize) -> (RetryPolicy, Arc<Mutex<Vec<Duration>>>) {
    recording(
        RetryPolicy::default()
            .without_jitter()
            .with_max_retries(retries),
    )
}

fn basic(server: &MockServer, retry: RetryPolicy) -> Client {
    Client::builder(server.uri())
        .with_basic_auth("admin", PASSWORD)
        .with_retry(retry)
        .build()
        .expect("client")
}

fn task(i: usize) -> Value {
    json!({"tenantId": 1000012, "clusterId": 1000005, "status": "RUNNING", "delay": 1.5, "tenantName": format!("t{i}")})
}

fn envelope(contents: Vec<Value>, number: usize, size: usize, total: usize) -> Value {
    let total_pages = total.div_ceil(size.max(1));
    json!({
        "data": {"contents": contents, "page": {"number": number, "size": size, "totalElements": total, "totalPages": total_pages}},
        "successful": true, "status": 200, "duration": 3, "timestamp": "2024-08-09T16:06:02.743+08:00"
    })
}

/// Serves `total` tasks by 1-based `page` and `size`, like OCP.
struct Dataset {
    total: usize,
}

impl Respond for Dataset {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let get = |key: &str| query_number(request, key);
        let (page, size) = (get("page").unwrap_or(1), get("size").unwrap_or(10));
        let start = (page - 1) * size;
        let contents = (start..self.total.min(start + size)).map(task).collect();
        ResponseTemplate::new(200).set_body_json(envelope(contents, page, size, self.total))
    }
}

#[tokio::test]
async fn every_filter_goes_out_exactly_with_basic_auth() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(envelope(vec![], 1, 10, 0)))
        .mount(&server)
        .await;
    let client = basic(&server, RetryPolicy::disabled());
    client
        .list_log_backup_tasks(1000005, 1000012, ListFilters::default())
        .send()
        .await
        .expect("bare");
    client
        .list_log_backup_tasks(
            1000005,
            1000012,
            ListFilters::default()
                .with_start_time(
                    Utc.with_ymd_and_hms(2024, 8, 6, 0, 0, 0)
                        .single()
                        .expect("time"),
                )
                .with_end_time(
                    Utc.with_ymd_and_hms(2024, 8, 7, 0, 0, 0)
                        .single()
                        .expect("time"),
                )
                .with_status(LogBackupTaskStatusFilter::Starting)
                .with_status(LogBackupTaskStatusFilter::Inprogress)
                .with_status(LogBackupTaskStatusFilter::Starting),
        )
        .page(2)
        .size(10)
        .send()
        .await
        .expect("filtered");
    let seen = requests(&server).await;
    for request in &seen {
        assert_eq!(
            (request.method.as_str(), request.url.path()),
            ("GET", TASKS)
        );
        assert_eq!(
            request.headers["authorization"],
            "Basic YWRtaW46czNjcmV0LVBhc3N3MHJk"
        );
        assert!(request.headers.get("api-version").is_none());
    }
    assert_eq!(
        seen[0].url.query(),
        None,
        "nothing unset is sent (OCP answers 400 to key=)"
    );
    assert_eq!(
        seen[1].url.query(),
        Some(
            "endTime=2024-08-07T00%3A00%3A00Z&page=2&size=10&startTime=2024-08-06T00%3A00%3A00Z&status=STARTING%2CINPROGRESS"
        ),
        "status goes out once, comma-separated; a repeated value is sent once"
    );
}

#[tokio::test]
async fn ak_sk_requests_carry_a_signature_the_server_can_recompute() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(envelope(vec![], 1, 10, 0)))
        .mount(&server)
        .await;
    let client = Client::builder(server.uri())
        .with_access_key("cqammmxBpfGjFlto", SECRET_KEY)
        .with_retry(RetryPolicy::disabled())
        .build()
        .expect("client");
    client
        .list_log_backup_tasks(
            1000005,
            1000012,
            ListFilters::default()
                .with_status(LogBackupTaskStatusFilter::Failed)
                .with_status(LogBackupTaskStatusFilter::Stopped),
        )
        .size(5)
        .send()
        .await
        .expect("page");
    let request = &requests(&server).await[0];
    let header = |name: &str| request.headers[name].to_str().expect("ascii").to_owned();
    let date = header("date");
    assert!(
        httpdate::parse_http_date(&date).is_ok(),
        "RFC 1123 Date: {date}"
    );
    let host = header("host");
    let input = SigningInput {
        method: "GET",
        path: request.url.path(),
        query: request.url.query().unwrap_or_default(),
        body: &[],
        content_type: "",
        date: &date,
        host: &host,
        ocp_headers: &[],
    };
    assert_eq!(
        header("authorization"),
        signer::authorization("cqammmxBpfGjFlto", SECRET_KEY, &input)
    );
    assert!(header("authorization").starts_with("OCP-ACCESS-KEY-HMACSHA1 cqammmxBpfGjFlto:"));
}

#[tokio::test]
async fn an_error_envelope_is_parsed_with_integer_or_string_codes() {
    let cases = [
        (
            404,
            json!({"successful": false, "status": 404, "error": {"code": 60101, "message": "Tenant does not exist", "debugMessage": "tenant 1 not found"}, "traceId": "t1"}),
            ErrorCode::Int(60101),
        ),
        (
            403,
            json!({"successful": false, "status": 403, "error": {"code": "ACCESS_DENIED", "message": "Access denied"}}),
            ErrorCode::Text("ACCESS_DENIED".into()),
        ),
    ];
    for (status, body, code) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status).set_body_json(&body))
            .mount(&server)
            .await;
        let err = basic(&server, RetryPolicy::disabled())
            .list_log_backup_tasks(1, 2, ListFilters::default())
            .send()
            .await
            .expect_err("error");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        let Some(envelope) = err.vendor_body::<ErrorResponse>() else {
            panic!("{err:?}")
        };
        assert_eq!(envelope.error.code, code);
    }
}

/// An error body is read with integral floats as integers, whatever its status: its integer
/// members read, and its open `target` holds them as integers, as the rest of the body.
#[tokio::test]
async fn error_bodies_with_integral_floats_read_whole() {
    for status in [200, 503] {
        let server = MockServer::start().await;
        let body = json!({"successful": false, "status": 503.0, "error": {"code": 10000.0, "message": "busy", "target": {"retries": 2.0}}});
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status).set_body_json(&body))
            .mount(&server)
            .await;
        let err = basic(&server, RetryPolicy::disabled())
            .list_log_backup_tasks(1, 2, ListFilters::default())
            .send()
            .await
            .expect_err("unsuccessful");
        let Some(envelope) = err.vendor_body::<ErrorResponse>() else {
            panic!("{status}: {err:?}")
        };
        assert_eq!(envelope.status, 503, "{status}");
        assert_eq!(envelope.error.code, ErrorCode::Int(10000), "{status}");
        let target = envelope.error.target.as_ref().expect("target");
        assert!(target["retries"].is_i64(), "{status}: {target:?}");
    }
}

#[tokio::test]
async fn a_200_whose_envelope_says_unsuccessful_is_an_error() {
    let server = MockServer::start().await;
    let body = json!({"successful": false, "status": 500, "error": {"code": 10000, "message": "backup service unavailable"}});
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&body))
        .mount(&server)
        .await;
    let err = basic(&server, RetryPolicy::disabled())
        .list_log_backup_tasks(1, 2, ListFilters::default())
        .send()
        .await
        .expect_err("unsuccessful");
    let Error::Unsuccessful { status, body } = &err else {
        panic!("{err:?}")
    };
    let Some(envelope) = body.downcast_ref::<ErrorResponse>() else {
        panic!("{err:?}")
    };
    assert_eq!(status.as_u16(), 200);
    assert_eq!(envelope.error.message, "backup service unavailable");
    assert!(err.to_string().contains("did not succeed"), "{err}");
}

#[tokio::test]
async fn throttling_honours_ratelimit_reset() {
    let server = MockServer::start().await;
    let throttled = json!({"successful": false, "status": 429, "error": {"code": 0, "message": "Too many requests"}});
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("RateLimit-Limit", "10")
                .insert_header("RateLimit-Remaining", "0")
                .insert_header("RateLimit-Reset", "4")
                .set_body_json(&throttled),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(envelope(vec![task(0)], 1, 10, 1)))
        .mount(&server)
        .await;
    let (policy, slept) = recorded(3);
    let page = basic(&server, policy)
        .list_log_backup_tasks(1, 2, ListFilters::default())
        .send()
        .await
        .expect("third attempt");
    assert_eq!(page.data.contents.len(), 1);
    assert_eq!(
        *slept.lock().expect("lock"),
        [Duration::from_secs(4), Duration::from_secs(4)]
    );
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn signed_retries_are_signed_again() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(envelope(vec![], 1, 10, 0)))
        .mount(&server)
        .await;
    let (policy, _) = recorded(1);
    let client = Client::builder(server.uri())
        .with_access_key("ak", SECRET_KEY)
        .with_retry(policy)
        .build()
        .expect("client");
    client
        .list_log_backup_tasks(1, 2, ListFilters::default())
        .send()
        .await
        .expect("retried");
    let seen = requests(&server).await;
    assert_eq!(seen.len(), 2);
    for request in &seen {
        let auth = request.headers["authorization"].to_str().expect("ascii");
        assert_eq!(
            auth.matches("OCP-ACCESS-KEY-HMACSHA1").count(),
            1,
            "one signature, not stacked: {auth}"
        );
        assert_eq!(request.headers.get_all("date").iter().count(), 1);
    }
}

#[tokio::test]
async fn paging_by_page_and_size_stops_at_total_pages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Dataset { total: 6 })
        .mount(&server)
        .await;
    let all = basic(&server, RetryPolicy::disabled())
        .list_log_backup_tasks(1, 2, ListFilters::default())
        .size(3)
        .collect_all()
        .await
        .expect("all");
    let names: Vec<_> = all
        .iter()
        .map(|t| t.tenant_name.clone().unwrap_or_default())
        .collect();
    assert_eq!(names, ["t0", "t1", "t2", "t3", "t4", "t5"]);
    let queries: Vec<String> = requests(&server)
        .await
        .iter()
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        queries,
        ["page=1&size=3", "page=2&size=3"],
        "totalPages=2: no third request"
    );
}

#[tokio::test]
async fn paging_empty_and_short_pages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Dataset { total: 0 })
        .mount(&server)
        .await;
    let none = basic(&server, RetryPolicy::disabled())
        .list_log_backup_tasks(1, 2, ListFilters::default())
        .collect_all()
        .await
        .expect("empty");
    assert!(none.is_empty());
    assert_eq!(requests(&server).await.len(), 1);

    // totalPages says 5, but page 1 comes back short: the short page ends it.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(envelope(vec![task(0)], 1, 10, 50)))
        .mount(&server)
        .await;
    let short = basic(&server, RetryPolicy::disabled())
        .list_log_backup_tasks(1, 2, ListFilters::default())
        .size(10)
        .collect_all()
        .await
        .expect("short");
    assert_eq!(short.len(), 1);
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_failed_page_ends_the_stream_with_how_far_it_got() {
    use futures::StreamExt as _;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::query_param("page", "2"))
        .respond_with(ResponseTemplate::new(500).set_body_string("{\"trunc"))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(Dataset { total: 5 })
        .mount(&server)
        .await;
    let items: Vec<_> = basic(&server, RetryPolicy::disabled())
        .list_log_backup_tasks(1, 2, ListFilters::default())
        .size(2)
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    let Err(Error::Page {
        page: 2,
        records: 2,
        source,
    }) = &items[2]
    else {
        panic!("{:?}", items[2])
    };
    assert!(
        matches!(
            **source,
            Error::Api {
                body: VendorError::Unparsed { .. },
                ..
            }
        ),
        "{source:?}"
    );
}

#[tokio::test]
async fn bad_arguments_and_credentials_are_clear_errors() {
    let server = MockServer::start().await;
    let client = basic(&server, RetryPolicy::disabled());
    for err in [
        client
            .list_log_backup_tasks(1, 2, ListFilters::default())
            .page(0)
            .send()
            .await
            .expect_err("page 0"),
        client
            .list_log_backup_tasks(1, 2, ListFilters::default())
            .size(0)
            .send()
            .await
            .expect_err("size 0"),
    ] {
        assert!(matches!(err, Error::InvalidRequest(_)), "{err}");
    }
    assert!(requests(&server).await.is_empty());
    for builder in [
        Client::builder("http://x").with_basic_auth("", "p"),
        Client::builder("http://x").with_basic_auth("a:b", "p"),
        Client::builder("http://x").with_access_key("ak", ""),
        Client::builder("http://x"),
    ] {
        assert!(matches!(builder.build(), Err(Error::InvalidRequest(_))));
    }
}

#[tokio::test]
async fn tolerant_reading_of_real_world_tasks() {
    let body = json!({
        "data": {"contents": [
            {"status": "PAUSED", "backupMode": "SNAPSHOT", "clusterId": "9007199254740993", "delay": 77,
             "checkpoint": "2021-09-23T14:33:17.357+0800", "newField": true, "tenantId": 1002.0},
            {}
        ], "page": {"number": 1, "size": 10, "totalElements": 2, "totalPages": 1.0}, "extra": 1},
        "successful": true, "traceId": "x", "server": "s", "whatever": [1]
    });
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&body))
        .mount(&server)
        .await;
    let page = basic(&server, RetryPolicy::disabled())
        .list_log_backup_tasks(1, 2, ListFilters::default())
        .send()
        .await
        .expect("tolerated");
    let task = &page.data.contents[0];
    assert_eq!(task.status, Some(TaskStatus::Other("PAUSED".into())));
    assert_eq!(task.backup_mode, Some(BackupMode::Other("SNAPSHOT".into())));
    assert_eq!(task.cluster_id.map(|id| id.get()), Some(9007199254740993));
    // Integral floats in integer fields: read as the integers they are.
    assert_eq!(task.tenant_id.map(|id| id.get()), Some(1002));
    assert_eq!(page.data.page.total_pages, 1);
    assert_eq!(task.delay, Some(77.0));
    assert_eq!(
        task.checkpoint
            .as_ref()
            .and_then(|c| c.to_utc())
            .map(|t| t.to_rfc3339())
            .as_deref(),
        Some("2021-09-23T06:33:17.357+00:00")
    );
    assert_eq!(
        page.data.contents[1].status, None,
        "an all-absent task reads"
    );
}

#[tokio::test]
async fn secrets_never_appear_in_debug_or_errors() {
    let server = MockServer::start().await;
    let denied = json!({"successful": false, "status": 401, "error": {"code": 10008, "message": "Unauthorized"}});
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(&denied))
        .mount(&server)
        .await;
    let basic_builder = Client::builder(server.uri())
        .with_basic_auth("admin", PASSWORD)
        .with_retry(RetryPolicy::disabled());
    let signed_builder = Client::builder(server.uri())
        .with_access_key("ak", SECRET_KEY)
        .with_retry(RetryPolicy::disabled());
    for builder in [basic_builder, signed_builder] {
        let client = builder.clone().build().expect("client");
        let err = client
            .list_log_backup_tasks(1, 2, ListFilters::default())
            .send()
            .await
            .expect_err("401");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
        for text in [
            format!("{builder:?}"),
            format!("{client:?}"),
            format!("{err:?}"),
            err.to_string(),
        ] {
            assert!(
                !text.contains(PASSWORD) && !text.contains(SECRET_KEY),
                "secret leaked: {text}"
            );
            assert!(
                !text.contains("YWRtaW46"),
                "encoded Basic credentials leaked: {text}"
            );
        }
    }
}

// ---- hostile servers (issue 9) ----

#[tokio::test]
async fn redirects_are_not_followed_so_credentials_never_reach_another_origin() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(envelope(vec![], 1, 10, 0)))
        .mount(&elsewhere)
        .await;
    // Another origin on the same host: only the port differs, which is enough to be foreign.
    let target = format!("{}{TASKS}", elsewhere.uri());
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", target.as_str()))
        .mount(&server)
        .await;
    let signed = Client::builder(server.uri())
        .with_access_key("cqammmxBpfGjFlto", SECRET_KEY)
        .with_retry(RetryPolicy::disabled())
        .build()
        .expect("client");
    for client in [basic(&server, RetryPolicy::disabled()), signed] {
        let error = client
            .list_log_backup_tasks(1000005, 1000012, ListFilters::default())
            .send()
            .await
            .expect_err("a redirect");
        match &error {
            Error::Redirect { status, location } => {
                assert_eq!(status.as_u16(), 307);
                assert_eq!(location.as_deref(), Some(target.as_str()));
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(requests(&server).await.len(), 2);
    let leaked = requests(&elsewhere).await;
    assert!(
        leaked
            .iter()
            .all(|r| !r.headers.contains_key("authorization")),
        "a credential reached another origin"
    );
    assert!(leaked.is_empty(), "the other origin was never asked");
}

#[tokio::test]
async fn a_huge_ratelimit_reset_returns_the_error_instead_of_overflowing() {
    let server = MockServer::start().await;
    let throttled = json!({"successful": false, "status": 429, "error": {"code": 0, "message": "Too many requests"}});
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("RateLimit-Reset", "1")
                .set_body_json(&throttled),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("RateLimit-Reset", "18446744073709551615")
                .set_body_json(&throttled),
        )
        .mount(&server)
        .await;
    let (policy, slept) = recorded(3);
    let error = basic(&server, policy)
        .list_log_backup_tasks(1, 2, ListFilters::default())
        .send()
        .await
        .expect_err("the server asks for more than the budget");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert!(
        matches!(error, Error::Api { retry_after: Some(d), attempts: 2, .. } if d == Duration::from_secs(u64::MAX)),
        "{error:?}"
    );
    assert_eq!(*slept.lock().expect("lock"), [Duration::from_secs(1)]);
}

#[tokio::test]
async fn an_endless_body_is_cut_off_at_the_limit() {
    use crate::support::{Framing, endless_body_server};
    let url = endless_body_server(200, Framing::Chunked).await;
    let error = Client::builder(url)
        .with_basic_auth("admin", PASSWORD)
        .with_retry(RetryPolicy::disabled())
        .with_max_body_bytes(256 * 1024)
        .build()
        .expect("client")
        .list_log_backup_tasks(1, 2, ListFilters::default())
        .send()
        .await
        .expect_err("endless");
    assert!(
        matches!(error, Error::BodyTooLarge { limit: 262_144, status } if status.as_u16() == 200),
        "{error:?}"
    );
}

/// Answers every request with `page` of a full page, whatever page was asked for.
struct IgnoresPage {
    /// Distinct tasks on every page (only the reported page number repeats) or the same ones.
    distinct: bool,
}

impl Respond for IgnoresPage {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let asked = query_number(request, "page").unwrap_or(1);
        let first = if self.distinct { asked * 10 } else { 0 };
        let contents = (first..first + 2).map(task).collect();
        ResponseTemplate::new(200).set_body_json(envelope(contents, 1, 2, 1000))
    }
}

#[tokio::test]
async fn paging_that_does_not_advance_ends_with_a_clear_error() {
    use backup_task_api::Stall;
    use futures::StreamExt as _;
    for (distinct, reason) in [
        (false, Stall::RepeatedRecords),
        (true, Stall::RepeatedPageNumber { number: 1 }),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(IgnoresPage { distinct })
            .mount(&server)
            .await;
        let items: Vec<_> = basic(&server, RetryPolicy::disabled())
            .list_log_backup_tasks(1, 2, ListFilters::default())
            .size(2)
            .stream()
            .collect()
            .await;
        assert_eq!(items.len(), 3, "the first page's two tasks, then the error");
        match &items[2] {
            Err(
                error @ Error::PagingStalled {
                    page: 2,
                    records: 2,
                    reason: got,
                },
            ) => {
                assert_eq!(*got, reason);
                assert!(
                    error.to_string().contains("paging does not advance"),
                    "{error}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(requests(&server).await.len(), 2);
    }
}
