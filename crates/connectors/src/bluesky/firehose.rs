//! The firehose source, for a self-hosted PDS: `com.atproto.sync.subscribeRepos` frames
//! (DAG-CBOR header + body, the records in CAR blocks) turned into the Jetstream commit lines
//! that the normalizer reads, so that replay, the pipeline and the store see one format.
//! The checkpoint is the frame's `seq`; a restart asks for `cursor=seq` (the PDS sends what
//! follows it).

use super::car;
use super::ws::{self, Read};
use crate::client::{Sink, Source, SourceError, Stop};
use serde_json::json;
use tungstenite::Message;

/// One frame, read.
#[derive(Debug, Default, PartialEq)]
pub struct Frame {
    /// `#commit`, `#identity`, `#account`, `#sync`, `#info`…
    pub kind: String,
    pub seq: Option<i64>,
    /// Jetstream commit lines for the wanted creates.
    pub lines: Vec<String>,
}

/// Reads one binary frame; `wanted`: the collections kept (empty: all).
pub fn read_frame(bytes: &[u8], wanted: &[String]) -> Result<Frame, String> {
    let mut input = bytes;
    let header = car::decode(&mut input)?;
    let body = car::decode(&mut input)?;
    if car::get_int(&header, "op") == Some(-1) {
        return Err(format!(
            "the PDS sent an error frame: {} {}",
            car::get_str(&body, "error").unwrap_or("?"),
            car::get_str(&body, "message").unwrap_or("")
        ));
    }
    let kind = car::get_str(&header, "t").unwrap_or_default().to_owned();
    let mut frame = Frame {
        seq: car::get_int(&body, "seq"),
        kind,
        lines: Vec::new(),
    };
    if frame.kind != "#commit" {
        return Ok(frame);
    }
    let did = car::get_str(&body, "repo").ok_or("#commit without `repo`")?;
    let rev = car::get_str(&body, "rev").unwrap_or_default();
    let time_us = car::get_str(&body, "time")
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_microsecond());
    let ops = match car::get(&body, "ops") {
        Some(ciborium::Value::Array(ops)) => ops.as_slice(),
        _ => &[],
    };
    let mut blocks = None;
    for op in ops {
        let (Some(action), Some(path)) = (car::get_str(op, "action"), car::get_str(op, "path"))
        else {
            continue;
        };
        let Some((collection, rkey)) = path.split_once('/') else {
            continue;
        };
        if action != "create" || !(wanted.is_empty() || wanted.iter().any(|w| w == collection)) {
            continue;
        }
        let Some(cid) = car::get(op, "cid").and_then(car::link_bytes) else {
            continue;
        };
        if blocks.is_none() {
            blocks = Some(match car::get(&body, "blocks") {
                Some(ciborium::Value::Bytes(b)) => car::car_blocks(b)?,
                _ => Default::default(),
            });
        }
        let record = blocks
            .as_ref()
            .and_then(|b| b.get(cid))
            .map(|block| car::decode(&mut block.as_slice()))
            .transpose()?;
        let Some(record) = record else {
            tracing::warn!(
                did,
                path,
                "firehose: a create without its record block (tooBig?)"
            );
            continue;
        };
        let line = json!({
            "did": did,
            "time_us": time_us,
            "kind": "commit",
            "commit": {
                "rev": rev,
                "operation": "create",
                "collection": collection,
                "rkey": rkey,
                "record": car::to_json(&record),
                "cid": car::cid_string(cid),
            },
        });
        frame.lines.push(line.to_string());
    }
    Ok(frame)
}

/// Reads the account's PDS's repository events.
pub struct Firehose {
    /// `ws(s)://HOST/xrpc/com.atproto.sync.subscribeRepos`.
    pub url: String,
    pub collections: Vec<String>,
}

impl Source for Firehose {
    fn run(
        &mut self,
        checkpoint: Option<&str>,
        sink: &mut dyn Sink,
        stop: &Stop,
    ) -> Result<(), SourceError> {
        let cursor = checkpoint.and_then(|c| c.trim().parse::<i64>().ok());
        match self.read(cursor, sink, stop) {
            // The PDS was reset (its sequence is behind the checkpoint): read from now rather
            // than reconnecting forever to a cursor that does not exist.
            Err(SourceError::Disconnected { error, .. })
                if cursor.is_some() && error.contains("FutureCursor") =>
            {
                tracing::warn!(
                    error,
                    "the PDS does not know the saved cursor; reading from now"
                );
                self.read(None, sink, stop)
            }
            other => other,
        }
    }
}

