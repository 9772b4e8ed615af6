//! Every IPC command through Tauri's mock runtime: the real invoke handler, state and
//! store (sled in a temporary directory), with in-memory clipboard and notifications.

mod common;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use common::*;
use keyward_app::clipboard::{ClipboardPort, MemoryClipboard};
use keyward_app::notify::MemoryNotifier;
use keyward_app::state::AppState;
use keyward_core::{ManualClock, Store, StoreOptions};

/// The capability grants exactly the declared commands (and the event listeners): a command
/// added to `commands/list.rs` without its `allow-…` entry, or one left behind, fails here.
#[test]
fn the_capability_allows_exactly_the_declared_commands() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src-tauri/capabilities/default.json");
    let cap: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut granted: Vec<String> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .filter(|p| !p.starts_with("core:event:"))
        .collect();
    let mut declared: Vec<String> = keyward_app::commands::names::ALL
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    granted.sort();
    declared.sort();
    assert_eq!(granted, declared);
}

#[test]
fn every_declared_command_is_registered() {
    let h = harness();
    for cmd in keyward_app::commands::names::ALL {
        if let Err(e) = h.call(cmd, json!({})) {
            assert!(
                !e.to_string().contains("not found"),
                "{cmd} is declared but not handled: {e}"
            );
        }
    }
    assert!(h
        .call("nope", json!({}))
        .unwrap_err()
        .to_string()
        .contains("not found"));
}

#[test]
fn users_and_locations_round_trip() {
    let h = harness();
    let ada = h.admin();
    let bob = h.ok(
        "add_user",
        json!({"name": "Bob", "email": "bob@example.com", "admin": false}),
    );
    assert_eq!(bob["api_access"], false);
    let e = h.err(
        "add_user",
        json!({"name": "Ada 2", "email": "ADA@example.com", "admin": false}),
    );
    assert_eq!(e["code"], "EMAIL_TAKEN");
    let edited = h.ok(
        "edit_user",
        json!({"id": ada, "name": "Ada King", "email": null}),
    );
    assert_eq!(edited["name"], "Ada King");
    let bob_id = bob["id"].as_str().unwrap();
    assert_eq!(
        h.ok("set_api_access", json!({"id": bob_id, "on": true}))["api_access"],
        true
    );
    assert_eq!(
        h.ok("set_user_active", json!({"id": bob_id, "active": false}))["active"],
        false
    );
    assert_eq!(h.ok("list_users", json!({})).as_array().unwrap().len(), 2);

    let loc = h.ok("add_location", json!({"name": "Downtown"}));
    let renamed = h.ok(
        "rename_location",
        json!({"id": loc["id"], "name": "Uptown"}),
    );
    assert_eq!(renamed["name"], "Uptown");
    assert_eq!(h.ok("list_locations", json!({}))[0]["name"], "Uptown");
}

