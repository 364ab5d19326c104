//! The lookup table: a CSV file loaded once into one string buffer, indexed by its key columns.

use crate::error::{CampaignError, ErrorKind};
use crate::fold::{fold_into, fold_words};
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::HashMap;
use std::path::Path;

/// Separates the parts of a composite key in the index.
const KEY_SEP: char = '\u{1f}';

/// What a table must provide: its key columns (in the campaign's field order), other columns
/// that must exist, and the column of names to index, if any.
#[derive(Debug, Clone)]
pub struct TableShape {
    pub key: Vec<String>,
    pub required: Vec<String>,
    pub by_name: Option<String>,
}

/// A loaded lookup table. Immutable: a reload builds a new one and swaps it in.
#[derive(Debug)]
pub struct Table {
    columns: Vec<String>,
    key_cols: Vec<usize>,
    /// Every cell, back to back.
    data: String,
    /// Cell `c` of row `r` is `data[offsets[r * ncols + c]..offsets[r * ncols + c + 1]]`.
    offsets: Vec<u32>,
    index: HashMap<String, u32>,
    names: Option<NameIndex>,
}

/// Names (folded into words) found in free text, for the "name instead of code" repair.
#[derive(Debug)]
struct NameIndex {
    /// The `by_name` column.
    column: usize,
    matcher: AhoCorasick,
    /// For each pattern of `matcher`: the rows carrying that name.
    rows: Vec<Vec<u32>>,
}

/// A name of the table written in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPlace {
    /// The rows carrying that name.
    pub rows: Vec<usize>,
    /// The words of the text it spans (indexes in the `fold_words` form).
    pub first_word: usize,
    pub last_word: usize,
}

/// The line of a CSV file's header: the first that is not a `#` comment.
fn header_line(path: &Path) -> u64 {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let comments = text.lines().take_while(|l| l.starts_with('#')).count();
    comments as u64 + 1
}

