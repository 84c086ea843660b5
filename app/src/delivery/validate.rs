//! The one validation path of every delivery channel: raw cells in, checked
//! records and line-numbered German messages out. Pure: the master data it
//! checks against is handed in, so the browser preview, the server and the
//! tests apply the same rules.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::count::parse_count;
use super::month::Month;
use crate::regions::{RegionKey, RegionKeyError, RegionLevel};
use crate::services::Granularity;

/// One row as delivered, every cell still text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// Physical line in the file (header = 1), or the index in a request.
    pub line: u32,
    pub service: String,
    pub region: String,
    pub month: String,
    pub count: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    Error,
    Warning,
}

/// A finding about the input, in German, naming where and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub severity: Severity,
    pub line: Option<u32>,
    /// JSON Pointer of the offending value in a JSON request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    pub column: Option<String>,
    pub value: Option<String>,
    pub text: String,
}

impl Message {
    pub fn error(
        line: Option<u32>,
        column: Option<&str>,
        value: Option<&str>,
        text: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Error, line, column, value, text)
    }

    pub fn warning(
        line: Option<u32>,
        column: Option<&str>,
        value: Option<&str>,
        text: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Warning, line, column, value, text)
    }

    /// The text with each "Zeile N" it names replaced by `place(N)`, for
    /// channels without lines (a JSON pointer, a form's region); a line
    /// `place` does not know stays as written.
    pub fn text_with_places(&self, place: impl Fn(u32) -> Option<String>) -> String {
        const WORD: &str = "Zeile ";
        let mut out = String::with_capacity(self.text.len());
        let mut rest = self.text.as_str();
        while let Some(at) = rest.find(WORD) {
            out.push_str(&rest[..at]);
            let after = &rest[at + WORD.len()..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            match after[..digits].parse::<u32>().ok().and_then(&place) {
                Some(label) => out.push_str(&label),
                None => out.push_str(&rest[at..at + WORD.len() + digits]),
            }
            rest = &after[digits..];
        }
        out.push_str(rest);
        out
    }

    fn new(
        severity: Severity,
        line: Option<u32>,
        column: Option<&str>,
        value: Option<&str>,
        text: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            line,
            pointer: None,
            column: column.map(str::to_owned),
            value: value.map(str::to_owned),
            text: text.into(),
        }
    }

    /// "Zeile 3, Spalte Anzahl („12,5“): …"
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Some(pointer) = &self.pointer {
            out.push_str(pointer);
        } else if let Some(line) = self.line {
            out.push_str(&format!("Zeile {line}"));
        }
        if let (Some(column), None) = (&self.column, &self.pointer) {
            out.push_str(&format!(", Spalte {column}"));
        }
        if let Some(value) = &self.value {
            out.push_str(&format!(" („{value}“)"));
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&self.text);
        out
    }
}

/// What the validator needs to know about a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRule {
    pub id: String,
    pub name: String,
    pub granularity: Option<Granularity>,
    /// Whether the delivering party may deliver for this service.
    pub deliverable: bool,
    /// The organisation that operates the service.
    pub organisation_id: i64,
}

/// What the validator needs to know about a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionRule {
    pub key: String,
    pub name: String,
    pub level: RegionLevel,
    /// The key counts are stored under (one territory, one cell).
    pub cell_key: String,
    /// The 12-digit ARS of a Gemeinde.
    pub ars: Option<String>,
    /// The last day the key is valid; `None`: still valid.
    pub valid_to: Option<NaiveDate>,
    /// The first day under this key where key changes say it was formed
    /// then (its Stichtag); `None`: no known start, every earlier month is
    /// valid (a register import's Stand is no start of validity).
    pub valid_from: Option<NaiveDate>,
    /// The keys that replaced this one, with their Stichtag.
    pub successors: Vec<RegionLink>,
    /// The keys this one replaced, with their Stichtag.
    pub predecessors: Vec<RegionLink>,
}

/// A region on the other side of a key change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionLink {
    pub key: String,
    pub name: String,
    /// The first day under the new key.
    pub stichtag: NaiveDate,
}

/// The master data a delivery is checked against.
#[derive(Debug, Clone, Default)]
pub struct MasterData {
    pub services: HashMap<String, ServiceRule>,
    pub regions: HashMap<String, RegionRule>,
    /// The latest month that may be delivered (the current month in
    /// Europe/Berlin); `None`: no limit.
    pub latest_month: Option<Month>,
}

