//! What a new user's attack on the first version found, kept fixed: no 500
//! for malformed arguments or NUL characters, implausible counts and future
//! months refused, empty files not stored, the login throttle holding under
//! parallel guesses, and protective headers on every answer.

mod common;

use common::{TestApp, PASSWORD};
use serde_json::Value;

const HEADER: &str = "Onlinedienst;Region;Monat;Anzahl\n";

#[tokio::test]
async fn malformed_server_function_calls_are_client_errors() {
    let app = TestApp::spawn().await;
    let actor = app.actor("lieferant-a").await;
    assert_eq!(
        actor.call("anmelden", &[("login", "admin")]).await.status(),
        400,
        "missing argument"
    );
    assert_eq!(actor.call("lieferung/pruefen", &[]).await.status(), 400);
    let json = actor
        .client
        .post(format!("{}/api/lieferung/pruefen", app.base))
        .header("content-type", "application/json")
        .body("{\"inhalt\": 5}")
        .send()
        .await
        .unwrap();
    assert!(json.status().is_client_error(), "{}", json.status());
    for args in [
        vec![("login", "ad\0min"), ("passwort", "x")],
        vec![("id", "\0"), ("region", "14625")],
    ] {
        let endpoint = if args[0].0 == "login" {
            "anmelden"
        } else {
            "dienst"
        };
        assert_eq!(actor.call(endpoint, &args).await.status(), 400, "{args:?}");
    }
    let file = format!("{HEADER}A-KREIS;14625;2024-01;5\n");
    let response = actor
        .call(
            "lieferung/speichern",
            &[("dateiname", "a\0b.csv"), ("inhalt", &file)],
        )
        .await;
    assert_eq!(response.status(), 400);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM delivery")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn implausible_counts_future_months_and_empty_files_are_refused() {
    let app = TestApp::spawn().await;
    let actor = app.actor("lieferant-a").await;
    let file =
        format!("{HEADER}A-KREIS;14625;2024-01;9223372036854775807\nA-KREIS;14625;2999-01;1\n");
    let response = actor
        .call(
            "lieferung/speichern",
            &[("dateiname", "x.csv"), ("inhalt", &file)],
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let text = body.to_string();
    assert!(text.contains("unplausibel groß"), "{text}");
    assert!(text.contains("Januar 2999 liegt in der Zukunft"), "{text}");

    let token = app::tokens::server::create_token(app.pool(), None, "t", None)
        .await
        .unwrap()
        .token;
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/lieferungen/datei", app.base))
        .bearer_auth(&token)
        .body(HEADER)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["fehler"][0]["meldung"],
        "Die Lieferung enthält keine Werte"
    );
    let deliveries: i64 = sqlx::query_scalar("SELECT count(*) FROM delivery")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(deliveries, 0);
}

