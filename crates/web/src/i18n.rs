//! The interface's words, in French and English. Templates read them as `t.KEY`.

use std::collections::BTreeMap;

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UiLang {
    Fr,
    En,
}

impl UiLang {
    pub fn code(self) -> &'static str {
        match self {
            UiLang::Fr => "fr",
            UiLang::En => "en",
        }
    }

    /// From `?lang=`, then a `palabre_lang` cookie, then `Accept-Language`; French otherwise
    /// (the first users are French).
    pub fn pick(query: Option<&str>, cookie: Option<&str>, accept: Option<&str>) -> UiLang {
        let parse = |s: &str| match s.get(..2) {
            Some("en") => Some(UiLang::En),
            Some("fr") => Some(UiLang::Fr),
            _ => None,
        };
        query
            .and_then(parse)
            .or_else(|| cookie.and_then(parse))
            .or_else(|| accept.and_then(|a| a.split(',').find_map(|part| parse(part.trim()))))
            .unwrap_or(UiLang::Fr)
    }
}

macro_rules! words {
    ($($key:ident => $en:literal, $fr:literal;)*) => {
        /// Every word of the interface, in one language.
        pub fn words(lang: UiLang) -> BTreeMap<&'static str, &'static str> {
            let mut m = BTreeMap::new();
            $( m.insert(stringify!($key), match lang { UiLang::En => $en, UiLang::Fr => $fr }); )*
            m
        }
        /// The keys, for the test that every template word exists.
        pub const KEYS: &[&str] = &[$(stringify!($key)),*];
    };
}

