//! Refuses NUL characters before any handler sees them: PostgreSQL cannot
//! store them in text, and no legitimate form value or query contains one.
//! Server-function bodies are small forms; files (`/api/v1/…`) are binary
//! and checked where they are read.

use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const REFUSAL: &str = "Die Anfrage enthält ein Nullzeichen (Steuerzeichen) und wird abgelehnt.";

pub async fn no_nul(State(limit): State<usize>, request: Request<Body>, next: Next) -> Response {
    if request.uri().query().is_some_and(|q| q.contains("%00")) {
        return (StatusCode::BAD_REQUEST, REFUSAL).into_response();
    }
    let path = request.uri().path();
    if !path.starts_with("/api/") || path.starts_with("/api/v1/") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        let text = format!("Anfrage zu groß: höchstens {} MB", limit / (1024 * 1024));
        return (StatusCode::PAYLOAD_TOO_LARGE, text).into_response();
    };
    if bytes.contains(&0) || bytes.windows(3).any(|w| w == b"%00") {
        return (StatusCode::BAD_REQUEST, REFUSAL).into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
