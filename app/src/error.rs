//! The one error type that crosses the server-function boundary. Every
//! variant carries a German message for the user; internals stay in the log.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

use crate::delivery::Message;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Bitte melden Sie sich an.")]
    Unauthenticated,
    #[error("Benutzername oder Passwort ist falsch.")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// Input that breaks a rule; the messages name line, column and value.
    #[error("Die Eingabe enthält Fehler.")]
    Invalid(Vec<Message>),
    #[error("{0}")]
    BadRequest(String),
    #[error("Interner Fehler. Bitte versuchen Sie es später erneut.")]
    Internal,
    /// The request did not reach the server or its answer was unreadable.
    #[error("Verbindungsfehler: {0}")]
    Transport(String),
}

impl AppError {
    pub fn forbidden() -> Self {
        Self::Forbidden("Keine Berechtigung für diese Daten.".to_owned())
    }

    /// The HTTP status the server answers this error with (set by the
    /// server-function route from the error itself).
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthenticated | Self::InvalidCredentials => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::TooManyRequests(_) => 429,
            Self::Invalid(_) => 422,
            Self::BadRequest(_) | Self::Transport(_) => 400,
            Self::Internal => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                Self::BadRequest("Die Anfrage ist unvollständig oder fehlerhaft.".to_owned())
            }
            other => Self::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
mod server {
    use super::AppError;

    impl AppError {
        /// Logs an unexpected failure and hides its details from the client.
        pub fn internal(err: impl std::fmt::Display) -> Self {
            tracing::error!(error = %err, "internal error");
            Self::Internal
        }
    }

    impl From<sqlx::Error> for AppError {
        fn from(err: sqlx::Error) -> Self {
            Self::internal(err)
        }
    }
}
