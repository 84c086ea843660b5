//! Master-data import of online services: a file
//! `Onlinedienst-ID;Name;LeiKa;OZG-ID;Typ;URL;Betreiber[;Granularität]`
//! (CSV or .xlsx) is read and checked ([`read_master_data`], pure), then
//! stored ([`import_master_data`]) in one transaction, all or nothing.
//!
//! Per service the import says whether it is new, changed (which fields) or
//! unchanged. Fields the file does not carry (EfA, portal, go-live,
//! publication, focus) are kept; so is the granularity of an existing service
//! when the file has no Granularität column.
//!
//! Who may import what ([`MasterDataScope`]): the ZSK team any organisation's
//! services, creating operators that do not exist yet (level `kommune`); an
//! organisation only its own services.

pub mod parse;

use std::collections::HashMap;
use std::fmt;

use app::delivery::{Message, Severity};
use app::services::Granularity;
use app::ui::format_number;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};

pub use parse::{
    master_data_from_table, read_master_data, read_master_data_file, MasterDataFile, ServiceRecord,
    EXPECTED_HEADER,
};
use parse::{
    COL_GRANULARITY, COL_ID, COL_LEIKA, COL_NAME, COL_OPERATOR, COL_OZG, COL_TYP, COL_URL,
};

/// Whose master data an import may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MasterDataScope {
    /// The ZSK team: any organisation; unknown operators are created.
    Admin,
    /// An organisation (by id): only services it operates, only itself as Betreiber.
    Organisation(i64),
}

/// What the import does with one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceStatus {
    Created,
    Changed,
    Unchanged,
}

impl ServiceStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Created => "neu",
            Self::Changed => "geändert",
            Self::Unchanged => "unverändert",
        }
    }
}

/// The outcome for one service of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceOutcome {
    pub line: u32,
    pub id: String,
    pub status: ServiceStatus,
    /// For a changed service, the columns that changed (`Name`, `URL`, …).
    pub changed: Vec<String>,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterDataSummary {
    pub dry_run: bool,
    pub created: u32,
    pub changed: u32,
    pub unchanged: u32,
    pub services: Vec<ServiceOutcome>,
    /// Operators that did not exist and were (or would be) created, level `kommune`.
    pub organisations_created: Vec<String>,
    /// Warnings of the file (see [`read_master_data_file`]); the import itself adds none.
    pub warnings: Vec<Message>,
}

impl MasterDataSummary {
    pub fn total(&self) -> u32 {
        self.created + self.changed + self.unchanged
    }

    pub fn status_of(&self, id: &str) -> Option<ServiceStatus> {
        self.services.iter().find(|s| s.id == id).map(|s| s.status)
    }
}

