//! The answer of every delivery call: counts that add up (received = valid +
//! rejected), what was stored, and each finding by JSON Pointer or by line
//! and column.

use app::delivery::store::Outcome;
use app::delivery::{Message, RowStatus, Severity};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zeile: Option<u32>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lieferung_id: Option<String>,
    /// GESPEICHERT, TEILWEISE, ABGELEHNT; for a dry run GEPRUEFT or FEHLERHAFT.
    pub status: String,
    pub modus: String,
    pub nur_pruefen: bool,
    pub empfangen: u32,
    pub gueltig: u32,
    pub fehlerhaft: u32,
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
    pub ergebnisse: Vec<RecordResult>,
}

impl Answer {
    /// Builds the answer; `extra_rejected` counts records refused before
    /// validation (malformed JSON values), `pointer_of` names a record.
    pub fn new(
        outcome: &Outcome,
        mut structural: Vec<Message>,
        extra_rejected: u32,
        partial: bool,
        dry_run: bool,
        pointer_of: impl Fn(u32) -> Option<String>,
    ) -> (StatusCode, Self) {
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
        let empfangen = counts.received + extra_rejected;
        let fehlerhaft = counts.rejected + extra_rejected;
        let stored = outcome.delivery_id.is_some();
        let accepted = counts.new + counts.corrected + counts.unchanged;
        let (status, code) = match (dry_run, fehler.is_empty(), stored) {
            (true, true, _) => ("GEPRUEFT", StatusCode::OK),
            (true, false, _) if partial && accepted > 0 => ("FEHLERHAFT", StatusCode::MULTI_STATUS),
            (true, false, _) => ("FEHLERHAFT", StatusCode::UNPROCESSABLE_ENTITY),
            (false, true, _) => ("GESPEICHERT", StatusCode::OK),
            (false, false, true) => ("TEILWEISE", StatusCode::MULTI_STATUS),
            (false, false, false) => ("ABGELEHNT", StatusCode::UNPROCESSABLE_ENTITY),
        };
        let ergebnisse = outcome
            .rows
            .iter()
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
                    status: status.to_owned(),
                    alt,
                }
            })
            .collect();
        let answer = Self {
            lieferung_id: None,
            status: status.to_owned(),
            modus: if partial { "teilweise" } else { "atomar" }.to_owned(),
            nur_pruefen: dry_run,
            empfangen,
            gueltig: empfangen - fehlerhaft,
            fehlerhaft,
            gespeichert: if stored { accepted } else { 0 },
            neu: counts.new,
            korrigiert: counts.corrected,
            unveraendert: counts.unchanged,
            ignoriert: counts.ignored,
            lieferung: outcome.delivery_id,
            fehler,
            hinweise,
            ergebnisse,
        };
        (code, answer)
    }
}
