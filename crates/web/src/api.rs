//! The JSON API (`/api/…`), its OpenAPI document, `/healthz`, and the actions shared with the
//! pages: every state change goes through one function here, whichever door it came in by.

use crate::auth::Caller;
use crate::error::rejection;
use crate::live::Audience;
use crate::{ApiError, AppState, LiveEvent};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use palabre_core::{ConversationStatus, Platform};
use palabre_store::workspace::{
    ConnectorState, ConnectorStatus, ConversationView, DraftItem, InboxFilter, InboxRow, NewAction,
    OutboxItem, OutboxStatus, ReviewOutcome, Role, Scope,
};
use serde::Deserialize;
use utoipa::OpenApi;

/// The API's routes.
pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi))
        .route("/api/me", get(me))
        .route("/api/conversations", get(list_conversations))
        .route("/api/conversations/{id}", get(get_conversation))
        .route("/api/conversations/{id}/replies", post(post_reply))
        .route("/api/conversations/{id}/notes", post(post_note))
        .route("/api/conversations/{id}/assignment", post(post_assignment))
        .route("/api/conversations/{id}/status", post(post_status))
        .route("/api/conversations/{id}/bot", post(post_bot))
        .route("/api/conversations/{id}/presence", post(post_presence))
        .route("/api/drafts", get(list_drafts))
        .route("/api/drafts/{platform}/{id}/review", post(post_review))
        .route("/api/outbox", get(list_outbox))
        .route("/api/outbox/waiting", get(list_waiting))
        .route("/api/connectors", get(list_connectors))
        .route("/api/channels", get(list_channels))
        .route("/api/reports/reviews", get(review_report))
        .route("/api/events", post(post_events))
        .route("/api/stream", get(stream))
        .route("/api/sandbox/posts", get(sandbox_posts))
        .route("/api/moderation", get(list_moderation))
        .route(
            "/api/moderation/{platform}/{id}/{action}",
            post(post_moderation),
        )
}

/// The OpenAPI document, generated from the handlers below.
#[derive(OpenApi)]
#[openapi(
    modifiers(&CommonResponses),
    info(
        title = "Palabre",
        description = "The community managers' workspace: inbox, replies through the outbox, drafts, assignment."
    ),
    paths(
        healthz,
        openapi,
        me,
        list_conversations,
        get_conversation,
        post_reply,
        post_note,
        post_assignment,
        post_status,
        post_bot,
        post_presence,
        list_drafts,
        post_review,
        list_outbox,
        list_waiting,
        crate::metrics::metrics,
        list_connectors,
        list_channels,
        review_report,
        list_moderation,
        post_moderation,
        post_events,
        stream,
        sandbox_posts,
        crate::webhooks::challenge,
        crate::webhooks::delivery,
        crate::admin::list_users,
        crate::admin::list_teams,
        crate::admin::post_user,
        crate::admin::post_password,
        crate::admin::post_access,
        crate::admin::post_token,
        crate::admin::post_disabled,
        crate::admin::list_tokens,
        crate::admin::post_revoke_token,
        crate::admin::post_team,
        crate::brake::get_brake,
        crate::brake::post_brake,
        crate::posts::list_posts,
        crate::posts::post_post,
        crate::posts::get_post,
        crate::posts::patch_post,
        crate::posts::post_step,
        crate::posts::post_release_all,
        crate::posts::get_best_times,
        crate::post_images::post_image,
        crate::post_images::get_image,
        crate::post_images::patch_image,
        crate::post_images::delete_image
    ),
    components(schemas(
        crate::ChannelInfo,
        InboxRow,
        ConversationView,
        DraftItem,
        OutboxItem,
        OutboxStatus,
        palabre_store::workspace::Waiting,
        ConnectorState,
        ConnectorStatus,
        ReplyBody,
        NoteBody,
        AssignBody,
        StatusBody,
        BotBody,
        ReviewBody,
        ModerateBody,
        PresenceReply,
        Accepted,
        ErrorBody,
        palabre_store::workspace::MessageView,
        palabre_store::workspace::NoteView,
        palabre_store::workspace::User,
        palabre_store::workspace::Role,
        palabre_store::workspace::Team,
        palabre_store::workspace::ApiToken,
        palabre_store::workspace::TeamScope,
        crate::admin::NewUserBody,
        crate::admin::AccessBody,
        crate::admin::TeamBody,
        crate::admin::TokenBody,
        crate::admin::DisabledBody,
        crate::admin::Secret,
        palabre_store::workspace::Brake,
        crate::brake::BrakeBody,
        crate::brake::BrakeReply,
        palabre_store::workspace::Post,
        palabre_store::workspace::PostStatus,
        crate::posts::PostView,
        crate::posts::PostBody,
        crate::posts::EditBody,
        crate::posts::StepBody,
        crate::posts::BestTimes,
        crate::posts::SlotView,
        crate::post_images::AltBody,
        palabre_store::workspace::PostImage
    ))
)]
pub struct ApiDoc;

