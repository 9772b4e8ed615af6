//! Prefixed, sortable ids (`key_01J…`): 48 bits of milliseconds then 80 random bits in
//! Crockford base32, like a ULID. Within one millisecond ids keep increasing, so sorting
//! ids sorts events in the order they happened in this process.

use rand::RngCore;
use std::sync::Mutex;

use crate::clock::Millis;

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static LAST: Mutex<(i64, u128)> = Mutex::new((0, 0));

pub fn new_id(prefix: &str, now: Millis) -> String {
    let ms = now.max(0);
    let random = {
        let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
        let next = if ms <= last.0 {
            // Same (or earlier) millisecond: keep the order by counting up from the last id.
            (ms.max(last.0), (last.1 + 1) & ((1u128 << 80) - 1))
        } else {
            let mut buf = [0u8; 16];
            rand::rngs::OsRng.fill_bytes(&mut buf[6..]);
            (ms, u128::from_be_bytes(buf) >> 1)
        };
        *last = next;
        next
    };
    let value: u128 = ((random.0 as u128) << 80) | random.1;
    let mut out = String::with_capacity(prefix.len() + 26);
    out.push_str(prefix);
    for i in (0..26).rev() {
        let idx = ((value >> (i * 5)) & 0x1f) as usize;
        out.push(CROCKFORD[idx] as char);
    }
    out
}

/// Whether `s` has the shape of an id made here: a three-letter prefix, `_`, then 26
/// Crockford base32 characters.
pub fn looks_like_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 30
        && b[..3].iter().all(u8::is_ascii_lowercase)
        && b[3] == b'_'
        && b[4..].iter().all(|c| CROCKFORD.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_made_here_look_like_ids_and_other_text_does_not() {
        assert!(looks_like_id(&new_id("tok_", 1_700_000_000_000)));
        for other in [
            "",
            "key_",
            "kwa_0123456789abcdefghijABCDEF",
            "KEY_01J0000000000000000000000A",
            "key 01J0000000000000000000000A",
        ] {
            assert!(!looks_like_id(other), "{other}");
        }
    }

    #[test]
    fn ids_are_prefixed_and_sort_in_creation_order() {
        let mut ids = Vec::new();
        for i in 0..2_000 {
            ids.push(new_id("evt_", 1_700_000_000_000 + i / 100));
        }
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert!(ids
            .iter()
            .all(|id| id.starts_with("evt_") && id.len() == 30));
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
    }
}
