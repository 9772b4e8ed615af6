//! A consistency check of the store's indexes (SPEC §8): no key without its hash index
//! entry, no index entry without its key or token, no token without its key. Used by the
//! crash tests after a kill -9 and available to diagnostics.

use std::collections::{HashMap, HashSet};

use super::{Read, Store, Table};
use crate::error::Result;
use crate::model::key::{ApiKey, HashEntry};
use crate::model::token::Token;
use crate::model::user::User;

fn hex(hash: &[u8]) -> String {
    // Only a prefix: enough to find the entry, and a hash is no secret anyway.
    hash.iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        + "…"
}

impl Store {
    /// Checks that the hash index, keys, tokens and users agree. Returns one human-readable
    /// line per problem; an empty list means the store is consistent. Never mentions a
    /// secret (only ids and hash prefixes).
    pub fn check_integrity(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();

        // The hash index, read whole: hash → entry.
        let mut index: HashMap<Vec<u8>, HashEntry> = HashMap::new();
        for r in self.scan_raw(Table::Hashes, b"") {
            let (k, v) = r?;
            match bincode::deserialize::<HashEntry>(&v) {
                Ok(e) => {
                    index.insert(k.to_vec(), e);
                }
                Err(e) => {
                    problems.push(format!("hash index entry {} cannot be read: {e}", hex(&k)))
                }
            }
        }

        let mut users: HashMap<String, User> = HashMap::new();
        for u in self.values::<User>(Table::Users) {
            let u = u?;
            users.insert(u.id.clone(), u);
        }
        let mut keys: HashMap<String, ApiKey> = HashMap::new();
        for k in self.values::<ApiKey>(Table::Keys) {
            let k = k?;
            keys.insert(k.id.clone(), k);
        }
        let mut tokens: HashMap<String, Token> = HashMap::new();
        for t in self.values::<Token>(Table::Tokens) {
            let t = t?;
            tokens.insert(t.id.clone(), t);
        }

        // Users and the email index.
        for u in users.values() {
            match self.get_raw(Table::Emails, u.email.to_lowercase().as_bytes())? {
                Some(id) if id == u.id.as_bytes() => {}
                Some(id) => problems.push(format!(
                    "user {}: the email index maps their email to {}",
                    u.id,
                    String::from_utf8_lossy(&id)
                )),
                None => problems.push(format!(
                    "user {}: their email is missing from the email index",
                    u.id
                )),
            }
        }
        for r in self.scan_raw(Table::Emails, b"") {
            let (email, id) = r?;
            let id = String::from_utf8_lossy(&id).into_owned();
            let email = String::from_utf8_lossy(&email).into_owned();
            match users.get(&id) {
                None => problems.push(format!(
                    "email index entry '{email}' points to missing user {id}"
                )),
                Some(u) if u.email.to_lowercase() != email => problems.push(format!(
                    "email index entry '{email}' points to user {id}, whose email is different"
                )),
                Some(_) => {}
            }
        }

        // Every key: its current and old hashes are indexed and point back to it.
        for key in keys.values() {
            if !users.contains_key(&key.owner) {
                problems.push(format!(
                    "API key {}: its owner {} does not exist",
                    key.id, key.owner
                ));
            }
            match index.get(key.hash.as_slice()) {
                None => problems.push(format!(
                    "API key {}: its current hash {} is missing from the hash index",
                    key.id,
                    hex(&key.hash)
                )),
                Some(e) if e.token || e.id != key.id || e.generation != key.generation => {
                    problems.push(format!(
                        "API key {}: its current hash {} points to {} {} generation {} (expected generation {})",
                        key.id,
                        hex(&key.hash),
                        if e.token { "token" } else { "key" },
                        e.id,
                        e.generation,
                        key.generation
                    ))
                }
                Some(_) => {}
            }
            for old in &key.old_hashes {
                match index.get(old.as_slice()) {
                    None => problems.push(format!(
                        "API key {}: its old hash {} is missing from the hash index",
                        key.id,
                        hex(old)
                    )),
                    Some(e) if e.token || e.id != key.id || e.generation >= key.generation => {
                        problems.push(format!(
                            "API key {}: its old hash {} points to {} {} generation {}",
                            key.id,
                            hex(old),
                            if e.token { "token" } else { "key" },
                            e.id,
                            e.generation
                        ))
                    }
                    Some(_) => {}
                }
            }
        }

        // Every token: its key exists and its hash points to it.
        for token in tokens.values() {
            match keys.get(&token.key_id) {
                None => problems.push(format!(
                    "token {}: its API key {} does not exist",
                    token.id, token.key_id
                )),
                Some(k) if token.generation > k.generation => problems.push(format!(
                    "token {}: minted from generation {} but its key {} is at generation {}",
                    token.id, token.generation, k.id, k.generation
                )),
                Some(_) => {}
            }
            match index.get(token.hash.as_slice()) {
                None => problems.push(format!(
                    "token {}: its hash {} is missing from the hash index",
                    token.id,
                    hex(&token.hash)
                )),
                Some(e) if !e.token || e.id != token.id || e.generation != token.generation => {
                    problems.push(format!(
                        "token {}: its hash {} points to {} {} generation {}",
                        token.id,
                        hex(&token.hash),
                        if e.token { "token" } else { "key" },
                        e.id,
                        e.generation
                    ))
                }
                Some(_) => {}
            }
        }

        // Every index entry: its object exists and holds that hash.
        for (hash, e) in &index {
            if e.token {
                match tokens.get(&e.id) {
                    None => problems.push(format!(
                        "hash index entry {} points to missing token {}",
                        hex(hash),
                        e.id
                    )),
                    Some(t) if t.hash.as_slice() != hash.as_slice() => problems.push(format!(
                        "hash index entry {} points to token {}, which has another hash",
                        hex(hash),
                        e.id
                    )),
                    Some(_) => {}
                }
            } else {
                match keys.get(&e.id) {
                    None => problems.push(format!(
                        "hash index entry {} points to missing API key {}",
                        hex(hash),
                        e.id
                    )),
                    Some(k)
                        if k.hash.as_slice() != hash.as_slice()
                            && !k.old_hashes.iter().any(|h| h.as_slice() == hash.as_slice()) =>
                    {
                        problems.push(format!(
                            "hash index entry {} points to API key {}, which does not hold that hash",
                            hex(hash),
                            e.id
                        ))
                    }
                    Some(_) => {}
                }
            }
        }

        // Duplicate hashes among objects would make the index ambiguous.
        let mut seen: HashSet<[u8; 32]> = HashSet::new();
        let all_hashes = keys
            .values()
            .flat_map(|k| std::iter::once(k.hash).chain(k.old_hashes.iter().copied()))
            .chain(tokens.values().map(|t| t.hash));
        for h in all_hashes {
            if !seen.insert(h) {
                problems.push(format!(
                    "hash {} is held by more than one key or token",
                    hex(&h)
                ));
            }
        }

        problems.sort();
        Ok(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::NewKey;
    use crate::store::StoreOptions;
    use crate::users::NewUser;

    fn store(dir: &std::path::Path) -> Store {
        Store::open_default(
            dir,
            StoreOptions {
                durable: false,
                ..Default::default()
            },
        )
        .unwrap()
    }

    /// Ada, an admin, and her key named `name`.
    fn admin_with_key(s: &Store, name: &str) -> (crate::UserView, crate::CreatedKey) {
        let admin = s
            .add_user(NewUser {
                name: "Ada".into(),
                email: "ada@example.com".into(),
                admin: true,
            })
            .unwrap();
        let key = s
            .create_key(NewKey {
                owner: admin.id.clone(),
                name: name.into(),
                location: None,
                ..Default::default()
            })
            .unwrap();
        (admin, key)
    }

    #[test]
    fn a_fresh_store_is_consistent() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        assert_eq!(s.check_integrity().unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_store_after_every_kind_of_change_is_consistent() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let (admin, a) = admin_with_key(&s, "Agency");
        let loc = s.add_location("Downtown").unwrap();
        let b = s
            .create_key(NewKey {
                owner: "ADA@example.com".into(),
                name: "Local".into(),
                location: Some(loc.id.clone()),
                ..Default::default()
            })
            .unwrap();
        let c = s
            .create_key(NewKey {
                owner: admin.id.clone(),
                name: "Doomed".into(),
                location: None,
                ..Default::default()
            })
            .unwrap();
        s.create_token(&a.view.id).unwrap();
        s.create_token(&b.view.id).unwrap();
        s.create_token(&c.view.id).unwrap();
        s.regenerate_key(&a.view.id, 0).unwrap();
        s.regenerate_key(&a.view.id, crate::clock::HOUR).unwrap();
        s.create_token(&a.view.id).unwrap();
        let t = s.create_token(&b.view.id).unwrap();
        s.revoke_token(&t.id).unwrap();
        s.delete_key(&c.view.id, true).unwrap();
        s.set_key_disabled(&b.view.id, true).unwrap();
        s.edit_user(
            &admin.id,
            crate::users::UserEdit {
                name: None,
                email: Some("ada.l@example.com".into()),
            },
        )
        .unwrap();
        s.clear_user_keys(&admin.id).unwrap();
        assert_eq!(s.check_integrity().unwrap(), Vec::<String>::new());
        s.run_lifecycle(false).unwrap();
        assert_eq!(s.check_integrity().unwrap(), Vec::<String>::new());
    }

    #[test]
    fn dangling_and_missing_index_entries_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let (_, k) = admin_with_key(&s, "K");
        let key = s.api_key(&k.view.id).unwrap();
        // Remove the key's index entry, and add one pointing nowhere.
        s.write(|tx| {
            tx.del(Table::Hashes, key.hash);
            tx.put(
                Table::Hashes,
                [7u8; 32],
                &HashEntry {
                    token: true,
                    id: "tok_nowhere".into(),
                    generation: 0,
                },
            )
        })
        .unwrap();
        let problems = s.check_integrity().unwrap();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems
            .iter()
            .any(|p| p.contains(&key.id) && p.contains("missing from the hash index")));
        assert!(problems.iter().any(|p| p.contains("tok_nowhere")));
        assert!(!problems.iter().any(|p| p.contains(k.key.expose())));
    }
}
