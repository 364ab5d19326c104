//! Every normalizer, and `--format auto` detection, on any line: the first byte picks the
//! format (auto, x, mastodon, bluesky, messenger, google, trustpilot, generic), the rest is the
//! line. Whatever it is, normalizing returns events or errors; it never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palabre_connectors::{Format, normalize};

const FORMATS: [&str; 8] = [
    "auto",
    "x",
    "mastodon",
    "bluesky",
    "messenger",
    "google",
    "trustpilot",
    "generic",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(line) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(format) = FORMATS[usize::from(pick) % FORMATS.len()].parse::<Format>() else {
        return;
    };
    for event in normalize(line, format) {
        // What a later stage reads of an event must be readable too.
        if let Ok(palabre_connectors::Event::Message(m)) = event {
            let _ = (m.id.to_string(), m.text.len(), m.author.id.len());
        }
    }
});
