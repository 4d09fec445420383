//! Records as `list` writes them: a table for people, a JSON array or NDJSON, streaming.

use std::io;

use backup_task_api::common::terminal::escape;
use serde::Serialize;

use super::format::Format;

/// Rows a table buffers to size its columns; later rows are printed as they come, in those
/// widths, so a listing of any length holds at most this many rows in memory.
const TABLE_SIZING_ROWS: usize = 1000;

/// Writes records as a table, a JSON array or NDJSON, streaming. A table buffers its first
/// [`TABLE_SIZING_ROWS`] rows to size the columns, prints them, then prints every later row at
/// once in the same widths (a longer cell pushes the rest of its row out of line). Table cells
/// came from the server and are escaped; JSON output is exact.
pub struct Printer<W: io::Write> {
    out: W,
    format: Format,
    headers: Vec<String>,
    /// Table rows waiting for the column widths.
    rows: Vec<Vec<String>>,
    /// The column widths, once the table's head is printed.
    widths: Option<Vec<usize>>,
    first: bool,
    /// The table line being built, kept between rows so a row allocates no line of its own.
    line: String,
}

impl<W: io::Write> Printer<W> {
    /// A printer of `format`: `table`, `json` or `ndjson`.
    pub fn new(out: W, format: Format, headers: &[&str]) -> anyhow::Result<Self> {
        if let Format::Text | Format::Junit | Format::Markdown = format {
            return Err(format.not_offered("list"));
        }
        Ok(Self {
            out,
            format,
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            widths: None,
            first: true,
            line: String::new(),
        })
    }

    /// Writes one record: `value` in JSON and NDJSON, the cells `row` makes in a table (only
    /// asked for there, so JSON output builds no cells).
    pub fn record<T: Serialize>(
        &mut self,
        value: &T,
        row: impl FnOnce() -> Vec<String>,
    ) -> anyhow::Result<()> {
        match self.format {
            Format::Table => {
                let row: Vec<String> = row()
                    .into_iter()
                    .map(|cell| {
                        // Printable ASCII (most cells) has nothing to escape: one quick pass
                        // over the bytes instead of a search char by char.
                        if cell.bytes().all(|b| (b' '..=b'~').contains(&b)) {
                            return cell;
                        }
                        match escape(&cell) {
                            std::borrow::Cow::Borrowed(_) => cell,
                            std::borrow::Cow::Owned(escaped) => escaped,
                        }
                    })
                    .collect();
                match &self.widths {
                    Some(widths) => write_row(&mut self.out, &mut self.line, &row, widths)?,
                    None => {
                        self.rows.push(row);
                        if self.rows.len() >= TABLE_SIZING_ROWS {
                            self.print_table_head()?;
                        }
                    }
                }
            }
            // Straight into the buffered output: a raw record is copied once, not via a String.
            Format::Ndjson => {
                serde_json::to_writer(&mut self.out, value)?;
                self.out.write_all(b"\n")?;
            }
            Format::Text | Format::Junit | Format::Markdown => {
                unreachable!("Printer::new refuses {}", self.format)
            }
            Format::Json => {
                let separator = if self.first { "[\n  " } else { ",\n  " };
                self.out.write_all(separator.as_bytes())?;
                serde_json::to_writer(&mut self.out, value)?;
            }
        }
        self.first = false;
        Ok(())
    }

    /// Sizes the columns on the buffered rows, prints the header and those rows.
    fn print_table_head(&mut self) -> io::Result<()> {
        let mut widths: Vec<usize> = self.headers.iter().map(String::len).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            write_row(&mut self.out, &mut self.line, row, &widths)?;
        }
        self.rows = Vec::new();
        self.widths = Some(widths);
        Ok(())
    }

    /// Ends the output after a listing that `listed` says ended well or not. A JSON array is
    /// closed only after a complete listing, so a consumer cannot take a partial one for all;
    /// a table prints the rows that came before a failure.
    pub fn finish(mut self, listed: anyhow::Result<()>) -> anyhow::Result<()> {
        match (self.format, &listed) {
            (Format::Json, Ok(())) => {
                writeln!(self.out, "{}", if self.first { "[]" } else { "\n]" })?
            }
            (Format::Table, _) if self.widths.is_none() => self.print_table_head()?,
            _ => {}
        }
        self.out.flush()?;
        listed
    }
}

