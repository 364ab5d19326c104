//! Public labelled data shipped in a package: 600 of the 4,200 tweets rated by people in the
//! vaderSentiment 3.3.2 sdist (see NOTICE). Floors that catch regressions; the scores are in
//! docs/triage.md.

use palabre_triage::eval::{evaluate, parse_jsonl};
use palabre_triage::{TriageConfig, Triager};

const TWEETS: &str = include_str!("../data/public/vader_tweets_sample.jsonl");

#[test]
fn vader_tweets_sentiment_and_language() {
    let (records, errors) = parse_jsonl(TWEETS);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 600);
    let r = evaluate(&Triager::new(TriageConfig::default()), &records);
    println!("{}", r.render_text());
    let sentiment = r.label("sentiment").unwrap();
    assert!(sentiment.accuracy >= 0.72, "{}", sentiment.accuracy);
    assert!(sentiment.macro_f1 >= 0.63, "{}", sentiment.macro_f1);
    assert!(r.label("lang").unwrap().accuracy >= 0.95);
}
