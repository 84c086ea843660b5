//! The `/api/v1` routes.

use std::collections::BTreeMap;

use app::delivery::jobs::{self, Submitted, Upload};
use app::delivery::store::{deliver, Channel, DeliveryMeta, Mode};
use app::delivery::validate::KeyRepair;
use app::delivery::{
    counts_file, Answer, CountValue, DeliveryRequest, Finding, JobStatus, Message, Month,
    ServiceValues,
};
use app::regions::RegionKey;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::caller::Caller;
use super::regions;
use super::{files, json};
use crate::http::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/lieferungen", post(post_json))
        .route("/api/v1/lieferungen/datei", post(post_file))
        .route("/api/v1/lieferungen/{id}", get(get_delivery))
        .route("/api/v1/lieferungen/{id}/datei", get(files::get_file))
        .route("/api/v1/werte", get(get_values))
        .route("/api/v1/stammdaten/datei", post(post_master_data))
        .route("/api/v1/regionen/aenderungen", post(regions::post_changes))
        .route("/api/v1/openapi.json", get(super::openapi::json))
        .route("/api/v1/doku", get(super::openapi::page))
}

/// Query parameters; unreadable ones are answered 400 in German, naming
/// the query as sent.
pub(super) struct Params<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S>
    for Params<T>
{
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Response> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(params)) => Ok(Self(params)),
            Err(_) => Err(problem(
                StatusCode::BAD_REQUEST,
                format!(
                    "Parameter „{}“ nicht lesbar: nur bekannte Parameter (siehe /api/v1/doku), jeder höchstens einmal; nur_pruefen ist true oder false, Monate JJJJ-MM",
                    parts.uri.query().unwrap_or_default()
                ),
            )),
        }
    }
}

/// `atomar` (the default) or `teilweise`; anything else is refused.
fn mode_of(modus: Option<&str>) -> Result<bool, String> {
    match modus {
        None | Some("atomar") => Ok(false),
        Some("teilweise") => Ok(true),
        Some(other) => Err(format!(
            "modus „{other}“ unbekannt: atomar (Standard) oder teilweise"
        )),
    }
}

pub(super) fn problem(status: StatusCode, text: impl Into<String>) -> Response {
    (
        status,
        Json(json!({ "status": "ABGELEHNT", "meldung": text.into() })),
    )
        .into_response()
}

pub(super) fn internal(err: impl std::fmt::Display) -> Response {
    tracing::error!(error = %err, "import API failed");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Interner Fehler. Bitte später erneut versuchen.",
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// `true`: run every check and store nothing.
    #[serde(default)]
    nur_pruefen: bool,
    /// `atomar` (default) or `teilweise` (store the valid records only).
    modus: Option<String>,
}

fn meta<'a>(
    caller: &Caller,
    channel: Channel,
    file_name: Option<&'a str>,
    external_id: Option<&'a str>,
) -> DeliveryMeta<'a> {
    DeliveryMeta {
        deliverer: caller.deliverer,
        organisation_id: caller.organisation_id,
        user_id: caller.user_id,
        token_id: caller.token_id,
        channel,
        file_name,
        external_id,
        file_id: None,
        progress: None,
        refused_before: 0,
    }
}

