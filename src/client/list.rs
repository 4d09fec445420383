//! A paged list call, shared by both APIs: one page ([`List::send`]), every page with its raw body
//! ([`List::pages`]), every record ([`List::stream`], [`List::collect_all`]). What differs (the
//! request, how a page says where the next one starts) is the API's [`ListApi`].

use std::fmt;
use std::future::Future;

use futures::Stream;

use super::Error;
use super::paging::{self, Page, Step};

/// An API's paged list operation, as [`List`] drives it: what selects the records, and what a page
/// and a record are. Implemented by each typed client of this crate for its list call (how it
/// fetches and pages stays this crate's plumbing).
pub trait ListApi: Sized {
    /// What selects the records (filters, path parameters).
    type Params: Clone + fmt::Debug;
    /// A decoded page.
    type Page;
    /// One record of a page.
    type Record;
}

/// How an API's list call fetches and pages, kept out of the public API. A prefetched page is
/// fetched by a task of its own, which owns a clone of the client and the parameters: hence
/// `Clone`, `Send` and `'static` (both clients are a few `Arc`s and strings).
pub(crate) trait Sealed:
    ListApi<Params: Send + Sync + 'static, Page: Send + 'static> + Clone + Send + Sync + 'static
{
    /// Where paging starts and the page size it asks for, unless the query says otherwise.
    const DEFAULTS: Defaults;
    /// Fetches the page `at` says.
    fn fetch(
        &self,
        params: &Self::Params,
        at: PageAt,
    ) -> impl Future<Output = Fetched<Self::Page>> + Send;
    /// Where the page after `page` (fetched at `start`, asking for `size`) starts, and whether
    /// there is one.
    fn step(page: &Self::Page, start: u32, size: u32) -> Step<u32>;
    /// The records of a page, in order.
    fn records(page: Self::Page) -> Vec<Self::Record>;
}

/// A fetched page and, when it was captured, the raw body it was decoded from.
pub(crate) type Fetched<T> = paging::Fetched<T>;

/// Where paging starts and the page size it asks for, unless the query says otherwise.
pub(crate) struct Defaults {
    /// The first record offset or page number.
    pub(crate) start: u32,
    /// Records per page.
    pub(crate) size: u32,
}

/// Which page a list call fetches, and whether to keep its raw body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageAt {
    /// Where the page starts (a record offset or a page number); unset: not sent.
    pub(crate) start: Option<u32>,
    /// Records per page; unset: not sent.
    pub(crate) size: Option<u32>,
    /// Whether to keep the raw body (paging hands it out with each page).
    pub(crate) capture_body: bool,
}

impl PageAt {
    /// The start as the API's int32 query value. One past its range is refused, not clamped:
    /// clamping would send another start than asked, and paging would then repeat it. `name` and
    /// `api` name it in the error (`offset`, `CBR`).
    pub(crate) fn start_param(&self, name: &str, api: &str) -> Result<Option<i32>, Error> {
        self.start
            .map(|v| {
                i32::try_from(v).map_err(|_| {
                    Error::InvalidRequest(format!(
                        "{name} {v} is past the largest {api} takes ({})",
                        i32::MAX
                    ))
                })
            })
            .transpose()
    }

    /// The page size as the API's int32 query value; a larger one asks for the most there is.
    pub(crate) fn size_param(&self) -> Option<i32> {
        self.size.map(|v| i32::try_from(v).unwrap_or(i32::MAX))
    }
}

/// A query of an API's list operation: its parameters, where paging starts and the page size.
/// Built by the client's list call (`cbr::Client::list_op_logs`,
/// `ocp::Client::list_log_backup_tasks`), whose API adds the setters for start and size under
/// its own names.
#[must_use]
pub struct List<'a, A: ListApi> {
    pub(crate) api: &'a A,
    pub(crate) params: A::Params,
    /// Where [`List::send`] fetches and paging starts; unset: not sent, or the API's default.
    pub(crate) start: Option<u32>,
    /// Records per page; unset: not sent, or the API's default when paging.
    pub(crate) size: Option<u32>,
    /// Whether paging fetches the next page while the caller reads the one before.
    pub(crate) prefetch: bool,
}

impl<A: ListApi> Clone for List<'_, A> {
    fn clone(&self) -> Self {
        Self {
            api: self.api,
            params: self.params.clone(),
            start: self.start,
            size: self.size,
            prefetch: self.prefetch,
        }
    }
}

impl<A: ListApi + fmt::Debug> fmt::Debug for List<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("List")
            .field("api", self.api)
            .field("params", &self.params)
            .field("start", &self.start)
            .field("size", &self.size)
            .field("prefetch", &self.prefetch)
            .finish()
    }
}

// The methods need the plumbing (`Sealed`), which only this crate's clients implement.
#[allow(private_bounds)]
impl<'a, A: Sealed> List<'a, A> {
    pub(crate) fn new(api: &'a A, params: A::Params) -> Self {
        Self {
            api,
            params,
            start: None,
            size: None,
            prefetch: false,
        }
    }

