//! The same-origin proxy: `/api/*` goes to `BACKEND_URL` with bodies streamed both ways and
//! hop-by-hop headers dropped; the session cookie becomes the backend's bearer token; sign-in
//! answers are rewritten so the token lands in the HttpOnly cookie and never in page scripts.
//!
//! CSRF defence, in layers:
//! 1. The cookie is `SameSite=Strict`, so browsers do not attach it to cross-site requests.
//! 2. State-changing requests (anything but GET/HEAD/OPTIONS) are refused when `Sec-Fetch-Site`
//!    says `cross-site`/`same-site` or when `Origin` is present and is not our own origin.
//! 3. With a session, state-changing requests must carry the session's random token in
//!    `X-CSRF-Token` (the synchronizer token lives in the HttpOnly cookie; the page learns it from
//!    the sign-in answer or `GET /api/session`, which another origin cannot read).
//! 4. Sign-in/sign-up have no session yet: they must be `Content-Type: application/json`,
//!    which a cross-site HTML form cannot send.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use serde_json::Value;

use crate::AppState;
use crate::config::backend_target;
use crate::errors::{backend_unavailable, json_error};
use crate::session::{self, Session};

/// Largest request body passed to the backend: todo-api's own limit (its `app::MAX_BODY_BYTES`;
/// the proxy tests pin the two together at the boundary). The proxy enforces it itself, so an
/// oversized body gets a 413 in the API's error shape instead of racing the backend's early close
/// (which the browser would see as a 502).
pub const MAX_REQUEST_BODY_BYTES: usize = 64 * 1024;
/// Largest sign-in/sign-up answer we read from the backend.
const AUTH_RESPONSE_LIMIT: usize = 1024 * 1024;

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus the ones we
/// own: the browser's cookies and credentials never reach the backend (the bearer comes only from
/// the session), and the backend cannot set cookies on our origin.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
];

fn is_hop_by_hop(name: &HeaderName, connection_listed: &[String]) -> bool {
    HOP_BY_HOP.contains(&name.as_str()) || connection_listed.iter().any(|c| c == name.as_str())
}

/// Names listed in `Connection` (those headers are hop-by-hop too).
fn connection_listed(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Request headers to send upstream.
pub fn upstream_request_headers(incoming: &HeaderMap, peer: Option<SocketAddr>) -> HeaderMap {
    let listed = connection_listed(incoming);
    let mut out = HeaderMap::new();
    for (name, value) in incoming {
        if is_hop_by_hop(name, &listed)
            || name == header::COOKIE
            || name == header::AUTHORIZATION
            || name.as_str() == session::CSRF_HEADER
        {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    if let Some(peer) = peer {
        let forwarded_for = match incoming
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        {
            Some(prior) => format!("{prior}, {}", peer.ip()),
            None => peer.ip().to_string(),
        };
        if let Ok(v) = HeaderValue::from_str(&forwarded_for) {
            out.insert("x-forwarded-for", v);
        }
    }
    out
}

/// Response headers to send to the browser.
pub fn downstream_response_headers(upstream: &HeaderMap) -> HeaderMap {
    let listed = connection_listed(upstream);
    let mut out = HeaderMap::new();
    for (name, value) in upstream {
        if is_hop_by_hop(name, &listed) || name == header::SET_COOKIE {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    out
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Origin and fetch-metadata checks (layer 2): why a state-changing request must be refused as cross-origin, if it must.
fn same_origin_violation(headers: &HeaderMap) -> Option<&'static str> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Some("Cross-site request refused.");
    }
    let origin = headers.get(header::ORIGIN)?;
    let origin = origin.to_str().unwrap_or("null");
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(header::HOST))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim);
    match (origin_authority(origin), host) {
        (Some(origin), Some(host)) if same_authority(&origin, host) => None,
        _ => Some("Request from another origin refused."),
    }
}

/// `scheme://host[:port]` → `(host, port)` with the scheme's default port filled in.
fn origin_authority(origin: &str) -> Option<(String, Option<u16>, &'static str)> {
    let (scheme, rest) = origin.split_once("://")?;
    let scheme = match scheme {
        "http" => "http",
        "https" => "https",
        _ => return None,
    };
    let (host, port) = split_host_port(rest)?;
    Some((host, port, scheme))
}

fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    if authority.contains('/') || authority.is_empty() {
        return None;
    }
    // IPv6 literals keep their brackets; the port follows the closing bracket.
    let (host, port) = if let Some(end) = authority.find(']') {
        let (h, p) = authority.split_at(end + 1);
        (h, p.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse().ok()?),
        None => None,
    };
    Some((host.to_ascii_lowercase(), port))
}

fn same_authority(origin: &(String, Option<u16>, &'static str), host: &str) -> bool {
    let Some((host_name, host_port)) = split_host_port(host) else {
        return false;
    };
    let (origin_host, origin_port, scheme) = origin;
    let default = if *scheme == "https" { 443 } else { 80 };
    // Behind a TLS-terminating proxy the Host may carry no port or the other scheme's default,
    // so a missing port on either side matches that side's defaults.
    let op = origin_port.unwrap_or(default);
    let hp = host_port.unwrap_or(default);
    *origin_host == host_name && (op == hp || host_port.is_none() && matches!(op, 80 | 443))
}

fn csrf_refusal(message: &str) -> Response {
    json_error(StatusCode::FORBIDDEN, "csrf_failed", message)
}

fn unauthenticated() -> Response {
    json_error(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "You are not signed in.",
    )
}

fn peer_of(req: &Request) -> Option<SocketAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr)
}

