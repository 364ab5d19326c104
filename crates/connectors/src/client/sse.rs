//! Server-sent events, read line by line: `event:` and `data:` fields up to a blank line make one
//! event; `:` lines are comments (Mastodon's `:thump` heartbeats). An event cut off by a
//! disconnection (no blank line yet) is never handed on.

/// One complete event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// `message` when the server named none.
    pub event: String,
    pub data: String,
    pub id: Option<String>,
}

/// What one line meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseLine {
    /// An event is complete.
    Event(SseEvent),
    /// A comment: the connection is alive.
    Heartbeat,
    /// A field of an event still being read (or a line to ignore).
    Partial,
}

/// The state between lines.
#[derive(Debug, Default)]
pub struct SseParser {
    event: Option<String>,
    data: Option<String>,
    id: Option<String>,
}

impl SseParser {
    pub fn new() -> Self {
        SseParser::default()
    }

    /// Feeds one line (its `\n` or `\r\n` may still be there).
    pub fn line(&mut self, raw: &str) -> SseLine {
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            return match self.data.take() {
                Some(data) => SseLine::Event(SseEvent {
                    event: self.event.take().unwrap_or_else(|| "message".into()),
                    data,
                    id: self.id.take(),
                }),
                None => {
                    self.event = None;
                    SseLine::Partial
                }
            };
        }
        if line.starts_with(':') {
            return SseLine::Heartbeat;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            "id" => self.id = Some(value.to_owned()),
            _ => {}
        }
        SseLine::Partial
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_heartbeats_and_a_cut_off_event() {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for l in [
            ":thump\n",
            "event: notification\r\n",
            "data: {\"id\":\"1\"}\r\n",
            "\r\n",
            "data: a\n",
            "data: b\n",
            "\n",
            "event: update\n",
            "data: {\"id\":\"2\",\"cont",
        ] {
            out.push(p.line(l));
        }
        assert_eq!(out[0], SseLine::Heartbeat);
        assert_eq!(
            out[3],
            SseLine::Event(SseEvent {
                event: "notification".into(),
                data: "{\"id\":\"1\"}".into(),
                id: None
            })
        );
        assert_eq!(
            out[6],
            SseLine::Event(SseEvent {
                event: "message".into(),
                data: "a\nb".into(),
                id: None
            })
        );
        // The connection drops here: the half event never became an event.
        assert!(
            out[7..].iter().all(|l| *l == SseLine::Partial),
            "{:?}",
            &out[7..]
        );
    }
}
