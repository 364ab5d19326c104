//! Every query compiled into one matcher: the words and phrases of all queries in one
//! Aho-Corasick automaton run once over a post's folded words, hashtags and mentions looked up
//! in maps; then only the queries one of whose anchor terms occurred are evaluated (plus the
//! few made of filters alone). The cost of a post grows with what it contains, not with the
//! number of queries.

use crate::Policy;
use crate::query::{Filter, Node, QueryError, Term, parse};
use aho_corasick::{AhoCorasick, MatchKind};
use palabre_core::fold::{fold, fold_into, words_of_folded_into};
use palabre_core::{Message, MessageKind};
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

/// A named query as the brand declares it.
#[derive(Debug, Clone)]
pub struct QuerySpec {
    pub name: String,
    pub query: String,
    pub policy: Policy,
}

#[derive(Debug)]
struct Compiled {
    name: String,
    policy: Policy,
    node: Node,
}

/// All the brand's queries, ready to read posts.
#[derive(Debug)]
pub struct Matcher {
    queries: Vec<Compiled>,
    /// Words and phrases, each as ` words ` so that only whole words match.
    automaton: Option<AhoCorasick>,
    /// Pattern index → term id.
    word_terms: Vec<u32>,
    hashtags: HashMap<String, u32>,
    mentions: HashMap<String, u32>,
    /// Term → its id.
    ids: HashMap<Term, u32>,
    /// Term id → the queries it anchors.
    anchored: Vec<Vec<u32>>,
    /// Queries read on every post (no anchor: filters or negations alone).
    always: Vec<u32>,
}

/// What a post is matched against, beside the post itself.
pub struct Context<'a> {
    /// The geofences the post is inside (for `near:`).
    pub inside: &'a [&'a str],
    /// The post's language, asked only when a query has `lang:` (detection costs).
    pub lang: &'a dyn Fn() -> Option<String>,
}

/// Why a query set cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatcherError {
    #[error(transparent)]
    Syntax(#[from] QueryError),
    #[error("two queries are named `{0}`")]
    Duplicate(String),
    #[error("query `{query}`: near:{geofence} names no geofence ({known})")]
    UnknownGeofence {
        query: String,
        geofence: String,
        known: String,
    },
    #[error("the queries' terms cannot be compiled: {0}")]
    Build(String),
}

