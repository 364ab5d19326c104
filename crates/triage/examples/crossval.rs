//! Development tool: 5-fold cross-validation on the training split only (the held-out split is
//! not read), printing the report and the misread messages. This is what the rules were tuned on.
//!
//! `cargo run --release -p palabre-triage --example crossval [LABEL]`

use palabre_triage::eval::{EvalRecord, parse_jsonl};
use palabre_triage::{TRAINING_DATA, TriageConfig, Triager};

fn main() {
    let want = std::env::args().nth(1);
    let (records, _) = parse_jsonl(TRAINING_DATA);
    let lines: Vec<&str> = TRAINING_DATA
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let mut preds = Vec::new();
    for fold in 0..5 {
        let train: String = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 5 != fold)
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        let t = Triager::with_training_data(TriageConfig::default(), &train);
        for (i, r) in records.iter().enumerate() {
            if i % 5 == fold {
                preds.push((r.clone(), t.triage(&r.text, None, &r.core_author())));
            }
        }
    }
    // Build a report from the out-of-fold predictions.
    let mut text = String::new();
    for (r, t) in &preds {
        let json = serde_json::to_value(t).unwrap_or_default();
        let mut wrong = Vec::new();
        let get = |k: &str| {
            json.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        if r.sentiment
            .as_deref()
            .is_some_and(|s| Some(s) != json.pointer("/sentiment/label").and_then(|v| v.as_str()))
        {
            wrong.push(format!(
                "sentiment {}→{}",
                r.sentiment.clone().unwrap_or_default(),
                json.pointer("/sentiment/label")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
            ));
        }
        if r.emotion.as_deref().is_some_and(|s| s != get("emotion")) {
            wrong.push(format!(
                "emotion {}→{}",
                r.emotion.clone().unwrap_or_default(),
                get("emotion")
            ));
        }
        if r.intent.as_deref().is_some_and(|s| s != get("intent")) {
            wrong.push(format!(
                "intent {}→{}",
                r.intent.clone().unwrap_or_default(),
                get("intent")
            ));
        }
        if r.toxic.is_some_and(|x| x != t.toxic) {
            wrong.push(format!("toxic {}→{}", r.toxic.unwrap_or_default(), t.toxic));
        }
        if r.lang.as_deref().is_some_and(|s| s != get("lang")) {
            wrong.push(format!(
                "lang {}→{}",
                r.lang.clone().unwrap_or_default(),
                get("lang")
            ));
        }
        wrong.retain(|w| want.as_deref().is_none_or(|l| w.starts_with(l)));
        if !wrong.is_empty() {
            text.push_str(&format!("{:<40} {}\n", wrong.join(", "), r.text));
        }
    }
    let report = out_of_fold_report(&preds);
    println!("{report}\n{text}");
}

fn out_of_fold_report(preds: &[(EvalRecord, palabre_core::Triage)]) -> String {
    use std::collections::BTreeMap;
    let mut out = String::new();
    for key in ["sentiment", "emotion", "intent"] {
        let mut tp: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
        for (r, t) in preds {
            let json = serde_json::to_value(t).unwrap_or_default();
            let truth = match key {
                "sentiment" => r.sentiment.clone(),
                "emotion" => r.emotion.clone(),
                _ => r.intent.clone(),
            };
            let Some(truth) = truth else { continue };
            let pred = if key == "sentiment" {
                json.pointer("/sentiment/label")
            } else {
                json.get(key)
            };
            let pred = pred.and_then(|v| v.as_str()).unwrap_or("").to_string();
            if truth == pred {
                tp.entry(truth).or_default().0 += 1;
            } else {
                tp.entry(truth).or_default().1 += 1;
                tp.entry(pred).or_default().2 += 1;
            }
        }
        let mut f1s = Vec::new();
        for (label, (t, fneg, fpos)) in &tp {
            let p = *t as f64 / (*t + *fpos).max(1) as f64;
            let r = *t as f64 / (*t + *fneg).max(1) as f64;
            let f1 = if p + r > 0.0 {
                2.0 * p * r / (p + r)
            } else {
                0.0
            };
            f1s.push(f1);
            out.push_str(&format!(
                "{key:<10} {label:<16} P {p:.2} R {r:.2} F1 {f1:.2}\n"
            ));
        }
        out.push_str(&format!(
            "{key:<10} macro-F1 {:.3}\n\n",
            f1s.iter().sum::<f64>() / f1s.len().max(1) as f64
        ));
    }
    out
}
