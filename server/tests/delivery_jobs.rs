//! File deliveries as jobs, over real HTTP on real PostgreSQL: a large file
//! is answered 202 and polled to its final answer; the same file is never
//! stored twice (while its job runs, or after it stored); a rejected or
//! failed file may be sent again; a crash mid-way stores nothing and the job
//! is resumed from the stored file, also by the real `zsk` binary after
//! SIGKILL; the original file downloads byte for byte; the value history of
//! a cell lists every accepted value. Every new route and server function
//! is tried by every role.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::delivery::jobs::{self, JobQueue, Submitted, Upload};
use app::delivery::store::{Channel, Mode};
use common::{token, Actor, TestApp, TestDb};
use reqwest::StatusCode;
use serde_json::Value;

const HEADER: &str = "Onlinedienst;Region;Monat;Anzahl\n";

/// The seed plus 900 Gemeinden in Bautzen, so large files name distinct
/// cells; files of `inline_rows` rows or more run in the background.
async fn job_app(inline_rows: usize) -> TestApp {
    let db = TestDb::new().await;
    common::seed(db.pool()).await;
    add_gemeinden(db.pool()).await;
    serve(db, inline_rows).await
}

async fn add_gemeinden(pool: &sqlx::PgPool) {
    sqlx::query(
        "INSERT INTO region (key, level, name, parent_key, cell_key, population, valid_from)
         SELECT k, 'gemeinde', 'Gemeinde ' || k, '14625', k, 1, '1990-01-01'
         FROM (SELECT '14625' || lpad(i::text, 3, '0') AS k FROM generate_series(100, 999) i) g",
    )
    .execute(pool)
    .await
    .expect("regions");
}

/// The real router with its own job queue.
async fn serve(db: TestDb, inline_rows: usize) -> TestApp {
    let site = std::env::temp_dir().join("zsk-test-site");
    std::fs::create_dir_all(&site).expect("site dir");
    std::fs::write(site.join("index.html"), "<!DOCTYPE html><title>ZSK</title>").expect("index");
    let options = server::http::RouterOptions {
        secure_cookies: false,
        max_body_bytes: 8 * 1024 * 1024,
    };
    let queue = JobQueue::new(db.pool().clone(), inline_rows);
    let router = server::http::router_with_jobs(db.pool().clone(), &site, &options, queue);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    TestApp { db, base }
}

/// `rows` distinct cells of A-GEMEINDE (900 Gemeinden × months from 2020);
/// the row with index `marker` (if any) carries the count 7,777,777.
fn big_csv(rows: usize, marker: Option<usize>) -> Vec<u8> {
    let mut csv = String::from(HEADER);
    for i in 0..rows {
        let (region, month) = (100 + i % 900, i / 900);
        let (year, m) = (2020 + month / 12, month % 12 + 1);
        let count = if Some(i) == marker {
            7_777_777
        } else {
            i % 1000
        };
        csv.push_str(&format!(
            "A-GEMEINDE;14625{region:03};{year}-{m:02};{count}\n"
        ));
    }
    csv.into_bytes()
}

async fn organisation(app: &TestApp, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM organisation WHERE name = $1")
        .bind(name)
        .fetch_one(app.pool())
        .await
        .expect("organisation")
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(app.pool())
        .await
        .expect("count")
}

/// One HTTP answer: status, headers and body (JSON where it is JSON).
struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        headers,
        body,
    }
}

/// Posts a file with a token, as the request body.
async fn upload(app: &TestApp, token: &str, bytes: Vec<u8>, query: &str) -> Reply {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/lieferungen/datei{query}", app.base))
        .bearer_auth(token)
        .header("X-Dateiname", "gross.csv")
        .body(bytes)
        .send()
        .await
        .expect("upload");
    reply(response).await
}

async fn get(base: &str, token: &str, path: &str) -> Reply {
    let response = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    reply(response).await
}

