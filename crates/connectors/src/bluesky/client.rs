//! The Bluesky sender: XRPC calls to the account's PDS with a session from an app password
//! (`createSession`, renewed by `refreshSession` when the access token expires), replies and
//! posts as `app.bsky.feed.post` records with facets, deletions of the account's own records,
//! and hiding replies under the account's own threads (a threadgate's `hiddenReplies`).
//!
//! Exactly once: a record's key is derived from the outbox key (`tid::derive`), so a second
//! attempt names the same record; the PDS refuses it, and the sender answers with the record
//! that the first attempt created.
//!
//! A post's images are uploaded first, each as its raw bytes with its content type
//! (`com.atproto.repo.uploadBlob`, answered with a blob reference), then embedded in the record
//! (`app.bsky.embed.images`: each image's `alt`, its blob and its `aspectRatio`). The lexicon
//! takes at most 4 images of 1,000,000 bytes (`palabre_core::media::rules`, checked when the
//! image was added to the post), but a PDS does not check
//! the size (`@atproto/pds` takes a 1.08 MB image in a post: seen on a real one), and Bluesky's
//! app would not show such a post: the sender refuses it itself, before any upload. Any other
//! refusal (of a blob, of the record) comes back in the PDS's own words, with nothing posted.

use super::facets;
use super::tid;
use crate::client::http::{self, RateHeaders};
use crate::client::{Action, Media, Outgoing, PlatformSender, RateGate, Secret, SendError};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

const POST: &str = "app.bsky.feed.post";
const EMBED_IMAGES: &str = "app.bsky.embed.images";
const THREADGATE: &str = "app.bsky.feed.threadgate";
/// A threadgate holds at most this many hidden replies (the lexicon's limit).
const MAX_HIDDEN: usize = 300;

/// A session of the account.
#[derive(Clone)]
struct Session {
    access: Secret,
    refresh: Secret,
    did: String,
}

/// One XRPC answer, whatever its status.
struct Answer {
    status: u16,
    body: String,
    json: Option<Value>,
    limits: RateHeaders,
}

impl Answer {
    fn error(&self) -> &str {
        self.json
            .as_ref()
            .and_then(|j| j["error"].as_str())
            .unwrap_or("")
    }

    fn message(&self) -> &str {
        self.json
            .as_ref()
            .and_then(|j| j["message"].as_str())
            .unwrap_or("")
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.json.as_ref().and_then(|j| j[key].as_str())
    }

    fn token_refused(&self) -> bool {
        matches!(self.status, 400 | 401) && matches!(self.error(), "ExpiredToken" | "InvalidToken")
    }
}

#[derive(Clone, Copy)]
enum Method<'a> {
    Get(&'a [(&'a str, &'a str)]),
    Post(Option<&'a Value>),
    /// Raw bytes with their content type (a blob).
    Bytes(&'a [u8], &'a str),
}

/// A record and what a reply to it names.
struct Target {
    parent: Value,
    root: Value,
    /// The record's `createdAt`, µs: the anchor of the reply's record key.
    created_us: Option<i64>,
}

/// `at://DID/COLLECTION/RKEY` → its three parts.
pub fn split_uri(uri: &str) -> Option<(&str, &str, &str)> {
    let mut parts = uri.strip_prefix("at://")?.splitn(3, '/');
    let (did, collection, rkey) = (parts.next()?, parts.next()?, parts.next()?);
    (!did.is_empty() && !collection.is_empty() && !rkey.is_empty() && !rkey.contains('/'))
        .then_some((did, collection, rkey))
}

fn micros(created_at: Option<&str>) -> Option<i64> {
    created_at
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_microsecond())
}

/// XRPC error names that say the PDS or what is behind it failed, not the request.
const TRANSIENT: &[&str] = &[
    "InternalServerError",
    "UpstreamFailure",
    "UpstreamTimeout",
    "NotEnoughResources",
];

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

fn now_iso() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Millisecond)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| jiff::Timestamp::now().to_string())
}

/// What a reply to `parent_uri` needs, read from the Jetstream event stored for it: its CID,
/// its thread's root, its time. None when the event is not that record's or lacks a CID.
fn target_from_raw(raw: &str, parent_uri: &str) -> Option<Target> {
    let event: Value = serde_json::from_str(raw).ok()?;
    let commit = &event["commit"];
    let uri = format!(
        "at://{}/{}/{}",
        event["did"].as_str()?,
        commit["collection"].as_str()?,
        commit["rkey"].as_str()?
    );
    if uri != parent_uri {
        return None;
    }
    let cid = commit["cid"].as_str()?;
    Some(target_from_record(parent_uri, cid, &commit["record"]))
}