#[test]
fn create_key_shows_it_once_and_lists_it_masked() {
    let h = harness();
    let ada = h.admin();
    let loc = h.ok("add_location", json!({"name": "Downtown"}));
    let created = h.ok(
        "create_key",
        json!({"owner": ada, "name": "Zapier", "location": loc["id"]}),
    );
    let secret = created["key"].as_str().unwrap();
    assert!(secret.starts_with("kwl_"));
    assert_eq!(created["scope"]["type"], "location");
    let list = h.ok("list_keys", no_filter());
    assert_eq!(
        (list["matching"].as_u64(), list["total"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(!list.to_string().contains(secret));
    assert_eq!(list["rows"][0]["masked_key"], created["masked_key"]);
    let detail = h.ok("get_key", json!({"id": created["id"]}));
    assert_eq!(detail["key"]["name"], "Zapier");
    assert!(detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "api_key.created"));
    assert!(!detail.to_string().contains(secret));
}

#[test]
fn create_key_for_blocked_owner_is_refused_with_a_code() {
    let h = harness();
    let bob = h.ok(
        "add_user",
        json!({"name": "Bob", "email": "bob@example.com", "admin": false}),
    );
    let e = h.err(
        "create_key",
        json!({"owner": bob["id"], "name": "x", "location": null}),
    );
    assert_eq!(e["code"], "API_ACCESS_OFF");
    assert!(e["message"].as_str().unwrap().contains("bob@example.com"));
    let e = h.err(
        "create_key",
        json!({"owner": "usr_nope", "name": "x", "location": null}),
    );
    assert_eq!(e["code"], "NOT_FOUND");
}

#[test]
fn copy_puts_the_secret_on_the_clipboard_and_clears_it_later() {
    let h = harness();
    let ada = h.admin();
    let created = h.key(&ada, "Copy me");
    let secret = created["key"].as_str().unwrap().to_owned();
    let mut settings = h.ok("get_settings", json!({}));
    settings["clipboard_clear_seconds"] = json!(1);
    h.ok("update_settings", json!({"settings": settings}));
    let receipt = h.ok("copy_key", json!({"id": created["id"]}));
    assert_eq!(receipt["clears_in_seconds"], 1);
    assert_eq!(h.clipboard.read().unwrap(), secret);
    // The answer to the web view never carries the secret.
    assert!(!receipt.to_string().contains(&secret));
    std::thread::sleep(Duration::from_millis(1600));
    assert_eq!(h.clipboard.read().unwrap(), "");
    let events = h.ok("list_audit", json!({"query": {"limit": 10, "object_id": null, "user_id": null, "entity": null, "search": null}}));
    assert!(events
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "api_key.copied"));
}

#[test]
fn copy_id_copies_ids_and_nothing_else() {
    let h = harness();
    let ada = h.admin();
    let created = h.key(&ada, "Id me");
    h.ok("copy_id", json!({"id": created["id"]}));
    assert_eq!(h.clipboard.read().unwrap(), created["id"].as_str().unwrap());
    // Not a way to put the key (or any other text) on the clipboard.
    let e = h.err("copy_id", json!({"id": created["key"]}));
    assert_eq!(e["code"], "INVALID_INPUT");
    assert_eq!(e["field"], "id");
    assert_eq!(h.clipboard.read().unwrap(), created["id"].as_str().unwrap());
}

#[test]
fn copy_does_not_clear_what_the_user_copied_since() {
    let h = harness();
    let ada = h.admin();
    let created = h.key(&ada, "Copy me");
    let mut settings = h.ok("get_settings", json!({}));
    settings["clipboard_clear_seconds"] = json!(1);
    h.ok("update_settings", json!({"settings": settings}));
    h.ok("copy_key", json!({"id": created["id"]}));
    h.clipboard.write("my own text").unwrap();
    std::thread::sleep(Duration::from_millis(1600));
    assert_eq!(h.clipboard.read().unwrap(), "my own text");
}

#[cfg(unix)]
#[test]
fn back_up_then_restore_into_a_new_store_and_every_key_verifies() {
    use std::os::unix::fs::PermissionsExt;
    downloads();
    let h = harness();
    let ada = h.admin();
    let key = h.key(&ada, "Zapier");
    let short = h.err("back_up_store", json!({"passphrase": "short"}));
    assert_eq!(short["field"], "passphrase");
    let receipt = h.ok(
        "back_up_store",
        json!({"passphrase": "correct horse battery staple"}),
    );
    let path = std::path::PathBuf::from(receipt["path"].as_str().unwrap());
    assert!(path.starts_with(downloads()), "{path:?}");
    assert!(path
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("keyward-backup-"));
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(receipt["summary"]["keys"], 1);
    // A second backup the same day does not replace the first.
    let again = h.ok(
        "back_up_store",
        json!({"passphrase": "correct horse battery staple"}),
    );
    assert_ne!(again["path"], receipt["path"]);

    let bytes = std::fs::read(&path).unwrap();
    let fresh = harness();
    let wrong = fresh.err(
        "restore_store",
        json!({"archive": bytes, "passphrase": "not the right one"}),
    );
    assert_eq!(wrong["field"], "passphrase");
    let restored = fresh.ok(
        "restore_store",
        json!({"archive": bytes, "passphrase": "correct horse battery staple"}),
    );
    assert_eq!(restored["keys"], 1);
    let verdict = fresh.store().verify(key["key"].as_str().unwrap()).unwrap();
    assert!(verdict.valid);
    // Into a store that has keys: refused.
    let busy = h.err(
        "restore_store",
        json!({"archive": bytes, "passphrase": "correct horse battery staple"}),
    );
    assert!(busy["message"].as_str().unwrap().contains("not empty"));
}

/// Where "Export for Postman" writes in these tests: one directory for the whole process
/// (the export reads it from the environment, which every test shares).
fn downloads() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        std::env::set_var("XDG_DOWNLOAD_DIR", dir.path());
        std::env::set_var("HOME", dir.path());
        dir
    })
    .path()
}

