//! Who is asking: passwords (argon2), sessions in cookies, CSRF tokens, API tokens, the login
//! rate limit, and the [`Caller`] extractor with the scope of what they may see.
//!
//! Session and API tokens are 256-bit random values; the store keeps only their SHA-256, so a
//! copy of the database opens no session. A session carries its own CSRF token, which every
//! state-changing request made with the cookie must repeat (form field `csrf` or header
//! `X-CSRF-Token`); API tokens are not ambient credentials and need none.

use crate::{ApiError, AppState};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use palabre_store::workspace::{Role, Scope, User};
use sha2::Digest;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "palabre_session";
/// The cookie that carries the login form's CSRF token before there is a session.
pub const LOGIN_COOKIE: &str = "palabre_login";

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches the stored argon2 hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash to verify against when the user does not exist, so that a wrong name costs as long
/// as a wrong password (no user enumeration by timing).
pub(crate) fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not a password").unwrap_or_default())
}

/// A readable random password: 20 characters from an unambiguous alphabet (about 110 bits).
/// What `palabre admin create` prints and what the admin page shows, once.
pub fn generated_password() -> Result<String, ApiError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

/// 32 random bytes, hex.
pub fn random_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    Ok(hex(&bytes))
}

/// SHA-256 of a token, hex: what the store keeps.
pub fn token_hash(token: &str) -> String {
    hex(&sha2::Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// Compares secrets in time independent of where they differ.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A cookie's value from the request's headers.
pub(crate) fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure when configured.
pub(crate) fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// How a caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A session cookie, with its CSRF token.
    Session { csrf: String, token_hash: String },
    /// An API token.
    Token,
}

/// The person behind a request, and what they may see.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub scope: Scope,
    pub via: Via,
}

impl Caller {
    /// Refuses a state-changing request made with a session cookie that does not repeat the
    /// session's CSRF token.
    pub fn check_csrf(&self, provided: Option<&str>) -> Result<(), ApiError> {
        match &self.via {
            Via::Token => Ok(()),
            Via::Session { csrf, .. } => match provided {
                Some(p) if same_secret(p, csrf) => Ok(()),
                Some(_) => Err(ApiError::Forbidden(
                    "the CSRF token does not match this session: reload the page".into(),
                )),
                None => Err(ApiError::Forbidden(
                    "a CSRF token is required (form field csrf or header X-CSRF-Token)".into(),
                )),
            },
        }
    }

    /// The session's CSRF token, for forms.
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf, .. } => csrf,
            Via::Token => "",
        }
    }

    /// Refuses anyone below `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.user.role >= role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this needs the {} role",
                role.as_str()
            )))
        }
    }

    /// The CSRF token a request carries in its header.
    pub(crate) fn header_csrf(parts: &axum::http::HeaderMap) -> Option<&str> {
        parts.get("x-csrf-token").and_then(|v| v.to_str().ok())
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let bearer = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| token_hash(t.trim()));
        let session = cookie(parts, SESSION_COOKIE).map(token_hash);
        let key = bearer.clone().or_else(|| session.clone());
        if let Some(hit) = key.as_deref().and_then(|k| state.callers.get(k)) {
            return Ok(hit);
        }
        let found = state
            .pool
            .run(move |ws| {
                let (user, via) = if let Some(hash) = bearer {
                    match ws.api_token_user(&hash)? {
                        Some(user) => (user, Via::Token),
                        None => return Ok(None),
                    }
                } else if let Some(hash) = session {
                    match ws.session(&hash)? {
                        Some(s) => (
                            s.user,
                            Via::Session {
                                csrf: s.csrf,
                                token_hash: hash,
                            },
                        ),
                        None => return Ok(None),
                    }
                } else {
                    return Ok(None);
                };
                let scope = match user.role {
                    Role::Agent => Scope::Teams(ws.team_scopes(&user.teams)?),
                    Role::Manager | Role::Admin => Scope::All,
                };
                Ok(Some(Caller { user, scope, via }))
            })
            .await?;
        let caller = found.ok_or(ApiError::Unauthorized)?;
        if let Some(k) = key {
            state.callers.put(k, caller.clone());
        }
        Ok(caller)
    }
}

