//! Prepares a message once for every reader: caps its length, removes invisible characters,
//! and cuts it into tokens (words, mentions, hashtags, URLs, emoji, emoticons, `!`/`?`) with a
//! folded form for lexicon look-ups.

use crate::fold::{homoglyph, is_invisible, is_latin_letter, push_folded};

/// Only the first `MAX_BYTES` bytes of a message are read (cut at a character boundary).
/// A post is at most a few KB; a 1 MB text is triaged from its beginning, in constant time.
pub const MAX_BYTES: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Word,
    Number,
    Mention,
    Hashtag,
    Url,
    Emoji,
    Emoticon,
    Exclaim,
    Question,
    /// `.` `,` `;` `:` `…`: ends the reach of a negation.
    Break,
}

/// One token: byte ranges into [`Prepared::clean`] (as written) and [`Prepared::folded`].
#[derive(Debug, Clone, Copy)]
pub struct Token {
    pub kind: Kind,
    raw: (u32, u32),
    fold: (u32, u32),
    /// A letter was repeated three times or more ("trooop"); the folded form keeps two.
    pub elongated: bool,
    /// Written in capitals (at least two letters, all uppercase).
    pub caps: bool,
}

/// A message ready to be read: the text as written (capped, invisibles removed) and its tokens.
#[derive(Debug, Default)]
pub struct Prepared {
    pub clean: String,
    pub folded: String,
    pub tokens: Vec<Token>,
}

impl Prepared {
    pub fn raw(&self, t: &Token) -> &str {
        self.clean
            .get(t.raw.0 as usize..t.raw.1 as usize)
            .unwrap_or("")
    }

    pub fn fold(&self, t: &Token) -> &str {
        self.folded
            .get(t.fold.0 as usize..t.fold.1 as usize)
            .unwrap_or("")
    }
}

/// Cuts `text` to at most [`MAX_BYTES`] bytes at a character boundary.
pub fn cap(text: &str) -> &str {
    if text.len() <= MAX_BYTES {
        return text;
    }
    let mut end = MAX_BYTES;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or("")
}

pub fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x2300..=0x23FF | 0x3030 | 0x303D)
}

const EMOTICONS: &[&str] = &[
    ":)", ":-)", ":(", ":-(", ":d", ":-d", ";)", ";-)", ":p", ":-p", ":'(", ":/", ":-/", "<3",
    "</3", "xd", ":o", ":-o", "^^", ":s", ":|", "=)", "=(", ":((", ":))", ":@", ">:(", "-_-",
    "^_^", "8)",
];

fn is_url(chunk: &str) -> bool {
    let starts = |p: &str| {
        chunk
            .get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
    };
    if starts("http://") || starts("https://") || starts("www.") {
        return true;
    }
    let Some(dot) = chunk.find('.') else {
        return false;
    };
    let host_end = chunk.find('/').unwrap_or(chunk.len());
    if dot == 0 || dot > host_end {
        return false;
    }
    let host = chunk.get(..host_end).unwrap_or("");
    let tld = host.rsplit('.').next().unwrap_or("");
    const TLDS: &[&str] = &[
        "com", "fr", "co", "uk", "net", "org", "io", "ly", "be", "ch", "ca", "eu", "tv", "app",
        "gl", "me",
    ];
    TLDS.iter().any(|t| t.eq_ignore_ascii_case(tld))
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// Word characters: letters, digits, and the symbols leetspeak hides letters with.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '*' | '$' | '@' | '|') || homoglyph(c).is_some()
}

struct Builder<'a> {
    clean: &'a str,
    folded: String,
    tokens: Vec<Token>,
    /// Scratch space for one folded character.
    tmp: String,
}

