//! Accounts, teams and API tokens, for admins: the checks and store writes shared by
//! `palabre admin` (the command line) and the web inbox (`/admin`, `/api/admin/…`), and the
//! JSON endpoints. Passwords and tokens are generated here, shown once, and kept only hashed.

use crate::api::{Accepted, ErrorBody, body};
use crate::auth::{self, Caller};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use palabre_store::StoreError;
use palabre_store::Workspace;
use palabre_store::workspace::{ApiToken, Role, Team, User};
use serde::Deserialize;

/// Shortest password a person may choose (generated ones have 20 characters).
pub const MIN_PASSWORD: usize = 12;

pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/admin/users", get(list_users).post(post_user))
        .route("/api/admin/users/{name}/password", post(post_password))
        .route("/api/admin/users/{name}/access", post(post_access))
        .route("/api/admin/users/{name}/tokens", post(post_token))
        .route(
            "/api/admin/users/{name}/tokens/{id}/revoke",
            post(post_revoke_token),
        )
        .route("/api/admin/tokens", get(list_tokens))
        .route("/api/admin/users/{name}/disabled", post(post_disabled))
        .route("/api/admin/teams", get(list_teams).post(post_team))
}

// ------------------------------------------------------------------ checks

/// A user name, a team or a queue: 1 to 64 characters, no spaces, commas or control
/// characters (teams and queues are stored comma-separated).
fn identifier(what: &str, raw: &str) -> Result<String, ApiError> {
    let v = raw.trim();
    if v.is_empty() || v.chars().count() > 64 {
        return Err(ApiError::Unprocessable(format!(
            "a {what} has 1 to 64 characters"
        )));
    }
    if v.chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == ',')
    {
        return Err(ApiError::Unprocessable(format!(
            "a {what} has no spaces, commas or control characters"
        )));
    }
    Ok(v.to_owned())
}