/// The answers every operation may give besides its own, added to each: 400 for a malformed
/// query or body (a missing `Content-Type: application/json` included), 401 without a session
/// or token, 408 and 413 for a body too slow or too large (`server.rs`), 422 for a body that
/// is not an object or whose values are refused, 500.
struct CommonResponses;

impl utoipa::Modify for CommonResponses {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for (path, item) in doc.paths.paths.iter_mut() {
            let public = path == "/healthz" || path == "/api/openapi.json";
            let webhook = path.starts_with("/webhooks/");
            for operation in [
                item.get.as_mut(),
                item.post.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                let mut add = |code: &str, description: &str| {
                    operation
                        .responses
                        .responses
                        .entry(code.to_owned())
                        .or_insert_with(|| error(description).into());
                };
                add(
                    "500",
                    "Something failed on the server; the message says what",
                );
                if public {
                    continue;
                }
                add(
                    "400",
                    "The query or the body is malformed; the message says how",
                );
                if !webhook {
                    add("401", "Sign in first: a session cookie or an API token");
                }
                if operation.request_body.is_some() {
                    add(
                        "408",
                        "The body did not arrive within [server] body_timeout",
                    );
                    add("413", "The body is larger than 8 MiB");
                    add(
                        "422",
                        "The body is not a JSON object, or its values cannot be taken; the message says which",
                    );
                }
            }
        }
    }
}

/// An error, as every failing endpoint answers.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable snake_case code.
    pub error: String,
    /// What went wrong, for a person.
    pub message: String,
}

/// What an accepted action returns.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Accepted {
    pub ok: bool,
    /// The outbox action created (or found again, for the same idempotency key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbox_id: Option<i64>,
    /// `false` when the same idempotency key was already used: nothing new was queued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<bool>,
}

fn accepted() -> Json<Accepted> {
    Json(Accepted {
        ok: true,
        outbox_id: None,
        created: None,
    })
}

/// The most items a list returns.
const MAX_LIST: usize = 1000;

/// A list's `limit`: 1 to [`MAX_LIST`], `default` when absent.
fn list_limit(raw: Option<usize>, default: usize) -> Result<usize, ApiError> {
    match raw {
        None => Ok(default),
        Some(n @ 1..=MAX_LIST) => Ok(n),
        Some(n) => Err(ApiError::BadRequest(format!(
            "limit {n}: from 1 to {MAX_LIST}"
        ))),
    }
}

pub(crate) fn body<T>(parsed: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    parsed
        .map(|Json(v)| v)
        .map_err(|e| rejection(e.body_text()))
}

#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "The server and its store answer")))]
async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let backend = state.pool.run(|ws| Ok(ws.backend())).await?;
    Ok(Json(serde_json::json!({"status": "ok", "store": backend})))
}

#[utoipa::path(get, path = "/api/openapi.json",
    responses((status = 200, description = "This document (OpenAPI 3.1)")))]
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[utoipa::path(get, path = "/api/me", responses((status = 200, body = palabre_store::workspace::User), (status = 401, body = ErrorBody)))]
async fn me(caller: Caller) -> Json<palabre_store::workspace::User> {
    Json(caller.user)
}

/// Query of the inbox list (also the page's).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// open (default), pending, snoozed, resolved, or all.
    pub status: Option<String>,
    pub queue: Option<String>,
    /// A user name, `me`, or `none`.
    pub assignee: Option<String>,
    /// A team: the queues and channels it works on.
    pub team: Option<String>,
    pub platform: Option<String>,
    /// One of the brand's channels, `PLATFORM:ID` (see `/api/channels`).
    pub channel: Option<String>,
    pub intent: Option<String>,
    pub sentiment: Option<String>,
    /// fr, en, other (named so that it does not clash with the interface's `lang`).
    pub lang_filter: Option<String>,
    /// `1`: only conversations with a draft waiting.
    pub draft: Option<String>,
    /// Words to find.
    pub q: Option<String>,
    /// How many items at most (1 to 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// The interface's language (pages only).
    pub lang: Option<String>,
    /// Pages only: the list alone, for live refresh.
    pub partial: Option<String>,
}

/// The intent labels of DESIGN.md, for filters.
pub(crate) const INTENTS: &[&str] = &[
    "support_request",
    "complaint",
    "question",
    "praise",
    "promotion",
    "life_event",
    "ugc_share",
    "other",
];

fn one_of(field: &str, value: Option<&str>, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match value.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if allowed.contains(&v) => Ok(Some(v.to_owned())),
        Some(v) => Err(ApiError::BadRequest(format!(
            "{field} `{v}` is not one of {}",
            allowed.join(", ")
        ))),
    }
}