impl<'a> Builder<'a> {
    fn text(&self, start: usize, end: usize) -> &'a str {
        self.clean.get(start..end).unwrap_or("")
    }

    fn push(&mut self, kind: Kind, start: usize, end: usize) {
        let raw = self.text(start, end);
        let fs = self.folded.len();
        let mut letters = 0usize;
        let mut upper = 0usize;
        let mut latin = false;
        let mut foreign = false;
        for c in raw.chars() {
            if c.is_alphabetic() {
                letters += 1;
                if c.is_uppercase() {
                    upper += 1;
                }
                if is_latin_letter(c) {
                    latin = true;
                } else if homoglyph(c).is_none() {
                    foreign = true;
                }
            }
        }
        // Look-alikes are mapped when the word mixes them with Latin letters or uses nothing else.
        let map = latin || !foreign;
        let mut elongated = false;
        let mut last: Option<char> = None;
        let mut run = 0usize;
        for c in raw.chars() {
            self.tmp.clear();
            push_folded(&mut self.tmp, c, map);
            for f in self.tmp.chars() {
                if Some(f) == last && f.is_alphabetic() {
                    run += 1;
                    if run >= 3 {
                        elongated = true;
                        continue;
                    }
                } else {
                    run = 1;
                    last = Some(f);
                }
                self.folded.push(f);
            }
        }
        let fe = self.folded.len();
        self.tokens.push(Token {
            kind,
            raw: (start as u32, end as u32),
            fold: (fs as u32, fe as u32),
            elongated,
            // Capitals for emphasis, not a code such as "SPRING20".
            caps: letters >= 2 && upper == letters && !raw.chars().any(|c| c.is_ascii_digit()),
        });
    }

    fn chunk(&mut self, start: usize, end: usize) {
        let chunk = self.text(start, end);
        let trimmed = chunk.trim_end_matches(['.', ',', ';', ':', ')', '!', '?', '"']);
        if is_url(chunk) {
            return self.push(Kind::Url, start, end);
        }
        if chunk.len() <= 4 && EMOTICONS.iter().any(|e| e.eq_ignore_ascii_case(chunk)) {
            return self.push(Kind::Emoticon, start, end);
        }
        let tail_start = start + trimmed.len();
        if let Some(rest) = trimmed
            .strip_prefix('@')
            .or_else(|| trimmed.strip_prefix('#'))
            && rest
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            let kind = if trimmed.starts_with('@') {
                Kind::Mention
            } else {
                Kind::Hashtag
            };
            let body_end = start
                + 1
                + rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
            self.push(kind, start + 1, body_end);
            return self.inner(body_end, end);
        }
        let mut chars = chunk.chars();
        if let (Some(c), None) = (chars.next(), chars.next())
            && matches!(c, '@' | '$')
        {
            // A lone leetspeak symbol, as in "c 0 n n @ r d".
            return self.push(Kind::Word, start, end);
        }
        self.inner(start, tail_start);
        self.inner(tail_start, end);
    }

    /// Splits a chunk into words, numbers, emoji and `!`/`?`.
    fn inner(&mut self, start: usize, end: usize) {
        let s = self.text(start, end);
        let mut word_start: Option<usize> = None;
        let mut it = s.char_indices().peekable();
        while let Some((i, c)) = it.next() {
            let pos = start + i;
            let next_is_word = it.peek().is_some_and(|&(_, n)| n.is_alphanumeric());
            let inside = word_start.is_some();
            let wordish = c.is_alphanumeric()
                || homoglyph(c).is_some()
                || (is_word_char(c) && (inside || next_is_word))
                || (c == '!' && inside && next_is_word);
            if wordish {
                word_start.get_or_insert(pos);
                continue;
            }
            if let Some(ws) = word_start.take() {
                self.word(ws, pos);
            }
            match c {
                '!' => self.push(Kind::Exclaim, pos, pos + 1),
                '?' => self.push(Kind::Question, pos, pos + 1),
                '.' | ',' | ';' | ':' | '…' => self.push(Kind::Break, pos, pos + c.len_utf8()),
                c if is_emoji(c) => self.push(Kind::Emoji, pos, pos + c.len_utf8()),
                _ => {}
            }
        }
        if let Some(ws) = word_start {
            self.word(ws, end);
        }
    }

    fn word(&mut self, start: usize, end: usize) {
        let s = self.text(start, end);
        let kind = if s
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        {
            Kind::Number
        } else {
            Kind::Word
        };
        self.push(kind, start, end);
    }
}

/// Prepares `text` for reading: see the module documentation.
pub fn prepare(text: &str) -> Prepared {
    let capped = cap(text);
    let mut clean = String::with_capacity(capped.len());
    clean.extend(capped.chars().filter(|&c| !is_invisible(c)));
    let mut b = Builder {
        clean: &clean,
        folded: String::with_capacity(capped.len() + 8),
        tokens: Vec::with_capacity(32),
        tmp: String::with_capacity(8),
    };
    let mut start: Option<usize> = None;
    for (i, c) in clean.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                b.chunk(s, i);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        b.chunk(s, clean.len());
    }
    let Builder { folded, tokens, .. } = b;
    Prepared {
        clean,
        folded,
        tokens,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(p: &Prepared) -> Vec<(Kind, String)> {
        p.tokens
            .iter()
            .map(|t| (t.kind, p.fold(t).to_string()))
            .collect()
    }

    #[test]
    fn tokenizes_a_tweet() {
        let p = prepare("@SNCF mon train est ANNULÉ!!! https://t.co/x #fail 😡 :(");
        let k = kinds(&p);
        assert_eq!(k[0], (Kind::Mention, "sncf".into()));
        assert_eq!(k[4], (Kind::Word, "annule".into()));
        assert!(p.tokens[4].caps);
        assert_eq!(k[5].0, Kind::Exclaim);
        assert!(k.contains(&(Kind::Url, "https://t.co/x".into())));
        assert!(k.contains(&(Kind::Hashtag, "fail".into())));
        assert!(k.iter().any(|(k, _)| *k == Kind::Emoji));
        assert!(k.iter().any(|(k, _)| *k == Kind::Emoticon));
    }

    #[test]
    fn elongation_apostrophes_and_leet() {
        let p = prepare("trooop bien, t'es un c0nn@rd");
        let k = kinds(&p);
        assert_eq!(k[0].1, "troop");
        assert!(p.tokens[0].elongated);
        assert_eq!(k[2].0, Kind::Break);
        assert_eq!(k[3].1, "t");
        assert_eq!(k[6].1, "c0nn@rd");
    }

    #[test]
    fn caps_long_text_at_a_char_boundary() {
        let text = "é".repeat(MAX_BYTES);
        let p = prepare(&text);
        assert!(p.clean.len() <= MAX_BYTES);
    }
}
