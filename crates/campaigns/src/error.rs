//! Load errors: every one names the file, and where it can the line, column and field.

use std::fmt;
use std::path::{Path, PathBuf};

/// What kind of problem a campaign file, table or template has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The file could not be read.
    Io,
    /// The TOML is malformed, or a field is unknown, missing or of the wrong type.
    Syntax,
    /// The TOML is well formed but a value is refused (bad window, unknown channel…).
    Invalid,
    /// A reply, help or link template does not compile, uses an unknown variable, or fails
    /// (or runs out of fuel) when rendered with the example request.
    Template,
    /// The lookup table (CSV) is unreadable, lacks a column, or repeats a key.
    Table,
    /// The help example does not extract, or is not found in the table.
    Example,
}

/// A campaign that cannot be loaded (or a table that cannot be reloaded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignError {
    pub kind: ErrorKind,
    /// The campaign file, or the CSV file for table errors.
    pub file: PathBuf,
    /// 1-based line in `file`.
    pub line: Option<usize>,
    /// 1-based column in `file`.
    pub column: Option<usize>,
    /// The field (TOML key or CSV column) at fault.
    pub field: Option<String>,
    pub message: String,
}

impl CampaignError {
    pub(crate) fn new(kind: ErrorKind, file: &Path, message: impl Into<String>) -> Self {
        CampaignError {
            kind,
            file: file.to_path_buf(),
            line: None,
            column: None,
            field: None,
            message: message.into(),
        }
    }

    /// Places the error at a byte offset of the source `src`.
    pub(crate) fn at(mut self, src: &str, offset: usize) -> Self {
        let (line, column) = line_col(src, offset);
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    pub(crate) fn at_line(mut self, line: u64) -> Self {
        self.line = usize::try_from(line).ok();
        self
    }

    pub(crate) fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for CampaignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for CampaignError {}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(src, offset.min(src.len()));
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The TOML key written on the line holding `offset` (`window = "6x"` → `window`), or the
/// table header (`[trigger]` → `trigger`).
pub(crate) fn key_at(src: &str, offset: usize) -> Option<String> {
    let offset = floor_char_boundary(src, offset.min(src.len()));
    let start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = src[offset..].find('\n').map_or(src.len(), |i| offset + i);
    let line = src[start..end].trim();
    if let Some(header) = line.strip_prefix('[') {
        return Some(
            header
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned(),
        );
    }
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty()).then(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_columns_and_keys() {
        let src = "id = \"a\"\nwindow = \"6x\"\n[trigger]\n";
        let off = src.find("\"6x\"").unwrap_or(0);
        assert_eq!(line_col(src, off), (2, 10));
        assert_eq!(key_at(src, off).as_deref(), Some("window"));
        assert_eq!(key_at(src, src.len() - 2).as_deref(), Some("trigger"));
        let e = CampaignError::new(ErrorKind::Invalid, Path::new("c.toml"), "bad")
            .at(src, off)
            .field("window");
        assert_eq!(e.to_string(), "c.toml:2:10: field `window`: bad");
    }
}
