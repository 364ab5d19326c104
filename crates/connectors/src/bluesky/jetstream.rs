//! The Jetstream source: the network's commits as JSON over a WebSocket, filtered by
//! collection (and optionally by author), handed over as they come, one event per line. The
//! checkpoint is the last event's `time_us`; a restart asks for `cursor` a few seconds earlier
//! (Jetstream's cursor is a time, and dedupe makes what is read twice harmless).

use super::ws::{self, Read};
use crate::client::{Sink, Source, SourceError, Stop};
use serde::Deserialize;
use tungstenite::Message;

/// How far before the checkpoint a restart reads again.
pub const REWIND_US: i64 = 5_000_000;

pub struct Jetstream {
    /// `wss://jetstream2.us-east.bsky.network/subscribe` or a self-hosted one.
    pub url: String,
    pub collections: Vec<String>,
    pub dids: Vec<String>,
}

impl Jetstream {
    /// The URL with the filters and the cursor.
    pub fn url(&self, checkpoint: Option<&str>) -> String {
        let mut query: Vec<String> = self
            .collections
            .iter()
            .map(|c| format!("wantedCollections={}", encode(c)))
            .chain(
                self.dids
                    .iter()
                    .map(|d| format!("wantedDids={}", encode(d))),
            )
            .collect();
        if let Some(cursor) = checkpoint.and_then(|c| c.trim().parse::<i64>().ok()) {
            query.push(format!("cursor={}", (cursor - REWIND_US).max(0)));
        }
        let mut url = self.url.clone();
        if !query.is_empty() {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&query.join("&"));
        }
        url
    }
}

/// Percent-encodes what a query value must not hold raw (DIDs hold `:`, NSIDs are plain).
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' | b'*' => {
                char::from(b).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Deserialize)]
struct Time {
    time_us: Option<i64>,
}

/// One Jetstream message: the line, and its `time_us` as the checkpoint when it has one.
pub fn read_text(text: &str) -> Read {
    let time = serde_json::from_str::<Time>(text)
        .ok()
        .and_then(|t| t.time_us);
    Read {
        lines: vec![text.to_owned()],
        checkpoint: time.map(|t| t.to_string()),
    }
}