fn target_from_record(uri: &str, cid: &str, record: &Value) -> Target {
    let parent = json!({"uri": uri, "cid": cid});
    let root = &record["reply"]["root"];
    let root = match (root["uri"].as_str(), root["cid"].as_str()) {
        (Some(u), Some(c)) => json!({"uri": u, "cid": c}),
        _ => parent.clone(),
    };
    Target {
        parent,
        root,
        created_us: micros(record["createdAt"].as_str()),
    }
}

/// Sends for one Bluesky account.
pub struct BlueskySender {
    agent: ureq::Agent,
    service: String,
    identifier: String,
    password: Secret,
    did: Option<String>,
    session: Mutex<Option<Session>>,
    gate: RateGate,
    handles: Mutex<HashMap<String, Option<String>>>,
}

impl BlueskySender {
    pub fn new(
        service: &str,
        identifier: &str,
        password: Secret,
        did: Option<String>,
        per_minute: Option<u32>,
    ) -> Self {
        BlueskySender {
            agent: http::agent(Duration::from_secs(30)),
            service: service.trim_end_matches('/').to_owned(),
            identifier: identifier.to_owned(),
            password,
            did,
            session: Mutex::new(None),
            gate: RateGate::new(per_minute),
            handles: Mutex::new(HashMap::new()),
        }
    }

