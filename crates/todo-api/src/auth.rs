//! Accounts and tokens: argon2id password hashes, HS256 tokens signed with `JWT_SECRET`, and the
//! [`CurrentUser`] extractor that guards every `/api/{user_id}/...` route.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::Json;
use axum::extract::{FromRequestParts, RawPathParams, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::{ApiJson, AppState};
use crate::error::{Error, Result};
use crate::text;

/// Signing and verification keys plus the token lifetime.
#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
    verified: Arc<Mutex<HashMap<Box<str>, Verified>>>,
}

/// A token whose signature and claims were checked once: a client sends the same token with
/// every request, and checking it again (two JSON parses and an HMAC) was a tenth of the list
/// route's own CPU. Only the expiry can change its verdict, so that is checked on every use.
#[derive(Clone, Copy)]
struct Verified {
    user: Uuid,
    exp: u64,
}

/// Tokens remembered; past this the memory is emptied and refilled by the tokens in use (a
/// bound on memory, ~250 bytes a token, not a cache policy worth more).
const VERIFIED_TOKENS: usize = 1024;
/// Seconds a token is still accepted after its `exp`, as jsonwebtoken's `leeway`.
const LEEWAY_SECS: u64 = 5;

fn expired() -> Error {
    Error::Unauthorized("the token has expired; sign in again".to_owned())
}

/// The token payload.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id (UUID).
    pub sub: String,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Keys {
    /// Keys from the shared secret.
    pub fn new(secret: &[u8], ttl: Duration) -> Keys {
        Keys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl,
            verified: Arc::default(),
        }
    }

    /// A token for `user` valid for the configured lifetime.
    pub fn issue(&self, user: Uuid) -> Result<String> {
        let now = now_secs();
        self.issue_with(user, now, now + self.ttl.as_secs())
    }

    /// A token with explicit times (tests use it to make expired tokens).
    pub fn issue_with(&self, user: Uuid, iat: u64, exp: u64) -> Result<String> {
        let claims = Claims {
            sub: user.to_string(),
            iat,
            exp,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::Internal(format!("signing a token: {e}")))
    }

    /// The user id in a valid, unexpired token signed with our secret.
    pub fn verify(&self, token: &str) -> Result<Uuid> {
        self.verify_at(token, now_secs())
    }

    /// [`Keys::verify`] with the clock a remembered token's expiry is read against.
    fn verify_at(&self, token: &str, now: u64) -> Result<Uuid> {
        let known = self.remembered().get(token).copied();
        if let Some(Verified { user, exp }) = known {
            return if exp < now.saturating_sub(LEEWAY_SECS) {
                Err(expired())
            } else {
                Ok(user)
            };
        }
        let (user, exp) = self.verify_signed(token)?;
        let mut remembered = self.remembered();
        if remembered.len() >= VERIFIED_TOKENS {
            remembered.clear();
        }
        remembered.insert(token.into(), Verified { user, exp });
        Ok(user)
    }

    fn remembered(&self) -> MutexGuard<'_, HashMap<Box<str>, Verified>> {
        // The map holds only verdicts already reached; a panic elsewhere leaves them valid.
        self.verified.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn verify_signed(&self, token: &str) -> Result<(Uuid, u64)> {
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = LEEWAY_SECS;
        v.set_required_spec_claims(&["exp", "sub"]);
        let data =
            jsonwebtoken::decode::<Claims>(token.as_bytes(), &self.decoding, &v).map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::ExpiredSignature => expired(),
                    _ => Error::Unauthorized("the token is invalid; sign in again".to_owned()),
                }
            })?;
        let user = Uuid::parse_str(&data.claims.sub)
            .map_err(|_| Error::Unauthorized("the token is invalid; sign in again".to_owned()))?;
        Ok((user, data.claims.exp))
    }
}

/// The user id from `Authorization: Bearer <token>`, or 401.
pub fn bearer_user(keys: &Keys, headers: &http::HeaderMap) -> Result<Uuid> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .ok_or_else(|| {
            Error::Unauthorized("missing `Authorization: Bearer <token>` header".to_owned())
        })?
        .to_str()
        .map_err(|_| Error::Unauthorized("malformed Authorization header".to_owned()))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| {
            Error::Unauthorized("the Authorization header must be `Bearer <token>`".to_owned())
        })?;
    keys.verify(token.trim())
}

