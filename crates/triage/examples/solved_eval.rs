//! Scores the "problem solved" reader (what a satisfaction survey waits for) on a labelled
//! JSONL file of customers' replies, `{"text", "lang", "solved": bool, "kind"}`, read with the
//! fast triage path as the pipeline reads them:
//! `cargo run --release -p palabre-triage --example solved_eval -- FILE`.
//! Prints precision and recall of "solved", the surveys that would have gone out wrongly, and
//! the reader's own cost a reply (triage apart).

use palabre_core::Author;
use palabre_triage::solved::confirms_solved;
use palabre_triage::{TriageConfig, Triager};
use std::collections::BTreeMap;

#[derive(serde::Deserialize)]
struct Line {
    text: String,
    lang: String,
    solved: bool,
    kind: String,
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: solved_eval FILE.jsonl");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let triager = Triager::new(TriageConfig::default());
    let author = Author {
        id: "customer".into(),
        handle: Some("customer".into()),
        ..Author::default()
    };
    let (mut tp, mut fp, mut fn_) = (0u32, 0u32, 0u32);
    let mut by_kind: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let mut wrong = Vec::new();
    let mut read = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line: Line = match serde_json::from_str(raw) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{path}:{}: {e}", n + 1);
                std::process::exit(2);
            }
        };
        let triage = triager.triage(&line.text, Some(&line.lang), &author);
        let said = confirms_solved(&line.text, &triage);
        read.push((line.text.clone(), triage));
        let entry = by_kind.entry(line.kind.clone()).or_default();
        entry.0 += 1;
        entry.1 += u32::from(said);
        match (said, line.solved) {
            (true, true) => tp += 1,
            (true, false) => {
                fp += 1;
                wrong.push(format!(
                    "  survey sent wrongly ({}): {}",
                    line.kind, line.text
                ));
            }
            (false, true) => fn_ += 1,
            (false, false) => {}
        }
    }
    let ratio = |a: u32, b: u32| {
        if b == 0 {
            0.0
        } else {
            f64::from(a) / f64::from(b)
        }
    };
    println!(
        "solved: precision {:.2} ({tp}/{}), recall {:.2} ({tp}/{})",
        ratio(tp, tp + fp),
        tp + fp,
        ratio(tp, tp + fn_),
        tp + fn_
    );
    for (kind, (total, said)) in &by_kind {
        println!("  {kind:<13} {said:>3} of {total:>3} read as solved");
    }
    for w in wrong {
        println!("{w}");
    }
    const ROUNDS: u32 = 2000;
    let start = std::time::Instant::now();
    let mut yes = 0u32;
    for _ in 0..ROUNDS {
        for (text, triage) in &read {
            yes += u32::from(confirms_solved(std::hint::black_box(text), triage));
        }
    }
    let per = start.elapsed() / (ROUNDS * read.len().max(1) as u32);
    println!("cost: {per:?} a reply ({yes} reads said solved)");
}