/// How lenient the channel is with keys a spreadsheet turned into numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRepair {
    /// Files: restore one leading zero where that is the only reading.
    LeadingZero,
    /// APIs: keys are taken exactly as sent.
    Exact,
}

/// A checked record, ready to classify and store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub line: u32,
    pub service_id: String,
    /// The delivered key in canonical form (AGS for an ARS).
    pub region_key: String,
    /// The stored cell (Berlin's Kreis and Gemeinde name the Land's cell).
    pub cell_key: String,
    pub month: Month,
    pub count: i64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Validation {
    pub records: Vec<Record>,
    pub messages: Vec<Message>,
    /// Rows rejected with at least one error.
    pub rejected_lines: Vec<u32>,
}

impl Validation {
    pub fn has_errors(&self) -> bool {
        self.messages.iter().any(|m| m.severity == Severity::Error)
    }
}

pub const COL_SERVICE: &str = "Onlinedienst";
pub const COL_REGION: &str = "Region";
pub const COL_MONTH: &str = "Monat";
pub const COL_COUNT: &str = "Anzahl";

/// Checks every row against the rules and the master data.
pub fn validate(rows: &[RawRecord], master: &MasterData, repair: KeyRepair) -> Validation {
    let mut out = Validation::default();
    // Keys borrow the service and cell names from the master data: no copy
    // per record, which matters for files of hundreds of thousands of rows.
    // Per cell: the first line, its count, whether another line contradicts
    // it, and the lines that repeated it.
    type FirstLine = (u32, i64, bool, Vec<u32>);
    let mut seen: HashMap<(&str, &str, Month), FirstLine> = HashMap::new();
    // Lines of contradicted cells accepted at first: no value is stored.
    let mut withdrawn: HashSet<u32> = HashSet::new();

    for row in rows {
        let Some(record) = check_row(row, master, repair, &mut out.messages) else {
            out.rejected_lines.push(row.line);
            continue;
        };
        let (Some(service), Some(region)) = (
            master.services.get(&record.service_id),
            master.regions.get(&record.region_key),
        ) else {
            out.rejected_lines.push(row.line);
            continue;
        };

        let key = (service.id.as_str(), region.cell_key.as_str(), record.month);
        match seen.get_mut(&key) {
            Some((first_line, first_count, false, repeats)) if *first_count == record.count => {
                repeats.push(row.line);
                out.messages.push(Message::warning(
                    Some(row.line),
                    None,
                    None,
                    format!(
                        "Zeile {} identisch mit Zeile {first_line}, ignoriert",
                        row.line
                    ),
                ));
            }
            Some((first_line, first_count, contradicted, repeats)) => {
                let text = format!(
                    "Schlüssel ({}, {}, {}) doppelt: Zeile {first_line} = {first_count}, Zeile {} = {}",
                    record.service_id, record.cell_key, record.month, row.line, record.count
                );
                if !*contradicted {
                    // Which value is right is unknown: the first line and
                    // its repetitions are refused too.
                    *contradicted = true;
                    for line in std::iter::once(*first_line).chain(repeats.drain(..)) {
                        withdrawn.insert(line);
                        out.messages
                            .retain(|m| m.severity == Severity::Error || m.line != Some(line));
                        out.messages
                            .push(Message::error(Some(line), None, None, text.clone()));
                    }
                }
                out.messages
                    .push(Message::error(Some(row.line), None, None, text));
                out.rejected_lines.push(row.line);
            }
            None => {
                seen.insert(key, (row.line, record.count, false, Vec::new()));
                out.records.push(record);
            }
        }
    }
    if !withdrawn.is_empty() {
        out.records.retain(|r| !withdrawn.contains(&r.line));
        out.rejected_lines.extend(withdrawn);
        out.rejected_lines.sort_unstable();
    }
    out
}

