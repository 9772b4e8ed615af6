// Test data shaped like the Rust views.
import type {
  AppStatus,
  ConnectionView,
  DeliveryView,
  KeyPage,
  KeyView,
  ManagementTokenView,
  Settings,
  UsageDay,
  UserView,
  WebhookView,
} from "./ipc";

export const NOW = Date.parse("2025-08-20T12:00:00Z");

export function hoursAgo(h: number): string {
  return new Date(NOW - h * 3_600_000).toISOString();
}

/** app_status of a store that opened, its master key in a file. */
export function makeAppStatus(over: Partial<AppStatus> = {}): AppStatus {
  return {
    version: "0.1.0",
    data_dir: "/home/ada/.local/share/com.keyward.desktop",
    master_key_source: "file",
    master_key_problem: null,
    notification_problem: null,
    startup_problem: null,
    local_api: { enabled: true, listening: "127.0.0.1:7420", error: null },
    ...over,
  };
}

/** The settings a new store starts with. */
export function makeSettings(over: Partial<Settings> = {}): Settings {
  return {
    inactivity_days: 90,
    reminder_days: [15, 7, 1],
    token_lifetime_days: 365,
    token_reminder_days: [30, 7, 1],
    clipboard_clear_seconds: 30,
    local_api_enabled: true,
    local_api_port: 7420,
    launch_at_login: false,
    close_to_tray: true,
    notifications: true,
    max_live_tokens: 100,
    smtp_url: "",
    smtp_from: "",
    ...over,
  };
}

export function makeKey(over: Partial<KeyView> = {}): KeyView {
  return {
    id: "key_01",
    name: "Marketing Automation",
    masked_key: "kwa_AbCd…wxyz",
    owner: { id: "usr_1", name: "Ada Lovelace", email: "ada@example.org" },
    scope: { type: "agency" },
    status: "active",
    created_at: "2025-01-02T10:00:00Z",
    last_used_at: null,
    deletes_at: null,
    deletes_in_days: null,
    deletes_in: null,
    deletion_scheduled: false,
    deletion_near: false,
    in_use: false,
    live_tokens: 0,
    grace_until: null,
    expires_at: null,
    expiry_near: false,
    keep_always: false,
    notes: "",
    tags: [],
    permissions: ["*"],
    rate: null,
    ...over,
  };
}

export function makeUser(over: Partial<UserView> = {}): UserView {
  return {
    id: "usr_1",
    name: "Ada Lovelace",
    email: "ada@example.org",
    role: "admin",
    active: true,
    api_access: true,
    created_at: "2025-01-01T00:00:00Z",
    keys: 0,
    ...over,
  };
}

export function makeWebhook(over: Partial<WebhookView> = {}): WebhookView {
  return {
    id: "whk_01",
    user_id: "usr_1",
    user_name: "Ada Lovelace",
    user_email: "ada@example.org",
    url: "https://example.com/keyward-events",
    entity: "api_key",
    operation: "*",
    status: "on",
    allow_private: false,
    masked_secret: "whsec_…Wxyz",
    created_at: "2025-08-01T09:00:00Z",
    off_reason: null,
    paused_reason: null,
    pending: 0,
    ...over,
  };
}

export function makeDelivery(over: Partial<DeliveryView> = {}): DeliveryView {
  return {
    id: "dlv_01",
    at: hoursAgo(1),
    message_id: "msg_01",
    event_type: "api_key.created",
    attempt: 1,
    status_code: 200,
    error: null,
    outcome: "delivered",
    next_retry_at: null,
    ...over,
  };
}

/** Thirty days without a verification. */
export function quietMonth(): number[] {
  return Array.from({ length: 30 }, () => 0);
}

/** Rust's answer to list_keys for `keys` (in the order Rust would sort them): the page asked for. */
export function pageOf(keys: KeyView[], args: unknown, total = keys.length): KeyPage {
  const { offset = 0, limit = 100 } = (args ?? {}) as { offset?: number; limit?: number };
  const start = Math.min(offset, keys.length);
  const rows = keys.slice(start, start + limit);
  return { matching: keys.length, total, offset: start, rows, usage: Object.fromEntries(rows.map((k) => [k.id, quietMonth()])) };
}

/** What connection_status answers by default: this computer's store, its owner known. */
export function makeConnection(over: Partial<ConnectionView> = {}): ConnectionView {
  return {
    server: null,
    label: "This computer",
    session: { user: null, role: "admin", store: "this computer" },
    problem: null,
    owner_needed: false,
    owner_unknown: false,
    ...over,
  };
}

/** Connected to a team server as `user`, with `role`. */
export function serverConnection(user: UserView = makeUser(), role = user.role): ConnectionView {
  return makeConnection({
    server: "https://keys.example.org",
    label: "keys.example.org",
    session: { user, role, store: "https://keys.example.org" },
  });
}

export function makeManagementToken(over: Partial<ManagementTokenView> = {}): ManagementTokenView {
  return {
    id: "mgt_01",
    name: "Deploy script",
    owner: { id: "usr_1", name: "Ada Lovelace", email: "ada@example.org" },
    masked_token: "kwm_AbCd…wxyz",
    status: "active",
    created_at: "2025-08-01T12:00:00Z",
    expires_at: "2025-10-30T12:00:00Z",
    ...over,
  };
}

/**
 * key_usage's answer: `days` days, oldest first, the last one NOW's; `recent` gives the
 * counts of the newest days (its last entry is today), every other day is empty.
 */
export function makeUsage(recent: { valid?: number; failed?: Record<string, number> }[] = [], days = 30): UsageDay[] {
  const today = Date.parse(new Date(NOW).toISOString().slice(0, 10));
  return Array.from({ length: days }, (_, i) => {
    const counts = recent[recent.length - days + i] ?? {};
    return {
      date: new Date(today - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10),
      valid: counts.valid ?? 0,
      failed: counts.failed ?? {},
    };
  });
}