/// Delivers counts of one or more online services as JSON.
///
/// Atomic by default: any error stores nothing (422). With `modus=teilweise`
/// the valid records are stored (207). Errors name the value by JSON Pointer.
/// The same `lieferung_id` again returns the first answer.
#[utoipa::path(
    post, path = "/api/v1/lieferungen", tag = "Lieferungen",
    params(DeliveryQuery),
    request_body = DeliveryRequest,
    responses(
        (status = 200, description = "Alles gespeichert (bei nur_pruefen: alles gültig)", body = Answer),
        (status = 207, description = "Teilweise gespeichert: fehlerhafte Werte abgelehnt", body = Answer),
        (status = 400, description = "Kein gültiges JSON"),
        (status = 401, description = "Token fehlt, unbekannt oder widerrufen"),
        (status = 409, description = "lieferung_id schon mit anderem Inhalt verwendet"),
        (status = 422, description = "Abgelehnt, nichts gespeichert", body = Answer),
    ),
    security(("bearer" = []))
)]
pub(super) async fn post_json(
    caller: Caller,
    State(state): State<AppState>,
    Params(query): Params<DeliveryQuery>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let Ok(body) = body else {
        return problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "Anfrage zu groß: höchstens {} MB je Lieferung; größere Mengen auf mehrere Lieferungen verteilen",
                state.max_body_bytes / (1024 * 1024)
            ),
        );
    };
    let value: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(err) => {
            return problem(
                StatusCode::BAD_REQUEST,
                format!(
                    "Kein gültiges JSON (Zeile {}, Spalte {}): {err}",
                    err.line(),
                    err.column()
                ),
            )
        }
    };
    let request = match json::parse(&value) {
        Ok(request) => request,
        Err(messages) => {
            let fehler: Vec<_> = messages.iter().map(Finding::from).collect();
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "status": "ABGELEHNT", "fehler": fehler })),
            )
                .into_response();
        }
    };
    let partial = match (query.modus.as_deref(), request.partial) {
        (None, body) => body.unwrap_or(false),
        (given, body) => match mode_of(given) {
            Ok(partial) if body.is_none_or(|body| body == partial) => partial,
            Ok(_) => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "modus im Parameter und im JSON widersprechen sich; einmal angeben",
                )
            }
            Err(text) => return problem(StatusCode::BAD_REQUEST, text),
        },
    };
    let dry_run = query.nur_pruefen || request.dry_run;

    let principal = caller.principal();
    let request_hash = hex::encode(Sha256::digest(&body));
    let mut lock = match state.pool.acquire().await {
        Ok(conn) => conn,
        Err(err) => return internal(err),
    };
    // One delivery id is processed once, also by concurrent retries.
    let key = format!("{principal}/{}", request.lieferung_id);
    if let Err(err) = sqlx::query("SELECT pg_advisory_lock(hashtextextended($1, 0))")
        .bind(&key)
        .execute(&mut *lock)
        .await
    {
        return internal(err);
    }
    let response = idempotent(
        &state,
        &caller,
        &principal,
        &request,
        &request_hash,
        partial,
        dry_run,
    )
    .await;
    let _ = sqlx::query("SELECT pg_advisory_unlock(hashtextextended($1, 0))")
        .bind(&key)
        .execute(&mut *lock)
        .await;
    response
}