/// Maps a transport error to 502/504 (a page for navigations, JSON for scripts).
fn upstream_error(req_headers: &HeaderMap, err: &reqwest::Error) -> Response {
    let status = if err.is_timeout() {
        StatusCode::GATEWAY_TIMEOUT
    } else {
        StatusCode::BAD_GATEWAY
    };
    tracing::warn!(
        error = %crate::error_chain(err),
        status = status.as_u16(),
        "backend request failed"
    );
    backend_unavailable(req_headers, status)
}

fn body_too_large() -> Response {
    json_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        &format!("The request body is larger than {MAX_REQUEST_BODY_BYTES} bytes."),
    )
}

/// A declared `Content-Length` over the limit: refused before a byte of the body is read.
fn declares_too_large(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > MAX_REQUEST_BODY_BYTES as u64)
}

/// The request body as a stream that counts what passes and breaks off, raising `over`, at the
/// first chunk past the limit (bodies without a `Content-Length` are only known while streaming).
fn limited_stream(
    body: Body,
    over: Arc<AtomicBool>,
) -> impl futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> {
    let mut seen = 0usize;
    body.into_data_stream()
        .map_err(std::io::Error::other)
        .and_then(move |chunk| {
            seen = seen.saturating_add(chunk.len());
            let result = if seen > MAX_REQUEST_BODY_BYTES {
                over.store(true, Ordering::Release);
                Err(std::io::Error::other("request body over the limit"))
            } else {
                Ok(chunk)
            };
            std::future::ready(result)
        })
}