/// Writes `row` in `widths`, each cell padded to its width in chars (as `{:<width$}` pads), two
/// blanks between cells, without trailing blanks; `line` is the reused buffer it is built in.
fn write_row(
    out: &mut impl io::Write,
    line: &mut String,
    row: &[String],
    widths: &[usize],
) -> io::Result<()> {
    line.clear();
    for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        line.push_str(cell);
        let shown = if cell.is_ascii() {
            cell.len()
        } else {
            cell.chars().count()
        };
        line.extend(std::iter::repeat_n(' ', width.saturating_sub(shown)));
    }
    out.write_all(line.trim_end().as_bytes())?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: usize) -> Vec<String> {
        vec![format!("id-{i}"), "ok".into()]
    }

    #[test]
    fn a_table_prints_its_first_rows_once_they_size_the_columns_and_streams_the_rest() {
        // 1,000, the documented bound, not the constant: the test pins the number.
        let mut printer =
            Printer::new(Vec::new(), Format::Table, &["id", "status"]).expect("a record format");
        for i in 0..999 {
            printer.record(&i, || row(i)).expect("buffered");
        }
        assert!(printer.out.is_empty(), "still sizing the columns");
        printer.record(&0, || row(999)).expect("printed");
        assert_eq!(
            printer.out.split(|b| *b == b'\n').count() - 1,
            1001,
            "header and 1,000 rows"
        );
        assert!(printer.rows.is_empty(), "nothing is held once printed");
        printer
            .record(&0, || {
                vec!["a-much-longer-id-than-before".into(), "ok".into()]
            })
            .expect("printed");
        assert!(printer.rows.is_empty(), "later rows are not held either");
        printer.finish(Ok(())).expect("finished");
    }

    #[test]
    fn table_cells_are_escaped_and_the_widths_count_what_is_shown() {
        let mut printer =
            Printer::new(Vec::new(), Format::Table, &["id", "status"]).expect("a record format");
        printer
            .record(&0, || vec!["a\x1b[2Kb\r".into(), "ok".into()])
            .expect("row");
        printer.record(&0, || row(1)).expect("row");
        printer.print_table_head().expect("printed");
        let text = String::from_utf8(printer.out).expect("utf-8");
        let shown = r"a\x1b[2Kb\r";
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            [
                format!("{:<11}  status", "id"),
                format!("{shown}  ok"),
                format!("{:<11}  ok", "id-1"),
            ]
        );
    }

    #[test]
    fn cells_are_padded_by_the_chars_shown_as_format_pads_them() {
        let mut out = Vec::new();
        let mut printer =
            Printer::new(&mut out, Format::Table, &["name", "n"]).expect("a record format");
        for name in ["zoë", "ab", "\u{1F600}x", "wide-name"] {
            printer
                .record(&0, || vec![name.into(), "1".into()])
                .expect("row");
        }
        printer.finish(Ok(())).expect("printed");
        let expected: String = ["name", "zoë", "ab", "\u{1F600}x", "wide-name"]
            .iter()
            .zip(["n", "1", "1", "1", "1"])
            .map(|(a, b)| format!("{a:<9}  {b}\n"))
            .collect();
        assert_eq!(String::from_utf8(out).expect("utf-8"), expected);
    }

    #[test]
    fn a_failed_listing_leaves_the_json_array_open_and_prints_the_table_so_far() {
        let mut out = Vec::new();
        let mut json = Printer::new(&mut out, Format::Json, &["id"]).expect("a record format");
        json.record(&1, Vec::new).expect("record");
        assert!(json.finish(Err(anyhow::anyhow!("page 2 failed"))).is_err());
        assert_eq!(out, b"[\n  1", "no closing bracket: not a complete array");
        let mut out = Vec::new();
        let mut table =
            Printer::new(&mut out, Format::Table, &["id", "status"]).expect("a record format");
        table.record(&1, || row(1)).expect("record");
        assert!(table.finish(Err(anyhow::anyhow!("page 2 failed"))).is_err());
        assert_eq!(out, b"id    status\nid-1  ok\n");
    }
}
