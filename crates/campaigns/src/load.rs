//! Reading and validating one campaign file: TOML → [`Campaign`], every error placed at its
//! file, line and field.

use crate::campaign::{
    Campaign, ChannelSpec, FollowUp, Mode, Stale, TableSlot, TemplateNames, TriggerRules,
    WhenStale, parse_window,
};
use crate::error::{CampaignError, ErrorKind, key_at};
use crate::extract::{Field, FieldKind, Places};
use crate::faq::{Faq, FaqEntry};
use crate::limit::Limit;
use crate::render::{BUILTIN_VARS, Renderer};
use crate::spec::{
    CampaignSpec, FaqSpec, HelpSpec, KindName, LangName, ModeName, ReplySpec, WhenStaleName,
};
use crate::table::{Table, TableShape};
use palabre_core::{Channel, Lang};
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use toml::Spanned;

/// The question asked when a request's places disagree (`69003 Villeurbanne`) or its name is
/// shared by several places, unless the campaign writes its own `help.ask_fr` / `ask_en`.
const ASK_FR: &str = "{{ name }}, lequel voulez-vous ?{% for c in choices %} {{ loop.index }}) {{ c }}{% endfor %} Répondez simplement par le numéro.";
const ASK_EN: &str = "{{ name }}, which one do you mean?{% for c in choices %} {{ loop.index }}) {{ c }}{% endfor %} Just reply with its number.";
/// The question asked again when the answer to a help still holds nothing found, unless the
/// campaign writes its own `help.again_fr` / `again_en`.
const AGAIN_FR: &str = "Désolé {{ name }}, je ne trouve toujours pas. Répondez simplement comme dans cet exemple : {{ example }}";
const AGAIN_EN: &str =
    "Sorry {{ name }}, I still can't find it. Just reply as in this example: {{ example }}";

/// The model's similarity at or above which an FAQ answer goes out, unless the campaign says.
pub const DEFAULT_ANSWER_AT: f32 = 0.55;
/// The similarity at or above which an FAQ answer is suggested as a draft.
pub const DEFAULT_SUGGEST_AT: f32 = 0.40;

