//! Progress on stderr while a command runs, shown only where someone watches it.

use std::io::{self, IsTerminal as _};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A spinner counting records on stderr when it is a terminal; hidden otherwise.
pub fn spinner() -> ProgressBar {
    if io::stderr().is_terminal() {
        let bar = ProgressBar::new_spinner();
        bar.set_message("records");
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    } else {
        ProgressBar::hidden()
    }
}

/// A counter of checked payloads, hidden until its owner draws it on stderr.
pub fn counter() -> ProgressBar {
    let bar = ProgressBar::hidden();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {human_pos} payloads checked ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar
}

/// Standard error, written around the progress bar so that a line never lands inside it.
pub struct AroundBar<'b>(pub &'b ProgressBar);

impl io::Write for AroundBar<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.suspend(|| io::stderr().write(bytes))
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}
