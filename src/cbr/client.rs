//! The CBR client people call: token or AK/SK auth, typed filters; paging, errors and retries
//! come from [`crate::client`].

use chrono::{DateTime, Utc};
use reqwest::header::HeaderName;

use super::generated;
use super::hooks::Signing;
use super::{ErrorBody, ListOpLogsResponse, OperationLog, OperationTypeFilter, TaskStatusFilter};
use crate::client::hooks::Transport;
use crate::client::http::{self, query_time};
use crate::client::paging::{self, Step};
use crate::client::signing::Keys;
use crate::client::{
    self as layer, Defaults, Error, ErrorShape, Fetched, List, PageAt, VendorBody, paging_setters,
    set_present, with_setters,
};
use crate::common::Secret;
use crate::common::terminal::Escaped;

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
    project_id: String,
    auth: Option<Auth>,
    transport: Transport,
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
        let new = generated::Client::new_with_client;
        let raw = self.transport.connect(headers, signing, new)?;
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
            transport: Transport::new(endpoint.into()),
            project_id: project_id.into(),
            auth: None,
        }
    }

    /// The project this client lists.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// A task-list query with these filters; set the page with [`ListOpLogs::limit`] and
    /// [`ListOpLogs::offset`], then [`List::send`] one page or [`List::stream`] every record.
    pub fn list_op_logs(&self, filters: ListFilters) -> ListOpLogs<'_> {
        List::new(self, filters)
    }
}

/// The filters of `GET /v3/{project_id}/operation-logs`, named as the API names them. Unset
/// filters are not sent.
///
/// ```
/// use backup_task_api::cbr::{ListFilters, TaskStatusFilter};
/// let filters = ListFilters::default()
///     .with_status(TaskStatusFilter::Failed)
///     .with_vault_name("daily");
/// assert_eq!(filters.vault_name.as_deref(), Some("daily"));
/// ```
// With the `cli` feature, these fields are `list cbr`'s flags (each named once, here); the two
// times are the flags `list cbr` and `list ocp` share, so they are filled from there.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct ListFilters {
    /// Tasks that started at or after this time (sent to the second, UTC).
    #[cfg_attr(feature = "cli", arg(skip))]
    pub start_time: Option<DateTime<Utc>>,
    /// Tasks that started at or before this time (sent to the second, UTC).
    #[cfg_attr(feature = "cli", arg(skip))]
    pub end_time: Option<DateTime<Utc>>,
    /// Tasks in this status.
    #[cfg_attr(feature = "cli", arg(long, help = "Task status", value_parser = |s: &str| s.parse::<TaskStatusFilter>().map_err(|e| e.to_string())))]
    pub status: Option<TaskStatusFilter>,
    /// Tasks of this type.
    #[cfg_attr(feature = "cli", arg(long, help = "Task type", value_parser = |s: &str| s.parse::<OperationTypeFilter>().map_err(|e| e.to_string())))]
    pub operation_type: Option<OperationTypeFilter>,
    /// Tasks of this backup provider (server, disk, SFS Turbo...).
    #[cfg_attr(feature = "cli", arg(long, help = "Backup provider id"))]
    pub provider_id: Option<String>,
    /// Tasks on this resource.
    #[cfg_attr(feature = "cli", arg(long, help = "Resource id"))]
    pub resource_id: Option<String>,
    /// Tasks on resources of this name.
    #[cfg_attr(feature = "cli", arg(long, help = "Resource name"))]
    pub resource_name: Option<String>,
    /// Tasks in this vault.
    #[cfg_attr(feature = "cli", arg(long, help = "Vault id"))]
    pub vault_id: Option<String>,
    /// Tasks in vaults of this name.
    #[cfg_attr(feature = "cli", arg(long, help = "Vault name"))]
    pub vault_name: Option<String>,
    /// Tasks in this enterprise project (`all_granted_eps` for all the caller may see).
    #[cfg_attr(
        feature = "cli",
        arg(long, help = "Enterprise project id (`all_granted_eps` for all)")
    )]
    pub enterprise_project_id: Option<String>,
}

