//! Bad input, each with a test: broken campaign files, templates that misbehave, broken
//! tables, replies over the limit, requests that never extract, emoji and right-to-left text,
//! hostile display names; and table reloads that keep the old table on error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_campaigns::{CampaignError, CampaignReply, CampaignSet, ErrorKind, Limit};
use palabre_core::message::MessageText;
use palabre_core::{Author, EventId, ExternalId, Lang, Message, MessageKind, Platform, Timestamp};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const CSV: &str = "# FICTITIOUS\ncode,commune,score\n69003,Lyon 3e Arrondissement,51.2\n69100,Villeurbanne,48.0\n";

/// A valid campaign; tests replace one piece of it.
const TOML: &str = r##"id = "t"
name = "Test"
channels = ["x:1:brand", "mastodon:1:brand@social.example", "bluesky:did:plc:brand:brand.example"]
mode = "auto"
window = "6h"

[trigger]
hashtags = ["MonRésultat"]

[[extract]]
name = "code"
kind = "postal_code"
by_name = "commune"

[table]
file = "t.csv"
key = ["code"]
columns = ["commune", "score"]

[reply]
link = "https://r.example/{{ code }}"
fr = [
    "{{ name }} : {{ commune }} {{ score }} % {{ link }}",
]

[help]
example = "#MonRésultat 69003"
fr = "Envoyez #MonRésultat suivi de votre code postal, par exemple : {{ example }}"
"##;

struct Fixture {
    dir: TempDir,
}

impl Fixture {
    fn new(toml: &str, csv: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.toml"), toml).unwrap();
        std::fs::write(dir.path().join("t.csv"), csv).unwrap();
        Fixture { dir }
    }
    fn toml(&self) -> PathBuf {
        self.dir.path().join("t.toml")
    }
    fn csv(&self) -> PathBuf {
        self.dir.path().join("t.csv")
    }
    fn load(&self) -> Result<CampaignSet, CampaignError> {
        CampaignSet::load([self.toml()])
    }
}

fn load_err(toml: &str, csv: &str) -> CampaignError {
    match Fixture::new(toml, csv).load() {
        Ok(_) => panic!("loaded, expected an error"),
        Err(e) => e,
    }
}

fn line_of(haystack: &str, needle: &str) -> usize {
    let at = haystack.find(needle).unwrap();
    haystack[..at].matches('\n').count() + 1
}

fn message(platform: Platform, text: &str, name: &str) -> Message {
    let mut m = Message::new(
        EventId::new(platform, ExternalId::new("1").unwrap()),
        MessageKind::Post,
        MessageText::new(text).unwrap(),
        Author {
            id: "42".into(),
            handle: Some("someone".into()),
            display_name: Some(name.into()),
            ..Author::default()
        },
        Timestamp::UNIX_EPOCH,
    );
    m.lang_hint = Some("fr".into());
    m
}

#[test]
fn the_valid_fixture_loads_and_answers() {
    let set = Fixture::new(TOML, CSV).load().unwrap();
    let got = set
        .evaluate(&message(Platform::X, "#MonRésultat 69003", "Ana"), Lang::Fr)
        .unwrap();
    assert_eq!(
        got.text(),
        Some("Ana : Lyon 3e Arrondissement 51.2 % https://r.example/69003")
    );
}

#[test]
fn unknown_variable_is_refused_at_load_with_its_line() {
    let toml = TOML.replace("{{ score }} %", "{{ scroe }} %");
    let e = load_err(&toml, CSV);
    assert_eq!(e.kind, ErrorKind::Template, "{e}");
    assert_eq!(e.field.as_deref(), Some("reply.fr[0]"));
    assert_eq!(e.line, Some(line_of(&toml, "{{ scroe }}")));
    assert!(e.message.contains("unknown variable `scroe`"), "{e}");
    assert!(e.to_string().starts_with(&format!("{}:", e.file.display())));
}

#[test]
fn template_syntax_error_is_refused_at_load() {
    let toml = TOML.replace("{{ link }}\",", "{{ link \",");
    let e = load_err(&toml, CSV);
    assert_eq!(e.kind, ErrorKind::Template, "{e}");
    assert_eq!(e.field.as_deref(), Some("reply.fr[0]"));
    assert!(e.message.contains("syntax error"), "{e}");
}