words! {
    app => "Palabre", "Palabre";
    sign_in => "Sign in", "Se connecter";
    sign_out => "Sign out", "Se déconnecter";
    user_name => "User name", "Identifiant";
    password => "Password", "Mot de passe";
    bad_login => "Wrong user name or password.", "Identifiant ou mot de passe incorrect.";
    inbox => "Inbox", "Boîte de réception";
    drafts => "Drafts to approve", "Brouillons à valider";
    moderation => "Moderation", "Modération";
    outbox => "Outbox", "Envois";
    dead_letters => "Failed sends", "Envois en échec";
    connector_reconnecting => "connection lost, reconnecting; messages may arrive late", "connexion perdue, reconnexion en cours ; les messages peuvent arriver en retard";
    connector_auth_failed => "the platform refused the access token: renew it in the configuration; replies wait", "la plateforme refuse le jeton d'accès : renouvelez-le dans la configuration ; les réponses attendent";
    connector_failing => "failing; retrying", "en échec ; nouvelle tentative en cours";
    connector_stopped => "stopped: check its configuration", "arrêté : vérifiez sa configuration";
    since => "since", "depuis";
    crisis_title => "A crisis may be under way", "Une crise est peut-être en cours";
    crisis_usual => "usually", "d'habitude";
    crisis_per => "in", "en";
    crisis_propose => "Pull the crisis brake: hold everything automated", "Serrer le frein de crise : tout l'automatique attend";
    crisis_brake_reason => "crisis suspected: people in distress", "crise suspectée : personnes en détresse";
    brake_button => "Crisis brake", "Frein de crise";
    brake_reason => "Why?", "Pourquoi ?";
    brake_engage => "Stop everything automated", "Arrêter tout l'automatique";
    brake_on_title => "Crisis brake on", "Frein de crise serré";
    brake_by => "by", "par";
    brake_only_on => "only on", "seulement sur";
    brake_where => "Where?", "Où ?";
    brake_held => "The bot sends nothing: its answers, helps and surveys wait for a person, and its sends waiting in the outbox are held. People can still reply.", "Le bot n'envoie rien : ses réponses, aides et enquêtes attendent une personne, et ses envois en attente sont retenus. Les personnes peuvent toujours répondre.";
    brake_release => "Release the brake", "Desserrer le frein";
    crisis_people => "people wrote in distress within minutes", "personnes ont écrit en détresse en quelques minutes";
    crisis_held => "Nothing automated goes out: the bot's replies wait in the drafts for a person. The alert ends after half an hour without distress.", "Rien d'automatique ne part : les réponses du bot attendent une personne dans les brouillons. L'alerte retombe après une demi-heure sans détresse.";
    publishing => "Publishing", "Publications";
    post_draft => "Draft", "Brouillon";
    post_submitted => "Waiting for approval", "En attente de validation";
    post_approved => "Approved, no time yet", "Validée, sans date";
    post_scheduled => "Scheduled", "Programmée";
    post_publishing => "Publishing", "En cours de publication";
    post_published => "Published", "Publiée";
    post_failed => "Failed", "Échec";
    post_held => "Held", "Retenue";
    post_rejected => "Rejected", "Refusée";
    post_cancelled => "Cancelled", "Annulée";
    post_by => "by", "par";
    post_approvals => "approvals", "validations";
    post_approvals_needed => "approval(s) needed", "validation(s) requise(s)";
    post_link => "see it", "la voir";
    post_note_crisis_brake => "held by the crisis brake", "retenue par le frein de crise";
    post_note_crisis_suspected => "held: a crisis may be under way", "retenue : une crise est peut-être en cours";
    post_submit => "Submit for approval", "Soumettre à validation";
    post_submit_now => "Submit for approval now", "Soumettre tout de suite à validation";
    post_approve => "Approve", "Valider";
    post_release => "Publish now", "Publier maintenant";
    post_release_all => "Publish every held post now", "Publier maintenant toutes les publications retenues";
    post_change => "Change", "Modifier";
    post_time => "Time", "Heure";
    post_text => "Text", "Texte";
    post_save => "Save", "Enregistrer";
    post_edit_hint => "A new text is approved again; a new time keeps the approval.", "Un nouveau texte est validé à nouveau ; une nouvelle heure garde la validation.";
    post_cancel => "Cancel the post", "Annuler la publication";
    post_images => "Images", "Images";
    heard_by => "Heard by listening", "Entendu par l'écoute";
    review_revised => "review edited by its author", "avis modifié par son auteur";
    review_revised_after => "review edited after your answer", "avis modifié après votre réponse";
    heard_queries => "queries", "requêtes";
    heard_inside => "inside", "dans la zone";
    heard_from_centre => "from its centre", "de son centre";
    post_add_image => "Add an image", "Ajouter une image";
    post_image_file => "Image (JPEG, PNG, GIF or WebP)", "Image (JPEG, PNG, GIF ou WebP)";
    post_image_alt => "Description for people who cannot see it", "Description pour les personnes qui ne la voient pas";
    post_image_alt_missing => "no description", "sans description";
    post_image_hint => "An image is a new version: the post is approved again. Each platform's limits are checked at once.", "Une image fait une nouvelle version : la publication est validée à nouveau. Les limites de chaque plateforme sont vérifiées tout de suite.";
    post_image_describe => "Describe", "Décrire";
    post_image_remove => "Remove image", "Retirer l'image";
    post_held_title => "Held posts", "Publications retenues";
    post_held_help => "They fell due while the brake was on or a crisis alert was raised. Nothing goes out on its own: publish each one, all of them, give one a new time, or cancel it.", "Leur heure est venue pendant que le frein était serré ou qu'une alerte de crise était levée. Rien ne part tout seul : publiez-les une par une ou toutes, donnez-leur une nouvelle heure, ou annulez-les.";
    post_new => "Write a post", "Écrire une publication";
    post_create => "Save the post", "Enregistrer la publication";
    every_channel_short => "All channels", "Tous les canaux";
    post_next_slot => "or the next free queue slot", "ou le prochain créneau libre";
    post_no_channel => "No channel where Palabre publishes (X, Mastodon, Bluesky) is configured: add one in [[channels]].", "Aucun canal où Palabre publie (X, Mastodon, Bluesky) n'est configuré : ajoutez-en un dans [[channels]].";
    post_none => "No post yet.", "Aucune publication pour l'instant.";
    post_undated => "Without a time", "Sans date";
    post_zone => "Times in", "Heures en";
    post_drag_hint => "Drag a post to another day to move it (its time of day stays), or use Change.", "Faites glisser une publication sur un autre jour pour la déplacer (l'heure reste la même), ou utilisez Modifier.";
    best_title => "When your audience is there", "Quand votre public est là";
    best_show => "Show", "Afficher";
    best_how => "Messages to the brand, replies and reposts of its posts by hour of the week, over the last", "Messages à la marque, réponses et partages de ses publications par heure de la semaine, sur les";
    best_weeks => "weeks", "dernières semaines";
    best_days => "days of history", "jours d'historique";
    best_interactions => "interactions", "interactions";
    best_in_the_last => "in the last", "sur les";
    best_typical => "the typical hour", "l'heure habituelle";
    best_use => "plan a post then", "programmer une publication à cette heure";
    best_too_little => "Too little history to say when your audience is there: at least 100 interactions over two weeks are needed", "Trop peu d'historique pour dire quand votre public est là : il faut au moins 100 interactions sur deux semaines";
    best_braked => "The crisis brake is on: no time is suggested until it is released.", "Le frein de crise est serré : aucune heure n'est proposée tant qu'il n'est pas desserré.";
    best_none_free => "No free hour of the coming week draws more than usual.", "Aucune heure libre de la semaine à venir n'attire plus que d'habitude.";
    weekday_long_0 => "Monday", "lundi";
    weekday_long_1 => "Tuesday", "mardi";
    weekday_long_2 => "Wednesday", "mercredi";
    weekday_long_3 => "Thursday", "jeudi";
    weekday_long_4 => "Friday", "vendredi";
    weekday_long_5 => "Saturday", "samedi";
    weekday_long_6 => "Sunday", "dimanche";
    previous => "Previous", "Précédent";
    next => "Next", "Suivant";
    today => "Today", "Aujourd'hui";
    week => "Week", "Semaine";
    month => "Month", "Mois";
    list => "List", "Liste";
    weekday_0 => "Mon", "lun.";
    weekday_1 => "Tue", "mar.";
    weekday_2 => "Wed", "mer.";
    weekday_3 => "Thu", "jeu.";
    weekday_4 => "Fri", "ven.";
    weekday_5 => "Sat", "sam.";
    weekday_6 => "Sun", "dim.";
    all => "All", "Tous";
    open => "Open", "Ouvert";
    pending => "Pending", "En attente";
    snoozed => "Snoozed", "Reporté";
    resolved => "Resolved", "Résolu";
    status => "Status", "Statut";
    queue => "Queue", "File";
    assignee => "Assignee", "Assigné à";
    team => "Team", "Équipe";
    nobody => "Nobody", "Personne";
    me => "Me", "Moi";
    platform => "Network", "Réseau";
    channel => "Channel", "Canal";
    channels => "Channels", "Canaux";
    addressed_to => "to", "à";
    every_channel => "empty: every channel", "vide : tous les canaux";
    team_scope_hint => "A team works on the conversations of its queues and, when it names channels, addressed to one of them (PLATFORM:ID). With channels and no queue: every queue of those channels.", "Une équipe traite les conversations de ses files et, si elle nomme des canaux, adressées à l'un d'eux (RÉSEAU:ID). Avec des canaux et sans file : toutes les files de ces canaux.";
    intent => "Intent", "Intention";
    sentiment => "Sentiment", "Sentiment";
    language => "Language", "Langue";
    emotion => "Emotion", "Émotion";
    author_kind => "Author", "Auteur";
    toxic_label => "insulting or abusive", "insultant ou abusif";
    codes => "Codes", "Codes";
    colon => ":", " :";
    has_draft => "Has a draft", "Avec brouillon";
    search => "Search", "Rechercher";
    filter => "Filter", "Filtrer";
    empty_inbox => "Nothing here. Well done.", "Rien ici. Bravo.";
    waiting => "waiting", "en attente depuis";
    late => "late", "en retard";
    priority_high => "urgent", "urgent";
    priority_medium => "attention", "attention";
    bot_paused => "Human in charge: the bot stays out", "Un humain a la main : le robot se tait";
    take_over => "Take over", "Prendre la main";
    release => "Give back to the bot", "Rendre la main au robot";
    reply => "Reply", "Répondre";
    send => "Send", "Envoyer";
    note => "Internal note", "Note interne";
    add_note => "Add note", "Ajouter la note";
    canned => "Canned response", "Réponse type";
    assign => "Assign", "Assigner";
    assign_me => "Assign to me", "M'assigner";
    resolve => "Resolve", "Résoudre";
    mark_pending => "Wait for the author", "Attendre l'auteur";
    snooze => "Snooze 1 h", "Reporter d'1 h";
    reopen => "Reopen", "Rouvrir";
    thread => "Thread", "Fil";
    why => "Why", "Pourquoi";
    triage => "Reading", "Lecture";
    author_history => "This author's other conversations", "Autres conversations de cet auteur";
    notes => "Notes", "Notes";
    sent_actions => "Sent and queued", "Envoyé et en file";
    approve => "Approve and send", "Valider et envoyer";
    edit_send => "Edit, then send", "Modifier puis envoyer";
    reject => "Reject", "Refuser";
    reject_reason => "Reason for rejecting", "Motif du refus";
    draft_label => "Bot draft", "Brouillon du robot";
    reviewed => "Reviewed", "Traité";
    hide => "Hide", "Masquer";
    unhide => "Show again", "Réafficher";
    delete => "Delete", "Supprimer";
    retry => "Retry", "Réessayer";
    also_here => "is also working on this conversation", "travaille aussi sur cette conversation";
    keyboard => "Keys: j/k move, Enter open, r reply, a assign to me, e resolve", "Touches : j/k se déplacer, Entrée ouvrir, r répondre, a m'assigner, e résoudre";
    campaign => "Campaign", "Campagne";
    faq_entry => "Answers the FAQ entry", "Répond à l'entrée de FAQ";
    reasons => "Reasons", "Motifs";
    outcome => "Outcome", "Décision";
    followers => "followers", "abonnés";
    verified => "verified", "certifié";
    error => "Error", "Erreur";
    back => "Back", "Retour";
    no_drafts => "No draft waits for approval.", "Aucun brouillon n'attend de validation.";
    no_moderation => "Nothing to moderate.", "Rien à modérer.";
    no_dead => "No failed send.", "Aucun envoi en échec.";
    waiting_to_send => "Waiting to be sent", "En attente d'envoi";
    waiting_help => "Held by a platform's rate limit or by the brand's pace, or being retried: they go out by themselves, oldest first.", "Retenus par la limite d'une plateforme ou par le rythme de la marque, ou en cours de nouvel essai : ils partent d'eux-mêmes, les plus anciens d'abord.";
    from_bot => "from the bot", "du bot";
    from_people => "from people", "de personnes";
    oldest_waits => "the oldest has waited", "le plus ancien attend depuis";
    next_try => "next try in", "prochain essai dans";
    nothing_waiting => "Nothing is waiting.", "Rien n'attend.";
    attempts => "attempts", "tentatives";
    live => "live", "en direct";
    bot => "bot", "robot";
    human => "human", "humain";
    review_report => "Reviews by campaign", "Relectures par campagne";
    verdict => "Verdict", "Décision";
    count => "Count", "Nombre";
    approved => "approved", "validé";
    rejected => "rejected", "refusé";
    accounts => "Accounts", "Comptes";
    users => "Users", "Utilisateurs";
    teams => "Teams", "Équipes";
    queues => "Queues", "Files";
    display_name => "Display name", "Nom affiché";
    role => "Role", "Rôle";
    disabled => "disabled", "désactivé";
    save => "Save", "Enregistrer";
    create_user => "Create a user", "Créer un utilisateur";
    create_team => "Create or redefine a team", "Créer ou redéfinir une équipe";
    reset_password => "New password", "Nouveau mot de passe";
    create_token => "New API token", "Nouveau jeton d'API";
    token_label => "Token label", "Libellé du jeton";
    comma_separated => "comma-separated", "séparées par des virgules";
    password_generated => "The password is generated and shown once.", "Le mot de passe est généré et affiché une seule fois.";
    new_password => "New password", "Nouveau mot de passe";
    new_token => "New API token", "Nouveau jeton d'API";
    shown_once => "Copy it now: it is shown only this once and cannot be found again.", "Copiez-le maintenant : il n'est affiché qu'une fois et ne pourra pas être retrouvé.";
    no_teams => "No team yet.", "Aucune équipe pour l'instant.";
    api_tokens => "API tokens", "Jetons d'API";
    token_id => "Id", "Identifiant";
    created => "Created", "Créé le";
    revoke => "Revoke", "Révoquer";
    no_tokens => "No API token.", "Aucun jeton d'API.";
    disable => "Disable", "Désactiver";
    enable => "Enable", "Réactiver";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_word_and_differ() {
        let (en, fr) = (words(UiLang::En), words(UiLang::Fr));
        assert_eq!(en.len(), KEYS.len());
        assert_eq!(fr.len(), KEYS.len());
        assert_ne!(en["inbox"], fr["inbox"]);
    }

    #[test]
    fn the_language_is_picked_in_order() {
        assert_eq!(UiLang::pick(Some("en"), Some("fr"), None), UiLang::En);
        assert_eq!(UiLang::pick(None, Some("en"), Some("fr-FR")), UiLang::En);
        assert_eq!(
            UiLang::pick(None, None, Some("de-DE, en-US;q=0.8")),
            UiLang::En
        );
        assert_eq!(UiLang::pick(None, None, None), UiLang::Fr);
    }
}
