//! Catalogue import into a real PostgreSQL database: a tiny fixture, and the
//! 2019 catalogue from the shared reference data (`ZSK_REFERENCE_DIR` or `ZSK_REFERENCE_DIR`, default
//! `../shared/data` beside the workspace; skipped with a notice if absent).

mod common;

use server::catalogue::{import_catalogue, CatalogueError};
use sqlx::PgPool;
use std::path::{Path, PathBuf};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalogue")
}

fn data_dir() -> PathBuf {
    std::env::var_os("ZSK_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"))
}

type LeikaRow = (
    i64,
    Option<String>,
    String,
    Option<String>,
    Vec<i16>,
    Option<String>,
);
type OzgRow = (String, String, Option<String>, Option<String>, bool);

async fn dump(pool: &PgPool) -> (Vec<OzgRow>, Vec<LeikaRow>) {
    let ozg = sqlx::query_as(
        "SELECT ozg_id, name, lebenslage, themenfeld, hidden FROM ozg_leistung ORDER BY ozg_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let leika = sqlx::query_as(
        "SELECT id, leika_key, name, leistungstyp, typ_values, ozg_id FROM leika_leistung ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    (ozg, leika)
}

#[tokio::test]
async fn fixture_import_stores_raw_and_parsed_types_and_is_idempotent() {
    let db = common::TestDb::new().await;
    let pool = db.pool();

    let summary = import_catalogue(pool, &fixture_dir()).await.unwrap();
    assert_eq!(summary.ozg_leistungen, 3);
    assert_eq!(summary.leika_entries, 7);
    assert_eq!(summary.typ_messy(), 3);
    assert_eq!(summary.skipped.len(), 1);

    let (ozg, leika) = dump(pool).await;
    assert_eq!(ozg.len(), 3);
    assert_eq!(
        ozg.iter().find(|o| o.0 == "10569").unwrap(),
        &(
            "10569".into(),
            "Schuldnerverzeichnis".into(),
            Some("Recht & Ordnung".into()),
            Some("Recht & Ordnung".into()),
            true
        )
    );
    assert_eq!(leika.len(), 7);
    let by_name = |name: &str| leika.iter().find(|l| l.2 == name).unwrap().clone();
    assert_eq!(
        by_name("(Baumuster-) Prüfung von Gefahrengutverpackungen"),
        (
            1,
            None,
            "(Baumuster-) Prüfung von Gefahrengutverpackungen".into(),
            Some("1".into()),
            vec![1],
            Some("10478".into())
        )
    );
    assert_eq!(
        by_name("Abdrucke aus dem Schuldnerverzeichnis").4,
        vec![2, 3]
    );
    let messy = by_name("Abbruch \"mit\" Anzeige");
    assert_eq!(
        (messy.3.as_deref(), messy.4),
        (Some("1, 2/3"), vec![1, 2, 3])
    );
    let unknown = by_name("Berufsabschlüsse Anerkennung");
    assert_eq!((unknown.3.as_deref(), unknown.4), (Some("6"), vec![]));
    let empty = by_name("Beschäftigungserlaubnis");
    assert_eq!((empty.3, empty.4, empty.5), (None, vec![], None));

    let first = dump(pool).await;
    let again = import_catalogue(pool, &fixture_dir()).await.unwrap();
    assert_eq!(again, summary);
    assert_eq!(
        dump(pool).await,
        first,
        "a second import gives the same tables"
    );

    // New rows without an explicit id continue after the imported ones.
    let next: i64 =
        sqlx::query_scalar("INSERT INTO leika_leistung (name) VALUES ('x') RETURNING id")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(next, 8);
}

#[tokio::test]
async fn a_smaller_catalogue_replaces_the_old_one() {
    let db = common::TestDb::new().await;
    let pool = db.pool();
    import_catalogue(pool, &fixture_dir()).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ozg_leistungen_2020.csv"),
        "ozg_id,name\n10513,Abbruch\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("leika_ozg_2020.csv"),
        "leika_key,name,leistungstyp,ozg_id\n99012001000000,Abbruchgenehmigung,4,10513\n",
    )
    .unwrap();
    let summary = import_catalogue(pool, dir.path()).await.unwrap();
    assert_eq!(summary.ozg_removed, 2);
    let (ozg, leika) = dump(pool).await;
    assert_eq!(
        ozg,
        vec![("10513".into(), "Abbruch".into(), None, None, false)]
    );
    assert_eq!(
        leika,
        vec![(
            1,
            Some("99012001000000".into()),
            "Abbruchgenehmigung".into(),
            Some("4".into()),
            vec![4],
            Some("10513".into())
        )]
    );
}

#[tokio::test]
async fn a_broken_file_stores_nothing() {
    let db = common::TestDb::new().await;
    let pool = db.pool();
    import_catalogue(pool, &fixture_dir()).await.unwrap();
    let before = dump(pool).await;

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ozg_leistungen.csv"),
        "ozg_id,name\n1,A\n1,B\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("leika_ozg.csv"),
        "leika_key,name,leistungstyp,ozg_id\n",
    )
    .unwrap();
    let err = import_catalogue(pool, dir.path()).await.unwrap_err();
    assert!(matches!(err, CatalogueError::Row { line: 3, .. }), "{err}");
    assert_eq!(dump(pool).await, before);
}

#[tokio::test]
async fn real_2019_catalogue() {
    let dir = data_dir().join("catalogue");
    if !dir.join("ozg_leistungen_2019.csv").is_file() || !dir.join("leika_ozg_2019.csv").is_file() {
        eprintln!(
            "notice: catalogue files not found in {} (set ZSK_REFERENCE_DIR); test skipped",
            dir.display()
        );
        return;
    }
    let db = common::TestDb::new().await;
    let pool = db.pool();

    let started = std::time::Instant::now();
    let summary = import_catalogue(pool, &dir).await.unwrap();
    eprintln!("imported in {:?}:\n{summary}", started.elapsed());
    assert_eq!(summary.ozg_leistungen, 557);
    // 5,251 rows; two test rows with keys that are no LeiKa keys are left out.
    assert_eq!(summary.leika_entries, 5_249);
    let skipped: Vec<usize> = summary.skipped.iter().map(|s| s.line).collect();
    assert_eq!(skipped, [5251, 5252]);
    assert_eq!(summary.without_ozg_id, 26);
    assert_eq!(summary.with_leika_key + summary.not_in_leika, 5_249);
    // "1, 2/3" ×20 and "1, 2" ×1 (union stored), "6" ×5 (nothing stored).
    assert_eq!((summary.typ_several, summary.typ_unrecognized), (21, 5));
    assert_eq!(summary.typ_missing, 8);
    assert_eq!(summary.typ_single, 5_249 - 21 - 5 - 8);
    assert_eq!(summary.typ_examples[0].raw, "1, 2/3");
    assert_eq!(summary.typ_examples[0].count, 20);
    assert!(
        summary
            .to_string()
            .contains("26 kein einzelner Typ, z. B. „1, 2/3“ 20×"),
        "{summary}"
    );

    let counts: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM ozg_leistung), (SELECT count(*) FROM leika_leistung),
                (SELECT count(*) FROM leika_leistung WHERE leika_key IS NULL)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(counts, (557, 5_249, summary.not_in_leika as i64));
    let typ_23: i64 =
        sqlx::query_scalar("SELECT count(*) FROM leika_leistung WHERE typ_values = '{2,3}'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(typ_23, 3_566);

    let first = dump(pool).await;
    import_catalogue(pool, &dir).await.unwrap();
    assert_eq!(
        dump(pool).await,
        first,
        "a second import gives the same tables"
    );
}