#[cfg(unix)]
#[test]
fn export_for_postman_narrows_an_existing_readable_file_before_writing_the_key() {
    use std::os::unix::fs::PermissionsExt;
    let h = harness();
    let ada = h.admin();
    let created = h.key(&ada, "Narrowed export");
    let secret = created["key"].as_str().unwrap().to_owned();
    downloads();
    // Where the command writes: the same lookup.
    let dir = dirs::download_dir().or_else(dirs::home_dir).unwrap();
    let existing = dir.join("keyward-narrowed-export.postman_environment.json");
    std::fs::write(&existing, "{}").unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).unwrap();

    let receipt = h.ok("export_postman", json!({"id": created["id"]}));
    assert_eq!(receipt["path"], existing.display().to_string());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&existing), 0o600, "the existing file is private now");
    let env: Value = serde_json::from_str(&std::fs::read_to_string(&existing).unwrap()).unwrap();
    assert_eq!(env["values"][1]["value"], secret.as_str());
    let collection = std::path::PathBuf::from(receipt["collection_path"].as_str().unwrap());
    assert_eq!(mode(&collection), 0o600);
    std::fs::remove_file(existing).unwrap();
    std::fs::remove_file(collection).unwrap();
}

#[test]
fn an_export_that_cannot_be_written_has_its_own_code_and_leaves_no_file() {
    let h = harness();
    let ada = h.admin();
    let created = h.key(&ada, "Blocked export");
    downloads();
    let dir = dirs::download_dir().or_else(dirs::home_dir).unwrap();
    // A folder where the environment file would go.
    let taken = dir.join("keyward-blocked-export.postman_environment.json");
    std::fs::create_dir(&taken).unwrap();

    let e = h.err("export_postman", json!({"id": created["id"]}));
    assert_eq!(e["code"], "EXPORT_FAILED");
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains(&taken.display().to_string()),
        "names the file: {message}"
    );
    assert!(message.contains("a folder has that name"), "{message}");
    assert!(
        !dir.join("keyward-blocked-export.postman_collection.json")
            .exists(),
        "not even the collection is written"
    );
    std::fs::remove_dir(taken).unwrap();

    let e = h.err("export_postman", json!({"id": "key_missing"}));
    assert_eq!(e["code"], "NOT_FOUND", "a store error keeps its code");
}

#[test]
fn copy_as_curl_and_export_for_postman_carry_the_key() {
    let h = harness();
    let ada = h.admin();
    let created = h.key(&ada, "Postman");
    let secret = created["key"].as_str().unwrap().to_owned();
    h.ok("copy_key_as_curl", json!({"id": created["id"]}));
    let curl = h.clipboard.read().unwrap();
    assert!(curl.starts_with("curl -X POST http://127.0.0.1:7420/v1/tokens"));
    assert!(curl.contains(&secret));

    downloads();
    let receipt = h.ok("export_postman", json!({"id": created["id"]}));
    let path = receipt["path"].as_str().unwrap();
    assert!(!receipt.to_string().contains(&secret));
    let env: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(env["values"][1]["value"], secret.as_str());
    std::fs::remove_file(path).unwrap();
    let collection_path = receipt["collection_path"].as_str().unwrap();
    let collection = std::fs::read_to_string(collection_path).unwrap();
    assert!(collection.contains("/v1/tokens") && collection.contains("{{apiKey}}"));
    assert!(
        !collection.contains(&secret),
        "the collection never holds the key"
    );
    std::fs::remove_file(collection_path).unwrap();
}

