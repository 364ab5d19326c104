//! Scheduled publishing in the web app and the API: anyone writes a post and submits it,
//! managers approve, reject and release held posts; the calendar (week, month) and the list
//! show them in the brand's time zone. Every action is one function used by the JSON handler
//! and by the form handler; the store keeps the states (`workspace/posts.rs`), the binary's
//! outbox publishes at the time.

use crate::AppState;
use crate::api::{ErrorBody, body};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::pages::{Lang, PageCaller, act, error_page, page};
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use minijinja::context;
use palabre_core::post::{Draft, PostError, check, due_at, local_time, zone};
use palabre_core::{Channel, Platform};
use palabre_store::workspace::{NewPost, Post, PostEdit, PostRefusal, PostStatus, Role};
use serde::Deserialize;

pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/posts", get(list_posts).post(post_post))
        .route("/api/posts/{id}", get(get_post).patch(patch_post))
        .route("/api/posts/{id}/{step}", post(post_step))
        .route("/api/posts-held/release", post(post_release_all))
        .route("/api/best-times", get(get_best_times))
        .route("/publishing", get(publishing).post(form_new))
        .route("/publishing/{id}/edit", post(form_edit))
        .route("/publishing/{id}/{step}", post(form_step))
        .route("/publishing-held/release", post(form_release_all))
}

/// A post as the API shows it: as stored, with its time in its zone and its public address
/// once published.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PostView {
    #[serde(flatten)]
    pub post: Post,
    /// Its time as people of its zone read it (`2026-12-10 18:00`).
    pub local_time: Option<String>,
    /// The published post's address on the platform.
    pub link: Option<String>,
}

/// A new post.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostBody {
    /// The channel's key (`x:1000`) or handle (`@marque`).
    pub channel: String,
    pub text: String,
    /// `fr` (default) or `en`.
    pub lang: Option<String>,
    /// `2026-12-10 18:00` in `time_zone`, or an instant with its offset; `slot`: the next free
    /// queue slot of the channel (`[publishing] slots`); none: no time yet.
    pub at: Option<String>,
    /// IANA name (default: `[publishing] time_zone`).
    pub time_zone: Option<String>,
    /// Submit it for approval at once (default false: a draft).
    #[serde(default)]
    pub submit: bool,
}

/// What changes in a post; what is absent stays.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    /// A new text makes a new version, approved again.
    pub text: Option<String>,
    pub lang: Option<String>,
    /// A new time (an empty string takes the time away; `slot`: the next free queue slot);
    /// the approvals stay.
    pub at: Option<String>,
    pub time_zone: Option<String>,
}

/// A step in a post's life (`submit`, `approve`, `reject`, `cancel`, `release`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    /// Why (required to reject).
    pub reason: Option<String>,
}

/// Which posts.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PostsQuery {
    /// Due at or after (RFC 3339).
    pub from: Option<String>,
    /// Due before (RFC 3339).
    pub to: Option<String>,
    /// Only this status.
    pub status: Option<String>,
}

/// How far back the best time to post reads the history.
const BEST_TIME_WEEKS: i64 = 8;

/// When a channel's audience is there, and the coming hours to post in.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct BestTimes {
    /// `PLATFORM:ID`.
    pub channel: String,
    /// The zone the hours are in (the brand's).
    pub time_zone: String,
    /// Weeks of history read.
    pub weeks: i64,
    /// Interactions by weekday (Monday first) and hour (0 to 23).
    pub heat: Vec<Vec<u64>>,
    pub total: u64,
    /// Days of history found (from the first interaction counted).
    pub days: i64,
    /// Enough history to suggest anything (100 interactions over two weeks at least).
    pub enough: bool,
    /// The crisis brake is on: nothing is suggested.
    pub brake: bool,
    /// Interactions in the typical hour of the week (the median hour; the mean when most
    /// hours are empty).
    pub typical: f64,
    /// The best free hours of the coming week, best first.
    pub suggestions: Vec<SlotView>,
}

/// A suggested hour and its evidence.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SlotView {
    /// RFC 3339.
    pub at: String,
    /// `2026-12-08 18:00` in the brand's zone.
    pub local: String,
    /// 0 = Monday.
    pub weekday: usize,
    pub hour: usize,
    /// Interactions in that hour of the week over the weeks read.
    pub interactions: u64,
    /// Times the typical hour.
    pub ratio: f64,
}

