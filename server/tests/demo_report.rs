//! The demo data set on the real region register, and the report computed
//! from it: `zsk bericht datenquellen` reproduces every row of
//! `report-2024-02/datenquellen.csv`. Skipped where the shared reference
//! data is absent.

mod common;

use std::process::Command;

use common::{reference_dir, TestApp, TestDb};
use serde_json::Value;

async fn demo_db() -> Option<(TestDb, std::path::PathBuf)> {
    let dir = reference_dir()?;
    let db = TestDb::new().await;
    server::demo::load(db.pool(), &dir)
        .await
        .expect("demo load");
    Some((db, dir))
}

fn report_rows(csv: &str) -> Vec<String> {
    csv.lines().map(str::to_owned).collect()
}

#[tokio::test]
async fn the_report_reproduces_every_row_of_datenquellen_csv() {
    let Some((db, dir)) = demo_db().await else {
        return;
    };
    let expected = std::fs::read_to_string(dir.join("report-2024-02/datenquellen.csv")).unwrap();
    let expected = report_rows(&expected);

    let rows = app::reports::server::datenquellen(db.pool()).await.unwrap();
    let actual = report_rows(&app::reports::server::to_csv(&rows));
    assert_eq!(actual[0], expected[0], "header");
    assert_eq!(actual.len(), expected.len());
    for (line, (actual, expected)) in actual.iter().zip(&expected).enumerate() {
        assert_eq!(actual, expected, "line {}", line + 1);
    }
}

#[tokio::test]
async fn the_report_command_prints_the_same_table() {
    let Some((db, dir)) = demo_db().await else {
        return;
    };
    let options = db.pool().connect_options();
    let url = format!(
        "postgres://{}@localhost/{}?host={}",
        options.get_username(),
        options.get_database().unwrap(),
        options
            .get_socket()
            .map(|s| s.display().to_string())
            .unwrap_or_default()
    );
    let output = Command::new(env!("CARGO_BIN_EXE_zsk"))
        .args(["bericht", "datenquellen"])
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = std::fs::read_to_string(dir.join("report-2024-02/datenquellen.csv")).unwrap();
    let expected = report_rows(&expected);
    let actual = report_rows(&String::from_utf8(output.stdout).unwrap());
    assert_eq!(actual, expected, "every row, in the report's order");
}

#[tokio::test]
async fn loading_the_demo_twice_changes_nothing() {
    let Some((db, dir)) = demo_db().await else {
        return;
    };
    let snapshot = || async {
        sqlx::query_as::<_, (i64, i64, i64, i64)>(
            "SELECT (SELECT count(*) FROM transaction_count), (SELECT coalesce(sum(count), 0)::bigint FROM transaction_count),
                    (SELECT count(*) FROM online_service), (SELECT count(*) FROM app_user)",
        )
        .fetch_one(db.pool())
        .await
        .unwrap()
    };
    let before = snapshot().await;
    server::demo::load(db.pool(), &dir).await.unwrap();
    assert_eq!(snapshot().await, before);
    assert_eq!(
        before.2,
        23 + 98,
        "23 single services and the 98 of the federal portal"
    );
}

#[tokio::test]
async fn admin_and_reader_see_the_reported_figures() {
    let Some((db, _)) = demo_db().await else {
        return;
    };
    let app = TestApp::serve(db).await;

    let admin = app.anonymous();
    let login = admin
        .call(
            "anmelden",
            &[("login", "admin"), ("passwort", "zsk-demo-admin")],
        )
        .await;
    assert_eq!(login.status(), 200);
    let bafoeg: Value = admin
        .call("dienst", &[("id", "bafoeg-digital")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bafoeg["service"]["total"], 582_310);
    assert_eq!(bafoeg["service"]["first_month"], "2020-10");
    assert_eq!(bafoeg["service"]["last_month"], "2023-12");
    assert_eq!(bafoeg["parts"].as_array().unwrap().len(), 16);
    assert_eq!(bafoeg["series"].as_array().unwrap().len(), 39);

    let reader = app.anonymous();
    let login = reader
        .call(
            "anmelden",
            &[("login", "bautzen"), ("passwort", "zsk-demo-bautzen")],
        )
        .await;
    assert_eq!(login.status(), 200);
    let id = "buergergeld-vormals-alg-ii";
    let own: Value = reader
        .call("dienst", &[("id", id)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["region"]["name"], "Bautzen");
    assert!(own["service"]["total"].as_i64().unwrap() > 0);
    assert!(
        own["parts"].as_array().unwrap().is_empty(),
        "delivered by Kreis: no finer parts"
    );
    for other in ["14626", "14", "DE", "09162"] {
        let response = reader
            .call("dienst", &[("id", id), ("region", other)])
            .await;
        assert_eq!(response.status(), 403, "{other}");
    }
}
