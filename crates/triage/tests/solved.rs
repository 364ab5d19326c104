//! The "problem solved" reader on its development set (every line read as labelled), and the
//! sealed set (data/SOLVED_SEALED.md) kept whole and apart from it.

// Tests may unwrap and panic: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_core::Author;
use palabre_triage::solved::confirms_solved;
use palabre_triage::{TriageConfig, Triager};
use serde_json::Value;

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_development_set_is_read_as_labelled() {
    let triager = Triager::new(TriageConfig::default());
    let author = Author {
        id: "c".into(),
        handle: Some("customer".into()),
        ..Author::default()
    };
    let dev = lines(include_str!("../data/solved_dev.jsonl"));
    assert!(dev.len() >= 40);
    for r in &dev {
        let text = r["text"].as_str().unwrap();
        let t = triager.triage(text, r["lang"].as_str(), &author);
        assert_eq!(
            confirms_solved(text, &t),
            r["solved"].as_bool().unwrap(),
            "{r} read as {t:?}"
        );
    }
}

#[test]
fn the_sealed_set_is_whole_and_apart() {
    let sealed = lines(include_str!("../data/solved_sealed.jsonl"));
    assert_eq!(sealed.len(), 160);
    let solved = sealed.iter().filter(|r| r["solved"] == true).count();
    assert_eq!(solved, 70);
    let dev: Vec<String> = lines(include_str!("../data/solved_dev.jsonl"))
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_lowercase())
        .collect();
    for r in &sealed {
        assert_eq!(r["solved"] == true, r["kind"] == "solved", "{r}");
        let text = r["text"].as_str().unwrap().to_lowercase();
        assert!(
            !dev.contains(&text),
            "a sealed line is in the development set: {r}"
        );
    }
}