async fn idempotent(
    state: &AppState,
    caller: &Caller,
    principal: &str,
    request: &json::JsonDelivery,
    request_hash: &str,
    partial: bool,
    dry_run: bool,
) -> Response {
    // An id whose first delivery was refused as a whole (422, nothing
    // stored) may be sent again with corrected content; a dry run answers
    // as the real call would.
    let earlier: Result<Option<(String, i16, String)>, _> = sqlx::query_as(
        "SELECT request_hash, status, response FROM api_delivery_request WHERE principal = $1 AND lieferung_id = $2",
    )
    .bind(principal)
    .bind(&request.lieferung_id)
    .fetch_optional(&state.pool)
    .await;
    match earlier {
        Err(err) => return internal(err),
        Ok(Some((hash, status, _))) if hash != request_hash && status != 422 => {
            return problem(
                StatusCode::CONFLICT,
                format!(
                    "lieferung_id „{}“ wurde schon mit anderem Inhalt verwendet; für eine neue Lieferung eine neue ID wählen",
                    request.lieferung_id
                ),
            )
        }
        Ok(Some((hash, status, response))) if hash == request_hash && !dry_run => {
            let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
            return (status, [(header::CONTENT_TYPE, "application/json")], response).into_response();
        }
        Ok(_) => {}
    }

    let meta = DeliveryMeta {
        refused_before: request.rejected,
        ..meta(caller, Channel::Api, None, Some(&request.lieferung_id))
    };
    let mode = if partial { Mode::Partial } else { Mode::Atomic };
    // Values of the wrong JSON type never reach the validator; in atomic
    // mode they still mean that nothing is stored.
    let store_nothing = dry_run || (!partial && !request.structural.is_empty());
    let mut outcome = match deliver(
        &state.pool,
        &meta,
        request.records.clone(),
        KeyRepair::Exact,
        mode,
        store_nothing,
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(err) => return internal(err),
    };
    for message in &mut outcome.messages {
        request.point(message);
    }
    let (status, mut answer) = Answer::new(
        &outcome,
        request.structural.clone(),
        partial,
        dry_run,
        |line| request.pointer_of(line),
    );
    answer.lieferung_id = Some(request.lieferung_id.clone());
    // Kept as sent, so a retry gets the same bytes.
    let body = match serde_json::to_string(&answer) {
        Ok(body) => body,
        Err(err) => return internal(err),
    };

    if !dry_run {
        let stored = sqlx::query(
            "INSERT INTO api_delivery_request (principal, lieferung_id, request_hash, status, response, delivery_id)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (principal, lieferung_id) DO UPDATE
             SET request_hash = EXCLUDED.request_hash, status = EXCLUDED.status,
                 response = EXCLUDED.response, delivery_id = EXCLUDED.delivery_id, created_at = now()
             WHERE api_delivery_request.status = 422",
        )
        .bind(principal)
        .bind(&request.lieferung_id)
        .bind(request_hash)
        .bind(status as i16)
        .bind(&body)
        .bind(outcome.delivery_id)
        .execute(&state.pool)
        .await;
        if let Err(err) = stored {
            return internal(err);
        }
    }
    (
        code(status),
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

pub(super) fn code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Delivers a counts file: CSV (UTF-8 or Windows-1252; `;`, `,` or tab) or
/// .xlsx, as the request body or as the field `datei` of a multipart form.
/// Findings name line and column.
///
/// A file to store is saved first (its original is kept for the delivery
/// history) and runs as a job `auftrag-<Nummer>`. A small file is answered
/// at once; a large one (from `ZSK_JOB_ROWS` data rows, default 20,000)
/// with `202 Accepted`, the job's state and, in `abfrage` and `Location`,
/// the URL to ask about once a second until the final answer comes. The
/// same file again while its job waits or runs gets that job (202); after
/// it was stored, and while nothing was delivered since, it is answered
/// with the earlier delivery's number and stored nothing again
/// (`bereits_gespeichert`). A check (`nur_pruefen=true`) always answers at
/// once and keeps nothing.
#[utoipa::path(
    post, path = "/api/v1/lieferungen/datei", tag = "Lieferungen",
    params(DeliveryQuery, ("X-Dateiname" = Option<String>, Header, description = "Name der Datei für die Lieferhistorie")),
    request_body(content = Vec<u8>, content_type = "text/csv", description = "Onlinedienst;Region;Monat;Anzahl"),
    responses(
        (status = 200, body = Answer), (status = 207, body = Answer), (status = 422, body = Answer),
        (status = 202, description = "Große Datei: gespeichert und als Auftrag eingereiht; Zustand abfragen unter `abfrage`", body = JobStatus),
        (status = 401, description = "Token fehlt, unbekannt oder widerrufen"),
        (status = 413, description = "Datei größer als die eingestellte Grenze"),
    ),
    security(("bearer" = []))
)]
pub(super) async fn post_file(
    caller: Caller,
    State(state): State<AppState>,
    Params(query): Params<DeliveryQuery>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let partial = match mode_of(query.modus.as_deref()) {
        Ok(partial) => partial,
        Err(text) => return problem(StatusCode::BAD_REQUEST, text),
    };
    let (file_name, bytes) = match file_from_request(&headers, request, &state).await {
        Ok(file) => file,
        Err(response) => return response,
    };
    let mode = if partial { Mode::Partial } else { Mode::Atomic };
    let channel = if caller.token_id.is_some() {
        Channel::Api
    } else {
        Channel::Csv
    };
    if query.nur_pruefen {
        return check_file(&state, &caller, channel, bytes, partial).await;
    }

    let upload = Upload {
        organisation_id: caller.organisation_id,
        user_id: caller.user_id,
        token_id: caller.token_id,
        channel,
        file_name: file_name.as_deref(),
        bytes: &bytes,
        mode,
    };
    let job_id = match jobs::submit(&state.pool, &upload).await {
        Ok(Submitted::New(id)) => id,
        Ok(Submitted::Pending(id)) => return files::job_accepted(&state, id).await,
        Ok(Submitted::Stored(status, answer)) => {
            return (code(status), Json(answer)).into_response()
        }
        Err(err) => return internal(err),
    };
    let read = counts_file::read_counts(&bytes);
    drop(bytes);
    if read
        .as_ref()
        .is_ok_and(|file| state.jobs.is_large(file.rows.len()))
    {
        state.jobs.spawn(job_id, Some(read));
        return files::job_accepted(&state, job_id).await;
    }
    match jobs::run_to_end(&state.pool, job_id, Some(read)).await {
        Ok(Some((status, body))) => (
            code(status),
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Ok(None) => files::job_accepted(&state, job_id).await,
        Err(err) => internal(err),
    }
}

/// `nur_pruefen=true`: every check at once, nothing kept.
async fn check_file(
    state: &AppState,
    caller: &Caller,
    channel: Channel,
    bytes: Bytes,
    partial: bool,
) -> Response {
    let read = counts_file::read_counts(&bytes);
    drop(bytes);
    let file = match read {
        Ok(file) => file,
        Err(messages) => return unreadable(messages, true),
    };
    let mode = if partial { Mode::Partial } else { Mode::Atomic };
    let meta = DeliveryMeta {
        refused_before: file.refused_lines(),
        ..meta(caller, channel, None, None)
    };
    let outcome = match deliver(
        &state.pool,
        &meta,
        file.rows,
        KeyRepair::LeadingZero,
        mode,
        true,
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(err) => return internal(err),
    };
    let (status, answer) = Answer::new(&outcome, file.refused, partial, true, |_| None);
    (code(status), Json(answer)).into_response()
}

fn unreadable(messages: Vec<Message>, dry_run: bool) -> Response {
    let fehler: Vec<_> = messages.iter().map(Finding::from).collect();
    let status = if dry_run { "FEHLERHAFT" } else { "ABGELEHNT" };
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "status": status, "gespeichert": 0, "fehler": fehler })),
    )
        .into_response()
}

