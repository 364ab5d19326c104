//! `palabre admin`: accounts, teams and API tokens, from the command line (the first admin is
//! created here).

use palabre_store::Workspace;
use palabre_store::workspace::Role;
use std::io::BufRead;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    /// Data directory: the SQLite store is DIR/palabre.db (default: data).
    #[arg(long, value_name = "DIR", global = true)]
    pub data: Option<PathBuf>,
    /// Store location instead: a SQLite file or a postgres:// URL.
    #[arg(long, value_name = "LOCATION", global = true)]
    pub store: Option<String>,
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
    /// Declare a team and the queues it works on.
    Team {
        name: String,
        #[arg(long, value_delimiter = ',', required = true)]
        queues: Vec<String>,
    },
    /// Create an API token for a user (printed once; only its hash is kept).
    Token {
        name: String,
        #[arg(long, default_value = "api")]
        label: String,
    },
    /// List users.
    Users,
}

/// A readable random password: 20 characters from an unambiguous alphabet (about 110 bits).
pub fn generated_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

pub fn run(args: AdminArgs) -> anyhow::Result<()> {
    let location = crate::wiring::store_location(args.store.as_deref(), None, args.data.as_deref());
    let mut ws = Workspace::open(&location)?;
    match args.command {
        AdminCommand::Create {
            name,
            role,
            teams,
            display_name,
            password_stdin,
        } => {
            let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("unknown role {role}"))?;
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                let line = line.trim_end_matches(['\r', '\n']).to_owned();
                if line.chars().count() < 12 {
                    anyhow::bail!("the password must have at least 12 characters");
                }
                (line, false)
            } else {
                (generated_password()?, true)
            };
            let hash = palabre_web::auth::hash_password(&password).map_err(anyhow::Error::msg)?;
            let display = display_name.unwrap_or_else(|| name.clone());
            match ws.create_user(&name, &display, &hash, role, &teams)? {
                Some(_) => {
                    ws.audit(
                        "admin-cli",
                        "user_created",
                        Some(&name),
                        Some(role.as_str()),
                    )?;
                    println!("created {name} ({})", role.as_str());
                    if generated {
                        println!("password: {password}");
                    }
                }
                None => anyhow::bail!("a user named {name} already exists"),
            }
        }
        AdminCommand::Team { name, queues } => {
            ws.set_team(&name, &queues)?;
            ws.audit(
                "admin-cli",
                "team_set",
                Some(&name),
                Some(&queues.join(",")),
            )?;
            println!("team {name}: {}", queues.join(", "));
        }
        AdminCommand::Token { name, label } => {
            let user = ws
                .user_by_name(&name)?
                .ok_or_else(|| anyhow::anyhow!("no user named {name}"))?;
            let token = palabre_web::auth::random_token().map_err(|e| anyhow::anyhow!("{e}"))?;
            ws.create_api_token(user.id, &palabre_web::auth::token_hash(&token), &label)?;
            ws.audit("admin-cli", "api_token_created", Some(&name), Some(&label))?;
            println!("{token}");
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
