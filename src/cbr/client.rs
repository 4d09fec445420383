//! The CBR client people call: token or AK/SK auth, typed filters, paging, errors, retries.

use chrono::{DateTime, Utc};
use futures::Stream;
use progenitor_client::Error as RawError;
use reqwest::header::HeaderName;

use super::generated;
use super::hooks::{Inner, Signing};
use super::{ErrorBody, ListOpLogsResponse, OperationLog, OperationTypeFilter, TaskStatusFilter};
use crate::common::http::{self, HttpSettings, query_time, validate_endpoint};
use crate::common::retry::{self, Exchange, RetryPolicy};
use crate::common::signing::Keys;
use crate::common::{Page, Secret, paging};
use crate::error::{Error, VendorError, excerpt};

/// The most records CBR returns per page, and the page size the client asks for by default.
pub const MAX_LIMIT: u32 = 1000;

/// How a CBR client authenticates.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Auth {
    /// A project-scoped IAM token, sent as `X-Auth-Token`.
    Token(Secret),
    /// An AK/SK pair: every request is signed (`SDK-HMAC-SHA256`, see [`super::signer`]) and
    /// carries `X-Project-Id`, as Huawei Cloud's SDKs send it.
    AkSk {
        /// The access key (shown in `Authorization`, not secret).
        access_key: String,
        /// The secret key.
        secret_key: Secret,
        /// The security token of temporary AK/SK credentials, sent as `X-Security-Token`.
        security_token: Option<Secret>,
    },
}

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    endpoint: String,
    project_id: String,
    auth: Option<Auth>,
    http: HttpSettings,
    retry: RetryPolicy,
}

impl ClientBuilder {
    /// Authenticates with an IAM token (`X-Auth-Token`).
    pub fn with_token(mut self, token: impl Into<Secret>) -> Self {
        self.auth = Some(Auth::Token(token.into()));
        self
    }

    /// Signs every request with a permanent AK/SK pair (`SDK-HMAC-SHA256`).
    pub fn with_access_key(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<Secret>,
    ) -> Self {
        self.auth = Some(Auth::AkSk {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            security_token: None,
        });
        self
    }

    /// Signs every request with temporary AK/SK credentials and their security token.
    pub fn with_temporary_access_key(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<Secret>,
        security_token: impl Into<Secret>,
    ) -> Self {
        self.auth = Some(Auth::AkSk {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            security_token: Some(security_token.into()),
        });
        self
    }

    http::transport_setters!();

