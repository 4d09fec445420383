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
/// A runtime on this thread alone, for a client that reads one page after another (`list`):
/// worker threads would only hand each page across threads, and each brings its own allocator
/// arena (about 1.7 MB more peak memory, measured).
fn client_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Listens for Ctrl-C and, on unix, SIGTERM (what `kill`, CI runners and containers send) from
/// the moment it is called, and returns what completes on the first of them. Call it before the
/// URL is printed: a signal sent as soon as a script reads the URL must stop the server cleanly,
/// not kill it by the default action. Inside the runtime only.
pub(crate) fn stop_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    use futures::future::Either;
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut interrupt), Ok(mut terminate)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            return Either::Left(async move {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            });
        }
    }
    Either::Right(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
