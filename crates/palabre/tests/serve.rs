//! Black-box tests of `palabre serve`: the real binary on port 0 with a fresh store, driven
//! over HTTP as an integration or a browser would (SQLite always; PostgreSQL when reachable).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{App, Backend, mention, spawn_app, spawn_serve};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

/// A signed-in browser session: its cookie and its CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

fn set_cookies(r: &ureq::http::Response<ureq::Body>) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
        .collect()
}

fn hidden_csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field");
    let rest = &html[at + 19..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Signs in through the login form; (status of the POST, session if it worked).
fn login(app: &App, name: &str, password: &str) -> (u16, Option<Session>) {
    let agent = app.agent();
    let mut page = agent.get(&format!("{}/login", app.url)).call().unwrap();
    let login_cookie = set_cookies(&page).join("; ");
    let csrf = hidden_csrf(&page.body_mut().read_to_string().unwrap());
    let form = format!(
        "name={}&password={}&csrf={csrf}",
        name,
        password.replace(' ', "+")
    );
    let r = agent
        .post(&format!("{}/login", app.url))
        .header("Cookie", &login_cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(form.as_bytes())
        .unwrap();
    let status = r.status().as_u16();
    let session = set_cookies(&r)
        .into_iter()
        .find(|c| c.starts_with("palabre_session=") && c.len() > 20);
    let Some(cookie) = session else {
        return (status, None);
    };
    // The session's CSRF token is in every page.
    let mut inbox = agent
        .get(&format!("{}/inbox", app.url))
        .header("Cookie", &cookie)
        .call()
        .unwrap();
    let html = inbox.body_mut().read_to_string().unwrap();
    let at = html.find("name=\"csrf-token\" content=\"").unwrap();
    let rest = &html[at + 27..];
    let csrf = rest[..rest.find('"').unwrap()].to_owned();
    (status, Some(Session { cookie, csrf }))
}

/// POST JSON with a session cookie and an optional CSRF header.
fn post_cookie(app: &App, s: &Session, path: &str, csrf: Option<&str>, body: &Value) -> u16 {
    let mut req = app
        .agent()
        .post(&format!("{}{path}", app.url))
        .header("Cookie", &s.cookie)
        .header("Content-Type", "application/json");
    if let Some(c) = csrf {
        req = req.header("X-CSRF-Token", c);
    }
    req.send(body.to_string().as_bytes())
        .unwrap()
        .status()
        .as_u16()
}

fn get_cookie(app: &App, s: &Session, path: &str) -> (u16, String) {
    let mut r = app
        .agent()
        .get(&format!("{}{path}", app.url))
        .header("Cookie", &s.cookie)
        .call()
        .unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

fn conversation_of(decision: &Value) -> String {
    decision["conversation_id"].as_str().unwrap().to_owned()
}

fn path(id: &str) -> String {
    id.replace(':', "%3A")
}

/// An app with a manager (returned token) and nothing else.
fn app_with_manager(backend: Backend) -> Option<(App, String)> {
    let app = spawn_app(backend)?;
    let token = app.user("manon", "manager", "", PASSWORD);
    Some((app, token))
}

// ------------------------------------------------------------------ the tests

#[test]
fn health_openapi_and_authentication() {
    let (app, token) = app_with_manager(Backend::Sqlite).unwrap();
    let (status, body) = app.get("", "/healthz");
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["store"],
        "sqlite"
    );
    let doc = app.get_json(&token, "/api/openapi.json");
    for p in [
        "/api/conversations",
        "/api/conversations/{id}/replies",
        "/api/drafts/{platform}/{id}/review",
        "/api/events",
    ] {
        assert!(doc["paths"].get(p).is_some(), "OpenAPI lacks {p}");
    }
    assert!(doc["components"]["schemas"].get("InboxRow").is_some());
    // No credentials, or a wrong token: 401 with a JSON error.
    let (status, body) = app.get("", "/api/conversations");
    assert_eq!(status, 401);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "unauthorized"
    );
    assert_eq!(app.get("not-a-token", "/api/me").0, 401);
    let me = app.get_json(&token, "/api/me");
    assert_eq!(
        (me["name"].as_str(), me["role"].as_str()),
        (Some("manon"), Some("manager"))
    );
    assert!(
        me.get("password_hash").is_none(),
        "the hash never leaves the server"
    );
    // Pages send strangers to the login page.
    let r = app
        .agent()
        .get(&format!("{}/inbox", app.url))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], "/login");
}

#[test]
fn state_changes_need_the_sessions_csrf_token() {
    let (app, token) = app_with_manager(Backend::Sqlite).unwrap();
    let d = app.events(
        &token,
        &[mention("c1", "201", "@lumiere_tr bonjour, une question")],
    );
    let id = conversation_of(&d[0]);
    let (status, s) = login(&app, "manon", PASSWORD);
    assert_eq!(status, 303);
    let s = s.unwrap();
    let note = format!("/api/conversations/{}/notes", path(&id));
    assert_eq!(
        post_cookie(&app, &s, &note, None, &json!({"text": "missing"})),
        403
    );
    assert_eq!(
        post_cookie(&app, &s, &note, Some("forged"), &json!({"text": "forged"})),
        403
    );
    let forged_same_length = "0".repeat(s.csrf.len());
    assert_eq!(
        post_cookie(
            &app,
            &s,
            &note,
            Some(&forged_same_length),
            &json!({"text": "x"})
        ),
        403
    );
    assert_eq!(
        post_cookie(&app, &s, &note, Some(&s.csrf), &json!({"text": "la bonne"})),
        200
    );
    // A form without its token is refused too.
    let r = app
        .agent()
        .post(&format!("{}/c/{}/note", app.url, path(&id)))
        .header("Cookie", &s.cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(b"text=sans+jeton".as_slice())
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let mut r = r;
    let page = r.body_mut().read_to_string().unwrap();
    assert!(page.contains("CSRF"), "the error page says why: {page}");
    let view = app.get_json(&token, &format!("/api/conversations/{}", path(&id)));
    let notes: Vec<&str> = view["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        notes,
        vec!["la bonne"],
        "only the request with the right token changed anything"
    );
    // Signing out ends the session.
    let r = app
        .agent()
        .post(&format!("{}/logout", app.url))
        .header("Cookie", &s.cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(format!("csrf={}", s.csrf).as_bytes())
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(get_cookie(&app, &s, "/api/me").0, 401);
}

fn reply_goes_through_the_outbox_once(backend: Backend) {
    let Some((app, token)) = app_with_manager(backend) else {
        return;
    };
    let d = app.events(
        &token,
        &[mention(
            "r1",
            "301",
            "@lumiere_tr mon train est annulé, je fais comment ?",
        )],
    );
    assert_eq!(d[0]["outcome"], "routed_to_human");
    let id = conversation_of(&d[0]);
    let list = app.get_json(&token, "/api/conversations");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id.as_str())
    );
    let replies = format!("/api/conversations/{}/replies", path(&id));
    let body = json!({"text": "Bonjour, nous regardons tout de suite.", "idempotency_key": "k-1"});
    let (status, first) = app.post(&token, &replies, &body);
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["created"], true);
    // The same request again (a retry, a double click): nothing new is queued.
    let (status, again) = app.post(&token, &replies, &body);
    assert_eq!(status, 200);
    assert_eq!(
        (again["created"].clone(), again["outbox_id"].clone()),
        (json!(false), first["outbox_id"].clone())
    );
    let posts = app.wait_posts(&token, |p| !p.is_empty());
    std::thread::sleep(std::time::Duration::from_millis(500));
    let posts_after = app.wait_posts(&token, |_| true);
    assert_eq!(posts.len(), 1);
    assert_eq!(posts_after.len(), 1, "sent exactly once");
    assert_eq!(posts[0]["text"], "Bonjour, nous regardons tout de suite.");
    assert_eq!(posts[0]["in_reply_to"], "r1");
    assert_eq!(posts[0]["origin"], "human");
    let view = app.get_json(&token, &format!("/api/conversations/{}", path(&id)));
    assert_eq!(view["row"]["status"], "pending", "waiting for the author");
    assert_eq!(view["row"]["bot_paused"], true, "a human took over");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let view = app.get_json(&token, &format!("/api/conversations/{}", path(&id)));
        if view["outbox"][0]["status"] == "sent" {
            assert!(view["row"]["first_outbound_ms"].is_i64());
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never marked sent: {view}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The author answers: the conversation opens again.
    let answer = json!({"platform": "x", "id": "r2", "kind": "reply", "text": "@lumiere_tr merci, et pour le remboursement ?",
        "created_at": jiff::Timestamp::now().to_string(), "in_reply_to": "r1", "in_reply_to_author": "1000",
        "author": {"id": "301", "handle": "user301"}, "mentions": ["lumiere_tr"]});
    app.events(&token, &[answer.to_string()]);
    let view = app.get_json(&token, &format!("/api/conversations/{}", path(&id)));
    assert_eq!(view["row"]["status"], "open");
    assert_eq!(view["messages"].as_array().unwrap().len(), 2);
}

#[test]
fn reply_goes_through_the_outbox_once_on_sqlite() {
    reply_goes_through_the_outbox_once(Backend::Sqlite);
}

#[test]
fn reply_goes_through_the_outbox_once_on_postgres() {
    reply_goes_through_the_outbox_once(Backend::Postgres);
}

#[test]
fn an_exchange_answered_from_the_inbox_ends_with_a_survey_drafted_for_the_agent() {
    let (app, token) = app_with_manager(Backend::Sqlite).unwrap();
    let d = app.events(
        &token,
        &[mention(
            "s1",
            "311",
            "@lumiere_tr bonjour, je ne reçois pas le mail de confirmation, que faire ?",
        )],
    );
    assert_eq!(d[0]["outcome"], "routed_to_human", "{}", d[0]);
    let id = conversation_of(&d[0]);
    let replies = format!("/api/conversations/{}/replies", path(&id));
    let (status, _) = app.post(
        &token,
        &replies,
        &json!({"text": "Bonjour, il était dans vos spams : nous l'avons renvoyé."}),
    );
    assert_eq!(status, 200);
    let solved = |id: &str, text: &str| {
        json!({"platform": "x", "id": id, "kind": "reply", "text": text,
            "created_at": jiff::Timestamp::now().to_string(), "in_reply_to": "s1", "in_reply_to_author": "1000",
            "author": {"id": "311", "handle": "user311"}, "mentions": ["lumiere_tr"]})
        .to_string()
    };
    let d = app.events(&token, &[solved("s2", "@lumiere_tr bien reçu, merci !")]);
    // The agent took the conversation over by answering: the survey waits for them.
    assert_eq!(d[0]["outcome"], "drafted", "{}", d[0]);
    assert_eq!(
        d[0]["reasons"],
        json!(["reply_to_channel", "survey", "human_takeover"])
    );
    assert!(
        d[0]["reply"]
            .as_str()
            .unwrap()
            .ends_with("https://lumiere.example/avis")
    );
}

