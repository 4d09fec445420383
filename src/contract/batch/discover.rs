//! Command-line paths into inputs: files, directory walks, standard input.

use std::path::{Path, PathBuf};

use super::{Input, Options, Source};

/// The inputs named by `paths`, lazily, in path order: `-` is standard input, a directory stands
/// for every `*.json` file below it (also `*.ndjson` and `*.jsonl` with [`Options::ndjson`]), and
/// anything else is a file.
///
/// Order: by path, as text, where a directory's contents sort as its path with a `/` appended;
/// the walk lists one directory at a time, so it holds one listing per level, never the whole
/// tree. Symlinks to regular files are followed, symlinks to directories are not (a link cycle
/// cannot make the walk endless), a symlink whose target is gone is kept so that reading it
/// reports the error, and anything else that is not a regular file (FIFO, socket, device) is
/// reported as skipped without being opened.
pub fn discover(paths: &[PathBuf], options: &Options) -> Discover {
    let mut named: Vec<(String, Pending)> = paths
        .iter()
        .map(|path| {
            if path.as_os_str() == "-" {
                let input = Input {
                    shown: "-".into(),
                    source: Source::Stdin,
                };
                ("-".to_owned(), Pending::Input(input))
            } else if path.is_dir() {
                let shown = path.display().to_string();
                (format!("{shown}/"), Pending::Dir(path.clone()))
            } else {
                let input = Input {
                    shown: path.display().to_string(),
                    source: Source::File(path.clone()),
                };
                (input.shown.clone(), Pending::Input(input))
            }
        })
        .collect();
    // Stable: the same path given twice keeps command-line order.
    named.sort_by(|a, b| a.0.cmp(&b.0));
    Discover {
        pending: named
            .into_iter()
            .rev()
            .map(|(_, pending)| pending)
            .collect(),
        ndjson: options.ndjson,
    }
}

/// The inputs [`discover`] finds, one at a time.
#[derive(Debug)]
pub struct Discover {
    /// What is still to come, the next last.
    pending: Vec<Pending>,
    ndjson: bool,
}

#[derive(Debug)]
enum Pending {
    Input(Input),
    Dir(PathBuf),
}

impl Iterator for Discover {
    type Item = Input;

    fn next(&mut self) -> Option<Input> {
        loop {
            match self.pending.pop()? {
                Pending::Input(input) => return Some(input),
                Pending::Dir(dir) => self.list(&dir),
            }
        }
    }
}

impl Discover {
    /// Pushes what `dir` holds, sorted, so that it comes next.
    fn list(&mut self, dir: &Path) {
        let unlistable = |path: &Path, why: String| {
            Pending::Input(Input {
                shown: path.display().to_string(),
                source: Source::Unlistable(why),
            })
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) => {
                self.pending.push(unlistable(dir, error.to_string()));
                return;
            }
        };
        let mut found: Vec<(String, Pending)> = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    found.push((String::new(), unlistable(dir, error.to_string())));
                    continue;
                }
            };
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = match entry.file_type() {
                Ok(kind) => kind,
                Err(error) => {
                    found.push((name, unlistable(&path, error.to_string())));
                    continue;
                }
            };
            if kind.is_dir() {
                found.push((format!("{name}/"), Pending::Dir(path)));
                continue;
            }
            if !self.wanted(&path) {
                continue;
            }
            let what = if kind.is_symlink() {
                match std::fs::metadata(&path) {
                    // A symlink to a directory is not followed.
                    Ok(target) if target.is_dir() => continue,
                    Ok(target) => not_regular(&target.file_type()),
                    // A dangling link is read, so that reading it reports why.
                    Err(_) => None,
                }
            } else {
                not_regular(&kind)
            };
            let source = match what {
                None => Source::Found(path.clone()),
                Some(what) => Source::NotRegular(what),
            };
            let input = Input {
                shown: path.display().to_string(),
                source,
            };
            found.push((name, Pending::Input(input)));
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        self.pending
            .extend(found.into_iter().rev().map(|(_, pending)| pending));
    }

    fn wanted(&self, path: &Path) -> bool {
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        extension == "json" || (self.ndjson && matches!(extension, "ndjson" | "jsonl"))
    }
}

/// `None` for a regular file, else what it is instead.
pub(super) fn not_regular(kind: &std::fs::FileType) -> Option<String> {
    if kind.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let what = if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_char_device() {
            "a character device"
        } else if kind.is_block_device() {
            "a block device"
        } else if kind.is_dir() {
            "a directory"
        } else {
            "of an unknown kind"
        };
        Some(format!("not a regular file ({what})"))
    }
    #[cfg(not(unix))]
    Some("not a regular file".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walk_comes_in_path_order_one_directory_at_a_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for file in [
            "a.json",
            "a-b.json",
            "a/x.json",
            "a/b/y.json",
            "a.jsonl",
            "b.json",
            "a0/z.json",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, "{}").expect("write");
        }
        let shown = |options: &Options| -> Vec<String> {
            let found: Vec<String> = discover(&[root.to_owned()], options)
                .map(|input| input.shown)
                .collect();
            found
                .iter()
                .map(|path| path.replace(&root.display().to_string(), ""))
                .collect()
        };
        let found = shown(&Options::default());
        // What sorting every path as text gives, and what the walk gave before it streamed.
        let mut sorted = found.clone();
        sorted.sort();
        assert_eq!(found, sorted);
        assert_eq!(
            found,
            [
                "/a-b.json",
                "/a.json",
                "/a/b/y.json",
                "/a/x.json",
                "/a0/z.json",
                "/b.json"
            ]
        );
        assert!(shown(&Options::default().with_ndjson(true)).contains(&"/a.jsonl".to_owned()));
    }
}
