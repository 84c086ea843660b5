//! The OZG catalogue: OZG-Leistungen and the LeiKa entries that map onto
//! them, imported from the two CSV files of a catalogue folder
//! (`ozg_leistungen*.csv`, `leika_ozg*.csv`).
//!
//! The import replaces the catalogue in one transaction, so importing the
//! same files twice gives the same tables: OZG-Leistungen are upserted and
//! those no longer in the file removed; LeiKa entries are replaced, their
//! `id` being the entry's position in the file (1, 2, …).
//!
//! LeiKa rows that cannot be stored faithfully are left out and reported
//! (see [`parse::parse_leika`]); Leistungstyp values that are not one clean
//! type are stored as written in `leistungstyp`, with `typ_values` only what
//! they unambiguously say, and reported (see [`parse::parse_leistungstyp`]).

pub mod parse;

use crate::regions::format_number;
use parse::{LeikaEntry, OzgLeistung, TypKind};
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// How many messy Leistungstyp values the summary names.
const EXAMPLES: usize = 5;

/// A LeiKa row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

/// A Leistungstyp text that is not one clean type, with how often it occurs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypExample {
    pub raw: String,
    pub count: usize,
    /// What was stored in `typ_values` for it (empty: nothing).
    pub values: Vec<i16>,
}

/// What a catalogue import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogueSummary {
    pub ozg_leistungen: usize,
    /// OZG-Leistungen of an earlier import that the files no longer have.
    pub ozg_removed: usize,
    /// LeiKa entries stored.
    pub leika_entries: usize,
    pub with_leika_key: usize,
    /// Entries marked "nicht im LeiKa" (stored with `leika_key` NULL).
    pub not_in_leika: usize,
    pub without_ozg_id: usize,
    /// Leistungstyp one clean type (1…5 or 2/3).
    pub typ_single: usize,
    /// Leistungstyp empty.
    pub typ_missing: usize,
    /// Leistungstyp a list of clean types (stored as their union).
    pub typ_several: usize,
    /// Leistungstyp not readable (no type stored).
    pub typ_unrecognized: usize,
    /// The most frequent values that are not one clean type.
    pub typ_examples: Vec<TypExample>,
    pub skipped: Vec<SkippedRow>,
}

impl CatalogueSummary {
    /// Entries whose Leistungstyp is not a single clean type (empty ones not counted).
    pub fn typ_messy(&self) -> usize {
        self.typ_several + self.typ_unrecognized
    }
}

impl fmt::Display for CatalogueSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |v: usize| format_number(v as i64);
        write!(
            f,
            "{} OZG-Leistungen, {} LeiKa-Einträge ({} mit LeiKa-Schlüssel, {} „nicht im LeiKa“, {} ohne OZG-ID)",
            n(self.ozg_leistungen),
            n(self.leika_entries),
            n(self.with_leika_key),
            n(self.not_in_leika),
            n(self.without_ozg_id),
        )?;
        if self.ozg_removed > 0 {
            write!(
                f,
                "; {} OZG-Leistungen entfernt, die nicht mehr in der Datei stehen",
                n(self.ozg_removed)
            )?;
        }
        write!(
            f,
            "\nLeistungstyp: {} eindeutig, {} ohne Angabe, {} kein einzelner Typ",
            n(self.typ_single),
            n(self.typ_missing),
            n(self.typ_messy()),
        )?;
        if !self.typ_examples.is_empty() {
            let examples: Vec<String> = self
                .typ_examples
                .iter()
                .map(|e| {
                    let stored = if e.values.is_empty() {
                        "nicht übernommen".to_owned()
                    } else {
                        let list: Vec<String> = e.values.iter().map(i16::to_string).collect();
                        format!("als {} übernommen", list.join(", "))
                    };
                    format!("„{}“ {}× ({stored})", e.raw, n(e.count))
                })
                .collect();
            write!(f, ", z. B. {}", examples.join("; "))?;
        }
        if !self.skipped.is_empty() {
            let rows = if self.skipped.len() == 1 {
                "Zeile"
            } else {
                "Zeilen"
            };
            write!(f, "\n{} {rows} nicht übernommen:", n(self.skipped.len()))?;
            for row in self.skipped.iter().take(10) {
                write!(f, "\n  {}, Zeile {}: {}", row.file, row.line, row.reason)?;
            }
            if self.skipped.len() > 10 {
                write!(f, "\n  … und {} weitere", n(self.skipped.len() - 10))?;
            }
        }
        Ok(())
    }
}