#[test]
fn the_bots_question_is_answered_in_the_thread_even_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("palabre.db").display().to_string();
    let config = common::root().join("examples/demo/palabre.toml");
    let mut app = spawn_serve(&config, &store, true, &[]);
    let token = app.user("manon", "manager", "", PASSWORD);
    let d = app.events(
        &token,
        &[campaign_request(
            "tq1",
            "451",
            "hugo",
            json!({"text": "#MonRésultat Saint-Denis"}),
        )],
    );
    assert_eq!(
        d[0]["reasons"],
        json!(["malformed_request", "unclear_intent"]),
        "{}",
        d[0]
    );
    let posts = app.wait_posts(&token, |p| p.iter().any(|p| p["in_reply_to"] == "tq1"));
    let question = posts.iter().find(|p| p["in_reply_to"] == "tq1").unwrap();
    assert!(
        question["text"]
            .as_str()
            .unwrap()
            .contains("1) 93200 (Saint-Denis, Seine-Saint-Denis) 2) 97400"),
        "{question}"
    );
    assert_eq!(
        question["choices"],
        json!([
            "93200 (Saint-Denis, Seine-Saint-Denis)",
            "97400 (Saint-Denis, La Réunion)"
        ]),
        "the outbox carries the choices for quick replies"
    );
    // A crash between the question and the answer.
    app.kill();
    let app = spawn_serve(&config, &store, true, &[]);
    let answer = json!({"platform": "x", "id": "tq2", "kind": "reply", "text": "le deuxième",
        "created_at": jiff::Timestamp::now().to_string(), "lang": "fr", "thread_root": "tq1",
        "in_reply_to": "tq1", "in_reply_to_author": "2000",
        "author": {"id": "451", "handle": "hugo", "name": "hugo"}})
    .to_string();
    let d = app.events(&token, &[answer]);
    assert_eq!(d[0]["outcome"], "bot_replied", "{}", d[0]);
    assert_eq!(d[0]["reasons"], json!(["campaign_answer", "follow_up"]));
    assert_eq!(d[0]["campaign_key"], "code=97400");
    let posts = app.wait_posts(&token, |p| p.iter().any(|p| p["in_reply_to"] == "tq2"));
    let sent = posts.iter().find(|p| p["in_reply_to"] == "tq2").unwrap();
    assert!(
        sent["text"]
            .as_str()
            .unwrap()
            .starts_with("Saint-Denis (FICTIF)"),
        "{sent}"
    );
    // The inbox shows the exchange as one conversation, the bot's turns explained.
    assert_eq!(d[0]["conversation_id"], "x:tq1");
    let (_, session) = login(&app, "manon", PASSWORD);
    let (status, html) = get_cookie(&app, &session.unwrap(), "/c/x%3Atq1");
    assert_eq!(status, 200);
    for shown in [
        "#MonRésultat Saint-Denis",
        "le deuxième",
        "1) 93200 (Saint-Denis, Seine-Saint-Denis)",
        "Saint-Denis (FICTIF)",
    ] {
        assert!(html.contains(shown), "{shown} in {html}");
    }
    assert!(
        html.contains("the answer to the bot&#x27;s question in this conversation")
            || html.contains("la réponse à la question du bot dans cette conversation"),
        "{html}"
    );
}

#[test]
fn a_crisis_in_the_stream_shows_a_banner_and_holds_the_bots_answers() {
    let (app, token) = app_with_manager(Backend::Sqlite).unwrap();
    let (_, session) = login(&app, "manon", PASSWORD);
    let session = session.unwrap();
    let (_, html) = get_cookie(&app, &session, "/inbox");
    assert!(!html.contains("id=\"crisis-alert\""), "no alert yet");
    let lines = common::distress("cr", 880);
    let d = app.events(&token, &lines);
    assert_eq!(d[4]["alerts"], json!(["crisis_suspected"]), "{}", d[4]);
    // The bot's answer to a request waits for a person.
    let d = app.events(&token, &[campaign_request("cr9", "889", "noe", json!({}))]);
    assert_eq!(d[0]["outcome"], "drafted", "{}", d[0]);
    let reasons = d[0]["reasons"].as_array().unwrap();
    assert_eq!(reasons.first().unwrap(), "campaign_answer");
    assert_eq!(reasons.last().unwrap(), "crisis_suspected");
    // Every page shows the banner, with how many people.
    for page in ["/inbox", "/drafts"] {
        let (status, html) = get_cookie(&app, &session, page);
        assert_eq!(status, 200);
        assert!(html.contains("id=\"crisis-alert\""), "{page}: {html}");
        assert!(
            html.contains("A crisis may be under way")
                || html.contains("Une crise est peut-être en cours"),
            "{page}"
        );
        assert!(
            html.contains("> 5 ") || html.contains(" 5 "),
            "{page}: the count"
        );
        assert!(
            html.contains("id=\"brake-proposed\""),
            "{page}: the brake is proposed"
        );
        // The evidence: the latest messages in distress, newest first.
        let newest = html.find("<q>@lumiere_tr on nous évacue, panique totale</q>");
        let older = html.find("<q>@lumiere_tr des ambulances arrivent, c&#x27;est horrible</q>");
        assert!(
            newest.is_some() && older.is_some() && newest < older,
            "{page}: {html}"
        );
        assert!(
            html.contains("<q>@lumiere_tr the stage collapsed"),
            "{page}: the third"
        );
        assert!(
            !html.contains("<q>@lumiere_tr la scène s&#x27;est effondrée"),
            "three at most"
        );
    }
    // The manager takes the proposal: the brake is on, with the alert as its reason.
    let (status, _, _) = post_form(
        &app,
        &session,
        "/brake",
        &format!(
            "csrf={}&engaged=true&reason=crise+suspect%C3%A9e+%3A+personnes+en+d%C3%A9tresse+%285%29",
            session.csrf
        ),
    );
    assert_eq!(status, 303);
    let brake = app.get_json(&token, "/api/brake");
    assert_eq!(brake["engaged"], true);
    assert_eq!(
        brake["reason"],
        "crise suspectée : personnes en détresse (5)"
    );
    let (_, html) = get_cookie(&app, &session, "/inbox");
    assert!(
        !html.contains("id=\"brake-proposed\""),
        "proposed no more once on"
    );
}

#[test]
fn with_brake_auto_a_crisis_pulls_the_brake_and_a_person_releases_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = common::demo_config_with(dir.path(), "[crisis]\nbrake = \"auto\"\n");
    let store = dir.path().join("palabre.db").display().to_string();
    let app = spawn_serve(&cfg, &store, true, &[]);
    let token = app.user("manon", "manager", "", PASSWORD);
    let lines = common::distress("ab", 860);
    app.events(&token, &lines);
    let brake = app.get_json(&token, "/api/brake");
    assert_eq!(brake["engaged"], true, "{brake}");
    assert_eq!(brake["actor"], "palabre");
    assert_eq!(
        brake["reason"],
        "crisis suspected: 5 people in distress within minutes"
    );
    let d = app.events(&token, &[campaign_request("ab9", "869", "eli", json!({}))]);
    assert_eq!(d[0]["reasons"], json!(["crisis_brake"]), "{}", d[0]);
    // A person releases it; the bot answers again.
    let (status, _) = app.post(&token, "/api/brake", &json!({"engaged": false}));
    assert_eq!(status, 200);
    let d = app.events(&token, &[campaign_request("ab10", "870", "ivy", json!({}))]);
    assert_eq!(
        d[0]["outcome"], "drafted",
        "the alert still holds it: {}",
        d[0]
    );
    assert_eq!(
        common::reasons(&d[0]),
        "campaign_answer,crisis_suspected",
        "{}",
        d[0]
    );
}

