//! Browser tests of the web inbox: headless Chromium driven through chromedriver (or, with
//! `PALABRE_BROWSER=firefox`, headless Firefox through geckodriver), speaking the W3C WebDriver
//! protocol (JSON over HTTP) directly. Each test starts the real server
//! (`palabre serve --sandbox`), signs in as a person would and checks what they see, and what
//! the sandbox platform received.
//!
//! Without chromedriver the tests are skipped loudly, unless `PALABRE_REQUIRE_BROWSER=1` (CI),
//! which makes that a failure. `PALABRE_SCREENSHOTS=1` saves the main screens into
//! `docs/screenshots/`.

// Tests may unwrap and panic: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{App, Backend, mention, spawn_app};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long to wait for anything a user would wait for.
const PATIENCE: Duration = Duration::from_secs(10);

/// The key of an element reference in W3C WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

const PASSWORD: &str = "correct horse battery";

// ------------------------------------------------------------------ WebDriver

/// Which browser drives the tests: Chromium (default) or Firefox (`PALABRE_BROWSER=firefox`).
fn firefox() -> bool {
    std::env::var("PALABRE_BROWSER").as_deref() == Ok("firefox")
}

/// The WebDriver server: chromedriver (`CHROMEDRIVER`) or geckodriver (`GECKODRIVER`), else
/// the first on the PATH.
fn driver() -> Option<PathBuf> {
    let (var, name) = if firefox() {
        ("GECKODRIVER", "geckodriver")
    } else {
        ("CHROMEDRIVER", "chromedriver")
    };
    if let Ok(p) = std::env::var(var) {
        return Some(PathBuf::from(p));
    }
    let default = Path::new("/usr/bin").join(name);
    if default.exists() {
        return Some(default);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.exists())
    })
}

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

fn firefox_binary() -> String {
    std::env::var("FIREFOX").unwrap_or_else(|_| "/usr/bin/firefox-esr".into())
}

/// The session's capabilities: a headless browser at 1280×900 with a fresh profile.
fn capabilities(profile: &Path) -> Value {
    if firefox() {
        return json!({"capabilities": {"alwaysMatch": {
            "browserName": "firefox",
            "moz:firefoxOptions": {"binary": firefox_binary(),
                "args": ["-headless", "-width=1280", "-height=900", "-profile", profile.display().to_string()],
                "prefs": {"intl.accept_languages": "fr-FR, fr", "browser.shell.checkDefaultBrowser": false}},
        }}});
    }
    let args = [
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--window-size=1280,900".to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ];
    json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {"binary": chromium(), "args": args},
    }}})
}

/// A free TCP port on the loopback interface.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A chromedriver process and one browser session in it; both end when dropped.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self
            .agent
            .delete(&format!("{}/session/{}", self.base, self.session))
            .call();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// An element of the current page.
#[derive(Clone)]
struct El(String);

impl Browser {
    /// Starts chromedriver and a headless Chromium at 1280×900; None (skipped loudly) when
    /// there is no chromedriver and PALABRE_REQUIRE_BROWSER is not 1.
    fn start() -> Option<Browser> {
        let Some(driver_bin) = driver() else {
            if std::env::var("PALABRE_REQUIRE_BROWSER").as_deref() == Ok("1") {
                panic!(
                    "PALABRE_REQUIRE_BROWSER=1 but its WebDriver (chromedriver or geckodriver) is not installed"
                );
            }
            eprintln!(
                "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                 !!! SKIPPING a browser test: chromedriver is not installed.\n\
                 !!! Install chromium and chromedriver, or set PALABRE_REQUIRE_BROWSER=1\n\
                 !!! to make this a failure.\n\
                 !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
            );
            return None;
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        // The port may be taken between our probe and chromedriver's bind: try a few.
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            let mut driver = Command::new(&driver_bin)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver_bin.display()));
            let base = format!("http://127.0.0.1:{port}");
            let deadline = Instant::now() + PATIENCE;
            let ready = loop {
                if let Ok(Some(status)) = driver.try_wait() {
                    last = format!("chromedriver exited: {status}");
                    break false;
                }
                if let Ok(mut r) = agent.get(&format!("{base}/status")).call()
                    && let Ok(v) = r.body_mut().read_json::<Value>()
                    && v["value"]["ready"] == true
                {
                    break true;
                }
                if Instant::now() > deadline {
                    last = "chromedriver never answered /status".into();
                    break false;
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            if !ready {
                let _ = driver.kill();
                let _ = driver.wait();
                continue;
            }
            let profile = tempfile::tempdir().unwrap();
            let caps = capabilities(profile.path());
            let answer = post(&agent, &format!("{base}/session"), &caps);
            let Some(session) = answer["value"]["sessionId"].as_str().map(str::to_owned) else {
                let _ = driver.kill();
                let _ = driver.wait();
                panic!("chromedriver refused a session: {answer}");
            };
            let b = Browser {
                driver,
                base,
                session,
                agent,
                _profile: profile,
            };
            b.ok(
                "POST",
                "/window/rect",
                &json!({"width": 1280, "height": 900}),
            );
            return Some(b);
        }
        panic!("could not start chromedriver: {last}");
    }

