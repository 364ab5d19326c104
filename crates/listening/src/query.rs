//! The listening query language, parsed once: words and `"exact phrases"` (accent- and
//! case-insensitive, whole words), `#hashtags`, `@mentions`, `AND` / `OR` / `NOT` (and `-` before
//! a term), parentheses, and the filters `lang:fr`, `from:handle`, `has:geo`, `has:media`,
//! `is:reply`, `is:repost`, `is:quote`, `near:GEOFENCE`. Terms side by side are joined by `AND`;
//! `NOT` binds tighter than `AND`, which binds tighter than `OR`. A syntax error names the
//! column and what was expected there.

use palabre_core::fold::{fold, words_of_folded};

/// Something the text or the entities of a post contain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Term {
    /// One word or an exact phrase, folded: `joyeux anniversaire`.
    Words(String),
    /// Folded, without `#`.
    Hashtag(String),
    /// Folded, without `@`.
    Mention(String),
}

/// What a post is, beside its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    Lang(String),
    /// The author's handle, folded, without `@`.
    From(String),
    HasGeo,
    HasMedia,
    IsReply,
    IsRepost,
    IsQuote,
    /// Inside the named geofence.
    Near(String),
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Term(Term),
    Filter(Filter),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
}

/// A query that cannot be read: where, and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query `{query}`, column {column}: {message}")]
pub struct QueryError {
    pub query: String,
    /// From 1, in characters.
    pub column: usize,
    pub message: String,
}

const OPERATORS: &str = "lang:, from:, has:, is:, near:";
const A_TERM: &str =
    "a word, a \"phrase\", a #hashtag, an @mention, a filter such as lang:fr, or `(`";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    /// `-` stuck to the next term.
    Minus,
    Phrase(String),
    Word(String),
}

/// A token and its column (from 1).
pub(crate) type Located = (Token, usize);

