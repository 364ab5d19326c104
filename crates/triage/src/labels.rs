//! The stable names of the labels (as in DESIGN.md) and their class indices for the models.

use palabre_core::{AuthorKind, Emotion, Intent, Lang, SentimentLabel};

pub const SENTIMENTS: [SentimentLabel; 3] = [
    SentimentLabel::Negative,
    SentimentLabel::Neutral,
    SentimentLabel::Positive,
];
pub const EMOTIONS: [Emotion; 5] = [
    Emotion::Anger,
    Emotion::Joy,
    Emotion::Sadness,
    Emotion::Fear,
    Emotion::None,
];
pub const INTENTS: [Intent; 8] = [
    Intent::SupportRequest,
    Intent::Complaint,
    Intent::Question,
    Intent::Praise,
    Intent::Promotion,
    Intent::LifeEvent,
    Intent::UgcShare,
    Intent::Other,
];

pub fn lang_name(l: Lang) -> &'static str {
    match l {
        Lang::Fr => "fr",
        Lang::En => "en",
        Lang::Other => "other",
    }
}

pub fn sentiment_name(s: SentimentLabel) -> &'static str {
    match s {
        SentimentLabel::Positive => "positive",
        SentimentLabel::Negative => "negative",
        SentimentLabel::Neutral => "neutral",
    }
}

pub fn emotion_name(e: Emotion) -> &'static str {
    match e {
        Emotion::Anger => "anger",
        Emotion::Joy => "joy",
        Emotion::Sadness => "sadness",
        Emotion::Fear => "fear",
        Emotion::None => "none",
    }
}

pub fn intent_name(i: Intent) -> &'static str {
    match i {
        Intent::SupportRequest => "support_request",
        Intent::Complaint => "complaint",
        Intent::Question => "question",
        Intent::Praise => "praise",
        Intent::Promotion => "promotion",
        Intent::LifeEvent => "life_event",
        Intent::UgcShare => "ugc_share",
        Intent::Other => "other",
    }
}

pub fn author_kind_name(a: AuthorKind) -> &'static str {
    match a {
        AuthorKind::Person => "person",
        AuthorKind::Organisation => "organisation",
    }
}

pub fn index_of<T: Copy>(all: &[T], name: &str, name_of: fn(T) -> &'static str) -> Option<usize> {
    all.iter().position(|x| name_of(*x) == name)
}
