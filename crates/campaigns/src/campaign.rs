//! A validated campaign: who it speaks for, when it answers, and what the guardrails need
//! (id, mode, window).

use crate::extract::Field;
use crate::faq::Faq;
use crate::table::{Table, TableShape};
use palabre_core::{Author, Channel, Lang, Message, MessageKind, Platform};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// What becomes of an answer that waited in the outbox (a rate limit, the brand's pace) past
/// the campaign's `stale_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stale {
    pub after: Duration,
    pub then: WhenStale,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenStale {
    /// Not sent: a draft for a person to approve, or not, in its conversation.
    Draft,
    /// Not sent, and nobody is asked: the outbox keeps why.
    Drop,
}

impl WhenStale {
    pub fn as_str(self) -> &'static str {
        match self {
            WhenStale::Draft => "draft",
            WhenStale::Drop => "drop",
        }
    }
}

/// How the pipeline should act on a campaign's replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Every reply waits for a human's approval.
    Draft,
    /// Replies are sent.
    Auto,
    /// Replies are sent, and one in `one_in` is also put in front of a human for review.
    Sample { one_in: u32 },
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Draft => "draft",
            Mode::Auto => "auto",
            Mode::Sample { .. } => "sample",
        }
    }
}

/// A channel the campaign speaks for: a full `PLATFORM:ID:HANDLE` account, or a bare handle
/// that counts on every platform.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChannelSpec {
    Account(Channel),
    Handle(String),
}

impl ChannelSpec {
    /// Does the campaign speak on this platform through this channel?
    pub fn serves(&self, platform: Platform) -> bool {
        match self {
            ChannelSpec::Account(c) => c.platform == platform,
            ChannelSpec::Handle(_) => true,
        }
    }

    /// Does this handle (as written in a mention) name the channel?
    pub fn is_handle(&self, handle: &str) -> bool {
        match self {
            ChannelSpec::Account(c) => c.is_handle(handle),
            ChannelSpec::Handle(h) => handle.trim_start_matches('@').eq_ignore_ascii_case(h),
        }
    }

    /// Is `account` (an id or a handle) this channel?
    pub fn is_account(&self, account: &str) -> bool {
        match self {
            ChannelSpec::Account(c) => c.id.as_str() == account || c.is_handle(account),
            ChannelSpec::Handle(h) => account.trim_start_matches('@').eq_ignore_ascii_case(h),
        }
    }

    /// Did this channel write it?
    pub fn is_author(&self, author: &Author) -> bool {
        self.is_account(&author.id) || author.handle.as_deref().is_some_and(|h| self.is_handle(h))
    }

    /// Is the message a mention of the channel, or a reply to it?
    pub fn is_mentioned_in(&self, m: &Message) -> bool {
        m.entities.mentions.iter().any(|x| {
            self.is_handle(&x.handle) || x.id.as_deref().is_some_and(|id| self.is_account(id))
        }) || m
            .in_reply_to_author
            .as_deref()
            .is_some_and(|a| self.is_account(a))
    }

    /// Is the message a direct message to the channel?
    pub fn is_direct_to(&self, m: &Message) -> bool {
        m.kind == MessageKind::Direct && m.recipient.as_deref().is_none_or(|r| self.is_account(r))
    }
}

impl std::fmt::Display for ChannelSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChannelSpec::Account(c) => write!(f, "{c}"),
            ChannelSpec::Handle(h) => write!(f, "{h}"),
        }
    }
}

/// When a message is a request for the campaign.
#[derive(Debug, Clone, Default)]
pub struct TriggerRules {
    /// Without `#`, as written in the file.
    pub hashtags: Vec<String>,
    pub keywords: Vec<String>,
    /// Any mention of (or reply to) the channel is a request.
    pub mention: bool,
    /// Any direct message to the channel is a request.
    pub direct: bool,
    /// Keywords count only in messages addressed to the channel.
    pub keywords_need_address: bool,
}

/// The compiled templates' names in the campaign set's renderer.
#[derive(Debug, Clone, Default)]
pub(crate) struct TemplateNames {
    pub reply_fr: Vec<String>,
    pub reply_en: Vec<String>,
    pub help_fr: Option<String>,
    pub help_en: Option<String>,
    /// The question asked when a request names places that disagree or a name shared by
    /// several places (the campaign's `help.ask_fr`/`ask_en`, or the built-in one).
    pub ask_fr: Option<String>,
    pub ask_en: Option<String>,
    /// The question asked again when an answer to the help was still not enough (the
    /// campaign's `help.again_fr`/`again_en`, or the built-in one).
    pub again_fr: Option<String>,
    pub again_en: Option<String>,
    pub link: Option<String>,
}

/// The lookup table of a campaign, swapped whole on reload.
#[derive(Debug)]
pub(crate) struct TableSlot {
    pub path: PathBuf,
    pub shape: TableShape,
    pub current: RwLock<Arc<Table>>,
}