/// Which channel.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BestTimesQuery {
    /// The channel's key (default: the brand's first channel where Palabre publishes).
    pub channel: Option<String>,
}

/// The channels Palabre publishes on.
fn publishable(state: &AppState) -> impl Iterator<Item = &crate::ChannelInfo> {
    state
        .settings
        .channels
        .iter()
        .filter(|c| matches!(c.platform.as_str(), "x" | "mastodon" | "bluesky"))
}

/// The heat map of `channel` (or the first publishable one) and its suggestions.
pub(crate) async fn best_times(
    state: &AppState,
    channel: Option<&str>,
) -> Result<BestTimes, ApiError> {
    let info = match channel {
        Some(key) => publishable(state).find(|c| c.key == key).ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "channel `{key}` is not one of the brand's channels where Palabre publishes"
            ))
        })?,
        None => publishable(state).next().ok_or_else(|| {
            ApiError::Unprocessable(
                "no channel where Palabre publishes (X, Mastodon, Bluesky) is configured".into(),
            )
        })?,
    };
    let zone_name = state.settings.publishing.time_zone.clone();
    let tz = zone(&zone_name).map_err(invalid(false))?;
    let now = Timestamp::now();
    let since = now.as_millisecond() - BEST_TIME_WEEKS * 7 * 86_400_000;
    let (platform, key) = (info.platform.clone(), info.key.clone());
    let (hours, planned, brake) = state
        .pool
        .run(move |ws| {
            Ok((
                ws.interactions_by_hour(&platform, since)?,
                ws.planned_times(&key)?,
                ws.brake()?.engaged,
            ))
        })
        .await?;
    let heat = palabre_core::best_time::HeatMap::from_hours(&hours, &tz, now);
    let taken: Vec<Timestamp> = planned
        .into_iter()
        .filter_map(|ms| Timestamp::from_millisecond(ms).ok())
        .collect();
    let suggestions = if brake {
        Vec::new()
    } else {
        heat.suggest(now, &tz, &taken, 3)
            .into_iter()
            .map(|s| SlotView {
                at: s.at.to_string(),
                local: local_time(s.at, &zone_name),
                weekday: s.weekday,
                hour: s.hour,
                interactions: s.interactions,
                ratio: (s.ratio * 10.0).round() / 10.0,
            })
            .collect()
    };
    Ok(BestTimes {
        channel: info.key.clone(),
        time_zone: zone_name,
        weeks: BEST_TIME_WEEKS,
        heat: heat.cells.iter().map(|row| row.to_vec()).collect(),
        total: heat.total,
        days: heat.days,
        enough: heat.enough(),
        brake,
        typical: (heat.typical() * 10.0).round() / 10.0,
        suggestions,
    })
}

#[utoipa::path(get, path = "/api/best-times", params(BestTimesQuery),
    responses((status = 200, body = BestTimes), (status = 422, body = ErrorBody)))]
async fn get_best_times(
    State(state): State<AppState>,
    _caller: Caller,
    query: Result<Query<BestTimesQuery>, QueryRejection>,
) -> Result<Json<BestTimes>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    Ok(Json(best_times(&state, q.channel.as_deref()).await?))
}

/// A refusal as an HTTP error, in French for the French pages (the API speaks English).
pub(crate) fn refused(french: bool) -> impl Fn(PostRefusal) -> ApiError {
    move |r| {
        let said = r.say(french);
        match r {
            PostRefusal::NotFound(_) | PostRefusal::NoImage { .. } => ApiError::NotFound(said),
            PostRefusal::OwnPost => ApiError::Forbidden(said),
            // An image the platform would refuse.
            PostRefusal::Image(_) => ApiError::Unprocessable(said),
            _ => ApiError::Conflict(said),
        }
    }
}

/// A post that breaks a rule, as a 422, in French for the French pages.
fn invalid(french: bool) -> impl Fn(PostError) -> ApiError {
    move |e| ApiError::Unprocessable(e.say(french))
}

/// The brand's channels as the rules read them.
fn channels(state: &AppState) -> Vec<Channel> {
    state
        .settings
        .channels
        .iter()
        .filter_map(|c| {
            let platform: Platform = c.platform.parse().ok()?;
            let id = c.key.split_once(':')?.1;
            Channel::new(platform, id, &c.handle).ok()
        })
        .collect()
}

