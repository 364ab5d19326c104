//! Scheduled posts of the brand's: written (`draft`), `submitted` for approval, `approved` by
//! as many managers as the brand requires (never its own author unless the brand allows it),
//! `scheduled` once it has a time, then handed to the outbox at that time (`publishing`) and
//! `published` (the platform's id kept) or `failed` (its error kept). The crisis brake, or a
//! crisis alert, makes a due post `held` until a person releases it; `rejected` (with the
//! reason) and `cancelled` end the way. Every change is audited (`post:ID`).
//!
//! Editing the text of a submitted or approved post makes a new version and sends it back for
//! approval; moving its time keeps the approval. A post is handed to the outbox once per
//! version and due time (the idempotency key `post:ID:vVERSION:DUE`), in the same transaction
//! that marks it `publishing`: a crash at the publishing minute never posts twice or skips it.

use super::db::{Conn, Row};
use super::{Workspace, audit, now_ms};
use crate::StoreError;

/// Where a post stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    Draft,
    Submitted,
    /// Approved, without a time yet.
    Approved,
    /// Approved, waiting for its time.
    Scheduled,
    /// Handed to the outbox at its time.
    Publishing,
    Published,
    Failed,
    /// Due while the brake was on or a crisis alert was raised: waits for a person.
    Held,
    Rejected,
    Cancelled,
}

impl PostStatus {
    pub const ALL: [PostStatus; 10] = [
        PostStatus::Draft,
        PostStatus::Submitted,
        PostStatus::Approved,
        PostStatus::Scheduled,
        PostStatus::Publishing,
        PostStatus::Published,
        PostStatus::Failed,
        PostStatus::Held,
        PostStatus::Rejected,
        PostStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::Submitted => "submitted",
            PostStatus::Approved => "approved",
            PostStatus::Scheduled => "scheduled",
            PostStatus::Publishing => "publishing",
            PostStatus::Published => "published",
            PostStatus::Failed => "failed",
            PostStatus::Held => "held",
            PostStatus::Rejected => "rejected",
            PostStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<PostStatus> {
        PostStatus::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Its text may still change (published, publishing and cancelled posts are done).
    pub fn editable(self) -> bool {
        !matches!(
            self,
            PostStatus::Publishing | PostStatus::Published | PostStatus::Cancelled
        )
    }
}

/// A post as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Post {
    pub id: String,
    /// The brand's channel it is published on (`PLATFORM:ID`).
    pub channel: String,
    pub platform: String,
    pub text: String,
    /// `fr` or `en`.
    pub lang: String,
    /// When it is due (Unix ms), if it has a time.
    pub due_ms: Option<i64>,
    /// The time zone its time was written in (IANA name).
    pub tz: String,
    pub status: PostStatus,
    pub author: String,
    pub approvals_needed: i64,
    /// Who approved the current version, in order.
    pub approvals: Vec<String>,
    /// Grows each time the text changes.
    pub version: i64,
    /// Why it was rejected, held or failed.
    pub note: Option<String>,
    /// The platform's id of the published post.
    pub remote_id: Option<String>,
    /// Its public address when the platform alone knows it (Instagram's permalink); the
    /// others are derived from `remote_id` (`palabre_core::post::link`). The API shows the
    /// address either way (`PostView.link`).
    #[serde(skip)]
    pub link: Option<String>,
    /// Its images, in order.
    pub images: Vec<super::PostImage>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub published_ms: Option<i64>,
}

/// A post to write.
#[derive(Debug, Clone)]
pub struct NewPost<'a> {
    /// Chosen by the caller (a schedule file's ids), or derived when `None`.
    pub id: Option<&'a str>,
    pub channel: &'a str,
    pub platform: &'a str,
    pub text: &'a str,
    pub lang: &'a str,
    pub due_ms: Option<i64>,
    pub tz: &'a str,
    pub author: &'a str,
    pub approvals_needed: i64,
    /// Submit it for approval at once.
    pub submit: bool,
}

/// What may change in a post; `None` leaves it as it is.
#[derive(Debug, Clone, Default)]
pub struct PostEdit<'a> {
    pub text: Option<&'a str>,
    pub lang: Option<&'a str>,
    /// `Some(None)` takes its time away.
    pub due_ms: Option<Option<i64>>,
    pub tz: Option<&'a str>,
}

