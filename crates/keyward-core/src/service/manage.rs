//! Every action a front end offers, as one interface ([`Manage`]) that the CLI and the
//! desktop app drive whether the store is on this computer or behind a server. [`Acting`]
//! is the store acting for one [`Actor`]: it applies the roles (an admin may do
//! everything; a manager only what concerns their own keys, tokens, webhooks and
//! management tokens) and audits every change as that actor's.

use crate::error::{Error, Result};
use crate::model::access::Actor;
use crate::model::clock::Millis;
use crate::model::key::{Disclosure, KeyEdit, KeyFilter, NewKey};
use crate::model::secret::Secret;
use crate::model::settings::Settings;
use crate::model::user::{NewUser, UserEdit};
use crate::model::webhook::NewWebhook;
use crate::store::Store;
use crate::view::audit::{AuditFilter, AuditView};
use crate::view::key_page::{KeyPage, KeySort};
use crate::view::keys::{CreatedKey, DeletedKey, DeletedKeyView, KeyDetail, KeyView};
use crate::view::lifecycle::{ExpiringSoon, LifecycleReport};
use crate::view::locations::LocationView;
use crate::view::mail::TestEmail;
use crate::view::management::{CreatedManagementToken, ManagementTokenView, Session};
use crate::view::tokens::{CreatedToken, TokenView};
use crate::view::usage::UsageDay;
use crate::view::users::{ClearReport, Impact, UserView};
use crate::view::verify::Verdict;
use crate::view::webhooks::{CreatedWebhook, DeliveryView, WebhookView};

/// What `Session::store` says of a store on this computer.
pub const THIS_COMPUTER: &str = "this computer";

/// Every action of Keyward, wherever the store is. Errors carry the same codes in every
/// implementation.
pub trait Manage: Send + Sync {
    /// Who is acting, with which role, on which store.
    fn session(&self) -> Result<Session>;

    fn add_user(&self, new: NewUser) -> Result<UserView>;
    fn list_users(&self) -> Result<Vec<UserView>>;
    fn user_view(&self, user: &str) -> Result<UserView>;
    fn edit_user(&self, user: &str, edit: UserEdit) -> Result<UserView>;
    fn set_user_active(&self, user: &str, active: bool) -> Result<UserView>;
    fn set_api_access(&self, user: &str, on: bool) -> Result<UserView>;
    fn clear_user_keys(&self, user: &str) -> Result<ClearReport>;
    /// What turning `user`'s access off, deactivating them or clearing their keys would
    /// stop.
    fn user_impact(&self, user: &str) -> Result<Impact>;

    fn add_location(&self, name: &str) -> Result<LocationView>;
    fn list_locations(&self) -> Result<Vec<LocationView>>;
    fn rename_location(&self, id: &str, name: &str) -> Result<LocationView>;

    fn create_key(&self, new: NewKey) -> Result<CreatedKey>;
    fn key_page(
        &self,
        filter: &KeyFilter,
        sort: KeySort,
        offset: usize,
        limit: usize,
    ) -> Result<KeyPage>;
    /// Every key matching `filter`, newest first.
    fn list_keys(&self, filter: &KeyFilter) -> Result<Vec<KeyView>>;
    fn key_view(&self, id: &str) -> Result<KeyView>;
    fn key_detail(&self, id: &str) -> Result<KeyDetail>;
    fn reveal_key(&self, id: &str, how: Disclosure) -> Result<Secret>;
    fn regenerate_key(&self, id: &str, grace: Millis) -> Result<CreatedKey>;
    fn set_key_disabled(&self, id: &str, disabled: bool) -> Result<KeyView>;
    fn keep_key(&self, id: &str) -> Result<KeyView>;
    /// How often the key was verified over the last `days` days, a day each.
    fn key_usage(&self, id: &str, days: u32) -> Result<Vec<UsageDay>>;
    /// Changes a key's name and policy (notes, tags, permissions, rate limit, "never
    /// delete for inactivity").
    fn edit_key(&self, id: &str, edit: KeyEdit) -> Result<KeyView>;
    /// Deletes a key; one in use only with `force`, or when `typed_name` is its name.
    fn delete_key(&self, id: &str, force: bool, typed_name: Option<&str>) -> Result<DeletedKey>;
    /// Keys deleted in the last 30 days, restorable; newest deletion first.
    fn deleted_keys(&self) -> Result<Vec<DeletedKeyView>>;
    /// Brings a deleted key back with its tokens as they were.
    fn restore_key(&self, id: &str) -> Result<KeyView>;
    /// Purges a deleted key for good, before its 30 days are up.
    fn purge_deleted_key(&self, id: &str) -> Result<DeletedKeyView>;