#[tokio::test]
async fn the_login_throttle_holds_under_parallel_guesses() {
    let app = TestApp::spawn().await;
    let mut attempts = Vec::new();
    for _ in 0..12 {
        let actor = app.anonymous();
        attempts.push(tokio::spawn(async move {
            actor
                .call("anmelden", &[("login", "admin"), ("passwort", "geraten")])
                .await
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    statuses.sort();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 401).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 429).count(),
        7,
        "{statuses:?}"
    );
    let right = app
        .anonymous()
        .call("anmelden", &[("login", "admin"), ("passwort", PASSWORD)])
        .await;
    assert_eq!(right.status(), 429);
}

#[tokio::test]
async fn answers_carry_protective_headers_and_are_compressed() {
    let app = TestApp::spawn().await;
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let response = raw
        .get(format!("{}/api/v1/openapi.json", app.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    let headers = response.headers();
    assert_eq!(headers["content-encoding"], "gzip");
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
}

/// Counts carry no per-row foreign keys (migration 0009): what they refer to
/// can be neither deleted nor renamed, and the store step writes no value
/// whose service or region is unknown.
#[tokio::test]
async fn what_counts_refer_to_is_kept() {
    let app = TestApp::spawn().await;
    let pool = app.pool();
    for statement in [
        "DELETE FROM region WHERE key = '14625'",
        "DELETE FROM online_service WHERE id = 'A-KREIS'",
        "DELETE FROM delivery",
        "TRUNCATE region CASCADE",
        "UPDATE region SET key = '14999' WHERE key = '14625'",
        "UPDATE online_service SET id = 'X' WHERE id = 'A-KREIS'",
    ] {
        let err = sqlx::query(statement).execute(pool).await.unwrap_err();
        assert!(
            err.to_string().contains("refer to them"),
            "{statement}: {err}"
        );
    }

    let mut tx = pool.begin().await.unwrap();
    let delivery: i64 = sqlx::query_scalar(
        "INSERT INTO delivery (channel, received, new_values, corrected, unchanged, rejected)
         VALUES ('api', 1, 1, 0, 0, 0) RETURNING id",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let record = app::delivery::validate::Record {
        line: 2,
        service_id: "GIBT-ES-NICHT".to_owned(),
        region_key: "14625".to_owned(),
        cell_key: "14625".to_owned(),
        month: app::delivery::Month::parse("2024-01").unwrap(),
        count: 5,
    };
    let written = app::delivery::store::write_values(
        &mut tx,
        delivery,
        &[record],
        &[app::delivery::RowStatus::New],
    )
    .await;
    assert!(written.is_err(), "a value of an unknown service is refused");
    tx.rollback().await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM transaction_count")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

/// What a script gets wrong is answered in German, never ignored: unknown
/// modes, unreadable parameters, oversized JSON; the auth scheme's case
/// does not matter.
#[tokio::test]
async fn api_parameters_are_checked_in_german() {
    let app = TestApp::spawn().await;
    let token = app::tokens::server::create_token(app.pool(), None, "Skript", None)
        .await
        .unwrap()
        .token;
    let client = reqwest::Client::new();
    let post = |path: &str, body: Vec<u8>| {
        client
            .post(format!("{}{path}", app.base))
            .header("authorization", format!("bearer {token}"))
            .body(body)
    };
    let csv = format!("{HEADER}A-KREIS;14625;2024-01;5\n").into_bytes();

    let answer = post("/api/v1/lieferungen/datei?modus=xyz", csv.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert!(body["meldung"]
        .as_str()
        .unwrap()
        .contains("modus „xyz“ unbekannt"));

    let answer = post("/api/v1/lieferungen/datei?nur_pruefen=ja", csv.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert!(body["meldung"].as_str().unwrap().contains("nur_pruefen=ja"));

    // Lower-case "bearer" is the same scheme.
    let csv_again = csv.clone();
    let answer = post("/api/v1/lieferungen/datei?nur_pruefen=true", csv)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    // A misspelt switch is refused, never ignored (it would store what was
    // only to be checked).
    let answer = post(
        "/api/v1/lieferungen/datei?nurpruefen=true",
        csv_again.clone(),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(answer.status(), 400);
    let json = |body: serde_json::Value, path: &str| {
        post(path, body.to_string().into_bytes()).header("content-type", "application/json")
    };
    let values = serde_json::json!([{"onlinedienst": "A-KREIS",
        "werte": [{"region": "14625", "monat": "2024-01", "anzahl": 5}]}]);
    let checked: Value = json(
        serde_json::json!({"lieferung_id": "p-1", "nur_pruefen": true, "dienste": values}),
        "/api/v1/lieferungen",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(checked["status"], "GEPRUEFT", "{checked}");
    for (body, path, status) in [
        (
            serde_json::json!({"lieferung_id": "p-2", "nur_pruefen": "ja", "dienste": values}),
            "/api/v1/lieferungen",
            422,
        ),
        (
            serde_json::json!({"lieferung_id": "p-3", "nurpruefen": true, "dienste": values}),
            "/api/v1/lieferungen",
            422,
        ),
        (
            serde_json::json!({"lieferung_id": "p-4", "modus": "teilweise", "dienste": values}),
            "/api/v1/lieferungen?modus=atomar",
            400,
        ),
        (
            serde_json::json!({"lieferung_id": "p-5", "dienste": [{"onlinedienst": "A-KREIS",
            "werte": [{"region": "14625", "monat": "2024-01", "anzhal": 5}]}]}),
            "/api/v1/lieferungen",
            422,
        ),
    ] {
        let answer = json(body.clone(), path).send().await.unwrap();
        assert_eq!(answer.status().as_u16(), status, "{body}");
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM transaction_count")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0);

    let huge = vec![b' '; 3 * 1024 * 1024];
    let answer = post("/api/v1/lieferungen", huge)
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);
    let body: Value = answer.json().await.unwrap();
    assert!(body["meldung"].as_str().unwrap().contains("höchstens 2 MB"));
}

/// Lines a file reader refuses (a separator inside a value, an ambiguous
/// number) are invalid rows like any other: atomic stores nothing, partial
/// stores the other rows, and the counts add up.
#[tokio::test]
async fn lines_refused_while_reading_follow_the_mode() {
    let app = TestApp::spawn().await;
    let token = app::tokens::server::create_token(app.pool(), None, "Skript", None)
        .await
        .unwrap()
        .token;
    let csv = "Onlinedienst,Region,Monat,Anzahl\nA-KREIS,14625,2024-01,1.234\nA-KREIS,14626,2024-01,7\nA-KREIS,14625,2024-02,12,5\n";
    let post = |mode: &str| {
        reqwest::Client::new()
            .post(format!(
                "{}/api/v1/lieferungen/datei?modus={mode}",
                app.base
            ))
            .bearer_auth(&token)
            .body(csv)
            .send()
    };
    let stored = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM transaction_count")
            .fetch_one(app.pool())
            .await
            .unwrap()
    };

    let atomic = post("atomar").await.unwrap();
    assert_eq!(atomic.status(), 422);
    let body: Value = atomic.json().await.unwrap();
    let lines: Vec<u64> = body["fehler"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["zeile"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 4], "{body}");
    assert_eq!(stored().await, 0);

    let partial = post("teilweise").await.unwrap();
    let status = partial.status();
    let body: Value = partial.json().await.unwrap();
    assert_eq!(status, 207, "{body}");
    assert_eq!(
        (
            body["empfangen"].as_u64(),
            body["fehlerhaft"].as_u64(),
            body["gespeichert"].as_u64()
        ),
        (Some(3), Some(2), Some(1)),
        "{body}"
    );
    assert_eq!(stored().await, 1);
}
