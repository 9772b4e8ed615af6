// Generated from the Rust types by `make bindings` (src-tauri/bindings.rs).
// Do not edit: a test fails when this file and the Rust types disagree.

export type Role = "admin" | "manager";

export type KeyStatus = "active" | "disabled" | "revoked" | "owner_deactivated" | "access_off" | "expired";

export type TokenStatus = "active" | "revoked" | "expired";

export type WebhookState = "on" | "off";

export type DeliveryOutcome = "delivered" | "retrying" | "failed" | "dropped" | "turned_off";

export type Range = { min: number, max: number, };

export type Rules = { 
/**
 * The longest name of a site manager, location or API key, in characters.
 */
name_max: number, 
/**
 * The most reminders a list of reminder days may hold.
 */
max_reminders: number, inactivity_days: Range, token_lifetime_days: Range, clipboard_clear_seconds: Range, local_api_port: Range, max_live_tokens: Range, 
/**
 * The shortest passphrase a backup (export) accepts, in characters.
 */
passphrase_min: number, 
/**
 * The longest notes of a key, in characters.
 */
notes_max: number, 
/**
 * The most tags a key may have.
 */
tags_max: number, 
/**
 * How many days a deleted key can be restored.
 */
keep_deleted_days: number, };

export type OwnerView = { id: string, name: string, email: string, };

export type UserView = { id: string, name: string, email: string, role: Role, active: boolean, api_access: boolean, created_at: string, 
/**
 * Keys that are not revoked.
 */
keys: number, };

export type ClearReport = { user: UserView, keys_revoked: number, tokens_revoked: number, };

export type Impact = { user: UserView, keys: Array<KeyView>, 
/**
 * Live tokens of those keys.
 */
tokens: number, 
/**
 * Of those keys, how many are in use (used in the last 30 days, or with live tokens).
 */
in_use: number, };

export type LocationView = { id: string, name: string, created_at: string, };

export type ScopeView = { "type": "agency" } | { "type": "location", location_id: string, name: string | null, };

export type KeyView = { id: string, name: string, masked_key: string, owner: OwnerView, scope: ScopeView, status: KeyStatus, created_at: string, last_used_at: string | null, 
/**
 * When inactivity deletion is due (moved later if a reminder came late).
 */
deletes_at: string | null, deletes_in_days: number | null, 
/**
 * When the deletion comes, as reminders and the Expiring soon list say it ("in 6
 * days", "in 25 hours"), so the badge never disagrees with them.
 */
deletes_in: string | null, 
/**
 * A deletion reminder has been raised for the current deadline.
 */
deletion_scheduled: boolean, 
/**
 * The coming deletion is what the key's badge shows ("Deletes in N days"): it is
 * scheduled, or within the earliest reminder's days, and the key is not revoked.
 */
deletion_near: boolean, in_use: boolean, live_tokens: number, 
/**
 * While the previous secret still works after a regeneration.
 */
grace_until: string | null, 
/**
 * When the key stops working, chosen at creation; `null`: never.
 */
expires_at: string | null, 
/**
 * The key's end is near enough to show in the list (as near as its first reminder,
 * 30 days by default), and it is neither revoked nor already expired.
 */
expiry_near: boolean, 
/**
 * "Never delete for inactivity".
 */
keep_always: boolean, 
/**
 * What uses the key.
 */
notes: string, tags: Array<string>, 
/**
 * What the key may do; `["*"]`: everything.
 */
permissions: Array<string>, 
/**
 * The rate limit, as written (`600/min`); `null`: none.
 */
rate: string | null, };

export type SortColumn = "name" | "owner" | "scope" | "status" | "created" | "attention" | "last_used" | "live_tokens";

export type SortDir = "asc" | "desc";

export type KeySort = { column: SortColumn, dir: SortDir, };