    /// The longest a call may take (30 s by default).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.agent = http::agent(timeout);
        self
    }

    fn call(
        &self,
        method: Method,
        nsid: &str,
        token: Option<&Secret>,
    ) -> Result<Answer, SendError> {
        let url = format!("{}/xrpc/{nsid}", self.service);
        let what = format!("Bluesky {nsid}");
        let bearer = token.map(|t| format!("Bearer {}", t.expose()));
        let result = match method {
            Method::Get(query) => {
                let mut r = self.agent.get(&url);
                for (k, v) in query {
                    r = r.query(*k, *v);
                }
                if let Some(b) = &bearer {
                    r = r.header("authorization", b);
                }
                r.call()
            }
            Method::Post(body) => {
                let mut r = self.agent.post(&url);
                if let Some(b) = &bearer {
                    r = r.header("authorization", b);
                }
                match body {
                    Some(body) => r.send_json(body),
                    None => r.send_empty(),
                }
            }
            Method::Bytes(bytes, content_type) => {
                let mut r = self.agent.post(&url).header("content-type", content_type);
                if let Some(b) = &bearer {
                    r = r.header("authorization", b);
                }
                r.send(bytes)
            }
        };
        let mut response = result.map_err(|e| http::transport(&what, &e))?;
        let limits = RateHeaders::read(response.headers(), now_ms());
        let status = response.status().as_u16();
        self.gate.observe(status, &limits, now_ms());
        let body = response
            .body_mut()
            .read_to_string()
            .map_err(|e| http::transport(&what, &e))?;
        let json = serde_json::from_str(&body).ok();
        Ok(Answer {
            status,
            body,
            json,
            limits,
        })
    }

    /// What a failed answer means.
    fn fail(&self, a: &Answer, what: &str) -> SendError {
        let what = format!("Bluesky {what}");
        if a.token_refused() {
            return SendError::Auth(format!(
                "{what}: the PDS refused the session ({}: {}); check the app password",
                a.error(),
                a.message()
            ));
        }
        if a.status == 429 || a.error() == "RateLimitExceeded" {
            return http::classify(429, &a.limits, &what, &a.body);
        }
        if a.status == 401 {
            return SendError::Auth(format!(
                "{what}: 401 {}: {}; check `identifier` and the app password",
                a.error(),
                a.message()
            ));
        }
        http::classify(a.status, &a.limits, &what, &a.body)
    }

    fn session(&self) -> Result<Session, SendError> {
        if let Ok(s) = self.session.lock()
            && let Some(s) = s.as_ref()
        {
            return Ok(s.clone());
        }
        self.create_session()
    }

    fn keep(&self, a: &Answer, what: &str) -> Result<Session, SendError> {
        let (Some(access), Some(refresh), Some(did)) =
            (a.str("accessJwt"), a.str("refreshJwt"), a.str("did"))
        else {
            return Err(SendError::Retry {
                error: format!("Bluesky {what}: an answer without tokens"),
                at_ms: None,
            });
        };
        if let Some(expected) = &self.did
            && expected != did
        {
            return Err(SendError::Auth(format!(
                "Bluesky {what}: `{}` signs in as {did}, not the configured did {expected}",
                self.identifier
            )));
        }
        let session = Session {
            access: Secret::new(access),
            refresh: Secret::new(refresh),
            did: did.to_owned(),
        };
        if let Ok(mut s) = self.session.lock() {
            *s = Some(session.clone());
        }
        Ok(session)
    }

    fn create_session(&self) -> Result<Session, SendError> {
        let body = json!({"identifier": self.identifier, "password": self.password.expose()});
        let a = self.call(
            Method::Post(Some(&body)),
            "com.atproto.server.createSession",
            None,
        )?;
        match a.status {
            200 => self.keep(&a, "createSession"),
            400 | 401 if a.status == 401 || a.error() != "RateLimitExceeded" => {
                Err(SendError::Auth(format!(
                    "Bluesky createSession as `{}` refused ({} {}: {}); check the identifier and the app password",
                    self.identifier,
                    a.status,
                    a.error(),
                    a.message()
                )))
            }
            _ => Err(self.fail(&a, "createSession")),
        }
    }

    /// A new access token from the refresh token, or a new session when that is refused too.
    fn refresh(&self, old: &Session) -> Result<Session, SendError> {
        let a = self.call(
            Method::Post(None),
            "com.atproto.server.refreshSession",
            Some(&old.refresh),
        )?;
        if a.status == 200 {
            return self.keep(&a, "refreshSession");
        }
        if let Ok(mut s) = self.session.lock() {
            *s = None;
        }
        self.create_session()
    }

    /// A call with the session, renewed once if the PDS says the token expired.
    fn authed(&self, method: Method, nsid: &str) -> Result<Answer, SendError> {
        let session = self.session()?;
        let a = self.call(method, nsid, Some(&session.access))?;
        if !a.token_refused() {
            return Ok(a);
        }
        tracing::info!(nsid, error = a.error(), "Bluesky: renewing the session");
        let session = self.refresh(&session)?;
        self.call(method, nsid, Some(&session.access))
    }

    /// The record `repo/collection/rkey` (public, no session): its URI, CID and value.
    fn get_record(
        &self,
        repo: &str,
        collection: &str,
        rkey: &str,
    ) -> Result<Option<(String, String, Value)>, SendError> {
        let a = self.call(
            Method::Get(&[("repo", repo), ("collection", collection), ("rkey", rkey)]),
            "com.atproto.repo.getRecord",
            None,
        )?;
        match a.status {
            200 => match (a.str("uri"), a.str("cid"), a.json.as_ref()) {
                (Some(uri), Some(cid), Some(j)) => {
                    Ok(Some((uri.to_owned(), cid.to_owned(), j["value"].clone())))
                }
                _ => Err(SendError::Retry {
                    error: format!(
                        "Bluesky getRecord: an answer without uri/cid: {}",
                        http::short(&a.body)
                    ),
                    at_ms: None,
                }),
            },
            400 | 404 if matches!(a.error(), "RecordNotFound" | "InvalidRequest" | "") => Ok(None),
            _ => Err(self.fail(&a, "getRecord")),
        }
    }

    /// The DID of `handle`, or None (the mention stays plain text).
    fn resolve_handle(&self, handle: &str) -> Option<String> {
        if let Ok(cache) = self.handles.lock()
            && let Some(known) = cache.get(handle)
        {
            return known.clone();
        }
        let did = match self.call(
            Method::Get(&[("handle", handle)]),
            "com.atproto.identity.resolveHandle",
            None,
        ) {
            Ok(a) if a.status == 200 => a.str("did").map(str::to_owned),
            Ok(a) => {
                tracing::info!(
                    handle,
                    status = a.status,
                    "Bluesky: a mention of an unknown handle stays plain text"
                );
                None
            }
            Err(e) => {
                // Not cached: a network failure is not an answer.
                tracing::warn!(handle, error = %e, "Bluesky: cannot resolve a mentioned handle");
                return None;
            }
        };
        if let Ok(mut cache) = self.handles.lock() {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(handle.to_owned(), did.clone());
        }
        did
    }

    fn target(&self, out: &Outgoing) -> Result<Target, SendError> {
        let uri = out
            .target_id
            .ok_or_else(|| SendError::Fatal("a Bluesky reply needs the message answered".into()))?;
        if let Some(t) = out.target_raw.and_then(|raw| target_from_raw(raw, uri)) {
            return Ok(t);
        }
        let (did, collection, rkey) = split_uri(uri).ok_or_else(|| {
            SendError::Fatal(format!(
                "`{uri}` is not a Bluesky record URI (at://DID/COLLECTION/RKEY)"
            ))
        })?;
        match self.get_record(did, collection, rkey)? {
            Some((uri, cid, value)) => Ok(target_from_record(&uri, &cid, &value)),
            None => Err(SendError::Fatal(format!(
                "Bluesky: the post answered ({uri}) is not found on the PDS (deleted?)"
            ))),
        }
    }

    /// Uploads the images of a post: the `app.bsky.embed.images` embed that names them.
    fn embed_images(&self, media: &[Media<'_>]) -> Result<Value, SendError> {
        // Checked when the images were added; checked again, as the PDS does not.
        let rules = palabre_core::media::rules(palabre_core::Platform::Bluesky);
        if media.len() > rules.max_images {
            return Err(SendError::Fatal(format!(
                "Bluesky: a post carries at most {} images ({EMBED_IMAGES}); this one has {}",
                rules.max_images,
                media.len()
            )));
        }
        if let Some((i, image)) = media
            .iter()
            .enumerate()
            .find(|(_, m)| m.bytes.len() > rules.max_bytes)
        {
            return Err(SendError::Fatal(format!(
                "Bluesky: the image {} has {} bytes, and a post's image has at most {} ({EMBED_IMAGES}); the PDS would take it, but Bluesky would not show the post",
                i + 1,
                image.bytes.len(),
                rules.max_bytes
            )));
        }
        let mut images = Vec::with_capacity(media.len());
        for (i, image) in media.iter().enumerate() {
            let number = i + 1;
            let a = self.authed(
                Method::Bytes(image.bytes, image.content_type),
                "com.atproto.repo.uploadBlob",
            )?;
            let blob = match (a.status, a.json.as_ref().map(|j| &j["blob"])) {
                (200, Some(blob)) if blob.is_object() => blob.clone(),
                (200, _) => {
                    return Err(SendError::Retry {
                        error: format!(
                            "Bluesky uploadBlob (image {number}): 200 without a blob: {}",
                            http::short(&a.body)
                        ),
                        at_ms: None,
                    });
                }
                _ => {
                    return Err(
                        match self.fail(&a, &format!("uploadBlob (image {number})")) {
                            SendError::Fatal(e) if a.error().is_empty() => SendError::Fatal(e),
                            SendError::Fatal(_) => SendError::Fatal(format!(
                                "Bluesky refused the image {number}: {}: {}",
                                a.error(),
                                a.message()
                            )),
                            other => other,
                        },
                    );
                }
            };
            let mut entry = json!({"alt": image.alt, "image": blob});
            if image.width > 0 && image.height > 0 {
                entry["aspectRatio"] = json!({"width": image.width, "height": image.height});
            }
            images.push(entry);
        }
        Ok(json!({"$type": EMBED_IMAGES, "images": images}))
    }

    fn create_post(
        &self,
        out: &Outgoing,
        reply: Option<&Target>,
    ) -> Result<Option<String>, SendError> {
        let text = out
            .text
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| SendError::Fatal("a Bluesky post needs a text".into()))?;
        let session = self.session()?;
        let rkey = tid::derive(out.idem_key, reply.and_then(|r| r.created_us));
        if out.resend
            && let Some((uri, _, _)) = self.get_record(&session.did, POST, &rkey)?
        {
            return Ok(Some(uri));
        }
        let facets = facets::to_json(&facets::detect(text), |h| self.resolve_handle(h));
        let mut record = json!({"$type": POST, "text": text, "createdAt": now_iso()});
        if !facets.is_empty() {
            record["facets"] = Value::Array(facets);
        }
        if let Some(t) = reply {
            record["reply"] = json!({"root": t.root, "parent": t.parent});
        }
        if !out.media.is_empty() {
            record["embed"] = self.embed_images(out.media)?;
        }
        let body = json!({"repo": session.did, "collection": POST, "rkey": rkey, "record": record});
        let a = self.authed(Method::Post(Some(&body)), "com.atproto.repo.createRecord")?;
        if a.status == 200 {
            return match a.str("uri") {
                Some(uri) => Ok(Some(uri.to_owned())),
                None if !a.error().is_empty() => {
                    let error = format!(
                        "Bluesky createRecord: 200 with an error: {}: {}",
                        a.error(),
                        a.message()
                    );
                    // The PDS failing is worth another try (the record key makes it safe);
                    // a refusal is not.
                    Err(if TRANSIENT.contains(&a.error()) {
                        SendError::Retry { error, at_ms: None }
                    } else {
                        SendError::Fatal(error)
                    })
                }
                None => Err(SendError::Retry {
                    error: format!(
                        "Bluesky createRecord: 200 without a uri: {}",
                        http::short(&a.body)
                    ),
                    at_ms: None,
                }),
            };
        }
        let error = self.fail(&a, "createRecord");
        // A record key already taken is refused, but not as a conflict: @atproto/pds answers
        // 500 InternalServerError (seen on a real PDS). So after any refusal or 5xx, look.
        if matches!(
            error,
            SendError::Fatal(_) | SendError::Retry { at_ms: None, .. }
        ) && let Some((uri, _, _)) = self.get_record(&session.did, POST, &rkey)?
        {
            // An earlier attempt created it: that is the one answer.
            tracing::info!(uri, "Bluesky: the record of this key already exists");
            return Ok(Some(uri));
        }
        Err(match error {
            // The PDS's own words (a record its lexicon refuses: `InvalidRequest: …`).
            SendError::Fatal(_) if !a.error().is_empty() => SendError::Fatal(format!(
                "Bluesky refused the post: {}: {}",
                a.error(),
                a.message()
            )),
            other => other,
        })
    }

    fn delete(&self, out: &Outgoing) -> Result<Option<String>, SendError> {
        let uri = out
            .target_id
            .ok_or_else(|| SendError::Fatal("a deletion needs its target".into()))?;
        let (did, collection, rkey) = split_uri(uri)
            .ok_or_else(|| SendError::Fatal(format!("`{uri}` is not a Bluesky record URI")))?;
        let session = self.session()?;
        if did != session.did {
            return Err(SendError::Fatal(format!(
                "Bluesky deletes only the account's own records; {uri} belongs to {did}"
            )));
        }
        let body = json!({"repo": did, "collection": collection, "rkey": rkey});
        let a = self.authed(Method::Post(Some(&body)), "com.atproto.repo.deleteRecord")?;
        match a.status {
            200 => Ok(None),
            _ => Err(self.fail(&a, "deleteRecord")),
        }
    }

    /// Hides (or shows again) a reply in a thread the account started: the thread's
    /// threadgate lists it in `hiddenReplies`. Bluesky has no other way to hide.
    fn hide(&self, out: &Outgoing, hidden: bool) -> Result<Option<String>, SendError> {
        let target = out
            .target_id
            .ok_or_else(|| SendError::Fatal("hiding needs its target".into()))?;
        let root = match out.target_raw.and_then(|raw| target_from_raw(raw, target)) {
            Some(t) => t.root["uri"].as_str().map(str::to_owned),
            None => match split_uri(target) {
                Some((did, collection, rkey)) => self
                    .get_record(did, collection, rkey)?
                    .and_then(|(_, _, v)| v["reply"]["root"]["uri"].as_str().map(str::to_owned))
                    .or_else(|| out.root_id.map(str::to_owned)),
                None => out.root_id.map(str::to_owned),
            },
        }
        .filter(|r| r != target)
        .ok_or_else(|| {
            SendError::Fatal(format!(
                "Bluesky hides only replies (threadgate hiddenReplies); {target} is not a reply"
            ))
        })?;
        let session = self.session()?;
        let (root_did, _, root_rkey) = split_uri(&root)
            .ok_or_else(|| SendError::Fatal(format!("`{root}` is not a Bluesky record URI")))?;
        if root_did != session.did {
            return Err(SendError::Fatal(format!(
                "Bluesky lets an account hide replies only under its own posts (threadgate \
                 hiddenReplies); this thread was started by {root_did}"
            )));
        }
        let existing = self.get_record(&session.did, THREADGATE, root_rkey)?;
        let (mut gate, swap) = match existing {
            Some((_, cid, value)) if value.is_object() => (value, Some(cid)),
            _ => (
                json!({"$type": THREADGATE, "post": root, "createdAt": now_iso()}),
                None,
            ),
        };
        let mut list: Vec<String> = gate["hiddenReplies"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let present = list.iter().any(|u| u == target);
        if present == hidden {
            return Ok(None);
        }
        if hidden {
            if list.len() >= MAX_HIDDEN {
                return Err(SendError::Fatal(format!(
                    "Bluesky: this thread already hides {MAX_HIDDEN} replies, the most a threadgate holds"
                )));
            }
            list.push(target.to_owned());
        } else {
            list.retain(|u| u != target);
        }
        gate["hiddenReplies"] = json!(list);
        let mut body = json!({"repo": session.did, "collection": THREADGATE, "rkey": root_rkey, "record": gate});
        if let Some(cid) = swap {
            body["swapRecord"] = json!(cid);
        }
        let a = self.authed(Method::Post(Some(&body)), "com.atproto.repo.putRecord")?;
        match a.status {
            200 => Ok(None),
            400 if a.error() == "InvalidSwap" => Err(SendError::Retry {
                error: "Bluesky putRecord: the threadgate changed meanwhile".into(),
                at_ms: None,
            }),
            _ => Err(self.fail(&a, "putRecord")),
        }
    }
}

