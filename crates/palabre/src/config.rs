//! The configuration file (`palabre.toml`): channels, store, pipeline windows. Every error
//! names the file, the line and the field.

use palabre_core::Channel;
use palabre_pipeline::Policy;
use palabre_pipeline::policy::{
    DEFAULT_REPEAT_WINDOW_SECS, DEFAULT_REQUEST_WINDOW, DEFAULT_WINDOW,
};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Attempts before an outgoing action goes to the dead letters (`[server] outbox_attempts`).
pub const DEFAULT_OUTBOX_ATTEMPTS: u32 = 8;

/// The bot's pace in the outbox (`[guardrails] per_channel_per_minute`, `global_per_minute`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    pub per_channel_per_minute: u32,
    pub global_per_minute: u32,
}

#[cfg(test)]
impl Pace {
    /// No pace but the platforms' own (the tests).
    pub const NONE: Pace = Pace {
        per_channel_per_minute: 0,
        global_per_minute: 0,
    };
}

/// What the configuration file may hold. Unknown keys are refused (a typo is an error, not a
/// silently ignored setting).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The brand's own accounts.
    #[serde(default)]
    pub channels: Vec<ChannelConfig>,
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub pipeline: PipelineConfig,
    #[serde(default)]
    pub triage: TriageSection,
    #[serde(default)]
    pub campaigns: CampaignsSection,
    #[serde(default)]
    pub guardrails: GuardrailsSection,
    #[serde(default)]
    pub moderation: ModerationSection,
    #[serde(default)]
    pub crisis: CrisisSection,
    #[serde(default)]
    pub publishing: PublishingSection,
    /// What the brand watches beyond what is addressed to it (docs/listening.md).
    #[serde(default)]
    pub listening: crate::listening::ListeningSection,
    #[serde(default)]
    pub server: ServerSection,
    /// The brand's accounts on real platforms, read and sent for by their connectors.
    #[serde(default)]
    pub accounts: Vec<crate::live::accounts::AccountConfig>,
}

/// `[moderation]`: what is hidden from the brand's own posts.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModerationSection {
    /// Hide toxic comments and replies under our posts at once (default false).
    pub hide_toxic: Option<bool>,
    /// The queue hidden messages go to (default "moderation").
    pub queue: Option<String>,
}

/// `[crisis]`: when a burst of distress raises a crisis alert (docs/crisis.md).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrisisSection {
    /// Raise alerts (default true).
    pub detect: Option<bool>,
    /// The rolling window people in distress are counted in (default 10m).
    pub window: Option<String>,
    /// At least this many different people in the window (default 5).
    pub min_people: Option<u32>,
    /// At least this many times the brand's baseline of the last day (default 3).
    pub factor: Option<f64>,
    /// At least this share of the messages written in the window (default 0.1).
    pub min_share: Option<f64>,
    /// The alert ends after this long without distress (default 30m).
    pub quiet: Option<String>,
    /// When the alert is raised: `propose` the brake to managers (default) or pull it (`auto`).
    pub brake: Option<BrakeOnAlert>,
}

/// `[publishing]`: who approves the brand's scheduled posts (docs/publishing.md).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishingSection {
    /// Managers who must approve a post before it is scheduled (default 1, at most 5).
    pub approvals: Option<u32>,
    /// May a manager approve their own post (default false: another person must)?
    pub self_approval: Option<bool>,
    /// The time zone posts' times are written in unless they say another (default Europe/Paris).
    pub time_zone: Option<String>,
    /// Queue slots (`["tue 18:00", "thu 09:30"]`): a post given `at = "slot"` takes the next
    /// free one on its channel.
    #[serde(default)]
    pub slots: Vec<String>,
    /// The public address of this server (`https://palabre.example.com`): Instagram fetches a
    /// post's images from `MEDIA_URL/media/NAME`, served while the post is publishing.
    pub media_url: Option<String>,
}

