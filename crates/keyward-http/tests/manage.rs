//! Every management route (docs/management-api.md) against a real server, as each role:
//! an admin does everything; a manager what concerns their own things (403 for the rest,
//! and for admin-only actions); the process's local token acts as the store's owner.

mod common;

use common::manage::{every_route, management_routes, Call, Rule, Team};
use keyward_core::Manage;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn the_route_list_covers_every_management_route() {
    let t = Team::start().await;
    let mut covered: Vec<&str> = every_route(&t.ada, &t.cy, &t.location)
        .iter()
        .map(|c| c.route)
        .collect();
    covered.sort_unstable();
    covered.dedup();
    let mut listed = management_routes();
    listed.sort_unstable();
    assert_eq!(covered, listed);
}

/// Sends `calls` in turn with `credential`; each must answer as `expect` says.
async fn run(t: &Team, credential: &str, calls: &[Call], expect: impl Fn(&Call) -> u16) {
    for c in calls {
        let (status, body) = t.send(credential, c).await;
        let want = expect(c);
        assert_eq!(status.as_u16(), want, "{c}: {body}");
        if want == 403 {
            common::manage::error(&body, "FORBIDDEN", None);
        }
    }
}

#[tokio::test]
async fn an_admin_may_do_everything() {
    let t = Team::start().await;
    let calls = every_route(&t.ada, &t.cy, &t.location);
    run(&t, &t.ada.mgmt, &calls, |c| c.ok).await;
    // What the calls did, as the store sees it.
    let owner = t.owner();
    assert_eq!(owner.user_view(&t.cy).unwrap().name, "Renamed Manager");
    assert_eq!(owner.key_view(&t.ada.key).unwrap().name, "Main renamed");
    assert_eq!(
        owner.key_view(&t.ada.spare_key).unwrap_err().code(),
        "NOT_FOUND"
    );
    assert_eq!(owner.settings().unwrap().inactivity_days, 60);
    assert!(owner.user_view("dee@example.com").is_ok());
}

#[tokio::test]
async fn a_manager_may_manage_their_own_things_and_nothing_admin_only() {
    let t = Team::start().await;
    let calls = every_route(&t.bob, &t.bob.user, &t.location);
    run(&t, &t.bob.mgmt, &calls, |c| match c.rule {
        Rule::Admin => 403,
        Rule::Owner | Rule::Anyone => c.ok,
    })
    .await;
    let owner = t.owner();
    assert_eq!(owner.key_view(&t.bob.key).unwrap().name, "Main renamed");
    assert_eq!(owner.user_view(&t.bob.user).unwrap().name, "Bob Manager");
    assert_eq!(owner.settings().unwrap().inactivity_days, 90);
    assert!(owner.user_view("dee@example.com").is_err());
}

#[tokio::test]
async fn a_manager_gets_403_for_what_is_someone_elses_and_changes_nothing() {
    let t = Team::start().await;
    let before = t.events();
    let ada_key = t.owner().key_view(&t.ada.key).unwrap();
    let calls = every_route(&t.ada, &t.ada.user, &t.location);
    run(&t, &t.bob.mgmt, &calls, |c| match c.rule {
        Rule::Admin | Rule::Owner => 403,
        Rule::Anyone => c.ok,
    })
    .await;
    assert_eq!(t.events(), before, "nothing was audited: nothing changed");
    assert_eq!(t.owner().key_view(&t.ada.key).unwrap(), ada_key);
}

#[tokio::test]
async fn a_manager_sees_only_their_own_things_in_lists() {
    let t = Team::start().await;
    let ids = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, users) = t.get(&t.bob.mgmt, "/v1/users").await;
    assert_eq!(ids(&users), [t.bob.user.as_str()]);
    let (_, keys) = t.get(&t.bob.mgmt, "/v1/keys").await;
    assert_eq!(keys["matching"], 2, "{keys}");
    assert!(keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["owner"]["id"] == t.bob.user.as_str()));
    let (_, tokens) = t.get(&t.bob.mgmt, "/v1/tokens").await;
    assert_eq!(ids(&tokens), [t.bob.token.as_str()]);
    let (_, hooks) = t.get(&t.bob.mgmt, "/v1/webhooks").await;
    assert_eq!(ids(&hooks), [t.bob.webhook.as_str()]);
    let (_, mgmt) = t.get(&t.bob.mgmt, "/v1/management-tokens").await;
    assert!(mgmt["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["owner"]["id"] == t.bob.user.as_str()));
    let (_, audit) = t.get(&t.bob.mgmt, "/v1/audit?limit=500").await;
    assert!(audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["user_id"] == t.bob.user.as_str()));
    // An admin sees everyone.
    let (_, users) = t.get(&t.ada.mgmt, "/v1/users").await;
    assert_eq!(users["items"].as_array().unwrap().len(), 3);
    let (_, keys) = t.get(&t.ada.mgmt, "/v1/keys").await;
    assert_eq!(
        (keys["matching"].clone(), keys["total"].clone()),
        (json!(4), json!(4))
    );
}

