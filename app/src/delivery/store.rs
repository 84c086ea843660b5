//! The one store step of every delivery: loads the master data the
//! validator needs, classifies each record as new, correction or unchanged
//! and stores a delivery in one transaction, keeping every accepted value in
//! the history.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sqlx::{PgPool, Postgres, Transaction};

use super::jobs::{Phase, Progress};
use super::validate::{
    KeyRepair, MasterData, RawRecord, Record, RegionLink, RegionRule, ServiceRule,
};
use super::{DeliveryCounts, DeliveryPreview, DeliveryReceipt, PreviewRow, RowStatus};
use crate::error::AppError;
use crate::regions::RegionLevel;
use crate::services::Granularity;

/// Who delivers: an organisation's member, or the ZSK team acting for all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deliverer {
    Organisation(i64),
    Admin,
}

/// The channel a delivery came by, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Csv,
    Form,
    Api,
    Demo,
}

impl Channel {
    pub fn as_db(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Form => "form",
            Self::Api => "api",
            Self::Demo => "demo",
        }
    }

    pub fn from_db(text: &str) -> Option<Self> {
        [Self::Csv, Self::Form, Self::Api, Self::Demo]
            .into_iter()
            .find(|channel| channel.as_db() == text)
    }
}

/// Loads the services and regions a delivery is checked against.
/// Only the services and regions the rows can name are loaded, so the
/// work follows the size of the delivery, not of the register.
pub async fn load_master_data(
    pool: &PgPool,
    deliverer: Deliverer,
    rows: &[RawRecord],
) -> Result<MasterData, AppError> {
    let service_ids: HashSet<&str> = rows.iter().map(|r| r.service.trim()).collect();
    let region_keys: HashSet<String> = rows
        .iter()
        .flat_map(|r| candidate_keys(&r.region))
        .collect();
    let service_ids: Vec<&str> = service_ids.into_iter().collect();
    let region_keys: Vec<String> = region_keys.into_iter().collect();

    let services: Vec<(String, String, Option<Granularity>, i64)> = sqlx::query_as(
        "SELECT id, name, granularity, organisation_id FROM online_service WHERE id = ANY($1)",
    )
    .bind(&service_ids)
    .fetch_all(pool)
    .await?;
    // A key formed by a key change is valid from its Stichtag, unless a
    // change says it carries on or the register knew it earlier.
    #[allow(clippy::type_complexity)]
    let regions: Vec<(
        String,
        String,
        RegionLevel,
        String,
        Option<String>,
        Option<NaiveDate>,
        Option<NaiveDate>,
    )> = sqlx::query_as(
        "SELECT r.key, r.name, r.level, r.cell_key, r.ars, r.valid_to,
                (SELECT min(c.stichtag) FROM region_change c
                 WHERE c.new_key = r.key AND c.old_key <> r.key
                 HAVING min(c.stichtag) <= r.valid_from
                    AND NOT EXISTS (SELECT 1 FROM region_change k
                                    WHERE k.old_key = r.key AND k.new_key = r.key))
         FROM region r WHERE r.key = ANY($1)",
    )
    .bind(&region_keys)
    .fetch_all(pool)
    .await?;
    // (old key, its name, new key, its name, Stichtag) of the loaded keys.
    let changes: Vec<(String, String, String, String, NaiveDate)> = sqlx::query_as(
        "SELECT c.old_key, coalesce(o.name, c.old_name), c.new_key, n.name, c.stichtag
         FROM region_change c
         JOIN region n ON n.key = c.new_key
         LEFT JOIN region o ON o.key = c.old_key
         WHERE c.old_key <> c.new_key AND (c.old_key = ANY($1) OR c.new_key = ANY($1))",
    )
    .bind(&region_keys)
    .fetch_all(pool)
    .await?;

    let services = services
        .into_iter()
        .map(|(id, name, granularity, organisation_id)| {
            let deliverable = match deliverer {
                Deliverer::Admin => true,
                Deliverer::Organisation(own) => own == organisation_id,
            };
            (
                id.clone(),
                ServiceRule {
                    id,
                    name,
                    granularity,
                    deliverable,
                    organisation_id,
                },
            )
        })
        .collect();
    let link = |key: &str, name: &str, stichtag: NaiveDate| RegionLink {
        key: key.to_owned(),
        name: name.to_owned(),
        stichtag,
    };
    let regions = regions
        .into_iter()
        .map(|(key, name, level, cell_key, ars, valid_to, valid_from)| {
            let successors = changes
                .iter()
                .filter(|c| c.0 == key)
                .map(|c| link(&c.2, &c.3, c.4))
                .collect();
            let predecessors = changes
                .iter()
                .filter(|c| c.2 == key)
                .map(|c| link(&c.0, &c.1, c.4))
                .collect();
            (
                key.clone(),
                RegionRule {
                    key,
                    name,
                    level,
                    cell_key,
                    ars,
                    valid_to,
                    valid_from,
                    successors,
                    predecessors,
                },
            )
        })
        .collect();
    Ok(MasterData {
        services,
        regions,
        latest_month: Some(current_month()),
    })
}

