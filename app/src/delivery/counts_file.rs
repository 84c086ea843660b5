//! Reads a counts file (CSV or .xlsx) into raw records: maps the header
//! names to the four columns (case, quotes and aliases ignored) and turns
//! typed spreadsheet cells into the text the rules read: region keys from
//! numeric cells exactly, months from date cells.

use super::table::{find_columns, visit_table, Cell, RowSink};
use super::validate::{Message, RawRecord, COL_COUNT, COL_MONTH, COL_REGION, COL_SERVICE};

const EXPECTED_HEADER: &str = "erwartet Onlinedienst;Region;Monat;Anzahl";

/// A readable counts file: its rows, and the lines refused while reading
/// (a row cut short or with more fields than the header, an ambiguous
/// number), which a partial delivery leaves out like any invalid row.
#[derive(Debug)]
pub struct CountsFile {
    pub rows: Vec<RawRecord>,
    pub refused: Vec<Message>,
}

impl CountsFile {
    /// How many lines were refused while reading.
    pub fn refused_lines(&self) -> u32 {
        let mut lines: Vec<Option<u32>> = self.refused.iter().map(|m| m.line).collect();
        lines.dedup();
        lines.len() as u32
    }
}

/// The rows and refused lines of a counts file, or the messages that say
/// why it cannot be read at all.
pub fn read_counts(bytes: &[u8]) -> Result<CountsFile, Vec<Message>> {
    let mut reader = CountsReader::default();
    visit_table(bytes, &mut reader)?;
    Ok(CountsFile {
        rows: reader.rows,
        refused: reader.errors,
    })
}

/// Every row, or the messages if any line is refused (for callers without
/// a partial mode).
pub fn read_all_counts(bytes: &[u8]) -> Result<Vec<RawRecord>, Vec<Message>> {
    let file = read_counts(bytes)?;
    if file.refused.is_empty() {
        Ok(file.rows)
    } else {
        Err(file.refused)
    }
}

/// Builds each record as its row is read: the file's cells are never held
/// as a whole, which matters for files of hundreds of thousands of rows.
#[derive(Default)]
struct CountsReader {
    /// A comma-separated file comes from a locale where `.` is the decimal
    /// mark and `,` groups thousands: digit groups are not read there.
    comma_separated: bool,
    /// Whether the file is a CSV (a workbook has no delimiter).
    csv: bool,
    columns: [usize; 4],
    header_len: usize,
    rows: Vec<RawRecord>,
    errors: Vec<Message>,
}

impl RowSink for CountsReader {
    fn delimiter(&mut self, delimiter: u8) {
        self.comma_separated = delimiter == b',';
        self.csv = true;
    }

    fn header(&mut self, line: u32, header: Vec<String>) -> Result<(), Vec<Message>> {
        self.columns = map_columns(line, &header, self.csv)?;
        self.header_len = header.len();
        Ok(())
    }

    fn row(&mut self, line: u32, mut cells: Vec<Cell>) {
        if cells.iter().all(is_blank) {
            return;
        }
        // Filled cells beyond the header: a separator inside a value ("1,234"
        // in a comma file, also once Excel opened that file) shifts the
        // columns. Fewer fields than the header: a CSV row cut short.
        let filled = cells
            .iter()
            .rposition(|c| !is_blank(c))
            .map_or(0, |last| last + 1);
        let short = cells.len() < self.header_len && is_csv_row(&cells);
        if short || filled > self.header_len {
            let hint = if filled > self.header_len {
                "; steht ein Trennzeichen in einem Wert? Zahlen ohne Tausender- und Dezimalzeichen angeben, Texte mit Trennzeichen in Anführungszeichen"
            } else {
                ""
            };
            self.errors.push(Message::error(
                Some(line),
                None,
                None,
                format!(
                    "{} Felder statt {} wie in der Kopfzeile{hint}",
                    if short { cells.len() } else { filled },
                    self.header_len
                ),
            ));
            return;
        }
        let mut take = |index: usize| {
            cells
                .get_mut(index)
                .map_or(Cell::Empty, |c| std::mem::replace(c, Cell::Empty))
        };
        let [service, region, month, count] = self.columns.map(&mut take);
        if self.comma_separated {
            if let Cell::Text(text) = &count {
                if is_grouped_number(text) {
                    self.errors.push(Message::error(
                        Some(line),
                        Some(COL_COUNT),
                        Some(text.trim()),
                        "Zahl mit Trennzeichen in einer kommagetrennten Datei ist mehrdeutig (Tausender- oder Dezimaltrennzeichen); ganze Zahlen ohne Trennzeichen angeben",
                    ));
                    return;
                }
            }
        }
        self.rows.push(RawRecord {
            line,
            service: service.into_text(),
            region: region.into_text(),
            month: month_text(month),
            count: count.into_text(),
        });
    }
}