/// A free-text parameter: empty means absent; a NUL character (nobody types one, and
/// PostgreSQL refuses it in text) is refused with a reason.
fn free_text(field: &str, value: Option<&str>) -> Result<Option<String>, ApiError> {
    match value.filter(|v| !v.trim().is_empty()) {
        None => Ok(None),
        Some(v) if v.contains('\0') => Err(ApiError::BadRequest(format!(
            "{field} must not contain a NUL character"
        ))),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

pub(crate) fn inbox_filter(
    q: &ListQuery,
    caller: &Caller,
    settings: &crate::Settings,
) -> Result<InboxFilter, ApiError> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => Some("open".to_owned()),
        Some("all") => None,
        Some(s) => one_of(
            "status",
            Some(s),
            &["open", "pending", "snoozed", "resolved"],
        )?,
    };
    let platforms: Vec<&str> = Platform::ALL.iter().map(|p| p.as_str()).collect();
    // The team is resolved against the store by the caller; checked here with the rest.
    free_text("team", q.team.as_deref())?;
    Ok(InboxFilter {
        status,
        queue: free_text("queue", q.queue.as_deref())?,
        assignee: match free_text("assignee", q.assignee.as_deref())?.as_deref() {
            None => None,
            Some("me") => Some(caller.user.name.clone()),
            Some("none") => Some(String::new()),
            Some(a) => Some(a.to_owned()),
        },
        platform: one_of("platform", q.platform.as_deref(), &platforms)?,
        channel: q
            .channel
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| settings.known_channel(c).map_err(ApiError::BadRequest))
            .transpose()?,
        intent: one_of("intent", q.intent.as_deref(), INTENTS)?,
        sentiment: one_of(
            "sentiment",
            q.sentiment.as_deref(),
            &["positive", "negative", "neutral"],
        )?,
        lang: one_of(
            "lang_filter",
            q.lang_filter.as_deref(),
            &["fr", "en", "other"],
        )?,
        has_draft: q.draft.as_deref() == Some("1"),
        text: free_text("q", q.q.as_deref())?,
        team: None,
        limit: list_limit(q.limit, 50)?,
    })
}

#[utoipa::path(get, path = "/api/conversations", params(ListQuery),
    responses((status = 200, body = [InboxRow]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn list_conversations(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<InboxRow>>, ApiError> {
    let Query(q) = query.map_err(|e| rejection(e.body_text()))?;
    let mut filter = inbox_filter(&q, &caller, &state.settings)?;
    let scope = caller.scope.clone();
    let team = q.team.clone().filter(|t| !t.is_empty());
    Ok(Json(
        state
            .pool
            .run(move |ws| {
                if let Some(team) = team {
                    // An unknown team covers nothing.
                    filter.team = Some(ws.team_scopes(&[team])?.pop().unwrap_or_default());
                }
                ws.inbox(&filter, &scope)
            })
            .await?,
    ))
}

/// A conversation the caller may see, or 404 (a conversation outside an agent's teams does not
/// exist for them: its id says nothing).
pub(crate) async fn visible(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<InboxRow, ApiError> {
    let (id, scope) = (id.to_owned(), caller.scope.clone());
    let missing = format!("no conversation `{id}`");
    state
        .pool
        .run(move |ws| ws.conversation_row(&id, &scope))
        .await?
        .ok_or(ApiError::NotFound(missing))
}

#[utoipa::path(get, path = "/api/conversations/{id}", params(("id" = String, Path, description = "Conversation id, e.g. x:1790000000000000101")),
    responses((status = 200, body = ConversationView), (status = 404, body = ErrorBody)))]
async fn get_conversation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ConversationView>, ApiError> {
    let scope = caller.scope.clone();
    let missing = format!("no conversation `{id}`");
    state
        .pool
        .run(move |ws| ws.conversation_view(&id, &scope))
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound(missing))
}

/// A human's reply.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    pub text: String,
    /// Makes a retried request harmless: the same key never queues a second reply.
    pub idempotency_key: Option<String>,
}

