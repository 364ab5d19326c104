//! Rendering replies: the template context (author, fields, table row, link), the choice of
//! the variant that fits the platform, and the load-time rehearsal with the help example.

use crate::campaign::Campaign;
use crate::error::ErrorKind;
use crate::extract::Request;
use crate::faq::FaqEntry;
use crate::fold::{fold, fold_words};
use crate::limit::Limit;
use crate::render::Renderer;
use crate::resolve::{Resolution, resolve};
use crate::table::Table;
use minijinja::Value;
use palabre_core::{Author, Lang, Platform};
use unicode_segmentation::UnicodeSegmentation;

/// Longest display name put in a reply, in graphemes.
const MAX_NAME: usize = 50;

/// The author as templates see them: plain text, never template source.
#[derive(Debug, Clone, Default)]
pub(crate) struct Speaker {
    pub name: String,
    pub handle: String,
}

impl Speaker {
    /// Display names are data: control and bidirectional-override characters are removed
    /// (they could reorder the reply), so are `@` and `#` (a name must not make the brand
    /// mention someone or push a hashtag), whitespace is collapsed and the length capped.
    pub fn of(author: &Author) -> Speaker {
        let handle: String = author
            .handle
            .as_deref()
            .unwrap_or("")
            .trim_start_matches('@')
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '@'))
            .collect();
        let raw = author.display_name.as_deref().unwrap_or("");
        let cleaned: String = raw
            .chars()
            .filter(|c| {
                !c.is_control() && !is_bidi_control(*c) && !matches!(c, '@' | '#' | '＠' | '＃')
            })
            .collect();
        let mut name = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.len() > MAX_NAME && name.graphemes(true).count() > MAX_NAME {
            name = cap_at_word(&name, MAX_NAME);
        }
        if name.is_empty() {
            name = handle.clone();
        }
        Speaker { name, handle }
    }
}

/// The first `max` graphemes, cut back to the last space when that splits a word.
fn cap_at_word(text: &str, max: usize) -> String {
    let mut out: String = text.graphemes(true).take(max).collect();
    let next = text.get(out.len()..).and_then(|r| r.chars().next());
    if next.is_some_and(|c| !c.is_whitespace())
        && let Some(space) = out.rfind(' ')
    {
        out.truncate(space);
    }
    out.trim_end().to_owned()
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

pub(crate) fn lang_str(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        _ => "fr",
    }
}

/// The answer of an FAQ entry in `lang` (or the campaign's default language when the entry
/// has none in it), the entry's link as `link`. `Err((field, error))` when it cannot render.
pub(crate) fn render_faq(
    renderer: &Renderer,
    campaign: &Campaign,
    entry: &FaqEntry,
    speaker: &Speaker,
    lang: Lang,
) -> Result<String, (String, String)> {
    let (lang, name) = entry
        .template(lang, campaign.default_lang)
        .ok_or_else(|| (format!("faq.entries[{}]", entry.id), "no answer".to_owned()))?;
    let mut vars = base_vars(campaign, speaker, lang);
    vars.push(("link".into(), Value::from(entry.link.as_str())));
    let ctx: Value = vars.into_iter().collect();
    renderer.render(name, &ctx).map_err(|e| {
        (
            format!("faq.entries[{}].{}", entry.id, lang_str(lang)),
            e.message,
        )
    })
}

/// The variables every template may read.
fn base_vars(campaign: &Campaign, speaker: &Speaker, lang: Lang) -> Vec<(String, Value)> {
    vec![
        ("name".into(), Value::from(speaker.name.as_str())),
        ("handle".into(), Value::from(speaker.handle.as_str())),
        ("lang".into(), Value::from(lang_str(lang))),
        ("example".into(), Value::from(campaign.example.as_str())),
        ("campaign".into(), Value::from(campaign.name.as_str())),
    ]
}

/// The context of an answer: base variables, the table row's columns, the extracted fields,
/// and the link (rendered from its own template first).
pub(crate) fn answer_context(
    renderer: &Renderer,
    campaign: &Campaign,
    speaker: &Speaker,
    lang: Lang,
    values: &[Option<String>],
    row: Option<(&Table, usize)>,
) -> Result<Value, (String, String)> {
    let mut vars = base_vars(campaign, speaker, lang);
    if let Some((table, row)) = row {
        vars.extend(table.row(row).map(|(k, v)| (k.to_owned(), Value::from(v))));
    }
    for (field, value) in campaign.fields.iter().zip(values) {
        let value = value.as_deref().unwrap_or("");
        let present = vars.iter().position(|(k, _)| *k == field.name);
        match present {
            Some(_) if value.is_empty() => {}
            Some(i) => {
                if let Some(slot) = vars.get_mut(i) {
                    slot.1 = Value::from(value);
                }
            }
            None => vars.push((field.name.clone(), Value::from(value))),
        }
    }
    let base: Value = vars.into_iter().collect();
    let link = match &campaign.templates.link {
        Some(t) => renderer
            .render(t, &base)
            .map_err(|e| ("reply.link".to_owned(), e.message))?,
        None => String::new(),
    };
    let link: Value = [("link", Value::from(link))].into_iter().collect();
    Ok(minijinja::value::merge_maps([link, base]))
}