pub(crate) fn view(state: &AppState, post: Post) -> PostView {
    let local = post
        .due_ms
        .and_then(|ms| Timestamp::from_millisecond(ms).ok())
        .map(|at| local_time(at, &post.tz));
    let link = post.link.clone().or_else(|| {
        let remote = post.remote_id.as_deref()?;
        let channel = state
            .settings
            .channels
            .iter()
            .find(|c| c.key == post.channel)?;
        palabre_core::post::link(channel.platform.parse().ok()?, &channel.handle, remote)
    });
    PostView {
        post,
        local_time: local,
        link,
    }
}

/// Writes a post as `caller`.
pub(crate) async fn create(
    state: &AppState,
    caller: &Caller,
    b: PostBody,
    french: bool,
) -> Result<PostView, ApiError> {
    let rules = state.settings.publishing.clone();
    let zone_name = b.time_zone.unwrap_or(rules.time_zone);
    let wants_slot = b.at.as_deref().map(str::trim) == Some(SLOT);
    let mut checked = check(
        &Draft {
            channel: &b.channel,
            text: &b.text,
            lang: b.lang.as_deref().unwrap_or("fr"),
            at: b.at.as_deref().filter(|_| !wants_slot),
            zone: &zone_name,
        },
        &channels(state),
        Some(Timestamp::now()),
    )
    .map_err(invalid(french))?;
    if wants_slot {
        let at = next_slot(state, &checked.channel, &zone_name, french).await?;
        checked.due = Timestamp::from_millisecond(at).ok();
    }
    let author = caller.user.name.clone();
    let submit = b.submit;
    let result = state
        .pool
        .run(move |ws| {
            ws.create_post(&NewPost {
                id: None,
                channel: &checked.channel,
                platform: checked.platform.as_str(),
                text: &checked.text,
                lang: &checked.lang,
                due_ms: checked.due.map(|d| d.as_millisecond()),
                tz: &checked.zone,
                author: &author,
                approvals_needed: rules.approvals,
                submit,
            })
        })
        .await?;
    Ok(view(state, result.map_err(refused(french))?))
}

pub(crate) async fn load(state: &AppState, id: &str, french: bool) -> Result<Post, ApiError> {
    let key = id.to_owned();
    state
        .pool
        .run(move |ws| ws.post(&key))
        .await?
        .ok_or_else(|| refused(french)(PostRefusal::NotFound(id.to_owned())))
}

/// What `at` says to take the next free queue slot.
const SLOT: &str = "slot";

/// The next free queue slot of `channel` (Unix ms), or why there is none.
async fn next_slot(
    state: &AppState,
    channel: &str,
    zone_name: &str,
    french: bool,
) -> Result<i64, ApiError> {
    let slots = state.settings.publishing.slots.clone();
    if slots.is_empty() {
        return Err(ApiError::Unprocessable(
            "no queue slot is configured: add [publishing] slots, or give a time".into(),
        ));
    }
    let key = channel.to_owned();
    let planned = state.pool.run(move |ws| ws.planned_times(&key)).await?;
    let taken: Vec<Timestamp> = planned
        .into_iter()
        .filter_map(|ms| Timestamp::from_millisecond(ms).ok())
        .collect();
    palabre_core::post::next_free_slot(&slots, zone_name, Timestamp::now(), &taken)
        .map(Timestamp::as_millisecond)
        .map_err(invalid(french))
}

/// Only its author or a manager changes a post.
pub(crate) fn own_or_manager(caller: &Caller, post: &Post) -> Result<(), ApiError> {
    if post.author == caller.user.name {
        Ok(())
    } else {
        caller.require(Role::Manager)
    }
}

