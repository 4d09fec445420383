//! The OCP client people call: Basic or AK/SK auth, typed filters, paging, errors, retries.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use futures::Stream;
use progenitor_client::Error as RawError;
use reqwest::StatusCode;
use reqwest::header::AUTHORIZATION;

use super::generated;
use super::hooks::{Inner, Keys};
use super::{ErrorResponse, LogBackupTask, LogBackupTaskPageResponse, LogBackupTaskStatusFilter};
use crate::common::http::{self, HttpSettings, query_time, validate_endpoint};
use crate::common::retry::{self, Exchange, RetryPolicy};
use crate::common::{Page, Secret, paging};
use crate::error::{Error, VendorError, excerpt};

/// The page size the client asks for when paging, unless told otherwise.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// How an OCP client authenticates.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Auth {
    /// HTTP Basic with an OCP user.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: Secret,
    },
    /// AK/SK signing (`OCP-ACCESS-KEY-HMACSHA1`), which OCP recommends.
    AkSk {
        /// Access key.
        access_key: String,
        /// Secret key.
        secret_key: Secret,
    },
}

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    endpoint: String,
    auth: Option<Auth>,
    http: HttpSettings,
    retry: RetryPolicy,
}

impl ClientBuilder {
    /// Authenticates with HTTP Basic.
    pub fn with_basic_auth(
        mut self,
        username: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Self {
        self.auth = Some(Auth::Basic {
            username: username.into(),
            password: password.into(),
        });
        self
    }

    /// Signs every request with an AK/SK pair.
    pub fn with_access_key(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<Secret>,
    ) -> Self {
        self.auth = Some(Auth::AkSk {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
        });
        self
    }

    http::transport_setters!();

    /// Builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let endpoint = validate_endpoint(&self.endpoint)?;
        let mut headers = Vec::new();
        let mut signing = None;
        match self.auth {
            Some(Auth::Basic { username, password }) => {
                if username.is_empty() || username.contains(':') {
                    return Err(Error::InvalidRequest(
                        "the OCP user name is empty or contains ':'".into(),
                    ));
                }
                let token = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{}", password.expose()));
                let value = http::sensitive_header(&format!("Basic {token}"))
                    .map_err(Error::InvalidRequest)?;
                headers.push((AUTHORIZATION, value));
            }
            Some(Auth::AkSk {
                access_key,
                secret_key,
            }) => {
                if access_key.is_empty() || secret_key.is_empty() {
                    return Err(Error::InvalidRequest(
                        "the OCP access key or secret key is empty".into(),
                    ));
                }
                signing = Some(Keys {
                    access_key,
                    secret_key,
                });
            }
            None => {
                return Err(Error::InvalidRequest(
                    "no OCP credentials: call with_basic_auth or with_access_key".into(),
                ));
            }
        }
        let reqwest = http::build_client(&self.http, headers)
            .map_err(|e| Error::InvalidRequest(format!("cannot build the HTTP client: {e}")))?;
        let raw = generated::Client::new_with_client(
            &endpoint,
            reqwest,
            Inner {
                retry: self.retry,
                max_body_bytes: self.http.max_body_bytes,
                signing,
            },
        );
        Ok(Client { raw })
    }
}

/// An OCP client.
#[derive(Debug, Clone)]
pub struct Client {
    raw: generated::Client,
}

impl Client {
    /// Starts building a client for `endpoint` (such as `http://ocp.example.com:8080`).
    pub fn builder(endpoint: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            endpoint: endpoint.into(),
            auth: None,
            http: HttpSettings::default(),
            retry: RetryPolicy::default(),
        }
    }

    /// A query of one tenant's log backup tasks; set filters, then [`ListLogBackupTasks::send`]
    /// one page or [`ListLogBackupTasks::stream`] every task.
    pub fn list_log_backup_tasks(&self, cluster_id: i64, tenant_id: i64) -> ListLogBackupTasks<'_> {
        ListLogBackupTasks {
            client: self,
            cluster_id,
            tenant_id,
            start_time: None,
            end_time: None,
            statuses: Vec::new(),
            page: None,
            size: None,
        }
    }
}