/// Why a request about a post was refused (the store is fine).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostRefusal {
    #[error("no post `{0}`")]
    NotFound(String),
    #[error("a post `{0}` already exists")]
    Exists(String),
    #[error("post `{id}` is {status}: {what}")]
    State {
        id: String,
        status: &'static str,
        what: Expected,
    },
    #[error("the same text is already scheduled on this channel at that time (post `{0}`)")]
    Twice(String),
    #[error("the author of a post cannot approve it: another manager must")]
    OwnPost,
    #[error("you already approved this version of post `{0}`")]
    AlreadyApproved(String),
    #[error("the crisis brake is on: release it before publishing held posts")]
    BrakeOn,
    #[error("{0}")]
    Image(palabre_core::post::PostError),
    #[error("post `{id}` has no image {position}")]
    NoImage { id: String, position: i64 },
}

impl PostRefusal {
    /// The same, in French (the web app's forms and `palabre publish --lang fr`).
    pub fn in_french(&self) -> String {
        match self {
            PostRefusal::NotFound(id) => format!("aucune publication `{id}`"),
            PostRefusal::Exists(id) => format!("une publication `{id}` existe déjà"),
            PostRefusal::State { id, status, what } => format!(
                "la publication `{id}` est à l'état {status} : {}",
                what.say(true)
            ),
            PostRefusal::Twice(id) => format!(
                "le même texte est déjà programmé sur ce canal à cette heure (publication `{id}`)"
            ),
            PostRefusal::OwnPost => {
                "l'auteur d'une publication ne peut pas la valider : un autre responsable doit le faire".to_owned()
            }
            PostRefusal::AlreadyApproved(id) => {
                format!("vous avez déjà validé cette version de la publication `{id}`")
            }
            PostRefusal::BrakeOn => "le frein de crise est serré : desserrez-le avant de publier les publications retenues".to_owned(),
            PostRefusal::Image(e) => e.in_french(),
            PostRefusal::NoImage { id, position } => {
                format!("la publication `{id}` n'a pas d'image {position}")
            }
        }
    }

    /// In French or in English.
    pub fn say(&self, french: bool) -> String {
        if french {
            self.in_french()
        } else {
            self.to_string()
        }
    }
}

/// What a step needs of a post's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Editable,
    Cancellable,
    DraftOrRejected,
    Submitted,
    Held,
    WaitingForApprovalOrTime,
}

impl Expected {
    fn say(self, french: bool) -> &'static str {
        match (self, french) {
            (Expected::Editable, false) => "it can no longer change",
            (Expected::Editable, true) => "elle ne peut plus changer",
            (Expected::Cancellable, false) => "it can no longer be cancelled",
            (Expected::Cancellable, true) => "elle ne peut plus être annulée",
            (Expected::DraftOrRejected, false) => "only a draft or a rejected post is submitted",
            (Expected::DraftOrRejected, true) => {
                "seuls un brouillon ou une publication refusée se soumettent"
            }
            (Expected::Submitted, false) => "only a submitted post is approved",
            (Expected::Submitted, true) => "seule une publication soumise se valide",
            (Expected::Held, false) => "only a held post is released",
            (Expected::Held, true) => "seule une publication retenue se relâche",
            (Expected::WaitingForApprovalOrTime, false) => {
                "only a post waiting for approval or for its time is rejected"
            }
            (Expected::WaitingForApprovalOrTime, true) => {
                "seule une publication en attente de validation ou de son heure se refuse"
            }
        }
    }
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.say(false))
    }
}

/// The result of a request: the post as it is now, or why nothing changed.
pub type PostResult = Result<Post, PostRefusal>;

/// Why due posts are held rather than published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldReason {
    /// The crisis brake is on.
    Brake,
    /// A crisis alert is under way (the stream's own detector).
    CrisisSuspected,
}

impl HoldReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::Brake => "crisis_brake",
            HoldReason::CrisisSuspected => "crisis_suspected",
        }
    }
}

const COLUMNS: &str =
    "id, channel, platform, text, lang, due_ms, tz, status, author, approvals_needed,
    version, note, remote_id, created_ms, updated_ms, published_ms, link";