impl PublishingSection {
    /// The rules the workspace applies, or what is wrong with them.
    pub fn rules(&self) -> Result<palabre_web::PublishingRules, String> {
        let approvals = self.approvals.unwrap_or(1);
        if !(1..=5).contains(&approvals) {
            return Err(format!(
                "[publishing] approvals must be between 1 and 5, got {approvals}"
            ));
        }
        let time_zone = self
            .time_zone
            .clone()
            .unwrap_or_else(|| palabre_web::PublishingRules::default().time_zone);
        palabre_core::post::zone(&time_zone).map_err(|e| format!("[publishing] time_zone: {e}"))?;
        let slots = self
            .slots
            .iter()
            .map(|s| palabre_core::post::QueueSlot::parse(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("[publishing] slots: {e}"))?;
        if let Some(url) = &self.media_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(format!(
                "[publishing] media_url `{url}` is not an http(s) address (such as https://palabre.example.com)"
            ));
        }
        Ok(palabre_web::PublishingRules {
            approvals: i64::from(approvals),
            self_approval: self.self_approval.unwrap_or(false),
            time_zone,
            slots,
            media_url: self.media_url.clone(),
        })
    }
}

/// `[crisis] brake`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrakeOnAlert {
    Propose,
    Auto,
}

/// `[server]`: `palabre serve` and `palabre demo`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// Address to listen on (default 127.0.0.1:8080); --listen overrides it.
    pub listen: Option<String>,
    /// Time to a first answer before a conversation is late (default 1h).
    pub first_response: Option<String>,
    /// Time to answer each new message of the author after that (default 4h).
    pub next_response: Option<String>,
    /// Attempts before an outgoing action goes to the dead letters (default 8).
    pub outbox_attempts: Option<u32>,
    /// Time for a request's headers to arrive, and for a kept-alive connection's next
    /// request (default 10s).
    pub header_timeout: Option<String>,
    /// Time for a request's whole body to arrive (default 30s).
    pub body_timeout: Option<String>,
    /// Connections open at once (default 8192); past it new ones are closed.
    pub max_connections: Option<usize>,
    /// Connections open at once from one client address (default 1024).
    pub max_connections_per_ip: Option<usize>,
    /// This process's name among those sharing the store (default: the host's name); two
    /// `serve` processes on one host sharing a store need different ones.
    pub node: Option<String>,
    /// Live streams (`/api/stream`, one per open inbox tab) one user may have (default 8).
    pub streams_per_user: Option<usize>,
    /// Canned responses offered in the reply box; `{author}` and `{agent}` are filled in.
    #[serde(default)]
    pub canned: Vec<CannedConfig>,
}

/// `[[server.canned]]`: a canned response.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedConfig {
    pub name: String,
    pub text: String,
}

/// `[campaigns]`: the campaign files to load (relative to the configuration file).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignsSection {
    #[serde(default)]
    pub files: Vec<PathBuf>,
}

/// `[guardrails]`: limits on automated replies, whatever the campaign.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardrailsSection {
    /// Automated replies one author may receive per `author_cap_window` (default 3 per 24h).
    pub author_cap: Option<u32>,
    pub author_cap_window: Option<String>,
    /// Automated replies one conversation may receive (default 2).
    pub conversation_cap: Option<u32>,
    /// Stops all automation (default false).
    pub crisis_brake: Option<bool>,
    /// Automated replies per minute per channel (default 300) and in all (default 1200):
    /// the outbox's pace for the bot; past it answers wait (0: no pace).
    pub per_channel_per_minute: Option<u32>,
    pub global_per_minute: Option<u32>,
    /// The queue sampled replies go to for review (default "review").
    pub review_queue: Option<String>,
}

