//! The shapes of the import API: the request (also what the read-back
//! returns) and the answer of every delivery call: counts that add up (received = valid +
//! rejected), what was stored, and each finding by JSON Pointer or by line
//! and column.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::{store::Outcome, Message, RowStatus, Severity};

/// `POST /api/v1/lieferungen`: counts of one or more online services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeliveryRequest {
    /// The client's id of this delivery; the same id again returns the
    /// first answer and stores nothing twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lieferung_id: Option<String>,
    /// `atomar` (default: any error stores nothing) or `teilweise`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modus: Option<String>,
    /// `true`: run every check and store nothing (as `?nur_pruefen=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nur_pruefen: Option<bool>,
    pub dienste: Vec<ServiceValues>,
}

/// The values of one online service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceValues {
    /// The online service's ID.
    pub onlinedienst: String,
    pub werte: Vec<CountValue>,
}

/// One transaction count: region, month, number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CountValue {
    /// Region key as a string: `DE`, Land (2), Kreis (5), AGS (8) or ARS (12 digits).
    pub region: String,
    /// `JJJJ-MM`.
    pub monat: String,
    /// A whole number ≥ 0; 0 is a value, a missing value is not 0.
    pub anzahl: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Finding {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zeile: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spalte: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wert: Option<String>,
    pub meldung: String,
}

#[cfg(feature = "ssr")]
impl From<&Message> for Finding {
    fn from(m: &Message) -> Self {
        Self {
            pointer: m.pointer.clone(),
            zeile: if m.pointer.is_some() { None } else { m.line },
            spalte: if m.pointer.is_some() {
                None
            } else {
                m.column.clone()
            },
            wert: m.value.clone(),
            meldung: m.text.clone(),
        }
    }
}

/// One accepted record and what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecordResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zeile: Option<u32>,
    pub onlinedienst: String,
    pub region: String,
    pub monat: String,
    pub anzahl: i64,
    /// neu, korrigiert or unveraendert.
    pub status: String,
    /// The value a correction replaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Answer {
    /// A message about the whole request (e.g. not logged in, too large,
    /// the same file already stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meldung: Option<String>,
    /// The job of a file delivery (`auftrag-<Nummer>`), which
    /// `GET /api/v1/lieferungen/{auftrag}` answers again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auftrag: Option<String>,
    /// The same file was stored before: this is that delivery's answer and
    /// nothing was stored again.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub bereits_gespeichert: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lieferung_id: Option<String>,
    /// GESPEICHERT, TEILWEISE, ABGELEHNT; for a dry run GEPRUEFT or FEHLERHAFT.
    pub status: String,
    pub modus: String,
    pub nur_pruefen: bool,
    pub empfangen: u32,
    pub gueltig: u32,
    pub fehlerhaft: u32,
    /// Values written: new ones and corrections (unchanged ones are not).
    pub gespeichert: u32,
    pub neu: u32,
    pub korrigiert: u32,
    pub unveraendert: u32,
    pub ignoriert: u32,
    /// The stored delivery's number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lieferung: Option<i64>,
    pub fehler: Vec<Finding>,
    pub hinweise: Vec<Finding>,
    /// What each accepted record did; for large deliveries only the first
    /// `MAX_RESULTS` (the counts above cover all).
    pub ergebnisse: Vec<RecordResult>,
    /// Whether `ergebnisse` was cut at `MAX_RESULTS`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ergebnisse_gekuerzt: bool,
    /// Whether `fehler` or `hinweise` were cut at `MAX_RESULTS` each (the
    /// counts above cover all).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub meldungen_gekuerzt: bool,
}

/// The state of a file delivery that runs as a background job: the body
/// of `202 Accepted`, and of `GET /api/v1/lieferungen/{auftrag}` while the
/// job waits or runs. Once it is finished, that call answers the final
/// [`Answer`] with its own status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct JobStatus {
    /// The job's id, `auftrag-<Nummer>`.
    pub auftrag: String,
    /// `wartend` or `laufend`.
    pub zustand: String,
    /// While running: `lesen` (the file), `pruefen` (the rows) or
    /// `schreiben` (the values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Rows of the current phase done so far (`schreiben`: values written).
    pub zeilen_fertig: u32,
    /// Rows of the current phase, once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zeilen_gesamt: Option<u32>,
    /// Progress of the whole job, 0–100.
    pub prozent: u8,
    /// Where to ask again (about once a second).
    pub abfrage: String,
    /// The state in words, for people.
    pub meldung: String,
}

impl JobStatus {
    /// "Werte werden gespeichert: 40.000 von 120.000 (45 %)".
    pub fn describe(
        state: &str,
        phase: Option<&str>,
        done: u32,
        total: Option<u32>,
        percent: u8,
    ) -> String {
        let number = |n: u32| crate::ui::format_number(i64::from(n));
        let of_total = total
            .map(|t| format!(": {} von {}", number(done), number(t)))
            .unwrap_or_default();
        match (state, phase) {
            ("wartend", _) => "Wartet auf den Start …".to_owned(),
            (_, Some("lesen")) => format!("Datei wird gelesen ({percent} %)"),
            (_, Some("pruefen")) => format!(
                "{} Zeilen werden geprüft ({percent} %)",
                total.map(number).unwrap_or_default()
            ),
            (_, Some("schreiben")) => {
                format!("Werte werden gespeichert{of_total} ({percent} %)")
            }
            _ => format!("Wird bearbeitet ({percent} %)"),
        }
    }
}

