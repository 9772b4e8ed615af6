//! Who may use the management routes: only a working management token (or the local
//! token). Everything else — no credential, an API key, a token, a revoked, expired or
//! unknown management token, one whose site manager is deactivated — gets the same 401 on
//! every route, spends the client's failure budget, and changes nothing. Changes are
//! audited as the token's site manager, through the channel the client names.

mod common;

use std::num::NonZeroU32;

use common::manage::{error, every_route, Call, Team};
use keyward_core::clock::HOUR;
use keyward_core::{Manage, Secret, SecretKind};
use keyward_http::FailureBudget;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn every_route_refuses_anything_but_a_working_management_token() {
    let t = Team::start().await;
    // A token that expires in an hour, then an hour and a bit later.
    let expiring = t
        .store
        .create_management_token(&t.ada.user, Some("Short"), Some(HOUR))
        .unwrap();
    // Cy's token while Cy is deactivated.
    t.store.set_user_active(&t.cy, false).unwrap();
    let revoked = t
        .store
        .create_management_token(&t.ada.user, Some("Revoked"), None)
        .unwrap();
    t.store.revoke_management_token(&revoked.view.id).unwrap();
    t.env.clock.advance(HOUR + 1);
    let location_key = t.env.key_at(&t.ada.user, "Kiosk", Some(&t.location));
    let unknown = Secret::generate(SecretKind::Management);
    let credentials: Vec<(&str, String)> = vec![
        ("no credential", String::new()),
        ("an agency API key", t.ada.key_secret.clone()),
        ("a location API key", location_key.key.expose().to_owned()),
        ("a token", t.ada.token_secret.clone()),
        (
            "a revoked management token",
            revoked.token.expose().to_owned(),
        ),
        (
            "an expired management token",
            expiring.token.expose().to_owned(),
        ),
        ("a deactivated manager's token", t.cy_mgmt.clone()),
        ("an unknown management token", unknown.expose().to_owned()),
        ("a malformed one", "kwm_nonsense".to_owned()),
    ];
    let before = t.events();
    let mut messages = Vec::new();
    for (what, credential) in &credentials {
        for c in every_route(&t.ada, &t.bob.user, &t.location) {
            let (status, headers, body) = t.send_as(credential, None, &c).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {c}: {body}");
            assert_eq!(
                headers["www-authenticate"], "Bearer realm=\"keyward\"",
                "{what}: {c}"
            );
            messages.push(error(&body, "UNAUTHORIZED", None));
        }
    }
    assert!(
        messages.iter().all(|m| m == &messages[0]),
        "one message for all"
    );
    assert!(!messages[0].contains("kwa_") && !messages[0].contains("kwt_"));
    assert_eq!(t.events(), before, "nothing was changed");
    // The API key and the token still work where they belong.
    let r = t
        .client
        .get(format!("{}/v1/me", t.base))
        .bearer_auth(&t.ada.token_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_revoked_management_token_is_refused_from_the_next_request_on() {
    let t = Team::start().await;
    let made = t
        .store
        .create_management_token(&t.bob.user, Some("Script"), None)
        .unwrap();
    let script = made.token.expose().to_owned();
    assert_eq!(t.get(&script, "/v1/session").await.0, StatusCode::OK);
    let revoke = Call::new(
        "POST",
        &format!("/v1/management-tokens/{}/revoke", made.view.id),
        None,
    );
    let (status, view) = t.send(&t.bob.mgmt, &revoke).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["status"], "revoked");
    let (status, body) = t.get(&script, "/v1/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    error(&body, "UNAUTHORIZED", None);
    // A token that expires: fine until then.
    let (status, made) = t
        .send(
            &t.bob.mgmt,
            &Call::new(
                "POST",
                "/v1/management-tokens",
                Some(json!({"user": "bob@example.com", "expires": "12h"})),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let short = made["token"].as_str().unwrap().to_owned();
    t.env.clock.advance(11 * HOUR);
    assert_eq!(t.get(&short, "/v1/session").await.0, StatusCode::OK);
    t.env.clock.advance(HOUR);
    assert_eq!(
        t.get(&short, "/v1/session").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn failed_authentications_spend_the_clients_budget() {
    let t = Team::start_with(FailureBudget {
        burst: NonZeroU32::new(3).unwrap(),
        per_second: NonZeroU32::new(1).unwrap(),
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            t.get(&t.ada.key_secret, "/v1/users").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, headers, body) = t
        .send_as("", None, &Call::new("GET", "/v1/users", None))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(headers.contains_key("retry-after"));
    error(&body, "RATE_LIMITED", None);
    // Only failures spend it: a working token still works.
    assert_eq!(t.get(&t.ada.mgmt, "/v1/users").await.0, StatusCode::OK);
}

/// The audit events the API answers with for `object`, newest first.
async fn events_of(t: &Team, object: &str) -> Vec<Value> {
    let (status, page) = t
        .get(&t.ada.mgmt, &format!("/v1/audit?object={object}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn changes_are_audited_as_the_tokens_site_manager_through_the_named_channel() {
    let t = Team::start().await;
    let rename = |name: &str| {
        Call::new(
            "PATCH",
            &format!("/v1/keys/{}", t.bob.key),
            Some(json!({ "name": name })),
        )
    };
    for (client, name, channel) in [
        (Some("desktop"), "From the app", "desktop"),
        (Some("cli"), "From the command line", "cli"),
        (None, "From a script", "http"),
        (Some("curl/8.0"), "From curl", "http"),
    ] {
        let (status, _, body) = t.send_as(&t.bob.mgmt, client, &rename(name)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let events = events_of(&t, &t.bob.key).await;
        let e = &events[0];
        assert_eq!(e["action"], "api_key.updated", "{e}");
        assert_eq!(e["actor"], channel, "{e}");
        assert_eq!(e["actor_user_id"], t.bob.user.as_str(), "{e}");
        assert_eq!(e["user_id"], t.bob.user.as_str(), "{e}");
    }
    // An admin acting on Bob's key: audited as the admin.
    let (status, _, _) = t
        .send_as(&t.ada.mgmt, Some("desktop"), &rename("Renamed by Ada"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let e = &events_of(&t, &t.bob.key).await[0];
    assert_eq!(
        (e["actor"].clone(), e["actor_user_id"].clone()),
        (json!("desktop"), json!(t.ada.user))
    );
    // The local token: the owner, through the command line unless the client says otherwise.
    let local = t.local.expose().to_owned();
    for (client, channel) in [(None, "cli"), (Some("desktop"), "desktop")] {
        let (status, _, _) = t.send_as(&local, client, &rename(channel)).await;
        assert_eq!(status, StatusCode::OK);
        let e = &events_of(&t, &t.bob.key).await[0];
        assert_eq!(
            (e["actor"].clone(), e["actor_user_id"].clone()),
            (json!(channel), json!(t.ada.user))
        );
    }
    // A creation over HTTP, as the core records it.
    let (status, _, created) = t
        .send_as(
            &t.bob.mgmt,
            Some("cli"),
            &Call::new(
                "POST",
                "/v1/keys",
                Some(json!({"owner": "bob@example.com", "name": "Made by Bob"})),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["id"].as_str().unwrap();
    let stored = t
        .owner()
        .audit(&keyward_core::AuditFilter {
            object_id: Some(id.to_owned()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(stored[0].action, "api_key.created");
    assert_eq!(stored[0].actor, "cli");
    assert_eq!(
        stored[0].actor_user_id.as_deref(),
        Some(t.bob.user.as_str())
    );
}