#[test]
fn templates_cannot_read_files() {
    for bad in [
        "{% include '/etc/passwd' %}",
        "{% extends 'base.txt' %}",
        "{% import 'macros.txt' as m %}",
        "{% from 'x.txt' import y %}",
    ] {
        let toml = TOML.replace("{{ link }}\",", &format!("{bad}\","));
        let e = load_err(&toml, CSV);
        assert_eq!(e.kind, ErrorKind::Template, "{bad}: {e}");
    }
    // No filter or function reads files either: an unknown one fails the load rehearsal.
    let toml = TOML.replace("{{ link }}\",", "{{ '/etc/passwd' | read_file }}\",");
    let e = load_err(&toml, CSV);
    assert_eq!(e.kind, ErrorKind::Template, "{e}");
}

#[test]
fn a_loop_without_end_runs_out_of_fuel_at_load() {
    let endless =
        "{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}{% endfor %}";
    let toml = TOML.replace("{{ link }}\",", &format!("{endless}\","));
    let e = load_err(&toml, CSV);
    assert_eq!(e.kind, ErrorKind::Template, "{e}");
    assert!(e.message.contains("fuel"), "{e}");
    // Recursion is not available at all (no macros).
    let toml = TOML.replace(
        "{{ link }}\",",
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}\",",
    );
    assert_eq!(load_err(&toml, CSV).kind, ErrorKind::Template);
}

#[test]
fn csv_with_missing_columns_is_refused() {
    let csv = "code,commune\n69003,Lyon\n";
    let e = load_err(TOML, csv);
    assert_eq!(e.kind, ErrorKind::Table, "{e}");
    assert!(e.file.ends_with("t.csv"));
    assert!(e.message.contains("score"), "{e}");
    assert_eq!(
        (e.line, e.field.as_deref()),
        (Some(1), Some("score")),
        "{e}"
    );
    let e = load_err(TOML, "# a comment\n# another\ncode,commune\n69003,Lyon\n");
    assert_eq!(
        e.line,
        Some(3),
        "the header's line, after the comments: {e}"
    );
    // A row short of a cell.
    let csv = "code,commune,score\n69003,Lyon 3e Arrondissement,51.2\n69100,Villeurbanne\n";
    let e = load_err(TOML, csv);
    assert_eq!(e.kind, ErrorKind::Table, "{e}");
    assert_eq!(e.line, Some(3), "{e}");
}

#[test]
fn csv_with_duplicate_keys_is_refused() {
    let csv = format!("{CSV}69003,Lyon bis,12.0\n");
    let e = load_err(TOML, &csv);
    assert_eq!(e.kind, ErrorKind::Table, "{e}");
    assert_eq!(e.line, Some(5), "{e}");
    assert!(
        e.message.contains("duplicate key 69003 (first on line 3)"),
        "{e}"
    );
}

#[test]
fn toml_errors_name_the_line_and_field() {
    let toml = TOML.replace("window = \"6h\"", "window = \"6x\"");
    let e = load_err(&toml, CSV);
    assert_eq!(
        (e.kind, e.line, e.field.as_deref()),
        (ErrorKind::Invalid, Some(5), Some("window"))
    );

    let toml = TOML.replace("mode = \"auto\"", "mode = \"auto\"\ncolour = \"blue\"");
    let e = load_err(&toml, CSV);
    assert_eq!((e.kind, e.line), (ErrorKind::Syntax, Some(5)), "{e}");
    assert_eq!(e.field.as_deref(), Some("colour"));
    assert!(e.message.contains("unknown field"), "{e}");

    let toml = TOML.replace("mode = \"auto\"", "mode = \"sample\"");
    let e = load_err(&toml, CSV);
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::Invalid, Some("mode")),
        "{e}"
    );

    let toml = TOML.replace("x:1:brand", "orkut:1:brand");
    let e = load_err(&toml, CSV);
    assert_eq!(
        (e.line, e.field.as_deref()),
        (Some(3), Some("channels")),
        "{e}"
    );

    let toml = TOML.replace("kind = \"postal_code\"", "kind = \"zip\"");
    let e = load_err(&toml, CSV);
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::Syntax, Some("kind")),
        "{e}"
    );

    let toml = TOML.replace("key = [\"code\"]", "key = [\"cde\"]");
    let e = load_err(&toml, CSV);
    assert!(e.message.contains("`cde` is not an extracted field"), "{e}");
}

