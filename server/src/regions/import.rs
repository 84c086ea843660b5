//! Imports a GV100AD file into the `region` table.
//!
//! One transaction: the Bund row `DE` is ensured (population = sum of the
//! Länder); every Land, Kreis and Gemeinde of the file is inserted or
//! updated (new rows get `valid_from = stand`, existing rows keep theirs);
//! regions in the table but not in the file are closed with
//! `valid_to = stand − 1 day`, never deleted; a closed region that appears
//! again is opened (`valid_to = NULL`). Unincorporated areas are not stored
//! (see [`super::gv100`]).
//!
//! A Stand older than one already imported is refused: it would close
//! regions before they began.

use super::format_number;
use super::gv100::{self, Gv100Error, Gv100File};
use app::regions::RegionLevel;
use chrono::NaiveDate;
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

/// Rows per UNNEST batch.
const BATCH: usize = 5_000;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionImportSummary {
    /// The Stand given to the import (`valid_from` of new regions).
    pub stand: NaiveDate,
    /// The Gebietsstand written in the file, if it has one.
    pub file_stand: Option<NaiveDate>,
    pub laender: usize,
    pub kreise: usize,
    pub gemeinden: usize,
    /// Unincorporated areas in the file (not stored as regions).
    pub unincorporated: usize,
    /// Their inhabitants (contained in the Kreis and Land populations).
    pub unincorporated_population: i64,
    /// Germany's population (the `DE` row).
    pub population: i64,
    /// Regions that did not exist before.
    pub created: usize,
    /// Existing regions whose data changed (reopened ones included).
    pub updated: usize,
    /// Closed regions that are valid again.
    pub reopened: usize,
    /// Existing regions the import left as they were.
    pub unchanged: usize,
    /// Regions missing from the file, now closed.
    pub closed: usize,
}

impl RegionImportSummary {
    /// The `valid_to` given to closed regions.
    pub fn closed_on(&self) -> NaiveDate {
        self.stand.pred_opt().unwrap_or(self.stand)
    }
}

fn counted(n: usize, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        format_number(n as i64),
        if n == 1 { one } else { many }
    )
}

impl fmt::Display for RegionImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}, {}, {}; Bevölkerung Deutschland {}",
            counted(self.laender, "Land", "Länder"),
            counted(self.kreise, "Kreis", "Kreise"),
            counted(self.gemeinden, "Gemeinde", "Gemeinden"),
            format_number(self.population),
        )?;
        write!(
            f,
            "Stand {}: {} neu, {} geändert (davon {} wieder gültig), {} unverändert, {} geschlossen",
            self.stand.format("%d.%m.%Y"),
            format_number(self.created as i64),
            format_number(self.updated as i64),
            format_number(self.reopened as i64),
            format_number(self.unchanged as i64),
            format_number(self.closed as i64),
        )?;
        if self.closed > 0 {
            write!(f, " (gültig bis {})", self.closed_on().format("%d.%m.%Y"))?;
        }
        if self.unincorporated > 0 {
            write!(
                f,
                "\n{} nicht als Gemeinden übernommen ({} Einwohner, in den Zahlen ihrer Kreise und Länder enthalten)",
                counted(self.unincorporated, "gemeindefreies Gebiet", "gemeindefreie Gebiete"),
                format_number(self.unincorporated_population),
            )?;
        }
        if let Some(file_stand) = self.file_stand.filter(|s| *s != self.stand) {
            write!(
                f,
                "\nHinweis: die Datei nennt den Gebietsstand {}, importiert wurde mit Stand {}",
                file_stand.format("%d.%m.%Y"),
                self.stand.format("%d.%m.%Y"),
            )?;
        }
        Ok(())
    }
}

/// Why a region import failed. Nothing is stored then.
#[derive(Debug, thiserror::Error)]
pub enum RegionImportError {
    #[error("{path}: Datei kann nicht gelesen werden: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Format { path: String, source: Gv100Error },
    #[error(
        "Stand {} liegt vor dem zuletzt importierten Stand {}; ältere Gebietsstände können nicht nachträglich importiert werden",
        stand.format("%d.%m.%Y"),
        latest.format("%d.%m.%Y")
    )]
    StandTooOld { stand: NaiveDate, latest: NaiveDate },
    #[error(
        "mit Stand {} wurden schon Regionen angelegt, die in dieser Datei fehlen ({}); sie können nicht zum selben Stand geschlossen werden",
        stand.format("%d.%m.%Y"),
        keys.join(", ")
    )]
    SameStandConflict { stand: NaiveDate, keys: Vec<String> },
    #[error("Datenbankfehler beim Regionenimport: {0}")]
    Database(#[from] sqlx::Error),
}

