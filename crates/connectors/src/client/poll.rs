//! The loop every poller shares: poll from the checkpoint, hand on what is new (and the first
//! poll even when it is empty, so that a quiet account's health turns `ok`), sleep, until stopped.

use super::{Batch, Sink, SourceError, Stop};
use std::time::Duration;

/// What one poll found: raw lines, and the checkpoint after them.
pub type Polled = (Vec<String>, Option<String>);

/// Runs `poll` every `every` from `checkpoint` until `stop` is raised.
pub fn run(
    mut poll: impl FnMut(Option<&str>) -> Result<Polled, SourceError>,
    every: Duration,
    checkpoint: Option<&str>,
    sink: &mut dyn Sink,
    stop: &Stop,
) -> Result<(), SourceError> {
    let mut since = checkpoint.map(str::to_owned);
    let mut first = true;
    while !stop.is_raised() {
        let (lines, newest) = poll(since.as_deref())?;
        if first || !lines.is_empty() || newest != since {
            first = false;
            sink.accept(Batch {
                lines,
                checkpoint: newest.clone(),
            })
            .map_err(SourceError::Sink)?;
            since = newest;
        }
        if stop.sleep(every) {
            break;
        }
    }
    Ok(())
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
    fn hands_on_the_first_poll_and_then_only_what_is_new() {
        let stop = Stop::new();
        let mut sink = Collect::default();
        let mut n = 0;
        let s = stop.clone();
        run(
            |since| {
                n += 1;
                if n == 4 {
                    s.raise();
                }
                Ok(match n {
                    1 => (Vec::new(), since.map(str::to_owned)),
                    2 => (vec!["a".into()], Some("2".into())),
                    _ => (Vec::new(), Some("2".into())),
                })
            },
            Duration::from_millis(1),
            Some("1"),
            &mut sink,
            &stop,
        )
        .unwrap();
        let got: Vec<_> = sink
            .0
            .iter()
            .map(|b| (b.lines.len(), b.checkpoint.clone()))
            .collect();
        assert_eq!(got, [(0, Some("1".into())), (1, Some("2".into()))]);
    }
}
