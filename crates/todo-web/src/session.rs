//! The browser session: one HttpOnly, SameSite=Strict cookie that holds the backend's bearer
//! token (so page scripts never see it), the user id (so the page can find its own routes after
//! a reload) and a CSRF token (which the page learns from `/api/session` or the login answer and
//! echoes in the `X-CSRF-Token` header of every state-changing request).

use axum::http::{HeaderMap, HeaderValue, header};

use crate::config::CookieSecure;

/// Name of the session cookie.
pub const COOKIE_NAME: &str = "todo_session";

/// Header in which the page echoes the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Version prefix of the cookie value, so a future format change reads old cookies as absent
/// instead of misparsing them.
const VERSION: &str = "v1";

/// A signed-in browser session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The backend's user id (UUID or number, as the backend chose).
    pub user_id: String,
    /// Per-session random CSRF token (64 hex characters).
    pub csrf: String,
    /// The backend's bearer token.
    pub token: String,
}

impl Session {
    /// A new session for `user_id` and `token` with a fresh random CSRF token.
    pub fn new(user_id: String, token: String) -> Self {
        Self {
            user_id,
            csrf: new_csrf_token(),
            token,
        }
    }

    /// The cookie value: `v1:<user_id>:<csrf>:<token>`. Every part is checked to hold only
    /// cookie-safe characters without `:` (JWTs are base64url and dots).
    pub fn encode(&self) -> String {
        format!("{VERSION}:{}:{}:{}", self.user_id, self.csrf, self.token)
    }

    /// Reads a cookie value; `None` for anything malformed (treated as signed out).
    pub fn decode(value: &str) -> Option<Self> {
        let mut parts = value.splitn(4, ':');
        if parts.next()? != VERSION {
            return None;
        }
        let user_id = parts.next()?;
        let csrf = parts.next()?;
        let token = parts.next()?;
        let session = Self {
            user_id: user_id.to_owned(),
            csrf: csrf.to_owned(),
            token: token.to_owned(),
        };
        session.is_well_formed().then_some(session)
    }

    /// Whether every part has the shape we issue; the token and user id come from the backend,
    /// so this also keeps a surprising backend answer out of the cookie header.
    pub fn is_well_formed(&self) -> bool {
        valid_user_id(&self.user_id)
            && self.csrf.len() == 64
            && self.csrf.bytes().all(|b| b.is_ascii_hexdigit())
            && !self.token.is_empty()
            && self.token.len() <= 3500
            && self.token.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'=' | b'+' | b'/')
            })
    }

    /// Finds the session cookie in request headers.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        cookie_value(headers, COOKIE_NAME).and_then(|v| Self::decode(&v))
    }

    /// Whether the request's `X-CSRF-Token` header matches this session's token.
    pub fn csrf_matches(&self, headers: &HeaderMap) -> bool {
        headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|given| constant_time_eq(given.as_bytes(), self.csrf.as_bytes()))
    }
}

/// A user id fit for a URL path segment and the cookie: 1–64 of `[A-Za-z0-9_-]`.
pub fn valid_user_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// 256 random bits from the OS CSPRNG (via UUID v4's generator), hex encoded.
fn new_csrf_token() -> String {
    let a = uuid::Uuid::new_v4();
    let b = uuid::Uuid::new_v4();
    format!("{}{}", a.simple(), b.simple())
}

/// Compares without an early exit so the time taken does not reveal how much matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name` across all `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
}

/// Whether the request came to the outside world over TLS, as reported by a TLS-terminating
/// proxy in front of us (we never terminate TLS ourselves).
pub fn request_is_tls(headers: &HeaderMap) -> bool {
    let forwarded_proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().eq_ignore_ascii_case("https"));
    if let Some(tls) = forwarded_proto {
        return tls;
    }
    headers
        .get(header::FORWARDED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|first| {
            first.split(';').any(|kv| {
                kv.trim().split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("proto")
                        && v.trim().trim_matches('"').eq_ignore_ascii_case("https")
                })
            })
        })
}

fn secure_attr(policy: CookieSecure, headers: &HeaderMap) -> bool {
    match policy {
        CookieSecure::True => true,
        CookieSecure::False => false,
        CookieSecure::Auto => request_is_tls(headers),
    }
}