/// `[triage]`: what triage should know about the brand's world.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageSection {
    /// Handles of media and brands, read as organisations whatever their profile says.
    #[serde(default)]
    pub known_organisations: Vec<String>,
    /// The language model reads the messages the fast reading is not sure of: `"on"` or
    /// `"off"` (the default). docs/triage.md, *The language model*.
    #[serde(default)]
    pub model: Option<ModelSwitch>,
    /// At most this many messages a second (of the events' time) are read by the model;
    /// 0: no limit. Default 5.
    #[serde(default)]
    pub model_per_second: Option<u32>,
    /// Where the model's weights are kept (fetched there the first time). Default
    /// `$XDG_CACHE_HOME/palabre/models`, or `~/.cache/palabre/models`.
    #[serde(default)]
    pub model_dir: Option<PathBuf>,
}

/// `[triage] model`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ModelSwitch {
    On,
    Off,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    pub platform: String,
    pub id: String,
    pub handle: String,
    /// The `[[accounts]]` entry that answers for this channel (its `name`). Needed only when a
    /// platform has several accounts; otherwise the platform's account answers.
    pub account: Option<String>,
    /// The satisfaction survey this channel sends when a support exchange ended well.
    pub survey: Option<SurveyConfig>,
}

/// `[channels.survey]`: a channel's satisfaction survey.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyConfig {
    /// The message in French and in English, each with `{link}` where the link goes.
    pub fr: String,
    pub en: String,
    /// The survey's address (http or https).
    pub link: String,
    /// A person gets at most one survey per period (default 30d).
    pub once_per: Option<String>,
}

/// Default of `[channels.survey] once_per`: 30 days.
const DEFAULT_SURVEY_PERIOD: &str = "30d";

impl SurveyConfig {
    /// The survey of `channel`, or what is wrong with it (a missing `{link}`, a link that is
    /// no web address, a period that is not a duration, a text over the platform's limit).
    fn to_survey(&self, channel: &Channel) -> Result<palabre_pipeline::survey::Survey, String> {
        let link = self.link.trim();
        let scheme_ok = link.starts_with("https://") || link.starts_with("http://");
        if !scheme_ok || link.chars().any(char::is_whitespace) {
            return Err(format!(
                "survey.link must be an http(s) address without spaces, got `{link}`"
            ));
        }
        let once_per = parse_duration(self.once_per.as_deref().unwrap_or(DEFAULT_SURVEY_PERIOD))
            .map_err(|e| format!("survey.once_per: {e}"))?;
        if once_per <= 0 {
            return Err("survey.once_per must be longer than 0s".into());
        }
        let survey = palabre_pipeline::survey::Survey {
            channel: channel.key(),
            fr: self.fr.trim().to_owned(),
            en: self.en.trim().to_owned(),
            link: link.to_owned(),
            once_per_secs: once_per,
        };
        let limit = palabre_campaigns::Limit::for_platform(channel.platform);
        for (field, template, lang) in [
            ("fr", &survey.fr, palabre_core::Lang::Fr),
            ("en", &survey.en, palabre_core::Lang::En),
        ] {
            if !template.contains("{link}") {
                return Err(format!(
                    "survey.{field} must say where the link goes with {{link}}"
                ));
            }
            let text = survey.render(lang);
            let length = limit.measure(&text);
            if length > limit.max {
                return Err(format!(
                    "survey.{field} is {length} long with its link, over {}'s limit of {} for one post",
                    channel.platform, limit.max
                ));
            }
        }
        Ok(survey)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// A SQLite file path or a `postgres://` URL.
    pub location: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// The queue messages routed to humans land in.
    #[serde(default = "default_queue")]
    pub queue: String,
    /// Events remembered per generation for dedupe and threading.
    #[serde(default = "default_window")]
    pub window: usize,
    /// Requests remembered per generation for repeat detection.
    #[serde(default = "default_request_window")]
    pub request_window: usize,
    /// How long the same request from the same author counts as a repeat (`24h`, `90m`, `3600s`).
    #[serde(default = "default_repeat_window")]
    pub repeat_window: String,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            queue: default_queue(),
            window: default_window(),
            request_window: default_request_window(),
            repeat_window: default_repeat_window(),
        }
    }
}

