//! Reads a JSON delivery (`{"lieferung_id", "modus", "dienste": [{"onlinedienst",
//! "werte": [{"region", "monat", "anzahl"}]}]}`) into raw records for the one
//! validation path. Values of the wrong JSON type are refused here by JSON
//! Pointer; every record keeps its pointer for the messages that follow.

use app::delivery::validate::{RawRecord, COL_COUNT, COL_MONTH, COL_REGION, COL_SERVICE};
use app::delivery::Message;
use serde_json::Value;

/// A parsed request.
pub struct JsonDelivery {
    pub lieferung_id: String,
    /// `modus` as the body gives it: `Some(true)` for `teilweise`.
    pub partial: Option<bool>,
    /// `"nur_pruefen": true` in the body.
    pub dry_run: bool,
    pub records: Vec<RawRecord>,
    /// `/dienste/{d}/werte/{w}` of record `line - 1`.
    pub pointers: Vec<String>,
    /// Findings about malformed values, by pointer.
    pub structural: Vec<Message>,
    /// Records refused for malformed values.
    pub rejected: u32,
}

impl JsonDelivery {
    pub fn pointer_of(&self, line: u32) -> Option<String> {
        self.pointers.get(line.checked_sub(1)? as usize).cloned()
    }

    /// Gives validation messages the pointer of their record and field, and
    /// names other records a message refers to ("Zeile 4") by pointer too.
    pub fn point(&self, message: &mut Message) {
        let Some(base) = message.line.and_then(|line| self.pointer_of(line)) else {
            return;
        };
        message.text = message.text_with_places(|line| self.pointer_of(line));
        let field = match message.column.as_deref() {
            Some(COL_SERVICE) => {
                // The service is named once per entry of `dienste`.
                let entry = base
                    .rsplit_once("/werte/")
                    .map_or(base.as_str(), |(entry, _)| entry);
                message.pointer = Some(format!("{entry}/onlinedienst"));
                return;
            }
            Some(COL_REGION) => "/region",
            Some(COL_MONTH) => "/monat",
            Some(COL_COUNT) => "/anzahl",
            _ => "",
        };
        message.pointer = Some(format!("{base}{field}"));
    }
}

fn error(pointer: String, value: Option<&Value>, text: impl Into<String>) -> Message {
    let mut message = Message::error(None, None, value.map(short).as_deref(), text);
    message.pointer = Some(pointer);
    message
}

fn short(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    text.chars().take(80).collect()
}

