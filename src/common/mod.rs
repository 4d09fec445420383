//! What both APIs share because the concept is the same: timestamps and open enums.

pub(crate) mod open_enum;
mod timestamp;

pub use timestamp::{Timestamp, TimestampError};
