//! Evaluation of triage against labelled JSONL lines
//! `{"text", "lang"?, "sentiment"?, "emotion"?, "toxic"?, "intent"?, "author"?, "author_kind"?}`:
//! accuracy, macro-F1, per-class precision/recall/F1 and confusion matrices per label, and
//! sentiment per language.

use palabre_core::Author;
use serde::{Deserialize, Serialize};

use crate::Triager;
use crate::labels::{
    EMOTIONS, INTENTS, SENTIMENTS, author_kind_name, emotion_name, intent_name, lang_name,
    sentiment_name,
};
use crate::report::Tally;
pub use crate::report::{ClassReport, LabelReport};

/// The author of a labelled message, as written in the JSONL file.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct EvalAuthor {
    #[serde(default)]
    pub handle: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub bio: Option<String>,
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub followers: Option<u64>,
    #[serde(default)]
    pub following: Option<u64>,
}

/// One labelled message; every label is optional and only the present ones are scored.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct EvalRecord {
    pub text: String,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub sentiment: Option<String>,
    #[serde(default)]
    pub emotion: Option<String>,
    #[serde(default)]
    pub toxic: Option<bool>,
    #[serde(default)]
    pub intent: Option<String>,
    #[serde(default)]
    pub author: Option<EvalAuthor>,
    /// `person` or `organisation`: the expected author kind, when the file says it.
    #[serde(default)]
    pub author_kind: Option<String>,
}

impl EvalRecord {
    /// The record's author as the core type (an empty author when the record has none).
    pub fn core_author(&self) -> Author {
        let a = self.author.clone().unwrap_or_default();
        Author {
            id: a.handle.clone().unwrap_or_default(),
            handle: a.handle,
            display_name: a.name,
            verified: a.verified,
            followers: a.followers,
            following: a.following,
            bio: a.bio,
        }
    }
}

/// Parses one JSONL line.
pub fn parse_line(line: &str) -> Result<EvalRecord, String> {
    serde_json::from_str(line.trim()).map_err(|e| e.to_string())
}

/// Parses every non-empty line; returns the records and the errors with their 1-based line numbers.
pub fn parse_jsonl(text: &str) -> (Vec<EvalRecord>, Vec<(usize, String)>) {
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line) {
            Ok(r) => records.push(r),
            Err(e) => errors.push((i + 1, e)),
        }
    }
    (records, errors)
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvalReport {
    pub records: usize,
    /// One report per label present in the file, in a fixed order; sentiment also per language.
    pub labels: Vec<LabelReport>,
    /// Labels whose value in the file is not one of the stable names (counted, not scored).
    pub unknown_labels: usize,
}

impl EvalReport {
    pub fn label(&self, name: &str) -> Option<&LabelReport> {
        self.labels.iter().find(|l| l.name == name)
    }

    /// Human-readable tables with confusion matrices.
    pub fn render_text(&self) -> String {
        let mut out = format!("triage evaluation: {} messages\n\n", self.records);
        for l in &self.labels {
            l.render(&mut out);
        }
        if self.unknown_labels > 0 {
            out.push_str(&format!(
                "{} labels with unknown values were not scored\n",
                self.unknown_labels
            ));
        }
        out
    }
}

/// Triage every record (without a language hint: the language is part of what is measured) and
/// compare with its labels.
pub fn evaluate(triager: &Triager, records: &[EvalRecord]) -> EvalReport {
    let mut lang = Tally::new("lang", &["fr", "en", "other"]);
    let sentiment_labels: Vec<&'static str> =
        SENTIMENTS.iter().map(|s| sentiment_name(*s)).collect();
    let mut sentiment = Tally::new("sentiment", &sentiment_labels);
    let mut sentiment_fr = Tally::new("sentiment[fr]", &sentiment_labels);
    let mut sentiment_en = Tally::new("sentiment[en]", &sentiment_labels);
    let mut emotion = Tally::new(
        "emotion",
        &EMOTIONS
            .iter()
            .map(|e| emotion_name(*e))
            .collect::<Vec<_>>(),
    );
    let mut toxic = Tally::new("toxic", &["true", "false"]);
    let mut intent = Tally::new(
        "intent",
        &INTENTS.iter().map(|i| intent_name(*i)).collect::<Vec<_>>(),
    );
    let mut author = Tally::new("author_kind", &["person", "organisation"]);
    let mut seen = [false; 6];
    let mut unknown = 0;
    let mut check = |known: &[&str], v: &str| {
        let ok = known.contains(&v);
        if !ok {
            unknown += 1;
        }
        ok
    };
    for r in records {
        let t = triager.triage(&r.text, None, &r.core_author());
        if let Some(l) = &r.lang {
            seen[0] = true;
            if check(&["fr", "en", "other"], l) {
                lang.add(l, lang_name(t.lang));
            }
        }
        if let Some(s) = &r.sentiment {
            seen[1] = true;
            if check(&sentiment_labels, s) {
                let p = sentiment_name(t.sentiment.label);
                sentiment.add(s, p);
                match r.lang.as_deref() {
                    Some("fr") => sentiment_fr.add(s, p),
                    Some("en") => sentiment_en.add(s, p),
                    _ => {}
                }
            }
        }
        if let Some(e) = &r.emotion {
            seen[2] = true;
            if check(&["anger", "joy", "sadness", "fear", "none"], e) {
                emotion.add(e, emotion_name(t.emotion));
            }
        }
        if let Some(x) = r.toxic {
            seen[3] = true;
            toxic.add(
                if x { "true" } else { "false" },
                if t.toxic { "true" } else { "false" },
            );
        }
        if let Some(i) = &r.intent {
            seen[4] = true;
            if check(
                &INTENTS.iter().map(|i| intent_name(*i)).collect::<Vec<_>>(),
                i,
            ) {
                intent.add(i, intent_name(t.intent));
            }
        }
        if let Some(a) = &r.author_kind {
            seen[5] = true;
            if check(&["person", "organisation"], a) {
                author.add(a, author_kind_name(t.author_kind));
            }
        }
    }
    let mut labels = Vec::new();
    let mut push = |on: bool, t: &Tally| {
        let r = t.report();
        if on && r.count > 0 {
            labels.push(r);
        }
    };
    push(seen[0], &lang);
    push(seen[1], &sentiment);
    push(seen[1], &sentiment_fr);
    push(seen[1], &sentiment_en);
    push(seen[2], &emotion);
    push(seen[3], &toxic);
    push(seen[4], &intent);
    push(seen[5], &author);
    EvalReport {
        records: records.len(),
        labels,
        unknown_labels: unknown,
    }
}