/// Changes a post's text, language or time.
pub(crate) async fn edit(
    state: &AppState,
    caller: &Caller,
    id: &str,
    b: EditBody,
    french: bool,
) -> Result<PostView, ApiError> {
    let post = load(state, id, french).await?;
    own_or_manager(caller, &post)?;
    let zone_name = b.time_zone.clone().unwrap_or_else(|| post.tz.clone());
    zone(&zone_name).map_err(invalid(french))?;
    let platform: Platform = post
        .platform
        .parse()
        .map_err(|_| ApiError::Internal(format!("post `{id}` has platform `{}`", post.platform)))?;
    let text = match &b.text {
        Some(t) => Some(palabre_core::post::check_text(platform, t).map_err(invalid(french))?),
        None => None,
    };
    let lang = match b.lang.as_deref().map(|l| l.trim().to_ascii_lowercase()) {
        Some(l) if l != "fr" && l != "en" => return Err(invalid(french)(PostError::Lang(l))),
        other => other,
    };
    let due_ms = match b.at.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(SLOT) => Some(Some(
            next_slot(state, &post.channel, &zone_name, french).await?,
        )),
        Some(at) => Some(Some(
            palabre_core::post::due_after(at, &zone_name, Timestamp::now())
                .map_err(invalid(french))?
                .as_millisecond(),
        )),
    };
    let actor = caller.user.name.clone();
    let key = id.to_owned();
    let result = state
        .pool
        .run(move |ws| {
            ws.edit_post(
                &key,
                &PostEdit {
                    text: text.as_deref(),
                    lang: lang.as_deref(),
                    due_ms,
                    tz: Some(&zone_name),
                },
                &actor,
            )
        })
        .await?;
    state.engine.outbox_changed();
    Ok(view(state, result.map_err(refused(french))?))
}

/// Submits, approves, rejects, cancels or releases a post as `caller`.
pub(crate) async fn step(
    state: &AppState,
    caller: &Caller,
    id: &str,
    step: &str,
    reason: Option<String>,
    french: bool,
) -> Result<PostView, ApiError> {
    let post = load(state, id, french).await?;
    match step {
        "submit" | "cancel" => own_or_manager(caller, &post)?,
        "approve" | "reject" | "release" => caller.require(Role::Manager)?,
        other => {
            return Err(ApiError::NotFound(format!(
                "no step `{other}`: submit, approve, reject, cancel or release"
            )));
        }
    }
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if step == "reject" && reason.is_none() {
        return Err(ApiError::Unprocessable(
            "say why the post is rejected (a reason is required)".into(),
        ));
    }
    let actor = caller.user.name.clone();
    let self_approval = state.settings.publishing.self_approval;
    let (key, step_name) = (id.to_owned(), step.to_owned());
    let result = state
        .pool
        .run(move |ws| match step_name.as_str() {
            "submit" => ws.submit_post(&key, &actor),
            "approve" => ws.approve_post(&key, &actor, self_approval),
            "reject" => ws.reject_post(&key, &actor, reason.as_deref().unwrap_or_default()),
            "cancel" => ws.cancel_post(&key, &actor),
            _ => ws.release_post(&key, &actor),
        })
        .await?;
    state.engine.outbox_changed();
    Ok(view(state, result.map_err(refused(french))?))
}

/// Publishes every held post now (a manager; the brake must be off).
pub(crate) async fn release_all(
    state: &AppState,
    caller: &Caller,
    french: bool,
) -> Result<Vec<PostView>, ApiError> {
    caller.require(Role::Manager)?;
    let actor = caller.user.name.clone();
    let released = state
        .pool
        .run(move |ws| {
            let held = ws.posts(None, None, Some(PostStatus::Held))?;
            let mut out = Vec::with_capacity(held.len());
            for p in held {
                out.push(ws.release_post(&p.id, &actor)?);
            }
            Ok(out)
        })
        .await?;
    state.engine.outbox_changed();
    released
        .into_iter()
        .map(|r| r.map(|p| view(state, p)).map_err(refused(french)))
        .collect()
}

fn instant(field: &str, raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    raw.map(|r| {
        r.parse::<Timestamp>()
            .map(Timestamp::as_millisecond)
            .map_err(|_| {
                ApiError::BadRequest(format!("{field}: expected an RFC 3339 instant, got `{r}`"))
            })
    })
    .transpose()
}

#[utoipa::path(get, path = "/api/posts", params(PostsQuery),
    responses((status = 200, body = [PostView])))]
async fn list_posts(
    State(state): State<AppState>,
    _caller: Caller,
    query: Result<Query<PostsQuery>, QueryRejection>,
) -> Result<Json<Vec<PostView>>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let from = instant("from", q.from.as_deref())?;
    let to = instant("to", q.to.as_deref())?;
    let status = q
        .status
        .as_deref()
        .map(|s| {
            PostStatus::parse(s)
                .ok_or_else(|| ApiError::BadRequest(format!("status: no status `{s}`")))
        })
        .transpose()?;
    let posts = state.pool.run(move |ws| ws.posts(from, to, status)).await?;
    Ok(Json(posts.into_iter().map(|p| view(&state, p)).collect()))
}

