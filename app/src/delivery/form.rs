//! The web form of a delivery: a submitter picks one of its online services
//! and a month, gets a grid of the regions at the service's granularity with
//! the stored value and the previous month's beside each field, and checks
//! or saves the typed counts. The typed counts go through the one
//! validation path and store step (`store::deliver`, channel `form`); its
//! line-numbered messages are mapped back to the regions they concern.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{DeliveryCounts, Month, RowStatus};
use crate::error::AppError;
use crate::regions::{Region, RegionLevel};
use crate::services::Granularity;

/// The first year the month picker offers: the Onlinezugangsgesetz, whose
/// services the ZSK counts, took effect in 2017.
pub const FIRST_YEAR: i32 = 2017;

/// An online service the user may deliver for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormService {
    pub id: String,
    pub name: String,
    /// The level the grid shows: the declared granularity, or the finest
    /// (Gemeinde) for a service that declared none, as the validator does.
    pub granularity: Granularity,
}

/// What the form page needs before it shows a grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormSetup {
    pub services: Vec<FormService>,
    /// The current month in Europe/Berlin, computed on the server: the
    /// preselected month and the latest one that may be delivered.
    pub current_month: Month,
}

/// One region of the grid with what is stored for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridRow {
    pub key: String,
    pub name: String,
    /// The stored value of the month; `None`: not reported (0 is a value).
    pub stored: Option<i64>,
    /// The stored value of the month before, as a hint.
    pub previous: Option<i64>,
}

/// The regions of one service and month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormGrid {
    pub service: FormService,
    pub month: Month,
    pub previous_month: Month,
    /// The level of the regions the grid can be narrowed to (Land for a
    /// Kreis service, Kreis for a Gemeinde service), with its regions.
    pub filter_level: Option<RegionLevel>,
    pub filters: Vec<Region>,
    pub filter: Option<String>,
    pub rows: Vec<GridRow>,
}

impl FormGrid {
    /// A Gemeinde grid is shown one Kreis at a time, never all at once.
    pub fn needs_filter(&self) -> bool {
        filter_required(self.service.granularity) && self.filter.is_none()
    }
}

/// The level a grid of `granularity` can be narrowed to.
pub fn filter_level(granularity: Granularity) -> Option<RegionLevel> {
    match granularity {
        Granularity::Bund | Granularity::Land => None,
        Granularity::Kreis => Some(RegionLevel::Land),
        Granularity::Gemeinde => Some(RegionLevel::Kreis),
    }
}

/// Whether a grid of `granularity` is too large to show without a filter.
pub fn filter_required(granularity: Granularity) -> bool {
    granularity == Granularity::Gemeinde
}

/// One filled-in field: the region's key and the text as typed. Empty
/// fields mean "not reported" and are not sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormEntry {
    pub region: String,
    pub wert: String,
}

/// What one field would do (check) or did (save).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryResult {
    pub region: String,
    /// "Bautzen (14625)", or the key alone for a key the register lacks.
    pub label: String,
    /// The count as read; `None` where the field was refused.
    pub count: Option<i64>,
    pub status: Option<RowStatus>,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

/// The result of a check or a save: per field, plus messages about the
/// whole delivery, the counts and, once saved, the delivery's number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormCheck {
    pub entries: Vec<EntryResult>,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub counts: DeliveryCounts,
    pub delivery_id: Option<i64>,
}

impl FormCheck {
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.entries.iter().any(|e| !e.errors.is_empty())
    }
}

#[cfg(feature = "ssr")]
mod server {
    use super::super::api::server::deliverer;
    use std::collections::{HashMap, HashSet};

    use sqlx::PgPool;