/// The most per-record results an answer lists.
#[cfg(feature = "ssr")]
const MAX_RESULTS: usize = 5_000;

impl Finding {
    /// "Zeile 3, Spalte Anzahl („12,5“): …" or "/dienste/0/werte/1/monat …".
    pub fn render(&self) -> String {
        let place = match (&self.pointer, self.zeile, &self.spalte) {
            (Some(pointer), _, _) => pointer.clone(),
            (None, Some(line), Some(column)) => format!("Zeile {line}, Spalte {column}"),
            (None, Some(line), None) => format!("Zeile {line}"),
            _ => String::new(),
        };
        let value = self
            .wert
            .as_ref()
            .map(|v| format!(" („{v}“)"))
            .unwrap_or_default();
        if place.is_empty() {
            self.meldung.clone()
        } else {
            format!("{place}{value}: {}", self.meldung)
        }
    }
}

#[cfg(feature = "ssr")]
impl Answer {
    /// Builds the answer; `structural` are findings made before validation
    /// (malformed JSON values), `pointer_of` names a record.
    pub fn new(
        outcome: &Outcome,
        mut structural: Vec<Message>,
        partial: bool,
        dry_run: bool,
        pointer_of: impl Fn(u32) -> Option<String>,
    ) -> (u16, Self) {
        structural.extend(outcome.messages.iter().cloned());
        let mut seen = std::collections::HashSet::new();
        let (mut fehler, mut hinweise) = (Vec::new(), Vec::new());
        for message in &structural {
            let finding = Finding::from(message);
            if !seen.insert((
                finding.pointer.clone(),
                finding.zeile,
                finding.spalte.clone(),
                finding.meldung.clone(),
            )) {
                continue;
            }
            match message.severity {
                Severity::Error => fehler.push(finding),
                Severity::Warning => hinweise.push(finding),
            }
        }

        let counts = outcome.counts;
        if counts.received == 0 && fehler.is_empty() {
            fehler.push(Finding {
                pointer: None,
                zeile: None,
                spalte: None,
                wert: None,
                meldung: "Die Lieferung enthält keine Werte".to_owned(),
            });
        }
        let empfangen = counts.received;
        let fehlerhaft = counts.rejected;
        let stored = outcome.delivery_id.is_some();
        let accepted = counts.new + counts.corrected + counts.unchanged;
        let (status, code) = match (dry_run, fehler.is_empty(), stored) {
            (true, true, _) => ("GEPRUEFT", 200),
            (true, false, _) if partial && accepted > 0 => ("FEHLERHAFT", 207),
            (true, false, _) => ("FEHLERHAFT", 422),
            (false, true, _) => ("GESPEICHERT", 200),
            (false, false, true) => ("TEILWEISE", 207),
            (false, false, false) => ("ABGELEHNT", 422),
        };
        let ergebnisse = outcome
            .rows()
            .take(MAX_RESULTS)
            .map(|row| {
                let pointer = pointer_of(row.line);
                let (status, alt) = match row.status {
                    RowStatus::New => ("neu", None),
                    RowStatus::Correction { old } => ("korrigiert", Some(old)),
                    RowStatus::Unchanged => ("unveraendert", None),
                };
                RecordResult {
                    zeile: if pointer.is_some() {
                        None
                    } else {
                        Some(row.line)
                    },
                    pointer,
                    onlinedienst: row.service_id.clone(),
                    region: row.region_key.clone(),
                    monat: row.month.to_string(),
                    anzahl: row.count,
                    status: status.to_owned(),
                    alt,
                }
            })
            .collect();
        let meldungen_gekuerzt = fehler.len() > MAX_RESULTS || hinweise.len() > MAX_RESULTS;
        fehler.truncate(MAX_RESULTS);
        hinweise.truncate(MAX_RESULTS);
        let answer = Self {
            meldung: None,
            auftrag: None,
            bereits_gespeichert: false,
            lieferung_id: None,
            status: status.to_owned(),
            modus: if partial { "teilweise" } else { "atomar" }.to_owned(),
            nur_pruefen: dry_run,
            empfangen,
            gueltig: empfangen - fehlerhaft,
            fehlerhaft,
            gespeichert: if stored {
                counts.new + counts.corrected
            } else {
                0
            },
            neu: counts.new,
            korrigiert: counts.corrected,
            unveraendert: counts.unchanged,
            ignoriert: counts.ignored,
            lieferung: outcome.delivery_id,
            fehler,
            hinweise,
            ergebnisse,
            ergebnisse_gekuerzt: outcome.records.len() > MAX_RESULTS,
            meldungen_gekuerzt,
        };
        (code, answer)
    }
}
