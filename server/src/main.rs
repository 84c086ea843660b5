//! `zsk`: the ZSK server and its administrative commands.

use std::path::PathBuf;
use std::process::ExitCode;

use app::auth::Role;
use app::delivery::jobs::JobQueue;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use server::config::{DatabaseConfig, ServeConfig};
use server::db::Database;
use server::http::{router_with_jobs, server_function_paths, RouterOptions};

#[derive(Parser)]
#[command(name = "zsk", about = "Zentrale Statistik-Komponente", version)]
struct Cli {
    #[command(flatten)]
    database: DatabaseConfig,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Starts the web server (with its own PostgreSQL unless DATABASE_URL is set).
    Serve(ServeConfig),
    /// Region register (Gemeindeverzeichnis GV100AD).
    Regionen {
        #[command(subcommand)]
        command: RegionenCommand,
    },
    /// OZG/LeiKa catalogue.
    Katalog {
        #[command(subcommand)]
        command: KatalogCommand,
    },
    /// User accounts.
    Benutzer {
        #[command(subcommand)]
        command: BenutzerCommand,
    },
    /// Master data of online services.
    Stammdaten {
        #[command(subcommand)]
        command: StammdatenCommand,
    },
    /// API tokens for scripted set-ups (printed once).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Reports from the stored data.
    Bericht {
        #[command(subcommand)]
        command: BerichtCommand,
    },
    /// Loads the demo data set (idempotent).
    Demo {
        /// Folder with regions/ and report-2024-02/.
        #[arg(long, env = "ZSK_REFERENCE_DIR", default_value = "../shared/data")]
        reference_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum RegionenCommand {
    /// Imports a GV100AD file; regions missing from it are closed, never deleted.
    Import {
        file: PathBuf,
        /// Gebietsstand of the file (JJJJ-MM-TT).
        #[arg(long)]
        stand: NaiveDate,
    },
    /// Loads key changes (Schlüssel alt;Name alt;Schlüssel neu;Stichtag), all
    /// or nothing: old keys end the day before the Stichtag, missing ones are added.
    Aenderungen {
        file: PathBuf,
        /// Check and show what would change, store nothing.
        #[arg(long)]
        nur_pruefen: bool,
    },
}

#[derive(Subcommand)]
enum KatalogCommand {
    /// Imports ozg_leistungen_2019.csv and leika_ozg_2019.csv from a folder.
    Import {
        #[arg(default_value = "../shared/data/catalogue")]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum BenutzerCommand {
    /// Creates a user (or updates one with the same login).
    Anlegen {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: Option<String>,
        /// admin, submitter or reader (no default: an admin is never made
        /// by leaving the role out).
        #[arg(long)]
        rolle: String,
        /// Organisation name (submitter).
        #[arg(long)]
        organisation: Option<String>,
        /// Region key of the reader's subtree (reader).
        #[arg(long)]
        region: Option<String>,
        /// The password; read from ZSK_PASSWORT to keep it out of the shell history.
        #[arg(long, env = "ZSK_PASSWORT", hide_env_values = true)]
        passwort: String,
    },
}

#[derive(Subcommand)]
enum StammdatenCommand {
    /// Imports a master-data file (CSV or .xlsx), all or nothing; as the
    /// ZSK team, missing organisations are created.
    Import {
        file: PathBuf,
        /// Check and show what would change, store nothing.
        #[arg(long)]
        nur_pruefen: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Creates a token of an organisation, or with --admin of the ZSK team.
    Anlegen {
        /// The organisation whose services the token may deliver for.
        #[arg(long, conflicts_with = "admin", required_unless_present = "admin")]
        organisation: Option<String>,
        /// A token of the ZSK team that may act for every organisation.
        #[arg(long)]
        admin: bool,
        /// A name that says which system uses the token.
        #[arg(long, default_value = "Skript")]
        name: String,
    },
}

#[derive(Subcommand)]
enum BerichtCommand {
    /// The report's data-source table as CSV.
    Datenquellen,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_sessions=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("Fehler: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let db = Database::open(&cli.database).await?;
    let result = match cli.command {
        Command::Serve(config) => serve(&db, config).await,
        Command::Regionen {
            command: RegionenCommand::Import { file, stand },
        } => {
            let summary = server::regions::import_regions(&db.pool, &file, stand).await?;
            println!("{summary}");
            Ok(())
        }
        Command::Regionen {
            command: RegionenCommand::Aenderungen { file, nur_pruefen },
        } => load_key_changes(&db, &file, nur_pruefen).await,
        Command::Katalog {
            command: KatalogCommand::Import { dir },
        } => {
            let summary = server::catalogue::import_catalogue(&db.pool, &dir).await?;
            println!("{summary}");
            Ok(())
        }
        Command::Benutzer { command } => create_user(&db, command).await,
        Command::Stammdaten {
            command: StammdatenCommand::Import { file, nur_pruefen },
        } => {
            let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let scope = server::masterdata::MasterDataScope::Admin;
            match server::masterdata::import_master_data_file(&db.pool, &bytes, scope, nur_pruefen)
                .await
            {
                Ok(summary) => {
                    println!("{summary}");
                    Ok(())
                }
                Err(err) => Err(err.to_string().into()),
            }
        }
        Command::Token {
            command:
                TokenCommand::Anlegen {
                    organisation,
                    admin: _,
                    name,
                },
        } => create_token(&db, organisation, &name).await,
        Command::Bericht {
            command: BerichtCommand::Datenquellen,
        } => {
            let rows = app::reports::server::datenquellen(&db.pool)
                .await
                .map_err(|e| e.to_string())?;
            print!("{}", app::reports::server::to_csv(&rows));
            Ok(())
        }
        Command::Demo { reference_dir } => {
            let summary = server::demo::load(&db.pool, &reference_dir).await?;
            println!("{summary}");
            Ok(())
        }
    };
    db.close().await;
    result
}

async fn serve(db: &Database, config: ServeConfig) -> Result<(), Box<dyn std::error::Error>> {
    if config.demo {
        let summary = server::demo::load(&db.pool, &config.reference_dir).await?;
        tracing::info!("{summary}");
    } else {
        match server::demo::ensure_region_register(&db.pool, &config.reference_dir).await {
            Ok(Some(summary)) => tracing::info!("region register loaded: {summary}"),
            Ok(None) => {}
            Err(err) => tracing::warn!("region register not loaded: {err}"),
        }
    }
    server::db::housekeeping::spawn(db.pool.clone(), std::time::Duration::from_secs(3600));
    let paths = server_function_paths();
    tracing::info!(count = paths.len(), paths = ?paths, "server functions registered");

    let options = RouterOptions {
        secure_cookies: config.secure_cookies,
        max_body_bytes: config.max_body_bytes,
    };
    // File deliveries a crash or stop left unfinished run again from their
    // stored files; nothing of them was stored.
    let jobs = JobQueue::new(db.pool.clone(), config.job_rows);
    jobs.resume().await?;
    let app = router_with_jobs(db.pool.clone(), &config.site_root, &options, jobs);
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    println!("ZSK läuft auf http://{}", listener.local_addr()?);
    if config.demo {
        println!("{}", server::demo::LOGIN_HINT);
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("signal handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down");
}

async fn load_key_changes(
    db: &Database,
    file: &std::path::Path,
    dry_run: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    let meta = server::regions::LoadMeta {
        channel: server::regions::LoadChannel::Cli,
        user_id: None,
        token_id: None,
        file_name: name.as_deref(),
    };
    let summary = server::regions::import_changes_file(&db.pool, &bytes, meta, dry_run)
        .await
        .map_err(|err| err.to_string())?;
    println!("{summary}");
    Ok(())
}

async fn create_token(
    db: &Database,
    organisation: Option<String>,
    name: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let organisation_id: Option<i64> = match &organisation {
        Some(org) => Some(
            sqlx::query_scalar("SELECT id FROM organisation WHERE name = $1")
                .bind(org)
                .fetch_optional(&db.pool)
                .await?
                .ok_or_else(|| format!("Organisation „{org}“ nicht gefunden"))?,
        ),
        None => None,
    };
    let token = app::tokens::server::create_token(&db.pool, organisation_id, name, None)
        .await
        .map_err(|e| e.to_string())?;
    // The token goes to stdout only, for the calling script; it is not logged.
    println!("{}", token.token);
    Ok(())
}

async fn create_user(
    db: &Database,
    command: BenutzerCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    let BenutzerCommand::Anlegen {
        login,
        name,
        rolle,
        organisation,
        region,
        passwort,
    } = command;
    let role = Role::parse(&rolle).ok_or("Rolle muss admin, submitter oder reader sein")?;
    if passwort.chars().count() < 12 {
        return Err("Das Passwort muss mindestens 12 Zeichen haben".into());
    }
    let organisation_id: Option<i64> = match (role, organisation) {
        (Role::Submitter, Some(name)) => Some(
            sqlx::query_scalar("SELECT id FROM organisation WHERE name = $1")
                .bind(&name)
                .fetch_optional(&db.pool)
                .await?
                .ok_or_else(|| format!("Organisation „{name}“ nicht gefunden"))?,
        ),
        (Role::Submitter, None) => return Err("Datenlieferanten brauchen --organisation".into()),
        _ => None,
    };
    if role == Role::Reader && region.is_none() {
        return Err("Leserollen brauchen --region".into());
    }
    let display_name = name.unwrap_or_else(|| login.clone());
    app::auth::server::create_user(
        &db.pool,
        &login,
        &display_name,
        &passwort,
        role,
        organisation_id,
        region.as_deref(),
    )
    .await
    .map_err(|e| e.to_string())?;
    println!("Benutzer „{login}“ ({}) angelegt.", role.label());
    Ok(())
}