fn check_row(
    row: &RawRecord,
    master: &MasterData,
    repair: KeyRepair,
    messages: &mut Vec<Message>,
) -> Option<Record> {
    let line = Some(row.line);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut fail = |column: &str, value: &str, text: String| {
        errors.push(Message::error(line, Some(column), Some(value), text));
    };

    let service_id = row.service.trim();
    let service = if service_id.is_empty() {
        fail(
            COL_SERVICE,
            service_id,
            "Wert fehlt: Onlinedienst-ID angeben".to_owned(),
        );
        None
    } else {
        match master.services.get(service_id) {
            None => {
                fail(
                    COL_SERVICE,
                    service_id,
                    format!("Onlinedienst „{service_id}“ ist unbekannt"),
                );
                None
            }
            Some(service) if !service.deliverable => {
                fail(
                    COL_SERVICE,
                    service_id,
                    format!("Onlinedienst „{service_id}“ gehört nicht zu Ihrer Organisation; Sie dürfen dafür nicht liefern"),
                );
                None
            }
            Some(service) => Some(service),
        }
    };

    let month = match Month::parse(&row.month) {
        Ok(month) if master.latest_month.is_some_and(|latest| month > latest) => {
            fail(
                COL_MONTH,
                row.month.trim(),
                format!(
                    "{} liegt in der Zukunft; Werte nur für vergangene Monate und den laufenden",
                    month.label()
                ),
            );
            None
        }
        Ok(month) => Some(month),
        Err(text) => {
            let text = if row.month.trim().is_empty() {
                "Wert fehlt: Monat angeben (JJJJ-MM)".to_owned()
            } else {
                text
            };
            fail(COL_MONTH, row.month.trim(), text);
            None
        }
    };

    let count = match parse_count(&row.count) {
        Ok(count) => Some(count),
        Err(text) => {
            fail(COL_COUNT, row.count.trim(), text);
            None
        }
    };

    let region = match parse_region(&row.region, repair) {
        Ok((key, warning)) => match master.regions.get(key.as_str()) {
            None => {
                fail(
                    COL_REGION,
                    row.region.trim(),
                    region_unknown_text(row.region.trim(), &key),
                );
                None
            }
            Some(region)
                if sent_ars(&row.region, repair)
                    .is_some_and(|ars| region.ars.as_deref() != Some(ars.as_str())) =>
            {
                let text = match region.ars.as_deref() {
                    Some(ars) => format!(
                        "ARS passt zu keiner Gemeinde; die Gemeinde {} ({}) hat die ARS {ars}",
                        region.key, region.name
                    ),
                    None => format!(
                        "für die Gemeinde {} ({}) ist keine ARS bekannt; bitte den 8-stelligen AGS {} angeben",
                        region.key, region.name, region.key
                    ),
                };
                fail(COL_REGION, row.region.trim(), text);
                None
            }
            Some(region) => {
                if let Some(warning) = warning {
                    warnings.push(Message::warning(
                        line,
                        Some(COL_REGION),
                        Some(row.region.trim()),
                        warning,
                    ));
                }
                Some(region)
            }
        },
        Err(text) => {
            fail(COL_REGION, row.region.trim(), text);
            None
        }
    };

    if let (Some(service), Some(region)) = (service, region) {
        let granularity = service.granularity.unwrap_or(Granularity::Gemeinde);
        if !granularity.allows(region.level) {
            fail(
                COL_REGION,
                row.region.trim(),
                format!(
                    "{} wird {} geliefert; ein {}wert ist feiner als seine Granularität",
                    service.id,
                    granularity.report_label(),
                    region.level.label()
                ),
            );
        }
    }
    if let (Some(region), Some(month)) = (region, month) {
        if let Some(text) = validity_error(region, month) {
            fail(COL_REGION, row.region.trim(), text);
        }
    }

    let ok = errors.is_empty();
    messages.extend(errors);
    messages.extend(warnings);
    if !ok {
        return None;
    }
    let (service, region, month, count) = (service?, region?, month?, count?);
    Some(Record {
        line: row.line,
        service_id: service.id.clone(),
        region_key: region.key.clone(),
        cell_key: region.cell_key.clone(),
        month,
        count,
    })
}

