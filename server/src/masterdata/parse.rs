//! Reading and checking a master-data file: pure, no database.
//!
//! Columns: `Onlinedienst-ID;Name;LeiKa;OZG-ID;Typ;URL;Betreiber[;Granularität]`
//! (header names case-insensitive, a few aliases, any order). Every finding is
//! a [`Message`] naming line, column, value and the rule; any error refuses the
//! whole file.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use app::delivery::table::{read_table, Cell, Table};
use app::delivery::{Message, Severity};
use app::services::Granularity;
use serde::{Deserialize, Serialize};

pub const COL_ID: &str = "Onlinedienst-ID";
pub const COL_NAME: &str = "Name";
pub const COL_LEIKA: &str = "LeiKa";
pub const COL_OZG: &str = "OZG-ID";
pub const COL_TYP: &str = "Typ";
pub const COL_URL: &str = "URL";
pub const COL_OPERATOR: &str = "Betreiber";
pub const COL_GRANULARITY: &str = "Granularität";

/// The header the import expects (Granularität optional).
pub const EXPECTED_HEADER: &str =
    "Onlinedienst-ID;Name;LeiKa;OZG-ID;Typ;URL;Betreiber[;Granularität]";

pub const ID_MAX: usize = 64;
pub const NAME_MAX: usize = 500;
pub const OPERATOR_MAX: usize = 200;
pub const URL_MAX: usize = 2000;
pub const LEIKA_DIGITS: usize = 14;
pub const OZG_DIGITS: usize = 5;

pub const EXPONENT_RULE: &str =
    "Exponentialschreibweise, Ziffern verloren – Spalte als Text exportieren";
pub const TYP_RULE: &str = "ganze Zahl 1–5 erwartet";
pub const REQUIRED_RULE: &str = "Pflichtangabe fehlt";
pub const URL_SCHEME_RULE: &str = "muss mit https:// beginnen";
pub const GRANULARITY_RULE: &str =
    "Granularität nicht erkannt; erlaubt sind bundesweit, Land, Kreis, Gemeinde \
     (auch „nach Bundesländern“, „nach Kreisen“, „nach Gemeinden“) oder leer für Gemeinde";

/// One online service as the master-data file describes it, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRecord {
    /// Physical line in the file (header = 1; spreadsheet row for .xlsx).
    pub line: u32,
    /// Onlinedienst-ID.
    pub id: String,
    pub name: String,
    /// LeiKa key, 14 digits as text.
    pub leika_key: String,
    /// OZG-ID, 5 digits as text.
    pub ozg_id: String,
    /// Leistungstyp 1–5.
    pub leistungstyp: i16,
    /// An `https://` URL.
    pub url: String,
    /// Betreiber: the name of the operating organisation.
    pub operator: String,
    /// `Gemeinde` where the file has no Granularität column or an empty cell.
    pub granularity: Granularity,
    /// Whether the file has a Granularität column. Without it, new services
    /// get `Gemeinde` and existing services keep their granularity.
    pub granularity_given: bool,
}

impl ServiceRecord {
    /// Whether two records say the same (the line aside).
    pub fn same_data(&self, other: &Self) -> bool {
        Self {
            line: other.line,
            ..self.clone()
        } == *other
    }

    /// Checks a record built elsewhere against the same rules as the file
    /// reader (used by the store step, so no unchecked record reaches the
    /// database).
    pub fn check(&self) -> Vec<Message> {
        let line = Some(self.line);
        let mut out = Vec::new();
        let mut push = |column: &str, value: &str, result: Result<(), String>| {
            if let Err(text) = result {
                out.push(Message::error(line, Some(column), Some(value), text));
            }
        };
        push(COL_ID, &self.id, check_id(&self.id).map(drop));
        push(
            COL_NAME,
            &self.name,
            check_required_text(&self.name, NAME_MAX).map(drop),
        );
        push(
            COL_LEIKA,
            &self.leika_key,
            check_digits(&Cell::Text(self.leika_key.clone()), LEIKA_DIGITS).map(drop),
        );
        push(
            COL_OZG,
            &self.ozg_id,
            check_digits(&Cell::Text(self.ozg_id.clone()), OZG_DIGITS).map(drop),
        );
        let typ = self.leistungstyp.to_string();
        push(COL_TYP, &typ, check_typ(&Cell::Text(typ.clone())).map(drop));
        push(
            COL_URL,
            &self.url,
            check_url(&self.url).and_then(|url| {
                if url == self.url {
                    Ok(())
                } else {
                    Err("URL nicht in Normalform".into())
                }
            }),
        );
        push(
            COL_OPERATOR,
            &self.operator,
            check_required_text(&self.operator, OPERATOR_MAX).map(drop),
        );
        for (column, value) in [
            (COL_ID, &self.id),
            (COL_NAME, &self.name),
            (COL_OPERATOR, &self.operator),
        ] {
            if value.trim() != value {
                out.push(Message::error(
                    line,
                    Some(column),
                    Some(value),
                    "Leerzeichen am Anfang oder Ende",
                ));
            }
        }
        out
    }
}

