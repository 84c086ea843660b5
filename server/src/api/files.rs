//! File deliveries over HTTP beyond the upload itself: the `202 Accepted`
//! answer of a job and its state while it runs, and the original file of a
//! delivery, byte for byte, for download.

use app::delivery::jobs::{self, JobView};
use app::delivery::JobStatus;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::caller::Caller;
use super::routes::{code, internal, problem};
use crate::http::AppState;

/// A delivery and its original file, if it came as one.
#[derive(sqlx::FromRow)]
struct StoredFile {
    file_name: Option<String>,
    content: Option<Vec<u8>>,
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `202 Accepted` with the job's state and where to ask again.
pub(super) async fn job_accepted(state: &AppState, job_id: i64) -> Response {
    match jobs::pending_status(&state.pool, job_id).await {
        Ok(status) => pending(status),
        Err(err) => internal(err),
    }
}

fn pending(status: JobStatus) -> Response {
    let location = status.abfrage.clone();
    (
        StatusCode::ACCEPTED,
        [
            (header::LOCATION, location),
            (header::RETRY_AFTER, "1".to_owned()),
        ],
        Json(status),
    )
        .into_response()
}

/// A job's state while it waits or runs, else its final answer.
pub(super) fn job_response(view: JobView) -> Response {
    match view {
        JobView::Pending(status) => pending(status),
        JobView::Finished { status, body } => (
            code(status),
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
    }
}

/// The original file of a delivery, byte for byte, under its original
/// name. The ZSK team may fetch every delivery's file, an organisation
/// (its members and tokens) only its own.
#[utoipa::path(
    get, path = "/api/v1/lieferungen/{nummer}/datei", tag = "Lieferungen",
    params(("nummer" = i64, Path, description = "Nummer der Lieferung")),
    responses(
        (status = 200, description = "Die Originaldatei (Content-Disposition mit dem ursprünglichen Namen)", content_type = "application/octet-stream"),
        (status = 401, description = "Anmeldung oder Token fehlt"),
        (status = 403, description = "Rolle ohne Lieferrecht (Leserolle)"),
        (status = 404, description = "Lieferung unbekannt, einer anderen Organisation oder ohne Datei"),
    ),
    security(("bearer" = []))
)]
pub(super) async fn get_file(
    caller: Caller,
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> Response {
    let not_found = || {
        problem(
            StatusCode::NOT_FOUND,
            format!("Lieferung „{number}“ nicht gefunden"),
        )
    };
    let Ok(id) = number.parse::<i64>() else {
        return not_found();
    };
    let row: Result<Option<StoredFile>, _> = sqlx::query_as(
        "SELECT f.file_name, f.content
         FROM delivery d LEFT JOIN delivery_file f ON f.id = d.file_id
         WHERE d.id = $1 AND ($2::bigint IS NULL OR d.organisation_id = $2)",
    )
    .bind(id)
    .bind(caller.organisation_id)
    .fetch_optional(&state.pool)
    .await;
    let (name, bytes) = match row {
        Err(err) => return internal(err),
        Ok(None) => return not_found(),
        Ok(Some(StoredFile { content: None, .. })) => {
            return problem(
                StatusCode::NOT_FOUND,
                format!("Zu Lieferung {id} ist keine Datei gespeichert; nur hochgeladene Dateien werden aufbewahrt"),
            )
        }
        Ok(Some(StoredFile {
            file_name,
            content: Some(bytes),
        })) => (file_name, bytes),
    };
    let is_xlsx = bytes.starts_with(b"PK\x03\x04");
    let name = name.unwrap_or_else(|| {
        let extension = if is_xlsx { "xlsx" } else { "csv" };
        format!("lieferung-{id}.{extension}")
    });
    let content_type = if is_xlsx {
        XLSX
    } else {
        "application/octet-stream"
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition(&name)),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// `attachment` with an ASCII fallback name and the exact name in RFC 5987
/// form; no path, quote or control character reaches the header.
fn disposition(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let fallback: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let fallback = fallback.trim_start_matches('.');
    let fallback = if fallback.is_empty() {
        "lieferung"
    } else {
        fallback
    };
    let encoded: String = base
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::disposition;

    #[test]
    fn names_are_safe_in_the_header() {
        assert_eq!(
            disposition("Lieferung Mai.csv"),
            "attachment; filename=\"Lieferung_Mai.csv\"; filename*=UTF-8''Lieferung%20Mai.csv"
        );
        assert_eq!(
            disposition("../../etc/\"passwd\";x.csv"),
            "attachment; filename=\"_passwd__x.csv\"; filename*=UTF-8''%22passwd%22%3Bx.csv"
        );
        assert_eq!(
            disposition("Übersicht\r\n.xlsx"),
            "attachment; filename=\"_bersicht__.xlsx\"; filename*=UTF-8''%C3%9Cbersicht%0D%0A.xlsx"
        );
        assert_eq!(
            disposition(".."),
            "attachment; filename=\"lieferung\"; filename*=UTF-8''.."
        );
    }
}