/// `ANY /api/{*rest}`: stream the request to the backend and its answer back.
pub async fn proxy(State(app): State<AppState>, req: Request) -> Response {
    let peer = peer_of(&req);
    let (parts, body) = req.into_parts();
    let session = Session::from_headers(&parts.headers);

    if is_state_changing(&parts.method) {
        if let Some(why) = same_origin_violation(&parts.headers) {
            return csrf_refusal(why);
        }
        if let Some(s) = &session
            && !s.csrf_matches(&parts.headers)
        {
            return csrf_refusal("Missing or wrong X-CSRF-Token header; reload the page.");
        }
    }

    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let url = backend_target(&app.config.backend_url, &path_and_query);
    let mut headers = upstream_request_headers(&parts.headers, peer);
    if let Some(s) = &session
        && let Ok(v) = HeaderValue::from_str(&format!("Bearer {}", s.token))
    {
        headers.insert(header::AUTHORIZATION, v);
    }

    if declares_too_large(&parts.headers) {
        return body_too_large();
    }
    let has_body = parts.headers.contains_key(header::CONTENT_LENGTH)
        || parts.headers.contains_key(header::TRANSFER_ENCODING);
    let mut upstream = app
        .client
        .request(parts.method.clone(), url)
        .headers(headers);
    let over_limit = Arc::new(AtomicBool::new(false));
    if has_body {
        upstream = upstream.body(reqwest::Body::wrap_stream(limited_stream(
            body,
            over_limit.clone(),
        )));
    }

    let sent = upstream.send().await;
    if over_limit.load(Ordering::Acquire) {
        return body_too_large();
    }
    let resp = match sent {
        Ok(resp) => resp,
        Err(err) => return upstream_error(&parts.headers, &err),
    };
    let status = resp.status();
    let mut out_headers = downstream_response_headers(resp.headers());
    if status == StatusCode::UNAUTHORIZED && session.is_some() {
        // The backend no longer accepts the token (expired, secret rotated): drop the cookie so
        // the page falls back to the sign-in form.
        out_headers.append(
            header::SET_COOKIE,
            session::clear_cookie(app.config.cookie_secure, &parts.headers),
        );
    }
    let stream = resp.bytes_stream().inspect_err(|err| {
        tracing::warn!(error = %err, "backend response body broke off");
    });
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    *response.headers_mut() = out_headers;
    response
}

/// Which sign-in route.
#[derive(Debug, Clone, Copy)]
pub enum AuthKind {
    /// `POST /api/auth/login`
    Login,
    /// `POST /api/auth/register`
    Register,
}

impl AuthKind {
    fn path(self) -> &'static str {
        match self {
            Self::Login => "/api/auth/login",
            Self::Register => "/api/auth/register",
        }
    }
}