fn identifiers(what: &str, raw: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for r in raw.iter().filter(|r| !r.trim().is_empty()) {
        let v = identifier(what, r)?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

/// `a, b,c` → `["a", "b", "c"]` (the forms' way of listing teams and queues).
pub fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn role(raw: &str) -> Result<Role, ApiError> {
    Role::parse(raw.trim()).ok_or_else(|| {
        ApiError::Unprocessable(format!("role `{raw}` is not one of admin, manager, agent"))
    })
}

/// A user to create, checked.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub display_name: String,
    pub role: Role,
    pub teams: Vec<String>,
}

impl NewUser {
    pub fn new(
        name: &str,
        display_name: Option<&str>,
        role_name: &str,
        teams: &[String],
    ) -> Result<NewUser, ApiError> {
        let name = identifier("user name", name)?;
        let display_name = match display_name.map(str::trim).filter(|d| !d.is_empty()) {
            None => name.clone(),
            Some(d) if d.chars().count() > 100 || d.chars().any(char::is_control) => {
                return Err(ApiError::Unprocessable(
                    "a display name has at most 100 characters and no control characters".into(),
                ));
            }
            Some(d) => d.to_owned(),
        };
        Ok(NewUser {
            name,
            display_name,
            role: role(role_name)?,
            teams: identifiers("team", teams)?,
        })
    }
}

/// A password and its argon2 hash: the one given (at least [`MIN_PASSWORD`] characters), or a
/// generated one. `bool`: whether it was generated (and so must be shown).
pub fn password(given: Option<String>) -> Result<(String, String, bool), ApiError> {
    let (password, generated) = match given {
        Some(p) if p.chars().count() < MIN_PASSWORD => {
            return Err(ApiError::Unprocessable(format!(
                "the password must have at least {MIN_PASSWORD} characters"
            )));
        }
        Some(p) => (p, false),
        None => (auth::generated_password()?, true),
    };
    let hash = auth::hash_password(&password).map_err(ApiError::Internal)?;
    Ok((password, hash, generated))
}

// ------------------------------------------------------------------ store writes, audited

/// Creates the user; `false` when the name is taken (nothing written).
pub fn create_user(
    ws: &mut Workspace,
    actor: &str,
    user: &NewUser,
    password_hash: &str,
) -> Result<bool, StoreError> {
    let created = ws
        .create_user(
            &user.name,
            &user.display_name,
            password_hash,
            user.role,
            &user.teams,
        )?
        .is_some();
    if created {
        ws.audit(
            actor,
            "user_created",
            Some(&user.name),
            Some(user.role.as_str()),
        )?;
    }
    Ok(created)
}

/// Replaces a user's password (and enables the account); whether the user exists.
pub fn reset_password(
    ws: &mut Workspace,
    actor: &str,
    name: &str,
    password_hash: &str,
) -> Result<bool, StoreError> {
    let found = ws.set_password(name, password_hash)?;
    if found {
        ws.audit(actor, "password_reset", Some(name), None)?;
    }
    Ok(found)
}

/// Changes a user's role and teams; whether the user exists.
pub fn set_access(
    ws: &mut Workspace,
    actor: &str,
    name: &str,
    role: Role,
    teams: &[String],
) -> Result<bool, StoreError> {
    let found = ws.set_role_and_teams(name, role, teams)?;
    if found {
        let detail = format!("{} teams={}", role.as_str(), teams.join(","));
        ws.audit(actor, "user_access_set", Some(name), Some(&detail))?;
    }
    Ok(found)
}

/// Disables or enables a user; whether the user exists.
pub fn set_disabled(
    ws: &mut Workspace,
    actor: &str,
    name: &str,
    disabled: bool,
) -> Result<bool, StoreError> {
    let found = ws.set_disabled(name, disabled)?;
    if found {
        let action = if disabled {
            "user_disabled"
        } else {
            "user_enabled"
        };
        ws.audit(actor, action, Some(name), None)?;
    }
    // What a disabled person held goes back to the queues, to another agent when one is free:
    // nobody's customers wait on an account that cannot sign in.
    if found && disabled {
        for (conversation, to) in ws.release_conversations_of(name, actor)? {
            tracing::info!(conversation, from = name, to = ?to, "conversation released");
        }
    }
    Ok(found)
}

/// Declares (or redefines) a team: its queues and channels.
pub fn set_team(
    ws: &mut Workspace,
    actor: &str,
    name: &str,
    queues: &[String],
    channels: &[String],
) -> Result<(), StoreError> {
    ws.set_team(name, queues, channels)?;
    let detail = format!(
        "queues={} channels={}",
        queues.join(","),
        channels.join(",")
    );
    ws.audit(actor, "team_set", Some(name), Some(&detail))
}

/// Stores the hash of a new API token for a user; whether the user exists.
pub fn create_token(
    ws: &mut Workspace,
    actor: &str,
    name: &str,
    label: &str,
    token: &str,
) -> Result<bool, StoreError> {
    let Some(user) = ws.user_by_name(name)? else {
        return Ok(false);
    };
    ws.create_api_token(user.id, &auth::token_hash(token), label)?;
    ws.audit(actor, "api_token_created", Some(name), Some(label))?;
    Ok(true)
}

/// Revokes a user's API token; whether it existed.
pub fn revoke_token(
    ws: &mut Workspace,
    actor: &str,
    name: &str,
    id: &str,
) -> Result<bool, StoreError> {
    let found = ws.revoke_api_token(name, id)?;
    if found {
        ws.audit(actor, "api_token_revoked", Some(name), Some(id))?;
    }
    Ok(found)
}

// ------------------------------------------------------------------ actions (API and pages)

/// A secret, shown once: a new user's or a reset password, or an API token.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Secret {
    /// The user it belongs to.
    pub name: String,
    /// `password` or `token`.
    pub kind: String,
    /// The secret itself: it is not kept and cannot be shown again.
    pub value: String,
}