/// Sends a human reply into a conversation, through the outbox.
pub(crate) async fn reply(
    state: &AppState,
    caller: &Caller,
    id: &str,
    text: &str,
    key: Option<&str>,
) -> Result<Accepted, ApiError> {
    let row = visible(state, caller, id).await?;
    let platform: Platform = row
        .platform
        .parse()
        .map_err(|_| ApiError::Internal(format!("stored platform `{}`", row.platform)))?;
    let direct = row.id.contains(":dm:");
    let now = jiff::Timestamp::now().as_millisecond();
    crate::rules::check_reply(platform, text, direct, row.last_inbound_ms, now, true).map_err(
        |p| match p {
            crate::rules::ReplyProblem::WindowClosed { .. } => ApiError::Conflict(p.to_string()),
            _ => ApiError::Unprocessable(p.to_string()),
        },
    )?;
    let key = match key.filter(|k| !k.is_empty()) {
        Some(k) if k.len() <= 200 => format!("human:{}:{k}", caller.user.name),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "idempotency key longer than 200 bytes".into(),
            ));
        }
        None => format!(
            "human:{}:{}",
            caller.user.name,
            crate::auth::random_token()?
        ),
    };
    // The message answered: the newest one from someone else than us.
    let (conversation, text_owned, actor) =
        (row.id.clone(), text.to_owned(), caller.user.name.clone());
    let platform_name = row.platform.clone();
    let (outbox_id, created) = state
        .pool
        .run(move |ws| {
            let target = ws
                .conversation_view(&conversation, &Scope::All)?
                .and_then(|v| {
                    v.messages
                        .iter()
                        .rev()
                        .find(|m| m.outcome != "ignored")
                        .map(|m| m.external_id.clone())
                });
            ws.human_reply(&NewAction {
                idem_key: &key,
                action: if direct { "direct" } else { "reply" },
                platform: &platform_name,
                conversation_id: Some(&conversation),
                target_id: target.as_deref(),
                text: Some(&text_owned),
                origin: "human",
                actor: &actor,
                priority: 0,
                campaign: None,
                choices: None,
                channel: None,
            })
        })
        .await?;
    if created {
        state.engine.bot_paused(&row.id, true);
        state.engine.brand_answered(&row.id);
        state.engine.outbox_changed();
        state.live.publish(LiveEvent::changed(&row));
    }
    Ok(Accepted {
        ok: true,
        outbox_id: Some(outbox_id),
        created: Some(created),
    })
}

#[utoipa::path(post, path = "/api/conversations/{id}/replies", request_body = ReplyBody,
    params(("id" = String, Path, description = "Conversation id")),
    responses((status = 200, body = Accepted), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "The platform's messaging window is closed", body = ErrorBody),
              (status = 422, description = "Empty or too long for the platform", body = ErrorBody)))]
async fn post_reply(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    parsed: Result<Json<ReplyBody>, JsonRejection>,
) -> Result<Json<Accepted>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    let b = body(parsed)?;
    let key = b
        .idempotency_key
        .as_deref()
        .or_else(|| headers.get("idempotency-key").and_then(|v| v.to_str().ok()));
    Ok(Json(reply(&state, &caller, &id, &b.text, key).await?))
}

/// An internal note.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    pub text: String,
}

pub(crate) async fn note(
    state: &AppState,
    caller: &Caller,
    id: &str,
    text: &str,
) -> Result<(), ApiError> {
    let row = visible(state, caller, id).await?;
    let text = text.trim().to_owned();
    if text.is_empty() || text.chars().count() > 10_000 {
        return Err(ApiError::Unprocessable(
            "a note has 1 to 10,000 characters".into(),
        ));
    }
    let (cid, author) = (row.id.clone(), caller.user.name.clone());
    state
        .pool
        .run(move |ws| ws.add_note(&cid, &author, &text))
        .await?;
    state.live.publish(LiveEvent::changed(&row));
    Ok(())
}

#[utoipa::path(post, path = "/api/conversations/{id}/notes", request_body = NoteBody,
    params(("id" = String, Path, description = "Conversation id")),
    responses((status = 200, body = Accepted), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_note(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    parsed: Result<Json<NoteBody>, JsonRejection>,
) -> Result<Json<Accepted>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    let b = body(parsed)?;
    note(&state, &caller, &id, &b.text).await?;
    Ok(accepted())
}

/// Who works on the conversation; `null` unassigns.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    pub assignee: Option<String>,
}

pub(crate) async fn assign(
    state: &AppState,
    caller: &Caller,
    id: &str,
    assignee: Option<String>,
) -> Result<(), ApiError> {
    let row = visible(state, caller, id).await?;
    let assignee = assignee.filter(|a| !a.is_empty());
    // Agents take conversations for themselves; managers give them to anyone.
    if assignee.as_deref().is_some_and(|a| a != caller.user.name) {
        caller.require(Role::Manager)?;
    }
    let (cid, actor) = (row.id.clone(), caller.user.name.clone());
    let known = state
        .pool
        .run(move |ws| {
            if let Some(a) = &assignee
                && ws.user_by_name(a)?.is_none()
            {
                return Ok(false);
            }
            ws.assign(&cid, assignee.as_deref(), &actor)
        })
        .await?;
    if !known {
        return Err(ApiError::Unprocessable("no such user".into()));
    }
    state.live.publish(LiveEvent::changed(&row));
    Ok(())
}

#[utoipa::path(post, path = "/api/conversations/{id}/assignment", request_body = AssignBody,
    params(("id" = String, Path, description = "Conversation id")),
    responses((status = 200, body = Accepted), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_assignment(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    parsed: Result<Json<AssignBody>, JsonRejection>,
) -> Result<Json<Accepted>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    let b = body(parsed)?;
    assign(&state, &caller, &id, b.assignee).await?;
    Ok(accepted())
}