/// The authenticated caller. Also checks that a `{user_id}` path segment is the token's subject.
#[derive(Debug, Clone, Copy)]
pub struct CurrentUser(pub Uuid);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let user = bearer_user(&state.keys, &parts.headers)?;
        // The raw parameters and the id written on the stack: no map or string is allocated
        // for a check every request makes.
        let params = RawPathParams::from_request_parts(parts, state).await.ok();
        let path_user = params
            .as_ref()
            .and_then(|p| p.iter().find(|(name, _)| *name == "user_id"))
            .map(|(_, value)| value);
        let mut own = [0u8; uuid::fmt::Hyphenated::LENGTH];
        if let Some(path_user) = path_user
            && !path_user.eq_ignore_ascii_case(user.hyphenated().encode_lower(&mut own))
        {
            return Err(Error::Forbidden(
                "the user id in the path is not the signed-in user".to_owned(),
            ));
        }
        Ok(CurrentUser(user))
    }
}

/// Argon2id memory cost in KiB: 46 MiB with one pass is OWASP's first recommended setting
/// (as strong as 19 MiB × 2 passes). Above glibc's 32 MiB dynamic mmap threshold ceiling, the
/// block is always mmapped and returned to the OS after each hash, so the service's RSS falls
/// back to ~10 MiB when idle; with a 19 MiB block glibc keeps every freed block in its
/// per-thread arenas (measured: 10 → 68 MiB after three logins).
pub const ARGON2_MEMORY_KIB: u32 = 47_104;

fn hasher() -> Argon2<'static> {
    let params = argon2::Params::new(ARGON2_MEMORY_KIB, 1, 1, None).unwrap_or_default();
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// Concurrent hashes, so a burst of logins cannot take every core and hundreds of MiB.
fn hash_permits() -> &'static tokio::sync::Semaphore {
    static S: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    S.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cpus.clamp(2, 8))
    })
}

/// Runs a CPU-heavy password job on the blocking pool under the concurrency limit.
async fn hash_job<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let _permit = hash_permits()
        .acquire()
        .await
        .map_err(|e| Error::Internal(format!("hash limiter: {e}")))?;
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| Error::Internal(format!("hash task: {e}")))
}

/// Hashes on the blocking pool: argon2 takes tens of milliseconds of CPU.
pub async fn hash_password(password: String) -> Result<String> {
    hash_job(move || {
        hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
    })
    .await?
}

/// Verifies on the blocking pool; a malformed stored hash counts as a mismatch.
pub async fn verify_password(password: String, hash: String) -> Result<bool> {
    hash_job(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                hasher()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
}

/// A fixed hash to verify against when the email is unknown, so the answer takes as long as
/// for a known email (no account enumeration by timing).
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| {
        hasher()
            .hash_password(b"not-a-real-password")
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Registration body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Email address (case-insensitive, unique).
    #[schema(schema_with = email_schema)]
    pub email: String,
    /// Password, 8–128 characters.
    #[schema(schema_with = password_schema)]
    pub password: String,
    /// Display name, up to 100 characters.
    #[serde(default)]
    #[schema(schema_with = name_schema)]
    pub name: Option<String>,
}

/// Longest email address, in characters.
pub const MAX_EMAIL_CHARS: usize = 254;
/// Password length bounds, in characters.
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=128;
/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

fn email_schema() -> utoipa::openapi::Object {
    text::string_schema(
        "Email address, at most 254 characters: surrounding whitespace is trimmed and case is ignored; `local@domain` with no whitespace or control character, one `@`, and a domain containing a dot that neither starts nor ends with one",
        0,
        MAX_EMAIL_CHARS,
        text::email_pattern(),
        false,
    )
}

fn password_schema() -> utoipa::openapi::Object {
    text::string_schema(
        "Password, 8–128 characters, no control character",
        *PASSWORD_CHARS.start(),
        *PASSWORD_CHARS.end(),
        text::no_control_pattern(),
        false,
    )
}

fn name_schema() -> utoipa::openapi::Object {
    text::string_schema(
        "Display name, up to 100 characters; surrounding whitespace is trimmed, an empty one means none, and no control character",
        0,
        MAX_NAME_CHARS,
        text::plain_pattern(),
        true,
    )
}

/// Login body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Email address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// Answer of register and login.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuthResponse {
    /// The user's id; use it in `/api/{user_id}/...`.
    pub user_id: Uuid,
    /// Bearer token for `Authorization: Bearer <token>`.
    pub token: String,
}

/// Trims and lowercases an address; the length counts the address as sent.
fn normalize_email(raw: &str) -> Result<String> {
    let email = raw.trim().to_lowercase();
    let valid = raw.chars().count() <= MAX_EMAIL_CHARS
        && !email
            .chars()
            .any(|c| text::is_in(&[text::WHITESPACE, text::CONTROL], c))
        && matches!(email.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains('@'));
    if valid {
        Ok(email)
    } else {
        Err(Error::Validation(
            "email: must be a valid address like name@example.com (at most 254 characters)"
                .to_owned(),
        ))
    }
}

