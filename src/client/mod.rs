//! The HTTP client layer both typed clients ([`crate::cbr`], [`crate::ocp`]) are built on: the
//! transport ([`http`]), retries ([`retry`]), body limits, paging ([`List`], [`Page`]), the hooks
//! the generated code calls, and the client error ([`Error`]).
//!
//! It knows nothing of either API: it may depend on [`crate::common`] only. An API module hands it
//! what differs: its signer and request rewrite (`hooks::RequestHooks`), its error body
//! ([`VendorBody`]) and how its list call fetches and pages ([`ListApi`]).

mod call;
mod error;
pub(crate) mod hooks;
pub mod http;
pub(crate) mod list;
pub(crate) mod paging;
pub mod retry;
pub(crate) mod signing;

pub(crate) use call::{ErrorShape, send};
pub use error::{Error, Stall, VendorBody, VendorError};
pub(crate) use list::{Defaults, Fetched, PageAt, paging_setters, set_present, with_setters};
pub use list::{List, ListApi};
pub use paging::Page;
pub use retry::RetryPolicy;