/// Why a catalogue import failed. Nothing is stored then.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("{}: keine Datei {pattern} gefunden", dir.display())]
    MissingFile { dir: PathBuf, pattern: &'static str },
    #[error("{}: mehrere Dateien passen zu {pattern} ({}); bitte nur eine in den Ordner legen", dir.display(), candidates.join(", "))]
    AmbiguousFile {
        dir: PathBuf,
        pattern: &'static str,
        candidates: Vec<String>,
    },
    #[error("{path}: Datei kann nicht gelesen werden: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{file}, Zeile {line}: kein gültiges UTF-8")]
    Encoding { file: String, line: usize },
    #[error("{file}, Zeile {line}: {message}")]
    Csv {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: Spalte „{column}“ fehlt")]
    MissingColumn { file: String, column: &'static str },
    #[error("{file}, Zeile {line}: {message}")]
    Row {
        file: String,
        line: usize,
        message: String,
    },
    #[error("Datenbankfehler beim Katalogimport: {0}")]
    Database(#[from] sqlx::Error),
}

/// The catalogue read from its two files.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub ozg: Vec<OzgLeistung>,
    pub leika: Vec<LeikaEntry>,
    pub skipped: Vec<SkippedRow>,
}

/// Reads the two catalogue files from `dir` (no database).
pub fn read_catalogue(dir: &Path) -> Result<Catalogue, CatalogueError> {
    let ozg_path = find_file(dir, "ozg_leistungen", "ozg_leistungen*.csv")?;
    let leika_path = find_file(dir, "leika_ozg", "leika_ozg*.csv")?;
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| CatalogueError::Read {
            path: path.display().to_string(),
            source,
        })
    };
    let name = |path: &Path| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let ozg = parse::parse_ozg(&name(&ozg_path), &read(&ozg_path)?)?;
    let ozg_ids: HashSet<&str> = ozg.iter().map(|o| o.ozg_id.as_str()).collect();
    let mut skipped = Vec::new();
    let leika = parse::parse_leika(
        &name(&leika_path),
        &read(&leika_path)?,
        &ozg_ids,
        &mut skipped,
    )?;
    Ok(Catalogue {
        ozg,
        leika,
        skipped,
    })
}

/// The one `PREFIX*.csv` in `dir`.
fn find_file(dir: &Path, prefix: &str, pattern: &'static str) -> Result<PathBuf, CatalogueError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CatalogueError::Read {
        path: dir.display().to_string(),
        source,
    })?;
    let mut candidates: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|name| name.starts_with(prefix) && name.to_lowercase().ends_with(".csv"))
        .collect();
    candidates.sort();
    match candidates.len() {
        0 => Err(CatalogueError::MissingFile {
            dir: dir.to_owned(),
            pattern,
        }),
        1 => Ok(dir.join(&candidates[0])),
        _ => Err(CatalogueError::AmbiguousFile {
            dir: dir.to_owned(),
            pattern,
            candidates,
        }),
    }
}

/// Imports the catalogue from the CSV files in `dir`, replacing the
/// current one in one transaction.
pub async fn import_catalogue(
    pool: &PgPool,
    dir: &Path,
) -> Result<CatalogueSummary, CatalogueError> {
    let dir = dir.to_owned();
    let catalogue = tokio::task::spawn_blocking(move || read_catalogue(&dir))
        .await
        .map_err(|e| CatalogueError::Read {
            path: "Katalog".into(),
            source: std::io::Error::other(e),
        })??;
    import_parsed(pool, catalogue).await
}

