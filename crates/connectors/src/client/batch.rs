//! How streams hand lines to the sink: in batches of up to 500 lines, or after 50 ms, each with
//! the checkpoint after its last line. A batch with no line carries a checkpoint that moved.

use super::{Batch, Sink, SourceError};
use std::time::{Duration, Instant};

/// Lines go to the sink in batches of this many, or after this long.
pub const MAX_LINES: usize = 500;
pub const MAX_WAIT: Duration = Duration::from_millis(50);

/// The lines read since the last hand-over, and where the source stands.
#[derive(Debug)]
pub struct Batcher {
    lines: Vec<String>,
    checkpoint: Option<String>,
    /// The checkpoint moved since the last hand-over.
    moved: bool,
    first_line: Option<Instant>,
    last_flush: Instant,
}

impl Batcher {
    /// Starts at `checkpoint` (what the sink already has: not handed on again by itself).
    pub fn new(checkpoint: Option<String>) -> Self {
        Batcher {
            lines: Vec::with_capacity(MAX_LINES),
            checkpoint,
            moved: false,
            first_line: None,
            last_flush: Instant::now(),
        }
    }

    pub fn push(&mut self, line: String) {
        if self.lines.is_empty() {
            self.first_line = Some(Instant::now());
        }
        self.lines.push(line);
    }

    pub fn extend(&mut self, lines: impl IntoIterator<Item = String>) {
        for line in lines {
            self.push(line);
        }
    }

    /// Where to resume once what was pushed so far is stored.
    pub fn advance(&mut self, checkpoint: String) {
        self.checkpoint = Some(checkpoint);
        self.moved = true;
    }

    pub fn checkpoint(&self) -> Option<&str> {
        self.checkpoint.as_deref()
    }

    /// Whether the checkpoint moved since the last hand-over.
    pub fn moved(&self) -> bool {
        self.moved
    }

    /// Enough lines, or the first has waited long enough.
    pub fn lines_due(&self) -> bool {
        self.lines.len() >= MAX_LINES || self.first_line.is_some_and(|t| t.elapsed() >= MAX_WAIT)
    }

    /// How long until the lines are due (`MAX_WAIT` when there is none).
    pub fn wait(&self) -> Duration {
        self.first_line
            .map_or(MAX_WAIT, |t| MAX_WAIT.saturating_sub(t.elapsed()))
    }

    pub fn since_flush(&self) -> Duration {
        self.last_flush.elapsed()
    }

    /// Hands on the lines and the checkpoint, if there is anything new.
    pub fn flush(&mut self, sink: &mut dyn Sink) -> Result<(), SourceError> {
        if self.lines.is_empty() && !self.moved {
            return Ok(());
        }
        let batch = Batch {
            lines: std::mem::replace(&mut self.lines, Vec::with_capacity(MAX_LINES)),
            checkpoint: self.checkpoint.clone(),
        };
        self.first_line = None;
        self.moved = false;
        self.last_flush = Instant::now();
        sink.accept(batch).map_err(SourceError::Sink)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Default)]
    struct Collect(Vec<Batch>);
    impl Sink for Collect {
        fn accept(&mut self, batch: Batch) -> Result<(), String> {
            self.0.push(batch);
            Ok(())
        }
    }

    #[test]
    fn hands_on_lines_with_the_checkpoint_and_a_moved_checkpoint_alone() {
        let mut sink = Collect::default();
        let mut b = Batcher::new(Some("1".into()));
        b.flush(&mut sink).unwrap();
        assert!(sink.0.is_empty(), "nothing new");
        b.push("a".into());
        assert!(!b.lines_due());
        b.flush(&mut sink).unwrap();
        b.advance("2".into());
        b.flush(&mut sink).unwrap();
        assert_eq!(sink.0[0].lines, ["a"]);
        assert_eq!(sink.0[0].checkpoint.as_deref(), Some("1"));
        assert!(sink.0[1].lines.is_empty());
        assert_eq!(sink.0[1].checkpoint.as_deref(), Some("2"));
        b.extend((0..MAX_LINES).map(|i| i.to_string()));
        assert!(b.lines_due());
    }
}
