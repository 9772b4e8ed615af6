//! An in-memory mirror of what verification and the lifecycle read: the hash index, keys
//! (without their sealed secret), tokens, users and persisted "last used" times. Built
//! from the database on first use, then kept in step by the commit hook
//! `hooks::IndexMirror`, which feeds it every write just committed. Verification then costs a hash and a few map lookups
//! instead of three B-tree reads and decodes, and a lifecycle pass plans from memory and
//! reads from sled only the keys it acts on.

use std::collections::HashMap;

use super::{Read, Store, Table};
use crate::error::Result;
use crate::model::clock::Millis;
use crate::model::key::{ApiKey, HashEntry};
use crate::model::token::Token;
use crate::model::user::User;

#[derive(Default)]
pub(crate) struct Index {
    pub hashes: HashMap<[u8; 32], HashEntry>,
    /// Keys with `sealed` and `old_hashes` emptied: the mirror never holds a secret.
    pub keys: HashMap<String, ApiKey>,
    pub tokens: HashMap<String, Token>,
    pub users: HashMap<String, User>,
    pub last_used: HashMap<String, Millis>,
}

fn strip(mut key: ApiKey) -> ApiKey {
    key.sealed = Vec::new();
    key.old_hashes = Vec::new();
    key
}

impl Index {
    pub fn load(store: &Store) -> Result<Index> {
        let mut ix = Index::default();
        for r in store.scan_raw(Table::Hashes, b"") {
            let (k, v) = r?;
            if let Ok(h) = <[u8; 32]>::try_from(k.as_slice()) {
                ix.hashes.insert(h, bincode::deserialize(&v)?);
            }
        }
        for k in store.values::<ApiKey>(Table::Keys) {
            let k = strip(k?);
            ix.keys.insert(k.id.clone(), k);
        }
        for t in store.values::<Token>(Table::Tokens) {
            let t = t?;
            ix.tokens.insert(t.id.clone(), t);
        }
        for u in store.values::<User>(Table::Users) {
            let u = u?;
            ix.users.insert(u.id.clone(), u);
        }
        for r in store.scan_raw(Table::LastUsed, b"") {
            let (k, v) = r?;
            if let Ok(b) = v.as_slice().try_into() {
                ix.last_used.insert(
                    String::from_utf8_lossy(&k).into_owned(),
                    i64::from_be_bytes(b),
                );
            }
        }
        Ok(ix)
    }

    /// Mirrors one committed write.
    pub fn apply(&mut self, t: Table, key: &[u8], value: Option<&[u8]>) -> Result<()> {
        let id = || String::from_utf8_lossy(key).into_owned();
        match (t, value) {
            (Table::Hashes, Some(v)) => {
                if let Ok(h) = key.try_into() {
                    self.hashes.insert(h, bincode::deserialize(v)?);
                }
            }
            (Table::Hashes, None) => {
                if let Ok(h) = <[u8; 32]>::try_from(key) {
                    self.hashes.remove(&h);
                }
            }
            (Table::Keys, Some(v)) => {
                let k = strip(bincode::deserialize(v)?);
                self.keys.insert(k.id.clone(), k);
            }
            (Table::Keys, None) => {
                self.keys.remove(&id());
            }
            (Table::Tokens, Some(v)) => {
                let t: Token = bincode::deserialize(v)?;
                self.tokens.insert(t.id.clone(), t);
            }
            (Table::Tokens, None) => {
                self.tokens.remove(&id());
            }
            (Table::Users, Some(v)) => {
                let u: User = bincode::deserialize(v)?;
                self.users.insert(u.id.clone(), u);
            }
            (Table::Users, None) => {
                self.users.remove(&id());
            }
            (Table::LastUsed, Some(v)) => {
                if let Ok(b) = v.try_into() {
                    self.last_used.insert(id(), i64::from_be_bytes(b));
                }
            }
            (Table::LastUsed, None) => {
                self.last_used.remove(&id());
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{ManualClock, DAY};
    use crate::keys::NewKey;
    use crate::seal::FileMasterKey;
    use crate::store::StoreOptions;
    use crate::users::NewUser;
    use std::sync::Arc;

    fn same(a: &Index, b: &Index) {
        assert_eq!(a.hashes, b.hashes);
        assert_eq!(a.keys, b.keys);
        assert_eq!(a.tokens, b.tokens);
        assert_eq!(a.users, b.users);
        assert_eq!(a.last_used, b.last_used);
    }

    #[test]
    fn the_mirror_stays_equal_to_a_fresh_load_through_every_kind_of_change() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(1_780_000_000_000));
        let store = Store::open(
            dir.path(),
            clock.clone(),
            &FileMasterKey::new(dir.path().join("master.key")),
            StoreOptions::default(),
        )
        .unwrap();
        // Build the mirror first, so every change below goes through `apply`.
        store.with_index(|_| ()).unwrap();
        let ada = store
            .add_user(NewUser {
                name: "Ada".into(),
                email: "ada@example.com".into(),
                admin: true,
            })
            .unwrap();
        let loc = store.add_location("Downtown").unwrap();
        let mut keys = Vec::new();
        for i in 0..6 {
            keys.push(
                store
                    .create_key(NewKey {
                        owner: ada.id.clone(),
                        name: format!("k{i}"),
                        location: (i % 2 == 0).then(|| loc.id.clone()),
                        ..Default::default()
                    })
                    .unwrap(),
            );
        }
        let t = store.create_token(&keys[0].view.id).unwrap();
        assert!(store.verify(t.token.expose()).unwrap().valid);
        store.regenerate_key(&keys[0].view.id, DAY).unwrap();
        store.regenerate_key(&keys[1].view.id, 0).unwrap();
        store.set_key_disabled(&keys[2].view.id, true).unwrap();
        store.revoke_token(&t.id).unwrap();
        store.delete_key(&keys[3].view.id, true).unwrap();
        store.keep_key(&keys[4].view.id).unwrap();
        store.flush().unwrap();
        clock.advance(89 * DAY);
        store.run_lifecycle(false).unwrap();
        clock.advance(2 * DAY);
        let report = store.run_lifecycle(false).unwrap();
        assert!(!report.deleted.is_empty());
        store.set_api_access(&ada.id, false).unwrap();
        store.clear_user_keys(&ada.id).unwrap();
        store.flush().unwrap();

        let fresh = Index::load(&store).unwrap();
        store.with_index(|ix| same(ix, &fresh)).unwrap();
        store
            .with_index(|ix| assert!(ix.keys.values().all(|k| k.sealed.is_empty())))
            .unwrap();
    }
}
