#![doc = include_str!("../README.md")]

pub mod cbr;
pub mod common;
pub mod contract;
pub mod ocp;