fn default_queue() -> String {
    "inbox".to_owned()
}
fn default_window() -> usize {
    DEFAULT_WINDOW
}
fn default_request_window() -> usize {
    DEFAULT_REQUEST_WINDOW
}
fn default_repeat_window() -> String {
    format!("{}h", DEFAULT_REPEAT_WINDOW_SECS / 3600)
}

/// A configuration problem, said so that the user can fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses configuration text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        let config: Config = toml::from_str(text).map_err(|e| invalid(located(text, &e)))?;
        for (i, c) in config.channels.iter().enumerate() {
            let channel = c.to_channel().map_err(|e| {
                invalid(format!("channels[{i}] ({}:{}): {e}", c.platform, c.handle))
            })?;
            if let Some(survey) = &c.survey {
                survey.to_survey(&channel).map_err(|e| {
                    invalid(format!("channels[{i}] ({}:{}): {e}", c.platform, c.handle))
                })?;
            }
            if let Some(name) = &c.account {
                let account = config.accounts.iter().find(|a| a.name() == name);
                match account {
                    None => {
                        let names: Vec<&str> = config.accounts.iter().map(|a| a.name()).collect();
                        return Err(invalid(format!(
                            "channels[{i}] ({}:{}): account `{name}` is not an [[accounts]] entry (known: {})",
                            c.platform,
                            c.handle,
                            if names.is_empty() {
                                "none".to_owned()
                            } else {
                                names.join(", ")
                            }
                        )));
                    }
                    Some(a) if a.platform() != c.platform && c.platform != "generic" => {
                        return Err(invalid(format!(
                            "channels[{i}] ({}:{}): account `{name}` is a {} account",
                            c.platform,
                            c.handle,
                            a.platform()
                        )));
                    }
                    Some(_) => {}
                }
            }
        }
        if config.pipeline.window == 0 || config.pipeline.request_window == 0 {
            return Err(invalid(
                "pipeline.window and pipeline.request_window must be at least 1".into(),
            ));
        }
        parse_duration(&config.pipeline.repeat_window)
            .map_err(|e| invalid(format!("pipeline.repeat_window: {e}")))?;
        if let Some(w) = &config.guardrails.author_cap_window {
            parse_duration(w).map_err(|e| invalid(format!("guardrails.author_cap_window: {e}")))?;
        }
        config.crisis().map_err(invalid)?;
        config.publishing.rules().map_err(invalid)?;
        Ok(config)
    }

    fn guardrails(&self) -> Result<palabre_pipeline::policy::Guardrails, String> {
        let g = &self.guardrails;
        let d = palabre_pipeline::policy::Guardrails::default();
        Ok(palabre_pipeline::policy::Guardrails {
            author_cap: g.author_cap.unwrap_or(d.author_cap),
            author_cap_window_secs: match &g.author_cap_window {
                Some(w) => parse_duration(w)?,
                None => d.author_cap_window_secs,
            },
            conversation_cap: g.conversation_cap.unwrap_or(d.conversation_cap),
            crisis_brake: g.crisis_brake.unwrap_or(d.crisis_brake),
            braked_channels: Vec::new(),
            review_queue: g.review_queue.clone().unwrap_or(d.review_queue),
        })
    }

    /// The bot's pace: answers per minute per channel (default 300) and in all (default
    /// 1,200); 0 turns one off. Past it, answers wait in the outbox.
    pub fn pace(&self) -> Pace {
        Pace {
            per_channel_per_minute: self.guardrails.per_channel_per_minute.unwrap_or(300),
            global_per_minute: self.guardrails.global_per_minute.unwrap_or(1200),
        }
    }

    /// Whether triage uses the language model, at most how many messages a second, and where
    /// its weights are kept.
    pub fn triage_model(&self) -> Option<(u32, PathBuf)> {
        if self.triage.model != Some(ModelSwitch::On) {
            return None;
        }
        Some(self.model_reading())
    }

    /// At most how many messages a second the language model reads (triage and FAQ
    /// campaigns together), and where its weights are kept.
    pub fn model_reading(&self) -> (u32, PathBuf) {
        let dir = self
            .triage
            .model_dir
            .clone()
            .unwrap_or_else(palabre_embed::default_dir);
        (self.triage.model_per_second.unwrap_or(5), dir)
    }

    /// Triage's settings.
    pub fn triage_config(&self) -> palabre_triage::TriageConfig {
        palabre_triage::TriageConfig {
            known_organisations: self
                .triage
                .known_organisations
                .iter()
                .map(|h| h.trim().trim_start_matches('@').to_lowercase())
                .collect(),
        }
    }

    /// The policy decide applies, with the extra channels given on the command line.
    pub fn policy(&self, extra_channels: &[Channel]) -> Result<Policy, String> {
        let mut channels = Vec::with_capacity(self.channels.len() + extra_channels.len());
        let mut surveys = Vec::new();
        for c in &self.channels {
            let channel = c.to_channel().map_err(|e| e.to_string())?;
            if let Some(survey) = &c.survey {
                surveys.push(survey.to_survey(&channel)?);
            }
            channels.push(channel);
        }
        channels.extend(extra_channels.iter().cloned());
        Ok(Policy {
            channels,
            default_queue: self.pipeline.queue.clone(),
            window: self.pipeline.window,
            request_window: self.pipeline.request_window,
            repeat_window_secs: parse_duration(&self.pipeline.repeat_window)?,
            guardrails: self.guardrails()?,
            moderation: self.moderation(),
            surveys,
            crisis: self.crisis()?,
        })
    }

    /// The crisis detector's parameters; an error names the key and what is wrong.
    fn crisis(&self) -> Result<palabre_pipeline::crisis::CrisisSettings, String> {
        let c = &self.crisis;
        let d = palabre_pipeline::crisis::CrisisSettings::default();
        let duration = |key: &str, raw: &Option<String>, default: i64| match raw {
            None => Ok(default),
            Some(raw) => match parse_duration(raw) {
                Ok(0) => Err(format!("crisis.{key}: must be longer than 0")),
                Ok(secs) => Ok(secs),
                Err(e) => Err(format!("crisis.{key}: {e}")),
            },
        };
        let settings = palabre_pipeline::crisis::CrisisSettings {
            enabled: c.detect.unwrap_or(d.enabled),
            window_secs: duration("window", &c.window, d.window_secs)?,
            min_authors: c.min_people.unwrap_or(d.min_authors),
            factor: c.factor.unwrap_or(d.factor),
            min_share: c.min_share.unwrap_or(d.min_share),
            quiet_secs: duration("quiet", &c.quiet, d.quiet_secs)?,
            auto_brake: c.brake == Some(BrakeOnAlert::Auto),
        };
        if settings.min_authors < 2 {
            return Err(format!(
                "crisis.min_people: {} is too few (at least 2: one person is never a crisis)",
                settings.min_authors
            ));
        }
        if !(settings.factor >= 1.0 && settings.factor.is_finite()) {
            return Err(format!(
                "crisis.factor: {} must be at least 1 (times the usual level)",
                settings.factor
            ));
        }
        if !(settings.min_share > 0.0 && settings.min_share <= 1.0) {
            return Err(format!(
                "crisis.min_share: {} must be a share between 0 and 1 (0.1 is one message in ten)",
                settings.min_share
            ));
        }
        Ok(settings)
    }

    fn moderation(&self) -> palabre_pipeline::policy::Moderation {
        let defaults = palabre_pipeline::policy::Moderation::default();
        palabre_pipeline::policy::Moderation {
            hide_toxic: self.moderation.hide_toxic.unwrap_or(defaults.hide_toxic),
            queue: self.moderation.queue.clone().unwrap_or(defaults.queue),
        }
    }
}

