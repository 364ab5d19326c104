//! Every decision in words, in French and English, from one catalogue: what was done (the
//! outcome), why (each reason as a clause), and what triage read (its labels by name).
//! Exhaustive matches: a reason or a label added without its words does not compile.

use crate::i18n::UiLang;
use palabre_core::{
    AuthorKind, Emotion, Intent, Lang, MessageKind, Outcome, Reason, SentimentLabel,
};
use palabre_store::workspace::Role;

/// What was done, as a person says it.
pub fn outcome(o: Outcome, lang: UiLang) -> &'static str {
    let (en, fr) = match o {
        Outcome::BotReplied => ("Answered automatically", "Réponse automatique envoyée"),
        Outcome::Drafted => (
            "Draft not sent, waiting for a person",
            "Brouillon non envoyé, en attente d'une personne",
        ),
        Outcome::RoutedToHuman => ("For a person", "Pour une personne"),
        Outcome::Hidden => ("Hidden from public view", "Masqué au public"),
        Outcome::Ignored => ("Left alone", "Laissé de côté"),
        Outcome::Invalid => ("Could not be read", "Illisible"),
    };
    pick(lang, en, fr)
}

/// Why, as a clause that follows the outcome ("Pour une personne : le message est en colère").
pub fn reason(r: Reason, lang: UiLang) -> &'static str {
    use Reason as R;
    let (en, fr) = match r {
        R::Mention => ("it mentions the brand", "le message mentionne la marque"),
        R::ReplyToChannel => ("it replies to the brand", "le message répond à la marque"),
        R::DirectMessage => (
            "a private message to the brand",
            "un message privé à la marque",
        ),
        R::Comment => (
            "a comment under the brand's post",
            "un commentaire sous une publication de la marque",
        ),
        R::Review => ("a review of the brand", "un avis sur la marque"),
        R::OrphanReply => (
            "it replies to a message Palabre never saw",
            "il répond à un message que Palabre n'a jamais vu",
        ),
        R::Duplicate => (
            "the same event came again",
            "le même événement est arrivé de nouveau",
        ),
        R::IdConflict => (
            "a known id came back with other content; the first version stands",
            "un identifiant connu est revenu avec un autre contenu ; la première version reste",
        ),
        R::OwnMessage => ("written by the brand", "écrit par la marque"),
        R::EchoOfOwnPost => (
            "a repost or quote of the brand's own post",
            "un partage ou une citation d'une publication de la marque",
        ),
        R::Repost => (
            "a repost of someone else's post",
            "le partage d'une publication de quelqu'un d'autre",
        ),
        R::RepeatedRequest => (
            "the same person already asked the same thing; it joins that conversation",
            "la même personne a déjà demandé la même chose ; le message rejoint cette conversation",
        ),
        R::NotAddressed => ("not addressed to the brand", "pas adressé à la marque"),
        R::Empty => ("no text and no attachment", "ni texte ni pièce jointe"),
        R::NotAMessage => (
            "not a message (a like, a follow, a deletion…)",
            "pas un message (un j'aime, un abonnement, une suppression…)",
        ),
        R::ParseError => (
            "the platform's data could not be read",
            "les données de la plateforme sont illisibles",
        ),
        R::UnknownShape => (
            "no known platform format",
            "aucun format de plateforme connu",
        ),
        R::InvalidUtf8 => (
            "the bytes are not text (UTF-8)",
            "les octets ne sont pas du texte (UTF-8)",
        ),
        R::TextTooLong => (
            "the text is longer than Palabre accepts",
            "le texte dépasse la longueur acceptée",
        ),
        R::LineTooLong => (
            "the line is longer than Palabre reads",
            "la ligne dépasse la longueur lue",
        ),
        R::CampaignAnswer => ("a campaign's answer", "la réponse d'une campagne"),
        R::MalformedRequest => (
            "the request could not be read, even repaired",
            "la demande est illisible, même corrigée",
        ),
        R::HelpAlreadySent => (
            "this person already got the help message",
            "cette personne a déjà reçu le message d'aide",
        ),
        R::AlreadyAnswered => (
            "this person already got this answer",
            "cette personne a déjà reçu cette réponse",
        ),
        R::AuthorCap => (
            "this person got the most automated replies allowed",
            "cette personne a reçu le maximum de réponses automatiques",
        ),
        R::ConversationCap => (
            "the conversation got the most automated replies allowed",
            "la conversation a reçu le maximum de réponses automatiques",
        ),
        R::SameTextTwice => (
            "the same text was already sent to this person",
            "le même texte a déjà été envoyé à cette personne",
        ),
        R::OrganisationAuthor => (
            "the author is an organisation",
            "l'auteur est une organisation",
        ),
        R::Negative => ("the message is negative", "le message est négatif"),
        R::Anger => ("the message is angry", "le message est en colère"),
        R::Toxic => ("insulting or abusive", "insultant ou abusif"),
        R::CrisisBrake => (
            "the crisis brake is on: all automation stopped",
            "le frein de crise est serré : toute automatisation est arrêtée",
        ),
        R::RateLimited => (
            "the answer waited past its time limit at the platform's pace",
            "la réponse a attendu au-delà de son délai, au rythme de la plateforme",
        ),
        R::DraftMode => (
            "the campaign drafts everything for approval",
            "la campagne fait valider toutes ses réponses",
        ),
        R::SampledForReview => (
            "sent, and picked for a person to review",
            "envoyée, et choisie pour relecture",
        ),
        R::TemplateFailed => (
            "the answer's template failed on this message",
            "le modèle de réponse a échoué sur ce message",
        ),
        R::UnclearIntent => (
            "the request can be read several ways",
            "la demande peut se lire de plusieurs façons",
        ),
        R::HumanTakeover => (
            "a person took the conversation over",
            "une personne a repris la conversation",
        ),
        R::Spam => (
            "bait hijacking the brand's hashtag (spam)",
            "un appât qui détourne le mot-dièse de la marque (spam)",
        ),
        R::Promotion => (
            "marketing using the brand's hashtag",
            "de la publicité qui utilise le mot-dièse de la marque",
        ),
        R::UnsureMatch => (
            "the FAQ answer may not be the one asked for",
            "la réponse de FAQ n'est peut-être pas celle demandée",
        ),
        R::Survey => (
            "the customer said the problem is solved: the satisfaction survey",
            "le client a dit que le problème est réglé : l'enquête de satisfaction",
        ),
        R::FollowUp => (
            "the answer to the bot's question in this conversation",
            "la réponse à la question du bot dans cette conversation",
        ),
        R::QuestionsExhausted => (
            "still incomplete after the questions the campaign allows: a person takes over",
            "toujours incomplet après les questions que la campagne permet : une personne prend la suite",
        ),
        R::CrisisSuspected => (
            "a crisis may be under way: the bot's reply waits for a person",
            "une crise est peut-être en cours : la réponse du bot attend une personne",
        ),
        R::InvalidChoice => (
            "a button that names none of the choices offered",
            "un bouton qui ne correspond à aucun des choix proposés",
        ),
        R::Listening => (
            "heard by listening: not addressed to the brand, step in with tact or not at all",
            "entendu par l'écoute : pas adressé à la marque, intervenir avec tact ou pas du tout",
        ),
        R::Geofence => (
            "posted inside one of the brand's places",
            "publié dans l'un des lieux de la marque",
        ),
        R::LifeEvent => (
            "a life event (birthday, wedding, birth…)",
            "un événement de vie (anniversaire, mariage, naissance…)",
        ),
        R::UgcShare => (
            "the author's own photo or video: ask before reusing it",
            "une photo ou une vidéo de l'auteur : demandez avant de la réutiliser",
        ),
        R::Complaint => ("a complaint", "une réclamation"),
        R::SupportRequest => ("a request for help", "une demande d'aide"),
        R::Safety => (
            "someone's safety may be at stake: urgent",
            "la sécurité de quelqu'un est peut-être en jeu : urgent",
        ),
        R::ReviewRevised => (
            "the author edited their review: compare it with the first version",
            "l'auteur a modifié son avis : comparez avec la première version",
        ),
        R::Observed => (
            "heard by listening and counted, not shown one by one",
            "entendu par l'écoute et compté, sans être montré un par un",
        ),
    };
    pick(lang, en, fr)
}

