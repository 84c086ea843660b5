//! The demo data set, built from the ZSK's own progress report of February
//! 2024 (`report-2024-02/datenquellen.csv`): its organisations, the 24 data
//! sources as online services (the federal portal with its 98 services), and
//! counts spread over months and regions so that every total, first and last
//! month and granularity equals the report. Three demo users. Idempotent.

mod spread;

use std::path::Path;

use app::auth::Role;
use app::delivery::store::write_values;
use app::delivery::validate::Record;
use app::delivery::{Month, RowStatus};
use app::services::Granularity;
use chrono::NaiveDate;
use sqlx::PgPool;

pub use spread::largest_remainder;

/// Printed by `zsk serve` when the demo is on.
pub const LOGIN_HINT: &str = concat!(
    "Demo-Anmeldungen (nur für die Demo, ZSK_DEMO=false schaltet sie ab):\n",
    "  ZSK-Team (admin):        admin / zsk-demo-admin\n",
    "  Datenlieferant (EfA):    lieferant / zsk-demo-lieferant\n",
    "  Leserolle Bautzen 14625: bautzen / zsk-demo-bautzen",
);

const ORG_BUND: &str = "Bundesverwaltung (Demo)";
const ORG_EFA: &str = "EfA-Dienstleister (Demo)";
const ORG_LAND: &str = "Landesverwaltung (Demo)";
const REGISTER_FILE: &str = "regions/GV100AD_30112025.txt";
const REGISTER_STAND: (i32, u32, u32) = (2025, 11, 30);

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("Demo-Daten nicht gefunden: {0} (Pfad mit ZSK_REFERENCE_DIR angeben)")]
    Missing(String),
    #[error("datenquellen.csv Zeile {line}: {message}")]
    Report { line: usize, message: String },
    #[error("Gebietsregister: {0}")]
    Regions(String),
    #[error("Datenbank: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    App(String),
}

impl From<app::error::AppError> for DemoError {
    fn from(err: app::error::AppError) -> Self {
        Self::App(err.to_string())
    }
}

/// One row of `datenquellen.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub level: String,
    pub name: String,
    pub services: usize,
    pub focus_efa: bool,
    pub from: Option<Month>,
    pub to: Option<Month>,
    pub granularity: Option<Granularity>,
    pub transactions: i64,
}

/// Reads the report table.
pub fn read_report(path: &Path) -> Result<Vec<ReportRow>, DemoError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(path)
        .map_err(|_| DemoError::Missing(path.display().to_string()))?;
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let bad = |message: &str| DemoError::Report {
            line,
            message: message.to_owned(),
        };
        let record = record.map_err(|_| bad("nicht lesbar"))?;
        let cell = |i: usize| record.get(i).unwrap_or_default().trim();
        let month = |text: &str| -> Result<Option<Month>, DemoError> {
            if text.is_empty() {
                Ok(None)
            } else {
                Month::parse(text).map(Some).map_err(|e| bad(&e))
            }
        };
        rows.push(ReportRow {
            level: cell(0).to_owned(),
            name: cell(1).to_owned(),
            services: cell(2).parse().map_err(|_| bad("Anzahl Onlineservices"))?,
            focus_efa: cell(3) == "ja",
            from: month(cell(4))?,
            to: month(cell(5))?,
            granularity: if cell(6).is_empty() {
                None
            } else {
                Some(Granularity::parse(cell(6)).ok_or_else(|| bad("Granularitaet"))?)
            },
            transactions: cell(7).parse().map_err(|_| bad("Anzahl Transaktionen"))?,
        });
    }
    Ok(rows)
}

/// A URL- and CSV-friendly id from a name: "BAföG Digital" → "bafoeg-digital".
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            c if c.is_ascii_alphanumeric() => out.push(c),
            _ if !out.ends_with('-') => out.push('-'),
            _ => {}
        }
    }
    out.trim_matches('-').to_owned()
}

/// Loads the region register from the reference folder if the database has none.
pub async fn ensure_region_register(
    pool: &PgPool,
    reference_dir: &Path,
) -> Result<Option<String>, DemoError> {
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM region")
        .fetch_one(pool)
        .await?;
    if count > 0 {
        return Ok(None);
    }
    let path = reference_dir.join(REGISTER_FILE);
    if !path.exists() {
        return Err(DemoError::Missing(path.display().to_string()));
    }
    let (y, m, d) = REGISTER_STAND;
    let stand = NaiveDate::from_ymd_opt(y, m, d).expect("valid date");
    let summary = crate::regions::import_regions(pool, &path, stand)
        .await
        .map_err(|e| DemoError::Regions(e.to_string()))?;
    Ok(Some(summary.to_string()))
}

