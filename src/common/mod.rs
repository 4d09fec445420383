//! Value types both APIs share because the concept is the same: timestamps, open enums, secrets,
//! and text made safe for a terminal.
//!
//! The bottom layer: it may depend on nothing else in this crate, and it holds no HTTP (that is
//! `crate::client`).

pub(crate) mod open_enum;
pub mod reader;
mod secret;
pub mod terminal;
mod timestamp;

pub use secret::Secret;
pub use timestamp::{Timestamp, TimestampError};