fn sentiment(s: SentimentLabel, lang: UiLang) -> &'static str {
    let (en, fr) = match s {
        SentimentLabel::Positive => ("positive", "positif"),
        SentimentLabel::Negative => ("negative", "négatif"),
        SentimentLabel::Neutral => ("neutral", "neutre"),
    };
    pick(lang, en, fr)
}

fn emotion(e: Emotion, lang: UiLang) -> &'static str {
    let (en, fr) = match e {
        Emotion::Anger => ("anger", "colère"),
        Emotion::Joy => ("joy", "joie"),
        Emotion::Sadness => ("sadness", "tristesse"),
        Emotion::Fear => ("fear", "peur"),
        Emotion::None => ("none", "aucune"),
    };
    pick(lang, en, fr)
}

fn intent(i: Intent, lang: UiLang) -> &'static str {
    let (en, fr) = match i {
        Intent::SupportRequest => ("request for help", "demande d'aide"),
        Intent::Complaint => ("complaint", "réclamation"),
        Intent::Question => ("question", "question"),
        Intent::Praise => ("praise", "compliment"),
        Intent::Promotion => ("marketing", "publicité"),
        Intent::LifeEvent => ("life event", "événement de vie"),
        Intent::UgcShare => ("shared content", "contenu partagé"),
        Intent::Other => ("other", "autre"),
    };
    pick(lang, en, fr)
}

