//! People: users with roles and teams, sessions, API tokens. Passwords arrive already hashed
//! (argon2, in the web crate); tokens arrive as SHA-256 hashes. Nothing here sees a secret.

use super::db::Row;
use super::{Workspace, list, now_ms};
use crate::StoreError;

/// What a person may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Works on the conversations of their teams' queues.
    Agent,
    /// Sees every queue, assigns others, moderates.
    Manager,
    /// Everything, including accounts.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Some(match raw {
            "agent" => Role::Agent,
            "manager" => Role::Manager,
            "admin" => Role::Admin,
            _ => return None,
        })
    }
}

/// A person who works in the inbox.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: Role,
    pub teams: Vec<String>,
    pub capacity: i64,
    pub disabled: bool,
}

/// An API token as admins see it: never the token, and of its SHA-256 only the first 12 hex
/// characters, which name it for revocation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: String,
    /// The user it acts as.
    pub user: String,
    pub label: String,
    pub created_ms: i64,
}

/// A team and the queues it works on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub name: String,
    pub queues: Vec<String>,
    /// The brand's channels (`PLATFORM:ID`) it works on; empty: every channel.
    pub channels: Vec<String>,
}

/// A signed-in session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    /// The token every state-changing request of this session must carry.
    pub csrf: String,
    pub expires_ms: i64,
}

const USER_COLUMNS: &str =
    "u.id, u.name, u.display_name, u.password_hash, u.role, u.teams, u.capacity, u.disabled";

fn user(r: &Row, at: usize) -> Result<User, StoreError> {
    let role = r.text(at + 4)?;
    Ok(User {
        id: r.int(at)?,
        name: r.text(at + 1)?,
        display_name: r.text(at + 2)?,
        password_hash: r.text(at + 3)?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("user role `{role}`")))?,
        teams: list(&r.text(at + 5)?),
        capacity: r.int(at + 6)?,
        disabled: r.flag(at + 7)?,
    })
}

impl Workspace {
    /// Creates a user; `Ok(None)` when the name is taken.
    pub fn create_user(
        &mut self,
        name: &str,
        display_name: &str,
        password_hash: &str,
        role: Role,
        teams: &[String],
    ) -> Result<Option<i64>, StoreError> {
        let teams = teams.join(",");
        let row = self.conn.one(
            "INSERT INTO users (name, display_name, password_hash, role, teams, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING RETURNING id",
            &[
                name.into(),
                display_name.into(),
                password_hash.into(),
                role.as_str().into(),
                teams.as_str().into(),
                now_ms().into(),
            ],
        )?;
        row.map(|r| r.int(0)).transpose()
    }

    /// Replaces a user's password hash (and enables the account); whether the user exists.
    pub fn set_password(&mut self, name: &str, password_hash: &str) -> Result<bool, StoreError> {
        let n = self.conn.exec(
            "UPDATE users SET password_hash = $1, disabled = 0 WHERE name = $2",
            &[password_hash.into(), name.into()],
        )?;
        Ok(n > 0)
    }

    pub fn user_by_name(&mut self, name: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.name = $1");
        self.conn
            .one(&sql, &[name.into()])?
            .map(|r| user(&r, 0))
            .transpose()
    }

    pub fn users(&mut self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.name");
        self.conn
            .query(&sql, &[])?
            .iter()
            .map(|r| user(r, 0))
            .collect()
    }

    /// Declares (or redefines) a team: the queues and the channels it works on (see
    /// [`super::TeamScope`]).
    pub fn set_team(
        &mut self,
        name: &str,
        queues: &[String],
        channels: &[String],
    ) -> Result<(), StoreError> {
        let queues = queues.join(",");
        let channels = channels.join(",");
        self.conn.exec(
            "INSERT INTO teams (name, queues, channels) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET queues = excluded.queues, channels = excluded.channels",
            &[name.into(), queues.as_str().into(), channels.as_str().into()],
        )?;
        Ok(())
    }

    /// Changes a user's role and teams; whether the user exists.
    pub fn set_role_and_teams(
        &mut self,
        name: &str,
        role: Role,
        teams: &[String],
    ) -> Result<bool, StoreError> {
        let teams = teams.join(",");
        let n = self.conn.exec(
            "UPDATE users SET role = $1, teams = $2 WHERE name = $3",
            &[role.as_str().into(), teams.as_str().into(), name.into()],
        )?;
        Ok(n > 0)
    }