/// `Set-Cookie` value establishing `session`. No `Max-Age`: the cookie lives for the browser
/// session, and the backend token's own expiry decides when the user must sign in again.
pub fn set_cookie(session: &Session, policy: CookieSecure, req_headers: &HeaderMap) -> HeaderValue {
    let secure = if secure_attr(policy, req_headers) {
        "; Secure"
    } else {
        ""
    };
    let value = format!(
        "{COOKIE_NAME}={}; Path=/; HttpOnly; SameSite=Strict{secure}",
        session.encode()
    );
    // Every part was checked by `is_well_formed`, so this cannot fail; fall back to a clearing
    // cookie rather than panic if that invariant is ever broken.
    HeaderValue::from_str(&value).unwrap_or_else(|_| clear_cookie(policy, req_headers))
}

/// `Set-Cookie` value removing the session.
pub fn clear_cookie(policy: CookieSecure, req_headers: &HeaderMap) -> HeaderValue {
    let secure = if secure_attr(policy, req_headers) {
        "; Secure"
    } else {
        ""
    };
    let value = format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}");
    HeaderValue::from_str(&value)
        .unwrap_or(HeaderValue::from_static("todo_session=; Path=/; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn session_round_trips_and_rejects_garbage() {
        let s = Session::new(
            "3f1c9a1e-0000-4000-8000-000000000001".into(),
            "aaa.bbb-_.ccc".into(),
        );
        assert_eq!(Session::decode(&s.encode()), Some(s.clone()));
        let check = |value: &str| assert_eq!(Session::decode(value), None, "{value}");
        check("");
        check("v2:1:00:tok");
        check(&format!("v1:bad/id:{}:tok", s.csrf));
        check(&format!("v1:1:{}:", s.csrf));
        check("v1:1:short:tok");
        check(&format!("v1:1:{}:to;k", s.csrf));
    }

    #[test]
    fn csrf_comparison() {
        let s = Session::new("7".into(), "t".into());
        assert!(s.csrf_matches(&headers(&[("x-csrf-token", &s.csrf)])));
        assert!(!s.csrf_matches(&headers(&[])));
        assert!(!s.csrf_matches(&headers(&[("x-csrf-token", "0")])));
        let mut wrong = s.csrf.clone();
        wrong.replace_range(0..1, if wrong.starts_with('0') { "1" } else { "0" });
        assert!(!s.csrf_matches(&headers(&[("x-csrf-token", &wrong)])));
    }

    #[test]
    fn cookie_lookup_across_headers() {
        let h = headers(&[("cookie", "a=1; b=2"), ("cookie", "todo_session=xyz")]);
        assert_eq!(cookie_value(&h, "b").as_deref(), Some("2"));
        assert_eq!(cookie_value(&h, COOKIE_NAME).as_deref(), Some("xyz"));
        assert_eq!(cookie_value(&h, "c"), None);
    }

    #[test]
    fn tls_detection() {
        let check = |pairs: &[(&'static str, &str)], want: bool| {
            assert_eq!(request_is_tls(&headers(pairs)), want, "{pairs:?}");
        };
        check(&[], false);
        check(&[("x-forwarded-proto", "https")], true);
        check(&[("x-forwarded-proto", "http")], false);
        check(&[("x-forwarded-proto", "https, http")], true);
        check(&[("forwarded", "for=1.2.3.4;proto=https")], true);
        check(&[("forwarded", "proto=http")], false);
    }

    #[test]
    fn cookie_attributes() {
        let s = Session::new("1".into(), "tok".into());
        let plain = set_cookie(&s, CookieSecure::Auto, &HeaderMap::new());
        let plain = plain.to_str().unwrap();
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict"));
        assert!(!plain.contains("Secure;") && !plain.ends_with("Secure"));
        let tls = set_cookie(
            &s,
            CookieSecure::Auto,
            &headers(&[("x-forwarded-proto", "https")]),
        );
        assert!(tls.to_str().unwrap().ends_with("; Secure"));
        let forced = set_cookie(&s, CookieSecure::True, &HeaderMap::new());
        assert!(forced.to_str().unwrap().ends_with("; Secure"));
        let never = set_cookie(
            &s,
            CookieSecure::False,
            &headers(&[("x-forwarded-proto", "https")]),
        );
        assert!(!never.to_str().unwrap().contains("Secure"));
        assert!(
            clear_cookie(CookieSecure::False, &HeaderMap::new())
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }
}