/// "2 Onlinedienste: 2 neu, 0 geändert, 0 unverändert; Organisation „…“ angelegt"
impl fmt::Display for MasterDataSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |v: u32| format_number(i64::from(v));
        if self.dry_run {
            write!(f, "Probelauf, nichts gespeichert: ")?;
        }
        let noun = if self.total() == 1 {
            "Onlinedienst"
        } else {
            "Onlinedienste"
        };
        write!(
            f,
            "{} {noun}: {} neu, {} geändert, {} unverändert",
            n(self.total()),
            n(self.created),
            n(self.changed),
            n(self.unchanged)
        )?;
        if !self.organisations_created.is_empty() {
            let names: Vec<String> = self
                .organisations_created
                .iter()
                .map(|o| format!("„{o}“"))
                .collect();
            let (noun, verb) = match (names.len(), self.dry_run) {
                (1, false) => ("Organisation", "angelegt"),
                (1, true) => ("Organisation", "würde angelegt"),
                (_, false) => ("Organisationen", "angelegt"),
                (_, true) => ("Organisationen", "würden angelegt"),
            };
            write!(f, "; {noun} {} {verb}", names.join(", "))?;
        }
        for warning in &self.warnings {
            write!(f, "\nHinweis: {}", warning.render())?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MasterDataError {
    /// The file or a record breaks a rule; nothing was stored.
    #[error("{}", render_messages(.0))]
    Rules(Vec<Message>),
    #[error("Datenbankfehler beim Stammdatenimport: {0}")]
    Database(#[from] sqlx::Error),
}

fn render_messages(messages: &[Message]) -> String {
    let errors = messages
        .iter()
        .filter(|m| m.severity == Severity::Error)
        .count();
    let mut out = format!("Stammdaten abgelehnt, nichts gespeichert ({errors} Fehler)");
    for message in messages {
        out.push('\n');
        out.push_str(&message.render());
    }
    out
}

/// Reads a master-data file and imports it; the file's warnings go into the
/// summary. The one call behind the CLI and the HTTP route.
pub async fn import_master_data_file(
    pool: &PgPool,
    bytes: &[u8],
    scope: MasterDataScope,
    dry_run: bool,
) -> Result<MasterDataSummary, MasterDataError> {
    let file = read_master_data_file(bytes).map_err(MasterDataError::Rules)?;
    let mut summary = import_master_data(pool, &file.records, scope, dry_run).await?;
    summary.warnings = file.warnings;
    Ok(summary)
}

/// A service as stored, in the fields the file carries.
#[derive(Debug, Clone, sqlx::FromRow)]
struct StoredService {
    id: String,
    name: String,
    organisation_id: i64,
    granularity: Option<Granularity>,
    url: Option<String>,
    leika_key: Option<String>,
    ozg_id: Option<String>,
    leistungstyp: Option<i16>,
}

/// Stores checked records in one transaction: all or nothing. Records are
/// checked again (the same rules as the file), IDs must be unique. In a dry
/// run everything is checked and classified, and nothing is written.
pub async fn import_master_data(
    pool: &PgPool,
    records: &[ServiceRecord],
    scope: MasterDataScope,
    dry_run: bool,
) -> Result<MasterDataSummary, MasterDataError> {
    let mut errors: Vec<Message> = records.iter().flat_map(ServiceRecord::check).collect();
    let mut first_line: HashMap<&str, u32> = HashMap::new();
    for record in records {
        if let Some(first) = first_line.insert(&record.id, record.line) {
            errors.push(Message::error(
                Some(record.line),
                Some(COL_ID),
                Some(&record.id),
                format!(
                    "Onlinedienst-ID kommt zweimal vor (Zeilen {first} und {})",
                    record.line
                ),
            ));
            first_line.insert(&record.id, first);
        }
    }
    if !errors.is_empty() {
        return Err(MasterDataError::Rules(errors));
    }

    let mut tx = pool.begin().await?;
    let result = classify_and_store(&mut tx, records, scope, dry_run).await;
    match result {
        Ok(summary) if !dry_run => {
            tx.commit().await?;
            Ok(summary)
        }
        other => {
            tx.rollback().await?;
            other
        }
    }
}

async fn classify_and_store(
    tx: &mut PgConnection,
    records: &[ServiceRecord],
    scope: MasterDataScope,
    dry_run: bool,
) -> Result<MasterDataSummary, MasterDataError> {
    // Operators by name: exactly as written, else one differing only in case.
    let names: Vec<String> = unique(records.iter().map(|r| r.operator.clone()));
    let known: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM organisation WHERE lower(name) = ANY($1) ORDER BY id")
            .bind(names.iter().map(|n| n.to_lowercase()).collect::<Vec<_>>())
            .fetch_all(&mut *tx)
            .await?;
    let resolve = |name: &str| -> Option<i64> {
        known
            .iter()
            .find(|(_, n)| n == name)
            .map(|(id, _)| *id)
            .or_else(|| {
                let mut folded = known
                    .iter()
                    .filter(|(_, n)| n.to_lowercase() == name.to_lowercase());
                match (folded.next(), folded.next()) {
                    (Some((id, _)), None) => Some(*id),
                    _ => None,
                }
            })
    };

    let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
    let lock = if dry_run { "" } else { " FOR UPDATE" };
    let stored: Vec<StoredService> = sqlx::query_as(&format!(
        "SELECT id, name, organisation_id, granularity, url, leika_key, ozg_id, leistungstyp
         FROM online_service WHERE id = ANY($1){lock}"
    ))
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    let stored: HashMap<&str, &StoredService> = stored.iter().map(|s| (s.id.as_str(), s)).collect();

    let own = match scope {
        MasterDataScope::Admin => None,
        MasterDataScope::Organisation(id) => {
            let name: Option<String> =
                sqlx::query_scalar("SELECT name FROM organisation WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            match name {
                Some(name) => Some((id, name)),
                None => {
                    return Err(MasterDataError::Rules(vec![Message::error(
                        None,
                        None,
                        None,
                        format!("Organisation {id} gibt es nicht"),
                    )]))
                }
            }
        }
    };

    let mut errors = Vec::new();
    let mut to_create: Vec<String> = Vec::new();
    // Per record: its operator's id, or None while it is still to be created.
    let mut operators: Vec<Option<i64>> = Vec::with_capacity(records.len());
    for record in records {
        let operator = resolve(&record.operator);
        if let Some((own_id, own_name)) = &own {
            if operator != Some(*own_id) {
                errors.push(Message::error(
                    Some(record.line),
                    Some(COL_OPERATOR),
                    Some(&record.operator),
                    format!(
                        "Betreiber ist nicht die eigene Organisation „{own_name}“; es können nur eigene Onlinedienste gepflegt werden"
                    ),
                ));
            }
            if let Some(existing) = stored.get(record.id.as_str()) {
                if existing.organisation_id != *own_id {
                    errors.push(Message::error(
                        Some(record.line),
                        Some(COL_ID),
                        Some(&record.id),
                        "Onlinedienst gehört einer anderen Organisation und kann hier nicht geändert werden",
                    ));
                }
            }
        } else if operator.is_none()
            && !to_create
                .iter()
                .any(|n| n.to_lowercase() == record.operator.to_lowercase())
        {
            to_create.push(record.operator.clone());
        }
        operators.push(operator);
    }
    if !errors.is_empty() {
        return Err(MasterDataError::Rules(errors));
    }

    // Operators to create; in a dry run they get no id.
    let mut created_ids: HashMap<String, i64> = HashMap::new();
    let mut organisations_created = Vec::new();
    for name in &to_create {
        if dry_run {
            organisations_created.push(name.clone());
            continue;
        }
        let (id, inserted): (i64, bool) = sqlx::query_as(
            "INSERT INTO organisation (name, level) VALUES ($1, 'kommune')
             ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
             RETURNING id, (xmax = 0)",
        )
        .bind(name)
        .fetch_one(&mut *tx)
        .await?;
        created_ids.insert(name.to_lowercase(), id);
        if inserted {
            organisations_created.push(name.clone());
        }
    }

    let mut summary = MasterDataSummary {
        dry_run,
        organisations_created,
        ..Default::default()
    };
    for (record, operator) in records.iter().zip(operators) {
        let operator =
            operator.or_else(|| created_ids.get(&record.operator.to_lowercase()).copied());
        let (status, changed) = match stored.get(record.id.as_str()) {
            None => (ServiceStatus::Created, Vec::new()),
            Some(existing) => {
                let changed = changed_columns(existing, record, operator);
                if changed.is_empty() {
                    (ServiceStatus::Unchanged, changed)
                } else {
                    (ServiceStatus::Changed, changed)
                }
            }
        };
        match status {
            ServiceStatus::Created => summary.created += 1,
            ServiceStatus::Changed => summary.changed += 1,
            ServiceStatus::Unchanged => summary.unchanged += 1,
        }
        if !dry_run {
            let operator = operator.expect("operator resolved or created");
            match status {
                ServiceStatus::Created => insert_service(tx, record, operator).await?,
                ServiceStatus::Changed => update_service(tx, record, operator).await?,
                ServiceStatus::Unchanged => {}
            }
        }
        summary.services.push(ServiceOutcome {
            line: record.line,
            id: record.id.clone(),
            status,
            changed,
        });
    }
    Ok(summary)
}

/// The columns whose stored value differs from the record's.
fn changed_columns(
    existing: &StoredService,
    record: &ServiceRecord,
    operator: Option<i64>,
) -> Vec<String> {
    let mut changed = Vec::new();
    let mut differ = |column: &str, different: bool| {
        if different {
            changed.push(column.to_owned());
        }
    };
    differ(COL_NAME, existing.name != record.name);
    differ(
        COL_LEIKA,
        existing.leika_key.as_deref() != Some(record.leika_key.as_str()),
    );
    differ(
        COL_OZG,
        existing.ozg_id.as_deref() != Some(record.ozg_id.as_str()),
    );
    differ(COL_TYP, existing.leistungstyp != Some(record.leistungstyp));
    differ(
        COL_URL,
        existing.url.as_deref() != Some(record.url.as_str()),
    );
    differ(COL_OPERATOR, operator != Some(existing.organisation_id));
    differ(
        COL_GRANULARITY,
        record.granularity_given && existing.granularity != Some(record.granularity),
    );
    changed
}

async fn insert_service(
    tx: &mut PgConnection,
    record: &ServiceRecord,
    operator: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO online_service (id, name, organisation_id, granularity, url, leika_key, ozg_id, leistungstyp)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&record.id)
    .bind(&record.name)
    .bind(operator)
    .bind(record.granularity)
    .bind(&record.url)
    .bind(&record.leika_key)
    .bind(&record.ozg_id)
    .bind(record.leistungstyp)
    .execute(tx)
    .await?;
    Ok(())
}

/// Updates the fields the file carries; the granularity only if the file has the column.
async fn update_service(
    tx: &mut PgConnection,
    record: &ServiceRecord,
    operator: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE online_service SET name = $2, organisation_id = $3,
            granularity = CASE WHEN $9 THEN $4 ELSE granularity END,
            url = $5, leika_key = $6, ozg_id = $7, leistungstyp = $8
         WHERE id = $1",
    )
    .bind(&record.id)
    .bind(&record.name)
    .bind(operator)
    .bind(record.granularity)
    .bind(&record.url)
    .bind(&record.leika_key)
    .bind(&record.ozg_id)
    .bind(record.leistungstyp)
    .bind(record.granularity_given)
    .execute(tx)
    .await?;
    Ok(())
}