async fn hashed(given: Option<String>) -> Result<(String, String, bool), ApiError> {
    tokio::task::spawn_blocking(move || password(given))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

fn no_user(name: &str) -> ApiError {
    ApiError::NotFound(format!("no user named `{name}`"))
}

pub(crate) async fn add_user(
    state: &AppState,
    caller: &Caller,
    b: NewUserBody,
) -> Result<Secret, ApiError> {
    caller.require(Role::Admin)?;
    let user = NewUser::new(&b.name, b.display_name.as_deref(), &b.role, &b.teams)?;
    let (password, hash, _) = hashed(None).await?;
    let (actor, u) = (caller.user.name.clone(), user.clone());
    let created = state
        .pool
        .run(move |ws| create_user(ws, &actor, &u, &hash))
        .await?;
    if !created {
        return Err(ApiError::Conflict(format!(
            "a user named `{}` already exists",
            user.name
        )));
    }
    tracing::info!(admin = %caller.user.name, user = %user.name, "user created");
    Ok(Secret {
        name: user.name,
        kind: "password".into(),
        value: password,
    })
}

pub(crate) async fn new_password(
    state: &AppState,
    caller: &Caller,
    name: &str,
) -> Result<Secret, ApiError> {
    caller.require(Role::Admin)?;
    let (password, hash, _) = hashed(None).await?;
    let (actor, n) = (caller.user.name.clone(), name.to_owned());
    if !state
        .pool
        .run(move |ws| reset_password(ws, &actor, &n, &hash))
        .await?
    {
        return Err(no_user(name));
    }
    Ok(Secret {
        name: name.to_owned(),
        kind: "password".into(),
        value: password,
    })
}

pub(crate) async fn change_access(
    state: &AppState,
    caller: &Caller,
    name: &str,
    b: AccessBody,
) -> Result<(), ApiError> {
    caller.require(Role::Admin)?;
    let role = role(&b.role)?;
    let teams = identifiers("team", &b.teams)?;
    if name == caller.user.name && role != Role::Admin {
        return Err(ApiError::Conflict(
            "you cannot take the admin role from yourself: ask another admin".into(),
        ));
    }
    let (actor, n) = (caller.user.name.clone(), name.to_owned());
    if !state
        .pool
        .run(move |ws| set_access(ws, &actor, &n, role, &teams))
        .await?
    {
        return Err(no_user(name));
    }
    Ok(())
}

pub(crate) async fn disable(
    state: &AppState,
    caller: &Caller,
    name: &str,
    disabled: bool,
) -> Result<(), ApiError> {
    caller.require(Role::Admin)?;
    if disabled && name == caller.user.name {
        return Err(ApiError::Conflict(
            "you cannot disable yourself: ask another admin".into(),
        ));
    }
    let (actor, n) = (caller.user.name.clone(), name.to_owned());
    if !state
        .pool
        .run(move |ws| set_disabled(ws, &actor, &n, disabled))
        .await?
    {
        return Err(no_user(name));
    }
    Ok(())
}

pub(crate) async fn add_team(
    state: &AppState,
    caller: &Caller,
    b: TeamBody,
) -> Result<(), ApiError> {
    caller.require(Role::Admin)?;
    let name = identifier("team", &b.name)?;
    let queues = identifiers("queue", &b.queues)?;
    let mut channels: Vec<String> = Vec::new();
    for raw in b.channels.iter().filter(|c| !c.trim().is_empty()) {
        let key = state
            .settings
            .known_channel(raw)
            .map_err(ApiError::Unprocessable)?;
        if !channels.contains(&key) {
            channels.push(key);
        }
    }
    if queues.is_empty() && channels.is_empty() {
        return Err(ApiError::Unprocessable(
            "a team works on at least one queue or one channel".into(),
        ));
    }
    let actor = caller.user.name.clone();
    state
        .pool
        .run(move |ws| set_team(ws, &actor, &name, &queues, &channels))
        .await
}

pub(crate) async fn add_token(
    state: &AppState,
    caller: &Caller,
    name: &str,
    label: Option<&str>,
) -> Result<Secret, ApiError> {
    caller.require(Role::Admin)?;
    let label = label
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .unwrap_or("api");
    if label.chars().count() > 64 || label.chars().any(char::is_control) {
        return Err(ApiError::Unprocessable(
            "a token label has at most 64 characters and no control characters".into(),
        ));
    }
    let token = auth::random_token()?;
    let (actor, n, l, t) = (
        caller.user.name.clone(),
        name.to_owned(),
        label.to_owned(),
        token.clone(),
    );
    if !state
        .pool
        .run(move |ws| create_token(ws, &actor, &n, &l, &t))
        .await?
    {
        return Err(no_user(name));
    }
    Ok(Secret {
        name: name.to_owned(),
        kind: "token".into(),
        value: token,
    })
}

/// Users, teams and API tokens, for the admin page.
pub(crate) async fn overview(
    state: &AppState,
    caller: &Caller,
) -> Result<(Vec<User>, Vec<Team>, Vec<ApiToken>), ApiError> {
    caller.require(Role::Admin)?;
    state
        .pool
        .run(|ws| Ok((ws.users()?, ws.team_list()?, ws.api_tokens()?)))
        .await
}

pub(crate) async fn remove_token(
    state: &AppState,
    caller: &Caller,
    name: &str,
    id: &str,
) -> Result<(), ApiError> {
    caller.require(Role::Admin)?;
    let (actor, n, i) = (caller.user.name.clone(), name.to_owned(), id.to_owned());
    if state
        .pool
        .run(move |ws| revoke_token(ws, &actor, &n, &i))
        .await?
    {
        // Requests already authenticated by it are forgotten at once, not after the cache's TTL.
        state.callers.clear();
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "no API token `{id}` for `{name}`"
        )))
    }
}