/// Stores an already read catalogue (see [`import_catalogue`]).
pub async fn import_parsed(
    pool: &PgPool,
    catalogue: Catalogue,
) -> Result<CatalogueSummary, CatalogueError> {
    let Catalogue {
        ozg,
        leika,
        skipped,
    } = catalogue;
    let mut tx = pool.begin().await?;
    sqlx::query("LOCK TABLE ozg_leistung, leika_leistung IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;

    sqlx::query("DELETE FROM leika_leistung")
        .execute(&mut *tx)
        .await?;

    let ids: Vec<&str> = ozg.iter().map(|o| o.ozg_id.as_str()).collect();
    let names: Vec<&str> = ozg.iter().map(|o| o.name.as_str()).collect();
    let lebenslagen: Vec<Option<&str>> = ozg.iter().map(|o| o.lebenslage.as_deref()).collect();
    let themenfelder: Vec<Option<&str>> = ozg.iter().map(|o| o.themenfeld.as_deref()).collect();
    let hidden: Vec<bool> = ozg.iter().map(|o| o.hidden).collect();
    sqlx::query(
        "INSERT INTO ozg_leistung (ozg_id, name, lebenslage, themenfeld, hidden)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[])
         ON CONFLICT (ozg_id) DO UPDATE SET
             name = EXCLUDED.name, lebenslage = EXCLUDED.lebenslage,
             themenfeld = EXCLUDED.themenfeld, hidden = EXCLUDED.hidden",
    )
    .bind(&ids)
    .bind(&names)
    .bind(&lebenslagen)
    .bind(&themenfelder)
    .bind(&hidden)
    .execute(&mut *tx)
    .await?;
    let ozg_removed = sqlx::query(
        "DELETE FROM ozg_leistung o
         WHERE NOT EXISTS (SELECT 1 FROM UNNEST($1::text[]) AS f(id) WHERE f.id = o.ozg_id)",
    )
    .bind(&ids)
    .execute(&mut *tx)
    .await?
    .rows_affected() as usize;

    for (batch_no, batch) in leika.chunks(5_000).enumerate() {
        let first_id = (batch_no * 5_000) as i64 + 1;
        let row_ids: Vec<i64> = (0..batch.len() as i64).map(|i| first_id + i).collect();
        let keys: Vec<Option<&str>> = batch.iter().map(|l| l.leika_key.as_deref()).collect();
        let names: Vec<&str> = batch.iter().map(|l| l.name.as_str()).collect();
        let typ_raw: Vec<Option<&str>> = batch
            .iter()
            .map(|l| l.leistungstyp_raw.as_deref())
            .collect();
        // Array literals, cast per row: UNNEST cannot yield arrays from a 2-D array.
        let typ_values: Vec<String> = batch
            .iter()
            .map(|l| {
                let list: Vec<String> = l.leistungstyp.values.iter().map(i16::to_string).collect();
                format!("{{{}}}", list.join(","))
            })
            .collect();
        let ozg_ids: Vec<Option<&str>> = batch.iter().map(|l| l.ozg_id.as_deref()).collect();
        sqlx::query(
            "INSERT INTO leika_leistung (id, leika_key, name, leistungstyp, typ_values, ozg_id)
             SELECT u.id, u.leika_key, u.name, u.leistungstyp, u.typ_values::smallint[], u.ozg_id
             FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
                  AS u(id, leika_key, name, leistungstyp, typ_values, ozg_id)",
        )
        .bind(&row_ids)
        .bind(&keys)
        .bind(&names)
        .bind(&typ_raw)
        .bind(&typ_values)
        .bind(&ozg_ids)
        .execute(&mut *tx)
        .await?;
    }
    // Ids were given explicitly; the next default id follows the last one.
    sqlx::query(
        "SELECT setval(pg_get_serial_sequence('leika_leistung', 'id'),
                       COALESCE((SELECT max(id) FROM leika_leistung), 0) + 1, false)",
    )
    .execute(&mut *tx)
    .await?;

    tx.commit().await?;

    let summary = summarize(&ozg, &leika, skipped, ozg_removed);
    tracing::info!(
        ozg = summary.ozg_leistungen,
        leika = summary.leika_entries,
        messy_types = summary.typ_messy(),
        skipped = summary.skipped.len(),
        "catalogue imported"
    );
    Ok(summary)
}