fn post(r: &Row) -> Result<Post, StoreError> {
    let status = r.text(7)?;
    Ok(Post {
        id: r.text(0)?,
        channel: r.text(1)?,
        platform: r.text(2)?,
        text: r.text(3)?,
        lang: r.text(4)?,
        due_ms: r.opt_int(5)?,
        tz: r.text(6)?,
        status: PostStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("post status `{status}`")))?,
        author: r.text(8)?,
        approvals_needed: r.int(9)?,
        approvals: Vec::new(),
        version: r.int(10)?,
        note: r.opt_text(11)?,
        remote_id: r.opt_text(12)?,
        created_ms: r.int(13)?,
        updated_ms: r.int(14)?,
        published_ms: r.opt_int(15)?,
        link: r.opt_text(16)?,
        images: Vec::new(),
    })
}

pub(crate) fn load(c: &mut Conn, id: &str) -> Result<Option<Post>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM posts WHERE id = $1");
    let Some(row) = c.one(&sql, &[id.into()])? else {
        return Ok(None);
    };
    let mut p = post(&row)?;
    p.approvals = c
        .query(
            "SELECT approver FROM post_approvals WHERE post_id = $1 AND version = $2 ORDER BY at_ms, approver",
            &[id.into(), p.version.into()],
        )?
        .iter()
        .map(|r| r.text(0))
        .collect::<Result<_, _>>()?;
    p.images = super::post_media::images(c, id)?;
    Ok(Some(p))
}

fn target(id: &str) -> String {
    format!("post:{id}")
}

fn set_status(
    c: &mut Conn,
    id: &str,
    status: PostStatus,
    note: Option<&str>,
) -> Result<(), StoreError> {
    c.exec(
        "UPDATE posts SET status = $1, note = $2, updated_ms = $3 WHERE id = $4",
        &[
            status.as_str().into(),
            note.into(),
            now_ms().into(),
            id.into(),
        ],
    )?;
    Ok(())
}

/// What approval leads to: scheduled with a time, approved without one.
fn approved_status(due_ms: Option<i64>) -> PostStatus {
    if due_ms.is_some() {
        PostStatus::Scheduled
    } else {
        PostStatus::Approved
    }
}

/// Another post with the same text on the same channel at the same time, still on its way.
fn twin(
    c: &mut Conn,
    id: &str,
    channel: &str,
    text: &str,
    due_ms: Option<i64>,
) -> Result<Option<String>, StoreError> {
    let Some(due) = due_ms else {
        return Ok(None);
    };
    c.one(
        "SELECT id FROM posts WHERE channel = $1 AND text = $2 AND due_ms = $3 AND id <> $4
           AND status NOT IN ('rejected', 'cancelled', 'failed')",
        &[channel.into(), text.into(), due.into(), id.into()],
    )?
    .map(|r| r.text(0))
    .transpose()
}

/// What a new version (a new text, other images) makes of a post: on its way to publishing,
/// back to approval (its approvals were of the old version); rejected or failed, a draft.
pub(crate) fn new_version(status: PostStatus) -> PostStatus {
    match status {
        PostStatus::Rejected | PostStatus::Failed => PostStatus::Draft,
        PostStatus::Approved | PostStatus::Scheduled | PostStatus::Held => PostStatus::Submitted,
        other => other,
    }
}

/// A post on a platform that takes none without an image (Instagram) goes to approval only
/// with one.
fn needs_no_image(platform: &str, images: usize) -> Result<(), PostRefusal> {
    match platform.parse::<palabre_core::Platform>() {
        Ok(p) if images == 0 && palabre_core::media::rules(p).image_required => Err(
            PostRefusal::Image(palabre_core::post::PostError::ImageNeeded(p)),
        ),
        _ => Ok(()),
    }
}

/// Post `id`, if it exists and can still change.
pub(crate) fn load_editable(c: &mut Conn, id: &str) -> Result<PostResult, StoreError> {
    Ok(match load(c, id)? {
        None => Err(PostRefusal::NotFound(id.to_owned())),
        Some(p) if !p.status.editable() => Err(refuse_state(&p, Expected::Editable)),
        Some(p) => Ok(p),
    })
}

pub(crate) fn refuse_state(p: &Post, what: Expected) -> PostRefusal {
    PostRefusal::State {
        id: p.id.clone(),
        status: p.status.as_str(),
        what,
    }
}