// ------------------------------------------------------------------ JSON endpoints

/// A user to create; the password is generated and answered once.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// The sign-in name: 1 to 64 characters, no spaces or commas.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = "^[^\\s,\\x00-\\x1f\\x7f]+$"
    )]
    pub name: String,
    /// Shown in the inbox (default: the name).
    pub display_name: Option<String>,
    /// admin, manager or agent.
    #[schema(pattern = "^(admin|manager|agent)$")]
    pub role: String,
    /// The teams whose queues an agent works on.
    #[serde(default)]
    pub teams: Vec<String>,
}

/// A user's role and teams.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessBody {
    /// admin, manager or agent.
    #[schema(pattern = "^(admin|manager|agent)$")]
    pub role: String,
    #[serde(default)]
    pub teams: Vec<String>,
}

/// A team and what it works on (replaces it if the team exists): the conversations in its
/// queues and, when it names channels, addressed to one of them. A team naming channels and no
/// queue works on every queue of those channels.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamBody {
    /// 1 to 64 characters, no commas.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = "^[^\\s,\\x00-\\x1f\\x7f]+$"
    )]
    pub name: String,
    #[serde(default)]
    pub queues: Vec<String>,
    /// The brand's channels, `PLATFORM:ID` (see `/api/channels`); empty: every channel.
    #[serde(default)]
    pub channels: Vec<String>,
}

/// Whether a user is disabled (signs in and opens nothing) or enabled.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisabledBody {
    pub disabled: bool,
}

/// A new API token's label.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// What the token is for (default `api`).
    pub label: Option<String>,
}

/// A secret in a response no cache keeps.
pub(crate) fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[utoipa::path(get, path = "/api/admin/users",
    responses((status = 200, body = [User]), (status = 403, description = "Admins only", body = ErrorBody)))]
pub(crate) async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<User>>, ApiError> {
    Ok(Json(overview(&state, &caller).await?.0))
}

#[utoipa::path(get, path = "/api/admin/teams",
    responses((status = 200, body = [Team]), (status = 403, description = "Admins only", body = ErrorBody)))]