#[test]
fn regenerate_returns_a_new_key_and_the_old_one_stops() {
    let h = harness();
    let ada = h.admin();
    let created = h.key(&ada, "Rotate me");
    let old = created["key"].as_str().unwrap().to_owned();
    let token = h.ok("create_token", json!({"keyId": created["id"]}));
    let key_after = h.ok("get_key", json!({"id": created["id"]}));
    assert_eq!(key_after["key"]["live_tokens"], 1);
    let e = h.err(
        "regenerate_key",
        json!({"id": created["id"], "grace": "2h"}),
    );
    assert_eq!(e["code"], "INVALID_INPUT");
    let new = h.ok("regenerate_key", json!({"id": created["id"], "grace": "0"}));
    assert_eq!(new["id"], created["id"]);
    assert_ne!(new["key"], created["key"]);
    let store = h.store();
    assert_eq!(
        store.verify(&old).unwrap().code.unwrap().as_str(),
        "REVOKED"
    );
    assert_eq!(
        store
            .verify(token["token"].as_str().unwrap())
            .unwrap()
            .code
            .unwrap()
            .as_str(),
        "REVOKED"
    );
    assert!(store.verify(new["key"].as_str().unwrap()).unwrap().valid);
}

#[test]
fn delete_in_use_needs_the_typed_name() {
    let h = harness();
    let ada = h.admin();
    let created = h.key(&ada, "Marketing Automation");
    assert!(
        h.store()
            .verify(created["key"].as_str().unwrap())
            .unwrap()
            .valid
    );
    let e = h.err(
        "delete_key",
        json!({"id": created["id"], "typedName": null}),
    );
    assert_eq!(e["code"], "KEY_IN_USE");
    assert!(e["message"].as_str().unwrap().contains("used"));
    let e = h.err(
        "delete_key",
        json!({"id": created["id"], "typedName": "marketing"}),
    );
    assert_eq!(e["code"], "KEY_IN_USE");
    let deleted = h.ok(
        "delete_key",
        json!({"id": created["id"], "typedName": "Marketing Automation"}),
    );
    assert_eq!(deleted["was_in_use"], true);
    assert_eq!(
        h.err("get_key", json!({"id": created["id"]}))["code"],
        "NOT_FOUND"
    );
}

#[test]
fn disable_keep_rename_and_tokens() {
    let h = harness();
    let ada = h.admin();
    let created = h.key(&ada, "Key");
    let id = created["id"].clone();
    assert_eq!(
        h.ok("set_key_disabled", json!({"id": id, "disabled": true}))["status"],
        "disabled"
    );
    assert_eq!(
        h.err("create_token", json!({"keyId": id}))["code"],
        "DISABLED"
    );
    assert_eq!(
        h.ok("set_key_disabled", json!({"id": id, "disabled": false}))["status"],
        "active"
    );
    assert_eq!(
        h.ok("rename_key", json!({"id": id, "name": "Renamed"}))["name"],
        "Renamed"
    );
    h.clock.advance(50 * DAY);
    let kept = h.ok("keep_key", json!({"id": id}));
    assert_eq!(kept["deletes_in_days"], 90);

    let token = h.ok("create_token", json!({"keyId": id}));
    assert!(token["token"].as_str().unwrap().starts_with("kwt_"));
    h.ok("copy_token", json!({"id": token["id"]}));
    assert_eq!(
        h.clipboard.read().unwrap(),
        token["token"].as_str().unwrap()
    );
    assert_eq!(
        h.ok("list_tokens", json!({"keyId": id}))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        h.ok("revoke_token", json!({"id": token["id"]}))["status"],
        "revoked"
    );
    let detail = h.ok("get_key", json!({"id": id}));
    assert_eq!(
        detail["tokens"][0]["status"], "revoked",
        "revoked tokens stay listed"
    );
    assert_eq!(detail["key"]["live_tokens"], 0);
    assert_eq!(
        h.err("copy_token", json!({"id": token["id"]}))["code"],
        "INVALID_INPUT"
    );
}