/// The platforms a campaign speaks on: those of its accounts, every platform for a bare handle.
fn campaign_platforms(campaign: &Campaign) -> Vec<palabre_core::Platform> {
    let mut out: Vec<palabre_core::Platform> = Vec::new();
    for c in &campaign.channels {
        let platforms: Vec<palabre_core::Platform> = match c {
            ChannelSpec::Account(a) => vec![a.platform],
            ChannelSpec::Handle(_) => palabre_core::Platform::ALL.to_vec(),
        };
        for p in platforms {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// A campaign's or an FAQ entry's id: 1 to 64 letters, digits, `-` or `_`.
fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What loading several files shares: the renderer and the places tables read so far.
#[derive(Debug, Default)]
pub(crate) struct Loader {
    pub renderer: Renderer,
    places: HashMap<PathBuf, Arc<Places>>,
    /// Tables read so far, by file and key: campaigns that name the same table share it.
    tables: SharedTables,
}

/// Loaded tables by (canonical file, key columns, by-name column).
type SharedTables = HashMap<(PathBuf, Vec<String>, Option<String>), Arc<Table>>;

/// Errors located in one campaign file.
struct Ctx<'a> {
    path: &'a Path,
    src: &'a str,
}

impl Ctx<'_> {
    fn err(
        &self,
        kind: ErrorKind,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> CampaignError {
        let e = CampaignError::new(kind, self.path, message).at(self.src, span.start);
        match key_at(self.src, span.start) {
            Some(field) => e.field(field),
            None => e,
        }
    }

    fn invalid<T>(&self, value: &Spanned<T>, message: impl Into<String>) -> CampaignError {
        self.err(ErrorKind::Invalid, value.span(), message)
    }

    /// Where `key = …` is written, for fields that carry no span of their own.
    fn key_span(&self, key: &str) -> Range<usize> {
        let found = self.src.lines().scan(0, |offset, line| {
            let start = *offset;
            *offset += line.len() + 1;
            Some((start, line))
        });
        for (start, line) in found {
            let t = line.trim_start();
            if t.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
            {
                return start..start + line.len();
            }
        }
        0..0
    }

    fn relative(&self, file: &str) -> PathBuf {
        let file = Path::new(file);
        if file.is_absolute() {
            return file.to_path_buf();
        }
        self.path.parent().unwrap_or(Path::new("")).join(file)
    }
}

impl Loader {
    /// Loads one campaign file. The templates are added to the shared renderer.
    pub fn load(&mut self, path: &Path) -> Result<Campaign, CampaignError> {
        let src = std::fs::read_to_string(path).map_err(|e| {
            CampaignError::new(
                ErrorKind::Io,
                path,
                format!("cannot read the campaign: {e}"),
            )
        })?;
        let cx = Ctx { path, src: &src };
        let spec: CampaignSpec = toml::from_str(&src).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            cx.err(ErrorKind::Syntax, span, e.message().trim().to_owned())
        })?;

        let id = spec.id.get_ref().trim().to_owned();
        if !is_id(&id) {
            return Err(cx.invalid(
                &spec.id,
                "the id must be 1 to 64 letters, digits, `-` or `_`",
            ));
        }

        let channels = channels(&cx, &spec)?;
        let mode = mode(&cx, &spec)?;
        let window = parse_window(spec.window.get_ref()).ok_or_else(|| {
            cx.invalid(
                &spec.window,
                format!(
                    "`{}` is not a window (write a number and s, m, h or d: 30m, 6h, 2d)",
                    spec.window.get_ref()
                ),
            )
        })?;
        let stale = stale(&cx, &spec)?;
        let follow_up = follow_up(&cx, &spec)?;
        let trigger = trigger(&cx, &spec)?;
        let fields = self.fields(&cx, &spec)?;
        let default_lang = match spec.default_lang {
            Some(LangName::En) => Lang::En,
            Some(LangName::Fr) | None => Lang::Fr,
        };

        // What the campaign answers with: its [faq] entries, or a lookup's [reply] and [help].
        let written: Result<Option<WrittenReply<'_>>, CampaignError> = match (
            &spec.faq,
            &spec.reply,
            &spec.help,
        ) {
            (Some(_), _, _) => {
                let written = [
                    (spec.reply.is_some(), "[reply]"),
                    (spec.help.is_some(), "[help]"),
                    (!spec.extract.is_empty(), "[[extract]]"),
                    (spec.table.is_some(), "[table]"),
                ];
                match written.iter().find(|(present, _)| *present) {
                    Some((_, what)) => Err(cx.err(
                        ErrorKind::Invalid,
                        cx.key_span(what.trim_matches(['[', ']'])),
                        format!(
                            "an FAQ campaign has no {what}: each of its entries carries its answer"
                        ),
                    )),
                    None => Ok(None),
                }
            }
            (None, Some(reply), Some(help)) => Ok(Some((reply, help))),
            (None, reply, _) => {
                let missing = if reply.is_none() { "reply" } else { "help" };
                Err(CampaignError::new(
                        ErrorKind::Invalid,
                        path,
                        format!("[{missing}] is missing (a lookup campaign needs [reply] and [help]; an FAQ campaign, [faq] entries)"),
                    )
                    .field(missing))
            }
        };
        let written = written?;
        // The example a help shows; an FAQ's first question.
        let example = match (written, &spec.faq) {
            (Some((_, help)), _) => help.get_ref().example.get_ref().clone(),
            (None, Some(faq)) => faq
                .get_ref()
                .entries
                .get_ref()
                .first()
                .and_then(|e| e.get_ref().questions.get_ref().first())
                .map(|q| q.get_ref().clone())
                .unwrap_or_default(),
            (None, None) => String::new(),
        };
        let mut campaign = Campaign {
            id,
            name: spec.name.clone(),
            file: path.to_path_buf(),
            channels,
            mode,
            window,
            stale,
            default_lang,
            trigger,
            fields,
            example,
            table: None,
            templates: TemplateNames::default(),
            faq: None,
            follow_up,
        };
        // An FAQ campaign: its entries, and nothing of a lookup's.
        let Some((reply, help)) = written else {
            if let Some(faq) = &spec.faq {
                campaign.faq = Some(self.faq(&cx, faq, &campaign)?);
            }
            return Ok(campaign);
        };
        let table = table(&cx, &spec, &campaign, &mut self.tables)?;
        let columns: Vec<String> = table
            .as_ref()
            .map(|(t, _)| t.columns().to_vec())
            .unwrap_or_default();
        let used = self.templates(&cx, (reply, help), &mut campaign, &columns)?;
        if let Some((table, mut shape)) = table {
            // A reloaded table must still have every column the templates read.
            for var in used {
                if columns.contains(&var) && !shape.required.contains(&var) {
                    shape.required.push(var);
                }
            }
            campaign.table = Some(TableSlot {
                path: cx.relative(
                    spec.table
                        .as_ref()
                        .map_or("", |t| t.get_ref().file.get_ref()),
                ),
                shape,
                current: RwLock::new(table),
            });
        }
        check_default_lang(&cx, (reply, help), &campaign)?;
        crate::reply::check_example(&self.renderer, &campaign, campaign.table().as_deref())
            .map_err(|(kind, field, message)| {
                let span = match field.as_str() {
                    "example" => help.get_ref().example.span(),
                    _ => template_span((reply, help), &field),
                };
                cx.err(kind, span, message).field(field)
            })?;
        Ok(campaign)
    }

    fn fields(&mut self, cx: &Ctx<'_>, spec: &CampaignSpec) -> Result<Vec<Field>, CampaignError> {
        let mut out: Vec<Field> = Vec::new();
        for f in &spec.extract {
            let f_ref = f.get_ref();
            let name = f_ref.name.get_ref().clone();
            let name_ok = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !name_ok {
                return Err(cx.invalid(
                    &f_ref.name,
                    format!("`{name}` is not a field name (lowercase letters, digits and `_`)"),
                ));
            }
            if BUILTIN_VARS.contains(&name.as_str()) || out.iter().any(|o| o.name == name) {
                return Err(cx.invalid(
                    &f_ref.name,
                    format!("the field name `{name}` is already taken"),
                ));
            }
            let refuse = |what: &str, span: Range<usize>| {
                cx.err(
                    ErrorKind::Invalid,
                    span,
                    format!("`{what}` does not apply to a field of this kind"),
                )
            };
            if f_ref.kind != KindName::Airport
                && let Some(a) = &f_ref.airports
            {
                return Err(refuse("airports", a.span()));
            }
            if f_ref.kind != KindName::PostalCode
                && let Some(b) = &f_ref.by_name
            {
                return Err(refuse("by_name", b.span()));
            }
            if f_ref.kind != KindName::Date
                && let Some(y) = &f_ref.default_year
            {
                return Err(refuse("default_year", y.span()));
            }
            let kind = match f_ref.kind {
                KindName::PostalCode => FieldKind::PostalCode {
                    by_name: f_ref.by_name.as_ref().map(|b| b.get_ref().clone()),
                },
                KindName::Date => FieldKind::Date {
                    default_year: f_ref.default_year.as_ref().map(|y| *y.get_ref()),
                },
                KindName::Airport => {
                    let Some(file) = &f_ref.airports else {
                        return Err(cx.err(
                            ErrorKind::Invalid,
                            f.span(),
                            "an airport field needs `airports`, a CSV file of name,iata rows",
                        ));
                    };
                    let path = cx.relative(file.get_ref());
                    let places = match self.places.get(&path) {
                        Some(p) => Arc::clone(p),
                        None => {
                            let p = Arc::new(Places::load(&path)?);
                            self.places.insert(path, Arc::clone(&p));
                            p
                        }
                    };
                    FieldKind::Airport(places)
                }
            };
            out.push(Field {
                name,
                kind,
                required: f_ref.required,
            });
        }
        Ok(out)
    }

    /// `[faq]`: thresholds, entries and their answers (compiled, rehearsed with a long name
    /// within the limit of every platform the campaign speaks on).
    fn faq(
        &mut self,
        cx: &Ctx<'_>,
        spec: &Spanned<FaqSpec>,
        campaign: &Campaign,
    ) -> Result<Faq, CampaignError> {
        let f = spec.get_ref();
        let threshold = |v: &Option<Spanned<f32>>, default: f32| match v {
            Some(v) if (0.0..=1.0).contains(v.get_ref()) => Ok(*v.get_ref()),
            Some(v) => Err(cx.invalid(v, "a similarity is between 0 and 1 (0.55)")),
            None => Ok(default),
        };
        let answer_at = threshold(&f.answer_at, DEFAULT_ANSWER_AT)?;
        let suggest_at = threshold(&f.suggest_at, DEFAULT_SUGGEST_AT.min(answer_at))?;
        if suggest_at > answer_at {
            let at = f.suggest_at.as_ref().map_or(spec.span(), Spanned::span);
            return Err(cx.err(
                ErrorKind::Invalid,
                at,
                format!("suggest_at ({suggest_at}) must not be above answer_at ({answer_at})"),
            ));
        }
        if f.entries.get_ref().is_empty() {
            return Err(cx.invalid(&f.entries, "give at least one entry"));
        }
        let mut entries: Vec<FaqEntry> = Vec::new();
        for e in f.entries.get_ref() {
            let e_ref = e.get_ref();
            let id = e_ref.id.get_ref().trim().to_owned();
            if !is_id(&id) {
                return Err(cx.invalid(
                    &e_ref.id,
                    "an entry id is 1 to 64 letters, digits, `-` or `_`",
                ));
            }
            if entries.iter().any(|o| o.id == id) {
                return Err(cx.invalid(&e_ref.id, format!("the entry `{id}` is written twice")));
            }
            if e_ref.questions.get_ref().is_empty() {
                return Err(cx.invalid(
                    &e_ref.questions,
                    format!("entry `{id}`: give at least one question it answers"),
                ));
            }
            let default_written = match campaign.default_lang {
                Lang::En => e_ref.en.is_some(),
                _ => e_ref.fr.is_some(),
            };
            if !default_written {
                let lang = crate::reply::lang_str(campaign.default_lang);
                return Err(cx
                    .invalid(
                        e,
                        format!("entry `{id}` has no answer in the default language `{lang}`"),
                    )
                    .field(format!("faq.entries.{lang}")));
            }
            let mut entry = FaqEntry {
                id: id.clone(),
                questions: e_ref
                    .questions
                    .get_ref()
                    .iter()
                    .map(|q| q.get_ref().trim().to_owned())
                    .collect(),
                link: e_ref.link.clone().unwrap_or_default(),
                template_fr: None,
                template_en: None,
            };
            let allowed: BTreeSet<&str> = BUILTIN_VARS.iter().copied().collect();
            for (lang, source, out) in [
                ("fr", &e_ref.fr, &mut entry.template_fr),
                ("en", &e_ref.en, &mut entry.template_en),
            ] {
                let Some(source) = source else { continue };
                let name = format!("{}/faq.{id}.{lang}", campaign.id);
                let field = format!("faq.entries[{id}].{lang}");
                let vars = self
                    .renderer
                    .add(&name, source.get_ref())
                    .map_err(|issue| {
                        cx.err(ErrorKind::Template, source.span(), issue.message)
                            .field(field.clone())
                    })?;
                if let Some(unknown) = vars.iter().find(|v| !allowed.contains(v.as_str())) {
                    return Err(cx
                        .err(
                            ErrorKind::Template,
                            source.span(),
                            format!(
                                "unknown variable `{unknown}` (known: {})",
                                BUILTIN_VARS.join(", ")
                            ),
                        )
                        .field(field));
                }
                *out = Some(name);
            }
            // Rehearsed with a long name on every platform the campaign speaks on.
            let speaker = crate::reply::Speaker {
                name: "Marie-Dominique Lefebvre-Santos".into(),
                handle: "marie_dominique".into(),
            };
            for lang in [Lang::Fr, Lang::En] {
                let source = match lang {
                    Lang::En => &e_ref.en,
                    _ => &e_ref.fr,
                };
                let Some(source) = source else { continue };
                for platform in campaign_platforms(campaign) {
                    let limit = Limit::for_platform(platform);
                    let text =
                        crate::reply::render_faq(&self.renderer, campaign, &entry, &speaker, lang)
                            .map_err(|(field, message)| {
                                cx.err(ErrorKind::Template, source.span(), message)
                                    .field(field)
                            })?;
                    if !limit.fits(&text) {
                        return Err(cx
                            .err(
                                ErrorKind::Invalid,
                                source.span(),
                                format!(
                                    "entry `{id}`: the {} answer is {} long on {platform}, over its limit of {} (with a long name)",
                                    crate::reply::lang_str(lang),
                                    limit.measure(&text),
                                    limit.max
                                ),
                            )
                            .field(format!("faq.entries[{id}].{}", crate::reply::lang_str(lang))));
                    }
                }
            }
            entries.push(entry);
        }
        Faq::new(entries, answer_at, suggest_at).map_err(|(e, q, message)| {
            let span = f
                .entries
                .get_ref()
                .get(e)
                .and_then(|e| e.get_ref().questions.get_ref().get(q))
                .map_or(spec.span(), Spanned::span);
            cx.err(ErrorKind::Invalid, span, message)
        })
    }

    /// Compiles every template; returns the variables they read.
    fn templates(
        &mut self,
        cx: &Ctx<'_>,
        (reply, help): WrittenReply<'_>,
        campaign: &mut Campaign,
        columns: &[String],
    ) -> Result<BTreeSet<String>, CampaignError> {
        let id = campaign.id.clone();
        let fields: Vec<&str> = campaign.fields.iter().map(|f| f.name.as_str()).collect();
        let mut allowed: BTreeSet<&str> = BUILTIN_VARS.iter().copied().collect();
        allowed.extend(fields.iter().copied());
        allowed.extend(columns.iter().map(String::as_str));
        let help_allowed: BTreeSet<&str> = BUILTIN_VARS.iter().copied().collect();
        let mut link_allowed = allowed.clone();
        link_allowed.remove("link");
        let mut used = BTreeSet::new();
        let mut compile = |field: String,
                           source: &Spanned<String>,
                           allowed: &BTreeSet<&str>|
         -> Result<String, CampaignError> {
            let name = format!("{id}/{field}");
            let here = |message: String, line: Option<usize>| {
                let mut e = cx.err(ErrorKind::Template, source.span(), message);
                if let (Some(l), Some(base)) = (line, e.line) {
                    e.line = Some(base + l.saturating_sub(1));
                }
                e.field(field.clone())
            };
            let vars = self
                .renderer
                .add(&name, source.get_ref())
                .map_err(|issue| here(issue.message, issue.line))?;
            if let Some(unknown) = vars.iter().find(|v| !allowed.contains(v.as_str())) {
                let mut known: Vec<&str> = allowed.iter().copied().collect();
                known.sort_unstable();
                return Err(here(
                    format!("unknown variable `{unknown}` (known: {})", known.join(", ")),
                    None,
                ));
            }
            used.extend(vars);
            Ok(name)
        };
        let reply = reply.get_ref();
        let mut names = TemplateNames::default();
        for (lang, list, out) in [
            ("fr", &reply.fr, &mut names.reply_fr),
            ("en", &reply.en, &mut names.reply_en),
        ] {
            let Some(list) = list else { continue };
            if list.get_ref().is_empty() {
                return Err(cx.invalid(list, "give at least one reply template"));
            }
            for (i, source) in list.get_ref().iter().enumerate() {
                out.push(compile(format!("reply.{lang}[{i}]"), source, &allowed)?);
            }
        }
        if let Some(link) = &reply.link {
            names.link = Some(compile("reply.link".into(), link, &link_allowed)?);
        }
        let help_span = help.span();
        let help = help.get_ref();
        if let Some(fr) = &help.fr {
            names.help_fr = Some(compile("help.fr".into(), fr, &help_allowed)?);
        }
        if let Some(en) = &help.en {
            names.help_en = Some(compile("help.en".into(), en, &help_allowed)?);
        }
        let mut ask_allowed = help_allowed.clone();
        ask_allowed.insert("choices");
        for (lang, given, default, out) in [
            ("fr", &help.ask_fr, ASK_FR, &mut names.ask_fr),
            ("en", &help.ask_en, ASK_EN, &mut names.ask_en),
        ] {
            let source = given
                .clone()
                .unwrap_or_else(|| Spanned::new(help_span.clone(), default.to_owned()));
            *out = Some(compile(format!("help.ask_{lang}"), &source, &ask_allowed)?);
        }
        for (lang, given, default, out) in [
            ("fr", &help.again_fr, AGAIN_FR, &mut names.again_fr),
            ("en", &help.again_en, AGAIN_EN, &mut names.again_en),
        ] {
            let source = given
                .clone()
                .unwrap_or_else(|| Spanned::new(help_span.clone(), default.to_owned()));
            *out = Some(compile(
                format!("help.again_{lang}"),
                &source,
                &help_allowed,
            )?);
        }
        campaign.templates = names;
        Ok(used)
    }
}