    use super::{EntryResult, FormCheck, FormEntry, FormGrid, FormService, FormSetup, GridRow};
    use crate::auth::server::pool;
    use crate::auth::SessionUser;
    use crate::delivery::store::{self, Channel, Deliverer, DeliveryMeta, Mode, Outcome};
    use crate::delivery::validate::{
        validate, KeyRepair, RawRecord, COL_MONTH, COL_REGION, COL_SERVICE,
    };
    use crate::delivery::{Message, Month, Severity};
    use crate::error::AppError;
    use crate::regions::{Region, RegionKey, RegionLevel};
    use crate::services::{sort_key, Granularity};

    /// More fields than the largest grid (all Kreise) has are refused.
    const MAX_ENTRIES: usize = 2_000;

    type ServiceRow = (String, String, Option<Granularity>, i64);

    fn form_service((id, name, granularity, _): ServiceRow) -> FormService {
        FormService {
            id,
            name,
            granularity: granularity.unwrap_or(Granularity::Gemeinde),
        }
    }

    /// The service if it exists (404) and the caller may deliver for it (403).
    async fn service(
        pool: &PgPool,
        user: &SessionUser,
        deliverer: Deliverer,
        id: &str,
    ) -> Result<FormService, AppError> {
        let row: Option<ServiceRow> = sqlx::query_as(
            "SELECT id, name, granularity, organisation_id FROM online_service WHERE id = $1",
        )
        .bind(id.trim())
        .fetch_optional(pool)
        .await?;
        let Some(row) = row else {
            return Err(AppError::NotFound(format!(
                "Onlinedienst „{}“ nicht gefunden.",
                id.trim()
            )));
        };
        if let Deliverer::Organisation(own) = deliverer {
            if row.3 != own {
                tracing::warn!(user.id = user.id, service = %row.0, "form for another organisation's service refused");
                return Err(AppError::Forbidden(format!(
                    "Onlinedienst „{}“ gehört nicht zu Ihrer Organisation; Sie dürfen dafür nicht liefern.",
                    row.0
                )));
            }
        }
        Ok(form_service(row))
    }

    /// The month of a grid or delivery: a valid month, not in the future.
    fn form_month(text: &str) -> Result<Month, AppError> {
        let invalid =
            |text: String| AppError::Invalid(vec![Message::error(None, None, None, text)]);
        let month = Month::parse(text).map_err(invalid)?;
        if month > store::current_month() {
            return Err(invalid(format!(
                "{} liegt in der Zukunft; Werte nur für vergangene Monate und den laufenden",
                month.label()
            )));
        }
        Ok(month)
    }

    fn previous(month: Month) -> Month {
        Month::from_date(month.first_day() - chrono::Days::new(1))
    }

    pub async fn setup() -> Result<FormSetup, AppError> {
        let (_, deliverer) = deliverer().await?;
        let organisation = match deliverer {
            Deliverer::Organisation(org) => Some(org),
            Deliverer::Admin => None,
        };
        let rows: Vec<ServiceRow> = sqlx::query_as(
            "SELECT id, name, granularity, organisation_id FROM online_service
             WHERE $1::bigint IS NULL OR organisation_id = $1",
        )
        .bind(organisation)
        .fetch_all(&pool()?)
        .await?;
        let mut services: Vec<FormService> = rows.into_iter().map(form_service).collect();
        services.sort_by_cached_key(|s| (sort_key(&s.name), s.id.clone()));
        Ok(FormSetup {
            services,
            current_month: store::current_month(),
        })
    }

    /// The region the grid is narrowed to, checked against the level the
    /// service's granularity allows.
    fn parse_filter(
        text: Option<&str>,
        service: &FormService,
    ) -> Result<Option<RegionKey>, AppError> {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let key = RegionKey::parse(text).map_err(|e| AppError::BadRequest(e.to_string()))?;
        match super::filter_level(service.granularity) {
            Some(level) if key.level() == level => Ok(Some(key)),
            Some(level) => Err(AppError::BadRequest(format!(
                "Filter „{text}“ ist kein {}; {} wird {} geliefert",
                level.label(),
                service.id,
                service.granularity.report_label()
            ))),
            None => Err(AppError::BadRequest(format!(
                "{} wird {} geliefert; dafür gibt es keinen Regionsfilter",
                service.id,
                service.granularity.report_label()
            ))),
        }
    }

