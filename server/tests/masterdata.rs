//! Master-data import into a real PostgreSQL database: the shared cases 00,
//! 16 and 17 (fixtures copied to `tests/fixtures/cases`), the organisation
//! scope, dry runs, and what an update keeps.

mod common;

use app::delivery::{Message, Severity};
use app::services::Granularity;
use common::fixture;
use server::masterdata::{
    import_master_data, import_master_data_file, read_master_data, MasterDataError,
    MasterDataScope, MasterDataSummary, ServiceStatus,
};
use sqlx::PgPool;

fn case(path: &str) -> Vec<u8> {
    std::fs::read(fixture(&format!("cases/{path}"))).expect("fixture")
}

async fn import(
    pool: &PgPool,
    path: &str,
    scope: MasterDataScope,
) -> Result<MasterDataSummary, MasterDataError> {
    import_master_data_file(pool, &case(path), scope, false).await
}

fn rule_errors(result: Result<MasterDataSummary, MasterDataError>) -> Vec<Message> {
    match result {
        Err(MasterDataError::Rules(messages)) => messages,
        other => panic!("rule violations expected, got {other:?}"),
    }
}

/// (line, column, value, text) of a message.
type Finding<'a> = (Option<u32>, Option<&'a str>, Option<&'a str>, &'a str);

/// efa, focus, publish, portal, go-live, granularity, URL.
type KeptFields = (
    bool,
    bool,
    bool,
    Option<String>,
    Option<chrono::NaiveDate>,
    Option<Granularity>,
    Option<String>,
);

type ServiceRow = (
    String,
    String,
    String,
    String,
    String,
    i16,
    String,
    Option<Granularity>,
);

/// (id, name, Betreiber, LeiKa, OZG-ID, Typ, URL, granularity) by id.
async fn services(pool: &PgPool) -> Vec<ServiceRow> {
    sqlx::query_as(
        "SELECT s.id, s.name, o.name, s.leika_key, s.ozg_id, s.leistungstyp, s.url, s.granularity
         FROM online_service s JOIN organisation o ON o.id = s.organisation_id ORDER BY s.id",
    )
    .fetch_all(pool)
    .await
    .expect("services")
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .expect("count")
}

async fn organisation(pool: &PgPool, name: &str, level: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO organisation (name, level) VALUES ($1, $2::organisation_level) RETURNING id",
    )
    .bind(name)
    .bind(level)
    .fetch_one(pool)
    .await
    .expect("organisation")
}

#[tokio::test]
async fn case_00_creates_the_five_demo_services() {
    let db = common::TestDb::new().await;
    let pool = db.pool();

    let summary = import(
        pool,
        "00-fixtures/stammdaten-demo.csv",
        MasterDataScope::Admin,
    )
    .await
    .unwrap();
    assert_eq!(
        (summary.created, summary.changed, summary.unchanged),
        (5, 0, 0)
    );
    assert!(summary
        .services
        .iter()
        .all(|s| s.status == ServiceStatus::Created));
    assert_eq!(
        summary.organisations_created,
        [
            "Demo-Kommunal-IT (fiktiv)",
            "Demo-Zweckverband Nord (fiktiv)",
            "Demo-Landesportal (fiktiv)"
        ]
    );
    assert_eq!(
        summary.to_string(),
        "5 Onlinedienste: 5 neu, 0 geändert, 0 unverändert; Organisationen „Demo-Kommunal-IT (fiktiv)“, \
         „Demo-Zweckverband Nord (fiktiv)“, „Demo-Landesportal (fiktiv)“ angelegt"
    );
    let levels: Vec<String> = sqlx::query_scalar("SELECT level::text FROM organisation")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(levels, ["kommune"; 3]);

    let stored = services(pool).await;
    let ids: Vec<&str> = stored.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        ids,
        [
            "DEMO-0001",
            "DEMO-0002",
            "DEMO-0003",
            "DEMO-0004",
            "DEMO-0005"
        ]
    );
    for (i, service) in stored.iter().enumerate() {
        assert_eq!(service.3, format!("990000000000{:02}", i + 1));
        assert_eq!(service.3.len(), 14);
        assert_eq!(service.4, format!("9000{}", i + 1));
        assert_eq!(service.7, Some(Granularity::Gemeinde));
    }
    let typ: Vec<i16> = stored.iter().map(|s| s.5).collect();
    assert_eq!(typ, [2, 1, 3, 2, 4]);
    assert_eq!(
        stored[2],
        (
            "DEMO-0003".into(),
            "Demo-Dienst Sperrmülltermin".into(),
            "Demo-Zweckverband Nord (fiktiv)".into(),
            "99000000000003".into(),
            "90003".into(),
            3,
            "https://demo.example.org/sperrmuell".into(),
            Some(Granularity::Gemeinde)
        )
    );
    let leika_lengths: Vec<i32> =
        sqlx::query_scalar("SELECT char_length(leika_key) FROM online_service")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(leika_lengths, [14; 5]);
}

