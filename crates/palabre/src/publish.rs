//! `palabre publish`: the brand's scheduled posts from the command line — list them, add the
//! posts of a schedule file, submit, approve, reject, cancel, and release held ones. The same
//! store operations as the web app's, with the same rules (`[publishing]`).

use crate::config::Config;
use crate::i18n::Lang;
use palabre_store::Workspace;
use palabre_store::workspace::{NewPost, Post, PostRefusal, PostResult, PostStatus};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// Configuration file: the brand's channels and `[publishing]` (approvals, time zone).
    #[arg(long, value_name = "FILE", env = "PALABRE_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub at: crate::wiring::StoreArgs,
    #[command(flatten)]
    pub actor: crate::wiring::ActorArg,
    #[command(subcommand)]
    pub command: PublishCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum PublishCommand {
    /// The posts, by due time (those without a time last).
    List {
        /// Only posts with this status (draft, submitted, approved, scheduled, publishing,
        /// published, failed, held, rejected, cancelled).
        #[arg(long, value_parser = status)]
        status: Option<PostStatus>,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Adds the posts of a schedule file (docs/publishing.md) as drafts; all or none.
    Add {
        /// The schedule file (TOML, `[[posts]]`).
        file: PathBuf,
        /// Submit them for approval at once.
        #[arg(long)]
        submit: bool,
    },
    /// Sends a draft (or a rejected post) for approval.
    Submit { id: String },
    /// Approves a submitted post as --actor; once it has its approvals it is scheduled.
    Approve { id: String },
    /// Sends a post back to its author.
    Reject {
        id: String,
        /// Why (shown to the author).
        #[arg(long)]
        reason: String,
    },
    /// The post will not be published.
    Cancel { id: String },
    /// Publishes held posts now (the brake must be off): one, or every held post with --all.
    Release {
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        #[arg(long)]
        all: bool,
    },
}

/// The request was refused (a post in the wrong state, a bad schedule file): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn status(raw: &str) -> Result<PostStatus, String> {
    PostStatus::parse(raw).ok_or_else(|| {
        let all: Vec<&str> = PostStatus::ALL.iter().map(|s| s.as_str()).collect();
        format!("expected one of: {}", all.join(", "))
    })
}

