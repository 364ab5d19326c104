//! From a request's text to a table row: extraction, lookup, and the repairs in between.

use crate::campaign::Campaign;
use crate::extract::{Candidate, FieldKind, Repair, Request, extract};
use crate::table::Table;

/// Why a request could not be answered (the help reply goes out instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpCause {
    /// A required field was not found in the text.
    Missing(Vec<String>),
    /// The fields were read but the table has no row for them.
    NotFound,
    /// A name matches several rows that are different places (two communes called
    /// Saint-Denis). Rows differing only by their key (one commune, several postal codes)
    /// are one place. The help asks which one, naming each choice (`93200 (Saint-Denis)`).
    Ambiguous(Vec<String>),
    /// A code and a place named beside it are different places (`69003 Villeurbanne`:
    /// 69003 is Lyon 3e). The help asks which one, naming both; it never guesses.
    Contradiction(Vec<String>),
}

impl HelpCause {
    pub fn as_str(&self) -> &'static str {
        match self {
            HelpCause::Missing(_) => "missing_field",
            HelpCause::NotFound => "not_found",
            HelpCause::Ambiguous(_) => "ambiguous",
            HelpCause::Contradiction(_) => "contradiction",
        }
    }

    /// The places the help asks the person to choose between (empty when it does not ask).
    pub fn choices(&self) -> &[String] {
        match self {
            HelpCause::Ambiguous(c) | HelpCause::Contradiction(c) => c,
            HelpCause::Missing(_) | HelpCause::NotFound => &[],
        }
    }
}

/// What a request resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Found {
        /// One per field, in field order; `None` for an optional field not given.
        values: Vec<Option<String>>,
        /// The table row, when the campaign has a table.
        row: Option<usize>,
        /// The other rows the request names, in the order written (`#MonRésultat 69003 69100`):
        /// one reply covers them all.
        also: Vec<usize>,
        repairs: Vec<Repair>,
    },
    Help {
        cause: HelpCause,
        /// Did the text hold anything at all for the campaign's fields?
        anything: bool,
    },
}

/// At most this many combinations of candidates are looked up.
const MAX_COMBINATIONS: usize = 32;

/// At most this many places are answered in one reply to a request that names several.
pub const MAX_PLACES: usize = 5;

/// A place's name counts against a code only when at most this many words separate them
/// (`69003 Villeurbanne`, `Villeurbanne : 69003`), so that a name that is also a common word
/// elsewhere in the message (`nice`, `eu`) does not contradict a code.
const NEAR_WORDS: usize = 2;

pub fn resolve(campaign: &Campaign, req: &Request<'_>, table: Option<&Table>) -> Resolution {
    let candidates = extract(&campaign.fields, req);
    let anything = candidates.iter().any(|c| !c.is_empty());
    let missing: Vec<String> = campaign
        .fields
        .iter()
        .zip(&candidates)
        .filter(|(f, c)| f.required && c.is_empty())
        .map(|(f, _)| f.name.clone())
        .collect();
    let Some(table) = table else {
        if !missing.is_empty() {
            return Resolution::Help {
                cause: HelpCause::Missing(missing),
                anything,
            };
        }
        let mut repairs = Vec::new();
        let values = candidates
            .iter()
            .map(|c| {
                c.first().map(|c| {
                    repairs.extend(&c.repairs);
                    c.value.clone()
                })
            })
            .collect();
        return Resolution::Found {
            values,
            row: None,
            also: Vec::new(),
            repairs: sorted(repairs),
        };
    };
    let key_fields = key_field_indexes(campaign);
    if missing.is_empty()
        && let Some(mut found) = lookup(campaign, table, &key_fields, &candidates)
    {
        if let Resolution::Found {
            row: Some(row),
            also,
            ..
        } = &mut found
        {
            *also = other_places(campaign, table, &key_fields, &candidates, *row);
            let mut rows = vec![*row];
            rows.extend(also.iter().copied());
            if let Some(cause) = contradiction(campaign, table, req, &key_fields, &rows) {
                return Resolution::Help {
                    cause,
                    anything: true,
                };
            }
        }
        return found;
    }
    if let Some(found) = by_name(campaign, table, req, &key_fields, &candidates) {
        return found;
    }
    let cause = if missing.is_empty() {
        HelpCause::NotFound
    } else {
        HelpCause::Missing(missing)
    };
    Resolution::Help { cause, anything }
}

/// For each key column of the table, the index of the field that feeds it.
fn key_field_indexes(campaign: &Campaign) -> Vec<usize> {
    let Some(slot) = &campaign.table else {
        return Vec::new();
    };
    slot.shape
        .key
        .iter()
        .filter_map(|k| campaign.fields.iter().position(|f| &f.name == k))
        .collect()
}