    fn create_token(&self, key: &str) -> Result<CreatedToken>;
    fn list_tokens(&self, key: Option<&str>) -> Result<Vec<TokenView>>;
    fn revoke_token(&self, id: &str) -> Result<TokenView>;
    /// Verifies a key or token (recording its use), and whether it may do `permission`.
    fn verify(&self, presented: &str, permission: Option<&str>) -> Result<Verdict>;

    fn run_lifecycle(&self, dry_run: bool) -> Result<LifecycleReport>;
    fn expiring_soon(&self) -> Result<ExpiringSoon>;
    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditView>>;
    fn settings(&self) -> Result<Settings>;
    fn update_settings(&self, settings: Settings) -> Result<Settings>;
    /// Sends a test email to `to` with the saved SMTP settings and says how it went.
    fn send_test_email(&self, to: &str) -> Result<TestEmail>;

    fn add_webhook(&self, new: NewWebhook) -> Result<CreatedWebhook>;
    fn list_webhooks(&self, user: Option<&str>) -> Result<Vec<WebhookView>>;
    fn webhook_view(&self, id: &str) -> Result<WebhookView>;
    fn set_webhook_active(&self, id: &str, on: bool) -> Result<WebhookView>;
    fn remove_webhook(&self, id: &str) -> Result<WebhookView>;
    fn reveal_webhook_secret(&self, id: &str) -> Result<Secret>;
    /// Queues a test event; its delivery shows in the webhook's log.
    fn test_webhook(&self, id: &str) -> Result<WebhookView>;
    fn webhook_deliveries(&self, id: &str, limit: usize) -> Result<Vec<DeliveryView>>;

    fn create_management_token(
        &self,
        user: &str,
        name: Option<&str>,
        lifetime: Option<Millis>,
    ) -> Result<CreatedManagementToken>;
    fn list_management_tokens(&self, user: Option<&str>) -> Result<Vec<ManagementTokenView>>;
    fn revoke_management_token(&self, id: &str) -> Result<ManagementTokenView>;
}

const ADMIN_ONLY: &str =
    "only an admin may do this — a manager manages only their own keys, tokens and webhooks";
const NOT_YOURS: &str = "this belongs to another site manager — a manager manages only their own keys, tokens and webhooks";

/// The store, acting for one actor: the role checks, then the store's own action, audited
/// as the actor's.
pub struct Acting<'a> {
    store: &'a Store,
    actor: Actor,
}