/// A query of `GET /api/v2/ob/clusters/{id}/tenants/{tenantId}/backup/task/logBackupTasks`.
/// Unset filters are not sent (OCP answers 400 to an empty `key=`).
#[derive(Debug, Clone)]
#[must_use]
pub struct ListLogBackupTasks<'a> {
    client: &'a Client,
    cluster_id: i64,
    tenant_id: i64,
    start_time: Option<DateTime<Utc>>,
    end_time: Option<DateTime<Utc>>,
    statuses: Vec<LogBackupTaskStatusFilter>,
    page: Option<u32>,
    size: Option<u32>,
}

impl<'a> ListLogBackupTasks<'a> {
    /// Tasks from `at` on (sent to the second, UTC).
    pub fn start_time(mut self, at: DateTime<Utc>) -> Self {
        self.start_time = Some(at);
        self
    }

    /// Tasks up to `at` (sent to the second, UTC).
    pub fn end_time(mut self, at: DateTime<Utc>) -> Self {
        self.end_time = Some(at);
        self
    }

    /// Tasks in this status; call again to add more (sent as one `status=A,B`).
    pub fn status(mut self, status: LogBackupTaskStatusFilter) -> Self {
        if !self.statuses.contains(&status) {
            self.statuses.push(status);
        }
        self
    }

    /// The 1-based page [`ListLogBackupTasks::send`] fetches, and where streaming starts.
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Tasks per page (default 100 when paging).
    pub fn size(mut self, size: u32) -> Self {
        self.size = Some(size);
        self
    }

    /// Fetches one page (unset `page`/`size` are not sent).
    pub async fn send(&self) -> Result<LogBackupTaskPageResponse, Error> {
        self.get_page(self.page, self.size, false)
            .await
            .map(|(page, _)| page)
    }

    /// Every page from the set page on, lazily, each with the raw body it was decoded from (for
    /// contract checks of live traffic). Stops after `totalPages` or a short or empty page. A
    /// failed page yields one [`Error::Page`], carrying how many tasks the earlier pages held, and
    /// ends the stream; a page that does not advance (the same tasks, or the same reported page
    /// number, as the page before: the server ignores `page`) yields [`Error::PagingStalled`]
    /// instead of repeating forever.
    pub fn pages(self) -> impl Stream<Item = Result<Page<LogBackupTaskPageResponse>, Error>> + 'a {
        let start = self.page.unwrap_or(1);
        paging::pages(self, start)
    }

    /// Every task from the set page on, lazily, one page in memory at a time; the tasks of
    /// [`ListLogBackupTasks::pages`], in order, and its error if a page fails.
    pub fn stream(self) -> impl Stream<Item = Result<LogBackupTask, Error>> + 'a {
        paging::records(self.pages(), |page| page.data.contents)
    }

    /// Every task from the set page on, collected; fails on the first failed page.
    pub async fn collect_all(self) -> Result<Vec<LogBackupTask>, Error> {
        use futures::TryStreamExt as _;
        self.stream().try_collect().await
    }

    /// The page size paging asks for.
    fn page_size(&self) -> u32 {
        self.size.unwrap_or(DEFAULT_PAGE_SIZE)
    }

    async fn get_page(
        &self,
        page: Option<u32>,
        size: Option<u32>,
        capture_body: bool,
    ) -> Result<(LogBackupTaskPageResponse, Option<bytes::Bytes>), Error> {
        if page == Some(0) {
            return Err(Error::InvalidRequest(
                "OCP pages are 1-based; page 0 does not exist".into(),
            ));
        }
        if size == Some(0) {
            return Err(Error::InvalidRequest(
                "the page size must be at least 1".into(),
            ));
        }
        let mut call = self
            .client
            .raw
            .list_log_backup_tasks()
            .id(self.cluster_id)
            .tenant_id(self.tenant_id);
        if let Some(at) = self.start_time {
            call = call.start_time(query_time(at));
        }
        if let Some(at) = self.end_time {
            call = call.end_time(query_time(at));
        }
        if !self.statuses.is_empty() {
            call = call.status(self.statuses.clone());
        }
        if let Some(v) = page {
            // Clamping would send another page than asked, and paging would then repeat it.
            let v = i32::try_from(v).map_err(|_| {
                Error::InvalidRequest(format!(
                    "page {v} is past the largest OCP takes ({})",
                    i32::MAX
                ))
            })?;
            call = call.page(v);
        }
        if let Some(v) = size {
            call = call.size(i32::try_from(v).unwrap_or(i32::MAX));
        }
        let (result, exchange) = retry::observed(call.send(), capture_body).await;
        if let Some(error) = Error::from_exchange(&exchange) {
            return Err(error);
        }
        match result {
            Ok(response) => {
                let status = response.status();
                let envelope = response.into_inner();
                if envelope.successful {
                    Ok((envelope, exchange.body))
                } else {
                    // A success status whose envelope disowns it, with data nonetheless.
                    Err(Error::Unsuccessful {
                        status,
                        body: VendorError::Unparsed {
                            excerpt: String::new(),
                        },
                    })
                }
            }
            Err(error) => Err(map_error(error, &exchange).await),
        }
    }
}