fn channels(cx: &Ctx<'_>, spec: &CampaignSpec) -> Result<Vec<ChannelSpec>, CampaignError> {
    if spec.channels.get_ref().is_empty() {
        return Err(cx.invalid(&spec.channels, "name at least one channel"));
    }
    spec.channels
        .get_ref()
        .iter()
        .map(|c| {
            let raw = c.get_ref().trim();
            if raw.contains(':') {
                raw.parse::<Channel>()
                    .map(ChannelSpec::Account)
                    .map_err(|e| cx.invalid(c, e.to_string()))
            } else {
                let handle = raw.trim_start_matches('@').to_lowercase();
                if handle.is_empty() || handle.chars().any(char::is_whitespace) {
                    return Err(cx.invalid(c, "a channel is PLATFORM:ID:HANDLE or a handle"));
                }
                Ok(ChannelSpec::Handle(handle))
            }
        })
        .collect()
}

/// `[follow_up]`: `window` (default 30 minutes, `0` for none) and `questions` (default 1,
/// at most 3: a bot that keeps asking is what people hate).
fn follow_up(cx: &Ctx<'_>, spec: &CampaignSpec) -> Result<FollowUp, CampaignError> {
    let mut out = FollowUp::default();
    let Some(given) = &spec.follow_up else {
        return Ok(out);
    };
    let given = given.get_ref();
    if let Some(raw) = &given.window {
        out.window = match palabre_core::parse_duration(raw.get_ref()) {
            _ if raw.get_ref().trim() == "0" => None,
            Ok(d) if d.is_zero() => None,
            Ok(d) => Some(d),
            Err(_) => {
                return Err(cx.invalid(
                    raw,
                    format!(
                        "`{}` is not a duration (write a number and s, m, h or d: 30m; 0 for none)",
                        raw.get_ref()
                    ),
                ));
            }
        };
    }
    if let Some(n) = &given.questions {
        if *n.get_ref() > 3 {
            return Err(cx.invalid(
                n,
                "at most 3 more questions: past that, a person should take the request",
            ));
        }
        out.questions = *n.get_ref();
    }
    Ok(out)
}

