#![doc = include_str!("../README.md")]

pub mod cbr;
pub mod client;
pub mod common;
pub mod contract;
pub mod demo;
pub mod mock;

pub use client::{Error, Stall, VendorError};
pub mod ocp;
pub mod publish;
pub mod yaml;