    /// Builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let endpoint = validate_endpoint(&self.endpoint)?;
        if self.project_id.is_empty() {
            return Err(Error::InvalidRequest("the project id is empty".into()));
        }
        let mut headers = Vec::new();
        let mut signing = None;
        match self.auth {
            Some(Auth::Token(token)) if token.is_empty() => {
                return Err(Error::InvalidRequest("the CBR token is empty".into()));
            }
            Some(Auth::Token(token)) => {
                let value =
                    http::sensitive_header(token.expose()).map_err(Error::InvalidRequest)?;
                headers.push((HeaderName::from_static("x-auth-token"), value));
            }
            Some(Auth::AkSk {
                access_key,
                secret_key,
                security_token,
            }) => {
                if access_key.is_empty() || secret_key.is_empty() {
                    return Err(Error::InvalidRequest(
                        "the CBR access key or secret key is empty".into(),
                    ));
                }
                // Checked here so that signing, which cannot report errors, never meets them.
                http::sensitive_header(&self.project_id).map_err(Error::InvalidRequest)?;
                if let Some(token) = &security_token {
                    http::sensitive_header(token.expose()).map_err(Error::InvalidRequest)?;
                }
                signing = Some(Signing {
                    keys: Keys {
                        access_key,
                        secret_key,
                    },
                    project_id: self.project_id.clone(),
                    security_token,
                });
            }
            None => {
                return Err(Error::InvalidRequest(
                    "no CBR credentials: call with_token or with_access_key".into(),
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
        Ok(Client {
            raw,
            project_id: self.project_id,
        })
    }
}

/// A CBR client for one project.
#[derive(Debug, Clone)]
pub struct Client {
    raw: generated::Client,
    project_id: String,
}

impl Client {
    /// Starts building a client for `endpoint` (such as `https://cbr.eu-de.otc.t-systems.com`)
    /// and `project_id`.
    pub fn builder(endpoint: impl Into<String>, project_id: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            endpoint: endpoint.into(),
            project_id: project_id.into(),
            auth: None,
            http: HttpSettings::default(),
            retry: RetryPolicy::default(),
        }
    }

    /// The project this client lists.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// A task-list query; set filters, then [`ListOpLogs::send`] one page or
    /// [`ListOpLogs::stream`] every record.
    pub fn list_op_logs(&self) -> ListOpLogs<'_> {
        ListOpLogs {
            client: self,
            filters: Filters::default(),
            limit: None,
            offset: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Filters {
    start_time: Option<DateTime<Utc>>,
    end_time: Option<DateTime<Utc>>,
    status: Option<TaskStatusFilter>,
    operation_type: Option<OperationTypeFilter>,
    provider_id: Option<String>,
    resource_id: Option<String>,
    resource_name: Option<String>,
    vault_id: Option<String>,
    vault_name: Option<String>,
    enterprise_project_id: Option<String>,
}

/// A query of `GET /v3/{project_id}/operation-logs`. Unset filters are not sent.
#[derive(Debug, Clone)]
#[must_use]
pub struct ListOpLogs<'a> {
    client: &'a Client,
    filters: Filters,
    limit: Option<u32>,
    offset: Option<u32>,
}

impl<'a> ListOpLogs<'a> {
    /// Tasks that started at or after `at` (sent to the second, UTC).
    pub fn start_time(mut self, at: DateTime<Utc>) -> Self {
        self.filters.start_time = Some(at);
        self
    }

    /// Tasks that started at or before `at` (sent to the second, UTC).
    pub fn end_time(mut self, at: DateTime<Utc>) -> Self {
        self.filters.end_time = Some(at);
        self
    }

    /// Tasks in this status.
    pub fn status(mut self, status: TaskStatusFilter) -> Self {
        self.filters.status = Some(status);
        self
    }

    /// Tasks of this type.
    pub fn operation_type(mut self, operation_type: OperationTypeFilter) -> Self {
        self.filters.operation_type = Some(operation_type);
        self
    }

    /// Tasks of this backup provider (server, disk, SFS Turbo...).
    pub fn provider_id(mut self, id: impl Into<String>) -> Self {
        self.filters.provider_id = Some(id.into());
        self
    }

    /// Tasks on this resource.
    pub fn resource_id(mut self, id: impl Into<String>) -> Self {
        self.filters.resource_id = Some(id.into());
        self
    }

    /// Tasks on resources of this name.
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.filters.resource_name = Some(name.into());
        self
    }

    /// Tasks in this vault.
    pub fn vault_id(mut self, id: impl Into<String>) -> Self {
        self.filters.vault_id = Some(id.into());
        self
    }

    /// Tasks in vaults of this name.
    pub fn vault_name(mut self, name: impl Into<String>) -> Self {
        self.filters.vault_name = Some(name.into());
        self
    }

    /// Tasks in this enterprise project (`all_granted_eps` for all the caller may see).
    pub fn enterprise_project_id(mut self, id: impl Into<String>) -> Self {
        self.filters.enterprise_project_id = Some(id.into());
        self
    }

    /// Records per page, 1 to 1000 (default 1000 when paging).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// 0-based record offset of the first record (default 0; at most 2147483647, the largest
    /// the API takes).
    pub fn offset(mut self, offset: u32) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Fetches one page at the set `offset` and `limit` (unset ones are not sent).
    pub async fn send(&self) -> Result<ListOpLogsResponse, Error> {
        self.get_page(self.offset, self.limit, false)
            .await
            .map(|(page, _)| page)
    }

    /// Every page from the set `offset` on, lazily, each with the raw body it was decoded from
    /// (for contract checks of live traffic). Pages are requested with `limit` (default 1000) at a
    /// 0-based record offset that advances by each page's length; the stream ends after a short or
    /// empty page (`count` is not trusted as a bound). A failed page yields one [`Error::Page`],
    /// carrying how many records the earlier pages held, and ends the stream; a page that does not
    /// advance (the same records as the page before: the server ignores `offset`) yields
    /// [`Error::PagingStalled`] instead of repeating forever.
    pub fn pages(self) -> impl Stream<Item = Result<Page<ListOpLogsResponse>, Error>> + 'a {
        let start = self.offset.unwrap_or(0);
        paging::pages(self, start)
    }

    /// Every record from the set `offset` on, lazily, one page in memory at a time; the records
    /// of [`ListOpLogs::pages`], in order, and its error if a page fails.
    pub fn stream(self) -> impl Stream<Item = Result<OperationLog, Error>> + 'a {
        paging::records(self.pages(), |page| page.operation_logs)
    }

    /// Every record from the set `offset` on, collected; fails on the first failed page.
    pub async fn collect_all(self) -> Result<Vec<OperationLog>, Error> {
        use futures::TryStreamExt as _;
        self.stream().try_collect().await
    }

    /// The page size paging asks for.
    fn page_limit(&self) -> u32 {
        self.limit.unwrap_or(MAX_LIMIT)
    }

