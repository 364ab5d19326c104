//! Record keys: TIDs (13 characters of base32-sortable holding a timestamp in microseconds and
//! a 10-bit clock id), and the deterministic one the sender derives from an outbox key, so that
//! a resend after a crash names the same record and the PDS refuses a second copy.

use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// 2023-01-01T00:00:00Z in microseconds: the floor of derived timestamps (Bluesky's start).
const FLOOR_US: i64 = 1_672_531_200_000_000;
/// The largest timestamp a TID holds (53 bits).
const MAX_US: i64 = (1 << 53) - 1;

/// Encodes a TID: 64 bits (top bit 0, 53 bits of microseconds, 10 bits of clock id) as 13
/// base32-sortable characters, so that TIDs sort like their times.
pub fn encode(timestamp_us: u64, clock_id: u16) -> String {
    let v = ((timestamp_us & (MAX_US as u64)) << 10) | u64::from(clock_id & 0x3ff);
    (0..13)
        .map(|i| char::from(ALPHABET[((v >> (60 - 5 * i)) & 31) as usize]))
        .collect()
}

/// Whether `s` is a syntactically valid TID (the atproto record-key rule for posts).
pub fn is_valid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 13
        && b"234567abcdefghij".contains(&b[0])
        && b[1..].iter().all(|c| ALPHABET.contains(c))
}

/// The record key of the action `idem_key`: the same key always gives the same TID. Its time
/// is `anchor_us` (the time of the message answered, when known, so that a reply sorts after
/// what it answers) plus up to a second, and its clock id, both from a SHA-256 of the key: two
/// keys on one anchor collide with a probability of about 2^-30.
pub fn derive(idem_key: &str, anchor_us: Option<i64>) -> String {
    let digest = Sha256::digest(idem_key.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let h = u64::from_be_bytes(first);
    let clock_id = (h & 0x3ff) as u16;
    let (base, spread) = match anchor_us {
        Some(us) => (us.clamp(FLOOR_US, MAX_US - 1_000_000), 1_000_000u64),
        // No anchor (a new post): spread over 2^40 µs (about 12 days) from the floor.
        None => (FLOOR_US, 1u64 << 40),
    };
    let offset = (h >> 10) % spread;
    encode(base as u64 + offset, clock_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_reference_implementation() {
        // atproto's own test vector: 0 µs, clock 0 is all twos.
        assert_eq!(encode(0, 0), "2222222222222");
        assert_eq!(encode(0, 1), "2222222222223");
        // The first character holds the top 4 bits, whose first is always 0: the largest TID
        // starts with `b` (index 7), though the syntax allows up to `j`.
        assert_eq!(encode(MAX_US as u64, 0x3ff), "bzzzzzzzzzzzz");
        assert!(is_valid("3jzfcijpj2z2a"));
        assert!(!is_valid("3jzfcijpj2z2"), "12 characters");
        assert!(!is_valid("kjzfcijpj2z2a"), "top bit set");
        assert!(!is_valid("3jzfcijpj2z21"), "1 is not in the alphabet");
    }

    #[test]
    fn tids_sort_like_their_times() {
        let a = encode(1_700_000_000_000_000, 5);
        let b = encode(1_700_000_000_000_001, 0);
        let c = encode(1_800_000_000_000_000, 0);
        assert!(a < b && b < c, "{a} {b} {c}");
    }

    #[test]
    fn derived_keys_are_stable_valid_and_distinct() {
        let anchor = 1_767_225_600_000_000; // 2026-01-01
        let a = derive(
            "bot:bluesky:at://did:plc:x/app.bsky.feed.post/3k",
            Some(anchor),
        );
        assert_eq!(
            a,
            derive(
                "bot:bluesky:at://did:plc:x/app.bsky.feed.post/3k",
                Some(anchor)
            )
        );
        assert!(is_valid(&a), "{a}");
        let b = derive(
            "draft:bluesky:at://did:plc:x/app.bsky.feed.post/3k",
            Some(anchor),
        );
        assert_ne!(a, b);
        // Anchored within a second after the message answered.
        for key in [&a, &b] {
            assert!(key.as_str() >= encode(anchor as u64, 0).as_str());
            assert!(key.as_str() < encode(anchor as u64 + 1_000_000, 0).as_str());
        }
        // Nonsense anchors (before Bluesky, negative) are clamped, never invalid.
        assert!(is_valid(&derive("k", Some(-5))));
        assert!(is_valid(&derive("k", Some(i64::MAX))));
        assert!(is_valid(&derive("k", None)));
        let keys: std::collections::HashSet<_> =
            (0..2000).map(|i| derive(&format!("k{i}"), None)).collect();
        assert_eq!(keys.len(), 2000);
    }
}
