//! Region key changes: a file `Schlüssel alt;Name alt;Schlüssel neu;Stichtag`
//! (CSV in UTF-8 with or without BOM or Windows-1252, `;` `,` or tab, or an
//! .xlsx; read by the same table reader as counts files) is checked
//! ([`read_changes`], pure) and loaded into `region_change` and the register
//! ([`import_changes`]) in one transaction, all or nothing.
//!
//! The Stichtag is the first day under the new key (`TT.MM.JJJJ`, `T.M.JJJJ`
//! or `JJJJ-MM-TT`). Several lines with one new key are a merger, several
//! with one old key a split. What loading does:
//!
//! - the old key is valid up to the day before the Stichtag (`valid_to`);
//!   a later `valid_to` that a register import set is corrected, an earlier
//!   one contradicts the file and is an error;
//! - an old key the register does not list is added: level from the key's
//!   length, name from `Name alt`, parent the Kreis or Land its key starts
//!   with, its own cell, valid up to the day before the Stichtag;
//! - the new key must be in the register, or be added by another line of
//!   the same file (as that line's old key: chains of changes in one file,
//!   in any order); it must still be valid on the Stichtag;
//! - a new key is valid only from its Stichtag on, unless the register knew
//!   it earlier (a `valid_from` before the Stichtag, from an older register
//!   import) or a line names it as both old and new key: that line says the
//!   key carries on (a Gemeinde that takes in others keeps its key and its
//!   earlier months);
//! - one key ends on one day: all lines of an old key share one Stichtag.
//!
//! Keys are strings: 2 (Land), 5 (Kreis) or 8 digits (AGS; a 12-digit ARS
//! becomes its AGS). Like counts files, a key that lost its leading zero in a
//! spreadsheet (1, 4 or 7 digits, first digit 1–9) is repaired with a
//! warning. Loaded changes are never overwritten or deleted; loading a file
//! again changes nothing and says so. `valid_from` of a region is the
//! earliest day the register knows the key to be valid: loading lowers it to
//! the last day of an old key and to the Stichtag of a new key.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use app::delivery::table::{find_columns, read_table, Cell, Table};
use app::delivery::validate::{parse_region, KeyRepair};
use app::delivery::{Finding, Message, Severity};
use app::regions::changes::{KeyChangeAnswer, KeyChangeLine};
use app::regions::{RegionKey, RegionLevel};
use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use super::format_number;

pub const COL_OLD_KEY: &str = "Schlüssel alt";
pub const COL_OLD_NAME: &str = "Name alt";
pub const COL_NEW_KEY: &str = "Schlüssel neu";
pub const COL_STICHTAG: &str = "Stichtag";
pub const EXPECTED_HEADER: &str = "Schlüssel alt;Name alt;Schlüssel neu;Stichtag";
pub const STICHTAG_RULE: &str = "Stichtag als TT.MM.JJJJ oder JJJJ-MM-TT angeben";
/// Longest accepted `Name alt`.
pub const NAME_MAX: usize = 200;
/// Items a summary line names before it says "und N weitere".
const LIST_MAX: usize = 20;

/// One checked line of a key-change file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyChange {
    /// Physical line (header = 1; spreadsheet row for .xlsx).
    pub line: u32,
    pub old_key: RegionKey,
    pub old_name: String,
    pub new_key: RegionKey,
    /// The first day under the new key.
    pub stichtag: NaiveDate,
}

impl KeyChange {
    /// Old and new key are the same: the key carries on.
    pub fn carries_on(&self) -> bool {
        self.old_key == self.new_key
    }

    /// The old key's last day.
    pub fn last_day(&self) -> NaiveDate {
        self.stichtag.pred_opt().unwrap_or(self.stichtag)
    }
}

/// A read key-change file: its changes (each pair once) and its warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeFile {
    pub changes: Vec<KeyChange>,
    pub warnings: Vec<Message>,
}

/// Reads and checks a key-change file. Any error refuses the whole file;
/// the `Err` then holds every finding (warnings included), by line.
pub fn read_changes(bytes: &[u8]) -> Result<ChangeFile, Vec<Message>> {
    changes_from_table(&read_table(bytes)?)
}

/// The rules on an already read table.
pub fn changes_from_table(table: &Table) -> Result<ChangeFile, Vec<Message>> {
    let columns = header_columns(table)?;
    let mut messages = Vec::new();
    let mut changes: Vec<KeyChange> = Vec::new();
    for (line, cells) in &table.rows {
        if cells.iter().all(|c| c.to_text().trim().is_empty()) {
            continue;
        }
        if cells.len() < table.header.len() && cells.iter().all(|c| matches!(c, Cell::Text(_))) {
            messages.push(Message::error(
                Some(*line),
                None,
                None,
                format!(
                    "{} Felder statt {} wie in der Kopfzeile",
                    cells.len(),
                    table.header.len()
                ),
            ));
            continue;
        }
        if let Some(change) = read_row(*line, cells, &columns, &mut messages) {
            changes.push(change);
        }
    }
    if changes.is_empty() && !messages.iter().any(|m| m.severity == Severity::Error) {
        messages.push(Message::error(
            Some(table.header_line),
            None,
            None,
            "Datei enthält keine Schlüsseländerungen, nur die Kopfzeile",
        ));
    }
    let changes = check_consistency(changes, &mut messages);
    if messages.iter().any(|m| m.severity == Severity::Error) {
        messages.sort_by_key(|m| m.line.unwrap_or(0));
        Err(messages)
    } else {
        Ok(ChangeFile {
            changes,
            warnings: messages,
        })
    }
}

/// Positions of the four columns.
struct Columns([usize; 4]);

