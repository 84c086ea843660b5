//! Every server function and route, called by every actor: anonymous, the
//! ZSK team, a submitter of the service's organisation and of another one,
//! a reader inside and a reader outside the region. The server refuses;
//! hiding in the page is not what is tested here.

mod common;

use common::{actors, Actor, Actors, TestApp};
use serde_json::Value;

const CSV_A: &str = "Onlinedienst;Region;Monat;Anzahl\nA-KREIS;14625;2024-01;5\n";

async fn status(actor: &Actor, endpoint: &str, args: &[(&str, &str)]) -> u16 {
    actor.call(endpoint, args).await.status().as_u16()
}

/// Asserts the status of one call for every actor, in the order of `Actors`.
async fn matrix(actors: &Actors, endpoint: &str, args: &[(&str, &str)], expected: [u16; 6]) {
    let got = [
        status(&actors.anonymous, endpoint, args).await,
        status(&actors.admin, endpoint, args).await,
        status(&actors.submitter_a, endpoint, args).await,
        status(&actors.submitter_b, endpoint, args).await,
        status(&actors.reader_bautzen, endpoint, args).await,
        status(&actors.reader_sh, endpoint, args).await,
    ];
    assert_eq!(
        got, expected,
        "{endpoint} {args:?}: [anonymous, admin, submitter A, submitter B, reader Bautzen, reader SH]"
    );
}

#[tokio::test]
async fn every_server_function_checks_the_role() {
    let app = TestApp::spawn().await;
    let a = actors(&app).await;

    matrix(&a, "benutzer", &[], [200; 6]).await;
    matrix(&a, "dienste", &[], [401, 200, 200, 200, 200, 200]).await;
    matrix(
        &a,
        "dienst",
        &[("id", "A-KREIS")],
        [401, 200, 200, 403, 200, 200],
    )
    .await;
    matrix(
        &a,
        "dienst",
        &[("id", "A-KREIS"), ("region", "14625")],
        [401, 200, 200, 403, 200, 403],
    )
    .await;
    matrix(
        &a,
        "dienst",
        &[("id", "A-KREIS"), ("region", "14625010")],
        [401, 200, 200, 403, 200, 403],
    )
    .await;
    matrix(
        &a,
        "dienst",
        &[("id", "A-KREIS"), ("region", "14626")],
        [401, 200, 200, 403, 403, 403],
    )
    .await;
    matrix(
        &a,
        "dienst",
        &[("id", "A-KREIS"), ("region", "14")],
        [401, 200, 200, 403, 403, 403],
    )
    .await;
    matrix(
        &a,
        "dienst",
        &[("id", "A-KREIS"), ("region", "DE")],
        [401, 200, 200, 403, 403, 403],
    )
    .await;
    matrix(
        &a,
        "dienst",
        &[("id", "A-KREIS"), ("region", "01001")],
        [401, 200, 200, 403, 403, 200],
    )
    .await;
    matrix(&a, "lieferungen", &[], [401, 200, 200, 200, 403, 403]).await;
    matrix(
        &a,
        "lieferung/pruefen",
        &[("inhalt", CSV_A)],
        [401, 200, 200, 200, 403, 403],
    )
    .await;
    matrix(
        &a,
        "bericht/datenquellen",
        &[],
        [401, 200, 403, 403, 403, 403],
    )
    .await;
    // Storing last: submitter B's file is refused for the foreign service.
    matrix(
        &a,
        "lieferung/speichern",
        &[("dateiname", "a.csv"), ("inhalt", CSV_A)],
        [401, 200, 200, 422, 403, 403],
    )
    .await;
    matrix(&a, "abmelden", &[], [200; 6]).await;
}

#[tokio::test]
async fn plain_routes_for_every_actor() {
    let app = TestApp::spawn().await;
    let a = actors(&app).await;
    for actor in a.all() {
        let health = actor.get("/healthz").await;
        assert_eq!(health.status(), 200);
        let body: Value = health.json().await.unwrap();
        assert_eq!(body["datenbank"], "ok");
        // The single-page app answers every page path with index.html.
        for path in [
            "/",
            "/dienste",
            "/dienste/A-KREIS",
            "/lieferung",
            "/lieferung/formular",
            "/bericht",
            "/tokens",
            "/regionen/aenderungen",
            "/anmelden",
        ] {
            assert_eq!(actor.get(path).await.status(), 200, "{path}");
        }
        assert_eq!(actor.call("gibt-es-nicht", &[]).await.status(), 400);
    }
}

#[tokio::test]
async fn a_reader_sees_its_own_subtree_only() {
    let app = TestApp::spawn().await;
    let admin = app.actor("admin").await;
    let csv = "Onlinedienst;Region;Monat;Anzahl\n\
               B-KREIS;14625;2024-01;11\nB-KREIS;14626;2024-01;22\nB-KREIS;01001;2024-01;33\n";
    let stored = admin
        .call(
            "lieferung/speichern",
            &[("dateiname", "b.csv"), ("inhalt", csv)],
        )
        .await;
    assert_eq!(stored.status(), 200);

    let reader = app.actor("leser-bautzen").await;
    let list: Value = reader.call("dienste", &[]).await.json().await.unwrap();
    let b = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "B-KREIS")
        .unwrap();
    assert_eq!(b["total"], 11, "only Bautzen's figure counts");

    let detail: Value = reader
        .call("dienst", &[("id", "B-KREIS")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["region"]["key"], "14625");
    assert_eq!(detail["series"][0]["total"], 11);
    let text = detail.to_string();
    assert!(!text.contains("14626") && !text.contains("01001"), "{text}");

    let admin_view: Value = admin
        .call("dienst", &[("id", "B-KREIS")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(admin_view["service"]["total"], 66);
    assert_eq!(
        admin_view["parts"].as_array().unwrap().len(),
        2,
        "Länder 01 and 14"
    );
}

#[tokio::test]
async fn a_submitter_sees_its_own_services_only() {
    let app = TestApp::spawn().await;
    let submitter = app.actor("lieferant-b").await;
    let list: Value = submitter.call("dienste", &[]).await.json().await.unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["B-KREIS"]);

    let history: Value = submitter
        .call("lieferungen", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history.as_array().unwrap().len(), 0);
}