/// The current month in Europe/Berlin, whatever the server's time zone.
pub fn current_month() -> super::Month {
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Berlin);
    super::Month::from_date(now.date_naive())
}

/// The canonical keys a region cell may name: as sent, and with a restored
/// leading zero (whether that repair applies is the validator's decision).
fn candidate_keys(text: &str) -> Vec<String> {
    let text = text.trim();
    let padded = format!("0{text}");
    [text, padded.as_str()]
        .into_iter()
        .filter_map(|t| crate::regions::RegionKey::parse(t).ok())
        .map(String::from)
        .collect()
}

type CellKey = (String, String, NaiveDate);

/// The stored values of the cells the records name.
async fn current_values(
    executor: impl sqlx::PgExecutor<'_>,
    records: &[Record],
    lock: bool,
) -> Result<HashMap<CellKey, i64>, AppError> {
    let services: Vec<&str> = records.iter().map(|r| r.service_id.as_str()).collect();
    let regions: Vec<&str> = records.iter().map(|r| r.cell_key.as_str()).collect();
    let months: Vec<NaiveDate> = records.iter().map(|r| r.month.first_day()).collect();
    let sql = format!(
        "SELECT t.service_id, t.region_key, t.month, t.count
         FROM transaction_count t
         JOIN unnest($1::text[], $2::text[], $3::date[]) AS k(service_id, region_key, month)
           ON (t.service_id, t.region_key, t.month) = (k.service_id, k.region_key, k.month){}",
        if lock { " FOR UPDATE OF t" } else { "" }
    );
    let rows: Vec<(String, String, NaiveDate, i64)> = sqlx::query_as(&sql)
        .bind(services)
        .bind(regions)
        .bind(months)
        .fetch_all(executor)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(s, r, m, c)| ((s, r, m), c))
        .collect())
}

/// What each record does to the stored value: new, correction or unchanged.
fn classify(records: &[Record], current: &HashMap<CellKey, i64>) -> Vec<RowStatus> {
    records
        .iter()
        .map(|record| {
            let key = (
                record.service_id.clone(),
                record.cell_key.clone(),
                record.month.first_day(),
            );
            match current.get(&key) {
                None => RowStatus::New,
                Some(&old) if old == record.count => RowStatus::Unchanged,
                Some(&old) => RowStatus::Correction { old },
            }
        })
        .collect()
}

fn count_rows(received: usize, statuses: &[RowStatus], rejected: usize) -> DeliveryCounts {
    let mut counts = DeliveryCounts {
        received: received as u32,
        rejected: rejected as u32,
        ..DeliveryCounts::default()
    };
    for status in statuses {
        match status {
            RowStatus::New => counts.new += 1,
            RowStatus::Correction { .. } => counts.corrected += 1,
            RowStatus::Unchanged => counts.unchanged += 1,
        }
    }
    counts.ignored = counts.received - counts.rejected - statuses.len() as u32;
    counts
}

/// Whether a delivery with errors stores nothing or its valid rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// All or nothing (the default).
    Atomic,
    /// The valid rows are stored, the others reported.
    Partial,
}