export type KeyPage = { 
/**
 * Keys matching the filter.
 */
matching: number, 
/**
 * Keys in the list, filter aside.
 */
total: number, offset: number, rows: Array<KeyView>, 
/**
 * For each row's key (by id): its valid verifications per day over the last 30 days
 * (UTC), oldest first, today last.
 */
usage: Record<string, number[]>, };

export type CreatedKey = { key: string, id: string, name: string, masked_key: string, owner: OwnerView, scope: ScopeView, status: KeyStatus, created_at: string, last_used_at: string | null, 
/**
 * When inactivity deletion is due (moved later if a reminder came late).
 */
deletes_at: string | null, deletes_in_days: number | null, 
/**
 * When the deletion comes, as reminders and the Expiring soon list say it ("in 6
 * days", "in 25 hours"), so the badge never disagrees with them.
 */
deletes_in: string | null, 
/**
 * A deletion reminder has been raised for the current deadline.
 */
deletion_scheduled: boolean, 
/**
 * The coming deletion is what the key's badge shows ("Deletes in N days"): it is
 * scheduled, or within the earliest reminder's days, and the key is not revoked.
 */
deletion_near: boolean, in_use: boolean, live_tokens: number, 
/**
 * While the previous secret still works after a regeneration.
 */
grace_until: string | null, 
/**
 * When the key stops working, chosen at creation; `null`: never.
 */
expires_at: string | null, 
/**
 * The key's end is near enough to show in the list (as near as its first reminder,
 * 30 days by default), and it is neither revoked nor already expired.
 */
expiry_near: boolean, 
/**
 * "Never delete for inactivity".
 */
keep_always: boolean, 
/**
 * What uses the key.
 */
notes: string, tags: Array<string>, 
/**
 * What the key may do; `["*"]`: everything.
 */
permissions: Array<string>, 
/**
 * The rate limit, as written (`600/min`); `null`: none.
 */
rate: string | null, };

export type DeletedKey = { id: string, name: string, owner: OwnerView, tokens_deleted: number, was_in_use: boolean, 
/**
 * Until when "Recently deleted" can bring it back.
 */
restorable_until: string, };

export type DeletedKeyView = { 
/**
 * The key as it comes back when restored (its tokens as they were).
 */
key: KeyView, deleted_at: string, 
/**
 * Who deleted it; `null` for the inactivity rule or this computer's CLI.
 */
deleted_by: OwnerView | null, 
/**
 * `deleted` (by hand) or `inactive` (by the inactivity rule).
 */
reason: string, 
/**
 * In words: "Deleted by Ann Lee", "Deleted for inactivity".
 */
said: string, 
/**
 * When it is purged for good.
 */
purges_at: string, 
/**
 * "in 29 days".
 */
purges_in: string, };

export type KeyDetail = { key: KeyView, tokens: Array<TokenView>, events: Array<AuditView>, };

export type TokenView = { id: string, key_id: string, key_name: string, masked_token: string, status: TokenStatus, created_at: string, expires_at: string, last_used_at: string | null, };

export type CreatedToken = { id: string, token: string, key_id: string, expires_at: string, };

export type AuditView = { id: string, at: string, actor: string, 
/**
 * The site manager who acted, when one is known.
 */
actor_user_id: string | null, action: string, entity: string, operation: string, object_id: string, object_name: string, user_id: string | null, 
/**
 * The API key the event concerns (the key itself, or a token's key).
 */
key_id: string | null, summary: string, };