fn lookup(
    campaign: &Campaign,
    table: &Table,
    key_fields: &[usize],
    candidates: &[Vec<Candidate>],
) -> Option<Resolution> {
    let none: Vec<Candidate> = Vec::new();
    let lists: Vec<&Vec<Candidate>> = key_fields
        .iter()
        .map(|&f| candidates.get(f).unwrap_or(&none))
        .collect();
    let wildcard_ok: Vec<bool> = key_fields
        .iter()
        .map(|&f| campaign.fields.get(f).is_some_and(|f| !f.required))
        .collect();
    let sizes: Vec<usize> = lists.iter().map(|l| l.len().max(1)).collect();
    let total: usize = sizes.iter().product();
    for n in 0..total.min(MAX_COMBINATIONS) {
        let mut rest = n;
        let mut chosen: Vec<Option<&Candidate>> = Vec::with_capacity(lists.len());
        for (list, size) in lists.iter().zip(&sizes) {
            chosen.push(list.get(rest % size));
            rest /= size;
        }
        let values: Vec<&str> = chosen
            .iter()
            .map(|c| c.map_or("", |c| c.value.as_str()))
            .collect();
        if let Some(row) = table.find(&values, &wildcard_ok) {
            let shared = shared_rows(table, &lists, &chosen, &values, &wildcard_ok, row);
            if shared.len() > 1 {
                return Some(Resolution::Help {
                    cause: HelpCause::Ambiguous(shared_choices(
                        campaign, table, key_fields, &shared,
                    )),
                    anything: true,
                });
            }
            let mut repairs = Vec::new();
            let mut out: Vec<Option<String>> = candidates
                .iter()
                .map(|c| c.first().map(|c| c.value.clone()))
                .collect();
            for (&f, c) in key_fields.iter().zip(&chosen) {
                if let (Some(slot), Some(c)) = (out.get_mut(f), c) {
                    *slot = Some(c.value.clone());
                    repairs.extend(&c.repairs);
                }
            }
            for (i, c) in candidates.iter().enumerate() {
                if !key_fields.contains(&i)
                    && let Some(c) = c.first()
                {
                    repairs.extend(&c.repairs);
                }
            }
            return Some(Resolution::Found {
                values: out,
                row: Some(row),
                also: Vec::new(),
                repairs: sorted(repairs),
            });
        }
    }
    None
}

/// A name several places share (`Paris`: CDG and ORY) in a found request: the rows the table
/// also has for the other places it names, the found one first. One row: nothing to ask.
fn shared_rows(
    table: &Table,
    lists: &[&Vec<Candidate>],
    chosen: &[Option<&Candidate>],
    values: &[&str],
    wildcard_ok: &[bool],
    found: usize,
) -> Vec<usize> {
    let mut rows = vec![found];
    for (k, c) in chosen.iter().enumerate() {
        let Some(c) = c.filter(|c| c.shared) else {
            continue;
        };
        let others = lists.get(k).map_or(&[][..], |l| l.as_slice());
        for other in others.iter().filter(|o| o.shared && o.value != c.value) {
            let mut tried = values.to_vec();
            if let Some(slot) = tried.get_mut(k) {
                *slot = other.value.as_str();
            }
            if let Some(r) = table.find(&tried, wildcard_ok)
                && !rows.contains(&r)
            {
                rows.push(r);
            }
        }
    }
    rows
}

