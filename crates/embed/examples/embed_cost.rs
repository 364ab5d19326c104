//! What the encoder costs a message, one at a time and in batches:
//! `cargo run --release -p palabre-embed --example embed_cost [-- MESSAGES.jsonl]`
//! (default: the triage crate's labelled messages; the model is fetched if needed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_embed::Role;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let file = std::env::args().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../triage/data/labelled/dev.jsonl"),
        PathBuf::from,
    );
    let texts: Vec<String> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_owned))
        .collect();
    let started = Instant::now();
    let model = palabre_embed::load_or_fetch(&palabre_embed::default_dir()).unwrap();
    println!("load: {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
    let tokens: usize = texts
        .iter()
        .map(|t| model.tokens(t, Role::Query).len())
        .sum();
    println!(
        "{} messages from {}, {:.1} tokens each on average",
        texts.len(),
        file.display(),
        tokens as f64 / texts.len() as f64
    );
    for batch in [1usize, 4, 16] {
        let started = Instant::now();
        for chunk in texts.chunks(batch) {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            std::hint::black_box(model.embed_batch(&refs, Role::Query));
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "batch {batch:>2}: {:.2} ms a message, {:.0} messages/s (one thread)",
            secs * 1000.0 / texts.len() as f64,
            texts.len() as f64 / secs
        );
    }
}