/// `stale_after` and `when_stale`.
fn stale(cx: &Ctx<'_>, spec: &CampaignSpec) -> Result<Option<Stale>, CampaignError> {
    let Some(raw) = &spec.stale_after else {
        return match &spec.when_stale {
            Some(w) => Err(cx.invalid(
                w,
                "`when_stale` needs `stale_after` (how long an answer may wait: 30m)",
            )),
            None => Ok(None),
        };
    };
    let after = parse_window(raw.get_ref()).ok_or_else(|| {
        cx.invalid(
            raw,
            format!(
                "`{}` is not a duration (write a number and s, m, h or d: 30m, 2h)",
                raw.get_ref()
            ),
        )
    })?;
    let then = match spec.when_stale.as_ref().map(|w| *w.get_ref()) {
        Some(WhenStaleName::Drop) => WhenStale::Drop,
        Some(WhenStaleName::Draft) | None => WhenStale::Draft,
    };
    Ok(Some(Stale { after, then }))
}

fn mode(cx: &Ctx<'_>, spec: &CampaignSpec) -> Result<Mode, CampaignError> {
    match (spec.mode, &spec.sample_one_in) {
        (ModeName::Draft, None) => Ok(Mode::Draft),
        (ModeName::Auto, None) => Ok(Mode::Auto),
        (ModeName::Sample, Some(n)) if *n.get_ref() >= 1 => Ok(Mode::Sample {
            one_in: *n.get_ref(),
        }),
        (ModeName::Sample, Some(n)) => Err(cx.invalid(n, "sample_one_in must be at least 1")),
        (ModeName::Sample, None) => Err(cx.err(
            ErrorKind::Invalid,
            cx.key_span("mode"),
            "mode = \"sample\" needs sample_one_in (review one reply in N)",
        )),
        (_, Some(n)) => Err(cx.invalid(n, "sample_one_in applies only to mode = \"sample\"")),
    }
}