/// What is stored with a delivery besides its values.
pub struct DeliveryMeta<'a> {
    pub deliverer: Deliverer,
    pub organisation_id: Option<i64>,
    pub user_id: Option<i64>,
    pub token_id: Option<i64>,
    pub channel: Channel,
    pub file_name: Option<&'a str>,
    /// The client's own id of the delivery (`lieferung_id`).
    pub external_id: Option<&'a str>,
    /// The stored original file a file delivery came from.
    pub file_id: Option<i64>,
    /// The job a file delivery runs in: told each phase and written chunk,
    /// and given the final answer inside the store transaction.
    pub progress: Option<&'a Progress>,
    /// Records refused before validation (JSON values of the wrong type):
    /// counted as received and rejected.
    pub refused_before: u32,
}

/// The result of one delivery: what each row is, the messages, the counts
/// and, if something was stored, the delivery's id.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The valid records and what each does (`statuses[i]` is `records[i]`'s).
    pub records: Vec<Record>,
    pub statuses: Vec<RowStatus>,
    pub messages: Vec<super::Message>,
    pub counts: DeliveryCounts,
    pub rejected_lines: Vec<u32>,
    pub delivery_id: Option<i64>,
}

impl Outcome {
    /// The valid records with their status, as previews show them.
    pub fn rows(&self) -> impl Iterator<Item = PreviewRow> + '_ {
        self.records
            .iter()
            .zip(&self.statuses)
            .map(|(record, &status)| PreviewRow {
                line: record.line,
                service_id: record.service_id.clone(),
                region_key: record.region_key.clone(),
                month: record.month,
                count: record.count,
                status,
            })
    }

    pub fn has_errors(&self) -> bool {
        self.messages
            .iter()
            .any(|m| m.severity == super::Severity::Error)
    }
}

/// The one store step of every channel: validates, classifies and, unless
/// `dry_run`, stores in one transaction. With errors, `Atomic` stores nothing
/// and `Partial` stores the valid rows.
pub async fn deliver(
    pool: &PgPool,
    meta: &DeliveryMeta<'_>,
    rows: Vec<RawRecord>,
    repair: KeyRepair,
    mode: Mode,
    dry_run: bool,
) -> Result<Outcome, AppError> {
    let refused_before = meta.refused_before as usize;
    let received = rows.len() + refused_before;
    if let Some(progress) = meta.progress {
        progress.phase(Phase::Checking, received).await;
    }
    let master = load_master_data(pool, meta.deliverer, &rows).await?;
    let validation = super::validate::validate(&rows, &master, repair);
    // Whose values the delivery may change: they see it in their history.
    let mut organisations: Vec<i64> = validation
        .records
        .iter()
        .filter_map(|r| master.services.get(&r.service_id))
        .map(|s| s.organisation_id)
        .collect();
    organisations.sort_unstable();
    organisations.dedup();
    drop(master);
    // The checked records are all that is needed from here on.
    drop(rows);
    let store = !dry_run
        && !validation.records.is_empty()
        && (mode == Mode::Partial || !validation.has_errors());

    let mut outcome = Outcome {
        records: validation.records,
        statuses: Vec::new(),
        messages: validation.messages,
        counts: DeliveryCounts::default(),
        rejected_lines: validation.rejected_lines,
        delivery_id: None,
    };
    let mut attempt = 1;
    loop {
        // One transaction for both: a check only reads and rolls back; a
        // store locks the stored cells it classifies until it has written
        // them.
        let mut tx = pool.begin().await?;
        let current = current_values(&mut *tx, &outcome.records, store).await?;
        outcome.statuses = classify(&outcome.records, &current);
        let rejected = outcome.rejected_lines.len() + refused_before;
        outcome.counts = count_rows(received, &outcome.statuses, rejected);
        if !store {
            if outcome.has_errors() && !dry_run {
                tracing::warn!(
                    rejected = outcome.counts.rejected,
                    channel = meta.channel.as_db(),
                    "delivery rejected"
                );
            }
            return Ok(outcome);
        }

        let id = insert_delivery(&mut tx, meta, outcome.counts, &organisations).await?;
        let (records, statuses) = (&outcome.records, &outcome.statuses);
        match write_reporting(&mut tx, id, records, statuses, meta.progress).await {
            Ok(()) => {}
            // Another delivery created one of the new cells meanwhile: this
            // one rolls back and classifies again, seeing that value.
            Err(WriteError::CellTaken) if attempt < 3 => {
                tx.rollback().await?;
                attempt += 1;
                continue;
            }
            Err(err) => return Err(err.into()),
        }
        break store_in(tx, meta, id, outcome).await;
    }
}

