//! The campaign file as written (TOML), before validation: see docs/campaigns.md.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    pub id: Spanned<String>,
    pub name: String,
    pub channels: Spanned<Vec<Spanned<String>>>,
    pub mode: ModeName,
    pub sample_one_in: Option<Spanned<u32>>,
    pub window: Spanned<String>,
    /// An answer waiting in the outbox longer than this is not sent (`30m`).
    pub stale_after: Option<Spanned<String>>,
    /// What it becomes then: `draft` (default) or `drop`.
    pub when_stale: Option<Spanned<WhenStaleName>>,
    #[serde(default)]
    pub default_lang: Option<LangName>,
    pub trigger: Spanned<TriggerSpec>,
    #[serde(default)]
    pub extract: Vec<Spanned<ExtractSpec>>,
    pub table: Option<Spanned<TableSpec>>,
    /// A lookup campaign's answer and help; an FAQ campaign has neither (each entry carries
    /// its answer).
    pub reply: Option<Spanned<ReplySpec>>,
    pub help: Option<Spanned<HelpSpec>>,
    pub faq: Option<Spanned<FaqSpec>>,
    /// How the answer to the bot's question is awaited in the conversation.
    pub follow_up: Option<Spanned<FollowUpSpec>>,
}

/// `[follow_up]`: after a help or a question, the person's next message in the conversation
/// is read as the answer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpSpec {
    /// How long the answer is awaited (`30m`, the default; `0`: not at all).
    pub window: Option<Spanned<String>>,
    /// How many more questions the bot may ask when the answer is still not enough (default 1).
    pub questions: Option<Spanned<u8>>,
}

/// `[faq]`: questions answered the same way every time, matched by meaning.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaqSpec {
    pub answer_at: Option<Spanned<f32>>,
    pub suggest_at: Option<Spanned<f32>>,
    pub entries: Spanned<Vec<Spanned<FaqEntrySpec>>>,
}

/// `[[faq.entries]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaqEntrySpec {
    pub id: Spanned<String>,
    pub questions: Spanned<Vec<Spanned<String>>>,
    pub link: Option<String>,
    pub fr: Option<Spanned<String>>,
    pub en: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeName {
    Draft,
    Auto,
    Sample,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenStaleName {
    Draft,
    Drop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LangName {
    Fr,
    En,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerSpec {
    #[serde(default)]
    pub hashtags: Vec<Spanned<String>>,
    #[serde(default)]
    pub keywords: Vec<Spanned<String>>,
    /// Any mention of (or reply to) the channel is a request.
    #[serde(default)]
    pub mention: bool,
    /// Any direct message to the channel is a request.
    #[serde(default)]
    pub direct: bool,
    /// Keywords count only in messages addressed to the channel (mention, reply, DM).
    #[serde(default = "yes")]
    pub keywords_need_address: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KindName {
    PostalCode,
    Airport,
    Date,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtractSpec {
    pub name: Spanned<String>,
    pub kind: KindName,
    #[serde(default = "yes")]
    pub required: bool,
    /// postal_code: the table column holding names that may be written instead of the code.
    pub by_name: Option<Spanned<String>>,
    /// airport: CSV file of `name,iata` rows (names and aliases mapped to codes).
    pub airports: Option<Spanned<String>>,
    /// date: the year assumed when the message gives none.
    pub default_year: Option<Spanned<i32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    pub file: Spanned<String>,
    pub key: Spanned<Vec<String>>,
    /// Columns that must be present (besides the key and those the templates use).
    #[serde(default)]
    pub columns: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplySpec {
    pub link: Option<Spanned<String>>,
    pub fr: Option<Spanned<Vec<Spanned<String>>>>,
    pub en: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelpSpec {
    /// A request that must extract (and be found in the table): checked at load.
    pub example: Spanned<String>,
    pub fr: Option<Spanned<String>>,
    pub en: Option<Spanned<String>>,
    /// The question when a request's places disagree or a name is shared (`choices`).
    pub ask_fr: Option<Spanned<String>>,
    pub ask_en: Option<Spanned<String>>,
    /// The question asked again when the answer to the help still holds nothing found.
    pub again_fr: Option<Spanned<String>>,
    pub again_en: Option<Spanned<String>>,
}