impl Source for Jetstream {
    fn run(
        &mut self,
        checkpoint: Option<&str>,
        sink: &mut dyn Sink,
        stop: &Stop,
    ) -> Result<(), SourceError> {
        let what = "Bluesky Jetstream";
        let mut socket = ws::connect(&self.url(checkpoint), what)?;
        ws::pump(&mut socket, what, sink, stop, |message| {
            Ok(match message {
                Message::Text(text) if !text.trim().is_empty() => Some(read_text(&text)),
                _ => None,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    // The handshake callback's type is tungstenite's (its error is a whole HTTP response).
    #![allow(clippy::unwrap_used, clippy::panic, clippy::result_large_err)]
    use super::*;
    use crate::client::Batch;
    use std::io::Write;
    use std::net::TcpListener;
    use std::sync::mpsc;
    use std::time::Duration;

    struct Collect(Vec<Batch>);
    impl Sink for Collect {
        fn accept(&mut self, batch: Batch) -> Result<(), String> {
            self.0.push(batch);
            Ok(())
        }
    }

    fn line(time_us: i64, text: &str) -> String {
        serde_json::json!({
            "did": "did:plc:customer", "time_us": time_us, "kind": "commit",
            "commit": {"rev": "3l", "operation": "create", "collection": "app.bsky.feed.post",
                       "rkey": format!("3k{time_us}"), "cid": "bafyreifake",
                       "record": {"$type": "app.bsky.feed.post", "text": text,
                                  "createdAt": "2026-03-22T20:01:05Z"}}
        })
        .to_string()
    }

    /// A WebSocket text frame from a server (unmasked), with a 16-bit length.
    fn text_frame(payload: &str) -> Vec<u8> {
        let mut f = vec![0x81u8, 126];
        f.extend((payload.len() as u16).to_be_bytes());
        f.extend(payload.as_bytes());
        f
    }

    #[test]
    fn the_url_carries_filters_and_a_rewound_cursor() {
        let j = Jetstream {
            url: "wss://jetstream.example/subscribe".into(),
            collections: vec!["app.bsky.feed.post".into(), "app.bsky.feed.repost".into()],
            dids: vec!["did:plc:abc".into()],
        };
        assert_eq!(
            j.url(Some("1700000010000000")),
            "wss://jetstream.example/subscribe?wantedCollections=app.bsky.feed.post\
             &wantedCollections=app.bsky.feed.repost&wantedDids=did%3Aplc%3Aabc\
             &cursor=1700000005000000"
        );
        assert!(!j.url(None).contains("cursor"));
        assert!(!j.url(Some("garbage")).contains("cursor"));
    }

    /// A Jetstream that sends two whole events, then half of a third, then drops the
    /// connection; on the reconnection (which must ask for the cursor) it sends all three.
    #[test]
    fn a_half_line_then_a_disconnection_loses_and_corrupts_nothing() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (a, b, c) = (
            line(1_700_000_001_000_000, "un"),
            line(1_700_000_002_000_000, "deux"),
            line(1_700_000_003_000_000, "trois, coupé en deux"),
        );
        let (seen_tx, seen_rx) = mpsc::channel::<String>();
        let lines = (a.clone(), b.clone(), c.clone());
        let server = std::thread::spawn(move || {
            for round in 0..2 {
                let (stream, _) = listener.accept().unwrap();
                let seen = seen_tx.clone();
                let mut ws = tungstenite::accept_hdr(
                    stream,
                    move |req: &tungstenite::handshake::server::Request, resp| {
                        let _ = seen.send(req.uri().to_string());
                        Ok(resp)
                    },
                )
                .unwrap();
                let raw = ws.get_mut();
                if round == 0 {
                    raw.write_all(&text_frame(&lines.0)).unwrap();
                    raw.write_all(&text_frame(&lines.1)).unwrap();
                    let half = text_frame(&lines.2);
                    raw.write_all(&half[..half.len() / 2]).unwrap();
                    raw.flush().unwrap();
                    std::thread::sleep(Duration::from_millis(200));
                    raw.shutdown(std::net::Shutdown::Both).unwrap();
                } else {
                    for l in [&lines.0, &lines.1, &lines.2] {
                        raw.write_all(&text_frame(l)).unwrap();
                    }
                    raw.flush().unwrap();
                    std::thread::sleep(Duration::from_millis(300));
                    let _ = ws.close(None);
                    let _ = ws.flush();
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        });
        let mut source = Jetstream {
            url: format!("ws://127.0.0.1:{port}/subscribe"),
            collections: vec!["app.bsky.feed.post".into()],
            dids: vec![],
        };
        let stop = Stop::new();
        let mut sink = Collect(Vec::new());
        let first = source.run(None, &mut sink, &stop);
        assert!(
            matches!(first, Err(SourceError::Disconnected { .. })),
            "{first:?}"
        );
        let got: Vec<&String> = sink.0.iter().flat_map(|b| &b.lines).collect();
        assert_eq!(got, [&a, &b], "the two whole lines, not the half one");
        let checkpoint = sink.0.last().unwrap().checkpoint.clone().unwrap();
        assert_eq!(checkpoint, "1700000002000000");

        let mut again = Collect(Vec::new());
        let second = source.run(Some(&checkpoint), &mut again, &stop);
        assert!(matches!(second, Err(SourceError::Disconnected { .. })));
        let got: Vec<&String> = again.0.iter().flat_map(|b| &b.lines).collect();
        assert_eq!(got, [&a, &b, &c], "re-read from before the checkpoint");
        assert_eq!(
            again.0.last().unwrap().checkpoint.as_deref(),
            Some("1700000003000000")
        );
        for l in got {
            serde_json::from_str::<serde_json::Value>(l).unwrap();
        }
        server.join().unwrap();
        let uris: Vec<String> = seen_rx.try_iter().collect();
        assert!(!uris[0].contains("cursor"), "{uris:?}");
        assert!(uris[1].contains("cursor=1699999997000000"), "{uris:?}");
        assert!(uris[1].contains("wantedCollections=app.bsky.feed.post"));
    }

    #[test]
    fn a_raised_stop_hands_over_what_was_read_and_returns() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let l = line(1_700_000_009_000_000, "dernier");
        let sent = l.clone();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut ws = tungstenite::accept(stream).unwrap();
            ws.send(Message::text(sent)).unwrap();
            // Stays open until the client closes.
            while ws.read().is_ok() {}
        });
        let mut source = Jetstream {
            url: format!("ws://127.0.0.1:{port}/subscribe"),
            collections: vec![],
            dids: vec![],
        };
        let stop = Stop::new();
        let raiser = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            raiser.raise();
        });
        let mut sink = Collect(Vec::new());
        assert_eq!(source.run(None, &mut sink, &stop), Ok(()));
        let got: Vec<&String> = sink.0.iter().flat_map(|b| &b.lines).collect();
        assert_eq!(got, [&l]);
        server.join().unwrap();
    }
}
