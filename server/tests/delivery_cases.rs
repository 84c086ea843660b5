//! The shared delivery cases (`shared/cases`, fixtures copied to
//! `tests/fixtures/cases`) that concern counts files, run through the real
//! HTTP channel: the CSV upload's server functions, as the ZSK team (the
//! case files mix services of several organisations).
//!
//! Policies chosen where a case offers two: 01 pads one leading zero (P-PAD)
//! and stores an ARS as its AGS; 04 supports `sep=`; 08 ignores an exact
//! duplicate with a warning; 12 and 10 (JSON API) belong to the import API.

mod common;

use common::{fixture, value, TestApp};
use serde_json::Value;

async fn app() -> TestApp {
    common::case_app().await
}

fn case_file(path: &str) -> String {
    String::from_utf8(std::fs::read(fixture(&format!("cases/{path}"))).expect("fixture"))
        .expect("utf-8")
}

/// Uploads a case file through the store server function.
async fn deliver(actor: &common::Actor, path: &str) -> (u16, Value) {
    let content = case_file(path);
    let response = actor
        .call(
            "lieferung/speichern",
            &[("dateiname", path), ("inhalt", &content)],
        )
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

async fn stored_values(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM transaction_count")
        .fetch_one(app.pool())
        .await
        .expect("count")
}

fn messages(body: &Value) -> Vec<String> {
    let list = body
        .get("Invalid")
        .or_else(|| body.get("messages"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    list.iter()
        .map(|m| {
            format!(
                "Zeile {} {} {} {}",
                m["line"].as_u64().unwrap_or(0),
                m["column"].as_str().unwrap_or("-"),
                m["value"].as_str().unwrap_or("-"),
                m["text"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

fn counts(body: &Value) -> (u64, u64, u64, u64) {
    let c = &body["counts"];
    let n = |k: &str| c[k].as_u64().unwrap_or(u64::MAX);
    (n("new"), n("corrected"), n("unchanged"), n("rejected"))
}

#[tokio::test]
async fn case_01_leading_zeros_are_restored_with_a_warning() {
    let app = app().await;
    let admin = app.actor("admin").await;

    let (status, body) = deliver(&admin, "01-ags-leading-zeros-lost/input-valid.csv").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(counts(&body), (6, 0, 0, 0));
    let warned: Vec<u64> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["text"]
                .as_str()
                .unwrap()
                .contains("Führende Null ergänzt")
        })
        .map(|m| m["line"].as_u64().unwrap())
        .collect();
    assert_eq!(warned, [2, 3, 4, 5, 7]);
    assert_eq!(
        value(&app, "DEMO-0001", "01001000", "2024-01").await,
        Some(1234)
    );
    assert_eq!(
        value(&app, "DEMO-0001", "01001", "2024-01").await,
        Some(1500)
    );
    assert_eq!(value(&app, "DEMO-0001", "01", "2024-01").await, Some(9000));
    // Hamburg's Gemeinde is Hamburg's one cell.
    assert_eq!(value(&app, "DEMO-0001", "02", "2024-01").await, Some(310));
    assert_eq!(
        value(&app, "DEMO-0001", "01001000", "2024-02").await,
        Some(1240)
    );
    // The ARS is stored as its AGS.
    assert_eq!(
        value(&app, "DEMO-0001", "01001000", "2024-03").await,
        Some(77)
    );
    assert_eq!(value(&app, "DEMO-0001", "1001000", "2024-01").await, None);
}

#[tokio::test]
async fn case_01_unrepairable_keys_reject_the_whole_file() {
    let app = app().await;
    let admin = app.actor("admin").await;
    let (status, body) = deliver(&admin, "01-ags-leading-zeros-lost/input-invalid.csv").await;
    assert_eq!(status, 422);
    let messages = messages(&body);
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(
        messages[0].starts_with("Zeile 3 Region 101000") && messages[0].contains("6 Stellen"),
        "{messages:?}"
    );
    assert!(
        messages[1].starts_with("Zeile 4 Region 1001000.0")
            && messages[1].contains("Spalte als Text exportieren")
    );
    assert!(messages[2].starts_with("Zeile 5 Region 0") && messages[2].contains("„DE“"));
    assert_eq!(stored_values(&app).await, 0);
}

#[tokio::test]
async fn case_03_german_thousands_are_read_and_everything_else_refused() {
    let app = app().await;
    let admin = app.actor("admin").await;

    let (status, body) = deliver(&admin, "03-german-number-format-counts/input-bad.csv").await;
    assert_eq!(status, 422);
    let messages = messages(&body);
    let lines: Vec<&str> = messages.iter().map(|m| &m[..14]).collect();
    assert_eq!(
        lines,
        [
            "Zeile 2 Anzahl",
            "Zeile 3 Anzahl",
            "Zeile 4 Anzahl",
            "Zeile 5 Anzahl",
            "Zeile 6 Anzahl"
        ]
    );
    assert!(messages[3].contains("negativ"));
    assert_eq!(stored_values(&app).await, 0);

    let (status, body) = deliver(&admin, "03-german-number-format-counts/input-ok.csv").await;
    assert_eq!(status, 200, "{body}");
    for (region, expected) in [
        ("01001000", 999),
        ("01002000", 1000),
        ("01003000", 12345),
        ("01004000", 1_234_567),
        ("01051", 2500),
        ("01053", 0),
    ] {
        assert_eq!(
            value(&app, "DEMO-0001", region, "2024-01").await,
            Some(expected),
            "{region}"
        );
    }
}

#[tokio::test]
async fn case_04_bom_sep_line_and_quoted_header() {
    let app = app().await;
    let admin = app.actor("admin").await;
    let files = [
        "input-bom.csv",
        "input-bom-sep.csv",
        "input-bom-quoted-header.csv",
        "input-no-bom-control.csv",
    ];
    for (i, file) in files.iter().enumerate() {
        let (status, body) = deliver(&admin, &format!("04-utf8-bom-and-sep-line/{file}")).await;
        assert_eq!(status, 200, "{file}: {body}");
        let expected = if i == 0 { (1, 0, 0, 0) } else { (0, 0, 1, 0) };
        assert_eq!(counts(&body), expected, "{file}");
    }
    assert_eq!(
        value(&app, "DEMO-0003", "09162000", "2024-05").await,
        Some(4711)
    );
    assert_eq!(stored_values(&app).await, 1);
}

#[tokio::test]
async fn case_08_two_rows_naming_one_cell() {
    let app = app().await;
    let admin = app.actor("admin").await;

    for file in [
        "input-conflicting.csv",
        "input-ags-ars-same-gemeinde.csv",
        "input-whitespace.csv",
    ] {
        let (status, body) =
            deliver(&admin, &format!("08-duplicate-keys-in-one-upload/{file}")).await;
        assert_eq!(status, 422, "{file}");
        let messages = messages(&body);
        assert!(
            messages
                .iter()
                .any(|m| m.contains("Schlüssel (DEMO-0001, 14521430, 2024-03) doppelt")),
            "{file}: {messages:?}"
        );
        assert_eq!(stored_values(&app).await, 0, "{file}");
    }
    let (_, body) = deliver(
        &admin,
        "08-duplicate-keys-in-one-upload/input-conflicting.csv",
    )
    .await;
    assert!(
        messages(&body)[0].ends_with("doppelt: Zeile 2 = 40, Zeile 4 = 44"),
        "{body}"
    );

    let (status, body) = deliver(
        &admin,
        "08-duplicate-keys-in-one-upload/input-exact-duplicate.csv",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(messages(&body)
        .iter()
        .any(|m| m.contains("Zeile 4 identisch mit Zeile 2, ignoriert")));
    assert_eq!(
        value(&app, "DEMO-0001", "14521430", "2024-03").await,
        Some(40)
    );
    assert_eq!(
        value(&app, "DEMO-0001", "09162000", "2024-03").await,
        Some(700)
    );
}

#[tokio::test]
async fn case_09_zero_is_a_value_and_blank_is_not() {
    let app = app().await;
    let admin = app.actor("admin").await;
    let land_total = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT total FROM region_totals(ARRAY['DEMO-0002'], 'DE') WHERE key = '09' AND month = '2024-04-01'",
        )
        .fetch_optional(app.pool())
        .await
        .expect("totals")
    };

    let (status, body) = deliver(&admin, "09-correction-to-zero/step1-initial.csv").await;
    assert_eq!((status, counts(&body)), (200, (1, 0, 0, 0)));
    assert_eq!(land_total().await, Some(57));

    let (status, body) = deliver(&admin, "09-correction-to-zero/step2-correction-zero.csv").await;
    assert_eq!((status, counts(&body)), (200, (0, 1, 0, 0)));
    assert_eq!(
        value(&app, "DEMO-0002", "09162000", "2024-04").await,
        Some(0)
    );
    assert_eq!(land_total().await, Some(0));

    let (status, body) = deliver(&admin, "09-correction-to-zero/step3-blank.csv").await;
    assert_eq!(status, 422);
    let messages = messages(&body);
    assert!(
        messages[0].starts_with("Zeile 2 Anzahl") && messages[0].contains("Wert fehlt"),
        "{messages:?}"
    );
    assert_eq!(
        value(&app, "DEMO-0002", "09162000", "2024-04").await,
        Some(0)
    );

    let (status, body) = deliver(&admin, "09-correction-to-zero/step4-same-value.csv").await;
    assert_eq!((status, counts(&body)), (200, (0, 0, 1, 0)));

    let history: Vec<i64> = sqlx::query_scalar(
        "SELECT count FROM transaction_count_history WHERE service_id = 'DEMO-0002' ORDER BY id",
    )
    .fetch_all(app.pool())
    .await
    .expect("history");
    assert_eq!(history, [57, 0]);
}

#[tokio::test]
async fn case_17_coarser_levels_allowed_finer_refused() {
    let app = app().await;
    let admin = app.actor("admin").await;

    let (status, body) = deliver(&admin, "17-granularity-levels/input-too-fine.csv").await;
    assert_eq!(status, 422);
    let messages = messages(&body);
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].starts_with("Zeile 3 Region 01001"));
    assert!(messages[0].contains("DEMO-0006 wird nach Bundesländern geliefert; ein Kreiswert ist feiner als seine Granularität"));
    assert!(messages[1].starts_with("Zeile 5 Region 14625010"));
    assert_eq!(stored_values(&app).await, 0);

    let (status, body) = deliver(&admin, "17-granularity-levels/input-ok.csv").await;
    assert_eq!((status, counts(&body)), (200, (4, 0, 0, 0)));
    let pool = app.pool();
    let total = |service: &'static str, key: &'static str| async move {
        sqlx::query_scalar::<_, i64>(
            "SELECT total FROM region_totals(ARRAY[$1], 'DE') WHERE key = $2 AND month = '2024-05-01'",
        )
        .bind(service)
        .bind(key)
        .fetch_one(pool)
        .await
        .expect("total")
    };
    assert_eq!(total("DEMO-0006", "DE").await, 4100);
    assert_eq!(total("DEMO-0007", "14").await, 260);
}
