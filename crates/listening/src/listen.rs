//! The brand's listening as one: its queries and geofences read a post ([`Listening::hear`]),
//! then, once triage has read what was heard, the intrusion policies say whether a person is
//! shown it, and why ([`Listening::verdict`]). Nothing here ever answers anyone.

use crate::geofence::{Geofence, GeofenceSet, Hit};
use crate::matcher::{Context, Matcher, MatcherError, QuerySpec};
use crate::{Policy, safety};
use palabre_core::fold::fold;
use palabre_core::{FenceHit, Heard, Intent, Message, Reason};

/// What the brand listens to.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub queries: Vec<QuerySpec>,
    pub geofences: Vec<Geofence>,
    /// The brand's own hashtags, with or without `#` (`tagged` surfaces posts using them).
    pub hashtags: Vec<String>,
    /// The brand's handles (its channels'): a post naming one is tagged.
    pub handles: Vec<String>,
    /// Where surfaced posts wait for a person.
    pub queue: String,
    /// Drafts a person edits before sending, by what was read (`life_event`, `complaint`…).
    pub drafts: Vec<SuggestedDraft>,
}

/// A reply suggested to the person who steps in on a heard post of this kind, in French and
/// English; `{author}` is the author's handle. Never sent without a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuggestedDraft {
    /// `life_event`, `ugc_share`, `complaint` or `support_request`.
    pub reason: Reason,
    pub fr: String,
    pub en: String,
}

/// The reasons a suggested draft may be written for.
pub const DRAFT_REASONS: [Reason; 4] = [
    Reason::LifeEvent,
    Reason::UgcShare,
    Reason::Complaint,
    Reason::SupportRequest,
];

/// Queries and geofences, ready to read posts.
#[derive(Debug)]
pub struct Listening {
    matcher: Matcher,
    fences: GeofenceSet,
    /// Folded, without `#`.
    hashtags: Vec<String>,
    /// Folded, without `@`.
    handles: Vec<String>,
    pub queue: String,
    drafts: Vec<SuggestedDraft>,
}

/// Why listening cannot start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ListeningError {
    #[error(transparent)]
    Queries(#[from] MatcherError),
    #[error(transparent)]
    Geofences(#[from] crate::geofence::GeofenceError),
}

/// What listening heard in a post: the queries it matched, the geofences it is inside.
#[derive(Debug, Clone, PartialEq)]
pub struct Hearing {
    pub queries: Vec<usize>,
    pub fences: Vec<Hit>,
}

/// What a person is shown of a post listening heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Shown in the listening queue, with these reasons (`listening` first).
    Surface(Vec<Reason>),
    /// Counted only.
    Observe,
}

/// What triage read in a heard post, as the policies need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub intent: Option<Intent>,
}

