//! Benchmarks of the delivery channels on a private PostgreSQL:
//!
//! - `upload`: a generated counts CSV (default 300,000 rows) through the real
//!   upload pipeline (`POST /api/v1/lieferungen/datei` on the real router;
//!   a large file runs as a background job whose `202` answer is polled
//!   until it ends, so the time is end to end), against the same rows
//!   loaded by a raw `COPY` into the same table.
//! - `api`: concurrent clients posting JSON deliveries of 1,000 counts each.
//!
//! The server is the real `zsk` binary (beside this one) as a child process
//! on the bench's private PostgreSQL; its peak resident memory is read from
//! /proc. Prints rows (counts) per second, the ratio to COPY, latency and
//! peak RSS. Needs the region register (`--reference-dir`, default
//! `../shared/data`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use server::db::embedded::{create_database, EmbeddedPostgres};
use sqlx::PgPool;

#[derive(Parser)]
struct Cli {
    #[arg(long, default_value = "../shared/data")]
    reference_dir: PathBuf,
    #[command(subcommand)]
    command: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// One large CSV through the upload pipeline, compared with COPY.
    Upload {
        #[arg(long, default_value_t = 300_000)]
        rows: usize,
    },
    /// Concurrent JSON deliveries.
    Api {
        #[arg(long, default_value_t = 10)]
        clients: usize,
        #[arg(long, default_value_t = 1_000)]
        counts_per_call: usize,
        #[arg(long, default_value_t = 20)]
        calls_per_client: usize,
    },
}

/// Peak resident set size of a process in MB (VmHWM).
fn peak_rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Starts the real server binary on the bench database; returns it and its URL.
fn start_server(
    database_url: &str,
    site: &std::path::Path,
) -> Result<(std::process::Child, String), Box<dyn std::error::Error>> {
    use std::io::{BufRead, BufReader};
    let zsk = std::env::current_exe()?.with_file_name("zsk");
    let mut child = std::process::Command::new(&zsk)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--demo",
            "false",
            "--max-body-bytes",
            "268435456",
        ])
        .arg("--site-root")
        .arg(site)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "{}: {e} (build it: cargo build --release -p server)",
                zsk.display()
            )
        })?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_owned();
    Ok((child, url))
}

struct Setup {
    pool: PgPool,
    base: String,
    server: std::process::Child,
    token: String,
    kreise: Vec<String>,
    _cluster: EmbeddedPostgres,
    _dir: PathBuf,
}

async fn setup(
    reference_dir: &std::path::Path,
    services: usize,
) -> Result<Setup, Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("zsk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
    let cluster = EmbeddedPostgres::start(&dir.join("pgdata"))?;
    cluster.wait_ready().await?;
    create_database(&cluster.connect_options("postgres"), "bench", None).await?;
    let pool = server::db::connect(cluster.connect_options("bench")).await?;
    server::db::MIGRATOR.run(&pool).await?;
    server::demo::ensure_region_register(&pool, reference_dir).await?;

    let org: i64 = sqlx::query_scalar(
        "INSERT INTO organisation (name, level) VALUES ('Bench', 'land') RETURNING id",
    )
    .fetch_one(&pool)
    .await?;
    for s in 0..services {
        sqlx::query("INSERT INTO online_service (id, name, organisation_id, granularity) VALUES ($1, $1, $2, 'kreis')")
            .bind(format!("BENCH-{s:03}"))
            .bind(org)
            .execute(&pool)
            .await?;
    }
    let kreise: Vec<String> = sqlx::query_scalar(
        "SELECT key FROM region WHERE level = 'kreis' AND cell_key = key ORDER BY key",
    )
    .fetch_all(&pool)
    .await?;
    let token = app::tokens::server::create_token(&pool, Some(org), "bench", None)
        .await?
        .token;

    let database_url = format!(
        "postgres://postgres@localhost/bench?host={}",
        dir.join("pgdata").display()
    );
    let (server, base) = start_server(&database_url, &dir)?;
    Ok(Setup {
        pool,
        base,
        server,
        token,
        kreise,
        _cluster: cluster,
        _dir: dir,
    })
}

/// `rows` distinct cells: services × Kreise × months.
fn cells(rows: usize, services: usize, kreise: &[String]) -> Vec<(String, String, String, u32)> {
    let mut out = Vec::with_capacity(rows);
    let mut i = 0u32;
    'outer: for month in 0.. {
        for s in 0..services {
            for kreis in kreise {
                if out.len() == rows {
                    break 'outer;
                }
                let (year, m) = (2015 + month / 12, month % 12 + 1);
                out.push((
                    format!("BENCH-{s:03}"),
                    kreis.clone(),
                    format!("{year}-{m:02}"),
                    i % 9973,
                ));
                i += 1;
            }
        }
    }
    out
}