impl Workspace {
    /// Writes a new post (a draft, or submitted), audited as `post_created`.
    pub fn create_post(&mut self, new: &NewPost<'_>) -> Result<PostResult, StoreError> {
        let now = now_ms();
        let id = match new.id {
            Some(id) => id.to_owned(),
            None => {
                let seed = format!("{now}\n{}\n{}\n{}", new.author, new.channel, new.text);
                format!(
                    "p{:012x}",
                    xxhash_rust::xxh3::xxh3_64(seed.as_bytes()) >> 16
                )
            }
        };
        self.conn.transaction(|c| {
            if load(c, &id)?.is_some() {
                return Ok(Err(PostRefusal::Exists(id.clone())));
            }
            if let Some(other) = twin(c, &id, new.channel, new.text, new.due_ms)? {
                return Ok(Err(PostRefusal::Twice(other)));
            }
            if new.submit
                && let Err(refusal) = needs_no_image(new.platform, 0)
            {
                return Ok(Err(refusal));
            }
            let status = if new.submit {
                PostStatus::Submitted
            } else {
                PostStatus::Draft
            };
            c.exec(
                "INSERT INTO posts (id, channel, platform, text, lang, due_ms, tz, status, author,
                                    approvals_needed, created_ms, updated_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                &[
                    id.as_str().into(),
                    new.channel.into(),
                    new.platform.into(),
                    new.text.into(),
                    new.lang.into(),
                    new.due_ms.into(),
                    new.tz.into(),
                    status.as_str().into(),
                    new.author.into(),
                    new.approvals_needed.max(1).into(),
                    now.into(),
                    now.into(),
                ],
            )?;
            audit(c, new.author, "post_created", Some(&target(&id)), None)?;
            Ok(load(c, &id)?.ok_or_else(|| PostRefusal::NotFound(id.clone())))
        })
    }

    pub fn post(&mut self, id: &str) -> Result<Option<Post>, StoreError> {
        load(&mut self.conn, id)
    }