impl PlatformSender for BlueskySender {
    fn send(&self, out: &Outgoing<'_>) -> Result<Option<String>, SendError> {
        self.gate
            .acquire(now_ms())
            .map_err(|at_ms| SendError::NotBefore { at_ms })?;
        match out.action {
            Action::Reply => {
                let target = self.target(out)?;
                self.create_post(out, Some(&target))
            }
            Action::Post => self.create_post(out, None),
            Action::Delete => self.delete(out),
            Action::Hide => self.hide(out, true),
            Action::Unhide => self.hide(out, false),
            Action::Direct => Err(SendError::Fatal(
                "Bluesky direct messages (chat.bsky.convo, a service behind Bluesky's AppView, \
                 not the PDS) are not supported by this connector"
                    .into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reply_references_come_from_the_stored_event() {
        let raw = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/bluesky/jetstream_commit_post_create_reply.json"
        ))
        .unwrap();
        let event: Value = serde_json::from_str(&raw).unwrap();
        let uri = format!(
            "at://{}/app.bsky.feed.post/{}",
            event["did"].as_str().unwrap(),
            event["commit"]["rkey"].as_str().unwrap()
        );
        let t = target_from_raw(&raw, &uri).unwrap();
        assert_eq!(t.parent["uri"], uri.as_str());
        assert_eq!(t.parent["cid"], event["commit"]["cid"]);
        // The event is itself a reply: the root is its root, not itself.
        assert_eq!(t.root, event["commit"]["record"]["reply"]["root"]);
        assert_ne!(t.root["uri"], t.parent["uri"]);
        assert!(t.created_us.is_some());
        // The stored event of another record is not used.
        assert!(target_from_raw(&raw, "at://did:plc:other/app.bsky.feed.post/3k").is_none());
        assert!(target_from_raw("{not json", &uri).is_none());
    }

    #[test]
    fn a_top_level_post_is_its_own_root() {
        let raw = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/bluesky/jetstream_commit_post_create_plain.json"
        ))
        .unwrap();
        let event: Value = serde_json::from_str(&raw).unwrap();
        let uri = format!(
            "at://{}/app.bsky.feed.post/{}",
            event["did"].as_str().unwrap(),
            event["commit"]["rkey"].as_str().unwrap()
        );
        let t = target_from_raw(&raw, &uri).unwrap();
        assert_eq!(t.root, t.parent);
    }

