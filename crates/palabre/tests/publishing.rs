//! Scheduled publishing through `palabre serve`: a post written through the API, approved by a
//! manager (never by its author, never by an agent), published by the outbox at its time with
//! the platform's id kept; the crisis brake holds a post that falls due, and only a person
//! releases it; each bad input gets its error. And `palabre publish` on the same store.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{App, Backend, spawn_app, wait_until};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

fn in_secs(s: i64) -> String {
    jiff::Timestamp::from_millisecond(jiff::Timestamp::now().as_millisecond() + s * 1000)
        .unwrap()
        .to_string()
}

fn post_status(app: &App, token: &str, id: &str) -> String {
    app.get_json(token, &format!("/api/posts/{id}"))["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn sandbox_texts(app: &App, token: &str) -> Vec<String> {
    app.get_json(token, "/api/sandbox/posts")["posts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["action"] == "post")
        .map(|p| p["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn publish(app: &App, args: &[&str]) -> std::process::Output {
    std::process::Command::new(common::BIN)
        .arg("publish")
        .args(["--store", &app.store, "--lang", "en"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_post_is_approved_then_published_at_its_time_and_the_brake_holds_the_next() {
    let app = spawn_app(Backend::Sqlite).unwrap();
    let manager = app.user("manon", "manager", "", PASSWORD);
    let other = app.user("bob", "manager", "", PASSWORD);
    let agent = app.user("ali", "agent", "", PASSWORD);

    // An agent writes a post and submits it; the channel named by its handle.
    let (status, post) = app.post(
        &agent,
        "/api/posts",
        &json!({"channel": "x:@lumiere_tr", "text": "Nouveaux horaires d'hiver en ligne ! https://lumiere.example/hiver",
            "at": in_secs(3), "submit": true}),
    );
    assert_eq!(status, 201, "{post}");
    assert_eq!(post["status"], "submitted");
    assert_eq!(post["channel"], "x:1000");
    assert_eq!(post["tz"], "Europe/Paris");
    let id = post["id"].as_str().unwrap().to_owned();
    // The agent may not approve; a manager does.
    let (status, _) = app.post(&agent, &format!("/api/posts/{id}/approve"), &json!({}));
    assert_eq!(status, 403);
    let (status, approved) = app.post(&manager, &format!("/api/posts/{id}/approve"), &json!({}));
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "scheduled");
    assert_eq!(approved["approvals"], json!(["manon"]));
    // At its time the outbox publishes it, once, and keeps the platform's id and link.
    wait_until("the post is published", || {
        post_status(&app, &manager, &id) == "published"
    });
    let published = app.get_json(&manager, &format!("/api/posts/{id}"));
    assert!(
        published["remote_id"]
            .as_str()
            .unwrap()
            .starts_with("sandbox-")
    );
    assert_eq!(
        published["link"],
        format!(
            "https://x.com/lumiere_tr/status/{}",
            published["remote_id"].as_str().unwrap()
        )
    );
    assert_eq!(
        sandbox_texts(&app, &manager),
        ["Nouveaux horaires d'hiver en ligne ! https://lumiere.example/hiver"]
    );

    // Queue slots: the demo's four a week; each post takes the next free one.
    let slot = |text: &str| -> String {
        let (status, p) = app.post(
            &agent,
            "/api/posts",
            &json!({"channel": "x:1000", "text": text, "at": "slot"}),
        );
        assert_eq!(status, 201, "{p}");
        p["local_time"].as_str().unwrap().to_owned()
    };
    let (first, second) = (slot("Premier créneau"), slot("Deuxième créneau"));
    assert!(first < second, "{first} then {second}");
    for local in [&first, &second] {
        let time = &local[11..];
        assert!(
            ["09:00", "18:00", "12:30", "10:00"].contains(&time),
            "{local}"
        );
    }

    // Bad input, each with its answer.
    let bad = |body: Value| app.post(&agent, "/api/posts", &body);
    let (status, e) = bad(json!({"channel": "x:1000", "text": "Hier", "at": "2020-01-01 10:00"}));
    assert_eq!(
        (status, e["message"].as_str().unwrap()),
        (
            422,
            "2020-01-01 10:00 is in the past: a post is scheduled for later"
        )
    );
    let (status, e) = bad(json!({"channel": "x:1000", "text": "Nuit", "at": "2027-03-28 02:30"}));
    assert_eq!(status, 422);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("does not exist in Europe/Paris"),
        "{e}"
    );
    let (status, e) = bad(json!({"channel": "x:1000", "text": "é".repeat(281)}));
    assert_eq!(status, 422);
    assert!(
        e["message"].as_str().unwrap().contains("takes at most 280"),
        "{e}"
    );
    // The Facebook Page takes long posts, not endless ones.
    let (status, e) = bad(json!({"channel": "messenger:5550001", "text": "é".repeat(63_207)}));
    assert_eq!(status, 422, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("takes at most 63206"),
        "{e}"
    );
    let (status, e) = bad(json!({"channel": "x:9", "text": "Bonjour"}));
    assert_eq!(status, 422, "{e}");
    let twice = json!({"channel": "x:1000", "text": "Joyeux Noël !", "at": "2030-12-25 09:00"});
    assert_eq!(bad(twice.clone()).0, 201);
    let (status, e) = bad(twice);
    assert_eq!(status, 409, "{e}");
    // The same refusal from the French page's form is in French.
    let mut r = app
        .agent()
        .post(&format!("{}/publishing?lang=fr", app.url))
        .header("Authorization", &format!("Bearer {agent}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send("channel=x%3A1000&text=Hier&lang=fr&at=2020-01-01T10%3A00".as_bytes())
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let page = r.body_mut().read_to_string().unwrap();
    assert!(
        page.contains("2020-01-01 10:00 est passé : une publication se programme dans le futur"),
        "{page}"
    );
    // A manager's own post waits for another manager.
    let (_, own) = app.post(
        &manager,
        "/api/posts",
        &json!({"channel": "x:1000", "text": "Bonne année !", "at": "2031-01-01 00:05", "submit": true}),
    );
    let own_id = own["id"].as_str().unwrap();
    let (status, e) = app.post(
        &manager,
        &format!("/api/posts/{own_id}/approve"),
        &json!({}),
    );
    assert_eq!(status, 403, "{e}");
    assert_eq!(
        app.post(&other, &format!("/api/posts/{own_id}/approve"), &json!({}))
            .0,
        200
    );
    // A new text sends it back for approval; a new time does not.
    let (status, moved) = app.patch(
        &manager,
        &format!("/api/posts/{own_id}"),
        &json!({"at": "2031-01-01 00:10"}),
    );
    assert_eq!((status, moved["status"].as_str()), (200, Some("scheduled")));
    let (_, edited) = app.patch(
        &manager,
        &format!("/api/posts/{own_id}"),
        &json!({"text": "Belle année 2031 !"}),
    );
    assert_eq!(edited["status"], "submitted");
    assert_eq!(edited["version"], 2);
    // Rejected only with a reason.
    let (status, _) = app.post(&other, &format!("/api/posts/{own_id}/reject"), &json!({}));
    assert_eq!(status, 422);
    let (_, rejected) = app.post(
        &other,
        &format!("/api/posts/{own_id}/reject"),
        &json!({"reason": "trop tôt"}),
    );
    assert_eq!(
        (rejected["status"].as_str(), rejected["note"].as_str()),
        (Some("rejected"), Some("trop tôt"))
    );

    // The brake: a post falling due is held, listed, and released by a person only.
    let (status, _) = app.post(
        &manager,
        "/api/brake",
        &json!({"engaged": true, "reason": "accident"}),
    );
    assert_eq!(status, 200);
    let (_, cheer) = app.post(
        &agent,
        "/api/posts",
        &json!({"channel": "mastodon:109", "text": "Partagez vos photos de voyage !", "at": in_secs(2), "submit": true, "lang": "fr"}),
    );
    let cheer_id = cheer["id"].as_str().unwrap().to_owned();
    app.post(
        &manager,
        &format!("/api/posts/{cheer_id}/approve"),
        &json!({}),
    );
    wait_until("the post is held", || {
        post_status(&app, &manager, &cheer_id) == "held"
    });
    let held = app.get_json(&manager, "/api/posts?status=held");
    assert_eq!(held.as_array().unwrap().len(), 1);
    assert_eq!(held[0]["note"], "crisis_brake");
    let (status, e) = app.post(
        &manager,
        &format!("/api/posts/{cheer_id}/release"),
        &json!({}),
    );
    assert_eq!(status, 409, "{e}");
    app.post(&manager, "/api/brake", &json!({"engaged": false}));
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(
        post_status(&app, &manager, &cheer_id),
        "held",
        "never released on its own"
    );
    assert!(!sandbox_texts(&app, &manager).contains(&"Partagez vos photos de voyage !".to_owned()));
    // The command line sees it, and releases it.
    let out = publish(&app, &["list", "--status", "held"]);
    assert!(out.status.success());
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains(&cheer_id) && listed.contains("(crisis_brake)"),
        "{listed}"
    );
    let out = publish(&app, &["--actor", "manon", "release", "--all"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_until("the released post is published", || {
        post_status(&app, &manager, &cheer_id) == "published"
    });
    // The list, one channel at a time.
    let (status, html) = app.get(
        &manager,
        "/publishing?view=list&channel=mastodon:109&lang=en",
    );
    assert_eq!(status, 200);
    assert!(html.contains("Partagez vos photos de voyage !"), "{html}");
    assert!(
        !html.contains("Nouveaux horaires"),
        "an X post is not listed under Mastodon"
    );
    let (_, html) = app.get(&manager, "/publishing?view=list&lang=en");
    assert!(html.contains("Nouveaux horaires") && html.contains("Partagez vos photos"));
}

#[test]
fn the_command_line_adds_a_schedule_file_and_refuses_what_is_wrong() {
    let app = spawn_app(Backend::Sqlite).unwrap();
    let manager = app.user("manon", "manager", "", PASSWORD);
    let dir = tempfile::tempdir().unwrap();
    let config = common::root().join("examples/demo/palabre.toml");
    let config = config.to_str().unwrap();
    let file = dir.path().join("hiver.toml");
    std::fs::write(
        &file,
        "[[posts]]\nid = \"hiver-1\"\nchannel = \"x:1000\"\nat = \"2030-12-01 08:00\"\ntext = \"L'hiver arrive.\"\n\
         [[posts]]\nid = \"hiver-2\"\nchannel = \"mastodon:109\"\nat = \"2030-12-01 08:00\"\nlang = \"en\"\ntext = \"Winter is here.\"\n\
         images = [{ file = \"photos/viaduc.jpg\", alt = \"The viaduct under snow\" }]\n",
    )
    .unwrap();
    // Its image is read beside the file.
    std::fs::create_dir(dir.path().join("photos")).unwrap();
    std::fs::copy(
        common::root().join("tests/images/square.jpg"),
        dir.path().join("photos/viaduc.jpg"),
    )
    .unwrap();
    let out = publish(
        &app,
        &[
            "--config",
            config,
            "--actor",
            "camille",
            "add",
            "--submit",
            file.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let posts = app.get_json(&manager, "/api/posts");
    let ids: Vec<&str> = posts
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["hiver-1", "hiver-2"]);
    assert_eq!(posts[0]["local_time"], "2030-12-01 08:00");
    assert_eq!(posts[0]["author"], "camille");
    assert_eq!(
        (
            posts[1]["status"].as_str(),
            posts[1]["images"][0]["alt"].as_str()
        ),
        (Some("submitted"), Some("The viaduct under snow"))
    );
    // Approved by camille herself: refused (exit 2); by manon: scheduled.
    let out = publish(
        &app,
        &[
            "--config", config, "--actor", "camille", "approve", "hiver-1",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot approve it"));
    let out = publish(
        &app,
        &["--config", config, "--actor", "manon", "approve", "hiver-1"],
    );
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("scheduled"));
    // The same file again: nothing added (all or none).
    let out = publish(&app, &["--config", config, "add", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a post `hiver-1` already exists"));
    // A time in the past, a typo: refused with the post named.
    std::fs::write(&file, "[[posts]]\nid = \"vieux\"\nchannel = \"x:1000\"\nat = \"2020-01-01 08:00\"\ntext = \"x\"\n").unwrap();
    let out = publish(&app, &["--config", config, "add", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("posts[0] (`vieux`): 2020-01-01 08:00 is in the past")
    );
    assert_eq!(
        app.get_json(&manager, "/api/posts")
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let out = publish(&app, &["cancel", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no post `nope`"));
    // In French when asked.
    let out = std::process::Command::new(common::BIN)
        .args([
            "publish", "--store", &app.store, "--lang", "fr", "--actor", "camille", "approve",
            "hiver-2",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("l'auteur d'une publication ne peut pas la valider"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_best_time_to_post_reads_the_history_and_says_when_there_is_too_little() {
    let app = spawn_app(Backend::Sqlite).unwrap();
    let manager = app.user("manon", "manager", "", PASSWORD);
    let empty = app.get_json(&manager, "/api/best-times?channel=x:1000");
    assert_eq!(empty["enough"], false);
    assert_eq!(empty["total"], 0);
    assert_eq!(empty["suggestions"], json!([]));
    // Three weeks of mentions: five every evening at 20:00 (Paris), twenty on Thursdays at 12:00.
    let tz = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
    let today = jiff::Timestamp::now().to_zoned(tz.clone()).date();
    let mut lines = Vec::new();
    for back in 1..=21 {
        let day = today - jiff::Span::new().days(back);
        let thursday = day.weekday() == jiff::civil::Weekday::Thursday;
        let (hour, n) = if thursday { (12, 20) } else { (20, 5) };
        let at = day
            .at(hour, 10, 0, 0)
            .to_zoned(tz.clone())
            .unwrap()
            .timestamp();
        for i in 0..n {
            lines.push(
                json!({"platform": "x", "id": format!("bt{back}-{i}"), "kind": "post",
                    "text": format!("@lumiere_tr question {back} {i} sur les horaires"), "lang": "fr",
                    "created_at": at.to_string(), "mentions": ["lumiere_tr"],
                    "author": {"id": format!("{}", 800 + i), "handle": format!("p{i}")}})
                .to_string(),
            );
        }
    }
    for chunk in lines.chunks(50) {
        app.events(&manager, chunk);
    }
    let best = app.get_json(&manager, "/api/best-times");
    assert_eq!(
        best["channel"], "x:1000",
        "the first channel where Palabre publishes"
    );
    assert_eq!(best["enough"], true, "{best}");
    assert_eq!(best["total"], lines.len());
    assert_eq!(best["heat"][3][12], 60, "three Thursdays at noon");
    let first = &best["suggestions"][0];
    assert_eq!(
        (first["weekday"].as_u64(), first["hour"].as_u64()),
        (Some(3), Some(12)),
        "{best}"
    );
    assert_eq!(first["interactions"], 60);
    // The Thursday noon slot taken by a post: the next suggestion is an evening.
    let (status, _) = app.post(
        &manager,
        "/api/posts",
        &json!({"channel": "x:1000", "text": "Horaires du week-end", "at": first["at"]}),
    );
    assert_eq!(status, 201);
    let best = app.get_json(&manager, "/api/best-times");
    assert_eq!(best["suggestions"][0]["hour"], 20, "{best}");
    // The page shows the heat map and the suggestion in words.
    let (status, html) = app.get(&manager, "/publishing?lang=en");
    assert_eq!(status, 200);
    assert!(html.contains("id=\"best-suggestions\""), "{html}");
    assert!(html.contains("interactions in the last 8 weeks"), "{html}");
    // Never while the brake is on.
    app.post(
        &manager,
        "/api/brake",
        &json!({"engaged": true, "reason": "accident"}),
    );
    let braked = app.get_json(&manager, "/api/best-times");
    assert_eq!(braked["brake"], true);
    assert_eq!(braked["suggestions"], json!([]));
    let (status, e) = app.get(&manager, "/api/best-times?channel=x:9999");
    assert_eq!(status, 422, "{e}");
}

#[test]
fn a_crisis_alert_holds_a_post_while_it_lasts_and_ends_when_the_stream_falls_quiet() {
    let dir = tempfile::tempdir().unwrap();
    // An alert that ends after 4 s without distress.
    let cfg = common::demo_config_with(dir.path(), "[crisis]\nquiet = \"4s\"\n");
    let store = dir.path().join("palabre.db").display().to_string();
    let app = common::spawn_serve(&cfg, &store, true, &[]);
    let manager = app.user("manon", "manager", "", PASSWORD);
    let other = app.user("bob", "manager", "", PASSWORD);
    let d = app.events(&manager, &common::distress("q", 870));
    assert!(
        d.iter().any(|d| d["alerts"] == json!(["crisis_suspected"])),
        "{d:?}"
    );
    let plan = |text: &str, secs: i64| -> String {
        let (_, p) = app.post(
            &manager,
            "/api/posts",
            &json!({"channel": "x:1000", "text": text, "at": in_secs(secs), "submit": true}),
        );
        let id = p["id"].as_str().unwrap().to_owned();
        app.post(&other, &format!("/api/posts/{id}/approve"), &json!({}));
        id
    };
    // Due during the alert: held with its reason.
    let during = plan("Jeu-concours de l'été !", 1);
    wait_until("the post is held", || {
        post_status(&app, &manager, &during) == "held"
    });
    assert_eq!(
        app.get_json(&manager, &format!("/api/posts/{during}"))["note"],
        "crisis_suspected"
    );
    // Nobody writes in distress any more: four seconds later the alert is over, without a
    // new message to say so, and the next post goes out.
    std::thread::sleep(std::time::Duration::from_secs(5));
    let (_, html) = app.get(&manager, "/inbox");
    assert!(!html.contains("id=\"crisis-alert\""), "the alert ended");
    let after = plan("Les horaires d'été sont en ligne.", 1);
    wait_until("the next post is published", || {
        post_status(&app, &manager, &after) == "published"
    });
}

fn test_image(name: &str) -> Vec<u8> {
    std::fs::read(common::root().join("tests/images").join(name)).unwrap()
}

/// GET without signing in: (status, content type, bytes).
fn get_public(app: &App, path: &str) -> (u16, String, Vec<u8>) {
    let mut r = app
        .agent()
        .get(&format!("{}{path}", app.url))
        .call()
        .unwrap();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = r.body_mut().read_to_vec().unwrap();
    (r.status().as_u16(), content_type, bytes)
}

#[test]
fn a_posts_images_are_added_checked_and_public_only_once_it_goes_out() {
    let app = spawn_app(Backend::Sqlite).unwrap();
    let manager = app.user("manon", "manager", "", PASSWORD);
    let agent = app.user("ali", "agent", "", PASSWORD);
    let (status, post) = app.post(
        &agent,
        "/api/posts",
        &json!({"channel": "x:1000", "text": "Le viaduc sous la neige ce matin"}),
    );
    assert_eq!(status, 201, "{post}");
    let id = post["id"].as_str().unwrap().to_owned();
    let (square, wide) = (test_image("square.jpg"), test_image("wide.png"));

    let (status, with) = app.post_image(&agent, &id, "Le viaduc enneigé à l'aube", &square);
    assert_eq!(status, 201, "{with}");
    assert_eq!(
        with["images"],
        json!([{"position": 1, "content_type": "image/jpeg", "width": 1080, "height": 1080,
            "size": square.len(), "alt": "Le viaduc enneigé à l'aube"}])
    );
    assert_eq!(with["version"], 2, "an image is a new version");
    // Each bad input has its own answer, and nothing is kept.
    let (status, e) = app.post_image(&agent, &id, "", b"%PDF-1.4 a document");
    assert_eq!(status, 422, "{e}");
    assert_eq!(
        e["message"],
        "image 2 is not an image Palabre can read (JPEG, PNG, GIF or WebP)"
    );
    let (status, e) = app.post_image(&agent, &id, "", b"");
    assert_eq!(
        (status, e["message"].as_str().unwrap()),
        (422, "no image received: send a JPEG, PNG, GIF or WebP file")
    );
    for _ in 0..3 {
        assert_eq!(app.post_image(&agent, &id, "", &wide).0, 201);
    }
    let (status, e) = app.post_image(&agent, &id, "", &wide);
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["message"], "5 images; X takes at most 4 in a post");
    let (status, e) = app.post_image(&agent, "no-such-post", "", &wide);
    assert_eq!(status, 404, "{e}");
    let other = app.user("zoe", "agent", "", PASSWORD);
    let (status, e) = app.post_image(&other, &id, "", &wide);
    assert_eq!(
        status, 403,
        "only its author or a manager changes a post: {e}"
    );

    // The team sees the image; described, removed.
    let (status, content_type, bytes) = {
        let mut r = app
            .agent()
            .get(&format!("{}/api/posts/{id}/images/1", app.url))
            .header("Authorization", &format!("Bearer {agent}"))
            .call()
            .unwrap();
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        (r.status().as_u16(), ct, r.body_mut().read_to_vec().unwrap())
    };
    assert_eq!(
        (status, content_type.as_str(), bytes == square),
        (200, "image/jpeg", true)
    );
    assert_eq!(
        get_public(&app, &format!("/api/posts/{id}/images/1")).0,
        401
    );
    let (status, described) = app.patch(
        &agent,
        &format!("/api/posts/{id}/images/2"),
        &json!({"alt": "Le plan du réseau"}),
    );
    assert_eq!(status, 200, "{described}");
    assert_eq!(described["images"][1]["alt"], "Le plan du réseau");
    for _ in 0..2 {
        let mut r = app
            .agent()
            .delete(&format!("{}/api/posts/{id}/images/3", app.url))
            .header("Authorization", &format!("Bearer {agent}"))
            .call()
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            200,
            "{}",
            r.body_mut().read_to_string().unwrap()
        );
    }
    let (status, _) = app.patch(
        &agent,
        &format!("/api/posts/{id}/images/3"),
        &json!({"alt": "?"}),
    );
    assert_eq!(status, 404, "two images remain");

    // Not public before it goes out; public once it does.
    let public = {
        let mut ws = palabre_store::Workspace::open(&app.store).unwrap();
        let post = ws.post(&id).unwrap().unwrap();
        assert_eq!(post.images.len(), 2);
        format!("/media/{}", post.images[0].public_name())
    };
    assert!(public.ends_with(".jpg"), "{public}");
    assert_eq!(get_public(&app, &public).0, 404);
    assert_eq!(get_public(&app, "/media/not-a-token.jpg").0, 404);
    app.post(&agent, &format!("/api/posts/{id}/submit"), &json!({}));
    let (status, scheduled) = app.patch(
        &manager,
        &format!("/api/posts/{id}"),
        &json!({"at": in_secs(2)}),
    );
    assert_eq!(status, 200, "{scheduled}");
    let (status, approved) = app.post(&manager, &format!("/api/posts/{id}/approve"), &json!({}));
    assert_eq!(
        (status, approved["status"].as_str()),
        (200, Some("scheduled")),
        "{approved}"
    );
    wait_until("the post is published", || {
        post_status(&app, &manager, &id) == "published"
    });
    let (status, content_type, bytes) = get_public(&app, &public);
    assert_eq!(
        (status, content_type.as_str(), bytes == square),
        (200, "image/jpeg", true)
    );
}
