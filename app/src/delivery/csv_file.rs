//! Reads a counts file in CSV form into raw records: strips a UTF-8 byte
//! order mark, skips an Excel `sep=` line, detects the delimiter from the
//! header and maps the header names to the four columns. Line numbers are
//! physical lines, the header being line 1 (line 2 after a `sep=` line).

use super::validate::{Message, RawRecord, COL_COUNT, COL_MONTH, COL_REGION, COL_SERVICE};

/// The rows of a file, or the messages that say why it cannot be read.
pub fn read_counts_csv(bytes: &[u8]) -> Result<Vec<RawRecord>, Vec<Message>> {
    let text = std::str::from_utf8(bytes).map_err(|err| {
        let line = bytes[..err.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u32
            + 1;
        vec![Message::error(
            Some(line),
            None,
            None,
            "Datei ist nicht UTF-8-kodiert; bitte als „CSV UTF-8“ speichern",
        )]
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);

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
        return Err(vec![Message::error(
            Some(1 + line_offset),
            None,
            None,
            "Datei ist leer: Kopfzeile fehlt",
        )]);
    }
    let delimiter = delimiter.unwrap_or_else(|| detect_delimiter(header_line));

    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());

    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        _ => {
            return Err(vec![Message::error(
                Some(1 + line_offset),
                None,
                None,
                "Kopfzeile nicht lesbar",
            )])
        }
    };
    let columns = map_columns(&header, 1 + line_offset)?;

    // Physical line of a record from its byte offset: the csv reader's own
    // line count is off after CRLF, and its offset may still point at the
    // line feed, which belongs to the line before.
    let line_of = |position: Option<&csv::Position>| -> u32 {
        let bytes = body.as_bytes();
        let mut start = position.map_or(0, |p| p.byte() as usize).min(bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        bytes[..start].iter().filter(|&&b| b == b'\n').count() as u32 + 1 + line_offset
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for result in records {
        match result {
            Ok(record) => {
                let line = line_of(record.position());
                if record.iter().all(|cell| cell.trim().is_empty()) {
                    continue;
                }
                if record.len() != header.len() {
                    errors.push(Message::error(
                        Some(line),
                        None,
                        None,
                        format!(
                            "{} Felder statt {} wie in der Kopfzeile",
                            record.len(),
                            header.len()
                        ),
                    ));
                    continue;
                }
                let cell = |index: usize| record.get(index).unwrap_or_default().to_owned();
                rows.push(RawRecord {
                    line,
                    service: cell(columns[0]),
                    region: cell(columns[1]),
                    month: cell(columns[2]),
                    count: cell(columns[3]),
                });
            }
            Err(err) => {
                let line = line_of(err.position());
                errors.push(Message::error(
                    Some(line),
                    None,
                    None,
                    "Zeile nicht lesbar (Anführungszeichen prüfen)",
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// The delimiter that splits the header into the most fields.
fn detect_delimiter(header: &str) -> u8 {
    [b';', b',', b'\t', b'|']
        .into_iter()
        .max_by_key(|&d| header.bytes().filter(|&b| b == d).count())
        .unwrap_or(b';')
}

/// Finds the four columns by name (case and quotes ignored, aliases allowed).
fn map_columns(header: &csv::StringRecord, line: u32) -> Result<[usize; 4], Vec<Message>> {
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_matches('"').trim().to_lowercase())
        .collect();
    let find = |aliases: &[&str]| names.iter().position(|n| aliases.contains(&n.as_str()));
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
    if names.len() == 1 {
        return Err(vec![Message::error(
            Some(line),
            None,
            Some(header.get(0).unwrap_or_default()),
            "Trennzeichen nicht erkannt: die Kopfzeile hat nur eine Spalte; erwartet Onlinedienst;Region;Monat;Anzahl",
        )]);
    }
    let mut columns = [0; 4];
    let mut missing = Vec::new();
    for (slot, (name, aliases)) in columns.iter_mut().zip(wanted) {
        match find(aliases) {
            Some(index) => *slot = index,
            None => missing.push(Message::error(
                Some(line),
                Some(name),
                None,
                format!("Pflichtspalte „{name}“ fehlt in der Kopfzeile; erwartet Onlinedienst;Region;Monat;Anzahl"),
            )),
        }
    }
    if missing.is_empty() {
        Ok(columns)
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_sep_line_and_crlf() {
        let rows = read_counts_csv(
            "\u{feff}sep=;\r\nOnlinedienst;Region;Monat;Anzahl\r\nDEMO-0003;09162000;2024-05;4711\r\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(rows[0].line, 3);
        assert_eq!(rows[0].service, "DEMO-0003");
        assert_eq!(rows[0].count, "4711");
    }

    #[test]
    fn quoted_header_after_bom() {
        let rows = read_counts_csv(
            "\u{feff}\"Onlinedienst\";\"Region\";\"Monat\";\"Anzahl\"\r\n\"DEMO-0003\";\"09162000\";\"2024-05\";\"4711\"\r\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(rows[0].region, "09162000");
        assert_eq!(rows[0].line, 2);
    }

    #[test]
    fn comma_files_and_column_order() {
        let rows = read_counts_csv(b"Anzahl,Monat,Region,Onlinedienst\n5,2024-01,01,X\n").unwrap();
        assert_eq!(
            (rows[0].service.as_str(), rows[0].count.as_str()),
            ("X", "5")
        );
    }

    #[test]
    fn one_column_header_is_refused() {
        let err = read_counts_csv(b"Onlinedienst Region Monat Anzahl\nx\n").unwrap_err();
        assert!(err[0].text.contains("Trennzeichen nicht erkannt"));
    }

    #[test]
    fn missing_column_is_named() {
        let err = read_counts_csv(b"Onlinedienst;Region;Monat\nX;01;2024-01\n").unwrap_err();
        assert!(err[0].text.contains("„Anzahl“"));
    }

    #[test]
    fn not_utf8_is_refused_with_line() {
        let err = read_counts_csv(b"Onlinedienst;Region;Monat;Anzahl\nM\xfcnchen;01;2024-01;1\n")
            .unwrap_err();
        assert_eq!(err[0].line, Some(2));
    }
}
