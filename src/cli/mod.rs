//! The commands, one file each (its flags, their help text and its `run`), and what they share:
//! output formats, record output, progress, exit codes.
//!
//! A command's help text is the doc comment of its `Args` (a `///` on its variant in main.rs
//! would override it). Each `run` returns its exit code, or an error for exit 2.

use anyhow::Context as _;

pub mod demo;
pub mod diff;
pub mod drift;
pub mod exit;
mod format;
pub mod list;
pub mod mock;
mod progress;
pub mod proxy;
mod records;
pub mod schemas;
pub mod validate;

/// The async runtime of the commands that talk HTTP (`demo`, `mock`, `list`).
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