/// Reads the GV100AD file at `path` and imports it with the given Stand.
pub async fn import_regions(
    pool: &PgPool,
    path: &Path,
    stand: NaiveDate,
) -> Result<RegionImportSummary, RegionImportError> {
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|source| RegionImportError::Read {
            path: path.display().to_string(),
            source,
        })?;
    // Parsing 16,000 fixed-width lines is CPU work: keep it off the runtime.
    let parsed = tokio::task::spawn_blocking(move || gv100::parse_bytes(&bytes))
        .await
        .map_err(|e| RegionImportError::Read {
            path: path.display().to_string(),
            source: std::io::Error::other(e),
        })?;
    let file = parsed.map_err(|source| RegionImportError::Format {
        path: path.display().to_string(),
        source,
    })?;
    if let Some(file_stand) = file.stand.filter(|s| *s != stand) {
        tracing::warn!(%file_stand, %stand, "GV100AD Gebietsstand differs from the given Stand");
    }
    import_parsed(pool, &file, stand).await
}

/// Imports an already parsed GV100AD file (see [`import_regions`]).
pub async fn import_parsed(
    pool: &PgPool,
    file: &Gv100File,
    stand: NaiveDate,
) -> Result<RegionImportSummary, RegionImportError> {
    let closed_on = stand.pred_opt().unwrap_or(stand);
    let population = file.population();
    let file_keys: Vec<&str> = file.regions.iter().map(|r| r.key.as_str()).collect();

    let mut tx = pool.begin().await?;
    // One import at a time; readers are not blocked.
    sqlx::query("LOCK TABLE region IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;

    let latest: Option<NaiveDate> = sqlx::query_scalar(
        "SELECT GREATEST(max(valid_from), max(valid_to) + 1) FROM region WHERE key <> 'DE'",
    )
    .fetch_one(&mut *tx)
    .await?;
    if let Some(latest) = latest.filter(|latest| *latest > stand) {
        return Err(RegionImportError::StandTooOld { stand, latest });
    }

    let conflicts: Vec<String> = sqlx::query_scalar(
        "SELECT key FROM region r
         WHERE key <> 'DE' AND valid_to IS NULL AND valid_from >= $1
           AND NOT EXISTS (SELECT 1 FROM UNNEST($2::text[]) AS f(key) WHERE f.key = r.key)
         ORDER BY key LIMIT 5",
    )
    .bind(stand)
    .bind(&file_keys)
    .fetch_all(&mut *tx)
    .await?;
    if !conflicts.is_empty() {
        return Err(RegionImportError::SameStandConflict {
            stand,
            keys: conflicts,
        });
    }

    // key -> whether the row is closed now
    let existing: HashMap<String, bool> =
        sqlx::query_as::<_, (String, bool)>("SELECT key, valid_to IS NOT NULL FROM region")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();

    sqlx::query(
        "INSERT INTO region (key, level, name, parent_key, cell_key, ars, population, valid_from, valid_to)
         VALUES ('DE', 'bund', 'Deutschland', NULL, 'DE', NULL, $1, $2, NULL)
         ON CONFLICT (key) DO UPDATE SET
             level = EXCLUDED.level, name = EXCLUDED.name, parent_key = NULL, cell_key = 'DE',
             population = EXCLUDED.population, valid_to = NULL",
    )
    .bind(population)
    .bind(stand)
    .execute(&mut *tx)
    .await?;

    // Länder before Kreise before Gemeinden: `parent_key` is checked at the
    // end of each statement (only `cell_key` is deferred).
    let mut changed: HashSet<String> = HashSet::new();
    for batch in file.regions.chunks(BATCH) {
        let keys: Vec<&str> = batch.iter().map(|r| r.key.as_str()).collect();
        let levels: Vec<&str> = batch.iter().map(|r| level_name(r.level)).collect();
        let names: Vec<&str> = batch.iter().map(|r| r.name.as_str()).collect();
        let parents: Vec<&str> = batch.iter().map(|r| r.parent.as_str()).collect();
        let cells: Vec<&str> = batch.iter().map(|r| r.cell.as_str()).collect();
        let ars: Vec<Option<&str>> = batch.iter().map(|r| r.ars.as_deref()).collect();
        let populations: Vec<i64> = batch.iter().map(|r| r.population).collect();
        let rows: Vec<String> = sqlx::query_scalar(
            "INSERT INTO region AS r (key, level, name, parent_key, cell_key, ars, population, valid_from, valid_to)
             SELECT u.key, u.level::region_level, u.name, u.parent_key, u.cell_key, u.ars, u.population, $8, NULL
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int8[])
                  AS u(key, level, name, parent_key, cell_key, ars, population)
             ON CONFLICT (key) DO UPDATE SET
                 level = EXCLUDED.level, name = EXCLUDED.name, parent_key = EXCLUDED.parent_key,
                 cell_key = EXCLUDED.cell_key, ars = EXCLUDED.ars, population = EXCLUDED.population,
                 valid_to = NULL
             WHERE (r.level, r.name, r.parent_key, r.cell_key, r.ars, r.population, r.valid_to)
                   IS DISTINCT FROM
                   (EXCLUDED.level, EXCLUDED.name, EXCLUDED.parent_key, EXCLUDED.cell_key,
                    EXCLUDED.ars, EXCLUDED.population, NULL::date)
             RETURNING r.key",
        )
        .bind(&keys)
        .bind(&levels)
        .bind(&names)
        .bind(&parents)
        .bind(&cells)
        .bind(&ars)
        .bind(&populations)
        .bind(stand)
        .fetch_all(&mut *tx)
        .await?;
        changed.extend(rows);
    }

    let closed = sqlx::query(
        "UPDATE region r SET valid_to = $1
         WHERE key <> 'DE' AND valid_to IS NULL
           AND NOT EXISTS (SELECT 1 FROM UNNEST($2::text[]) AS f(key) WHERE f.key = r.key)",
    )
    .bind(closed_on)
    .bind(&file_keys)
    .execute(&mut *tx)
    .await?
    .rows_affected() as usize;

    tx.commit().await?;

    let created = changed
        .iter()
        .filter(|k| !existing.contains_key(*k))
        .count();
    let updated = changed.len() - created;
    let reopened = file_keys
        .iter()
        .filter(|k| existing.get(**k) == Some(&true))
        .count();
    let summary = RegionImportSummary {
        stand,
        file_stand: file.stand,
        laender: file.count(RegionLevel::Land),
        kreise: file.count(RegionLevel::Kreis),
        gemeinden: file.count(RegionLevel::Gemeinde),
        unincorporated: file.unincorporated.len(),
        unincorporated_population: file.unincorporated_population(),
        population,
        created,
        updated,
        reopened,
        unchanged: file.regions.len() - changed.len(),
        closed,
    };
    tracing::info!(
        created = summary.created,
        updated = summary.updated,
        closed = summary.closed,
        %stand,
        "regions imported"
    );
    Ok(summary)
}

