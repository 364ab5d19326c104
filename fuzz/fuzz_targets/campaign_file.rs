//! The campaign loader and its templates on any file: written beside a real table
//! (communes.csv), loaded, and when it loads, a few requests evaluated through it (triggers,
//! extraction with repair, the table, the sandboxed templates). Errors are fine; panics and
//! runaway templates are not (minijinja's fuel bounds them).
#![no_main]

use libfuzzer_sys::fuzz_target;
use palabre_campaigns::CampaignSet;
use palabre_connectors::{Event, Format, normalize};
use palabre_core::Lang;
use std::sync::OnceLock;

fn dir() -> &'static std::path::Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("palabre-fuzz-campaign-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let table = include_str!("../../examples/campaigns/mon-resultat/communes.csv");
        let _ = std::fs::write(dir.join("communes.csv"), table);
        dir
    })
}

/// A few requests, read by the generic normalizer as `replay` would.
fn messages() -> &'static [palabre_core::Message] {
    static MESSAGES: OnceLock<Vec<palabre_core::Message>> = OnceLock::new();
    MESSAGES.get_or_init(|| {
        ["#MonRésultat 69003", "#MonRésultat Lyon 3e", "mon résultat 75O11 svp", "AMS → JFK on 12 May?"]
            .iter()
            .enumerate()
            .flat_map(|(i, text)| {
                let line = format!(
                    r#"{{"platform":"generic","id":"f{i}","text":"{text}","hashtags":["MonRésultat"],"mentions":["infolocale"]}}"#
                );
                normalize(&line, Format::Generic)
            })
            .filter_map(|e| match e {
                Ok(Event::Message(m)) => Some(*m),
                _ => None,
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let path = dir().join("campaign.toml");
    if std::fs::write(&path, src).is_err() {
        return;
    }
    let Ok(set) = CampaignSet::load([&path]) else {
        return;
    };
    for message in messages() {
        let _ = set.evaluate(message, Lang::Fr);
    }
});