fn header_columns(table: &Table) -> Result<Columns, Vec<Message>> {
    let line = Some(table.header_line);
    let names: Vec<String> = table.header.iter().map(|h| normalize_header(h)).collect();
    if names.iter().filter(|n| !n.is_empty()).count() == 1 {
        return Err(vec![Message::error(
            line,
            None,
            table.header.first().map(String::as_str),
            format!("Trennzeichen nicht erkannt: die Kopfzeile hat nur eine Spalte; erwartet {EXPECTED_HEADER}"),
        )]);
    }
    let wanted: [(&str, &[&str]); 4] = [
        (
            COL_OLD_KEY,
            &[
                "schlüssel alt",
                "alter schlüssel",
                "regionalschlüssel alt",
                "ags alt",
                "key alt",
                "old key",
            ],
        ),
        (
            COL_OLD_NAME,
            &[
                "name alt",
                "alter name",
                "bezeichnung alt",
                "gemeindename alt",
                "old name",
            ],
        ),
        (
            COL_NEW_KEY,
            &[
                "schlüssel neu",
                "neuer schlüssel",
                "regionalschlüssel neu",
                "ags neu",
                "key neu",
                "new key",
            ],
        ),
        (
            COL_STICHTAG,
            &[
                "stichtag",
                "gültig ab",
                "wirksam ab",
                "datum",
                "wirksamkeit",
            ],
        ),
    ];
    find_columns(
        table.header_line,
        &names,
        wanted,
        &format!("erwartet {EXPECTED_HEADER}"),
    )
    .map(Columns)
}

/// Lower case; quotes, brackets, `_` and `-` as blanks; `ue` of the
/// spelling without umlauts as `ü`.
fn normalize_header(raw: &str) -> String {
    raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '"')
        .to_lowercase()
        .replace("schluessel", "schlüssel")
        .replace("gueltig", "gültig")
        .split(|c: char| c.is_whitespace() || matches!(c, '_' | '-' | '(' | ')' | '"'))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn cell_text(cells: &[Cell], index: usize) -> String {
    cells
        .get(index)
        .map(|c| match c {
            Cell::Date(date) => date.format("%Y-%m-%d").to_string(),
            other => other.to_text(),
        })
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// One row; `None` if a cell breaks a rule (then `messages` has its error).
fn read_row(
    line: u32,
    cells: &[Cell],
    columns: &Columns,
    messages: &mut Vec<Message>,
) -> Option<KeyChange> {
    let [old_at, name_at, new_at, stichtag_at] = columns.0;
    let errors_before = error_count(messages);
    let mut key = |column: &'static str, index: usize| {
        let text = cell_text(cells, index);
        match read_key(&text) {
            Ok((key, warning)) => {
                if let Some(warning) = warning {
                    messages.push(Message::warning(
                        Some(line),
                        Some(column),
                        Some(&text),
                        warning,
                    ));
                }
                Some(key)
            }
            Err(rule) => {
                let shown = (!text.is_empty()).then_some(text.as_str());
                messages.push(Message::error(Some(line), Some(column), shown, rule));
                None
            }
        }
    };
    let old_key = key(COL_OLD_KEY, old_at);
    let new_key = key(COL_NEW_KEY, new_at);

    let old_name = cell_text(cells, name_at);
    if old_name.is_empty() {
        messages.push(Message::error(
            Some(line),
            Some(COL_OLD_NAME),
            None,
            "Wert fehlt: Name der Region unter dem alten Schlüssel angeben",
        ));
    } else if old_name.chars().any(char::is_control) {
        messages.push(Message::error(
            Some(line),
            Some(COL_OLD_NAME),
            Some(&old_name.replace(|c: char| c.is_control(), "�")),
            "Name enthält Steuerzeichen (z. B. Tabulator oder Nullzeichen)",
        ));
    } else if old_name.chars().count() > NAME_MAX {
        messages.push(Message::error(
            Some(line),
            Some(COL_OLD_NAME),
            Some(&old_name.chars().take(40).collect::<String>()),
            format!("Name zu lang: höchstens {NAME_MAX} Zeichen"),
        ));
    }

    let stichtag_text = cell_text(cells, stichtag_at);
    let stichtag = match parse_stichtag(&stichtag_text) {
        Ok(date) => Some(date),
        Err(rule) => {
            let shown = (!stichtag_text.is_empty()).then_some(stichtag_text.as_str());
            messages.push(Message::error(Some(line), Some(COL_STICHTAG), shown, rule));
            None
        }
    };

    if let (Some(old), Some(new)) = (&old_key, &new_key) {
        if old.level() != new.level() {
            messages.push(Message::error(
                Some(line),
                Some(COL_NEW_KEY),
                Some(new.as_str()),
                format!(
                    "Schlüssel neu ist ein {}schlüssel, Schlüssel alt ({old}) ein {}schlüssel; eine Schlüsseländerung bleibt auf einer Ebene",
                    new.level().label(),
                    old.level().label()
                ),
            ));
        }
    }
    if error_count(messages) > errors_before {
        return None;
    }
    Some(KeyChange {
        line,
        old_key: old_key?,
        old_name,
        new_key: new_key?,
        stichtag: stichtag?,
    })
}

fn error_count(messages: &[Message]) -> usize {
    messages
        .iter()
        .filter(|m| m.severity == Severity::Error)
        .count()
}

/// A key of a Land, Kreis or Gemeinde, repaired like in counts files.
fn read_key(text: &str) -> Result<(RegionKey, Option<String>), String> {
    if text.is_empty() {
        return Err("Wert fehlt: Regionalschlüssel angeben (2, 5 oder 8 Ziffern)".to_owned());
    }
    let (key, warning) = parse_region(text, KeyRepair::LeadingZero)?;
    match key.level() {
        RegionLevel::Bund => Err(
            "Der Bund („DE“) ändert seinen Schlüssel nicht; Länder, Kreise oder Gemeinden angeben"
                .to_owned(),
        ),
        RegionLevel::Land if !matches!(key.as_str().parse::<u8>(), Ok(1..=16)) => {
            Err("kein Landesschlüssel: Länder haben die Schlüssel 01 bis 16".to_owned())
        }
        _ => Ok((key, warning)),
    }
}

