//! The OCP client people call: Basic or AK/SK auth, typed filters; paging, errors and retries
//! come from [`crate::client`].

use base64::Engine as _;
use chrono::{DateTime, Utc};
use reqwest::header::AUTHORIZATION;

use super::generated;
use super::hooks::{Keys, Signing};
use super::{ErrorResponse, LogBackupTask, LogBackupTaskPageResponse, LogBackupTaskStatusFilter};
use crate::client::hooks::Transport;
use crate::client::http::{self, query_time};
use crate::client::paging::{self, Step};
use crate::client::{
    self as layer, Defaults, Error, ErrorShape, Fetched, List, PageAt, VendorBody, VendorError,
    paging_setters, set_present, with_setters,
};
use crate::common::Secret;
use crate::common::terminal::Escaped;

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
    auth: Option<Auth>,
    transport: Transport,
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
                signing = Some(Signing(Keys {
                    access_key,
                    secret_key,
                }));
            }
            None => {
                return Err(Error::InvalidRequest(
                    "no OCP credentials: call with_basic_auth or with_access_key".into(),
                ));
            }
        }
        let new = generated::Client::new_with_client;
        let raw = self.transport.connect(headers, signing, new)?;
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
            transport: Transport::new(endpoint.into()),
            auth: None,
        }
    }

    /// A query of one tenant's log backup tasks with these filters; set the page with
    /// [`ListLogBackupTasks::page`] and [`ListLogBackupTasks::size`], then [`List::send`] one page
    /// or [`List::stream`] every task.
    pub fn list_log_backup_tasks(
        &self,
        cluster_id: i64,
        tenant_id: i64,
        filters: ListFilters,
    ) -> ListLogBackupTasks<'_> {
        List::new(
            self,
            Tenant {
                cluster_id,
                tenant_id,
                filters,
            },
        )
    }
}

/// The filters of the log-backup-task list, named as the API names them. Unset filters are not
/// sent (OCP answers 400 to an empty `key=`).
///
/// ```
/// use backup_task_api::ocp::{ListFilters, LogBackupTaskStatusFilter};
/// let filters = ListFilters::default()
///     .with_status(LogBackupTaskStatusFilter::Failed)
///     .with_status(LogBackupTaskStatusFilter::Inprogress)
///     .with_status(LogBackupTaskStatusFilter::Failed);
/// assert_eq!(filters.status.len(), 2, "a repeated status is kept once");
/// ```
// With the `cli` feature, these fields are `list ocp`'s flags (each named once, here); the two
// times are the flags `list cbr` and `list ocp` share, so they are filled from there.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct ListFilters {
    /// Tasks from this time on (sent to the second, UTC).
    #[cfg_attr(feature = "cli", arg(skip))]
    pub start_time: Option<DateTime<Utc>>,
    /// Tasks up to this time (sent to the second, UTC).
    #[cfg_attr(feature = "cli", arg(skip))]
    pub end_time: Option<DateTime<Utc>>,
    /// Tasks in any of these statuses (sent as one `status=A,B`); empty: any status.
    #[cfg_attr(feature = "cli", arg(long, help = "Task status (repeatable)", value_parser = |s: &str| s.parse::<LogBackupTaskStatusFilter>().map_err(|e| e.to_string())))]
    pub status: Vec<LogBackupTaskStatusFilter>,
}

with_setters!(ListFilters {
    with_start_time => start_time: DateTime<Utc>,
    with_end_time => end_time: DateTime<Utc>,
});

impl ListFilters {
    /// Adds a status to [`status`](Self::status) (once: a repeated one is not sent twice).
    pub fn with_status(mut self, status: LogBackupTaskStatusFilter) -> Self {
        if !self.status.contains(&status) {
            self.status.push(status);
        }
        self
    }
}

/// Whose tasks a query lists (the path parameters), and its filters.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    /// The cluster id (`id` in the path).
    pub cluster_id: i64,
    /// The tenant id (`tenantId` in the path).
    pub tenant_id: i64,
    /// The query's filters.
    pub filters: ListFilters,
}

impl layer::ListApi for Client {
    type Params = Tenant;
    type Page = LogBackupTaskPageResponse;
    type Record = LogBackupTask;
}

/// A query of `GET /api/v2/ob/clusters/{id}/tenants/{tenantId}/backup/task/logBackupTasks`:
/// [`Tenant`] and its [`ListFilters`], a 1-based page number and a page size.
pub type ListLogBackupTasks<'a> = List<'a, Client>;

paging_setters!(
    ListLogBackupTasks<'_>,
    /// The 1-based page [`List::send`] fetches, and where streaming starts.
    page,
    /// Tasks per page (default 100 when paging).
    size,
);

impl layer::list::Sealed for Client {
    const DEFAULTS: Defaults = Defaults {
        start: 1,
        size: DEFAULT_PAGE_SIZE,
    };

    async fn fetch(&self, tenant: &Tenant, at: PageAt) -> Fetched<Self::Page> {
        if at.start == Some(0) {
            return Err(Error::InvalidRequest(
                "OCP pages are 1-based; page 0 does not exist".into(),
            ));
        }
        if at.size == Some(0) {
            return Err(Error::InvalidRequest(
                "the page size must be at least 1".into(),
            ));
        }
        let page = at.start_param("page", "OCP")?;
        let f = &tenant.filters;
        // Each status once, in the order given (the fields are public, so not deduplicated yet).
        let mut statuses = Vec::with_capacity(f.status.len());
        for status in &f.status {
            if !statuses.contains(status) {
                statuses.push(*status);
            }
        }
        let mut call = self
            .raw
            .list_log_backup_tasks()
            .id(tenant.cluster_id)
            .tenant_id(tenant.tenant_id);
        set_present!(call,
            start_time: f.start_time.map(query_time),
            end_time: f.end_time.map(query_time),
            status: (!statuses.is_empty()).then_some(statuses),
            page: page,
            size: at.size_param(),
        );
        let response = layer::send(call.send(), at.capture_body).await?;
        if !response.value.successful {
            // A success status whose envelope disowns it, with data nonetheless.
            return Err(Error::Unsuccessful {
                status: response.status,
                body: VendorError::Unparsed {
                    excerpt: String::new(),
                },
            });
        }
        Ok((response.value, response.body))
    }

    fn step(response: &LogBackupTaskPageResponse, page: u32, size: u32) -> Step<u32> {
        let records = response.data.contents.len();
        let total_pages = u32::try_from(response.data.page.total_pages.max(0)).unwrap_or(u32::MAX);
        Step {
            next: page
                .checked_add(1)
                .filter(|next| i32::try_from(*next).is_ok()),
            records,
            last: records == 0 || records < size as usize || page >= total_pages,
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

    fn records(page: LogBackupTaskPageResponse) -> Vec<LogBackupTask> {
        page.data.contents
    }
}

impl VendorBody for ErrorResponse {}

impl ErrorShape for ErrorResponse {
    fn disowns_success(&self) -> bool {
        !self.successful
    }
}

/// `{code}: {message} ({debug message}) [traceId {id}]`, every server text escaped.
impl std::fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let error = &self.error;
        write!(
            f,
            "{}: {}",
            Escaped(&error.code.to_string()),
            Escaped(&error.message)
        )?;
        if let Some(debug) = &error.debug_message {
            write!(f, " ({})", Escaped(debug))?;
        }
        if let Some(trace) = &self.trace_id {
            write!(f, " [traceId {}]", Escaped(trace))?;
        }
        Ok(())
    }
}