fn author_kind(a: AuthorKind, lang: UiLang) -> &'static str {
    let (en, fr) = match a {
        AuthorKind::Person => ("a person", "une personne"),
        AuthorKind::Organisation => ("an organisation", "une organisation"),
    };
    pick(lang, en, fr)
}

fn language(l: Lang, lang: UiLang) -> &'static str {
    let (en, fr) = match l {
        Lang::Fr => ("French", "français"),
        Lang::En => ("English", "anglais"),
        Lang::Other => ("another language", "autre langue"),
    };
    pick(lang, en, fr)
}

fn message_kind(k: MessageKind, lang: UiLang) -> &'static str {
    let (en, fr) = match k {
        MessageKind::Post => ("post", "publication"),
        MessageKind::Reply => ("reply", "réponse"),
        MessageKind::Repost => ("repost", "partage"),
        MessageKind::Quote => ("quote", "citation"),
        MessageKind::Direct => ("private message", "message privé"),
        MessageKind::Comment => ("comment", "commentaire"),
        MessageKind::Review => ("review", "avis"),
    };
    pick(lang, en, fr)
}

fn role(r: Role, lang: UiLang) -> &'static str {
    let (en, fr) = match r {
        Role::Agent => ("agent", "agent"),
        Role::Manager => ("manager", "responsable"),
        Role::Admin => ("administrator", "administrateur"),
    };
    pick(lang, en, fr)
}

fn pick(lang: UiLang, en: &'static str, fr: &'static str) -> &'static str {
    match lang {
        UiLang::En => en,
        UiLang::Fr => fr,
    }
}

/// The words for a stored code of a given kind (`outcome`, `reason`, `sentiment`, `emotion`,
/// `intent`, `author_kind`, `lang`, `kind` of message, `role`) in `lang` (`fr`, `en`); the code itself when it is unknown
/// (a code stored by a newer version). Templates call it as the `say` filter:
/// `{{ r | say("reason", lang) }}`.
pub fn say(code: &str, kind: &str, lang: &str) -> String {
    let lang = if lang == "en" { UiLang::En } else { UiLang::Fr };
    /// A triage label from its stable (serde) code.
    fn label<T: serde::de::DeserializeOwned>(code: &str) -> Option<T> {
        serde_json::from_value(serde_json::Value::from(code)).ok()
    }
    let words = match kind {
        "outcome" => Outcome::parse(code).map(|o| outcome(o, lang)),
        "reason" => Reason::parse(code).map(|r| reason(r, lang)),
        "sentiment" => label(code).map(|s| sentiment(s, lang)),
        "emotion" => label(code).map(|e| emotion(e, lang)),
        "intent" => label(code).map(|i| intent(i, lang)),
        "author_kind" => label(code).map(|a| author_kind(a, lang)),
        "lang" => label(code).map(|l| language(l, lang)),
        "kind" => label(code).map(|k| message_kind(k, lang)),
        "role" => Role::parse(code).map(|r| role(r, lang)),
        _ => None,
    };
    words.map_or_else(|| code.to_owned(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_and_reason_has_words_in_both_languages() {
        for o in Outcome::ALL {
            let (fr, en) = (
                say(o.as_str(), "outcome", "fr"),
                say(o.as_str(), "outcome", "en"),
            );
            assert!(fr != o.as_str() && en != o.as_str() && fr != en, "{o}");
        }
        for r in Reason::ALL {
            let (fr, en) = (
                say(r.as_str(), "reason", "fr"),
                say(r.as_str(), "reason", "en"),
            );
            assert!(fr != r.as_str() && en != r.as_str(), "{r}");
            assert_ne!(fr, en, "{r}: the French words are the English ones");
        }
    }

    #[test]
    fn labels_by_their_stored_codes() {
        assert_eq!(say("complaint", "intent", "fr"), "réclamation");
        assert_eq!(say("support_request", "intent", "en"), "request for help");
        assert_eq!(say("negative", "sentiment", "fr"), "négatif");
        assert_eq!(say("anger", "emotion", "fr"), "colère");
        assert_eq!(say("organisation", "author_kind", "fr"), "une organisation");
        assert_eq!(say("other", "lang", "en"), "another language");
        assert_eq!(say("direct", "kind", "fr"), "message privé");
        assert_eq!(say("manager", "role", "fr"), "responsable");
        assert_eq!(
            say("organisation_author", "reason", "fr"),
            "l'auteur est une organisation"
        );
        // A code this version does not know is shown as it is.
        assert_eq!(say("from_the_future", "reason", "fr"), "from_the_future");
    }
}