fn level_name(level: RegionLevel) -> &'static str {
    match level {
        RegionLevel::Bund => "bund",
        RegionLevel::Land => "land",
        RegionLevel::Kreis => "kreis",
        RegionLevel::Gemeinde => "gemeinde",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> RegionImportSummary {
        RegionImportSummary {
            stand: NaiveDate::from_ymd_opt(2025, 11, 30).unwrap(),
            file_stand: NaiveDate::from_ymd_opt(2025, 11, 30),
            laender: 16,
            kreise: 400,
            gemeinden: 10_751,
            unincorporated: 202,
            unincorporated_population: 917,
            population: 83_577_140,
            created: 11_167,
            updated: 0,
            reopened: 0,
            unchanged: 0,
            closed: 0,
        }
    }

    #[test]
    fn summary_reads_german() {
        let text = summary().to_string();
        assert_eq!(
            text.lines().next().unwrap(),
            "16 Länder, 400 Kreise, 10.751 Gemeinden; Bevölkerung Deutschland 83.577.140"
        );
        assert!(
            text.contains("Stand 30.11.2025: 11.167 neu, 0 geändert"),
            "{text}"
        );
        assert!(text
            .contains("202 gemeindefreie Gebiete nicht als Gemeinden übernommen (917 Einwohner"));
        assert!(!text.contains("gültig bis"));
        assert!(!text.contains("Hinweis"));
    }

    #[test]
    fn summary_names_the_closing_date_and_a_differing_file_stand() {
        let mut summary = summary();
        summary.closed = 36;
        summary.laender = 1;
        summary.file_stand = NaiveDate::from_ymd_opt(2025, 6, 30);
        let text = summary.to_string();
        assert!(text.starts_with("1 Land, 400 Kreise"), "{text}");
        assert!(
            text.contains("36 geschlossen (gültig bis 29.11.2025)"),
            "{text}"
        );
        assert!(
            text.contains("Hinweis: die Datei nennt den Gebietsstand 30.06.2025"),
            "{text}"
        );
    }
}