/// A read master-data file: the records (each ID once) and the warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterDataFile {
    pub records: Vec<ServiceRecord>,
    pub warnings: Vec<Message>,
}

/// Reads and checks a master-data file (CSV or .xlsx). Any error refuses
/// the whole file; the `Err` then holds every finding (warnings included),
/// by line. Warnings of an accepted file are dropped; see
/// [`read_master_data_file`] to keep them.
pub fn read_master_data(bytes: &[u8]) -> Result<Vec<ServiceRecord>, Vec<Message>> {
    read_master_data_file(bytes).map(|file| file.records)
}

/// Like [`read_master_data`], keeping the warnings of an accepted file.
pub fn read_master_data_file(bytes: &[u8]) -> Result<MasterDataFile, Vec<Message>> {
    master_data_from_table(&read_table(bytes)?)
}

/// The rules on an already read table (header and typed cells).
pub fn master_data_from_table(table: &Table) -> Result<MasterDataFile, Vec<Message>> {
    let columns = Columns::find(table)?;
    let mut messages = columns.warnings.clone();
    let mut records: Vec<ServiceRecord> = Vec::new();
    // ID → (first line, its record if valid, its cells as text).
    let mut seen: HashMap<String, (u32, Option<usize>, Vec<String>)> = HashMap::new();
    let mut data_rows = 0usize;

    for (line, cells) in &table.rows {
        let line = *line;
        if cells.iter().all(|c| c.to_text().trim().is_empty()) {
            continue;
        }
        data_rows += 1;
        let errors_before = messages.len();
        let record = read_row(line, cells, &columns, &mut messages);
        let row_ok = messages.len() == errors_before;

        let id = cell_text(cells, Some(columns.id));
        if id.is_empty() {
            continue;
        }
        let texts: Vec<String> = columns.used().map(|i| cell_text(cells, Some(i))).collect();
        match seen.get(&id) {
            None => {
                let index = record.filter(|_| row_ok).map(|record| {
                    records.push(record);
                    records.len() - 1
                });
                seen.insert(id, (line, index, texts));
            }
            Some((first_line, first_index, first_texts)) => {
                let identical = match (first_index, &record) {
                    (Some(i), Some(record)) if row_ok => records[*i].same_data(record),
                    _ => *first_texts == texts,
                };
                if identical {
                    messages.push(Message::warning(
                        Some(line),
                        Some(COL_ID),
                        Some(&id),
                        format!("Zeile {line} wiederholt Zeile {first_line} mit denselben Angaben; nur einmal übernommen"),
                    ));
                } else {
                    messages.push(Message::error(
                        Some(line),
                        Some(COL_ID),
                        Some(&id),
                        format!(
                            "Onlinedienst-ID kommt zweimal vor (Zeilen {first_line} und {line}) mit unterschiedlichen Angaben"
                        ),
                    ));
                }
            }
        }
    }

    if data_rows == 0 {
        messages.push(Message::error(
            Some(table.header_line),
            None,
            None,
            "Datei enthält keine Onlinedienste, nur die Kopfzeile",
        ));
    }
    if messages.iter().any(|m| m.severity == Severity::Error) {
        messages.sort_by_key(|m| m.line.unwrap_or(0));
        Err(messages)
    } else {
        Ok(MasterDataFile {
            records,
            warnings: messages,
        })
    }
}

/// Column positions in the file.
struct Columns {
    id: usize,
    name: usize,
    leika: usize,
    ozg: usize,
    typ: usize,
    url: usize,
    operator: usize,
    granularity: Option<usize>,
    width: usize,
    warnings: Vec<Message>,
}

