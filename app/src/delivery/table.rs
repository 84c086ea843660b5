//! Reads an uploaded file into a table of typed cells with physical line
//! numbers: an .xlsx workbook's first sheet (numeric, text and date cells,
//! 1900 and 1904 date systems), or a CSV in UTF-8 (with or without BOM) or
//! Windows-1252, with comma, semicolon or tab (detected) and an optional
//! Excel `sep=` line. A file mixing UTF-8 and another encoding is refused.
//!
//! Rows are handed to a [`RowSink`] one at a time, so a reader that builds
//! its own records never holds the file as a whole table of cells.

use std::borrow::Cow;

use calamine::{Data, Reader};
use chrono::NaiveDate;

use super::validate::Message;

/// One cell as the file stores it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A numeric spreadsheet cell (never produced from CSV text).
    Number(f64),
    /// A date cell of a spreadsheet.
    Date(NaiveDate),
    Empty,
}

impl Cell {
    /// The cell as text for rules that read text: whole numbers without a
    /// decimal part, other numbers with a German decimal comma, dates as
    /// `JJJJ-MM-TT`.
    pub fn into_text(self) -> String {
        match self {
            Self::Text(text) => text,
            other => other.to_text(),
        }
    }

    /// As [`Cell::into_text`], for a borrowed cell.
    pub fn to_text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Self::Number(n) => n.to_string().replace('.', ","),
            Self::Date(date) => date.format("%Y-%m-%d").to_string(),
            Self::Empty => String::new(),
        }
    }
}

/// A file's header and rows, each row with its physical line (header = 1,
/// or 2 after a `sep=` line; spreadsheet row numbers for .xlsx).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub header_line: u32,
    pub header: Vec<String>,
    pub rows: Vec<(u32, Vec<Cell>)>,
}

/// Receives a file's header and then its rows, one at a time.
pub trait RowSink {
    /// The header row and its physical line; an error stops the reading.
    fn header(&mut self, line: u32, header: Vec<String>) -> Result<(), Vec<Message>>;
    /// One row below the header with its physical line.
    fn row(&mut self, line: u32, cells: Vec<Cell>);
    /// The delimiter of a CSV file, told before its header.
    fn delimiter(&mut self, _delimiter: u8) {}
}

impl RowSink for Table {
    fn header(&mut self, line: u32, header: Vec<String>) -> Result<(), Vec<Message>> {
        self.header_line = line;
        self.header = header;
        Ok(())
    }

    fn row(&mut self, line: u32, cells: Vec<Cell>) {
        self.rows.push((line, cells));
    }
}

/// Reads CSV or .xlsx (recognised by content, not by name) into a table.
pub fn read_table(bytes: &[u8]) -> Result<Table, Vec<Message>> {
    let mut table = Table {
        header_line: 1,
        header: Vec::new(),
        rows: Vec::new(),
    };
    visit_table(bytes, &mut table)?;
    Ok(table)
}

/// Reads CSV or .xlsx (recognised by content, not by name) row by row.
pub fn visit_table(bytes: &[u8], sink: &mut impl RowSink) -> Result<(), Vec<Message>> {
    if bytes.starts_with(b"PK\x03\x04") {
        visit_xlsx(bytes, sink)
    } else {
        visit_csv(&decode(bytes)?, sink)
    }
}

fn fail(line: Option<u32>, text: impl Into<String>) -> Vec<Message> {
    vec![Message::error(line, None, None, text)]
}

/// UTF-8 (BOM stripped) or, if the bytes are not UTF-8 at all, Windows-1252.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, Vec<Message>> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(err) => {
            let line_of =
                |offset: usize| bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            if let Some(utf8_at) = first_utf8_multibyte(bytes) {
                return Err(fail(
                    Some(line_of(err.valid_up_to())),
                    format!(
                        "Datei mischt Zeichenkodierungen: Zeile {} ist UTF-8, Zeile {} nicht; bitte einheitlich als „CSV UTF-8“ speichern",
                        line_of(utf8_at),
                        line_of(err.valid_up_to())
                    ),
                ));
            }
            let (text, _, had_errors) = encoding_rs::WINDOWS_1252.decode(bytes);
            if had_errors {
                return Err(fail(
                    None,
                    "Zeichenkodierung nicht erkannt; bitte als „CSV UTF-8“ speichern",
                ));
            }
            Ok(Cow::Owned(text.into_owned()))
        }
    }
}

