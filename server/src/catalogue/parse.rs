//! Reading the two catalogue CSV files (pure, no database).
//!
//! Both files are UTF-8 (a BOM is ignored), comma-separated (a header with
//! more semicolons than commas switches to `;`), with a header row naming
//! the columns; the order of columns does not matter, extra columns are
//! ignored. Line numbers count physical lines, the header is line 1.

use super::{CatalogueError, SkippedRow};
use std::collections::{HashMap, HashSet};

/// One OZG-Leistung (`ozg_leistungen_*.csv`: ozg_id, name, lebenslage,
/// themenfeld, hidden).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OzgLeistung {
    pub ozg_id: String,
    pub name: String,
    pub lebenslage: Option<String>,
    pub themenfeld: Option<String>,
    pub hidden: bool,
}

/// One LeiKa entry (`leika_ozg_*.csv`: leika_key, name, leistungstyp, ozg_id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeikaEntry {
    pub line: usize,
    /// The 14-digit key; `None` for "nicht im LeiKa" (or an empty cell).
    pub leika_key: Option<String>,
    pub name: String,
    /// The Leistungstyp as written (trimmed); `None` when empty.
    pub leistungstyp_raw: Option<String>,
    pub leistungstyp: Leistungstyp,
    pub ozg_id: Option<String>,
}

/// How a Leistungstyp cell reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypKind {
    /// Empty cell.
    Missing,
    /// One clean type: `1`…`5`, or the OZG's combined type `2/3`.
    Single,
    /// A list of clean types such as `1, 2/3`: stored as the union of the
    /// types, and reported because it is not one type.
    Several,
    /// Anything else (`6`, `44`, text): no type stored, reported.
    Unrecognized,
}

/// A parsed Leistungstyp: the types 1..=5 it names (sorted, no duplicates)
/// and how clean the text was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leistungstyp {
    pub values: Vec<i16>,
    pub kind: TypKind,
}

/// Parses a Leistungstyp cell without guessing.
///
/// `1`…`5` are single types; `2/3` is the OZG's own combined type (federal
/// regulation, executed by Länder or Kommunen) and counts as a single clean
/// value, stored as the types 2 and 3. A comma-separated list of such values
/// (`1, 2/3`) is read as the union of its parts but reported as not one
/// type. Every other text (`6`, `44`, `2-3`) yields no type.
pub fn parse_leistungstyp(raw: &str) -> Leistungstyp {
    let raw = raw.trim();
    if raw.is_empty() {
        return Leistungstyp {
            values: Vec::new(),
            kind: TypKind::Missing,
        };
    }
    let parts: Vec<&str> = raw.split(',').map(str::trim).collect();
    let mut values = Vec::new();
    for part in &parts {
        match clean_type(part) {
            Some(types) => values.extend_from_slice(types),
            None => {
                return Leistungstyp {
                    values: Vec::new(),
                    kind: TypKind::Unrecognized,
                }
            }
        }
    }
    values.sort_unstable();
    values.dedup();
    let kind = if parts.len() == 1 {
        TypKind::Single
    } else {
        TypKind::Several
    };
    Leistungstyp { values, kind }
}

fn clean_type(part: &str) -> Option<&'static [i16]> {
    match part.replace(' ', "").as_str() {
        "1" => Some(&[1]),
        "2" => Some(&[2]),
        "3" => Some(&[3]),
        "4" => Some(&[4]),
        "5" => Some(&[5]),
        "2/3" => Some(&[2, 3]),
        _ => None,
    }
}