/// `POST /api/auth/login`, `POST /api/auth/register`: forward, and on success keep the token in
/// the session cookie and answer `{user_id, csrf_token, ...}` without it.
pub async fn auth(app: AppState, kind: AuthKind, req: Request) -> Response {
    let peer = peer_of(&req);
    let (parts, body) = req.into_parts();
    if let Some(why) = same_origin_violation(&parts.headers) {
        return csrf_refusal(why);
    }
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !is_json {
        return json_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the form as JSON (Content-Type: application/json).",
        );
    }
    if declares_too_large(&parts.headers) {
        return body_too_large();
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_REQUEST_BODY_BYTES).await else {
        return body_too_large();
    };

    let url = backend_target(&app.config.backend_url, kind.path());
    let mut headers = upstream_request_headers(&parts.headers, peer);
    headers.remove(header::CONTENT_LENGTH);
    let resp = match app
        .client
        .post(url)
        .headers(headers)
        .body(bytes)
        .send()
        .await
    {
        Ok(resp) => resp,
        Err(err) => return upstream_error(&parts.headers, &err),
    };
    let status = resp.status();
    let mut upstream_headers = downstream_response_headers(resp.headers());
    upstream_headers.remove(header::CONTENT_LENGTH);
    let body = match read_limited(resp, AUTH_RESPONSE_LIMIT).await {
        Ok(body) => body,
        Err(err) => return upstream_error(&parts.headers, &err),
    };
    if !status.is_success() {
        // Validation errors, wrong password, e-mail taken: the backend's own message.
        let mut res = Response::new(Body::from(body));
        *res.status_mut() = status;
        *res.headers_mut() = upstream_headers;
        return res;
    }

    let parsed: Option<(Session, serde_json::Map<String, Value>)> =
        serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| match v {
                Value::Object(map) => Some(map),
                _ => None,
            })
            .and_then(|mut map| {
                let token = match map.remove("token")? {
                    Value::String(t) => t,
                    _ => return None,
                };
                let user_id = match map.get("user_id")? {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return None,
                };
                let session = Session::new(user_id, token);
                session.is_well_formed().then_some((session, map))
            });
    let Some((session, mut map)) = parsed else {
        tracing::error!(
            status = status.as_u16(),
            "backend sign-in answer lacks a usable user_id/token"
        );
        return json_error(
            StatusCode::BAD_GATEWAY,
            "bad_gateway",
            "The task service gave an unexpected answer. Please try again.",
        );
    };
    // Any other token-like field the backend may add later must not leak either.
    map.remove("access_token");
    map.remove("refresh_token");
    map.insert("csrf_token".into(), Value::String(session.csrf.clone()));
    let mut res = (status, axum::Json(Value::Object(map))).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session::set_cookie(&session, app.config.cookie_secure, &parts.headers),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn read_limited(resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, reqwest::Error> {
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.try_next().await? {
        if out.len() + chunk.len() > limit {
            break;
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// `GET /api/session`: who is signed in, and the CSRF token the page must echo.
pub async fn session_info(headers: HeaderMap) -> Response {
    match Session::from_headers(&headers) {
        Some(s) => {
            let mut res = axum::Json(serde_json::json!({
                "user_id": s.user_id,
                "csrf_token": s.csrf,
            }))
            .into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        None => unauthenticated(),
    }
}

/// `POST /api/auth/logout`: forget the session (the CSRF rules apply, so another site cannot
/// sign the user out).
pub async fn logout(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(why) = same_origin_violation(&headers) {
        return csrf_refusal(why);
    }
    if let Some(s) = Session::from_headers(&headers)
        && !s.csrf_matches(&headers)
    {
        return csrf_refusal("Missing or wrong X-CSRF-Token header; reload the page.");
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session::clear_cookie(app.config.cookie_secure, &headers),
    );
    res
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(*k, HeaderValue::from_str(v).unwrap());
        }
        m
    }

    #[test]
    fn origin_rules() {
        let check = |pairs: &[(&'static str, &str)], ok: bool| {
            assert_eq!(same_origin_violation(&h(pairs)).is_none(), ok, "{pairs:?}");
        };
        check(&[], true);
        check(&[("host", "localhost:3000")], true);
        check(
            &[
                ("host", "localhost:3000"),
                ("origin", "http://localhost:3000"),
            ],
            true,
        );
        check(
            &[
                ("host", "localhost:3000"),
                ("origin", "http://evil.test:3000"),
            ],
            false,
        );
        check(
            &[
                ("host", "localhost:3000"),
                ("origin", "http://localhost:3001"),
            ],
            false,
        );
        check(&[("host", "localhost:3000"), ("origin", "null")], false);
        check(
            &[
                ("host", "todo.example.com"),
                ("origin", "https://todo.example.com"),
            ],
            true,
        );
        check(
            &[
                ("host", "todo.example.com:443"),
                ("origin", "https://todo.example.com"),
            ],
            true,
        );
        check(
            &[
                ("host", "todo.example.com"),
                ("origin", "https://todo.example.com.evil"),
            ],
            false,
        );
        check(
            &[("host", "[::1]:3000"), ("origin", "http://[::1]:3000")],
            true,
        );
        check(&[("sec-fetch-site", "same-origin")], true);
        check(&[("sec-fetch-site", "none")], true);
        check(&[("sec-fetch-site", "cross-site")], false);
        check(&[("sec-fetch-site", "same-site")], false);
    }

    #[test]
    fn hop_by_hop_and_credentials_are_dropped() {
        let incoming = h(&[
            ("connection", "keep-alive, x-private"),
            ("keep-alive", "timeout=5"),
            ("x-private", "1"),
            ("transfer-encoding", "chunked"),
            ("host", "localhost:3000"),
            ("cookie", "todo_session=secret"),
            ("authorization", "Bearer page-supplied"),
            ("x-csrf-token", "abc"),
            ("content-type", "application/json"),
            ("accept", "application/json"),
        ]);
        let out = upstream_request_headers(&incoming, Some("10.0.0.9:5555".parse().unwrap()));
        let names: Vec<&str> = out.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["content-type", "accept", "x-forwarded-for"]);
        assert_eq!(out["x-forwarded-for"], "10.0.0.9");

        let upstream = h(&[
            ("content-type", "application/json"),
            ("set-cookie", "evil=1"),
            ("connection", "close"),
            ("transfer-encoding", "chunked"),
            ("etag", "\"x\""),
        ]);
        let out = downstream_response_headers(&upstream);
        let names: Vec<&str> = out.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["content-type", "etag"]);
    }
}
