//! The one error type of the crate and its JSON rendering `{"error":{"code","message"}}`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Every failure the service can report; each maps to one HTTP status and a stable `code`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration variable broke its rule; names the variable, never its (secret) value.
    #[error("{var} {rule}")]
    Config {
        /// The environment variable / flag name, e.g. `JWT_SECRET`.
        var: &'static str,
        /// What the value must satisfy.
        rule: String,
    },
    /// The request body or parameters are malformed (400).
    #[error("{0}")]
    BadRequest(String),
    /// A field failed validation (422); the message names the field.
    #[error("{0}")]
    Validation(String),
    /// Missing, expired or tampered token, or wrong credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated, but the path names another user (403).
    #[error("{0}")]
    Forbidden(String),
    /// Not found, or owned by someone else (404).
    #[error("{0}")]
    NotFound(String),
    /// Method not allowed on this path (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The resource already exists (409).
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than the limit (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Wrong or missing `Content-Type` (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The request took longer than the server allows (503).
    #[error("the request took too long and was cancelled")]
    Timeout,
    /// The database is unreachable or not migrated yet (503).
    #[error("{0}")]
    Unavailable(String),
    /// A database failure; the detail is logged, never sent to the client (500).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying the embedded migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other internal failure; logged, not sent (500).
    #[error("internal error: {0}")]
    Internal(String),
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The JSON error envelope every non-2xx API response carries.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error detail.
    pub error: ErrorDetail,
}

/// `code` is stable and machine-readable; `message` is for humans.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `validation_error`.
    pub code: &'static str,
    /// Human-readable explanation naming the field or rule.
    pub message: String,
}

impl Error {
    /// The HTTP status and stable code for this error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Error::Config { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "config_error"),
            Error::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Error::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_error"),
            Error::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Error::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Error::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Error::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Error::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Error::Timeout => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Error::Database(e) if is_unavailable(e) => {
                (StatusCode::SERVICE_UNAVAILABLE, "database_unavailable")
            }
            Error::Database(_) | Error::Migrate(_) | Error::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
            }
        }
    }

    /// The message shown to clients: internal details stay in the logs.
    fn public_message(&self) -> String {
        match self {
            Error::Database(e) if is_unavailable(e) => {
                "the database is unavailable; try again shortly".to_owned()
            }
            Error::Database(_) | Error::Migrate(_) | Error::Internal(_) | Error::Config { .. } => {
                "internal server error".to_owned()
            }
            other => other.to_string(),
        }
    }
}

/// Connection-level failures mean "try later" (503), not a bug (500).
fn is_unavailable(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed
    )
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            tracing::error!(error = %self, code, "request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.public_message(),
            },
        };
        (status, Json(body)).into_response()
    }
}

impl From<JsonRejection> for Error {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                Error::UnsupportedMediaType("expected `Content-Type: application/json`".to_owned())
            }
            JsonRejection::JsonDataError(e) => Error::Validation(e.body_text()),
            JsonRejection::JsonSyntaxError(e) => Error::BadRequest(e.body_text()),
            JsonRejection::BytesRejection(e) => {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Error::PayloadTooLarge(format!(
                        "request body is larger than {} bytes",
                        crate::app::MAX_BODY_BYTES
                    ))
                } else {
                    Error::BadRequest(e.body_text())
                }
            }
            other => Error::BadRequest(other.body_text()),
        }
    }
}

impl From<PathRejection> for Error {
    fn from(r: PathRejection) -> Self {
        // A path segment that cannot be an id cannot name an existing resource.
        Error::NotFound(format!("no such resource: {}", r.body_text()))
    }
}

impl From<QueryRejection> for Error {
    fn from(r: QueryRejection) -> Self {
        Error::BadRequest(r.body_text())
    }
}