/// Why a key may not be used for a month, if it may not. A month is valid
/// for a key if the key's validity overlaps it; the message names the
/// successors (or predecessors) and the Stichtag, and nothing is remapped.
fn validity_error(region: &RegionRule, month: Month) -> Option<String> {
    let day = |date: NaiveDate| date.format("%d.%m.%Y").to_string();
    if let Some(valid_to) = region.valid_to.filter(|to| month.first_day() > *to) {
        let head = format!(
            "Region {} ({}) gilt nur bis {}",
            region.key,
            region.name,
            day(valid_to)
        );
        return Some(if region.successors.is_empty() {
            format!("{head}; für {month} nicht gültig")
        } else {
            format!(
                "{head}; {}. Bitte für {month} den neuen Schlüssel verwenden.",
                links(&region.successors, |stichtag| {
                    ("ab", day(stichtag), "gilt", "gelten")
                })
            )
        });
    }
    let valid_from = region
        .valid_from
        .filter(|from| month.next().first_day() <= *from)?;
    let head = format!(
        "Region {} ({}) gilt erst ab {}",
        region.key,
        region.name,
        day(valid_from)
    );
    let before: Vec<RegionLink> = region
        .predecessors
        .iter()
        .filter(|p| p.stichtag == valid_from)
        .cloned()
        .collect();
    Some(if before.is_empty() {
        format!("{head}; für {month} nicht gültig")
    } else {
        format!(
            "{head}; {}. Bitte für {month} den bisherigen Schlüssel verwenden.",
            links(&before, |stichtag| {
                let last = stichtag.pred_opt().unwrap_or(stichtag);
                ("bis", day(last), "galt", "galten")
            })
        )
    })
}

