//! Login, logout and the session: argon2 hashes, a fresh session id at
//! login, HttpOnly and SameSite cookies, throttling of failed logins and the
//! cross-site request guard.

mod common;

use common::{TestApp, PASSWORD};
use serde_json::Value;

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("zsk_sitzung="))
        .map(str::to_owned)
}

#[tokio::test]
async fn login_sets_a_safe_cookie_and_logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let actor = app.anonymous();

    let response = actor
        .call("anmelden", &[("login", "admin"), ("passwort", PASSWORD)])
        .await;
    assert_eq!(response.status(), 200);
    let cookie = session_cookie(&response).expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["role"], "Admin");
    assert!(user.get("password_hash").is_none());

    let me: Value = actor.call("benutzer", &[]).await.json().await.unwrap();
    assert_eq!(me["login"], "admin");

    assert_eq!(actor.call("abmelden", &[]).await.status(), 200);
    let me: Value = actor.call("benutzer", &[]).await.json().await.unwrap();
    assert!(me.is_null());
    assert_eq!(actor.call("dienste", &[]).await.status(), 401);
}

#[tokio::test]
async fn the_session_id_changes_at_login() {
    let app = TestApp::spawn().await;
    let actor = app.anonymous();
    let first = actor
        .call("anmelden", &[("login", "admin"), ("passwort", PASSWORD)])
        .await;
    let first = session_cookie(&first).unwrap();
    let second = actor
        .call(
            "anmelden",
            &[("login", "lieferant-a"), ("passwort", PASSWORD)],
        )
        .await;
    let second = session_cookie(&second).unwrap();
    let id = |c: &str| c.split(';').next().unwrap().to_owned();
    assert_ne!(id(&first), id(&second));
    let me: Value = actor.call("benutzer", &[]).await.json().await.unwrap();
    assert_eq!(me["login"], "lieferant-a");
}

#[tokio::test]
async fn passwords_are_argon2_hashes() {
    let app = TestApp::spawn().await;
    let hashes: Vec<String> = sqlx::query_scalar("SELECT password_hash FROM app_user")
        .fetch_all(app.pool())
        .await
        .unwrap();
    assert!(!hashes.is_empty());
    assert!(hashes
        .iter()
        .all(|h| h.starts_with("$argon2id$") && !h.contains(PASSWORD)));
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_throttled() {
    let app = TestApp::spawn().await;
    let actor = app.anonymous();
    for _ in 0..5 {
        let response = actor
            .call("anmelden", &[("login", "admin"), ("passwort", "falsch")])
            .await;
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, "InvalidCredentials");
    }
    let response = actor
        .call("anmelden", &[("login", "admin"), ("passwort", PASSWORD)])
        .await;
    assert_eq!(
        response.status(),
        429,
        "even the right password waits after 5 failures"
    );
    // An unknown login answers like a wrong password.
    let response = actor
        .call("anmelden", &[("login", "niemand"), ("passwort", "x")])
        .await;
    assert_eq!(response.status(), 401);
    // Other accounts are not affected.
    let response = actor
        .call(
            "anmelden",
            &[("login", "lieferant-a"), ("passwort", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn cross_site_requests_are_refused() {
    let app = TestApp::spawn().await;
    let actor = app.actor("admin").await;
    let csv = "Onlinedienst;Region;Monat;Anzahl\nA-KREIS;14625;2024-01;5\n";
    let response = actor
        .client
        .post(format!("{}/api/lieferung/speichern", actor.base))
        .header("Origin", "https://boese.example")
        .form(&[("dateiname", "x.csv"), ("inhalt", csv)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = actor
        .client
        .post(format!("{}/api/abmelden", actor.base))
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM transaction_count")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0);

    let same_origin = actor
        .client
        .post(format!("{}/api/dienste", actor.base))
        .header("Origin", actor.base.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), 200);
}

#[tokio::test]
async fn housekeeping_removes_expired_sessions_and_old_failures() {
    let app = TestApp::spawn().await;
    sqlx::query("INSERT INTO tower_sessions.session (id, data, expiry_date) VALUES ('alt', '', now() - interval '1 hour')")
        .execute(app.pool())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO login_failure (login, failed_at) VALUES ('x', now() - interval '2 days')",
    )
    .execute(app.pool())
    .await
    .unwrap();
    let _live = app.actor("admin").await;
    let removed = server::db::housekeeping::run_once(app.pool())
        .await
        .unwrap();
    assert_eq!(removed, (1, 1));
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(sessions, 1, "the live session stays");
}
