//! Listening through `palabre replay`: queries and geofences given on the command line hear
//! posts not addressed to the brand; what their policies surface goes to people with its
//! reasons and distance, never to the bot; the rest stays ignored.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "../../connectors/tests/common/mod.rs"]
mod fake;

use common::{decision_lines, reasons, replay};
use serde_json::{Value, json};

/// The park's centre (Disneyland Paris, roughly), and a point `north_m` metres north of it.
const PARK: (f64, f64) = (48.8674, 2.7836);

fn north_of_park(north_m: f64) -> (f64, f64) {
    // One degree of latitude is R·π/180 metres on a sphere of R = 6,371 km.
    (
        PARK.0 + north_m / (6_371_000.0 * std::f64::consts::PI / 180.0),
        PARK.1,
    )
}

fn post(id: &str, text: &str, at: Option<(f64, f64)>) -> String {
    let mut event = json!({"platform": "generic", "id": id, "text": text, "lang": "fr",
        "created_at": "2026-07-14T15:00:00Z", "author": {"id": format!("a-{id}"), "handle": format!("p{id}")}});
    if let Some((lat, lon)) = at {
        event["geo"] = json!({"lat": lat, "lon": lon});
    }
    event.to_string()
}

fn run(args: &[&str], lines: &[String]) -> Vec<Value> {
    let mut all = vec!["--channel", "x:1000:parcmagique"];
    all.extend_from_slice(args);
    decision_lines(&replay(&all, Some(&lines.join("\n"))))
}

#[test]
fn a_geofence_hears_posts_inside_it_with_their_distance_and_nothing_outside() {
    let lines = [
        post(
            "in",
            "Quelle journée avec les enfants",
            Some(north_of_park(1_499.0)),
        ),
        post(
            "out",
            "Quelle journée avec les enfants",
            Some(north_of_park(1_501.0)),
        ),
        post("nowhere", "Quelle journée avec les enfants", None),
        post(
            "lost",
            "On a perdu notre fille près du château, 6 ans, robe rouge",
            Some(north_of_park(200.0)),
        ),
    ];
    let d = run(&["--geofence", "parc:48.8674,2.7836:1500:all"], &lines);
    assert_eq!(d[0]["outcome"], "routed_to_human", "{}", d[0]);
    assert_eq!(d[0]["queue"], "listening");
    assert_eq!(reasons(&d[0]), "listening,geofence");
    assert_eq!(
        d[0]["listening"],
        json!({"queries": [], "geofence": {"name": "parc", "distance_m": 1499}})
    );
    assert_eq!(
        d[0]["reply"],
        Value::Null,
        "nothing listened is answered by the bot"
    );
    for outside in &d[1..3] {
        assert_eq!(outside["outcome"], "ignored");
        assert_eq!(reasons(outside), "not_addressed");
        assert!(outside.get("listening").is_none(), "{outside}");
    }
    assert_eq!(d[3]["outcome"], "routed_to_human");
    assert!(
        reasons(&d[3]).starts_with("listening,geofence,safety"),
        "{}",
        d[3]
    );
}

#[test]
fn queries_hear_what_they_name_and_each_policy_surfaces_what_it_should() {
    let lines = [
        post(
            "birthday",
            "Joyeux anniversaire à ma fille qui a 7 ans aujourd'hui ! #anniversaire",
            None,
        ),
        post("chatter", "Quelle idée de génie, ce film", None),
        post(
            "tagged",
            "Bientôt notre #anniversaire au #ParcMagique",
            None,
        ),
        post(
            "counted",
            "Le train de 8h pour le parc, toujours bondé",
            None,
        ),
    ];
    let d = run(
        &[
            "--listen",
            "anniv=anniversaire OR #anniversaire OR film",
            "--listen",
            "marque:tagged=#anniversaire",
            "--listen",
            "trains:observe=train",
        ],
        &lines,
    );
    // Actionable: a life event is surfaced; chatter about a film is not.
    assert_eq!(d[0]["outcome"], "routed_to_human", "{}", d[0]);
    assert_eq!(d[0]["listening"]["queries"], json!(["anniv", "marque"]));
    assert!(reasons(&d[0]).starts_with("listening"), "{}", d[0]);
    assert_eq!(d[1]["outcome"], "ignored", "{}", d[1]);
    assert_eq!(reasons(&d[1]), "listening,observed");
    // Tagged: the brand's handle written as a hashtag.
    assert_eq!(d[2]["outcome"], "routed_to_human", "{}", d[2]);
    // Observe: counted, never shown.
    assert_eq!(d[3]["outcome"], "ignored");
    assert_eq!(reasons(&d[3]), "listening,observed");
    assert_eq!(d[3]["listening"]["queries"], json!(["trains"]));
}

