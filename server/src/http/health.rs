//! `GET /healthz`: is the server up, and can it reach its database?

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::AppState;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(&state.pool)
        .await;
    match database {
        Ok(_) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "datenbank": "ok" })),
        ),
        Err(err) => {
            tracing::error!(error = %err, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "gestört", "datenbank": "nicht erreichbar" })),
            )
        }
    }
}