/// The uploaded file's name and bytes; 413 (naming the limit) before any
/// work when the declared size is too large.
pub(super) async fn file_from_request(
    headers: &HeaderMap,
    request: Request,
    state: &AppState,
) -> Result<(Option<String>, Bytes), Response> {
    let limit = state.max_body_bytes;
    let too_large = || {
        problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "Datei zu groß: höchstens {} MB je Lieferung",
                limit / (1024 * 1024)
            ),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let header_name = headers
        .get("x-dateiname")
        .and_then(|v| v.to_str().ok())
        .map(|name| name.chars().take(200).collect::<String>());

    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|_| problem(StatusCode::BAD_REQUEST, "Multipart-Formular nicht lesbar"))?;
        while let Some(field) = multipart.next_field().await.map_err(|_| too_large())? {
            if field.file_name().is_some() || field.name() == Some("datei") {
                let name = field
                    .file_name()
                    .map(|n| n.chars().filter(|c| !c.is_control()).take(200).collect())
                    .or(header_name);
                let bytes = field.bytes().await.map_err(|_| too_large())?;
                return Ok((name, bytes));
            }
        }
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "Kein Dateifeld im Formular (Feld „datei“)",
        ));
    }
    let bytes = Bytes::from_request(request, state)
        .await
        .map_err(|_| too_large())?;
    Ok((header_name, bytes))
}

