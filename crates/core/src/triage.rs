//! The triage labels fixed in DESIGN.md, so that evaluations compare like with like.

use serde::{Deserialize, Serialize};

/// Language of a message: only French and English are told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    Fr,
    En,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SentimentLabel {
    Positive,
    Negative,
    Neutral,
}

/// Sentiment label plus a score in [-1, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    pub label: SentimentLabel,
    pub score: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Emotion {
    Anger,
    Joy,
    Sadness,
    Fear,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    SupportRequest,
    Complaint,
    Question,
    Praise,
    Promotion,
    LifeEvent,
    UgcShare,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    Person,
    Organisation,
}

/// What triage read in one message.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    pub lang: Lang,
    pub sentiment: Sentiment,
    pub emotion: Emotion,
    pub toxic: bool,
    pub intent: Intent,
    pub author_kind: AuthorKind,
    /// Bait that hijacks a hashtag or a mention (crypto schemes, quick money): never answered.
    /// Absent from triage stored before it existed (read as `false`).
    #[serde(default)]
    pub spam: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_the_stable_names() {
        let t = Triage {
            lang: Lang::En,
            sentiment: Sentiment {
                label: SentimentLabel::Negative,
                score: -0.5,
            },
            emotion: Emotion::Anger,
            toxic: false,
            intent: Intent::SupportRequest,
            author_kind: AuthorKind::Person,
            spam: false,
        };
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(
            json,
            r#"{"lang":"en","sentiment":{"label":"negative","score":-0.5},"emotion":"anger","toxic":false,"intent":"support_request","author_kind":"person","spam":false}"#
        );
        // Triage stored before the spam signal existed reads back as not spam.
        let old = r#"{"lang":"en","sentiment":{"label":"negative","score":-0.5},"emotion":"anger","toxic":false,"intent":"support_request","author_kind":"person"}"#;
        assert_eq!(serde_json::from_str::<Triage>(old).unwrap(), t);
    }
}
