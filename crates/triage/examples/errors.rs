//! Development tool: lists the messages of a labelled JSONL file whose triage differs from a
//! label. `cargo run --release -p palabre-triage --example errors -- FILE [LABEL]`

use palabre_triage::eval::parse_jsonl;
use palabre_triage::{TriageConfig, Triager};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_default();
    let want = args.next();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let (records, _) = parse_jsonl(&text);
    let t = Triager::new(TriageConfig::default());
    for r in &records {
        let got =
            serde_json::to_value(t.triage(&r.text, None, &r.core_author())).unwrap_or_default();
        let truth = serde_json::to_value(r).unwrap_or_default();
        let mut wrong = Vec::new();
        for key in ["lang", "emotion", "intent", "toxic", "author_kind"] {
            if let Some(v) = truth.get(key).filter(|v| !v.is_null())
                && got.get(key) != Some(v)
            {
                wrong.push(format!(
                    "{key} {v}→{}",
                    got.get(key).cloned().unwrap_or_default()
                ));
            }
        }
        if let Some(v) = truth.get("sentiment").filter(|v| !v.is_null())
            && got.pointer("/sentiment/label") != Some(v)
        {
            wrong.push(format!(
                "sentiment {v}→{}",
                got.pointer("/sentiment/label").cloned().unwrap_or_default()
            ));
        }
        wrong.retain(|w| want.as_deref().is_none_or(|l| w.contains(l)));
        if !wrong.is_empty() {
            println!("{:<45} {}", wrong.join(", ").replace('"', ""), r.text);
        }
    }
}