/// `TT.MM.JJJJ` (also `T.M.JJJJ`) or `JJJJ-MM-TT`; a real calendar day
/// with a four-digit year.
pub fn parse_stichtag(text: &str) -> Result<NaiveDate, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("Wert fehlt: {STICHTAG_RULE}"));
    }
    let dotted: Vec<&str> = text.split('.').collect();
    let dashed: Vec<&str> = text.split('-').collect();
    let (year, month, day) = match (dotted.as_slice(), dashed.as_slice()) {
        ([d, m, y], _) if d.len() <= 2 && m.len() <= 2 => (*y, *m, *d),
        (_, [y, m, d]) if y.len() == 4 && m.len() == 2 && d.len() == 2 => (*y, *m, *d),
        _ => return Err(STICHTAG_RULE.to_owned()),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if ![year, month, day].iter().all(|p| digits(p)) {
        return Err(STICHTAG_RULE.to_owned());
    }
    if year.len() != 4 {
        return Err(format!("Jahr „{year}“ nicht vierstellig; {STICHTAG_RULE}"));
    }
    let (y, m, d) = (
        year.parse::<i32>().unwrap_or(0),
        month.parse::<u32>().unwrap_or(0),
        day.parse::<u32>().unwrap_or(0),
    );
    if !(1900..=2099).contains(&y) {
        return Err(format!("Jahr {y} außerhalb 1900–2099"));
    }
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| "kein gültiges Kalenderdatum".to_owned())
}

/// Rules across lines: a pair once (an identical repetition is ignored with
/// a warning), one Stichtag per old key, a key that carries on ends nowhere.
fn check_consistency(changes: Vec<KeyChange>, messages: &mut Vec<Message>) -> Vec<KeyChange> {
    let mut kept: Vec<KeyChange> = Vec::with_capacity(changes.len());
    let mut pairs: HashMap<(RegionKey, RegionKey), usize> = HashMap::new();
    for change in changes {
        let pair = (change.old_key.clone(), change.new_key.clone());
        if let Some(&first) = pairs.get(&pair) {
            let earlier: &KeyChange = &kept[first];
            if earlier.stichtag == change.stichtag && earlier.old_name == change.old_name {
                messages.push(Message::warning(
                    Some(change.line),
                    None,
                    None,
                    format!(
                        "Zeile {} wiederholt Zeile {}; nur einmal übernommen",
                        change.line, earlier.line
                    ),
                ));
            } else {
                messages.push(Message::error(
                    Some(change.line),
                    Some(COL_OLD_KEY),
                    Some(change.old_key.as_str()),
                    format!(
                        "Änderung {} → {} steht schon in Zeile {} mit anderen Angaben",
                        change.old_key, change.new_key, earlier.line
                    ),
                ));
            }
            continue;
        }
        pairs.insert(pair, kept.len());
        kept.push(change);
    }

    // Per old key: its first line, ending or carrying on.
    let mut first_of: HashMap<&RegionKey, &KeyChange> = HashMap::new();
    for change in &kept {
        let Some(first) = first_of.get(&change.old_key) else {
            first_of.insert(&change.old_key, change);
            continue;
        };
        if first.carries_on() != change.carries_on() {
            let (ends, goes_on) = if change.carries_on() {
                (*first, change)
            } else {
                (change, *first)
            };
            messages.push(Message::error(
                Some(change.line),
                Some(COL_NEW_KEY),
                Some(change.new_key.as_str()),
                format!(
                    "{} kann nicht zugleich fortbestehen (Zeile {}) und durch {} ersetzt werden (Zeile {})",
                    change.old_key, goes_on.line, ends.new_key, ends.line
                ),
            ));
        } else if first.stichtag != change.stichtag {
            messages.push(Message::error(
                Some(change.line),
                Some(COL_STICHTAG),
                Some(&day(change.stichtag)),
                format!(
                    "{} hat in Zeile {} den Stichtag {}; ein Schlüssel endet an genau einem Tag",
                    change.old_key,
                    first.line,
                    day(first.stichtag)
                ),
            ));
        }
    }
    kept
}

fn day(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}

/// How a load reached the server, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadChannel {
    Cli,
    Browser,
    Api,
}

impl LoadChannel {
    fn as_db(self) -> &'static str {
        match self {
            Self::Cli => "cli",
            Self::Browser => "browser",
            Self::Api => "api",
        }
    }
}

/// Who loads the file, recorded with the changes.
#[derive(Debug, Clone, Copy)]
pub struct LoadMeta<'a> {
    pub channel: LoadChannel,
    pub user_id: Option<i64>,
    pub token_id: Option<i64>,
    pub file_name: Option<&'a str>,
}

/// What loading does with one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStatus {
    New,
    AlreadyLoaded,
    CarriesOn,
}

impl LineStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::New => "neu",
            Self::AlreadyLoaded => "schon geladen",
            Self::CarriesOn => "fortbestehend",
        }
    }
}

/// One line of the file and its effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineOutcome {
    pub change: KeyChange,
    pub new_name: String,
    pub status: LineStatus,
}

/// A region whose validity ends (or ends earlier than the register said).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedRegion {
    pub key: String,
    pub name: String,
    /// The end the register had before (`None`: open).
    pub previous: Option<NaiveDate>,
    pub valid_to: NaiveDate,
}

/// A region named with a date: added (valid up to), or valid from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatedRegion {
    pub key: String,
    pub name: String,
    pub date: NaiveDate,
}

/// What a load did (or, in a check, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSummary {
    pub dry_run: bool,
    pub lines: Vec<LineOutcome>,
    /// Old keys the register did not list, added (date: valid up to).
    pub added: Vec<DatedRegion>,
    pub closed: Vec<ClosedRegion>,
    /// New keys valid from their Stichtag only (date: the first valid day).
    pub starts: Vec<DatedRegion>,
    /// Warnings of the file and about stored values.
    pub warnings: Vec<Message>,
    /// The recorded load; `None` in a check or when nothing changed.
    pub load_id: Option<i64>,
    /// Whether the file changes anything (false: everything loaded before).
    pub changes_something: bool,
}

impl ChangeSummary {
    fn count(&self, status: LineStatus) -> usize {
        self.lines.iter().filter(|l| l.status == status).count()
    }

    /// The answer of the HTTP route.
    pub fn answer(&self) -> KeyChangeAnswer {
        let status = match (self.dry_run, self.changes_something) {
            (true, _) => "GEPRUEFT",
            (false, true) => "GESPEICHERT",
            (false, false) => "UNVERAENDERT",
        };
        KeyChangeAnswer {
            meldung: None,
            status: status.to_owned(),
            nur_pruefen: self.dry_run,
            zusammenfassung: self.to_string(),
            aenderungen: self
                .lines
                .iter()
                .map(|l| KeyChangeLine {
                    zeile: l.change.line,
                    schluessel_alt: l.change.old_key.to_string(),
                    name_alt: l.change.old_name.clone(),
                    schluessel_neu: l.change.new_key.to_string(),
                    name_neu: l.new_name.clone(),
                    stichtag: day(l.change.stichtag),
                    status: l.status.label().to_owned(),
                })
                .collect(),
            fehler: Vec::new(),
            hinweise: self.warnings.iter().map(Finding::from).collect(),
        }
    }
}

