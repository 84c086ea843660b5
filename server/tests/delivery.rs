//! The CSV delivery through its server functions: the preview stores
//! nothing, every rule names line, column and value, a file with any error
//! stores nothing, corrections keep their history, and the history shows
//! each party its own deliveries.

mod common;

use common::TestApp;
use serde_json::Value;

const HEADER: &str = "Onlinedienst;Region;Monat;Anzahl\n";

async fn stored(app: &TestApp) -> Vec<(String, String, String, i64)> {
    sqlx::query_as(
        "SELECT service_id, region_key, to_char(month, 'YYYY-MM'), count FROM transaction_count ORDER BY 1, 2, 3",
    )
    .fetch_all(app.pool())
    .await
    .unwrap()
}

fn texts(body: &Value) -> Vec<String> {
    body["Invalid"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|m| {
                    format!(
                        "{}|{}|{}|{}",
                        m["line"],
                        m["column"].as_str().unwrap_or("-"),
                        m["value"].as_str().unwrap_or("-"),
                        m["text"].as_str().unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn preview_classifies_rows_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let submitter = app.actor("lieferant-a").await;
    let first = format!("{HEADER}A-KREIS;14625;2024-01;5\nA-KREIS;14626;2024-01;6\n");
    let saved = submitter
        .call(
            "lieferung/speichern",
            &[("dateiname", "a.csv"), ("inhalt", &first)],
        )
        .await;
    assert_eq!(saved.status(), 200);

    let second = format!(
        "{HEADER}A-KREIS;14625;2024-01;5\nA-KREIS;14626;2024-01;7\nA-KREIS;14625;2024-02;0\n"
    );
    let response = submitter
        .call("lieferung/pruefen", &[("inhalt", &second)])
        .await;
    assert_eq!(response.status(), 200);
    let preview: Value = response.json().await.unwrap();
    let statuses: Vec<String> = preview["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].to_string())
        .collect();
    assert_eq!(
        statuses,
        ["\"Unchanged\"", "{\"Correction\":{\"old\":6}}", "\"New\""]
    );
    assert_eq!(preview["counts"]["received"], 3);
    assert_eq!(stored(&app).await.len(), 2, "the preview stores nothing");
}

#[tokio::test]
async fn every_rule_names_line_column_and_value_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let submitter = app.actor("lieferant-a").await;
    let file = format!(
        "{HEADER}A-KREIS;14625;2024-01;5\r\n\
         B-KREIS;14625;2024-01;5\r\n\
         UNBEKANNT;14625;2024-01;5\r\n\
         A-KREIS;99999;2024-01;5\r\n\
         A-KREIS;14625010;2024-01;5\r\n\
         A-KREIS;14625;13/2024;5\r\n\
         A-KREIS;14625;2024-02;-3\r\n\
         A-KREIS;14625;2024-03;2,5\r\n\
         A-KREIS;14625;2024-04;\r\n\
         ;14625;2024-05;1\r\n\
         A-KREIS;14625;24-06;1\r\n"
    );
    let response = submitter
        .call(
            "lieferung/speichern",
            &[("dateiname", "x.csv"), ("inhalt", &file)],
        )
        .await;
    assert_eq!(response.status(), 422);
    let messages = texts(&response.json().await.unwrap());
    let expected_starts = [
        "3|Onlinedienst|B-KREIS|Onlinedienst „B-KREIS“ gehört nicht zu Ihrer Organisation",
        "4|Onlinedienst|UNBEKANNT|Onlinedienst „UNBEKANNT“ ist unbekannt",
        "5|Region|99999|Region „99999“ ist im Gebietsregister nicht vorhanden",
        "6|Region|14625010|A-KREIS wird nach Kreisen geliefert; ein Gemeindewert ist feiner",
        "7|Monat|13/2024|„13/2024“ ist kein gültiger Monat",
        "8|Anzahl|-3|„-3“ ist negativ",
        "9|Anzahl|2,5|„2,5“ enthält ein Komma",
        "10|Anzahl||Wert fehlt",
        "11|Onlinedienst||Wert fehlt",
        "12|Monat|24-06|„24-06“ ist kein gültiger Monat",
    ];
    assert_eq!(messages.len(), expected_starts.len(), "{messages:#?}");
    for (message, start) in messages.iter().zip(expected_starts) {
        assert!(
            message.starts_with(start),
            "{message} should start with {start}"
        );
    }
    assert!(stored(&app).await.is_empty());
}

#[tokio::test]
async fn unreadable_files_get_a_clear_answer() {
    let app = TestApp::spawn().await;
    let submitter = app.actor("lieferant-a").await;
    for (content, expected) in [
        (
            "Onlinedienst Region Monat Anzahl\nx\n",
            "Trennzeichen nicht erkannt",
        ),
        (
            "Onlinedienst;Region;Monat\nA-KREIS;14625;2024-01\n",
            "Pflichtspalte „Anzahl“ fehlt",
        ),
        ("", "Datei ist leer"),
        (
            "Onlinedienst;Region;Monat;Anzahl\nM\u{fffd}nchen;14625;2024-01;1\n",
            "nicht UTF-8",
        ),
        (
            "Onlinedienst;Region;Monat;Anzahl\nA-KREIS;14625\n",
            "2 Felder statt 4",
        ),
    ] {
        let response = submitter
            .call("lieferung/pruefen", &[("inhalt", content)])
            .await;
        assert_eq!(response.status(), 422, "{content:?}");
        let messages = texts(&response.json().await.unwrap());
        assert!(
            messages.iter().any(|m| m.contains(expected)),
            "{content:?}: {messages:?}"
        );
    }
}

#[tokio::test]
async fn corrections_keep_history_and_the_history_shows_own_deliveries() {
    let app = TestApp::spawn().await;
    let a = app.actor("lieferant-a").await;
    let b = app.actor("lieferant-b").await;
    // The third file repeats the second's value with other bytes (a byte-
    // identical file would be answered as already stored).
    for (name, count, end) in [
        ("erst.csv", "10", "\n"),
        ("korrektur.csv", "0", "\n"),
        ("gleich.csv", "0", "\r\n"),
    ] {
        let file = format!("{HEADER}A-KREIS;14625;2024-01;{count}{end}");
        let response = a
            .call(
                "lieferung/speichern",
                &[("dateiname", name), ("inhalt", &file)],
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    let file = format!("{HEADER}B-KREIS;14625;2024-01;3\n");
    assert_eq!(
        b.call(
            "lieferung/speichern",
            &[("dateiname", "b.csv"), ("inhalt", &file)]
        )
        .await
        .status(),
        200
    );

    assert_eq!(
        stored(&app).await[0],
        ("A-KREIS".into(), "14625".into(), "2024-01".into(), 0)
    );
    let history: Vec<i64> = sqlx::query_scalar(
        "SELECT count FROM transaction_count_history WHERE service_id = 'A-KREIS' ORDER BY delivery_id",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    assert_eq!(history, [10, 0], "an unchanged value adds no history row");

    let list: Value = a.call("lieferungen", &[]).await.json().await.unwrap();
    let list = list.as_array().unwrap();
    let names: Vec<&str> = list
        .iter()
        .map(|d| d["file_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gleich.csv", "korrektur.csv", "erst.csv"]);
    assert_eq!(list[0]["counts"]["unchanged"], 1);
    assert_eq!(list[1]["counts"]["corrected"], 1);
    assert_eq!(list[2]["counts"]["new"], 1);
    assert_eq!(list[2]["channel"], "csv");
    assert_eq!(list[2]["user"], "Lieferant A");

    let admin: Value = app
        .actor("admin")
        .await
        .call("lieferungen", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(admin.as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn berlin_is_one_cell_at_every_level() {
    let app = TestApp::spawn().await;
    let a = app.actor("lieferant-a").await;
    let file = format!("{HEADER}A-GEMEINDE;11000000;2024-01;8\n");
    assert_eq!(
        a.call(
            "lieferung/speichern",
            &[("dateiname", "b.csv"), ("inhalt", &file)]
        )
        .await
        .status(),
        200
    );
    let file = format!("{HEADER}A-GEMEINDE;11000;2024-01;9\n");
    let response = a
        .call(
            "lieferung/speichern",
            &[("dateiname", "b.csv"), ("inhalt", &file)],
        )
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["counts"]["corrected"], 1, "{body}");
    assert_eq!(
        stored(&app).await,
        [("A-GEMEINDE".into(), "11".into(), "2024-01".into(), 9)]
    );
}

/// A cell another delivery creates between this delivery's classification
/// and its write: the write fails on the unique key, the delivery classifies
/// again and stores a correction of that value — nothing is lost or doubled.
#[tokio::test]
async fn a_cell_created_meanwhile_turns_new_into_a_correction() {
    use app::delivery::store::{deliver, Channel, Deliverer, DeliveryMeta, Mode};
    use app::delivery::validate::{KeyRepair, RawRecord};

    let app = TestApp::spawn().await;
    let pool = app.pool().clone();
    // The other delivery has written the cell but not yet committed.
    let mut other = pool.begin().await.unwrap();
    let other_id: i64 = sqlx::query_scalar(
        "INSERT INTO delivery (channel, received, new_values, corrected, unchanged, rejected)
         VALUES ('api', 1, 1, 0, 0, 0) RETURNING id",
    )
    .fetch_one(&mut *other)
    .await
    .unwrap();
    for table in ["transaction_count", "transaction_count_history"] {
        sqlx::query(&format!(
            "INSERT INTO {table} (service_id, region_key, month, count, delivery_id)
             VALUES ('A-KREIS', '14625', '2024-01-01', 7, $1)"
        ))
        .bind(other_id)
        .execute(&mut *other)
        .await
        .unwrap();
    }

    let delivery = tokio::spawn(async move {
        let meta = DeliveryMeta {
            deliverer: Deliverer::Admin,
            organisation_id: None,
            user_id: None,
            token_id: None,
            channel: Channel::Api,
            file_name: None,
            external_id: None,
            file_id: None,
            progress: None,
            refused_before: 0,
        };
        let row = RawRecord {
            line: 1,
            service: "A-KREIS".into(),
            region: "14625".into(),
            month: "2024-01".into(),
            count: "9".into(),
        };
        deliver(
            &pool,
            &meta,
            vec![row],
            KeyRepair::Exact,
            Mode::Atomic,
            false,
        )
        .await
    });
    // Let the delivery classify the cell as new and wait on the unique key.
    let waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted";
    for _ in 0..100 {
        let blocked: i64 = sqlx::query_scalar(waiting)
            .fetch_one(app.pool())
            .await
            .unwrap();
        if blocked > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    other.commit().await.unwrap();

    let outcome = delivery.await.unwrap().expect("stored after a retry");
    assert_eq!((outcome.counts.new, outcome.counts.corrected), (0, 1));
    assert_eq!(
        stored(&app).await,
        [("A-KREIS".into(), "14625".into(), "2024-01".into(), 9)]
    );
    let history: Vec<i64> =
        sqlx::query_scalar("SELECT count FROM transaction_count_history ORDER BY delivery_id")
            .fetch_all(app.pool())
            .await
            .unwrap();
    assert_eq!(history, [7, 9]);
}

/// A ZSK-team delivery that changes an organisation's values shows in that
/// organisation's history (without the file, which may hold other
/// organisations' values), and nowhere else.
#[tokio::test]
async fn a_zsk_team_delivery_shows_in_the_history_of_the_organisation_it_changed() {
    let app = TestApp::spawn().await;
    let admin = app.actor("admin").await;
    let a = app.actor("lieferant-a").await;
    let b = app.actor("lieferant-b").await;
    let csv = format!("{HEADER}A-KREIS;14625;2024-01;5\n");
    let stored = admin
        .call(
            "lieferung/speichern",
            &[("dateiname", "team.csv"), ("inhalt", csv.as_str())],
        )
        .await;
    assert_eq!(stored.status(), 200);
    let id = stored.json::<Value>().await.unwrap()["delivery_id"]
        .as_i64()
        .unwrap();

    let listed = |list: Value| -> Vec<(i64, bool, String)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["id"].as_i64().unwrap(),
                    d["has_file"].as_bool().unwrap_or(false),
                    d["organisation"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let for_a = listed(a.call("lieferungen", &[]).await.json().await.unwrap());
    assert_eq!(for_a, [(id, false, "ZSK-Team".to_owned())]);
    let for_b = listed(b.call("lieferungen", &[]).await.json().await.unwrap());
    assert!(for_b.is_empty(), "{for_b:?}");
    assert_eq!(
        a.get(&format!("/api/v1/lieferungen/{id}")).await.status(),
        200
    );
    assert_eq!(
        b.get(&format!("/api/v1/lieferungen/{id}")).await.status(),
        404
    );
}