#[test]
fn clear_user_keys_revokes_everything() {
    let h = harness();
    let ada = h.admin();
    h.key(&ada, "One");
    h.key(&ada, "Two");
    let report = h.ok("clear_user_keys", json!({"id": ada}));
    assert_eq!(report["keys_revoked"], 2);
    assert_eq!(report["user"]["api_access"], false);
}

#[test]
fn settings_are_validated() {
    let h = harness();
    let mut s = h.ok("get_settings", json!({}));
    assert_eq!(s["inactivity_days"], 90);
    s["reminder_days"] = json!([0]);
    assert_eq!(
        h.err("update_settings", json!({"settings": s}))["code"],
        "INVALID_INPUT"
    );
}

#[test]
fn expiring_soon_and_status() {
    let h = harness();
    let ada = h.admin();
    h.key(&ada, "Old");
    h.clock.advance(80 * DAY);
    let soon = h.ok("expiring_soon", json!({}));
    assert_eq!(soon["keys"][0]["name"], "Old");
    assert_eq!(soon["keys"][0]["days_left"], 10);
    let status = h.ok("app_status", json!({}));
    assert_eq!(status["master_key_source"], "file");
    assert!(status["master_key_problem"].is_null());
    assert!(status["startup_problem"].is_null());
}

#[test]
fn reminders_are_notified_and_kept_even_without_a_notification_server() {
    let (h, notifier) = harness_with(MemoryNotifier::failing(
        "org.freedesktop.DBus.Error.ServiceUnknown",
    ));
    let ada = h.admin();
    h.key(&ada, "Marketing Automation");
    h.clock.advance(83 * DAY);
    let report = h.store().run_lifecycle(false).unwrap();
    keyward_app::scheduler::deliver(h.app.handle(), &report, true);
    assert!(notifier.shown.lock().unwrap().is_empty());
    let reminders = h.ok("recent_reminders", json!({}));
    assert_eq!(reminders.as_array().unwrap().len(), 1);
    assert!(reminders[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("API key 'Marketing Automation' will be deleted in 7 days"));
    let status = h.ok("app_status", json!({}));
    assert!(status["notification_problem"]
        .as_str()
        .unwrap()
        .contains("ServiceUnknown"));
}

#[test]
fn reminders_become_notifications() {
    let (h, notifier) = harness_with(MemoryNotifier::default());
    let ada = h.admin();
    h.key(&ada, "Marketing Automation");
    h.clock.advance(83 * DAY);
    let report = h.store().run_lifecycle(false).unwrap();
    keyward_app::scheduler::deliver(h.app.handle(), &report, true);
    let shown = notifier.shown.lock().unwrap().clone();
    assert_eq!(shown.len(), 1);
    assert!(shown[0].0.contains("will be deleted in 7 days"));
}

#[test]
fn a_reminder_notification_keeps_the_key_or_opens_it() {
    let (h, notifier) = harness_with(MemoryNotifier::default());
    let ada = h.admin();
    let k = h.key(&ada, "Marketing Automation");
    let id = k["id"].as_str().unwrap().to_owned();
    h.clock.advance(83 * DAY);
    let report = h.store().run_lifecycle(false).unwrap();
    keyward_app::scheduler::deliver(h.app.handle(), &report, true);
    assert_eq!(
        h.store().key_view(&id).unwrap().deletes_in_days,
        Some(7),
        "before Keep"
    );

    // "Keep" on the notification: the clock starts again, and a notification says so.
    let lifecycle = h.listen("lifecycle");
    assert!(notifier.press(&id, keyward_app::notify::KEEP));
    assert_eq!(h.store().key_view(&id).unwrap().deletes_in_days, Some(90));
    let shown = notifier.shown.lock().unwrap().clone();
    assert_eq!(
        shown.last().unwrap().0,
        "Kept API key 'Marketing Automation'"
    );
    assert!(shown.last().unwrap().1.contains("in 90 days"), "{shown:?}");
    assert!(!lifecycle.lock().unwrap().is_empty(), "the app is told");

    // "Open" on the next one: the app shows the key.
    h.clock.advance(90 * DAY - 7 * DAY);
    let report = h.store().run_lifecycle(false).unwrap();
    keyward_app::scheduler::deliver(h.app.handle(), &report, true);
    let opened = h.listen("open-key");
    assert!(notifier.press(&id, keyward_app::notify::OPEN));
    assert_eq!(opened.lock().unwrap().as_slice(), [format!("\"{id}\"")]);
}

#[test]
fn a_reminder_of_a_key_s_end_offers_open_but_not_keep() {
    let (h, notifier) = harness_with(MemoryNotifier::default());
    let ada = h.admin();
    let k = h.ok(
        "create_key",
        json!({"owner": ada, "name": "Campaign", "location": null, "policy": {"expires": "30d"}}),
    );
    let id = k["id"].as_str().unwrap().to_owned();
    h.clock.advance(DAY);
    let report = h.store().run_lifecycle(false).unwrap();
    keyward_app::scheduler::deliver(h.app.handle(), &report, true);
    assert_eq!(notifier.shown.lock().unwrap().len(), 1);
    assert!(
        !notifier.press(&id, keyward_app::notify::KEEP),
        "Keep would not move an end"
    );
    assert!(notifier.press(&id, keyward_app::notify::OPEN));
}

#[test]
fn a_reminder_25_hours_before_deletion_says_25_hours_not_2_days() {
    let (h, notifier) = harness_with(MemoryNotifier::default());
    let ada = h.admin();
    h.key(&ada, "Zapier sync");
    h.clock.advance(90 * DAY - 25 * HOUR);
    let report = h.store().run_lifecycle(false).unwrap();
    keyward_app::scheduler::deliver(h.app.handle(), &report, true);
    let shown = notifier.shown.lock().unwrap().clone();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(
        shown[0].0,
        "API key 'Zapier sync' will be deleted in 25 hours"
    );
    assert!(shown[0].1.starts_with("Never used."), "{shown:?}");
}

#[test]
fn a_locked_database_is_reported_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let _holder = Store::open_default(dir.path(), StoreOptions::default()).unwrap();
    let state = AppState::open(
        dir.path(),
        Arc::new(MemoryClipboard::default()),
        Arc::new(MemoryNotifier::default()),
        false,
    );
    let (app, webview) = mock_app(state);
    let h = Harness {
        _dir: tempfile::tempdir().unwrap(),
        app,
        webview,
        clipboard: Arc::new(MemoryClipboard::default()),
        clock: Arc::new(ManualClock::new(T0)),
    };
    assert_eq!(h.err("list_keys", no_filter())["code"], "DATABASE_LOCKED");
    let status = h.ok("app_status", json!({}));
    assert!(status["startup_problem"]
        .as_str()
        .unwrap()
        .contains("another Keyward process"));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_local_api(h: &Harness, want: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let status = h.ok("app_status", json!({}))["local_api"].clone();
        if want(&status) {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the local API never reached the expected state");
}

#[test]
fn local_api_follows_the_settings_and_reports_a_taken_port() {
    let h = harness();
    assert_eq!(h.ok("app_status", json!({}))["local_api"]["enabled"], false);

    let port = free_port();
    let mut s = h.ok("get_settings", json!({}));
    s["local_api_enabled"] = json!(true);
    s["local_api_port"] = json!(port);
    h.ok("update_settings", json!({"settings": s.clone()}));
    let status = wait_for_local_api(&h, |st| !st["listening"].is_null());
    assert_eq!(status["listening"], format!("127.0.0.1:{port}"));
    // It really answers.
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        c,
        "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    c.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Another program holds the next port: the error is reported, the app keeps working.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    s["local_api_port"] = json!(taken.local_addr().unwrap().port());
    h.ok("update_settings", json!({"settings": s.clone()}));
    let status = wait_for_local_api(&h, |st| !st["error"].is_null());
    assert!(
        status["error"].as_str().unwrap().contains("in use"),
        "{status}"
    );
    assert!(h.ok("list_keys", no_filter())["rows"].is_array());

    s["local_api_enabled"] = json!(false);
    h.ok("update_settings", json!({"settings": s}));
    let status = wait_for_local_api(&h, |st| st["enabled"] == false);
    assert!(status["listening"].is_null());
}

fn add_webhook(h: &Harness, user: &str, url: &str, allow_private: bool) -> Result<Value, Value> {
    h.call(
        "add_webhook",
        json!({"input": {
            "user": user,
            "url": url,
            "entity": "api_key",
            "operation": "*",
            "allow_private": allow_private,
        }}),
    )
}

fn recent_audit(h: &Harness) -> Value {
    h.ok(
        "list_audit",
        json!({"query": {"limit": 50, "object_id": null, "user_id": null, "entity": null, "search": null}}),
    )
}

fn audit_actions(h: &Harness) -> Vec<String> {
    recent_audit(h)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn webhooks_are_added_listed_switched_tested_and_removed() {
    let h = harness();
    let ada = h.admin();
    let bob = h.ok(
        "add_user",
        json!({"name": "Bob", "email": "bob@example.com", "admin": false}),
    );
    // A .invalid host never resolves, whatever delivers in the background.
    let created = add_webhook(&h, &ada, "https://receiver.invalid/keyward-events", false).unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(id.starts_with("whk_"));
    assert!(secret.starts_with("whsec_"));
    assert_eq!(created["user_email"], "ada@example.com");
    assert_eq!(created["status"], "on");
    assert_eq!(created["operation"], "*");
    assert_eq!(created["pending"], 0);

    let mine = h.ok("list_webhooks", json!({"user": ada}));
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["url"], "https://receiver.invalid/keyward-events");
    assert!(
        !mine.to_string().contains(&secret),
        "only add_webhook's answer carries the secret"
    );
    let all = h.ok("list_webhooks", json!({"user": null}));
    assert_eq!(all.as_array().unwrap().len(), 1);
    let bobs = h.ok("list_webhooks", json!({"user": bob["email"]}));
    assert!(bobs.as_array().unwrap().is_empty());
    assert!(h
        .ok("webhook_deliveries", json!({"id": id, "limit": null}))
        .as_array()
        .unwrap()
        .is_empty());

    // A key event waits in the outbox.
    h.key(&ada, "Zapier");
    assert_eq!(h.ok("list_webhooks", json!({"user": ada}))[0]["pending"], 1);

    // Off: nothing waits any more, and a test is refused.
    let off = h.ok("set_webhook_active", json!({"id": id, "on": false}));
    assert_eq!(off["status"], "off");
    assert_eq!(off["pending"], 0);
    let e = h.err("test_webhook", json!({"id": id}));
    assert_eq!(e["code"], "WEBHOOK_OFF");
    let log = h.ok("webhook_deliveries", json!({"id": id, "limit": 10}));
    assert_eq!(log[0]["outcome"], "dropped");
    assert_eq!(log[0]["event_type"], "api_key.created");

    let on = h.ok("set_webhook_active", json!({"id": id, "on": true}));
    assert_eq!(on["status"], "on");
    let tested = h.ok("test_webhook", json!({"id": id}));
    assert_eq!(tested["pending"], 1);

    let removed = h.ok("remove_webhook", json!({"id": id}));
    assert_eq!(removed["id"], id.as_str());
    assert!(h
        .ok("list_webhooks", json!({"user": null}))
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        h.err("webhook_deliveries", json!({"id": id, "limit": null}))["code"],
        "NOT_FOUND"
    );
    let actions = audit_actions(&h);
    for a in [
        "webhook.created",
        "webhook.updated",
        "webhook.tested",
        "webhook.deleted",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} missing from {actions:?}"
        );
    }
}

