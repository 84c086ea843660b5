//! Test harness: one private PostgreSQL cluster per test binary (or the
//! server `DATABASE_URL` names), a fresh database per test cloned from a
//! migrated template, and the real router on a local port with one HTTP
//! client per actor.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use app::auth::Role;
use server::db::embedded::{create_database, EmbeddedPostgres};
use server::db::MIGRATOR;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

const TEMPLATE: &str = "zsk_test_template";

struct Cluster {
    admin: PgConnectOptions,
    _embedded: Option<EmbeddedPostgres>,
}

fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        // Its own runtime on its own thread: tests each run their own.
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(start_cluster())
        })
        .join()
        .expect("cluster start")
    })
}

async fn start_cluster() -> Cluster {
    let (admin, embedded) = match std::env::var("DATABASE_URL") {
        Ok(url) => (url.parse::<PgConnectOptions>().expect("DATABASE_URL"), None),
        Err(_) => {
            let dir = test_cluster_dir();
            let cluster =
                EmbeddedPostgres::start(&dir.join("pgdata")).expect("start test PostgreSQL");
            cluster.wait_ready().await.expect("test PostgreSQL ready");
            (cluster.connect_options("postgres"), Some(cluster))
        }
    };
    let template = admin.clone().database(TEMPLATE);
    let mut conn = PgConnection::connect_with(&admin).await.expect("connect");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .expect("drop");
    create_database(&admin, TEMPLATE, None)
        .await
        .expect("template");
    let mut template_conn = PgConnection::connect_with(&template)
        .await
        .expect("connect template");
    MIGRATOR
        .run(&mut template_conn)
        .await
        .expect("migrate template");
    template_conn.close().await.expect("close");
    Cluster {
        admin,
        _embedded: embedded,
    }
}