/// The state of a delivery or of a file job. `{id}` is read as
///
/// - `auftrag-<Nummer>`: a file job (the id of a `202` answer). While it
///   waits or runs: `202` with its phase (`lesen`, `pruefen`,
///   `schreiben`), rows done and total and percent; ask again about once a
///   second. Then: its final answer, with the status the synchronous
///   upload would have had (200, 207, 422).
/// - digits only: the number of a stored delivery (`lieferung` of an answer).
/// - anything else: the client's `lieferung_id` of a JSON delivery.
///
/// Job ids never consist of digits only, so they are never taken for a
/// delivery's number.
#[utoipa::path(
    get, path = "/api/v1/lieferungen/{id}", tag = "Lieferungen",
    params(("id" = String, Path, description = "auftrag-<Nummer> (Datei-Auftrag), Nummer der Lieferung (nur Ziffern) oder lieferung_id")),
    responses(
        (status = 200, description = "Zustand und Zahlen der Lieferung, oder die Antwort des abgeschlossenen Auftrags", body = Answer),
        (status = 202, description = "Auftrag wartet oder läuft", body = JobStatus),
        (status = 207, description = "Auftrag abgeschlossen: teilweise gespeichert", body = Answer),
        (status = 422, description = "Auftrag abgeschlossen: abgelehnt, nichts gespeichert", body = Answer),
        (status = 404, description = "Unbekannt"),
    ),
    security(("bearer" = []))
)]
pub(super) async fn get_delivery(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    if let Some(job_id) = jobs::parse_job_ref(&id) {
        match jobs::view(&state.pool, job_id, caller.organisation_id).await {
            Err(err) => return internal(err),
            Ok(Some(view)) => return files::job_response(view),
            Ok(None) => {}
        }
    }
    let by_client: Result<Option<(i16, String)>, _> =
        sqlx::query_as("SELECT status, response FROM api_delivery_request WHERE principal = $1 AND lieferung_id = $2")
            .bind(caller.principal())
            .bind(&id)
            .fetch_optional(&state.pool)
            .await;
    match by_client {
        Err(err) => return internal(err),
        Ok(Some((_, response))) => {
            let answer: Value = serde_json::from_str(&response).unwrap_or_default();
            return Json(json!({ "zustand": "abgeschlossen", "antwort": answer })).into_response();
        }
        Ok(None) => {}
    }
    let Ok(number) = id.parse::<i64>() else {
        return problem(
            StatusCode::NOT_FOUND,
            format!("Lieferung „{id}“ nicht gefunden"),
        );
    };
    #[allow(clippy::type_complexity)]
    let row: Result<Option<(i64, String, String, Option<String>, i32, i32, i32, i32, i32, bool)>, _> = sqlx::query_as(
        "SELECT id, channel::text, to_char(received_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), external_id,
                received, new_values, corrected, unchanged, rejected,
                file_id IS NOT NULL AND ($2::bigint IS NULL OR organisation_id IS NOT DISTINCT FROM $2)
         FROM delivery WHERE id = $1
           AND ($2::bigint IS NULL OR organisation_id = $2 OR $2 = ANY(organisations))",
    )
    .bind(number)
    .bind(caller.organisation_id)
    .fetch_optional(&state.pool)
    .await;
    match row {
        Err(err) => internal(err),
        Ok(None) => problem(
            StatusCode::NOT_FOUND,
            format!("Lieferung „{id}“ nicht gefunden"),
        ),
        Ok(Some((
            id,
            channel,
            received_at,
            external_id,
            received,
            new,
            corrected,
            unchanged,
            rejected,
            has_file,
        ))) => Json(json!({
            "lieferung": id, "zustand": "abgeschlossen", "weg": channel, "eingang": received_at,
            "lieferung_id": external_id, "empfangen": received, "neu": new, "korrigiert": corrected,
            "unveraendert": unchanged, "fehlerhaft": rejected,
            "datei": has_file.then(|| format!("/api/v1/lieferungen/{id}/datei")),
        }))
        .into_response(),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ValuesQuery {
    /// One online service's ID.
    onlinedienst: Option<String>,
    /// A region key; its whole subtree is returned.
    region: Option<String>,
    /// First month, `JJJJ-MM`.
    von: Option<String>,
    /// Last month, `JJJJ-MM`.
    bis: Option<String>,
}

/// The stored values of the caller's services in the shape of the delivery
/// request, or as a counts CSV with `Accept: text/csv`, so a download
/// uploads again unchanged.
#[utoipa::path(
    get, path = "/api/v1/werte", tag = "Werte",
    params(ValuesQuery),
    responses((status = 200, body = DeliveryRequest), (status = 400, description = "Parameter ungültig")),
    security(("bearer" = []))
)]
pub(super) async fn get_values(
    caller: Caller,
    State(state): State<AppState>,
    Params(query): Params<ValuesQuery>,
    headers: HeaderMap,
) -> Response {
    let month = |text: &Option<String>, name: &str| -> Result<Option<NaiveDate>, String> {
        match text.as_deref().filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => Month::parse(t)
                .map(|m| Some(m.first_day()))
                .map_err(|e| format!("{name}: {e}")),
        }
    };
    let (from, to) = match (month(&query.von, "von"), month(&query.bis, "bis")) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(text), _) | (_, Err(text)) => return problem(StatusCode::BAD_REQUEST, text),
    };
    let region = match query
        .region
        .as_deref()
        .filter(|r| !r.is_empty())
        .map(RegionKey::parse)
    {
        None => None,
        Some(Ok(key)) => Some(key),
        Some(Err(err)) => return problem(StatusCode::BAD_REQUEST, format!("region: {err}")),
    };
    let rows: Result<Vec<(String, String, NaiveDate, i64)>, _> = sqlx::query_as(
        "SELECT t.service_id, t.region_key, t.month, t.count
         FROM transaction_count t JOIN online_service s ON s.id = t.service_id
         WHERE ($1::bigint IS NULL OR s.organisation_id = $1)
           AND ($2::text IS NULL OR t.service_id = $2)
           AND ($3::text IS NULL OR $3 = 'DE' OR t.region_key LIKE $3 || '%')
           AND ($4::date IS NULL OR t.month >= $4)
           AND ($5::date IS NULL OR t.month <= $5)
         ORDER BY t.service_id, t.month, t.region_key
         LIMIT 1000001",
    )
    .bind(caller.organisation_id)
    .bind(query.onlinedienst.as_deref().filter(|s| !s.is_empty()))
    .bind(region.as_ref().map(RegionKey::as_str))
    .bind(from)
    .bind(to)
    .fetch_all(&state.pool)
    .await;
    let rows = match rows {
        Ok(rows) if rows.len() > 1_000_000 => {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Mehr als 1.000.000 Werte: bitte nach Dienst oder Zeitraum eingrenzen",
            )
        }
        Ok(rows) => rows,
        Err(err) => return internal(err),
    };

    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/csv"));
    if wants_csv {
        let mut out = String::from("Onlinedienst;Region;Monat;Anzahl\n");
        for (service, region, month, count) in &rows {
            out.push_str(&format!(
                "{service};{region};{};{count}\n",
                Month::from_date(*month)
            ));
        }
        return ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response();
    }
    let mut services: BTreeMap<String, Vec<CountValue>> = BTreeMap::new();
    for (service, region, month, count) in rows {
        services.entry(service).or_default().push(CountValue {
            region,
            monat: Month::from_date(month).to_string(),
            anzahl: count,
        });
    }
    let dienste = services
        .into_iter()
        .map(|(onlinedienst, werte)| ServiceValues {
            onlinedienst,
            werte,
        })
        .collect();
    // An id derived from the content: the download posts back as it is, and
    // posting it twice is one delivery.
    let digest = Sha256::digest(serde_json::to_vec(&dienste).unwrap_or_default());
    Json(DeliveryRequest {
        lieferung_id: Some(format!("rueckgabe-{}", &hex::encode(digest)[..16])),
        modus: None,
        nur_pruefen: None,
        dienste,
    })
    .into_response()
}

