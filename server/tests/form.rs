//! The web form's server functions: the services a party may deliver for,
//! the grid at each granularity (0 and "not reported" kept apart, the
//! previous month as a hint, only regions valid in the month), check and
//! save through the one store step with messages naming regions, and the
//! role check of every function for every actor.

mod common;

use app::delivery::store::current_month;
use common::{value, Actor, TestApp};
use serde_json::Value;

/// Calls a form function with the service, the month and `entries`
/// (region key, text typed) in the form encoding the browser sends.
async fn form(
    actor: &Actor,
    endpoint: &str,
    service: &str,
    month: &str,
    entries: &[(&str, &str)],
) -> reqwest::Response {
    let mut args = vec![
        ("dienst".to_owned(), service.to_owned()),
        ("monat".to_owned(), month.to_owned()),
    ];
    for (i, (region, text)) in entries.iter().enumerate() {
        args.push((format!("eintraege[{i}][region]"), (*region).to_owned()));
        args.push((format!("eintraege[{i}][wert]"), (*text).to_owned()));
    }
    actor
        .client
        .post(format!("{}/api/formular/{endpoint}", actor.base))
        .form(&args)
        .send()
        .await
        .expect("request")
}

async fn grid(actor: &Actor, service: &str, month: &str, filter: Option<&str>) -> (u16, Value) {
    let mut args = vec![("dienst", service), ("monat", month)];
    if let Some(filter) = filter {
        args.push(("filter", filter));
    }
    let response = actor.call("formular/raster", &args).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn save_ok(actor: &Actor, service: &str, month: &str, entries: &[(&str, &str)]) -> Value {
    let response = form(actor, "speichern", service, month, entries).await;
    assert_eq!(response.status(), 200, "save {service} {month} {entries:?}");
    response.json().await.unwrap()
}

fn keys(grid: &Value, field: &str) -> Vec<String> {
    grid[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap().to_owned())
        .collect()
}

fn row<'a>(grid: &'a Value, key: &str) -> &'a Value {
    grid["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("row {key} in {grid}"))
}

/// Every message text of a check, general and per entry.
fn all_texts(check: &Value) -> Vec<String> {
    let mut texts: Vec<String> = Vec::new();
    let mut take = |list: &Value| {
        for text in list.as_array().into_iter().flatten() {
            texts.push(text.as_str().unwrap().to_owned());
        }
    };
    take(&check["errors"]);
    take(&check["warnings"]);
    for entry in check["entries"].as_array().unwrap() {
        take(&entry["errors"]);
        take(&entry["warnings"]);
    }
    texts
}

