//! The HTTP router: server functions under `/api`, the health check, and the
//! single-page app's files with an `index.html` fallback; sessions in
//! PostgreSQL and a cross-site request guard on every state-changing request.

mod csrf;
mod health;
mod input;

use std::path::Path;

use app::delivery::jobs::{JobQueue, DEFAULT_INLINE_ROWS};
use app::error::AppError;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::provide_context;
use sqlx::PgPool;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// Largest accepted request body, for the 413 answer.
    pub max_body_bytes: usize,
    /// Runs large file deliveries in the background.
    pub jobs: JobQueue,
}

/// Options of the router that differ between installations.
#[derive(Debug, Clone)]
pub struct RouterOptions {
    pub secure_cookies: bool,
    pub max_body_bytes: usize,
}

/// Keeps the pages out of frames and other sites' scripts out of the pages.
/// Trunk's loader is an inline module script, WASM needs `wasm-unsafe-eval`,
/// ECharts sets inline styles.
const CSP: HeaderValue = HeaderValue::from_static(
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
);
const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
const SAME_ORIGIN: HeaderValue = HeaderValue::from_static("same-origin");

/// Builds the whole application router; files of
/// [`DEFAULT_INLINE_ROWS`] rows or more are delivered in the background.
pub fn router(pool: PgPool, site_root: &Path, options: &RouterOptions) -> Router {
    let jobs = JobQueue::new(pool.clone(), DEFAULT_INLINE_ROWS);
    router_with_jobs(pool, site_root, options, jobs)
}

/// Builds the whole application router with the queue that runs large file
/// deliveries (the one that resumed the unfinished jobs at start).
pub fn router_with_jobs(
    pool: PgPool,
    site_root: &Path,
    options: &RouterOptions,
    jobs: JobQueue,
) -> Router {
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
        .layer(axum::middleware::from_fn_with_state(
            options.max_body_bytes,
            input::no_nul,
        ))
        .layer(axum::middleware::from_fn(csrf::same_origin_only))
        .layer(sessions)
        .layer(DefaultBodyLimit::max(options.max_body_bytes))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            CSP,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            NOSNIFF,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            SAME_ORIGIN,
        ))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(AppState {
            pool,
            max_body_bytes: options.max_body_bytes,
            jobs,
        })
}

async fn server_fn_handler(State(state): State<AppState>, request: Request<Body>) -> Response {
    let pool = state.pool.clone();
    let response =
        leptos_axum::handle_server_fns_with_context(move || provide_context(pool.clone()), request)
            .await
            .into_response();
    with_error_status(response).await
}

/// Server functions answer every error with 500; the error itself knows its
/// status (401, 403, 422, …), also for arguments that could not be read.
async fn with_error_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response
            .headers()
            .contains_key(server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .unwrap_or_default();
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        let status = match &error {
            AppError::Transport(text) if text.contains("length limit exceeded") => 413,
            AppError::Transport(_) => 400,
            other => other.status(),
        };
        parts.status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
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
