//! The server-rendered pages: login, inbox, conversation, drafts, moderation, failed sends,
//! accounts (admins), and the static files. Forms post here and are redirected back (POST → redirect → GET); each
//! action is the same function the JSON API calls.

use crate::admin::{self as accounts, AccessBody, NewUserBody, Secret, TeamBody};
use crate::api::{self, ListQuery, ReviewBody};
use crate::auth::{self, Caller, LOGIN_COOKIE, SESSION_COOKIE};
use crate::i18n::{UiLang, words};
use crate::{ApiError, AppState};
use axum::extract::{ConnectInfo, Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use palabre_store::workspace::{InboxRow, Role, Scope};
use serde::Deserialize;
use std::net::SocketAddr;

pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(|| async { Redirect::to("/inbox") }))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/inbox", get(inbox))
        .route("/c/{id}", get(conversation))
        .route("/c/{id}/reply", post(form_reply))
        .route("/c/{id}/note", post(form_note))
        .route("/c/{id}/assign", post(form_assign))
        .route("/c/{id}/status", post(form_status))
        .route("/c/{id}/bot", post(form_bot))
        .route("/drafts", get(drafts))
        .route("/drafts/{platform}/{id}/review", post(form_review))
        .route("/moderation", get(moderation))
        .route("/moderation/{platform}/{id}/{action}", post(form_moderate))
        .route("/outbox", get(outbox))
        .route("/outbox/{id}/retry", post(form_retry))
        .route("/admin", get(admin))
        .route("/admin/users", post(form_new_user))
        .route("/admin/password", post(form_password))
        .route("/admin/access", post(form_access))
        .route("/admin/token", post(form_token))
        .route("/admin/token/revoke", post(form_revoke_token))
        .route("/admin/teams", post(form_team))
        .route("/admin/disabled", post(form_disabled))
        .route("/static/app.js", get(app_js))
        .route("/static/app.css", get(app_css))
}

async fn app_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../static/app.js"),
    )
}

async fn app_css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../static/app.css"),
    )
}

/// The language of a page.
pub(crate) struct Lang(pub(crate) UiLang, Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("lang="))
                .map(str::to_owned)
        });
        let cookie = auth::cookie(parts, "palabre_lang");
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        Ok(Lang(
            UiLang::pick(query.as_deref(), cookie, accept),
            query.filter(|q| q == "fr" || q == "en"),
        ))
    }
}