#[test]
fn two_campaigns_cannot_share_an_id() {
    let f = Fixture::new(TOML, CSV);
    let copy = f.dir.path().join("copy.toml");
    std::fs::write(
        &copy,
        TOML.replace(
            "file = \"t.csv\"",
            &format!("file = {:?}", f.csv().display().to_string()),
        ),
    )
    .unwrap();
    let e = CampaignSet::load([f.toml(), copy]).unwrap_err();
    assert_eq!(
        (e.kind, e.field.as_deref(), e.line),
        (ErrorKind::Invalid, Some("id"), Some(1))
    );
}

#[test]
fn an_extraction_that_never_matches_its_example_is_refused() {
    let toml = TOML.replace(
        "example = \"#MonRésultat 69003\"",
        "example = \"#MonRésultat Lyon\"",
    );
    let e = load_err(&toml, CSV);
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::Example, Some("example")),
        "{e}"
    );
    assert_eq!(e.line, Some(line_of(&toml, "example =")));
    // At run time a request the extraction cannot read gets the help, never silence.
    let set = Fixture::new(TOML, CSV).load().unwrap();
    for text in [
        "#MonRésultat",
        "#MonRésultat ???",
        "#MonRésultat 6900",
        "#MonRésultat 123456",
    ] {
        let got = set
            .evaluate(&message(Platform::X, text, "Ana"), Lang::Fr)
            .unwrap();
        assert!(got.is_help(), "{text}: {:?}", got.reply);
        assert_eq!(got.key, "help");
    }
}

#[test]
fn a_reply_over_the_limit_is_shortened_then_cut_cleanly() {
    let long = "Résultat très détaillé pour {{ commune }} : ".to_owned()
        + &"la liste arrivée en tête obtient {{ score }} % des suffrages exprimés, ".repeat(9)
        + "{{ link }}";
    let toml = TOML.replace(
        "\"{{ name }} : {{ commune }} {{ score }} % {{ link }}\",",
        &format!("\"{long}\","),
    );
    let set = Fixture::new(&toml, CSV).load().unwrap();
    for platform in [Platform::X, Platform::Bluesky, Platform::Mastodon] {
        let got = set
            .evaluate(&message(platform, "#MonRésultat 69003", "Ana"), Lang::Fr)
            .unwrap();
        let CampaignReply::Answer {
            text, truncated, ..
        } = &got.reply
        else {
            panic!("{:?}", got.reply);
        };
        let limit = Limit::for_platform(platform);
        assert!(limit.fits(text), "{platform}: {text}");
        assert!(*truncated, "{platform}");
        assert!(text.ends_with("… https://r.example/69003"), "{text}");
        let prose = text.trim_end_matches("… https://r.example/69003");
        assert!(
            long.replace("{{ commune }}", "Lyon 3e Arrondissement")
                .replace("{{ score }}", "51.2")
                .starts_with(prose)
        );
        assert!(!prose.ends_with(' '));
    }
    // With a shorter variant, the shorter one is chosen instead of cutting.
    let toml2 = toml.replace(
        &format!("\"{long}\","),
        &format!("\"{long}\",\n    \"{{{{ commune }}}} : {{{{ score }}}} % {{{{ link }}}}\","),
    );
    let set = Fixture::new(&toml2, CSV).load().unwrap();
    let got = set
        .evaluate(&message(Platform::X, "#MonRésultat 69003", "Ana"), Lang::Fr)
        .unwrap();
    assert_eq!(
        got.reply,
        CampaignReply::Answer {
            text: "Lyon 3e Arrondissement : 51.2 % https://r.example/69003".into(),
            variant: 1,
            truncated: false
        }
    );
}

