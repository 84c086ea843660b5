//! Region key changes over real HTTP and PostgreSQL: loading a file
//! `Schlüssel alt;Name alt;Schlüssel neu;Stichtag` (errors by line, column
//! and value; mergers, splits, keys the register no longer lists; loading
//! twice), deliveries and corrections checked against the validity of their
//! keys by month, and who may load.
//!
//! The examples are real: the Landkreis Bautzen (14625) was formed on
//! 01.08.2008 from the Landkreise Bautzen (14272) and Kamenz (14292); the
//! Gemeinde Jahnatal (14522275) on 01.01.2023 from Ostrau (14522450) and
//! Zschaitz-Ottewig (14522620); Tastrup (01059101) and Maasbüll (01059141)
//! joined Hürup (01059126), which kept its key, on 01.03.2023. Only the
//! split is invented (no Gemeinde split in the register since 2021).

mod common;

use common::{actors, reference_dir, token, value, TestApp};
use serde_json::{json, Value};

const HEADER: &str = "Schlüssel alt;Name alt;Schlüssel neu;Stichtag\n";
const BAUTZEN_2008: &str = "Schlüssel alt;Name alt;Schlüssel neu;Stichtag\n\
                            14272;Bautzen;14625;01.08.2008\n\
                            14292;Kamenz;14625;01.08.2008\n";
const JAHNATAL_2023: &str = "Schlüssel alt;Name alt;Schlüssel neu;Stichtag\n\
                             14522450;Ostrau;14522275;01.01.2023\n\
                             14522620;Zschaitz-Ottewig;14522275;2023-01-01\n";
const ROUTE: &str = "/api/v1/regionen/aenderungen";

/// The seed plus the Kreise and Gemeinden of the examples as today's
/// register lists them (Stand 30.11.2025).
async fn app() -> TestApp {
    let app = TestApp::spawn().await;
    sqlx::raw_sql(
        "INSERT INTO region (key, level, name, parent_key, cell_key, population, valid_from) VALUES
           ('14522', 'kreis', 'Mittelsachsen', '14', '14522', 290000, '2025-11-30'),
           ('14522275', 'gemeinde', 'Jahnatal', '14522', '14522275', 4700, '2025-11-30'),
           ('01059', 'kreis', 'Schleswig-Flensburg', '01', '01059', 200000, '2025-11-30'),
           ('01059126', 'gemeinde', 'Hürup', '01059', '01059126', 2400, '2025-11-30');",
    )
    .execute(app.pool())
    .await
    .expect("regions");
    app
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Loads (or with `dry_run` checks) a key-change file with a bearer token.
async fn load(app: &TestApp, token: &str, body: &str, dry_run: bool) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{ROUTE}?nur_pruefen={dry_run}", app.base))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    answer(response).await
}

/// Delivers one count by the JSON API.
async fn deliver(
    app: &TestApp,
    token: &str,
    service: &str,
    region: &str,
    month: &str,
    count: i64,
) -> (u16, Value) {
    let body = json!({
        "lieferung_id": format!("{service}/{region}/{month}/{count}"),
        "dienste": [{ "onlinedienst": service, "werte": [{ "region": region, "monat": month, "anzahl": count }] }]
    });
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/lieferungen", app.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    answer(response).await
}

