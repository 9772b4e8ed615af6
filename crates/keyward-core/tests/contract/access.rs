//! Management tokens and roles: a `kwm_` token authenticates as its site manager and
//! nothing else does; an admin may do everything, a manager only what concerns their own
//! keys, tokens, webhooks and management tokens; every change is audited as the actor's.

use keyward_core::clock::{DAY, HOUR};
use keyward_core::management::parse_lifetime;
use keyward_core::{
    Acting, Actor, AuditFilter, Disclosure, ErrorClass, KeyEdit, KeyFilter, KeySort, Manage,
    NewKey, NewUser, NewWebhook, SecretKind, UserEdit,
};
use keyward_testkit::{code, Backend, Env};

const CHANNEL: &str = "http";

pub fn a_management_token_authenticates_as_its_site_manager_only(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let ada = env.admin("Ada", "ada@example.com");
    let created = env
        .store
        .create_management_token(
            "ada@example.com",
            Some("Deploy script"),
            parse_lifetime("90d").unwrap(),
        )
        .unwrap();
    assert!(created.view.id.starts_with("mgt_"));
    assert_eq!(created.token.kind(), Some(SecretKind::Management));
    assert_eq!(created.view.owner.id, ada.id);
    assert_eq!(created.view.status, "active");
    assert!(
        created.view.masked_token.starts_with("kwm_") && created.view.masked_token.contains('…')
    );
    let actor = env
        .store
        .authenticate(created.token.expose(), CHANNEL)
        .unwrap();
    assert_eq!(
        actor,
        Actor {
            channel: CHANNEL.into(),
            user_id: Some(ada.id.clone()),
            admin: true
        }
    );

    // Nothing else authenticates: an API key, a token, a stranger, garbage.
    let key = env.key(&ada.id, "Zapier");
    let token = env.store.create_token(&key.view.id).unwrap();
    let stranger = keyward_core::Secret::generate(SecretKind::Management);
    for presented in [
        key.key.expose(),
        token.token.expose(),
        stranger.expose(),
        "kwm_nonsense",
        "",
    ] {
        let e = env.store.authenticate(presented, CHANNEL).unwrap_err();
        assert_eq!(e.code(), "UNAUTHORIZED", "{presented:?}");
    }
    // A management token is no API key either.
    assert_eq!(env.verify(created.token.expose()), "NOT_FOUND");

    // Only the hash is kept: the listing shows the mask, never the token.
    let listed = env.store.list_management_tokens(None).unwrap();
    assert_eq!(listed.len(), 1);
    let text = serde_json::to_string(&listed).unwrap();
    assert!(!text.contains(created.token.expose()));
    assert!(!serde_json::to_string(&env.audit())
        .unwrap()
        .contains(created.token.expose()));
    assert_eq!(env.count("management_token.created"), 1);
}

pub fn revoked_expired_and_deactivated_tokens_stop_authenticating(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    env.admin("Ada", "ada@example.com");
    env.manager("Ben", "ben@example.com");
    let revoked = env
        .store
        .create_management_token("ada@example.com", None, None)
        .unwrap();
    let short = env
        .store
        .create_management_token("ada@example.com", None, Some(12 * HOUR))
        .unwrap();
    let bens = env
        .store
        .create_management_token("ben@example.com", None, None)
        .unwrap();

    let view = env.store.revoke_management_token(&revoked.view.id).unwrap();
    assert_eq!(view.status, "revoked");
    assert_eq!(
        code(env.store.authenticate(revoked.token.expose(), CHANNEL)),
        "UNAUTHORIZED"
    );
    assert_eq!(env.count("management_token.revoked"), 1);

    assert!(env
        .store
        .authenticate(short.token.expose(), CHANNEL)
        .is_ok());
    env.at(12 * HOUR);
    assert_eq!(
        code(env.store.authenticate(short.token.expose(), CHANNEL)),
        "UNAUTHORIZED"
    );
    let listed = env
        .store
        .list_management_tokens(Some("ada@example.com"))
        .unwrap();
    assert!(listed
        .iter()
        .any(|t| t.id == short.view.id && t.status == "expired"));

    assert!(env.store.authenticate(bens.token.expose(), CHANNEL).is_ok());
    env.store.set_user_active("ben@example.com", false).unwrap();
    assert_eq!(
        code(env.store.authenticate(bens.token.expose(), CHANNEL)),
        "UNAUTHORIZED"
    );
    // A deactivated site manager gets no new token either.
    assert_eq!(
        code(
            env.store
                .create_management_token("ben@example.com", None, None)
        ),
        "USER_DEACTIVATED"
    );
    assert!(parse_lifetime("400d").is_err() && parse_lifetime("never").unwrap().is_none());
    let _ = DAY;
}

