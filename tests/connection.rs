//! Preferences › Connection, Access tokens and the owner question, through the real
//! invoke handler: the window shows a team server (a real keyward-http server on
//! 127.0.0.1:0 over another store) and comes back to this computer.

mod common;

use std::sync::Arc;

use serde_json::{json, Value};

use common::*;
use keyward_core::{FileMasterKey, ManualClock, NewUser, Store, StoreOptions};

/// A team server: a store of its own with Dana (admin), served on 127.0.0.1:0; her
/// management token; the server's address. The runtime keeps it serving.
struct Team {
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
    url: String,
    token: String,
    store: Arc<Store>,
    clock: Arc<ManualClock>,
}

fn team_server() -> Team {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let store = Store::open(
        dir.path(),
        clock.clone(),
        &FileMasterKey::new(dir.path().join("master.key")),
        StoreOptions::default(),
    )
    .unwrap();
    store
        .add_user(NewUser {
            name: "Dana Whitfield".into(),
            email: "dana@example.org".into(),
            admin: true,
        })
        .unwrap();
    let token = store
        .create_management_token("dana@example.org", Some("Desktop"), None)
        .unwrap()
        .token
        .expose()
        .to_owned();
    let store = Arc::new(store);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let served = store.clone();
    let url = runtime.block_on(async move {
        let listener = keyward_http::bind(0).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(keyward_http::serve(
            served,
            listener,
            std::future::pending(),
        ));
        keyward_http::base_url(port)
    });
    Team {
        _dir: dir,
        _runtime: runtime,
        url,
        token,
        store,
        clock,
    }
}

