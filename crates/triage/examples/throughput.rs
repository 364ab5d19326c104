//! Throughput of the whole triage on one core, over tweet-length messages (the labelled sets,
//! repeated). Run in release mode:
//!
//! `cargo run --release -p palabre-triage --example throughput [SECONDS]`

use std::hint::black_box;
use std::time::{Duration, Instant};

use palabre_triage::eval::parse_jsonl;
use palabre_triage::{HELDOUT_DATA, TRAINING_DATA, TriageConfig, Triager};

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let start = Instant::now();
    let t = Triager::new(TriageConfig {
        known_organisations: vec!["francetvinfo".into()],
    });
    println!(
        "build (lexicons, lingua models, training): {:?}",
        start.elapsed()
    );
    let (mut records, _) = parse_jsonl(TRAINING_DATA);
    records.extend(parse_jsonl(HELDOUT_DATA).0);
    let inputs: Vec<(String, palabre_core::Author)> = records
        .iter()
        .map(|r| (r.text.clone(), r.core_author()))
        .collect();
    let mean_len = inputs.iter().map(|(t, _)| t.len()).sum::<usize>() / inputs.len().max(1);
    for (text, author) in &inputs {
        black_box(t.triage(text, None, author));
    }
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for (text, author) in &inputs {
            black_box(t.triage(black_box(text), None, author));
        }
        n += inputs.len() as u64;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    println!(
        "{n} messages (mean {mean_len} bytes) in {:?}: {rate:.0} messages/s on one core",
        start.elapsed()
    );
    let with_hint = Instant::now();
    let mut m = 0u64;
    while with_hint.elapsed() < budget / 2 {
        for (text, author) in &inputs {
            black_box(t.triage(black_box(text), Some("fr"), author));
        }
        m += inputs.len() as u64;
    }
    println!(
        "with a language hint: {:.0} messages/s",
        m as f64 / with_hint.elapsed().as_secs_f64()
    );

    // Full-length posts: consecutive messages glued to 200-280 bytes.
    let mut long: Vec<(String, palabre_core::Author)> = Vec::new();
    let mut cur = String::new();
    for (text, author) in &inputs {
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(text);
        if cur.len() >= 200 {
            let mut end = cur.len().min(280);
            while !cur.is_char_boundary(end) {
                end -= 1;
            }
            long.push((cur.get(..end).unwrap_or("").to_string(), author.clone()));
            cur.clear();
        }
    }
    let mean_long = long.iter().map(|(t, _)| t.len()).sum::<usize>() / long.len().max(1);
    let start = Instant::now();
    let mut k = 0u64;
    while start.elapsed() < budget {
        for (text, author) in &long {
            black_box(t.triage(black_box(text), None, author));
        }
        k += long.len() as u64;
    }
    println!(
        "full-length posts (mean {mean_long} bytes): {:.0} messages/s",
        k as f64 / start.elapsed().as_secs_f64()
    );

    // The cost of lingua alone, had every message gone through it.
    let lingua = lingua::LanguageDetectorBuilder::from_languages(&[
        lingua::Language::English,
        lingua::Language::French,
    ])
    .with_preloaded_language_models()
    .build();
    let start = Instant::now();
    let mut l = 0u64;
    while start.elapsed() < budget / 2 {
        for (text, _) in &inputs {
            black_box(
                lingua.compute_language_confidence(
                    black_box(text.as_str()),
                    lingua::Language::French,
                ),
            );
        }
        l += inputs.len() as u64;
    }
    println!(
        "lingua alone (en+fr models) on every message: {:.0} messages/s",
        l as f64 / start.elapsed().as_secs_f64()
    );
}
