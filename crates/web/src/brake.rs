//! The crisis brake's switch in the web app and the API: a manager turns it on (with a reason)
//! or off; everyone sees it. Every page shows its banner while it is on (`base.html`).

use crate::AppState;
use crate::api::{ErrorBody, body};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::pages::{Lang, PageCaller, act};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use palabre_store::workspace::{Brake, BrakeChange, Role};
use serde::Deserialize;

pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/brake", get(get_brake).post(post_brake))
        .route("/brake", post(form_brake))
}

/// Turn the brake on (a reason is required) or off.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrakeBody {
    pub engaged: bool,
    /// Why (required to turn it on; kept in the audit log).
    pub reason: Option<String>,
    /// Only these channels (`PLATFORM:ID`, the brand's); absent or empty: every channel.
    pub channels: Option<Vec<String>>,
}

/// The brake after the request.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct BrakeReply {
    pub brake: Brake,
    /// `false`: it already was so; nothing changed, nothing was audited.
    pub changed: bool,
}

/// Switches the brake as `caller` (a manager or an admin); tells the engine at once.
pub(crate) async fn switch(
    state: &AppState,
    caller: &Caller,
    engaged: bool,
    reason: Option<String>,
    channels: Vec<String>,
) -> Result<BrakeReply, ApiError> {
    caller.require(Role::Manager)?;
    let channels = channels
        .iter()
        .filter(|c| !c.trim().is_empty())
        .map(|c| state.settings.known_channel(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::Unprocessable)?;
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if engaged && reason.is_none() {
        return Err(ApiError::Unprocessable(
            "say why the brake goes on (a reason is required; it is kept in the audit log)".into(),
        ));
    }
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(ApiError::Unprocessable(
            "the reason is longer than 500 characters".into(),
        ));
    }
    let actor = caller.user.name.clone();
    let change = state
        .pool
        .run(move |ws| ws.set_brake(engaged, reason.as_deref(), &actor, &channels))
        .await?;
    Ok(match change {
        BrakeChange::Changed(brake) => {
            state.engine.brake_changed(&brake);
            BrakeReply {
                brake,
                changed: true,
            }
        }
        BrakeChange::Already(brake) => BrakeReply {
            brake,
            changed: false,
        },
    })
}

#[utoipa::path(get, path = "/api/brake",
    responses((status = 200, body = Brake)))]
async fn get_brake(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Brake>, ApiError> {
    Ok(Json(state.pool.run(|ws| ws.brake()).await?))
}

#[utoipa::path(post, path = "/api/brake", request_body = BrakeBody,
    responses((status = 200, body = BrakeReply), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn post_brake(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    parsed: Result<Json<BrakeBody>, JsonRejection>,
) -> Result<Json<BrakeReply>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    let b = body(parsed)?;
    Ok(Json(
        switch(
            &state,
            &caller,
            b.engaged,
            b.reason,
            b.channels.unwrap_or_default(),
        )
        .await?,
    ))
}

#[derive(Deserialize)]
struct BrakeForm {
    csrf: Option<String>,
    engaged: String,
    reason: Option<String>,
    /// One channel only (empty: every channel).
    channel: Option<String>,
    /// The page to go back to.
    back: Option<String>,
}

async fn form_brake(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Form(f): Form<BrakeForm>,
) -> Response {
    // Back to the page it was switched from (a path of this app only).
    let back = f
        .back
        .filter(|b| b.starts_with('/') && !b.starts_with("//"))
        .unwrap_or_else(|| "/inbox".to_owned());
    let engaged = f.engaged == "true";
    act(&state, &lang, &caller, f.csrf.as_deref(), back, async {
        let channels = f.channel.into_iter().collect();
        switch(&state, &caller, engaged, f.reason, channels)
            .await
            .map(|_| ())
    })
    .await
}