#[test]
fn emoji_and_right_to_left_text_inside_a_request() {
    let set = Fixture::new(TOML, CSV).load().unwrap();
    for text in [
        "🗳️🇫🇷 #MonRésultat 69003 🙏🏽",
        "#MonRésultat\u{200F}69003\u{200F}",
        "مرحبا #MonRésultat ٦٩٠٠٣ 69003 שלום",
        "\u{202E}#MonRésultat 69003\u{202C}",
        "#MonRésultat 👨‍👩‍👧 69 OO3",
    ] {
        let got = set
            .evaluate(&message(Platform::Bluesky, text, "نور 🌙"), Lang::Fr)
            .unwrap();
        assert_eq!(got.key, "code=69003", "{text}");
        assert!(got.is_answer(), "{text}: {:?}", got.reply);
    }
}

#[test]
fn display_names_are_text_never_templates() {
    let set = Fixture::new(TOML, CSV).load().unwrap();
    for (name, shown) in [
        (
            "{{ link }}{% for i in range(9) %}x{% endfor %}",
            "{{ link }}{% for i in range(9) %}x{% endfor %}",
        ),
        (
            "<b>Bob</b><script>alert(1)</script>",
            "<b>Bob</b><script>alert(1)</script>",
        ),
        ("{{ 7*7 }}", "{{ 7*7 }}"),
        ("@everyone #Boycott Eve", "everyone Boycott Eve"),
        ("Ali\u{202E}evil", "Alievil"),
    ] {
        let got = set
            .evaluate(
                &message(Platform::Mastodon, "#MonRésultat 69003", name),
                Lang::Fr,
            )
            .unwrap();
        assert_eq!(
            got.text().unwrap(),
            format!("{shown} : Lyon 3e Arrondissement 51.2 % https://r.example/69003")
        );
    }
}

#[test]
fn reload_swaps_the_table_and_keeps_the_old_one_on_error() {
    let f = Fixture::new(TOML, CSV);
    let set = f.load().unwrap();
    let ask = |set: &CampaignSet| {
        set.evaluate(&message(Platform::X, "#MonRésultat 69100", "Ana"), Lang::Fr)
            .unwrap()
            .text()
            .unwrap()
            .to_owned()
    };
    assert!(ask(&set).contains("48.0"));
    std::fs::write(f.csv(), CSV.replace("48.0", "49.5")).unwrap();
    assert_eq!(set.reload().unwrap(), 1);
    assert!(ask(&set).contains("49.5"));
    for broken in [
        format!("{CSV}69100,Villeurbanne,1.0\n"),
        "code,commune\n69003,Lyon\n".to_owned(),
        "code,commune,score\n69100,Villeurbanne,1.0\n".to_owned(),
    ] {
        std::fs::write(f.csv(), broken).unwrap();
        assert!(set.reload().is_err());
        assert!(ask(&set).contains("49.5"), "the old table stays");
    }
    std::fs::remove_file(f.csv()).unwrap();
    let e = set.reload().unwrap_err();
    assert_eq!(e.kind, ErrorKind::Table);
    assert!(ask(&set).contains("49.5"));
    let _: &Path = f.dir.path();
}

#[test]
fn reposts_and_own_posts_are_never_requests_and_quotes_only_when_they_make_one() {
    let set = Fixture::new(TOML, CSV).load().unwrap();
    let mut repost = message(Platform::X, "RT @brand: #MonRésultat 69003", "Ana");
    repost.kind = MessageKind::Repost;
    assert!(set.evaluate(&repost, Lang::Fr).is_none());
    let mut own = message(Platform::X, "#MonRésultat 69003", "Brand");
    own.author.id = "1".into();
    assert!(set.evaluate(&own, Lang::Fr).is_none());
    let quote = |text: &str| {
        let mut quote = message(Platform::X, text, "Ana");
        quote.kind = MessageKind::Quote;
        quote.referenced = Some(palabre_core::Reference {
            id: ExternalId::new("9").unwrap(),
            author_id: None,
            author_handle: Some("Brand".into()),
        });
        set.evaluate(&quote, Lang::Fr)
    };
    // Quoting our announcement with a whole request is a request…
    let asked = quote("#MonRésultat 69003 pour moi aussi").expect("a request");
    assert!(asked.is_answer() && asked.key == "code=69003");
    // …a comment quoting our post is not, and gets no help either.
    for comment in [
        "Merci ! #MonRésultat",
        "#MonRésultat 99999",
        "#MonRésultat Atlantis",
    ] {
        assert!(quote(comment).is_none(), "{comment}");
    }
    // A platform the campaign has no channel on.
    assert!(
        set.evaluate(
            &message(Platform::Messenger, "#MonRésultat 69003", "Ana"),
            Lang::Fr
        )
        .is_none()
    );
}

