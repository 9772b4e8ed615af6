//! The management requests of the collection: a folder per resource, sent with the
//! collection variable `managementToken`. Run in order, each folder uses what the ones
//! before it made: the site manager `userId`, the location, the key, its token, the
//! webhook. A path parameter is the folder's variable unless a step names another.

use super::collection::{Folder, Step, MANAGE};

/// The folders, in the order they run; `id` is the variable a path parameter stands for.
pub(super) const FOLDERS: &[Folder] = &[
    Folder {
        tag: "session",
        name: "Session",
        id: "",
    },
    Folder {
        tag: "users",
        name: "Site managers",
        id: "userId",
    },
    Folder {
        tag: "locations",
        name: "Locations",
        id: "locationId",
    },
    Folder {
        tag: "keys",
        name: "API keys",
        id: "keyId",
    },
    Folder {
        tag: "tokens",
        name: "Tokens",
        id: "tokenId",
    },
    Folder {
        tag: "webhooks",
        name: "Webhooks",
        id: "webhookId",
    },
    Folder {
        tag: "audit",
        name: "Audit log",
        id: "",
    },
    Folder {
        tag: "settings",
        name: "Settings",
        id: "",
    },
    Folder {
        tag: "lifecycle",
        name: "Lifecycle",
        id: "",
    },
    Folder {
        tag: "management-tokens",
        name: "Management tokens",
        id: "managementTokenId",
    },
];

/// A test that keeps the answer's `id` in a collection variable.
macro_rules! keeps_id {
    ($var:literal) => {
        concat!(
            "pm.test(\"the id is kept as ",
            $var,
            "\", function () {\n    pm.collectionVariables.set(\"",
            $var,
            "\", pm.response.json().id);\n});"
        )
    };
}

/// A test that the answer is a page.
const A_PAGE: &str = r#"pm.test("a page of items", function () {
    const body = pm.response.json();
    pm.expect(body.items).to.be.an("array");
    pm.expect(body).to.have.property("next_cursor");
});"#;