    /// The regions of `level` not closed before `month`.
    async fn regions(
        pool: &PgPool,
        level: RegionLevel,
        month: Month,
    ) -> Result<Vec<Region>, AppError> {
        let rows: Vec<(String, String, RegionLevel)> = sqlx::query_as(
            "SELECT key, name, level FROM region
             WHERE level = $1 AND (valid_to IS NULL OR valid_to >= $2) ORDER BY key",
        )
        .bind(level)
        .bind(month.first_day())
        .fetch_all(pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(key, name, level)| Region { key, name, level })
            .collect())
    }

    pub async fn grid(
        service_id: String,
        month: String,
        filter: Option<String>,
    ) -> Result<FormGrid, AppError> {
        let (user, deliverer) = deliverer().await?;
        let pool = pool()?;
        let service = service(&pool, &user, deliverer, &service_id).await?;
        let month = form_month(&month)?;
        let filter = parse_filter(filter.as_deref(), &service)?;

        let filter_level = super::filter_level(service.granularity);
        let filters = match filter_level {
            Some(level) => {
                let candidates = regions(&pool, level, month).await?;
                let keys: Vec<&str> = candidates.iter().map(|r| r.key.as_str()).collect();
                let valid = valid_keys(&pool, deliverer, &service, month, &keys).await?;
                candidates
                    .into_iter()
                    .filter(|r| valid.contains(&r.key))
                    .collect()
            }
            None => Vec::new(),
        };
        if let Some(key) = &filter {
            if !filters.iter().any(|r| r.key == key.as_str()) {
                return Err(AppError::NotFound(format!(
                    "Region „{key}“ gibt es im {} nicht.",
                    month.label()
                )));
            }
        }
        let previous_month = previous(month);
        let rows = if super::filter_required(service.granularity) && filter.is_none() {
            Vec::new()
        } else {
            let rows = grid_rows(&pool, &service, month, previous_month, filter.as_ref()).await?;
            let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
            let valid = valid_keys(&pool, deliverer, &service, month, &keys).await?;
            rows.into_iter()
                .filter(|r| valid.contains(&r.key))
                .collect()
        };
        Ok(FormGrid {
            service,
            month,
            previous_month,
            filter_level,
            filters,
            filter: filter.map(String::from),
            rows,
        })
    }

    /// The keys the one validation path accepts for the service and month:
    /// the grid offers no region a delivery would refuse (validity periods,
    /// key changes). The database query before only narrows the candidates.
    async fn valid_keys(
        pool: &PgPool,
        deliverer: Deliverer,
        service: &FormService,
        month: Month,
        keys: &[&str],
    ) -> Result<HashSet<String>, AppError> {
        let rows: Vec<RawRecord> = keys
            .iter()
            .enumerate()
            .map(|(i, key)| RawRecord {
                line: i as u32 + 1,
                service: service.id.clone(),
                region: (*key).to_owned(),
                month: month.to_string(),
                count: "0".to_owned(),
            })
            .collect();
        let master = store::load_master_data(pool, deliverer, &rows).await?;
        let validation = validate(&rows, &master, KeyRepair::Exact);
        let refused: HashSet<u32> = validation
            .messages
            .iter()
            .filter(|m| m.severity == Severity::Error && m.column.as_deref() == Some(COL_REGION))
            .filter_map(|m| m.line)
            .collect();
        Ok(rows
            .into_iter()
            .filter(|row| !refused.contains(&row.line))
            .map(|row| row.region)
            .collect())
    }

    /// The regions at the service's level not closed before the month, each
    /// with its cell's stored value of the month and of the month before.
    async fn grid_rows(
        pool: &PgPool,
        service: &FormService,
        month: Month,
        previous_month: Month,
        filter: Option<&RegionKey>,
    ) -> Result<Vec<GridRow>, AppError> {
        let rows: Vec<(String, String, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT r.key, r.name, cur.count, prev.count
             FROM region r
             LEFT JOIN transaction_count cur
               ON cur.service_id = $1 AND cur.region_key = r.cell_key AND cur.month = $2
             LEFT JOIN transaction_count prev
               ON prev.service_id = $1 AND prev.region_key = r.cell_key AND prev.month = $3
             WHERE r.level = $4 AND (r.valid_to IS NULL OR r.valid_to >= $2)
               AND ($5::text IS NULL OR starts_with(r.key, $5))
             ORDER BY r.key",
        )
        .bind(&service.id)
        .bind(month.first_day())
        .bind(previous_month.first_day())
        .bind(service.granularity.level())
        .bind(filter.map(RegionKey::as_str))
        .fetch_all(pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(key, name, stored, previous)| GridRow {
                key,
                name,
                stored,
                previous,
            })
            .collect())
    }

    /// Checks (`dry_run`) or stores the typed counts as one delivery.
    pub async fn deliver(
        service_id: String,
        month: String,
        entries: Vec<FormEntry>,
        dry_run: bool,
    ) -> Result<FormCheck, AppError> {
        let (user, deliverer) = deliverer().await?;
        let pool = pool()?;
        let service = service(&pool, &user, deliverer, &service_id).await?;
        let month = form_month(&month)?;
        let entries: Vec<FormEntry> = entries
            .into_iter()
            .filter(|e| !e.wert.trim().is_empty())
            .collect();
        if entries.is_empty() {
            return Err(AppError::Invalid(vec![Message::error(
                None,
                None,
                None,
                "Keine Werte eingetragen: mindestens ein Feld ausfüllen (leere Felder gelten als „nicht gemeldet“)",
            )]));
        }
        if entries.len() > MAX_ENTRIES {
            return Err(AppError::BadRequest(format!(
                "Höchstens {MAX_ENTRIES} Werte je Formular; bitte nach Regionen aufteilen."
            )));
        }

        let labels = labels(&pool, &entries).await?;
        let rows = entries
            .iter()
            .enumerate()
            .map(|(i, entry)| RawRecord {
                line: i as u32 + 1,
                service: service.id.clone(),
                region: entry.region.clone(),
                month: month.to_string(),
                count: entry.wert.clone(),
            })
            .collect();
        let meta = DeliveryMeta {
            deliverer,
            organisation_id: user.organisation_id,
            user_id: Some(user.id),
            token_id: None,
            channel: Channel::Form,
            file_name: None,
            external_id: None,
            file_id: None,
            progress: None,
            refused_before: 0,
        };
        let outcome =
            store::deliver(&pool, &meta, rows, KeyRepair::Exact, Mode::Atomic, dry_run).await?;
        let check = by_region(&entries, &labels, &outcome);
        if dry_run || outcome.delivery_id.is_some() {
            return Ok(check);
        }
        Err(AppError::Invalid(region_messages(&check)))
    }

    /// "Name (key)" of each entry, in entry order.
    async fn labels(pool: &PgPool, entries: &[FormEntry]) -> Result<Vec<String>, AppError> {
        let keys: Vec<String> = entries.iter().map(|e| e.region.trim().to_owned()).collect();
        let names: HashMap<String, String> =
            sqlx::query_as("SELECT key, name FROM region WHERE key = ANY($1)")
                .bind(&keys)
                .fetch_all(pool)
                .await?
                .into_iter()
                .collect();
        Ok(keys
            .into_iter()
            .map(|key| match names.get(&key) {
                Some(name) => format!("{name} ({key})"),
                None => key,
            })
            .collect())
    }

    /// The outcome per entry: its status or its errors, each message
    /// naming regions instead of lines. Messages about the service or the
    /// month concern every entry alike and are listed once.
    fn by_region(entries: &[FormEntry], labels: &[String], outcome: &Outcome) -> FormCheck {
        let mut results: Vec<EntryResult> = entries
            .iter()
            .zip(labels)
            .map(|(entry, label)| EntryResult {
                region: entry.region.trim().to_owned(),
                label: label.clone(),
                count: None,
                status: None,
                errors: Vec::new(),
                warnings: Vec::new(),
            })
            .collect();
        let (mut errors, mut warnings) = (Vec::new(), Vec::new());
        for (record, status) in outcome.records.iter().zip(&outcome.statuses) {
            if let Some(result) = results.get_mut(record.line as usize - 1) {
                result.count = Some(record.count);
                result.status = Some(*status);
            }
        }
        for message in &outcome.messages {
            let text = message
                .text_with_places(|line| labels.get((line as usize).checked_sub(1)?).cloned());
            let general = matches!(message.column.as_deref(), Some(COL_SERVICE | COL_MONTH));
            let entry = message
                .line
                .filter(|_| !general)
                .and_then(|line| results.get_mut((line as usize).checked_sub(1)?));
            let list = match (entry, message.severity) {
                (Some(entry), Severity::Error) => &mut entry.errors,
                (Some(entry), Severity::Warning) => &mut entry.warnings,
                (None, Severity::Error) => &mut errors,
                (None, Severity::Warning) => &mut warnings,
            };
            if !list.contains(&text) {
                list.push(text);
            }
        }
        FormCheck {
            entries: results,
            errors,
            warnings,
            counts: outcome.counts,
            delivery_id: outcome.delivery_id,
        }
    }

    /// The errors of a refused save, each naming its region.
    fn region_messages(check: &FormCheck) -> Vec<Message> {
        let general = check.errors.iter().cloned();
        let per_entry = check.entries.iter().flat_map(|entry| {
            entry
                .errors
                .iter()
                .map(move |text| format!("{}: {text}", entry.label))
        });
        general
            .chain(per_entry)
            .map(|text| Message::error(None, None, None, text))
            .collect()
    }

    #[cfg(test)]
    mod tests {
        use super::previous;
        use crate::delivery::Month;

        #[test]
        fn previous_month_crosses_the_year() {
            let january = Month::new(2024, 1).unwrap();
            assert_eq!(previous(january), Month::new(2023, 12).unwrap());
            assert_eq!(
                previous(Month::new(2024, 3).unwrap()),
                Month::new(2024, 2).unwrap()
            );
        }
    }
}

