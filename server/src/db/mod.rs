//! The database: either the one `DATABASE_URL` names or a private cluster
//! started from the machine's PostgreSQL binaries, migrated on start.

pub mod embedded;
pub mod housekeeping;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::config::DatabaseConfig;
use embedded::EmbeddedPostgres;

/// A connected, migrated database and, if embedded, the cluster behind it.
pub struct Database {
    pub pool: PgPool,
    pub embedded: Option<EmbeddedPostgres>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Embedded(#[from] embedded::EmbeddedError),
    #[error("database connection failed: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

impl Database {
    /// Connects (starting the embedded cluster if no URL is set) and migrates.
    pub async fn open(config: &DatabaseConfig) -> Result<Self, DbError> {
        let (options, embedded) = match &config.database_url {
            Some(url) => (
                url.expose()
                    .parse::<PgConnectOptions>()
                    .map_err(DbError::Connect)?,
                None,
            ),
            None => {
                let cluster = EmbeddedPostgres::start(&config.data_dir.join("pgdata"))?;
                cluster.wait_ready().await?;
                cluster.create_database("zsk").await?;
                (cluster.connect_options("zsk"), Some(cluster))
            }
        };
        let pool = connect(options).await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool, embedded })
    }

    /// Closes the pool and stops the embedded cluster, if any.
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(cluster) = self.embedded {
            cluster.stop();
        }
    }
}

pub async fn connect(options: PgConnectOptions) -> Result<PgPool, DbError> {
    PgPoolOptions::new()
        .max_connections(16)
        .connect_with(options)
        .await
        .map_err(DbError::Connect)
}