    /// Whether [`List::pages`], [`List::stream`] and [`List::collect_all`] fetch the next page
    /// while the caller reads the one before (default: off, one request at a time, each only
    /// when its page is asked for).
    ///
    /// With prefetch on, the request for page N+1 goes out as soon as page N is handed out, and
    /// runs as a task of the current tokio runtime, so a listing takes about the longer of
    /// fetching and reading instead of their sum (on a multi-thread runtime the next page is
    /// also decoded beside the caller). What stays the same: at most two pages in memory (the
    /// one handed out and the one ahead), the same requests in the same order for a listing read
    /// to its end (nothing is fetched past the last page or a page that stops paging), the same
    /// retries, and errors in order, a failed page's after every record before it. What
    /// changes: a caller that stops after page N has caused the request for page N+1; dropping
    /// the stream aborts that request. Outside a tokio runtime, the page ahead is fetched only
    /// when asked for, as without prefetch.
    pub fn with_prefetch(mut self, prefetch: bool) -> Self {
        self.prefetch = prefetch;
        self
    }

    /// Fetches one page, at the set start and size (unset ones are not sent).
    pub async fn send(&self) -> Result<A::Page, Error> {
        let at = PageAt {
            start: self.start,
            size: self.size,
            capture_body: false,
        };
        self.api.fetch(&self.params, at).await.map(|(page, _)| page)
    }

    /// Every page from the set start on, lazily, each with the raw body it was decoded from (for
    /// contract checks of live traffic). The stream ends after the last page the API reports, or
    /// a short or empty one. A failed page yields one [`Error::Page`], carrying how many records
    /// the earlier pages held, and ends the stream; a page that does not advance (the same records,
    /// or the same reported page number, as the page before: the server ignores the start it was
    /// sent) yields [`Error::PagingStalled`] instead of repeating forever. One page at a time,
    /// or one ahead with [`List::with_prefetch`].
    pub fn pages(self) -> impl Stream<Item = Result<Page<A::Page>, Error>> + 'a {
        let start = self.start.unwrap_or(A::DEFAULTS.start);
        let prefetch = self.prefetch;
        paging::pages(self, start, prefetch)
    }

    /// Every record from the set start on, lazily, one page in memory at a time (two with
    /// [`List::with_prefetch`]); the records of [`List::pages`], in order, and its error if a
    /// page fails.
    pub fn stream(self) -> impl Stream<Item = Result<A::Record, Error>> + 'a {
        paging::records(self.pages(), A::records)
    }

    /// Every record from the set start on, collected; fails on the first failed page.
    pub async fn collect_all(self) -> Result<Vec<A::Record>, Error> {
        use futures::TryStreamExt as _;
        self.stream().try_collect().await
    }

    /// The page size paging asks for.
    fn page_size(&self) -> u32 {
        self.size.unwrap_or(A::DEFAULTS.size)
    }
}

impl<A: Sealed> paging::Pager for List<'_, A> {
    type Page = A::Page;
    type Cursor = u32;

    fn fetch(&self, start: u32) -> impl Future<Output = Fetched<A::Page>> + Send + 'static {
        let at = PageAt {
            start: Some(start),
            size: Some(self.page_size()),
            capture_body: true,
        };
        // Owned copies, so that a prefetched page's task does not borrow the query.
        let (api, params) = (self.api.clone(), self.params.clone());
        async move { api.fetch(&params, at).await }
    }

    fn step(&self, page: &A::Page, start: u32) -> Step<u32> {
        A::step(page, start, self.page_size())
    }
}

/// `with_*` setters for a filter struct's `Option` fields, each documented after its field:
/// `with_setters!(Filters { with_name => name: Type, ... })` adds `with_name(impl Into<Type>)`.
macro_rules! with_setters {
    ($filters:ty { $($setter:ident => $field:ident: $type:ty),* $(,)? }) => {
        impl $filters {
            $(
                #[doc = concat!("Sets [`", stringify!($field), "`](Self::", stringify!($field), ").")]
                pub fn $setter(mut self, value: impl Into<$type>) -> Self {
                    self.$field = Some(value.into());
                    self
                }
            )*
        }
    };
}
pub(crate) use with_setters;

/// Sets each parameter of a generated request builder whose value is `Some`:
/// `set_present!(call, name: Option<value>, ...)` calls `call = call.name(value)` for each; an
/// unset filter is not sent at all.
macro_rules! set_present {
    ($call:ident, $($setter:ident: $value:expr),* $(,)?) => {
        $(
            if let Some(value) = $value {
                $call = $call.$setter(value);
            }
        )*
    };
}
pub(crate) use set_present;

/// The two paging setters of an API's [`List`], under the API's own names, each with the docs
/// written before it: `paging_setters!(Query<'_>, /// docs start_name, /// docs size_name)`.
macro_rules! paging_setters {
    ($query:ty, $(#[$start_doc:meta])* $start:ident, $(#[$size_doc:meta])* $size:ident $(,)?) => {
        impl $query {
            $(#[$start_doc])*
            pub fn $start(mut self, $start: u32) -> Self {
                self.start = Some($start);
                self
            }

            $(#[$size_doc])*
            pub fn $size(mut self, $size: u32) -> Self {
                self.size = Some($size);
                self
            }
        }
    };
}
pub(crate) use paging_setters;