/// Reads `ozg_leistungen_*.csv`. Every row must have a unique, non-empty
/// `ozg_id` and a name; otherwise the file is refused.
pub fn parse_ozg(file: &str, bytes: &[u8]) -> Result<Vec<OzgLeistung>, CatalogueError> {
    let mut table = Table::open(file, bytes)?;
    let id_col = table.column("ozg_id")?;
    let name_col = table.column("name")?;
    let lebenslage_col = table.optional_column("lebenslage");
    let themenfeld_col = table.optional_column("themenfeld");
    let hidden_col = table.optional_column("hidden");

    let mut seen = HashSet::new();
    let mut out = Vec::new();
    while let Some((line, record)) = table.next_record()? {
        let cell = |col: usize| record.get(col).unwrap_or("").trim().to_owned();
        let optional = |col: Option<usize>| col.map(cell).filter(|v| !v.is_empty());
        let row_error = |message: String| CatalogueError::Row {
            file: file.to_owned(),
            line,
            message,
        };
        let ozg_id = cell(id_col);
        if ozg_id.is_empty() {
            return Err(row_error("OZG-ID fehlt".into()));
        }
        if !seen.insert(ozg_id.clone()) {
            return Err(row_error(format!("OZG-ID {ozg_id} kommt doppelt vor")));
        }
        let name = cell(name_col);
        if name.is_empty() {
            return Err(row_error(format!("Name der OZG-Leistung {ozg_id} fehlt")));
        }
        let hidden = match optional(hidden_col)
            .as_deref()
            .map(str::to_lowercase)
            .as_deref()
        {
            None | Some("0") | Some("false") | Some("nein") => false,
            Some("1") | Some("true") | Some("ja") => true,
            Some(other) => {
                return Err(row_error(format!(
                    "hidden muss 0 oder 1 sein, gefunden „{other}“"
                )))
            }
        };
        out.push(OzgLeistung {
            ozg_id,
            name,
            lebenslage: optional(lebenslage_col),
            themenfeld: optional(themenfeld_col),
            hidden,
        });
    }
    Ok(out)
}

/// Reads `leika_ozg_*.csv`. Rows that cannot be stored faithfully (a LeiKa
/// key that is neither 14 digits nor "nicht im LeiKa", no name, an OZG-ID
/// missing from the OZG file) are left out and returned in `skipped`.
pub fn parse_leika(
    file: &str,
    bytes: &[u8],
    ozg_ids: &HashSet<&str>,
    skipped: &mut Vec<SkippedRow>,
) -> Result<Vec<LeikaEntry>, CatalogueError> {
    let mut table = Table::open(file, bytes)?;
    let key_col = table.column("leika_key")?;
    let name_col = table.column("name")?;
    let typ_col = table.column("leistungstyp")?;
    let ozg_col = table.column("ozg_id")?;

    let mut out = Vec::new();
    while let Some((line, record)) = table.next_record()? {
        let cell = |col: usize| record.get(col).unwrap_or("").trim().to_owned();
        let mut skip = |reason: String| {
            skipped.push(SkippedRow {
                file: file.to_owned(),
                line,
                reason,
            })
        };
        let raw_key = cell(key_col);
        let leika_key = if raw_key.is_empty() || raw_key.eq_ignore_ascii_case("nicht im LeiKa") {
            None
        } else if raw_key.len() == 14 && raw_key.bytes().all(|b| b.is_ascii_digit()) {
            Some(raw_key)
        } else {
            skip(format!(
                "ungültiger LeiKa-Schlüssel „{raw_key}“ (14 Ziffern oder „nicht im LeiKa“)"
            ));
            continue;
        };
        let name = cell(name_col);
        if name.is_empty() {
            skip("Name fehlt".into());
            continue;
        }
        let ozg_id = Some(cell(ozg_col)).filter(|v| !v.is_empty());
        if let Some(id) = ozg_id.as_deref().filter(|id| !ozg_ids.contains(id)) {
            skip(format!(
                "OZG-ID {id} steht nicht in der Liste der OZG-Leistungen"
            ));
            continue;
        }
        let raw_typ = cell(typ_col);
        out.push(LeikaEntry {
            line,
            leika_key,
            name,
            leistungstyp: parse_leistungstyp(&raw_typ),
            leistungstyp_raw: Some(raw_typ).filter(|v| !v.is_empty()),
            ozg_id,
        });
    }
    Ok(out)
}

/// A CSV file with its header mapped to column indexes.
struct Table<'a> {
    file: String,
    bytes: &'a [u8],
    /// Counting position for line numbers: a byte offset and the number of
    /// line ends before it (records come in order, so counting goes on from here).
    counted: (usize, usize),
    columns: HashMap<String, usize>,
    reader: csv::Reader<&'a [u8]>,
}