/// Loads the demo set; a second run changes nothing.
pub async fn load(pool: &PgPool, reference_dir: &Path) -> Result<String, DemoError> {
    let mut notes = Vec::new();
    if let Some(summary) = ensure_region_register(pool, reference_dir).await? {
        notes.push(format!("Gebietsregister geladen: {summary}"));
    }

    let already: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM delivery WHERE channel = 'demo')")
            .fetch_one(pool)
            .await?;
    if already {
        ensure_users(pool).await?;
        notes.push("Demo-Daten bereits vorhanden".to_owned());
        return Ok(notes.join("; "));
    }

    let report = read_report(&reference_dir.join("report-2024-02/datenquellen.csv"))?;
    let population = region_population(pool).await?;
    let mut tx = pool.begin().await?;
    let bund = organisation(&mut tx, ORG_BUND, "bund").await?;
    let efa = organisation(&mut tx, ORG_EFA, "land").await?;
    let land = organisation(&mut tx, ORG_LAND, "land").await?;

    let delivery_id: i64 = sqlx::query_scalar(
        "INSERT INTO delivery (channel, file_name, received, new_values, corrected, unchanged, rejected)
         VALUES ('demo', 'report-2024-02/datenquellen.csv', 0, 0, 0, 0, 0) RETURNING id",
    )
    .fetch_one(&mut *tx)
    .await?;

    let mut records = Vec::new();
    for row in &report {
        let org = match (row.level.as_str(), row.focus_efa) {
            ("Bund", _) => bund,
            (_, true) => efa,
            _ => land,
        };
        let services = create_services(&mut tx, row, org).await?;
        records.extend(spread::spread_row(row, &services, &population));
    }

    let statuses = vec![RowStatus::New; records.len()];
    write_values(&mut tx, delivery_id, &records, &statuses).await?;
    sqlx::query("UPDATE delivery SET received = $2, new_values = $2 WHERE id = $1")
        .bind(delivery_id)
        .bind(records.len() as i32)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    ensure_users(pool).await?;

    notes.push(format!(
        "Demo-Daten geladen: {} Datenquellen, {} Werte",
        report.len(),
        records.len()
    ));
    Ok(notes.join("; "))
}

async fn organisation(
    tx: &mut sqlx::PgConnection,
    name: &str,
    level: &str,
) -> Result<i64, DemoError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO organisation (name, level) VALUES ($1, $2::organisation_level)
         ON CONFLICT (name) DO UPDATE SET level = EXCLUDED.level RETURNING id",
    )
    .bind(name)
    .bind(level)
    .fetch_one(tx)
    .await?)
}

/// Creates the data source's services: one, or a portal with many.
async fn create_services(
    tx: &mut sqlx::PgConnection,
    row: &ReportRow,
    org: i64,
) -> Result<Vec<String>, DemoError> {
    let id = slug(&row.name);
    let portal = if row.services > 1 {
        sqlx::query(
            "INSERT INTO portal (id, name, organisation_id) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name",
        )
        .bind(&id)
        .bind(&row.name)
        .bind(org)
        .execute(&mut *tx)
        .await?;
        Some(id.clone())
    } else {
        None
    };

    let mut ids = Vec::new();
    for n in 1..=row.services {
        let (service_id, name) = match &portal {
            Some(portal) => (
                format!("{portal}-{n:03}"),
                format!("{}: Leistung {n:03}", row.name),
            ),
            None => (id.clone(), row.name.clone()),
        };
        sqlx::query(
            "INSERT INTO online_service (id, name, organisation_id, portal_id, granularity, efa, focus, go_live)
             VALUES ($1, $2, $3, $4, $5, $6, $6, $7)
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, organisation_id = EXCLUDED.organisation_id,
                portal_id = EXCLUDED.portal_id, granularity = EXCLUDED.granularity,
                efa = EXCLUDED.efa, focus = EXCLUDED.focus, go_live = EXCLUDED.go_live",
        )
        .bind(&service_id)
        .bind(&name)
        .bind(org)
        .bind(&portal)
        .bind(row.granularity)
        .bind(row.focus_efa)
        .bind(row.from.map(Month::first_day))
        .execute(&mut *tx)
        .await?;
        ids.push(service_id);
    }
    Ok(ids)
}

/// Population of the cells a service of each granularity reports for.
pub struct Population {
    pub laender: Vec<(String, i64)>,
    /// Kreise by their stored cell (Berlin's and Hamburg's Kreis are the Land's cell).
    pub kreise: Vec<(String, String, i64)>,
}

async fn region_population(pool: &PgPool) -> Result<Population, DemoError> {
    let laender: Vec<(String, i64)> = sqlx::query_as(
        "SELECT key, coalesce(population, 0) FROM region WHERE level = 'land' AND valid_to IS NULL ORDER BY key",
    )
    .fetch_all(pool)
    .await?;
    let kreise: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT key, cell_key, coalesce(population, 0) FROM region
         WHERE level = 'kreis' AND valid_to IS NULL ORDER BY key",
    )
    .fetch_all(pool)
    .await?;
    if laender.len() != 16 || kreise.is_empty() {
        return Err(DemoError::Regions(format!(
            "{} Länder und {} Kreise im Register; erwartet 16 Länder",
            laender.len(),
            kreise.len()
        )));
    }
    Ok(Population { laender, kreise })
}

/// The three demo users; their passwords are reset to the documented ones.
async fn ensure_users(pool: &PgPool) -> Result<(), DemoError> {
    let efa: i64 = sqlx::query_scalar("SELECT id FROM organisation WHERE name = $1")
        .bind(ORG_EFA)
        .fetch_one(pool)
        .await?;
    let create = app::auth::server::create_user;
    create(
        pool,
        "admin",
        "ZSK-Team (Demo)",
        "zsk-demo-admin",
        Role::Admin,
        None,
        None,
    )
    .await?;
    create(
        pool,
        "lieferant",
        "Lieferant EfA (Demo)",
        "zsk-demo-lieferant",
        Role::Submitter,
        Some(efa),
        None,
    )
    .await?;
    create(
        pool,
        "bautzen",
        "Landkreis Bautzen (Demo)",
        "zsk-demo-bautzen",
        Role::Reader,
        None,
        Some("14625"),
    )
    .await?;
    Ok(())
}

/// Records need a line; demo values are numbered in creation order.
fn record(line: u32, service_id: &str, cell: &str, month: Month, count: i64) -> Record {
    Record {
        line,
        service_id: service_id.to_owned(),
        region_key: cell.to_owned(),
        cell_key: cell.to_owned(),
        month,
        count,
    }
}