/// Asks for a job until it has ended; its final answer. Every pending
/// state seen goes to `seen`.
async fn until_done(base: &str, token: &str, url: &str, seen: &mut Vec<Value>) -> Reply {
    let start = Instant::now();
    loop {
        let reply = get(base, token, url).await;
        if reply.status != StatusCode::ACCEPTED {
            return reply;
        }
        seen.push(reply.body);
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "job did not end"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the job's row says `state` (and `phase`, if given).
async fn wait_for_job(pool: &sqlx::PgPool, id: i64, state: &str, phase: Option<&str>) {
    let start = Instant::now();
    loop {
        let row: (String, Option<String>) =
            sqlx::query_as("SELECT state::text, phase FROM delivery_job WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .expect("job");
        if row.0 == state && (phase.is_none() || row.1.as_deref() == phase) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "job {id} is {row:?}, not {state} {phase:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn job_id(answer: &Value) -> i64 {
    jobs::parse_job_ref(answer["auftrag"].as_str().expect("auftrag")).expect("job id")
}

#[tokio::test]
async fn large_file_is_answered_202_and_polled_to_its_final_answer() {
    let app = job_app(1_000).await;
    let token = token(&app, Some("Organisation A")).await;

    let accepted = upload(&app, &token, big_csv(3_000, None), "").await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.body);
    let url = accepted.body["abfrage"]
        .as_str()
        .expect("abfrage")
        .to_owned();
    let id = job_id(&accepted.body);
    assert_eq!(url, format!("/api/v1/lieferungen/auftrag-{id}"));
    assert_eq!(accepted.headers["location"], url.as_str());
    assert!(["wartend", "laufend"].contains(&accepted.body["zustand"].as_str().unwrap()));
    assert!(accepted.body["prozent"].as_u64().unwrap() <= 100);

    let mut seen = Vec::new();
    let done = until_done(&app.base, &token, &url, &mut seen).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.body["status"], "GESPEICHERT");
    assert_eq!(
        (
            &done.body["empfangen"],
            &done.body["neu"],
            &done.body["gespeichert"]
        ),
        (&3000.into(), &3000.into(), &3000.into())
    );
    assert_eq!(done.body["auftrag"], format!("auftrag-{id}"));
    for state in &seen {
        let percent = state["prozent"].as_u64().unwrap();
        assert!(percent <= 99, "{state}");
        assert!(!state["meldung"].as_str().unwrap().is_empty());
    }
    let delivery = done.body["lieferung"].as_i64().expect("lieferung");

    assert_eq!(
        count(&app, "SELECT count(*) FROM transaction_count").await,
        3000
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM transaction_count_history").await,
        3000
    );
    assert_eq!(count(&app, "SELECT count(*) FROM delivery").await, 1);
    let (state, file_name, linked): (String, Option<String>, bool) = sqlx::query_as(
        "SELECT j.state::text, f.file_name, d.file_id = j.file_id
         FROM delivery_job j JOIN delivery_file f ON f.id = j.file_id JOIN delivery d ON d.id = j.delivery_id
         WHERE j.id = $1",
    )
    .bind(id)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!(
        (state.as_str(), file_name.as_deref(), linked),
        ("done", Some("gross.csv"), true)
    );

    // The job's answer again, and the delivery by its number with its file.
    let again = get(&app.base, &token, &url).await;
    assert_eq!((again.status, &again.body), (StatusCode::OK, &done.body));
    let by_number = get(
        &app.base,
        &token,
        &format!("/api/v1/lieferungen/{delivery}"),
    )
    .await;
    assert_eq!(
        by_number.body["datei"],
        format!("/api/v1/lieferungen/{delivery}/datei")
    );

    // A small file is answered at once and names its job and delivery.
    let small = format!("{HEADER}A-KREIS;14625;2024-01;5\n").into_bytes();
    let at_once = upload(&app, &token, small, "").await;
    assert_eq!(at_once.status, StatusCode::OK, "{}", at_once.body);
    assert!(at_once.body["auftrag"]
        .as_str()
        .unwrap()
        .starts_with("auftrag-"));
    assert!(at_once.body["lieferung"].as_i64().is_some());
}

#[tokio::test]
async fn same_file_while_running_and_after_storing_is_not_stored_twice() {
    let app = job_app(1_000).await;
    let token = token(&app, Some("Organisation A")).await;
    let file = big_csv(3_000, None);

    // Holding the values table keeps the job checking until released.
    let mut hold = app.pool().begin().await.unwrap();
    sqlx::query("LOCK TABLE transaction_count IN EXCLUSIVE MODE")
        .execute(&mut *hold)
        .await
        .unwrap();
    let first = upload(&app, &token, file.clone(), "").await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    let id = job_id(&first.body);
    wait_for_job(app.pool(), id, "running", Some("pruefen")).await;

    let running = get(
        &app.base,
        &token,
        &format!("/api/v1/lieferungen/auftrag-{id}"),
    )
    .await;
    assert_eq!(running.status, StatusCode::ACCEPTED);
    assert_eq!(
        (&running.body["zustand"], &running.body["phase"]),
        (&"laufend".into(), &"pruefen".into())
    );
    assert_eq!(running.body["zeilen_gesamt"], 3000);
    assert!(running.body["meldung"]
        .as_str()
        .unwrap()
        .contains("3.000 Zeilen werden geprüft"));

    let twice = upload(&app, &token, file.clone(), "").await;
    assert_eq!(twice.status, StatusCode::ACCEPTED);
    assert_eq!(job_id(&twice.body), id, "the same job, not a second one");
    assert_eq!(count(&app, "SELECT count(*) FROM delivery_job").await, 1);
    hold.rollback().await.unwrap();

    let url = format!("/api/v1/lieferungen/auftrag-{id}");
    let done = until_done(&app.base, &token, &url, &mut Vec::new()).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let delivery = done.body["lieferung"].as_i64().unwrap();

    // After it stored: the earlier delivery, every value unchanged, nothing stored.
    let after = upload(&app, &token, file.clone(), "").await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.body);
    let text = after.body["meldung"].as_str().unwrap();
    assert!(
        text.starts_with("Diese Datei wurde bereits am ")
            && text.ends_with(&format!(
                "gespeichert (Lieferung {delivery}); nichts erneut gespeichert"
            )),
        "{text}"
    );
    assert_eq!(after.body["bereits_gespeichert"], true);
    assert_eq!(after.body["lieferung"], delivery);
    assert_eq!(
        (
            &after.body["neu"],
            &after.body["unveraendert"],
            &after.body["gespeichert"]
        ),
        (&0.into(), &3000.into(), &0.into())
    );
    assert_eq!(count(&app, "SELECT count(*) FROM delivery").await, 1);
    assert_eq!(count(&app, "SELECT count(*) FROM delivery_job").await, 1);
    assert_eq!(count(&app, "SELECT count(*) FROM delivery_file").await, 1);
    assert_eq!(
        count(&app, "SELECT count(*) FROM transaction_count_history").await,
        3000
    );

    // Once a later delivery changed a value, the old file restores it.
    let later = format!("{HEADER}A-GEMEINDE;14625100;2020-01;999\n").into_bytes();
    assert_eq!(upload(&app, &token, later, "").await.status, StatusCode::OK);
    let restore = upload(&app, &token, file, "").await;
    assert_eq!(restore.status, StatusCode::ACCEPTED);
    let restored = until_done(
        &app.base,
        &token,
        restore.body["abfrage"].as_str().unwrap(),
        &mut Vec::new(),
    )
    .await;
    assert_eq!(
        (&restored.body["korrigiert"], &restored.body["unveraendert"]),
        (&1.into(), &2999.into())
    );
    assert_eq!(
        common::value(&app, "A-GEMEINDE", "14625100", "2020-01").await,
        Some(0)
    );
}

#[tokio::test]
async fn a_rejected_file_may_be_sent_again_and_runs() {
    let app = job_app(1_000).await;
    let token = token(&app, Some("Organisation A")).await;
    let file = format!("{HEADER}A-KREIS;14625;2024-01;5\nA-KREIS;14625;2024-02;x\n").into_bytes();
    for _ in 0..2 {
        let answer = upload(&app, &token, file.clone(), "").await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer.body["status"], "ABGELEHNT");
        assert!(answer.body["bereits_gespeichert"].is_null());
    }
    assert_eq!(count(&app, "SELECT count(*) FROM delivery_job").await, 2);
    assert_eq!(count(&app, "SELECT count(*) FROM delivery").await, 0);

    // The same file in partial mode stores its valid row.
    let partial = upload(&app, &token, file, "?modus=teilweise").await;
    assert_eq!(partial.status, StatusCode::MULTI_STATUS);
    assert_eq!(partial.body["gespeichert"], 1);
}