pub(crate) async fn list_teams(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Team>>, ApiError> {
    Ok(Json(overview(&state, &caller).await?.1))
}

#[utoipa::path(post, path = "/api/admin/users", request_body = NewUserBody,
    responses((status = 200, description = "The user, with their generated password (shown once)", body = Secret),
              (status = 400, body = ErrorBody), (status = 403, description = "Admins only", body = ErrorBody),
              (status = 409, description = "The name is taken", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn post_user(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    parsed: Result<Json<NewUserBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    caller.require(Role::Admin)?;
    let b = body(parsed)?;
    Ok(no_store(
        Json(add_user(&state, &caller, b).await?).into_response(),
    ))
}

#[utoipa::path(post, path = "/api/admin/users/{name}/password",
    params(("name" = String, Path, description = "User name")),
    responses((status = 200, description = "The new generated password (shown once)", body = Secret),
              (status = 403, description = "Admins only", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn post_password(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    Ok(no_store(
        Json(new_password(&state, &caller, &name).await?).into_response(),
    ))
}

#[utoipa::path(post, path = "/api/admin/users/{name}/access", request_body = AccessBody,
    params(("name" = String, Path, description = "User name")),
    responses((status = 200, body = Accepted), (status = 400, body = ErrorBody),
              (status = 403, description = "Admins only", body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "An admin cannot demote themselves", body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub(crate) async fn post_access(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(name): Path<String>,
    parsed: Result<Json<AccessBody>, JsonRejection>,
) -> Result<Json<Accepted>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    caller.require(Role::Admin)?;
    let b = body(parsed)?;
    change_access(&state, &caller, &name, b).await?;
    Ok(Json(Accepted {
        ok: true,
        outbox_id: None,
        created: None,
    }))
}

#[utoipa::path(post, path = "/api/admin/users/{name}/tokens", request_body = TokenBody,
    params(("name" = String, Path, description = "User name")),
    responses((status = 200, description = "The new API token (shown once; only its hash is kept)", body = Secret),
              (status = 403, description = "Admins only", body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub(crate) async fn post_token(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(name): Path<String>,
    parsed: Result<Json<TokenBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    caller.require(Role::Admin)?;
    let b = body(parsed)?;
    Ok(no_store(
        Json(add_token(&state, &caller, &name, b.label.as_deref()).await?).into_response(),
    ))
}

#[utoipa::path(get, path = "/api/admin/tokens",
    responses((status = 200, description = "Every API token: its id (the first 12 hex characters of its hash), user, label, creation", body = [ApiToken]),
              (status = 403, description = "Admins only", body = ErrorBody)))]
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ApiToken>>, ApiError> {
    Ok(Json(overview(&state, &caller).await?.2))
}

#[utoipa::path(post, path = "/api/admin/users/{name}/tokens/{id}/revoke",
    params(("name" = String, Path, description = "User name"), ("id" = String, Path, description = "The token's id, from /api/admin/tokens")),
    responses((status = 200, body = Accepted), (status = 403, description = "Admins only", body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub(crate) async fn post_revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
) -> Result<Json<Accepted>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    remove_token(&state, &caller, &name, &id).await?;
    Ok(Json(Accepted {
        ok: true,
        outbox_id: None,
        created: None,
    }))
}

#[utoipa::path(post, path = "/api/admin/users/{name}/disabled", request_body = DisabledBody,
    params(("name" = String, Path, description = "User name")),
    responses((status = 200, body = Accepted), (status = 400, body = ErrorBody),
              (status = 403, description = "Admins only", body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "An admin cannot disable themselves", body = ErrorBody)))]
pub(crate) async fn post_disabled(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(name): Path<String>,
    parsed: Result<Json<DisabledBody>, JsonRejection>,
) -> Result<Json<Accepted>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    caller.require(Role::Admin)?;
    let b = body(parsed)?;
    disable(&state, &caller, &name, b.disabled).await?;
    Ok(Json(Accepted {
        ok: true,
        outbox_id: None,
        created: None,
    }))
}

#[utoipa::path(post, path = "/api/admin/teams", request_body = TeamBody,
    responses((status = 200, body = Accepted), (status = 400, body = ErrorBody),
              (status = 403, description = "Admins only", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn post_team(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    parsed: Result<Json<TeamBody>, JsonRejection>,
) -> Result<Json<Accepted>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    caller.require(Role::Admin)?;
    let b = body(parsed)?;
    add_team(&state, &caller, b).await?;
    Ok(Json(Accepted {
        ok: true,
        outbox_id: None,
        created: None,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_teams_and_roles_are_checked() {
        let u = NewUser::new(" ana ", None, "agent", &["care".into(), "care".into()]).unwrap();
        assert_eq!(
            (u.name.as_str(), u.display_name.as_str(), u.role),
            ("ana", "ana", Role::Agent)
        );
        assert_eq!(u.teams, vec!["care"]);
        assert!(NewUser::new("a b", None, "agent", &[]).is_err());
        assert!(NewUser::new("", None, "agent", &[]).is_err());
        assert!(NewUser::new("ana", None, "boss", &[]).is_err());
        assert!(NewUser::new("ana", None, "agent", &["a,b".into()]).is_err());
        assert!(NewUser::new("ana", Some("A\u{7}"), "agent", &[]).is_err());
        assert_eq!(split_list(" a, b,,c "), vec!["a", "b", "c"]);
    }

    #[test]
    fn passwords_are_generated_or_long_enough() {
        let (p, h, generated) = password(None).unwrap();
        assert!(generated && p.len() == 20 && auth::verify_password(&p, &h));
        assert!(password(Some("short".into())).is_err());
        let (p, h, generated) = password(Some("twelve chars".into())).unwrap();
        assert!(!generated && auth::verify_password(&p, &h));
    }
}