/// "14272 (Bautzen), 14292 (Kamenz) und 3 weitere"
fn listed<T>(items: &[T], show: impl Fn(&T) -> String) -> String {
    let mut shown: Vec<String> = items.iter().take(LIST_MAX).map(show).collect();
    if items.len() > LIST_MAX {
        shown.push(format!(
            "und {} weitere",
            format_number((items.len() - LIST_MAX) as i64)
        ));
    }
    shown.join(", ")
}

impl fmt::Display for ChangeSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.lines.len();
        let noun = if total == 1 {
            "Schlüsseländerung"
        } else {
            "Schlüsseländerungen"
        };
        if !self.changes_something {
            let lead = if self.dry_run {
                "Prüfung: nichts zu ändern"
            } else {
                "Nichts geändert"
            };
            write!(
                f,
                "{lead}: {} {noun} der Datei {} schon geladen.",
                format_number(total as i64),
                if total == 1 { "ist" } else { "sind alle" }
            )?;
        } else {
            if self.dry_run {
                write!(f, "Probelauf, nichts gespeichert: ")?;
            }
            write!(
                f,
                "{} {noun}: {} neu, {} schon geladen",
                format_number(total as i64),
                format_number(self.count(LineStatus::New) as i64),
                format_number(self.count(LineStatus::AlreadyLoaded) as i64),
            )?;
            let carrying = self.count(LineStatus::CarriesOn);
            if carrying > 0 {
                write!(f, ", {} fortbestehend", format_number(carrying as i64))?;
            }
            if !self.added.is_empty() {
                write!(
                    f,
                    "\nIns Gebietsregister aufgenommen: {}",
                    listed(&self.added, |r| format!(
                        "{} ({}), gültig bis {}",
                        r.key,
                        r.name,
                        day(r.date)
                    ))
                )?;
            }
            if !self.closed.is_empty() {
                write!(
                    f,
                    "\nGültigkeit beendet: {}",
                    listed(&self.closed, |r| match r.previous {
                        Some(previous) => format!(
                            "{} ({}) bis {} (bisher bis {})",
                            r.key,
                            r.name,
                            day(r.valid_to),
                            day(previous)
                        ),
                        None => format!("{} ({}) bis {}", r.key, r.name, day(r.valid_to)),
                    })
                )?;
            }
            if !self.starts.is_empty() {
                write!(
                    f,
                    "\nGültig erst ab dem Stichtag: {} (besteht ein Schlüssel schon vorher, etwa bei einer Eingliederung, eine Zeile mit ihm als altem und neuem Schlüssel ergänzen)",
                    listed(&self.starts, |r| format!("{} ({}) ab {}", r.key, r.name, day(r.date)))
                )?;
            }
        }
        for warning in &self.warnings {
            write!(f, "\nHinweis: {}", warning.render())?;
        }
        Ok(())
    }
}

/// Why a load stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum ChangeImportError {
    /// The file or a line breaks a rule.
    #[error("{}", render_messages(.0))]
    Rules(Vec<Message>),
    #[error("Datenbankfehler beim Laden der Schlüsseländerungen: {0}")]
    Database(#[from] sqlx::Error),
}

fn render_messages(messages: &[Message]) -> String {
    let mut out = format!(
        "Schlüsseländerungen abgelehnt, nichts gespeichert ({} Fehler)",
        error_count(messages)
    );
    for message in messages {
        out.push('\n');
        if message.severity == Severity::Warning {
            out.push_str("Hinweis: ");
        }
        out.push_str(&message.render());
    }
    out
}

impl ChangeImportError {
    /// The answer of the HTTP route for refused input.
    pub fn answer(&self, dry_run: bool) -> Option<KeyChangeAnswer> {
        let Self::Rules(messages) = self else {
            return None;
        };
        let (errors, warnings): (Vec<&Message>, Vec<&Message>) =
            messages.iter().partition(|m| m.severity == Severity::Error);
        Some(KeyChangeAnswer {
            meldung: None,
            status: if dry_run { "FEHLERHAFT" } else { "ABGELEHNT" }.to_owned(),
            nur_pruefen: dry_run,
            zusammenfassung: format!(
                "Schlüsseländerungen abgelehnt, nichts gespeichert ({} Fehler)",
                errors.len()
            ),
            aenderungen: Vec::new(),
            fehler: errors.into_iter().map(Finding::from).collect(),
            hinweise: warnings.into_iter().map(Finding::from).collect(),
        })
    }
}

/// Reads a key-change file and loads it; the one call behind the command
/// line, the HTTP route and the browser page.
pub async fn import_changes_file(
    pool: &PgPool,
    bytes: &[u8],
    meta: LoadMeta<'_>,
    dry_run: bool,
) -> Result<ChangeSummary, ChangeImportError> {
    let file = read_changes(bytes).map_err(ChangeImportError::Rules)?;
    import_changes(pool, &file, meta, dry_run).await
}

/// A region as the register has it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct StoredRegion {
    key: String,
    name: String,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
}

/// A stored key change.
#[derive(Debug, Clone, sqlx::FromRow)]
struct StoredChange {
    old_key: String,
    new_key: String,
    stichtag: NaiveDate,
}