#[tokio::test]
async fn a_failing_write_mid_way_stores_nothing_and_the_file_may_be_sent_again() {
    let app = job_app(100_000).await;
    let token = token(&app, Some("Organisation A")).await;
    // The second chunk of 20,000 values fails inside the store transaction.
    sqlx::raw_sql(
        "CREATE FUNCTION fail_on_marker() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.count = 7777777 THEN RAISE EXCEPTION 'simulated failure'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER fail_on_marker BEFORE INSERT ON transaction_count_history
         FOR EACH ROW EXECUTE FUNCTION fail_on_marker();",
    )
    .execute(app.pool())
    .await
    .unwrap();
    let file = big_csv(25_000, Some(22_000));

    let failed = upload(&app, &token, file.clone(), "").await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(failed.body["status"], "FEHLGESCHLAGEN");
    assert!(failed.body["meldung"]
        .as_str()
        .unwrap()
        .contains("nichts wurde gespeichert"));
    for table in ["transaction_count", "transaction_count_history", "delivery"] {
        assert_eq!(
            count(&app, &format!("SELECT count(*) FROM {table}")).await,
            0,
            "{table}"
        );
    }
    let state: String = sqlx::query_scalar("SELECT state::text FROM delivery_job")
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(state, "failed");

    sqlx::query("DROP TRIGGER fail_on_marker ON transaction_count_history")
        .execute(app.pool())
        .await
        .unwrap();
    let again = upload(&app, &token, file, "").await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["neu"], 25_000);
    assert_eq!(
        count(&app, "SELECT count(*) FROM transaction_count").await,
        25_000
    );
}

