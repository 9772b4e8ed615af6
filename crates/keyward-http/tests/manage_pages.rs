//! Lists a page at a time through their cursors, and the errors of the management routes:
//! their statuses, codes and the `field` at fault.

mod common;

use std::collections::HashSet;

use common::manage::{error, Call, Team};
use keyward_core::NewKey;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Follows `next_cursor` from `first` to the last page: every page's items.
async fn pages(t: &Team, first: &str) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    let mut path = first.to_owned();
    loop {
        let (status, page) = t.get(&t.ada.mgmt, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        out.push(page["items"].as_array().unwrap().clone());
        match page["next_cursor"].as_str() {
            Some(c) => {
                let sep = if first.contains('?') { '&' } else { '?' };
                path = format!("{first}{sep}cursor={c}");
            }
            None => return out,
        }
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn two_hundred_and_fifty_keys_come_in_three_pages_of_at_most_a_hundred() {
    let t = Team::start().await;
    let pam = t.env.manager("Pam Many", "pam@example.com");
    t.store.set_api_access(&pam.id, true).unwrap();
    let mut made = HashSet::new();
    for i in 0..250 {
        let k = t
            .store
            .create_key(NewKey {
                owner: pam.id.clone(),
                name: format!("Key {i}"),
                location: None,
                ..Default::default()
            })
            .unwrap();
        made.insert(k.view.id);
    }
    for first in [
        format!("/v1/keys?owner={}&limit=100", pam.id),
        "/v1/keys?owner=pam@example.com&limit=100&sort=name&dir=asc".to_owned(),
        format!(
            "/v1/keys?owner={}&limit=100&sort=live_tokens&dir=asc",
            pam.id
        ),
    ] {
        let pages = pages(&t, &first).await;
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        assert_eq!(sizes, [100, 100, 50], "{first}");
        let all: Vec<String> = pages.iter().flat_map(|p| ids(p)).collect();
        let unique: HashSet<String> = all.iter().cloned().collect();
        assert_eq!(all.len(), 250, "{first}");
        assert_eq!(unique, made, "{first}: every key once");
    }
    // In name order across pages: "Key 0", "Key 1", "Key 2", … "Key 249".
    let names: Vec<String> = pages(
        &t,
        "/v1/keys?owner=pam@example.com&sort=name&dir=asc&limit=100",
    )
    .await
    .iter()
    .flatten()
    .map(|k| k["name"].as_str().unwrap().to_owned())
    .collect();
    let want: Vec<String> = (0..250).map(|i| format!("Key {i}")).collect();
    assert_eq!(names, want);
    // A screen that jumps to a row asks by offset.
    let (_, tail) = t
        .get(
            &t.ada.mgmt,
            &format!("/v1/keys?owner={}&offset=200&sort=name&dir=asc", pam.id),
        )
        .await;
    let tail_names: Vec<&str> = tail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(tail_names, want[200..]);
    assert_eq!(tail["next_cursor"], Value::Null);
    let (_, mid) = t
        .get(
            &t.ada.mgmt,
            &format!(
                "/v1/keys?owner={}&offset=100&limit=10&sort=name&dir=asc",
                pam.id
            ),
        )
        .await;
    assert_eq!(mid["items"][0]["name"], "Key 100");
    let (_, next) = t
        .get(
            &t.ada.mgmt,
            &format!(
                "/v1/keys?owner={}&limit=10&sort=name&dir=asc&cursor={}",
                pam.id,
                mid["next_cursor"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(
        next["items"][0]["name"], "Key 110",
        "a cursor goes on from an offset"
    );
    // Counts: the matching keys, and all of them.
    let (_, first) = t
        .get(&t.ada.mgmt, &format!("/v1/keys?owner={}&limit=1", pam.id))
        .await;
    assert_eq!(
        (first["matching"].clone(), first["total"].clone()),
        (json!(250), json!(254))
    );
    // The default page is 100; the last page says so.
    let (_, default) = t.get(&t.ada.mgmt, "/v1/keys").await;
    assert_eq!(default["items"].as_array().unwrap().len(), 100);
    let (_, last) = t.get(&t.ada.mgmt, "/v1/keys?limit=500").await;
    assert_eq!(last["items"].as_array().unwrap().len(), 254);
    assert_eq!(last["next_cursor"], Value::Null);
}

#[tokio::test]
async fn the_audit_log_pages_newest_first() {
    let t = Team::start().await;
    let all = t.events();
    assert!(all > 14, "{all}");
    let pages = pages(&t, "/v1/audit?limit=7").await;
    let items: Vec<Value> = pages.iter().flatten().cloned().collect();
    assert_eq!(items.len(), all);
    assert_eq!(pages.len(), all.div_ceil(7));
    let at: Vec<String> = items
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    let mut newest_first = at.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(at, newest_first);
    // Smaller lists page the same way.
    let users = pages_of_users(&t).await;
    assert_eq!(users, [1, 1, 1]);
}

async fn pages_of_users(t: &Team) -> Vec<usize> {
    pages(t, "/v1/users?limit=1")
        .await
        .iter()
        .map(Vec::len)
        .collect()
}

#[tokio::test]
async fn errors_carry_their_status_code_and_field() {
    let t = Team::start().await;
    let admin = &t.ada.mgmt;
    let get = |path: &str| Call::new("GET", path, None);
    let cases: Vec<(Call, u16, &str, Option<&str>)> = vec![
        (get("/v1/keys/key_nope"), 404, "NOT_FOUND", None),
        (get("/v1/users/nobody@example.com"), 404, "NOT_FOUND", None),
        (
            Call::new("POST", "/v1/tokens/tok_nope/revoke", None),
            404,
            "NOT_FOUND",
            None,
        ),
        (get("/v1/keys?limit=0"), 400, "INVALID_INPUT", Some("limit")),
        (
            get("/v1/users?limit=501"),
            400,
            "INVALID_INPUT",
            Some("limit"),
        ),
        (
            get("/v1/audit?cursor=page2"),
            400,
            "INVALID_INPUT",
            Some("cursor"),
        ),
        (
            get("/v1/keys?sort=size"),
            400,
            "INVALID_INPUT",
            Some("sort"),
        ),
        (get("/v1/keys?dir=up"), 400, "INVALID_INPUT", Some("dir")),
        (
            get("/v1/keys?offset=-1"),
            400,
            "INVALID_INPUT",
            Some("offset"),
        ),
        (
            get("/v1/keys?offset=5&cursor=o5"),
            400,
            "INVALID_INPUT",
            Some("offset"),
        ),
        (
            get("/v1/users?offset=5"),
            400,
            "INVALID_INPUT",
            Some("offset"),
        ),
        (
            get("/v1/keys?status=shiny"),
            400,
            "INVALID_INPUT",
            Some("status"),
        ),
        (
            get("/v1/users?owner=ada"),
            400,
            "INVALID_INPUT",
            Some("owner"),
        ),
        (
            Call::new(
                "POST",
                "/v1/users",
                Some(json!({"name": "Eve", "email": "not an email"})),
            ),
            400,
            "INVALID_INPUT",
            Some("email"),
        ),
        (
            Call::new(
                "POST",
                &format!("/v1/keys/{}/regenerate", t.ada.key),
                Some(json!({"grace": "2h"})),
            ),
            400,
            "INVALID_INPUT",
            Some("grace"),
        ),
        (
            Call::new(
                "POST",
                "/v1/management-tokens",
                Some(json!({"user": "bob@example.com", "expires": "1y"})),
            ),
            400,
            "INVALID_INPUT",
            Some("expires"),
        ),
        (
            Call::new("DELETE", &format!("/v1/keys/{}?force=yes", t.ada.key), None),
            400,
            "INVALID_INPUT",
            Some("force"),
        ),
        (
            Call::new(
                "PUT",
                "/v1/settings",
                Some(json!({"inactivity_days": 4000})),
            ),
            400,
            "INVALID_INPUT",
            Some("inactivity_days"),
        ),
        (
            Call::new(
                "PUT",
                &format!("/v1/users/{}/active", t.cy),
                Some(json!({"active": "yes"})),
            ),
            400,
            "INVALID_REQUEST",
            None,
        ),
        (
            Call::new("PUT", &format!("/v1/users/{}/active", t.cy), None),
            400,
            "INVALID_REQUEST",
            None,
        ),
        (
            Call::new(
                "POST",
                "/v1/users",
                Some(json!({"name": "Ada Again", "email": "ADA@example.com"})),
            ),
            409,
            "EMAIL_TAKEN",
            None,
        ),
        (
            Call::new("DELETE", &format!("/v1/keys/{}", t.ada.key), None),
            409,
            "KEY_IN_USE",
            None,
        ),
        (
            Call::new(
                "DELETE",
                &format!("/v1/keys/{}?confirm_name=Wrong", t.ada.key),
                None,
            ),
            409,
            "KEY_IN_USE",
            None,
        ),
        (
            Call::new("DELETE", "/v1/users/ada@example.com", None),
            405,
            "METHOD_NOT_ALLOWED",
            None,
        ),
    ];
    for (call, status, code, field) in &cases {
        let (got, body) = t.send(admin, call).await;
        assert_eq!(got.as_u16(), *status, "{call}: {body}");
        error(&body, code, *field);
    }
    // A key in use goes with its name typed, or with force.
    let (status, deleted) = t
        .send(
            admin,
            &Call::new(
                "DELETE",
                &format!("/v1/keys/{}?confirm_name=Main", t.ada.key),
                None,
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(
        (
            deleted["was_in_use"].clone(),
            deleted["tokens_deleted"].clone()
        ),
        (json!(true), json!(1))
    );
    // A body that is not JSON, and one too large.
    let r = t
        .client
        .post(format!("{}/v1/locations", t.base))
        .bearer_auth(admin)
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    error(&r.json::<Value>().await.unwrap(), "INVALID_REQUEST", None);
    let r = t
        .client
        .post(format!("{}/v1/locations", t.base))
        .bearer_auth(admin)
        .json(&json!({ "name": "x".repeat(20_000) }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    error(&r.json::<Value>().await.unwrap(), "BODY_TOO_LARGE", None);
}