impl<'a> Table<'a> {
    fn open(file: &str, bytes: &'a [u8]) -> Result<Self, CatalogueError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if let Err(e) = std::str::from_utf8(bytes) {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            return Err(CatalogueError::Encoding {
                file: file.to_owned(),
                line,
            });
        }
        let header_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
        let count = |c: u8| header_line.iter().filter(|&&b| b == c).count();
        let delimiter = if count(b';') > count(b',') {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(false)
            .from_reader(bytes);
        let headers = reader.headers().map_err(|e| csv_error(file, bytes, e))?;
        let columns = headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().to_lowercase(), i))
            .collect();
        Ok(Self {
            file: file.to_owned(),
            bytes,
            counted: (0, 0),
            columns,
            reader,
        })
    }

    fn column(&self, name: &'static str) -> Result<usize, CatalogueError> {
        self.optional_column(name)
            .ok_or_else(|| CatalogueError::MissingColumn {
                file: self.file.clone(),
                column: name,
            })
    }

    fn optional_column(&self, name: &str) -> Option<usize> {
        self.columns.get(name).copied()
    }

    fn line_at(&mut self, offset: u64) -> usize {
        let (line, counted_to) = line_at(self.bytes, offset, self.counted);
        if counted_to >= self.counted.0 {
            self.counted = (counted_to, line - 1);
        }
        line
    }

    /// The next non-empty record and its physical line number.
    fn next_record(&mut self) -> Result<Option<(usize, csv::StringRecord)>, CatalogueError> {
        let mut record = csv::StringRecord::new();
        loop {
            match self.reader.read_record(&mut record) {
                Ok(false) => return Ok(None),
                Ok(true) => {
                    if record.iter().all(|f| f.trim().is_empty()) {
                        continue;
                    }
                    let line = record
                        .position()
                        .map(|p| self.line_at(p.byte()))
                        .unwrap_or(0);
                    return Ok(Some((line, record)));
                }
                Err(e) => return Err(csv_error(&self.file, self.bytes, e)),
            }
        }
    }
}

/// The physical line (1-based) of the record starting at byte `offset`,
/// counting line ends in `bytes[from..]` on top of `lines` already counted
/// before `from`. Returns the line and the offset counted to.
///
/// The csv crate's own line count lags by one after CRLF line ends, and
/// its byte offset may point at the line end before the record, so skip
/// line-end bytes (a record never starts with one) and count.
fn line_at(bytes: &[u8], offset: u64, (from, lines): (usize, usize)) -> (usize, usize) {
    let mut offset = (offset as usize).min(bytes.len());
    while offset < bytes.len() && matches!(bytes[offset], b'\r' | b'\n') {
        offset += 1;
    }
    // Records come in order; should one not, count from the start.
    let (from, lines) = if from <= offset {
        (from, lines)
    } else {
        (0, 0)
    };
    let lines = lines + bytes[from..offset].iter().filter(|&&b| b == b'\n').count();
    (lines + 1, offset)
}