impl Listening {
    pub fn new(settings: Settings) -> Result<Listening, ListeningError> {
        let fences = GeofenceSet::new(settings.geofences)?;
        let names: Vec<&str> = (0..fences.len())
            .map(|i| fences.get(i).name.as_str())
            .collect();
        let matcher = Matcher::compile(&settings.queries, &names)?;
        let strip = |raw: &str, mark: char| fold(raw.trim().trim_start_matches(mark));
        Ok(Listening {
            matcher,
            fences,
            hashtags: settings.hashtags.iter().map(|h| strip(h, '#')).collect(),
            handles: settings.handles.iter().map(|h| strip(h, '@')).collect(),
            queue: settings.queue,
            drafts: settings.drafts,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.matcher.is_empty() && self.fences.is_empty()
    }

    /// What the queries and geofences hear in `message` (`lang`: its language, asked only by a
    /// query with `lang:`), or `None`.
    pub fn hear(&self, message: &Message, lang: &dyn Fn() -> Option<String>) -> Option<Hearing> {
        let fences = if self.fences.is_empty() {
            Vec::new()
        } else {
            self.fences
                .locate(message.entities.geo, message.entities.place)
        };
        let inside: Vec<&str> = fences
            .iter()
            .map(|h| self.fences.get(h.index).name.as_str())
            .collect();
        let queries = self.matcher.matches(
            message,
            &Context {
                inside: &inside,
                lang,
            },
        );
        (!queries.is_empty() || !fences.is_empty()).then_some(Hearing { queries, fences })
    }

    /// The replay contract's `listening` object.
    pub fn heard(&self, hearing: &Hearing) -> Heard {
        Heard {
            queries: hearing
                .queries
                .iter()
                .map(|&q| self.matcher.name(q).to_owned())
                .collect(),
            geofence: hearing.fences.first().map(|h| FenceHit {
                name: self.fences.get(h.index).name.clone(),
                distance_m: h.distance_m.round().max(0.0) as u64,
            }),
        }
    }

    /// Whether a person is shown the heard `message`, by the policies of what heard it.
    pub fn verdict(&self, hearing: &Hearing, message: &Message, reading: Reading) -> Verdict {
        let folded = fold(&message.text);
        let safety = safety::at_stake_folded(&folded);
        let intent_reason = match reading.intent {
            Some(Intent::LifeEvent) => Some(Reason::LifeEvent),
            Some(Intent::UgcShare) => Some(Reason::UgcShare),
            Some(Intent::Complaint) => Some(Reason::Complaint),
            Some(Intent::SupportRequest) => Some(Reason::SupportRequest),
            _ => None,
        };
        let actionable = safety || intent_reason.is_some();
        // Read only when a `tagged` query or geofence asks.
        let tagged = std::cell::OnceCell::new();
        let lets_through = |policy: Policy| match policy {
            Policy::All => true,
            Policy::Actionable => actionable,
            Policy::Tagged => *tagged.get_or_init(|| self.tagged(message, &folded)),
            Policy::Observe => false,
        };
        let by_query = hearing
            .queries
            .iter()
            .any(|&q| lets_through(self.matcher.policy(q)));
        let by_fence = hearing
            .fences
            .iter()
            .any(|h| lets_through(self.fences.get(h.index).policy));
        // Someone's safety comes first, whatever the policies, unless everything that heard it
        // only observes.
        let watched = hearing
            .queries
            .iter()
            .any(|&q| self.matcher.policy(q) != Policy::Observe)
            || hearing
                .fences
                .iter()
                .any(|h| self.fences.get(h.index).policy != Policy::Observe);
        if !(by_query || by_fence || (safety && watched)) {
            return Verdict::Observe;
        }
        let mut reasons = vec![Reason::Listening];
        if !hearing.fences.is_empty() {
            reasons.push(Reason::Geofence);
        }
        if safety {
            reasons.push(Reason::Safety);
        }
        reasons.extend(intent_reason);
        Verdict::Surface(reasons)
    }

    /// The draft suggested for a surfaced post (`reasons` its verdict's), in its language
    /// (`french`), or none: never for someone's safety, which a person handles from scratch.
    pub fn draft(&self, reasons: &[Reason], message: &Message, french: bool) -> Option<String> {
        if reasons.contains(&Reason::Safety) {
            return None;
        }
        let draft = self.drafts.iter().find(|d| reasons.contains(&d.reason))?;
        let text = if french { &draft.fr } else { &draft.en };
        let author = message
            .author
            .handle
            .as_deref()
            .map(|h| format!("@{}", h.trim_start_matches('@')))
            .unwrap_or_default();
        Some(text.replace("{author}", &author).trim().to_owned())
    }

    /// The post names the brand: one of its handles (as `@handle` or `#handle`) or its
    /// hashtags.
    fn tagged(&self, message: &Message, folded: &str) -> bool {
        let brand_tag = |tag: &str| {
            self.hashtags.iter().any(|h| h == tag) || self.handles.iter().any(|h| h == tag)
        };
        let handles = message
            .entities
            .mentions
            .iter()
            .any(|m| self.handles.contains(&fold(&m.handle)));
        let tags = message
            .entities
            .hashtags
            .iter()
            .any(|h| brand_tag(&fold(h)));
        let written = crate::matcher::marked(folded, '#').any(brand_tag)
            || crate::matcher::marked(folded, '@').any(|h| self.handles.iter().any(|b| b == h));
        handles || tags || written
    }
}