/// A new status; `snoozed` needs `snooze_minutes`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// open, pending, snoozed or resolved.
    pub status: String,
    pub snooze_minutes: Option<i64>,
}

pub(crate) async fn set_status(
    state: &AppState,
    caller: &Caller,
    id: &str,
    status: &str,
    snooze_minutes: Option<i64>,
) -> Result<(), ApiError> {
    let row = visible(state, caller, id).await?;
    let status = ConversationStatus::parse(status).ok_or_else(|| {
        ApiError::Unprocessable(format!(
            "status `{status}` is not one of open, pending, snoozed, resolved"
        ))
    })?;
    let until = match (status, snooze_minutes) {
        (ConversationStatus::Snoozed, Some(m)) if (1..=60 * 24 * 90).contains(&m) => {
            Some(jiff::Timestamp::now().as_millisecond() + m * 60_000)
        }
        (ConversationStatus::Snoozed, _) => {
            return Err(ApiError::Unprocessable(
                "snoozed needs snooze_minutes between 1 and 129600 (90 days)".into(),
            ));
        }
        _ => None,
    };
    let (cid, actor) = (row.id.clone(), caller.user.name.clone());
    state
        .pool
        .run(move |ws| ws.set_status(&cid, status, until, &actor))
        .await?;
    state.live.publish(LiveEvent::changed(&row));
    Ok(())
}

#[utoipa::path(post, path = "/api/conversations/{id}/status", request_body = StatusBody,
    params(("id" = String, Path, description = "Conversation id")),
    responses((status = 200, body = Accepted), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_status(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    parsed: Result<Json<StatusBody>, JsonRejection>,
) -> Result<Json<Accepted>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    let b = body(parsed)?;
    set_status(&state, &caller, &id, &b.status, b.snooze_minutes).await?;
    Ok(accepted())
}

/// Take over (`paused: true`: the bot stays out) or give back to the bot.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotBody {
    pub paused: bool,
}

pub(crate) async fn set_bot(
    state: &AppState,
    caller: &Caller,
    id: &str,
    paused: bool,
) -> Result<(), ApiError> {
    let row = visible(state, caller, id).await?;
    let (cid, actor) = (row.id.clone(), caller.user.name.clone());
    state
        .pool
        .run(move |ws| ws.set_bot_paused(&cid, paused, &actor))
        .await?;
    state.engine.bot_paused(&row.id, paused);
    state.live.publish(LiveEvent::changed(&row));
    Ok(())
}

#[utoipa::path(post, path = "/api/conversations/{id}/bot", request_body = BotBody,
    params(("id" = String, Path, description = "Conversation id")),
    responses((status = 200, body = Accepted), (status = 404, body = ErrorBody)))]
async fn post_bot(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    parsed: Result<Json<BotBody>, JsonRejection>,
) -> Result<Json<Accepted>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    let b = body(parsed)?;
    set_bot(&state, &caller, &id, b.paused).await?;
    Ok(accepted())
}

/// Says the caller is looking at the conversation; answers who else is.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PresenceReply {
    /// The others looking at it in the last 90 seconds.
    pub others: Vec<String>,
}

#[utoipa::path(post, path = "/api/conversations/{id}/presence",
    params(("id" = String, Path, description = "Conversation id")),
    responses((status = 200, body = PresenceReply), (status = 404, body = ErrorBody)))]
async fn post_presence(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<PresenceReply>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    let row = visible(&state, &caller, &id).await?;
    let others = state
        .live
        .touch(&row.id, Audience::of_row(&row), &caller.user.name);
    Ok(Json(PresenceReply { others }))
}

/// How many items a list returns.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LimitQuery {
    /// How many items at most (1 to 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/drafts", params(LimitQuery), responses((status = 200, body = [DraftItem])))]
async fn list_drafts(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<LimitQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<DraftItem>>, ApiError> {
    let Query(q) = query.map_err(|e| rejection(e.body_text()))?;
    let scope = caller.scope.clone();
    let limit = list_limit(q.limit, 100)?;
    Ok(Json(
        state
            .pool
            .run(move |ws| ws.pending_drafts(&scope, limit))
            .await?,
    ))
}

/// Approve (optionally edited) or reject, with a reason that feeds the campaign report.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// `approve` or `reject`.
    #[schema(pattern = "^(approve|reject)$")]
    pub verdict: String,
    /// The text to send instead of the draft's.
    pub text: Option<String>,
    pub reason: Option<String>,
}