fn is_blank(cell: &Cell) -> bool {
    match cell {
        Cell::Empty => true,
        Cell::Text(text) => text.trim().is_empty(),
        _ => false,
    }
}

/// Digits with `.` or `,` between them, as a spreadsheet writes grouped or
/// decimal numbers.
fn is_grouped_number(text: &str) -> bool {
    let text = text.trim();
    text.bytes().any(|b| b == b'.' || b == b',')
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
        && text.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

/// CSV rows are all text; spreadsheet rows may end early at empty cells.
fn is_csv_row(cells: &[Cell]) -> bool {
    cells.iter().all(|c| matches!(c, Cell::Text(_)))
}

/// A date cell names its month; everything else is read as written.
fn month_text(cell: Cell) -> String {
    match cell {
        Cell::Date(date) => date.format("%Y-%m").to_string(),
        other => other.into_text(),
    }
}

/// Finds the four columns by name.
fn map_columns(header_line: u32, header: &[String], csv: bool) -> Result<[usize; 4], Vec<Message>> {
    let line = Some(header_line);
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_matches('"').trim().to_lowercase())
        .collect();
    if names.iter().filter(|n| !n.is_empty()).count() == 1 {
        let text = if csv && header.len() == 1 {
            format!(
                "Trennzeichen nicht erkannt: die Kopfzeile hat nur eine Spalte; {EXPECTED_HEADER}"
            )
        } else if csv {
            format!("Die erste Zeile ist keine Kopfzeile (nur ein Feld gefüllt, etwa ein Titel); die Datei muss mit der Kopfzeile beginnen, {EXPECTED_HEADER}")
        } else {
            format!("Die erste gefüllte Zeile des Tabellenblatts ist keine Kopfzeile (nur eine Spalte, etwa ein Titel); die Tabelle muss mit der Kopfzeile beginnen, {EXPECTED_HEADER}")
        };
        let value = header.iter().find(|h| !h.trim().is_empty());
        return Err(vec![Message::error(
            line,
            None,
            value.map(String::as_str),
            text,
        )]);
    }
    let wanted: [(&str, &[&str]); 4] = [
        (
            COL_SERVICE,
            &[
                "onlinedienst",
                "onlinedienst-id",
                "onlineservice",
                "dienst",
                "service",
            ],
        ),
        (
            COL_REGION,
            &["region", "regionalschlüssel", "ags", "ars", "gebiet"],
        ),
        (COL_MONTH, &["monat", "month", "zeitraum"]),
        (
            COL_COUNT,
            &["anzahl", "anzahl transaktionen", "transaktionen", "count"],
        ),
    ];
    find_columns(header_line, &names, wanted, EXPECTED_HEADER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_sep_line_and_crlf() {
        let rows = read_all_counts(
            "\u{feff}sep=;\r\nOnlinedienst;Region;Monat;Anzahl\r\nDEMO-0003;09162000;2024-05;4711\r\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(rows[0].line, 3);
        assert_eq!(rows[0].service, "DEMO-0003");
        assert_eq!(rows[0].count, "4711");
    }

    #[test]
    fn quoted_header_after_bom() {
        let rows = read_all_counts(
            "\u{feff}\"Onlinedienst\";\"Region\";\"Monat\";\"Anzahl\"\r\n\"DEMO-0003\";\"09162000\";\"2024-05\";\"4711\"\r\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(rows[0].region, "09162000");
        assert_eq!(rows[0].line, 2);
    }

    #[test]
    fn comma_and_tab_files_and_column_order() {
        let rows = read_all_counts(b"Anzahl,Monat,Region,Onlinedienst\n5,2024-01,01,X\n").unwrap();
        assert_eq!(
            (rows[0].service.as_str(), rows[0].count.as_str()),
            ("X", "5")
        );
        let rows =
            read_all_counts(b"Onlinedienst\tRegion\tMonat\tAnzahl\nX\t01\t2024-01\t7\n").unwrap();
        assert_eq!(rows[0].count, "7");
    }

    #[test]
    fn windows_1252_files_are_read() {
        let rows = read_all_counts(
            b"Onlinedienst;Region;Monat;Anzahl\nD\xfcsseldorf;05111000;M\xe4rz 2024;1\n",
        )
        .unwrap();
        assert_eq!(rows[0].service, "Düsseldorf");
        assert_eq!(rows[0].month, "März 2024");
    }

    #[test]
    fn digit_groups_in_comma_files_are_refused_as_ambiguous() {
        let err = read_all_counts(
            b"Onlinedienst,Region,Monat,Anzahl\nX,01,2024-01,1.234\nX,02,2024-01,\"1,234\"\nX,03,2024-01,7\n",
        )
        .unwrap_err();
        let lines: Vec<_> = err.iter().map(|m| (m.line, m.value.clone())).collect();
        assert_eq!(
            lines,
            [
                (Some(2), Some("1.234".into())),
                (Some(3), Some("1,234".into()))
            ]
        );
        assert!(err[0].text.contains("mehrdeutig"));
        // In a semicolon file the German digit groups stay readable.
        assert_eq!(
            read_all_counts(b"Onlinedienst;Region;Monat;Anzahl\nX;01;2024-01;1.234\n").unwrap()[0]
                .count,
            "1.234"
        );
    }

    #[test]
    fn a_separator_inside_a_value_is_refused_not_cut_off() {
        let err = read_all_counts(
            b"Onlinedienst,Region,Monat,Anzahl\nX,01,2024-01,1,234\nX,02,2024-01,7,\n",
        )
        .unwrap_err();
        assert_eq!(err.len(), 1, "{err:?}");
        assert_eq!(err[0].line, Some(2));
        assert!(err[0].text.starts_with("5 Felder statt 4"), "{err:?}");
        let err =
            read_all_counts(b"Onlinedienst;Region;Monat;Anzahl\nX;01;2024-01;12;5\n").unwrap_err();
        assert!(
            err[0].text.contains("Trennzeichen in einem Wert"),
            "{err:?}"
        );
        // Empty trailing fields, as spreadsheets write them, are fine.
        assert_eq!(
            read_all_counts(b"Onlinedienst;Region;Monat;Anzahl\nX;01;2024-01;12;;\n").unwrap()[0]
                .count,
            "12"
        );
    }

    #[test]
    fn filled_cells_right_of_a_workbook_table_are_refused() {
        let mut reader = CountsReader::default();
        let header = ["Onlinedienst", "Region", "Monat", "Anzahl"].map(String::from);
        reader.header(1, header.to_vec()).unwrap();
        let text = |t: &str| Cell::Text(t.to_owned());
        // "1,234" from a comma file that Excel split into two cells.
        reader.row(
            2,
            vec![
                text("X"),
                text("01"),
                text("2024-01"),
                Cell::Number(1.0),
                Cell::Number(234.0),
            ],
        );
        reader.row(
            3,
            vec![
                text("X"),
                text("02"),
                text("2024-01"),
                Cell::Number(7.0),
                Cell::Empty,
            ],
        );
        assert_eq!(reader.errors.len(), 1);
        assert_eq!(reader.errors[0].line, Some(2));
        assert!(reader.errors[0].text.starts_with("5 Felder statt 4"));
        assert_eq!(reader.rows.len(), 1);
    }

    #[test]
    fn a_title_row_is_named_as_such() {
        let err = read_all_counts(
            b"Nutzungszahlen September 2024;;;\nOnlinedienst;Region;Monat;Anzahl\n",
        )
        .unwrap_err();
        assert!(err[0].text.contains("keine Kopfzeile"), "{err:?}");
    }

    #[test]
    fn one_column_header_is_refused() {
        let err = read_all_counts(b"Onlinedienst Region Monat Anzahl\nx\n").unwrap_err();
        assert!(err[0].text.contains("Trennzeichen nicht erkannt"));
    }

    #[test]
    fn missing_column_is_named() {
        let err = read_all_counts(b"Onlinedienst;Region;Monat\nX;01;2024-01\n").unwrap_err();
        assert!(err[0].text.contains("„Anzahl“"));
    }

    #[test]
    fn short_rows_are_named() {
        let err = read_all_counts(b"Onlinedienst;Region;Monat;Anzahl\nX;01\n").unwrap_err();
        assert_eq!(err[0].line, Some(2));
        assert!(err[0].text.contains("2 Felder statt 4"));
    }
}