#[test]
fn the_crisis_brake_holds_everything_automated_until_a_manager_releases_it() {
    let (mut app, token) = app_with_manager(Backend::Sqlite).unwrap();
    let agent = app.user("ali", "agent", "", PASSWORD);
    let brake = |token: &str, body: Value| -> (u16, Value) {
        let (status, reply) = app.post(token, "/api/brake", &body);
        (status, reply)
    };
    // An agent may not; a manager must say why.
    let (status, _) = brake(&agent, json!({"engaged": true, "reason": "crise"}));
    assert_eq!(status, 403);
    let (status, reply) = brake(&token, json!({"engaged": true}));
    assert_eq!(status, 422, "{reply}");
    let (status, reply) = brake(
        &token,
        json!({"engaged": true, "reason": "effondrement de la scène"}),
    );
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["changed"], true);
    assert_eq!(reply["brake"]["actor"], "manon");
    // Twice: nothing changes.
    let (_, reply) = brake(&token, json!({"engaged": true, "reason": "encore"}));
    assert_eq!(reply["changed"], false);
    assert_eq!(reply["brake"]["reason"], "effondrement de la scène");
    assert_eq!(
        app.get_json(&agent, "/api/brake")["engaged"],
        true,
        "everyone sees it"
    );
    // The bot decides nothing automated; a person's reply still goes out.
    let d = app.events(&token, &[campaign_request("bk1", "701", "lea", json!({}))]);
    assert_eq!(d[0]["outcome"], "routed_to_human", "{}", d[0]);
    assert_eq!(d[0]["reasons"], json!(["crisis_brake"]));
    let id = conversation_of(&d[0]);
    let (status, _) = app.post(
        &token,
        &format!("/api/conversations/{}/replies", path(&id)),
        &json!({"text": "Nous sommes avec vous, les résultats suivent."}),
    );
    assert_eq!(status, 200);
    app.wait_posts(&token, |p| {
        p.iter()
            .any(|p| p["text"] == "Nous sommes avec vous, les résultats suivent.")
    });
    // Every page shows it, with the manager's switch to release it.
    let (_, session) = login(&app, "manon", PASSWORD);
    let session = session.unwrap();
    let (_, html) = get_cookie(&app, &session, "/inbox");
    assert!(html.contains("id=\"brake-banner\""), "{html}");
    assert!(html.contains("effondrement de la scène"));
    assert!(html.contains("id=\"brake-off\""));
    assert!(
        !html.contains("id=\"brake-form\""),
        "no switch to turn it on again"
    );
    // Released from the page: the bot answers again.
    let (status, _, _) = post_form(
        &app,
        &session,
        "/brake",
        &format!("csrf={}&engaged=false", session.csrf),
    );
    assert_eq!(status, 303, "back to the page");
    let (_, html) = get_cookie(&app, &session, "/inbox");
    assert!(!html.contains("id=\"brake-banner\""), "{html}");
    assert!(html.contains("id=\"brake-form\""));
    let d = app.events(&token, &[campaign_request("bk2", "702", "max", json!({}))]);
    assert_eq!(d[0]["outcome"], "bot_replied", "{}", d[0]);
    // Switched on the command line while the server runs: it follows within seconds.
    let out = std::process::Command::new(common::BIN)
        .args([
            "brake", "--store", &app.store, "--actor", "ops", "on", "--reason", "alerte",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut n = 3;
    loop {
        let d = app.events(
            &token,
            &[campaign_request(
                &format!("bk{n}"),
                &format!("{}", 700 + n),
                "zoe",
                json!({}),
            )],
        );
        if d[0]["reasons"] == json!(["crisis_brake"]) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server never followed: {}",
            d[0]
        );
        n += 1;
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let now = app.get_json(&token, "/api/brake");
    assert_eq!(
        (now["engaged"].clone(), now["actor"].clone()),
        (json!(true), json!("ops"))
    );
    app.kill();
}

fn campaign_request(id: &str, author: &str, handle: &str, extra: Value) -> String {
    let mut v = json!({"platform": "x", "id": id, "kind": "post", "text": "#MonRésultat 69003",
        "created_at": jiff::Timestamp::now().to_string(), "lang": "fr",
        "author": {"id": author, "handle": handle, "name": handle}, "hashtags": ["MonRésultat"]});
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        for (k, val) in e {
            o.insert(k.clone(), val.clone());
        }
    }
    v.to_string()
}

#[test]
fn the_brake_on_one_channel_holds_only_what_goes_out_there() {
    let (app, token) = app_with_manager(Backend::Sqlite).unwrap();
    let brake = |body: Value| app.post(&token, "/api/brake", &body);
    let (status, reply) = brake(json!({"engaged": true, "reason": "panne", "channels": ["x:9"]}));
    assert_eq!(status, 422, "not one of the brand's channels: {reply}");
    let (status, reply) = brake(
        json!({"engaged": true, "reason": "incident Mastodon", "channels": ["mastodon:109"]}),
    );
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["brake"]["channels"], json!(["mastodon:109"]));
    // X is not held: the bot answers there.
    let d = app.events(&token, &[campaign_request("bc1", "731", "ana", json!({}))]);
    assert_eq!(d[0]["outcome"], "bot_replied", "{}", d[0]);
    // X held now (the brake moved to it): a person answers.
    let (_, reply) = brake(json!({"engaged": true, "reason": "accident", "channels": ["x:1000"]}));
    assert_eq!(reply["changed"], true);
    let d = app.events(&token, &[campaign_request("bc2", "732", "ben", json!({}))]);
    assert_eq!(d[0]["outcome"], "routed_to_human", "{}", d[0]);
    assert_eq!(d[0]["reasons"], json!(["crisis_brake"]));
    // Every page says which channel.
    let (_, session) = login(&app, "manon", PASSWORD);
    let (_, html) = get_cookie(&app, &session.unwrap(), "/inbox?lang=en");
    assert!(html.contains("id=\"brake-banner\""), "{html}");
    assert!(
        html.contains("@lumiere_tr (x)"),
        "the banner names the channel: {html}"
    );
    // Off: the bot answers on X again.
    brake(json!({"engaged": false}));
    let d = app.events(&token, &[campaign_request("bc3", "733", "cid", json!({}))]);
    assert_eq!(d[0]["outcome"], "bot_replied", "{}", d[0]);
}

#[test]
fn a_human_takeover_keeps_the_bot_out_until_released() {
    let (app, token) = app_with_manager(Backend::Sqlite).unwrap();
    // The bot answers a campaign request...
    let d = app.events(
        &token,
        &[campaign_request("t1", "401", "jeanne", json!({}))],
    );
    assert_eq!(d[0]["outcome"], "bot_replied", "{}", d[0]);
    let id = conversation_of(&d[0]);
    app.wait_posts(&token, |p| p.iter().any(|x| x["in_reply_to"] == "t1"));
    // ...a human takes the conversation over...
    let (status, _) = app.post(
        &token,
        &format!("/api/conversations/{}/bot", path(&id)),
        &json!({"paused": true}),
    );
    assert_eq!(status, 200);
    let in_thread = json!({"in_reply_to": "t1", "in_reply_to_author": "2000", "kind": "reply", "text": "#MonRésultat 38000"});
    let d = app.events(&token, &[campaign_request("t2", "402", "paul", in_thread)]);
    assert_eq!(d[0]["conversation_id"], id.as_str());
    assert_eq!(d[0]["outcome"], "routed_to_human");
    assert_eq!(d[0]["reasons"], json!(["human_takeover"]));
    // ...and gives it back.
    let (status, _) = app.post(
        &token,
        &format!("/api/conversations/{}/bot", path(&id)),
        &json!({"paused": false}),
    );
    assert_eq!(status, 200);
    let again = json!({"in_reply_to": "t1", "in_reply_to_author": "2000", "kind": "reply", "text": "#MonRésultat 35000"});
    let d = app.events(&token, &[campaign_request("t3", "403", "lea", again)]);
    assert_eq!(d[0]["outcome"], "bot_replied", "{}", d[0]);
    let posts = app.wait_posts(&token, |p| p.iter().any(|x| x["in_reply_to"] == "t3"));
    assert!(
        !posts.iter().any(|x| x["in_reply_to"] == "t2"),
        "nothing went out while a human had it"
    );
}