    /// Posts due within `[from_ms, to_ms)` (any time when `None`), and those without a time,
    /// by due time; only `status` when given.
    pub fn posts(
        &mut self,
        from_ms: Option<i64>,
        to_ms: Option<i64>,
        status: Option<PostStatus>,
    ) -> Result<Vec<Post>, StoreError> {
        let sql = format!(
            "SELECT id FROM posts
             WHERE (due_ms IS NULL OR ((due_ms >= $1 OR $1 IS NULL) AND (due_ms < $2 OR $2 IS NULL)))
               AND (status = $3 OR $3 IS NULL)
             ORDER BY due_ms IS NULL, due_ms, created_ms, id LIMIT {}",
            5000
        );
        let ids: Vec<String> = self
            .conn
            .query(
                &sql,
                &[
                    from_ms.into(),
                    to_ms.into(),
                    status.map(PostStatus::as_str).into(),
                ],
            )?
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(p) = load(&mut self.conn, &id)? {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// Changes a post's text, language or time as `actor`. A new text makes a new version: a
    /// post on its way to publishing goes back to `submitted` (its approvals were of the old
    /// text), a rejected one back to `draft`. A new time alone keeps the approvals (an approved
    /// post becomes scheduled, or approved again without a time); a held post given a new
    /// time is scheduled for it.
    pub fn edit_post(
        &mut self,
        id: &str,
        edit: &PostEdit<'_>,
        actor: &str,
    ) -> Result<PostResult, StoreError> {
        self.conn.transaction(|c| {
            let p = match load_editable(c, id)? {
                Ok(p) => p,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let text = edit.text.unwrap_or(&p.text);
            let due_ms = edit.due_ms.unwrap_or(p.due_ms);
            if let Some(other) = twin(c, id, &p.channel, text, due_ms)? {
                return Ok(Err(PostRefusal::Twice(other)));
            }
            let new_text = text != p.text;
            let version = p.version + i64::from(new_text);
            let status = match (p.status, new_text) {
                (status, true) => new_version(status),
                (PostStatus::Approved | PostStatus::Scheduled | PostStatus::Held, false) => {
                    approved_status(due_ms)
                }
                (PostStatus::Failed, false) if due_ms != p.due_ms => approved_status(due_ms),
                (other, _) => other,
            };
            c.exec(
                "UPDATE posts SET text = $1, lang = $2, due_ms = $3, tz = $4, version = $5,
                     status = $6, note = NULL, updated_ms = $7
                 WHERE id = $8",
                &[
                    text.into(),
                    edit.lang.unwrap_or(&p.lang).into(),
                    due_ms.into(),
                    edit.tz.unwrap_or(&p.tz).into(),
                    version.into(),
                    status.as_str().into(),
                    now_ms().into(),
                    id.into(),
                ],
            )?;
            let what = if new_text { "text" } else { "time" };
            audit(c, actor, "post_edited", Some(&target(id)), Some(what))?;
            Ok(load(c, id)?.ok_or_else(|| PostRefusal::NotFound(id.to_owned())))
        })
    }

    /// A draft (or a rejected post) goes to the approvers.
    pub fn submit_post(&mut self, id: &str, actor: &str) -> Result<PostResult, StoreError> {
        self.transition(id, actor, "post_submitted", None, |p| match p.status {
            PostStatus::Draft | PostStatus::Rejected => {
                needs_no_image(&p.platform, p.images.len())?;
                Ok(PostStatus::Submitted)
            }
            _ => Err(refuse_state(p, Expected::DraftOrRejected)),
        })
    }

    /// `actor` (a manager: the caller checks) approves the current version of a submitted
    /// post; once as many managers as it needs have, it is scheduled (or approved, without a
    /// time). Its author may approve it only when `self_approval` is allowed.
    pub fn approve_post(
        &mut self,
        id: &str,
        actor: &str,
        self_approval: bool,
    ) -> Result<PostResult, StoreError> {
        self.conn.transaction(|c| {
            let Some(p) = load(c, id)? else {
                return Ok(Err(PostRefusal::NotFound(id.to_owned())));
            };
            if p.status != PostStatus::Submitted {
                return Ok(Err(refuse_state(&p, Expected::Submitted)));
            }
            if p.author == actor && !self_approval {
                return Ok(Err(PostRefusal::OwnPost));
            }
            if p.approvals.iter().any(|a| a == actor) {
                return Ok(Err(PostRefusal::AlreadyApproved(id.to_owned())));
            }
            c.exec(
                "INSERT INTO post_approvals (post_id, version, approver, at_ms) VALUES ($1, $2, $3, $4)",
                &[id.into(), p.version.into(), actor.into(), now_ms().into()],
            )?;
            audit(c, actor, "post_approved", Some(&target(id)), None)?;
            if p.approvals.len() as i64 + 1 >= p.approvals_needed {
                set_status(c, id, approved_status(p.due_ms), None)?;
            }
            Ok(load(c, id)?.ok_or_else(|| PostRefusal::NotFound(id.to_owned())))
        })
    }

    /// A manager sends a post back to its author with `reason`.
    pub fn reject_post(
        &mut self,
        id: &str,
        actor: &str,
        reason: &str,
    ) -> Result<PostResult, StoreError> {
        self.transition(id, actor, "post_rejected", Some(reason), |p| {
            match p.status {
                PostStatus::Submitted
                | PostStatus::Approved
                | PostStatus::Scheduled
                | PostStatus::Held => Ok(PostStatus::Rejected),
                _ => Err(refuse_state(p, Expected::WaitingForApprovalOrTime)),
            }
        })
    }

    /// The post will not be published.
    pub fn cancel_post(&mut self, id: &str, actor: &str) -> Result<PostResult, StoreError> {
        self.transition(id, actor, "post_cancelled", None, |p| {
            if p.status.editable() {
                Ok(PostStatus::Cancelled)
            } else {
                Err(refuse_state(p, Expected::Cancellable))
            }
        })
    }

    /// A held post is published now (the brake must not hold its channel): it is scheduled for
    /// `now` and goes at the next round of the outbox.
    pub fn release_post(&mut self, id: &str, actor: &str) -> Result<PostResult, StoreError> {
        let brake = self.brake()?;
        let now = now_ms();
        self.conn.transaction(|c| {
            let Some(p) = load(c, id)? else {
                return Ok(Err(PostRefusal::NotFound(id.to_owned())));
            };
            if brake.holds(Some(&p.channel), &p.platform) {
                return Ok(Err(PostRefusal::BrakeOn));
            }
            if p.status != PostStatus::Held {
                return Ok(Err(refuse_state(&p, Expected::Held)));
            }
            c.exec(
                "UPDATE posts SET status = 'scheduled', due_ms = $1, note = NULL, updated_ms = $1
                     WHERE id = $2",
                &[now.into(), id.into()],
            )?;
            audit(c, actor, "post_released", Some(&target(id)), None)?;
            Ok(load(c, id)?.ok_or_else(|| PostRefusal::NotFound(id.to_owned())))
        })
    }

    fn transition(
        &mut self,
        id: &str,
        actor: &str,
        action: &str,
        note: Option<&str>,
        next: impl FnOnce(&Post) -> Result<PostStatus, PostRefusal>,
    ) -> Result<PostResult, StoreError> {
        self.conn.transaction(|c| {
            let Some(p) = load(c, id)? else {
                return Ok(Err(PostRefusal::NotFound(id.to_owned())));
            };
            let status = match next(&p) {
                Ok(s) => s,
                Err(refusal) => return Ok(Err(refusal)),
            };
            set_status(c, id, status, note)?;
            audit(c, actor, action, Some(&target(id)), note)?;
            Ok(load(c, id)?.ok_or_else(|| PostRefusal::NotFound(id.to_owned())))
        })
    }

    /// The posts due at `now`: held with `hold` (the brake is on, a crisis alert is under
    /// way), else handed to the outbox and marked `publishing`, all in one transaction. The
    /// brake is read here too. What it did, in due order.
    pub fn publish_due(
        &mut self,
        now: i64,
        hold: Option<HoldReason>,
    ) -> Result<Vec<Post>, StoreError> {
        // Every round of the outbox asks: without a post due, one indexed read and no write
        // lock (the recording thread shares it).
        if self.next_post_due_ms()?.is_none_or(|due| due > now) {
            return Ok(Vec::new());
        }
        let brake = self.brake()?;
        self.conn.transaction(|c| {
            let ids: Vec<String> = c
                .query(
                    "SELECT id FROM posts WHERE status = 'scheduled' AND due_ms <= $1
                     ORDER BY due_ms, id LIMIT 100",
                    &[now.into()],
                )?
                .iter()
                .map(|r| r.text(0))
                .collect::<Result<_, _>>()?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let Some(p) = load(c, &id)? else { continue };
                let held = if brake.holds(Some(&p.channel), &p.platform) {
                    Some(HoldReason::Brake)
                } else {
                    hold
                };
                match held {
                    Some(reason) => {
                        set_status(c, &id, PostStatus::Held, Some(reason.as_str()))?;
                        audit(
                            c,
                            "palabre",
                            "post_held",
                            Some(&target(&id)),
                            Some(reason.as_str()),
                        )?;
                    }
                    None => {
                        let key = format!("post:{id}:v{}:{}", p.version, p.due_ms.unwrap_or(now));
                        let (outbox_id, _) = super::outbox::enqueue(
                            c,
                            &super::NewAction {
                                idem_key: &key,
                                action: "post",
                                platform: &p.platform,
                                conversation_id: None,
                                target_id: None,
                                text: Some(&p.text),
                                origin: "schedule",
                                actor: &p.author,
                                priority: 1,
                                campaign: None,
                                choices: None,
                                channel: Some(&p.channel),
                            },
                        )?;
                        c.exec(
                            "UPDATE posts SET status = 'publishing', outbox_id = $1, note = NULL,
                                 updated_ms = $2 WHERE id = $3",
                            &[outbox_id.into(), now.into(), id.as_str().into()],
                        )?;
                    }
                }
                if let Some(p) = load(c, &id)? {
                    out.push(p);
                }
            }
            Ok(out)
        })
    }

    /// How many posts have this status (the held ones, for every page's navigation).
    pub fn count_posts(&mut self, status: PostStatus) -> Result<i64, StoreError> {
        self.conn
            .one(
                "SELECT COUNT(*) FROM posts WHERE status = $1",
                &[status.as_str().into()],
            )?
            .map_or(Ok(0), |r| r.int(0))
    }

    /// The brand's interactions on `platform` since `since_ms`, counted per hour (`Unix
    /// seconds / 3600`, count): every message decided for a person or the bot (not the ignored
    /// ones, nor unreadable lines), and the reposts and quotes of the brand's posts. For the
    /// best time to post (`palabre_core::best_time`). Reads the writer's hourly rollup
    /// (`interactions_hourly`), not the messages: at most 24 rows a day of the period.
    pub fn interactions_by_hour(
        &mut self,
        platform: &str,
        since_ms: i64,
    ) -> Result<Vec<(i64, u64)>, StoreError> {
        self.conn
            .query(
                "SELECT hour, count FROM interactions_hourly WHERE platform = $1 AND hour >= $2",
                &[platform.into(), since_ms.div_euclid(3_600_000).into()],
            )?
            .iter()
            .map(|r| Ok((r.int(0)?, u64::try_from(r.int(1)?).unwrap_or(0))))
            .collect()
    }

    /// When the posts on `channel` still to be published are due (Unix ms).
    pub fn planned_times(&mut self, channel: &str) -> Result<Vec<i64>, StoreError> {
        self.conn
            .query(
                "SELECT due_ms FROM posts WHERE channel = $1 AND due_ms IS NOT NULL
                   AND status IN ('submitted', 'approved', 'scheduled', 'draft')",
                &[channel.into()],
            )?
            .iter()
            .map(|r| r.int(0))
            .collect()
    }

    /// When the next scheduled post is due (Unix ms), if any.
    pub fn next_post_due_ms(&mut self) -> Result<Option<i64>, StoreError> {
        self.conn
            .one(
                "SELECT MIN(due_ms) FROM posts WHERE status = 'scheduled'",
                &[],
            )?
            .map(|r| r.opt_int(0))
            .transpose()
            .map(Option::flatten)
    }
}

/// The brake went on: posts handed to the outbox and not tried yet are taken back and held
/// (a post already tried may be on the platform: it stays and goes when the brake is off).
pub(crate) fn hold_unsent(
    c: &mut Conn,
    actor: &str,
    brake: &super::Brake,
) -> Result<u64, StoreError> {
    let ids: Vec<(String, i64)> = c
        .query(
            "SELECT p.id, o.id, p.channel, p.platform FROM posts p JOIN outbox o ON o.id = p.outbox_id
             WHERE p.status = 'publishing' AND o.status = 'pending' AND o.attempts = 0",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.text(0)?, r.int(1)?, r.text(2)?, r.text(3)?)))
        .collect::<Result<Vec<_>, StoreError>>()?
        .into_iter()
        .filter(|(_, _, channel, platform)| brake.holds(Some(channel), platform))
        .map(|(post, outbox, _, _)| (post, outbox))
        .collect();
    for (post_id, outbox_id) in &ids {
        c.exec(
            "UPDATE outbox SET status = 'withdrawn', last_error = 'held by the crisis brake'
             WHERE id = $1 AND status = 'pending'",
            &[(*outbox_id).into()],
        )?;
        let why = HoldReason::Brake.as_str();
        set_status(c, post_id, PostStatus::Held, Some(why))?;
        audit(c, actor, "post_held", Some(&target(post_id)), Some(why))?;
    }
    Ok(ids.len() as u64)
}

/// The outbox sent action `outbox_id`: if it published a post, the post is `published`.
pub(crate) fn published(
    c: &mut Conn,
    outbox_id: i64,
    remote_id: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    c.exec(
        "UPDATE posts SET status = 'published', remote_id = $1, published_ms = $2, updated_ms = $2,
             note = NULL
         WHERE outbox_id = $3 AND status = 'publishing'",
        &[remote_id.into(), now.into(), outbox_id.into()],
    )?;
    Ok(())
}

/// The outbox gave up on action `outbox_id`: if it published a post, the post `failed`.
pub(crate) fn failed(
    c: &mut Conn,
    outbox_id: i64,
    error: &str,
    now: i64,
) -> Result<(), StoreError> {
    c.exec(
        "UPDATE posts SET status = 'failed', note = $1, updated_ms = $2
         WHERE outbox_id = $3 AND status = 'publishing'",
        &[error.into(), now.into(), outbox_id.into()],
    )?;
    Ok(())
}