    /// Disables a user (their sessions and API tokens open nothing any more) or enables them
    /// again; whether the user exists.
    pub fn set_disabled(&mut self, name: &str, disabled: bool) -> Result<bool, StoreError> {
        let n = self.conn.exec(
            "UPDATE users SET disabled = $1 WHERE name = $2",
            &[i64::from(disabled).into(), name.into()],
        )?;
        Ok(n > 0)
    }

    /// Every team with its queues and channels, by name.
    pub fn team_list(&mut self) -> Result<Vec<Team>, StoreError> {
        self.conn
            .query(
                "SELECT name, queues, channels FROM teams ORDER BY name",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(Team {
                    name: r.text(0)?,
                    queues: list(&r.text(1)?),
                    channels: list(&r.text(2)?),
                })
            })
            .collect()
    }

    /// Every team's name, in order.
    pub fn teams(&mut self) -> Result<Vec<String>, StoreError> {
        self.conn
            .query("SELECT name FROM teams ORDER BY name", &[])?
            .iter()
            .map(|r| r.text(0))
            .collect()
    }

    /// What the given teams work on, one scope per team that exists.
    pub fn team_scopes(&mut self, teams: &[String]) -> Result<Vec<super::TeamScope>, StoreError> {
        let mut scopes = Vec::new();
        for team in teams {
            if let Some(r) = self.conn.one(
                "SELECT queues, channels FROM teams WHERE name = $1",
                &[team.into()],
            )? {
                scopes.push(super::TeamScope {
                    queues: list(&r.text(0)?),
                    channels: list(&r.text(1)?),
                });
            }
        }
        Ok(scopes)
    }

    pub fn create_session(
        &mut self,
        user_id: i64,
        token_hash: &str,
        csrf: &str,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        self.conn.exec(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5)",
            &[
                token_hash.into(),
                user_id.into(),
                csrf.into(),
                now_ms().into(),
                expires_ms.into(),
            ],
        )?;
        Ok(())
    }

    /// The live session of this token hash, if any (expired ones are not returned).
    pub fn session(&mut self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf, s.expires_ms FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_ms > $2 AND u.disabled = 0"
        );
        let Some(r) = self.conn.one(&sql, &[token_hash.into(), now_ms().into()])? else {
            return Ok(None);
        };
        Ok(Some(Session {
            user: user(&r, 0)?,
            csrf: r.text(8)?,
            expires_ms: r.int(9)?,
        }))
    }

    pub fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError> {
        self.conn.exec(
            "DELETE FROM sessions WHERE token_hash = $1 OR expires_ms < $2",
            &[token_hash.into(), now_ms().into()],
        )?;
        Ok(())
    }

    pub fn create_api_token(
        &mut self,
        user_id: i64,
        token_hash: &str,
        label: &str,
    ) -> Result<(), StoreError> {
        self.conn.exec(
            "INSERT INTO api_tokens (token_hash, user_id, label, created_ms) VALUES ($1, $2, $3, $4)",
            &[
                token_hash.into(),
                user_id.into(),
                label.into(),
                now_ms().into(),
            ],
        )?;
        Ok(())
    }

    /// Every API token, by user then age.
    pub fn api_tokens(&mut self) -> Result<Vec<ApiToken>, StoreError> {
        self.conn
            .query(
                "SELECT substr(t.token_hash, 1, 12), u.name, t.label, t.created_ms
                 FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY u.name, t.created_ms",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(ApiToken {
                    id: r.text(0)?,
                    user: r.text(1)?,
                    label: r.text(2)?,
                    created_ms: r.int(3)?,
                })
            })
            .collect()
    }

    /// Revokes the token `id` ([`ApiToken::id`]) of user `name`: it opens nothing any more.
    /// Whether there was such a token.
    pub fn revoke_api_token(&mut self, name: &str, id: &str) -> Result<bool, StoreError> {
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(false);
        }
        let n = self.conn.exec(
            "DELETE FROM api_tokens WHERE substr(token_hash, 1, 12) = $1
                AND user_id = (SELECT id FROM users WHERE name = $2)",
            &[id.to_ascii_lowercase().as_str().into(), name.into()],
        )?;
        Ok(n > 0)
    }

    /// The user an API token hash belongs to.
    pub fn api_token_user(&mut self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND u.disabled = 0"
        );
        self.conn
            .one(&sql, &[token_hash.into()])?
            .map(|r| user(&r, 0))
            .transpose()
    }
}
