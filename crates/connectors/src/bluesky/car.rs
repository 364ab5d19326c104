//! The firehose's binary formats (pure): DAG-CBOR values as the AT Protocol's JSON (links as
//! `{"$link": CID}`, bytes as `{"$bytes": base64}`), CIDs in their base32 text form, and the
//! blocks of a CAR v1 file (a varint-framed list of CID + block), read by hand: the framing is
//! three varints, not worth a crate.

use base64::Engine;
use ciborium::Value as Cbor;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The CBOR tag of a CID link in DAG-CBOR.
const CID_TAG: u64 = 42;

/// Reads an unsigned LEB128 varint at the start of `b`: the value and its length.
pub fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, byte) in b.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// The length of the binary CID at the start of `b` (CIDv1: version, codec, multihash).
fn cid_len(b: &[u8]) -> Result<usize, String> {
    if b.first() == Some(&0x12) {
        return Err("CIDv0 in a repository block (atproto uses CIDv1)".into());
    }
    let mut at = 0;
    for _ in 0..3 {
        let (_, n) = varint(&b[at..]).ok_or("truncated CID")?;
        at += n;
    }
    let (digest, n) = varint(&b[at..]).ok_or("truncated CID")?;
    let end = at + n + digest as usize;
    if end > b.len() {
        return Err("truncated CID digest".into());
    }
    Ok(end)
}

/// A binary CIDv1 in its text form: multibase `b` and lower-case base32 without padding.
pub fn cid_string(cid: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(1 + cid.len() * 8 / 5 + 1);
    out.push('b');
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in cid {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The binary CID of a DAG-CBOR link (tag 42 over bytes that start with the identity
/// multibase prefix 0x00).
pub fn link_bytes(v: &Cbor) -> Option<&[u8]> {
    match v {
        Cbor::Tag(CID_TAG, inner) => match inner.as_ref() {
            Cbor::Bytes(b) => Some(b.strip_prefix(&[0u8]).unwrap_or(b)),
            _ => None,
        },
        _ => None,
    }
}

/// The blocks of a CAR v1 file, by binary CID.
pub fn car_blocks(car: &[u8]) -> Result<HashMap<Vec<u8>, Vec<u8>>, String> {
    let (header_len, n) = varint(car).ok_or("CAR: no header length")?;
    let mut at = n
        .checked_add(header_len as usize)
        .filter(|&e| e <= car.len())
        .ok_or("CAR: truncated header")?;
    let mut blocks = HashMap::new();
    while at < car.len() {
        let (len, n) = varint(&car[at..]).ok_or("CAR: bad block length")?;
        let start = at + n;
        let end = start
            .checked_add(len as usize)
            .filter(|&e| e <= car.len())
            .ok_or("CAR: truncated block")?;
        let block = &car[start..end];
        let cid = cid_len(block)?;
        blocks.insert(block[..cid].to_vec(), block[cid..].to_vec());
        at = end;
    }
    Ok(blocks)
}

/// Decodes one DAG-CBOR value from the start of `input` and advances it past the value (a
/// firehose frame is two values back to back: header, then body).
pub fn decode(input: &mut &[u8]) -> Result<Cbor, String> {
    ciborium::de::from_reader(input).map_err(|e| format!("CBOR: {e}"))
}

/// A DAG-CBOR value in the AT Protocol's JSON form.
pub fn to_json(v: &Cbor) -> Value {
    match v {
        Cbor::Integer(i) => {
            let i = i128::from(*i);
            i64::try_from(i)
                .map(Value::from)
                .or_else(|_| u64::try_from(i).map(Value::from))
                .unwrap_or(Value::Null)
        }
        Cbor::Bytes(b) => {
            serde_json::json!({"$bytes": base64::engine::general_purpose::STANDARD_NO_PAD.encode(b)})
        }
        Cbor::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Cbor::Text(s) => Value::String(s.clone()),
        Cbor::Bool(b) => Value::Bool(*b),
        Cbor::Null => Value::Null,
        Cbor::Tag(..) => match link_bytes(v) {
            Some(cid) => serde_json::json!({"$link": cid_string(cid)}),
            None => Value::Null,
        },
        Cbor::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Cbor::Map(entries) => Value::Object(
            entries
                .iter()
                .filter_map(|(k, v)| match k {
                    Cbor::Text(k) => Some((k.clone(), to_json(v))),
                    _ => None,
                })
                .collect::<Map<String, Value>>(),
        ),
        _ => Value::Null,
    }
}

/// The value under text key `key` of a CBOR map.
pub fn get<'v>(map: &'v Cbor, key: &str) -> Option<&'v Cbor> {
    match map {
        Cbor::Map(entries) => entries
            .iter()
            .find(|(k, _)| matches!(k, Cbor::Text(t) if t == key))
            .map(|(_, v)| v),
        _ => None,
    }
}

pub fn get_str<'v>(map: &'v Cbor, key: &str) -> Option<&'v str> {
    match get(map, key)? {
        Cbor::Text(t) => Some(t),
        _ => None,
    }
}