export type Settings = { 
/**
 * A key unused for this many days is deleted.
 */
inactivity_days: number, 
/**
 * Reminders before inactivity deletion, in days before the deadline.
 */
reminder_days: Array<number>, 
/**
 * Tokens expire this many days after they are created.
 */
token_lifetime_days: number, 
/**
 * Reminders before a token expires, in days before expiry.
 */
token_reminder_days: Array<number>, 
/**
 * Clear the clipboard this many seconds after a copy (0 = never).
 */
clipboard_clear_seconds: number, local_api_enabled: boolean, local_api_port: number, launch_at_login: boolean, close_to_tray: boolean, notifications: boolean, 
/**
 * The most live tokens one API key may have; minting more is refused until some are
 * revoked or expire.
 */
max_live_tokens: number, 
/**
 * The SMTP server reminders are emailed through: `smtp://[user[:password]@]host[:port]`
 * (STARTTLS, port 587 by default), `smtps://…` (TLS, 465) or `smtp://host:port?tls=none`
 * (plain text, for a local relay). Empty: no email. Shown with the password masked
 * (`smtp://user:•••@host`); sending the mask back keeps the stored password.
 */
smtp_url: string, 
/**
 * Who the emails come from: `keyward@example.com` or `Keyward <keyward@example.com>`.
 * Empty: no email.
 */
smtp_from: string, };

export type TestEmail = { 
/**
 * The address it was sent to.
 */
to: string, 
/**
 * The SMTP server, as `smtp_url` shows it (the password masked).
 */
server: string, 
/**
 * Whether the server accepted it.
 */
sent: boolean, 
/**
 * Why it was not sent: the server's answer, or why it could not be reached.
 */
error?: string | null, message_id: string, };

export type ReminderKind = "key_deletion" | "token_expiry" | "key_expiry";

export type ReminderNotice = { kind: ReminderKind, 
/**
 * The key's id, or the token's.
 */
id: string, key_id: string, key_name: string, owner: OwnerView, days_before: number, days_left: number, 
/**
 * When the key will be deleted, or the token expires.
 */
due_at: string, last_used_at: string | null, 
/**
 * The whole reminder, as the audit log and the CLI show it.
 */
message: string, 
/**
 * A notification's title: what happens when ("… will be deleted in 25 hours").
 */
summary: string, 
/**
 * A notification's body: when it was last used, and what to do.
 */
advice: string, };

export type DeletionNotice = { id: string, name: string, owner: OwnerView, last_used_at: string | null, tokens_deleted: number, message: string, };

export type LifecycleReport = { ran_at: string, dry_run: boolean, keys_checked: number, tokens_checked: number, reminders: Array<ReminderNotice>, deleted: Array<DeletionNotice>, 
/**
 * Deleted keys purged for good, 30 days after their deletion.
 */
purged: number, };

export type DueKey = { id: string, name: string, owner: OwnerView, deletes_at: string, days_left: number, 
/**
 * When, as a person would say it: "in 25 hours", "in 7 days".
 */
due_in: string, last_used_at: string | null, 
/**
 * A reminder has been raised for this deadline.
 */
reminded: boolean, 
/**
 * What a reminder of it says: "API key 'Zapier' will be deleted in 7 days".
 */
summary: string, 
/**
 * What to do about it, with when it was last used.
 */
advice: string, };

export type DueToken = { id: string, key_id: string, key_name: string, expires_at: string, days_left: number, 
/**
 * When, as a person would say it: "in 25 hours", "in 7 days".
 */
due_in: string, };

export type ExpiringSoon = { keys: Array<DueKey>, tokens: Array<DueToken>, 
/**
 * Keys due within a day: the tray shows its attention icon.
 */
urgent: number, };

export type KeyQuery = { owner: string | null, status: string | null, search: string | null, scope: string | null, };

export type KeyPolicyInput = { 
/**
 * `30d`, `90d`, `1y`, a date (`2027-03-31`) or `never`.
 */
expires: string | null, 
/**
 * Empty: everything (`*`).
 */
permissions: Array<string>, 
/**
 * `600/min`; `null`: no limit.
 */
rate: string | null, notes: string, tags: Array<string>, keep_always: boolean, };

export type KeyEdit = { name: string | null, notes: string | null, tags: Array<string> | null, permissions: Array<string> | null, 
/**
 * `600/min`, or `none` to remove the limit.
 */
rate: string | null, keep_always: boolean | null, };

export type UsageDay = { 
/**
 * The day, UTC: `2026-08-12`.
 */
date: string, valid: number, 
/**
 * Failed verifications by code.
 */
failed: Record<string, number>, };