/// Commits a written delivery (with a job's final answer, if a job runs it).
async fn store_in(
    mut tx: Transaction<'_, Postgres>,
    meta: &DeliveryMeta<'_>,
    id: i64,
    mut outcome: Outcome,
) -> Result<Outcome, AppError> {
    outcome.delivery_id = Some(id);
    let counts = outcome.counts;
    // A job's final answer commits with the values: stored once or not at all.
    if let Some(progress) = meta.progress {
        progress.finish_in(&mut tx, &outcome).await?;
    }
    tx.commit().await?;
    tracing::info!(
        delivery.id = id,
        channel = meta.channel.as_db(),
        new = counts.new,
        corrected = counts.corrected,
        unchanged = counts.unchanged,
        rejected = counts.rejected,
        "delivery stored"
    );
    Ok(outcome)
}

/// Shows what storing the rows would do; stores nothing.
pub async fn preview(
    pool: &PgPool,
    meta: &DeliveryMeta<'_>,
    rows: Vec<RawRecord>,
    repair: KeyRepair,
) -> Result<DeliveryPreview, AppError> {
    let outcome = deliver(pool, meta, rows, repair, Mode::Atomic, true).await?;
    Ok(DeliveryPreview {
        rows: outcome.rows().collect(),
        messages: outcome.messages,
        counts: outcome.counts,
    })
}

/// Stores all rows or, on any error, none (422 with the messages).
pub async fn store(
    pool: &PgPool,
    meta: &DeliveryMeta<'_>,
    rows: Vec<RawRecord>,
    repair: KeyRepair,
) -> Result<DeliveryReceipt, AppError> {
    let outcome = deliver(pool, meta, rows, repair, Mode::Atomic, false).await?;
    match outcome.delivery_id {
        Some(delivery_id) => Ok(DeliveryReceipt {
            delivery_id,
            counts: outcome.counts,
            messages: outcome.messages,
        }),
        None if outcome.has_errors() => Err(AppError::Invalid(outcome.messages)),
        None => Err(AppError::Invalid(vec![super::Message::error(
            None,
            None,
            None,
            "Die Datei enthält keine Werte",
        )])),
    }
}

async fn insert_delivery(
    tx: &mut Transaction<'_, Postgres>,
    meta: &DeliveryMeta<'_>,
    counts: DeliveryCounts,
    organisations: &[i64],
) -> Result<i64, AppError> {
    let id = sqlx::query_scalar(
        "INSERT INTO delivery (organisation_id, user_id, channel, file_name, received, new_values, corrected,
                               unchanged, rejected, token_id, external_id, file_id, organisations)
         VALUES ($1, $2, $3::delivery_channel, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(meta.organisation_id)
    .bind(meta.user_id)
    .bind(meta.channel.as_db())
    .bind(meta.file_name)
    .bind(counts.received as i32)
    .bind(counts.new as i32)
    .bind(counts.corrected as i32)
    .bind(counts.unchanged as i32)
    .bind(counts.rejected as i32)
    .bind(meta.token_id)
    .bind(meta.external_id)
    .bind(meta.file_id)
    .bind(organisations)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Writes new and corrected values and records them in the history.
pub async fn write_values(
    tx: &mut Transaction<'_, Postgres>,
    delivery_id: i64,
    records: &[Record],
    statuses: &[RowStatus],
) -> Result<(), AppError> {
    Ok(write_reporting(tx, delivery_id, records, statuses, None).await?)
}

/// Values are written in chunks of this many rows; a job's progress
/// advances per chunk.
const WRITE_CHUNK: usize = 20_000;

/// Why values could not be written.
enum WriteError {
    /// A cell classified as new was created by another delivery meanwhile.
    CellTaken,
    Failed(AppError),
}

impl From<WriteError> for AppError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::CellTaken => {
                AppError::internal("cells of a delivery were taken concurrently three times")
            }
            WriteError::Failed(err) => err,
        }
    }
}

