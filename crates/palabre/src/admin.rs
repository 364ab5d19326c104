//! `palabre admin`: accounts, teams and API tokens, from the command line (the first admin is
//! created here).

use palabre_store::Workspace;
use palabre_web::admin as accounts;
use std::io::BufRead;

#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    #[command(flatten)]
    pub at: crate::wiring::StoreArgs,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Create a user. The password is read from standard input with --password-stdin,
    /// otherwise generated and printed once.
    Create {
        name: String,
        #[arg(long, value_parser = ["admin", "manager", "agent"], default_value = "admin")]
        role: String,
        /// Teams (comma-separated): an agent sees the queues of their teams.
        #[arg(long, value_delimiter = ',')]
        teams: Vec<String>,
        /// Name shown in the inbox (default: the user name).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Declare (or redefine) a team: the queues it works on and, optionally, the brand's
    /// channels it is limited to. With channels and no queue: every queue of those channels.
    Team {
        name: String,
        #[arg(long, value_delimiter = ',', required_unless_present = "channels")]
        queues: Vec<String>,
        /// Channel keys, PLATFORM:ID (for example x:1000); none: every channel.
        #[arg(long, value_delimiter = ',')]
        channels: Vec<String>,
    },
    /// Create an API token for a user (printed once; only its hash is kept).
    Token {
        name: String,
        #[arg(long, default_value = "api")]
        label: String,
    },
    /// List users.
    Users,
    /// List API tokens: id, user, label, creation (never the tokens themselves).
    Tokens,
    /// Revoke a user's API token (its id from `palabre admin tokens`).
    RevokeToken { name: String, id: String },
    /// Disable a user: they can no longer sign in, and their sessions and tokens open nothing.
    Disable { name: String },
    /// Enable a disabled user again.
    Enable { name: String },
}

/// A readable random password (the generator the web inbox's admin page uses too).
pub fn generated_password() -> anyhow::Result<String> {
    Ok(palabre_web::auth::generated_password()?)
}

/// Who the audit log says did it.
const ACTOR: &str = "admin-cli";

pub fn run(args: AdminArgs) -> anyhow::Result<()> {
    let location = args.at.location(None);
    let mut ws = Workspace::open(&location)?;
    match args.command {
        AdminCommand::Create {
            name,
            role,
            teams,
            display_name,
            password_stdin,
        } => {
            let user = accounts::NewUser::new(&name, display_name.as_deref(), &role, &teams)?;
            let given = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let (password, hash, generated) = accounts::password(given)?;
            if !accounts::create_user(&mut ws, ACTOR, &user, &hash)? {
                anyhow::bail!("a user named {} already exists", user.name);
            }
            println!("created {} ({})", user.name, user.role.as_str());
            if generated {
                println!("password: {password}");
            }
        }
        AdminCommand::Team {
            name,
            queues,
            channels,
        } => {
            let channels = channels
                .iter()
                .map(|c| palabre_core::Channel::check_key(c))
                .collect::<Result<Vec<_>, _>>()?;
            accounts::set_team(&mut ws, ACTOR, &name, &queues, &channels)?;
            let channels_shown = if channels.is_empty() {
                "every channel".to_owned()
            } else {
                channels.join(", ")
            };
            println!(
                "team {name}: queues {}; {channels_shown}",
                queues.join(", ")
            );
        }
        AdminCommand::Token { name, label } => {
            let token = palabre_web::auth::random_token()?;
            if !accounts::create_token(&mut ws, ACTOR, &name, &label, &token)? {
                anyhow::bail!("no user named {name}");
            }
            println!("{token}");
        }
        AdminCommand::Tokens => {
            for t in ws.api_tokens()? {
                let created = palabre_core::Timestamp::from_millisecond(t.created_ms)
                    .map(|c| c.to_string())
                    .unwrap_or_default();
                println!("{}  {:<16} {:<16} {created}", t.id, t.user, t.label);
            }
        }
        AdminCommand::RevokeToken { name, id } => {
            if !accounts::revoke_token(&mut ws, ACTOR, &name, &id)? {
                anyhow::bail!("no API token {id} for {name} (see palabre admin tokens)");
            }
            println!("revoked {id} ({name})");
        }
        AdminCommand::Disable { name } => {
            if !accounts::set_disabled(&mut ws, ACTOR, &name, true)? {
                anyhow::bail!("no user named {name}");
            }
            println!("disabled {name}");
        }
        AdminCommand::Enable { name } => {
            if !accounts::set_disabled(&mut ws, ACTOR, &name, false)? {
                anyhow::bail!("no user named {name}");
            }
            println!("enabled {name}");
        }
        AdminCommand::Users => {
            for u in ws.users()? {
                println!(
                    "{:<16} {:<8} teams={} {}",
                    u.name,
                    u.role.as_str(),
                    u.teams.join(","),
                    if u.disabled { "disabled" } else { "" }
                );
            }
        }
    }
    Ok(())
}