pub fn run(args: PublishArgs, lang: Lang) -> anyhow::Result<()> {
    let config = match &args.config {
        Some(path) => Config::load(path).map_err(|e| Refused(e.to_string()))?,
        None => Config::default(),
    };
    let rules = config.publishing.rules().map_err(Refused)?;
    let mut ws = Workspace::open(&args.at.location(config.store.location.as_deref()))?;
    let actor = args.actor.name();
    let done = |result: PostResult| -> anyhow::Result<()> {
        match result {
            Ok(post) => {
                println!("{}", line(&post, lang));
                Ok(())
            }
            Err(refusal) => Err(Refused(refusal.say(lang == Lang::Fr)).into()),
        }
    };
    match args.command {
        PublishCommand::List { status, json } => {
            for post in ws.posts(None, None, status)? {
                if json {
                    println!("{}", serde_json::to_string(&post)?);
                } else {
                    println!("{}", line(&post, lang));
                }
            }
            Ok(())
        }
        PublishCommand::Add { file, submit } => {
            let channels = config.policy(&[]).map_err(Refused)?.channels;
            let now = jiff::Timestamp::now();
            let planned = crate::schedule::load(
                &file,
                &crate::schedule::Reading {
                    default_zone: &rules.time_zone,
                    channels: &channels,
                    now: Some(now),
                    public_address: rules.media_url.is_some(),
                    french: lang == Lang::Fr,
                },
            )
            .map_err(Refused)?;
            if rules.slots.is_empty()
                && let Some(p) = planned.iter().find(|p| p.slot)
            {
                return Err(Refused(format!(
                    "post `{}` asks for a queue slot, and [publishing] slots is empty",
                    p.id
                ))
                .into());
            }
            // All or none: every id must be free before the first is written.
            for p in &planned {
                if ws.post(&p.id)?.is_some() {
                    return Err(
                        Refused(PostRefusal::Exists(p.id.clone()).say(lang == Lang::Fr)).into(),
                    );
                }
            }
            for p in &planned {
                let due = if p.slot {
                    let taken: Vec<jiff::Timestamp> = ws
                        .planned_times(&p.post.channel)?
                        .into_iter()
                        .filter_map(|ms| jiff::Timestamp::from_millisecond(ms).ok())
                        .collect();
                    Some(
                        palabre_core::post::next_free_slot(&rules.slots, &p.post.zone, now, &taken)
                            .map_err(|e| Refused(format!("post `{}`: {e}", p.id)))?,
                    )
                } else {
                    p.post.due
                };
                // Images first, then the submission: Instagram takes none without one.
                let mut post = ws.create_post(&NewPost {
                    id: Some(&p.id),
                    channel: &p.post.channel,
                    platform: p.post.platform.as_str(),
                    text: &p.post.text,
                    lang: &p.post.lang,
                    due_ms: due.map(|d| d.as_millisecond()),
                    tz: &p.post.zone,
                    author: &actor,
                    approvals_needed: rules.approvals,
                    submit: submit && p.images.is_empty(),
                })?;
                for image in &p.images {
                    if post.is_err() {
                        break;
                    }
                    let token = media_token()?;
                    post = ws.add_post_image(
                        &p.id,
                        &palabre_store::workspace::NewImage {
                            bytes: &image.bytes,
                            alt: &image.alt,
                            token: &token,
                            public_address: rules.media_url.is_some(),
                        },
                        &actor,
                    )?;
                }
                if submit && !p.images.is_empty() && post.is_ok() {
                    post = ws.submit_post(&p.id, &actor)?;
                }
                done(post)?;
            }
            Ok(())
        }
        PublishCommand::Submit { id } => done(ws.submit_post(&id, &actor)?),
        PublishCommand::Approve { id } => {
            done(ws.approve_post(&id, &actor, rules.self_approval)?)
        }
        PublishCommand::Reject { id, reason } => {
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(Refused("say why the post is rejected (--reason)".into()).into());
            }
            done(ws.reject_post(&id, &actor, reason)?)
        }
        PublishCommand::Cancel { id } => done(ws.cancel_post(&id, &actor)?),
        PublishCommand::Release { id: Some(id), .. } => done(ws.release_post(&id, &actor)?),
        PublishCommand::Release { id: None, .. } => {
            let held = ws.posts(None, None, Some(PostStatus::Held))?;
            if held.is_empty() {
                println!(
                    "{}",
                    match lang {
                        Lang::Fr => "aucune publication retenue.",
                        Lang::En => "no held post.",
                    }
                );
            }
            for post in held {
                done(ws.release_post(&post.id, &actor)?)?;
            }
            Ok(())
        }
    }
}

/// An unguessable name for an image's public address (`palabre_web::auth::random_token`).
fn media_token() -> anyhow::Result<String> {
    palabre_web::auth::random_token().map_err(|e| anyhow::anyhow!("{e}"))
}

/// One post on one line: id, status, time in its zone, channel, approvals, text, note.
fn line(post: &Post, lang: Lang) -> String {
    let due = post
        .due_ms
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map_or_else(
            || match lang {
                Lang::Fr => "sans date".to_owned(),
                Lang::En => "no time".to_owned(),
            },
            |at| {
                format!(
                    "{} {}",
                    palabre_core::post::local_time(at, &post.tz),
                    post.tz
                )
            },
        );
    let text: String = post.text.chars().take(60).collect();
    let more = if post.text.chars().count() > 60 {
        "…"
    } else {
        ""
    };
    let note = post
        .note
        .as_deref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    format!(
        "{:<16} {:<10} {:<30} {:<14} {}/{}  {text}{more}{note}",
        post.id,
        post.status.as_str(),
        due,
        post.channel,
        post.approvals.len(),
        post.approvals_needed,
    )
}
