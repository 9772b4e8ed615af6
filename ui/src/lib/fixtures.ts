// Test data shaped like the Rust views.
import type { KeyView, UserView } from "./ipc";

export const NOW = Date.parse("2025-08-20T12:00:00Z");

export function hoursAgo(h: number): string {
  return new Date(NOW - h * 3_600_000).toISOString();
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
    deletion_scheduled: false,
    in_use: false,
    live_tokens: 0,
    grace_until: null,
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