impl<'a> Acting<'a> {
    pub fn new(store: &'a Store, actor: Actor) -> Acting<'a> {
        Acting { store, actor }
    }

    /// The local owner of `store` (the CLI or desktop app on this computer).
    pub fn owner(store: &'a Store) -> Acting<'a> {
        Acting::new(store, store.local_actor())
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    fn run<T>(&self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        self.store.acting_as(&self.actor, || f(self.store))
    }

    fn admin(&self) -> Result<()> {
        if self.actor.admin {
            Ok(())
        } else {
            Err(Error::forbidden(ADMIN_ONLY))
        }
    }

    /// Allowed for what belongs to `owner_id`.
    fn owns(&self, owner_id: &str) -> Result<()> {
        if self.actor.may_act_for(owner_id) {
            Ok(())
        } else {
            Err(Error::forbidden(NOT_YOURS))
        }
    }

    /// Allowed for what belongs to the user named `user` (id or email).
    fn owns_user(&self, user: &str) -> Result<()> {
        match self.actor.limited_to() {
            None => Ok(()),
            Some(_) => self.owns(&self.store.user(user)?.id),
        }
    }

    fn owns_key(&self, id: &str) -> Result<()> {
        match self.actor.limited_to() {
            None => Ok(()),
            Some(_) => self.owns(&self.store.api_key(id)?.owner),
        }
    }

    fn owns_deleted_key(&self, id: &str) -> Result<()> {
        match self.actor.limited_to() {
            None => Ok(()),
            Some(_) => self.owns(&self.store.deleted_key_owner(id)?),
        }
    }

    fn owns_token(&self, id: &str) -> Result<()> {
        match self.actor.limited_to() {
            None => Ok(()),
            Some(_) => {
                let key = self.store.token_key_id(id)?;
                self.owns_key(&key)
            }
        }
    }

    fn owns_webhook(&self, id: &str) -> Result<()> {
        match self.actor.limited_to() {
            None => Ok(()),
            Some(_) => self.owns(&self.store.webhook_view(id)?.user_id),
        }
    }

    /// A manager's key filter: their own keys only (naming another owner is refused).
    fn own_filter(&self, filter: &KeyFilter) -> Result<KeyFilter> {
        let mut filter = filter.clone();
        if let Some(me) = self.actor.limited_to() {
            if let Some(o) = &filter.owner {
                self.owns_user(o)?;
            }
            filter.owner = Some(me.to_owned());
        }
        Ok(filter)
    }
}

impl Manage for Acting<'_> {
    fn session(&self) -> Result<Session> {
        let user = self
            .actor
            .user_id
            .as_deref()
            .map(|u| self.store.user_view(u))
            .transpose()?;
        Ok(Session {
            user,
            role: if self.actor.admin { "admin" } else { "manager" }.to_owned(),
            store: THIS_COMPUTER.to_owned(),
        })
    }

    fn add_user(&self, new: NewUser) -> Result<UserView> {
        self.admin()?;
        self.run(|s| s.add_user(new))
    }

    fn list_users(&self) -> Result<Vec<UserView>> {
        let all = self.store.list_users()?;
        Ok(match self.actor.limited_to() {
            None => all,
            Some(me) => all.into_iter().filter(|u| u.id == me).collect(),
        })
    }

    fn user_view(&self, user: &str) -> Result<UserView> {
        self.owns_user(user)?;
        self.store.user_view(user)
    }

    fn edit_user(&self, user: &str, edit: UserEdit) -> Result<UserView> {
        self.admin()?;
        self.run(|s| s.edit_user(user, edit))
    }

    fn set_user_active(&self, user: &str, active: bool) -> Result<UserView> {
        self.admin()?;
        self.run(|s| s.set_user_active(user, active))
    }

    fn set_api_access(&self, user: &str, on: bool) -> Result<UserView> {
        self.admin()?;
        self.run(|s| s.set_api_access(user, on))
    }

    fn clear_user_keys(&self, user: &str) -> Result<ClearReport> {
        self.admin()?;
        self.run(|s| s.clear_user_keys(user))
    }

    fn user_impact(&self, user: &str) -> Result<Impact> {
        self.admin()?;
        self.store.user_impact(user)
    }

    fn add_location(&self, name: &str) -> Result<LocationView> {
        self.admin()?;
        self.run(|s| s.add_location(name))
    }

    fn list_locations(&self) -> Result<Vec<LocationView>> {
        self.store.list_locations()
    }

    fn rename_location(&self, id: &str, name: &str) -> Result<LocationView> {
        self.admin()?;
        self.run(|s| s.rename_location(id, name))
    }

    fn create_key(&self, new: NewKey) -> Result<CreatedKey> {
        self.owns_user(&new.owner)?;
        self.run(|s| s.create_key(new))
    }

    fn key_page(
        &self,
        filter: &KeyFilter,
        sort: KeySort,
        offset: usize,
        limit: usize,
    ) -> Result<KeyPage> {
        let filter = self.own_filter(filter)?;
        self.store.key_page(&filter, sort, offset, limit)
    }

    fn list_keys(&self, filter: &KeyFilter) -> Result<Vec<KeyView>> {
        let filter = self.own_filter(filter)?;
        self.store.list_keys(&filter)
    }

    fn key_view(&self, id: &str) -> Result<KeyView> {
        self.owns_key(id)?;
        self.store.key_view(id)
    }

    fn key_detail(&self, id: &str) -> Result<KeyDetail> {
        self.owns_key(id)?;
        self.store.key_detail(id)
    }

    fn reveal_key(&self, id: &str, how: Disclosure) -> Result<Secret> {
        self.owns_key(id)?;
        self.run(|s| s.reveal_key(id, how))
    }

    fn regenerate_key(&self, id: &str, grace: Millis) -> Result<CreatedKey> {
        self.owns_key(id)?;
        self.run(|s| s.regenerate_key(id, grace))
    }

    fn set_key_disabled(&self, id: &str, disabled: bool) -> Result<KeyView> {
        self.owns_key(id)?;
        self.run(|s| s.set_key_disabled(id, disabled))
    }

    fn keep_key(&self, id: &str) -> Result<KeyView> {
        self.owns_key(id)?;
        self.run(|s| s.keep_key(id))
    }

    fn key_usage(&self, id: &str, days: u32) -> Result<Vec<UsageDay>> {
        self.owns_key(id)?;
        self.store.key_usage(id, days)
    }

    fn edit_key(&self, id: &str, edit: KeyEdit) -> Result<KeyView> {
        self.owns_key(id)?;
        self.run(|s| s.edit_key(id, edit))
    }

    fn delete_key(&self, id: &str, force: bool, typed_name: Option<&str>) -> Result<DeletedKey> {
        self.owns_key(id)?;
        self.run(|s| match typed_name {
            Some(_) if !force => s.delete_key_typed(id, typed_name),
            _ => s.delete_key(id, force),
        })
    }

    fn deleted_keys(&self) -> Result<Vec<DeletedKeyView>> {
        let mut keys = self.store.deleted_keys()?;
        if let Some(me) = self.actor.limited_to() {
            keys.retain(|k| k.key.owner.id == me);
        }
        Ok(keys)
    }

    fn restore_key(&self, id: &str) -> Result<KeyView> {
        self.owns_deleted_key(id)?;
        self.run(|s| s.restore_key(id))
    }

    fn purge_deleted_key(&self, id: &str) -> Result<DeletedKeyView> {
        self.owns_deleted_key(id)?;
        self.run(|s| s.purge_deleted_key(id))
    }

    fn create_token(&self, key: &str) -> Result<CreatedToken> {
        self.owns_key(key)?;
        self.run(|s| s.create_token(key))
    }

    fn list_tokens(&self, key: Option<&str>) -> Result<Vec<TokenView>> {
        if let Some(k) = key {
            self.owns_key(k)?;
        }
        let all = self.store.list_tokens(key)?;
        match self.actor.limited_to() {
            None => Ok(all),
            Some(me) => {
                let mine = self.store.key_ids_of(me)?;
                Ok(all
                    .into_iter()
                    .filter(|t| mine.contains(&t.key_id))
                    .collect())
            }
        }
    }

    fn revoke_token(&self, id: &str) -> Result<TokenView> {
        self.owns_token(id)?;
        self.run(|s| s.revoke_token(id))
    }

    fn verify(&self, presented: &str, permission: Option<&str>) -> Result<Verdict> {
        self.store.verify_for(presented, permission)
    }

    fn run_lifecycle(&self, dry_run: bool) -> Result<LifecycleReport> {
        self.admin()?;
        self.run(|s| s.run_lifecycle(dry_run))
    }

    fn expiring_soon(&self) -> Result<ExpiringSoon> {
        let mut soon = self.store.expiring_soon()?;
        if let Some(me) = self.actor.limited_to() {
            let mine = self.store.key_ids_of(me)?;
            soon.keys.retain(|k| k.owner.id == me);
            soon.tokens.retain(|t| mine.contains(&t.key_id));
            soon.urgent = soon.keys.iter().filter(|k| k.days_left < 1).count();
        }
        Ok(soon)
    }

    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditView>> {
        let mut filter = filter.clone();
        if let Some(me) = self.actor.limited_to() {
            if filter.user_id.as_deref().is_some_and(|u| u != me) {
                return Err(Error::forbidden(NOT_YOURS));
            }
            filter.user_id = Some(me.to_owned());
        }
        self.store.audit(&filter)
    }

    fn settings(&self) -> Result<Settings> {
        self.store.settings()
    }

    fn update_settings(&self, settings: Settings) -> Result<Settings> {
        self.admin()?;
        self.run(|s| s.update_settings(settings))
    }

    fn send_test_email(&self, to: &str) -> Result<TestEmail> {
        self.admin()?;
        self.run(|s| s.send_test_email(to))
    }

    fn add_webhook(&self, new: NewWebhook) -> Result<CreatedWebhook> {
        self.owns_user(&new.user)?;
        self.run(|s| s.add_webhook(new))
    }

    fn list_webhooks(&self, user: Option<&str>) -> Result<Vec<WebhookView>> {
        match (self.actor.limited_to(), user) {
            (None, _) => self.store.list_webhooks(user),
            (Some(me), Some(u)) => {
                self.owns_user(u)?;
                self.store.list_webhooks(Some(me))
            }
            (Some(me), None) => self.store.list_webhooks(Some(me)),
        }
    }

    fn webhook_view(&self, id: &str) -> Result<WebhookView> {
        self.owns_webhook(id)?;
        self.store.webhook_view(id)
    }

    fn set_webhook_active(&self, id: &str, on: bool) -> Result<WebhookView> {
        self.owns_webhook(id)?;
        self.run(|s| s.set_webhook_active(id, on))
    }

    fn remove_webhook(&self, id: &str) -> Result<WebhookView> {
        self.owns_webhook(id)?;
        self.run(|s| s.remove_webhook(id))
    }

    fn reveal_webhook_secret(&self, id: &str) -> Result<Secret> {
        self.owns_webhook(id)?;
        self.run(|s| s.reveal_webhook_secret(id))
    }

    fn test_webhook(&self, id: &str) -> Result<WebhookView> {
        self.owns_webhook(id)?;
        self.run(|s| s.test_webhook(id))
    }

    fn webhook_deliveries(&self, id: &str, limit: usize) -> Result<Vec<DeliveryView>> {
        self.owns_webhook(id)?;
        self.store.webhook_deliveries(id, limit)
    }

    fn create_management_token(
        &self,
        user: &str,
        name: Option<&str>,
        lifetime: Option<Millis>,
    ) -> Result<CreatedManagementToken> {
        self.owns_user(user)?;
        self.run(|s| s.create_management_token(user, name, lifetime))
    }

    fn list_management_tokens(&self, user: Option<&str>) -> Result<Vec<ManagementTokenView>> {
        match (self.actor.limited_to(), user) {
            (None, _) => self.store.list_management_tokens(user),
            (Some(me), u) => {
                if let Some(u) = u {
                    self.owns_user(u)?;
                }
                self.store.list_management_tokens(Some(me))
            }
        }
    }

    fn revoke_management_token(&self, id: &str) -> Result<ManagementTokenView> {
        if self.actor.limited_to().is_some() {
            self.owns(&self.store.management_token_owner(id)?)?;
        }
        self.run(|s| s.revoke_management_token(id))
    }
}