impl ChannelConfig {
    pub fn to_channel(&self) -> Result<Channel, palabre_core::ChannelParseError> {
        Channel::new(self.platform.parse()?, &self.id, &self.handle)
    }
}

/// The line and column of a TOML error, in words.
fn located(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim_end().to_owned();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// `90s`, `15m`, `24h`, `7d` → seconds.
pub fn parse_duration(raw: &str) -> Result<i64, String> {
    palabre_core::parse_duration(raw)
        .map(|d| d.as_secs() as i64)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("palabre.toml"))
    }

    #[test]
    fn publishing_settings_are_checked_at_load() {
        let rules = parse("[publishing]\napprovals = 2\nslots = [\"tue 18:00\", \"jeu 09:30\"]\n")
            .unwrap()
            .publishing
            .rules()
            .unwrap();
        assert_eq!((rules.approvals, rules.slots.len()), (2, 2));
        assert_eq!(rules.time_zone, "Europe/Paris");
        for (bad, says) in [
            ("approvals = 0", "approvals must be between 1 and 5"),
            (
                "time_zone = \"Europe/Lutece\"",
                "unknown time zone `Europe/Lutece`",
            ),
            ("slots = [\"mardi\"]", "queue slot `mardi`"),
        ] {
            let e = parse(&format!("[publishing]\n{bad}\n"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn a_complete_file_is_read() {
        let c = parse(
            r#"
[[channels]]
platform = "x"
id = "1000"
handle = "@FranceTVinfo"

[store]
location = "data/palabre.db"

[pipeline]
queue = "care"
repeat_window = "2h"
"#,
        )
        .unwrap();
        let policy = c
            .policy(&["mastodon:1:brand@mastodon.social".parse().unwrap()])
            .unwrap();
        assert_eq!(policy.channels.len(), 2);
        assert_eq!(policy.channels[0].handle, "francetvinfo");
        assert_eq!(policy.default_queue, "care");
        assert_eq!(policy.repeat_window_secs, 7200);
        assert_eq!(c.store.location.as_deref(), Some("data/palabre.db"));
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_field() {
        let e = parse("[pipeline]\nqueue = \"care\"\nrepeat_windw = \"2h\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("palabre.toml: line 3"), "{e}");
        assert!(e.contains("repeat_windw"), "{e}");
        let e = parse("[[channels]]\nplatform = \"myspace\"\nid = \"1\"\nhandle = \"b\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("channels[0]") && e.contains("myspace"), "{e}");
        let e = parse("[pipeline]\nrepeat_window = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("pipeline.repeat_window"), "{e}");
        let e = parse("[pipeline\n").unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn a_channel_names_an_account_of_its_platform() {
        let account = "[[accounts]]\nplatform = \"mastodon\"\nname = \"aide\"\nbase_url = \"https://s.example\"\naccess_token = \"t\"\n";
        let channel = |platform: &str, name: &str| {
            format!(
                "[[channels]]\nplatform = \"{platform}\"\nid = \"2\"\nhandle = \"aide\"\naccount = \"{name}\"\n{account}"
            )
        };
        assert!(parse(&channel("mastodon", "aide")).is_ok());
        let e = parse(&channel("mastodon", "aid")).unwrap_err().to_string();
        assert!(
            e.contains("channels[0]")
                && e.contains("`aid` is not an [[accounts]] entry (known: aide)"),
            "{e}"
        );
        let e = parse(&channel("x", "aide")).unwrap_err().to_string();
        assert!(e.contains("`aide` is a mastodon account"), "{e}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("15m"), Ok(900));
        assert_eq!(parse_duration("7d"), Ok(604_800));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
    }
}