/// Checks the changes against the register and the loaded changes and, unless
/// `dry_run` or nothing changes, stores them in one transaction.
pub async fn import_changes(
    pool: &PgPool,
    file: &ChangeFile,
    meta: LoadMeta<'_>,
    dry_run: bool,
) -> Result<ChangeSummary, ChangeImportError> {
    let mut tx = pool.begin().await?;
    if !dry_run {
        // One writer of the register at a time (the GV100AD import takes
        // the same lock); readers are not blocked.
        sqlx::query("LOCK TABLE region, region_change IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
    }
    let plan = plan(&mut tx, file).await?;
    let mut summary = plan.summary(dry_run);
    summary.warnings = file.warnings.clone();
    summary
        .warnings
        .extend(stored_value_warnings(&mut tx, &plan).await?);
    summary.warnings.extend(plan.warnings.iter().cloned());

    if dry_run || !summary.changes_something {
        tx.rollback().await?;
        return Ok(summary);
    }
    let load_id = store(&mut tx, &plan, meta, &summary.to_string()).await?;
    tx.commit().await?;
    summary.load_id = Some(load_id);
    tracing::info!(
        load.id = load_id,
        changes = summary.count(LineStatus::New) + summary.count(LineStatus::CarriesOn),
        added = summary.added.len(),
        closed = summary.closed.len(),
        "region key changes loaded"
    );
    Ok(summary)
}

/// Everything a load will write, checked.
struct Plan {
    lines: Vec<LineOutcome>,
    /// Old keys to insert: key, name, first and last known valid day.
    /// Coarser levels first.
    inserts: Vec<(RegionKey, String, NaiveDate, NaiveDate)>,
    /// key → (its name, previous end, new end)
    closes: BTreeMap<String, (String, Option<NaiveDate>, NaiveDate)>,
    /// key → the lowest `valid_from` the changes call for
    lower_from: BTreeMap<String, NaiveDate>,
    starts: Vec<DatedRegion>,
    warnings: Vec<Message>,
    /// New key → first valid day, for the check of stored values.
    begins: BTreeMap<String, NaiveDate>,
}

impl Plan {
    fn summary(&self, dry_run: bool) -> ChangeSummary {
        let changes_something = self
            .lines
            .iter()
            .any(|l| l.status != LineStatus::AlreadyLoaded)
            || !self.inserts.is_empty()
            || !self.closes.is_empty()
            || !self.lower_from.is_empty();
        ChangeSummary {
            dry_run,
            lines: self.lines.clone(),
            added: self
                .inserts
                .iter()
                .map(|(key, name, _, last)| DatedRegion {
                    key: key.to_string(),
                    name: name.clone(),
                    date: *last,
                })
                .collect(),
            closed: self
                .closes
                .iter()
                .map(|(key, (name, previous, valid_to))| ClosedRegion {
                    key: key.clone(),
                    name: name.clone(),
                    previous: *previous,
                    valid_to: *valid_to,
                })
                .collect(),
            starts: self.starts.clone(),
            warnings: Vec::new(),
            load_id: None,
            changes_something,
        }
    }
}

async fn plan(tx: &mut PgConnection, file: &ChangeFile) -> Result<Plan, ChangeImportError> {
    let changes = &file.changes;
    let mut keys: BTreeSet<String> = BTreeSet::new();
    for change in changes {
        keys.insert(change.old_key.to_string());
        keys.insert(change.new_key.to_string());
        if let Some(parent) = change.old_key.parent() {
            keys.insert(parent.to_string());
        }
    }
    let keys: Vec<String> = keys.into_iter().collect();
    let register: HashMap<String, StoredRegion> = sqlx::query_as::<_, StoredRegion>(
        "SELECT key, name, valid_from, valid_to FROM region WHERE key = ANY($1)",
    )
    .bind(&keys)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.key.clone(), r))
    .collect();
    let stored: Vec<StoredChange> = sqlx::query_as(
        "SELECT old_key, new_key, stichtag FROM region_change
         WHERE old_key = ANY($1) OR new_key = ANY($1)",
    )
    .bind(&keys)
    .fetch_all(&mut *tx)
    .await?;

    let mut errors: Vec<Message> = Vec::new();
    let mut warnings: Vec<Message> = Vec::new();
    let error = |change: &KeyChange, column: &'static str, value: &str, text: String| {
        Message::error(Some(change.line), Some(column), Some(value), text)
    };
    // Old keys this file ends (not those that carry on), with their line.
    let ending: HashMap<&str, &KeyChange> = changes
        .iter()
        .filter(|c| !c.carries_on())
        .map(|c| (c.old_key.as_str(), c))
        .collect();
    let known = |key: &str| register.contains_key(key) || ending.contains_key(key);

    let mut lines = Vec::with_capacity(changes.len());
    for change in changes {
        let (old, new) = (change.old_key.as_str(), change.new_key.as_str());
        let loaded = stored.iter().find(|s| s.old_key == old && s.new_key == new);
        if let Some(loaded) = loaded.filter(|l| l.stichtag != change.stichtag) {
            errors.push(error(
                change,
                COL_STICHTAG,
                &day(change.stichtag),
                format!(
                    "Die Änderung {old} → {new} ist schon mit Stichtag {} geladen; geladene Änderungen werden nicht überschrieben",
                    day(loaded.stichtag)
                ),
            ));
        }
        for other in stored
            .iter()
            .filter(|s| s.old_key == old && s.new_key != new)
        {
            if change.carries_on() || other.old_key == other.new_key {
                errors.push(error(
                    change,
                    COL_NEW_KEY,
                    new,
                    format!(
                        "Für {old} ist schon geladen: {} → {} ab {}; ein Schlüssel besteht entweder fort oder wird ersetzt",
                        other.old_key,
                        other.new_key,
                        day(other.stichtag)
                    ),
                ));
            } else if other.stichtag != change.stichtag {
                errors.push(error(
                    change,
                    COL_STICHTAG,
                    &day(change.stichtag),
                    format!(
                        "{old} endet laut geladener Änderung {old} → {} schon mit Stichtag {}; ein Schlüssel endet an genau einem Tag",
                        other.new_key,
                        day(other.stichtag)
                    ),
                ));
            }
        }

        // The new key: in the register or added by this file.
        if !known(new) {
            errors.push(error(
                change,
                COL_NEW_KEY,
                new,
                format!(
                    "Schlüssel neu {new} ist im Gebietsregister nicht vorhanden; erst das Gebietsverzeichnis importieren oder {new} in dieser Datei als Schlüssel alt aufführen"
                ),
            ));
        }

        // The old key: its name, its parent if it is added, its end.
        match register.get(old) {
            Some(region) => {
                if region.name != change.old_name {
                    warnings.push(Message::warning(
                        Some(change.line),
                        Some(COL_OLD_NAME),
                        Some(&change.old_name),
                        format!(
                            "Das Gebietsregister nennt {old} „{}“; dieser Name bleibt",
                            region.name
                        ),
                    ));
                }
                let contradicts = region
                    .valid_to
                    .filter(|to| !change.carries_on() && *to < change.last_day());
                if let Some(valid_to) = contradicts {
                    errors.push(error(
                        change,
                        COL_STICHTAG,
                        &day(change.stichtag),
                        format!(
                            "{old} ({}) gilt laut Gebietsregister nur bis {}; ein Stichtag {} (gültig bis {}) widerspricht dem",
                            region.name,
                            day(valid_to),
                            day(change.stichtag),
                            day(change.last_day())
                        ),
                    ));
                }
            }
            None if change.carries_on() => {}
            None => {
                let parent = change
                    .old_key
                    .parent()
                    .map(String::from)
                    .unwrap_or_default();
                if !known(&parent) {
                    errors.push(error(
                        change,
                        COL_OLD_KEY,
                        old,
                        format!(
                            "{old} fehlt im Gebietsregister und wird aufgenommen; dazu muss die übergeordnete Region {parent} im Register stehen oder in dieser Datei als Schlüssel alt aufgeführt sein"
                        ),
                    ));
                }
            }
        }

        let status = match loaded {
            Some(_) => LineStatus::AlreadyLoaded,
            None if change.carries_on() => LineStatus::CarriesOn,
            None => LineStatus::New,
        };
        let new_name = register
            .get(new)
            .map(|r| r.name.clone())
            .or_else(|| ending.get(new).map(|c| c.old_name.clone()))
            .unwrap_or_default();
        lines.push(LineOutcome {
            change: change.clone(),
            new_name,
            status,
        });
    }

    // The end of every key after this load: what this file says, else
    // what the register says.
    let end_of = |key: &str| -> Option<NaiveDate> {
        ending
            .get(key)
            .map(|c| c.last_day())
            .or_else(|| register.get(key).and_then(|r| r.valid_to))
    };
    for change in changes.iter().filter(|c| !c.carries_on()) {
        let new = change.new_key.as_str();
        if let Some(end) = end_of(new).filter(|end| *end < change.stichtag) {
            errors.push(error(
                change,
                COL_NEW_KEY,
                new,
                format!(
                    "{new} gilt nur bis {} und kann ab dem Stichtag {} nicht gelten",
                    day(end),
                    day(change.stichtag)
                ),
            ));
        }
    }
    if !errors.is_empty() {
        errors.extend(warnings);
        errors.extend(file.warnings.iter().cloned());
        errors.sort_by_key(|m| m.line.unwrap_or(0));
        return Err(ChangeImportError::Rules(errors));
    }

    // Inserts, coarser levels first (a Gemeinde's Kreis may be added too).
    let mut inserts: Vec<(RegionKey, String, NaiveDate)> = ending
        .values()
        .filter(|c| !register.contains_key(c.old_key.as_str()))
        .map(|c| (c.old_key.clone(), c.old_name.clone(), c.last_day()))
        .collect();
    inserts.sort_by_key(|(key, _, _)| (key.as_str().len(), key.clone()));

    let mut closes = BTreeMap::new();
    let mut lower_from: BTreeMap<String, NaiveDate> = BTreeMap::new();
    for (key, change) in &ending {
        if let Some(region) = register.get(*key) {
            if region.valid_to != Some(change.last_day()) {
                closes.insert(
                    key.to_string(),
                    (region.name.clone(), region.valid_to, change.last_day()),
                );
            }
            if region.valid_from > change.last_day() {
                lower_from.insert(key.to_string(), change.last_day());
            }
        }
    }

    // New keys: their earliest Stichtag over loaded and new changes.
    let carries_on = |key: &str| {
        changes
            .iter()
            .any(|c| c.carries_on() && c.old_key.as_str() == key)
            || stored.iter().any(|s| s.old_key == key && s.new_key == key)
    };
    let mut first_stichtag: BTreeMap<String, NaiveDate> = BTreeMap::new();
    let all_pairs = changes
        .iter()
        .map(|c| (c.old_key.as_str(), c.new_key.as_str(), c.stichtag))
        .chain(
            stored
                .iter()
                .map(|s| (s.old_key.as_str(), s.new_key.as_str(), s.stichtag)),
        );
    for (_, new, stichtag) in all_pairs.filter(|(old, new, _)| old != new) {
        let entry = first_stichtag.entry(new.to_owned()).or_insert(stichtag);
        *entry = (*entry).min(stichtag);
    }
    let mut starts = Vec::new();
    let mut begins = BTreeMap::new();
    let named_new: BTreeSet<&str> = changes
        .iter()
        .filter(|c| !c.carries_on())
        .map(|c| c.new_key.as_str())
        .collect();
    for new in named_new {
        let Some(&first) = first_stichtag.get(new) else {
            continue;
        };
        // The key's earliest known valid day after this load.
        let known_from = register
            .get(new)
            .map(|r| r.valid_from)
            .or_else(|| ending.get(new).map(|c| c.last_day()));
        if known_from.is_some_and(|from| from > first) {
            let lowered = lower_from.entry(new.to_owned()).or_insert(first);
            *lowered = (*lowered).min(first);
        }
        let known_earlier = known_from.is_some_and(|from| from < first);
        if !known_earlier && !carries_on(new) {
            let name = register
                .get(new)
                .map(|r| r.name.clone())
                .or_else(|| ending.get(new).map(|c| c.old_name.clone()))
                .unwrap_or_default();
            starts.push(DatedRegion {
                key: new.to_owned(),
                name,
                date: first,
            });
            begins.insert(new.to_owned(), first);
        }
    }
    // Keys being inserted get their `valid_from` at insert time.
    let inserts = inserts
        .into_iter()
        .map(|(key, name, last_day)| {
            let from = lower_from
                .remove(key.as_str())
                .map_or(last_day, |f| f.min(last_day));
            (key, name, from, last_day)
        })
        .collect();

    Ok(Plan {
        lines,
        inserts,
        closes,
        lower_from,
        starts,
        warnings,
        begins,
    })
}