#[tokio::test]
async fn a_job_left_running_by_a_crash_is_resumed_from_its_file() {
    let app = job_app(1_000).await;
    let organisation_id = organisation(&app, "Organisation A").await;
    let file = big_csv(2_500, None);
    let upload = Upload {
        organisation_id: Some(organisation_id),
        user_id: None,
        token_id: None,
        channel: Channel::Csv,
        file_name: Some("absturz.csv"),
        bytes: &file,
        mode: Mode::Atomic,
    };
    let Submitted::New(id) = jobs::submit(app.pool(), &upload).await.unwrap() else {
        panic!("a new job");
    };
    // What a crash while writing leaves: the job running, no values.
    sqlx::query(
        "UPDATE delivery_job SET state = 'running', phase = 'schreiben', rows_done = 2000, attempts = 1 WHERE id = $1",
    )
    .bind(id)
    .execute(app.pool())
    .await
    .unwrap();
    assert_eq!(
        count(&app, "SELECT count(*) FROM transaction_count").await,
        0
    );

    let resumed = JobQueue::new(app.pool().clone(), 1_000)
        .resume()
        .await
        .unwrap();
    assert_eq!(resumed, [id]);
    wait_for_job(app.pool(), id, "done", None).await;
    assert_eq!(
        count(&app, "SELECT count(*) FROM transaction_count").await,
        2500
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM transaction_count_history").await,
        2500
    );
    let (attempts, file_name): (i32, Option<String>) = sqlx::query_as(
        "SELECT j.attempts, d.file_name FROM delivery_job j JOIN delivery d ON d.id = j.delivery_id WHERE j.id = $1",
    )
    .bind(id)
    .fetch_one(app.pool())
    .await
    .unwrap();
    assert_eq!((attempts, file_name.as_deref()), (2, Some("absturz.csv")));
    // Nothing left to resume.
    let again = JobQueue::new(app.pool().clone(), 1_000)
        .resume()
        .await
        .unwrap();
    assert!(again.is_empty());
}

