//! The import API over real HTTP: tokens, the JSON delivery with its modes,
//! dry run and retries (cases 09, 10, 12), files as body or multipart (case
//! 01 as .xlsx), the read-back, and malformed input never answered with 500.

mod common;

use common::{case_app, fixture, token, value, TestApp};
use serde_json::{json, Value};

const KOMMUNAL: Option<&str> = Some("Demo-Kommunal-IT (fiktiv)");

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn post_json(app: &TestApp, token: &str, path: &str, body: &str) -> (u16, Value) {
    let response = client()
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn case(path: &str) -> String {
    std::fs::read_to_string(fixture(&format!("cases/{path}"))).unwrap()
}

fn pointers(body: &Value) -> Vec<(String, String)> {
    body["fehler"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["pointer"].as_str().unwrap_or_default().to_owned(),
                f["meldung"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn case_10_atomic_rejects_all_and_names_each_error_by_pointer() {
    let app = case_app().await;
    let token = token(&app, None).await;
    let (status, body) = post_json(
        &app,
        &token,
        "/api/v1/lieferungen",
        &case("10-json-batch-partial-failure/request-atomic.json"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["status"], "ABGELEHNT");
    assert_eq!(
        (
            body["empfangen"].as_u64(),
            body["gueltig"].as_u64(),
            body["fehlerhaft"].as_u64()
        ),
        (Some(6), Some(2), Some(4))
    );
    assert_eq!(body["gespeichert"], 0);
    let found: Vec<String> = pointers(&body).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        found,
        [
            "/dienste/1/werte/2/region",
            "/dienste/1/werte/0/region",
            "/dienste/1/werte/1/anzahl",
            "/dienste/2/onlinedienst"
        ]
    );
    let messages = pointers(&body);
    assert!(messages[0].1.contains("Zeichenkette"));
    assert!(messages[2].1.contains("negativ"));
    assert!(messages[3].1.contains("DEMO-9999"));
    assert_eq!(value(&app, "DEMO-0001", "01001000", "2024-05").await, None);

    // Nothing was stored: the same id may carry the corrected delivery.
    let id = body["lieferung_id"].as_str().unwrap().to_owned();
    let corrected = json!({"lieferung_id": id, "dienste": [{"onlinedienst": "DEMO-0001",
        "werte": [{"region": "01001000", "monat": "2024-05", "anzahl": 120}]}]})
    .to_string();
    let (status, body) = post_json(&app, &token, "/api/v1/lieferungen", &corrected).await;
    assert_eq!(
        (status, &body["status"]),
        (200, &json!("GESPEICHERT")),
        "{body}"
    );
    // Once stored, other content under that id is refused, in a dry run too.
    let other = corrected.replace("120", "121");
    for path in [
        "/api/v1/lieferungen",
        "/api/v1/lieferungen?nur_pruefen=true",
    ] {
        let (status, _) = post_json(&app, &token, path, &other).await;
        assert_eq!(status, 409, "{path}");
    }
    assert_eq!(
        value(&app, "DEMO-0001", "01001000", "2024-05").await,
        Some(120)
    );
}

#[tokio::test]
async fn case_10_partial_stores_the_valid_part_and_retries_are_safe() {
    let app = case_app().await;
    let token = token(&app, None).await;
    let request = case("10-json-batch-partial-failure/request-partial-mode.json");
    let (status, body) = post_json(&app, &token, "/api/v1/lieferungen", &request).await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["status"], "TEILWEISE");
    assert_eq!(
        (
            body["gespeichert"].as_u64(),
            body["fehlerhaft"].as_u64(),
            body["empfangen"].as_u64()
        ),
        (Some(2), Some(4), Some(6))
    );
    assert_eq!(pointers(&body).len(), 4);
    // The delivery history counts what the answer counts, values of the
    // wrong JSON type included.
    let stored: (i32, i32, i32) =
        sqlx::query_as("SELECT received, new_values, rejected FROM delivery WHERE id = $1")
            .bind(body["lieferung"].as_i64().unwrap())
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(stored, (6, 2, 4));
    assert_eq!(
        value(&app, "DEMO-0001", "01001000", "2024-05").await,
        Some(120)
    );
    assert_eq!(
        value(&app, "DEMO-0001", "01002000", "2024-05").await,
        Some(95)
    );

    let (again_status, again) = post_json(&app, &token, "/api/v1/lieferungen", &request).await;
    assert_eq!(
        (again_status, &again),
        (207, &body),
        "the same lieferung_id answers the same"
    );
    let deliveries: i64 = sqlx::query_scalar("SELECT count(*) FROM delivery")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(deliveries, 1, "nothing stored twice");

    let raw = || async {
        client()
            .post(format!("{}/api/v1/lieferungen", app.base))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(request.clone())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert_eq!(raw().await, raw().await, "a retry gets the same bytes");

    let changed = request.replace("120", "121");
    let (status, body) = post_json(&app, &token, "/api/v1/lieferungen", &changed).await;
    assert_eq!(status, 409, "{body}");

    let state: Value = client()
        .get(format!(
            "{}/api/v1/lieferungen/demo-2024-05-kit-ost-002",
            app.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["zustand"], "abgeschlossen", "{state}");
}

#[tokio::test]
async fn case_12_months_are_calendar_months_not_timestamps() {
    let app = case_app().await;
    let token = token(&app, None).await;
    let (status, body) = post_json(
        &app,
        &token,
        "/api/v1/lieferungen",
        &case("12-timezone-month-boundary/request-plain.json"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        value(&app, "DEMO-0005", "01001000", "2024-02").await,
        Some(11)
    );

    // Policy: timestamps are refused (the preferred answer of the case).
    let (status, body) = post_json(
        &app,
        &token,
        "/api/v1/lieferungen",
        &case("12-timezone-month-boundary/request-mixed-month-formats.json"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let found = pointers(&body);
    let expected: Vec<String> = (1..=4)
        .map(|i| format!("/dienste/0/werte/{i}/monat"))
        .collect();
    assert_eq!(
        found.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        expected
    );
    assert!(found
        .iter()
        .all(|(_, m)| m.contains("Monat im Format JJJJ-MM angeben")));

    let read: Value = client()
        .get(format!("{}/api/v1/werte?onlinedienst=DEMO-0005", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        read["dienste"][0]["werte"],
        json!([{ "region": "01001000", "monat": "2024-02", "anzahl": 11 }])
    );
}

#[tokio::test]
async fn case_09_correction_to_zero_by_json() {
    let app = case_app().await;
    let token = token(&app, KOMMUNAL).await;
    let first = json!({"lieferung_id": "s1", "dienste": [{"onlinedienst": "DEMO-0002", "werte": [{"region": "09162000", "monat": "2024-04", "anzahl": 57}]}]});
    let (status, _) = post_json(&app, &token, "/api/v1/lieferungen", &first.to_string()).await;
    assert_eq!(status, 200);
    let (status, body) = post_json(
        &app,
        &token,
        "/api/v1/lieferungen",
        &case("09-correction-to-zero/step2-correction-zero.json"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["korrigiert"], 1);
    assert_eq!(body["ergebnisse"][0]["alt"], 57);
    assert_eq!(
        value(&app, "DEMO-0002", "09162000", "2024-04").await,
        Some(0)
    );
}

#[tokio::test]
async fn tokens_are_scoped_to_their_organisation_and_can_be_revoked() {
    let app = case_app().await;
    let token = token(&app, KOMMUNAL).await;
    // DEMO-0003 belongs to another organisation.
    let foreign = json!({"lieferung_id": "f1", "dienste": [{"onlinedienst": "DEMO-0003", "werte": [{"region": "09162000", "monat": "2024-04", "anzahl": 1}]}]});
    let (status, body) = post_json(&app, &token, "/api/v1/lieferungen", &foreign.to_string()).await;
    assert_eq!(status, 422);
    assert_eq!(pointers(&body)[0].0, "/dienste/0/onlinedienst");
    assert!(pointers(&body)[0]
        .1
        .contains("gehört nicht zu Ihrer Organisation"));

    let read: Value = client()
        .get(format!("{}/api/v1/werte", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["dienste"], json!([]));

    for bad in ["", "zsk_falsch", "Basic abc"] {
        let response = client()
            .post(format!("{}/api/v1/lieferungen", app.base))
            .header("authorization", bad)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{bad:?}");
    }
    let response = client()
        .post(format!("{}/api/v1/lieferungen", app.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    sqlx::query("UPDATE api_token SET revoked_at = now()")
        .execute(app.pool())
        .await
        .unwrap();
    let (status, _) = post_json(&app, &token, "/api/v1/lieferungen", &foreign.to_string()).await;
    assert_eq!(status, 401, "revoked");
    let hashes: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_token")
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert!(hashes.iter().all(|h| h.len() == 64 && !h.contains(&token)));
}

#[tokio::test]
async fn token_management_per_role() {
    let app = TestApp::spawn().await;
    let anonymous = app.anonymous();
    assert_eq!(anonymous.call("tokens", &[]).await.status(), 401);
    assert_eq!(
        anonymous
            .call("tokens/anlegen", &[("name", "x")])
            .await
            .status(),
        401
    );
    for reader in ["leser-bautzen", "leser-sh"] {
        let actor = app.actor(reader).await;
        assert_eq!(actor.call("tokens", &[]).await.status(), 403);
        assert_eq!(
            actor
                .call("tokens/anlegen", &[("name", "x")])
                .await
                .status(),
            403
        );
        assert_eq!(
            actor
                .call("tokens/widerrufen", &[("id", "1")])
                .await
                .status(),
            403
        );
    }
    let a = app.actor("lieferant-a").await;
    let created: Value = a
        .call("tokens/anlegen", &[("name", "Fachverfahren")])
        .await
        .json()
        .await
        .unwrap();
    let secret = created["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("zsk_"));
    let list: Value = a.call("tokens", &[]).await.json().await.unwrap();
    assert_eq!(list[0]["organisation"], "Organisation A");
    assert!(
        !list.to_string().contains(&secret),
        "the secret is shown once only"
    );

    let b = app.actor("lieferant-b").await;
    let id = created["id"].to_string();
    assert_eq!(
        b.call("tokens/widerrufen", &[("id", &id)]).await.status(),
        404,
        "not B's token"
    );
    let b_list: Value = b.call("tokens", &[]).await.json().await.unwrap();
    assert_eq!(b_list, json!([]));
    assert_eq!(
        a.call("tokens/widerrufen", &[("id", &id)]).await.status(),
        200
    );
    let admin_list: Value = app
        .actor("admin")
        .await
        .call("tokens", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(admin_list[0]["revoked"], true);
}

#[tokio::test]
async fn files_by_body_or_multipart_with_dry_run_and_size_limit() {
    let app = case_app().await;
    let token = token(&app, None).await;
    let url = format!("{}/api/v1/lieferungen/datei", app.base);
    let csv = std::fs::read(fixture("cases/01-ags-leading-zeros-lost/input-valid.csv")).unwrap();
    let xlsx = std::fs::read(fixture("cases/01-ags-leading-zeros-lost/input-valid.xlsx")).unwrap();

    let dry: Value = client()
        .post(format!("{url}?nur_pruefen=true"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dry["status"], "GEPRUEFT", "{dry}");
    assert_eq!(dry["neu"], 6);
    assert_eq!(
        value(&app, "DEMO-0001", "01001000", "2024-01").await,
        None,
        "a dry run stores nothing"
    );

    let response = client()
        .post(&url)
        .bearer_auth(&token)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["hinweise"].as_array().unwrap().len(), 5, "{body}");

    let form = reqwest::multipart::Form::new().part(
        "datei",
        reqwest::multipart::Part::bytes(xlsx).file_name("input-valid.xlsx"),
    );
    let response = client()
        .post(&url)
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["unveraendert"].as_u64(), body["neu"].as_u64()),
        (Some(6), Some(0)),
        "{body}"
    );

    let bad = std::fs::read(fixture(
        "cases/03-german-number-format-counts/input-bad.csv",
    ))
    .unwrap();
    let response = client()
        .post(&url)
        .bearer_auth(&token)
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["fehler"][0]["zeile"], 2);
    assert_eq!(body["fehler"][0]["spalte"], "Anzahl");

    let huge = vec![b'x'; 3 * 1024 * 1024];
    let response = client()
        .post(&url)
        .bearer_auth(&token)
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["meldung"].as_str().unwrap().contains("höchstens 2 MB"),
        "{body}"
    );
}

#[tokio::test]
async fn a_download_uploads_again_unchanged() {
    let app = case_app().await;
    let token = token(&app, None).await;
    let csv = std::fs::read(fixture("cases/03-german-number-format-counts/input-ok.csv")).unwrap();
    let url = format!("{}/api/v1/lieferungen/datei", app.base);
    assert_eq!(
        client()
            .post(&url)
            .bearer_auth(&token)
            .body(csv)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let download = client()
        .get(format!(
            "{}/api/v1/werte?onlinedienst=DEMO-0001&von=2024-01&bis=2024-01",
            app.base
        ))
        .bearer_auth(&token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(download.lines().count(), 7, "{download}");
    let again: Value = client()
        .post(&url)
        .bearer_auth(&token)
        .body(download)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["unveraendert"], 6);

    let as_json: Value = client()
        .get(format!("{}/api/v1/werte?onlinedienst=DEMO-0001", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The download carries an id of its own content: it posts back as it is.
    assert!(as_json["lieferung_id"]
        .as_str()
        .is_some_and(|id| id.starts_with("rueckgabe-")));
    let (status, body) = post_json(&app, &token, "/api/v1/lieferungen", &as_json.to_string()).await;
    assert_eq!(
        (status, body["unveraendert"].as_u64()),
        (200, Some(6)),
        "{body}"
    );
}

/// Random and random-looking JSON never makes the API answer 500.
#[tokio::test]
async fn malformed_json_is_never_a_server_error() {
    let app = case_app().await;
    let token = token(&app, None).await;
    let pieces = [
        json!(null),
        json!(1),
        json!(-5),
        json!(1.5),
        json!("x"),
        json!(""),
        json!([]),
        json!({}),
        json!(true),
        json!("DEMO-0001"),
        json!("2024-02"),
        json!("01001000"),
        json!(1e300),
        json!([{"region": 1}]),
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..150 {
        let mut pick = || pieces[(next() % pieces.len() as u64) as usize].clone();
        let body = match i % 3 {
            0 => json!({"lieferung_id": pick(), "modus": pick(), "dienste": pick()}),
            1 => {
                json!({"lieferung_id": format!("z{i}"), "dienste": [{"onlinedienst": pick(), "werte": [{"region": pick(), "monat": pick(), "anzahl": pick()}, pick()]}, pick()]})
            }
            _ => pick(),
        };
        let (status, _) = post_json(&app, &token, "/api/v1/lieferungen", &body.to_string()).await;
        assert!(status < 500, "{body} answered {status}");
    }
    for raw in ["", "{", "[1,", "\u{0}", "{\"dienste\": [}"] {
        let (status, _) = post_json(&app, &token, "/api/v1/lieferungen", raw).await;
        assert_eq!(status, 400, "{raw:?}");
    }
}

async fn post_master_data(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let bytes = std::fs::read(fixture(&format!("cases/{path}"))).unwrap();
    let response = client()
        .post(format!("{}/api/v1/stammdaten/datei", app.base))
        .bearer_auth(token)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn cases_00_and_16_master_data_by_http() {
    let db = common::TestDb::new().await;
    let app = TestApp::serve(db).await;
    let admin = token(&app, None).await;

    let (status, body) = post_master_data(&app, &admin, "00-fixtures/stammdaten-demo.csv").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ergebnis"]["created"], 5);

    let (status, body) = post_master_data(
        &app,
        &admin,
        "16-master-data-bulk-import/stammdaten-bad.csv",
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let errors: Vec<(u64, String)> = body["fehler"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["zeile"].as_u64().unwrap(),
                f["spalte"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        (3, "LeiKa"),
        (4, "Typ"),
        (5, "URL"),
        (6, "URL"),
        (7, "Onlinedienst-ID"),
        (8, "Typ"),
    ];
    assert_eq!(errors, expected.map(|(l, c)| (l, c.to_owned())));
    let services: i64 = sqlx::query_scalar("SELECT count(*) FROM online_service")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(services, 5, "nothing created, not even line 2");

    let (status, body) =
        post_master_data(&app, &admin, "16-master-data-bulk-import/stammdaten-ok.csv").await;
    assert_eq!(
        (status, body["ergebnis"]["created"].as_u64()),
        (200, Some(2)),
        "{body}"
    );
    let (status, body) = post_master_data(
        &app,
        &admin,
        "16-master-data-bulk-import/stammdaten-ok.xlsx",
    )
    .await;
    assert_eq!(
        (status, body["ergebnis"]["unchanged"].as_u64()),
        (200, Some(2)),
        "{body}"
    );
    let leika: String =
        sqlx::query_scalar("SELECT leika_key FROM online_service WHERE id = 'DEMO-0201'")
            .fetch_one(app.pool())
            .await
            .unwrap();
    assert_eq!(leika, "99000000000201");

    // An organisation's token keeps its own services only.
    let own = token(&app, KOMMUNAL).await;
    let (status, body) = post_master_data(&app, &own, "00-fixtures/stammdaten-demo.csv").await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["fehler"]
            .to_string()
            .contains("nicht die eigene Organisation"),
        "{body}"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = TestApp::spawn().await;
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    for path in [
        "/api/v1/lieferungen",
        "/api/v1/lieferungen/datei",
        "/api/v1/lieferungen/{id}",
        "/api/v1/werte",
        "/api/v1/stammdaten/datei",
    ] {
        assert!(
            paths.iter().any(|p| *p == path),
            "{path} missing in {paths:?}"
        );
    }
    assert!(doc["components"]["schemas"]["DeliveryRequest"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let page = reqwest::get(format!("{}/api/v1/doku", app.base))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("POST /api/v1/lieferungen"));
}