fn two_agents_approving_one_draft_send_it_once(backend: Backend) {
    let Some((app, token)) = app_with_manager(backend) else {
        return;
    };
    let second = app.user("sarah", "manager", "", PASSWORD);
    // An organisation's request is drafted, never answered automatically.
    let d = app.events(
        &token,
        &[campaign_request("o1", "501", "francetvinfo", json!({}))],
    );
    assert_eq!(d[0]["outcome"], "drafted", "{}", d[0]);
    assert!(
        d[0]["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("organisation_author"))
    );
    let drafts = app.get_json(&token, "/api/drafts");
    assert_eq!(drafts.as_array().unwrap().len(), 1);
    let review = "/api/drafts/x/o1/review";
    let body = json!({"verdict": "approve", "text": "Bonjour, voici les résultats de Lyon 3e : https://example.invalid/69003"});
    let barrier = std::sync::Barrier::new(2);
    let results: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = [&token, &second]
            .into_iter()
            .map(|t| {
                let (app, barrier, body) = (&app, &barrier, &body);
                scope.spawn(move || {
                    barrier.wait();
                    app.post(t, review, body).0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = results.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        vec![200, 409],
        "one approval wins, the other is told: {results:?}"
    );
    let posts = app.wait_posts(&token, |p| !p.is_empty());
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        app.wait_posts(&token, |_| true).len(),
        1,
        "the draft was sent once"
    );
    assert_eq!(posts[0]["text"], body["text"]);
    assert!(
        app.get_json(&token, "/api/drafts")
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn two_agents_approving_one_draft_send_it_once_on_sqlite() {
    two_agents_approving_one_draft_send_it_once(Backend::Sqlite);
}

#[test]
fn two_agents_approving_one_draft_send_it_once_on_postgres() {
    two_agents_approving_one_draft_send_it_once(Backend::Postgres);
}

#[test]
fn a_rejected_draft_is_never_sent_and_its_reason_is_kept() {
    let (app, token) = app_with_manager(Backend::Sqlite).unwrap();
    let d = app.events(
        &token,
        &[campaign_request("o2", "502", "francetvinfo", json!({}))],
    );
    assert_eq!(d[0]["outcome"], "drafted");
    let (status, _) = app.post(
        &token,
        "/api/drafts/x/o2/review",
        &json!({"verdict": "reject", "reason": "ton"}),
    );
    assert_eq!(status, 200);
    // The reason feeds the campaign's review report.
    let report = app.get_json(&token, "/api/reports/reviews");
    assert_eq!(report.as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report[0]["campaign"], "mon-resultat");
    assert_eq!(report[0]["verdict"], "rejected");
    assert_eq!(report[0]["reason"], "ton");
    assert_eq!(report[0]["count"], 1);
    let (status, again) = app.post(
        &token,
        "/api/drafts/x/o2/review",
        &json!({"verdict": "approve"}),
    );
    assert_eq!(status, 409, "{again}");
    assert!(again["message"].as_str().unwrap().contains("rejected"));
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        app.get_json(&token, "/api/sandbox/posts")["posts"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (status, bad) = app.post(
        &token,
        "/api/drafts/x/o2/review",
        &json!({"verdict": "maybe"}),
    );
    assert_eq!(status, 422, "{bad}");
}

fn agents_see_only_their_teams_queues(backend: Backend) {
    let Some((app, token)) = app_with_manager(backend) else {
        return;
    };
    app.admin(&["team", "moderation", "--queues", "moderation"], None);
    app.admin(&["team", "care", "--queues", "service-client"], None);
    let moderator = app.user("lucas", "agent", "moderation", PASSWORD);
    let carer = app.user("camille", "agent", "care", PASSWORD);
    let d = app.events(
        &token,
        &[mention(
            "s1",
            "601",
            "@lumiere_tr ma carte de réduction ne marche pas",
        )],
    );
    let id = conversation_of(&d[0]);
    assert_eq!(d[0]["queue"], "service-client");
    let one = format!("/api/conversations/{}", path(&id));
    assert_eq!(
        app.get(&moderator, &one).0,
        404,
        "another team's conversation does not exist for them"
    );
    assert!(
        app.get_json(&moderator, "/api/conversations")
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (status, _) = app.post(
        &moderator,
        &format!("{one}/replies"),
        &json!({"text": "Bonjour"}),
    );
    assert_eq!(status, 404);
    let (status, _) = app.post(
        &moderator,
        &format!("{one}/notes"),
        &json!({"text": "note"}),
    );
    assert_eq!(status, 404);
    assert_eq!(app.get(&carer, &one).0, 200);
    // Round-robin gave it to the only agent on that queue.
    assert_eq!(app.get_json(&carer, &one)["row"]["assignee"], "camille");
    // Agents take conversations for themselves; only managers give them to others.
    let (status, _) = app.post(
        &carer,
        &format!("{one}/assignment"),
        &json!({"assignee": "lucas"}),
    );
    assert_eq!(status, 403);
    let (status, _) = app.post(
        &token,
        &format!("{one}/assignment"),
        &json!({"assignee": "lucas"}),
    );
    assert_eq!(status, 200);
    let (status, body) = app.post(
        &token,
        &format!("{one}/assignment"),
        &json!({"assignee": "nobody-here"}),
    );
    assert_eq!(status, 422, "{body}");
    let mine = app.get_json(&token, "/api/conversations?assignee=lucas");
    assert_eq!(mine.as_array().unwrap().len(), 1);
    // The team filter: a team's queues.
    let care = app.get_json(&token, "/api/conversations?team=care");
    assert_eq!(care.as_array().unwrap().len(), 1);
    assert!(
        app.get_json(&token, "/api/conversations?team=moderation")
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        app.get_json(&token, "/api/conversations?team=nobody")
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Outbox and event ingestion are for managers.
    assert_eq!(app.get(&carer, "/api/outbox").0, 403);
}

/// A team limited to one of the brand's channels: its agents see that channel's conversations
/// only; the inbox filters by channel and names it on each row.
fn teams_limited_to_a_channel_see_only_its_conversations(backend: Backend) {
    let Some((app, token)) = app_with_manager(backend) else {
        return;
    };
    app.admin(&["team", "fediverse", "--channels", "mastodon:109"], None);
    let agent = app.user("ines", "agent", "fediverse", PASSWORD);
    let toot = json!({
        "platform": "mastodon", "id": "m1", "kind": "post", "text": "@lumiere mon train est en retard",
        "created_at": jiff::Timestamp::now().to_string(), "author": {"id": "77", "handle": "zoe@piaille.example"},
        "mentions": ["lumiere@social.example"],
    })
    .to_string();
    let d = app.events(
        &token,
        &[
            mention("c1", "602", "@lumiere_tr un contrôleur introuvable"),
            toot,
        ],
    );
    let (on_x, on_mastodon) = (conversation_of(&d[0]), conversation_of(&d[1]));
    let ids = |t: &str, query: &str| -> Vec<String> {
        app.get_json(t, &format!("/api/conversations{query}"))
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&agent, ""), [on_mastodon.as_str()]);
    assert_eq!(
        app.get(&agent, &format!("/api/conversations/{}", path(&on_x)))
            .0,
        404
    );
    assert_eq!(ids(&token, "?channel=x:1000"), [on_x.as_str()]);
    assert_eq!(ids(&token, "?team=fediverse"), [on_mastodon.as_str()]);
    let (status, body) = app.get(&token, "/api/conversations?channel=x:2");
    assert_eq!(status, 400, "{body}");
    // The page: the channel filter, and each row says which account it was addressed to.
    let (_, s) = login(&app, "ines", PASSWORD);
    let (status, html) = get_cookie(&app, &s.unwrap(), "/inbox?status=all");
    assert_eq!(status, 200);
    assert!(
        html.contains("@lumiere@social.example (mastodon)"),
        "{html}"
    );
    assert!(
        !html.contains("contrôleur introuvable"),
        "another channel's conversation shows"
    );
    assert!(
        !html.contains("<option value=\"x:1000\""),
        "the filter offers only the team's channels"
    );
}

#[test]
fn teams_limited_to_a_channel_see_only_its_conversations_on_sqlite() {
    teams_limited_to_a_channel_see_only_its_conversations(Backend::Sqlite);
}

#[test]
fn teams_limited_to_a_channel_see_only_its_conversations_on_postgres() {
    teams_limited_to_a_channel_see_only_its_conversations(Backend::Postgres);
}

#[test]
fn agents_see_only_their_teams_queues_on_sqlite() {
    agents_see_only_their_teams_queues(Backend::Sqlite);
}

#[test]
fn agents_see_only_their_teams_queues_on_postgres() {
    agents_see_only_their_teams_queues(Backend::Postgres);
}

#[test]
fn replies_the_platform_would_refuse_get_a_clear_error() {
    let (app, token) = app_with_manager(Backend::Sqlite).unwrap();
    // A Messenger conversation whose person wrote last ten days ago: the window is closed.
    let old = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(240);
    let dm = json!({"platform": "messenger", "id": "m.old", "kind": "direct", "text": "Bonjour, une question sur mon abonnement",
        "created_at": old.to_string(), "recipient": "5550001", "author": {"id": "9001", "name": "Inès"}});
    let d = app.events(&token, &[dm.to_string()]);
    assert_eq!(d[0]["outcome"], "routed_to_human");
    let id = conversation_of(&d[0]);
    let (status, body) = app.post(
        &token,
        &format!("/api/conversations/{}/replies", path(&id)),
        &json!({"text": "Bonjour Inès"}),
    );
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("messaging window is closed"),
        "{body}"
    );
    // Too long for X, and empty.
    let d = app.events(&token, &[mention("l1", "701", "@lumiere_tr horaires ?")]);
    let replies = format!(
        "/api/conversations/{}/replies",
        path(&conversation_of(&d[0]))
    );
    let (status, body) = app.post(&token, &replies, &json!({"text": "a".repeat(10_000)}));
    assert_eq!(status, 422);
    assert!(
        body["message"].as_str().unwrap().contains("at most 280"),
        "{body}"
    );
    let (status, _) = app.post(&token, &replies, &json!({"text": "   "}));
    assert_eq!(status, 422);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        app.get_json(&token, "/api/sandbox/posts")["posts"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing refused was sent"
    );
}

#[test]
fn malformed_requests_get_a_4xx_that_says_why() {
    let (app, token) = app_with_manager(Backend::Sqlite).unwrap();
    let d = app.events(&token, &[mention("b1", "801", "@lumiere_tr allo")]);
    let replies = format!(
        "/api/conversations/{}/replies",
        path(&conversation_of(&d[0]))
    );
    let send_raw = |raw: &str| {
        let mut r = app
            .agent()
            .post(&format!("{}{replies}", app.url))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .send(raw.as_bytes())
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    let (status, body) = send_raw("{\"text\": \"tronqué");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("EOF") || body.contains("line 1"), "{body}");
    let (status, body) = send_raw("{\"txt\": \"typo\"}");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("txt"), "names the unknown field: {body}");
    let (status, _) = send_raw("{\"text\": 42}");
    assert!((400..500).contains(&status));
    let (status, body) = app.get(&token, "/api/conversations?status=bogus");
    assert_eq!(status, 400);
    assert!(body.contains("bogus"));
    let (status, _) = app.get(&token, "/api/conversations?limit=many");
    assert_eq!(status, 400);
    // Unreadable event lines are decisions, not failures.
    let d = app.events(
        &token,
        &[
            "{\"id\": ".to_owned(),
            "[1, 2]".to_owned(),
            mention("b2", "802", "@lumiere_tr ok"),
        ],
    );
    let outcomes: Vec<&str> = d.iter().map(|x| x["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, vec!["invalid", "invalid", "routed_to_human"]);
    let lines: Vec<u64> = d.iter().map(|x| x["line"].as_u64().unwrap()).collect();
    assert_eq!(
        lines,
        vec![1, 2, 3],
        "lines of this request, as replay numbers them"
    );
    assert!(d[0]["error"].as_str().is_some());
    let (status, _) = app.post(
        &token,
        "/api/conversations/x%3Anope/status",
        &json!({"status": "resolved"}),
    );
    assert_eq!(status, 404);
    let (status, body) = app.post(
        &token,
        &replies.replace("/replies", "/status"),
        &json!({"status": "snoozed"}),
    );
    assert_eq!(status, 422, "{body}");
}

#[test]
fn a_login_brute_force_is_rate_limited() {
    let (app, _) = app_with_manager(Backend::Sqlite).unwrap();
    for attempt in 0..5 {
        let (status, session) = login(&app, "manon", "wrong password");
        assert_eq!(status, 401, "attempt {attempt}");
        assert!(session.is_none());
    }
    // Even the right password waits now.
    let (status, session) = login(&app, "manon", PASSWORD);
    assert_eq!(status, 429);
    assert!(session.is_none());
}

#[test]
fn what_a_post_contains_is_shown_as_text() {
    let (app, token) = app_with_manager(Backend::Sqlite).unwrap();
    let evil = json!({"platform": "x", "id": "xss1", "kind": "post",
        "text": "@lumiere_tr <script>alert('xss')</script><img src=x onerror=alert(1)>",
        "created_at": jiff::Timestamp::now().to_string(),
        "author": {"id": "666", "handle": "h4ck", "name": "<b onmouseover=alert(2)>Eve</b>"}, "mentions": ["lumiere_tr"]});
    let d = app.events(&token, &[evil.to_string()]);
    let id = conversation_of(&d[0]);
    let (_, s) = login(&app, "manon", PASSWORD);
    let s = s.unwrap();
    for page in ["/inbox".to_owned(), format!("/c/{}", path(&id))] {
        let (status, html) = get_cookie(&app, &s, &page);
        assert_eq!(status, 200);
        assert!(
            html.contains("&lt;script&gt;alert("),
            "{page} escapes the text"
        );
        assert!(
            !html.contains("<script>alert"),
            "{page} never echoes a script"
        );
        assert!(!html.contains("<img src=x"), "{page}");
        assert!(!html.contains("<b onmouseover"), "{page}");
    }
    let r = app
        .agent()
        .get(&format!("{}/login", app.url))
        .call()
        .unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
}

#[test]
fn the_inbox_filters_and_searches() {
    let (app, token) = app_with_manager(Backend::Sqlite).unwrap();
    app.events(
        &token,
        &[
            mention(
                "f1",
                "901",
                "@lumiere_tr VOUS ÊTES NULS, trois heures de retard, c'est une honte !!!",
            ),
            mention(
                "f2",
                "902",
                "@lumiere_tr merci pour le trajet, contrôleur très sympa 😊",
            ),
            mention(
                "f3",
                "903",
                "@lumiere_tr où trouver les horaires du TER Lyon–Annecy ?",
            ),
        ],
    );
    let all = app.get_json(&token, "/api/conversations?status=all");
    assert_eq!(all.as_array().unwrap().len(), 3);
    let urgent = &app.get_json(&token, "/api/conversations")[0];
    assert_eq!(urgent["id"], "x:f1", "the angry one comes first");
    assert_eq!(urgent["priority"], 2);
    let found = app.get_json(&token, "/api/conversations?q=annecy");
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["id"], "x:f3");
    let negative = app.get_json(&token, "/api/conversations?sentiment=negative");
    assert!(
        negative
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["id"] == "x:f1")
    );
    assert!(
        app.get_json(&token, "/api/conversations?status=resolved")
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (status, _) = app.post(
        &token,
        "/api/conversations/x%3Af2/status",
        &json!({"status": "resolved"}),
    );
    assert_eq!(status, 200);
    let resolved = app.get_json(&token, "/api/conversations?status=resolved");
    assert_eq!(resolved.as_array().unwrap().len(), 1);
    let (status, _) = app.post(
        &token,
        "/api/conversations/x%3Af3/status",
        &json!({"status": "snoozed", "snooze_minutes": 60}),
    );
    assert_eq!(status, 200);
    let snoozed = app.get_json(&token, "/api/conversations?status=snoozed");
    assert!(
        snoozed[0]["snoozed_until_ms"].as_i64().unwrap() > jiff::Timestamp::now().as_millisecond()
    );
}

#[test]
fn toxic_comments_under_our_posts_are_hidden_at_once() {
    let (app, token) = app_with_manager(Backend::Sqlite).unwrap();
    let insult = json!({"platform": "x", "id": "h1", "kind": "reply", "text": "@lumiere_tr bande de connards, vous allez payer",
        "created_at": jiff::Timestamp::now().to_string(), "in_reply_to": "p0", "in_reply_to_author": "1000",
        "author": {"id": "990", "handle": "troll"}, "mentions": ["lumiere_tr"]});
    let d = app.events(&token, &[insult.to_string()]);
    assert_eq!(d[0]["outcome"], "hidden", "{}", d[0]);
    assert_eq!(d[0]["queue"], "moderation");
    let posts = app.wait_posts(&token, |p| p.iter().any(|x| x["action"] == "hide"));
    let hide: Vec<&Value> = posts.iter().filter(|x| x["action"] == "hide").collect();
    assert_eq!(hide.len(), 1);
    assert_eq!(hide[0]["in_reply_to"], "h1");
}

#[test]
fn the_demo_fills_the_inbox_and_the_bot_answers() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    // Killed however the test ends: a failed assertion must not leave the demo running.
    struct Demo(std::process::Child);
    impl Drop for Demo {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Demo(
        std::process::Command::new(common::BIN)
            .args(["demo", "--listen", "127.0.0.1:0", "--pace", "30", "--data"])
            .arg(dir.path())
            .current_dir(common::root())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = std::io::BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut accounts = Vec::new();
    let url = loop {
        let line = lines.next().expect("the demo stopped").unwrap();
        if let Some(url) = line.strip_prefix("listening on ") {
            break url.trim().to_owned();
        }
        if let Some((name, password)) = line.split_once("password: ") {
            let name = name.split_whitespace().next().unwrap().to_owned();
            accounts.push((name, password.trim().to_owned()));
        }
    };
    std::thread::spawn(move || for _ in lines {});
    assert_eq!(
        accounts.len(),
        5,
        "an admin, a manager and three agents, with their passwords"
    );
    // Sign in with the printed admin credentials, through the real login form.
    let store = dir.path().join("palabre.db").display().to_string();
    let app = App::attach(url, store);
    let (admin, password) = &accounts[0];
    let (status, session) = login(&app, admin, password);
    assert_eq!(status, 303, "the printed password works");
    let session = session.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, posts) = get_cookie(&app, &session, "/api/sandbox/posts");
        let posts: Value = serde_json::from_str(&posts).unwrap();
        let (_, list) = get_cookie(&app, &session, "/api/conversations");
        let list: Value = serde_json::from_str(&list).unwrap();
        let bot = posts["posts"]
            .as_array()
            .map_or(0, |p| p.iter().filter(|x| x["origin"] == "bot").count());
        let urgent = list
            .as_array()
            .map_or(0, |l| l.iter().filter(|r| r["priority"] == 2).count());
        if bot >= 3 && urgent >= 1 && list.as_array().map_or(0, Vec::len) >= 5 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the demo did not fill: {list} {posts}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let (status, html) = get_cookie(&app, &session, "/inbox");
    assert_eq!(status, 200);
    assert!(html.contains("camille_m"), "the inbox shows who wrote");
    // The FAQ answers a question about the cabin bag, and the conversation quotes the entry.
    let faq_post = loop {
        let (_, posts) = get_cookie(&app, &session, "/api/sandbox/posts");
        let posts: Value = serde_json::from_str(&posts).unwrap();
        let found = posts["posts"].as_array().and_then(|p| {
            // The demo gives its events ids of their own (`demo647345-d31`).
            p.iter()
                .find(|x| {
                    x["in_reply_to"]
                        .as_str()
                        .is_some_and(|r| r.ends_with("-d31"))
                })
                .cloned()
        });
        if let Some(post) = found {
            break post;
        }
        assert!(
            std::time::Instant::now() < deadline + std::time::Duration::from_secs(30),
            "no FAQ answer to d31: {posts}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(
        faq_post["text"]
            .as_str()
            .unwrap()
            .contains("55 × 35 × 25 cm"),
        "{faq_post}"
    );
    // The exchange a person answered and the customer confirmed ends with the survey; the
    // one that ended in sarcasm gets none.
    let posts = loop {
        let (_, posts) = get_cookie(&app, &session, "/api/sandbox/posts");
        let posts: Value = serde_json::from_str(&posts).unwrap();
        let to = |suffix: &str| {
            posts["posts"].as_array().and_then(|p| {
                p.iter()
                    .find(|x| {
                        x["in_reply_to"]
                            .as_str()
                            .is_some_and(|r| r.ends_with(suffix))
                    })
                    .cloned()
            })
        };
        if let Some(survey) = to("-d36") {
            assert_eq!(survey["origin"], "bot");
            assert!(
                survey["text"]
                    .as_str()
                    .unwrap()
                    .contains("https://lumiere.example/avis"),
                "{survey}"
            );
            assert!(to("-d39").is_none(), "no survey after sarcasm: {posts}");
            break posts;
        }
        assert!(
            std::time::Instant::now() < deadline + std::time::Duration::from_secs(30),
            "no survey after d36: {posts}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    drop(posts);
    let d31 = format!("x:{}", faq_post["in_reply_to"].as_str().unwrap());
    let (status, html) = get_cookie(&app, &session, &format!("/c/{}", path(&d31)));
    assert_eq!(status, 200);
    // (The demo's admin reads the French interface.)
    assert!(
        html.contains("Répond à l&#x27;entrée de FAQ <code>bagage-cabine</code>"),
        "the entry is named: {html}"
    );
    assert!(
        html.contains("<q>Quelle taille de bagage cabine est autorisée ?</q>"),
        "the entry's question is quoted"
    );
    // Why, in French words; the codes only behind the toggle.
    assert!(
        html.contains("Réponse automatique envoyée : la réponse d&#x27;une campagne"),
        "the decision in a sentence: {html}"
    );
    assert!(
        html.contains("Intention : question") || html.contains("Intention : demande d&#x27;aide"),
        "triage by name: {html}"
    );
    // The stream ends in a crisis: the alert goes up, and the cheerful post that falls due
    // just after is held, beside the calendar's other posts.
    let held = loop {
        let (_, posts) = get_cookie(&app, &session, "/api/posts");
        let posts: Value = serde_json::from_str(&posts).unwrap();
        let photos = posts
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"].as_str().unwrap().ends_with("-photos"))
            .cloned()
            .unwrap();
        if photos["status"] != "scheduled" {
            assert_eq!(posts.as_array().unwrap().len(), 4, "{posts}");
            break photos;
        }
        assert!(
            std::time::Instant::now() < deadline + std::time::Duration::from_secs(40),
            "the cheerful post never fell due: {posts}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(held["status"], "held", "{held}");
    assert_eq!(held["note"], "crisis_suspected");
    let (_, html) = get_cookie(&app, &session, "/publishing");
    assert!(html.contains("id=\"crisis-alert\""), "the alert is up");
    assert!(
        html.contains("id=\"held-posts\""),
        "the held post is listed"
    );
}

// ------------------------------------------------------------------ accounts (admins)

/// POST a form with a session cookie: (status, page, Cache-Control).
fn post_form(app: &App, s: &Session, path: &str, form: &str) -> (u16, String, String) {
    let mut r = app
        .agent()
        .post(&format!("{}{path}", app.url))
        .header("Cookie", &s.cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(form.as_bytes())
        .unwrap();
    let cache = r
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (
        r.status().as_u16(),
        r.body_mut().read_to_string().unwrap(),
        cache,
    )
}

fn user_names(app: &App, token: &str) -> Vec<String> {
    app.get_json(token, "/api/admin/users")
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap().to_owned())
        .collect()
}

fn the_admin_creates_accounts_that_work(backend: Backend) {
    let Some(app) = spawn_app(backend) else {
        return;
    };
    let admin = app.user("ada", "admin", "", PASSWORD);
    let (status, body) = app.post(
        &admin,
        "/api/admin/teams",
        &json!({"name": "care", "queues": ["inbox", "review"]}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, created) = app.post(
        &admin,
        "/api/admin/users",
        &json!({"name": "nadia", "display_name": "Nadia N.", "role": "agent", "teams": ["care"]}),
    );
    assert_eq!(status, 200, "{created}");
    assert_eq!(
        (created["name"].as_str(), created["kind"].as_str()),
        (Some("nadia"), Some("password"))
    );
    let password = created["value"].as_str().unwrap().to_owned();
    assert_eq!(password.len(), 20, "generated like the CLI's");
    // The new user signs in with the password shown, and is who the admin said.
    let (status, s) = login(&app, "nadia", &password);
    assert_eq!(status, 303);
    let s = s.expect("nadia signs in");
    let (status, me) = get_cookie(&app, &s, "/api/me");
    assert_eq!(status, 200);
    let me: Value = serde_json::from_str(&me).unwrap();
    assert_eq!(
        (me["display_name"].as_str(), me["role"].as_str()),
        (Some("Nadia N."), Some("agent"))
    );
    assert_eq!(me["teams"], json!(["care"]));
    // The name is taken now.
    let (status, body) = app.post(
        &admin,
        "/api/admin/users",
        &json!({"name": "nadia", "role": "admin"}),
    );
    assert_eq!(status, 409, "{body}");
    // Lists: users (never their hash) and teams with their queues.
    let users = app.get_json(&admin, "/api/admin/users");
    let nadia = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "nadia")
        .unwrap();
    assert_eq!(nadia["disabled"], false);
    assert!(nadia.get("password_hash").is_none());
    assert_eq!(
        app.get_json(&admin, "/api/admin/teams"),
        json!([{"name": "care", "queues": ["inbox", "review"], "channels": []}])
    );
    // A reset: the old password stops working, the new one works.
    let (status, reset) = app.post(&admin, "/api/admin/users/nadia/password", &json!({}));
    assert_eq!(status, 200, "{reset}");
    let new_password = reset["value"].as_str().unwrap().to_owned();
    assert_ne!(new_password, password);
    assert_eq!(login(&app, "nadia", &password).0, 401);
    assert_eq!(login(&app, "nadia", &new_password).0, 303);
    // Role and teams change.
    let (status, body) = app.post(
        &admin,
        "/api/admin/users/nadia/access",
        &json!({"role": "manager", "teams": []}),
    );
    assert_eq!(status, 200, "{body}");
    // An API token for her: it is hers.
    let (status, token) = app.post(
        &admin,
        "/api/admin/users/nadia/tokens",
        &json!({"label": "zapier"}),
    );
    assert_eq!(status, 200, "{token}");
    let token = token["value"].as_str().unwrap().to_owned();
    let me = app.get_json(&token, "/api/me");
    assert_eq!(
        (me["name"].as_str(), me["role"].as_str()),
        (Some("nadia"), Some("manager"))
    );
    // Disabled, she cannot sign in; enabled again, she can.
    let (status, body) = app.post(
        &admin,
        "/api/admin/users/nadia/disabled",
        &json!({"disabled": true}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(login(&app, "nadia", &new_password).0, 401);
    let (status, _) = app.post(
        &admin,
        "/api/admin/users/nadia/disabled",
        &json!({"disabled": false}),
    );
    assert_eq!(status, 200);
    assert_eq!(login(&app, "nadia", &new_password).0, 303);
    // Everything is in the audit log with the admin as actor; no secret is.
    let mut ws = palabre_store::Workspace::open(&app.store).unwrap();
    let log = ws.audit_of("nadia").unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("ada", "user_created"),
            ("ada", "password_reset"),
            ("ada", "user_access_set"),
            ("ada", "api_token_created"),
            ("ada", "user_disabled"),
            ("ada", "user_enabled"),
        ]
    );
    for e in &log {
        let detail = e.detail.clone().unwrap_or_default();
        assert!(!detail.contains(&new_password) && !detail.contains(&token));
    }
    assert_eq!(ws.audit_of("care").unwrap()[0].actor, "ada");
    let stored = ws.user_by_name("nadia").unwrap().unwrap();
    assert!(stored.password_hash.starts_with("$argon2id$"));
}

#[test]
fn the_admin_creates_accounts_that_work_on_sqlite() {
    the_admin_creates_accounts_that_work(Backend::Sqlite);
}

#[test]
fn the_admin_creates_accounts_that_work_on_postgres() {
    the_admin_creates_accounts_that_work(Backend::Postgres);
}

#[test]
fn only_admins_manage_accounts() {
    let (app, manager) = app_with_manager(Backend::Sqlite).unwrap();
    let agent = app.user("alix", "agent", "care", PASSWORD);
    let admin = app.user("ada", "admin", "", PASSWORD);
    for token in [&manager, &agent] {
        for get in ["/api/admin/users", "/api/admin/teams"] {
            assert_eq!(app.get(token, get).0, 403, "GET {get}");
        }
        for (post, body) in [
            (
                "/api/admin/users",
                json!({"name": "intruder", "role": "admin"}),
            ),
            ("/api/admin/users/alix/password", json!({})),
            (
                "/api/admin/users/alix/access",
                json!({"role": "admin", "teams": []}),
            ),
            ("/api/admin/users/manon/tokens", json!({})),
            ("/api/admin/users/alix/disabled", json!({"disabled": true})),
            (
                "/api/admin/teams",
                json!({"name": "x", "queues": ["inbox"]}),
            ),
        ] {
            let (status, body) = app.post(token, post, &body);
            assert_eq!(status, 403, "POST {post}: {body}");
        }
    }
    // Nothing changed: no intruder, no team, roles as they were.
    assert_eq!(user_names(&app, &admin), vec!["ada", "alix", "manon"]);
    assert_eq!(app.get_json(&admin, "/api/admin/teams"), json!([]));
    assert_eq!(app.get_json(&agent, "/api/me")["role"], "agent");
    // The pages: a manager sees no link to the accounts and is refused them.
    let (_, s) = login(&app, "manon", PASSWORD);
    let s = s.unwrap();
    let (status, html) = get_cookie(&app, &s, "/inbox");
    assert_eq!(status, 200);
    assert!(!html.contains("href=\"/admin\""));
    assert_eq!(get_cookie(&app, &s, "/admin").0, 403);
    let form = format!("csrf={}&name=intruder&role=admin", s.csrf);
    assert_eq!(post_form(&app, &s, "/admin/users", &form).0, 403);
    let form = format!("csrf={}&name=x&queues=inbox", s.csrf);
    assert_eq!(post_form(&app, &s, "/admin/teams", &form).0, 403);
    assert_eq!(user_names(&app, &admin), vec!["ada", "alix", "manon"]);
    // An admin sees the link.
    let (_, s) = login(&app, "ada", PASSWORD);
    let (_, html) = get_cookie(&app, &s.unwrap(), "/inbox");
    assert!(html.contains("href=\"/admin\""));
}

#[test]
fn account_forms_need_the_csrf_token_and_show_names_as_text() {
    let (app, _) = app_with_manager(Backend::Sqlite).unwrap();
    let admin = app.user("ada", "admin", "", PASSWORD);
    let (_, s) = login(&app, "ada", PASSWORD);
    let s = s.unwrap();
    let (status, html) = get_cookie(&app, &s, "/admin");
    assert_eq!(status, 200);
    assert!(html.contains("action=\"/admin/users\""));
    // Missing or forged token: refused, nothing created.
    let fields = "name=mallory&role=admin";
    let forged = "0".repeat(s.csrf.len());
    for form in [
        fields.to_owned(),
        format!("csrf=forged&{fields}"),
        format!("csrf={forged}&{fields}"),
    ] {
        let (status, html, _) = post_form(&app, &s, "/admin/users", &form);
        assert_eq!(status, 403, "{form}: {html}");
    }
    let (status, _, _) = post_form(&app, &s, "/admin/password", "name=manon");
    assert_eq!(status, 403);
    // The JSON API with the cookie needs the header too.
    assert_eq!(
        post_cookie(
            &app,
            &s,
            "/api/admin/users",
            None,
            &json!({"name": "mallory", "role": "admin"})
        ),
        403
    );
    assert!(!user_names(&app, &admin).contains(&"mallory".to_owned()));
    // A name and a display name full of HTML: created, and shown as text.
    let form = format!(
        "csrf={}&name=%3Ci%3Eeve%3C%2Fi%3E&display_name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&role=agent&teams=care",
        s.csrf
    );
    let (status, html, cache) = post_form(&app, &s, "/admin/users", &form);
    assert_eq!(status, 200, "{html}");
    assert_eq!(cache, "no-store", "a page with a password is not cached");
    assert!(html.contains("data-secret=\"password\""));
    assert!(
        html.contains("&lt;i&gt;eve&lt;&#x2f;i&gt;") || html.contains("&lt;i&gt;eve&lt;/i&gt;")
    );
    assert!(!html.contains("<i>eve"));
    assert!(!html.contains("<script>alert(1)"));
    let (_, html) = get_cookie(&app, &s, "/admin");
    assert!(!html.contains("<i>eve") && !html.contains("<script>alert(1)"));
    assert!(html.contains("&lt;script&gt;alert(1)"));
    assert!(!html.contains("data-secret"), "the password is shown once");
    assert!(user_names(&app, &admin).contains(&"<i>eve</i>".to_owned()));
    // The other forms, with their token.
    let form = format!("csrf={}&name=care&queues=inbox%2C+review", s.csrf);
    let (status, _, _) = post_form(&app, &s, "/admin/teams", &form);
    assert_eq!(status, 303);
    assert_eq!(
        app.get_json(&admin, "/api/admin/teams"),
        json!([{"name": "care", "queues": ["inbox", "review"], "channels": []}])
    );
    let form = format!("csrf={}&name=manon&role=agent&teams=care", s.csrf);
    assert_eq!(post_form(&app, &s, "/admin/access", &form).0, 303);
    assert_eq!(app.get_json(&admin, "/api/admin/users")[2]["role"], "agent");
    let form = format!("csrf={}&name=manon&label=ci", s.csrf);
    let (status, html, cache) = post_form(&app, &s, "/admin/token", &form);
    assert_eq!((status, cache.as_str()), (200, "no-store"));
    assert!(html.contains("data-secret=\"token\""));
    let form = format!("csrf={}&name=manon", s.csrf);
    let (status, html, _) = post_form(&app, &s, "/admin/password", &form);
    assert_eq!(status, 200);
    let marker = "class=\"secret-value\">";
    let at = html.find(marker).unwrap() + marker.len();
    let password = &html[at..at + html[at..].find('<').unwrap()];
    assert_eq!(password.len(), 20, "{password}");
    assert_eq!(login(&app, "manon", password).0, 303);
    let form = format!("csrf={}&name=manon&disabled=true", s.csrf);
    assert_eq!(post_form(&app, &s, "/admin/disabled", &form).0, 303);
    assert_eq!(
        app.get_json(&admin, "/api/admin/users")[2]["disabled"],
        true
    );
    let (_, html) = get_cookie(&app, &s, "/admin");
    assert!(
        html.contains("name=\"disabled\" value=\"false\""),
        "offers to enable"
    );
    assert_eq!(
        post_form(&app, &s, "/admin/disabled", "name=manon&disabled=false").0,
        403
    );
    assert_eq!(
        app.get_json(&admin, "/api/admin/users")[2]["disabled"],
        true
    );
    // A form missing a field says so (once its token is checked).
    let form = format!("csrf={}&role=agent", s.csrf);
    let (status, html, _) = post_form(&app, &s, "/admin/users", &form);
    assert_eq!(status, 422);
    assert!(
        html.contains("a user name has 1 to 64 characters"),
        "{html}"
    );
    let form = format!("csrf={}&name=zoe&role=boss", s.csrf);
    let (status, html, _) = post_form(&app, &s, "/admin/users", &form);
    assert_eq!(status, 422);
    assert!(html.contains("boss"), "{html}");
    assert_eq!(post_form(&app, &s, "/admin/users", "role=agent").0, 403);
}

#[test]
fn malformed_account_requests_get_a_4xx_that_says_why() {
    let (app, _) = app_with_manager(Backend::Sqlite).unwrap();
    let admin = app.user("ada", "admin", "", PASSWORD);
    let send_raw = |raw: &str| {
        let mut r = app
            .agent()
            .post(&format!("{}/api/admin/users", app.url))
            .header("Authorization", &format!("Bearer {admin}"))
            .header("Content-Type", "application/json")
            .send(raw.as_bytes())
            .unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    let (status, body) = send_raw("{\"name\": \"tron");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("EOF") || body.contains("line 1"), "{body}");
    let (status, body) = send_raw("{\"nme\": \"typo\", \"role\": \"agent\"}");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("nme"), "names the unknown field: {body}");
    let (status, body) = send_raw("{\"name\": \"zoe\"}");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("role"), "names the missing field: {body}");
    let cases = [
        (
            "/api/admin/users",
            json!({"name": "zoe", "role": "boss"}),
            422,
            "boss",
        ),
        (
            "/api/admin/users",
            json!({"name": "zo e", "role": "agent"}),
            422,
            "spaces",
        ),
        (
            "/api/admin/users",
            json!({"name": "zoe", "role": "agent", "teams": ["a,b"]}),
            422,
            "commas",
        ),
        (
            "/api/admin/teams",
            json!({"name": "care", "queues": []}),
            422,
            "at least one queue or one channel",
        ),
        (
            "/api/admin/teams",
            json!({"name": "care", "channels": ["x:9"]}),
            422,
            "not one of the brand's channels: x:1000, mastodon:109, messenger:5550001",
        ),
        (
            "/api/admin/teams",
            json!({"name": "care", "channels": ["myspace:1"]}),
            422,
            "unknown platform",
        ),
        (
            "/api/admin/teams",
            json!({"name": "care", "queues": "inbox"}),
            400,
            "sequence",
        ),
        ("/api/admin/users/ghost/password", json!({}), 404, "ghost"),
        ("/api/admin/users/ghost/tokens", json!({}), 404, "ghost"),
        (
            "/api/admin/users/ghost/access",
            json!({"role": "agent"}),
            404,
            "ghost",
        ),
        (
            "/api/admin/users/ada/access",
            json!({"role": "manager"}),
            409,
            "yourself",
        ),
        (
            "/api/admin/users/ada/disabled",
            json!({"disabled": true}),
            409,
            "yourself",
        ),
        (
            "/api/admin/users/manon/disabled",
            json!({"disabled": "yes"}),
            400,
            "disabled",
        ),
    ];
    for (path, body, expected, says) in cases {
        let (status, answer) = app.post(&admin, path, &body);
        assert_eq!(status, expected, "{path} {body}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(says),
            "{path} {body}: {answer}"
        );
    }
    assert_eq!(user_names(&app, &admin), vec!["ada", "manon"]);
    assert_eq!(app.get_json(&admin, "/api/me")["role"], "admin");
    let doc = app.get_json(&admin, "/api/openapi.json");
    for p in [
        "/api/admin/users",
        "/api/admin/users/{name}/password",
        "/api/admin/users/{name}/access",
        "/api/admin/users/{name}/tokens",
        "/api/admin/users/{name}/disabled",
        "/api/admin/teams",
    ] {
        assert!(doc["paths"].get(p).is_some(), "OpenAPI lacks {p}");
    }
    assert!(doc["components"]["schemas"].get("Secret").is_some());
}

/// `palabre bench-inbox --search` fills a store, indexes it for search and measures lists,
/// conversation views and searches against the real server (every request must answer 200).
#[test]
fn bench_inbox_measures_lists_views_and_searches() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("bench.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_palabre"))
        .args([
            "bench-inbox",
            "--conversations",
            "300",
            "--messages-per",
            "2",
            "--clients",
            "2",
            "--requests",
            "40",
            "--search",
            "--json",
            "--store",
            store.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let report = if report.is_array() {
        report[0].clone()
    } else {
        report
    };
    assert_eq!(report["messages"], 600, "{report}");
    assert_eq!(report["indexed"][0], 600, "every message indexed: {report}");
    let kinds: Vec<(&str, u64)> = report["latencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["request"].as_str().unwrap(), l["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(kinds.len(), 3, "{report}");
    assert!(
        kinds[2].0.contains("search") && kinds[2].1 == 8,
        "{kinds:?}"
    );
}

/// API tokens are listed (never shown again) and revoked, in the API, the page and the CLI;
/// a revoked token opens nothing at once. The CLI also disables and enables accounts.
#[test]
fn api_tokens_are_listed_and_revoked() {
    let Some(app) = spawn_app(Backend::Sqlite) else {
        return;
    };
    let admin = app.user("ada", "admin", "", PASSWORD);
    let bot = app.user("zapier", "agent", "", PASSWORD);
    let (status, created) = app.post(
        &admin,
        "/api/admin/users/zapier/tokens",
        &json!({"label": "crm"}),
    );
    assert_eq!(status, 200, "{created}");
    let crm = created["value"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&crm, "/api/me").0, 200);
    let tokens = app.get_json(&admin, "/api/admin/tokens");
    let listed: Vec<(&str, &str)> = tokens
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["user"].as_str().unwrap(), t["label"].as_str().unwrap()))
        .collect();
    assert_eq!(listed.len(), 3, "{tokens}");
    assert!(listed.contains(&("zapier", "crm")), "{tokens}");
    assert!(
        !tokens.to_string().contains(&crm),
        "a token is never shown again"
    );
    let id = tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["label"] == "crm")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 12);
    assert_eq!(app.get(&bot, "/api/admin/tokens").0, 403);
    let revoke = |as_token: &str, id: &str| {
        app.post(
            as_token,
            &format!("/api/admin/users/zapier/tokens/{id}/revoke"),
            &json!({}),
        )
    };
    assert_eq!(revoke(&bot, &id).0, 403, "only admins revoke");

    // Revoked: the next request with it is refused, without waiting for the sign-in cache.
    let (status, body) = revoke(&admin, &id);
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.get(&crm, "/api/me").0, 401);
    assert_eq!(
        app.get(&bot, "/api/me").0,
        200,
        "the user's other token still works"
    );
    let (status, body) = revoke(&admin, &id);
    assert_eq!(status, 404, "{body}");
    assert_eq!(revoke(&admin, "not-an-id").0, 404);

    // The page lists them with a revoke button (CSRF required).
    let (_, s) = login(&app, "ada", PASSWORD);
    let s = s.unwrap();
    let (_, html) = get_cookie(&app, &s, "/admin");
    // `palabre admin tokens`: the id of zapier's token.
    let cli_token_id = || {
        app.admin(&["tokens"], None)
            .lines()
            .find(|l| l.contains("zapier"))
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    };
    let other = cli_token_id();
    assert!(html.contains(&format!("data-token=\"{other}\"")), "{html}");
    let form = format!("name=zapier&id={other}");
    assert_eq!(post_form(&app, &s, "/admin/token/revoke", &form).0, 403);
    let form = format!("csrf={}&name=zapier&id={other}", s.csrf);
    assert_eq!(post_form(&app, &s, "/admin/token/revoke", &form).0, 303);
    assert_eq!(app.get(&bot, "/api/me").0, 401);

    // The CLI: revoke, disable, enable.
    let fresh = app.admin(&["token", "zapier"], None).trim().to_owned();
    let id = cli_token_id();
    app.admin(&["disable", "zapier"], None);
    std::thread::sleep(std::time::Duration::from_secs(6));
    assert_eq!(
        app.get(&fresh, "/api/me").0,
        401,
        "a disabled user's token opens nothing"
    );
    app.admin(&["enable", "zapier"], None);
    assert_eq!(app.get(&fresh, "/api/me").0, 200);
    app.admin(&["revoke-token", "zapier", &id], None);
    std::thread::sleep(std::time::Duration::from_secs(6));
    // From another process the server learns it within the sign-in cache's 5 seconds.
    assert_eq!(app.get(&fresh, "/api/me").0, 401);
}

/// Opens `/api/stream` for this token; its `data:` lines arrive on the receiver.
fn open_stream(app: &App, token: &str) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut r = app
        .agent()
        .get(&format!("{}/api/stream", app.url))
        .header("Authorization", &format!("Bearer {token}"))
        .config()
        .timeout_global(Some(std::time::Duration::from_secs(60)))
        .build()
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    std::thread::spawn(move || {
        use std::io::BufRead;
        let reader = std::io::BufReader::new(r.body_mut().as_reader());
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if let Some(data) = line.strip_prefix("data:")
                && tx.send(data.trim().to_owned()).is_err()
            {
                return;
            }
        }
    });
    rx
}

#[test]
fn the_live_stream_and_the_sandbox_tell_agents_only_what_their_teams_cover() {
    let (app, token) = app_with_manager(Backend::Sqlite).unwrap();
    app.admin(&["team", "moderation", "--queues", "moderation"], None);
    let moderator = app.user("lucas", "agent", "moderation", PASSWORD);
    let agent_stream = open_stream(&app, &moderator);
    let manager_stream = open_stream(&app, &token);
    // A private message to the brand: its conversation id names its author.
    let dm = json!({"platform": "messenger", "id": "dm-1", "kind": "direct", "recipient": "5550001",
        "text": "Bonjour, mon abonnement a été débité deux fois", "lang": "fr",
        "created_at": jiff::Timestamp::now().to_string(),
        "author": {"id": "777001", "handle": "secret_person"}});
    let d = app.events(&token, &[dm.to_string()]);
    let private = conversation_of(&d[0]);
    assert!(private.contains("777001"), "{private}");
    let one = format!("/api/conversations/{}", path(&private));
    // The manager looks at it (presence), and hears of it.
    let (status, _) = app.post(&token, &format!("{one}/presence"), &json!({}));
    assert_eq!(status, 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut heard = Vec::new();
    while !heard.iter().any(|l: &String| l.contains("presence")) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        heard.push(
            manager_stream
                .recv_timeout(left)
                .expect("the manager hears of it"),
        );
    }
    assert!(heard.iter().any(|l| l.contains(&private)), "{heard:?}");
    // The agent, whose team does not cover it, hears nothing of it.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let agent_heard: Vec<String> = agent_stream.try_iter().collect();
    assert!(
        agent_heard.iter().all(|l| !l.contains("777001")),
        "an agent heard of a conversation their teams do not cover: {agent_heard:?}"
    );
    assert_eq!(app.get(&moderator, &one).0, 404);
    // Every team's sent texts are for managers.
    assert_eq!(app.get(&moderator, "/api/sandbox/posts").0, 403);
    assert_eq!(app.get(&token, "/api/sandbox/posts").0, 200);
}

/// A TCP connection to the server from this loopback address (127.0.0.0/8 is all this
/// machine's), so that a test can play a host other than the one measuring.
fn connect_from(app: &App, source: &str) -> std::io::Result<std::net::TcpStream> {
    let server: std::net::SocketAddr = app.url.trim_start_matches("http://").parse().unwrap();
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    let from: std::net::SocketAddr = format!("{source}:0").parse().unwrap();
    socket.bind(&from.into())?;
    socket.connect_timeout(&server.into(), std::time::Duration::from_secs(5))?;
    Ok(socket.into())
}

/// Reads until the server closes the connection or `within` passes; what was read, and
/// whether it closed.
fn read_until_closed(
    stream: &mut std::net::TcpStream,
    within: std::time::Duration,
) -> (String, bool) {
    use std::io::Read;
    stream.set_read_timeout(Some(within)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (String::from_utf8_lossy(&out).into_owned(), true);
            }
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
        }
    }
}

