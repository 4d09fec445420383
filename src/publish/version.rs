//! `info.version` as semantic version numbers.

use std::fmt;

/// A `MAJOR.MINOR.PATCH` version, as the specs' `info.version` carries it.
///
/// A pre-release or build suffix (`-rc.1`, `+meta`) is accepted and ignored: only the three
/// numbers decide compatibility here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Raised for breaking changes.
    pub major: u64,
    /// Raised for compatible additions.
    pub minor: u64,
    /// Raised for fixes and documentation.
    pub patch: u64,
}

impl Version {
    /// Parses `MAJOR.MINOR.PATCH` (an optional leading `v` and suffix are allowed); `None` for
    /// anything else.
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        let core = text.split(['-', '+']).next().unwrap_or(text);
        let mut numbers = core.split('.').map(|n| {
            // `01` is not a semantic version number; reject it rather than guess.
            if n.is_empty() || (n.len() > 1 && n.starts_with('0')) {
                None
            } else {
                n.parse::<u64>().ok()
            }
        });
        let version = Version {
            major: numbers.next()??,
            minor: numbers.next()??,
            patch: numbers.next()??,
        };
        numbers.next().is_none().then_some(version)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_three_numbers_and_ignores_suffixes() {
        let v = |major, minor, patch| {
            Some(Version {
                major,
                minor,
                patch,
            })
        };
        assert_eq!(Version::parse("1.0.0"), v(1, 0, 0));
        assert_eq!(Version::parse("v2.10.3"), v(2, 10, 3));
        assert_eq!(Version::parse("3.1.4-rc.1+build"), v(3, 1, 4));
        for bad in ["", "1", "1.0", "1.0.0.0", "a.b.c", "01.0.0", "1..0"] {
            assert_eq!(Version::parse(bad), None, "{bad:?}");
        }
        assert!(Version::parse("1.9.0") < Version::parse("1.10.0"));
    }
}
