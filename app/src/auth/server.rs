//! Server side of authentication: password hashing, the session, throttling
//! of failed logins and the guards every server function starts with.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use leptos::prelude::use_context;
use sqlx::PgPool;
use tower_sessions::Session;

use super::{Role, SessionUser};
use crate::error::AppError;
use crate::regions::RegionKey;

/// The session entry holding the logged-in user's id.
pub const SESSION_USER_KEY: &str = "user_id";
/// Failed logins per account inside the window before logins are refused.
const MAX_FAILURES: i64 = 5;
const FAILURE_WINDOW_MINUTES: i64 = 15;

/// The database pool provided to every server function.
pub fn pool() -> Result<PgPool, AppError> {
    use_context::<PgPool>().ok_or_else(|| AppError::internal("no database pool in context"))
}

async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(AppError::internal)
}

/// A password hash; deliberately neither `Serialize` nor `Display`.
pub struct PasswordHashString(pub String);

pub fn hash_password(password: &str) -> Result<PasswordHashString, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| PasswordHashString(hash.to_string()))
        .map_err(AppError::internal)
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Verifies off the async runtime: argon2 is deliberately slow.
async fn verify_blocking(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// A valid hash to verify against when the login is unknown, so an unknown
/// login takes as long as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        hash_password("zsk-timing-equaliser")
            .map(|h| h.0)
            .unwrap_or_default()
    })
}

pub async fn load_user(pool: &PgPool, id: i64) -> Result<Option<SessionUser>, AppError> {
    Ok(sqlx::query_as::<_, SessionUser>(
        "SELECT u.id, u.login, u.display_name, u.role, u.organisation_id, o.name AS organisation,
                u.region_key, r.name AS region_name
         FROM app_user u
         LEFT JOIN organisation o ON o.id = u.organisation_id
         LEFT JOIN region r ON r.key = u.region_key
         WHERE u.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// The logged-in user, if any.
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    let session = session().await?;
    let Some(id) = session
        .get::<i64>(SESSION_USER_KEY)
        .await
        .map_err(AppError::internal)?
    else {
        return Ok(None);
    };
    load_user(&pool()?, id).await
}

/// The logged-in user, or 401.
pub async fn require_user() -> Result<SessionUser, AppError> {
    current_user().await?.ok_or(AppError::Unauthenticated)
}

/// The logged-in user if it has one of `roles`, else 401/403.
pub async fn require_role(roles: &[Role]) -> Result<SessionUser, AppError> {
    let user = require_user().await?;
    if roles.contains(&user.role) {
        Ok(user)
    } else {
        Err(AppError::forbidden())
    }
}

/// What part of the data a user may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything (admin).
    All,
    /// The services of one organisation, in every region (submitter).
    Organisation(i64),
    /// Every service, inside one region subtree (reader).
    Region(RegionKey),
}

impl SessionUser {
    pub fn scope(&self) -> Result<Scope, AppError> {
        match self.role {
            Role::Admin => Ok(Scope::All),
            Role::Submitter => self
                .organisation_id
                .map(Scope::Organisation)
                .ok_or_else(|| AppError::internal("submitter without organisation")),
            Role::Reader => self
                .region_key
                .as_deref()
                .and_then(|key| RegionKey::parse(key).ok())
                .map(Scope::Region)
                .ok_or_else(|| AppError::internal("reader without region")),
        }
    }
}

/// Password verifications running at once.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The user id if the password is right; throttles and records failures.
async fn check_credentials(pool: &PgPool, login: &str, password: &str) -> Result<i64, AppError> {
    let recent_failures: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM login_failure WHERE login = $1 AND failed_at > now() - make_interval(mins => $2)",
    )
    .bind(login)
    .bind(FAILURE_WINDOW_MINUTES as i32)
    .fetch_one(pool)
    .await?;
    if recent_failures >= MAX_FAILURES {
        tracing::warn!("login throttled");
        return Err(AppError::TooManyRequests(format!(
            "Zu viele fehlgeschlagene Anmeldungen. Bitte in {FAILURE_WINDOW_MINUTES} Minuten erneut versuchen."
        )));
    }

    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT id, password_hash FROM app_user WHERE login = $1")
            .bind(login)
            .fetch_optional(pool)
            .await?;
    let (id, hash) = row.unwrap_or((0, dummy_hash().to_owned()));
    if verify_blocking(password.to_owned(), hash).await && id != 0 {
        sqlx::query("DELETE FROM login_failure WHERE login = $1")
            .bind(login)
            .execute(pool)
            .await?;
        return Ok(id);
    }
    sqlx::query("INSERT INTO login_failure (login) VALUES ($1)")
        .bind(login)
        .execute(pool)
        .await?;
    tracing::warn!("login failed");
    Err(AppError::InvalidCredentials)
}

/// Checks the credentials, throttles repeated failures and starts a fresh
/// session (new id) for the user.
pub async fn login(login: &str, password: &str) -> Result<SessionUser, AppError> {
    let login = login.trim();
    if login.is_empty() || login.len() > 200 || login.contains('\0') || password.len() > 1024 {
        return Err(AppError::InvalidCredentials);
    }
    // Password hashing is slow and takes ~19 MiB: at most two at a time, and
    // a waiting attempt holds no database connection.
    let _permit = HASHING.acquire().await.map_err(AppError::internal)?;
    let pool = pool()?;
    // Attempts on one account run one after the other, so parallel guesses
    // cannot slip past the throttle.
    let mut lock = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock(hashtextextended($1, 1))")
        .bind(login)
        .execute(&mut *lock)
        .await?;
    let checked = check_credentials(&pool, login, password).await;
    sqlx::query("SELECT pg_advisory_unlock(hashtextextended($1, 1))")
        .bind(login)
        .execute(&mut *lock)
        .await?;
    let id = checked?;

    let session = session().await?;
    session.cycle_id().await.map_err(AppError::internal)?;
    session
        .insert(SESSION_USER_KEY, id)
        .await
        .map_err(AppError::internal)?;
    tracing::info!(user.id = id, "login");
    load_user(&pool, id).await?.ok_or(AppError::Internal)
}

pub async fn logout() -> Result<(), AppError> {
    session().await?.flush().await.map_err(AppError::internal)
}

/// Creates a user (used by the CLI and the demo set-up).
pub async fn create_user(
    pool: &PgPool,
    login: &str,
    display_name: &str,
    password: &str,
    role: Role,
    organisation_id: Option<i64>,
    region_key: Option<&str>,
) -> Result<i64, AppError> {
    let hash = hash_password(password)?;
    let id = sqlx::query_scalar(
        "INSERT INTO app_user (login, display_name, password_hash, role, organisation_id, region_key)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (login) DO UPDATE SET display_name = EXCLUDED.display_name, password_hash = EXCLUDED.password_hash,
            role = EXCLUDED.role, organisation_id = EXCLUDED.organisation_id, region_key = EXCLUDED.region_key
         RETURNING id",
    )
    .bind(login)
    .bind(display_name)
    .bind(&hash.0)
    .bind(role)
    .bind(organisation_id)
    .bind(region_key)
    .fetch_one(pool)
    .await?;
    Ok(id)
}