export type AuditQuery = { limit: number | null, object_id: string | null, user_id: string | null, entity: string | null, search: string | null, };

export type CopyReceipt = { clears_in_seconds: number, };

export type ExportReceipt = { path: string, collection_path: string, };

export type ArchiveSummary = { users: number, locations: number, keys: number, tokens: number, webhooks: number, audit_events: number, 
/**
 * Every row of every table, the settings included.
 */
rows: number, };

export type BackupReceipt = { path: string, summary: ArchiveSummary, };

export type Progress = { done: number, total: number, };

export type LocalApiStatus = { enabled: boolean, 
/**
 * "127.0.0.1:7420" while serving.
 */
listening: string | null, 
/**
 * Why it is not serving, e.g. "port 7420 is in use — …".
 */
error: string | null, };

export type AppStatus = { version: string, data_dir: string, 
/**
 * "keychain" or "file".
 */
master_key_source: string | null, 
/**
 * Why keys cannot be copied, if they cannot.
 */
master_key_problem: string | null, 
/**
 * The last notification error, if the notification server did not answer.
 */
notification_problem: string | null, 
/**
 * Why the database could not be opened, if it could not.
 */
startup_problem: string | null, 
/**
 * The loopback HTTP API: listening where, or why not.
 */
local_api: LocalApiStatus, };

export type WebhookView = { id: string, user_id: string, 
/**
 * The site manager's name, as the screens show them.
 */
user_name: string, user_email: string, url: string, entity: string, operation: string, status: WebhookState, allow_private: boolean, masked_secret: string, created_at: string, 
/**
 * Why Keyward turned it off by itself.
 */
off_reason: string | null, 
/**
 * Why nothing is sent although it is on (its site manager is deactivated or has API
 * access off).
 */
paused_reason: string | null, 
/**
 * Messages waiting for delivery or a retry.
 */
pending: number, };

export type CreatedWebhook = { secret: string, id: string, user_id: string, 
/**
 * The site manager's name, as the screens show them.
 */
user_name: string, user_email: string, url: string, entity: string, operation: string, status: WebhookState, allow_private: boolean, masked_secret: string, created_at: string, 
/**
 * Why Keyward turned it off by itself.
 */
off_reason: string | null, 
/**
 * Why nothing is sent although it is on (its site manager is deactivated or has API
 * access off).
 */
paused_reason: string | null, 
/**
 * Messages waiting for delivery or a retry.
 */
pending: number, };

export type DeliveryView = { id: string, at: string, message_id: string, event_type: string, attempt: number, status_code: number | null, error: string | null, outcome: DeliveryOutcome, next_retry_at: string | null, };

export type NewWebhookInput = { 
/**
 * The site manager's id or email.
 */
user: string, url: string, entity: string, operation: string, 
/**
 * Lets the URL point at loopback or a private network.
 */
allow_private: boolean, };

export type ManagementTokenView = { id: string, name: string, 
/**
 * The site manager the token acts as.
 */
owner: OwnerView, masked_token: string, 
/**
 * `active`, `expired` or `revoked`.
 */
status: string, created_at: string, expires_at: string | null, };

export type CreatedManagementToken = { token: string, id: string, name: string, 
/**
 * The site manager the token acts as.
 */
owner: OwnerView, masked_token: string, 
/**
 * `active`, `expired` or `revoked`.
 */
status: string, created_at: string, expires_at: string | null, };

export type Session = { 
/**
 * The acting site manager; `null` for a store's local owner who has not said who
 * they are.
 */
user: UserView | null, 
/**
 * `admin` (may do everything) or `manager` (their own keys, tokens and webhooks).
 */
role: string, 
/**
 * Where the store is: `this computer` or the server's address.
 */
store: string, };