impl From<sqlx::Error> for WriteError {
    fn from(err: sqlx::Error) -> Self {
        let unique = err
            .as_database_error()
            .and_then(|e| e.code())
            .is_some_and(|code| code == "23505");
        if unique {
            Self::CellTaken
        } else {
            Self::Failed(err.into())
        }
    }
}

/// [`write_values`], telling a job's progress about every written chunk.
/// New cells are inserted (a cell created meanwhile by another delivery is
/// a unique violation: [`WriteError::CellTaken`]); corrected cells, locked
/// since their classification, are updated.
async fn write_reporting(
    tx: &mut Transaction<'_, Postgres>,
    delivery_id: i64,
    records: &[Record],
    statuses: &[RowStatus],
    progress: Option<&Progress>,
) -> Result<(), WriteError> {
    let changed: Vec<(&Record, bool)> = records
        .iter()
        .zip(statuses)
        .filter(|(_, &status)| status != RowStatus::Unchanged)
        .map(|(record, &status)| (record, status == RowStatus::New))
        .collect();
    if let Some(progress) = progress {
        progress.phase(Phase::Writing, changed.len()).await;
    }
    if changed.is_empty() {
        return Ok(());
    }
    let services: Vec<&str> = changed.iter().map(|(r, _)| r.service_id.as_str()).collect();
    let regions: Vec<&str> = changed.iter().map(|(r, _)| r.cell_key.as_str()).collect();
    let months: Vec<NaiveDate> = changed.iter().map(|(r, _)| r.month.first_day()).collect();
    let values: Vec<i64> = changed.iter().map(|(r, _)| r.count).collect();
    let new: Vec<bool> = changed.iter().map(|(_, new)| *new).collect();

    for chunk_start in (0..changed.len()).step_by(WRITE_CHUNK) {
        let end = (chunk_start + WRITE_CHUNK).min(changed.len());
        // Only rows whose service, region and delivery exist are written (the
        // tables have no per-row foreign keys, see migration 0009); a row
        // that cannot be placed fails the whole delivery.
        let (placed, updated): (i64, i64) = sqlx::query_as(
            "WITH v AS (
                SELECT v.* FROM unnest($1::text[], $2::text[], $3::date[], $4::bigint[], $6::bool[])
                    AS v(s, r, m, c, new)
                WHERE EXISTS (SELECT 1 FROM online_service o WHERE o.id = v.s)
                  AND EXISTS (SELECT 1 FROM region g WHERE g.key = v.r)
                  AND EXISTS (SELECT 1 FROM delivery d WHERE d.id = $5)
             ),
             inserted AS (
                INSERT INTO transaction_count (service_id, region_key, month, count, delivery_id)
                SELECT s, r, m, c, $5 FROM v WHERE new
             ),
             updated AS (
                UPDATE transaction_count t SET count = v.c, delivery_id = $5
                FROM v
                WHERE NOT v.new AND t.service_id = v.s AND t.region_key = v.r AND t.month = v.m
                RETURNING 1
             ),
             history AS (
                INSERT INTO transaction_count_history (service_id, region_key, month, count, delivery_id)
                SELECT s, r, m, c, $5 FROM v
             )
             SELECT (SELECT count(*) FROM v), (SELECT count(*) FROM updated)",
        )
        .bind(&services[chunk_start..end])
        .bind(&regions[chunk_start..end])
        .bind(&months[chunk_start..end])
        .bind(&values[chunk_start..end])
        .bind(delivery_id)
        .bind(&new[chunk_start..end])
        .fetch_one(&mut **tx)
        .await?;
        let corrections = new[chunk_start..end].iter().filter(|n| !**n).count() as i64;
        if placed != (end - chunk_start) as i64 || updated != corrections {
            return Err(WriteError::Failed(AppError::internal(format!(
                "{placed} of {} values placed, {updated} of {corrections} corrections found; nothing stored",
                end - chunk_start
            ))));
        }
        if let Some(progress) = progress {
            progress.advance(end).await;
        }
    }
    Ok(())
}