pub(crate) async fn review(
    state: &AppState,
    caller: &Caller,
    platform: &str,
    external_id: &str,
    b: ReviewBody,
) -> Result<Accepted, ApiError> {
    let approve = match b.verdict.as_str() {
        "approve" => true,
        "reject" => false,
        other => {
            return Err(ApiError::Unprocessable(format!(
                "verdict `{other}` is not approve or reject"
            )));
        }
    };
    let platform_kind: Platform = platform
        .parse()
        .map_err(|_| ApiError::NotFound(format!("no platform `{platform}`")))?;
    // The draft's conversation must be visible to the caller.
    let (p, e) = (platform.to_owned(), external_id.to_owned());
    let conversation = state
        .pool
        .run(move |ws| ws.draft_conversation(&p, &e))
        .await?;
    let row = match &conversation {
        Some(c) => Some(visible(state, caller, c).await?),
        None => None,
    };
    let text = b.text.filter(|t| !t.trim().is_empty());
    if approve && let (Some(t), Some(row)) = (&text, &row) {
        let now = jiff::Timestamp::now().as_millisecond();
        crate::rules::check_reply(
            platform_kind,
            t,
            row.id.contains(":dm:"),
            row.last_inbound_ms,
            now,
            false,
        )
        .map_err(|p| ApiError::Unprocessable(p.to_string()))?;
    }
    let (p, e, reviewer) = (
        platform.to_owned(),
        external_id.to_owned(),
        caller.user.name.clone(),
    );
    let reason = b.reason.filter(|r| !r.trim().is_empty());
    let outcome = state
        .pool
        .run(move |ws| {
            ws.review_draft(
                &p,
                &e,
                approve,
                text.as_deref(),
                reason.as_deref(),
                &reviewer,
                1,
            )
        })
        .await?;
    match outcome {
        ReviewOutcome::Done { outbox_id } => {
            if outbox_id.is_some() {
                state.engine.draft_approved(platform, external_id);
                state.engine.outbox_changed();
            }
            if let Some(row) = &row {
                state.live.publish(LiveEvent::changed(row));
            }
            Ok(Accepted {
                ok: true,
                outbox_id,
                created: Some(outbox_id.is_some()),
            })
        }
        ReviewOutcome::AlreadyReviewed { verdict, by } => Err(ApiError::Conflict(format!(
            "this draft was already reviewed ({verdict}) by {by}"
        ))),
        ReviewOutcome::NotADraft => Err(ApiError::NotFound(format!(
            "no draft {platform}:{external_id}"
        ))),
    }
}