fn messages(body: &Value, field: &str) -> Vec<String> {
    body[field]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|f| f["meldung"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[derive(Debug, PartialEq, sqlx::FromRow)]
struct Region {
    key: String,
    level: String,
    name: String,
    parent_key: Option<String>,
    cell_key: String,
    valid_from: chrono::NaiveDate,
    valid_to: Option<chrono::NaiveDate>,
}

async fn region(app: &TestApp, key: &str) -> Option<Region> {
    sqlx::query_as(
        "SELECT key, level::text AS level, name, parent_key, cell_key, valid_from, valid_to
         FROM region WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(app.pool())
    .await
    .unwrap()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(app.pool())
        .await
        .unwrap()
}

fn date(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[tokio::test]
async fn parser_errors_name_line_column_and_value_and_store_nothing() {
    let app = app().await;
    let admin = token(&app, None).await;
    let file = format!(
        "{HEADER}14272;Bautzen;14625;01.08.2008\n14292;;14625;31.02.2008\n14292;Kamenz;14625010;1.8.08\n"
    );
    let (status, body) = load(&app, &admin, &file, false).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["status"], "ABGELEHNT");
    let found: Vec<(u64, String, Option<String>)> = body["fehler"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["zeile"].as_u64().unwrap(),
                f["spalte"].as_str().unwrap().to_owned(),
                f["wert"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (3, "Name alt".to_owned(), None),
            (3, "Stichtag".to_owned(), Some("31.02.2008".to_owned())),
            (4, "Stichtag".to_owned(), Some("1.8.08".to_owned())),
            (4, "Schlüssel neu".to_owned(), Some("14625010".to_owned())),
        ],
        "{body}"
    );
    let texts = messages(&body, "fehler");
    assert!(
        texts[1].contains("kein gültiges Kalenderdatum"),
        "{texts:?}"
    );
    assert!(texts[2].contains("nicht vierstellig"), "{texts:?}");
    assert!(texts[3].contains("bleibt auf einer Ebene"), "{texts:?}");
    assert_eq!(count(&app, "region_change").await, 0);
    assert_eq!(region(&app, "14272").await, None);

    // Checked only: the same findings, status FEHLERHAFT.
    let (status, body) = load(&app, &admin, &file, true).await;
    assert_eq!((status, body["status"].as_str()), (422, Some("FEHLERHAFT")));
}

#[tokio::test]
async fn a_kreis_merger_adds_the_old_keys_and_ends_them_the_day_before() {
    let app = app().await;
    let admin = token(&app, None).await;

    let (status, body) = load(&app, &admin, BAUTZEN_2008, true).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("GEPRUEFT")),
        "{body}"
    );
    assert_eq!(
        count(&app, "region_change").await,
        0,
        "a check stores nothing"
    );
    assert_eq!(region(&app, "14272").await, None);

    let (status, body) = load(&app, &admin, BAUTZEN_2008, false).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("GESPEICHERT")),
        "{body}"
    );
    let summary = body["zusammenfassung"].as_str().unwrap();
    assert!(
        summary.starts_with("2 Schlüsseländerungen: 2 neu, 0 schon geladen"),
        "{summary}"
    );
    assert!(
        summary.contains("Ins Gebietsregister aufgenommen: 14272 (Bautzen), gültig bis 31.07.2008, 14292 (Kamenz), gültig bis 31.07.2008"),
        "{summary}"
    );
    assert!(
        summary.contains("Gültig erst ab dem Stichtag: 14625 (Bautzen) ab 01.08.2008"),
        "{summary}"
    );
    let lines = body["aenderungen"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["name_neu"], "Bautzen");
    assert_eq!(lines[0]["status"], "neu");

    assert_eq!(
        region(&app, "14272").await.unwrap(),
        Region {
            key: "14272".into(),
            level: "kreis".into(),
            name: "Bautzen".into(),
            parent_key: Some("14".into()),
            cell_key: "14272".into(),
            valid_from: date(2008, 7, 31),
            valid_to: Some(date(2008, 7, 31)),
        }
    );
    let new = region(&app, "14625").await.unwrap();
    assert_eq!((new.valid_from, new.valid_to), (date(2008, 8, 1), None));

    // Who loaded, when, how.
    let load: (String, Option<i64>, Option<i64>, String) =
        sqlx::query_as("SELECT channel, token_id, user_id, summary FROM region_change_load")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(load.0, "api");
    assert!(load.1.is_some() && load.2.is_none());
    assert_eq!(load.3, summary);
}