fn names(page: &Value) -> Vec<String> {
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

fn no_filter_page(h: &Harness) -> Value {
    h.ok(
        "list_keys",
        json!({
            "query": {"owner": null, "status": null, "search": null, "scope": null},
            "sort": {"column": "created", "dir": "desc"},
            "offset": 0,
            "limit": 100
        }),
    )
}

#[test]
fn the_window_shows_a_team_server_and_comes_back_to_this_computer() {
    let h = harness();
    let ada = h.admin();
    h.key(&ada, "Local key");
    let team = team_server();

    let local = h.ok("connection_status", json!({}));
    assert_eq!(local["server"], Value::Null);
    assert_eq!(local["label"], "This computer");
    assert_eq!(local["session"]["role"], "admin");

    let connected = h.ok(
        "connect_server",
        json!({"url": team.url, "token": team.token}),
    );
    let host = team.url.trim_start_matches("http://");
    assert_eq!(connected["server"], team.url);
    assert_eq!(connected["label"], host);
    assert_eq!(connected["session"]["user"]["email"], "dana@example.org");
    assert_eq!(connected["owner_needed"], false);

    // Every screen now works on the server's store, as Dana.
    assert!(names(&no_filter_page(&h)).is_empty());
    let users = h.ok("list_users", json!({}));
    let created = h.key(users[0]["id"].as_str().unwrap(), "Made from the desktop");
    assert!(created["key"].as_str().unwrap().starts_with("kwa_"));
    assert_eq!(names(&no_filter_page(&h)), vec!["Made from the desktop"]);
    // The list's usage column comes from the server: a verification there counts today.
    let secret = created["key"].as_str().unwrap();
    assert!(team.store.verify_for(secret, None).unwrap().valid);
    let line = &no_filter_page(&h)["usage"][created["id"].as_str().unwrap()];
    assert_eq!(line.as_array().map(Vec::len), Some(30), "{line}");
    assert_eq!((line[28].as_u64(), line[29].as_u64()), (Some(0), Some(1)));
    let audit = team.store.audit(&Default::default()).unwrap();
    let made = audit
        .iter()
        .find(|e| e.action == "api_key.created")
        .unwrap();
    assert_eq!(made.actor, "desktop");
    assert_eq!(
        made.actor_user_id.as_deref(),
        Some(team.store.user("dana@example.org").unwrap().id.as_str())
    );
    // What works on this computer's store alone says so.
    let refused = h.err(
        "back_up_store",
        json!({"passphrase": "correct horse battery"}),
    );
    assert_eq!(refused["code"], "INVALID_INPUT");
    assert!(refused["message"]
        .as_str()
        .unwrap()
        .contains("This computer"));

    // Back to this computer: its own keys, and the server's token forgotten.
    let back = h.ok("use_this_computer", json!({}));
    assert_eq!(back["server"], Value::Null);
    assert_eq!(names(&no_filter_page(&h)), vec!["Local key"]);
    assert!(!h.store().dir().join("connection.json").exists());
    assert!(!h.store().dir().join("server.token").exists());
}

#[test]
fn a_refused_or_unreachable_server_is_reported_and_nothing_changes() {
    let h = harness();
    let team = team_server();
    let not_a_token = h.err(
        "connect_server",
        json!({"url": team.url, "token": "kwa_abc"}),
    );
    assert_eq!(not_a_token["code"], "INVALID_INPUT");
    assert_eq!(not_a_token["field"], "token");
    let stranger = keyward_core::Secret::generate(keyward_core::SecretKind::Management);
    let refused = h.err(
        "connect_server",
        json!({"url": team.url, "token": stranger.expose()}),
    );
    assert_eq!(refused["code"], "UNAUTHORIZED");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gone = h.err(
        "connect_server",
        json!({"url": format!("http://127.0.0.1:{port}"), "token": team.token}),
    );
    assert_eq!(gone["code"], "SERVER_UNAVAILABLE");
    let plain = h.err(
        "connect_server",
        json!({"url": "http://keys.example.org", "token": team.token}),
    );
    assert_eq!(plain["field"], "server");
    assert_eq!(h.ok("connection_status", json!({}))["server"], Value::Null);
    assert!(!h.store().dir().join("connection.json").exists());
}

#[test]
fn the_owner_is_asked_once_and_recorded() {
    // A new store asks before anything else.
    let h = harness();
    let status = h.ok("connection_status", json!({}));
    assert_eq!(status["owner_needed"], true);
    assert_eq!(status["owner_unknown"], false);
    let bad = h.err(
        "claim_ownership",
        json!({"name": "Dana", "email": "not an email"}),
    );
    assert_eq!(bad["field"], "email");
    let me = h.ok(
        "claim_ownership",
        json!({"name": "Dana Whitfield", "email": "dana@example.org"}),
    );
    assert_eq!(me["role"], "admin");
    let status = h.ok("connection_status", json!({}));
    assert_eq!(status["owner_needed"], false);
    assert_eq!(status["session"]["user"]["id"], me["id"]);
    // Local changes are now audited as Dana.
    h.key(me["id"].as_str().unwrap(), "Website form");
    let events = h.store().audit(&Default::default()).unwrap();
    let created = events
        .iter()
        .find(|e| e.action == "api_key.created")
        .unwrap();
    assert_eq!(created.actor_user_id, me["id"].as_str().map(str::to_owned));

    // A store with site managers asks once; "Not now" is an answer.
    let h = harness();
    h.admin();
    let status = h.ok("connection_status", json!({}));
    assert_eq!(status["owner_needed"], false);
    assert_eq!(status["owner_unknown"], true);
    h.ok("decline_ownership", json!({}));
    let status = h.ok("connection_status", json!({}));
    assert_eq!(status["owner_unknown"], false);
    assert_eq!(status["session"]["user"], Value::Null);
}

#[test]
fn access_tokens_are_created_once_listed_and_revoked() {
    let h = harness();
    h.admin();
    let created = h.ok(
        "create_management_token",
        json!({"user": "ada@example.com", "name": "Laptop", "expires": "90d"}),
    );
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("kwm_"));
    assert_eq!(created["status"], "active");
    assert!(created["expires_at"].is_string());
    let bad = h.err(
        "create_management_token",
        json!({"user": "ada@example.com", "name": null, "expires": "forever"}),
    );
    assert_eq!(bad["field"], "expires");
    let listed = h.ok("list_management_tokens", json!({"user": null}));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(
        !listed.to_string().contains(&token),
        "listed without the token"
    );
    let revoked = h.ok("revoke_management_token", json!({"id": created["id"]}));
    assert_eq!(revoked["status"], "revoked");
    assert!(h.store().authenticate(&token, "http").is_err());
}

#[test]
fn a_team_servers_reminders_become_notifications_once() {
    let (h, notifier) = harness_with(keyward_app::notify::MemoryNotifier::default());
    let team = team_server();
    let dana = team.store.user("dana@example.org").unwrap();
    team.store
        .create_key(keyward_core::NewKey {
            owner: dana.id.clone(),
            name: "Quarterly export".into(),
            location: None,
            ..Default::default()
        })
        .unwrap();
    // The server's own lifecycle raises the 7-day reminder.
    team.clock.advance(83 * DAY);
    let report = team.store.run_lifecycle(false).unwrap();
    assert_eq!(report.reminders.len(), 1);
    h.ok(
        "connect_server",
        json!({"url": team.url, "token": team.token}),
    );

    let pass = || tauri::async_runtime::block_on(keyward_app::scheduler::run_once(h.app.handle()));
    assert!(pass().is_none(), "no lifecycle runs here against a server");
    let shown = notifier.shown.lock().unwrap().clone();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].0.contains("Quarterly export") && shown[0].0.contains("will be deleted"),
        "{shown:?}"
    );
    assert!(shown[0].1.contains("Keep"), "{shown:?}");
    // Once per deadline.
    pass();
    assert_eq!(notifier.shown.lock().unwrap().len(), 1);
    // The server's lifecycle was not run by the app: nothing was deleted there.
    assert_eq!(team.store.list_keys(&Default::default()).unwrap().len(), 1);
}
