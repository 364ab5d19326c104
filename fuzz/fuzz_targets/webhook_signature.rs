//! The webhook signature checks of X and Meta on any header and body: the first line is the
//! signature header's value, the rest the body. A forged signature is refused, never a panic;
//! the body signed with the secret is always accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palabre_connectors::client::{Secret, WebhookEndpoint};
use palabre_connectors::x::webhook::{SIGNATURE_HEADER, Webhook, WebhookConfig};

fuzz_target!(|data: &[u8]| {
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let x = Webhook::new(&WebhookConfig {
        consumer_secret: Secret::new("fuzz-secret"),
    });
    let mut headers = http::HeaderMap::new();
    if let Ok(value) = http::HeaderValue::from_bytes(header) {
        headers.insert(SIGNATURE_HEADER, value);
    }
    let forged = x.verify(&headers, body);
    let mut signed = http::HeaderMap::new();
    if let Ok(value) = http::HeaderValue::from_str(&x.sign(body)) {
        signed.insert(SIGNATURE_HEADER, value);
    }
    assert!(
        x.verify(&signed, body).is_ok(),
        "a body signed with the secret is accepted"
    );
    if forged.is_ok() {
        assert_eq!(
            header,
            x.sign(body).as_bytes(),
            "only the right signature passes"
        );
    }
    let meta_hex = palabre_connectors::client::signature::hmac_sha256(b"fuzz-secret", body);
    let _ = palabre_connectors::client::signature::verify_hex(
        b"fuzz-secret",
        body,
        std::str::from_utf8(header).unwrap_or(""),
    );
    assert!(palabre_connectors::client::signature::verify_bytes(
        b"fuzz-secret",
        body,
        &meta_hex
    ));
});