#[test]
fn a_bad_query_or_geofence_stops_replay_with_what_is_wrong() {
    let bad = |args: &[&str]| {
        let out = replay(args, Some(""));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = bad(&["--listen", "anniv=(anniversaire OR naissance"]);
    assert!(
        e.contains(
            "query `anniv`, column 27: expected `)` to close the `(` of column 1, found the end"
        ),
        "{e}"
    );
    let e = bad(&["--listen", "anniv=anniversaire foo:bar"]);
    assert!(e.contains("unknown operator `foo:`"), "{e}");
    let e = bad(&["--geofence", "parc:48.8674,2.7836:0"]);
    assert!(e.contains("radius"), "{e}");
    let e = bad(&["--geofence", "parc:95,2.7836:100"]);
    assert!(e.contains("latitude"), "{e}");
    let e = bad(&[
        "--listen",
        "a=velo near:hotel",
        "--geofence",
        "parc:48.8674,2.7836:100",
    ]);
    assert!(e.contains("near:hotel names no geofence (parc)"), "{e}");
}

#[test]
fn someones_safety_puts_the_conversation_at_the_top_of_the_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("p.db").display().to_string();
    let lines = [
        post(
            "angry",
            "@parcmagique c'est scandaleux, remboursez-moi, honte à vous",
            None,
        ),
        post(
            "lost",
            "On a perdu notre fille près du château, 6 ans, robe rouge",
            Some(north_of_park(300.0)),
        ),
    ];
    run(
        &[
            "--geofence",
            "parc:48.8674,2.7836:1500:all",
            "--state",
            &store,
        ],
        &lines,
    );
    let mut ws = palabre_store::Workspace::open(&store).unwrap();
    let rows = ws
        .inbox(
            &palabre_store::workspace::InboxFilter::default(),
            &palabre_store::workspace::Scope::All,
        )
        .unwrap();
    let order: Vec<(&str, i64)> = rows.iter().map(|r| (r.id.as_str(), r.priority)).collect();
    assert_eq!(
        order.first().map(|o| o.0),
        Some("generic:lost"),
        "{order:?}"
    );
    assert_eq!(order[0].1, 3);
}

#[test]
fn a_suggested_draft_waits_for_a_person_and_never_for_someones_safety() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("palabre.toml");
    std::fs::write(
        &config,
        r#"
[[listening.geofences]]
name = "parc"
lat = 48.8674
lon = 2.7836
radius_m = 1500
policy = "all"

[listening.drafts]
life_event = { fr = "Toute l'équipe du parc vous souhaite une très belle journée, {author} !", en = "Have a wonderful day, {author}!" }
"#,
    )
    .unwrap();
    let lines = [
        post(
            "birthday",
            "Joyeux anniversaire à ma fille qui a 7 ans aujourd'hui !",
            Some(north_of_park(100.0)),
        ),
        post(
            "lost",
            "On a perdu notre fille près du château, 6 ans, robe rouge",
            Some(north_of_park(100.0)),
        ),
    ];
    let d = run(&["--config", config.to_str().unwrap()], &lines);
    assert_eq!(d[0]["outcome"], "drafted", "{}", d[0]);
    assert_eq!(
        d[0]["reply"],
        "Toute l'équipe du parc vous souhaite une très belle journée, @pbirthday !"
    );
    assert!(reasons(&d[0]).contains("life_event"), "{}", d[0]);
    assert_eq!(d[1]["outcome"], "routed_to_human", "{}", d[1]);
    assert_eq!(d[1]["reply"], Value::Null);
    // A draft for a reason it cannot be written for, or in one language only: refused.
    std::fs::write(
        &config,
        "[listening.drafts]\nsafety = { fr = \"a\", en = \"b\" }\n",
    )
    .unwrap();
    let out = replay(&["--config", config.to_str().unwrap()], Some(""));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "[listening.drafts] `safety`: a draft is written for life_event, ugc_share, complaint, support_request"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn serve_routes_what_listening_surfaces_to_the_listening_queue_as_replay_does() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("palabre.toml");
    std::fs::write(
        &config,
        "[[channels]]\nplatform = \"x\"\nid = \"1000\"\nhandle = \"parcmagique\"\n\n\
         [[listening.geofences]]\nname = \"parc\"\nlat = 48.8674\nlon = 2.7836\nradius_m = 1500\npolicy = \"all\"\n",
    )
    .unwrap();
    let lines = [
        post(
            "inside",
            "Quelle journée avec les enfants",
            Some(north_of_park(800.0)),
        ),
        post(
            "outside",
            "Quelle journée avec les enfants",
            Some(north_of_park(5_000.0)),
        ),
    ];
    let replayed = run(&["--config", config.to_str().unwrap()], &lines);
    let app = common::spawn_with_config(&config, &[]);
    let token = app.user("manon", "manager", "", "a long enough password 42");
    let served = app.events(&token, &lines);
    for (r, s) in replayed.iter().zip(&served) {
        for key in ["outcome", "reasons", "queue", "listening"] {
            assert_eq!(r[key], s[key], "{key}: replay {r} / serve {s}");
        }
    }
    assert_eq!(served[0]["queue"], "listening");
    common::wait_until("the conversation in the listening queue", || {
        app.get_json(&token, "/api/conversations?queue=listening")
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "generic:inside")
    });
    // The conversation says what heard it, in the page's language.
    let (status, html) = app.get(&token, "/c/generic%3Ainside?lang=fr");
    assert_eq!(status, 200);
    assert!(
        html.contains("Entendu par l&#x27;écoute")
            && html.contains("<code>parc</code>, 800 m de son centre"),
        "{html}"
    );
    assert!(
        html.contains("<svg class=\"fence-map\"")
            && html.contains("aria-label=\"dans la zone parc, 800 m de son centre\""),
        "the small map of the post in its geofence: {html}"
    );
    let (_, html) = app.get(&token, "/c/generic%3Ainside?lang=en");
    assert!(
        html.contains("<code>parc</code>, 800 m from its centre"),
        "{html}"
    );
    let listed = app.get_json(&token, "/api/conversations?queue=listening");
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != "generic:outside"),
        "{listed}"
    );
}