#[test]
fn a_staleness_limit_is_read_and_its_mistakes_are_placed() {
    let toml = TOML.replace(
        "window = \"6h\"",
        "window = \"6h\"\nstale_after = \"30m\"\nwhen_stale = \"drop\"",
    );
    let set = Fixture::new(&toml, CSV).load().unwrap();
    assert_eq!(
        set.campaigns()[0].stale,
        Some(palabre_campaigns::Stale {
            after: std::time::Duration::from_secs(1800),
            then: palabre_campaigns::WhenStale::Drop
        })
    );

    let e = load_err(
        &TOML.replace("window = \"6h\"", "window = \"6h\"\nstale_after = \"soon\""),
        CSV,
    );
    assert_eq!(
        (e.kind, e.line, e.field.as_deref()),
        (ErrorKind::Invalid, Some(6), Some("stale_after")),
        "{e}"
    );
    assert!(e.message.contains("`soon` is not a duration"), "{e}");
    let e = load_err(
        &TOML.replace("window = \"6h\"", "window = \"6h\"\nwhen_stale = \"draft\""),
        CSV,
    );
    assert_eq!(e.field.as_deref(), Some("when_stale"), "{e}");
    assert!(e.message.contains("needs `stale_after`"), "{e}");
    let e = load_err(
        &TOML.replace(
            "window = \"6h\"",
            "window = \"6h\"\nstale_after = \"30m\"\nwhen_stale = \"later\"",
        ),
        CSV,
    );
    assert_eq!((e.kind, e.line), (ErrorKind::Syntax, Some(7)), "{e}");
}

#[test]
fn turn_taking_settings_are_read_and_their_mistakes_are_placed() {
    let set = Fixture::new(TOML, CSV).load().unwrap();
    assert_eq!(
        set.campaigns()[0].follow_up,
        palabre_campaigns::FollowUp {
            window: Some(std::time::Duration::from_secs(1800)),
            questions: 1
        },
        "30 minutes and one more question unless the campaign says otherwise"
    );
    let with = |section: &str| format!("{TOML}\n[follow_up]\n{section}\n");
    let set = Fixture::new(&with("window = \"2h\"\nquestions = 0"), CSV)
        .load()
        .unwrap();
    assert_eq!(
        set.campaigns()[0].follow_up,
        palabre_campaigns::FollowUp {
            window: Some(std::time::Duration::from_secs(7200)),
            questions: 0
        }
    );
    let set = Fixture::new(&with("window = \"0\""), CSV).load().unwrap();
    assert_eq!(set.campaigns()[0].follow_up.window, None, "0: not awaited");

    let toml = with("window = \"bientôt\"");
    let e = load_err(&toml, CSV);
    assert_eq!(
        (e.kind, e.line),
        (ErrorKind::Invalid, Some(line_of(&toml, "bientôt"))),
        "{e}"
    );
    assert!(e.message.contains("`bientôt` is not a duration"), "{e}");
    let toml = with("questions = 5");
    let e = load_err(&toml, CSV);
    assert_eq!(
        (e.kind, e.line),
        (ErrorKind::Invalid, Some(line_of(&toml, "questions = 5"))),
        "{e}"
    );
    assert!(e.message.contains("at most 3 more questions"), "{e}");
    let e = load_err(&with("question = 1"), CSV);
    assert_eq!(e.kind, ErrorKind::Syntax, "an unknown key is refused: {e}");
    // A question asked again that would not render is refused at load, like the help.
    let toml = TOML.replace(
        "fr = \"Envoyez",
        "again_fr = \"{{ nope }}\"\nfr = \"Envoyez",
    );
    let e = load_err(&toml, CSV);
    assert!(e.message.contains("unknown variable `nope`"), "{e}");
}
