#![doc = include_str!("../README.md")]

/// The private module holding an API's progenitor output (written by `build.rs`): the models
/// always, the raw client with the `client` feature; what users need is re-exported by the API
/// module. Lints are off there: the code is generated, and parts of the raw client are reached
/// only as the hand-written layer grows.
macro_rules! generated_module {
    ($api:literal) => {
        /// The progenitor output, kept private.
        #[allow(
            missing_docs,
            unused_imports,
            dead_code,
            clippy::all,
            clippy::pedantic,
            clippy::unwrap_used
        )]
        pub(crate) mod generated {
            include!(concat!(env!("OUT_DIR"), "/", $api, "_types.rs"));
            #[cfg(feature = "client")]
            include!(concat!(env!("OUT_DIR"), "/", $api, "_client.rs"));
        }
    };
}

pub mod cbr;
#[cfg(feature = "client")]
pub mod client;
pub mod common;
#[cfg(feature = "contract")]
pub mod contract;
#[cfg(feature = "mock")]
pub mod demo;
#[cfg(feature = "mock")]
pub mod mock;
pub mod ocp;
#[cfg(feature = "mock")]
pub mod proxy;
#[cfg(feature = "publish")]
pub mod publish;
#[cfg(feature = "contract")]
pub mod yaml;

#[cfg(feature = "client")]
pub use client::{Error, Stall, VendorError};