/// Reads the request; `Err` holds findings that make the whole request
/// unreadable (no `dienste`, no `lieferung_id`).
pub fn parse(body: &Value) -> Result<JsonDelivery, Vec<Message>> {
    let Some(root) = body.as_object() else {
        return Err(vec![error(
            String::new(),
            None,
            "Ein JSON-Objekt wird erwartet",
        )]);
    };
    let mut fatal = Vec::new();
    // A misspelt field is refused, never ignored: a lost "nur_pruefen"
    // would store what was only to be checked.
    for (key, value) in root {
        if !["lieferung_id", "modus", "nur_pruefen", "dienste"].contains(&key.as_str()) {
            fatal.push(error(
                format!("/{key}"),
                Some(value),
                format!("unbekanntes Feld „{key}“; erlaubt sind lieferung_id, modus, nur_pruefen und dienste"),
            ));
        }
    }
    let dry_run = match root.get("nur_pruefen") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        other => {
            fatal.push(error(
                "/nur_pruefen".into(),
                other,
                "nur_pruefen ist true oder false",
            ));
            false
        }
    };
    let lieferung_id = match root.get("lieferung_id") {
        Some(Value::String(id))
            if !id.trim().is_empty() && id.len() <= 200 && !id.chars().any(char::is_control) =>
        {
            id.trim().to_owned()
        }
        other => {
            fatal.push(error(
                "/lieferung_id".into(),
                other,
                "lieferung_id fehlt oder ist keine Zeichenkette: eine eindeutige Zeichenkette (1–200 Zeichen) je Lieferung angeben",
            ));
            String::new()
        }
    };
    let partial = match root.get("modus") {
        None | Some(Value::Null) => None,
        Some(Value::String(m)) if m == "atomar" => Some(false),
        Some(Value::String(m)) if m == "teilweise" => Some(true),
        other => {
            fatal.push(error(
                "/modus".into(),
                other,
                "modus ist „atomar“ (Standard) oder „teilweise“",
            ));
            None
        }
    };
    let Some(dienste) = root.get("dienste").and_then(Value::as_array) else {
        fatal.push(error(
            "/dienste".into(),
            root.get("dienste"),
            "dienste fehlt: eine Liste von Onlinediensten",
        ));
        return Err(fatal);
    };
    if !fatal.is_empty() {
        return Err(fatal);
    }

    let mut delivery = JsonDelivery {
        lieferung_id,
        partial,
        dry_run,
        records: Vec::new(),
        pointers: Vec::new(),
        structural: Vec::new(),
        rejected: 0,
    };
    for (d, dienst) in dienste.iter().enumerate() {
        let entry = format!("/dienste/{d}");
        let werte = dienst.get("werte").and_then(Value::as_array);
        let service = dienst.get("onlinedienst");
        let mut service = match service {
            Some(Value::String(s)) => Some(s.clone()),
            other => {
                delivery.structural.push(error(
                    format!("{entry}/onlinedienst"),
                    other,
                    "onlinedienst muss die ID des Onlinedienstes als Zeichenkette sein",
                ));
                None
            }
        };
        // An entry with a misspelt field is refused with all its values.
        let unknown = dienst.as_object().into_iter().flat_map(|fields| {
            fields
                .keys()
                .filter(|key| !["onlinedienst", "werte"].contains(&key.as_str()))
        });
        for key in unknown {
            delivery.structural.push(error(
                format!("{entry}/{key}"),
                None,
                format!(
                    "unbekanntes Feld „{key}“; ein Eintrag von dienste hat onlinedienst und werte"
                ),
            ));
            service = None;
        }
        let Some(werte) = werte else {
            delivery.structural.push(error(
                format!("{entry}/werte"),
                dienst.get("werte"),
                "werte muss eine Liste sein",
            ));
            continue;
        };
        for (w, wert) in werte.iter().enumerate() {
            let pointer = format!("{entry}/werte/{w}");
            match (&service, record(&pointer, wert)) {
                (Some(service), Ok((region, month, count))) => {
                    delivery.pointers.push(pointer);
                    delivery.records.push(RawRecord {
                        line: delivery.pointers.len() as u32,
                        service: service.clone(),
                        region,
                        month,
                        count,
                    });
                }
                (_, Err(messages)) => {
                    delivery.structural.extend(messages);
                    delivery.rejected += 1;
                }
                (None, Ok(_)) => delivery.rejected += 1,
            }
        }
    }
    Ok(delivery)
}

/// The three fields of one value, or why their JSON types are wrong.
fn record(pointer: &str, wert: &Value) -> Result<(String, String, String), Vec<Message>> {
    let Some(fields) = wert.as_object() else {
        return Err(vec![error(
            pointer.to_owned(),
            Some(wert),
            "Ein Objekt {region, monat, anzahl} wird erwartet",
        )]);
    };
    let mut errors = Vec::new();
    for key in fields.keys() {
        if !["region", "monat", "anzahl"].contains(&key.as_str()) {
            errors.push(error(
                format!("{pointer}/{key}"),
                None,
                format!("unbekanntes Feld „{key}“; ein Wert hat region, monat und anzahl"),
            ));
        }
    }
    let mut text = |name: &str, what: &str| match fields.get(name) {
        Some(Value::String(s)) => Some(s.clone()),
        None | Some(Value::Null) => {
            errors.push(error(
                format!("{pointer}/{name}"),
                None,
                format!("{name} fehlt"),
            ));
            None
        }
        Some(other) => {
            errors.push(error(
                format!("{pointer}/{name}"),
                Some(other),
                format!("{name} muss eine Zeichenkette sein ({what}), keine Zahl: führende Nullen gingen sonst verloren"),
            ));
            None
        }
    };
    let region = text("region", "Regionalschlüssel wie \"01001000\" oder \"DE\"");
    let month = text("monat", "JJJJ-MM");
    let count = match fields.get("anzahl") {
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        None | Some(Value::Null) => {
            errors.push(error(
                format!("{pointer}/anzahl"),
                None,
                "anzahl fehlt (0 ist ein Wert, fehlend nicht)",
            ));
            None
        }
        Some(other) => {
            errors.push(error(
                format!("{pointer}/anzahl"),
                Some(other),
                "anzahl muss eine ganze Zahl ≥ 0 sein",
            ));
            None
        }
    };
    match (region, month, count) {
        (Some(r), Some(m), Some(c)) if errors.is_empty() => Ok((r, m, c)),
        _ => Err(errors),
    }
}