impl Columns {
    fn find(table: &Table) -> Result<Self, Vec<Message>> {
        let line = Some(table.header_line);
        let mut found: HashMap<&'static str, usize> = HashMap::new();
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        for (i, raw) in table.header.iter().enumerate() {
            let normalized = normalize_header(raw);
            if normalized.is_empty() {
                continue;
            }
            match canonical_column(&normalized) {
                Some(column) => {
                    if let Some(first) = found.get(column) {
                        errors.push(Message::error(
                            line,
                            Some(column),
                            Some(raw.trim()),
                            format!(
                                "Spalte kommt zweimal vor (Spalten {} und {})",
                                first + 1,
                                i + 1
                            ),
                        ));
                    } else {
                        found.insert(column, i);
                    }
                }
                None => warnings.push(Message::warning(
                    line,
                    Some(raw.trim()),
                    None,
                    "unbekannte Spalte, wird nicht übernommen",
                )),
            }
        }
        for column in [
            COL_ID,
            COL_NAME,
            COL_LEIKA,
            COL_OZG,
            COL_TYP,
            COL_URL,
            COL_OPERATOR,
        ] {
            if !found.contains_key(column) {
                errors.push(Message::error(
                    line,
                    Some(column),
                    None,
                    format!("Spalte „{column}“ fehlt; erwartete Kopfzeile: {EXPECTED_HEADER}"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            id: found[COL_ID],
            name: found[COL_NAME],
            leika: found[COL_LEIKA],
            ozg: found[COL_OZG],
            typ: found[COL_TYP],
            url: found[COL_URL],
            operator: found[COL_OPERATOR],
            granularity: found.get(COL_GRANULARITY).copied(),
            width: table.header.len(),
            warnings,
        })
    }

    fn used(&self) -> impl Iterator<Item = usize> {
        [
            self.id,
            self.name,
            self.leika,
            self.ozg,
            self.typ,
            self.url,
            self.operator,
        ]
        .into_iter()
        .chain(self.granularity)
    }
}

/// Lower case, trimmed, `_` and blanks as `-`, a trailing `*` dropped.
fn normalize_header(raw: &str) -> String {
    raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '*')
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '_' || c == '-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

fn canonical_column(normalized: &str) -> Option<&'static str> {
    Some(match normalized {
        "onlinedienst-id"
        | "onlinedienstid"
        | "onlinedienst"
        | "id"
        | "dienst-id"
        | "service-id"
        | "onlinedienst-kennung"
        | "kennung" => COL_ID,
        "name" | "bezeichnung" | "onlinedienst-name" | "dienstname" | "service-name" => COL_NAME,
        "leika"
        | "leika-schlüssel"
        | "leika-schluessel"
        | "leikaschlüssel"
        | "leika-id"
        | "leika-key"
        | "leistungsschlüssel"
        | "leistungsschluessel" => COL_LEIKA,
        "ozg-id" | "ozgid" | "ozg" | "ozg-leistung" | "ozg-leistungs-id" => COL_OZG,
        "typ" | "leistungstyp" | "type" => COL_TYP,
        "url" | "link" | "internetadresse" | "webadresse" => COL_URL,
        "betreiber" | "organisation" | "betreibende-organisation" | "operator" => COL_OPERATOR,
        "granularität" | "granularitaet" | "granularity" | "ebene" | "regionale-ebene" => {
            COL_GRANULARITY
        }
        _ => return None,
    })
}

fn cell(cells: &[Cell], index: usize) -> Cell {
    cells.get(index).cloned().unwrap_or(Cell::Empty)
}

fn cell_text(cells: &[Cell], index: Option<usize>) -> String {
    index
        .map(|i| cell(cells, i).to_text().trim().to_owned())
        .unwrap_or_default()
}

/// Checks one cell; a broken rule becomes an error naming line, column and value.
fn take<T>(
    line: u32,
    cells: &[Cell],
    column: &'static str,
    index: usize,
    messages: &mut Vec<Message>,
    check: impl Fn(&Cell) -> Result<T, String>,
) -> Option<T> {
    let value = cell(cells, index);
    match check(&value) {
        Ok(checked) => Some(checked),
        Err(rule) => {
            let shown = value.to_text().trim().to_owned();
            let shown = (!shown.is_empty()).then_some(shown);
            messages.push(Message::error(
                Some(line),
                Some(column),
                shown.as_deref(),
                rule,
            ));
            None
        }
    }
}

/// Checks one row; `None` if any of its cells breaks a rule (then `messages`
/// has at least one error more).
fn read_row(
    line: u32,
    cells: &[Cell],
    columns: &Columns,
    messages: &mut Vec<Message>,
) -> Option<ServiceRecord> {
    let before = messages.len();
    let id = take(line, cells, COL_ID, columns.id, messages, |c| {
        check_id(&c.to_text())
    });
    let name = take(line, cells, COL_NAME, columns.name, messages, |c| {
        check_required_text(&c.to_text(), NAME_MAX)
    });
    let leika = take(line, cells, COL_LEIKA, columns.leika, messages, |c| {
        check_digits(c, LEIKA_DIGITS)
    });
    let ozg = take(line, cells, COL_OZG, columns.ozg, messages, |c| {
        check_digits(c, OZG_DIGITS)
    });
    let typ = take(line, cells, COL_TYP, columns.typ, messages, check_typ);
    let url = take(line, cells, COL_URL, columns.url, messages, |c| {
        check_url(&c.to_text())
    });
    let operator = take(line, cells, COL_OPERATOR, columns.operator, messages, |c| {
        check_required_text(&c.to_text(), OPERATOR_MAX)
    });
    let granularity = match columns.granularity {
        Some(index) => take(line, cells, COL_GRANULARITY, index, messages, |c| {
            check_granularity(&c.to_text())
        }),
        None => Some(Granularity::Gemeinde),
    };

    // More filled cells than the header has columns: a delimiter inside a value.
    let filled = cells
        .iter()
        .rposition(|c| !c.to_text().trim().is_empty())
        .map_or(0, |i| i + 1);
    if filled > columns.width {
        messages.push(Message::error(
            Some(line),
            None,
            None,
            format!(
                "Zeile hat {filled} Felder, die Kopfzeile {}; enthält ein Wert das Trennzeichen? Dann den Wert in Anführungszeichen setzen",
                columns.width
            ),
        ));
    }
    if messages.len() > before {
        return None;
    }
    Some(ServiceRecord {
        line,
        id: id?,
        name: name?,
        leika_key: leika?,
        ozg_id: ozg?,
        leistungstyp: typ?,
        url: url?,
        operator: operator?,
        granularity: granularity?,
        granularity_given: columns.granularity.is_some(),
    })
}

/// Onlinedienst-ID: letters A–Z/a–z, digits, `-`, `_`, `.`, at most 64.
pub fn check_id(text: &str) -> Result<String, String> {
    let id = text.trim();
    if id.is_empty() {
        return Err(REQUIRED_RULE.into());
    }
    if id.chars().count() > ID_MAX
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(format!(
            "nur Buchstaben (A–Z, a–z), Ziffern, „-“, „_“ und „.“ erlaubt, höchstens {ID_MAX} Zeichen"
        ));
    }
    Ok(id.to_owned())
}

/// A required text (Name, Betreiber), trimmed, without control characters.
pub fn check_required_text(text: &str, max: usize) -> Result<String, String> {
    let value = text.trim();
    if value.is_empty() {
        return Err(REQUIRED_RULE.into());
    }
    if value.chars().count() > max {
        return Err(format!("zu lang: höchstens {max} Zeichen"));
    }
    if value.chars().any(char::is_control) {
        return Err("Steuerzeichen (z. B. Zeilenumbruch) nicht erlaubt".into());
    }
    Ok(value.to_owned())
}

/// A key of exactly `digits` digits (LeiKa 14, OZG-ID 5), as text. A numeric
/// spreadsheet cell holding a whole number is read exactly; text in exponent
/// form has lost digits and is refused.
pub fn check_digits(cell: &Cell, digits: usize) -> Result<String, String> {
    let expected = format!("genau {digits} Ziffern erwartet");
    let lost_zero = |found: usize| {
        format!("{expected}, die Angabe hat {found} – führende Null verloren? Spalte als Text exportieren")
    };
    match cell {
        Cell::Empty => Err(format!("{REQUIRED_RULE} ({expected})")),
        Cell::Date(_) => Err(format!(
            "{expected}, nicht ein Datum – Spalte als Text exportieren"
        )),
        Cell::Number(n) => {
            if n.fract() != 0.0 || *n < 0.0 || *n >= 1e15 {
                return Err(expected);
            }
            let text = format!("{}", *n as i64);
            match text.len() {
                len if len == digits => Ok(text),
                len if len < digits => Err(lost_zero(len)),
                _ => Err(expected),
            }
        }
        Cell::Text(text) => {
            let value = text.trim();
            if value.is_empty() {
                return Err(format!("{REQUIRED_RULE} ({expected})"));
            }
            if is_exponent_form(value) {
                return Err(EXPONENT_RULE.into());
            }
            if !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(expected);
            }
            match value.len() {
                len if len == digits => Ok(value.to_owned()),
                len if len < digits => Err(lost_zero(len)),
                _ => Err(expected),
            }
        }
    }
}