#[tokio::test]
async fn setup_lists_the_own_services_and_the_berlin_month() {
    let app = TestApp::spawn().await;
    let setup: Value = app
        .actor("lieferant-a")
        .await
        .call("formular/dienste", &[])
        .await
        .json()
        .await
        .unwrap();
    let services: Vec<(&str, &str)> = setup["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap(),
                s["granularity"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        services,
        [
            ("A-GEMEINDE", "Gemeinde"),
            ("A-KREIS", "Kreis"),
            ("A-LAND", "Land")
        ]
    );
    assert_eq!(setup["current_month"], current_month().to_string());

    let admin: Value = app
        .actor("admin")
        .await
        .call("formular/dienste", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(admin["services"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn the_grid_shows_the_regions_at_the_service_granularity() {
    let app = TestApp::spawn().await;
    sqlx::query(
        "INSERT INTO online_service (id, name, organisation_id, granularity)
         SELECT 'A-BUND', 'Dienst A bundesweit', id, 'bund' FROM organisation WHERE name = 'Organisation A'",
    )
    .execute(app.pool())
    .await
    .unwrap();
    let a = app.actor("lieferant-a").await;

    let (status, bund) = grid(&a, "A-BUND", "2024-01", None).await;
    assert_eq!(status, 200);
    assert_eq!(keys(&bund, "rows"), ["DE"]);
    assert_eq!(bund["filter_level"], Value::Null);

    let (_, land) = grid(&a, "A-LAND", "2024-01", None).await;
    assert_eq!(keys(&land, "rows"), ["01", "11", "14"]);
    assert_eq!(row(&land, "14")["name"], "Sachsen");

    let (_, kreis) = grid(&a, "A-KREIS", "2024-01", None).await;
    assert_eq!(
        keys(&kreis, "rows"),
        ["01001", "01002", "11000", "14625", "14626"]
    );
    assert_eq!(kreis["filter_level"], "Land");
    assert_eq!(keys(&kreis, "filters"), ["01", "11", "14"]);
    let (_, sachsen) = grid(&a, "A-KREIS", "2024-01", Some("14")).await;
    assert_eq!(keys(&sachsen, "rows"), ["14625", "14626"]);

    // Gemeinden come one Kreis at a time: without a Kreis, no rows.
    let (status, gemeinde) = grid(&a, "A-GEMEINDE", "2024-01", None).await;
    assert_eq!(status, 200);
    assert!(gemeinde["rows"].as_array().unwrap().is_empty());
    assert_eq!(gemeinde["filter_level"], "Kreis");
    assert_eq!(
        keys(&gemeinde, "filters"),
        ["01001", "01002", "11000", "14625", "14626"]
    );
    let (_, bautzen) = grid(&a, "A-GEMEINDE", "2024-01", Some("14625")).await;
    assert_eq!(keys(&bautzen, "rows"), ["14625010", "14625020"]);

    // A filter of the wrong level, or for a grid without one, is refused.
    assert_eq!(grid(&a, "A-GEMEINDE", "2024-01", Some("14")).await.0, 400);
    assert_eq!(grid(&a, "A-LAND", "2024-01", Some("14")).await.0, 400);
    assert_eq!(grid(&a, "A-KREIS", "2024-01", Some("x")).await.0, 400);
    assert_eq!(grid(&a, "A-KREIS", "2024-01", Some("15")).await.0, 404);
    assert_eq!(grid(&a, "GIBT-ES-NICHT", "2024-01", None).await.0, 404);
}

#[tokio::test]
async fn the_grid_keeps_zero_and_not_reported_apart() {
    let app = TestApp::spawn().await;
    let a = app.actor("lieferant-a").await;
    save_ok(&a, "A-KREIS", "2023-12", &[("14625", "5"), ("11000", "9")]).await;
    save_ok(&a, "A-KREIS", "2024-01", &[("14625", "0"), ("14626", "7")]).await;

    let (_, grid) = grid(&a, "A-KREIS", "2024-01", None).await;
    assert_eq!(grid["month"], "2024-01");
    assert_eq!(grid["previous_month"], "2023-12");
    let bautzen = row(&grid, "14625");
    assert_eq!(
        (&bautzen["stored"], &bautzen["previous"]),
        (&0.into(), &5.into())
    );
    let goerlitz = row(&grid, "14626");
    assert_eq!(
        (&goerlitz["stored"], &goerlitz["previous"]),
        (&7.into(), &Value::Null)
    );
    let flensburg = row(&grid, "01001");
    assert_eq!(flensburg["stored"], Value::Null, "not reported is not 0");
    // Berlin's Kreis is the Land's cell.
    assert_eq!(row(&grid, "11000")["previous"], 9);
    assert_eq!(value(&app, "A-KREIS", "11", "2023-12").await, Some(9));
}

#[tokio::test]
async fn months_must_be_valid_and_not_in_the_future_and_regions_valid_in_them() {
    let app = TestApp::spawn().await;
    let a = app.actor("lieferant-a").await;
    let current = current_month();
    let next = current.next().to_string();

    assert_eq!(grid(&a, "A-LAND", &current.to_string(), None).await.0, 200);
    let (status, body) = grid(&a, "A-LAND", &next, None).await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("liegt in der Zukunft"), "{body}");
    assert_eq!(grid(&a, "A-LAND", "2024-13", None).await.0, 422);
    let refused = form(&a, "pruefen", "A-LAND", &next, &[("14", "1")]).await;
    assert_eq!(refused.status(), 422);
    assert!(value(&app, "A-LAND", "14", &next).await.is_none());

    // Kiel closed at the end of 2023: in the grid of 2023 only.
    sqlx::query("UPDATE region SET valid_from = '2021-01-01', valid_to = '2023-12-31' WHERE key IN ('01002', '01002000')")
        .execute(app.pool())
        .await
        .unwrap();
    let (_, december) = grid(&a, "A-KREIS", "2023-12", None).await;
    assert!(keys(&december, "rows").contains(&"01002".to_owned()));
    let (_, january) = grid(&a, "A-KREIS", "2024-01", None).await;
    assert!(!keys(&january, "rows").contains(&"01002".to_owned()));
    let (_, gemeinde) = grid(&a, "A-GEMEINDE", "2024-01", None).await;
    assert!(!keys(&gemeinde, "filters").contains(&"01002".to_owned()));
    assert_eq!(
        grid(&a, "A-GEMEINDE", "2024-01", Some("01002")).await.0,
        404
    );

    let check: Value = form(&a, "pruefen", "A-KREIS", "2024-01", &[("01002", "3")])
        .await
        .json()
        .await
        .unwrap();
    let errors = &check["entries"][0]["errors"];
    assert!(errors[0].as_str().unwrap().contains("Kiel"), "{check}");
}

#[tokio::test]
async fn save_stores_new_values_and_corrections_keep_the_history() {
    let app = TestApp::spawn().await;
    let a = app.actor("lieferant-a").await;
    let first = save_ok(
        &a,
        "A-KREIS",
        "2024-02",
        &[("14625", "1.234"), ("14626", "0")],
    )
    .await;
    assert_eq!(first["counts"]["new"], 2);
    assert!(first["delivery_id"].as_i64().is_some());
    assert_eq!(value(&app, "A-KREIS", "14625", "2024-02").await, Some(1234));
    assert_eq!(value(&app, "A-KREIS", "14626", "2024-02").await, Some(0));

    // The check names each field's fate and stores nothing.
    let entries = [
        ("14625", "1.235"),
        ("14626", "0"),
        ("01001", "5"),
        ("01002", " "),
    ];
    let response = form(&a, "pruefen", "A-KREIS", "2024-02", &entries).await;
    assert_eq!(response.status(), 200);
    let check: Value = response.json().await.unwrap();
    let statuses: Vec<String> = check["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e["label"].as_str().unwrap(),
                e["count"],
                e["status"]
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            "Bautzen (14625) 1235 {\"Correction\":{\"old\":1234}}",
            "Görlitz (14626) 0 \"Unchanged\"",
            "Flensburg, Stadt (01001) 5 \"New\"",
        ],
        "an empty field is not reported and not sent"
    );
    assert_eq!(check["delivery_id"], Value::Null);
    assert_eq!(value(&app, "A-KREIS", "01001", "2024-02").await, None);

    let saved = save_ok(&a, "A-KREIS", "2024-02", &entries).await;
    let counts = &saved["counts"];
    assert_eq!(
        (
            &counts["received"],
            &counts["new"],
            &counts["corrected"],
            &counts["unchanged"]
        ),
        (&3.into(), &1.into(), &1.into(), &1.into())
    );
    assert_eq!(value(&app, "A-KREIS", "14625", "2024-02").await, Some(1235));
    let history: Vec<i64> = sqlx::query_scalar(
        "SELECT count FROM transaction_count_history
         WHERE service_id = 'A-KREIS' AND region_key = '14625' ORDER BY delivery_id",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(history, [1234, 1235]);
    let channels: Vec<String> =
        sqlx::query_scalar("SELECT channel::text FROM delivery ORDER BY id")
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(channels, ["form", "form"]);
}

#[tokio::test]
async fn errors_name_the_region_and_a_refused_save_stores_nothing() {
    let app = TestApp::spawn().await;
    let a = app.actor("lieferant-a").await;
    let entries = [
        ("14625", "12,5"),
        ("14626", "-3"),
        ("01001", "k.A."),
        ("01002", "1.0000"),
        ("11000", "4"),
        ("99999", "1"),
    ];
    let check: Value = form(&a, "pruefen", "A-KREIS", "2024-03", &entries)
        .await
        .json()
        .await
        .unwrap();
    let first_error = |i: usize| {
        check["entries"][i]["errors"][0]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        first_error(0).contains("„12,5“ enthält ein Komma"),
        "{check}"
    );
    assert!(first_error(1).contains("„-3“ ist negativ"), "{check}");
    assert!(first_error(2).contains("Platzhalter"), "{check}");
    assert!(first_error(3).contains("Tausendergruppierung"), "{check}");
    assert_eq!(check["entries"][4]["status"], "New");
    assert!(first_error(5).contains("„99999“"), "{check}");
    assert_eq!(check["entries"][0]["label"], "Bautzen (14625)");
    assert_eq!(check["entries"][5]["label"], "99999");
    assert_eq!(check["counts"]["rejected"], 5);

    let response = form(&a, "speichern", "A-KREIS", "2024-03", &entries).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let texts: Vec<&str> = body["Invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.len(), 5, "{texts:?}");
    assert!(texts[0].starts_with("Bautzen (14625): „12,5“"), "{texts:?}");
    assert!(texts[1].starts_with("Görlitz (14626): "), "{texts:?}");
    assert!(body["Invalid"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["line"].is_null()));
    assert_eq!(
        value(&app, "A-KREIS", "11", "2024-03").await,
        None,
        "all or nothing"
    );

    // Two fields of one cell: the message names both regions, not lines.
    let twice: Value = form(
        &a,
        "pruefen",
        "A-KREIS",
        "2024-03",
        &[("11000", "1"), ("11", "2")],
    )
    .await
    .json()
    .await
    .unwrap();
    let texts = all_texts(&twice);
    assert!(
        texts
            .iter()
            .any(|t| t.contains("Berlin, Stadt (11000) = 1")),
        "{texts:?}"
    );
    assert!(texts.iter().all(|t| !t.contains("Zeile")), "{texts:?}");

    // Nothing typed: a clear answer, not an empty delivery.
    for entries in [&[][..], &[("14625", "  ")][..]] {
        let response = form(&a, "speichern", "A-KREIS", "2024-03", entries).await;
        assert_eq!(response.status(), 422);
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("Keine Werte eingetragen"));
    }
    let deliveries: i64 = sqlx::query_scalar("SELECT count(*) FROM delivery")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(deliveries, 0);
}

#[tokio::test]
async fn every_form_function_checks_the_role_first() {
    let app = TestApp::spawn().await;
    let actors = [
        ("anonymous", app.anonymous()),
        ("admin", app.actor("admin").await),
        ("submitter A", app.actor("lieferant-a").await),
        ("submitter B", app.actor("lieferant-b").await),
        ("reader Bautzen", app.actor("leser-bautzen").await),
        ("reader SH", app.actor("leser-sh").await),
    ];
    let entries = [("14625", "5")];
    let mut got = Vec::new();
    for (name, actor) in &actors {
        let setup = actor.call("formular/dienste", &[]).await.status().as_u16();
        let grid = actor
            .call(
                "formular/raster",
                &[("dienst", "A-KREIS"), ("monat", "2024-04")],
            )
            .await
            .status()
            .as_u16();
        let check = form(actor, "pruefen", "A-KREIS", "2024-04", &entries)
            .await
            .status()
            .as_u16();
        let save = form(actor, "speichern", "A-KREIS", "2024-04", &entries)
            .await
            .status()
            .as_u16();
        got.push((*name, [setup, grid, check, save]));
    }
    assert_eq!(
        got,
        [
            ("anonymous", [401, 401, 401, 401]),
            ("admin", [200, 200, 200, 200]),
            ("submitter A", [200, 200, 200, 200]),
            ("submitter B", [200, 403, 403, 403]),
            ("reader Bautzen", [403, 403, 403, 403]),
            ("reader SH", [403, 403, 403, 403]),
        ],
        "[setup, grid, check, save]"
    );
    // The refused calls stored nothing: only the admin's and A's saves.
    let deliveries: Vec<(Option<String>, i32, i32)> = sqlx::query_as(
        "SELECT u.login, d.new_values, d.unchanged FROM delivery d JOIN app_user u ON u.id = d.user_id ORDER BY d.id",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(
        deliveries,
        [
            (Some("admin".to_owned()), 1, 0),
            (Some("lieferant-a".to_owned()), 0, 1)
        ]
    );

    // Submitter B's own service works; the grid of A's stays closed to B.
    let b = &actors[3].1;
    let (status, _) = grid(b, "B-KREIS", "2024-04", None).await;
    assert_eq!(status, 200);
    let (status, body) = grid(b, "A-KREIS", "2024-04", None).await;
    assert_eq!(status, 403);
    assert!(body
        .to_string()
        .contains("gehört nicht zu Ihrer Organisation"));
}