#[tokio::test]
async fn loading_the_same_file_again_changes_nothing_and_says_so() {
    let app = app().await;
    let admin = token(&app, None).await;
    assert_eq!(load(&app, &admin, JAHNATAL_2023, false).await.0, 200);
    let before = sqlx::query_as::<_, (String, Option<chrono::NaiveDate>, chrono::NaiveDate)>(
        "SELECT key, valid_to, valid_from FROM region ORDER BY key",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();

    let (status, body) = load(&app, &admin, JAHNATAL_2023, false).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("UNVERAENDERT")),
        "{body}"
    );
    assert_eq!(
        body["zusammenfassung"],
        "Nichts geändert: 2 Schlüsseländerungen der Datei sind alle schon geladen."
    );
    assert!(body["aenderungen"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["status"] == "schon geladen"));
    assert_eq!(count(&app, "region_change").await, 2);
    assert_eq!(count(&app, "region_change_load").await, 1);
    let after = sqlx::query_as::<_, (String, Option<chrono::NaiveDate>, chrono::NaiveDate)>(
        "SELECT key, valid_to, valid_from FROM region ORDER BY key",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(before, after);

    // The same pair with another Stichtag is refused, not overwritten.
    let moved = format!("{HEADER}14522450;Ostrau;14522275;01.02.2023\n");
    let (status, body) = load(&app, &admin, &moved, false).await;
    assert_eq!(status, 422, "{body}");
    assert!(messages(&body, "fehler")[0].contains("schon mit Stichtag 01.01.2023 geladen"));
}

#[tokio::test]
async fn deliveries_are_checked_against_the_validity_of_their_keys() {
    let app = app().await;
    let admin = token(&app, None).await;
    let org_a = token(&app, Some("Organisation A")).await;
    assert_eq!(load(&app, &admin, JAHNATAL_2023, false).await.0, 200);

    // The old key for a month before the merger: accepted.
    let (status, body) = deliver(&app, &org_a, "A-GEMEINDE", "14522450", "2022-12", 40).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        value(&app, "A-GEMEINDE", "14522450", "2022-12").await,
        Some(40)
    );

    // The old key for a later month: refused, naming the successor and the date.
    let (status, body) = deliver(&app, &org_a, "A-GEMEINDE", "14522450", "2024-03", 41).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        messages(&body, "fehler"),
        ["Region 14522450 (Ostrau) gilt nur bis 31.12.2022; ab 01.01.2023 gilt 14522275 (Jahnatal). \
          Bitte für 2024-03 den neuen Schlüssel verwenden."]
    );
    assert_eq!(value(&app, "A-GEMEINDE", "14522450", "2024-03").await, None);

    // The new key for a month before its Stichtag: refused, naming the predecessors.
    let (status, body) = deliver(&app, &org_a, "A-GEMEINDE", "14522275", "2022-12", 42).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        messages(&body, "fehler"),
        ["Region 14522275 (Jahnatal) gilt erst ab 01.01.2023; bis 31.12.2022 galten \
          14522450 (Ostrau) und 14522620 (Zschaitz-Ottewig). Bitte für 2022-12 den bisherigen Schlüssel verwenden."]
    );
    let (status, body) = deliver(&app, &org_a, "A-GEMEINDE", "14522275", "2023-01", 43).await;
    assert_eq!(status, 200, "{body}");

    // Nothing is remapped: the old key's value stays under the old key.
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM transaction_count WHERE region_key IN ('14522450', '14522275')",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(stored, 2);
}