impl TableSlot {
    pub fn get(&self) -> Arc<Table> {
        match self.current.read() {
            Ok(t) => Arc::clone(&t),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub fn set(&self, table: Arc<Table>) {
        match self.current.write() {
            Ok(mut t) => *t = table,
            Err(poisoned) => *poisoned.into_inner() = table,
        }
    }
}

/// A loaded, validated campaign.
#[derive(Debug)]
pub struct Campaign {
    /// Stable id, used in reasons, reports and one-answer-per-key memory.
    pub id: String,
    pub name: String,
    /// The file it was loaded from.
    pub file: PathBuf,
    pub channels: Vec<ChannelSpec>,
    pub mode: Mode,
    /// One answer per (author, key) within this window.
    pub window: Duration,
    /// Past this wait in the outbox an answer is no longer sent (None: sent however late).
    pub stale: Option<Stale>,
    /// The language of replies when the message's is neither French nor English.
    pub default_lang: Lang,
    pub trigger: TriggerRules,
    pub fields: Vec<Field>,
    /// The help example (`#MonRésultat 69003`), checked at load to extract and be found.
    pub example: String,
    pub(crate) table: Option<TableSlot>,
    pub(crate) templates: TemplateNames,
    /// An FAQ campaign's entries (then there are no fields, table or reply templates).
    pub faq: Option<Faq>,
    /// How the answer to a help or a question is awaited.
    pub follow_up: FollowUp,
}

/// How long the person's answer to the bot's question is awaited, and how many more
/// questions the bot may ask before a person takes the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowUp {
    /// `None`: the next message is not read against the question.
    pub window: Option<Duration>,
    /// Questions the bot may ask after the first help (default 1).
    pub questions: u8,
}

impl Default for FollowUp {
    fn default() -> Self {
        FollowUp {
            window: Some(Duration::from_secs(30 * 60)),
            questions: 1,
        }
    }
}

impl Campaign {
    /// The table as it is now (a reload swaps it).
    pub fn table(&self) -> Option<Arc<Table>> {
        self.table.as_ref().map(TableSlot::get)
    }

    /// The languages the campaign answers in.
    pub fn langs(&self) -> Vec<Lang> {
        let mut out = Vec::new();
        let (fr, en) = match &self.faq {
            Some(faq) => (
                faq.entries.iter().any(|e| e.template_fr.is_some()),
                faq.entries.iter().any(|e| e.template_en.is_some()),
            ),
            None => (
                !self.templates.reply_fr.is_empty(),
                !self.templates.reply_en.is_empty(),
            ),
        };
        if fr {
            out.push(Lang::Fr);
        }
        if en {
            out.push(Lang::En);
        }
        out
    }

    /// The language to answer in.
    pub(crate) fn reply_lang(&self, lang: Lang) -> Lang {
        let has = |l: Lang| match l {
            Lang::Fr => !self.templates.reply_fr.is_empty(),
            Lang::En => !self.templates.reply_en.is_empty(),
            Lang::Other => false,
        };
        if has(lang) { lang } else { self.default_lang }
    }

    pub(crate) fn reply_templates(&self, lang: Lang) -> &[String] {
        match self.reply_lang(lang) {
            Lang::En => &self.templates.reply_en,
            _ => &self.templates.reply_fr,
        }
    }

    pub(crate) fn help_template(&self, lang: Lang) -> Option<&str> {
        self.in_lang(lang, &self.templates.help_fr, &self.templates.help_en)
    }

    pub(crate) fn ask_template(&self, lang: Lang) -> Option<&str> {
        self.in_lang(lang, &self.templates.ask_fr, &self.templates.ask_en)
    }

    pub(crate) fn again_template(&self, lang: Lang) -> Option<&str> {
        self.in_lang(lang, &self.templates.again_fr, &self.templates.again_en)
    }

    /// The template of the reply's language, else the other one.
    fn in_lang<'a>(
        &self,
        lang: Lang,
        fr: &'a Option<String>,
        en: &'a Option<String>,
    ) -> Option<&'a str> {
        let (first, second) = match self.reply_lang(lang) {
            Lang::En => (en, fr),
            _ => (fr, en),
        };
        first.as_deref().or(second.as_deref())
    }
}

/// Parses a window such as `90s`, `30m`, `6h`, `2d`; a window of zero is none.
pub fn parse_window(raw: &str) -> Option<Duration> {
    palabre_core::parse_duration(raw)
        .ok()
        .filter(|d| !d.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        assert_eq!(parse_window("6h"), Some(Duration::from_secs(6 * 3600)));
        assert_eq!(parse_window("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_window("2d"), Some(Duration::from_secs(172_800)));
        assert_eq!(parse_window("6x"), None);
        assert_eq!(parse_window("h"), None);
        assert_eq!(parse_window("0h"), None);
    }
}