    /// One WebDriver command on this session: its `value`, or the error it answered.
    fn cmd(&self, method: &str, path: &str, body: &Value) -> Result<Value, String> {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let answer = match method {
            "GET" => read(self.agent.get(&url).call()),
            "POST" => post(&self.agent, &url, body),
            "DELETE" => read(self.agent.delete(&url).call()),
            _ => unreachable!("{method}"),
        };
        let value = answer["value"].clone();
        match value.get("error").and_then(Value::as_str) {
            Some(e) => Err(format!("{e}: {}", value["message"].as_str().unwrap_or(""))),
            None => Ok(value),
        }
    }

    fn ok(&self, method: &str, path: &str, body: &Value) -> Value {
        self.cmd(method, path, body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    /// Opens a path of the app and waits for the page to load.
    fn goto(&self, app: &App, path: &str) {
        self.ok(
            "POST",
            "/url",
            &json!({"url": format!("{}{path}", app.url)}),
        );
    }

    fn url(&self) -> String {
        self.ok("GET", "/url", &json!({}))
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The path (and query) of the current page.
    fn path(&self, app: &App) -> String {
        let url = self.url().replace("%3A", ":");
        url.strip_prefix(&app.url).unwrap_or(&url).to_owned()
    }

    fn all(&self, css: &str) -> Vec<El> {
        match self.cmd(
            "POST",
            "/elements",
            &json!({"using": "css selector", "value": css}),
        ) {
            Ok(Value::Array(found)) => found
                .iter()
                .filter_map(|e| e[ELEMENT].as_str().map(|id| El(id.to_owned())))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Waits for an element to be on the page.
    fn find(&self, css: &str) -> El {
        self.wait(&format!("an element `{css}`"), || {
            self.all(css).into_iter().next()
        })
    }

    /// Polls `check` until it gives something, for at most PATIENCE.
    fn wait<T>(&self, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(v) = check() {
                return v;
            }
            if Instant::now() > deadline {
                let path = self.url();
                let text = self.try_text("body").unwrap_or_default();
                panic!("waited {PATIENCE:?} for {what}; on {path}:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn text_of(&self, el: &El) -> Result<String, String> {
        self.cmd("GET", &format!("/element/{}/text", el.0), &json!({}))
            .map(|v| v.as_str().unwrap_or("").to_owned())
    }

    fn try_text(&self, css: &str) -> Option<String> {
        let el = self.all(css).into_iter().next()?;
        self.text_of(&el).ok()
    }

    /// Waits until an element's text contains `needle`; its whole text.
    fn wait_text(&self, css: &str, needle: &str) -> String {
        self.wait(&format!("`{css}` to show {needle:?}"), || {
            self.all(css)
                .iter()
                .filter_map(|e| self.text_of(e).ok())
                .find(|t| t.contains(needle))
        })
    }

    /// Clicks an element once it is there (retrying while the page changes under it).
    fn click(&self, css: &str) {
        self.wait(&format!("a click on `{css}`"), || {
            let el = self.all(css).into_iter().next()?;
            self.cmd("POST", &format!("/element/{}/click", el.0), &json!({}))
                .ok()
        });
    }

    /// Types into a field, replacing what it held.
    fn fill(&self, css: &str, text: &str) {
        self.wait(&format!("typing into `{css}`"), || {
            let el = self.all(css).into_iter().next()?;
            self.cmd("POST", &format!("/element/{}/clear", el.0), &json!({}))
                .ok()?;
            self.cmd(
                "POST",
                &format!("/element/{}/value", el.0),
                &json!({ "text": text }),
            )
            .ok()
        });
    }

    /// Chooses a file in a file input (even inside a closed `<details>`).
    fn upload(&self, css: &str, file: &std::path::Path) {
        // Chromedriver takes only a canonical path.
        let path = file.canonicalize().unwrap().to_str().unwrap().to_owned();
        self.wait(&format!("choosing a file in `{css}`"), || {
            let el = self.all(css).into_iter().next()?;
            self.cmd(
                "POST",
                &format!("/element/{}/value", el.0),
                &json!({ "text": path }),
            )
            .ok()
        });
    }

    /// Presses keys on whatever has the focus (W3C key codes: "\u{E007}" is Enter).
    fn keys(&self, keys: &[&str]) {
        let mut actions = Vec::new();
        for k in keys {
            actions.push(json!({"type": "keyDown", "value": k}));
            actions.push(json!({"type": "keyUp", "value": k}));
        }
        self.ok(
            "POST",
            "/actions",
            &json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        );
        let _ = self.cmd("DELETE", "/actions", &json!({}));
    }

    fn script(&self, script: &str) -> Value {
        self.ok(
            "POST",
            "/execute/sync",
            &json!({"script": script, "args": []}),
        )
    }

    /// Saves the page as docs/screenshots/NAME.png when PALABRE_SCREENSHOTS=1.
    fn screenshot(&self, name: &str) {
        if std::env::var("PALABRE_SCREENSHOTS").as_deref() != Ok("1") {
            return;
        }
        let png = self.ok("GET", "/screenshot", &json!({}));
        let bytes = base64_decode(png.as_str().unwrap());
        assert!(bytes.starts_with(b"\x89PNG"), "the screenshot is a PNG");
        let dir = common::root().join("docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }

    /// Signs in through the login form and waits for the inbox.
    fn sign_in(&self, app: &App, name: &str) {
        self.goto(app, "/login?lang=en");
        self.fill("#name", name);
        self.fill("#password", PASSWORD);
        self.click("#sign-in");
        self.wait("the inbox after signing in", || {
            (self.path(app).starts_with("/inbox") && !self.all("#list").is_empty()).then_some(())
        });
    }
}

fn read(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Value {
    let mut r = r.unwrap_or_else(|e| panic!("chromedriver did not answer: {e}"));
    let text = r.body_mut().read_to_string().unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("chromedriver answered {text:?}"))
}

fn post(agent: &ureq::Agent, url: &str, body: &Value) -> Value {
    read(
        agent
            .post(url)
            .header("Content-Type", "application/json")
            .send(body.to_string().as_bytes()),
    )
}

/// Standard base64 (with or without padding) to bytes: all a screenshot needs.
fn base64_decode(text: &str) -> Vec<u8> {
    fn sextet(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        if c == b'=' {
            break;
        }
        let Some(v) = sextet(c) else {
            assert!(c.is_ascii_whitespace(), "not base64: {c:?}");
            continue;
        };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap());
        }
    }
    out
}

#[test]
fn base64_decodes_what_it_should() {
    assert_eq!(base64_decode("TWFu"), b"Man");
    assert_eq!(base64_decode("TWE="), b"Ma");
    assert_eq!(base64_decode("TQ=="), b"M");
    assert_eq!(base64_decode("iVBORw0KGgo="), b"\x89PNG\r\n\x1a\n");
}

// ------------------------------------------------------------------ the app

/// A browser and a fresh server with a manager `sarah` (and an API token for her); None when
/// the browser is skipped.
fn setup() -> Option<(Browser, App, String)> {
    let browser = Browser::start()?;
    let app = spawn_app(Backend::Sqlite).expect("SQLite always runs");
    let token = app.user("sarah", "manager", "", PASSWORD);
    Some((browser, app, token))
}

/// A generic event built by hand, addressed to the demo brand.
fn event(id: &str, author: (&str, &str, &str), text: &str, extra: &Value) -> String {
    let mut v = json!({
        "platform": "x", "id": id, "kind": "post", "text": text,
        "created_at": jiff::Timestamp::now().to_string(), "lang": "fr",
        "author": {"id": author.0, "handle": author.1, "name": author.2},
        "mentions": ["lumiere_tr"],
    });
    for (k, x) in extra.as_object().unwrap() {
        if k == "author" {
            for (ak, ax) in x.as_object().unwrap() {
                v["author"][ak] = ax.clone();
            }
        } else {
            v[k] = x.clone();
        }
    }
    v.to_string()
}

/// The sandbox's posts with this text.
fn posts_with(app: &App, token: &str, text: &str) -> usize {
    app.get_json(token, "/api/sandbox/posts")["posts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["text"] == text)
        .count()
}

/// Waits until the sandbox got exactly one post with this text, then makes sure no second one
/// follows (the outbox sends in the background).
fn posted_once(app: &App, token: &str, text: &str) {
    app.wait_posts(token, |posts| posts.iter().any(|p| p["text"] == text));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        posts_with(app, token, text),
        1,
        "posted exactly once: {text}"
    );
}

fn conversation_path(id: &str) -> String {
    format!("/c/{id}")
}

// ------------------------------------------------------------------ tests

#[test]
fn signing_in_shows_the_conversations_that_came_in() {
    let Some((b, app, token)) = setup() else {
        return;
    };
    app.events(
        &token,
        &[
            mention("s1", "501", "@lumiere_tr mon train de 8h12 est annulé"),
            mention("s2", "502", "@lumiere_tr can I get a refund?"),
        ],
    );

    b.goto(&app, "/inbox");
    b.wait("an anonymous visitor sent to /login", || {
        b.path(&app).starts_with("/login").then_some(())
    });
    b.goto(&app, "/login?lang=en");
    b.find("#sign-in");
    b.screenshot("login");

    b.fill("#name", "sarah");
    b.fill("#password", "not the password");
    b.click("#sign-in");
    let error = b.wait_text(".error", "Wrong user name or password");
    assert!(!error.contains(PASSWORD));
    assert!(
        b.path(&app).starts_with("/login"),
        "still on the login page"
    );
    assert!(b.all("#list").is_empty(), "no inbox for a wrong password");

    b.fill("#name", "sarah");
    b.fill("#password", PASSWORD);
    b.click("#sign-in");
    b.wait_text("#list", "mon train de 8h12 est annulé");
    assert!(b.path(&app).starts_with("/inbox"));
    let rows = b.all("#list .row");
    assert_eq!(rows.len(), 2, "both conversations are listed");
    let list = b.try_text("#list").unwrap();
    assert!(
        list.contains("user501") && list.contains("user502"),
        "{list}"
    );
    assert!(list.contains("can I get a refund?"), "{list}");
}

#[test]
fn a_reply_typed_in_a_conversation_is_posted_once() {
    let Some((b, app, token)) = setup() else {
        return;
    };
    app.events(
        &token,
        &[mention(
            "r1",
            "501",
            "@lumiere_tr mon train de 8h12 est annulé, une info ?",
        )],
    );
    b.sign_in(&app, "sarah");
    b.click("#list .row a");
    b.wait("the conversation", || {
        b.path(&app).starts_with("/c/").then_some(())
    });
    b.wait_text(".thread", "mon train de 8h12 est annulé");

    let reply = "Bonjour, nous regardons cela tout de suite : quel était votre train ?";
    b.fill("#reply-text", reply);
    b.click("#send-reply");
    let shown = b.wait_text(".msg.outgoing", reply);
    assert!(
        shown.contains("sarah"),
        "the reply shows who sent it: {shown}"
    );
    assert_eq!(
        b.path(&app),
        conversation_path("x:r1"),
        "back on the conversation"
    );
    posted_once(&app, &token, reply);
    let posts = app.get_json(&token, "/api/sandbox/posts");
    let post = posts["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["text"] == reply)
        .unwrap()
        .clone();
    assert_eq!(post["in_reply_to"], "r1", "{post}");
    // Once sent, the page says so.
    b.goto(&app, &conversation_path("x:r1"));
    b.wait_text(".msg.outgoing", "sent");
}

#[test]
fn an_approved_draft_is_posted_once() {
    let Some((b, app, token)) = setup() else {
        return;
    };
    let mairie = event(
        "m1",
        ("601", "mairie_lyon", "Mairie de Lyon"),
        "@lumiere_tr #MonRésultat 69003",
        &json!({"author": {"bio": "Compte officiel de la mairie de Lyon. Service communication.",
            "verified": true, "followers": 90000, "following": 120}}),
    );
    let decisions = app.events(&token, &[mairie]);
    assert_eq!(decisions[0]["outcome"], "drafted", "{decisions:?}");
    let draft = decisions[0]["reply"].as_str().unwrap().to_owned();
    assert!(draft.contains("Lyon"), "{draft}");

    b.sign_in(&app, "sarah");
    b.wait_text("#list .row", "draft");
    b.goto(&app, "/drafts");
    let card = b.wait_text(".card.draft", "mairie_lyon");
    assert!(card.contains("#MonRésultat 69003"), "{card}");
    // Why, in a sentence in the interface's language; the code only behind "Codes".
    assert!(
        card.contains("the author is an organisation")
            || card.contains("l'auteur est une organisation"),
        "the reason shows in words: {card}"
    );
    assert!(
        !card.contains("organisation_author"),
        "no code to decode: {card}"
    );
    let in_box = b.script("return document.querySelector('.draft-text').value");
    assert_eq!(in_box, draft.as_str(), "the draft is ready to edit");
    assert_eq!(
        posts_with(&app, &token, &draft),
        0,
        "nothing sent before review"
    );

    b.click(".review .approve");
    b.wait("the draft to leave the list", || {
        b.all(".card.draft").is_empty().then_some(())
    });
    posted_once(&app, &token, &draft);
    b.goto(&app, &conversation_path("x:m1"));
    b.wait_text(".msg.outgoing", &draft);
    assert!(b.all(".review").is_empty(), "no review form once reviewed");
}

#[test]
fn a_human_taking_over_silences_the_bot() {
    let Some((b, app, token)) = setup() else {
        return;
    };
    app.events(
        &token,
        &[mention(
            "t1",
            "501",
            "@lumiere_tr j'ai une question sur mon abonnement",
        )],
    );
    b.sign_in(&app, "sarah");
    b.goto(&app, &conversation_path("x:t1"));
    b.click("#takeover");
    b.wait_text(".chead", "Human in charge");
    assert!(
        b.try_text("#takeover")
            .unwrap()
            .contains("Give back to the bot"),
        "the button now releases"
    );
    b.goto(&app, "/inbox");
    b.wait_text("#list .row", "human");

    let campaign = event(
        "t2",
        ("501", "user501", "User 501"),
        "@lumiere_tr #MonRésultat 69003",
        &json!({"kind": "reply", "in_reply_to": "t1", "in_reply_to_author": "1000"}),
    );
    let decisions = app.events(&token, &[campaign]);
    let d = &decisions[0];
    assert_eq!(d["conversation_id"], "x:t1", "{d}");
    assert_eq!(d["outcome"], "routed_to_human", "{d}");
    assert_eq!(d["reasons"], json!(["human_takeover"]), "{d}");
    assert_eq!(d["reply"], Value::Null, "{d}");
    std::thread::sleep(Duration::from_millis(500));
    let posts = app.get_json(&token, "/api/sandbox/posts");
    assert_eq!(posts["posts"], json!([]), "nothing was posted: {posts}");
    b.goto(&app, &conversation_path("x:t1"));
    // The interface (English in this browser) says why in words.
    let shown = b.wait_text(
        ".thread",
        "For a person: a person took the conversation over",
    );
    assert!(shown.contains("#MonRésultat 69003"), "{shown}");
}

#[test]
fn a_manager_assigns_a_conversation_and_the_filter_finds_it() {
    let Some((b, app, token)) = setup() else {
        return;
    };
    app.user("camille", "agent", "service-client", PASSWORD);
    app.events(
        &token,
        &[
            mention("a1", "501", "@lumiere_tr le wifi ne marche pas dans le TGV"),
            mention("a2", "502", "@lumiere_tr merci pour le trajet !"),
        ],
    );
    b.sign_in(&app, "sarah");
    b.goto(&app, &conversation_path("x:a1"));
    b.click("#assignee option[value=camille]");
    b.click("#assign");
    b.wait_text(".chead .meta", "camille");

    b.goto(&app, "/inbox");
    b.click("select[name=assignee] option[value=camille]");
    b.click(".filters button");
    b.wait("the assignee filter", || {
        b.path(&app).contains("assignee=camille").then_some(())
    });
    let rows = b.wait("exactly one row", || {
        let rows = b.all("#list .row");
        (rows.len() == 1).then_some(rows)
    });
    let text = b.text_of(&rows[0]).unwrap();
    assert!(text.contains("le wifi ne marche pas"), "{text}");
    assert!(text.contains("camille"), "{text}");

    b.goto(&app, "/inbox?assignee=none");
    let rows = b.all("#list .row");
    assert_eq!(rows.len(), 1);
    assert!(
        b.text_of(&rows[0])
            .unwrap()
            .contains("merci pour le trajet")
    );
}

#[test]
fn markup_in_a_post_is_shown_as_text_and_never_runs() {
    let Some((b, app, token)) = setup() else {
        return;
    };
    let text = r#"<script>window.__xss=1</script><img src=x onerror="window.__xss=2">"#;
    let hostile = event(
        "x1",
        ("666", "h4x", "<b>bold</b>"),
        &format!("@lumiere_tr {text}"),
        &json!({}),
    );
    app.events(&token, &[hostile]);
    b.sign_in(&app, "sarah");
    let row = b.wait_text("#list .row", "<script>");
    assert!(row.contains(text), "{row}");
    assert!(b.all("#list img, #list b, #list script").is_empty());
    assert_eq!(b.script("return typeof window.__xss"), "undefined");

    b.click("#list .row a");
    let body = b.wait_text(".thread .msg .body", "<script>");
    assert!(body.contains(text), "{body}");
    let head = b.try_text(".thread .msg header").unwrap();
    assert!(
        head.starts_with("<b>bold</b>"),
        "the author's name as text: {head}"
    );
    assert!(
        b.all(".thread img, .thread b:not(.bad), main script")
            .is_empty()
    );
    // Give an injected onerror a moment to fire, if there were one.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(b.script("return typeof window.__xss"), "undefined");
}

#[test]
fn j_then_enter_opens_the_first_conversation() {
    let Some((b, app, token)) = setup() else {
        return;
    };
    app.events(
        &token,
        &[
            mention("k1", "501", "@lumiere_tr premier message"),
            mention("k2", "502", "@lumiere_tr second message"),
        ],
    );
    b.sign_in(&app, "sarah");
    b.wait("two rows", || {
        (b.all("#list .row").len() == 2).then_some(())
    });
    let first = b.script("return document.querySelector('#list .row').getAttribute('data-href')");
    let first = first.as_str().unwrap().replace("%3A", ":");
    b.keys(&["j"]);
    b.wait("the first row selected", || {
        b.all("#list .row.selected").len().eq(&1).then_some(())
    });
    assert_eq!(
        b.script("return document.querySelector('#list .row.selected').getAttribute('data-href')")
            .as_str()
            .unwrap()
            .replace("%3A", ":"),
        first
    );
    b.keys(&["\u{E007}"]);
    b.wait("the first conversation to open", || {
        (b.path(&app) == first).then_some(())
    });
    b.find(".thread .msg");
}

/// A browser allows six connections to a host. Each page kept its live stream open while it
/// sat in the back/forward cache, so after five page loads the sixth waited about a minute for
/// a free connection. Ten pages in a row — a conversation, back to the inbox, the next one —
/// each load within a second.
#[test]
fn ten_pages_in_a_row_each_load_within_a_second() {
    let Some((b, app, token)) = setup() else {
        return;
    };
    let events: Vec<String> = (1..=5)
        .map(|i| {
            mention(
                &format!("h{i}"),
                &format!("60{i}"),
                &format!("@lumiere_tr message numéro {i}"),
            )
        })
        .collect();
    app.events(&token, &events);
    b.sign_in(&app, "sarah");
    b.wait("five rows", || {
        (b.all("#list .row").len() == 5).then_some(())
    });
    let hrefs = b.script(
        "return Array.from(document.querySelectorAll('#list .row')).map(r => r.getAttribute('data-href'))",
    );
    let hrefs: Vec<String> = hrefs
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect();
    let mut took = Vec::new();
    for i in 0..10 {
        let started = Instant::now();
        if i % 2 == 0 {
            b.goto(&app, &hrefs[(i / 2) % hrefs.len()]);
            b.find(".thread .msg");
        } else {
            b.ok("POST", "/back", &json!({}));
            b.find("#list .row");
        }
        took.push(started.elapsed());
    }
    let slowest = took.iter().max().unwrap();
    assert!(*slowest < Duration::from_secs(1), "page loads: {took:?}");
}

/// A tab that is hidden closes its live stream (the "live" mark goes out) and opens a new one
/// when it is shown again (the mark comes back once the server has answered): a user's
/// background tabs do not hold connections.
#[test]
fn a_hidden_tab_closes_its_live_stream_and_opens_it_again_when_shown() {
    let Some((b, app, _token)) = setup() else {
        return;
    };
    b.sign_in(&app, "sarah");
    let live_shown = || {
        b.script("var l = document.getElementById('live'); return !!l && !l.hidden")
            .as_bool()
            .unwrap()
    };
    b.wait("the live mark once the stream is open", || {
        live_shown().then_some(())
    });
    let set_hidden = |hidden: bool| {
        b.script(&format!(
            "Object.defineProperty(document, 'hidden', {{configurable: true, get: () => {hidden}}});
             document.dispatchEvent(new Event('visibilitychange')); return true"
        ));
    };
    set_hidden(true);
    b.wait("the live mark out while hidden", || {
        (!live_shown()).then_some(())
    });
    set_hidden(false);
    b.wait("the live mark back when shown", || {
        live_shown().then_some(())
    });
}

/// The main screens at 1280×900 with the demo stream: nothing wider than the window (and
/// docs/screenshots/ when PALABRE_SCREENSHOTS=1).
#[test]
fn the_main_screens_fit_the_window() {
    let Some((b, app, token)) = setup() else {
        return;
    };
    let stream =
        std::fs::read_to_string(common::root().join("examples/demo/stream.jsonl")).unwrap();
    let lines: Vec<String> = stream
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            // Oldest first, a minute apart, the last one now.
            let minutes = 60 - i64::try_from(i).unwrap_or(60);
            let at = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes);
            v["created_at"] = Value::from(at.to_string());
            v.to_string()
        })
        .collect();
    app.events(&token, &lines);
    let mairie = event(
        "m1",
        ("601", "mairie_lyon", "Mairie de Lyon"),
        "@lumiere_tr #MonRésultat 69003",
        &json!({"author": {"bio": "Compte officiel de la mairie de Lyon. Service communication.",
            "verified": true, "followers": 90000, "following": 120}}),
    );
    app.events(&token, &[mairie]);
    let fits = || {
        b.script(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth",
        )
    };
    b.sign_in(&app, "sarah");
    b.wait("the demo conversations", || {
        (b.all("#list .row").len() > 5).then_some(())
    });
    assert_eq!(fits(), true, "the inbox fits 1280 px");
    b.screenshot("inbox");

    b.click("#list .row.p2 a, #list .row a");
    b.find(".thread .msg");
    b.fill(
        "#reply-text",
        "Hello Sam, sorry about this: you can ask for a refund in the app, under My trips. Sarah",
    );
    b.click("#send-reply");
    b.wait_text(".msg.outgoing", "sent");
    assert_eq!(fits(), true, "the conversation fits 1280 px");
    b.screenshot("conversation");
    b.goto(&app, "/c/x:m1");
    b.find(".review .approve");
    assert_eq!(fits(), true, "a conversation with a draft fits 1280 px");

    b.goto(&app, "/drafts");
    b.find(".card.draft");
    assert_eq!(fits(), true, "the drafts fit 1280 px");
    b.screenshot("drafts");
    b.goto(&app, "/moderation");
    b.find("h1");
    assert_eq!(fits(), true, "moderation fits 1280 px");
}

/// A crisis in the stream: the red banner on every page, and the bot's held answer waiting in
/// the drafts, explained (docs/screenshots/crisis.png when PALABRE_SCREENSHOTS=1).
#[test]
fn a_crisis_shows_its_banner_and_the_held_answer_waits_in_the_drafts() {
    let Some((b, app, token)) = setup() else {
        return;
    };
    let lines = common::distress("cb", 950);
    app.events(&token, &lines);
    let request = event(
        "cb9",
        ("959", "noe", "Noé"),
        "#MonRésultat 69003",
        &json!({"hashtags": ["MonRésultat"], "mentions": []}),
    );
    let d = app.events(&token, &[request]);
    assert_eq!(d[0]["outcome"], "drafted", "{}", d[0]);
    b.sign_in(&app, "sarah");
    let banner = b.wait_text("#crisis-alert", "A crisis may be under way");
    assert!(banner.contains("5 people wrote in distress"), "{banner}");
    b.screenshot("crisis");
    b.goto(&app, "/drafts?lang=fr");
    let banner = b.wait_text("#crisis-alert", "Une crise est peut-être en cours");
    assert!(banner.contains("Rien d'automatique ne part"), "{banner}");
    b.wait_text(
        ".card.draft",
        "une crise est peut-être en cours : la réponse du bot attend une personne",
    );
}

/// A manager pulls the crisis brake from the header, with a reason, and releases it
/// (docs/screenshots/brake.png when PALABRE_SCREENSHOTS=1).
#[test]
fn a_manager_pulls_the_brake_from_the_header_and_releases_it() {
    let Some((b, app, token)) = setup() else {
        return;
    };
    b.sign_in(&app, "sarah");
    b.click(".brake-switch summary");
    b.fill("#brake-reason", "Effondrement de la scène place Bellecour");
    b.click("#brake-on");
    let banner = b.wait_text("#brake-banner", "Crisis brake on");
    assert!(banner.contains("by sarah"), "{banner}");
    assert!(
        banner.contains("Effondrement de la scène place Bellecour"),
        "{banner}"
    );
    assert_eq!(app.get_json(&token, "/api/brake")["engaged"], true);
    b.screenshot("brake");
    b.goto(&app, "/drafts?lang=fr");
    b.wait_text("#brake-banner", "Frein de crise serré");
    b.click("#brake-off");
    b.wait("the banner to go", || {
        b.all("#brake-banner").is_empty().then_some(())
    });
    assert_eq!(app.get_json(&token, "/api/brake")["engaged"], false);
}

/// The publishing calendar: a manager approves a post, drags one to another day, and finds the
/// post held by the brake at the top with its release button (docs/screenshots/publishing.png
/// when PALABRE_SCREENSHOTS=1).
#[test]
fn a_manager_plans_the_week_on_the_calendar_and_sees_what_the_brake_held() {
    let Some((b, app, token)) = setup() else {
        return;
    };
    let writer = app.user("camille", "agent", "", PASSWORD);
    let bob = app.user("bob", "manager", "", PASSWORD);
    // Next Wednesday in Paris, and the Thursday after it: both in one calendar week.
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Paris").unwrap())
        .date();
    let ahead = (9 - i64::from(today.weekday().to_monday_zero_offset())) % 7;
    let wednesday = today + jiff::Span::new().days(if ahead == 0 { 7 } else { ahead });
    let thursday = wednesday.tomorrow().unwrap();
    let write = |text: &str, at: &str| -> String {
        let (status, post) = app.post(
            &writer,
            "/api/posts",
            &json!({"channel": "x:1000", "text": text, "at": at, "submit": true}),
        );
        assert_eq!(status, 201, "{post}");
        post["id"].as_str().unwrap().to_owned()
    };
    let winter = write(
        "Les horaires d'hiver sont en ligne : https://lumiere.example/hiver",
        &format!("{wednesday} 08:30"),
    );
    let quiz = write(
        "Jeu-concours : gagnez un aller-retour Paris–Lyon ! 🎟️",
        &format!("{wednesday} 18:00"),
    );
    let thanks = write(
        "Merci pour vos messages de ce matin.",
        &format!("{wednesday} 12:00"),
    );
    app.post(&bob, &format!("/api/posts/{winter}/approve"), &json!({}));
    app.post(&bob, &format!("/api/posts/{thanks}/approve"), &json!({}));
    // The brake is on when a cheerful post falls due: it is held.
    app.post(
        &token,
        "/api/brake",
        &json!({"engaged": true, "reason": "Accident en gare de Lyon"}),
    );
    let now = jiff::Timestamp::now().as_millisecond();
    let cheer = write(
        "Partagez vos plus belles photos de voyage ! 📸",
        &jiff::Timestamp::from_millisecond(now + 1500)
            .unwrap()
            .to_string(),
    );
    app.post(&bob, &format!("/api/posts/{cheer}/approve"), &json!({}));
    common::wait_until("the cheerful post is held", || {
        app.get_json(&token, &format!("/api/posts/{cheer}"))["status"] == "held"
    });

    b.sign_in(&app, "sarah");
    b.goto(&app, &format!("/publishing?lang=fr&date={wednesday}"));
    b.wait_text("#held-posts", "Partagez vos plus belles photos de voyage");
    b.wait_text("#held-posts", "retenue par le frein de crise");
    // Approve the quiz from its card.
    b.wait_text(&format!("#post-{quiz}"), "En attente de validation");
    b.click(&format!("#post-{quiz} form[action$='/approve'] button"));
    b.wait_text(&format!("#post-{quiz}"), "Programmée");
    assert_eq!(
        app.get_json(&token, &format!("/api/posts/{quiz}"))["approvals"],
        json!(["sarah"])
    );
    // Drag the thanks to Thursday: same time, next day, still approved.
    b.script(&format!(
        "var card = document.getElementById('post-{thanks}');
         var day = document.querySelector('[data-date=\"{thursday}\"]');
         var data = new DataTransfer();
         card.dispatchEvent(new DragEvent('dragstart', {{bubbles: true, dataTransfer: data}}));
         day.dispatchEvent(new DragEvent('dragover', {{bubbles: true, cancelable: true, dataTransfer: data}}));
         day.dispatchEvent(new DragEvent('drop', {{bubbles: true, cancelable: true, dataTransfer: data}}));"
    ));
    b.wait_text(&format!("[data-date='{thursday}'] #post-{thanks}"), "12:00");
    let moved = app.get_json(&token, &format!("/api/posts/{thanks}"));
    assert_eq!(moved["local_time"], format!("{thursday} 12:00"));
    assert_eq!(moved["status"], "scheduled");
    // An image for the quiz, from its card: a new version, approved again.
    b.script(&format!(
        "document.querySelectorAll('#post-{quiz} details').forEach(d => d.open = true)"
    ));
    let form = format!("#post-{quiz} form.post-image-add");
    b.upload(
        &format!("{form} input[type=file]"),
        &common::root().join("tests/images/square.jpg"),
    );
    b.fill(
        &format!("{form} input[name=alt]"),
        "Deux billets de train sur une table",
    );
    b.click(&format!("{form} button"));
    b.wait("the image on the quiz's card", || {
        b.all(&format!("#post-{quiz} .post-images img"))
            .first()
            .map(|_| ())
    });
    let quiz_now = app.get_json(&token, &format!("/api/posts/{quiz}"));
    assert_eq!(
        quiz_now["images"][0]["alt"],
        "Deux billets de train sur une table"
    );
    assert_eq!(
        quiz_now["status"], "submitted",
        "approved again after a new image"
    );
    let loaded = b.script(&format!(
        "var img = document.querySelector('#post-{quiz} .post-images img'); return img.complete && img.naturalWidth;"
    ));
    assert_eq!(loaded, json!(1080), "the thumbnail is the image itself");
    b.script(&format!(
        "document.getElementById('post-{quiz}').scrollIntoView({{block: 'center'}})"
    ));
    b.screenshot("post-image");
    b.script("window.scrollTo(0, 0)");
    b.screenshot("publishing");
    // Released from the page once the brake is off.
    app.post(&token, "/api/brake", &json!({"engaged": false}));
    b.goto(&app, &format!("/publishing?lang=en&date={wednesday}"));
    b.click("#release-all");
    b.wait("the held posts to go", || {
        b.all("#held-posts").is_empty().then_some(())
    });
    common::wait_until("the released post is published", || {
        app.get_json(&token, &format!("/api/posts/{cheer}"))["status"] == "published"
    });
    b.goto(&app, "/publishing?view=month&lang=en");
    b.find(".calendar-month");
    // Four weeks of history: the heat map, and the best hours in words.
    let tz = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
    let mut lines = Vec::new();
    for back in 1..=28i64 {
        let day = today - jiff::Span::new().days(back);
        for (hour, n) in [(8, 3), (12, 2), (18, 6), (21, 2)] {
            let busy = i64::from(day.weekday().to_monday_zero_offset() == 1 && hour == 18) * 6;
            let at = day
                .at(hour, 5, 0, 0)
                .to_zoned(tz.clone())
                .unwrap()
                .timestamp();
            for i in 0..n + busy {
                lines.push(event(
                    &format!("h{back}-{hour}-{i}"),
                    (
                        &format!("9{back}{hour}{i}"),
                        &format!("p{back}{hour}{i}"),
                        "P",
                    ),
                    &format!("@lumiere_tr une question sur le train de {hour}h, jour {back}"),
                    &json!({"created_at": at.to_string()}),
                ));
            }
        }
    }
    for chunk in lines.chunks(100) {
        app.events(&token, chunk);
    }
    b.goto(&app, "/publishing?lang=fr#best-times");
    b.wait_text("#best-suggestions", "mardi");
    b.script("document.getElementById('best-times').scrollIntoView()");
    b.screenshot("best-times");
}

/// The bot's numbered question and the person's answer in one conversation, each turn
/// explained (docs/screenshots/turn-taking.png when PALABRE_SCREENSHOTS=1).
#[test]
fn the_bots_question_and_its_answer_read_as_one_conversation() {
    let Some((b, app, token)) = setup() else {
        return;
    };
    let ask = event(
        "tt1",
        ("971", "paul", "Paul Girard"),
        "#MonRésultat Saint-Denis",
        &json!({"hashtags": ["MonRésultat"], "mentions": []}),
    );
    app.events(&token, &[ask]);
    let answer = event(
        "tt2",
        ("971", "paul", "Paul Girard"),
        "celle de La Réunion",
        &json!({"kind": "reply", "thread_root": "tt1", "in_reply_to": "tt1",
            "in_reply_to_author": "2000", "mentions": []}),
    );
    let d = app.events(&token, &[answer]);
    assert_eq!(d[0]["campaign_key"], "code=97400", "{}", d[0]);
    b.sign_in(&app, "sarah");
    b.goto(&app, "/c/x:tt1?lang=fr");
    b.wait_text(".thread", "1) 93200 (Saint-Denis, Seine-Saint-Denis)");
    b.wait_text(
        ".thread",
        "la réponse à la question du bot dans cette conversation",
    );
    b.wait_text(".thread", "Saint-Denis (FICTIF)");
    b.screenshot("turn-taking");
}

#[test]
fn an_admin_creates_an_account_in_the_browser_and_it_signs_in() {
    let Some((b, app, _)) = setup() else {
        return;
    };
    app.user("ada", "admin", "", PASSWORD);
    b.sign_in(&app, "ada");
    b.click("header nav a[href='/admin']");
    b.find("#create-user");
    b.fill("#new-name", "nadia");
    b.fill("#new-display-name", "Nadia <N.>");
    b.fill("#new-teams", "care");
    b.click("#create-user");
    let password = b.wait_text(".secret .secret-value", "");
    assert_eq!(password.trim().len(), 20, "{password:?}");
    b.wait_text("tr[data-user='nadia']", "Nadia <N.>");
    let fits = b.script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth",
    );
    assert_eq!(fits, true, "the accounts page fits 1280 px");
    b.screenshot("accounts");
    // The new agent signs in with the password the page showed.
    b.goto(&app, "/login?lang=en");
    b.fill("#name", "nadia");
    b.fill("#password", password.trim());
    b.click("#sign-in");
    b.wait_text(".who", "Nadia <N.>");
    assert!(
        b.all("header nav a[href='/admin']").is_empty(),
        "an agent has no accounts link"
    );
}

/// The demo's listening: posts heard in its stations, not addressed to the brand, wait in the
/// listening queue, the lost child first; a conversation says what heard it and offers the
/// suggested draft (docs/screenshots/listening.png, listening-conversation.png).
#[test]
fn what_listening_heard_waits_in_its_queue_the_urgent_first() {
    let Some((b, app, token)) = setup() else {
        return;
    };
    let stream =
        std::fs::read_to_string(common::root().join("examples/demo/stream.jsonl")).unwrap();
    let heard: Vec<String> = stream
        .lines()
        .filter(|l| l.contains("\"geo\"") || l.contains("Lumière Transports a encore"))
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v["created_at"] = Value::from(jiff::Timestamp::now().to_string());
            v.to_string()
        })
        .collect();
    assert_eq!(heard.len(), 5, "the demo's five listened posts");
    app.events(&token, &heard);
    b.sign_in(&app, "sarah");
    b.goto(&app, "/inbox?queue=listening&lang=fr");
    b.wait("the listening queue", || {
        (b.all("#list .row").len() == 4).then_some(())
    });
    let first = b.text_of(&b.all("#list .row").remove(0)).unwrap();
    assert!(first.contains("sophie_g"), "the lost child first: {first}");
    b.screenshot("listening");
    b.click("#list .row a");
    b.wait_text(".thread", "Entendu par l'écoute");
    b.wait_text(".thread", "gare-de-lyon");
    b.screenshot("listening-conversation");
    // The birthday's draft waits for a person.
    b.goto(&app, "/inbox?queue=listening&lang=fr");
    let drafted = b
        .all("#list .row")
        .into_iter()
        .map(|r| b.text_of(&r).unwrap())
        .find(|t| t.contains("lea_d"))
        .unwrap();
    assert!(drafted.to_lowercase().contains("brouillon"), "{drafted}");
}