#[tokio::test]
async fn case_16_bad_file_is_refused_whole_with_six_errors() {
    let db = common::TestDb::new().await;
    let pool = db.pool();

    let messages =
        read_master_data(&case("16-master-data-bulk-import/stammdaten-bad.csv")).unwrap_err();
    let errors: Vec<Finding> = messages
        .iter()
        .filter(|m| m.severity == Severity::Error)
        .map(|m| {
            (
                m.line,
                m.column.as_deref(),
                m.value.as_deref(),
                m.text.as_str(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 6, "{errors:#?}");
    assert_eq!(
        errors[0],
        (
            Some(3),
            Some("LeiKa"),
            Some("9,9E+13"),
            "Exponentialschreibweise, Ziffern verloren – Spalte als Text exportieren"
        )
    );
    assert_eq!(
        (errors[1].0, errors[1].1, errors[1].2),
        (Some(4), Some("Typ"), Some("6"))
    );
    assert!(errors[1].3.contains("erlaubt sind 1–5"), "{}", errors[1].3);
    assert_eq!(
        errors[2],
        (
            Some(5),
            Some("URL"),
            Some("www.demo.example.org/plakat"),
            "muss mit https:// beginnen"
        )
    );
    assert_eq!(
        (errors[3].0, errors[3].1, errors[3].2),
        (Some(6), Some("URL"), Some("javascript:alert(1)"))
    );
    assert!(
        errors[3].3.contains("Schema") && errors[3].3.contains("nicht erlaubt"),
        "{}",
        errors[3].3
    );
    assert_eq!(
        (errors[4].0, errors[4].1, errors[4].2),
        (Some(7), Some("Onlinedienst-ID"), Some("DEMO-0201"))
    );
    assert!(errors[4].3.contains("Zeilen 2 und 7"), "{}", errors[4].3);
    assert_eq!(
        errors[5],
        (Some(8), Some("Typ"), Some("2.0"), "ganze Zahl 1–5 erwartet")
    );
    // Line 2 is valid: nothing is said about it.
    assert!(messages.iter().all(|m| m.line != Some(2)));

    // Through the import: refused, nothing created, not even line 2 or its operator.
    let refused = rule_errors(
        import(
            pool,
            "16-master-data-bulk-import/stammdaten-bad.csv",
            MasterDataScope::Admin,
        )
        .await,
    );
    assert_eq!(refused, messages);
    assert_eq!(count(pool, "online_service").await, 0);
    assert_eq!(count(pool, "organisation").await, 0);
    let text = MasterDataError::Rules(refused).to_string();
    assert!(text.contains("Zeile 3, Spalte LeiKa („9,9E+13“)"), "{text}");
}

#[tokio::test]
async fn case_16_bad_file_changes_nothing_that_exists() {
    let db = common::TestDb::new().await;
    let pool = db.pool();
    import(
        pool,
        "16-master-data-bulk-import/stammdaten-ok.csv",
        MasterDataScope::Admin,
    )
    .await
    .unwrap();
    let before = services(pool).await;
    // Line 2 of the bad file equals DEMO-0201 here; line 4 would create DEMO-0203.
    rule_errors(
        import(
            pool,
            "16-master-data-bulk-import/stammdaten-bad.csv",
            MasterDataScope::Admin,
        )
        .await,
    );
    assert_eq!(services(pool).await, before);
}

#[tokio::test]
async fn case_16_ok_csv_then_xlsx_is_unchanged() {
    let db = common::TestDb::new().await;
    let pool = db.pool();

    let first = import(
        pool,
        "16-master-data-bulk-import/stammdaten-ok.csv",
        MasterDataScope::Admin,
    )
    .await
    .unwrap();
    assert_eq!((first.created, first.changed, first.unchanged), (2, 0, 0));
    assert_eq!(
        first.to_string(),
        "2 Onlinedienste: 2 neu, 0 geändert, 0 unverändert; Organisation „Demo-Kommunal-IT (fiktiv)“ angelegt"
    );
    let stored = services(pool).await;
    let fields: Vec<(&str, &str, &str, i16)> = stored
        .iter()
        .map(|s| (s.0.as_str(), s.3.as_str(), s.4.as_str(), s.5))
        .collect();
    assert_eq!(
        fields,
        [
            ("DEMO-0201", "99000000000201", "90201", 2),
            ("DEMO-0208", "99000000000208", "90208", 5)
        ]
    );

    // The .xlsx holds LeiKa, OZG-ID and Typ as numeric cells.
    let records = read_master_data(&case("16-master-data-bulk-import/stammdaten-ok.xlsx")).unwrap();
    assert_eq!(records[0].leika_key, "99000000000201");
    assert_eq!(records[0].ozg_id, "90201");
    assert_eq!(records[0].leistungstyp, 2);
    let second = import(
        pool,
        "16-master-data-bulk-import/stammdaten-ok.xlsx",
        MasterDataScope::Admin,
    )
    .await
    .unwrap();
    assert_eq!(
        (second.created, second.changed, second.unchanged),
        (0, 0, 2)
    );
    assert_eq!(
        second.status_of("DEMO-0201"),
        Some(ServiceStatus::Unchanged)
    );
    assert_eq!(
        second.status_of("DEMO-0208"),
        Some(ServiceStatus::Unchanged)
    );
    assert_eq!(
        second.to_string(),
        "2 Onlinedienste: 0 neu, 0 geändert, 2 unverändert"
    );
    assert!(second.organisations_created.is_empty());
    assert_eq!(services(pool).await, stored);
}

#[tokio::test]
async fn case_17_granularity_column_is_stored() {
    let db = common::TestDb::new().await;
    let pool = db.pool();

    let summary = import(
        pool,
        "17-granularity-levels/stammdaten-granularitaet.csv",
        MasterDataScope::Admin,
    )
    .await
    .unwrap();
    assert_eq!(summary.created, 2);
    let granularity: Vec<(String, Option<Granularity>)> =
        sqlx::query_as("SELECT id, granularity FROM online_service ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(
        granularity,
        [
            ("DEMO-0006".into(), Some(Granularity::Land)),
            ("DEMO-0007".into(), Some(Granularity::Kreis))
        ]
    );
}

#[tokio::test]
async fn organisation_scope_refuses_a_foreign_operator_and_foreign_services() {
    let db = common::TestDb::new().await;
    let pool = db.pool();
    let own = organisation(pool, "Demo-Kommunal-IT (fiktiv)", "kommune").await;
    let other = organisation(pool, "Demo-Landesportal (fiktiv)", "land").await;

    // Case 00 has three operators; Demo-Kommunal-IT may only import its own rows.
    let errors = rule_errors(
        import(
            pool,
            "00-fixtures/stammdaten-demo.csv",
            MasterDataScope::Organisation(own),
        )
        .await,
    );
    let lines: Vec<(Option<u32>, Option<&str>, Option<&str>)> = errors
        .iter()
        .map(|m| (m.line, m.column.as_deref(), m.value.as_deref()))
        .collect();
    assert_eq!(
        lines,
        [
            (
                Some(4),
                Some("Betreiber"),
                Some("Demo-Zweckverband Nord (fiktiv)")
            ),
            (
                Some(5),
                Some("Betreiber"),
                Some("Demo-Zweckverband Nord (fiktiv)")
            ),
            (
                Some(6),
                Some("Betreiber"),
                Some("Demo-Landesportal (fiktiv)")
            ),
        ]
    );
    assert!(
        errors[0]
            .text
            .contains("nicht die eigene Organisation „Demo-Kommunal-IT (fiktiv)“"),
        "{}",
        errors[0].text
    );
    assert_eq!(count(pool, "online_service").await, 0);
    assert_eq!(
        count(pool, "organisation").await,
        2,
        "no operator created in organisation scope"
    );

    // Its own file goes through.
    let summary = import(
        pool,
        "16-master-data-bulk-import/stammdaten-ok.csv",
        MasterDataScope::Organisation(own),
    )
    .await
    .unwrap();
    assert_eq!(summary.created, 2);

    // A service of another organisation cannot be taken over, even with its own name as Betreiber.
    sqlx::query("UPDATE online_service SET organisation_id = $1 WHERE id = 'DEMO-0208'")
        .bind(other)
        .execute(pool)
        .await
        .unwrap();
    let before = services(pool).await;
    let errors = rule_errors(
        import(
            pool,
            "16-master-data-bulk-import/stammdaten-ok.csv",
            MasterDataScope::Organisation(own),
        )
        .await,
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (
            errors[0].line,
            errors[0].column.as_deref(),
            errors[0].value.as_deref()
        ),
        (Some(3), Some("Onlinedienst-ID"), Some("DEMO-0208"))
    );
    assert!(
        errors[0].text.contains("anderen Organisation"),
        "{}",
        errors[0].text
    );
    assert_eq!(services(pool).await, before);

    // The ZSK team may move it back.
    let summary = import(
        pool,
        "16-master-data-bulk-import/stammdaten-ok.csv",
        MasterDataScope::Admin,
    )
    .await
    .unwrap();
    assert_eq!((summary.changed, summary.unchanged), (1, 1));
    assert_eq!(summary.services[1].changed, ["Betreiber"]);
}

#[tokio::test]
async fn unknown_organisation_scope_is_refused() {
    let db = common::TestDb::new().await;
    let pool = db.pool();
    let errors = rule_errors(
        import(
            pool,
            "16-master-data-bulk-import/stammdaten-ok.csv",
            MasterDataScope::Organisation(4711),
        )
        .await,
    );
    assert!(errors[0].text.contains("4711"));
    assert_eq!(count(pool, "online_service").await, 0);
}

#[tokio::test]
async fn dry_run_stores_nothing_and_says_what_would_happen() {
    let db = common::TestDb::new().await;
    let pool = db.pool();

    let bytes = case("00-fixtures/stammdaten-demo.csv");
    let summary = import_master_data_file(pool, &bytes, MasterDataScope::Admin, true)
        .await
        .unwrap();
    assert!(summary.dry_run);
    assert_eq!(
        (summary.created, summary.changed, summary.unchanged),
        (5, 0, 0)
    );
    assert_eq!(summary.organisations_created.len(), 3);
    assert!(
        summary
            .to_string()
            .starts_with("Probelauf, nichts gespeichert: 5 Onlinedienste: 5 neu"),
        "{summary}"
    );
    assert!(
        summary.to_string().ends_with("würden angelegt"),
        "{summary}"
    );
    assert_eq!(count(pool, "online_service").await, 0);
    assert_eq!(count(pool, "organisation").await, 0);

    // After the real import, a dry run of a changed file classifies without writing.
    import_master_data_file(pool, &bytes, MasterDataScope::Admin, false)
        .await
        .unwrap();
    let before = services(pool).await;
    let changed = String::from_utf8(bytes)
        .unwrap()
        .replace("Demo-Dienst Fundsache melden", "Fundsache melden");
    let summary = import_master_data_file(pool, changed.as_bytes(), MasterDataScope::Admin, true)
        .await
        .unwrap();
    assert_eq!(
        (summary.created, summary.changed, summary.unchanged),
        (0, 1, 4)
    );
    assert_eq!(summary.status_of("DEMO-0002"), Some(ServiceStatus::Changed));
    assert_eq!(summary.services[1].changed, ["Name"]);
    assert_eq!(services(pool).await, before);
}

#[tokio::test]
async fn an_update_keeps_what_the_file_does_not_carry() {
    let db = common::TestDb::new().await;
    let pool = db.pool();
    import(
        pool,
        "17-granularity-levels/stammdaten-granularitaet.csv",
        MasterDataScope::Admin,
    )
    .await
    .unwrap();
    let org: i64 =
        sqlx::query_scalar("SELECT organisation_id FROM online_service WHERE id = 'DEMO-0006'")
            .fetch_one(pool)
            .await
            .unwrap();
    sqlx::query("INSERT INTO portal (id, name, organisation_id) VALUES ('P', 'Portal', $1)")
        .bind(org)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE online_service SET efa = true, focus = true, publish = true, portal_id = 'P', go_live = '2024-01-01'
         WHERE id = 'DEMO-0006'",
    )
    .execute(pool)
    .await
    .unwrap();

    // Without the Granularität column; a new URL.
    let file = "Onlinedienst-ID;Name;LeiKa;OZG-ID;Typ;URL;Betreiber\n\
                DEMO-0006;Demo-Dienst Landesförderung;99000000000006;90006;2;https://demo.example.org/neu;Demo-Landesportal (fiktiv)\n";
    let summary = import_master_data_file(pool, file.as_bytes(), MasterDataScope::Admin, false)
        .await
        .unwrap();
    assert_eq!(
        (summary.created, summary.changed, summary.unchanged),
        (0, 1, 0)
    );
    assert_eq!(summary.services[0].changed, ["URL"]);
    let kept: KeptFields =
        sqlx::query_as(
            "SELECT efa, focus, publish, portal_id, go_live, granularity, url FROM online_service WHERE id = 'DEMO-0006'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(
        kept,
        (
            true,
            true,
            true,
            Some("P".into()),
            chrono::NaiveDate::from_ymd_opt(2024, 1, 1),
            Some(Granularity::Land),
            Some("https://demo.example.org/neu".into())
        )
    );

    // An explicit Granularität (an empty cell is Gemeinde) does change it.
    let file = "Onlinedienst-ID;Name;LeiKa;OZG-ID;Typ;URL;Betreiber;Granularität\n\
                DEMO-0006;Demo-Dienst Landesförderung;99000000000006;90006;2;https://demo.example.org/neu;Demo-Landesportal (fiktiv);\n";
    let summary = import_master_data_file(pool, file.as_bytes(), MasterDataScope::Admin, false)
        .await
        .unwrap();
    assert_eq!(summary.services[0].changed, ["Granularität"]);
    let granularity: Option<Granularity> =
        sqlx::query_scalar("SELECT granularity FROM online_service WHERE id = 'DEMO-0006'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(granularity, Some(Granularity::Gemeinde));
}

#[tokio::test]
async fn operators_match_existing_organisations_ignoring_case() {
    let db = common::TestDb::new().await;
    let pool = db.pool();
    let existing = organisation(pool, "DEMO-KOMMUNAL-IT (FIKTIV)", "land").await;
    let summary = import(
        pool,
        "16-master-data-bulk-import/stammdaten-ok.csv",
        MasterDataScope::Admin,
    )
    .await
    .unwrap();
    assert!(summary.organisations_created.is_empty());
    let owners: Vec<i64> =
        sqlx::query_scalar("SELECT DISTINCT organisation_id FROM online_service")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(owners, [existing]);
}

#[tokio::test]
async fn records_are_checked_again_before_storing() {
    let db = common::TestDb::new().await;
    let pool = db.pool();
    let mut records =
        read_master_data(&case("16-master-data-bulk-import/stammdaten-ok.csv")).unwrap();
    records[1].leistungstyp = 9;
    records.push(records[0].clone());
    let errors =
        rule_errors(import_master_data(pool, &records, MasterDataScope::Admin, false).await);
    let columns: Vec<(Option<u32>, Option<&str>)> = errors
        .iter()
        .map(|m| (m.line, m.column.as_deref()))
        .collect();
    assert_eq!(
        columns,
        [(Some(3), Some("Typ")), (Some(2), Some("Onlinedienst-ID"))]
    );
    assert_eq!(count(pool, "online_service").await, 0);
}