#[utoipa::path(post, path = "/api/posts", request_body = PostBody,
    responses((status = 201, body = PostView), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn post_post(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    parsed: Result<Json<PostBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    let created = create(&state, &caller, body(parsed)?, false).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[utoipa::path(get, path = "/api/posts/{id}", params(("id" = String, Path, description = "Post id")),
    responses((status = 200, body = PostView), (status = 404, body = ErrorBody)))]
async fn get_post(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<PostView>, ApiError> {
    let post = load(&state, &id, false).await?;
    Ok(Json(view(&state, post)))
}

#[utoipa::path(patch, path = "/api/posts/{id}", params(("id" = String, Path, description = "Post id")),
    request_body = EditBody,
    responses((status = 200, body = PostView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn patch_post(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    parsed: Result<Json<EditBody>, JsonRejection>,
) -> Result<Json<PostView>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    Ok(Json(
        edit(&state, &caller, &id, body(parsed)?, false).await?,
    ))
}

#[utoipa::path(post, path = "/api/posts/{id}/{step}",
    params(("id" = String, Path, description = "Post id"),
        ("step" = String, Path, description = "submit, approve, reject, cancel or release")),
    request_body = StepBody,
    responses((status = 200, body = PostView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_step(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((id, name)): Path<(String, String)>,
    parsed: Result<Json<StepBody>, JsonRejection>,
) -> Result<Json<PostView>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    // The body is optional (only `reject` needs one): none at all is no reason.
    let reason = match parsed {
        Err(JsonRejection::MissingJsonContentType(_)) => None,
        other => body(other)?.reason,
    };
    Ok(Json(
        step(&state, &caller, &id, &name, reason, false).await?,
    ))
}

#[utoipa::path(post, path = "/api/posts-held/release",
    responses((status = 200, body = [PostView]), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn post_release_all(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Json<Vec<PostView>>, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    Ok(Json(release_all(&state, &caller, false).await?))
}

// ------------------------------------------------------------------ pages

#[derive(Deserialize)]
struct CalendarQuery {
    /// week (default), month or list.
    view: Option<String>,
    /// A day of the period shown (YYYY-MM-DD; default today).
    date: Option<String>,
    /// The channel whose best times are shown.
    channel: Option<String>,
    /// A suggested time to prefill the new post's time with (`YYYY-MM-DDTHH:MM`).
    slot: Option<String>,
}

/// The publishing page: held posts first, then the calendar (week or month) or the list, and
/// the form to write a post.
async fn publishing(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    query: Result<Query<CalendarQuery>, QueryRejection>,
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
    let zone_name = state.settings.publishing.time_zone.clone();
    let tz = zone(&zone_name).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = Timestamp::now().to_zoned(tz.clone()).date();
    let day = match q.date.as_deref().map(str::parse::<Date>) {
        None => today,
        Some(Ok(d)) => d,
        Some(Err(_)) => {
            return error_page(
                &state,
                &lang,
                Some(&caller),
                ApiError::BadRequest("date: expected YYYY-MM-DD".into()),
            );
        }
    };
    let mode = match q.view.as_deref() {
        Some("month") => "month",
        Some("list") => "list",
        _ => "week",
    };
    let (first, last) = match mode {
        "month" => {
            let start = day.first_of_month();
            let start = start - i64::from(start.weekday().to_monday_zero_offset()).days();
            let end = day.last_of_month();
            let end = end + i64::from(6 - end.weekday().to_monday_zero_offset()).days();
            (start, end)
        }
        _ => {
            let start = day - i64::from(day.weekday().to_monday_zero_offset()).days();
            (start, start + 6.days())
        }
    };
    let bounds = |d: Date| {
        d.to_zoned(tz.clone())
            .map(|z| z.timestamp().as_millisecond())
            .unwrap_or_default()
    };
    let (from, to) = if mode == "list" {
        (None, None)
    } else {
        (Some(bounds(first)), Some(bounds(last + 1.day())))
    };
    let found = state
        .pool
        .run(move |ws| {
            Ok((
                ws.posts(from, to, None)?,
                ws.posts(None, None, Some(PostStatus::Held))?,
            ))
        })
        .await;
    let (posts, held) = match found {
        Ok(found) => found,
        Err(e) => return error_page(&state, &lang, Some(&caller), e),
    };
    let channel = q.channel.clone().filter(|c| !c.is_empty());
    let posts: Vec<Post> = posts
        .into_iter()
        .filter(|p| channel.as_ref().is_none_or(|c| &p.channel == c))
        .collect();
    let card = |p: Post| {
        let due = p
            .due_ms
            .and_then(|ms| Timestamp::from_millisecond(ms).ok())
            .map(|at| at.to_zoned(tz.clone()));
        let v = view(&state, p);
        context! { id => v.post.id, text => v.post.text, status => v.post.status.as_str(),
        channel => state.settings.channel_label(&v.post.channel), lang => v.post.lang,
        author => v.post.author, approvals => v.post.approvals.len(), needed => v.post.approvals_needed,
        approved_by => v.post.approvals, note => v.post.note, link => v.link,
        images => v.post.images.iter().map(|i| context! { position => i.position, alt => i.alt,
            width => i.width, height => i.height }).collect::<Vec<_>>(),
        day => due.as_ref().map(|z| z.date().to_string()),
        time => due.as_ref().map(|z| z.strftime("%H:%M").to_string()),
        local => due.as_ref().map(|z| z.strftime("%Y-%m-%dT%H:%M").to_string()),
        mine => v.post.author == caller.user.name }
    };
    let cards: Vec<minijinja::Value> = posts.into_iter().map(card).collect();
    let held: Vec<minijinja::Value> = held.into_iter().map(card).collect();
    let mut days = Vec::new();
    let mut d = first;
    while d <= last && mode != "list" {
        let key = d.to_string();
        let here: Vec<&minijinja::Value> = cards
            .iter()
            .filter(|c| {
                c.get_attr("day")
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    == Some(key.clone())
            })
            .collect();
        days.push(
            context! { date => key, day => d.day(), weekday => d.weekday().to_monday_zero_offset(),
            month => d.month(), other_month => mode == "month" && d.month() != day.month(),
            today => d == today, posts => here },
        );
        d = d.tomorrow().unwrap_or(last + 1.day());
    }
    let undated: Vec<&minijinja::Value> = cards
        .iter()
        .filter(|c| c.get_attr("day").map(|v| v.is_none()).unwrap_or(true))
        .collect();
    let step = match mode {
        "month" => 1.month(),
        _ => 1.week(),
    };
    let channels: Vec<_> = publishable(&state)
        .map(|c| context! { key => c.key, label => state.settings.channel_label(&c.key) })
        .collect();
    let best = match best_times(&state, channel.as_deref()).await {
        Ok(best) => {
            let max = best
                .heat
                .iter()
                .flatten()
                .copied()
                .max()
                .unwrap_or(0)
                .max(1);
            let rows: Vec<_> = best
                .heat
                .iter()
                .enumerate()
                .map(|(day, row)| {
                    let cells: Vec<_> = row
                        .iter()
                        .map(|n| context! { n => n, level => (n * 5).div_ceil(max) })
                        .collect();
                    context! { day => day, cells => cells }
                })
                .collect();
            let suggestions: Vec<_> = best
                .suggestions
                .iter()
                .map(|s| {
                    let ratio = format!("{:.1}", s.ratio);
                    context! { local => s.local, weekday => s.weekday,
                    time => format!("{:02}:00", s.hour), interactions => s.interactions,
                    ratio => if lang.0.code() == "fr" { ratio.replace('.', ",") } else { ratio },
                    at => s.local.replace(' ', "T") }
                })
                .collect();
            Some(
                context! { channel => best.channel, label => state.settings.channel_label(&best.channel),
                rows => rows, total => best.total, days => best.days, enough => best.enough,
                brake => best.brake, weeks => best.weeks, suggestions => suggestions },
            )
        }
        // No channel where Palabre publishes: the page says so above.
        Err(_) => None,
    };
    page(
        &state,
        &lang,
        &caller,
        "publishing.html",
        "publishing",
        context! { mode => mode, days => days, list => cards, undated => undated, held => held,
        date => day.to_string(), prev => day.checked_sub(step).map(|d| d.to_string()).ok(),
        next => day.checked_add(step).map(|d| d.to_string()).ok(), today => today.to_string(),
        zone => zone_name, channels => channels, best => best,
        channel => channel.clone().unwrap_or_default(),
        queue_slots => state.settings.publishing.slots.iter()
            .map(|s| format!("{} {}", s.weekday_label(lang.0 == crate::i18n::UiLang::Fr), s.time.strftime("%H:%M")))
            .collect::<Vec<_>>(),
        slot => q.slot,
        manager => caller.user.role >= Role::Manager,
        approvals => state.settings.publishing.approvals },
    )
    .await
}

/// The page is in French.
pub(crate) fn french(lang: &Lang) -> bool {
    lang.0 == crate::i18n::UiLang::Fr
}

/// Where a form goes back to: the page it was sent from (a path of this app only).
pub(crate) fn back_to(back: Option<String>) -> String {
    back.filter(|b| b.starts_with("/publishing") && !b.starts_with("//"))
        .unwrap_or_else(|| "/publishing".to_owned())
}

/// A `datetime-local` input's value (`2026-12-10T18:00`) is a local time; empty is none.
fn form_time(raw: Option<String>) -> Option<String> {
    raw.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty())
}

#[derive(Deserialize)]
struct NewForm {
    csrf: Option<String>,
    channel: String,
    text: String,
    lang: Option<String>,
    at: Option<String>,
    /// Ticked: the next free queue slot rather than `at`.
    slot: Option<String>,
    submit: Option<String>,
    back: Option<String>,
}

async fn form_new(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Form(f): Form<NewForm>,
) -> Response {
    let back = back_to(f.back);
    act(&state, &lang, &caller, f.csrf.as_deref(), back, async {
        let b = PostBody {
            channel: f.channel,
            text: f.text,
            lang: f.lang,
            at: if f.slot.is_some() {
                Some(SLOT.to_owned())
            } else {
                form_time(f.at)
            },
            time_zone: None,
            submit: f.submit.is_some(),
        };
        create(&state, &caller, b, french(&lang)).await.map(|_| ())
    })
    .await
}

#[derive(Deserialize)]
struct EditForm {
    csrf: Option<String>,
    text: Option<String>,
    /// A new local time; or a new day (`YYYY-MM-DD`, dropped on the calendar) keeping the time.
    at: Option<String>,
    date: Option<String>,
    back: Option<String>,
}

async fn form_edit(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    Form(f): Form<EditForm>,
) -> Response {
    let back = back_to(f.back);
    act(&state, &lang, &caller, f.csrf.as_deref(), back, async {
        let at = match (form_time(f.at), form_time(f.date)) {
            (Some(at), _) => Some(at),
            (None, Some(date)) => Some(moved_to_day(&state, &id, &date, french(&lang)).await?),
            (None, None) => None,
        };
        let b = EditBody {
            text: f.text.filter(|t| !t.trim().is_empty()),
            at,
            ..Default::default()
        };
        edit(&state, &caller, &id, b, french(&lang))
            .await
            .map(|_| ())
    })
    .await
}

/// A post dropped on another day keeps its time of day (in its zone): the new local time.
async fn moved_to_day(
    state: &AppState,
    id: &str,
    date: &str,
    french: bool,
) -> Result<String, ApiError> {
    let post = load(state, id, french).await?;
    let day: Date = date
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("date: expected YYYY-MM-DD, got `{date}`")))?;
    let time = post
        .due_ms
        .and_then(|ms| Timestamp::from_millisecond(ms).ok())
        .map(|at| local_time(at, &post.tz))
        .and_then(|local| local.split_once(' ').map(|(_, t)| t.to_owned()))
        .unwrap_or_else(|| "09:00".to_owned());
    let at = format!("{day} {time}");
    // Checked here too, so that a day where that time does not exist says so.
    due_at(&at, &post.tz).map_err(invalid(french))?;
    Ok(at)
}

#[derive(Deserialize)]
struct StepForm {
    csrf: Option<String>,
    reason: Option<String>,
    back: Option<String>,
}

async fn form_step(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path((id, name)): Path<(String, String)>,
    Form(f): Form<StepForm>,
) -> Response {
    let back = back_to(f.back);
    act(&state, &lang, &caller, f.csrf.as_deref(), back, async {
        step(&state, &caller, &id, &name, f.reason, french(&lang))
            .await
            .map(|_| ())
    })
    .await
}

async fn form_release_all(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Form(f): Form<StepForm>,
) -> Response {
    let back = back_to(f.back);
    act(&state, &lang, &caller, f.csrf.as_deref(), back, async {
        release_all(&state, &caller, french(&lang))
            .await
            .map(|_| ())
    })
    .await
}