impl Firehose {
    fn read(
        &self,
        cursor: Option<i64>,
        sink: &mut dyn Sink,
        stop: &Stop,
    ) -> Result<(), SourceError> {
        let mut url = self.url.clone();
        if let Some(seq) = cursor {
            url.push_str(if url.contains('?') { "&" } else { "?" });
            url.push_str(&format!("cursor={seq}"));
        }
        let what = "Bluesky firehose";
        let mut socket = ws::connect(&url, what)?;
        let collections = &self.collections;
        ws::pump(&mut socket, what, sink, stop, |message| match message {
            Message::Binary(bytes) => {
                let frame =
                    read_frame(&bytes, collections).map_err(|error| SourceError::Disconnected {
                        error: format!("{what}: {error}"),
                        retry_in: None,
                    })?;
                Ok(Some(Read {
                    lines: frame.lines,
                    checkpoint: frame.seq.map(|s| s.to_string()),
                }))
            }
            _ => Ok(None),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::{Event, Format, normalize};
    use std::path::Path;

    fn fixtures() -> (Vec<Vec<u8>>, serde_json::Value) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bluesky/firehose");
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let n = expected["frames"].as_u64().unwrap();
        let frames = (1..=n)
            .map(|i| std::fs::read(dir.join(format!("frame_{i:02}.cbor"))).unwrap())
            .collect();
        (frames, expected)
    }

    #[test]
    fn recorded_frames_become_jetstream_lines_the_normalizer_reads() {
        let (frames, expected) = fixtures();
        let wanted = vec!["app.bsky.feed.post".to_owned()];
        let mut lines = Vec::new();
        let mut seqs = Vec::new();
        for f in &frames {
            let frame = read_frame(f, &wanted).unwrap();
            seqs.push(frame.seq.unwrap());
            lines.extend(frame.lines);
        }
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "seq grows: {seqs:?}");
        // The customer's post and the brand's reply; not the like, not the deletion.
        assert_eq!(lines.len(), 2, "{lines:#?}");
        let post: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(post["commit"]["cid"], expected["post"]["cid"]);
        assert_eq!(post["commit"]["rev"], expected["post"]["commit"]["rev"]);
        let events = normalize(&lines[0], Format::Auto);
        let Ok(Event::Message(m)) = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!(m.id.external.as_str(), expected["post"]["uri"]);
        assert_eq!(m.text.as_str(), expected["text"]);
        assert_eq!(m.author.id, expected["customer"]);
        assert_eq!(m.entities.mentions[0].handle, "brand.test");
        assert_eq!(
            m.entities.mentions[0].id.as_deref(),
            expected["brand"].as_str()
        );
        assert_eq!(m.entities.hashtags, ["Élections"]);
        assert_eq!(m.lang_hint.as_deref(), Some("fr"));
        let events = normalize(&lines[1], Format::Auto);
        let Ok(Event::Message(reply)) = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!(reply.id.external.as_str(), expected["reply"]["uri"]);
        assert_eq!(
            reply.in_reply_to.as_ref().map(|i| i.as_str()),
            expected["post"]["uri"].as_str()
        );
        // With no filter, the like is a line too (and not a message for the normalizer).
        let all: usize = frames
            .iter()
            .map(|f| read_frame(f, &[]).unwrap().lines.len())
            .sum();
        assert!(all > lines.len(), "{all}");
    }

    #[test]
    fn broken_frames_are_errors_not_panics() {
        let (frames, _) = fixtures();
        let big = frames.iter().max_by_key(|f| f.len()).unwrap();
        for cut in [0, 1, 5, big.len() / 2, big.len() - 1] {
            assert!(read_frame(&big[..cut], &[]).is_err(), "cut at {cut}");
        }
        let mut error = Vec::new();
        let header = ciborium::Value::Map(vec![(
            ciborium::Value::Text("op".into()),
            ciborium::Value::Integer((-1).into()),
        )]);
        let body = ciborium::Value::Map(vec![(
            ciborium::Value::Text("error".into()),
            ciborium::Value::Text("FutureCursor".into()),
        )]);
        ciborium::ser::into_writer(&header, &mut error).unwrap();
        ciborium::ser::into_writer(&body, &mut error).unwrap();
        assert!(
            read_frame(&error, &[])
                .unwrap_err()
                .contains("FutureCursor")
        );
    }
}
