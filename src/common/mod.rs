//! What both APIs share because the concept is the same: timestamps, open enums, secrets, the HTTP
//! transport and retries.

pub mod http;
pub(crate) mod open_enum;
pub mod retry;
mod secret;
mod timestamp;

pub use secret::Secret;
pub use timestamp::{Timestamp, TimestampError};