#[tokio::test]
async fn the_local_token_acts_as_the_stores_owner() {
    let t = Team::start().await;
    let local = t.local.expose().to_owned();
    let (status, session) = t.get(&local, "/v1/session").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session["role"], "admin");
    assert_eq!(session["user"]["id"], t.ada.user.as_str());
    let calls = every_route(&t.ada, &t.cy, &t.location);
    run(&t, &local, &calls, |c| c.ok).await;
    // Audited as the owner, through the command line unless the client says otherwise.
    let events = t.owner().audit(&Default::default()).unwrap();
    let renamed = events
        .iter()
        .find(|e| e.action == "user.updated" && e.object_id == t.cy)
        .unwrap();
    assert_eq!(renamed.actor, "cli");
    assert_eq!(renamed.actor_user_id.as_deref(), Some(t.ada.user.as_str()));
    // Another process's local token is just an unknown management token.
    let other = keyward_http::generate_local_token();
    let (status, _) = t.get(other.expose(), "/v1/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn answers_have_the_shapes_the_document_gives() {
    let t = Team::start().await;
    let admin = &t.ada.mgmt;
    let fields = |v: &Value| -> Vec<String> {
        let mut f: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        f.sort();
        f
    };
    let (_, session) = t.get(admin, "/v1/session").await;
    assert_eq!(fields(&session), ["role", "store", "user"]);
    let (_, users) = t.get(admin, "/v1/users").await;
    assert_eq!(fields(&users), ["items", "next_cursor"]);
    assert_eq!(users["next_cursor"], Value::Null);
    let (_, keys) = t.get(admin, "/v1/keys").await;
    assert_eq!(
        fields(&keys),
        ["items", "matching", "next_cursor", "total", "usage"]
    );
    // A line of 30 days for each key listed.
    let items = keys["items"].as_array().unwrap();
    assert_eq!(keys["usage"].as_object().unwrap().len(), items.len());
    for item in items {
        let line = &keys["usage"][item["id"].as_str().unwrap()];
        assert_eq!(line.as_array().map(Vec::len), Some(30), "{line}");
    }
    let (_, detail) = t.get(admin, &format!("/v1/keys/{}", t.ada.key)).await;
    assert_eq!(fields(&detail), ["events", "key", "tokens"]);
    let (_, expiring) = t.get(admin, "/v1/lifecycle/expiring").await;
    assert_eq!(fields(&expiring), ["keys", "tokens", "urgent"]);

    let post = |path: String, body: Option<Value>| Call::new("POST", &path, body);
    let (status, created) = t
        .send(
            admin,
            &post(
                "/v1/keys".into(),
                Some(json!({"owner": "bob@example.com", "name": "Zapier"})),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(created["key"].as_str().unwrap().starts_with("kwa_"));
    assert_eq!(created["owner"]["email"], "bob@example.com");
    assert_eq!(created["scope"], json!({"type": "agency"}));
    let id = created["id"].as_str().unwrap().to_owned();
    let (_, revealed) = t
        .send(admin, &post(format!("/v1/keys/{id}/reveal"), None))
        .await;
    assert_eq!(revealed, json!({"key": created["key"]}));
    let (status, token) = t
        .send(admin, &post(format!("/v1/keys/{id}/tokens"), None))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(fields(&token), ["expires_at", "id", "key_id", "token"]);
    let (_, secret) = t
        .send(
            admin,
            &post(
                format!("/v1/webhooks/{}/reveal-secret", t.ada.webhook),
                None,
            ),
        )
        .await;
    assert_eq!(fields(&secret), ["secret"]);
    let (_, cleared) = t
        .send(
            admin,
            &post(format!("/v1/users/{}/clear-keys", t.bob.email), None),
        )
        .await;
    assert_eq!(fields(&cleared), ["keys_revoked", "tokens_revoked", "user"]);
    assert_eq!(
        (
            cleared["keys_revoked"].clone(),
            cleared["tokens_revoked"].clone()
        ),
        (json!(3), json!(2))
    );
    let (status, deleted) = t
        .send(
            admin,
            &Call::new("DELETE", &format!("/v1/keys/{id}?force=true"), None),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        fields(&deleted),
        [
            "id",
            "name",
            "owner",
            "restorable_until",
            "tokens_deleted",
            "was_in_use"
        ]
    );
    let (status, mgmt) = t
        .send(
            admin,
            &post(
                "/v1/management-tokens".into(),
                Some(json!({"user": "cy@example.com"})),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(mgmt["token"].as_str().unwrap().starts_with("kwm_"));
    assert_eq!(mgmt["expires_at"], Value::Null);
    assert_eq!(mgmt["status"], "active");
}

#[tokio::test]
async fn the_token_exchange_and_the_token_list_share_their_path() {
    let t = Team::start().await;
    let r = t
        .client
        .post(format!("{}/v1/tokens", t.base))
        .bearer_auth(&t.ada.key_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let (status, list) = t
        .get(&t.ada.mgmt, &format!("/v1/tokens?key={}", t.ada.key))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_management_only_server_answers_no_route_for_api_keys() {
    let t = Team::start_management_only().await;
    for (method, path, credential) in [
        ("POST", "/v1/tokens", t.ada.key_secret.as_str()),
        ("GET", "/v1/me", t.ada.key_secret.as_str()),
        ("POST", "/v1/verify", ""),
    ] {
        let body = (path == "/v1/verify").then(|| json!({"key": t.ada.key_secret}));
        let (status, answer) = t.send(credential, &Call::new(method, path, body)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        common::manage::error(&answer, "UNKNOWN_ROUTE", None);
    }
    assert_eq!(t.get("", "/v1/health").await.0, StatusCode::OK);
    // `keyward verify` on this computer presents the owner's token: it still verifies.
    let verify = Call::new("POST", "/v1/verify", Some(json!({"key": t.ada.key_secret})));
    let (status, verdict) = t.send(t.local.expose(), &verify).await;
    assert_eq!(
        (status, verdict["valid"].clone()),
        (StatusCode::OK, json!(true))
    );
    let (status, _) = t.send(&t.ada.mgmt, &verify).await;
    assert_eq!(status, StatusCode::OK);
    let (status, session) = t.get(t.local.expose(), "/v1/session").await;
    assert_eq!(
        (status, session["role"].clone()),
        (StatusCode::OK, json!("admin"))
    );
    let calls = every_route(&t.ada, &t.cy, &t.location);
    run(&t, &t.ada.mgmt, &calls, |c| c.ok).await;
}