pub fn get_int(map: &Cbor, key: &str) -> Option<i64> {
    match get(map, key)? {
        Cbor::Integer(i) => i64::try_from(i128::from(*i)).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn varints_and_cid_text() {
        assert_eq!(varint(&[0x01]), Some((1, 1)));
        assert_eq!(varint(&[0xac, 0x02]), Some((300, 2)));
        assert_eq!(varint(&[0x80]), None, "unterminated");
        // A dag-cbor sha-256 CIDv1 (0x01 0x71 0x12 0x20 + 32 bytes) starts `bafyrei`, as every
        // record CID on Bluesky does.
        let mut cid = vec![0x01, 0x71, 0x12, 0x20];
        cid.extend([0u8; 32]);
        let s = cid_string(&cid);
        assert!(s.starts_with("bafyrei"), "{s}");
        assert_eq!(s.len(), 59);
        assert_eq!(cid_len(&cid), Ok(36));
        assert!(cid_len(&cid[..20]).is_err());
    }

    #[test]
    fn car_blocks_are_found_by_cid_and_truncation_is_an_error() {
        let mut cid = vec![0x01, 0x71, 0x12, 0x20];
        cid.extend([7u8; 32]);
        let block = [cid.clone(), vec![0xa0]].concat(); // an empty CBOR map
        let header = [0xa0u8];
        let mut car = vec![header.len() as u8];
        car.extend(header);
        car.push(block.len() as u8);
        car.extend(&block);
        let blocks = car_blocks(&car).unwrap();
        assert_eq!(blocks.get(&cid).map(Vec::as_slice), Some(&[0xa0u8][..]));
        assert!(car_blocks(&car[..car.len() - 3]).is_err());
    }

    #[test]
    fn two_values_back_to_back_and_links_as_json() {
        let mut cid = vec![0x00, 0x01, 0x71, 0x12, 0x20];
        cid.extend([1u8; 32]);
        let header = Cbor::Map(vec![
            (Cbor::Text("op".into()), Cbor::Integer(1.into())),
            (Cbor::Text("t".into()), Cbor::Text("#commit".into())),
        ]);
        let body = Cbor::Map(vec![
            (
                Cbor::Text("cid".into()),
                Cbor::Tag(CID_TAG, Box::new(Cbor::Bytes(cid))),
            ),
            (Cbor::Text("sig".into()), Cbor::Bytes(vec![0xff, 0x00])),
            (Cbor::Text("n".into()), Cbor::Integer((-3).into())),
        ]);
        let mut frame = Vec::new();
        ciborium::ser::into_writer(&header, &mut frame).unwrap();
        ciborium::ser::into_writer(&body, &mut frame).unwrap();
        let mut input = &frame[..];
        let h = decode(&mut input).unwrap();
        assert_eq!(get_str(&h, "t"), Some("#commit"));
        assert_eq!(get_int(&h, "op"), Some(1));
        let b = decode(&mut input).unwrap();
        assert!(input.is_empty());
        let json = to_json(&b);
        assert!(
            json["cid"]["$link"]
                .as_str()
                .unwrap()
                .starts_with("bafyrei")
        );
        assert_eq!(json["sig"]["$bytes"], "/wA");
        assert_eq!(json["n"], -3);
        assert!(decode(&mut input).is_err(), "nothing left");
    }
}
