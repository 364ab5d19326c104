//! Shared by the server's black-box tests: start the real `palabre serve` on port 0 with a
//! fresh store (SQLite in a temporary folder, or a fresh PostgreSQL database), create accounts
//! through `palabre admin`, and talk to it over HTTP.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_palabre");

/// Runs `palabre replay ARGS` with `stdin` on its standard input (closed after), in English
/// and without the environment's configuration; its whole output.
pub fn replay(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = Command::new(BIN)
        .env_remove("PALABRE_CONFIG")
        .env("PALABRE_LANG", "en")
        .arg("replay")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// The decision lines a successful `replay` printed (it fails the test with the run's error
/// output otherwise).
pub fn decision_lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A decision's reasons, joined by commas: `mention,anger`.
pub fn reasons(d: &serde_json::Value) -> String {
    let reasons: Vec<&str> = d["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    reasons.join(",")
}

/// The repository's root (for examples/).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running server, killed when dropped.
pub struct App {
    pub url: String,
    pub store: String,
    child: Child,
    _dir: tempfile::TempDir,
    _db: Option<PgDatabase>,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh PostgreSQL database, dropped at the end.
pub struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh PostgreSQL database URL, or None (skipped loudly) when no server answers and
/// PALABRE_REQUIRE_POSTGRES is not 1.
pub fn postgres_database() -> Option<(String, PgDatabase)> {
    let admin_url = std::env::var("PALABRE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut client = match postgres::Client::connect(&admin_url, postgres::NoTls) {
        Ok(c) => c,
        Err(e) => {
            if std::env::var("PALABRE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("PostgreSQL is required but unreachable at {admin_url}: {e}");
            }
            eprintln!("\n!!! SKIPPING the PostgreSQL run of this server test: {e}\n");
            return None;
        }
    };
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "palabre_srv_{}_{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    client
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .unwrap();
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    Some((format!("{base}/{name}"), PgDatabase { admin_url, name }))
}

/// Starts `palabre serve --sandbox` with the demo configuration (its channels, campaigns and
/// moderation) on a fresh store. None when the backend cannot run here.
pub fn spawn_app(backend: Backend) -> Option<App> {
    let dir = tempfile::tempdir().unwrap();
    let (store, db) = match backend {
        Backend::Sqlite => (dir.path().join("palabre.db").display().to_string(), None),
        Backend::Postgres => {
            let (url, db) = postgres_database()?;
            (url, Some(db))
        }
    };
    let config = root().join("examples/demo/palabre.toml");
    let (child, url) = start_serve(&config, &store, true, &[]);
    Some(App {
        url,
        store,
        child,
        _dir: dir,
        _db: db,
    })
}

/// The demo's configuration with `extra` appended (its relative paths made absolute), written
/// in `dir`: its path.
pub fn demo_config_with(dir: &Path, extra: &str) -> PathBuf {
    let demo = root().join("examples/demo");
    let config = std::fs::read_to_string(demo.join("palabre.toml"))
        .unwrap()
        .replace("\"../", &format!("\"{}/../", demo.display()));
    let path = dir.join("palabre.toml");
    std::fs::write(&path, format!("{config}\n{extra}")).unwrap();
    path
}

/// Starts `palabre serve` with this configuration on this store (which may already hold data:
/// a restart); the sandbox network only when asked.
pub fn spawn_serve(config: &Path, store: &str, sandbox: bool, env: &[(&str, &str)]) -> App {
    let (child, url) = start_serve(config, store, sandbox, env);
    App {
        url,
        store: store.to_owned(),
        child,
        _dir: tempfile::tempdir().unwrap(),
        _db: None,
    }
}

/// Starts `palabre serve` with this configuration (and these environment variables) on a
/// fresh SQLite store, without the sandbox: actions go to the configured accounts.
pub fn spawn_with_config(config: &Path, env: &[(&str, &str)]) -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("palabre.db").display().to_string();
    let (child, url) = start_serve(config, &store, false, env);
    App {
        url,
        store,
        child,
        _dir: dir,
        _db: None,
    }
}

fn start_serve(config: &Path, store: &str, sandbox: bool, env: &[(&str, &str)]) -> (Child, String) {
    let mut command = Command::new(BIN);
    command.envs(env.iter().copied());
    command.args(["serve", "--listen", "127.0.0.1:0", "--store", store]);
    if sandbox {
        command.arg("--sandbox");
    }
    let mut child = command
        .arg("--config")
        .arg(config)
        .env(
            "RUST_LOG",
            std::env::var("PALABRE_TEST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = loop {
        assert!(Instant::now() < deadline, "the server did not start");
        let line = lines.next().expect("the server stopped").unwrap();
        if let Some(url) = line.strip_prefix("listening on ") {
            break url.trim().to_owned();
        }
    };
    // Keep reading stdout so that the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

impl App {
    /// Kills the server at once (SIGKILL: no shutdown, no flush), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A server started elsewhere (the demo): the test owns only a stand-in child.
    pub fn attach(url: String, store: String) -> App {
        App {
            url,
            store,
            child: Command::new("true").spawn().unwrap(),
            _dir: tempfile::tempdir().unwrap(),
            _db: None,
        }
    }

    /// `palabre admin …` on this server's store.
    pub fn admin(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut child = Command::new(BIN)
            .arg("admin")
            .args(args)
            .args(["--store", &self.store])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "palabre admin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Creates a user with this password; returns an API token for them.
    pub fn user(&self, name: &str, role: &str, teams: &str, password: &str) -> String {
        let mut args = vec!["create", name, "--role", role, "--password-stdin"];
        if !teams.is_empty() {
            args.extend(["--teams", teams]);
        }
        self.admin(&args, Some(&format!("{password}\n")));
        self.admin(&["token", name], None).trim().to_owned()
    }

    pub fn agent(&self) -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into()
    }

    /// GET with a bearer token: (status, body).
    pub fn get(&self, token: &str, path: &str) -> (u16, String) {
        let mut r = self
            .agent()
            .get(&format!("{}{path}", self.url))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    }

    pub fn get_json(&self, token: &str, path: &str) -> serde_json::Value {
        let (status, body) = self.get(token, path);
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// POST a JSON body with a bearer token: (status, body as JSON).
    pub fn post(
        &self,
        token: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let request = self.agent().post(&format!("{}{path}", self.url));
        Self::answer(
            token,
            request,
            "application/json",
            body.to_string().as_bytes(),
        )
    }

    /// PATCH a JSON body with a bearer token: (status, body as JSON).
    pub fn patch(
        &self,
        token: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let request = self.agent().patch(&format!("{}{path}", self.url));
        Self::answer(
            token,
            request,
            "application/json",
            body.to_string().as_bytes(),
        )
    }

    /// Adds an image (its bytes) to a post, described with `alt`: (status, body as JSON).
    pub fn post_image(
        &self,
        token: &str,
        id: &str,
        alt: &str,
        bytes: &[u8],
    ) -> (u16, serde_json::Value) {
        let request = self
            .agent()
            .post(&format!("{}/api/posts/{id}/images", self.url))
            .query("alt", alt);
        Self::answer(token, request, "application/octet-stream", bytes)
    }

    /// Sends `body` with a bearer token: the status and the answer as JSON (or as a string).
    fn answer(
        token: &str,
        request: ureq::RequestBuilder<ureq::typestate::WithBody>,
        content_type: &str,
        body: &[u8],
    ) -> (u16, serde_json::Value) {
        let mut r = request
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", content_type)
            .send(body)
            .unwrap();
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    /// Feeds JSON lines of events through `/api/events`; the decisions.
    pub fn events(&self, token: &str, lines: &[String]) -> Vec<serde_json::Value> {
        let (status, text) = self.post_events(token, lines);
        assert_eq!(status, 200, "POST /api/events: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// `POST /api/events` with these lines: the status and the body, whatever they are.
    pub fn post_events(&self, token: &str, lines: &[String]) -> (u16, String) {
        let mut r = self
            .agent()
            .post(&format!("{}/api/events", self.url))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/x-ndjson")
            .send(lines.join("\n").as_bytes())
            .unwrap();
        let status = r.status().as_u16();
        (status, r.body_mut().read_to_string().unwrap())
    }

    /// Waits until `check` holds on the sandbox's posts (the outbox sends in the background).
    pub fn wait_posts(
        &self,
        token: &str,
        check: impl Fn(&[serde_json::Value]) -> bool,
    ) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.get_json(token, "/api/sandbox/posts");
            let posts = v["posts"].as_array().cloned().unwrap_or_default();
            if check(&posts) {
                return posts;
            }
            assert!(
                Instant::now() < deadline,
                "sandbox posts never matched: {posts:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A generic event addressed to the demo brand (@lumiere_tr on X), created now.
pub fn mention(id: &str, author: &str, text: &str) -> String {
    serde_json::json!({
        "platform": "x", "id": id, "kind": "post", "text": text,
        "created_at": jiff::Timestamp::now().to_string(), "lang": "fr",
        "author": {"id": author, "handle": format!("user{author}"), "name": format!("User {author}")},
        "mentions": ["lumiere_tr"],
    })
    .to_string()
}

/// Five different people writing to the demo brand in distress within seconds (a stage has
/// collapsed), created now: enough to raise a crisis alert. Ids `{prefix}0`…, authors from
/// `first_author` on.
pub fn distress(prefix: &str, first_author: u32) -> Vec<String> {
    [
        "@lumiere_tr la scène s'est effondrée, il y a des blessés",
        "@lumiere_tr j'ai peur, tout le monde court, il y a de la fumée",
        "@lumiere_tr the stage collapsed, people are hurt",
        "@lumiere_tr des ambulances arrivent, c'est horrible",
        "@lumiere_tr on nous évacue, panique totale",
    ]
    .iter()
    .zip(first_author..)
    .enumerate()
    .map(|(i, (text, author))| mention(&format!("{prefix}{i}"), &author.to_string(), text))
    .collect()
}

/// The fake Mastodon server (`tests/fakes/mastodon.py`), run as its own process: a platform
/// outside Palabre's process, which a test can kill Palabre beside.
pub struct FakeMastodon {
    child: Child,
    pub url: String,
}

impl Drop for FakeMastodon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl FakeMastodon {
    pub fn start() -> FakeMastodon {
        Self::start_as("1", "marque")
    }

    /// A fake server where the brand's account has this id and user name.
    pub fn start_as(brand_id: &str, brand: &str) -> FakeMastodon {
        let mut child = Command::new("python3")
            .arg(root().join("tests/fakes/mastodon.py"))
            .args(["--brand-id", brand_id, "--brand", brand])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the fake Mastodon server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap()
            .to_owned();
        FakeMastodon { child, url }
    }

    pub fn control(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        ureq::post(&format!("{}/_fake/{path}", self.url))
            .send_json(&body)
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap()
    }

    /// Posts made, requests to create them, streams opened, authenticated calls.
    pub fn state(&self) -> serde_json::Value {
        ureq::get(&format!("{}/_fake/posts", self.url))
            .call()
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap()
    }
}

/// Waits up to 20 s for `check`, saying what was awaited if it never holds.
pub fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