    /// A scripted PDS on loopback: each request (method, path, bearer token) is recorded and
    /// answered by `answer` with a status, headers and a body.
    type Answerer =
        dyn Fn(&str, Option<&str>) -> (u16, Vec<(&'static str, String)>, String) + Send + Sync;

    fn fake_pds(answer: Box<Answerer>) -> (String, std::sync::Arc<Mutex<Vec<String>>>) {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    continue;
                }
                let (mut length, mut bearer) = (0usize, None);
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                    let (name, value) = h.split_once(':').unwrap_or(("", ""));
                    match name.to_ascii_lowercase().as_str() {
                        "content-length" => length = value.trim().parse().unwrap_or(0),
                        "authorization" => {
                            bearer = value.trim().strip_prefix("Bearer ").map(str::to_owned)
                        }
                        _ => {}
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let path = request.split(' ').nth(1).unwrap_or("").to_owned();
                let nsid = path
                    .trim_start_matches("/xrpc/")
                    .split('?')
                    .next()
                    .unwrap_or("")
                    .to_owned();
                log.lock()
                    .unwrap()
                    .push(format!("{nsid} {}", bearer.as_deref().unwrap_or("-")));
                let (status, headers, body) = answer(&nsid, bearer.as_deref());
                let mut out = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&body);
                let mut stream = stream;
                let _ = stream.write_all(out.as_bytes());
            }
        });
        (url, seen)
    }

    fn session_answer(access: &str, refresh: &str) -> (u16, Vec<(&'static str, String)>, String) {
        (
            200,
            vec![],
            json!({"accessJwt": access, "refreshJwt": refresh, "did": "did:plc:brand", "handle": "brand.test"})
                .to_string(),
        )
    }

    fn post<'a>(key: &'a str) -> Outgoing<'a> {
        Outgoing {
            idem_key: key,
            action: Action::Post,
            target_id: None,
            target_raw: None,
            root_id: None,
            recipient: None,
            text: Some("Bonjour"),
            human: false,
            last_inbound_ms: None,
            resend: false,
            queued_ms: 0,
            quick_replies: &[],
            media: &[],
        }
    }

    #[test]
    fn an_expired_access_token_is_refreshed_once() {
        let (url, seen) = fake_pds(Box::new(|nsid, bearer| match (nsid, bearer) {
            ("com.atproto.server.createSession", None) => session_answer("a1", "r1"),
            ("com.atproto.server.refreshSession", Some("r1")) => session_answer("a2", "r2"),
            ("com.atproto.repo.createRecord", Some("a1")) => (
                400,
                vec![],
                json!({"error": "ExpiredToken", "message": "Token has expired"}).to_string(),
            ),
            ("com.atproto.repo.createRecord", Some("a2")) => (
                200,
                vec![],
                json!({"uri": "at://did:plc:brand/app.bsky.feed.post/3k", "cid": "bafy"})
                    .to_string(),
            ),
            _ => (500, vec![], "{}".into()),
        }));
        let sender = BlueskySender::new(&url, "brand.test", Secret::new("pw"), None, None);
        assert_eq!(
            sender.send(&post("k1")).unwrap().as_deref(),
            Some("at://did:plc:brand/app.bsky.feed.post/3k")
        );
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "com.atproto.server.createSession -",
                "com.atproto.repo.createRecord a1",
                "com.atproto.server.refreshSession r1",
                "com.atproto.repo.createRecord a2",
            ]
        );
    }

    #[test]
    fn a_429_waits_for_the_reset_and_the_gate_holds_the_next_send() {
        let reset = jiff::Timestamp::now().as_second() + 600;
        let (url, seen) = fake_pds(Box::new(move |nsid, _| match nsid {
            "com.atproto.server.createSession" => session_answer("a", "r"),
            _ => (
                429,
                vec![
                    ("ratelimit-limit", "5000".into()),
                    ("ratelimit-remaining", "0".into()),
                    ("ratelimit-reset", reset.to_string()),
                ],
                json!({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}).to_string(),
            ),
        }));
        let sender = BlueskySender::new(&url, "brand.test", Secret::new("pw"), None, None);
        assert_eq!(
            sender.send(&post("k1")),
            Err(SendError::Limited {
                error: "Bluesky createRecord: 429 Too Many Requests ({\"error\":\"RateLimitExceeded\",\"message\":\"Rate Limit Exceeded\"})".into(),
                at_ms: Some(reset * 1000)
            })
        );
        assert_eq!(
            sender.send(&post("k2")),
            Err(SendError::NotBefore {
                at_ms: reset * 1000
            })
        );
        assert_eq!(
            seen.lock().unwrap().len(),
            2,
            "the second send was not tried"
        );
    }

    #[test]
    fn a_200_with_an_error_body_is_not_a_success_and_a_bad_password_is_auth() {
        let (url, _) = fake_pds(Box::new(|nsid, _| match nsid {
            "com.atproto.server.createSession" => session_answer("a", "r"),
            _ => (
                200,
                vec![],
                json!({"error": "InternalServerError", "message": "oops"}).to_string(),
            ),
        }));
        let sender = BlueskySender::new(&url, "brand.test", Secret::new("pw"), None, None);
        let e = sender.send(&post("k")).unwrap_err();
        assert!(
            matches!(&e, SendError::Retry { error, .. } if error.contains("InternalServerError")),
            "the PDS failing is worth another try: {e:?}"
        );
        let (url, _) = fake_pds(Box::new(|nsid, _| {
            match nsid {
            "com.atproto.server.createSession" => session_answer("a", "r"),
            _ => (
                200,
                vec![],
                json!({"error": "InvalidRequest", "message": "Record/text must not be longer than 3000 graphemes"}).to_string(),
            ),
        }
        }));
        let sender = BlueskySender::new(&url, "brand.test", Secret::new("pw"), None, None);
        let e = sender.send(&post("k")).unwrap_err();
        assert!(
            matches!(&e, SendError::Fatal(m) if m.contains("InvalidRequest")),
            "a refusal is not retried: {e:?}"
        );

        let (url, _) = fake_pds(Box::new(|_, _| {
            (
                401,
                vec![],
                json!({"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
                    .to_string(),
            )
        }));
        let sender = BlueskySender::new(&url, "brand.test", Secret::new("pw"), None, None);
        let e = sender.send(&post("k")).unwrap_err();
        assert!(
            matches!(&e, SendError::Auth(m) if m.contains("Invalid identifier or password") && m.contains("app password") && !m.contains("pw")),
            "{e:?}"
        );
        // The session's DID must be the configured one.
        let (url, _) = fake_pds(Box::new(|_, _| session_answer("a", "r")));
        let sender = BlueskySender::new(
            &url,
            "brand.test",
            Secret::new("pw"),
            Some("did:plc:other".into()),
            None,
        );
        assert!(
            matches!(sender.send(&post("k")), Err(SendError::Auth(m)) if m.contains("did:plc:other"))
        );
    }

    #[test]
    fn a_blob_the_pds_refuses_is_a_refusal_in_its_words_and_no_record_is_made() {
        let refusal = json!({
            "error": "InvalidMimeType",
            "message": "Wrong type of file. It is text/plain but it must match image/*.",
        })
        .to_string();
        let (url, seen) = fake_pds(Box::new(move |nsid, _| match nsid {
            "com.atproto.server.createSession" => session_answer("a", "r"),
            "com.atproto.repo.uploadBlob" => (400, vec![], refusal.clone()),
            _ => (500, vec![], "{}".into()),
        }));
        let sender = BlueskySender::new(&url, "brand.test", Secret::new("pw"), None, None);
        let image = Media {
            bytes: b"not an image",
            content_type: "image/png",
            width: 1,
            height: 1,
            alt: "",
            url: None,
        };
        let images = [image];
        let mut out = post("k");
        out.media = &images;
        assert_eq!(
            sender.send(&out),
            Err(SendError::Fatal(
                "Bluesky refused the image 1: InvalidMimeType: Wrong type of file. It is text/plain but it must match image/*.".into()
            ))
        );
        // More images than a post holds: refused before any upload.
        let five = [image; 5];
        out.media = &five;
        assert!(
            matches!(sender.send(&out), Err(SendError::Fatal(e)) if e.contains("at most 4 images"))
        );
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "com.atproto.server.createSession -",
                "com.atproto.repo.uploadBlob a",
            ],
            "no record was made"
        );
    }

    #[test]
    fn record_uris_split_in_three() {
        assert_eq!(
            split_uri("at://did:plc:abc/app.bsky.feed.post/3k4duaz5vfs2b"),
            Some(("did:plc:abc", "app.bsky.feed.post", "3k4duaz5vfs2b"))
        );
        assert_eq!(split_uri("at://did:plc:abc/app.bsky.feed.post"), None);
        assert_eq!(split_uri("https://bsky.app/profile/x"), None);
        assert_eq!(split_uri("at://did:plc:abc/a/b/c"), None);
    }
}