/// Imports a master-data file (`Onlinedienst-ID;Name;LeiKa;OZG-ID;Typ;URL;Betreiber[;Granularität]`),
/// all or nothing. A ZSK-team token may name any organisation as Betreiber
/// (missing ones are created); an organisation's token only its own services.
#[utoipa::path(
    post, path = "/api/v1/stammdaten/datei", tag = "Stammdaten",
    params(DeliveryQuery),
    request_body(content = Vec<u8>, content_type = "text/csv"),
    responses((status = 200, description = "Gespeichert oder geprüft"), (status = 422, description = "Abgelehnt, nichts gespeichert")),
    security(("bearer" = []))
)]
pub(super) async fn post_master_data(
    caller: Caller,
    State(state): State<AppState>,
    Params(query): Params<DeliveryQuery>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    use crate::masterdata::{import_master_data_file, MasterDataError, MasterDataScope};

    let (_, bytes) = match file_from_request(&headers, request, &state).await {
        Ok(file) => file,
        Err(response) => return response,
    };
    let scope = match caller.organisation_id {
        Some(org) => MasterDataScope::Organisation(org),
        None => MasterDataScope::Admin,
    };
    match import_master_data_file(&state.pool, &bytes, scope, query.nur_pruefen).await {
        Ok(summary) => {
            let status = if query.nur_pruefen {
                "GEPRUEFT"
            } else {
                "GESPEICHERT"
            };
            Json(json!({ "status": status, "zusammenfassung": summary.to_string(), "ergebnis": summary })).into_response()
        }
        Err(MasterDataError::Rules(messages)) => unreadable(messages, query.nur_pruefen),
        Err(err) => internal(err),
    }
}