fn unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_reads_in_german() {
        let summary = MasterDataSummary {
            created: 2,
            organisations_created: vec!["Demo-Kommunal-IT (fiktiv)".into()],
            ..Default::default()
        };
        assert_eq!(
            summary.to_string(),
            "2 Onlinedienste: 2 neu, 0 geändert, 0 unverändert; Organisation „Demo-Kommunal-IT (fiktiv)“ angelegt"
        );
        let dry = MasterDataSummary {
            dry_run: true,
            unchanged: 1,
            ..Default::default()
        };
        assert_eq!(
            dry.to_string(),
            "Probelauf, nichts gespeichert: 1 Onlinedienst: 0 neu, 0 geändert, 1 unverändert"
        );
    }

    #[test]
    fn rule_errors_render_every_message() {
        let error = MasterDataError::Rules(vec![Message::error(
            Some(3),
            Some("LeiKa"),
            Some("9,9E+13"),
            "kaputt",
        )]);
        assert_eq!(
            error.to_string(),
            "Stammdaten abgelehnt, nichts gespeichert (1 Fehler)\nZeile 3, Spalte LeiKa („9,9E+13“): kaputt"
        );
    }

    #[test]
    fn status_labels() {
        assert_eq!(ServiceStatus::Created.label(), "neu");
        assert_eq!(ServiceStatus::Changed.label(), "geändert");
        assert_eq!(ServiceStatus::Unchanged.label(), "unverändert");
        assert_eq!(
            serde_json::to_string(&ServiceStatus::Unchanged).unwrap(),
            "\"unchanged\""
        );
    }
}