/// The database URL of a test database, for the `zsk` binary.
fn database_url(pool: &sqlx::PgPool) -> String {
    let options = pool.connect_options();
    let database = options.get_database().expect("database name");
    if let Ok(url) = std::env::var("DATABASE_URL") {
        let (base, query) = url.split_once('?').unwrap_or((&url, ""));
        let (server, _) = base.rsplit_once('/').expect("database in DATABASE_URL");
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        return format!("{server}/{database}{query}");
    }
    let socket = options.get_socket().expect("socket of the test cluster");
    format!(
        "postgres://{}@localhost/{database}?host={}",
        options.get_username(),
        socket.display()
    )
}

fn start_zsk(database_url: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zsk"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--demo",
            "false",
            "--site-root",
            "/nonexistent",
            "--reference-dir",
            "/nonexistent",
        ])
        .env("DATABASE_URL", database_url)
        .env("ZSK_JOB_ROWS", "1000")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start zsk");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("url");
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    (child, url)
}

#[tokio::test]
async fn the_real_server_killed_mid_write_resumes_the_job_at_start() {
    let db = TestDb::new().await;
    common::seed(db.pool()).await;
    add_gemeinden(db.pool()).await;
    let app = TestApp {
        db,
        base: String::new(),
    };
    let token = token(&app, Some("Organisation A")).await;
    let url = database_url(app.pool());
    let (mut first, base) = start_zsk(&url);

    // Holding the history table stops the job at its first chunk of values.
    let mut hold = app.pool().begin().await.unwrap();
    sqlx::query("LOCK TABLE transaction_count_history IN EXCLUSIVE MODE")
        .execute(&mut *hold)
        .await
        .unwrap();
    let accepted = reqwest::Client::new()
        .post(format!("{base}/api/v1/lieferungen/datei"))
        .bearer_auth(&token)
        .body(big_csv(5_000, None))
        .send()
        .await
        .unwrap();
    let accepted = reply(accepted).await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.body);
    let id = job_id(&accepted.body);
    wait_for_job(app.pool(), id, "running", Some("schreiben")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    first.kill().expect("SIGKILL");
    first.wait().expect("killed");
    hold.rollback().await.unwrap();
    // The killed server's session ends once its statement notices.
    let start = Instant::now();
    while count(
        &app,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid() AND query LIKE '%transaction_count_history%'",
    )
    .await
        > 0
    {
        assert!(start.elapsed() < Duration::from_secs(30), "old session lingers");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for table in ["transaction_count", "transaction_count_history", "delivery"] {
        assert_eq!(
            count(&app, &format!("SELECT count(*) FROM {table}")).await,
            0,
            "a crash mid-way stores nothing: {table}"
        );
    }
    let state: String = sqlx::query_scalar("SELECT state::text FROM delivery_job WHERE id = $1")
        .bind(id)
        .fetch_one(app.pool())
        .await
        .unwrap();
    assert_eq!(state, "running");

    let (mut second, base) = start_zsk(&url);
    let done = until_done(
        &base,
        &token,
        &format!("/api/v1/lieferungen/auftrag-{id}"),
        &mut Vec::new(),
    )
    .await;
    second.kill().expect("stop");
    second.wait().expect("stopped");
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.body["neu"], 5000);
    assert_eq!(
        count(&app, "SELECT count(*) FROM transaction_count").await,
        5000
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM transaction_count_history").await,
        5000
    );
    assert_eq!(count(&app, "SELECT count(*) FROM delivery").await, 1);
}

