//! `palabre brake`: the crisis brake from the command line — on (with a reason), off, or its
//! state. A running `serve` on the same store follows it within two seconds.

use crate::i18n::Lang;
use palabre_store::Workspace;
use palabre_store::workspace::{Brake, BrakeChange};

#[derive(Debug, clap::Args)]
pub struct BrakeArgs {
    #[command(flatten)]
    pub at: crate::wiring::StoreArgs,
    #[command(flatten)]
    pub actor: crate::wiring::ActorArg,
    #[command(subcommand)]
    pub command: BrakeCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum BrakeCommand {
    /// Hold everything automated: the bot's answers, helps and surveys go to people, and its
    /// sends waiting in the outbox are held. People can still reply.
    On {
        /// Why (kept in the audit log and shown on every page).
        #[arg(long, value_parser = said)]
        reason: String,
        /// Only this channel (`PLATFORM:ID`; repeatable); none: every channel.
        #[arg(long = "channel", value_name = "PLATFORM:ID", value_parser = channel_key)]
        channels: Vec<String>,
    },
    /// Release the brake: automation goes on; held sends go out unless they are stale by now.
    Off {
        /// Why it is released (kept in the audit log).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Say whether the brake is on, since when, by whom and why.
    Status,
}

/// A channel key as the store names it (`x:1000`).
fn channel_key(raw: &str) -> Result<String, String> {
    palabre_core::Channel::check_key(raw).map_err(|e| e.to_string())
}

/// A reason that says something (clap refuses the command otherwise, exit code 2).
fn said(raw: &str) -> Result<String, String> {
    let reason = raw.trim();
    if reason.is_empty() {
        return Err("say why the brake goes on / dites pourquoi le frein est serré".into());
    }
    if reason.chars().count() > 500 {
        return Err("at most 500 characters / 500 caractères au plus".into());
    }
    Ok(reason.to_owned())
}

/// Runs the command; prints what it did in `lang`.
pub fn run(args: BrakeArgs, lang: Lang) -> anyhow::Result<()> {
    let mut ws = Workspace::open(&args.at.location(None))?;
    let actor = args.actor.name();
    let (engaged, reason, channels) = match args.command {
        BrakeCommand::Status => {
            println!("{}", describe(&ws.brake()?, lang));
            return Ok(());
        }
        BrakeCommand::On { reason, channels } => (true, Some(reason), channels),
        BrakeCommand::Off { reason } => (false, reason, Vec::new()),
    };
    match ws.set_brake(engaged, reason.as_deref(), &actor, &channels)? {
        BrakeChange::Changed(brake) => println!("{}", describe(&brake, lang)),
        BrakeChange::Already(brake) => {
            let already = match lang {
                Lang::Fr => "Rien de changé :",
                Lang::En => "Nothing changed:",
            };
            println!("{already} {}", describe(&brake, lang));
        }
    }
    Ok(())
}

/// The brake in a sentence.
fn describe(brake: &Brake, lang: Lang) -> String {
    let since = jiff::Timestamp::from_millisecond(brake.changed_ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    let reason = brake
        .reason
        .as_deref()
        .map(|r| format!(" « {r} »"))
        .unwrap_or_default();
    let only = brake.channels.join(", ");
    match (brake.engaged, brake.changed_ms, lang) {
        (true, _, Lang::Fr) if !only.is_empty() => format!(
            "le frein de crise est serré sur {only} depuis {since} par {}{reason} : rien d'automatique n'y part.",
            brake.actor
        ),
        (true, _, Lang::En) if !only.is_empty() => format!(
            "the crisis brake is on for {only} since {since} by {}{reason}: nothing automated goes out there.",
            brake.actor
        ),
        (true, _, Lang::Fr) => format!(
            "le frein de crise est serré depuis {since} par {}{reason} : rien d'automatique ne part.",
            brake.actor
        ),
        (true, _, Lang::En) => format!(
            "the crisis brake is on since {since} by {}{reason}: nothing automated goes out.",
            brake.actor
        ),
        (false, 0, Lang::Fr) => "le frein de crise est desserré (jamais serré).".to_owned(),
        (false, 0, Lang::En) => "the crisis brake is off (never switched on).".to_owned(),
        (false, _, Lang::Fr) => format!(
            "le frein de crise est desserré depuis {since} par {}.",
            brake.actor
        ),
        (false, _, Lang::En) => {
            format!("the crisis brake is off since {since} by {}.", brake.actor)
        }
    }
}
