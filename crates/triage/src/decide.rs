//! The final labels: the learned heads' probabilities combined with what the rules are sure of
//! (an insult or sarcasm is anger; a promo code is promotion; a wedding is a life event).

use palabre_core::{Emotion, Intent, Sentiment, SentimentLabel};

use crate::features::Cues;
use crate::labels::{EMOTIONS, INTENTS, SENTIMENTS};
use crate::linear::argmax;

/// Sentiment from the head's probabilities (negative, neutral, positive) and the lexicon score.
pub fn sentiment(cues: &Cues, p: [f32; 3]) -> Sentiment {
    let lex = cues.sentiment.score;
    let mut s = p;
    s[0] += 0.3 * (-lex).max(0.0);
    s[2] += 0.3 * lex.max(0.0);
    if cues.sentiment.sarcasm || cues.toxic.toxic {
        s[0] += 0.5;
    }
    let mut label = SENTIMENTS
        .get(argmax(&s))
        .copied()
        .unwrap_or(SentimentLabel::Neutral);
    // A strong lexicon reading is not overturned into its opposite.
    if lex <= -0.6 && label == SentimentLabel::Positive {
        label = SentimentLabel::Negative;
    } else if lex >= 0.6 && label == SentimentLabel::Negative && !cues.sentiment.sarcasm {
        label = SentimentLabel::Positive;
    }
    let blend = (0.5 * lex + 0.5 * (s[2] - s[0])).clamp(-1.0, 1.0);
    let score = match label {
        SentimentLabel::Positive => blend.max(0.05),
        SentimentLabel::Negative => blend.min(-0.05),
        SentimentLabel::Neutral => blend.clamp(-0.25, 0.25),
    };
    Sentiment {
        label,
        score: (score * 100.0).round() / 100.0,
    }
}

/// An offer is announced, not felt: a promotion is neutral unless the lexicon is sure.
pub fn calm_promotion(cues: &Cues, intent: Intent, sentiment: Sentiment) -> Sentiment {
    if intent == Intent::Promotion
        && sentiment.label == SentimentLabel::Positive
        && cues.sentiment.score < 0.5
        && !cues.first_person
    {
        return Sentiment {
            label: SentimentLabel::Neutral,
            score: sentiment.score.clamp(-0.25, 0.25),
        };
    }
    sentiment
}

/// Emotion: anger first (it decides whether a bot may speak), then the head with lexicon cues.
pub fn emotion(cues: &Cues, sentiment: SentimentLabel, intent: Intent, p: [f32; 5]) -> Emotion {
    if cues.toxic.toxic || cues.sentiment.sarcasm {
        return Emotion::Anger;
    }
    let lex = &cues.sentiment;
    let heat = cues.anger.min(3)
        + u32::from(lex.caps > 0)
        + u32::from(lex.exclaims >= 2)
        + u32::from(cues.questions >= 2)
        + u32::from(lex.score < -0.6);
    let mut s = p;
    let not_positive = sentiment != SentimentLabel::Positive;
    if cues.sadness > 0 && not_positive {
        s[2] += 0.6;
    }
    if cues.fear > 0 && not_positive {
        s[3] += 0.7;
    }
    if sentiment == SentimentLabel::Positive {
        s[0] *= 0.5;
        s[1] += 0.15 * cues.joy.min(2) as f32;
    } else {
        s[0] += 0.2 * heat as f32;
        if intent == Intent::Complaint {
            s[0] += 0.15;
        }
        if sentiment == SentimentLabel::Negative {
            s[1] *= 0.2;
        }
    }
    let best = EMOTIONS.get(argmax(&s)).copied().unwrap_or(Emotion::None);
    // Words of grief or fear, and none of anger: that is what the message is about.
    if (cues.fear > 0 || cues.sadness > 0) && cues.anger == 0 && not_positive {
        return if cues.fear >= cues.sadness {
            Emotion::Fear
        } else {
            Emotion::Sadness
        };
    }
    // Recall first: a negative complaint that is not sad or afraid is read as anger, because
    // a missed angry message is answered by a bot, while a false alarm only reaches a human.
    let calm_reason = matches!(best, Emotion::Sadness | Emotion::Fear);
    // A complaint said mildly ("un peu déçu", "not ideal") with no heat is left to the head.
    let mild = cues.mild && heat == 0;
    let negative_and_hot = sentiment == SentimentLabel::Negative
        && ((intent == Intent::Complaint && !mild)
            || heat >= 1
            || (s[0] >= 0.15 && !mild)
            || (lex.score < -0.3 && !mild));
    if !calm_reason && (negative_and_hot || (sentiment == SentimentLabel::Neutral && heat >= 2)) {
        return Emotion::Anger;
    }
    best
}

/// Intent: the head's probabilities, pushed by the rules that are reliable.
pub fn intent(cues: &Cues, p: [f32; 8]) -> Intent {
    let mut s = p;
    if cues.promo_code
        || (cues.urls > 0 && cues.promo_words > 0)
        || (cues.organisation && cues.promo_words > 1)
    {
        s[4] += 0.6;
    }
    // An offer in the brand's own voice: advertising words, nobody speaking of themself.
    if cues.promo_words > 0 && !cues.first_person && cues.mentions == 0 && !cues.life {
        s[4] += 0.25;
    }
    // A photo or a drawing shared at a birthday is still a share: media words win over life.
    if cues.life && !cues.promo_code && !cues.media {
        s[5] += 0.35;
    }
    // Abuse with no word of a service or an account in it is aimed at another user.
    if cues.toxic.toxic && cues.support == 0 && cues.services == 0 {
        s[7] += 0.25;
    }
    if cues.media {
        s[6] += 0.2;
    }
    INTENTS.get(argmax(&s)).copied().unwrap_or(Intent::Other)
}