/// The online services the user may deliver for (the ZSK team: all) and
/// the current month in Europe/Berlin.
#[server(endpoint = "formular/dienste")]
pub async fn formular_dienste() -> Result<FormSetup, AppError> {
    server::setup().await
}

/// The grid of one service and month; a Gemeinde service's grid needs a
/// Kreis (`filter`), a Kreis service's may be narrowed to a Land.
#[server(endpoint = "formular/raster")]
pub async fn formular_raster(
    dienst: String,
    monat: String,
    filter: Option<String>,
) -> Result<FormGrid, AppError> {
    server::grid(dienst, monat, filter).await
}

/// Checks the typed counts and shows what saving would do; stores nothing.
#[server(endpoint = "formular/pruefen")]
pub async fn formular_pruefen(
    dienst: String,
    monat: String,
    #[server(default)] eintraege: Vec<FormEntry>,
) -> Result<FormCheck, AppError> {
    server::deliver(dienst, monat, eintraege, true).await
}

/// Stores the typed counts: all or, on any error, none (422, each message
/// naming its region).
#[server(endpoint = "formular/speichern")]
pub async fn formular_speichern(
    dienst: String,
    monat: String,
    #[server(default)] eintraege: Vec<FormEntry>,
) -> Result<FormCheck, AppError> {
    server::deliver(dienst, monat, eintraege, false).await
}