export type ConnectionView = { 
/**
 * The team server's address; `null` for this computer's store.
 */
server: string | null, 
/**
 * "This computer", or the server's host: what the window title says.
 */
label: string, 
/**
 * Who acts, with which role; `null` when the store cannot be reached.
 */
session: Session | null, 
/**
 * Why the store cannot be reached, if it cannot.
 */
problem: string | null, 
/**
 * This computer's store is new and does not know who owns it: the app asks before
 * anything else.
 */
owner_needed: boolean, 
/**
 * This computer's store has site managers but was never told which one sits here:
 * the app asks once, and "Not now" is an answer.
 */
owner_unknown: boolean, };

/** The limits forms hint at as the user types; Rust decides on save. */
export const RULES: Rules = {
  "name_max": 100,
  "max_reminders": 5,
  "inactivity_days": {
    "min": 0,
    "max": 3650
  },
  "token_lifetime_days": {
    "min": 1,
    "max": 3650
  },
  "clipboard_clear_seconds": {
    "min": 0,
    "max": 3600
  },
  "local_api_port": {
    "min": 1024,
    "max": 65535
  },
  "max_live_tokens": {
    "min": 1,
    "max": 10000
  },
  "passphrase_min": 12,
  "notes_max": 1000,
  "tags_max": 10,
  "keep_deleted_days": 30
};

/** Every IPC command, as src-tauri/commands/list.rs declares them. */
export const COMMANDS = [
  "app_status",
  "key_list_shown",
  "list_users",
  "add_user",
  "edit_user",
  "set_user_active",
  "set_api_access",
  "user_impact",
  "clear_user_keys",
  "list_locations",
  "add_location",
  "rename_location",
  "list_keys",
  "get_key",
  "create_key",
  "rename_key",
  "edit_key",
  "key_usage",
  "regenerate_key",
  "set_key_disabled",
  "keep_key",
  "delete_key",
  "deleted_keys",
  "restore_key",
  "purge_deleted_key",
  "copy_key",
  "copy_key_as_curl",
  "export_postman",
  "create_token",
  "copy_token",
  "list_tokens",
  "revoke_token",
  "list_audit",
  "copy_id",
  "get_settings",
  "update_settings",
  "send_test_email",
  "back_up_store",
  "restore_store",
  "expiring_soon",
  "recent_reminders",
  "run_lifecycle",
  "list_webhooks",
  "add_webhook",
  "set_webhook_active",
  "remove_webhook",
  "test_webhook",
  "webhook_deliveries",
  "copy_webhook_secret",
  "connection_status",
  "connect_server",
  "use_this_computer",
  "claim_ownership",
  "decline_ownership",
  "list_management_tokens",
  "create_management_token",
  "revoke_management_token",
] as const;

export type Command = (typeof COMMANDS)[number];

/** Every code an IPC error can carry. */
export type ErrorCode = "INVALID_INPUT" | "NOT_FOUND" | "EMAIL_TAKEN" | "KEY_IN_USE" | "API_ACCESS_OFF" | "USER_DEACTIVATED" | "REVOKED" | "DISABLED" | "DATABASE_LOCKED" | "SCHEMA_TOO_NEW" | "MASTER_KEY_UNAVAILABLE" | "WEBHOOK_OFF" | "DATABASE_CORRUPT" | "STORAGE_ERROR" | "DISK_FULL" | "DATABASE_MISSING" | "TOO_MANY_TOKENS" | "RATE_LIMITED" | "DATABASE_UNAVAILABLE" | "NEEDS_MIGRATION" | "UNAUTHORIZED" | "FORBIDDEN" | "CONFIRMATION_REQUIRED" | "SERVER_UNAVAILABLE" | "SERVER_ERROR" | "PORT_IN_USE" | "BIND_FAILED" | "SERVER_ERROR" | "EXPORT_FAILED" | "CLIPBOARD_UNAVAILABLE" | "IO_ERROR" | "INTERNAL";

/** Every IPC error: branch on `code`, show `message`; `field` names the form input an
 * INVALID_INPUT error is about. */
export type IpcError = { code: ErrorCode; message: string; field?: string };
