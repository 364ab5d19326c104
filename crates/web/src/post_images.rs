//! The images of a scheduled post in the API and the web app: added (the image's own bytes, or
//! a file from the publishing page's form), described, removed, shown to the team, and served
//! at their public address (`/media/NAME`) once the post is publishing, for the platforms that
//! fetch images rather than take them (Instagram). Each change is a new version of the post,
//! approved again; the platform's rules are checked by the store when the image is added.

use crate::AppState;
use crate::api::{ErrorBody, body};
use crate::auth::{Caller, random_token};
use crate::error::ApiError;
use crate::pages::{Lang, PageCaller, act};
use crate::posts::{PostView, back_to, french, load, own_or_manager, refused, view};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use palabre_store::workspace::NewImage;
use serde::Deserialize;

/// The largest image taken (Mastodon's 16 MB, with room for a form around it).
pub const MAX_IMAGE_BODY: usize = 17 * 1024 * 1024;

pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/api/posts/{id}/images",
            post(post_image).layer(DefaultBodyLimit::max(MAX_IMAGE_BODY)),
        )
        .route(
            "/api/posts/{id}/images/{position}",
            get(get_image).patch(patch_image).delete(delete_image),
        )
        .route("/media/{name}", get(public_media))
        .route(
            "/publishing/{id}/images",
            post(form_add).layer(DefaultBodyLimit::max(MAX_IMAGE_BODY)),
        )
        .route(
            "/publishing/{id}/images/{position}/{what}",
            post(form_change),
        )
}

/// How an image is described.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AltBody {
    /// What the image shows, for people who cannot see it.
    pub alt: Option<String>,
}

/// Adds `bytes` as the post's next image, as `caller`.
pub(crate) async fn add(
    state: &AppState,
    caller: &Caller,
    id: &str,
    bytes: Vec<u8>,
    alt: String,
    french: bool,
) -> Result<PostView, ApiError> {
    let post = load(state, id, french).await?;
    own_or_manager(caller, &post)?;
    if bytes.is_empty() {
        return Err(ApiError::Unprocessable(if french {
            "aucune image reçue : joignez un fichier JPEG, PNG, GIF ou WebP".into()
        } else {
            "no image received: send a JPEG, PNG, GIF or WebP file".into()
        }));
    }
    let token = random_token()?;
    let public_address = state.settings.publishing.media_url.is_some();
    let actor = caller.user.name.clone();
    let key = id.to_owned();
    let result = state
        .pool
        .run(move |ws| {
            ws.add_post_image(
                &key,
                &NewImage {
                    bytes: &bytes,
                    alt: &alt,
                    token: &token,
                    public_address,
                },
                &actor,
            )
        })
        .await?;
    Ok(view(state, result.map_err(refused(french))?))
}

/// Describes (`what` = `describe`, with `alt`) or removes (`remove`) image `position`.
pub(crate) async fn change(
    state: &AppState,
    caller: &Caller,
    id: &str,
    position: i64,
    what: &str,
    alt: Option<String>,
    french: bool,
) -> Result<PostView, ApiError> {
    let post = load(state, id, french).await?;
    own_or_manager(caller, &post)?;
    let actor = caller.user.name.clone();
    let key = id.to_owned();
    let result = match what {
        "describe" => {
            let alt = alt.unwrap_or_default();
            state
                .pool
                .run(move |ws| ws.describe_post_image(&key, position, &alt, &actor))
                .await?
        }
        "remove" => {
            state
                .pool
                .run(move |ws| ws.remove_post_image(&key, position, &actor))
                .await?
        }
        other => {
            return Err(ApiError::NotFound(format!(
                "no change `{other}` of an image: describe or remove"
            )));
        }
    };
    Ok(view(state, result.map_err(refused(french))?))
}

/// A post's id and an image's position from the path, or a JSON 400 saying what is wrong.
fn image_path(path: Result<Path<(String, i64)>, PathRejection>) -> Result<(String, i64), ApiError> {
    path.map(|Path(p)| p).map_err(|e| {
        ApiError::BadRequest(format!(
            "the path names a post and an image's position from 1: {}",
            e.body_text()
        ))
    })
}