/// How choices between places a name shares are named: the row's key, then the name each
/// shared place is known by alone (`CDG BCN (Charles de Gaulle)`, `ORY BCN (Paris Orly)`).
fn shared_choices(
    campaign: &Campaign,
    table: &Table,
    key_fields: &[usize],
    rows: &[usize],
) -> Vec<String> {
    rows.iter()
        .map(|&r| {
            let keys = table.key_values(r);
            let key = keys
                .iter()
                .filter(|k| !k.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            // The names of the places that tell these rows apart (not the shared destination).
            let names: Vec<&str> = key_fields
                .iter()
                .zip(&keys)
                .filter(|(_, code)| !rows.iter().all(|&o| table.key_values(o).contains(code)))
                .filter_map(|(&f, code)| match &campaign.fields.get(f)?.kind {
                    FieldKind::Airport(places) => places.display_name(code),
                    _ => None,
                })
                .collect();
            if names.is_empty() {
                key
            } else {
                format!("{key} ({})", names.join(", "))
            }
        })
        .collect()
}

/// The "name instead of the code" repair: a postal-code field with `by_name` finds a row
/// whose name column is written in the text.
fn by_name(
    campaign: &Campaign,
    table: &Table,
    req: &Request<'_>,
    key_fields: &[usize],
    candidates: &[Vec<Candidate>],
) -> Option<Resolution> {
    let has_names = campaign.fields.iter().enumerate().any(|(i, f)| {
        key_fields.contains(&i) && matches!(&f.kind, FieldKind::PostalCode { by_name: Some(_) })
    });
    if !has_names {
        return None;
    }
    let rows = table.rows_named_in(req.words);
    let rows = if table.same_place(&rows) {
        &rows[..1]
    } else {
        &rows[..]
    };
    match rows {
        [] => None,
        [row] => {
            let keys = table.key_values(*row);
            let mut values: Vec<Option<String>> = candidates
                .iter()
                .map(|c| c.first().map(|c| c.value.clone()))
                .collect();
            for (&f, k) in key_fields.iter().zip(keys) {
                if let Some(slot) = values.get_mut(f) {
                    *slot = Some(k.to_owned());
                }
            }
            Some(Resolution::Found {
                values,
                row: Some(*row),
                also: Vec::new(),
                repairs: vec![Repair::NameForCode],
            })
        }
        _ => Some(Resolution::Help {
            cause: HelpCause::Ambiguous(choices(table, rows)),
            anything: true,
        }),
    }
}

/// Does the campaign read one postal code as its whole key (the only key a request can give
/// several of, or contradict with a name)? Returns that field's index.
fn single_postal_key(campaign: &Campaign, key_fields: &[usize]) -> Option<usize> {
    match key_fields {
        [f] if campaign
            .fields
            .get(*f)
            .is_some_and(|f| matches!(f.kind, FieldKind::PostalCode { .. })) =>
        {
            Some(*f)
        }
        _ => None,
    }
}

/// Several codes in one request (`#MonRésultat 69003 et 69100`): the rows of the other codes
/// the table knows, in the order written, each place once, at most [`MAX_PLACES`] in all.
fn other_places(
    campaign: &Campaign,
    table: &Table,
    key_fields: &[usize],
    candidates: &[Vec<Candidate>],
    first: usize,
) -> Vec<usize> {
    let Some(list) = single_postal_key(campaign, key_fields).and_then(|f| candidates.get(f)) else {
        return Vec::new();
    };
    let mut rows = vec![first];
    for c in list {
        if rows.len() >= MAX_PLACES {
            break;
        }
        if let Some(r) = table.find(&[c.value.as_str()], &[false])
            && !rows.iter().any(|&seen| table.same_place(&[seen, r]))
        {
            rows.push(r);
        }
    }
    rows.split_off(1)
}

/// A place named beside the codes that is none of their places: the request contradicts
/// itself, and the help asks which one was meant (the code's place or the named one).
fn contradiction(
    campaign: &Campaign,
    table: &Table,
    req: &Request<'_>,
    key_fields: &[usize],
    rows: &[usize],
) -> Option<HelpCause> {
    let has_names = single_postal_key(campaign, key_fields).is_some_and(|f| {
        campaign
            .fields
            .get(f)
            .is_some_and(|f| matches!(&f.kind, FieldKind::PostalCode { by_name: Some(_) }))
    });
    if !has_names {
        return None;
    }
    let words: Vec<&str> = req.words.split(' ').collect();
    let near_a_code = |first: usize, last: usize| {
        words.iter().enumerate().any(|(i, w)| {
            w.bytes().any(|b| b.is_ascii_digit())
                && (i + NEAR_WORDS >= first && i <= last + NEAR_WORDS)
                && !(first..=last).contains(&i)
        })
    };
    for named in table.places_named_in(req.words) {
        let agrees = named
            .rows
            .iter()
            .any(|&n| rows.iter().any(|&r| table.same_place(&[r, n]) || n == r));
        if agrees || !near_a_code(named.first_word, named.last_word) {
            continue;
        }
        let mut all = rows.to_vec();
        all.extend(named.rows.iter().copied());
        all.dedup();
        return Some(HelpCause::Contradiction(choices(table, &all)));
    }
    None
}

/// How choices are named to the person: their key and name, `69003 (Lyon 3e Arrondissement)`;
/// places that share a name also get their department, `93200 (Saint-Denis,
/// Seine-Saint-Denis)`, so that "the one in Réunion" can pick one.
fn choices(table: &Table, rows: &[usize]) -> Vec<String> {
    let name = |r: usize| table.name_of(r).filter(|n| !n.is_empty());
    rows.iter()
        .map(|&r| {
            let key = table.key_values(r).join(" ");
            let Some(own) = name(r) else { return key };
            let shared = rows.iter().any(|&o| o != r && name(o) == Some(own));
            match crate::extract::postal::department(&key).filter(|_| shared) {
                Some(department) => format!("{key} ({own}, {department})"),
                None => format!("{key} ({own})"),
            }
        })
        .collect()
}

fn sorted(mut repairs: Vec<Repair>) -> Vec<Repair> {
    repairs.sort_unstable();
    repairs.dedup();
    repairs
}
