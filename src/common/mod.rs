//! What both APIs share because the concept is the same: timestamps, open enums, secrets, the HTTP
//! transport and retries.

pub mod http;
pub(crate) mod open_enum;
pub(crate) mod paging;
pub mod reader;
pub mod retry;
mod secret;
pub(crate) mod signing;
pub mod terminal;
mod timestamp;

pub use secret::Secret;

/// One page of a paged listing, with the raw body it was decoded from.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// 1-based number of the page within the stream.
    pub number: u64,
    /// The decoded page.
    pub value: T,
    /// The body exactly as the server sent it.
    pub body: bytes::Bytes,
}
pub use timestamp::{Timestamp, TimestampError};
