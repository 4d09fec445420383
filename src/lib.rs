#![doc = include_str!("../README.md")]

pub mod cbr;
pub mod common;
pub mod contract;
mod error;

pub use error::{Error, VendorError};
pub mod ocp;
pub mod publish;
