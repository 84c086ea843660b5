//! Who calls the API: a bearer token (of an organisation or the ZSK team) or,
//! for the browser's file upload, the logged-in submitter or ZSK team member.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use app::auth::Role;
use app::delivery::store::Deliverer;

use crate::http::AppState;

/// An authenticated API caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub deliverer: Deliverer,
    pub organisation_id: Option<i64>,
    pub token_id: Option<i64>,
    pub user_id: Option<i64>,
}

impl Caller {
    /// The id space of the client's delivery ids.
    pub fn principal(&self) -> String {
        match self.organisation_id {
            Some(org) => format!("org:{org}"),
            None => "zsk".to_owned(),
        }
    }
}

pub struct Refusal(StatusCode, &'static str);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = (
            self.0,
            Json(json!({ "status": "ABGELEHNT", "meldung": self.1 })),
        )
            .into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                "Bearer".parse().expect("static header"),
            );
        }
        response
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let internal = |_| Refusal(StatusCode::INTERNAL_SERVER_ERROR, "Interner Fehler.");
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, token)| token)
                .ok_or(Refusal(
                    StatusCode::UNAUTHORIZED,
                    "Authorization: Bearer <Token> erwartet.",
                ))?;
            let principal = app::tokens::server::authenticate(&state.pool, token)
                .await
                .map_err(internal)?
                .ok_or(Refusal(
                    StatusCode::UNAUTHORIZED,
                    "Token unbekannt oder widerrufen.",
                ))?;
            return Ok(Self {
                deliverer: match principal.organisation_id {
                    Some(org) => Deliverer::Organisation(org),
                    None => Deliverer::Admin,
                },
                organisation_id: principal.organisation_id,
                token_id: Some(principal.token_id),
                user_id: None,
            });
        }

        let session = tower_sessions::Session::from_request_parts(parts, state)
            .await
            .map_err(|_| {
                Refusal(
                    StatusCode::UNAUTHORIZED,
                    "Anmeldung oder Token erforderlich.",
                )
            })?;
        let user_id: Option<i64> = session
            .get(app::auth::server::SESSION_USER_KEY)
            .await
            .ok()
            .flatten();
        let Some(user_id) = user_id else {
            return Err(Refusal(
                StatusCode::UNAUTHORIZED,
                "Anmeldung oder Token erforderlich.",
            ));
        };
        let user = app::auth::server::load_user(&state.pool, user_id)
            .await
            .map_err(internal)?
            .ok_or(Refusal(
                StatusCode::UNAUTHORIZED,
                "Anmeldung oder Token erforderlich.",
            ))?;
        let deliverer = match (user.role, user.organisation_id) {
            (Role::Admin, _) => Deliverer::Admin,
            (Role::Submitter, Some(org)) => Deliverer::Organisation(org),
            _ => {
                return Err(Refusal(
                    StatusCode::FORBIDDEN,
                    "Keine Berechtigung: die Leserolle liefert und ändert keine Daten.",
                ))
            }
        };
        Ok(Self {
            deliverer,
            organisation_id: user.organisation_id,
            token_id: None,
            user_id: Some(user.id),
        })
    }
}
