//! API tokens: bearer tokens of an organisation for the import API (or of
//! the ZSK team, acting for every organisation). A token is shown once at
//! creation; only its SHA-256 hash is stored.

pub mod pages;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A token as listed (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    /// The first characters, to recognise a token.
    pub prefix: String,
    /// `None`: a token of the ZSK team.
    pub organisation: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked: bool,
}

/// A freshly created token: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub id: i64,
    pub token: String,
}

#[cfg(feature = "ssr")]
pub mod server {
    use rand::RngCore;
    use sha2::{Digest, Sha256};
    use sqlx::PgPool;

    use super::{NewToken, TokenInfo};
    use crate::error::AppError;

    const PREFIX: &str = "zsk_";

    /// Who a valid token speaks for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct TokenPrincipal {
        pub token_id: i64,
        /// `None`: the ZSK team, acting for every organisation.
        pub organisation_id: Option<i64>,
    }

    pub fn hash(token: &str) -> String {
        hex::encode(Sha256::digest(token.as_bytes()))
    }

    /// Creates a token for an organisation (or, with `None`, for the ZSK team).
    pub async fn create_token(
        pool: &PgPool,
        organisation_id: Option<i64>,
        name: &str,
        created_by: Option<i64>,
    ) -> Result<NewToken, AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::BadRequest(
                "Bitte einen Namen (1–100 Zeichen) für den Token angeben.".into(),
            ));
        }
        let mut secret = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut secret);
        let token = format!("{PREFIX}{}", hex::encode(secret));
        let id = sqlx::query_scalar(
            "INSERT INTO api_token (organisation_id, name, token_hash, prefix, created_by)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(organisation_id)
        .bind(name)
        .bind(hash(&token))
        .bind(&token[..PREFIX.len() + 8])
        .bind(created_by)
        .fetch_one(pool)
        .await?;
        tracing::info!(
            token.id = id,
            organisation.id = organisation_id,
            "api token created"
        );
        Ok(NewToken { id, token })
    }

    /// The principal of a valid, unrevoked token; records its use. The
    /// last use is shown to the minute, so it is written at most once a
    /// minute: concurrent calls with one token do not queue on its row.
    pub async fn authenticate(
        pool: &PgPool,
        token: &str,
    ) -> Result<Option<TokenPrincipal>, AppError> {
        let row: Option<(i64, Option<i64>, bool)> = sqlx::query_as(
            "SELECT id, organisation_id,
                    last_used_at IS NULL OR last_used_at < now() - interval '1 minute'
             FROM api_token WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash(token.trim()))
        .fetch_optional(pool)
        .await?;
        let Some((token_id, organisation_id, stale)) = row else {
            return Ok(None);
        };
        if stale {
            sqlx::query("UPDATE api_token SET last_used_at = now() WHERE id = $1")
                .bind(token_id)
                .execute(pool)
                .await?;
        }
        Ok(Some(TokenPrincipal {
            token_id,
            organisation_id,
        }))
    }

    /// Tokens of one organisation, or all (`None`).
    pub async fn list(
        pool: &PgPool,
        organisation_id: Option<i64>,
    ) -> Result<Vec<TokenInfo>, AppError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            name: String,
            prefix: String,
            organisation: Option<String>,
            created_at: String,
            last_used_at: Option<String>,
            revoked: bool,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT t.id, t.name, t.prefix, o.name AS organisation,
                    to_char(t.created_at AT TIME ZONE 'Europe/Berlin', 'DD.MM.YYYY HH24:MI') AS created_at,
                    to_char(t.last_used_at AT TIME ZONE 'Europe/Berlin', 'DD.MM.YYYY HH24:MI') AS last_used_at,
                    t.revoked_at IS NOT NULL AS revoked
             FROM api_token t LEFT JOIN organisation o ON o.id = t.organisation_id
             WHERE $1::bigint IS NULL OR t.organisation_id = $1
             ORDER BY t.revoked_at IS NOT NULL, t.created_at DESC",
        )
        .bind(organisation_id)
        .fetch_all(pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| TokenInfo {
                id: r.id,
                name: r.name,
                prefix: r.prefix,
                organisation: r.organisation,
                created_at: r.created_at,
                last_used_at: r.last_used_at,
                revoked: r.revoked,
            })
            .collect())
    }
}

#[cfg(feature = "ssr")]
mod guarded {
    use super::{NewToken, TokenInfo};
    use crate::auth::server::{pool, require_role};
    use crate::auth::Role;
    use crate::error::AppError;

    pub async fn list() -> Result<Vec<TokenInfo>, AppError> {
        let user = require_role(&[Role::Submitter, Role::Admin]).await?;
        let scope = if user.role == Role::Admin {
            None
        } else {
            user.organisation_id
        };
        super::server::list(&pool()?, scope).await
    }

    pub async fn create(name: String) -> Result<NewToken, AppError> {
        let user = require_role(&[Role::Submitter, Role::Admin]).await?;
        // A submitter's token serves its organisation; the ZSK team's serves all.
        super::server::create_token(&pool()?, user.organisation_id, &name, Some(user.id)).await
    }

    pub async fn revoke(id: i64) -> Result<(), AppError> {
        let user = require_role(&[Role::Submitter, Role::Admin]).await?;
        let scope = if user.role == Role::Admin {
            None
        } else {
            user.organisation_id
        };
        let done = sqlx::query(
            "UPDATE api_token SET revoked_at = coalesce(revoked_at, now())
             WHERE id = $1 AND ($2::bigint IS NULL OR organisation_id = $2)",
        )
        .bind(id)
        .bind(scope)
        .execute(&pool()?)
        .await?;
        if done.rows_affected() == 0 {
            return Err(AppError::NotFound("Token nicht gefunden.".into()));
        }
        tracing::info!(token.id = id, user.id = user.id, "api token revoked");
        Ok(())
    }
}

/// The tokens the caller may manage.
#[server(endpoint = "tokens")]
pub async fn api_tokens() -> Result<Vec<TokenInfo>, AppError> {
    guarded::list().await
}

/// Creates a token for the caller's organisation; the answer is the only
/// time the token is shown.
#[server(endpoint = "tokens/anlegen")]
pub async fn api_token_anlegen(name: String) -> Result<NewToken, AppError> {
    guarded::create(name).await
}

#[server(endpoint = "tokens/widerrufen")]
pub async fn api_token_widerrufen(id: i64) -> Result<(), AppError> {
    guarded::revoke(id).await
}