async fn upload(
    setup: &Setup,
    rows: usize,
    services: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let data = cells(rows, services, &setup.kreise);
    let mut csv = String::from("Onlinedienst;Region;Monat;Anzahl\n");
    for (s, r, m, c) in &data {
        csv.push_str(&format!("{s};{r};{m};{c}\n"));
    }
    println!(
        "upload: {} rows, {:.1} MB CSV",
        data.len(),
        csv.len() as f64 / 1e6
    );

    let start = Instant::now();
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{}/api/v1/lieferungen/datei", setup.base))
        .bearer_auth(&setup.token)
        .body(csv.clone())
        .send()
        .await?;
    let (status, body) = until_done(&client, &setup.base, &setup.token, response).await?;
    let pipeline = start.elapsed();
    let rss = peak_rss_mb(setup.server.id());
    if status != 200 || body["neu"].as_u64() != Some(rows as u64) {
        return Err(format!(
            "upload failed: {status} {}",
            &body.to_string()[..300.min(body.to_string().len())]
        )
        .into());
    }

    // The same rows by a raw COPY into the same (emptied) table.
    sqlx::query("TRUNCATE transaction_count_history, transaction_count")
        .execute(&setup.pool)
        .await?;
    let delivery: i64 = sqlx::query_scalar(
        "INSERT INTO delivery (channel, received, new_values, corrected, unchanged, rejected) VALUES ('api', 0, 0, 0, 0, 0) RETURNING id",
    )
    .fetch_one(&setup.pool)
    .await?;
    let mut copy_data = String::new();
    for (s, r, m, c) in &data {
        copy_data.push_str(&format!("{s}\t{r}\t{m}-01\t{c}\t{delivery}\n"));
    }
    let start = Instant::now();
    let mut conn = setup.pool.acquire().await?;
    let mut copy = conn
        .copy_in_raw(
            "COPY transaction_count (service_id, region_key, month, count, delivery_id) FROM STDIN",
        )
        .await?;
    copy.send(copy_data.as_bytes()).await?;
    copy.finish().await?;
    let copy_time = start.elapsed();

    let pipeline_rate = rows as f64 / pipeline.as_secs_f64();
    let copy_rate = rows as f64 / copy_time.as_secs_f64();
    println!(
        "upload pipeline: {:>9.0} rows/s ({:.2} s), peak RSS {:.0} MB",
        pipeline_rate,
        pipeline.as_secs_f64(),
        rss
    );
    println!(
        "raw COPY:        {:>9.0} rows/s ({:.2} s)",
        copy_rate,
        copy_time.as_secs_f64()
    );
    println!(
        "ratio pipeline/COPY: {:.2} (target ≥ 0.35, aim 0.5)",
        pipeline_rate / copy_rate
    );
    Ok(())
}

/// The final status and answer of an upload: a `202` (background job) is
/// asked for again until the job has ended, so the time is end to end.
async fn until_done(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    response: reqwest::Response,
) -> Result<(reqwest::StatusCode, serde_json::Value), Box<dyn std::error::Error>> {
    let mut status = response.status();
    let mut body: serde_json::Value = response.json().await?;
    let mut last_phase = String::new();
    let started = Instant::now();
    while status == reqwest::StatusCode::ACCEPTED {
        let phase = body["phase"].as_str().unwrap_or("wartend").to_owned();
        if phase != last_phase {
            println!(
                "upload: {:>6.2} s job {} {phase}",
                started.elapsed().as_secs_f64(),
                body["auftrag"].as_str().unwrap_or("?")
            );
            last_phase = phase;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let url = format!("{base}{}", body["abfrage"].as_str().ok_or("no poll URL")?);
        let response = client.get(url).bearer_auth(token).send().await?;
        status = response.status();
        body = response.json().await?;
    }
    println!(
        "upload: {:>6.2} s answer {status}",
        started.elapsed().as_secs_f64()
    );
    Ok((status, body))
}

async fn api(
    setup: &Setup,
    clients: usize,
    per_call: usize,
    calls: usize,
    services: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let data = cells(clients * calls * per_call, services, &setup.kreise);
    let bodies: Vec<String> = data
        .chunks(per_call)
        .enumerate()
        .map(|(i, chunk)| {
            let mut by_service: std::collections::BTreeMap<&str, Vec<serde_json::Value>> =
                Default::default();
            for (s, r, m, c) in chunk {
                by_service
                    .entry(s)
                    .or_default()
                    .push(serde_json::json!({"region": r, "monat": m, "anzahl": c}));
            }
            let dienste: Vec<_> = by_service
                .into_iter()
                .map(|(s, werte)| serde_json::json!({"onlinedienst": s, "werte": werte}))
                .collect();
            serde_json::json!({"lieferung_id": format!("bench-{i}"), "dienste": dienste})
                .to_string()
        })
        .collect();

    let client = reqwest::Client::new();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let mine: Vec<String> = bodies.iter().skip(c).step_by(clients).cloned().collect();
        let (client, url, token) = (
            client.clone(),
            format!("{}/api/v1/lieferungen", setup.base),
            setup.token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            for body in mine {
                let t = Instant::now();
                let ok = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16() == 200)
                    .unwrap_or(false);
                latencies.push(t.elapsed());
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed();
    latencies.sort();
    let p95 = latencies[(latencies.len() * 95 / 100).min(latencies.len() - 1)];
    let counts = data.len();
    println!(
        "api: {clients} clients × {calls} calls × {per_call} counts = {counts} counts in {:.2} s",
        elapsed.as_secs_f64()
    );
    println!(
        "api: {:.0} counts/s, p95 latency {} ms, errors {errors}, server peak RSS {:.0} MB (target 50,000 counts/s, 0 errors)",
        counts as f64 / elapsed.as_secs_f64(),
        p95.as_millis(),
        peak_rss_mb(setup.server.id())
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let services = 25;
    let setup = setup(&cli.reference_dir, services).await?;
    match cli.command {
        Bench::Upload { rows } => upload(&setup, rows, services).await?,
        Bench::Api {
            clients,
            counts_per_call,
            calls_per_client,
        } => api(&setup, clients, counts_per_call, calls_per_client, services).await?,
    }
    let mut setup = setup;
    let _ = setup.server.kill();
    let _ = setup.server.wait();
    setup.pool.close().await;
    Ok(())
}