#[tokio::test]
async fn an_old_month_is_corrected_under_its_old_key_by_api_and_file() {
    let app = app().await;
    let admin = token(&app, None).await;
    let org_a = token(&app, Some("Organisation A")).await;
    assert_eq!(load(&app, &admin, BAUTZEN_2008, false).await.0, 200);

    assert_eq!(
        deliver(&app, &org_a, "A-KREIS", "14292", "2008-05", 5)
            .await
            .0,
        200
    );
    let (status, body) = deliver(&app, &org_a, "A-KREIS", "14292", "2008-05", 7).await;
    assert_eq!(
        (status, body["korrigiert"].as_u64()),
        (200, Some(1)),
        "{body}"
    );
    assert_eq!(value(&app, "A-KREIS", "14292", "2008-05").await, Some(7));

    // The same by file: a correction of the old month is stored, the new
    // month under the old key is refused with its line and column.
    let file =
        "Onlinedienst;Region;Monat;Anzahl\nA-KREIS;14292;2008-05;9\nA-KREIS;14292;2008-08;1\n";
    let response = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/lieferungen/datei?modus=teilweise",
            app.base
        ))
        .bearer_auth(&org_a)
        .header("content-type", "text/csv")
        .body(file)
        .send()
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["korrigiert"], 1);
    assert_eq!(body["fehler"][0]["zeile"], 3);
    assert_eq!(body["fehler"][0]["spalte"], "Region");
    assert!(body["fehler"][0]["meldung"]
        .as_str()
        .unwrap()
        .contains("ab 01.08.2008 gilt 14625 (Bautzen)"));
    assert_eq!(value(&app, "A-KREIS", "14292", "2008-05").await, Some(9));
    let history: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM transaction_count_history WHERE region_key = '14292'",
    )
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(history, 3, "every correction is kept");
}

#[tokio::test]
async fn a_key_that_carries_on_keeps_its_earlier_months() {
    let app = app().await;
    let admin = token(&app, None).await;
    let org_a = token(&app, Some("Organisation A")).await;
    let without = format!(
        "{HEADER}01059101;Tastrup;01059126;01.03.2023\n01059141;Maasbüll;01059126;01.03.2023\n"
    );

    // Checked without the line for Hürup: the preview says Hürup would be
    // valid from the Stichtag only, and how to say that it carries on.
    let (_, body) = load(&app, &admin, &without, true).await;
    let summary = body["zusammenfassung"].as_str().unwrap();
    assert!(
        summary.contains("Gültig erst ab dem Stichtag: 01059126 (Hürup) ab 01.03.2023"),
        "{summary}"
    );
    assert!(summary.contains("eine Zeile mit ihm als altem und neuem Schlüssel ergänzen"));

    let with = format!("{without}01059126;Hürup;01059126;01.03.2023\n");
    let (status, body) = load(&app, &admin, &with, false).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["aenderungen"][2]["status"], "fortbestehend");
    let summary = body["zusammenfassung"].as_str().unwrap();
    assert!(
        summary.contains("2 neu, 0 schon geladen, 1 fortbestehend"),
        "{summary}"
    );
    assert!(!summary.contains("Gültig erst ab"), "{summary}");
    let huerup = region(&app, "01059126").await.unwrap();
    assert_eq!(huerup.valid_to, None);

    assert_eq!(
        deliver(&app, &org_a, "A-GEMEINDE", "01059126", "2022-05", 3)
            .await
            .0,
        200
    );
    assert_eq!(
        deliver(&app, &org_a, "A-GEMEINDE", "01059101", "2023-02", 1)
            .await
            .0,
        200
    );
    let (status, body) = deliver(&app, &org_a, "A-GEMEINDE", "01059101", "2023-03", 1).await;
    assert_eq!(status, 422);
    assert!(messages(&body, "fehler")[0].contains("ab 01.03.2023 gilt 01059126 (Hürup)"));
}

#[tokio::test]
async fn a_split_names_every_successor() {
    let app = app().await;
    let admin = token(&app, None).await;
    let org_a = token(&app, Some("Organisation A")).await;
    // Invented: one Gemeinde divided between Bautzen and Bischofswerda.
    let split = format!(
        "{HEADER}14625999;Teilungsgemeinde (erfunden);14625010;01.01.2020\n\
         14625999;Teilungsgemeinde (erfunden);14625020;01.01.2020\n"
    );
    let (status, body) = load(&app, &admin, &split, false).await;
    assert_eq!(status, 200, "{body}");
    let old = region(&app, "14625999").await.unwrap();
    assert_eq!(
        (old.level.as_str(), old.parent_key.as_deref(), old.valid_to),
        ("gemeinde", Some("14625"), Some(date(2019, 12, 31)))
    );

    let (status, body) = deliver(&app, &org_a, "A-GEMEINDE", "14625999", "2021-06", 1).await;
    assert_eq!(status, 422);
    assert_eq!(
        messages(&body, "fehler"),
        ["Region 14625999 (Teilungsgemeinde (erfunden)) gilt nur bis 31.12.2019; ab 01.01.2020 gelten \
          14625010 (Bautzen, Stadt) und 14625020 (Bischofswerda, Stadt). Bitte für 2021-06 den neuen Schlüssel verwenden."]
    );
    let (status, body) = deliver(&app, &org_a, "A-GEMEINDE", "14625020", "2019-12", 1).await;
    assert_eq!(status, 422);
    assert!(messages(&body, "fehler")[0]
        .contains("bis 31.12.2019 galt 14625999 (Teilungsgemeinde (erfunden))"));
}