#[test]
fn idle_and_slow_clients_cannot_stall_the_server() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("palabre.toml");
    std::fs::write(
        &config,
        "[[channels]]\nplatform = \"x\"\nid = \"1000\"\nhandle = \"lumiere_tr\"\n\n\
         [server]\nheader_timeout = \"5s\"\nbody_timeout = \"2s\"\nmax_connections_per_ip = 1500\nstreams_per_user = 2\n",
    )
    .unwrap();
    let store = dir.path().join("palabre.db").display().to_string();
    let app = common::spawn_serve(&config, &store, false, &[]);
    let token = app.user("manon", "manager", "", PASSWORD);
    let (_, session) = login(&app, "manon", PASSWORD);
    let session = session.unwrap();

    // 3,000 idle connections from another host: 1,500 held, the rest closed at once.
    let mut idle = Vec::new();
    let connecting = std::time::Instant::now();
    for _ in 0..3000 {
        if let Ok(s) = connect_from(&app, "127.0.0.2") {
            idle.push(s);
        }
    }
    assert!(idle.len() >= 2900, "connected {}", idle.len());
    let connected_in = connecting.elapsed();
    assert!(
        connected_in < std::time::Duration::from_secs(4),
        "the idle connections must all be open before the header timeout: {connected_in:?}"
    );
    // Meanwhile /healthz and a signed-in page answer at once.
    let mut slowest = std::time::Duration::ZERO;
    for _ in 0..20 {
        let started = std::time::Instant::now();
        assert_eq!(app.get("", "/healthz").0, 200);
        assert_eq!(get_cookie(&app, &session, "/inbox").0, 200);
        slowest = slowest.max(started.elapsed() / 2);
    }
    assert!(
        slowest < std::time::Duration::from_millis(100),
        "a request took {slowest:?} beside 3,000 idle connections"
    );
    // Past the per-address limit, connections were closed; the others close once idle for the
    // header timeout.
    let (_, closed) =
        read_until_closed(idle.last_mut().unwrap(), std::time::Duration::from_secs(1));
    assert!(
        closed,
        "past max_connections_per_ip the connection is closed"
    );
    let (_, closed) = read_until_closed(&mut idle[0], std::time::Duration::from_secs(6));
    assert!(closed, "an idle connection is closed after header_timeout");
    drop(idle);

    // A header line every second: closed after the header timeout, whatever the client does.
    let mut slow = connect_from(&app, "127.0.0.3").unwrap();
    let started = std::time::Instant::now();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut closed_after = None;
    for i in 0..9 {
        std::thread::sleep(std::time::Duration::from_secs(1));
        if slow
            .write_all(format!("X-Slow-{i}: 1\r\n").as_bytes())
            .is_err()
        {
            closed_after = Some(started.elapsed());
            break;
        }
        let (_, closed) = read_until_closed(&mut slow, std::time::Duration::from_millis(10));
        if closed {
            closed_after = Some(started.elapsed());
            break;
        }
    }
    let closed_after = closed_after.expect("a slow header was never cut off");
    assert!(
        closed_after < std::time::Duration::from_secs(7),
        "{closed_after:?}"
    );

    // A signed request whose body comes a byte a second: 408, as JSON, after the body timeout.
    let mut slow = connect_from(&app, "127.0.0.3").unwrap();
    write!(
        slow,
        "POST /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/x-ndjson\r\nContent-Length: 100\r\n\r\n{{"
    )
    .unwrap();
    let started = std::time::Instant::now();
    let mut answer = String::new();
    for _ in 0..6 {
        std::thread::sleep(std::time::Duration::from_secs(1));
        let _ = slow.write_all(b" ");
        let (got, closed) = read_until_closed(&mut slow, std::time::Duration::from_millis(50));
        answer.push_str(&got);
        if closed || answer.contains("request_timeout") {
            break;
        }
    }
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""error":"request_timeout""#), "{answer}");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));

    // Too large a body: 413, as JSON, from /api/events as from anywhere, as soon as the
    // declared length says so (the client need not send 9 MiB; a client that does may see its
    // connection reset, as with any server that refuses to read it).
    let mut big = connect_from(&app, "127.0.0.4").unwrap();
    big.write_all(
        format!(
            "POST /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/x-ndjson\r\nContent-Length: {}\r\n\r\n",
            9 * 1024 * 1024
        )
        .as_bytes(),
    )
    .unwrap();
    let (answer, _) = read_until_closed(&mut big, std::time::Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains(r#""error":"payload_too_large""#),
        "{answer}"
    );

    // Live streams per user: two, then 429 until one closes.
    let first = app
        .agent()
        .get(&format!("{}/api/stream", app.url))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let second = app
        .agent()
        .get(&format!("{}/api/stream", app.url))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    let (status, body) = app.get(&token, "/api/stream");
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("too_many_requests"), "{body}");
    drop(first);
    common::wait_until("a closed stream frees its place", || {
        let r = app
            .agent()
            .get(&format!("{}/api/stream", app.url))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap();
        r.status().as_u16() == 200
    });
    drop(second);
}

