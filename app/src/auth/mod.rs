//! Users, roles and sessions. The role check is the first step of every
//! server function: `auth::server::require_user` and the scope it returns.

mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

pub use api::*;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(
    feature = "ssr",
    sqlx(type_name = "user_role", rename_all = "lowercase")
)]
pub enum Role {
    Admin,
    Submitter,
    Reader,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "ZSK-Team (Administration)",
            Self::Submitter => "Datenlieferant",
            Self::Reader => "Leserolle",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "admin" => Some(Self::Admin),
            "submitter" | "datenlieferant" => Some(Self::Submitter),
            "reader" | "leser" => Some(Self::Reader),
            _ => None,
        }
    }
}

/// The logged-in user as the app sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SessionUser {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub organisation: Option<String>,
    pub region_key: Option<String>,
    pub region_name: Option<String>,
}