fn trigger(cx: &Ctx<'_>, spec: &CampaignSpec) -> Result<TriggerRules, CampaignError> {
    let t = spec.trigger.get_ref();
    let mut rules = TriggerRules {
        mention: t.mention,
        direct: t.direct,
        keywords_need_address: t.keywords_need_address,
        ..TriggerRules::default()
    };
    for h in &t.hashtags {
        let tag = h.get_ref().trim().trim_start_matches(['#', '＃']);
        if tag.is_empty() || !tag.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(cx.invalid(h, format!("`{}` is not a hashtag", h.get_ref())));
        }
        rules.hashtags.push(tag.to_owned());
    }
    for k in &t.keywords {
        let word = k.get_ref().trim();
        if word.is_empty() {
            return Err(cx.invalid(k, "empty keyword"));
        }
        rules.keywords.push(word.to_owned());
    }
    if rules.hashtags.is_empty() && rules.keywords.is_empty() && !rules.mention && !rules.direct {
        return Err(cx.invalid(
            &spec.trigger,
            "the trigger needs hashtags, keywords, mention = true or direct = true",
        ));
    }
    Ok(rules)
}

fn table(
    cx: &Ctx<'_>,
    spec: &CampaignSpec,
    campaign: &Campaign,
    cache: &mut SharedTables,
) -> Result<Option<(Arc<Table>, TableShape)>, CampaignError> {
    let by_name = campaign.fields.iter().find_map(|f| match &f.kind {
        FieldKind::PostalCode { by_name } => by_name.clone(),
        _ => None,
    });
    let Some(t) = &spec.table else {
        if by_name.is_some() {
            return Err(cx.err(
                ErrorKind::Invalid,
                cx.key_span("by_name"),
                "by_name needs a [table]",
            ));
        }
        return Ok(None);
    };
    let t = t.get_ref();
    if t.key.get_ref().is_empty() {
        return Err(cx.invalid(&t.key, "the key needs at least one field"));
    }
    for k in t.key.get_ref() {
        if !campaign.fields.iter().any(|f| &f.name == k) {
            return Err(cx.invalid(&t.key, format!("the key `{k}` is not an extracted field")));
        }
    }
    let shape = TableShape {
        key: t.key.get_ref().clone(),
        required: t.columns.clone(),
        by_name,
    };
    let path = cx.relative(t.file.get_ref());
    let id = (
        std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone()),
        shape.key.clone(),
        shape.by_name.clone(),
    );
    if let Some(shared) = cache.get(&id) {
        if let Some(missing) = shape
            .required
            .iter()
            .find(|c| !shared.columns().contains(c))
        {
            return Err(CampaignError::new(
                ErrorKind::Table,
                &path,
                format!("missing column `{missing}`"),
            ));
        }
        return Ok(Some((Arc::clone(shared), shape)));
    }
    let table = Arc::new(Table::load(&path, &shape)?);
    cache.insert(id, Arc::clone(&table));
    Ok(Some((table, shape)))
}

