//! Server functions for logging in and out.

use leptos::prelude::*;

use super::SessionUser;
use crate::error::AppError;

#[server(endpoint = "anmelden")]
pub async fn anmelden(login: String, passwort: String) -> Result<SessionUser, AppError> {
    super::server::login(&login, &passwort).await
}

#[server(endpoint = "abmelden")]
pub async fn abmelden() -> Result<(), AppError> {
    super::server::logout().await
}

/// The logged-in user, or `None` for the public.
#[server(endpoint = "benutzer")]
pub async fn aktueller_benutzer() -> Result<Option<SessionUser>, AppError> {
    super::server::current_user().await
}