fn summarize(
    ozg: &[OzgLeistung],
    leika: &[LeikaEntry],
    skipped: Vec<SkippedRow>,
    ozg_removed: usize,
) -> CatalogueSummary {
    let mut summary = CatalogueSummary {
        ozg_leistungen: ozg.len(),
        ozg_removed,
        leika_entries: leika.len(),
        skipped,
        ..Default::default()
    };
    let mut messy: HashMap<&str, TypExample> = HashMap::new();
    for entry in leika {
        if entry.leika_key.is_some() {
            summary.with_leika_key += 1;
        } else {
            summary.not_in_leika += 1;
        }
        if entry.ozg_id.is_none() {
            summary.without_ozg_id += 1;
        }
        match entry.leistungstyp.kind {
            TypKind::Single => summary.typ_single += 1,
            TypKind::Missing => summary.typ_missing += 1,
            TypKind::Several | TypKind::Unrecognized => {
                if entry.leistungstyp.kind == TypKind::Several {
                    summary.typ_several += 1;
                } else {
                    summary.typ_unrecognized += 1;
                }
                let raw = entry.leistungstyp_raw.as_deref().unwrap_or("");
                messy
                    .entry(raw)
                    .or_insert_with(|| TypExample {
                        raw: raw.to_owned(),
                        count: 0,
                        values: entry.leistungstyp.values.clone(),
                    })
                    .count += 1;
            }
        }
    }
    let mut examples: Vec<TypExample> = messy.into_values().collect();
    examples.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.raw.cmp(&b.raw)));
    examples.truncate(EXAMPLES);
    summary.typ_examples = examples;
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalogue")
    }

    #[test]
    fn reads_the_fixture() {
        let catalogue = read_catalogue(&fixture_dir()).unwrap();
        assert_eq!(catalogue.ozg.len(), 3);
        assert_eq!(catalogue.leika.len(), 7);
        assert_eq!(catalogue.skipped.len(), 1);
        assert_eq!(catalogue.skipped[0].line, 9);
    }

    #[test]
    fn summary_reports_messy_types_in_german() {
        let catalogue = read_catalogue(&fixture_dir()).unwrap();
        let summary = summarize(&catalogue.ozg, &catalogue.leika, catalogue.skipped, 0);
        assert_eq!(summary.with_leika_key, 6);
        assert_eq!(summary.not_in_leika, 1);
        assert_eq!(summary.without_ozg_id, 1);
        assert_eq!(summary.typ_single, 3);
        assert_eq!(summary.typ_missing, 1);
        assert_eq!(summary.typ_several, 2);
        assert_eq!(summary.typ_unrecognized, 1);
        assert_eq!(summary.typ_messy(), 3);
        assert_eq!(
            summary.typ_examples,
            vec![
                TypExample {
                    raw: "1, 2/3".into(),
                    count: 2,
                    values: vec![1, 2, 3]
                },
                TypExample {
                    raw: "6".into(),
                    count: 1,
                    values: vec![]
                },
            ]
        );
        let text = summary.to_string();
        assert_eq!(
            text,
            "3 OZG-Leistungen, 7 LeiKa-Einträge (6 mit LeiKa-Schlüssel, 1 „nicht im LeiKa“, 1 ohne OZG-ID)\n\
             Leistungstyp: 3 eindeutig, 1 ohne Angabe, 3 kein einzelner Typ, z. B. „1, 2/3“ 2× (als 1, 2, 3 übernommen); „6“ 1× (nicht übernommen)\n\
             1 Zeile nicht übernommen:\n  leika_ozg_mini.csv, Zeile 9: ungültiger LeiKa-Schlüssel „3233“ (14 Ziffern oder „nicht im LeiKa“)"
        );
    }

    #[test]
    fn a_folder_without_the_files_is_an_error() {
        let err = read_catalogue(Path::new(env!("CARGO_MANIFEST_DIR")).join("src").as_path())
            .unwrap_err();
        assert!(
            matches!(
                err,
                CatalogueError::MissingFile {
                    pattern: "ozg_leistungen*.csv",
                    ..
                }
            ),
            "{err}"
        );
    }
}