with_setters!(ListFilters {
    with_start_time => start_time: DateTime<Utc>,
    with_end_time => end_time: DateTime<Utc>,
    with_status => status: TaskStatusFilter,
    with_operation_type => operation_type: OperationTypeFilter,
    with_provider_id => provider_id: String,
    with_resource_id => resource_id: String,
    with_resource_name => resource_name: String,
    with_vault_id => vault_id: String,
    with_vault_name => vault_name: String,
    with_enterprise_project_id => enterprise_project_id: String,
});

/// A query of `GET /v3/{project_id}/operation-logs`: [`ListFilters`], a record offset and a page
/// size (`limit`).
pub type ListOpLogs<'a> = List<'a, Client>;

paging_setters!(
    ListOpLogs<'_>,
    /// 0-based record offset of the first record (default 0; at most 2147483647, the largest
    /// the API takes).
    offset,
    /// Records per page, 1 to 1000 (default 1000 when paging).
    limit,
);

impl layer::ListApi for Client {
    type Params = ListFilters;
    type Page = ListOpLogsResponse;
    type Record = OperationLog;
}

impl layer::list::Sealed for Client {
    const DEFAULTS: Defaults = Defaults {
        start: 0,
        size: MAX_LIMIT,
    };

    async fn fetch(&self, f: &ListFilters, at: PageAt) -> Fetched<Self::Page> {
        if let Some(limit) = at.size
            && !(1..=MAX_LIMIT).contains(&limit)
        {
            return Err(Error::InvalidRequest(format!(
                "limit {limit} is outside 1..={MAX_LIMIT}"
            )));
        }
        let offset = at.start_param("offset", "CBR")?;
        let mut call = self.raw.list_op_logs().project_id(self.project_id.clone());
        set_present!(call,
            start_time: f.start_time.map(query_time),
            end_time: f.end_time.map(query_time),
            status: f.status,
            operation_type: f.operation_type,
            provider_id: f.provider_id.clone(),
            resource_id: f.resource_id.clone(),
            resource_name: f.resource_name.clone(),
            vault_id: f.vault_id.clone(),
            vault_name: f.vault_name.clone(),
            enterprise_project_id: f.enterprise_project_id.clone(),
            limit: at.size_param(),
            offset: offset,
        );
        let response = layer::send(call.send(), at.capture_body).await?;
        Ok((response.value, response.body))
    }

    fn step(page: &ListOpLogsResponse, offset: u32, limit: u32) -> Step<u32> {
        let records = page.operation_logs.len();
        let next = u32::try_from(records)
            .ok()
            .and_then(|n| offset.checked_add(n))
            .filter(|next| i32::try_from(*next).is_ok());
        Step {
            next,
            records,
            last: records < limit as usize,
            // CBR ids are unique task ids: the same ids in the same order is the same page.
            fingerprint: paging::fingerprint(page.operation_logs.iter().map(|log| &log.id)),
            position: None,
        }
    }

    fn records(page: ListOpLogsResponse) -> Vec<OperationLog> {
        page.operation_logs
    }
}

impl VendorBody for ErrorBody {}

impl ErrorShape for ErrorBody {
    /// CBR's shape is lenient (every field optional): an object is CBR's error only with a code
    /// or a message.
    fn is_error(&self) -> bool {
        self.code().is_some() || self.message().is_some()
    }
}

/// `{code}: {message} (request_id {id})`, every server text escaped.
impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}",
            Escaped(self.code().unwrap_or("(no code)")),
            Escaped(self.message().unwrap_or("(no message)"))
        )?;
        if let Some(id) = &self.request_id {
            write!(f, " (request_id {})", Escaped(id))?;
        }
        Ok(())
    }
}