/// `9,9E+13`, `9.9E+13`, `1E14`, `9.90000000002E+13`.
pub fn is_exponent_form(text: &str) -> bool {
    let Some((mantissa, exponent)) = text.trim().split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once(['.', ',']) {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(mantissa),
    };
    mantissa_ok && digits(exponent)
}

/// Leistungstyp: a whole number 1–5; text like `2.0` is refused, a numeric
/// spreadsheet cell 2.0 is 2.
pub fn check_typ(cell: &Cell) -> Result<i16, String> {
    let out_of_range = |n: &str| format!("Leistungstyp {n} gibt es nicht; erlaubt sind 1–5");
    match cell {
        Cell::Empty => Err(format!("{REQUIRED_RULE} ({TYP_RULE})")),
        Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e6 => match *n as i64 {
            t @ 1..=5 => Ok(t as i16),
            t => Err(out_of_range(&t.to_string())),
        },
        Cell::Number(_) | Cell::Date(_) => Err(TYP_RULE.into()),
        Cell::Text(text) => {
            let value = text.trim();
            if value.is_empty() {
                return Err(format!("{REQUIRED_RULE} ({TYP_RULE})"));
            }
            let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 6
            {
                return Err(TYP_RULE.into());
            }
            match value.parse::<i64>() {
                Ok(t @ 1..=5) => Ok(t as i16),
                _ => Err(out_of_range(value)),
            }
        }
    }
}

