//! Google's OAuth 2.0 for the poller and the sender of one account: a fixed access token, or a
//! refresh token exchanged at `token_url` for access tokens (they last an hour), renewed a
//! minute before they expire and at once after a 401. The poller and the sender share it.

use crate::client::http;
use crate::client::{Secret, SendError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How an account gets its access token.
pub enum Auth {
    Fixed(Secret),
    Refresh {
        agent: ureq::Agent,
        token_url: String,
        client_id: String,
        client_secret: Secret,
        refresh_token: Secret,
        cached: Mutex<Option<(Secret, Instant)>>,
    },
}

impl Auth {
    /// The access token to send now.
    pub fn bearer(&self) -> Result<Secret, SendError> {
        let (agent, token_url, client_id, client_secret, refresh_token, cached) = match self {
            Auth::Fixed(token) => return Ok(token.clone()),
            Auth::Refresh {
                agent,
                token_url,
                client_id,
                client_secret,
                refresh_token,
                cached,
            } => (
                agent,
                token_url,
                client_id,
                client_secret,
                refresh_token,
                cached,
            ),
        };
        if let Ok(guard) = cached.lock()
            && let Some((token, until)) = guard.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let response = agent
            .post(token_url)
            .send_form([
                ("grant_type", "refresh_token"),
                ("client_id", client_id.as_str()),
                ("client_secret", client_secret.expose()),
                ("refresh_token", refresh_token.expose()),
            ])
            .map_err(|e| http::transport("Google OAuth", &e))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .read_to_string()
            .map_err(|e| http::transport("Google OAuth", &e))?;
        if status == 400 || status == 401 {
            // `invalid_grant`: the refresh token was revoked or expired. A person must act.
            return Err(SendError::Auth(format!(
                "Google OAuth: the refresh token was refused ({})",
                http::short(&body)
            )));
        }
        if status != 200 {
            return Err(http::classify(
                status,
                &Default::default(),
                "Google OAuth",
                &body,
            ));
        }
        let value: serde_json::Value =
            serde_json::from_str(&body).map_err(|e| SendError::Retry {
                error: format!("Google OAuth: unreadable answer ({e})"),
                at_ms: None,
            })?;
        let token = value
            .get("access_token")
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| SendError::Retry {
                error: "Google OAuth: no access_token in the answer".into(),
                at_ms: None,
            })?;
        let lasts = value
            .get("expires_in")
            .and_then(|e| e.as_u64())
            .unwrap_or(3600);
        let until = Instant::now() + Duration::from_secs(lasts.saturating_sub(60).max(1));
        let token = Secret::new(token);
        if let Ok(mut guard) = cached.lock() {
            *guard = Some((token.clone(), until));
        }
        Ok(token)
    }

    /// Google refused the token: the next request gets a fresh one.
    pub fn refused(&self) {
        if let Auth::Refresh { cached, .. } = self
            && let Ok(mut guard) = cached.lock()
        {
            *guard = None;
        }
    }
}