#[test]
fn x_streams_what_the_brand_listens_to_and_serve_surfaces_it() {
    let (lat, lon) = north_of_park(600.0);
    let tweet = json!({
        "data": {"id": "1790000000000000777", "text": "Premier jour de vacances, quelle journée avec les enfants",
            "author_id": "4343", "created_at": "2026-07-14T15:00:00.000Z",
            "conversation_id": "1790000000000000777", "lang": "fr",
            "geo": {"coordinates": {"type": "Point", "coordinates": [lon, lat]}, "place_id": "01a9a39529b27f36"}},
        "includes": {"users": [{"id": "4343", "username": "famille_m", "name": "Famille M."}],
            "places": [{"id": "01a9a39529b27f36", "full_name": "Chessy, France",
                "geo": {"type": "Feature", "bbox": [2.75, 48.85, 2.82, 48.89], "properties": {}}}]},
        "matching_rules": [{"id": "2", "tag": "listening:parc"}]
    })
    .to_string();
    let fake = fake::Fake::start(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/2/tweets/search/stream/rules") => fake::json(
            200,
            r#"{"meta":{"sent":"2026-07-14T14:00:00.000Z","result_count":0}}"#,
        ),
        ("POST", "/2/tweets/search/stream/rules") => fake::json(
            201,
            r#"{"data":[{"id":"2","value":"x","tag":"listening:parc"}],"meta":{"summary":{"created":2,"not_created":0}}}"#,
        ),
        ("GET", "/2/tweets/search/stream") => fake::Reply::Stream {
            status: 200,
            parts: vec![
                fake::bytes(&format!("{tweet}\r\n")),
                fake::Part::Sleep(std::time::Duration::from_secs(60)),
            ],
        },
        _ => fake::json(404, r#"{"title":"Not Found"}"#),
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("palabre.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[channels]]
platform = "x"
id = "1000"
handle = "parcmagique"

[[accounts]]
platform = "x"
name = "parc-x"
user_id = "1000"
bearer_token = "app-token"
api_url = "{}"
stream = true
rules = [{{ value = "@parcmagique", tag = "mentions" }}]

[[listening.queries]]
name = "anniv"
query = '"joyeux anniversaire" OR #anniversaire -is:repost'

[[listening.geofences]]
name = "parc"
lat = 48.8674
lon = 2.7836
radius_m = 1500
policy = "all"
"#,
            fake.url
        ),
    )
    .unwrap();
    let app = common::spawn_with_config(&config, &[]);
    let token = app.user("manon", "manager", "", "a long enough password 42");
    common::wait_until("the geotagged post in the listening queue", || {
        app.get_json(&token, "/api/conversations?queue=listening")
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "x:1790000000000000777")
    });
    // The stream's rules: the account's own, and one per query and geofence.
    let added = fake
        .on("/2/tweets/search/stream/rules")
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap()
        .json();
    assert_eq!(
        added["add"],
        json!([
            {"value": "@parcmagique", "tag": "mentions"},
            {"value": "\"joyeux anniversaire\" OR #anniversaire -is:retweet", "tag": "listening:anniv"},
            {"value": "point_radius:[2.783600 48.867400 1.500km]", "tag": "listening:parc"}
        ])
    );
    let stream = &fake.on("/2/tweets/search/stream")[0];
    assert_eq!(stream.param("place.fields"), Some("full_name,geo"));
    assert!(stream.param("expansions").unwrap().contains("geo.place_id"));
}

#[test]
fn mastodon_streams_the_hashtags_the_queries_name() {
    let fake = common::FakeMastodon::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("palabre.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[channels]]
platform = "mastodon"
id = "1"
handle = "marque"

[[accounts]]
platform = "mastodon"
name = "marque-social"
base_url = "{}"
access_token = "fake-token"

[[listening.queries]]
name = "anniv"
query = '#Anniversaire OR "joyeux anniversaire" -#pub'
"#,
            fake.url
        ),
    )
    .unwrap();
    let _app = common::spawn_with_config(&config, &[]);
    common::wait_until("the hashtag stream opened", || {
        fake.state()["stream_paths"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "/api/v1/streaming/hashtag?tag=anniversaire")
    });
    let paths = fake.state()["stream_paths"].clone();
    assert!(
        paths
            .as_array()
            .unwrap()
            .iter()
            .all(|p| !p.as_str().unwrap().contains("tag=pub")),
        "a hashtag the query excludes is not streamed: {paths}"
    );
}