/// Granularität: empty is `Gemeinde`; otherwise what [`Granularity::parse`] reads.
pub fn check_granularity(text: &str) -> Result<Granularity, String> {
    if text.trim().is_empty() {
        return Ok(Granularity::Gemeinde);
    }
    Granularity::parse(text).ok_or_else(|| GRANULARITY_RULE.into())
}

/// An `https://` URL with a valid host, optional port, and a path/query/
/// fragment without blanks or characters URLs may not carry. Returns the URL
/// trimmed, with the scheme in lower case.
pub fn check_url(text: &str) -> Result<String, String> {
    let value = text.trim();
    if value.is_empty() {
        return Err(format!("{REQUIRED_RULE} ({URL_SCHEME_RULE})"));
    }
    match scheme_of(value) {
        None => return Err(URL_SCHEME_RULE.into()),
        Some(scheme) if !scheme.eq_ignore_ascii_case("https") => {
            return Err(format!("Schema „{scheme}:“ nicht erlaubt; nur https://"))
        }
        Some(_) => {}
    }
    let Some(rest) = value
        .get("https:".len()..)
        .and_then(|r| r.strip_prefix("//"))
    else {
        return Err(URL_SCHEME_RULE.into());
    };
    if value.chars().count() > URL_MAX {
        return Err(format!("URL zu lang: höchstens {URL_MAX} Zeichen"));
    }
    let invalid = |why: &str| Err(format!("keine gültige URL: {why}"));
    if let Some(bad) = value.chars().find(|c| c.is_whitespace() || c.is_control()) {
        let what = if bad == ' ' {
            "Leerzeichen".to_owned()
        } else {
            format!("Zeichen U+{:04X}", bad as u32)
        };
        return invalid(&format!("{what} nicht erlaubt"));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.contains('@') {
        return invalid("Zugangsdaten (…@) nicht erlaubt");
    }
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let Some((ip, after)) = inner.split_once(']') else {
            return invalid("IPv6-Adresse ohne „]“");
        };
        if ip.parse::<Ipv6Addr>().is_err() {
            return invalid("IPv6-Adresse nicht lesbar");
        }
        match after {
            "" => (None, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (None, Some(port)),
                None => return invalid("Zeichen nach der IPv6-Adresse"),
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(authority), None),
        }
    };
    if let Some(host) = host {
        if host.is_empty() {
            return invalid("Servername fehlt");
        }
        if !valid_host(host) {
            return invalid(&format!("Servername „{host}“ nicht gültig"));
        }
    }
    if let Some(port) = port {
        let ok = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && matches!(port.parse::<u32>(), Ok(1..=65535));
        if !ok {
            return invalid(&format!("Port „{port}“ nicht gültig"));
        }
    }
    if let Some(bad) = tail
        .chars()
        .find(|c| matches!(c, '<' | '>' | '"' | '`' | '{' | '}' | '|' | '\\' | '^'))
    {
        return invalid(&format!("Zeichen „{bad}“ nicht erlaubt"));
    }
    let bytes = tail.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return invalid("„%“ ohne zwei Hex-Ziffern");
        }
    }
    Ok(format!("https://{rest}"))
}

/// The scheme of `text`, if it names one (`javascript:`, `http:`); `host:8080`
/// is a host with a port, not a scheme.
fn scheme_of(text: &str) -> Option<&str> {
    let (scheme, after) = text.split_once(':')?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let port = after.split(['/', '?', '#']).next().unwrap_or_default();
    if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(scheme)
}