    async fn get_page(
        &self,
        offset: Option<u32>,
        limit: Option<u32>,
        capture_body: bool,
    ) -> Result<(ListOpLogsResponse, Option<bytes::Bytes>), Error> {
        if let Some(limit) = limit
            && !(1..=MAX_LIMIT).contains(&limit)
        {
            return Err(Error::InvalidRequest(format!(
                "limit {limit} is outside 1..={MAX_LIMIT}"
            )));
        }
        let f = &self.filters;
        let mut call = self
            .client
            .raw
            .list_op_logs()
            .project_id(self.client.project_id.clone());
        if let Some(at) = f.start_time {
            call = call.start_time(query_time(at));
        }
        if let Some(at) = f.end_time {
            call = call.end_time(query_time(at));
        }
        if let Some(v) = f.status {
            call = call.status(v);
        }
        if let Some(v) = f.operation_type {
            call = call.operation_type(v);
        }
        if let Some(v) = &f.provider_id {
            call = call.provider_id(v.clone());
        }
        if let Some(v) = &f.resource_id {
            call = call.resource_id(v.clone());
        }
        if let Some(v) = &f.resource_name {
            call = call.resource_name(v.clone());
        }
        if let Some(v) = &f.vault_id {
            call = call.vault_id(v.clone());
        }
        if let Some(v) = &f.vault_name {
            call = call.vault_name(v.clone());
        }
        if let Some(v) = &f.enterprise_project_id {
            call = call.enterprise_project_id(v.clone());
        }
        if let Some(v) = limit {
            call = call.limit(i32::try_from(v).unwrap_or(i32::MAX));
        }
        if let Some(v) = offset {
            // Clamping would send another offset than asked, and paging would then repeat it.
            let v = i32::try_from(v).map_err(|_| {
                Error::InvalidRequest(format!(
                    "offset {v} is past the largest CBR takes ({})",
                    i32::MAX
                ))
            })?;
            call = call.offset(v);
        }
        let (result, exchange) = retry::observed(call.send(), capture_body).await;
        if let Some(error) = Error::from_exchange(&exchange) {
            return Err(error);
        }
        match result {
            Ok(page) => Ok((page.into_inner(), exchange.body)),
            Err(error) => Err(map_error(error, &exchange).await),
        }
    }
}

impl paging::Pager for ListOpLogs<'_> {
    type Page = ListOpLogsResponse;
    type Cursor = u32;

    async fn fetch(
        &self,
        offset: u32,
    ) -> Result<(ListOpLogsResponse, Option<bytes::Bytes>), Error> {
        self.get_page(Some(offset), Some(self.page_limit()), true)
            .await
    }

    fn step(&self, page: &ListOpLogsResponse, offset: u32) -> paging::Step<u32> {
        let records = page.operation_logs.len();
        let next = u32::try_from(records)
            .ok()
            .and_then(|n| offset.checked_add(n))
            .filter(|next| i32::try_from(*next).is_ok());
        paging::Step {
            next,
            records,
            last: records < self.page_limit() as usize,
            // CBR ids are unique task ids: the same ids in the same order is the same page.
            fingerprint: paging::fingerprint(page.operation_logs.iter().map(|log| &log.id)),
            position: None,
        }
    }
}

/// Turns progenitor's error into this crate's, with what the exchange recorded.
async fn map_error(error: RawError<ErrorBody>, exchange: &Exchange) -> Error {
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
            VendorError::Cbr(Box::new(value.into_inner())),
        ),
        // A status the spec does not list (429, 502, 503...): read whatever body came.
        RawError::UnexpectedResponse(response) => {
            let status = response.status();
            match response.bytes().await {
                Ok(bytes) => api(status, cbr_body(&bytes)),
                Err(e) => Error::transport(e, exchange),
            }
        }
        RawError::InvalidResponsePayload(bytes, _) => match exchange.status {
            // A documented error status whose body is not CBR's error shape (a proxy's page).
            Some(status) if !status.is_success() => api(status, cbr_body(&bytes)),
            status => Error::decode::<ListOpLogsResponse>(status, &bytes),
        },
        RawError::CommunicationError(e)
        | RawError::ResponseBodyError(e)
        | RawError::InvalidUpgrade(e) => Error::transport(e, exchange),
        RawError::InvalidRequest(why) | RawError::Custom(why) => Error::InvalidRequest(why),
    }
}

fn cbr_body(bytes: &[u8]) -> VendorError {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(body) if body.code().is_some() || body.message().is_some() => {
            VendorError::Cbr(Box::new(body))
        }
        _ => VendorError::Unparsed {
            excerpt: excerpt(bytes),
        },
    }
}