impl Table {
    /// Reads and indexes a CSV file. Lines starting with `#` are comments; cells are trimmed.
    pub fn load(path: &Path, shape: &TableShape) -> Result<Table, CampaignError> {
        let err = |msg: String| CampaignError::new(ErrorKind::Table, path, msg);
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_path(path)
            .map_err(|e| err(format!("cannot read the table: {e}")))?;
        let header = reader
            .headers()
            .map_err(|e| err(format!("cannot read the header: {e}")))?;
        let columns: Vec<String> = header.iter().map(str::to_owned).collect();
        let col = |name: &str| columns.iter().position(|c| c == name);
        let mut missing = Vec::new();
        let wanted = shape
            .key
            .iter()
            .chain(&shape.required)
            .chain(&shape.by_name);
        for name in wanted {
            if col(name).is_none() && !missing.contains(name) {
                missing.push(name.clone());
            }
        }
        if !missing.is_empty() {
            return Err(err(format!(
                "missing column(s) {} (the header has: {})",
                missing.join(", "),
                columns.join(", ")
            ))
            .at_line(header_line(path))
            .field(missing.join(", ")));
        }
        let key_cols: Vec<usize> = shape.key.iter().filter_map(|k| col(k)).collect();
        let ncols = columns.len();
        let mut table = Table {
            columns,
            key_cols,
            data: String::new(),
            offsets: vec![0],
            index: HashMap::new(),
            names: None,
        };
        let mut record = csv::StringRecord::new();
        let mut first_line: Vec<u64> = Vec::new();
        let mut key = String::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(0, csv::Position::line);
                    return Err(err(format!("unreadable row: {e}")).at_line(line));
                }
            }
            let line = record.position().map_or(0, csv::Position::line);
            if record.len() != ncols {
                return Err(err(format!(
                    "row has {} cells, the header {ncols}",
                    record.len()
                ))
                .at_line(line));
            }
            let row = u32::try_from(first_line.len()).map_err(|_| err("too many rows".into()))?;
            table.key_of_record(&record, &mut key);
            if let Some(&other) = table.index.get(key.as_str()) {
                let other_line = first_line.get(other as usize).copied().unwrap_or(0);
                return Err(err(format!(
                    "duplicate key {} (first on line {other_line})",
                    key.replace(KEY_SEP, ", ")
                ))
                .at_line(line)
                .field(shape.key.join(", ")));
            }
            table.index.insert(key.clone(), row);
            for cell in record.iter() {
                table.data.push_str(cell);
                let end = u32::try_from(table.data.len())
                    .map_err(|_| err("the table is larger than 4 GiB".into()))?;
                table.offsets.push(end);
            }
            first_line.push(line);
        }
        if first_line.is_empty() {
            return Err(err("the table has no rows".into()));
        }
        if let Some(by_name) = &shape.by_name {
            table.names = table.name_index(by_name, path)?;
        }
        Ok(table)
    }

    fn key_of_record(&self, record: &csv::StringRecord, key: &mut String) {
        key.clear();
        let mut part = String::new();
        for (i, &c) in self.key_cols.iter().enumerate() {
            if i > 0 {
                key.push(KEY_SEP);
            }
            fold_into(record.get(c).unwrap_or(""), &mut part);
            key.push_str(&part);
        }
    }

    fn name_index(&self, column: &str, path: &Path) -> Result<Option<NameIndex>, CampaignError> {
        let Some(c) = self.columns.iter().position(|n| n == column) else {
            return Ok(None);
        };
        let mut by_name: HashMap<String, Vec<u32>> = HashMap::new();
        for r in 0..self.len() {
            let name = fold_words(self.cell(r, c));
            if name.chars().count() >= 2 {
                by_name.entry(name).or_default().push(r as u32);
            }
        }
        let (patterns, rows): (Vec<String>, Vec<Vec<u32>>) = by_name.into_iter().unzip();
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .map_err(|e| {
                CampaignError::new(ErrorKind::Table, path, format!("name index: {e}")).field(column)
            })?;
        Ok(Some(NameIndex {
            column: c,
            matcher,
            rows,
        }))
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        (self.offsets.len() - 1) / self.columns.len().max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The cell of row `row`, column `col` ("" when out of range).
    pub fn cell(&self, row: usize, col: usize) -> &str {
        let i = row * self.columns.len() + col;
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => self.data.get(a as usize..b as usize).unwrap_or(""),
            _ => "",
        }
    }

    /// `(column, value)` pairs of one row.
    pub fn row(&self, row: usize) -> impl Iterator<Item = (&str, &str)> {
        self.columns
            .iter()
            .enumerate()
            .map(move |(c, name)| (name.as_str(), self.cell(row, c)))
    }

    /// The key values of one row, in key order.
    pub fn key_values(&self, row: usize) -> Vec<&str> {
        self.key_cols.iter().map(|&c| self.cell(row, c)).collect()
    }

    /// Finds the row for these key values (accent- and case-insensitive). A value marked
    /// `wildcard_ok` may also match a row whose cell is empty: that row is the default for
    /// any value (or for none). Exact rows win over defaults.
    pub fn find(&self, values: &[&str], wildcard_ok: &[bool]) -> Option<usize> {
        let n = values.len().min(8);
        let mut key = String::new();
        let mut part = String::new();
        let mut masks: Vec<u32> = (0..1u32 << n)
            .filter(|m| (0..n).all(|i| m & (1 << i) == 0 || wildcard_ok.get(i) == Some(&true)))
            .collect();
        masks.sort_by_key(|m| m.count_ones());
        for mask in masks {
            key.clear();
            for (i, v) in values.iter().take(n).enumerate() {
                if i > 0 {
                    key.push(KEY_SEP);
                }
                if mask & (1 << i) == 0 {
                    fold_into(v, &mut part);
                    key.push_str(&part);
                }
            }
            if let Some(&row) = self.index.get(key.as_str()) {
                return Some(row as usize);
            }
        }
        None
    }

    /// Do these rows differ only by their key (one commune with several postal codes)?
    pub fn same_place(&self, rows: &[usize]) -> bool {
        let Some((&first, rest)) = rows.split_first() else {
            return false;
        };
        rest.iter().all(|&r| {
            (0..self.columns.len())
                .filter(|c| !self.key_cols.contains(c))
                .all(|c| self.cell(r, c) == self.cell(first, c))
        })
    }

    /// Rows whose name (the `by_name` column) is written in `words` (text folded by
    /// [`fold_words`]), whole words only; the longest name wins.
    pub fn rows_named_in(&self, words: &str) -> Vec<usize> {
        self.places_named_in(words)
            .into_iter()
            .next()
            .map(|p| p.rows)
            .unwrap_or_default()
    }

    /// Every name of the `by_name` column written in `words` (whole words, the longest at
    /// each place), in the order written.
    pub fn places_named_in(&self, words: &str) -> Vec<NamedPlace> {
        let Some(names) = &self.names else {
            return Vec::new();
        };
        let bytes = words.as_bytes();
        let word_at = |offset: usize| bytes.iter().take(offset).filter(|&&b| b == b' ').count();
        names
            .matcher
            .find_iter(words)
            .filter(|m| {
                (m.start() == 0 || bytes.get(m.start() - 1) == Some(&b' '))
                    && (m.end() == bytes.len() || bytes.get(m.end()) == Some(&b' '))
            })
            .filter_map(|m| {
                let rows = names.rows.get(m.pattern().as_usize())?;
                Some(NamedPlace {
                    rows: rows.iter().map(|&r| r as usize).collect(),
                    first_word: word_at(m.start()),
                    last_word: word_at(m.end()),
                })
            })
            .collect()
    }

    /// The name (the `by_name` column) of a row, if the table has names.
    pub fn name_of(&self, row: usize) -> Option<&str> {
        self.names.as_ref().map(|n| self.cell(row, n.column))
    }
}
