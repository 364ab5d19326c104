//! The page templates, compiled into the binary, with HTML auto-escaping on (every value that
//! came from a post is untrusted) and a few filters for times and triage.

use minijinja::{Environment, Value};

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("inbox.html", include_str!("../templates/inbox.html")),
    ("list.html", include_str!("../templates/list.html")),
    (
        "conversation.html",
        include_str!("../templates/conversation.html"),
    ),
    ("drafts.html", include_str!("../templates/drafts.html")),
    (
        "moderation.html",
        include_str!("../templates/moderation.html"),
    ),
    ("outbox.html", include_str!("../templates/outbox.html")),
    ("admin.html", include_str!("../templates/admin.html")),
    ("error.html", include_str!("../templates/error.html")),
    (
        "publishing.html",
        include_str!("../templates/publishing.html"),
    ),
    (
        "post_card.html",
        include_str!("../templates/post_card.html"),
    ),
];

pub(crate) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, source) in TEMPLATES {
        if let Err(e) = env.add_template(name, source) {
            // A broken template is a bug in this crate; the test below catches it first.
            tracing::error!(template = name, error = %e, "template does not compile");
        }
    }
    env.add_filter("from_json", from_json);
    env.add_filter("duration", duration);
    env.add_filter("clock", clock);
    env.add_filter("say", say);
    env
}

/// A stored code in words (`{{ r | say("reason", lang) }}`): see [`crate::explain::say`].
fn say(code: Option<String>, kind: String, lang: String) -> String {
    code.map_or_else(String::new, |c| crate::explain::say(&c, &kind, &lang))
}

/// Triage and other JSON stored as text, back to a value.
fn from_json(raw: Option<String>) -> Value {
    raw.and_then(|r| serde_json::from_str::<serde_json::Value>(&r).ok())
        .map_or(Value::from(()), Value::from_serialize)
}

/// Milliseconds as `45 s`, `12 min`, `3 h 05`, `2 d` (`2 j` in French: `lang`).
fn duration(ms: i64, lang: Option<String>) -> String {
    let s = ms.max(0) / 1000;
    let day = if lang.as_deref() == Some("fr") {
        "j"
    } else {
        "d"
    };
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h {:02}", s / 3600, (s % 3600) / 60),
        _ => format!("{} {day}", s / 86_400),
    }
}

/// A time as `2026-03-22 20:01` (UTC).
fn clock(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_template_compiles() {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        }
    }

    #[test]
    fn filters() {
        assert_eq!(duration(5_000, None), "5 s");
        assert_eq!(duration(720_000, None), "12 min");
        assert_eq!(duration(3_900_000, None), "1 h 05");
        assert_eq!(duration(3 * 86_400_000, None), "3 d");
        assert_eq!(duration(3 * 86_400_000, Some("fr".into())), "3 j");
        assert_eq!(clock(0), "1970-01-01 00:00 UTC");
    }
}