/// A folder for this process's cluster; folders of finished runs are removed.
fn test_cluster_dir() -> PathBuf {
    let base = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name
                .strip_prefix("zsk-test-")
                .and_then(|p| p.parse::<u32>().ok())
            {
                if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    }
    let dir = base.join(format!("zsk-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("test dir");
    // As root the cluster runs as `postgres`, which must reach the folder.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

/// A fresh, migrated database of its own.
pub struct TestDb {
    pool: PgPool,
}

impl TestDb {
    pub async fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let cluster = cluster();
        let name = format!(
            "zsk_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        create_database(&cluster.admin, &name, Some(TEMPLATE))
            .await
            .expect("create test database");
        let options = cluster
            .admin
            .clone()
            .database(&name)
            .disable_statement_logging();
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .expect("connect test database");
        Self { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// The shared reference data, if present (`ZSK_REFERENCE_DIR`, default `../shared/data`).
pub fn reference_dir() -> Option<PathBuf> {
    let dir = std::env::var("ZSK_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    if dir.join("regions/GV100AD_30112025.txt").exists() {
        Some(dir)
    } else {
        eprintln!(
            "reference data not found at {}: test skipped",
            dir.display()
        );
        None
    }
}

pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// The real router, serving on a free local port.
pub struct TestApp {
    pub db: TestDb,
    pub base: String,
}

pub const PASSWORD: &str = "test-passwort-123";

impl TestApp {
    /// A fresh database with the small seed below, and the router on it.
    pub async fn spawn() -> Self {
        let db = TestDb::new().await;
        seed(db.pool()).await;
        Self::serve(db).await
    }

    /// The router on an existing database.
    pub async fn serve(db: TestDb) -> Self {
        let site = std::env::temp_dir().join("zsk-test-site");
        std::fs::create_dir_all(&site).expect("site dir");
        std::fs::write(site.join("index.html"), "<!DOCTYPE html><title>ZSK</title>")
            .expect("index");
        let options = server::http::RouterOptions {
            secure_cookies: false,
            max_body_bytes: 2 * 1024 * 1024,
        };
        let router = server::http::router(db.pool().clone(), &site, &options);
        assert!(!server::http::server_function_paths().is_empty());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
        Self { db, base }
    }

    pub fn pool(&self) -> &PgPool {
        self.db.pool()
    }

    /// A client with its own cookie jar, not logged in.
    pub fn anonymous(&self) -> Actor {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        Actor {
            client,
            base: self.base.clone(),
        }
    }

    /// A client logged in as `login`.
    pub async fn actor(&self, login: &str) -> Actor {
        let actor = self.anonymous();
        let response = actor
            .call("anmelden", &[("login", login), ("passwort", PASSWORD)])
            .await;
        assert_eq!(response.status(), 200, "login of {login}");
        actor
    }
}

/// One party talking to the server.
pub struct Actor {
    pub client: reqwest::Client,
    pub base: String,
}

impl Actor {
    /// Calls a server function with form arguments.
    pub async fn call(&self, endpoint: &str, args: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}/api/{endpoint}", self.base))
            .form(args)
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }
}

/// Two organisations, services at every granularity, a few regions around
/// Bautzen and Flensburg, and one user per role and scope.
pub async fn seed(pool: &PgPool) {
    sqlx::raw_sql(include_str!("../fixtures/seed.sql"))
        .execute(pool)
        .await
        .expect("seed");
    let org = |name: &'static str| async move {
        sqlx::query_scalar::<_, i64>("SELECT id FROM organisation WHERE name = $1")
            .bind(name)
            .fetch_one(pool)
            .await
            .expect("organisation")
    };
    let (a, b) = (org("Organisation A").await, org("Organisation B").await);
    let create = app::auth::server::create_user;
    create(pool, "admin", "Admin", PASSWORD, Role::Admin, None, None)
        .await
        .expect("user");
    create(
        pool,
        "lieferant-a",
        "Lieferant A",
        PASSWORD,
        Role::Submitter,
        Some(a),
        None,
    )
    .await
    .expect("user");
    create(
        pool,
        "lieferant-b",
        "Lieferant B",
        PASSWORD,
        Role::Submitter,
        Some(b),
        None,
    )
    .await
    .expect("user");
    create(
        pool,
        "leser-bautzen",
        "Bautzen",
        PASSWORD,
        Role::Reader,
        None,
        Some("14625"),
    )
    .await
    .expect("user");
    create(
        pool,
        "leser-sh",
        "Schleswig-Holstein",
        PASSWORD,
        Role::Reader,
        None,
        Some("01"),
    )
    .await
    .expect("user");
}

/// The master data of the shared cases (regions they name, DEMO services
/// with their operators) and a ZSK-team user `admin`, served.
pub async fn case_app() -> TestApp {
    let db = TestDb::new().await;
    let pool = db.pool();
    sqlx::raw_sql(include_str!("../fixtures/cases-regions.sql"))
        .execute(pool)
        .await
        .expect("regions");
    load_case_services(pool, "cases/00-fixtures/stammdaten-demo.csv").await;
    load_case_services(
        pool,
        "cases/17-granularity-levels/stammdaten-granularitaet.csv",
    )
    .await;
    app::auth::server::create_user(
        pool,
        "admin",
        "Admin",
        PASSWORD,
        app::auth::Role::Admin,
        None,
        None,
    )
    .await
    .expect("admin");
    TestApp::serve(db).await
}

/// Creates the case services with their operators. The master-data import
/// with its own validation is a later feature; this only sets up fixtures.
async fn load_case_services(pool: &sqlx::PgPool, path: &str) {
    let text = std::fs::read_to_string(fixture(path)).expect("fixture");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(';').collect();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(';').collect();
        let get = |name: &str| header.iter().position(|h| *h == name).map(|i| cells[i]);
        let organisation: i64 = sqlx::query_scalar(
            "INSERT INTO organisation (name, level) VALUES ($1, 'kommune')
             ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
        )
        .bind(get("Betreiber").expect("Betreiber"))
        .fetch_one(pool)
        .await
        .expect("organisation");
        let granularity =
            get("Granularität").map(|g| app::services::Granularity::parse(g).expect("granularity"));
        sqlx::query(
            "INSERT INTO online_service (id, name, organisation_id, granularity, leika_key, ozg_id, leistungstyp, url)
             VALUES ($1, $2, $3, $4, $5, $6, $7::smallint, $8)",
        )
        .bind(get("Onlinedienst-ID"))
        .bind(get("Name"))
        .bind(organisation)
        .bind(granularity.unwrap_or(app::services::Granularity::Gemeinde))
        .bind(get("LeiKa"))
        .bind(get("OZG-ID"))
        .bind(get("Typ").map(|t| t.parse::<i16>().expect("Typ")))
        .bind(get("URL"))
        .execute(pool)
        .await
        .expect("service");
    }
}

/// The stored value of one cell (`month` as `JJJJ-MM`), or `None`: not reported.
pub async fn value(app: &TestApp, service: &str, region: &str, month: &str) -> Option<i64> {
    sqlx::query_scalar(
        "SELECT count FROM transaction_count WHERE service_id = $1 AND region_key = $2 AND month = ($3 || '-01')::date",
    )
    .bind(service)
    .bind(region)
    .bind(month)
    .fetch_optional(app.pool())
    .await
    .expect("query")
}

/// A token of the named organisation, or of the ZSK team (`None`).
pub async fn token(app: &TestApp, organisation: Option<&str>) -> String {
    let id: Option<i64> = match organisation {
        Some(name) => Some(
            sqlx::query_scalar("SELECT id FROM organisation WHERE name = $1")
                .bind(name)
                .fetch_one(app.pool())
                .await
                .expect("organisation"),
        ),
        None => None,
    };
    app::tokens::server::create_token(app.pool(), id, "Fachverfahren", None)
        .await
        .expect("token")
        .token
}

/// One client per role and scope of the seed.
pub struct Actors {
    pub anonymous: Actor,
    pub admin: Actor,
    pub submitter_a: Actor,
    pub submitter_b: Actor,
    pub reader_bautzen: Actor,
    pub reader_sh: Actor,
}

impl Actors {
    /// Every actor, in the order of the fields.
    pub fn all(&self) -> [&Actor; 6] {
        [
            &self.anonymous,
            &self.admin,
            &self.submitter_a,
            &self.submitter_b,
            &self.reader_bautzen,
            &self.reader_sh,
        ]
    }
}

pub async fn actors(app: &TestApp) -> Actors {
    Actors {
        anonymous: app.anonymous(),
        admin: app.actor("admin").await,
        submitter_a: app.actor("lieferant-a").await,
        submitter_b: app.actor("lieferant-b").await,
        reader_bautzen: app.actor("leser-bautzen").await,
        reader_sh: app.actor("leser-sh").await,
    }
}
