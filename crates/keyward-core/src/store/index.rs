//! An in-memory mirror of what verification and the lifecycle read: the hash index, keys
//! (without their sealed secret), tokens, users and persisted "last used" times. Built
//! from the database on first use, then kept in step by the commit hook
//! `hooks::IndexMirror`, which feeds it every write just committed. Verification then costs a hash and a few map lookups
//! instead of three B-tree reads and decodes, and a lifecycle pass plans from memory and
//! reads from sled only the keys it acts on. Beside them, the answer verification gives
//! for each secret hash, prepared ahead (`answers`).

use std::collections::HashMap;

use super::answers::{self, Answers, Touched};
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
    /// What verification answers for each hash, kept in step with the maps above.
    pub answers: Answers,
    /// Key or token id → the hashes that point to it (what `answers` refreshes when that
    /// key or token changes).
    pub hashes_of: HashMap<String, Vec<[u8; 32]>>,
    /// Key id → its tokens' ids.
    pub tokens_of_key: HashMap<String, Vec<String>>,
}

/// Adds `item` to the list under `at`, once.
fn add_to<K: std::hash::Hash + Eq, T: PartialEq>(map: &mut HashMap<K, Vec<T>>, at: K, item: T) {
    let list = map.entry(at).or_default();
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Takes `item` out of the list under `at`, dropping the list when it empties.
fn remove_from<T: PartialEq>(map: &mut HashMap<String, Vec<T>>, at: &str, item: &T) {
    if let Some(list) = map.get_mut(at) {
        list.retain(|x| x != item);
        if list.is_empty() {
            map.remove(at);
        }
    }
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
                let entry: HashEntry = bincode::deserialize(&v)?;
                add_to(&mut ix.hashes_of, entry.id.clone(), h);
                ix.hashes.insert(h, entry);
            }
        }
        for k in store.values::<ApiKey>(Table::Keys) {
            let k = strip(k?);
            ix.keys.insert(k.id.clone(), k);
        }
        for t in store.values::<Token>(Table::Tokens) {
            let t = t?;
            add_to(&mut ix.tokens_of_key, t.key_id.clone(), t.id.clone());
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
        answers::build(&mut ix);
        Ok(ix)
    }

    /// Mirrors the writes of one commit, then the answers they may have changed.
    pub fn apply_all<'a>(
        &mut self,
        writes: impl IntoIterator<Item = (Table, &'a [u8], Option<&'a [u8]>)>,
    ) -> Result<()> {
        let mut touched = Touched::default();
        let mut outcome = Ok(());
        for (t, key, value) in writes {
            outcome = self.apply(t, key, value, &mut touched);
            if outcome.is_err() {
                break;
            }
        }
        if !touched.is_empty() {
            answers::refresh(self, touched);
        }
        outcome
    }

    /// Mirrors one committed write, noting in `touched` what it changed.
    fn apply(
        &mut self,
        t: Table,
        key: &[u8],
        value: Option<&[u8]>,
        touched: &mut Touched,
    ) -> Result<()> {
        let id = || String::from_utf8_lossy(key).into_owned();
        match (t, value) {
            (Table::Hashes, Some(v)) => {
                if let Ok(h) = <[u8; 32]>::try_from(key) {
                    let entry: HashEntry = bincode::deserialize(v)?;
                    let points_to = entry.id.clone();
                    if let Some(old) = self.hashes.insert(h, entry) {
                        if old.id != points_to {
                            remove_from(&mut self.hashes_of, &old.id, &h);
                        }
                    }
                    add_to(&mut self.hashes_of, points_to, h);
                    touched.hashes.insert(h);
                }
            }
            (Table::Hashes, None) => {
                if let Ok(h) = <[u8; 32]>::try_from(key) {
                    if let Some(old) = self.hashes.remove(&h) {
                        remove_from(&mut self.hashes_of, &old.id, &h);
                    }
                    touched.hashes.insert(h);
                }
            }
            (Table::Keys, Some(v)) => {
                let k = strip(bincode::deserialize(v)?);
                touched.keys.insert(k.id.clone());
                self.keys.insert(k.id.clone(), k);
            }
            (Table::Keys, None) => {
                self.keys.remove(&id());
                touched.keys.insert(id());
            }
            (Table::Tokens, Some(v)) => {
                let t: Token = bincode::deserialize(v)?;
                add_to(&mut self.tokens_of_key, t.key_id.clone(), t.id.clone());
                touched.tokens.insert(t.id.clone());
                self.tokens.insert(t.id.clone(), t);
            }
            (Table::Tokens, None) => {
                if let Some(old) = self.tokens.remove(&id()) {
                    remove_from(&mut self.tokens_of_key, &old.key_id, &old.id);
                }
                touched.tokens.insert(id());
            }
            (Table::Users, Some(v)) => {
                let u: User = bincode::deserialize(v)?;
                touched.users.insert(u.id.clone());
                self.users.insert(u.id.clone(), u);
            }
            (Table::Users, None) => {
                self.users.remove(&id());
                touched.users.insert(id());
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
    use crate::keys::{KeyEdit, NewKey};
    use crate::seal::FileMasterKey;
    use crate::store::StoreOptions;
    use crate::users::NewUser;
    use crate::verify::VerifyCode;
    use std::sync::Arc;

    fn same(a: &Index, b: &Index) {
        assert_eq!(a.last_used, b.last_used);
        same_answers(a, b);
    }

    /// Equal in everything verification reads ("last used" times are written apart from
    /// the changes, so they agree only after a flush).
    fn same_answers(a: &Index, b: &Index) {
        assert_eq!(a.hashes, b.hashes);
        assert_eq!(a.keys, b.keys);
        assert_eq!(a.tokens, b.tokens);
        assert_eq!(a.users, b.users);
        assert_eq!(a.answers, b.answers);
        let sorted = |m: &HashMap<String, Vec<[u8; 32]>>| {
            let mut m = m.clone();
            m.values_mut().for_each(|v| v.sort());
            m
        };
        assert_eq!(sorted(&a.hashes_of), sorted(&b.hashes_of));
        let sorted = |m: &HashMap<String, Vec<String>>| {
            let mut m = m.clone();
            m.values_mut().for_each(|v| v.sort());
            m
        };
        assert_eq!(sorted(&a.tokens_of_key), sorted(&b.tokens_of_key));
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
        let agrees = |step: &str| {
            let fresh = Index::load(&store).unwrap();
            store
                .with_index(|ix| {
                    same_answers(ix, &fresh);
                    assert!(!ix.answers.is_empty(), "{step}");
                })
                .unwrap();
        };
        let code = |secret: &str| store.verify(secret).unwrap().code;
        let t = store.create_token(&keys[0].view.id).unwrap();
        let t5 = store.create_token(&keys[5].view.id).unwrap();
        assert!(store.verify(t.token.expose()).unwrap().valid);
        store.regenerate_key(&keys[0].view.id, DAY).unwrap();
        // Within the grace, the old secret and its token still verify.
        assert_eq!(code(keys[0].key.expose()), None);
        assert_eq!(code(t.token.expose()), None);
        store.regenerate_key(&keys[1].view.id, 0).unwrap();
        assert_eq!(code(keys[1].key.expose()), Some(VerifyCode::Revoked));
        store.set_key_disabled(&keys[2].view.id, true).unwrap();
        assert_eq!(code(keys[2].key.expose()), Some(VerifyCode::Disabled));
        store.revoke_token(&t.id).unwrap();
        assert_eq!(code(t.token.expose()), Some(VerifyCode::Revoked));
        store.delete_key(&keys[3].view.id, true).unwrap();
        assert_eq!(code(keys[3].key.expose()), Some(VerifyCode::NotFound));
        agrees("deleted");
        store.restore_key(&keys[3].view.id).unwrap();
        assert_eq!(code(keys[3].key.expose()), None);
        store
            .edit_key(
                &keys[5].view.id,
                KeyEdit {
                    permissions: Some(vec!["contacts:read".into()]),
                    rate: Some("5/min".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        let v = store.verify(t5.token.expose()).unwrap();
        assert_eq!(
            v.identity.unwrap().permissions,
            vec!["contacts:read".to_owned()]
        );
        store.set_user_active(&ada.id, false).unwrap();
        assert_eq!(code(t5.token.expose()), Some(VerifyCode::UserDeactivated));
        agrees("deactivated");
        store.set_user_active(&ada.id, true).unwrap();
        assert_eq!(code(t5.token.expose()), None);
        store.keep_key(&keys[4].view.id).unwrap();
        store.flush().unwrap();
        agrees("kept");
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