/// Ada (admin), Ben (manager, with API access) and a key of each.
fn team(env: &Env) -> (Actor, Actor, String, String) {
    let ada = env.admin("Ada", "ada@example.com");
    let ben = env.manager("Ben", "ben@example.com");
    env.store.set_api_access(&ben.id, true).unwrap();
    let adas = env.key(&ada.id, "Ada's key").view.id;
    let bens = env.key(&ben.id, "Ben's key").view.id;
    let actor = |email: &str| {
        let t = env
            .store
            .create_management_token(email, None, None)
            .unwrap();
        env.store.authenticate(t.token.expose(), CHANNEL).unwrap()
    };
    (
        actor("ada@example.com"),
        actor("ben@example.com"),
        adas,
        bens,
    )
}

pub fn a_manager_manages_only_their_own(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let (_, ben_actor, adas, bens) = team(&env);
    let ben = Acting::new(&env.store, ben_actor.clone());
    let forbidden = |r: keyward_core::Result<()>, what: &str| {
        let e = r.unwrap_err();
        assert_eq!(e.code(), "FORBIDDEN", "{what}: {e}");
        assert_eq!(e.class(), ErrorClass::Refused);
    };

    // Their own key: everything.
    ben.key_view(&bens).unwrap();
    ben.set_key_disabled(&bens, true).unwrap();
    ben.set_key_disabled(&bens, false).unwrap();
    ben.keep_key(&bens).unwrap();
    ben.edit_key(
        &bens,
        KeyEdit {
            name: Some("Ben's sync".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let t = ben.create_token(&bens).unwrap();
    ben.revoke_token(&t.id).unwrap();
    ben.reveal_key(&bens, Disclosure::Reveal).unwrap();
    ben.regenerate_key(&bens, 0).unwrap();
    let mine = ben
        .create_key(NewKey {
            owner: "ben@example.com".into(),
            name: "Second".into(),
            location: None,
            ..Default::default()
        })
        .unwrap();
    ben.delete_key(&mine.view.id, true, None).unwrap();

    // Someone else's: nothing.
    forbidden(ben.key_view(&adas).map(drop), "show");
    forbidden(ben.set_key_disabled(&adas, true).map(drop), "disable");
    forbidden(
        ben.reveal_key(&adas, Disclosure::Reveal).map(drop),
        "reveal",
    );
    forbidden(ben.regenerate_key(&adas, 0).map(drop), "regenerate");
    forbidden(ben.delete_key(&adas, true, None).map(drop), "delete");
    forbidden(ben.create_token(&adas).map(drop), "mint");
    let adas_token = env.store.create_token(&adas).unwrap();
    forbidden(ben.revoke_token(&adas_token.id).map(drop), "revoke a token");
    forbidden(
        ben.create_key(NewKey {
            owner: "ada@example.com".into(),
            name: "Sneaky".into(),
            location: None,
            ..Default::default()
        })
        .map(drop),
        "create for another",
    );
    // Site managers, locations, settings, the lifecycle: an admin's.
    forbidden(
        ben.add_user(NewUser {
            name: "Eve".into(),
            email: "eve@example.com".into(),
            admin: true,
        })
        .map(drop),
        "add user",
    );
    forbidden(
        ben.edit_user(
            "ben@example.com",
            UserEdit {
                name: Some("B".into()),
                email: None,
            },
        )
        .map(drop),
        "edit user",
    );
    forbidden(
        ben.set_api_access("ada@example.com", false).map(drop),
        "access",
    );
    forbidden(
        ben.clear_user_keys("ada@example.com").map(drop),
        "clear keys",
    );
    forbidden(ben.add_location("Uptown").map(drop), "location");
    forbidden(
        ben.update_settings(env.store.settings().unwrap()).map(drop),
        "settings",
    );
    forbidden(ben.run_lifecycle(true).map(drop), "lifecycle");
    forbidden(
        ben.create_management_token("ada@example.com", None, None)
            .map(drop),
        "a token for another",
    );

    // Lists show only their own.
    let keys = ben.list_keys(&KeyFilter::default()).unwrap();
    assert!(keys.iter().all(|k| k.owner.email == "ben@example.com") && !keys.is_empty());
    let page = ben
        .key_page(&KeyFilter::default(), KeySort::default(), 0, 100)
        .unwrap();
    assert!(
        page.total > page.matching,
        "the page counts all keys but matches Ben's"
    );
    assert!(page.rows.iter().all(|k| k.owner.email == "ben@example.com"));
    forbidden(
        ben.list_keys(&KeyFilter {
            owner: Some("ada@example.com".into()),
            ..Default::default()
        })
        .map(drop),
        "another's keys",
    );
    let users = ben.list_users().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].email, "ben@example.com");
    assert!(ben
        .list_tokens(None)
        .unwrap()
        .iter()
        .all(|t| t.key_id != adas));
    assert!(ben
        .audit(&AuditFilter::default())
        .unwrap()
        .iter()
        .all(|e| e.user_id.as_deref() == ben_actor.user_id.as_deref()));
    assert_eq!(ben.list_management_tokens(None).unwrap().len(), 1);
    assert!(ben.list_locations().is_ok() && ben.settings().is_ok());
    let session = ben.session().unwrap();
    assert_eq!(session.role, "manager");
    assert_eq!(session.user.unwrap().email, "ben@example.com");
}

pub fn an_admin_may_do_everything_and_changes_name_the_actor(backend: &'static dyn Backend) {
    let env = Env::on(backend);
    let (ada_actor, ben_actor, _, bens) = team(&env);
    let ada = Acting::new(&env.store, ada_actor.clone());
    ada.set_key_disabled(&bens, true).unwrap();
    ada.add_location("Uptown").unwrap();
    ada.create_management_token("ben@example.com", Some("For Ben"), None)
        .unwrap();
    assert_eq!(ada.list_keys(&KeyFilter::default()).unwrap().len(), 2);
    assert_eq!(ada.list_users().unwrap().len(), 2);

    let ben = Acting::new(&env.store, ben_actor.clone());
    ben.add_webhook(NewWebhook {
        user: "ben@example.com".into(),
        url: "https://hooks.example.com/ben".into(),
        entity: "api_key".into(),
        operation: "*".into(),
        allow_private: false,
    })
    .unwrap();
    ben.set_key_disabled(&bens, false).unwrap();

    let events = env.audit();
    let by = |op: &str, object: &str| {
        events
            .iter()
            .find(|e| e.action == op && (e.object_id == object || object.is_empty()))
            .unwrap_or_else(|| panic!("no {op}"))
            .clone()
    };
    let disabled = events
        .iter()
        .find(|e| e.object_id == bens && e.summary.contains("disabled"))
        .unwrap()
        .clone();
    let enabled = by("api_key.updated", &bens);
    assert_eq!(
        enabled.actor_user_id, ben_actor.user_id,
        "newest first: Ben's enable"
    );
    let located = by("location.created", "");
    for e in [&disabled, &located] {
        assert_eq!(e.actor, CHANNEL);
        assert_eq!(e.actor_user_id, ada_actor.user_id, "{e:?}");
    }
    let hook = by("webhook.created", "");
    assert_eq!(hook.actor_user_id, ben_actor.user_id);
    // Outside `Acting`, the store's own actor, with the owner once known.
    let before = env.store.owner_id();
    assert!(before.is_none());
    let owner = env
        .store
        .claim_ownership(NewUser {
            name: "Ada".into(),
            email: "ADA@example.com".into(),
            admin: true,
        })
        .unwrap();
    assert_eq!(env.store.owner_id().as_deref(), Some(owner.id.as_str()));
    env.store.add_location("Downtown").unwrap();
    let local = env
        .audit()
        .into_iter()
        .find(|e| e.object_name == "Downtown")
        .unwrap();
    assert_eq!(local.actor_user_id.as_deref(), Some(owner.id.as_str()));
    assert_eq!(
        Acting::owner(&env.store)
            .session()
            .unwrap()
            .user
            .unwrap()
            .id,
        owner.id
    );
    // Asked once: a second claim is refused, and a manager cannot claim a store.
    assert!(env
        .store
        .claim_ownership(NewUser {
            name: "Eve".into(),
            email: "eve@example.com".into(),
            admin: true
        })
        .is_err());
}

pub fn a_manager_cannot_become_the_owner_and_a_new_person_becomes_the_first_admin(
    backend: &'static dyn Backend,
) {
    let env = Env::on(backend);
    env.manager("Ben", "ben@example.com");
    let e = env
        .store
        .claim_ownership(NewUser {
            name: "Ben".into(),
            email: "ben@example.com".into(),
            admin: false,
        })
        .unwrap_err();
    assert_eq!(e.field(), Some("email"));
    let dana = env
        .store
        .claim_ownership(NewUser {
            name: "Dana Whitfield".into(),
            email: "dana@example.com".into(),
            admin: false,
        })
        .unwrap();
    assert_eq!(dana.role.as_str(), "admin");
    assert!(dana.api_access);
}