impl paging::Pager for ListLogBackupTasks<'_> {
    type Page = LogBackupTaskPageResponse;
    type Cursor = u32;

    async fn fetch(
        &self,
        page: u32,
    ) -> Result<(LogBackupTaskPageResponse, Option<bytes::Bytes>), Error> {
        self.get_page(Some(page), Some(self.page_size()), true)
            .await
    }

    fn step(&self, response: &LogBackupTaskPageResponse, page: u32) -> paging::Step<u32> {
        let records = response.data.contents.len();
        let total_pages = u32::try_from(response.data.page.total_pages.max(0)).unwrap_or(u32::MAX);
        paging::Step {
            next: page
                .checked_add(1)
                .filter(|next| i32::try_from(*next).is_ok()),
            records,
            last: records == 0 || records < self.page_size() as usize || page >= total_pages,
            // Tasks carry no id of their own: hash each one's JSON. Serialising a typed value
            // cannot fail; if it did, the empty text still hashes the same on both pages.
            fingerprint: paging::fingerprint(
                response
                    .data
                    .contents
                    .iter()
                    .map(|task| serde_json::to_vec(task).unwrap_or_default()),
            ),
            position: Some(i64::from(response.data.page.number)),
        }
    }
}

/// Turns progenitor's error into this crate's, with what the exchange recorded.
async fn map_error(error: RawError<ErrorResponse>, exchange: &Exchange) -> Error {
    let attempts = exchange.attempts.max(1);
    let api = |status, body| Error::Api {
        status,
        body,
        retry_after: exchange.retry_after,
        attempts,
    };
    match error {
        RawError::ErrorResponse(value) => api(
            value.status(),
            VendorError::Ocp(Box::new(value.into_inner())),
        ),
        // A status the spec does not list (502, 503...): read whatever body came.
        RawError::UnexpectedResponse(response) => {
            let status = response.status();
            match response.bytes().await {
                Ok(bytes) => api(status, ocp_body(&bytes)),
                Err(e) => Error::transport(e, exchange),
            }
        }
        RawError::InvalidResponsePayload(bytes, _) => match exchange.status {
            Some(status) if !status.is_success() => api(status, ocp_body(&bytes)),
            status => match ocp_body(&bytes) {
                // A 200 whose envelope is an error envelope: `successful: false`, no `data`.
                VendorError::Ocp(envelope) if !envelope.successful => Error::Unsuccessful {
                    status: status.unwrap_or(StatusCode::OK),
                    body: VendorError::Ocp(envelope),
                },
                _ => Error::decode::<LogBackupTaskPageResponse>(status, &bytes),
            },
        },
        RawError::CommunicationError(e)
        | RawError::ResponseBodyError(e)
        | RawError::InvalidUpgrade(e) => Error::transport(e, exchange),
        RawError::InvalidRequest(why) | RawError::Custom(why) => Error::InvalidRequest(why),
    }
}

fn ocp_body(bytes: &[u8]) -> VendorError {
    match serde_json::from_slice::<ErrorResponse>(bytes) {
        Ok(envelope) => VendorError::Ocp(Box::new(envelope)),
        Err(_) => VendorError::Unparsed {
            excerpt: excerpt(bytes),
        },
    }
}
