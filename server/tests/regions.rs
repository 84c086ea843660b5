//! Region import into a real PostgreSQL database: the tiny fixture, and the
//! official GV100AD files from the shared reference data (`ZSK_REFERENCE_DIR`,
//! default `../shared/data` beside the workspace; tests that need them
//! print a notice and pass when they are absent).

mod common;

use chrono::NaiveDate;
use server::regions::{gv100, import_regions, RegionImportError};
use sqlx::PgPool;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/regions/gv100ad_mini.txt")
}

fn data_dir() -> PathBuf {
    std::env::var_os("ZSK_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"))
}

/// A reference file, or `None` (with a notice) when it is not there.
fn data_file(name: &str) -> Option<PathBuf> {
    let path = data_dir().join("regions").join(name);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "notice: {} not found (set ZSK_REFERENCE_DIR); test skipped",
            path.display()
        );
        None
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct Row {
    key: String,
    level: String,
    name: String,
    parent_key: Option<String>,
    cell_key: String,
    ars: Option<String>,
    population: Option<i64>,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
}

async fn rows(pool: &PgPool) -> HashMap<String, Row> {
    sqlx::query_as::<_, Row>(
        "SELECT key, level::text AS level, name, parent_key, cell_key, ars, population, valid_from, valid_to
         FROM region",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.key.clone(), r))
    .collect()
}

async fn open_count(pool: &PgPool, level: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM region WHERE level::text = $1 AND valid_to IS NULL")
        .bind(level)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn fixture_import_stores_the_regions_with_cells_and_population() {
    let db = common::TestDb::new().await;
    let pool = db.pool();
    let stand = date(2025, 11, 30);

    let summary = import_regions(pool, &fixture(), stand).await.unwrap();
    assert_eq!(
        (summary.laender, summary.kreise, summary.gemeinden),
        (2, 2, 3)
    );
    assert_eq!(summary.created, 7);
    assert_eq!(
        (summary.updated, summary.closed, summary.unchanged),
        (0, 0, 0)
    );
    assert_eq!(summary.unincorporated, 1);
    assert_eq!(summary.population, 3_720_740);

    let rows = rows(pool).await;
    assert_eq!(rows.len(), 8, "7 regions and DE");
    let de = &rows["DE"];
    assert_eq!(
        (de.level.as_str(), de.name.as_str()),
        ("bund", "Deutschland")
    );
    assert_eq!(de.population, Some(3_720_740));
    assert_eq!(
        (de.parent_key.as_deref(), de.cell_key.as_str()),
        (None, "DE")
    );

    let moelln = &rows["01053005"];
    assert_eq!(moelln.name, "Mölln, Stadt");
    assert_eq!(moelln.level, "gemeinde");
    assert_eq!(moelln.ars.as_deref(), Some("010530000005"));
    assert_eq!(moelln.parent_key.as_deref(), Some("01053"));
    assert_eq!(moelln.cell_key, "01053005");
    assert_eq!((moelln.valid_from, moelln.valid_to), (stand, None));
    assert_eq!(rows["01053"].population, Some(20_740));
    assert_eq!(rows["01"].parent_key.as_deref(), Some("DE"));
    assert!(
        !rows.contains_key("01053105"),
        "unincorporated areas are not regions"
    );

    for key in ["11", "11000", "11000000"] {
        assert_eq!(rows[key].cell_key, "11", "{key}");
        assert_eq!(rows[key].population, Some(3_700_000), "{key}");
    }

    // Importing the same file again changes nothing.
    let again = import_regions(pool, &fixture(), stand).await.unwrap();
    assert_eq!(
        (again.created, again.updated, again.closed, again.unchanged),
        (0, 0, 0, 7)
    );
    assert_eq!(rows, self::rows(pool).await);
}

#[tokio::test]
async fn missing_regions_are_closed_and_reappearing_ones_reopened() {
    let db = common::TestDb::new().await;
    let pool = db.pool();
    import_regions(pool, &fixture(), date(2025, 11, 30))
        .await
        .unwrap();

    // Next Stand: Alt Mölln is gone, Mölln renamed and grown.
    let original = std::fs::read_to_string(fixture()).unwrap();
    let changed: String = original
        .lines()
        .filter(|l| !l.contains("Alt Mölln"))
        .map(|l| {
            let l = l.replace("20251130", "20251231");
            if l.starts_with("60") && l.contains("Mölln, Stadt") {
                l.replace("Mölln, Stadt         ", "Mölln, Eulenspiegel  ")
                    .replace("00000019500", "00000019600")
            } else {
                l
            }
        })
        .map(|l| l + "\n")
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let changed_path = dir.path().join("GV100AD_31122025.txt");
    std::fs::write(&changed_path, changed).unwrap();

    let summary = import_regions(pool, &changed_path, date(2025, 12, 31))
        .await
        .unwrap();
    // Mölln, Kreis 01053 and Land 01 (populations) and DE change; Alt Mölln closes.
    assert_eq!(
        (summary.created, summary.updated, summary.closed),
        (0, 3, 1),
        "{summary}"
    );
    let rows = rows(pool).await;
    let alt = &rows["01053001"];
    assert_eq!(alt.valid_to, Some(date(2025, 12, 30)));
    assert_eq!(alt.valid_from, date(2025, 11, 30));
    assert_eq!(alt.name, "Alt Mölln", "closed rows keep their data");
    let moelln = &rows["01053005"];
    assert_eq!(moelln.name, "Mölln, Eulenspiegel");
    assert_eq!(moelln.population, Some(19_600));
    assert_eq!(
        moelln.valid_from,
        date(2025, 11, 30),
        "existing rows keep valid_from"
    );
    assert_eq!(rows["01053"].population, Some(19_640));
    assert_eq!(rows["DE"].population, Some(3_719_640));
    assert_eq!(open_count(pool, "gemeinde").await, 2);

    // An older Stand is refused and changes nothing.
    let err = import_regions(pool, &fixture(), date(2025, 11, 30))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegionImportError::StandTooOld { .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("liegt vor dem zuletzt importierten Stand 31.12.2025"),
        "{err}"
    );
    assert_eq!(rows, self::rows(pool).await);

    // Alt Mölln comes back.
    let summary = import_regions(pool, &fixture(), date(2026, 6, 30))
        .await
        .unwrap();
    assert_eq!(summary.reopened, 1);
    assert_eq!(summary.closed, 0);
    let rows = self::rows(pool).await;
    assert_eq!(rows["01053001"].valid_to, None);
    assert_eq!(rows["01053001"].valid_from, date(2025, 11, 30));
    assert_eq!(rows["01053005"].name, "Mölln, Stadt");
    assert_eq!(rows.len(), 8);
}

#[tokio::test]
async fn a_broken_file_stores_nothing_and_names_the_line() {
    let db = common::TestDb::new().await;
    let pool = db.pool();
    let mut text = std::fs::read_to_string(fixture()).unwrap();
    text.push_str("6020251130110000010000Kurz\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kaputt.txt");
    std::fs::write(&path, text).unwrap();

    let err = import_regions(pool, &path, date(2025, 11, 30))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("kaputt.txt: Zeile 12: Satz zu kurz"),
        "{err}"
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM region")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn real_gv100ad_2025_gives_the_official_counts() {
    let Some(path) = data_file("GV100AD_30112025.txt") else {
        return;
    };
    let db = common::TestDb::new().await;
    let pool = db.pool();

    let started = std::time::Instant::now();
    let summary = import_regions(pool, &path, date(2025, 11, 30))
        .await
        .unwrap();
    eprintln!("imported in {:?}:\n{summary}", started.elapsed());
    assert_eq!(
        (summary.laender, summary.kreise, summary.gemeinden),
        (16, 400, 10_751)
    );
    assert_eq!(summary.unincorporated, 202);
    assert_eq!(summary.population, 83_577_140);
    assert!(summary.to_string().starts_with(
        "16 Länder, 400 Kreise, 10.751 Gemeinden; Bevölkerung Deutschland 83.577.140"
    ));

    assert_eq!(open_count(pool, "land").await, 16);
    assert_eq!(open_count(pool, "kreis").await, 400);
    assert_eq!(open_count(pool, "gemeinde").await, 10_751);
    let de: Option<i64> = sqlx::query_scalar("SELECT population FROM region WHERE key = 'DE'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(de, Some(83_577_140));
    let laender_sum: i64 =
        sqlx::query_scalar("SELECT sum(population)::int8 FROM region WHERE level = 'land'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(laender_sum, 83_577_140);

    // Only Berlin and Hamburg share cells; each is one cell at three levels.
    let shared: Vec<(String, String)> =
        sqlx::query_as("SELECT key, cell_key FROM region WHERE cell_key <> key ORDER BY key")
            .fetch_all(pool)
            .await
            .unwrap();
    let expected = [
        ("02000", "02"),
        ("02000000", "02"),
        ("11000", "11"),
        ("11000000", "11"),
    ];
    assert_eq!(
        shared,
        expected.map(|(k, c)| (k.to_owned(), c.to_owned())).to_vec()
    );
    // Counting cells, not rows: Berlin and Hamburg once per level means
    // 16 + 398 + 10,749 distinct cells besides DE.
    let cells: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT cell_key) FROM region WHERE key <> 'DE'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(cells, 16 + 398 + 10_749);

    let rows = rows(pool).await;
    assert_eq!(
        rows["14625020"].name,
        "Bautzen / Budyšin, Stadt, Hochschulstadt / Wysokoš"
    );
    assert_eq!(rows["14625020"].ars.as_deref(), Some("146250020020"));
    assert_eq!(rows["09162000"].parent_key.as_deref(), Some("09162"));
    // Every Kreis's population is the sum of its Gemeinden plus its
    // unincorporated areas' inhabitants (917 in two Niedersachsen areas).
    let gemeinden_sum: i64 = rows
        .values()
        .filter(|r| r.level == "gemeinde")
        .filter_map(|r| r.population)
        .sum();
    assert_eq!(gemeinden_sum + 917, 83_577_140);
}

#[tokio::test]
async fn importing_2021_then_2025_closes_what_disappeared() {
    let (Some(path_2021), Some(path_2025)) = (
        data_file("GV100AD_31122021.txt"),
        data_file("GV100AD_30112025.txt"),
    ) else {
        return;
    };
    let db = common::TestDb::new().await;
    let pool = db.pool();
    let keys = |path: &Path| -> BTreeSet<String> {
        gv100::read_file(path)
            .unwrap()
            .regions
            .iter()
            .map(|r| r.key.to_string())
            .collect()
    };
    let (keys_2021, keys_2025) = (keys(&path_2021), keys(&path_2025));
    let gone: BTreeSet<String> = keys_2021.difference(&keys_2025).cloned().collect();
    let new: BTreeSet<String> = keys_2025.difference(&keys_2021).cloned().collect();
    assert!(!gone.is_empty() && !new.is_empty(), "the two Stände differ");

    let first = import_regions(pool, &path_2021, date(2021, 12, 31))
        .await
        .unwrap();
    eprintln!("2021:\n{first}");
    assert_eq!(
        (first.laender, first.kreise, first.gemeinden),
        (16, 400, 10_787)
    );
    let second = import_regions(pool, &path_2025, date(2025, 11, 30))
        .await
        .unwrap();
    eprintln!("2025:\n{second}");
    assert_eq!(second.closed, gone.len());
    assert_eq!(second.created, new.len());

    let rows = rows(pool).await;
    assert_eq!(
        rows.len(),
        keys_2021.union(&keys_2025).count() + 1,
        "nothing deleted"
    );
    let closed: BTreeSet<String> = rows
        .values()
        .filter(|r| r.valid_to.is_some())
        .map(|r| r.key.clone())
        .collect();
    assert_eq!(closed, gone);
    for key in &gone {
        assert_eq!(rows[key].valid_to, Some(date(2025, 11, 29)), "{key}");
        assert_eq!(rows[key].valid_from, date(2021, 12, 31), "{key}");
    }
    for key in &new {
        assert_eq!(rows[key].valid_from, date(2025, 11, 30), "{key}");
    }
    let kept = keys_2021.intersection(&keys_2025).next().unwrap();
    assert_eq!(rows[kept].valid_from, date(2021, 12, 31));
    assert_eq!(open_count(pool, "gemeinde").await, 10_751);
    assert_eq!(open_count(pool, "kreis").await, 400);
    assert_eq!(rows["DE"].population, Some(83_577_140));
}