#[test]
fn the_api_refuses_what_its_schema_refuses_and_moderates_through_json() {
    let (app, token) = app_with_manager(Backend::Sqlite).unwrap();
    let admin = app.user("ada", "admin", "", PASSWORD);
    // Out of the documented range, not a JSON object, no events: 4xx with a reason.
    for path in [
        "/api/conversations?limit=0",
        "/api/drafts?limit=1001",
        "/api/outbox?limit=0",
    ] {
        let (status, body) = app.get(&token, path);
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body.contains("from 1 to 1000"), "{body}");
    }
    // A NUL character in free text (found by schemathesis: SQLite's full-text parser stopped
    // at it, PostgreSQL refuses it): refused with its reason, not a server error.
    for (path, field) in [
        ("/api/conversations?q=%C3%A9j%00&platform=messenger", "q"),
        ("/api/conversations?queue=a%00", "queue"),
        ("/api/conversations?assignee=%00b", "assignee"),
        ("/api/conversations?team=t%00", "team"),
    ] {
        let (status, body) = app.get(&token, path);
        assert_eq!(status, 400, "{path}: {body}");
        assert!(
            body.contains(&format!("{field} must not contain a NUL character")),
            "{body}"
        );
    }
    let (status, body) = app.post(&admin, "/api/admin/users/manon/tokens", &json!([null]));
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["message"], "the body must be a JSON object");
    let mut r = app
        .agent()
        .post(&format!("{}/api/events", app.url))
        .header("Authorization", &format!("Bearer {token}"))
        .send(&b""[..])
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.body_mut().read_to_string().unwrap().contains("no event"));

    // Moderation through the JSON API: the queue, then a hide through the outbox.
    let insult = json!({"platform": "x", "id": "mod-1", "kind": "reply",
        "text": "@lumiere_tr bande de connards incompétents", "in_reply_to": "p1",
        "in_reply_to_author": "1000", "mentions": ["lumiere_tr"],
        "created_at": jiff::Timestamp::now().to_string(),
        "author": {"id": "666", "handle": "troll"}});
    let d = app.events(&token, &[insult.to_string()]);
    assert_eq!(d[0]["outcome"], "hidden");
    let queue = app.get_json(&token, "/api/moderation");
    assert!(
        queue
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["external_id"] == "mod-1"),
        "{queue}"
    );
    let (status, body) = app.post(
        &token,
        "/api/moderation/x/mod-1/unhide",
        &json!({"idempotency_key": "u-1"}),
    );
    assert_eq!(status, 200, "{body}");
    app.wait_posts(&token, |p| {
        p.iter()
            .any(|x| x["action"] == "unhide" && x["in_reply_to"] == "mod-1")
    });
    let (status, _) = app.post(&token, "/api/moderation/x/mod-1/burn", &json!({}));
    assert_eq!(status, 404, "no such action");
    let agent = app.user("lucas", "agent", "", PASSWORD);
    assert_eq!(app.get(&agent, "/api/moderation").0, 403);
    let (status, _) = app.post(&agent, "/api/moderation/x/mod-1/hide", &json!({}));
    assert_eq!(status, 403);
}
