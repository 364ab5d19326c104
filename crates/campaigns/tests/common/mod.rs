//! What the tests of the example campaigns share: where the examples are, and their streams
//! read as messages.

use palabre_connectors::{Event, Format, normalize};
use palabre_core::{Lang, Message};
use std::path::PathBuf;

pub fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/campaigns")
}

/// The events of `examples/campaigns/NAME/stream.jsonl`, as messages.
pub fn messages(name: &str) -> Vec<Message> {
    let text = std::fs::read_to_string(examples().join(name).join("stream.jsonl")).unwrap();
    text.lines()
        .map(|line| match normalize(line, Format::Generic).pop() {
            Some(Ok(Event::Message(m))) => *m,
            other => panic!("{line}: {other:?}"),
        })
        .collect()
}

/// The language the event declares.
pub fn lang(m: &Message) -> Lang {
    match m.lang_hint.as_deref() {
        Some("fr") => Lang::Fr,
        Some("en") => Lang::En,
        _ => Lang::Other,
    }
}