/// A DNS name with at least two labels (letters incl. umlauts, digits, `-`),
/// or an IPv4 address.
fn valid_host(host: &str) -> bool {
    if host.parse::<Ipv4Addr>().is_ok() {
        return true;
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    let labels: Vec<&str> = host.split('.').collect();
    host.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            let n = label.chars().count();
            (1..=63).contains(&n)
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
        && !labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Onlinedienst-ID;Name;LeiKa;OZG-ID;Typ;URL;Betreiber";
    const ROW: &str = "D-1;Dienst;99000000000001;90001;2;https://demo.example.org/a;Betreiber X";

    fn read(text: &str) -> Result<MasterDataFile, Vec<Message>> {
        read_master_data_file(text.as_bytes())
    }

    /// (line, column, value, text) of a message.
    type Finding = (Option<u32>, Option<String>, Option<String>, String);

    fn errors(result: Result<MasterDataFile, Vec<Message>>) -> Vec<Finding> {
        result
            .expect_err("errors expected")
            .into_iter()
            .filter(|m| m.severity == Severity::Error)
            .map(|m| (m.line, m.column, m.value, m.text))
            .collect()
    }

    fn one_error(text: &str) -> Finding {
        let mut all = errors(read(text));
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    fn table(header: &[&str], rows: Vec<Vec<Cell>>) -> Table {
        Table {
            header_line: 1,
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: rows
                .into_iter()
                .enumerate()
                .map(|(i, r)| (i as u32 + 2, r))
                .collect(),
        }
    }

    #[test]
    fn a_plain_row_is_read_with_default_granularity() {
        let file = read(&format!("{HEADER}\n{ROW}\n")).unwrap();
        assert!(file.warnings.is_empty());
        assert_eq!(
            file.records,
            vec![ServiceRecord {
                line: 2,
                id: "D-1".into(),
                name: "Dienst".into(),
                leika_key: "99000000000001".into(),
                ozg_id: "90001".into(),
                leistungstyp: 2,
                url: "https://demo.example.org/a".into(),
                operator: "Betreiber X".into(),
                granularity: Granularity::Gemeinde,
                granularity_given: false,
            }]
        );
    }

    #[test]
    fn header_is_case_insensitive_in_any_order_with_aliases() {
        let text = "betreiber,URL,leistungstyp,ozg_id,LEIKA-Schlüssel,Bezeichnung,onlinedienst id,granularitaet\n\
                    Betreiber X,https://demo.example.org/a,3,90001,99000000000001,Dienst,D-1,nach Kreisen\n";
        let record = &read(text).unwrap().records[0];
        assert_eq!((record.id.as_str(), record.leistungstyp), ("D-1", 3));
        assert_eq!(
            (record.granularity, record.granularity_given),
            (Granularity::Kreis, true)
        );
    }

    #[test]
    fn missing_and_doubled_columns_are_named() {
        let all = errors(read(
            "Onlinedienst-ID;Name;Name;OZG-ID;Typ;URL\nD-1;a;b;90001;1;https://x.example.org\n",
        ));
        let columns: Vec<_> = all.iter().map(|e| e.1.clone().unwrap()).collect();
        assert_eq!(columns, ["Name", "LeiKa", "Betreiber"]);
        assert!(all.iter().all(|e| e.0 == Some(1)));
        assert!(all[0].3.contains("Spalten 2 und 3"), "{all:?}");
    }

    #[test]
    fn unknown_columns_are_a_warning() {
        let file = read(&format!("{HEADER};Bemerkung\n{ROW};egal\n")).unwrap();
        assert_eq!(file.records.len(), 1);
        assert_eq!(file.warnings.len(), 1);
        assert_eq!(file.warnings[0].column.as_deref(), Some("Bemerkung"));
    }

    #[test]
    fn granularity_column_reads_report_wording_and_empty_is_gemeinde() {
        let text = format!(
            "{HEADER};Granularität\n{ROW};nach Bundesländern\n{};\n{};bundesweit\n",
            ROW.replace("D-1", "D-2"),
            ROW.replace("D-1", "D-3")
        );
        let got: Vec<_> = read(&text)
            .unwrap()
            .records
            .iter()
            .map(|r| r.granularity)
            .collect();
        assert_eq!(
            got,
            [Granularity::Land, Granularity::Gemeinde, Granularity::Bund]
        );
        let (line, column, value, text) =
            one_error(&format!("{HEADER};Granularität\n{ROW};monatlich\n"));
        assert_eq!(
            (line, column.as_deref(), value.as_deref()),
            (Some(2), Some("Granularität"), Some("monatlich"))
        );
        assert!(text.contains("bundesweit, Land, Kreis, Gemeinde"), "{text}");
    }

    #[test]
    fn ids_are_trimmed_and_restricted() {
        let file = read(&format!("{HEADER}\n  {ROW}\n")).unwrap();
        assert_eq!(file.records[0].id, "D-1");
        for bad in ["D 1", "D/1", "Dö-1", &"x".repeat(65)] {
            let (_, column, value, _) =
                one_error(&format!("{HEADER}\n{}\n", ROW.replace("D-1", bad)));
            assert_eq!(
                (column.as_deref(), value.as_deref()),
                (Some("Onlinedienst-ID"), Some(bad))
            );
        }
        read(&format!(
            "{HEADER}\n{}\n",
            ROW.replace("D-1", &format!("a.b_C-{}", "9".repeat(58)))
        ))
        .unwrap();
        let (_, _, value, text) = one_error(&format!("{HEADER}\n{}\n", ROW.replace("D-1", "")));
        assert_eq!((value, text.as_str()), (None, REQUIRED_RULE));
    }

    #[test]
    fn name_and_operator_are_required() {
        let all = errors(read(&format!(
            "{HEADER}\nD-1; ;99000000000001;90001;2;https://demo.example.org/a;\n"
        )));
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].1.as_deref(), Some("Name"));
        assert_eq!(all[1].1.as_deref(), Some("Betreiber"));
        assert!(all.iter().all(|e| e.3 == REQUIRED_RULE));
    }

    #[test]
    fn leika_in_exponent_form_is_refused_in_both_notations() {
        for form in ["9,9E+13", "9.9E+13", "9.90000000002E+13", "1e14"] {
            let (_, column, value, text) = one_error(&format!(
                "{HEADER}\n{}\n",
                ROW.replace("99000000000001", form)
            ));
            assert_eq!(
                (column.as_deref(), value.as_deref(), text.as_str()),
                (Some("LeiKa"), Some(form), EXPONENT_RULE)
            );
        }
        for bad in [
            "9900000000000",
            "990000000000011",
            "99000000000001.0",
            "9900000000000x",
        ] {
            let (_, column, _, text) = one_error(&format!(
                "{HEADER}\n{}\n",
                ROW.replace("99000000000001", bad)
            ));
            assert_eq!(column.as_deref(), Some("LeiKa"));
            assert!(text.contains("genau 14 Ziffern"), "{bad}: {text}");
        }
    }

    #[test]
    fn numeric_cells_are_read_exactly() {
        let row = |leika: Cell, ozg: Cell, typ: Cell| {
            vec![
                Cell::Text("D-1".into()),
                Cell::Text("Dienst".into()),
                leika,
                ozg,
                typ,
                Cell::Text("https://demo.example.org/a".into()),
                Cell::Text("Betreiber X".into()),
            ]
        };
        let header = HEADER.split(';').collect::<Vec<_>>();
        let file = master_data_from_table(&table(
            &header,
            vec![row(
                Cell::Number(99000000000201.0),
                Cell::Number(90201.0),
                Cell::Number(2.0),
            )],
        ))
        .unwrap();
        let record = &file.records[0];
        assert_eq!(
            (
                record.leika_key.as_str(),
                record.ozg_id.as_str(),
                record.leistungstyp
            ),
            ("99000000000201", "90201", 2)
        );

        let bad = master_data_from_table(&table(
            &header,
            vec![row(
                Cell::Number(9900000000020.0),
                Cell::Number(90201.5),
                Cell::Number(2.5),
            )],
        ))
        .unwrap_err();
        let texts: Vec<_> = bad
            .iter()
            .map(|m| (m.column.clone().unwrap(), m.text.clone()))
            .collect();
        assert!(texts[0].1.contains("führende Null verloren"), "{texts:?}");
        assert_eq!(texts[1].0, "OZG-ID");
        assert_eq!(texts[2], ("Typ".to_owned(), TYP_RULE.to_owned()));
    }

    #[test]
    fn typ_is_a_whole_number_from_one_to_five() {
        for (typ, rule) in [
            ("2.0", TYP_RULE),
            ("2,0", TYP_RULE),
            ("zwei", TYP_RULE),
            ("2/3", TYP_RULE),
        ] {
            let (_, column, value, text) = one_error(&format!(
                "{HEADER}\n{}\n",
                ROW.replace(";2;", &format!(";{typ};"))
            ));
            assert_eq!(
                (column.as_deref(), value.as_deref(), text.as_str()),
                (Some("Typ"), Some(typ), rule)
            );
        }
        for typ in ["0", "6", "-1"] {
            let (_, _, _, text) = one_error(&format!(
                "{HEADER}\n{}\n",
                ROW.replace(";2;", &format!(";{typ};"))
            ));
            assert!(text.contains("erlaubt sind 1–5"), "{text}");
        }
        assert_eq!(
            read(&format!("{HEADER}\n{}\n", ROW.replace(";2;", "; 5 ;")))
                .unwrap()
                .records[0]
                .leistungstyp,
            5
        );
    }

    #[test]
    fn urls_must_be_https_and_well_formed() {
        let url_error = |url: &str| {
            let (_, column, _, text) = one_error(&format!(
                "{HEADER}\n{}\n",
                ROW.replace("https://demo.example.org/a", url)
            ));
            assert_eq!(column.as_deref(), Some("URL"));
            text
        };
        assert_eq!(url_error("www.demo.example.org/plakat"), URL_SCHEME_RULE);
        assert_eq!(url_error("demo.example.org:8443/x"), URL_SCHEME_RULE);
        assert_eq!(url_error("https:/demo.example.org"), URL_SCHEME_RULE);
        assert!(url_error("javascript:alert(1)").contains("Schema „javascript:“ nicht erlaubt"));
        assert!(url_error("http://demo.example.org").contains("nicht erlaubt"));
        assert!(url_error("data:text/html,x").contains("nicht erlaubt"));
        for bad in [
            "https://",
            "https:///pfad",
            "https://demo",
            "https://demo .example.org",
            "https://user:pw@demo.example.org",
            "https://demo.example.org:99999/",
            "https://-demo.example.org/",
            "https://demo.example.org/a<b>",
            "https://demo.example.org/%zz",
            "https://1.2.3/",
        ] {
            assert!(url_error(bad).starts_with("keine gültige URL"), "{bad}");
        }
        for good in [
            "https://demo.example.org",
            "HTTPS://demo.example.org/a?b=c&d=%C3%A4#x",
            "https://münchen.de/dienst",
            "https://127.0.0.1:8443/x",
            "https://[::1]/x",
        ] {
            read(&format!(
                "{HEADER}\n{}\n",
                ROW.replace("https://demo.example.org/a", good)
            ))
            .unwrap_or_else(|e| panic!("{good}: {e:?}"));
        }
        assert_eq!(
            check_url("HTTPS://demo.example.org/A").unwrap(),
            "https://demo.example.org/A"
        );
    }

    #[test]
    fn duplicate_ids_identical_is_a_warning_different_an_error() {
        let file = read(&format!(
            "{HEADER}\n{ROW}\n{}\n",
            ROW.replace(";2;", "; 2 ;")
        ))
        .unwrap();
        assert_eq!(file.records.len(), 1);
        assert_eq!(file.warnings.len(), 1);
        assert!(
            file.warnings[0].text.contains("Zeile 3 wiederholt Zeile 2"),
            "{:?}",
            file.warnings
        );

        let (line, column, value, text) = one_error(&format!(
            "{HEADER}\n{ROW}\n{}\n",
            ROW.replace("Dienst;", "Anderer Dienst;")
        ));
        assert_eq!(
            (line, column.as_deref(), value.as_deref()),
            (Some(3), Some("Onlinedienst-ID"), Some("D-1"))
        );
        assert!(text.contains("Zeilen 2 und 3"), "{text}");
    }

    #[test]
    fn extra_fields_and_empty_rows() {
        let (line, _, _, text) = one_error(&format!("{HEADER}\n{ROW};zuviel\n"));
        assert_eq!(line, Some(2));
        assert!(text.contains("8 Felder, die Kopfzeile 7"), "{text}");
        // Rows of empty cells (Excel's `;;;;;;`) are skipped; trailing empty cells are fine.
        let file = read(&format!("{HEADER}\n;;;;;;\n{ROW};;\n")).unwrap();
        assert_eq!(file.records[0].line, 3);
        let (line, _, _, text) = one_error(&format!("{HEADER}\n;;;;;;\n"));
        assert_eq!(line, Some(1));
        assert!(text.contains("keine Onlinedienste"));
    }

    #[test]
    fn short_rows_report_the_missing_cells() {
        let all = errors(read(&format!("{HEADER}\nD-1;Dienst;99000000000001\n")));
        let columns: Vec<_> = all.iter().map(|e| e.1.clone().unwrap()).collect();
        assert_eq!(columns, ["OZG-ID", "Typ", "URL", "Betreiber"]);
    }

    #[test]
    fn windows_1252_tab_and_bom_files_are_read() {
        let mut bytes = b"Onlinedienst-ID\tName\tLeiKa\tOZG-ID\tTyp\tURL\tBetreiber\n".to_vec();
        bytes.extend_from_slice(
            b"D-1\tStra\xdfe\t99000000000001\t90001\t1\thttps://demo.example.org\tM\xfcnchen\n",
        );
        let record = &read_master_data(&bytes).unwrap()[0];
        assert_eq!(
            (record.name.as_str(), record.operator.as_str()),
            ("Straße", "München")
        );
        let bom = format!("\u{feff}{HEADER}\n{ROW}\n");
        assert_eq!(read(&bom).unwrap().records.len(), 1);
    }

    #[test]
    fn every_error_of_a_row_is_reported() {
        let all = errors(read(&format!(
            "{HEADER}\nD-1;Dienst;9,9E+13;123;6;ftp://x.org;B\n"
        )));
        let columns: Vec<_> = all.iter().map(|e| e.1.clone().unwrap()).collect();
        assert_eq!(columns, ["LeiKa", "OZG-ID", "Typ", "URL"]);
    }

    #[test]
    fn record_check_applies_the_same_rules() {
        let mut record = read(&format!("{HEADER}\n{ROW}\n"))
            .unwrap()
            .records
            .remove(0);
        assert!(record.check().is_empty());
        record.leistungstyp = 7;
        record.url = "javascript:alert(1)".into();
        record.leika_key = "9.9E+13".into();
        let columns: Vec<_> = record
            .check()
            .into_iter()
            .map(|m| m.column.unwrap())
            .collect();
        assert_eq!(columns, ["LeiKa", "Typ", "URL"]);
    }
}