#[utoipa::path(post, path = "/api/drafts/{platform}/{id}/review", request_body = ReviewBody,
    params(("platform" = String, Path, description = "x, mastodon, bluesky, messenger, instagram, generic"),
           ("id" = String, Path, description = "The platform's id of the message the draft answers")),
    responses((status = 200, body = Accepted), (status = 404, body = ErrorBody),
              (status = 409, description = "Someone reviewed it first", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_review(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((platform, id)): Path<(String, String)>,
    parsed: Result<Json<ReviewBody>, JsonRejection>,
) -> Result<Json<Accepted>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    let b = body(parsed)?;
    Ok(Json(review(&state, &caller, &platform, &id, b).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// pending, sending, sent, dead or withdrawn (default dead).
    pub status: Option<String>,
    /// How many items at most (1 to 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/outbox", params(OutboxQuery), responses((status = 200, body = [OutboxItem])))]
async fn list_outbox(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<OutboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<OutboxItem>>, ApiError> {
    caller.require(Role::Manager)?;
    let Query(q) = query.map_err(|e| rejection(e.body_text()))?;
    let status = match q.status.as_deref().unwrap_or("dead") {
        "pending" => OutboxStatus::Pending,
        "sending" => OutboxStatus::Sending,
        "sent" => OutboxStatus::Sent,
        "dead" => OutboxStatus::Dead,
        "withdrawn" => OutboxStatus::Withdrawn,
        other => {
            return Err(ApiError::BadRequest(format!(
                "status `{other}` is not pending, sending, sent, dead or withdrawn"
            )));
        }
    };
    let limit = list_limit(q.limit, 100)?;
    Ok(Json(
        state
            .pool
            .run(move |ws| ws.outbox_with(status, limit))
            .await?,
    ))
}

/// What waits to be sent, by platform and origin: the bot's answers held by a rate limit or
/// the brand's pace, people's replies being retried.
#[utoipa::path(get, path = "/api/outbox/waiting", responses((status = 200, body = [palabre_store::workspace::Waiting])))]
async fn list_waiting(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<palabre_store::workspace::Waiting>>, ApiError> {
    caller.require(Role::Manager)?;
    Ok(Json(state.pool.run(|ws| ws.outbox_waiting()).await?))
}

/// Hide, show again or delete a message under one of our posts, through the outbox.
pub(crate) async fn moderate(
    state: &AppState,
    caller: &Caller,
    platform: &str,
    external_id: &str,
    action: &str,
    nonce: Option<&str>,
) -> Result<(), ApiError> {
    caller.require(Role::Manager)?;
    if !matches!(action, "hide" | "unhide" | "delete") {
        return Err(ApiError::NotFound(format!(
            "no moderation action `{action}`"
        )));
    }
    let key = format!(
        "human:{}:{action}:{platform}:{external_id}:{}",
        caller.user.name,
        nonce.map_or_else(
            || crate::auth::random_token().unwrap_or_default(),
            str::to_owned
        )
    );
    let (p, e, a, actor) = (
        platform.to_owned(),
        external_id.to_owned(),
        action.to_owned(),
        caller.user.name.clone(),
    );
    state
        .pool
        .run(move |ws| {
            ws.enqueue(&palabre_store::workspace::NewAction {
                idem_key: &key,
                action: &a,
                platform: &p,
                conversation_id: None,
                target_id: Some(&e),
                text: None,
                origin: "human",
                actor: &actor,
                priority: 0,
                campaign: None,
                choices: None,
                channel: None,
            })?;
            let target = format!("{p}:{e}");
            ws.audit(&actor, &format!("moderation_{a}"), Some(&target), None)
        })
        .await?;
    state.engine.outbox_changed();
    Ok(())
}

#[utoipa::path(get, path = "/api/moderation",
    params(LimitQuery),
    responses((status = 200, description = "Messages hidden by the bot or triaged toxic, newest first", body = [palabre_store::workspace::ModerationItem]),
              (status = 403, description = "Managers and admins only", body = ErrorBody)))]
async fn list_moderation(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<LimitQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<palabre_store::workspace::ModerationItem>>, ApiError> {
    caller.require(Role::Manager)?;
    let Query(q) = query.map_err(|e| rejection(e.body_text()))?;
    let limit = list_limit(q.limit, 200)?;
    let scope = caller.scope.clone();
    Ok(Json(
        state
            .pool
            .run(move |ws| ws.moderation_queue(&scope, limit))
            .await?,
    ))
}

/// A moderation action; the key makes a retried request harmless.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerateBody {
    pub idempotency_key: Option<String>,
}

#[utoipa::path(post, path = "/api/moderation/{platform}/{id}/{action}", request_body = ModerateBody,
    params(("platform" = String, Path, description = "x, mastodon, bluesky, messenger, instagram, generic"),
           ("id" = String, Path, description = "The platform's id of the message"),
           ("action" = String, Path, description = "hide, unhide or delete")),
    responses((status = 200, body = Accepted), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn post_moderation(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((platform, id, action)): Path<(String, String, String)>,
    parsed: Result<Json<ModerateBody>, JsonRejection>,
) -> Result<Json<Accepted>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    let b = body(parsed)?;
    moderate(
        &state,
        &caller,
        &platform,
        &id,
        &action,
        b.idempotency_key.as_deref(),
    )
    .await?;
    Ok(accepted())
}

#[utoipa::path(get, path = "/api/reports/reviews",
    responses((status = 200, description = "Draft reviews by campaign, verdict and reason", body = [palabre_store::workspace::ReviewCount])))]
async fn review_report(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<palabre_store::workspace::ReviewCount>>, ApiError> {
    caller.require(Role::Manager)?;
    Ok(Json(state.pool.run(|ws| ws.review_report()).await?))
}

#[utoipa::path(post, path = "/api/events",
    request_body(content = String, description = "JSON lines of platform events (any format `palabre replay` reads)", content_type = "application/x-ndjson"),
    responses((status = 200, description = "One decision per event, as the replay contract prints them"),
              (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn post_events(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    raw: axum::body::Bytes,
) -> Result<Json<Vec<serde_json::Value>>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    caller.require(Role::Manager)?;
    // The body is at most `server::MAX_BODY` (8 MiB): larger ones get 413 before this.
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "the body holds no event: send JSON lines of platform events".into(),
        ));
    }
    // Invalid UTF-8 is the pipeline's to report (an `invalid` decision), line by line.
    let lines: Vec<String> = raw
        .split(|b| *b == b'\n')
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect();
    let engine = state.engine.clone();
    let decisions = tokio::task::spawn_blocking(move || engine.submit(lines))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(ApiError::Internal)?;
    Ok(Json(decisions))
}

#[utoipa::path(get, path = "/api/stream",
    responses((status = 200, description = "Server-sent events: `conversation`, `presence`, `outbox`, `connector` (and `reload` when the page missed some); an agent hears only of the conversations their teams cover", content_type = "text/event-stream"),
              (status = 401, body = ErrorBody),
              (status = 429, description = "This user already has as many live streams open as `[server] streams_per_user` allows", body = ErrorBody)))]
