//! The HTTP router: server functions under `/api`, the health check, and the
//! single-page app's files with an `index.html` fallback; sessions in
//! PostgreSQL and a cross-site request guard on every state-changing request.

mod csrf;
mod health;

use std::path::Path;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::Request;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::provide_context;
use sqlx::PgPool;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// Largest accepted request body, for the 413 answer.
    pub max_body_bytes: usize,
}

/// Options of the router that differ between installations.
#[derive(Debug, Clone)]
pub struct RouterOptions {
    pub secure_cookies: bool,
    pub max_body_bytes: usize,
}

/// Builds the whole application router.
pub fn router(pool: PgPool, site_root: &Path, options: &RouterOptions) -> Router {
    let sessions = SessionManagerLayer::new(PostgresStore::new(pool.clone()))
        .with_name("zsk_sitzung")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(options.secure_cookies)
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::hours(8),
        ));

    let index = site_root.join("index.html");
    let spa = ServeDir::new(site_root).fallback(ServeFile::new(index));

    Router::new()
        .merge(crate::api::router())
        .route(
            "/api/{*fn_name}",
            post(server_fn_handler).get(server_fn_handler),
        )
        .route("/healthz", get(health::healthz))
        .fallback_service(spa)
        .layer(axum::middleware::from_fn(csrf::same_origin_only))
        .layer(sessions)
        .layer(DefaultBodyLimit::max(options.max_body_bytes))
        .layer(TraceLayer::new_for_http())
        .with_state(AppState {
            pool,
            max_body_bytes: options.max_body_bytes,
        })
}

async fn server_fn_handler(
    State(state): State<AppState>,
    request: Request<Body>,
) -> impl IntoResponse {
    let pool = state.pool.clone();
    leptos_axum::handle_server_fns_with_context(move || provide_context(pool.clone()), request)
        .await
}

/// The server functions this binary serves, for the start-up log.
pub fn server_function_paths() -> Vec<String> {
    // Referencing the app crate keeps its self-registering server functions
    // from being dropped by the linker.
    let _ = app::App;
    let mut paths: Vec<String> = server_fn::axum::server_fn_paths()
        .map(|(path, method)| format!("{method} {path}"))
        .collect();
    paths.sort();
    paths
}
