//! Seeded data in a few fluent calls:
//!
//! ```no_run
//! # use keyward_testkit::{Env, Seed};
//! let env = Env::new();
//! let seed = Seed::new(&env)
//!     .admin("ada@example.com")
//!     .key("Zapier")
//!     .token()
//!     .manager("bob@example.com")
//!     .done();
//! let zapier = seed.key("Zapier");
//! ```
//!
//! Each call acts on what the previous ones made: a key belongs to the last user added
//! (agency scope, or the last location with [`Seed::location_key`]), a token is minted
//! from the last key, a webhook belongs to the last user. Everything is made through the
//! store's public API, in call order, at the clock's current instant.

use keyward_core::{CreatedKey, CreatedToken, CreatedWebhook, LocationView, UserView};

use crate::Env;

/// The builder. [`Seed::done`] hands back what was made.
pub struct Seed<'e> {
    env: &'e Env,
    made: Seeded,
}

/// What a [`Seed`] made, in the order it was made.
#[derive(Debug, Clone, Default)]
pub struct Seeded {
    pub users: Vec<UserView>,
    pub locations: Vec<LocationView>,
    pub keys: Vec<CreatedKey>,
    pub tokens: Vec<CreatedToken>,
    pub webhooks: Vec<CreatedWebhook>,
}

/// "ada@example.com" → "Ada".
fn name_of(email: &str) -> String {
    let local = email.split('@').next().unwrap_or(email);
    let mut chars = local.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => email.to_owned(),
    }
}

impl<'e> Seed<'e> {
    pub fn new(env: &'e Env) -> Seed<'e> {
        Seed {
            env,
            made: Seeded::default(),
        }
    }

    /// An admin (API access on) named after the email: "ada@example.com" is "Ada".
    #[track_caller]
    pub fn admin(self, email: &str) -> Self {
        self.admin_named(&name_of(email), email)
    }

    #[track_caller]
    pub fn admin_named(mut self, name: &str, email: &str) -> Self {
        self.made.users.push(self.env.admin(name, email));
        self
    }

    /// A manager (API access off, as the store makes managers) named after the email.
    #[track_caller]
    pub fn manager(self, email: &str) -> Self {
        self.manager_named(&name_of(email), email)
    }

    #[track_caller]
    pub fn manager_named(mut self, name: &str, email: &str) -> Self {
        self.made.users.push(self.env.manager(name, email));
        self
    }

    #[track_caller]
    pub fn location(mut self, name: &str) -> Self {
        let location = self
            .env
            .store
            .add_location(name)
            .unwrap_or_else(|e| panic!("add location {name:?}: {e}"));
        self.made.locations.push(location);
        self
    }

    /// An agency key of the last user added.
    #[track_caller]
    pub fn key(mut self, name: &str) -> Self {
        let owner = self.last_user().id.clone();
        self.made.keys.push(self.env.key(&owner, name));
        self
    }

    /// A key of the last user added, scoped to the last location added.
    #[track_caller]
    pub fn location_key(mut self, name: &str) -> Self {
        let owner = self.last_user().id.clone();
        let location = match self.made.locations.last() {
            Some(l) => l.id.clone(),
            None => panic!("Seed::location_key({name:?}) needs a location first"),
        };
        let key = self.env.key_at(&owner, name, Some(&location));
        self.made.keys.push(key);
        self
    }

    /// A token minted from the last key.
    #[track_caller]
    pub fn token(mut self) -> Self {
        let key = match self.made.keys.last() {
            Some(k) => k.view.id.clone(),
            None => panic!("Seed::token needs a key first"),
        };
        let token = self
            .env
            .store
            .create_token(&key)
            .unwrap_or_else(|e| panic!("create a token of {key}: {e}"));
        self.made.tokens.push(token);
        self
    }

    /// A subscription of the last user to [`HOOK_URL`](crate::webhooks::HOOK_URL).
    #[track_caller]
    pub fn webhook(mut self, entity: &str, operation: &str) -> Self {
        let user = self.last_user().id.clone();
        self.made
            .webhooks
            .push(self.env.hook(&user, entity, operation));
        self
    }

    /// A subscription of the last user to `url`.
    #[track_caller]
    pub fn webhook_to(
        mut self,
        url: &str,
        entity: &str,
        operation: &str,
        allow_private: bool,
    ) -> Self {
        let user = self.last_user().id.clone();
        let hook = self
            .env
            .hook_to(&user, url, entity, operation, allow_private);
        self.made.webhooks.push(hook);
        self
    }

    pub fn done(self) -> Seeded {
        self.made
    }

    #[track_caller]
    fn last_user(&self) -> &UserView {
        match self.made.users.last() {
            Some(u) => u,
            None => panic!("the seed needs a user first: call admin() or manager()"),
        }
    }
}

impl Seeded {
    /// The user with this email.
    #[track_caller]
    pub fn user(&self, email: &str) -> &UserView {
        self.users
            .iter()
            .find(|u| u.email == email)
            .unwrap_or_else(|| panic!("no user {email} was seeded"))
    }

    /// The key with this name.
    #[track_caller]
    pub fn key(&self, name: &str) -> &CreatedKey {
        self.keys
            .iter()
            .find(|k| k.view.name == name)
            .unwrap_or_else(|| panic!("no key {name:?} was seeded"))
    }

    /// The location with this name.
    #[track_caller]
    pub fn location(&self, name: &str) -> &LocationView {
        self.locations
            .iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("no location {name:?} was seeded"))
    }

    /// The tokens minted from the key with this name, in the order they were minted.
    pub fn tokens_of(&self, key_name: &str) -> Vec<&CreatedToken> {
        let key = &self.key(key_name).view.id;
        self.tokens.iter().filter(|t| &t.key_id == key).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_named_after_their_email() {
        assert_eq!(name_of("ada@example.com"), "Ada");
        assert_eq!(name_of("bob"), "Bob");
        assert_eq!(name_of("@example.com"), "@example.com");
    }

    #[test]
    fn each_call_acts_on_what_the_previous_ones_made() {
        let env = Env::new();
        let seed = Seed::new(&env)
            .admin("ada@example.com")
            .key("Zapier")
            .token()
            .token()
            .location("Downtown")
            .manager("bob@example.com")
            .webhook("api_key", "*")
            .done();
        let ada = seed.user("ada@example.com");
        assert_eq!((ada.name.as_str(), ada.role.as_str()), ("Ada", "admin"));
        assert!(!seed.user("bob@example.com").api_access);
        assert_eq!(seed.key("Zapier").view.owner.id, ada.id);
        assert_eq!(seed.tokens_of("Zapier").len(), 2);
        assert_eq!(seed.location("Downtown").name, "Downtown");
        assert_eq!(seed.webhooks[0].view.user_email, "bob@example.com");
        assert_eq!(env.verify(seed.tokens[1].token.expose()), "VALID");
    }
}