pub(crate) fn tokens(
    text: &str,
    err: &impl Fn(usize, String) -> QueryError,
) -> Result<Vec<Located>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push((Token::Open, column));
            i += 1;
        } else if c == ')' {
            out.push((Token::Close, column));
            i += 1;
        } else if c == '"' || c == '“' || c == '”' {
            let start = i + 1;
            let mut end = start;
            while end < chars.len() && !matches!(chars[end], '"' | '“' | '”') {
                end += 1;
            }
            if end >= chars.len() {
                return Err(err(
                    column,
                    "this `\"` is never closed: end the phrase with `\"`".into(),
                ));
            }
            out.push((Token::Phrase(chars[start..end].iter().collect()), column));
            i = end + 1;
        } else if c == '-'
            && chars
                .get(i + 1)
                .is_some_and(|n| !n.is_whitespace() && *n != ')')
        {
            out.push((Token::Minus, column));
            i += 1;
        } else {
            let start = i;
            while i < chars.len()
                && !chars[i].is_whitespace()
                && !matches!(chars[i], '(' | ')' | '"' | '“' | '”')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push((
                match word.as_str() {
                    "AND" => Token::And,
                    "OR" => Token::Or,
                    "NOT" => Token::Not,
                    _ => Token::Word(word),
                },
                column,
            ));
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Located>,
    at: usize,
    /// The column after the last character (where "the end" is).
    end: usize,
    err: &'a dyn Fn(usize, String) -> QueryError,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Located> {
        self.tokens.get(self.at)
    }

    fn column(&self) -> usize {
        self.peek().map_or(self.end, |(_, c)| *c)
    }

    fn found(&self) -> String {
        match self.peek() {
            None => "the end".into(),
            Some((t, _)) => format!("`{}`", show(t)),
        }
    }

    fn or(&mut self) -> Result<Node, QueryError> {
        let mut items = vec![self.and()?];
        while matches!(self.peek(), Some((Token::Or, _))) {
            self.at += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::Or(items)
        })
    }

    fn and(&mut self) -> Result<Node, QueryError> {
        let mut items = vec![self.unary()?];
        loop {
            match self.peek() {
                Some((Token::And, _)) => {
                    self.at += 1;
                    items.push(self.unary()?);
                }
                // Side by side: AND.
                Some((
                    Token::Open | Token::Not | Token::Minus | Token::Phrase(_) | Token::Word(_),
                    _,
                )) => {
                    items.push(self.unary()?);
                }
                _ => break,
            }
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Node::And(items)
        })
    }

    fn unary(&mut self) -> Result<Node, QueryError> {
        match self.peek() {
            Some((Token::Not, _)) => {
                self.at += 1;
                Ok(Node::Not(Box::new(self.unary()?)))
            }
            Some((Token::Minus, _)) => {
                self.at += 1;
                Ok(Node::Not(Box::new(self.primary()?)))
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Node, QueryError> {
        let Some((token, column)) = self.peek().cloned() else {
            let after = match self.at.checked_sub(1).and_then(|i| self.tokens.get(i)) {
                Some((t, _)) => format!(" after `{}`", show(t)),
                None => String::new(),
            };
            return Err((self.err)(
                self.end,
                format!("expected {A_TERM}{after}, found the end"),
            ));
        };
        self.at += 1;
        match token {
            Token::Open => {
                let inside = self.or()?;
                match self.peek() {
                    Some((Token::Close, _)) => {
                        self.at += 1;
                        Ok(inside)
                    }
                    _ => Err((self.err)(
                        self.column(),
                        format!(
                            "expected `)` to close the `(` of column {column}, found {}",
                            self.found()
                        ),
                    )),
                }
            }
            Token::Phrase(p) => {
                let words = words_of_folded(&fold(&p));
                if words.is_empty() {
                    return Err((self.err)(
                        column,
                        "an empty phrase: write words between the quotes".into(),
                    ));
                }
                Ok(Node::Term(Term::Words(words)))
            }
            Token::Word(w) => self.word(&w, column),
            other => Err((self.err)(
                column,
                format!("expected {A_TERM}, found `{}`", show(&other)),
            )),
        }
    }

    fn word(&self, w: &str, column: usize) -> Result<Node, QueryError> {
        let err = |m: String| Err((self.err)(column, m));
        if let Some(tag) = w.strip_prefix('#') {
            // As platforms read a hashtag: letters, digits and `_`.
            let tag = fold(tag);
            if tag.is_empty() {
                return err("a `#` with no hashtag after it".into());
            }
            if !tag.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return err(format!(
                    "`{w}`: a hashtag is letters, digits and `_` (write the words apart, or as a \"phrase\")"
                ));
            }
            return Ok(Node::Term(Term::Hashtag(tag)));
        }
        if let Some(handle) = w.strip_prefix('@') {
            let handle = fold(handle.trim_end_matches([',', '.', ';', '!', '?']));
            if handle.is_empty() {
                return err("an `@` with no handle after it".into());
            }
            return Ok(Node::Term(Term::Mention(handle)));
        }
        if let Some((op, value)) = w.split_once(':')
            && !op.is_empty()
            && op.chars().all(|c| c.is_ascii_alphabetic())
        {
            let value = value.trim();
            if value.is_empty() {
                return err(format!("`{op}:` needs a value, such as lang:fr or has:geo"));
            }
            let filter = match (op.to_ascii_lowercase().as_str(), fold(value).as_str()) {
                ("lang", v)
                    if v.len() >= 2
                        && v.len() <= 3
                        && v.chars().all(|c| c.is_ascii_alphabetic()) =>
                {
                    Filter::Lang(v.to_owned())
                }
                ("lang", _) => return err(format!("`{w}`: a language is a code such as fr or en")),
                ("from", v) => Filter::From(v.trim_start_matches('@').to_owned()),
                ("has", "geo") => Filter::HasGeo,
                ("has", "media") => Filter::HasMedia,
                ("has", _) => return err(format!("`{w}`: has: takes geo or media")),
                ("is", "reply") => Filter::IsReply,
                ("is", "repost" | "retweet") => Filter::IsRepost,
                ("is", "quote") => Filter::IsQuote,
                ("is", _) => return err(format!("`{w}`: is: takes reply, repost or quote")),
                ("near", _) => Filter::Near(value.to_owned()),
                _ => {
                    return err(format!(
                        "unknown operator `{op}:` (the operators are {OPERATORS})"
                    ));
                }
            };
            return Ok(Node::Filter(filter));
        }
        let words = words_of_folded(&fold(w));
        if words.is_empty() {
            return err(format!("`{w}` has no letter or digit to look for"));
        }
        // `saint-étienne` is the phrase `saint etienne`.
        Ok(Node::Term(Term::Words(words)))
    }
}

fn show(t: &Token) -> String {
    match t {
        Token::Open => "(".into(),
        Token::Close => ")".into(),
        Token::And => "AND".into(),
        Token::Or => "OR".into(),
        Token::Not => "NOT".into(),
        Token::Minus => "-".into(),
        Token::Phrase(p) => format!("\"{p}\""),
        Token::Word(w) => w.clone(),
    }
}

/// Parses query `name`'s `text`.
pub fn parse(name: &str, text: &str) -> Result<Node, QueryError> {
    let err = |column: usize, message: String| QueryError {
        query: name.to_owned(),
        column,
        message,
    };
    let tokens = tokens(text, &err)?;
    if tokens.is_empty() {
        return Err(err(1, format!("the query is empty: write {A_TERM}")));
    }
    let mut parser = Parser {
        tokens,
        at: 0,
        end: text.chars().count() + 1,
        err: &err,
    };
    let node = parser.or()?;
    match parser.peek() {
        None => Ok(node),
        Some((Token::Close, column)) => Err(err(*column, "a `)` that no `(` opens".into())),
        Some((t, column)) => Err(err(
            *column,
            format!("expected AND, OR or the end, found `{}`", show(t)),
        )),
    }
}

impl Node {
    /// Every geofence this query names with `near:`.
    pub fn geofences(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.visit(&mut |n| {
            if let Node::Filter(Filter::Near(name)) = n {
                out.push(name.as_str());
            }
        });
        out
    }

    fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Node)) {
        f(self);
        match self {
            Node::Not(inner) => inner.visit(f),
            Node::And(items) | Node::Or(items) => items.iter().for_each(|i| i.visit(f)),
            Node::Term(_) | Node::Filter(_) => {}
        }
    }

    /// Terms of which at least one must occur for the query to match, when there is such a set
    /// (`None`: the query may match a post with none of its terms, so it is read on every post).
    pub fn anchors(&self) -> Option<Vec<&Term>> {
        match self {
            Node::Term(t) => Some(vec![t]),
            Node::Filter(_) | Node::Not(_) => None,
            // Any one item's anchors will do: the smallest set.
            Node::And(items) => items.iter().filter_map(Node::anchors).min_by_key(Vec::len),
            Node::Or(items) => {
                let mut all = Vec::new();
                for item in items {
                    all.extend(item.anchors()?);
                }
                Some(all)
            }
        }
    }

    /// Every term of the query, negated ones included.
    pub fn terms(&self) -> Vec<&Term> {
        let mut out = Vec::new();
        self.visit(&mut |n| {
            if let Node::Term(t) = n {
                out.push(t);
            }
        });
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn words(w: &str) -> Node {
        Node::Term(Term::Words(w.into()))
    }

    #[test]
    fn terms_side_by_side_are_and_not_binds_tighter_then_and_then_or() {
        assert_eq!(
            parse(
                "q",
                "Anniversaire \"Joyeux  ANNIVERSAIRE\" OR #Château -is:repost"
            )
            .unwrap(),
            Node::Or(vec![
                Node::And(vec![words("anniversaire"), words("joyeux anniversaire")]),
                Node::And(vec![
                    Node::Term(Term::Hashtag("chateau".into())),
                    Node::Not(Box::new(Node::Filter(Filter::IsRepost))),
                ]),
            ])
        );
        assert_eq!(
            parse(
                "q",
                "(mariage OR \"lune de miel\") AND NOT @concurrent lang:fr"
            )
            .unwrap(),
            Node::And(vec![
                Node::Or(vec![words("mariage"), words("lune de miel")]),
                Node::Not(Box::new(Node::Term(Term::Mention("concurrent".into())))),
                Node::Filter(Filter::Lang("fr".into())),
            ])
        );
        assert_eq!(parse("q", "saint-étienne").unwrap(), words("saint etienne"));
        // Lowercase `and` is a word, as in the listening tools people know.
        assert_eq!(
            parse("q", "rock and roll").unwrap(),
            Node::And(vec![words("rock"), words("and"), words("roll")])
        );
    }

    #[test]
    fn a_syntax_error_names_the_query_the_column_and_what_was_expected() {
        let e = parse("anniv", "(mariage OR naissance").unwrap_err();
        assert_eq!(
            e.to_string(),
            "query `anniv`, column 22: expected `)` to close the `(` of column 1, found the end"
        );
        let e = parse("anniv", "mariage)").unwrap_err();
        assert_eq!(
            (e.column, e.message.as_str()),
            (8, "a `)` that no `(` opens")
        );
        let e = parse("anniv", "mariage OR").unwrap_err();
        assert_eq!(e.column, 11);
        assert!(e.message.contains("after `OR`, found the end"), "{e}");
        let e = parse("anniv", "mariage near:parc foo:bar").unwrap_err();
        assert_eq!(
            (e.column, e.message.as_str()),
            (
                19,
                "unknown operator `foo:` (the operators are lang:, from:, has:, is:, near:)"
            )
        );
        assert_eq!(
            parse("q", "has:video").unwrap_err().message,
            "`has:video`: has: takes geo or media"
        );
        assert_eq!(parse("q", "\"lune de miel").unwrap_err().column, 1);
        assert_eq!(parse("q", "   ").unwrap_err().column, 1);
        assert!(
            parse("q", "AND mariage")
                .unwrap_err()
                .message
                .contains("found `AND`")
        );
        assert!(parse("q", "#").unwrap_err().message.contains("no hashtag"));
    }

    #[test]
    fn anchors_are_the_terms_one_of_which_must_occur() {
        let q = parse("q", "(mariage OR #wedding) lang:fr -is:repost").unwrap();
        let anchors: Vec<String> = q
            .anchors()
            .unwrap()
            .iter()
            .map(|t| format!("{t:?}"))
            .collect();
        assert_eq!(anchors, ["Words(\"mariage\")", "Hashtag(\"wedding\")"]);
        assert_eq!(parse("q", "lang:fr has:geo").unwrap().anchors(), None);
        assert_eq!(parse("q", "mariage OR has:geo").unwrap().anchors(), None);
        assert_eq!(parse("q", "NOT mariage").unwrap().anchors(), None);
        assert_eq!(parse("q", "a near:parc").unwrap().geofences(), ["parc"]);
    }
}