pub(super) const STEPS: &[Step] = &[
    Step {
        operation: "session",
        name: "Who the token acts as",
        test: r#"pm.test("a role", function () {
    pm.expect(["admin", "manager"]).to.include(pm.response.json().role);
});
pm.test("the acting site manager's email is kept as testEmailTo", function () {
    const user = pm.response.json().user;
    pm.collectionVariables.set("testEmailTo", user ? user.email : "");
});"#,
        ..MANAGE
    },
    // Site managers: a new manager, whom the later folders work with. Revoking their keys
    // turns their API access off, so it is turned on after.
    Step {
        operation: "list_users",
        name: "List site managers",
        test: A_PAGE,
        ..MANAGE
    },
    Step {
        operation: "add_user",
        name: "Add a site manager",
        body: Some(
            "{\n    \"name\": \"Pat Example\",\n    \"email\": \"pat+{{$timestamp}}@example.com\",\n    \"admin\": false\n}",
        ),
        test: keeps_id!("userId"),
        ..MANAGE
    },
    Step {
        operation: "get_user",
        name: "Show the site manager",
        ..MANAGE
    },
    Step {
        operation: "edit_user",
        name: "Rename the site manager",
        body: Some("{\n    \"name\": \"Pat Q. Example\"\n}"),
        ..MANAGE
    },
    Step {
        operation: "set_user_active",
        name: "Deactivate the site manager",
        body: Some("{\n    \"active\": false\n}"),
        ..MANAGE
    },
    Step {
        operation: "set_user_active",
        name: "Reactivate the site manager",
        body: Some("{\n    \"active\": true\n}"),
        ..MANAGE
    },
    Step {
        operation: "user_impact",
        name: "What access off, deactivating or clearing would stop",
        ..MANAGE
    },
    Step {
        operation: "clear_user_keys",
        name: "Revoke the site manager's keys and tokens",
        ..MANAGE
    },
    Step {
        operation: "set_api_access",
        name: "Turn API access on",
        body: Some("{\n    \"on\": true\n}"),
        ..MANAGE
    },
    // Locations.
    Step {
        operation: "list_locations",
        name: "List locations",
        test: A_PAGE,
        ..MANAGE
    },
    Step {
        operation: "add_location",
        name: "Add a location",
        body: Some("{\n    \"name\": \"Downtown {{$timestamp}}\"\n}"),
        test: keeps_id!("locationId"),
        ..MANAGE
    },
    Step {
        operation: "rename_location",
        name: "Rename the location",
        body: Some("{\n    \"name\": \"Downtown office {{$timestamp}}\"\n}"),
        ..MANAGE
    },
    // API keys: one scoped to the location, and one to delete.
    Step {
        operation: "list_keys",
        name: "List API keys",
        query: &[("sort", "name"), ("dir", "asc"), ("limit", "100")],
        test: r#"pm.test("a page of keys with counts", function () {
    const body = pm.response.json();
    pm.expect(body.items).to.be.an("array");
    pm.expect(body.matching).to.be.a("number");
    pm.expect(body.total).to.be.a("number");
});"#,
        ..MANAGE
    },
    Step {
        operation: "create_key",
        name: "Create an API key",
        body: Some(
            "{\n    \"owner\": \"{{userId}}\",\n    \"name\": \"Zapier sync\",\n    \"location\": \"{{locationId}}\"\n}",
        ),
        note: Some("The key is shown this once; its id is kept as `keyId`."),
        test: keeps_id!("keyId"),
        ..MANAGE
    },
    Step {
        operation: "get_key",
        name: "Show the key, its tokens and history",
        ..MANAGE
    },
    Step {
        operation: "rename_key",
        name: "Rename the key",
        body: Some("{\n    \"name\": \"Zapier weekly sync\"\n}"),
        ..MANAGE
    },
    Step {
        operation: "reveal_key",
        name: "Reveal the key",
        body: Some("{\n    \"how\": \"reveal\"\n}"),
        ..MANAGE
    },
    Step {
        operation: "regenerate_key",
        name: "Regenerate the key (1 h grace)",
        body: Some("{\n    \"grace\": \"1h\"\n}"),
        ..MANAGE
    },
    Step {
        operation: "set_key_disabled",
        name: "Disable the key",
        body: Some("{\n    \"disabled\": true\n}"),
        ..MANAGE
    },
    Step {
        operation: "set_key_disabled",
        name: "Enable the key",
        body: Some("{\n    \"disabled\": false\n}"),
        ..MANAGE
    },
    Step {
        operation: "keep_key",
        name: "Keep the key",
        ..MANAGE
    },
    Step {
        operation: "key_usage",
        name: "The key's usage, day by day",
        ..MANAGE
    },
    Step {
        operation: "create_key_token",
        name: "Mint a token from the key",
        test: keeps_id!("tokenId"),
        ..MANAGE
    },
    Step {
        operation: "list_key_tokens",
        name: "List the key's tokens",
        test: A_PAGE,
        ..MANAGE
    },
    Step {
        operation: "create_key",
        name: "Create a key to delete",
        body: Some("{\n    \"owner\": \"{{userId}}\",\n    \"name\": \"Old export\"\n}"),
        test: keeps_id!("oldKeyId"),
        ..MANAGE
    },
    Step {
        operation: "delete_key",
        name: "Delete that key",
        path: &[("id", "oldKeyId")],
        query: &[("force", "true")],
        ..MANAGE
    },
    Step {
        operation: "list_deleted_keys",
        name: "List recently deleted keys",
        test: A_PAGE,
        ..MANAGE
    },
    Step {
        operation: "restore_key",
        name: "Restore that key",
        path: &[("id", "oldKeyId")],
        ..MANAGE
    },
    Step {
        operation: "delete_key",
        name: "Delete it again",
        path: &[("id", "oldKeyId")],
        query: &[("force", "true")],
        ..MANAGE
    },
    Step {
        operation: "purge_deleted_key",
        name: "Purge it for good",
        path: &[("id", "oldKeyId")],
        ..MANAGE
    },
    // Tokens.
    Step {
        operation: "list_tokens",
        name: "List the key's tokens (all keys)",
        query: &[("key", "{{keyId}}")],
        test: A_PAGE,
        ..MANAGE
    },
    Step {
        operation: "revoke_token",
        name: "Revoke the token",
        ..MANAGE
    },
    // Webhooks.
    Step {
        operation: "list_webhooks",
        name: "List webhooks",
        query: &[("user", "{{userId}}")],
        test: A_PAGE,
        ..MANAGE
    },
    Step {
        operation: "add_webhook",
        name: "Subscribe a URL to key events",
        body: Some(
            "{\n    \"user\": \"{{userId}}\",\n    \"url\": \"https://example.com/keyward-hook\",\n    \"entity\": \"api_key\",\n    \"operation\": \"*\",\n    \"allow_private\": false\n}",
        ),
        note: Some("The signing secret is shown this once."),
        test: keeps_id!("webhookId"),
        ..MANAGE
    },
    Step {
        operation: "get_webhook",
        name: "Show the webhook",
        ..MANAGE
    },
    Step {
        operation: "test_webhook",
        name: "Send a test event",
        ..MANAGE
    },
    Step {
        operation: "reveal_webhook_secret",
        name: "Reveal the signing secret",
        ..MANAGE
    },
    Step {
        operation: "list_deliveries",
        name: "List delivery attempts",
        test: A_PAGE,
        ..MANAGE
    },
    Step {
        operation: "set_webhook_active",
        name: "Turn the webhook off",
        body: Some("{\n    \"on\": false\n}"),
        ..MANAGE
    },
    Step {
        operation: "remove_webhook",
        name: "Remove the webhook",
        ..MANAGE
    },
    // The audit log, the settings, the lifecycle.
    Step {
        operation: "list_audit",
        name: "The key's audit events",
        query: &[("object", "{{keyId}}")],
        test: A_PAGE,
        ..MANAGE
    },
    Step {
        operation: "get_settings",
        name: "Read the settings",
        note: Some("They are kept in the collection variable `settings`."),
        test: r#"pm.test("the settings are kept", function () {
    pm.collectionVariables.set("settings", pm.response.text());
});"#,
        ..MANAGE
    },
    Step {
        operation: "put_settings",
        name: "Write the settings back",
        body: Some("{{settings}}"),
        note: Some("Sends back what `Read the settings` kept: nothing changes."),
        ..MANAGE
    },
    Step {
        operation: "send_test_email",
        name: "Send a test email",
        body: Some("{\n    \"to\": \"{{testEmailTo}}\"\n}"),
        note: Some(
            "To the acting site manager (`testEmailTo`, kept by `Who the token acts as`). Answers 400 while email is off (smtp_url or smtp_from empty), or when that site manager has no address.",
        ),
        also_ok: &[400],
        ..MANAGE
    },
    Step {
        operation: "expiring_soon",
        name: "Keys and tokens due soon",
        ..MANAGE
    },
    Step {
        operation: "run_lifecycle",
        name: "Run the lifecycle (dry run)",
        body: Some("{\n    \"dry_run\": true\n}"),
        ..MANAGE
    },
    // Management tokens.
    Step {
        operation: "list_management_tokens",
        name: "List management tokens",
        query: &[("user", "{{userId}}")],
        test: A_PAGE,
        ..MANAGE
    },
    Step {
        operation: "create_management_token",
        name: "Create a management token (1 day)",
        body: Some(
            "{\n    \"user\": \"{{userId}}\",\n    \"name\": \"Postman\",\n    \"expires\": \"1d\"\n}",
        ),
        note: Some("The token is shown this once."),
        test: keeps_id!("managementTokenId"),
        ..MANAGE
    },
    Step {
        operation: "revoke_management_token",
        name: "Revoke it",
        ..MANAGE
    },
];