fn check_password(pw: &str) -> Result<()> {
    let n = pw.chars().count();
    if !PASSWORD_CHARS.contains(&n) {
        return Err(Error::Validation(
            "password: must be 8 to 128 characters".to_owned(),
        ));
    }
    if pw.chars().any(|c| text::is_in(&[text::CONTROL], c)) {
        return Err(Error::Validation(
            "password: must not contain control characters".to_owned(),
        ));
    }
    Ok(())
}

/// Create an account.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", operation_id = "register",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = AuthResponse),
        (status = 409, description = "Email already registered", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid field", body = crate::error::ErrorBody),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<AuthResponse>)> {
    let email = normalize_email(&req.email)?;
    check_password(&req.password)?;
    // Like the other text fields, the length counts the name as sent, before trimming.
    let name = match req.name.as_deref() {
        None => None,
        Some(raw)
            if raw.chars().count() > MAX_NAME_CHARS
                || raw.trim().chars().any(|c| text::is_in(&[text::CONTROL], c)) =>
        {
            return Err(Error::Validation(format!(
                "name: must be at most {MAX_NAME_CHARS} characters without control characters"
            )));
        }
        Some(raw) => Some(raw.trim())
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
    };
    state.require_ready()?;
    let hash = hash_password(req.password).await?;
    let id = Uuid::new_v4();
    let inserted = sqlx::query(
        "INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO NOTHING",
    )
    .bind(id)
    .bind(&email)
    .bind(&name)
    .bind(&hash);
    let mut conn = state.pool.acquire().await?;
    let inserted = inserted.execute(&mut *conn).await;
    let inserted = conn.check(inserted)?;
    drop(conn);
    if inserted.rows_affected() == 0 {
        return Err(Error::Conflict(
            "email: an account with this email already exists; sign in instead".to_owned(),
        ));
    }
    tracing::info!(user_id = %id, "user registered");
    let token = state.keys.issue(id)?;
    Ok((
        StatusCode::CREATED,
        Json(AuthResponse { user_id: id, token }),
    ))
}

/// Sign in.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = AuthResponse),
        (status = 401, description = "Wrong email or password", body = crate::error::ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<AuthResponse>> {
    let email = req.email.trim().to_lowercase();
    if email.chars().count() > 254 || req.password.chars().count() > 128 {
        return Err(Error::Unauthorized("wrong email or password".to_owned()));
    }
    state.require_ready()?;
    let mut conn = state.pool.acquire().await?;
    let row: Result<Option<(Uuid, String)>, _> =
        sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&mut *conn)
            .await;
    let row = conn.check(row)?;
    // Not held while the password is checked (tens of milliseconds).
    drop(conn);
    let (id, hash) = match row {
        Some(r) => r,
        None => {
            let _ = verify_password(req.password, dummy_hash().to_owned()).await;
            return Err(Error::Unauthorized("wrong email or password".to_owned()));
        }
    };
    if !verify_password(req.password, hash).await? {
        return Err(Error::Unauthorized("wrong email or password".to_owned()));
    }
    let token = state.keys.issue(id)?;
    Ok(Json(AuthResponse { user_id: id, token }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_token_still_expires_and_a_tampered_one_is_still_refused() {
        let keys = Keys::new(
            b"unit-test-secret-unit-test-secret-0001",
            Duration::from_secs(60),
        );
        let user = Uuid::new_v4();
        let now = now_secs();
        let token = keys.issue_with(user, now, now + 100).expect("token");
        assert_eq!(keys.verify_at(&token, now).expect("valid"), user);
        // Now remembered: accepted until exp plus the leeway, then expired.
        assert_eq!(
            keys.verify_at(&token, now + 100 + LEEWAY_SECS)
                .expect("valid"),
            user
        );
        let late = keys.verify_at(&token, now + 101 + LEEWAY_SECS);
        assert!(
            matches!(&late, Err(Error::Unauthorized(m)) if m.contains("expired")),
            "{late:?}"
        );
        // Another signature on the same claims is its own token, and refused.
        let (head, _) = token.rsplit_once('.').expect("three parts");
        let forged = format!("{head}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        assert!(keys.verify_at(&forged, now).is_err());
        let other = Keys::new(
            b"another-secret-another-secret-00000002",
            Duration::from_secs(60),
        );
        assert!(
            other.verify_at(&token, now).is_err(),
            "remembered per key set"
        );
    }
}