#[test]
fn copy_webhook_secret_uses_the_clipboard_not_the_answer() {
    let h = harness();
    let ada = h.admin();
    let created = add_webhook(&h, &ada, "https://receiver.invalid/hooks", false).unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let receipt = h.ok("copy_webhook_secret", json!({"id": created["id"]}));
    assert_eq!(receipt["clears_in_seconds"], 30);
    assert!(!receipt.to_string().contains(&secret));
    assert_eq!(h.clipboard.read().unwrap(), secret);
    assert!(audit_actions(&h).iter().any(|a| a == "webhook.revealed"));
    assert!(
        !recent_audit(&h).to_string().contains(&secret),
        "the audit log never holds the secret"
    );
}

#[test]
fn add_webhook_refuses_bad_input_with_a_code() {
    let h = harness();
    let ada = h.admin();
    for url in [
        "not a url",
        "ftp://example.com/hooks",
        "http://127.0.0.1:9000/hooks",
        "http://169.254.169.254/latest",
    ] {
        let e = add_webhook(&h, &ada, url, false).unwrap_err();
        assert_eq!(e["code"], "INVALID_INPUT", "{url}: {e}");
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    // Loopback is allowed when the subscription says so; metadata never is.
    add_webhook(&h, &ada, "http://127.0.0.1:9000/hooks", true).unwrap();
    let e = add_webhook(&h, &ada, "http://169.254.169.254/latest", true).unwrap_err();
    assert_eq!(e["code"], "INVALID_INPUT");

    let e = h.err(
        "add_webhook",
        json!({"input": {"user": ada, "url": "https://example.com/k", "entity": "key",
            "operation": "created", "allow_private": false}}),
    );
    assert_eq!(e["code"], "INVALID_INPUT");
    assert!(e["message"].as_str().unwrap().contains("api_key"));
    let e = add_webhook(&h, "usr_nope", "https://example.com/k", false).unwrap_err();
    assert_eq!(e["code"], "NOT_FOUND");
    assert_eq!(
        h.err("set_webhook_active", json!({"id": "whk_nope", "on": true}))["code"],
        "NOT_FOUND"
    );
}

#[test]
fn list_keys_answers_one_sorted_filtered_page() {
    let h = harness();
    let ada = h.admin();
    for name in ["Key 2", "key 10", "Alpha", "Zapier sync"] {
        h.ok(
            "create_key",
            json!({"owner": ada, "name": name, "location": null}),
        );
    }
    let mut args = no_filter();
    args["sort"] = json!({"column": "name", "dir": "asc"});
    args["offset"] = json!(1);
    args["limit"] = json!(2);
    let page = h.ok("list_keys", args.clone());
    let names: Vec<&str> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Key 2", "key 10"]);
    assert_eq!(
        (page["offset"].as_u64(), page["matching"].as_u64()),
        (Some(1), Some(4))
    );

    args["query"]["search"] = json!("SYNC");
    args["offset"] = json!(0);
    let page = h.ok("list_keys", args.clone());
    assert_eq!(
        (page["matching"].as_u64(), page["total"].as_u64()),
        (Some(1), Some(4))
    );

    args["query"]["status"] = json!("bogus");
    assert_eq!(h.err("list_keys", args)["code"], "INVALID_INPUT");
}

#[test]
fn send_test_email_sends_through_the_saved_smtp_server_and_says_how_it_went() {
    let h = harness();
    let mut s = h.ok("get_settings", json!({}));
    // Email off: the refusal names the setting to fill in.
    let err = h.err("send_test_email", json!({"to": "lee@example.com"}));
    assert_eq!(err["code"], "INVALID_INPUT");
    assert_eq!(err["field"], "smtp_url");

    let rx = keyward_testkit::smtp::SmtpReceiver::start();
    s["smtp_url"] = json!(rx.url());
    s["smtp_from"] = json!("Keyward <keyward@example.com>");
    h.ok("update_settings", json!({"settings": s}));
    let sent = h.ok("send_test_email", json!({"to": "lee@example.com"}));
    assert_eq!(sent["sent"], true, "{sent}");
    let got = rx.wait_for(1, std::time::Duration::from_secs(5));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt_tos, ["lee@example.com"]);
    assert_eq!(got[0].header("Subject"), Some("Keyward test email"));
}