/// "ab 01.08.2008 gilt 14625 (Bautzen)", "… gelten 1 (A) und 2 (B)",
/// grouped by Stichtag. `words` gives the preposition, the date and the
/// verb in singular and plural for a Stichtag.
fn links(
    links: &[RegionLink],
    words: impl Fn(NaiveDate) -> (&'static str, String, &'static str, &'static str),
) -> String {
    let mut dates: Vec<NaiveDate> = links.iter().map(|l| l.stichtag).collect();
    dates.sort();
    dates.dedup();
    let groups: Vec<String> = dates
        .into_iter()
        .map(|date| {
            let mut names: Vec<String> = links
                .iter()
                .filter(|l| l.stichtag == date)
                .map(|l| format!("{} ({})", l.key, l.name))
                .collect();
            names.sort();
            let (preposition, shown, one, many) = words(date);
            let verb = if names.len() == 1 { one } else { many };
            let last = names.pop().unwrap_or_default();
            let list = if names.is_empty() {
                last
            } else {
                format!("{} und {last}", names.join(", "))
            };
            format!("{preposition} {shown} {verb} {list}")
        })
        .collect();
    groups.join("; ")
}

/// The 12-digit ARS a cell names, if it names one (after the same repair).
fn sent_ars(text: &str, repair: KeyRepair) -> Option<String> {
    let text = text.trim();
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match text.len() {
        12 => Some(text.to_owned()),
        11 if repair == KeyRepair::LeadingZero && !text.starts_with('0') => {
            Some(format!("0{text}"))
        }
        _ => None,
    }
}

/// Parses a region cell; in files, restores a leading zero a spreadsheet
/// dropped where the length allows only that reading (1, 4, 7 or 11 digits,
/// first digit 1–9: a key of Länder 01–09).
pub fn parse_region(text: &str, repair: KeyRepair) -> Result<(RegionKey, Option<String>), String> {
    let text = text.trim();
    let is_digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if repair == KeyRepair::LeadingZero
        && is_digits
        && matches!(text.len(), 1 | 4 | 7 | 11)
        && !text.starts_with('0')
    {
        let padded = format!("0{text}");
        let key = RegionKey::parse(&padded).map_err(|e| e.to_string())?;
        return Ok((
            key,
            Some(format!("Führende Null ergänzt: „{text}“ → „{padded}“")),
        ));
    }
    RegionKey::parse(text).map(|key| (key, None)).map_err(|err| match err {
        RegionKeyError::NotDigits if text.contains(['.', ',']) && text.chars().any(|c| c.is_ascii_digit()) => {
            format!("{err}; die Tabellenkalkulation hat den Schlüssel als Zahl gespeichert – Spalte als Text exportieren")
        }
        RegionKeyError::BadLength(1) if text == "0" => {
            format!("{err}; bundesweite Werte mit „DE“ angeben")
        }
        RegionKeyError::BadLength(1 | 4 | 7 | 11) if is_digits && !text.starts_with('0') => {
            format!("{err}; vermutlich fehlt die führende Null: „0{text}“ senden (Schlüssel als Zeichenkette)")
        }
        other => other.to_string(),
    })
}

fn region_unknown_text(sent: &str, key: &RegionKey) -> String {
    if key.as_str() == "00" {
        return format!("Region „{sent}“ ist unbekannt; bundesweite Werte mit „DE“ angeben");
    }
    format!("Region „{}“ ist im Gebietsregister nicht vorhanden", key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_in_a_text_become_places() {
        let labels = ["Hamburg (02)", "Bremen (04)"];
        let place = |line: u32| {
            labels
                .get((line as usize).checked_sub(1)?)
                .map(|l| l.to_string())
        };
        let text = |t: &str| Message::warning(None, None, None, t).text_with_places(place);
        assert_eq!(
            text("Zeile 2 identisch mit Zeile 1, ignoriert"),
            "Bremen (04) identisch mit Hamburg (02), ignoriert"
        );
        assert_eq!(
            text("Zeile 12 und Zeile x bleiben"),
            "Zeile 12 und Zeile x bleiben"
        );
        assert_eq!(text("ohne Angabe"), "ohne Angabe");
    }

    fn master() -> MasterData {
        let mut master = MasterData::default();
        for (id, granularity, deliverable) in [
            ("DEMO-0001", None, true),
            ("DEMO-0006", Some(Granularity::Land), true),
            ("FREMD", None, false),
        ] {
            master.services.insert(
                id.to_owned(),
                ServiceRule {
                    id: id.to_owned(),
                    name: id.to_owned(),
                    granularity,
                    deliverable,
                    organisation_id: 1,
                },
            );
        }
        for (key, level, cell) in [
            ("DE", RegionLevel::Bund, "DE"),
            ("01", RegionLevel::Land, "01"),
            ("01001", RegionLevel::Kreis, "01001"),
            ("01001000", RegionLevel::Gemeinde, "01001000"),
            ("11", RegionLevel::Land, "11"),
            ("11000", RegionLevel::Kreis, "11"),
            ("11000000", RegionLevel::Gemeinde, "11"),
            ("14521430", RegionLevel::Gemeinde, "14521430"),
        ] {
            master.regions.insert(
                key.to_owned(),
                RegionRule {
                    key: key.to_owned(),
                    name: key.to_owned(),
                    level,
                    cell_key: cell.to_owned(),
                    ars: (key == "14521430").then(|| "145215115430".to_owned()),
                    valid_to: None,
                    valid_from: None,
                    successors: Vec::new(),
                    predecessors: Vec::new(),
                },
            );
        }
        master
    }

    fn row(line: u32, service: &str, region: &str, month: &str, count: &str) -> RawRecord {
        RawRecord {
            line,
            service: service.into(),
            region: region.into(),
            month: month.into(),
            count: count.into(),
        }
    }

    #[test]
    fn valid_rows_become_records() {
        let v = validate(
            &[row(2, "DEMO-0001", "01001000", "2024-01", "1.000")],
            &master(),
            KeyRepair::Exact,
        );
        assert!(!v.has_errors());
        assert_eq!(v.records[0].count, 1000);
    }

    #[test]
    fn leading_zero_is_repaired_in_files_only() {
        let rows = [row(2, "DEMO-0001", "1001000", "2024-01", "5")];
        let v = validate(&rows, &master(), KeyRepair::LeadingZero);
        assert_eq!(v.records[0].region_key, "01001000");
        assert!(v.messages[0].text.contains("Führende Null ergänzt"));
        assert!(validate(&rows, &master(), KeyRepair::Exact).has_errors());
    }

    #[test]
    fn every_bad_cell_is_named() {
        let v = validate(
            &[row(3, "FREMD", "101000", "24-01", "-1")],
            &master(),
            KeyRepair::LeadingZero,
        );
        let columns: Vec<_> = v
            .messages
            .iter()
            .map(|m| m.column.clone().unwrap())
            .collect();
        assert_eq!(columns, ["Onlinedienst", "Monat", "Anzahl", "Region"]);
        assert!(v.messages.iter().all(|m| m.line == Some(3)));
        assert_eq!(v.rejected_lines, [3]);
    }

    #[test]
    fn finer_than_granularity_is_refused() {
        let v = validate(
            &[row(3, "DEMO-0006", "01001", "2024-06", "5")],
            &master(),
            KeyRepair::Exact,
        );
        assert!(v.messages[0].text.contains("feiner als seine Granularität"));
        let v = validate(
            &[row(2, "DEMO-0006", "DE", "2024-06", "5")],
            &master(),
            KeyRepair::Exact,
        );
        assert!(!v.has_errors());
    }

    #[test]
    fn one_territory_is_one_cell() {
        let rows = [
            row(2, "DEMO-0001", "11", "2024-01", "5"),
            row(3, "DEMO-0001", "11000000", "2024-01", "6"),
        ];
        let v = validate(&rows, &master(), KeyRepair::Exact);
        assert!(v.messages[0].text.contains("doppelt"), "{:?}", v.messages);
    }

    #[test]
    fn duplicates_conflict_or_are_ignored() {
        let same = [
            row(2, "DEMO-0001", "14521430", "2024-03", "40"),
            row(4, "DEMO-0001 ", "145215115430", "2024-03", "40"),
        ];
        let v = validate(&same, &master(), KeyRepair::Exact);
        assert!(!v.has_errors());
        assert_eq!(v.records.len(), 1);
        assert_eq!(
            v.messages[0].text,
            "Zeile 4 identisch mit Zeile 2, ignoriert"
        );

        let conflicting = [
            row(2, "DEMO-0001", "14521430", "2024-03", "40"),
            row(4, "DEMO-0001", "14521430 ", "2024-03", "44"),
        ];
        let v = validate(&conflicting, &master(), KeyRepair::Exact);
        assert_eq!(
            v.messages[0].text,
            "Schlüssel (DEMO-0001, 14521430, 2024-03) doppelt: Zeile 2 = 40, Zeile 4 = 44"
        );
        // Neither value is known to be right: in partial mode too, both
        // lines are refused, also a third line repeating the first value.
        let three = [
            row(2, "DEMO-0001", "14521430", "2024-03", "40"),
            row(3, "DEMO-0001", "01001000", "2024-03", "7"),
            row(4, "DEMO-0001", "14521430", "2024-03", "44"),
            row(5, "DEMO-0001", "14521430", "2024-03", "40"),
        ];
        let v = validate(&three, &master(), KeyRepair::Exact);
        assert_eq!(v.rejected_lines, [2, 4, 5]);
        let kept: Vec<u32> = v.records.iter().map(|r| r.line).collect();
        assert_eq!(kept, [3]);
        let lines: Vec<Option<u32>> = v.messages.iter().map(|m| m.line).collect();
        assert_eq!(lines, [Some(2), Some(4), Some(5)]);

        // A repetition accepted before the contradiction is refused as well.
        let repeated_first = [
            row(2, "DEMO-0001", "14521430", "2024-03", "40"),
            row(3, "DEMO-0001", "14521430", "2024-03", "40"),
            row(4, "DEMO-0001", "14521430", "2024-03", "44"),
        ];
        let v = validate(&repeated_first, &master(), KeyRepair::Exact);
        assert_eq!(v.rejected_lines, [2, 3, 4]);
        assert!(v.records.is_empty());
        assert!(v.messages.iter().all(|m| m.severity == Severity::Error));
    }

    #[test]
    fn an_ars_must_exist_not_only_its_ags() {
        let good = [row(2, "DEMO-0001", "145215115430", "2024-03", "1")];
        assert!(!validate(&good, &master(), KeyRepair::Exact).has_errors());
        let made_up = [row(2, "DEMO-0001", "145219999430", "2024-03", "1")];
        let v = validate(&made_up, &master(), KeyRepair::Exact);
        assert!(
            v.messages[0].text.contains("hat die ARS 145215115430"),
            "{:?}",
            v.messages
        );
    }

    #[test]
    fn future_months_are_refused() {
        let mut master = master();
        master.latest_month = Month::new(2024, 3);
        let v = validate(
            &[row(2, "DEMO-0001", "01", "2024-04", "1")],
            &master,
            KeyRepair::Exact,
        );
        assert!(
            v.messages[0]
                .text
                .contains("April 2024 liegt in der Zukunft"),
            "{:?}",
            v.messages
        );
        assert!(!validate(
            &[row(2, "DEMO-0001", "01", "2024-03", "1")],
            &master,
            KeyRepair::Exact
        )
        .has_errors());
    }

    #[test]
    fn spreadsheet_artefacts_get_hints() {
        let v = validate(
            &[row(4, "DEMO-0001", "1001000.0", "2024-04", "1")],
            &master(),
            KeyRepair::LeadingZero,
        );
        assert!(v.messages[0].text.contains("Spalte als Text exportieren"));
        let v = validate(
            &[row(5, "DEMO-0001", "0", "2024-04", "1")],
            &master(),
            KeyRepair::LeadingZero,
        );
        assert!(v.messages[0].text.contains("„DE“"), "{:?}", v.messages);
    }

    fn link(key: &str, name: &str, stichtag: NaiveDate) -> RegionLink {
        RegionLink {
            key: key.into(),
            name: name.into(),
            stichtag,
        }
    }

    /// Landkreis Bautzen (1994–2008, 14272) and Kamenz (14292) became the
    /// Landkreis Bautzen 14625 on 01.08.2008.
    fn merged() -> MasterData {
        let mut master = master();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let stichtag = day(2008, 8, 1);
        let region = |key: &str, name: &str| RegionRule {
            key: key.into(),
            name: name.into(),
            level: RegionLevel::Kreis,
            cell_key: key.into(),
            ars: None,
            valid_to: None,
            valid_from: None,
            successors: Vec::new(),
            predecessors: Vec::new(),
        };
        for (key, name) in [("14272", "Bautzen"), ("14292", "Kamenz")] {
            let mut old = region(key, name);
            old.valid_to = Some(day(2008, 7, 31));
            old.successors = vec![link("14625", "Bautzen", stichtag)];
            master.regions.insert(key.into(), old);
        }
        let mut new = region("14625", "Bautzen");
        new.valid_from = Some(stichtag);
        new.predecessors = vec![
            link("14292", "Kamenz", stichtag),
            link("14272", "Bautzen", stichtag),
        ];
        master.regions.insert("14625".into(), new);
        master
    }

    #[test]
    fn an_old_key_is_valid_up_to_its_last_month_only() {
        let master = merged();
        let rows = [
            row(2, "DEMO-0001", "14272", "2008-07", "1"),
            row(3, "DEMO-0001", "14272", "2001-01", "1"),
        ];
        assert!(!validate(&rows, &master, KeyRepair::Exact).has_errors());
        let v = validate(
            &[row(2, "DEMO-0001", "14272", "2024-03", "1")],
            &master,
            KeyRepair::Exact,
        );
        assert_eq!(
            v.messages[0].text,
            "Region 14272 (Bautzen) gilt nur bis 31.07.2008; ab 01.08.2008 gilt 14625 (Bautzen). \
             Bitte für 2024-03 den neuen Schlüssel verwenden."
        );
        assert_eq!(v.messages[0].column.as_deref(), Some(COL_REGION));
    }

    #[test]
    fn a_new_key_is_valid_from_the_month_of_its_stichtag() {
        let master = merged();
        let rows = [
            row(2, "DEMO-0001", "14625", "2008-08", "1"),
            row(3, "DEMO-0001", "14625", "2024-03", "1"),
        ];
        assert!(!validate(&rows, &master, KeyRepair::Exact).has_errors());
        let v = validate(
            &[row(2, "DEMO-0001", "14625", "2008-07", "1")],
            &master,
            KeyRepair::Exact,
        );
        assert_eq!(
            v.messages[0].text,
            "Region 14625 (Bautzen) gilt erst ab 01.08.2008; bis 31.07.2008 galten \
             14272 (Bautzen) und 14292 (Kamenz). Bitte für 2008-07 den bisherigen Schlüssel verwenden."
        );
    }

    #[test]
    fn a_month_overlapping_the_validity_is_valid() {
        let mut master = merged();
        let mid = NaiveDate::from_ymd_opt(2008, 8, 15).unwrap();
        let old = master.regions.get_mut("14272").unwrap();
        old.valid_to = mid.pred_opt();
        old.successors[0].stichtag = mid;
        master.regions.get_mut("14625").unwrap().valid_from = Some(mid);
        let rows = [
            row(2, "DEMO-0001", "14272", "2008-08", "1"),
            row(3, "DEMO-0001", "14625", "2008-08", "2"),
        ];
        assert!(!validate(&rows, &master, KeyRepair::Exact).has_errors());
    }

    #[test]
    fn a_closed_key_without_successor_says_so() {
        let mut master = master();
        master.regions.get_mut("01001000").unwrap().valid_to =
            NaiveDate::from_ymd_opt(2025, 11, 29);
        let v = validate(
            &[row(2, "DEMO-0001", "01001000", "2025-12", "1")],
            &master,
            KeyRepair::Exact,
        );
        assert_eq!(
            v.messages[0].text,
            "Region 01001000 (01001000) gilt nur bis 29.11.2025; für 2025-12 nicht gültig"
        );
    }
}