#[tokio::test]
async fn the_register_and_loaded_changes_are_checked() {
    let app = app().await;
    let admin = token(&app, None).await;

    // A new key the register does not know, an old Gemeinde whose Kreis is
    // unknown: refused, nothing stored.
    let file = format!(
        "{HEADER}14625020;Bischofswerda, Stadt;14625777;01.01.2020\n14287123;Irgendwo;14625010;01.01.2020\n"
    );
    let (status, body) = load(&app, &admin, &file, false).await;
    assert_eq!(status, 422, "{body}");
    let texts = messages(&body, "fehler");
    assert!(
        texts[0].contains("Schlüssel neu 14625777 ist im Gebietsregister nicht vorhanden"),
        "{texts:?}"
    );
    assert!(texts[1].contains("übergeordnete Region 14287"), "{texts:?}");

    // Keys the register lacks, added by other lines of the same file: a
    // chain of changes, in any order (the Kreis Sächsische Schweiz 14287
    // became part of 14628 on 01.08.2008; its Gemeinde here is invented).
    sqlx::raw_sql(
        "INSERT INTO region (key, level, name, parent_key, cell_key, valid_from) VALUES
           ('14628', 'kreis', 'Sächsische Schweiz-Osterzgebirge', '14', '14628', '2025-11-30'),
           ('14628999', 'gemeinde', 'Neugemeinde (erfunden)', '14628', '14628999', '2025-11-30');",
    )
    .execute(app.pool())
    .await
    .unwrap();
    let file = format!(
        "{HEADER}14628123;Irgendwo (erfunden);14628999;01.01.2015\n\
         14287;Sächsische Schweiz;14628;01.08.2008\n\
         14287123;Irgendwo (erfunden);14628123;01.08.2008\n"
    );
    let (status, body) = load(&app, &admin, &file, false).await;
    assert_eq!(status, 200, "{body}");
    let chained = region(&app, "14628123").await.unwrap();
    assert_eq!(
        (chained.valid_from, chained.valid_to),
        (date(2008, 8, 1), Some(date(2014, 12, 31)))
    );
    assert_eq!(
        region(&app, "14287123")
            .await
            .unwrap()
            .parent_key
            .as_deref(),
        Some("14287")
    );

    // A register import closed a key later than the change says (imported
    // with Stand 31.12.2021, missing on 30.11.2025): corrected.
    sqlx::query("UPDATE region SET valid_from = '2021-12-31', valid_to = '2025-11-29' WHERE key = '14626110'")
        .execute(app.pool())
        .await
        .unwrap();
    let file = format!("{HEADER}14626110;Görlitz, Stadt;14625010;01.01.2024\n");
    let (status, body) = load(&app, &admin, &file, false).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["zusammenfassung"]
        .as_str()
        .unwrap()
        .contains("14626110 (Görlitz, Stadt) bis 31.12.2023 (bisher bis 29.11.2025)"));
    assert_eq!(
        region(&app, "14626110").await.unwrap().valid_to,
        Some(date(2023, 12, 31))
    );

    // An end earlier than the Stichtag contradicts the file.
    let file = format!("{HEADER}14626110;Görlitz, Stadt;14625020;01.06.2024\n");
    let (status, body) = load(&app, &admin, &file, false).await;
    assert_eq!(status, 422, "{body}");
    let texts = messages(&body, "fehler");
    assert!(
        texts.iter().any(|t| t.contains("endet an genau einem Tag")),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("gilt laut Gebietsregister nur bis 31.12.2023")),
        "{texts:?}"
    );
}

