//! `/webhooks/{account}`: the platforms' doors. No session and no CSRF token here: the
//! platform's signature is the authentication, checked by the engine before anything is stored.
//!
//! ```text
//! GET  ─► Engine::webhook_challenge (Meta hub.challenge, X crc_token) ─► its answer
//! POST ─► body ≤ 1 MiB (else 413) ─► Engine::webhook_delivery: signature (else 401) ─► durable
//!         queue ─► 200 at once; the ingest thread runs the queue through the pipeline after
//! ```

use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// Largest delivery taken; a bigger one gets 413 and nothing is stored.
pub const MAX_WEBHOOK_BODY: usize = 1024 * 1024;

/// An answer the engine gives to a webhook request itself (a verification handshake).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookReply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// Why a delivery was not queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookError {
    /// No configured account has this name or it takes no webhooks.
    UnknownAccount,
    /// The signature is missing or wrong: the reason, for the log (the platform gets a bare 401).
    BadSignature(String),
    /// The queue could not be written: the platform should deliver again later.
    Failed(String),
}

pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(
        "/webhooks/{account}",
        get(challenge)
            .post(delivery)
            .layer(DefaultBodyLimit::max(MAX_WEBHOOK_BODY)),
    )
}

#[utoipa::path(get, path = "/webhooks/{account}", tag = "webhooks",
    params(("account" = String, Path, description = "The account's name in [[accounts]]"),
           ("hub.mode" = Option<String>, Query, description = "Meta: `subscribe`"),
           ("hub.verify_token" = Option<String>, Query, description = "Meta: the account's verify_token"),
           ("hub.challenge" = Option<String>, Query, description = "Meta: echoed when the token matches"),
           ("crc_token" = Option<String>, Query, description = "X: answered with {\"response_token\":\"sha256=…\"}")),
    responses((status = 200, description = "The platform's challenge, answered"),
              (status = 403, description = "Meta: the verify token does not match"),
              (status = 404, description = "No account of that name takes webhooks")))]
pub(crate) async fn challenge(
    State(state): State<AppState>,
    Path(account): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    match state.engine.webhook_challenge(&account, &query) {
        Some(reply) => {
            if reply.status >= 400 {
                tracing::warn!(account = %account, status = reply.status, "webhook verification refused");
            }
            let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_REQUEST);
            let mut response = (status, reply.body).into_response();
            if let Ok(v) = HeaderValue::from_str(&reply.content_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            response
        }
        None => unknown(&account),
    }
}

#[utoipa::path(post, path = "/webhooks/{account}", tag = "webhooks",
    params(("account" = String, Path, description = "The account's name in [[accounts]]")),
    request_body(content = String, description = "The platform's delivery, signed (Meta: X-Hub-Signature-256; X: x-twitter-webhooks-signature)", content_type = "application/json"),
    responses((status = 200, description = "Queued durably (or already queued: the same delivery is stored once)"),
              (status = 401, description = "The signature is missing or wrong; nothing was stored"),
              (status = 404, description = "No account of that name takes webhooks"),
              (status = 413, description = "The body is larger than 1 MiB; nothing was stored"),
              (status = 500, description = "The queue could not be written; deliver again later")))]
pub(crate) async fn delivery(
    State(state): State<AppState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(account = %account, status = e.status().as_u16(), error = %e.body_text(), "webhook delivery refused");
            return (e.status(), e.body_text()).into_response();
        }
    };
    let engine = state.engine.clone();
    let name = account.clone();
    let result =
        tokio::task::spawn_blocking(move || engine.webhook_delivery(&name, &headers, &body)).await;
    match result {
        Ok(Ok(new)) => {
            tracing::debug!(account = %account, new, "webhook delivery queued");
            (StatusCode::OK, "ok").into_response()
        }
        Ok(Err(WebhookError::UnknownAccount)) => unknown(&account),
        Ok(Err(WebhookError::BadSignature(reason))) => {
            tracing::warn!(account = %account, reason = %reason, "webhook delivery refused: bad signature; nothing stored");
            (StatusCode::UNAUTHORIZED, "bad signature").into_response()
        }
        Ok(Err(WebhookError::Failed(error))) => {
            tracing::error!(account = %account, error = %error, "cannot queue a webhook delivery");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot store the delivery",
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(account = %account, error = %e, "webhook task failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot store the delivery",
            )
                .into_response()
        }
    }
}

fn unknown(account: &str) -> Response {
    tracing::warn!(account, "webhook for an account that takes none");
    (StatusCode::NOT_FOUND, "no such webhook").into_response()
}
