//! Text that came from a server or a payload, made safe to print on a terminal.
//!
//! A vendor error message, a table cell or a violation message can carry bytes a terminal obeys:
//! ESC sequences that move the cursor, recolour or retitle the window, a CR that overwrites the
//! line already printed, a newline that forges a line of output of its own, C1 controls that some
//! terminals read as ESC sequences, and the bidirectional overrides that reorder what is shown
//! ("Trojan Source"). [`Escaped`] prints all of them as visible escapes; everything else passes
//! through unchanged. JSON and JUnit output need none of this: their own escaping is exact.
//!
//! ```
//! use backup_task_api::common::terminal::Escaped;
//!
//! let from_server = "quota exceeded\r\x1b[2Kall good\n";
//! assert_eq!(Escaped(from_server).to_string(), r"quota exceeded\r\x1b[2Kall good\n");
//! assert_eq!(Escaped("plain text, ünïcödé").to_string(), "plain text, ünïcödé");
//! ```

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// Displays a text with every character a terminal could act on escaped: C0 controls (tab and
/// newline included), DEL, C1 controls, and the Unicode bidirectional controls. Printable text,
/// non-ASCII included, is shown as it is.
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(needs_escape) {
            f.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            write_escape(f, c)?;
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

/// `text` with terminal controls escaped, borrowed when there is nothing to escape.
pub fn escape(text: &str) -> Cow<'_, str> {
    if text.contains(needs_escape) {
        Cow::Owned(Escaped(text).to_string())
    } else {
        Cow::Borrowed(text)
    }
}

/// Whether a terminal could act on `c`.
fn needs_escape(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// The bidirectional formatting characters (Unicode's Bidi_Control minus the marks that only
/// nudge neutral characters): embeddings, overrides and isolates.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn write_escape(f: &mut fmt::Formatter<'_>, c: char) -> fmt::Result {
    match c {
        '\n' => f.write_str("\\n"),
        '\r' => f.write_str("\\r"),
        '\t' => f.write_str("\\t"),
        c if (c as u32) < 0x80 => write!(f, "\\x{:02x}", c as u32),
        c => {
            f.write_str("\\u{")?;
            write!(f, "{:x}", c as u32)?;
            f.write_char('}')
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_c0_c1_and_del_control_is_escaped() {
        for code in (0u32..0x20).chain([0x7f]).chain(0x80..0xa0) {
            let c = char::from_u32(code).expect("a valid scalar");
            let shown = Escaped(&format!("a{c}b")).to_string();
            assert!(
                !shown.contains(c),
                "U+{code:04X} reached the output: {shown:?}"
            );
            assert!(
                shown.starts_with("a\\") && shown.ends_with('b'),
                "{shown:?}"
            );
        }
    }

    #[test]
    fn escapes_are_readable_and_printable_text_is_untouched() {
        assert_eq!(
            Escaped("\x1b]0;pwned\x07\u{9b}31m").to_string(),
            r"\x1b]0;pwned\x07\u{9b}31m"
        );
        assert_eq!(Escaped("a\tb\r\nc").to_string(), r"a\tb\r\nc");
        let plain = "Zürich 東京 ✓ \"quoted\" \\ back";
        assert_eq!(Escaped(plain).to_string(), plain);
        assert!(matches!(escape(plain), Cow::Borrowed(_)));
        assert!(matches!(escape("x\u{1b}"), Cow::Owned(_)));
    }

    #[test]
    fn bidirectional_overrides_are_escaped() {
        let shown = escape("admin\u{202E}txt.exe\u{2066}");
        assert_eq!(shown, r"admin\u{202e}txt.exe\u{2066}");
    }
}