#[tokio::test]
async fn stored_values_outside_the_new_validity_stay_and_are_named() {
    let app = app().await;
    let admin = token(&app, None).await;
    let org_a = token(&app, Some("Organisation A")).await;
    assert_eq!(
        deliver(&app, &org_a, "A-GEMEINDE", "14522275", "2022-11", 8)
            .await
            .0,
        200
    );
    let (status, body) = load(&app, &admin, JAHNATAL_2023, false).await;
    assert_eq!(status, 200, "{body}");
    let hints = messages(&body, "hinweise");
    assert_eq!(
        hints,
        ["Für 14522275 ist schon 1 Wert für Monate außerhalb der neuen Gültigkeit gespeichert (2022-11 bis 2022-11); \
          sie bleiben erhalten, neue Lieferungen und Korrekturen dafür werden abgelehnt"]
    );
    assert_eq!(
        value(&app, "A-GEMEINDE", "14522275", "2022-11").await,
        Some(8)
    );
}

#[tokio::test]
async fn a_register_that_knew_the_key_earlier_needs_no_carry_on_line() {
    let Some(dir) = reference_dir() else { return };
    // The register of 31.12.2021, then that of 30.11.2025.
    let db = common::TestDb::new().await;
    let regions = dir.join("regions");
    for (file, stand) in [
        ("GV100AD_31122021.txt", date(2021, 12, 31)),
        ("GV100AD_30112025.txt", date(2025, 11, 30)),
    ] {
        server::regions::import_regions(db.pool(), &regions.join(file), stand)
            .await
            .unwrap();
    }
    sqlx::raw_sql(
        "INSERT INTO organisation (name, level) VALUES ('Organisation A', 'land');
         INSERT INTO online_service (id, name, organisation_id, granularity)
         SELECT 'A-GEMEINDE', 'Dienst A nach Gemeinden', id, 'gemeinde' FROM organisation;",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let app = TestApp::serve(db).await;
    let admin = token(&app, None).await;
    let org_a = token(&app, Some("Organisation A")).await;
    let file = format!(
        "{HEADER}01059101;Tastrup;01059126;01.03.2023\n01059141;Maasbüll;01059126;01.03.2023\n"
    );
    let (status, body) = load(&app, &admin, &file, false).await;
    assert_eq!(status, 200, "{body}");
    let summary = body["zusammenfassung"].as_str().unwrap();
    // The 2025 import closed both at 29.11.2025; the Stichtag corrects that.
    assert!(
        summary.contains("01059101 (Tastrup) bis 28.02.2023 (bisher bis 29.11.2025)"),
        "{summary}"
    );
    assert!(!summary.contains("Gültig erst ab"), "{summary}");
    assert_eq!(
        deliver(&app, &org_a, "A-GEMEINDE", "01059126", "2022-05", 3)
            .await
            .0,
        200
    );
    assert_eq!(
        deliver(&app, &org_a, "A-GEMEINDE", "01059141", "2022-05", 2)
            .await
            .0,
        200
    );
    assert_eq!(
        deliver(&app, &org_a, "A-GEMEINDE", "01059141", "2024-05", 2)
            .await
            .0,
        422
    );
}

#[tokio::test]
async fn only_the_zsk_team_loads_and_lists_key_changes() {
    let app = app().await;
    let a = actors(&app).await;
    let order = "[anonymous, admin, submitter A, submitter B, reader Bautzen, reader SH]";

    // The route with a session, checked only, then stored by the admin.
    let mut got = Vec::new();
    for actor in a.all() {
        let response = actor
            .client
            .post(format!("{}{ROUTE}?nur_pruefen=true", app.base))
            .body(BAUTZEN_2008)
            .send()
            .await
            .unwrap();
        got.push(response.status().as_u16());
    }
    assert_eq!(got, [401, 200, 403, 403, 403, 403], "{order}");
    let response = a
        .admin
        .client
        .post(format!("{}{ROUTE}", app.base))
        .header("x-dateiname", "bautzen-2008.csv")
        .body(BAUTZEN_2008)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let channel: (String, Option<i64>, Option<String>) =
        sqlx::query_as("SELECT channel, user_id, file_name FROM region_change_load")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(channel.0, "browser");
    assert!(channel.1.is_some());
    assert_eq!(channel.2.as_deref(), Some("bautzen-2008.csv"));

    // Tokens: the ZSK team's may, an organisation's (own or other) may not.
    let admin = token(&app, None).await;
    let org_a = token(&app, Some("Organisation A")).await;
    let org_b = token(&app, Some("Organisation B")).await;
    assert_eq!(load(&app, &admin, BAUTZEN_2008, true).await.0, 200);
    for org in [&org_a, &org_b] {
        let (status, body) = load(&app, org, BAUTZEN_2008, true).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(
            body["meldung"],
            "Schlüsseländerungen lädt nur das ZSK-Team."
        );
    }
    assert_eq!(load(&app, "zsk_unbekannt", BAUTZEN_2008, true).await.0, 401);

    // The list is a server function of the ZSK team.
    let mut got = Vec::new();
    for actor in a.all() {
        got.push(
            actor
                .call("regionen/aenderungen", &[])
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(got, [401, 200, 403, 403, 403, 403], "{order}");
    let list: Value = a
        .admin
        .call("regionen/aenderungen", &[])
        .await
        .json()
        .await
        .unwrap();
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["new_key"], "14625");
    assert_eq!(rows[0]["stichtag"], "01.08.2008");
    assert_eq!(rows[0]["loaded_by"], "Admin");
    assert_eq!(rows[0]["file_name"], "bautzen-2008.csv");
}

#[tokio::test]
async fn the_openapi_document_lists_the_route() {
    let app = app().await;
    let doc: Value = app
        .anonymous()
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let post = &doc["paths"][ROUTE]["post"];
    assert!(post["responses"]["403"].is_object(), "{post}");
    assert!(doc["components"]["schemas"]["KeyChangeAnswer"].is_object());
}

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[tokio::test]
async fn malformed_files_are_refused_never_answered_with_500() {
    let app = app().await;
    let admin = token(&app, None).await;
    let client = reqwest::Client::new();
    let keys = [
        "14272",
        "1427",
        "14522450",
        "",
        "DE",
        "00",
        "9,9E+07",
        "14522275",
        "145221234567",
        "x",
    ];
    let names = [
        "Bautzen",
        "",
        "Null\0zeichen",
        "Tab\tname",
        "\"Quote;d\"",
        "Ä Ö Ü ß €",
    ];
    let days = [
        "01.08.2008",
        "2008-08-01",
        "31.02.2008",
        "1.1.1",
        "",
        "2008-13-01",
        "99.99.9999",
    ];
    let mut noise = Noise(0x2545_f491_4f6c_dd1d);
    for round in 0..120 {
        let mut body: Vec<u8> = match round % 4 {
            0 => HEADER.as_bytes().to_vec(),
            1 => b"sep=,\r\nSchluessel alt,Name alt,Schluessel neu,Stichtag\r\n".to_vec(),
            2 => b"PK\x03\x04".to_vec(),
            _ => Vec::new(),
        };
        for _ in 0..(noise.next() % 6) {
            let line = format!(
                "{};{};{};{}\n",
                noise.pick(&keys),
                noise.pick(&names),
                noise.pick(&keys),
                noise.pick(&days)
            );
            body.extend_from_slice(line.as_bytes());
        }
        for _ in 0..(noise.next() % 8) {
            body.push((noise.next() % 256) as u8);
        }
        let dry_run = round % 2 == 0;
        let response = client
            .post(format!("{}{ROUTE}?nur_pruefen={dry_run}", app.base))
            .bearer_auth(&admin)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(
            matches!(status, 200 | 422),
            "round {round}: {status} for {:?}: {}",
            String::from_utf8_lossy(&body),
            response.text().await.unwrap_or_default()
        );
    }
}
