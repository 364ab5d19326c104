//! Scores the FAQ matcher on a labelled file (`{"text", "lang", "entry": ID | "none"}` per
//! line) with the example FAQ of examples/campaigns/faq/, read by the language model:
//! `cargo run --release -p palabre-campaigns --example faq_eval -- FILE.jsonl [FAQ.toml]`.
//! Prints what would be sent, drafted or left to the usual path, and how often it is right.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use palabre_campaigns::{CampaignSet, Certainty};
use palabre_connectors::{Event, Format, normalize};
use palabre_core::Lang;
use palabre_embed::Role;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let file = args.first().expect("FILE.jsonl [FAQ.toml]");
    let faq = args.get(1).cloned().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/campaigns/faq/aerolune-faq.toml"
        )
        .into()
    });
    let model = palabre_embed::load_or_fetch(&palabre_embed::default_dir()).unwrap();
    let set = CampaignSet::load([faq]).unwrap_or_else(|e| panic!("{e}"));
    set.read_meaning(&mut |texts| {
        texts
            .chunks(8)
            .flat_map(|c| model.embed_batch(c, Role::Query))
            .collect()
    })
    .unwrap();
    let (mut sent_right, mut sent_wrong, mut sent_none) = (0, 0, 0);
    let (mut drafted_right, mut drafted_wrong, mut drafted_none) = (0, 0, 0);
    let (mut missed, mut left_none, mut answerable, mut none) = (0, 0, 0, 0);
    let (mut spent, mut read) = (std::time::Duration::ZERO, 0u32);
    for (i, line) in std::fs::read_to_string(file).unwrap().lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = v["text"].as_str().unwrap();
        let label = v["entry"].as_str().unwrap();
        let lang = if v["lang"] == "en" {
            Lang::En
        } else {
            Lang::Fr
        };
        // Addressed to the airline whether or not the writer typed the mention.
        let event = serde_json::json!({"platform": "x", "id": format!("s-{i}"), "kind": "post",
            "text": text, "created_at": "2026-03-22T21:00:00Z", "lang": v["lang"],
            "author": {"id": "42", "handle": "someone", "name": "Someone"}, "mentions": ["aerolune"]});
        let m = match normalize(&event.to_string(), Format::Generic).pop() {
            Some(Ok(Event::Message(m))) => *m,
            other => panic!("{other:?}"),
        };
        let started = std::time::Instant::now();
        let got = set.evaluate_with(&m, lang, &mut |t| Some(model.embed(t, Role::Query)));
        spent += started.elapsed();
        read += 1;
        let entry = got
            .as_ref()
            .map(|g| g.key.trim_start_matches("faq=").to_owned());
        let sure = got.as_ref().is_some_and(|g| g.certainty == Certainty::Sure);
        if label == "none" {
            none += 1;
        } else {
            answerable += 1;
        }
        let right = entry.as_deref() == Some(label);
        let verdict = match (entry.as_deref(), sure) {
            (None, _) if label == "none" => {
                left_none += 1;
                "ok   left"
            }
            (None, _) => {
                missed += 1;
                "MISS left"
            }
            (Some(_), true) if label == "none" => {
                sent_none += 1;
                "BAD  sent"
            }
            (Some(_), true) if right => {
                sent_right += 1;
                "ok   sent"
            }
            (Some(_), true) => {
                sent_wrong += 1;
                "BAD  sent wrong entry"
            }
            (Some(_), false) if label == "none" => {
                drafted_none += 1;
                "     draft (none)"
            }
            (Some(_), false) if right => {
                drafted_right += 1;
                "ok   draft"
            }
            (Some(_), false) => {
                drafted_wrong += 1;
                "     draft wrong entry"
            }
        };
        let score = got
            .as_ref()
            .and_then(|g| {
                g.fields
                    .iter()
                    .find(|(k, _)| k == "score")
                    .map(|(_, s)| s.clone())
            })
            .unwrap_or_default();
        println!(
            "{verdict:22} {label:15} {:15} {score:6} {text}",
            entry.unwrap_or_default()
        );
    }
    let sent = sent_right + sent_wrong + sent_none;
    let drafted = drafted_right + drafted_wrong + drafted_none;
    println!();
    println!("{answerable} answerable messages, {none} that no entry answers");
    println!(
        "sent automatically: {sent} ({sent_right} right, {sent_wrong} with the wrong entry, {sent_none} to a message no entry answers): precision {:.3}, answerable sent right {:.3}",
        sent_right as f64 / sent.max(1) as f64,
        sent_right as f64 / answerable.max(1) as f64
    );
    println!(
        "drafted for a person: {drafted} ({drafted_right} with the right entry, {drafted_wrong} with another, {drafted_none} for a message no entry answers)"
    );
    println!(
        "left to the usual path: {} ({missed} answerable, {left_none} that no entry answers)",
        missed + left_none
    );
    println!(
        "cost: {:.1} ms a message (the model's reading and the comparison, one thread)",
        spent.as_secs_f64() * 1000.0 / f64::from(read.max(1))
    );
}