/// A rendered answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rendered {
    pub text: String,
    pub variant: usize,
    pub truncated: bool,
    /// How many of the places asked were answered (the first ones, in the order written).
    pub places: usize,
}

/// The answer for one place or several (`contexts`, one per place, each with its label such
/// as `69003`): the first variant (longest first, as written) in which every place fits the
/// limit, one place per line. When even the last variant does not fit them all, the first
/// places that fit are answered and a line asks for the others one at a time; a single place
/// that does not fit is cut cleanly. `Err((template, error))` when nothing can be rendered.
pub(crate) fn render_answers(
    renderer: &Renderer,
    campaign: &Campaign,
    lang: Lang,
    limit: Limit,
    contexts: &[(Value, String)],
) -> Result<Rendered, (String, String)> {
    let names = campaign.reply_templates(lang);
    let mut last: Option<(usize, Vec<String>)> = None;
    let mut error = None;
    'variants: for (i, name) in names.iter().enumerate() {
        let mut texts = Vec::with_capacity(contexts.len());
        for (ctx, _) in contexts {
            match renderer.render(name, ctx) {
                Ok(text) => texts.push(text),
                Err(e) => {
                    error = Some((template_field(name), e.message));
                    continue 'variants;
                }
            }
        }
        let text = texts.join("\n");
        if limit.fits(&text) {
            return Ok(Rendered {
                text,
                variant: i,
                truncated: false,
                places: texts.len(),
            });
        }
        last = Some((i, texts));
    }
    if let Some((variant, texts)) = last {
        for answered in (1..texts.len()).rev() {
            let rest: Vec<&str> = contexts
                .iter()
                .skip(answered)
                .map(|(_, label)| label.as_str())
                .collect();
            let mut lines: Vec<&str> = texts.iter().take(answered).map(String::as_str).collect();
            let note = one_at_a_time(lang, &rest);
            lines.push(&note);
            let text = lines.join("\n");
            if limit.fits(&text) {
                return Ok(Rendered {
                    text,
                    variant,
                    truncated: false,
                    places: answered,
                });
            }
        }
        if let Some(text) = texts.first().and_then(|t| limit.cut(t)) {
            return Ok(Rendered {
                text,
                variant,
                truncated: true,
                places: 1,
            });
        }
    }
    Err(error.unwrap_or_else(|| {
        (
            format!("reply.{}", lang_str(campaign.reply_lang(lang))),
            "no variant fits the platform limit, even cut".to_owned(),
        )
    }))
}

/// The line that asks for the places a reply had no room for.
fn one_at_a_time(lang: Lang, rest: &[&str]) -> String {
    let list = rest.join(", ");
    match lang {
        Lang::En => format!("For {list}: one per message, please."),
        _ => format!("Pour {list} : un par message, s'il vous plaît."),
    }
}

/// The help that asks which place was meant, naming the choices (`69003 (Lyon 3e
/// Arrondissement)`); its example uses the first choice's key instead of the example's.
pub(crate) fn render_ask(
    renderer: &Renderer,
    campaign: &Campaign,
    speaker: &Speaker,
    lang: Lang,
    limit: Limit,
    choices: &[String],
) -> Result<String, (String, String)> {
    let lang = campaign.reply_lang(lang);
    let Some(name) = campaign.ask_template(lang) else {
        return Err(("help.ask".into(), "no question text".into()));
    };
    let mut vars = base_vars(campaign, speaker, lang);
    vars.push(("link".into(), Value::from("")));
    let example_code = fold_words(&campaign.example)
        .split(' ')
        .find(|w| w.len() == 5 && w.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned);
    let first_code = choices.first().and_then(|c| c.split(' ').next());
    if let (Some(from), Some(to)) = (example_code, first_code)
        && let Some(slot) = vars.iter_mut().find(|(k, _)| k == "example")
    {
        slot.1 = Value::from(campaign.example.replace(&from, to));
    }
    vars.push(("choices".into(), Value::from(choices.to_vec())));
    let ctx: Value = vars.into_iter().collect();
    let text = renderer
        .render(name, &ctx)
        .map_err(|e| (template_field(name), e.message))?;
    limit
        .cut(&text)
        .ok_or_else(|| (template_field(name), "the question does not fit".to_owned()))
}

