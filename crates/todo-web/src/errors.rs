//! Errors: the crate's error enum, and the error answers the server gives browsers — JSON in the
//! backend's shape (`{"error":{"code","message"}}`) for API calls, a small HTML page when the
//! browser navigated to the URL itself.

use std::net::SocketAddr;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Everything that can stop the server or the health check.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr} (PORT/BIND_ADDR): {source}")]
    Bind {
        /// The address from `BIND_ADDR` and `PORT`.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The HTTP server stopped with an I/O error.
    #[error("HTTP server failed: {0}")]
    Serve(#[source] std::io::Error),
    /// The HTTP client towards the backend could not be built.
    #[error("cannot build the HTTP client for BACKEND_URL: {0}")]
    Client(#[source] reqwest::Error),
    /// `todo-web healthcheck` did not get a 200.
    #[error("health check of {url} failed: {reason}")]
    Healthcheck {
        /// The probed URL.
        url: String,
        /// Status or transport error.
        reason: String,
    },
}

/// The JSON error body, in the backend's shape so the page handles both alike.
pub fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "error": { "code": code, "message": message } });
    (status, axum::Json(body)).into_response()
}

/// Whether the browser navigated here (wants a page) rather than a script calling an API.
pub fn wants_html(headers: &HeaderMap) -> bool {
    if let Some(mode) = headers.get("sec-fetch-mode").and_then(|v| v.to_str().ok()) {
        return mode.eq_ignore_ascii_case("navigate");
    }
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.trim_start().starts_with("text/html"))
}

/// A complete, self-contained error page (styled by the app's own stylesheet; no inline CSS, so
/// the Content-Security-Policy holds).
pub fn html_page(status: StatusCode, title: &str, message: &str) -> Response {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Todo Chatbot</title>\
         <link rel=\"stylesheet\" href=\"/assets/app.css\"></head>\
         <body class=\"error-page\"><main class=\"card error-card\">\
         <p class=\"error-code\">{code}</p><h1>{title}</h1><p>{message}</p>\
         <p><a class=\"button primary\" href=\"/\">Back to your tasks</a></p>\
         </main></body></html>\n",
        code = status.as_u16(),
    );
    let mut res = (status, page).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Backend unreachable or timed out: a page for navigations, JSON for scripts.
pub fn backend_unavailable(req: &HeaderMap, status: StatusCode) -> Response {
    let (code, message) = if status == StatusCode::GATEWAY_TIMEOUT {
        (
            "backend_timeout",
            "The task service took too long to answer. Please try again.",
        )
    } else {
        (
            "backend_unavailable",
            "The task service is unavailable right now. Please try again in a moment.",
        )
    };
    if wants_html(req) {
        html_page(status, "Service unavailable", message)
    } else {
        json_error(status, code, message)
    }
}

/// Unknown path: a page for navigations, JSON otherwise.
pub fn not_found(req: &HeaderMap) -> Response {
    if wants_html(req) {
        html_page(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is nothing at this address.",
        )
    } else {
        json_error(StatusCode::NOT_FOUND, "not_found", "No such resource.")
    }
}