async fn stream(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>>, ApiError>
{
    let limit = state.settings.streams_per_user;
    let slot = state
        .live
        .open_stream(caller.user.id, limit)
        .ok_or_else(|| {
            ApiError::TooMany(format!(
                "{limit} live streams are already open for this user: close a tab"
            ))
        })?;
    let rx = state.live.subscribe();
    // An agent hears only of the conversations their teams cover (ids of private
    // conversations name their authors). The slot is given back when the stream ends.
    let scope = caller.scope.clone();
    let events =
        futures_util::stream::unfold((rx, scope, slot), |(mut rx, scope, slot)| async move {
            let data = loop {
                match rx.recv().await {
                    Ok(event) if event.visible_to(&scope) => {
                        break serde_json::to_string(&event).unwrap_or_default();
                    }
                    Ok(_) => continue,
                    // A slow page missed some: tell it to reload everything.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        break "{\"type\":\"reload\"}".to_owned();
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            };
            Some((Ok(Event::default().data(data)), (rx, scope, slot)))
        });
    // A first line at once: Firefox announces a stream open only when its body starts, and
    // the first keep-alive comes 15 s later.
    let hello = futures_util::stream::once(async {
        Ok::<_, std::convert::Infallible>(Event::default().comment("open"))
    });
    Ok(Sse::new(futures_util::StreamExt::chain(hello, events)).keep_alive(KeepAlive::default()))
}

#[utoipa::path(get, path = "/api/sandbox/posts",
    responses((status = 200, description = "What the sandbox network received (`demo`, `serve --sandbox`): `attempts` and `posts`"),
              (status = 403, description = "Managers and admins only", body = ErrorBody),
              (status = 404, description = "No sandbox network in this server", body = ErrorBody)))]
async fn sandbox_posts(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    // Every team's sent texts: managers and admins only.
    caller.require(Role::Manager)?;
    state
        .engine
        .sandbox_posts()
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no sandbox network in this server".into()))
}

/// The brand's channels (`[[channels]]`): the keys the `channel` filter and teams take.
#[utoipa::path(get, path = "/api/channels", responses((status = 200, body = [crate::ChannelInfo]),
    (status = 401, body = ErrorBody)))]
async fn list_channels(
    State(state): State<AppState>,
    _caller: Caller,
) -> Json<Vec<crate::ChannelInfo>> {
    Json(state.settings.channels.clone())
}

/// The platform accounts' connectors: where each source resumes and how it is doing.
#[utoipa::path(get, path = "/api/connectors", responses((status = 200, body = [ConnectorState]),
    (status = 403, description = "Managers and admins only", body = ErrorBody)))]
async fn list_connectors(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ConnectorState>>, ApiError> {
    caller.require(Role::Manager)?;
    Ok(Json(state.pool.run(|ws| ws.connector_states()).await?))
}

#[cfg(test)]
mod route_tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::ApiDoc;
    use utoipa::OpenApi;

    /// Every `.route("…", …)` of the API and the webhooks, with the methods it serves, read
    /// from the router's source: a route added without its OpenAPI entry fails here.
    fn declared_routes() -> Vec<(String, Vec<&'static str>)> {
        let sources = [
            include_str!("api.rs"),
            include_str!("admin.rs"),
            include_str!("webhooks.rs"),
            include_str!("brake.rs"),
            include_str!("posts.rs"),
        ];
        let mut out = Vec::new();
        for source in sources {
            let router = &source[..source.find("#[derive(OpenApi)]").unwrap_or(source.len())];
            for chunk in router.split(".route(").skip(1) {
                let Some(rest) = chunk.trim_start().strip_prefix('"') else {
                    continue;
                };
                let Some((path, handlers)) = rest.split_once('"') else {
                    continue;
                };
                let methods = ["get", "post", "patch"]
                    .into_iter()
                    .filter(|m| {
                        handlers.contains(&format!(" {m}("))
                            || handlers.contains(&format!(".{m}("))
                            || handlers.contains(&format!("\n{m}("))
                            || handlers.trim_start().starts_with(&format!("{m}("))
                    })
                    .collect();
                out.push((path.to_owned(), methods));
            }
        }
        out
    }

    #[test]
    fn every_route_of_the_api_is_in_the_openapi_document() {
        let doc = ApiDoc::openapi();
        let routes = declared_routes();
        assert!(
            routes.len() >= 30,
            "the router's source was read: {routes:?}"
        );
        let mut missing = Vec::new();
        for (path, methods) in &routes {
            // Pages and their forms are not the API.
            let api = ["/api/", "/webhooks/", "/healthz"];
            if !api.iter().any(|p| path.starts_with(p)) {
                continue;
            }
            let item = doc.paths.paths.get(path);
            for method in methods {
                let documented = item.is_some_and(|i| match *method {
                    "get" => i.get.is_some(),
                    "patch" => i.patch.is_some(),
                    _ => i.post.is_some(),
                });
                if !documented {
                    missing.push(format!("{} {path}", method.to_uppercase()));
                }
            }
            assert!(!methods.is_empty(), "no method read for {path}");
        }
        assert!(
            missing.is_empty(),
            "routes missing from /api/openapi.json: {missing:?}"
        );
    }
}
