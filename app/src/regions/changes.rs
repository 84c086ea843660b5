//! Region key changes as the browser, scripts and the ZSK team see them: the
//! answer of loading a key-change file (`Schlüssel alt;Name alt;Schlüssel
//! neu;Stichtag`, checked or stored) and the list of loaded changes. The
//! file itself is read and stored on the server (`server::regions::changes`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::delivery::Finding;
use crate::error::AppError;

/// What loading one line of the file does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KeyChangeLine {
    pub zeile: u32,
    pub schluessel_alt: String,
    pub name_alt: String,
    pub schluessel_neu: String,
    /// The new key's name in the register (or, for a key this file adds,
    /// its `Name alt`).
    pub name_neu: String,
    /// The first day under the new key, `TT.MM.JJJJ`.
    pub stichtag: String,
    /// `neu`, `schon geladen` or, where old and new key are the same,
    /// `fortbestehend` (the key carries on).
    pub status: String,
}

/// The answer of `POST /api/v1/regionen/aenderungen`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KeyChangeAnswer {
    /// A message about the whole request (not logged in, too large, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meldung: Option<String>,
    /// GESPEICHERT, UNVERAENDERT (everything was loaded before) or
    /// ABGELEHNT; for a check GEPRUEFT or FEHLERHAFT.
    pub status: String,
    pub nur_pruefen: bool,
    /// What was (or would be) done, in German, one fact a line.
    pub zusammenfassung: String,
    pub aenderungen: Vec<KeyChangeLine>,
    pub fehler: Vec<Finding>,
    pub hinweise: Vec<Finding>,
}

/// A stored key change, for the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct LoadedKeyChange {
    pub old_key: String,
    pub old_name: String,
    pub new_key: String,
    pub new_name: String,
    /// `TT.MM.JJJJ`.
    pub stichtag: String,
    /// `TT.MM.JJJJ HH:MM`, Europe/Berlin.
    pub loaded_at: String,
    /// The admin, the admin token or the command line.
    pub loaded_by: String,
    pub file_name: Option<String>,
}

/// The most changes the list shows.
pub const LIST_LIMIT: i64 = 10_000;

#[cfg(feature = "ssr")]
mod server {
    use super::{LoadedKeyChange, LIST_LIMIT};
    use crate::auth::server::{pool, require_role};
    use crate::auth::Role;
    use crate::error::AppError;

    pub async fn list() -> Result<Vec<LoadedKeyChange>, AppError> {
        require_role(&[Role::Admin]).await?;
        let rows = sqlx::query_as(
            "SELECT c.old_key, c.old_name, c.new_key, n.name AS new_name,
                    to_char(c.stichtag, 'DD.MM.YYYY') AS stichtag,
                    to_char(l.loaded_at AT TIME ZONE 'Europe/Berlin', 'DD.MM.YYYY HH24:MI') AS loaded_at,
                    CASE WHEN u.id IS NOT NULL THEN u.display_name
                         WHEN t.id IS NOT NULL THEN 'API-Token „' || t.name || '“'
                         ELSE 'Kommandozeile' END AS loaded_by,
                    l.file_name
             FROM region_change c
             JOIN region_change_load l ON l.id = c.load_id
             JOIN region n ON n.key = c.new_key
             LEFT JOIN app_user u ON u.id = l.user_id
             LEFT JOIN api_token t ON t.id = l.token_id
             ORDER BY c.stichtag DESC, c.new_key, c.old_key
             LIMIT $1",
        )
        .bind(LIST_LIMIT)
        .fetch_all(&pool()?)
        .await?;
        Ok(rows)
    }
}

/// The loaded key changes, newest Stichtag first (ZSK team only).
#[server(endpoint = "regionen/aenderungen")]
pub async fn regionen_aenderungen() -> Result<Vec<LoadedKeyChange>, AppError> {
    server::list().await
}
