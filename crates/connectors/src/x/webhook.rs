//! X Account Activity webhooks: the CRC challenge (`GET ?crc_token=…` answered with
//! `{"response_token":"sha256=<base64 HMAC-SHA256(consumer secret, crc_token)>"}`) and the
//! signature of each delivery (`x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256
//! (consumer secret, raw body)>`), checked in constant time.
//!
//! The bodies themselves are normalized by `activity.rs` (pure), from the durable queue.

use crate::client::http::HeaderMap;
use crate::client::signature::{hmac_sha256, verify_bytes};
use crate::client::{Reply, Secret, WebhookEndpoint};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

/// The webhook part of an X account's configuration (`webhook = { consumer_secret = "env:…" }`),
/// meant to be embedded in the X account's config as `webhook: Option<WebhookConfig>`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The app's API key secret (consumer secret): X signs with it.
    pub consumer_secret: Secret,
}

/// The header X signs each delivery with.
pub const SIGNATURE_HEADER: &str = "x-twitter-webhooks-signature";

/// One X app's webhook endpoint.
#[derive(Debug, Clone)]
pub struct Webhook {
    consumer_secret: Secret,
}

impl Webhook {
    pub fn new(config: &WebhookConfig) -> Self {
        Webhook {
            consumer_secret: config.consumer_secret.clone(),
        }
    }

    /// `sha256=<base64>` of `data` with the consumer secret: the CRC response token, and the
    /// signature X puts on a body.
    pub fn sign(&self, data: &[u8]) -> String {
        let mac = hmac_sha256(self.consumer_secret.expose().as_bytes(), data);
        format!("sha256={}", STANDARD.encode(mac))
    }
}

impl WebhookEndpoint for Webhook {
    fn challenge(&self, query: &[(String, String)]) -> Reply {
        match query.iter().find(|(k, _)| k == "crc_token") {
            Some((_, token)) if !token.is_empty() => Reply::json(
                200,
                serde_json::json!({ "response_token": self.sign(token.as_bytes()) }).to_string(),
            ),
            _ => Reply::text(400, "expected a crc_token"),
        }
    }

    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
        let given = headers
            .get(SIGNATURE_HEADER)
            .ok_or_else(|| format!("no {SIGNATURE_HEADER} header"))?
            .to_str()
            .map_err(|_| format!("{SIGNATURE_HEADER} is not text"))?;
        let encoded = given
            .trim()
            .strip_prefix("sha256=")
            .ok_or_else(|| format!("{SIGNATURE_HEADER} does not start with sha256="))?;
        let raw = STANDARD
            .decode(encoded)
            .map_err(|_| format!("{SIGNATURE_HEADER} is not base64"))?;
        if verify_bytes(self.consumer_secret.expose().as_bytes(), body, &raw) {
            Ok(())
        } else {
            Err(format!(
                "{SIGNATURE_HEADER} does not match the body (wrong consumer secret, or a body altered on the way)"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ureq::http::HeaderValue;

    fn webhook() -> Webhook {
        Webhook::new(&WebhookConfig {
            consumer_secret: Secret::new("my-consumer-secret"),
        })
    }

    // Vectors computed independently with Python's hmac and base64 modules.
    #[test]
    fn crc_answers_the_known_vector() {
        let reply = webhook().challenge(&[("crc_token".into(), "crc-token-from-x".into())]);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.content_type, "application/json");
        assert_eq!(
            reply.body,
            r#"{"response_token":"sha256=/5HbuEKGp+CvHMhmNXL1xn7lkxOUfnYdEB+U+LI524s="}"#
        );
        assert_eq!(webhook().challenge(&[]).status, 400);
    }

    #[test]
    fn signatures_are_checked_over_the_raw_body() {
        let body = br#"{"for_user_id":"1","favorite_events":[{"id":"f1"}]}"#;
        let mut h = HeaderMap::new();
        assert!(
            webhook()
                .verify(&h, body)
                .unwrap_err()
                .contains("no x-twitter")
        );
        h.insert(
            SIGNATURE_HEADER,
            HeaderValue::from_static("sha256=FKGVGqBNj44PbrR9Hypu8vUqjY3YaMj67LUz7iBl8J4="),
        );
        assert_eq!(webhook().verify(&h, body), Ok(()));
        assert_eq!(
            webhook().sign(body),
            "sha256=FKGVGqBNj44PbrR9Hypu8vUqjY3YaMj67LUz7iBl8J4="
        );
        // One byte changed, another secret, a malformed header: refused.
        assert!(
            webhook()
                .verify(
                    &h,
                    br#"{"for_user_id":"2","favorite_events":[{"id":"f1"}]}"#
                )
                .is_err()
        );
        let other = Webhook::new(&WebhookConfig {
            consumer_secret: Secret::new("other"),
        });
        assert!(other.verify(&h, body).is_err());
        h.insert(SIGNATURE_HEADER, HeaderValue::from_static("sha256=%%%"));
        assert!(webhook().verify(&h, body).unwrap_err().contains("base64"));
        h.insert(
            SIGNATURE_HEADER,
            HeaderValue::from_static("FKGVGqBNj44PbrR9Hypu8vUqjY3YaMj67LUz7iBl8J4="),
        );
        assert!(webhook().verify(&h, body).unwrap_err().contains("sha256="));
    }
}
