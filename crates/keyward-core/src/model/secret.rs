//! The secret format (SPEC §2): `kwa_` / `kwl_` / `kwt_`, 32 base62 characters from the OS
//! CSPRNG, then a 6-character base62 CRC32 of everything before it. The checksum lets
//! Keyward (and secret scanners) reject a mistyped or truncated secret as `MALFORMED`
//! without touching the database.

use rand::Rng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const BODY_LEN: usize = 32;
pub const CHECKSUM_LEN: usize = 6;
pub const PREFIX_LEN: usize = 4;
pub const SECRET_LEN: usize = PREFIX_LEN + BODY_LEN + CHECKSUM_LEN;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// `kwa_`: an API key scoped to the whole agency.
    AgencyKey,
    /// `kwl_`: an API key scoped to one location.
    LocationKey,
    /// `kwt_`: a token minted from an API key.
    Token,
    /// `kwm_`: a management token: manages a Keyward server as one site manager, and
    /// never verifies as an API key.
    Management,
}

impl SecretKind {
    pub fn prefix(self) -> &'static str {
        match self {
            SecretKind::AgencyKey => "kwa_",
            SecretKind::LocationKey => "kwl_",
            SecretKind::Token => "kwt_",
            SecretKind::Management => "kwm_",
        }
    }

    fn from_prefix(p: &str) -> Option<Self> {
        match p {
            "kwa_" => Some(SecretKind::AgencyKey),
            "kwl_" => Some(SecretKind::LocationKey),
            "kwt_" => Some(SecretKind::Token),
            "kwm_" => Some(SecretKind::Management),
            _ => None,
        }
    }

    pub fn is_api_key(self) -> bool {
        matches!(self, SecretKind::AgencyKey | SecretKind::LocationKey)
    }
}

/// A secret in memory. Its `Debug` prints only the mask, and its bytes are wiped on drop,
/// so a stray `{:?}` in a log or a panic message cannot leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// A fresh secret of the given kind from the operating system's CSPRNG.
    pub fn generate(kind: SecretKind) -> Secret {
        let mut rng = rand::rngs::OsRng;
        let mut s = String::with_capacity(SECRET_LEN);
        s.push_str(kind.prefix());
        for _ in 0..BODY_LEN {
            s.push(BASE62[rng.gen_range(0..BASE62.len())] as char);
        }
        let sum = checksum(&s);
        s.push_str(&sum);
        Secret(Zeroizing::new(s))
    }

    /// Accepts a presented string only if it has the shape and checksum of a secret.
    pub fn parse(presented: &str) -> Option<(Secret, SecretKind)> {
        let kind = check_format(presented)?;
        Some((Secret(Zeroizing::new(presented.to_owned())), kind))
    }

    /// Text that carries a secret (a command line with a key in it): kept with the same
    /// care — wiped on drop, masked in `Debug`.
    pub fn from_text(text: String) -> Secret {
        Secret(Zeroizing::new(text))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> Option<SecretKind> {
        check_format(&self.0)
    }

    pub fn hash(&self) -> [u8; 32] {
        hash_secret(&self.0)
    }

    pub fn mask(&self) -> String {
        mask(&self.0)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({})", self.mask())
    }
}

/// A secret at the moment it is shown to its owner (create, regenerate, a new token): the
/// only form that serializes, and it serializes in full.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ShownSecret(pub Secret);

impl std::ops::Deref for ShownSecret {
    type Target = Secret;

    fn deref(&self) -> &Secret {
        &self.0
    }
}

/// A secret a server showed once, as a client receives it.
impl<'de> serde::Deserialize<'de> for ShownSecret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(<String as serde::Deserialize>::deserialize(d)?);
        Ok(ShownSecret(Secret::from_text(text.to_string())))
    }
}

impl serde::Serialize for ShownSecret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.expose())
    }
}

/// Returns the secret's kind if `s` is well formed (prefix, length, alphabet, checksum).
pub fn check_format(s: &str) -> Option<SecretKind> {
    if s.len() != SECRET_LEN || !s.is_ascii() {
        return None;
    }
    let kind = SecretKind::from_prefix(&s[..PREFIX_LEN])?;
    let (head, sum) = s.split_at(PREFIX_LEN + BODY_LEN);
    if !head[PREFIX_LEN..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric())
    {
        return None;
    }
    if checksum(head) != sum {
        return None;
    }
    Some(kind)
}

/// SHA-256 of the secret: what the store indexes, so verification never decrypts.
pub fn hash_secret(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// `kwa_AbCd…wxyz`: enough to recognise a key, far too little to use it.
pub fn mask(s: &str) -> String {
    if s.len() < PREFIX_LEN + 8 || !s.is_ascii() {
        return "…".to_owned();
    }
    format!("{}…{}", &s[..PREFIX_LEN + 4], &s[s.len() - 4..])
}

fn checksum(head: &str) -> String {
    let mut n = crc32fast::hash(head.as_bytes()) as u64;
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kinds() -> impl Strategy<Value = SecretKind> {
        prop_oneof![
            Just(SecretKind::AgencyKey),
            Just(SecretKind::LocationKey),
            Just(SecretKind::Token)
        ]
    }

    #[test]
    fn generated_secret_has_the_documented_shape() {
        let s = Secret::generate(SecretKind::AgencyKey);
        let text = s.expose();
        assert_eq!(text.len(), 42);
        assert!(text.starts_with("kwa_"));
        assert!(text[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(check_format(text), Some(SecretKind::AgencyKey));
    }

    #[test]
    fn debug_prints_only_the_mask() {
        let s = Secret::generate(SecretKind::Token);
        let dbg = format!("{s:?}");
        assert!(!dbg.contains(s.expose()));
        assert!(!dbg.contains(&s.expose()[8..38]));
        assert!(dbg.contains('…'));
    }

    #[test]
    fn mask_keeps_prefix_four_and_last_four() {
        assert_eq!(
            mask("kwa_AbCdEFGHIJKLMNOPQRSTUVWXYZ0123456789wxyz"),
            "kwa_AbCd…wxyz"
        );
    }

    #[test]
    fn rejects_wrong_prefix_length_and_alphabet() {
        let good = Secret::generate(SecretKind::LocationKey);
        let t = good.expose();
        assert!(check_format(&t[..41]).is_none());
        assert!(check_format(&format!("{t}0")).is_none());
        assert!(check_format(&format!("kwx_{}", &t[4..])).is_none());
        assert!(check_format("").is_none());
        assert!(check_format(&format!("{}é{}", &t[..10], &t[12..])).is_none());
    }

    proptest! {
        #[test]
        fn every_generated_secret_round_trips(kind in kinds()) {
            let s = Secret::generate(kind);
            let (parsed, k) = Secret::parse(s.expose()).expect("well formed");
            prop_assert_eq!(k, kind);
            prop_assert_eq!(parsed.hash(), s.hash());
        }

        #[test]
        fn any_single_character_change_is_malformed(
            kind in kinds(),
            pos in 0usize..SECRET_LEN,
            replacement in proptest::char::range('!', '~'),
        ) {
            let s = Secret::generate(kind);
            let original = s.expose().as_bytes()[pos] as char;
            prop_assume!(replacement != original);
            let mut changed: Vec<char> = s.expose().chars().collect();
            changed[pos] = replacement;
            let changed: String = changed.into_iter().collect();
            prop_assert_eq!(check_format(&changed), None);
        }
    }
}