impl Matcher {
    /// Compiles `specs`; `geofences` are the names `near:` may use.
    pub fn compile(specs: &[QuerySpec], geofences: &[&str]) -> Result<Matcher, MatcherError> {
        let mut queries = Vec::with_capacity(specs.len());
        let mut names = std::collections::HashSet::new();
        for spec in specs {
            if !names.insert(spec.name.as_str()) {
                return Err(MatcherError::Duplicate(spec.name.clone()));
            }
            let node = parse(&spec.name, &spec.query)?;
            if let Some(unknown) = node
                .geofences()
                .into_iter()
                .find(|g| !geofences.contains(g))
            {
                return Err(MatcherError::UnknownGeofence {
                    query: spec.name.clone(),
                    geofence: unknown.to_owned(),
                    known: if geofences.is_empty() {
                        "none is declared".into()
                    } else {
                        geofences.join(", ")
                    },
                });
            }
            queries.push(Compiled {
                name: spec.name.clone(),
                policy: spec.policy,
                node,
            });
        }
        let mut ids: HashMap<Term, u32> = HashMap::new();
        for q in &queries {
            for term in q.node.terms() {
                let next = ids.len() as u32;
                ids.entry(term.clone()).or_insert(next);
            }
        }
        let mut anchored = vec![Vec::new(); ids.len()];
        let mut always = Vec::new();
        for (i, q) in queries.iter().enumerate() {
            match q.node.anchors() {
                Some(terms) => {
                    for term in terms {
                        if let Some(&id) = ids.get(term) {
                            let list = &mut anchored[id as usize];
                            if list.last() != Some(&(i as u32)) {
                                list.push(i as u32);
                            }
                        }
                    }
                }
                None => always.push(i as u32),
            }
        }
        let (mut patterns, mut word_terms) = (Vec::new(), Vec::new());
        let (mut hashtags, mut mentions) = (HashMap::new(), HashMap::new());
        for (term, &id) in &ids {
            match term {
                Term::Words(w) => {
                    patterns.push(format!(" {w} "));
                    word_terms.push(id);
                }
                Term::Hashtag(h) => {
                    hashtags.insert(h.clone(), id);
                }
                Term::Mention(m) => {
                    mentions.insert(m.clone(), id);
                }
            }
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&patterns)
                    .map_err(|e| MatcherError::Build(e.to_string()))?,
            )
        };
        Ok(Matcher {
            queries,
            automaton,
            word_terms,
            hashtags,
            mentions,
            ids,
            anchored,
            always,
        })
    }

    pub fn len(&self) -> usize {
        self.queries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queries.is_empty()
    }

    pub fn name(&self, query: usize) -> &str {
        self.queries.get(query).map_or("", |q| q.name.as_str())
    }

    pub fn policy(&self, query: usize) -> Policy {
        self.queries
            .get(query)
            .map_or(Policy::Observe, |q| q.policy)
    }

    /// The queries `message` matches, in their declared order.
    pub fn matches(&self, message: &Message, context: &Context<'_>) -> Vec<usize> {
        if self.queries.is_empty() {
            return Vec::new();
        }
        let occurred = self.occurred(message);
        let mut candidates: Vec<u32> = self.always.clone();
        for &term in &occurred {
            if let Some(list) = self.anchored.get(term as usize) {
                candidates.extend_from_slice(list);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let lang = OnceCell::new();
        let facts = Facts {
            message,
            occurred: &occurred,
            ids: &self.ids,
            context,
            lang: &lang,
        };
        candidates
            .into_iter()
            .filter(|&q| {
                self.queries
                    .get(q as usize)
                    .is_some_and(|q| facts.eval(&q.node))
            })
            .map(|q| q as usize)
            .collect()
    }

    /// The ids of the terms `message` contains, sorted. The text is folded once, into this
    /// thread's buffers (no allocation per post but the result).
    fn occurred(&self, message: &Message) -> Vec<u32> {
        thread_local! {
            static BUFFERS: RefCell<(String, String)> = const { RefCell::new((String::new(), String::new())) };
        }
        BUFFERS.with(|buffers| {
            let mut buffers = buffers.borrow_mut();
            let (folded, words) = &mut *buffers;
            fold_into(&message.text, folded);
            let mut found = Vec::new();
            if let Some(automaton) = &self.automaton {
                words.clear();
                words.push(' ');
                words_of_folded_into(folded, words);
                words.push(' ');
                for m in automaton.find_overlapping_iter(words.as_str()) {
                    if let Some(&id) = self.word_terms.get(m.pattern().as_usize()) {
                        found.push(id);
                    }
                }
            }
            if !self.hashtags.is_empty() {
                for tag in marked(folded, '#') {
                    found.extend(self.hashtags.get(tag));
                }
                for tag in &message.entities.hashtags {
                    found.extend(self.hashtags.get(&fold(tag)));
                }
            }
            if !self.mentions.is_empty() {
                for handle in marked(folded, '@') {
                    found.extend(self.mentions.get(handle));
                }
                for mention in &message.entities.mentions {
                    found.extend(self.mentions.get(&fold(&mention.handle)));
                }
            }
            found.sort_unstable();
            found.dedup();
            found
        })
    }
}

/// The words written after `mark` in a folded text (`#monresultat` → `monresultat`): a
/// hashtag's letters, digits and `_`; a handle's also `.`, `@` and `-` inside it.
pub(crate) fn marked(folded: &str, mark: char) -> impl Iterator<Item = &str> {
    folded.split(mark).skip(1).filter_map(move |rest| {
        let end = rest
            .find(|c: char| {
                !(c.is_alphanumeric() || c == '_' || (mark == '@' && matches!(c, '.' | '@' | '-')))
            })
            .unwrap_or(rest.len());
        let word = rest[..end].trim_end_matches(['.', '-']);
        (!word.is_empty()).then_some(word)
    })
}

/// What one query is evaluated against.
struct Facts<'a> {
    message: &'a Message,
    occurred: &'a [u32],
    ids: &'a HashMap<Term, u32>,
    context: &'a Context<'a>,
    lang: &'a OnceCell<Option<String>>,
}

impl Facts<'_> {
    fn eval(&self, node: &Node) -> bool {
        match node {
            Node::Term(t) => self
                .ids
                .get(t)
                .is_some_and(|id| self.occurred.binary_search(id).is_ok()),
            Node::Filter(f) => self.filter(f),
            Node::Not(inner) => !self.eval(inner),
            Node::And(items) => items.iter().all(|i| self.eval(i)),
            Node::Or(items) => items.iter().any(|i| self.eval(i)),
        }
    }

    fn filter(&self, f: &Filter) -> bool {
        let m = self.message;
        match f {
            Filter::Lang(code) => self
                .lang
                .get_or_init(|| (self.context.lang)())
                .as_deref()
                .is_some_and(|l| l.eq_ignore_ascii_case(code)),
            Filter::From(handle) => m
                .author
                .handle
                .as_deref()
                .is_some_and(|h| fold(h.trim_start_matches('@')) == *handle),
            Filter::HasGeo => m.entities.geo.is_some() || m.entities.place.is_some(),
            Filter::HasMedia => !m.entities.media.is_empty(),
            Filter::IsReply => m.in_reply_to.is_some() || m.kind == MessageKind::Reply,
            Filter::IsRepost => m.kind == MessageKind::Repost,
            Filter::IsQuote => m.kind == MessageKind::Quote,
            Filter::Near(name) => self.context.inside.contains(&name.as_str()),
        }
    }
}