/// Who a token or session hash was, for a few seconds: most requests then skip the store to
/// authenticate. Signing out forgets the session at once; a disabled account, a new team or a
/// revoked token takes effect within [`CallerCache::TTL`].
#[derive(Debug, Default)]
pub struct CallerCache {
    entries: Mutex<HashMap<String, (Caller, Instant)>>,
}

impl CallerCache {
    pub const TTL: Duration = Duration::from_secs(5);
    const MAX: usize = 10_000;

    fn get(&self, key: &str) -> Option<Caller> {
        let map = self.entries.lock().ok()?;
        map.get(key)
            .filter(|(_, at)| at.elapsed() < Self::TTL)
            .map(|(c, _)| c.clone())
    }

    fn put(&self, key: String, caller: Caller) {
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= Self::MAX {
                map.retain(|_, (_, at)| at.elapsed() < Self::TTL);
            }
            if map.len() < Self::MAX {
                map.insert(key, (caller, Instant::now()));
            }
        }
    }

    /// Forgets a session or token hash (sign-out).
    pub fn forget(&self, key: &str) {
        if let Ok(mut map) = self.entries.lock() {
            map.remove(key);
        }
    }

    /// Forgets everyone (a revoked API token: the cache is keyed by hashes the revocation
    /// names only by their beginning).
    pub fn clear(&self) {
        if let Ok(mut map) = self.entries.lock() {
            map.clear();
        }
    }
}

/// Failed logins per key (an address, a user name) in a sliding window: past the limit, the
/// key waits, whatever the password. Successful logins do not count.
#[derive(Debug)]
pub(crate) struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
    pub limit: usize,
    pub window: Duration,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter {
            failures: Mutex::new(HashMap::new()),
            limit: 5,
            window: Duration::from_secs(300),
        }
    }
}

impl LoginLimiter {
    /// `Err(seconds to wait)` when any of the keys is over the limit.
    pub fn check(&self, keys: &[&str]) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().map_err(|_| 60u64)?;
        for key in keys {
            if let Some(times) = map.get_mut(*key) {
                times.retain(|t| now.duration_since(*t) < self.window);
                if times.len() >= self.limit
                    && let Some(oldest) = times.first()
                {
                    let wait = self.window.saturating_sub(now.duration_since(*oldest));
                    return Err(wait.as_secs().max(1));
                }
            }
        }
        Ok(())
    }

    pub fn failed(&self, keys: &[&str]) {
        let now = Instant::now();
        if let Ok(mut map) = self.failures.lock() {
            // Bounded: a flood of distinct keys forgets the oldest rather than growing.
            if map.len() > 100_000 {
                map.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < self.window));
            }
            for key in keys {
                map.entry((*key).to_owned()).or_default().push(now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct hors", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash("abc").len(), 64);
        assert_ne!(token_hash(&a), a);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
        assert!(!same_secret("ab", "abc"));
    }

    #[test]
    fn generated_passwords_are_long_random_and_unambiguous() {
        let a = generated_password().unwrap();
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, generated_password().unwrap());
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(!a.contains(['0', 'O', 'l', 'I', '1']));
    }

    #[test]
    fn the_limiter_stops_after_the_limit() {
        let l = LoginLimiter::default();
        for _ in 0..5 {
            assert!(l.check(&["1.2.3.4"]).is_ok());
            l.failed(&["1.2.3.4"]);
        }
        let wait = l.check(&["1.2.3.4"]).unwrap_err();
        assert!(wait > 0 && wait <= 300);
        assert!(l.check(&["5.6.7.8"]).is_ok());
    }
}