/// The offset of the first well-formed multi-byte UTF-8 sequence, if any.
fn first_utf8_multibyte(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < bytes.len() {
        let len = match bytes[i] {
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => {
                i += 1;
                continue;
            }
        };
        if bytes
            .get(i..i + len)
            .is_some_and(|seq| std::str::from_utf8(seq).is_ok())
        {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn visit_csv(text: &str, sink: &mut impl RowSink) -> Result<(), Vec<Message>> {
    let (mut line_offset, mut body, mut delimiter) = (0u32, text, None);
    let first_line = text.lines().next().unwrap_or_default();
    if let Some(sep) = first_line.trim().strip_prefix("sep=") {
        let mut chars = sep.chars();
        match (chars.next(), chars.next()) {
            (Some(c @ (';' | ',' | '\t' | '|')), None) => delimiter = Some(c as u8),
            _ => {
                return Err(vec![Message::error(
                    Some(1),
                    None,
                    Some(first_line.trim()),
                    "Trennzeichenzeile nicht unterstützt; erlaubt sind sep=; sep=, oder sep=Tab",
                )])
            }
        }
        body = text
            .split_once('\n')
            .map(|(_, rest)| rest)
            .unwrap_or_default();
        line_offset = 1;
    }

    let header_line = body.lines().next().unwrap_or_default();
    if header_line.trim().is_empty() {
        return Err(fail(
            Some(1 + line_offset),
            "Datei ist leer: Kopfzeile fehlt",
        ));
    }
    let delimiter = delimiter.unwrap_or_else(|| detect_delimiter(header_line));
    sink.delimiter(delimiter);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());

    // Physical line of a record from its byte offset: the csv reader's own
    // line count is off after CRLF, and its offset may still point at the
    // line feed, which belongs to the line before. The offsets of all line
    // feeds are collected once; each lookup is a binary search.
    let bytes = body.as_bytes();
    let line_feeds: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .map(|(i, _)| i)
        .collect();
    let line_of = |position: Option<&csv::Position>| -> u32 {
        let mut start = position.map_or(0, |p| p.byte() as usize).min(bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        line_feeds.partition_point(|&at| at < start) as u32 + 1 + line_offset
    };

    // One record buffer for the whole file: only the cells handed on are
    // allocated.
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => sink.header(1 + line_offset, record.iter().map(str::to_owned).collect())?,
        _ => return Err(fail(Some(1 + line_offset), "Kopfzeile nicht lesbar")),
    }
    let mut errors = Vec::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let cells = record.iter().map(|c| Cell::Text(c.to_owned())).collect();
                sink.row(line_of(record.position()), cells);
            }
            Err(err) => {
                errors.push(Message::error(
                    Some(line_of(err.position())),
                    None,
                    None,
                    "Zeile nicht lesbar (Anführungszeichen prüfen)",
                ));
                if matches!(err.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The position of each wanted column, found by any of its names among the
/// header's normalised names; each missing column is named with `expected`,
/// the header the file should have.
pub fn find_columns<const N: usize>(
    line: u32,
    names: &[String],
    wanted: [(&str, &[&str]); N],
    expected: &str,
) -> Result<[usize; N], Vec<Message>> {
    let mut positions = [0; N];
    let mut missing = Vec::new();
    for (slot, (name, aliases)) in positions.iter_mut().zip(wanted) {
        match names.iter().position(|n| aliases.contains(&n.as_str())) {
            Some(index) => *slot = index,
            None => missing.push(Message::error(
                Some(line),
                Some(name),
                None,
                format!("Pflichtspalte „{name}“ fehlt in der Kopfzeile; {expected}"),
            )),
        }
    }
    if missing.is_empty() {
        Ok(positions)
    } else {
        Err(missing)
    }
}

/// The delimiter that splits the header into the most fields.
fn detect_delimiter(header: &str) -> u8 {
    [b';', b',', b'\t', b'|']
        .into_iter()
        .max_by_key(|&d| header.bytes().filter(|&b| b == d).count())
        .unwrap_or(b';')
}

/// The most a workbook may unpack to. A sheet is read into memory whole, so
/// a small file of highly compressed rows could take the server's memory; a
/// CSV of the same rows is read row by row.
const MAX_XLSX_UNPACKED: u64 = 100 * 1024 * 1024;

/// The workbook's unpacked size as its directory declares it.
fn unpacked_size(bytes: &[u8]) -> Option<u64> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let mut total = 0u64;
    for index in 0..archive.len() {
        total = total.saturating_add(archive.by_index_raw(index).ok()?.size());
    }
    Some(total)
}

/// Refuses a workbook that unpacks to more than `limit` bytes.
fn check_unpacked(bytes: &[u8], limit: u64) -> Result<(), Vec<Message>> {
    match unpacked_size(bytes) {
        Some(size) if size > limit => Err(fail(
            None,
            format!(
                "Excel-Datei zu groß: entpackt {} MB, höchstens {} MB; bitte als CSV liefern (wird zeilenweise gelesen) oder aufteilen",
                size / (1024 * 1024),
                limit / (1024 * 1024)
            ),
        )),
        _ => Ok(()),
    }
}

fn visit_xlsx(bytes: &[u8], sink: &mut impl RowSink) -> Result<(), Vec<Message>> {
    check_unpacked(bytes, MAX_XLSX_UNPACKED)?;
    let unreadable = |_| {
        fail(
            None,
            "Excel-Datei nicht lesbar; bitte als .xlsx oder CSV UTF-8 speichern",
        )
    };
    let mut workbook =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(unreadable)?;
    let range = match workbook.worksheet_range_at(0) {
        Some(Ok(range)) => range,
        _ => return Err(fail(None, "Excel-Datei enthält kein Tabellenblatt")),
    };
    let (first_row, _) = range.start().unwrap_or((0, 0));
    let first_column = range.start().map_or(0, |(_, c)| c);
    let mut lines = range
        .rows()
        .enumerate()
        .map(|(i, row)| (first_row + i as u32 + 1, row));

    // Leading empty rows are skipped; the first non-empty row is the header.
    let (header_line, header) = loop {
        match lines.next() {
            Some((_, row)) if row.iter().all(|c| matches!(c, Data::Empty)) => continue,
            Some((line, row)) => {
                break (
                    line,
                    row.iter().map(|c| cell(c).to_text()).collect::<Vec<_>>(),
                )
            }
            None => return Err(fail(Some(1), "Tabellenblatt ist leer: Kopfzeile fehlt")),
        }
    };
    // Columns left of the used range are empty; keep positions aligned.
    let pad = vec![String::new(); first_column as usize];
    sink.header(header_line, pad.iter().cloned().chain(header).collect())?;
    for (line, row) in lines {
        let cells = std::iter::repeat_n(Cell::Empty, first_column as usize)
            .chain(row.iter().map(cell))
            .collect();
        sink.row(line, cells);
    }
    Ok(())
}

fn cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Text(if *b { "WAHR" } else { "FALSCH" }.to_owned()),
        Data::DateTime(dt) if dt.is_datetime() => dt
            .as_datetime()
            .map(|d| Cell::Date(d.date()))
            .unwrap_or(Cell::Number(dt.as_f64())),
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Text(format!("#{e:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_is_decoded_exactly() {
        let text = decode(b"Onlinedienst;Region\nM\xfcnchen \x80;09162000\n").unwrap();
        assert!(text.contains("München €"));
    }

    #[test]
    fn mixed_encodings_are_refused_with_lines() {
        let err = decode(
            "Kopf\nM\u{fc}nchen\n"
                .as_bytes()
                .iter()
                .copied()
                .chain(*b"N\xfcrnberg\n")
                .collect::<Vec<_>>()
                .as_slice(),
        )
        .unwrap_err();
        assert!(
            err[0].text.contains("Zeile 2 ist UTF-8, Zeile 3 nicht"),
            "{:?}",
            err
        );
    }

    #[test]
    fn a_workbook_that_unpacks_too_large_is_refused_before_reading() {
        use std::io::Write;
        let mut packed = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut packed);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
        zip.write_all(&vec![b'a'; 3 * 1024 * 1024]).unwrap();
        zip.finish().unwrap();
        let bytes = packed.into_inner();
        assert!(bytes.len() < 100_000);
        let err = check_unpacked(&bytes, 2 * 1024 * 1024).unwrap_err();
        assert!(
            err[0].text.contains("entpackt 3 MB, höchstens 2 MB"),
            "{err:?}"
        );
        assert!(check_unpacked(&bytes, 4 * 1024 * 1024).is_ok());
    }

    #[test]
    fn lines_ended_by_cr_alone_are_counted() {
        // Old Mac spreadsheets ("CSV (Macintosh)") end lines with CR alone,
        // and edited files mix it with LF and CRLF.
        let table = read_table(b"Onlinedienst;Region\rA;01\rB;02\r").unwrap();
        let lines: Vec<u32> = table.rows.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [2, 3]);
        let table = read_table(b"Onlinedienst;Region\nA;01\rB;02\r\nC;03\nD;04").unwrap();
        let lines: Vec<u32> = table.rows.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [2, 3, 4, 5]);
    }

    #[test]
    fn numbers_and_dates_become_text_for_the_rules() {
        assert_eq!(Cell::Number(1001000.0).to_text(), "1001000");
        assert_eq!(Cell::Number(12.5).to_text(), "12,5");
        assert_eq!(Cell::Number(99000000000201.0).to_text(), "99000000000201");
        assert_eq!(
            Cell::Date(NaiveDate::from_ymd_opt(2024, 2, 1).unwrap()).to_text(),
            "2024-02-01"
        );
    }
}