/// Values already stored under a key for months the load makes invalid:
/// they stay, and the loader is told.
async fn stored_value_warnings(
    tx: &mut PgConnection,
    plan: &Plan,
) -> Result<Vec<Message>, ChangeImportError> {
    let mut keys = Vec::new();
    let mut after = Vec::new();
    let mut before = Vec::new();
    for (key, (_, _, valid_to)) in &plan.closes {
        keys.push(key.clone());
        after.push(Some(*valid_to));
        before.push(None::<NaiveDate>);
    }
    for (key, first) in &plan.begins {
        keys.push(key.clone());
        after.push(None);
        before.push(Some(*first));
    }
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, i64, NaiveDate, NaiveDate)> = sqlx::query_as(
        "SELECT k.key, count(*), min(t.month), max(t.month)
         FROM unnest($1::text[], $2::date[], $3::date[]) AS k(key, valid_to, valid_from)
         JOIN transaction_count t ON t.region_key = k.key
         WHERE t.month > k.valid_to OR t.month < date_trunc('month', k.valid_from)::date
         GROUP BY k.key ORDER BY k.key",
    )
    .bind(&keys)
    .bind(&after)
    .bind(&before)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(key, count, first, last)| {
            let month = |d: NaiveDate| d.format("%Y-%m").to_string();
            Message::warning(
                None,
                None,
                Some(&key),
                format!(
                    "Für {key} {} schon {} für Monate außerhalb der neuen Gültigkeit gespeichert ({} bis {}); sie bleiben erhalten, neue Lieferungen und Korrekturen dafür werden abgelehnt",
                    if count == 1 { "ist" } else { "sind" },
                    if count == 1 {
                        "1 Wert".to_owned()
                    } else {
                        format!("{} Werte", format_number(count))
                    },
                    month(first),
                    month(last)
                ),
            )
        })
        .collect())
}