#[tokio::test]
async fn the_original_file_downloads_byte_for_byte() {
    let app = job_app(1_000).await;
    let token = token(&app, Some("Organisation A")).await;
    // Windows-1252: "März" with 0xE4, CRLF line ends, a name with an umlaut.
    let file = b"Onlinedienst;Region;Monat;Anzahl\r\nA-KREIS;14625;M\xe4rz 2024;12\r\n".to_vec();
    let form = reqwest::multipart::Form::new().part(
        "datei",
        reqwest::multipart::Part::bytes(file.clone()).file_name("Lieferung März.csv"),
    );
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/lieferungen/datei", app.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let stored = reply(response).await;
    assert_eq!(stored.status, StatusCode::OK, "{}", stored.body);
    assert_eq!(
        common::value(&app, "A-KREIS", "14625", "2024-03").await,
        Some(12)
    );
    let delivery = stored.body["lieferung"].as_i64().unwrap();

    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/lieferungen/{delivery}/datei", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"Lieferung_M_rz.csv\"; filename*=UTF-8''Lieferung%20M%C3%A4rz.csv"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), file.as_slice());

    // The history shows the file and who sent it; a JSON delivery has none.
    let submitter = app.actor("lieferant-a").await;
    let json = r#"{"lieferung_id":"j-1","dienste":[{"onlinedienst":"A-KREIS","werte":[{"region":"14626","monat":"2024-03","anzahl":1}]}]}"#;
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/lieferungen", app.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(json)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let list: Value = submitter
        .call("lieferungen", &[])
        .await
        .json()
        .await
        .unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (&list[0]["has_file"], &list[1]["has_file"]),
        (&false.into(), &true.into())
    );
    assert_eq!(list[1]["file_name"], "Lieferung März.csv");
    assert_eq!(list[1]["user"], "API-Token „Fachverfahren“");
    assert_eq!(list[1]["channel"], "api");
    let no_file = get(
        &app.base,
        &token,
        &format!("/api/v1/lieferungen/{}/datei", list[0]["id"]),
    )
    .await;
    assert_eq!(no_file.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_xlsx_file_downloads_byte_for_byte() {
    let app = common::case_app().await;
    let admin = app.actor("admin").await;
    let file = std::fs::read(common::fixture(
        "cases/01-ags-leading-zeros-lost/input-valid.xlsx",
    ))
    .unwrap();
    let response = admin
        .client
        .post(format!("{}/api/v1/lieferungen/datei", app.base))
        .header("X-Dateiname", "input-valid.xlsx")
        .body(file.clone())
        .send()
        .await
        .unwrap();
    let stored = reply(response).await;
    assert_eq!(stored.status, StatusCode::OK, "{}", stored.body);
    let delivery = stored.body["lieferung"].as_i64().unwrap();
    let response = admin
        .get(&format!("/api/v1/lieferungen/{delivery}/datei"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), file.as_slice());
}

#[tokio::test]
async fn a_large_preview_answers_at_once_and_lists_at_most_5000_findings() {
    let app = job_app(1_000).await;
    let token = token(&app, Some("Organisation A")).await;
    let mut file = String::from(HEADER);
    for i in 0..6_000 {
        file.push_str(&format!("UNBEKANNT;14625;2024-01;{i}\n"));
    }
    let checked = upload(&app, &token, file.into_bytes(), "?nur_pruefen=true").await;
    assert_eq!(checked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(checked.body["fehlerhaft"], 6000);
    assert_eq!(checked.body["fehler"].as_array().unwrap().len(), 5000);
    assert_eq!(checked.body["meldungen_gekuerzt"], true);
    assert_eq!(count(&app, "SELECT count(*) FROM delivery_job").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM delivery_file").await, 0);
}

/// Calls the value history as `actor`.
async fn history(actor: &Actor, service: &str, region: &str, month: &str) -> (u16, Value) {
    let response = actor
        .call(
            "wertverlauf",
            &[
                ("onlinedienst", service),
                ("region", region),
                ("monat", month),
            ],
        )
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_value_history_lists_every_accepted_value_newest_first() {
    let app = job_app(1_000).await;
    let submitter = app.actor("lieferant-a").await;
    for (name, value) in [("erst.csv", 10), ("null.csv", 0), ("gleich.csv", 0)] {
        let file = format!("{HEADER}A-GEMEINDE;11000000;2024-01;{value}\n");
        let response = submitter
            .call(
                "lieferung/speichern",
                &[("dateiname", name), ("inhalt", &file)],
            )
            .await;
        assert_eq!(response.status(), 200, "{name}");
    }

    // Berlin's Gemeinde names Berlin's one cell.
    let (status, body) = history(&submitter, "A-GEMEINDE", "11000000", "Januar 2024").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["region_key"], "11");
    assert_eq!(body["month"], "2024-01");
    let changes = body["changes"].as_array().unwrap();
    let values: Vec<(i64, &str, &str)> = changes
        .iter()
        .map(|c| {
            (
                c["count"].as_i64().unwrap(),
                c["channel"].as_str().unwrap(),
                c["who"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        values,
        [(0, "csv", "Lieferant A"), (10, "csv", "Lieferant A")],
        "0 is a value; the unchanged third delivery adds none"
    );
    assert!(changes[0]["delivery_id"].as_i64() > changes[1]["delivery_id"].as_i64());

    let (status, body) = history(&submitter, "A-GEMEINDE", "11", "2024-02").await;
    assert_eq!(status, 200);
    assert_eq!(body["changes"], Value::Array(Vec::new()), "not reported");

    let (status, body) = history(&submitter, "A-GEMEINDE", "11", "2024-13").await;
    assert_eq!(status, 422);
    assert_eq!(body["Invalid"][0]["column"], "Monat");
    let (status, _) = history(&submitter, "A-GEMEINDE", "99999", "2024-01").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn every_role_on_the_new_routes_and_server_functions() {
    let app = job_app(1_000).await;
    let token_a = token(&app, Some("Organisation A")).await;
    let token_b = token(&app, Some("Organisation B")).await;
    let token_zsk = token(&app, None).await;
    let file = format!("{HEADER}A-KREIS;14625;2024-01;5\n").into_bytes();
    let stored = upload(&app, &token_a, file.clone(), "").await;
    assert_eq!(stored.status, StatusCode::OK);
    let delivery = stored.body["lieferung"].as_i64().unwrap();
    let job = stored.body["auftrag"].as_str().unwrap().to_owned();
    let file_path = format!("/api/v1/lieferungen/{delivery}/datei");
    let job_path = format!("/api/v1/lieferungen/{job}");

    let admin = app.actor("admin").await;
    let own = app.actor("lieferant-a").await;
    let other = app.actor("lieferant-b").await;
    let reader = app.actor("leser-bautzen").await;
    let anonymous = app.anonymous();
    // (file, job, value history of A's service, delivery history)
    for (who, actor, file_status, job_status, history_status, list_status) in [
        ("admin", &admin, 200, 200, 200, 200),
        ("submitter of A", &own, 200, 200, 200, 200),
        ("submitter of B", &other, 404, 404, 404, 200),
        ("reader", &reader, 403, 403, 403, 403),
        ("anonymous", &anonymous, 401, 401, 401, 401),
    ] {
        let response = actor.get(&file_path).await;
        assert_eq!(response.status(), file_status, "{who}: file");
        if file_status == 200 {
            assert_eq!(response.bytes().await.unwrap().as_ref(), file.as_slice());
        } else {
            let body = response.text().await.unwrap();
            assert!(!body.contains("A-KREIS"), "{who}: nothing leaks");
        }
        assert_eq!(
            actor.get(&job_path).await.status(),
            job_status,
            "{who}: job"
        );
        let (status, _) = history(actor, "A-KREIS", "14625", "2024-01").await;
        assert_eq!(status, history_status, "{who}: value history");
        let status = actor.call("lieferungen", &[]).await.status();
        assert_eq!(status, list_status, "{who}: delivery history");
    }
    for (who, token, expected) in [
        ("token of A", &token_a, 200),
        ("token of B", &token_b, 404),
        ("ZSK-team token", &token_zsk, 200),
    ] {
        assert_eq!(
            get(&app.base, token, &file_path).await.status,
            expected,
            "{who}: file"
        );
        assert_eq!(
            get(&app.base, token, &job_path).await.status,
            expected,
            "{who}: job"
        );
    }
    assert_eq!(
        get(&app.base, "zsk_unbekannt", &file_path).await.status,
        StatusCode::UNAUTHORIZED
    );
}