/// An image's bytes, as its own file type.
fn image_response(content_type: &str, bytes: Vec<u8>, cache: &'static str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[utoipa::path(post, path = "/api/posts/{id}/images",
    params(("id" = String, Path, description = "Post id"), AltBody),
    request_body(content = Vec<u8>, description = "The image itself (JPEG, PNG, GIF or WebP: read from its bytes)",
        content_type = "application/octet-stream"),
    responses((status = 201, body = PostView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_image(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<AltBody>, QueryRejection>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    caller.check_csrf(Caller::header_csrf(&headers))?;
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let added = add(
        &state,
        &caller,
        &id,
        bytes.to_vec(),
        q.alt.unwrap_or_default(),
        false,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

#[utoipa::path(get, path = "/api/posts/{id}/images/{position}",
    params(("id" = String, Path, description = "Post id"),
        ("position" = i64, Path, description = "From 1")),
    responses((status = 200, description = "The image", content_type = "image/*", body = Vec<u8>),
        (status = 404, body = ErrorBody)))]
async fn get_image(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<(String, i64)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (id, position) = image_path(path)?;
    let key = id.clone();
    let found = state
        .pool
        .run(move |ws| ws.post_image(&key, position))
        .await?;
    let (image, bytes) =
        found.ok_or_else(|| ApiError::NotFound(format!("post `{id}` has no image {position}")))?;
    Ok(image_response(
        &image.content_type,
        bytes,
        "private, max-age=300",
    ))
}

#[utoipa::path(patch, path = "/api/posts/{id}/images/{position}",
    params(("id" = String, Path, description = "Post id"),
        ("position" = i64, Path, description = "From 1")),
    request_body = AltBody,
    responses((status = 200, body = PostView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn patch_image(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    path: Result<Path<(String, i64)>, PathRejection>,
    parsed: Result<Json<AltBody>, JsonRejection>,
) -> Result<Json<PostView>, ApiError> {
    let (id, position) = image_path(path)?;
    caller.check_csrf(Caller::header_csrf(&headers))?;
    let b: AltBody = body(parsed)?;
    let alt = b.alt.unwrap_or_default();
    Ok(Json(
        change(&state, &caller, &id, position, "describe", Some(alt), false).await?,
    ))
}

#[utoipa::path(delete, path = "/api/posts/{id}/images/{position}",
    params(("id" = String, Path, description = "Post id"),
        ("position" = i64, Path, description = "From 1")),
    responses((status = 200, body = PostView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn delete_image(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    path: Result<Path<(String, i64)>, PathRejection>,
) -> Result<Json<PostView>, ApiError> {
    let (id, position) = image_path(path)?;
    caller.check_csrf(Caller::header_csrf(&headers))?;
    Ok(Json(
        change(&state, &caller, &id, position, "remove", None, false).await?,
    ))
}

/// A published post's image at its public address (no sign-in: the platform fetches it);
/// nothing for a post not yet on its way, nor for an unknown name.
async fn public_media(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let token = name
        .split_once('.')
        .map_or(name.as_str(), |(t, _)| t)
        .to_owned();
    let found = if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        state.pool.run(move |ws| ws.public_image(&token)).await
    } else {
        Ok(None)
    };
    match found {
        Ok(Some((content_type, bytes))) => {
            image_response(&content_type, bytes, "public, max-age=86400")
        }
        Ok(None) => ApiError::NotFound("no such image".into()).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The publishing page's image form: `csrf`, `back`, `alt` and `file`.
async fn form_add(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    mut form: Multipart,
) -> Response {
    let (mut csrf, mut back, mut alt, mut file) = (None, None, String::new(), Vec::new());
    let mut unreadable = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let read = field.bytes().await;
                match (name.as_str(), read) {
                    (_, Err(e)) => {
                        unreadable = Some(e.body_text());
                        break;
                    }
                    ("csrf", Ok(v)) => csrf = Some(String::from_utf8_lossy(&v).into_owned()),
                    ("back", Ok(v)) => back = Some(String::from_utf8_lossy(&v).into_owned()),
                    ("alt", Ok(v)) => alt = String::from_utf8_lossy(&v).into_owned(),
                    ("file", Ok(v)) => file = v.to_vec(),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(e) => {
                unreadable = Some(e.body_text());
                break;
            }
        }
    }
    let back = back_to(back);
    act(&state, &lang, &caller, csrf.as_deref(), back, async {
        if let Some(why) = unreadable {
            return Err(ApiError::BadRequest(format!(
                "the form could not be read: {why}"
            )));
        }
        add(&state, &caller, &id, file, alt, french(&lang))
            .await
            .map(|_| ())
    })
    .await
}

#[derive(Deserialize)]
struct ChangeForm {
    csrf: Option<String>,
    alt: Option<String>,
    back: Option<String>,
}

async fn form_change(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path((id, position, what)): Path<(String, i64, String)>,
    Form(f): Form<ChangeForm>,
) -> Response {
    let back = back_to(f.back);
    act(&state, &lang, &caller, f.csrf.as_deref(), back, async {
        change(&state, &caller, &id, position, &what, f.alt, french(&lang))
            .await
            .map(|_| ())
    })
    .await
}
