#![doc = include_str!("../README.md")]

pub mod cbr;
pub mod common;
pub mod contract;
pub mod demo;
mod error;
pub mod mock;

pub use error::{Error, Stall, VendorError};
pub mod ocp;
pub mod proxy;
pub mod publish;
pub mod yaml;
