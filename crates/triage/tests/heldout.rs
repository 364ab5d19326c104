//! The held-out evaluation: the quality targets of the triage stage, asserted so that CI fails
//! when quality regresses. The held-out split is never used for training.

use palabre_triage::eval::{EvalReport, evaluate, parse_jsonl};
use palabre_triage::{HELDOUT_DATA, TRAINING_DATA, TriageConfig, Triager};

fn report(data: &str) -> EvalReport {
    let (records, errors) = parse_jsonl(data);
    assert!(errors.is_empty(), "{errors:?}");
    let triager = Triager::new(TriageConfig::default());
    evaluate(&triager, &records)
}

#[test]
fn heldout_meets_the_targets() {
    let r = report(HELDOUT_DATA);
    println!("{}", r.render_text());
    let get = |name: &str| r.label(name).cloned().unwrap();
    let fr = get("sentiment[fr]").macro_f1;
    let en = get("sentiment[en]").macro_f1;
    let toxic = get("toxic").positive_f1.unwrap_or(0.0);
    let anger = get("emotion")
        .class("anger")
        .map(|c| c.recall)
        .unwrap_or(0.0);
    let intent = get("intent").macro_f1;
    println!(
        "sentiment macro-F1 fr {fr:.3} en {en:.3}; toxic F1 {toxic:.3}; anger recall {anger:.3}; intent macro-F1 {intent:.3}"
    );
    assert!(fr >= 0.80, "sentiment[fr] macro-F1 {fr}");
    assert!(en >= 0.80, "sentiment[en] macro-F1 {en}");
    assert!(toxic >= 0.85, "toxic F1 {toxic}");
    assert!(anger >= 0.85, "anger recall {anger}");
    assert!(intent >= 0.75, "intent macro-F1 {intent}");
    assert!(get("lang").accuracy >= 0.95);
    assert!(get("author_kind").accuracy >= 0.95);
}

#[test]
fn heldout_is_disjoint_from_training() {
    let (train, _) = parse_jsonl(TRAINING_DATA);
    let (held, _) = parse_jsonl(HELDOUT_DATA);
    assert!(train.len() >= 250 && held.len() >= 150);
    for h in &held {
        assert!(
            !train.iter().any(|t| t.text == h.text),
            "in both splits: {}",
            h.text
        );
    }
}