/// The help reply (`again`: the question asked again when an answer to the help was still
/// not enough), cut to the limit if needed.
pub(crate) fn render_help(
    renderer: &Renderer,
    campaign: &Campaign,
    speaker: &Speaker,
    lang: Lang,
    limit: Limit,
    again: bool,
) -> Result<String, (String, String)> {
    let lang = campaign.reply_lang(lang);
    let (name, field) = if again {
        (campaign.again_template(lang), "help.again")
    } else {
        (campaign.help_template(lang), "help")
    };
    render_plain(renderer, campaign, speaker, lang, limit, name, field)
}

/// A help template (`field` when there is none), with the campaign's base variables, cut to
/// the limit if needed.
fn render_plain(
    renderer: &Renderer,
    campaign: &Campaign,
    speaker: &Speaker,
    lang: Lang,
    limit: Limit,
    name: Option<&str>,
    field: &str,
) -> Result<String, (String, String)> {
    let lang = campaign.reply_lang(lang);
    let Some(name) = name else {
        return Err((field.into(), "no help text".into()));
    };
    let mut vars = base_vars(campaign, speaker, lang);
    vars.push(("link".into(), Value::from("")));
    let ctx: Value = vars.into_iter().collect();
    let text = renderer
        .render(name, &ctx)
        .map_err(|e| (template_field(name), e.message))?;
    limit.cut(&text).ok_or_else(|| {
        (
            template_field(name),
            "the help text does not fit".to_owned(),
        )
    })
}

/// `mon-resultat/reply.fr[0]` → `reply.fr[0]`.
fn template_field(name: &str) -> String {
    name.split_once('/').map_or(name, |(_, f)| f).to_owned()
}

/// At load and reload: the help example must resolve (extract, and be found in the table),
/// and every template must render with it, for every language and within its fuel.
pub(crate) fn check_example(
    renderer: &Renderer,
    campaign: &Campaign,
    table: Option<&Table>,
) -> Result<(), (ErrorKind, String, String)> {
    let folded = fold(&campaign.example);
    let words = fold_words(&campaign.example);
    let req = Request {
        text: &campaign.example,
        folded: &folded,
        words: &words,
    };
    let (values, row) = match resolve(campaign, &req, table) {
        Resolution::Found { values, row, .. } => (values, row),
        Resolution::Help { cause, .. } => {
            let why = match cause {
                crate::resolve::HelpCause::Missing(f) => {
                    format!("the extraction finds no {}", f.join(", "))
                }
                other => format!("lookup failed ({})", other.as_str()),
            };
            return Err((
                ErrorKind::Example,
                "example".into(),
                format!(
                    "the help example `{}` does not resolve: {why}",
                    campaign.example
                ),
            ));
        }
    };
    let speaker = Speaker {
        name: "Camille Martin".into(),
        handle: "camille".into(),
    };
    let limit = Limit::for_platform(Platform::Mastodon);
    let row = row.and_then(|r| table.map(|t| (t, r)));
    for lang in campaign.langs() {
        let ctx = answer_context(renderer, campaign, &speaker, lang, &values, row)
            .map_err(|(f, m)| (ErrorKind::Template, f, m))?;
        for name in campaign.reply_templates(lang) {
            renderer
                .render(name, &ctx)
                .map_err(|e| (ErrorKind::Template, template_field(name), e.message))?;
        }
        for again in [false, true] {
            render_help(renderer, campaign, &speaker, lang, limit, again)
                .map_err(|(f, m)| (ErrorKind::Template, f, m))?;
        }
        let choices = [
            "69003 (Lyon 3e Arrondissement)".to_owned(),
            "69100 (Villeurbanne)".to_owned(),
        ];
        render_ask(renderer, campaign, &speaker, lang, limit, &choices)
            .map_err(|(f, m)| (ErrorKind::Template, f, m))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_text() {
        let author = Author {
            id: "1".into(),
            handle: Some("@eve_1".into()),
            display_name: Some("  {{ 7*7 }} <b>Eve</b>\u{202E} @everyone #Boycott ".into()),
            ..Author::default()
        };
        let s = Speaker::of(&author);
        assert_eq!(s.name, "{{ 7*7 }} <b>Eve</b> everyone Boycott");
        assert_eq!(s.handle, "eve_1");
        let nameless = Speaker::of(&Author {
            id: "2".into(),
            handle: Some("bob".into()),
            ..Author::default()
        });
        assert_eq!(nameless.name, "bob");
    }
}
