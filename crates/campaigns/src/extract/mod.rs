//! Extraction of named fields from a request: postal codes, airports, dates.
//!
//! Each extractor returns candidates, best first (exact readings before repaired ones); the
//! lookup keeps the first candidate the table knows.

pub mod airport;
pub mod date;
pub mod postal;

pub use airport::Places;

use std::sync::Arc;

/// A correction applied to a malformed request before it could be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Repair {
    /// The letter O written for a zero (`69OO3`).
    LetterOForZero,
    /// Spaces or dots inside the code (`69 003`, `69.003`).
    SpacesInCode,
    /// A name written instead of the code (`Villeurbanne` for `69100`), found in the table.
    NameForCode,
}

impl Repair {
    /// Stable snake_case name, for reasons and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Repair::LetterOForZero => "letter_o_for_zero",
            Repair::SpacesInCode => "spaces_in_code",
            Repair::NameForCode => "name_for_code",
        }
    }
}

/// What a field extracts.
#[derive(Debug, Clone)]
pub enum FieldKind {
    /// A French postal code: five digits. `by_name` is the table column of names accepted
    /// instead of the code.
    PostalCode { by_name: Option<String> },
    /// An airport: an IATA code in capitals, or a name or alias from the places table.
    /// The n-th airport field takes the n-th airport written.
    Airport(Arc<Places>),
    /// A date in French or English (`12 mai`, `le 3 juin`, `May 12`, `2026-05-12`, `12/05`).
    Date { default_year: Option<i32> },
}

impl FieldKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            FieldKind::PostalCode { .. } => "postal_code",
            FieldKind::Airport(_) => "airport",
            FieldKind::Date { .. } => "date",
        }
    }
}

/// A named field of a campaign.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub kind: FieldKind,
    pub required: bool,
}

/// One possible value for a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub value: String,
    pub repairs: Vec<Repair>,
    /// One of the places a name shared by several names (`Paris`: CDG or ORY): not a reading
    /// to guess between.
    pub shared: bool,
}

impl Candidate {
    pub fn exact(value: impl Into<String>) -> Self {
        Candidate {
            value: value.into(),
            repairs: Vec::new(),
            shared: false,
        }
    }
}

/// The text of a request in the forms extractors read.
#[derive(Debug)]
pub struct Request<'a> {
    /// As written.
    pub text: &'a str,
    /// Folded (lowercase, no accents).
    pub folded: &'a str,
    /// Folded, punctuation runs turned into single spaces.
    pub words: &'a str,
}

/// Candidates for every field, in field order. The n-th airport field takes the n-th airport,
/// in the order written or by the words that say which end of the trip each is
/// ([`airport::assign`]).
pub fn extract(fields: &[Field], req: &Request<'_>) -> Vec<Vec<Candidate>> {
    let mut airport_rank = 0;
    let airport_fields = fields
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::Airport(_)))
        .count();
    fields
        .iter()
        .map(|f| match &f.kind {
            FieldKind::PostalCode { .. } => postal::candidates(req.words),
            FieldKind::Airport(places) => {
                let rank = airport_rank;
                airport_rank += 1;
                // A name several airports share gives them all, each a candidate that
                // shares it: the lookup asks which one when the table has more than one.
                let codes = airport::assign(&places.mentions_with_ends(req.text), airport_fields)
                    .into_iter()
                    .nth(rank)
                    .flatten()
                    .unwrap_or_default();
                let shared = codes.len() > 1;
                codes
                    .into_iter()
                    .map(|code| Candidate {
                        shared,
                        ..Candidate::exact(code)
                    })
                    .collect()
            }
            FieldKind::Date { default_year } => date::find(req.folded, req.words, *default_year)
                .map(Candidate::exact)
                .into_iter()
                .collect(),
        })
        .collect()
}