/// A signed-in person on a page; anyone else is sent to the login page.
pub(crate) struct PageCaller(pub(crate) Caller);

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match Caller::from_request_parts(parts, state).await {
            Ok(c) => Ok(PageCaller(c)),
            Err(ApiError::Unauthorized) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// A rendered page, with the language cookie when the page was asked in a language.
fn render(state: &AppState, lang: &Lang, name: &str, ctx: minijinja::Value) -> Response {
    let t = words(lang.0);
    let full = context! { t => t, lang => lang.0.code(), ..ctx };
    let html = state
        .templates
        .get_template(name)
        .and_then(|tpl| tpl.render(full));
    let mut response = match html {
        Ok(html) => Html(html).into_response(),
        Err(e) => ApiError::Internal(format!("template {name}: {e:#}")).into_response(),
    };
    if let Some(code) = &lang.1
        && let Ok(v) =
            format!("palabre_lang={code}; Path=/; SameSite=Lax; Max-Age=31536000").parse()
    {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// An error shown as a page.
pub(crate) fn error_page(
    state: &AppState,
    lang: &Lang,
    caller: Option<&Caller>,
    e: ApiError,
) -> Response {
    let status = e.status();
    let mut r = render(
        state,
        lang,
        "error.html",
        context! { status => status.as_u16(), message => e.to_string(),
        user => caller.map(|c| c.user.clone()), csrf => caller.map_or("", |c| c.csrf()),
        nav => "", counts => context! { drafts => 0, dead => 0, held_posts => 0, connectors => Vec::<()>::new(),
        crisis => crisis_banner(state), brake => Option::<()>::None, manager => false } },
    );
    *r.status_mut() = status;
    r
}

/// A page for a signed-in person: the navigation (who, CSRF token, where, counts) and `ctx`.
pub(crate) async fn page(
    state: &AppState,
    lang: &Lang,
    caller: &Caller,
    name: &str,
    nav: &str,
    ctx: minijinja::Value,
) -> Response {
    let counts = counts(state, caller).await;
    render(
        state,
        lang,
        name,
        context! { user => caller.user.clone(), csrf => caller.csrf(), nav => nav,
        counts => counts, ..ctx },
    )
}

/// Draft and dead-letter counts for the navigation.
async fn counts(state: &AppState, caller: &Caller) -> minijinja::Value {
    let scope = caller.scope.clone();
    let manager = caller.user.role >= Role::Manager;
    let found = state
        .pool
        .run(move |ws| {
            let drafts = ws.pending_draft_count(&scope)?;
            let dead = if manager {
                ws.outbox_count(palabre_store::workspace::OutboxStatus::Dead)?
            } else {
                0
            };
            // Accounts whose connector is not working: everyone sees that sends wait.
            let failing: Vec<_> = ws
                .connector_states()?
                .into_iter()
                .filter(|c| {
                    c.status != palabre_store::workspace::ConnectorStatus::Ok && c.error.is_some()
                })
                .map(|c| {
                    context! { name => c.name, platform => c.platform, status => c.status.as_str(),
                    error => if manager { c.error } else { None }, since_ms => c.since_ms }
                })
                .collect();
            let held = ws.count_posts(palabre_store::workspace::PostStatus::Held)?;
            Ok((drafts, dead, failing, ws.brake()?, held))
        })
        .await;
    let (drafts, dead, failing, brake, held) = found.unwrap_or_default();
    // The channels the brake holds, as people read them; and those it may be pulled on.
    let brake_on: Vec<String> = brake
        .channels
        .iter()
        .map(|c| state.settings.channel_label(c))
        .collect();
    let brake_choices: Vec<_> = state
        .settings
        .channels
        .iter()
        .map(|c| context! { key => c.key, label => state.settings.channel_label(&c.key) })
        .collect();
    context! { drafts => drafts, dead => dead, connectors => failing, crisis => crisis_banner(state),
    brake => brake, brake_on => brake_on, brake_choices => brake_choices, manager => manager,
    held_posts => held }
}

/// The crisis alert under way, for the banner every page shows (none: no banner).
fn crisis_banner(state: &AppState) -> Option<minijinja::Value> {
    state.engine.crisis().map(|c| {
        context! { since_ms => c.since_ms, people => c.people,
        usual => format!("{:.1}", c.usual), window => c.window_minutes, examples => c.examples }
    })
}

// ------------------------------------------------------------------ login

async fn login_page(State(state): State<AppState>, lang: Lang) -> Response {
    login_form(&state, &lang, None)
}

fn login_form(state: &AppState, lang: &Lang, error: Option<&str>) -> Response {
    // Double-submit: the login form's token is also in a cookie the page cannot read.
    let token = auth::random_token().unwrap_or_default();
    let mut r = render(
        state,
        lang,
        "login.html",
        context! { csrf => &token, error => error, user => (), nav => "", counts => context!{} },
    );
    let cookie = auth::set_cookie(LOGIN_COOKIE, &token, 3600, state.settings.secure_cookies);
    if let Ok(v) = cookie.parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    csrf: String,
}

async fn login(
    State(state): State<AppState>,
    lang: Lang,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return login_form(&state, &lang, Some("?"));
    };
    let login_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == LOGIN_COOKIE)
        .map(|(_, v)| v.to_owned());
    if !login_cookie.is_some_and(|c| auth::same_secret(&c, &form.csrf)) {
        return error_page(
            &state,
            &lang,
            None,
            ApiError::Forbidden("the login form expired: reload the page".into()),
        );
    }
    let ip = peer.ip().to_string();
    let name_key = format!("user:{}", form.name.to_lowercase());
    if let Err(wait) = state.limiter.check(&[&ip, &name_key]) {
        return error_page(&state, &lang, None, ApiError::TooManyRequests(wait));
    }
    let name = form.name.clone();
    let user = state.pool.run(move |ws| ws.user_by_name(&name)).await;
    let user = match user {
        Ok(u) => u,
        Err(e) => return error_page(&state, &lang, None, e),
    };
    let password = form.password.clone();
    let hash = user.as_ref().filter(|u| !u.disabled).map_or_else(
        || auth::dummy_hash().to_owned(),
        |u| u.password_hash.clone(),
    );
    let verified = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let Some(user) = user.filter(|u| verified && !u.disabled) else {
        state.limiter.failed(&[&ip, &name_key]);
        tracing::info!(user = %form.name, peer = %ip, "failed login");
        let t = words(lang.0);
        let mut r = login_form(&state, &lang, Some(t["bad_login"]));
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        return r;
    };
    let (Ok(token), Ok(csrf)) = (auth::random_token(), auth::random_token()) else {
        return error_page(
            &state,
            &lang,
            None,
            ApiError::Internal("no randomness".into()),
        );
    };
    let expires = jiff::Timestamp::now().as_millisecond() + state.settings.session_secs * 1000;
    let (hash, uid, uname) = (auth::token_hash(&token), user.id, user.name.clone());
    let created = state
        .pool
        .run(move |ws| {
            ws.create_session(uid, &hash, &csrf, expires)?;
            ws.audit(&uname, "signed_in", None, None)
        })
        .await;
    if let Err(e) = created {
        return error_page(&state, &lang, None, e);
    }
    tracing::info!(user = %user.name, "signed in");
    let mut r = Redirect::to("/inbox").into_response();
    let cookie = auth::set_cookie(
        SESSION_COOKIE,
        &token,
        state.settings.session_secs,
        state.settings.secure_cookies,
    );
    if let Ok(v) = cookie.parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

async fn logout(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    form: Result<Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let provided = form.ok().and_then(|Form(f)| f.csrf);
    if let Err(e) = caller.check_csrf(provided.as_deref()) {
        return error_page(&state, &lang, Some(&caller), e);
    }
    if let auth::Via::Session { token_hash, .. } = &caller.via {
        state.callers.forget(token_hash);
        let hash = token_hash.clone();
        let _ = state.pool.run(move |ws| ws.delete_session(&hash)).await;
    }
    let mut r = Redirect::to("/login").into_response();
    let cookie = auth::set_cookie(SESSION_COOKIE, "", 0, state.settings.secure_cookies);
    if let Ok(v) = cookie.parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

// ------------------------------------------------------------------ inbox

/// A row with its SLA: how long the author has waited, and whether that is late.
fn with_sla(state: &AppState, row: &InboxRow, now: i64) -> (Option<i64>, bool) {
    let waiting = match (row.last_inbound_ms, row.last_outbound_ms) {
        (Some(i), Some(o)) if o >= i => None,
        (Some(i), _) if row.status == "open" => Some(now - i),
        _ => None,
    };
    let limit = if row.first_outbound_ms.is_none() {
        state.settings.first_response_secs
    } else {
        state.settings.next_response_secs
    };
    (waiting, waiting.is_some_and(|w| w > limit * 1000))
}

fn rows_context(state: &AppState, rows: &[InboxRow]) -> Vec<minijinja::Value> {
    let now = jiff::Timestamp::now().as_millisecond();
    rows.iter()
        .map(|r| {
            let (waiting, late) = with_sla(state, r, now);
            let channel_label = r
                .channel
                .as_deref()
                .map(|c| state.settings.channel_label(c));
            context! { waiting_ms => waiting, late => late, channel_label => channel_label,
            ..minijinja::Value::from_serialize(r) }
        })
        .collect()
}

async fn inbox(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
    uri: axum::http::Uri,
) -> Response {
    let q = match query {
        Ok(Query(q)) => q,
        Err(e) => {
            return error_page(
                &state,
                &lang,
                Some(&caller),
                ApiError::BadRequest(e.body_text()),
            );
        }
    };
    let filter = match api::inbox_filter(&q, &caller, &state.settings) {
        Ok(f) => f,
        Err(e) => return error_page(&state, &lang, Some(&caller), e),
    };
    let scope = caller.scope.clone();
    let mut f2 = filter.clone();
    let team = q.team.clone().filter(|t| !t.is_empty());
    let found = state
        .pool
        .run(move |ws| {
            if let Some(team) = team {
                f2.team = Some(ws.team_scopes(&[team])?.pop().unwrap_or_default());
            }
            let rows = ws.inbox(&f2, &scope)?;
            Ok((rows, ws.users()?, ws.teams()?))
        })
        .await;
    let (rows, users, teams) = match found {
        Ok(v) => v,
        Err(e) => return error_page(&state, &lang, Some(&caller), e),
    };
    let rows = rows_context(&state, &rows);
    let teams_queues = match &caller.scope {
        // A team naming no queue works on all of them.
        Scope::Teams(teams) if teams.iter().all(|t| !t.queues.is_empty()) => {
            let mut q: Vec<String> = Vec::new();
            for queue in teams.iter().flat_map(|t| &t.queues) {
                if !q.contains(queue) {
                    q.push(queue.clone());
                }
            }
            Some(q)
        }
        _ => None,
    };
    let queues: Vec<String> = match teams_queues {
        Some(q) => q,
        None => {
            let mut q = state.settings.queues.clone();
            if let Some(current) = &filter.queue
                && !q.contains(current)
            {
                q.push(current.clone());
            }
            q
        }
    };
    // The channels an agent's teams work on (all of them when a team names none).
    let channels: Vec<&crate::ChannelInfo> = state
        .settings
        .channels
        .iter()
        .filter(|c| match &caller.scope {
            Scope::Teams(teams) => teams
                .iter()
                .any(|t| t.channels.is_empty() || t.channels.contains(&c.key)),
            Scope::All => true,
        })
        .collect();
    let status_shown = filter.status.clone().unwrap_or_else(|| "all".into());
    let assignee_shown = q.assignee.clone().unwrap_or_default();
    let filter_ctx = context! {
        status => status_shown, queue => filter.queue, assignee => assignee_shown,
        platform => filter.platform, channel => filter.channel, intent => filter.intent, sentiment => filter.sentiment,
        lang => filter.lang, has_draft => filter.has_draft, text => filter.text,
        team => q.team.clone().unwrap_or_default(),
    };
    let partial_url = {
        let query = uri.query().unwrap_or("");
        if query.is_empty() {
            "/inbox?partial=1".to_owned()
        } else {
            format!("/inbox?{query}&partial=1")
        }
    };
    let template = if q.partial.as_deref() == Some("1") {
        "list.html"
    } else {
        "inbox.html"
    };
    let platforms: Vec<&str> = palabre_core::Platform::ALL
        .iter()
        .map(|p| p.as_str())
        .collect();
    page(
        &state,
        &lang,
        &caller,
        template,
        "inbox",
        context! {
            rows => rows, filter => filter_ctx, queues => queues, users => users, teams => teams,
            platforms => platforms, channels => channels, intents => api::INTENTS, partial_url => partial_url,
        },
    )
    .await
}

async fn conversation(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Response {
    let scope = caller.scope.clone();
    let cid = id.clone();
    let found = state
        .pool
        .run(move |ws| Ok((ws.conversation_view(&cid, &scope)?, ws.users()?)))
        .await;
    let (view, users) = match found {
        Ok((Some(v), users)) => (v, users),
        Ok((None, _)) => {
            return error_page(
                &state,
                &lang,
                Some(&caller),
                ApiError::NotFound(format!("no conversation `{id}`")),
            );
        }
        Err(e) => return error_page(&state, &lang, Some(&caller), e),
    };
    let audience = crate::live::Audience::of_row(&view.row);
    let others = state.live.touch(&view.row.id, audience, &caller.user.name);
    // What came in and what went out, in the order it happened.
    let mut timeline: Vec<(i64, minijinja::Value)> = view
        .messages
        .iter()
        .map(|m| {
            (
                m.created_ms,
                context! {
                    message => minijinja::Value::from_serialize(m),
                    faq_question => state.settings.faq_question(m.campaign.as_deref(), m.campaign_key.as_deref()),
                    map => crate::listening::map(&state.settings.geofences, m),
                },
            )
        })
        .chain(view.outbox.iter().map(|o| {
            (
                o.sent_ms.unwrap_or(o.created_ms),
                context! { outgoing => minijinja::Value::from_serialize(o) },
            )
        }))
        .collect();
    timeline.sort_by_key(|(at, _)| *at);
    let timeline: Vec<minijinja::Value> = timeline.into_iter().map(|(_, v)| v).collect();
    let now = jiff::Timestamp::now().as_millisecond();
    let (waiting, late) = with_sla(&state, &view.row, now);
    let nonce = auth::random_token().unwrap_or_default();
    let manager = caller.user.role >= Role::Manager;
    page(
        &state,
        &lang,
        &caller,
        "conversation.html",
        "inbox",
        context! {
            c => minijinja::Value::from_serialize(&view), others => others, timeline => timeline,
            waiting_ms => waiting, late => late, nonce => nonce,
            channel_label => view.row.channel.as_deref().map(|c| state.settings.channel_label(c)),
            users => if manager { users } else { Vec::new() },
            canned => state.settings.canned.clone(),
        },
    )
    .await
}

/// A form action: checks its CSRF token, runs, and goes back to `back` (or shows the error).
pub(crate) async fn act<F>(
    state: &AppState,
    lang: &Lang,
    caller: &Caller,
    csrf: Option<&str>,
    back: String,
    action: F,
) -> Response
where
    F: std::future::Future<Output = Result<(), ApiError>>,
{
    if let Err(e) = caller.check_csrf(csrf) {
        return error_page(state, lang, Some(caller), e);
    }
    match action.await {
        Ok(()) => Redirect::to(&back).into_response(),
        Err(e) => error_page(state, lang, Some(caller), e),
    }
}

fn conversation_url(id: &str) -> String {
    let mut out = String::from("/c/");
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Deserialize)]
struct ReplyForm {
    csrf: Option<String>,
    text: String,
    nonce: Option<String>,
}

async fn form_reply(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    Form(f): Form<ReplyForm>,
) -> Response {
    let back = conversation_url(&id);
    act(&state, &lang, &caller, f.csrf.as_deref(), back, async {
        api::reply(&state, &caller, &id, &f.text, f.nonce.as_deref())
            .await
            .map(|_| ())
    })
    .await
}

#[derive(Deserialize)]
struct NoteForm {
    csrf: Option<String>,
    text: String,
}

async fn form_note(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> Response {
    let back = conversation_url(&id);
    act(&state, &lang, &caller, f.csrf.as_deref(), back, async {
        api::note(&state, &caller, &id, &f.text).await
    })
    .await
}

#[derive(Deserialize)]
struct AssignForm {
    csrf: Option<String>,
    assignee: Option<String>,
}

async fn form_assign(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> Response {
    let back = conversation_url(&id);
    act(&state, &lang, &caller, f.csrf.as_deref(), back, async {
        api::assign(&state, &caller, &id, f.assignee.clone()).await
    })
    .await
}

#[derive(Deserialize)]
struct StatusForm {
    csrf: Option<String>,
    status: String,
}

async fn form_status(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> Response {
    let back = conversation_url(&id);
    let snooze = (f.status == "snoozed").then_some(60);
    act(&state, &lang, &caller, f.csrf.as_deref(), back, async {
        api::set_status(&state, &caller, &id, &f.status, snooze).await
    })
    .await
}

#[derive(Deserialize)]
struct BotForm {
    csrf: Option<String>,
    paused: String,
}

async fn form_bot(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    Form(f): Form<BotForm>,
) -> Response {
    let back = conversation_url(&id);
    let paused = f.paused == "true";
    act(&state, &lang, &caller, f.csrf.as_deref(), back, async {
        api::set_bot(&state, &caller, &id, paused).await
    })
    .await
}

async fn drafts(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
) -> Response {
    let scope = caller.scope.clone();
    let manager = caller.user.role >= Role::Manager;
    let found = state
        .pool
        .run(move |ws| {
            let report = if manager {
                ws.review_report()?
            } else {
                Vec::new()
            };
            Ok((ws.pending_drafts(&scope, 200)?, report))
        })
        .await;
    let (drafts, report) = match found {
        Ok(d) => d,
        Err(e) => return error_page(&state, &lang, Some(&caller), e),
    };
    page(
        &state,
        &lang,
        &caller,
        "drafts.html",
        "drafts",
        context! { drafts => drafts, report => report },
    )
    .await
}

#[derive(Deserialize)]
struct ReviewForm {
    csrf: Option<String>,
    verdict: String,
    text: Option<String>,
    reason: Option<String>,
}

async fn form_review(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path((platform, id)): Path<(String, String)>,
    headers: HeaderMap,
    Form(f): Form<ReviewForm>,
) -> Response {
    // Back where the reviewer was: the drafts list or the conversation.
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            r.find("/c/")
                .or_else(|| r.find("/drafts"))
                .map(|i| r[i..].to_owned())
        })
        .unwrap_or_else(|| "/drafts".to_owned());
    act(&state, &lang, &caller, f.csrf.as_deref(), back, async {
        let body = ReviewBody {
            verdict: f.verdict.clone(),
            text: f.text.clone(),
            reason: f.reason.clone(),
        };
        api::review(&state, &caller, &platform, &id, body)
            .await
            .map(|_| ())
    })
    .await
}

async fn moderation(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
) -> Response {
    if let Err(e) = caller.require(Role::Manager) {
        return error_page(&state, &lang, Some(&caller), e);
    }
    let found = state
        .pool
        .run(move |ws| ws.moderation_queue(&Scope::All, 200))
        .await
        .map(|items| {
            items
                .into_iter()
                .map(|m| {
                    context! {
                        platform => m.platform, external_id => m.external_id,
                        conversation_id => m.conversation_id, author => m.author_handle,
                        text => m.text, outcome => m.outcome,
                    }
                })
                .collect::<Vec<_>>()
        });
    let items = match found {
        Ok(i) => i,
        Err(e) => return error_page(&state, &lang, Some(&caller), e),
    };
    let nonce = auth::random_token().unwrap_or_default();
    page(
        &state,
        &lang,
        &caller,
        "moderation.html",
        "moderation",
        context! { items => items, nonce => nonce },
    )
    .await
}

#[derive(Deserialize)]
struct ModerateForm {
    csrf: Option<String>,
    nonce: Option<String>,
}

async fn form_moderate(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path((platform, id, action)): Path<(String, String, String)>,
    Form(f): Form<ModerateForm>,
) -> Response {
    act(
        &state,
        &lang,
        &caller,
        f.csrf.as_deref(),
        "/moderation".into(),
        async { api::moderate(&state, &caller, &platform, &id, &action, f.nonce.as_deref()).await },
    )
    .await
}

async fn outbox(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
) -> Response {
    if let Err(e) = caller.require(Role::Manager) {
        return error_page(&state, &lang, Some(&caller), e);
    }
    let found = state
        .pool
        .run(|ws| {
            Ok((
                ws.outbox_with(palabre_store::workspace::OutboxStatus::Dead, 200)?,
                ws.outbox_waiting()?,
            ))
        })
        .await;
    let (items, waiting) = match found {
        Ok(found) => found,
        Err(e) => return error_page(&state, &lang, Some(&caller), e),
    };
    let now = jiff::Timestamp::now().as_millisecond();
    let waiting: Vec<_> = waiting
        .into_iter()
        .map(|w| {
            let next_ms = (w.next_due_ms > now + 1000).then_some(w.next_due_ms - now);
            context! { platform => w.platform, origin => w.origin, count => w.count,
            age_ms => now - w.oldest_ms, next_ms => next_ms }
        })
        .collect();
    page(
        &state,
        &lang,
        &caller,
        "outbox.html",
        "outbox",
        context! { items => items, waiting => waiting },
    )
    .await
}

async fn form_retry(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Response {
    act(
        &state,
        &lang,
        &caller,
        f.csrf.as_deref(),
        "/outbox".into(),
        async {
            caller.require(Role::Manager)?;
            let actor = caller.user.name.clone();
            state.pool.run(move |ws| ws.retry_dead(id, &actor)).await?;
            state.engine.outbox_changed();
            Ok(())
        },
    )
    .await
}

// ------------------------------------------------------------------ accounts (admins)

/// The accounts page, with a secret to show once after a creation or a reset.
async fn admin_page(
    state: &AppState,
    lang: &Lang,
    caller: &Caller,
    secret: Option<Secret>,
) -> Response {
    let (users, teams, tokens) = match accounts::overview(state, caller).await {
        Ok(v) => v,
        Err(e) => return error_page(state, lang, Some(caller), e),
    };
    let shown = secret.is_some();
    let r = page(
        state,
        lang,
        caller,
        "admin.html",
        "admin",
        context! { users => users, teams => teams_context(state, &teams), tokens => tokens, secret => secret,
        roles => ["agent", "manager", "admin"], channels => state.settings.channels.clone() },
    )
    .await;
    if shown { accounts::no_store(r) } else { r }
}

/// Teams as the accounts page shows them: their channels by handle.
fn teams_context(
    state: &AppState,
    teams: &[palabre_store::workspace::Team],
) -> Vec<minijinja::Value> {
    teams
        .iter()
        .map(|t| {
            let labels: Vec<String> = t
                .channels
                .iter()
                .map(|c| state.settings.channel_label(c))
                .collect();
            context! { channel_labels => labels, ..minijinja::Value::from_serialize(t) }
        })
        .collect()
}

async fn admin(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
) -> Response {
    admin_page(&state, &lang, &caller, None).await
}

/// An accounts form: checks the role and the CSRF token before anything else, then runs;
/// a secret is shown on the page, otherwise back to `/admin`.
async fn admin_act<T, F>(
    state: &AppState,
    lang: &Lang,
    caller: &Caller,
    form: Result<Form<T>, axum::extract::rejection::FormRejection>,
    csrf: impl FnOnce(&T) -> Option<String>,
    action: impl FnOnce(T) -> F,
) -> Response
where
    F: std::future::Future<Output = Result<Option<Secret>, ApiError>>,
{
    if let Err(e) = caller.require(Role::Admin) {
        return error_page(state, lang, Some(caller), e);
    }
    let f = match form {
        Ok(Form(f)) => f,
        Err(e) => {
            // Still refuse a form without its token before saying what else is wrong.
            let e = caller
                .check_csrf(None)
                .err()
                .unwrap_or(ApiError::BadRequest(e.body_text()));
            return error_page(state, lang, Some(caller), e);
        }
    };
    if let Err(e) = caller.check_csrf(csrf(&f).as_deref()) {
        return error_page(state, lang, Some(caller), e);
    }
    match action(f).await {
        Ok(Some(secret)) => admin_page(state, lang, caller, Some(secret)).await,
        Ok(None) => Redirect::to("/admin").into_response(),
        Err(e) => error_page(state, lang, Some(caller), e),
    }
}

/// Every field has a default: a missing one is reported by the checks, after the CSRF token.
#[derive(Default, Deserialize)]
#[serde(default)]
struct NewUserForm {
    csrf: Option<String>,
    name: String,
    display_name: Option<String>,
    role: String,
    teams: Option<String>,
}

async fn form_new_user(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    form: Result<Form<NewUserForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (st, ca) = (&state, &caller);
    admin_act(
        &state,
        &lang,
        &caller,
        form,
        |f| f.csrf.clone(),
        move |f| async move {
            let body = NewUserBody {
                name: f.name,
                display_name: f.display_name,
                role: f.role,
                teams: accounts::split_list(f.teams.as_deref().unwrap_or("")),
            };
            accounts::add_user(st, ca, body).await.map(Some)
        },
    )
    .await
}

/// Every field has a default: a missing one is reported by the checks, after the CSRF token.
#[derive(Default, Deserialize)]
#[serde(default)]
struct UserForm {
    csrf: Option<String>,
    name: String,
    label: Option<String>,
}

async fn form_password(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    form: Result<Form<UserForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (st, ca) = (&state, &caller);
    admin_act(
        &state,
        &lang,
        &caller,
        form,
        |f| f.csrf.clone(),
        move |f| async move { accounts::new_password(st, ca, &f.name).await.map(Some) },
    )
    .await
}

async fn form_token(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    form: Result<Form<UserForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (st, ca) = (&state, &caller);
    admin_act(
        &state,
        &lang,
        &caller,
        form,
        |f| f.csrf.clone(),
        move |f| async move {
            accounts::add_token(st, ca, &f.name, f.label.as_deref())
                .await
                .map(Some)
        },
    )
    .await
}

/// Every field has a default: a missing one is reported by the checks, after the CSRF token.
#[derive(Default, Deserialize)]
#[serde(default)]
struct AccessForm {
    csrf: Option<String>,
    name: String,
    role: String,
    teams: Option<String>,
}

async fn form_access(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    form: Result<Form<AccessForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (st, ca) = (&state, &caller);
    admin_act(
        &state,
        &lang,
        &caller,
        form,
        |f| f.csrf.clone(),
        move |f| async move {
            let body = AccessBody {
                role: f.role,
                teams: accounts::split_list(f.teams.as_deref().unwrap_or("")),
            };
            accounts::change_access(st, ca, &f.name, body)
                .await
                .map(|()| None)
        },
    )
    .await
}

/// Every field has a default: a missing one is reported by the checks, after the CSRF token.
#[derive(Default, Deserialize)]
#[serde(default)]
struct TeamForm {
    csrf: Option<String>,
    name: String,
    queues: String,
    channels: String,
}

async fn form_team(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    form: Result<Form<TeamForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (st, ca) = (&state, &caller);
    admin_act(
        &state,
        &lang,
        &caller,
        form,
        |f| f.csrf.clone(),
        move |f| async move {
            let body = TeamBody {
                name: f.name,
                queues: accounts::split_list(&f.queues),
                channels: accounts::split_list(&f.channels),
            };
            accounts::add_team(st, ca, body).await.map(|()| None)
        },
    )
    .await
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct DisabledForm {
    csrf: Option<String>,
    name: String,
    disabled: String,
}

/// Every field has a default: a missing one is reported by the checks, after the CSRF token.
#[derive(Default, Deserialize)]
#[serde(default)]
struct RevokeForm {
    csrf: Option<String>,
    name: String,
    id: String,
}

async fn form_revoke_token(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    form: Result<Form<RevokeForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (st, ca) = (&state, &caller);
    admin_act(
        &state,
        &lang,
        &caller,
        form,
        |f| f.csrf.clone(),
        move |f| async move {
            accounts::remove_token(st, ca, &f.name, &f.id)
                .await
                .map(|()| None)
        },
    )
    .await
}

async fn form_disabled(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    form: Result<Form<DisabledForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (st, ca) = (&state, &caller);
    admin_act(
        &state,
        &lang,
        &caller,
        form,
        |f| f.csrf.clone(),
        move |f| async move {
            accounts::disable(st, ca, &f.name, f.disabled == "true")
                .await
                .map(|()| None)
        },
    )
    .await
}
