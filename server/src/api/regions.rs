//! `POST /api/v1/regionen/aenderungen`: the ZSK team loads region key
//! changes (`Schlüssel alt;Name alt;Schlüssel neu;Stichtag`, the file as the
//! request body or the multipart field `datei`), or checks them with
//! `?nur_pruefen=true`. An admin session or an admin token; other tokens and
//! roles are refused with 403, anonymous callers with 401.

use app::delivery::store::Deliverer;
use app::regions::changes::KeyChangeAnswer;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::caller::Caller;
use super::routes::{file_from_request, internal, problem, Params};
use crate::http::AppState;
use crate::regions::{import_changes_file, LoadChannel, LoadMeta};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChangesQuery {
    /// `true`: run every check, show what would change, store nothing.
    #[serde(default)]
    nur_pruefen: bool,
}

/// Loads region key changes into the register, all or nothing (ZSK team).
///
/// The Stichtag is the first day under the new key (`TT.MM.JJJJ` or
/// `JJJJ-MM-TT`); the old key is valid up to the day before, the new key from
/// the Stichtag on; old keys the register lacks are added. Loading the same
/// file again changes nothing (`UNVERAENDERT`). Findings name line, column
/// and value.
#[utoipa::path(
    post, path = "/api/v1/regionen/aenderungen", tag = "Regionen",
    params(ChangesQuery, ("X-Dateiname" = Option<String>, Header, description = "Name der Datei für die Historie")),
    request_body(content = Vec<u8>, content_type = "text/csv", description = "Schlüssel alt;Name alt;Schlüssel neu;Stichtag"),
    responses(
        (status = 200, description = "Gespeichert, geprüft oder schon geladen", body = KeyChangeAnswer),
        (status = 401, description = "Anmeldung oder Token fehlt"),
        (status = 403, description = "Kein Token oder Konto des ZSK-Teams"),
        (status = 413, description = "Datei größer als die eingestellte Grenze"),
        (status = 422, description = "Abgelehnt, nichts gespeichert", body = KeyChangeAnswer),
    ),
    security(("bearer" = []))
)]
pub(super) async fn post_changes(
    caller: Caller,
    State(state): State<AppState>,
    Params(query): Params<ChangesQuery>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    if caller.deliverer != Deliverer::Admin {
        return problem(
            StatusCode::FORBIDDEN,
            "Schlüsseländerungen lädt nur das ZSK-Team.",
        );
    }
    let (file_name, bytes) = match file_from_request(&headers, request, &state).await {
        Ok(file) => file,
        Err(response) => return response,
    };
    let meta = LoadMeta {
        channel: if caller.token_id.is_some() {
            LoadChannel::Api
        } else {
            LoadChannel::Browser
        },
        user_id: caller.user_id,
        token_id: caller.token_id,
        file_name: file_name.as_deref(),
    };
    match import_changes_file(&state.pool, &bytes, meta, query.nur_pruefen).await {
        Ok(summary) => Json(summary.answer()).into_response(),
        Err(err) => match err.answer(query.nur_pruefen) {
            Some(answer) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json::<KeyChangeAnswer>(answer),
            )
                .into_response(),
            None => internal(err),
        },
    }
}