async fn store(
    tx: &mut PgConnection,
    plan: &Plan,
    meta: LoadMeta<'_>,
    summary: &str,
) -> Result<i64, ChangeImportError> {
    let load_id: i64 = sqlx::query_scalar(
        "INSERT INTO region_change_load (user_id, token_id, channel, file_name, summary)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(meta.user_id)
    .bind(meta.token_id)
    .bind(meta.channel.as_db())
    .bind(meta.file_name)
    .bind(summary)
    .fetch_one(&mut *tx)
    .await?;

    for (key, name, first_day, last_day) in &plan.inserts {
        let parent = key.parent().map(String::from);
        sqlx::query(
            "INSERT INTO region (key, level, name, parent_key, cell_key, valid_from, valid_to)
             VALUES ($1, $2, $3, $4, $1, $5, $6)",
        )
        .bind(key.as_str())
        .bind(key.level())
        .bind(name)
        .bind(parent)
        .bind(*first_day)
        .bind(*last_day)
        .execute(&mut *tx)
        .await?;
    }
    for (key, (_, _, valid_to)) in &plan.closes {
        sqlx::query(
            "UPDATE region SET valid_to = $2, valid_from = LEAST(valid_from, $2) WHERE key = $1",
        )
        .bind(key)
        .bind(*valid_to)
        .execute(&mut *tx)
        .await?;
    }
    for (key, from) in &plan.lower_from {
        sqlx::query("UPDATE region SET valid_from = LEAST(valid_from, $2) WHERE key = $1")
            .bind(key)
            .bind(*from)
            .execute(&mut *tx)
            .await?;
    }
    for line in plan
        .lines
        .iter()
        .filter(|l| l.status != LineStatus::AlreadyLoaded)
    {
        let change = &line.change;
        sqlx::query(
            "INSERT INTO region_change (old_key, old_name, new_key, stichtag, load_id, line)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(change.old_key.as_str())
        .bind(&change.old_name)
        .bind(change.new_key.as_str())
        .bind(change.stichtag)
        .bind(load_id)
        .bind(change.line as i32)
        .execute(&mut *tx)
        .await?;
    }
    Ok(load_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// Line, column, value and text of each error.
    type Found = (Option<u32>, Option<String>, Option<String>, String);

    fn errors(bytes: &[u8]) -> Vec<Found> {
        read_changes(bytes)
            .unwrap_err()
            .into_iter()
            .filter(|m| m.severity == Severity::Error)
            .map(|m| (m.line, m.column, m.value, m.text))
            .collect()
    }

    #[test]
    fn reads_the_format_in_its_usual_shapes() {
        let file = read_changes(
            "\u{feff}Schlüssel alt;Name alt;Schlüssel neu;Stichtag\r\n14272;Bautzen;14625;01.08.2008\r\n14292;Kamenz;14625;2008-08-01\r\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(file.changes.len(), 2);
        assert_eq!(file.changes[1].line, 3);
        assert_eq!(file.changes[1].stichtag, date(2008, 8, 1));
        assert_eq!(file.changes[0].last_day(), date(2008, 7, 31));

        let file = read_changes(
            b"Schluessel_alt,Name_alt,Schluessel_neu,Stichtag\n1059101,Tastrup,1059126,1.3.2023\n",
        )
        .unwrap();
        assert_eq!(file.changes[0].old_key.as_str(), "01059101");
        assert_eq!(file.changes[0].new_key.as_str(), "01059126");
        let repaired: Vec<_> = file
            .warnings
            .iter()
            .map(|w| w.column.clone().unwrap())
            .collect();
        assert_eq!(repaired, [COL_OLD_KEY, COL_NEW_KEY]);
        assert!(file.warnings[0].text.contains("Führende Null ergänzt"));

        let file = read_changes(b"Schl\xfcssel alt\tName alt\tSchl\xfcssel neu\tStichtag\n14522450\tOstrau\t14522275\t01.01.2023\n").unwrap();
        assert_eq!(file.changes[0].old_name, "Ostrau");
    }

    #[test]
    fn every_bad_cell_is_named_by_line_column_and_value() {
        let found = errors(
            "Schlüssel alt;Name alt;Schlüssel neu;Stichtag\n14272;Bautzen;14625;31.02.2008\n142720;;DE;08/2008\n14272;Bautzen;14625010;01.08.08\n"
                .as_bytes(),
        );
        let short: Vec<_> = found
            .iter()
            .map(|(line, column, value, _)| (line.unwrap(), column.clone().unwrap(), value.clone()))
            .collect();
        assert_eq!(
            short,
            [
                (2, COL_STICHTAG.to_owned(), Some("31.02.2008".to_owned())),
                (3, COL_OLD_KEY.to_owned(), Some("142720".to_owned())),
                (3, COL_NEW_KEY.to_owned(), Some("DE".to_owned())),
                (3, COL_OLD_NAME.to_owned(), None),
                (3, COL_STICHTAG.to_owned(), Some("08/2008".to_owned())),
                (4, COL_STICHTAG.to_owned(), Some("01.08.08".to_owned())),
                (4, COL_NEW_KEY.to_owned(), Some("14625010".to_owned())),
            ]
        );
        assert_eq!(found[0].3, "kein gültiges Kalenderdatum");
        assert!(found[1].3.contains("6 Stellen"), "{}", found[1].3);
        assert!(found[2].3.contains("Der Bund"));
        assert!(found[5].3.contains("nicht vierstellig"));
        assert!(found[6]
            .3
            .contains("Gemeindeschlüssel, Schlüssel alt (14272) ein Kreisschlüssel"));
    }

    #[test]
    fn header_problems_are_named() {
        let found = errors(b"Schluessel alt;Name alt;Stichtag\n1;2;3\n");
        assert_eq!(found[0].1.as_deref(), Some(COL_NEW_KEY));
        assert!(found[0].3.contains(EXPECTED_HEADER));
        let found = errors(b"Schluessel alt Name alt\n");
        assert!(found[0].3.contains("Trennzeichen nicht erkannt"));
        let found = errors(b"Schluessel alt;Name alt;Schluessel neu;Stichtag\n");
        assert!(found[0].3.contains("keine Schlüsseländerungen"));
        let found = errors(b"Schluessel alt;Name alt;Schluessel neu;Stichtag\n14272;Bautzen\n");
        assert_eq!(found[0].0, Some(2));
        assert!(found[0].3.contains("2 Felder statt 4"));
    }

    #[test]
    fn lines_must_agree_with_each_other() {
        let found = errors(
            "Schlüssel alt;Name alt;Schlüssel neu;Stichtag\n\
             16061097;Uder;16061119;01.01.2024\n\
             16061097;Uder;16061120;01.02.2024\n\
             01059126;Hürup;01059126;01.03.2023\n\
             01059126;Hürup;01059999;01.03.2023\n\
             14272;Bautzen;14625;01.08.2008\n\
             14272;Bautzen;14625;01.09.2008\n"
                .as_bytes(),
        );
        let lines: Vec<u32> = found.iter().map(|f| f.0.unwrap()).collect();
        assert_eq!(lines, [3, 5, 7], "{found:?}");
        assert!(found[0].3.contains("endet an genau einem Tag"));
        assert!(found[1].3.contains("zugleich fortbestehen (Zeile 4)"));
        assert!(found[2].3.contains("steht schon in Zeile 6"));

        let file = read_changes(
            "Schlüssel alt;Name alt;Schlüssel neu;Stichtag\n14272;Bautzen;14625;01.08.2008\n14272;Bautzen;14625;2008-08-01\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(file.changes.len(), 1);
        assert!(file.warnings[0].text.contains("wiederholt Zeile 2"));
    }

    #[test]
    fn stichtag_forms() {
        assert_eq!(parse_stichtag("1.8.2008"), Ok(date(2008, 8, 1)));
        assert_eq!(parse_stichtag("01.08.2008"), Ok(date(2008, 8, 1)));
        assert_eq!(parse_stichtag("2008-08-01"), Ok(date(2008, 8, 1)));
        assert!(parse_stichtag("2008-8-1").is_err());
        assert!(parse_stichtag("08/01/2008").is_err());
        assert!(parse_stichtag("01.08.1850").unwrap_err().contains("1900"));
        assert!(parse_stichtag("").unwrap_err().contains("Wert fehlt"));
    }

    #[test]
    fn keys_are_those_of_laender_kreise_and_gemeinden() {
        assert_eq!(read_key("14").unwrap().0.as_str(), "14");
        assert_eq!(read_key("145215115430").unwrap().0.as_str(), "14521430");
        assert!(read_key("99").unwrap_err().contains("01 bis 16"));
        assert!(read_key("00").unwrap_err().contains("01 bis 16"));
        assert!(read_key("DE").unwrap_err().contains("Der Bund"));
        assert!(read_key("").unwrap_err().contains("Wert fehlt"));
        let (key, warning) = read_key("1001000").unwrap();
        assert_eq!(key.as_str(), "01001000");
        assert!(warning.unwrap().contains("Führende Null ergänzt"));
    }

    #[test]
    fn summary_reads_german() {
        let change = KeyChange {
            line: 2,
            old_key: RegionKey::parse("14272").unwrap(),
            old_name: "Bautzen".into(),
            new_key: RegionKey::parse("14625").unwrap(),
            stichtag: date(2008, 8, 1),
        };
        let summary = ChangeSummary {
            dry_run: true,
            lines: vec![LineOutcome {
                change,
                new_name: "Bautzen".into(),
                status: LineStatus::New,
            }],
            added: vec![DatedRegion {
                key: "14272".into(),
                name: "Bautzen".into(),
                date: date(2008, 7, 31),
            }],
            starts: vec![DatedRegion {
                key: "14625".into(),
                name: "Bautzen".into(),
                date: date(2008, 8, 1),
            }],
            changes_something: true,
            ..Default::default()
        };
        let text = summary.to_string();
        assert!(
            text.starts_with(
                "Probelauf, nichts gespeichert: 1 Schlüsseländerung: 1 neu, 0 schon geladen\n"
            ),
            "{text}"
        );
        assert!(text
            .contains("Ins Gebietsregister aufgenommen: 14272 (Bautzen), gültig bis 31.07.2008"));
        assert!(text.contains("Gültig erst ab dem Stichtag: 14625 (Bautzen) ab 01.08.2008"));
        assert_eq!(summary.answer().status, "GEPRUEFT");

        let unchanged = ChangeSummary {
            lines: summary.lines.clone(),
            ..Default::default()
        };
        assert_eq!(
            unchanged.to_string(),
            "Nichts geändert: 1 Schlüsseländerung der Datei ist schon geladen."
        );
        assert_eq!(unchanged.answer().status, "UNVERAENDERT");
    }
}
