//! `--record FILE`: each exchange appended as one NDJSON line ([`Exchange::to_line`]).
//!
//! The file is opened for appending, created `0600` when new (it holds the traffic of whoever
//! used the proxy, if never their credentials), and never through a symbolic link: a link
//! planted where the recording goes would otherwise make the proxy append to a file of the
//! link's choosing. The check is made by the kernel at `open` (`O_NOFOLLOW`), not by looking
//! first, so a link swapped in between the two cannot win.

use std::fs::File;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::contract::exchange::Exchange;

/// Why the recording cannot be opened or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The path is a symbolic link; the proxy does not write through one.
    #[error("{} is a symbolic link; give the recording's real path", .0.display())]
    Symlink(PathBuf),
    /// The path exists and is not a regular file (a directory, a FIFO, a device).
    #[error("{} is not a regular file", .0.display())]
    NotAFile(PathBuf),
    /// Opening or writing failed.
    #[error("cannot write the recording {}", .path.display())]
    Io {
        /// The recording's path.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// The exchange could not be written as JSON.
    #[error("cannot encode the exchange")]
    Encode(#[source] crate::contract::exchange::ExchangeError),
}

/// An open recording.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    file: File,
}

impl Recorder {
    /// Opens `path` for appending, creating it `0600`; refuses a symbolic link or anything but
    /// a regular file.
    pub fn open(path: &Path) -> Result<Recorder, RecordError> {
        let io_error = |source| RecordError::Io {
            path: path.to_owned(),
            source,
        };
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            // O_NONBLOCK: a FIFO in its place is opened without waiting for a reader, then
            // refused below as not a regular file.
            options
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        }
        let file = match options.open(path) {
            Ok(file) => file,
            // ELOOP is what O_NOFOLLOW answers for a link.
            #[cfg(unix)]
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err(RecordError::Symlink(path.to_owned()));
            }
            Err(e) => {
                // Off unix there is no O_NOFOLLOW: look, at least.
                if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
                    return Err(RecordError::Symlink(path.to_owned()));
                }
                return Err(io_error(e));
            }
        };
        if !file.metadata().map_err(io_error)?.is_file() {
            return Err(RecordError::NotAFile(path.to_owned()));
        }
        #[cfg(not(unix))]
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(RecordError::Symlink(path.to_owned()));
        }
        Ok(Recorder {
            path: path.to_owned(),
            file,
        })
    }

    /// Where it writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `exchange` as one line, in one write, so a reader never sees half a line
    /// followed by another exchange.
    pub fn append(&mut self, exchange: &Exchange) -> Result<(), RecordError> {
        let mut line = exchange.to_line().map_err(RecordError::Encode)?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .map_err(|source| RecordError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_new_recording_is_private_and_a_symlink_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rec.ndjson");
        let recorder = Recorder::open(&path).expect("opens");
        drop(recorder);
        let mode = std::fs::metadata(&path)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);

        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "").expect("target");
        let link = dir.path().join("link.ndjson");
        std::os::unix::fs::symlink(&target, &link).expect("link");
        assert!(matches!(
            Recorder::open(&link),
            Err(RecordError::Symlink(_))
        ));
        assert!(matches!(
            Recorder::open(dir.path()),
            Err(RecordError::NotAFile(_) | RecordError::Io { .. })
        ));
    }
}