fn check_default_lang(
    cx: &Ctx<'_>,
    (reply_spec, help_spec): WrittenReply<'_>,
    campaign: &Campaign,
) -> Result<(), CampaignError> {
    let t = &campaign.templates;
    let (reply, help) = match campaign.default_lang {
        Lang::En => (!t.reply_en.is_empty(), t.help_en.is_some()),
        _ => (!t.reply_fr.is_empty(), t.help_fr.is_some()),
    };
    let lang = if campaign.default_lang == Lang::En {
        "en"
    } else {
        "fr"
    };
    if !reply {
        return Err(cx
            .err(
                ErrorKind::Invalid,
                reply_spec.span(),
                format!("no reply templates for the default language `{lang}`"),
            )
            .field(format!("reply.{lang}")));
    }
    if !help {
        return Err(cx
            .err(
                ErrorKind::Invalid,
                help_spec.span(),
                format!("no help text for the default language `{lang}`"),
            )
            .field(format!("help.{lang}")));
    }
    Ok(())
}

/// The span of a template named like `reply.fr[1]`, `reply.link` or `help.en`.
fn template_span((reply_spec, help): WrittenReply<'_>, field: &str) -> Range<usize> {
    let reply = reply_spec.get_ref();
    let help = help.get_ref();
    let list = |l: &Option<Spanned<Vec<Spanned<String>>>>, i: usize| {
        l.as_ref()
            .and_then(|l| l.get_ref().get(i).map(Spanned::span))
    };
    let index = |f: &str| {
        f.split_once('[')
            .and_then(|(_, r)| r.trim_end_matches(']').parse::<usize>().ok())
            .unwrap_or(0)
    };
    let span = match field {
        "reply.link" => reply.link.as_ref().map(Spanned::span),
        "help.fr" => help.fr.as_ref().map(Spanned::span),
        "help.en" => help.en.as_ref().map(Spanned::span),
        "help.ask_fr" => help.ask_fr.as_ref().map(Spanned::span),
        "help.ask_en" => help.ask_en.as_ref().map(Spanned::span),
        "help.again_fr" => help.again_fr.as_ref().map(Spanned::span),
        "help.again_en" => help.again_en.as_ref().map(Spanned::span),
        f if f.starts_with("reply.fr") => list(&reply.fr, index(f)),
        f if f.starts_with("reply.en") => list(&reply.en, index(f)),
        _ => None,
    };
    span.unwrap_or_else(|| reply_spec.span())
}

/// A lookup campaign's `[reply]` and `[help]`, as written.
type WrittenReply<'a> = (&'a Spanned<ReplySpec>, &'a Spanned<HelpSpec>);
