//! 64-bit fingerprints (xxh3) of event ids, contents and requests: what the windows remember.

use palabre_core::{EventId, Message, Platform};
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

/// The fingerprint of an event id (`platform:external_id`).
pub fn event(platform: Platform, external_id: &str) -> u64 {
    let mut h = Xxh3::new();
    h.update(platform.as_str().as_bytes());
    h.update(b":");
    h.update(external_id.as_bytes());
    h.digest()
}

/// The fingerprint of an event id.
pub fn event_id(id: &EventId) -> u64 {
    event(id.platform, id.external.as_str())
}

/// What makes two versions of one id the same content: author, kind and text.
pub fn content(message: &Message) -> u64 {
    let mut h = Xxh3::new();
    h.update(message.author.id.as_bytes());
    h.update(&[0]);
    h.update(message.kind.as_str().as_bytes());
    h.update(&[0]);
    h.update(message.text.as_bytes());
    h.digest()
}

/// The fingerprint of "this author asking this": the text folded to lowercase words of letters
/// and digits, mentions and links left out, so `@brand Mon colis ?` and `mon colis` match.
/// `None` when nothing is left (a bare mention asks nothing) or the author is unknown.
/// `scratch` is reused between calls so that folding allocates nothing.
pub fn request(message: &Message, scratch: &mut String) -> Option<u64> {
    if !message.author.is_known() {
        return None;
    }
    scratch.clear();
    for token in message.text.split_whitespace() {
        if token.starts_with('@') || token.starts_with("http://") || token.starts_with("https://") {
            continue;
        }
        // Words are separated by one space; a token of punctuation alone (`?`, `!!`) is no word.
        let mut started = false;
        for c in token.chars() {
            if c.is_ascii() {
                if !c.is_ascii_alphanumeric() {
                    continue;
                }
            } else if !c.is_alphanumeric() {
                continue;
            }
            if !started && !scratch.is_empty() {
                scratch.push(' ');
            }
            started = true;
            if c.is_ascii() {
                scratch.push(c.to_ascii_lowercase());
            } else {
                scratch.extend(c.to_lowercase());
            }
        }
    }
    if scratch.is_empty() {
        return None;
    }
    let mut h = Xxh3::new();
    h.update(message.id.platform.as_str().as_bytes());
    h.update(message.author.id.as_bytes());
    h.update(&[0]);
    h.update(scratch.as_bytes());
    Some(h.digest())
}

/// A stable fingerprint of arbitrary bytes.
pub fn bytes(data: &[u8]) -> u64 {
    xxh3_64(data)
}