fn csv_error(file: &str, bytes: &[u8], error: csv::Error) -> CatalogueError {
    let line = error
        .position()
        .map(|p| line_at(bytes, p.byte(), (0, 0)).0)
        .unwrap_or(0);
    let message = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("{len} Spalten, erwartet {expected_len}")
        }
        _ => error.to_string(),
    };
    CatalogueError::Csv {
        file: file.to_owned(),
        line,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leistungstyp_single_values() {
        for (raw, values) in [
            ("1", vec![1]),
            ("4", vec![4]),
            (" 5 ", vec![5]),
            ("2/3", vec![2, 3]),
            ("2 / 3", vec![2, 3]),
        ] {
            assert_eq!(
                parse_leistungstyp(raw),
                Leistungstyp {
                    values,
                    kind: TypKind::Single
                },
                "{raw}"
            );
        }
    }

    #[test]
    fn leistungstyp_lists_are_the_union_but_reported() {
        assert_eq!(
            parse_leistungstyp("1, 2/3"),
            Leistungstyp {
                values: vec![1, 2, 3],
                kind: TypKind::Several
            }
        );
        assert_eq!(
            parse_leistungstyp("2,1"),
            Leistungstyp {
                values: vec![1, 2],
                kind: TypKind::Several
            }
        );
    }

    #[test]
    fn leistungstyp_is_not_guessed() {
        for raw in ["6", "44", "0", "2-3", "1/2", "Typ 1", "1, 6", "1,"] {
            assert_eq!(
                parse_leistungstyp(raw),
                Leistungstyp {
                    values: vec![],
                    kind: TypKind::Unrecognized
                },
                "{raw}"
            );
        }
        assert_eq!(
            parse_leistungstyp("  "),
            Leistungstyp {
                values: vec![],
                kind: TypKind::Missing
            }
        );
    }

    #[test]
    fn ozg_file_reads_columns_by_name() {
        let csv = "\u{feff}name;OZG_ID;hidden;themenfeld\r\nAbfallentsorgung;10110;1;Bauen & Wohnen\r\n\"Semikolon; im Namen\";10111;;\r\n";
        let rows = parse_ozg("ozg.csv", csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].ozg_id, "10110");
        assert!(rows[0].hidden);
        assert_eq!(rows[0].lebenslage, None);
        assert_eq!(rows[0].themenfeld.as_deref(), Some("Bauen & Wohnen"));
        assert_eq!(rows[1].name, "Semikolon; im Namen");
        assert!(!rows[1].hidden);
        assert_eq!(rows[1].themenfeld, None);
    }

    #[test]
    fn ozg_file_errors_name_the_line() {
        let err = parse_ozg("ozg.csv", b"ozg_id,name\n1,A\n1,B\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "ozg.csv, Zeile 3: OZG-ID 1 kommt doppelt vor"
        );
        let err = parse_ozg("ozg.csv", b"ozg_id,name,hidden\n1,A,vielleicht\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("ozg.csv, Zeile 2: hidden muss 0 oder 1 sein"),
            "{err}"
        );
        let err = parse_ozg("ozg.csv", b"id,name\n1,A\n").unwrap_err();
        assert_eq!(err.to_string(), "ozg.csv: Spalte „ozg_id“ fehlt");
        let err = parse_ozg("ozg.csv", b"ozg_id,name\n1,A\n2,B,C\n").unwrap_err();
        assert_eq!(err.to_string(), "ozg.csv, Zeile 3: 3 Spalten, erwartet 2");
        let err = parse_ozg("ozg.csv", b"ozg_id,name\n1,A\n2,Stra\xdfe\n").unwrap_err();
        assert_eq!(err.to_string(), "ozg.csv, Zeile 3: kein gültiges UTF-8");
    }

    #[test]
    fn line_numbers_count_physical_lines_with_crlf() {
        let ozg: HashSet<&str> = HashSet::new();
        let csv = "leika_key,name,leistungstyp,ozg_id\r\n\r\n\"nicht im LeiKa\",\"zwei\r\nZeilen\",1,\r\n3233,Test,1,\r\n";
        let mut skipped = Vec::new();
        let rows = parse_leika("leika.csv", csv.as_bytes(), &ozg, &mut skipped).unwrap();
        assert_eq!(rows[0].line, 3);
        assert_eq!(skipped[0].line, 5);
        let err = parse_ozg("ozg.csv", b"ozg_id,name\r\n1,A\r\n2,B,C\r\n").unwrap_err();
        assert_eq!(err.to_string(), "ozg.csv, Zeile 3: 3 Spalten, erwartet 2");
    }

    #[test]
    fn leika_rows_that_cannot_be_stored_are_skipped_and_reported() {
        let ozg: HashSet<&str> = ["10513"].into_iter().collect();
        let csv = "leika_key,name,leistungstyp,ozg_id\n\
                   nicht im LeiKa,Prüfung,1,10513\n\
                   99012001000000,Abbruchgenehmigung,\"1, 2/3\",10513\n\
                   3233,Test 4,44,10513\n\
                   99012001001000,,4,10513\n\
                   99012001002000,Unbekannt,4,99999\n\
                   99012001003000,Ohne OZG,,\n";
        let mut skipped = Vec::new();
        let rows = parse_leika("leika.csv", csv.as_bytes(), &ozg, &mut skipped).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].leika_key, None);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].leika_key.as_deref(), Some("99012001000000"));
        assert_eq!(rows[1].leistungstyp_raw.as_deref(), Some("1, 2/3"));
        assert_eq!(rows[1].leistungstyp.kind, TypKind::Several);
        assert_eq!(rows[2].ozg_id, None);
        assert_eq!(rows[2].leistungstyp_raw, None);
        assert_eq!(rows[2].leistungstyp.kind, TypKind::Missing);
        let lines: Vec<usize> = skipped.iter().map(|s| s.line).collect();
        assert_eq!(lines, [4, 5, 6]);
        assert!(skipped[0].reason.contains("„3233“"));
        assert_eq!(skipped[1].reason, "Name fehlt");
        assert!(skipped[2].reason.contains("99999"));
    }
}
