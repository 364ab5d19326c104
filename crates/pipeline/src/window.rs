//! A map with a hard memory bound: two generations of at most `capacity` entries each.
//!
//! When the current generation is full, the previous one is dropped and the current one takes
//! its place (its allocation is reused). A key inserted is therefore remembered for at least
//! the next `capacity` insertions and at most `2 × capacity`; memory never grows past two
//! tables of `capacity` entries, however long the stream. Keys are already-hashed u64
//! fingerprints, so they are used as their own hash.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Passes a u64 fingerprint through as its own hash (the fingerprints are xxh3 outputs).
#[derive(Default)]
pub struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed here; fold anything else rather than fail.
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(29) ^ u64::from_le_bytes(word);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type FingerprintMap<V> = HashMap<u64, V, BuildHasherDefault<FingerprintHasher>>;

/// A bounded two-generation map from fingerprints to values.
pub struct Window<V> {
    current: FingerprintMap<V>,
    previous: FingerprintMap<V>,
    capacity: usize,
}

impl<V> Window<V> {
    /// `capacity` ≥ 1 entries per generation.
    pub fn new(capacity: usize) -> Self {
        Window {
            current: FingerprintMap::default(),
            previous: FingerprintMap::default(),
            capacity: capacity.max(1),
        }
    }

    pub fn get(&self, key: u64) -> Option<&V> {
        self.current.get(&key).or_else(|| self.previous.get(&key))
    }

    /// Inserts or replaces; the entry lands in the current generation.
    pub fn insert(&mut self, key: u64, value: V) {
        if self.current.len() >= self.capacity && !self.current.contains_key(&key) {
            std::mem::swap(&mut self.current, &mut self.previous);
            self.current.clear();
        }
        self.previous.remove(&key);
        self.current.insert(key, value);
    }

    /// Forgets `key` (in either generation).
    pub fn remove(&mut self, key: u64) -> Option<V> {
        self.current
            .remove(&key)
            .or_else(|| self.previous.remove(&key))
    }

    /// Entries held now (at most `2 × capacity`).
    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held by the two tables (entries plus hashbrown's control bytes), excluding what
    /// the values themselves point to.
    pub fn table_bytes(&self) -> usize {
        let slot = std::mem::size_of::<(u64, V)>() + 1;
        (self.current.capacity() + self.previous.capacity()) * slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_at_least_capacity_and_at_most_twice() {
        let mut w = Window::new(100);
        for k in 0..1000u64 {
            w.insert(k, k * 2);
            assert!(w.len() <= 200);
        }
        // The last 100 are always there, with their values.
        for k in 900..1000 {
            assert_eq!(w.get(k), Some(&(k * 2)));
        }
        // Far older ones are gone.
        assert_eq!(w.get(10), None);
    }

    #[test]
    fn reinserting_moves_an_entry_forward_without_duplicating_it() {
        let mut w = Window::new(2);
        w.insert(1, "a");
        w.insert(2, "b");
        w.insert(3, "c"); // rotates: previous = {1, 2}
        w.insert(1, "a2"); // moves 1 into current
        assert_eq!(w.get(1), Some(&"a2"));
        assert_eq!(w.len(), 3);
    }

    #[test]
    fn memory_stays_flat_over_many_insertions() {
        let mut w = Window::new(1000);
        for k in 0..5_000u64 {
            w.insert(k.wrapping_mul(0x9E37_79B9_7F4A_7C15), ());
        }
        let after_5k = w.table_bytes();
        for k in 5_000..200_000u64 {
            w.insert(k.wrapping_mul(0x9E37_79B9_7F4A_7C15), ());
        }
        assert_eq!(w.table_bytes(), after_5k);
    }
}
