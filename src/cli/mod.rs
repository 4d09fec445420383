//! The commands, one file each, and what they share.

use std::io::{self, IsTerminal as _};
use std::time::Duration;

use anyhow::Context as _;

pub mod demo;
pub mod diff;
mod format;
pub mod list;
pub mod mock;
mod records;
pub mod schemas;
pub mod validate;

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// A progress bar on stderr when it is a terminal; hidden otherwise.
fn progress_bar() -> indicatif::ProgressBar {
    if io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message("records");
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    } else {
        indicatif::ProgressBar::hidden()
    }
}
