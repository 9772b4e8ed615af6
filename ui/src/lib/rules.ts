// The UI's rules as pure functions: what a dialog allows, what a badge says, which rows
// the virtual list renders. Components only wire these to the DOM, so they are tested here.
import { RULES } from "./ipc";
import type {
  Grace,
  IpcError,
  KeyEdit,
  KeyPolicyInput,
  KeySort,
  KeyView,
  Range,
  ScopeView,
  Session,
  Settings,
  TokenLifetime,
  UserView,
  CopyReceipt,
  UsageDay,
} from "./ipc";

/** The longest name, from Rust's rules. */
export const NAME_MAX = RULES.name_max;

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------- time

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "Never", "just now", "5 minutes ago", "3 hours ago", "2 days ago", "4 months ago". */
export function timeAgo(iso: string | null | undefined, now: number | Date): string {
  if (!iso) return "Never";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "Never";
  const nowMs = typeof now === "number" ? now : now.getTime();
  const d = nowMs - t;
  // Within a minute either way: a clock a little behind the one that stamped the event.
  // The rule is keyward-core's `ago`; relative-times.json holds the cases both pass.
  if (Math.abs(d) < MINUTE) return "just now";
  if (d < 0) return `in ${timeSpan(-d)}`;
  return `${timeSpan(d)} ago`;
}

function timeSpan(ms: number): string {
  if (ms < HOUR) return plural(Math.max(1, Math.floor(ms / MINUTE)), "minute");
  if (ms < DAY) return plural(Math.floor(ms / HOUR), "hour");
  if (ms < 30 * DAY) return plural(Math.floor(ms / DAY), "day");
  if (ms < 365 * DAY) return plural(Math.floor(ms / (30 * DAY)), "month");
  return plural(Math.floor(ms / (365 * DAY)), "year");
}

/** "12 Aug 2025" in the user's time zone. */
export function shortDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "—";
  return new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric" }).format(t);
}

/** "6 Dec" in the user's time zone (or `timeZone`): a date this year or next, said short. */
export function shortDay(iso: string, timeZone?: string): string {
  return new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone }).format(Date.parse(iso));
}

/** "12 Aug 2025, 14:05" in the user's time zone. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "—";
  return new Intl.DateTimeFormat("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(t);
}

// ---------------------------------------------------------------------------- status

export type KeyStatus = KeyView["status"];
export type Tone = "ok" | "muted" | "warn" | "danger";

export const STATUS_LABELS: Record<KeyStatus, string> = {
  active: "Active",
  disabled: "Disabled",
  access_off: "Access off",
  owner_deactivated: "Owner deactivated",
  revoked: "Revoked",
  expired: "Expired",
};

const STATUS_TONES: Record<KeyStatus, Tone> = {
  active: "ok",
  disabled: "muted",
  access_off: "warn",
  owner_deactivated: "warn",
  revoked: "danger",
  // Like an expired token: the key's chosen end came, nothing went wrong.
  expired: "muted",
};

/** The status filter's choices: the key statuses plus two derived ones. */
export const STATUS_FILTERS: { value: string; label: string }[] = [
  { value: "active", label: "Active" },
  { value: "disabled", label: "Disabled" },
  { value: "access_off", label: "Access off" },
  { value: "owner_deactivated", label: "Owner deactivated" },
  { value: "revoked", label: "Revoked" },
  { value: "expired", label: "Expired" },
  { value: "expiring", label: "Expiring soon" },
  { value: "in_use", label: "In use" },
];

export function deletesInText(days: number): string {
  if (days <= 0) return "Deletes today";
  return `Deletes in ${plural(days, "day")}`;
}

/** A key's expiry shows in the list this many days ahead. */
/**
 * When a key whose end is near stops working; null otherwise. Whether it is near (as near
 * as its first reminder, neither revoked nor expired) is the core's rule: `expiry_near`.
 */
export function expiresSoon(key: Pick<KeyView, "expiry_near" | "expires_at">): number | null {
  if (!key.expiry_near || !key.expires_at) return null;
  const at = Date.parse(key.expires_at);
  return Number.isNaN(at) ? null : at;
}

/** "31 Mar 2027 · in 20 days", "31 Mar 2027 · expired", or "Never". */
export function expiryText(expiresAt: string | null, now: number): string {
  if (!expiresAt) return "Never";
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return "Never";
  return `${shortDate(expiresAt)} · ${at <= now ? "expired" : timeAgo(expiresAt, now)}`;
}

/**
 * The badge of a key: a near deletion outranks every status but Revoked, because it is
 * what the site manager must act on (Keep) before the key is gone; a key whose end is near
 * (`expiry_near`) says when (given `now`), and an earlier expiry outranks the deletion.
 */
export function statusBadge(
  key: Pick<
    KeyView,
    | "status"
    | "deletes_in_days"
    | "deletes_in"
    | "deletion_near"
    | "grace_until"
    | "keep_always"
    | "expires_at"
    | "expiry_near"
  >,
  now?: number,
  timeZone?: string,
): {
  text: string;
  tone: Tone;
  detail: string | null;
} {
  const expiry = now === undefined ? null : expiresSoon(key);
  const expiring = () => ({
    text: `Expires ${shortDay(new Date(expiry!).toISOString(), timeZone)}`,
    tone: "warn" as Tone,
    detail: key.status === "active" ? null : STATUS_LABELS[key.status],
  });
  // Whether the deletion is near enough to show is the core's rule (`deletion_near`); a
  // key kept always has none, whatever a stale row says.
  if (key.deletion_near && !key.keep_always) {
    if (expiry !== null && expiry - now! < (key.deletes_in_days ?? 0) * DAY) return expiring();
    return {
      // Rust's phrase ("in 6 days", "in 25 hours") when it sent one: the same words as the
      // reminders and the Expiring soon list.
      text: key.deletes_in ? `Deletes ${key.deletes_in}` : deletesInText(key.deletes_in_days ?? 0),
      tone: (key.deletes_in_days ?? 0) <= 1 ? "danger" : "warn",
      detail: key.status === "active" ? null : STATUS_LABELS[key.status],
    };
  }
  // A regeneration's grace: the key works, and so does its previous secret until then.
  if (key.status === "active" && key.grace_until) {
    return { text: "Rotating", tone: "warn", detail: `old key until ${dayTime(key.grace_until)}` };
  }
  if (expiry !== null) return expiring();
  return { text: STATUS_LABELS[key.status] ?? key.status, tone: STATUS_TONES[key.status] ?? "muted", detail: null };
}

/** "3 Dec, 18:18" in the user's time zone (or `timeZone`). */
export function dayTime(iso: string, timeZone?: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
    timeZone,
  }).format(Date.parse(iso));
}

/** Whether a row is shown dimmed: the key does not work now (disabled, access off…). */
export function rowDimmed(key: Pick<KeyView, "status">): boolean {
  return key.status !== "active";
}

export function scopeLabel(scope: ScopeView): string {
  if (scope.type === "agency") return "Agency";
  return scope.name ?? scope.location_id;
}

// ---------------------------------------------------------------------------- copy

export function copiedText(receipt: CopyReceipt, what = "Copied"): string {
  if (receipt.clears_in_seconds > 0) return `${what} — the clipboard clears in ${receipt.clears_in_seconds} s`;
  return `${what} to the clipboard`;
}

// ---------------------------------------------------------------------------- create

export type Eligibility = { selectable: boolean; reason: string | null };

/** Only an active site manager with API access can own a new key. */
export function ownerEligibility(user: Pick<UserView, "active" | "api_access">): Eligibility {
  if (!user.active) return { selectable: false, reason: "deactivated" };
  if (!user.api_access) return { selectable: false, reason: "API access off" };
  return { selectable: true, reason: null };
}

/** Whether any site manager could own a new key: if none can, adding one comes first. */
export function canOwnKeys(users: Pick<UserView, "active" | "api_access">[]): boolean {
  return users.some((u) => ownerEligibility(u).selectable);
}

/** A text's length as a counter shows it and Rust limits it: trimmed, in characters
 * (code points), so an emoji counts once. */
export function charCount(text: string): number {
  return [...text.trim()].length;
}

/** The problem with a descriptive name, or null. Mirrors the core's rule. */
export function nameProblem(name: string, max = NAME_MAX): string | null {
  const t = name.trim();
  if (t.length === 0) return "Give the key a descriptive name.";
  const len = charCount(t);
  if (len > max) return `The name is ${len} characters long — keep it to ${max}.`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(t)) return "The name contains control characters — use plain text.";
  return null;
}

export type CreateInput = { owner: string; name: string };
export type CreateErrors = { owner?: string; name?: string };

export function validateCreate(
  input: CreateInput,
  users: Pick<UserView, "id" | "active" | "api_access" | "name">[],
): CreateErrors {
  const errors: CreateErrors = {};
  const owner = users.find((u) => u.id === input.owner);
  if (!input.owner || !owner) {
    errors.owner = "Choose the site manager who owns the key.";
  } else {
    const e = ownerEligibility(owner);
    if (!e.selectable) errors.owner = `${owner.name} cannot own keys: ${e.reason}.`;
  }
  const n = nameProblem(input.name);
  if (n) errors.name = n;
  return errors;
}

export function hasErrors(errors: object): boolean {
  return Object.values(errors).some((v) => v !== undefined && v !== null && v !== "");
}

// ---------------------------------------------------------------------------- policy

/** The longest notes, in characters (Rust decides on save). */
export const NOTES_MAX = RULES.notes_max;
/** The most tags a key may have. */
export const TAGS_MAX = RULES.tags_max;
/** How many days a deleted key can be restored from Recently deleted. */
export const KEEP_DELETED_DAYS = RULES.keep_deleted_days;

/** "contacts:read, events:*" or "contacts:read events:*" → each once, in order. */
export function splitWords(text: string): string[] {
  return [...new Set(text.split(/[,\s]+/).map((w) => w.trim()).filter((w) => w !== ""))];
}

/** "Zapier, CRM sync" → ["zapier", "crm sync"]: comma-separated, lower-cased as Rust
 * stores them, each once. A tag with a space stays one, for Rust to refuse by name. */
export function splitTags(text: string): string[] {
  return [...new Set(text.split(",").map((t) => t.trim().toLowerCase()).filter((t) => t !== ""))];
}

export type ExpiryChoice = "never" | "30d" | "90d" | "1y" | "date";

export const EXPIRY_CHOICES: { value: ExpiryChoice; label: string }[] = [
  { value: "never", label: "Never" },
  { value: "30d", label: "30 days" },
  { value: "90d", label: "90 days" },
  { value: "1y", label: "1 year" },
  { value: "date", label: "On a date…" },
];

/** What the create dialog's "More options" hold, as typed. */
export type PolicyForm = {
  expires: ExpiryChoice;
  /** `yyyy-mm-dd`, when `expires` is "date". */
  expiresDate: string;
  permissionsMode: "all" | "only";
  permissions: string;
  rate: string;
  notes: string;
  tags: string;
  keepAlways: boolean;
};

export const DEFAULT_POLICY: PolicyForm = {
  expires: "never",
  expiresDate: "",
  permissionsMode: "all",
  permissions: "",
  rate: "",
  notes: "",
  tags: "",
  keepAlways: false,
};

export type PolicyField = "expires" | "permissions" | "rate" | "notes" | "tags";

/**
 * What only the form can know is missing: a date for "On a date…", a permission for
 * "Only these" (an empty list would mean everything). The rest is Rust's to check.
 */
export function policyProblems(f: PolicyForm): Partial<Record<PolicyField, string>> {
  const errors: Partial<Record<PolicyField, string>> = {};
  if (f.expires === "date" && !/^\d{4}-\d{2}-\d{2}$/.test(f.expiresDate)) errors.expires = "Pick the day the key stops working.";
  if (f.permissionsMode === "only" && splitWords(f.permissions).length === 0)
    errors.permissions = "List at least one permission, or choose Everything.";
  return errors;
}

/** The policy create_key gets: null when every option is left as it was. */
export function policyInput(f: PolicyForm): KeyPolicyInput | null {
  const input: KeyPolicyInput = {
    expires: f.expires === "never" ? null : f.expires === "date" ? f.expiresDate : f.expires,
    permissions: f.permissionsMode === "only" ? splitWords(f.permissions) : [],
    rate: f.rate.trim() || null,
    notes: f.notes.trim(),
    tags: splitTags(f.tags),
    keep_always: f.keepAlways,
  };
  const untouched =
    input.expires === null &&
    input.permissions.length === 0 &&
    input.rate === null &&
    input.notes === "" &&
    input.tags.length === 0 &&
    !input.keep_always;
  return untouched ? null : input;
}

/** A key's policy as the detail's edit form holds it. */
export type PolicyEditForm = Pick<PolicyForm, "permissionsMode" | "permissions" | "rate" | "notes" | "tags">;

export function policyEditForm(key: Pick<KeyView, "permissions" | "rate" | "notes" | "tags">): PolicyEditForm {
  const all = key.permissions.length === 0 || key.permissions.includes("*");
  return {
    permissionsMode: all ? "all" : "only",
    permissions: all ? "" : key.permissions.join(", "),
    rate: key.rate ?? "",
    notes: key.notes,
    tags: key.tags.join(", "),
  };
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The edit_key changes for what the form changed, each other field null (unchanged), so
 * an edit elsewhere meanwhile is not undone; null when nothing changed.
 */
export function policyEdit(
  key: Pick<KeyView, "permissions" | "rate" | "notes" | "tags">,
  f: PolicyEditForm,
): KeyEdit | null {
  const edit: KeyEdit = { name: null, notes: null, tags: null, permissions: null, rate: null, keep_always: null };
  if (f.notes.trim() !== key.notes) edit.notes = f.notes.trim();
  const tags = splitTags(f.tags);
  if (!sameList(tags, key.tags)) edit.tags = tags;
  const permissions = f.permissionsMode === "all" ? ["*"] : splitWords(f.permissions);
  if (!sameList(permissions, key.permissions)) edit.permissions = permissions;
  const rate = f.rate.trim();
  if (rate !== (key.rate ?? "")) edit.rate = rate === "" ? "none" : rate;
  return Object.values(edit).every((v) => v === null) ? null : edit;
}

/** The permissions as chips: "Everything" for `*`. */
export function permissionChips(permissions: string[]): string[] {
  return permissions.length === 0 || permissions.includes("*") ? ["Everything"] : permissions;
}

/** At most `max` tags, and how many more there are. */
export function someTags(tags: string[], max = 3): { shown: string[]; more: number } {
  return { shown: tags.slice(0, max), more: Math.max(0, tags.length - max) };
}

// ---------------------------------------------------------------------------- regenerate

export const GRACE_OPTIONS: { value: Grace; label: string; after: string }[] = [
  { value: "0", label: "Immediately", after: "immediately" },
  { value: "1h", label: "After 1 hour", after: "after 1 hour" },
  { value: "24h", label: "After 24 hours", after: "after 24 hours" },
  { value: "7d", label: "After 7 days", after: "after 7 days" },
];

const GRACE_MS: Record<Grace, number> = { "0": 0, "1h": HOUR, "24h": DAY, "7d": 7 * DAY };

/**
 * The grace a regeneration offers first: 24 hours for a key in use (live tokens, or used
 * within the last 30 days), so one click never cuts off a working integration; for a key
 * nothing uses, immediately.
 */
export function defaultGrace(key: Pick<KeyView, "in_use" | "live_tokens">): Grace {
  return key.in_use || key.live_tokens > 0 ? "24h" : "0";
}

/** "The old key works until 21 Aug, 12:00." for a grace period from `now`; null for none. */
export function regenCutoff(grace: Grace, now: number | Date, timeZone?: string): string | null {
  const ms = GRACE_MS[grace];
  if (!ms) return null;
  const from = typeof now === "number" ? now : now.getTime();
  return `The old key works until ${dayTime(new Date(from + ms).toISOString(), timeZone)}.`;
}

/** "The current key and its 3 live tokens will stop working after 24 hours." */
export function regenImpact(liveTokens: number, grace: Grace): string {
  const when = GRACE_OPTIONS.find((g) => g.value === grace)?.after ?? "immediately";
  const what =
    liveTokens > 0
      ? `The current key and its ${plural(liveTokens, "live token")} will`
      : "The current key will";
  return `${what} stop working ${when}.`;
}

// ---------------------------------------------------------------------------- delete

type DeleteFacts = Pick<KeyView, "name" | "in_use" | "last_used_at" | "live_tokens">;

/**
 * The red warning of the delete dialog for a key in use, or null:
 * "Marketing Automation was used 2 hours ago and has 3 live tokens — deleting it will
 * break live connections."
 */
export function deleteWarning(key: DeleteFacts, now: number | Date): string | null {
  if (!key.in_use) return null;
  const facts: string[] = [];
  if (key.last_used_at) facts.push(`was used ${timeAgo(key.last_used_at, now)}`);
  if (key.live_tokens > 0) facts.push(`has ${plural(key.live_tokens, "live token")}`);
  const what = facts.length > 0 ? `${key.name} ${facts.join(" and ")}` : `${key.name} is in use`;
  return `${what} — deleting it will break live connections.`;
}

/** A key in use is deleted only once its exact name is typed; any other, at once. */
export function deleteConfirmation(
  key: Pick<KeyView, "name" | "in_use">,
  typed: string,
): { needsName: boolean; ok: boolean } {
  if (!key.in_use) return { needsName: false, ok: true };
  return { needsName: true, ok: typed.trim() === key.name.trim() && typed.trim() !== "" };
}

// ---------------------------------------------------------------------------- list

export type KeyFilters = {
  search: string;
  owner: string; // "" = everyone
  scope: string; // "" = every scope, "agency", or a location id
  status: string; // "" = any, a status, "expiring" or "in_use"
};

export const NO_FILTERS: KeyFilters = { search: "", owner: "", scope: "", status: "" };

export type RowAction = "copy" | "curl" | "postman" | "token" | "regenerate" | "toggle" | "keep" | "delete";

export type { SortColumn } from "./bindings";
/** The keys list's order; Rust sorts (the key id breaks ties). */
export type Sort = KeySort;
/** What needs a look first (Rust's "attention" order): coming deletions, rotations, keys that don't work. */
export const DEFAULT_SORT: Sort = { column: "attention", dir: "asc" };

export type VirtualWindow = {
  /** First row to render. */
  start: number;
  /** One past the last row to render. */
  end: number;
  /** Height of the whole list, so the scrollbar is right. */
  total: number;
};

/** The rows to render for a scroll offset: the visible ones plus `overscan` each side. */
export function virtualWindow(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  count: number,
  overscan = 8,
): VirtualWindow {
  const total = count * rowHeight;
  if (count === 0 || rowHeight <= 0) return { start: 0, end: 0, total };
  const top = Math.max(0, Math.min(scrollTop, Math.max(0, total - viewportHeight)));
  const first = Math.floor(top / rowHeight);
  const visible = Math.ceil(Math.max(viewportHeight, rowHeight) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + visible + overscan);
  return { start, end, total };
}

// ---------------------------------------------------------------------------- settings

/** "15, 7, 1" → [15, 7, 1]; a problem as text otherwise. */
export function parseDayList(text: string): { days: number[] } | { error: string } {
  const parts = text
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const days: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return { error: `'${p}' is not a whole number of days.` };
    days.push(Number(p));
  }
  return { days: [...new Set(days)].sort((a, b) => b - a) };
}

export type SettingsForm = {
  inactivity_days: number | null;
  reminder_days: string;
  token_lifetime_days: number | null;
  token_reminder_days: string;
  clipboard_clear_seconds: number | null;
  local_api_enabled: boolean;
  local_api_port: number | null;
  launch_at_login: boolean;
  close_to_tray: boolean;
  notifications: boolean;
  max_live_tokens: number | null;
  smtp_url: string;
  smtp_from: string;
};

export function settingsToForm(s: Settings): SettingsForm {
  return {
    ...s,
    reminder_days: s.reminder_days.join(", "),
    token_reminder_days: s.token_reminder_days.join(", "),
  };
}

/** The form as Settings, or the problem of each field the user must fix. */
export function formToSettings(
  f: SettingsForm,
): { settings: Settings; errors: null } | { settings: null; errors: Partial<Record<keyof Settings, string>> } {
  const errors: Partial<Record<keyof Settings, string>> = {};
  // The ranges are Rust's (RULES, generated from keyward-core): these are only hints.
  const whole = (v: number | null, key: keyof Settings & keyof typeof RULES): number => {
    const { min, max } = RULES[key] as Range;
    if (v === null || !Number.isInteger(v) || v < min || v > max) {
      errors[key] = `Enter a whole number from ${min} to ${max}.`;
      return 0;
    }
    return v;
  };
  const inactivity = whole(f.inactivity_days, "inactivity_days");
  const lifetime = whole(f.token_lifetime_days, "token_lifetime_days");
  const clear = whole(f.clipboard_clear_seconds, "clipboard_clear_seconds");
  const port = whole(f.local_api_port, "local_api_port");
  const maxTokens = whole(f.max_live_tokens, "max_live_tokens");
  const days = (text: string, key: keyof Settings, limit: number): number[] => {
    const r = parseDayList(text);
    if ("error" in r) {
      errors[key] = r.error;
      return [];
    }
    if (r.days.length > RULES.max_reminders) errors[key] = `At most ${RULES.max_reminders} reminders.`;
    else if (limit > 0 && r.days.some((d) => d < 1 || d >= limit))
      errors[key] = `Each reminder must be at least 1 day and less than ${limit} days before.`;
    return r.days;
  };
  const reminder = days(f.reminder_days, "reminder_days", inactivity);
  const tokenReminder = days(f.token_reminder_days, "token_reminder_days", lifetime);
  // Rust checks these in full (and never repeats a password); these are only hints.
  const smtpUrl = f.smtp_url.trim();
  const smtpFrom = f.smtp_from.trim();
  if (smtpUrl && !/^smtps?:\/\//i.test(smtpUrl))
    errors.smtp_url = "Start with smtp:// or smtps://, or leave empty to send no email.";
  if (smtpFrom && !smtpFrom.includes("@"))
    errors.smtp_from = "Enter an address, or a name and an address: Keyward <keyward@example.com>.";
  if (hasErrors(errors)) return { settings: null, errors };
  return {
    settings: {
      inactivity_days: inactivity,
      reminder_days: reminder,
      token_lifetime_days: lifetime,
      token_reminder_days: tokenReminder,
      clipboard_clear_seconds: clear,
      local_api_enabled: f.local_api_enabled,
      local_api_port: port,
      launch_at_login: f.launch_at_login,
      close_to_tray: f.close_to_tray,
      notifications: f.notifications,
      max_live_tokens: maxTokens,
      smtp_url: smtpUrl,
      smtp_from: smtpFrom,
    },
    errors: null,
  };
}


// ---------------------------------------------------------------- activity, for people

const ID = String.raw`\b[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}\b`;
const ISO_TIME = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})/g;

/**
 * An audit summary as a sentence for people: ids taken out (returned apart, for a copy
 * button), timestamps in the app's date format, names in curly quotes, a capital first.
 * "generated token tok_01… (kwt_ab…wxyz) from API key 'Zapier', expires 2026-12-03T18:18:00Z"
 * reads "Generated token kwt_ab…wxyz from API key “Zapier”, expires 3 Dec 2026, 18:18".
 */
export function plainSummary(summary: string): { text: string; ids: string[] } {
  const ids = [...summary.matchAll(new RegExp(ID, "g"))].map((m) => m[0]);
  const text = summary
    // "tok_… (kwt_ab…wxyz)": the masked form alone says which.
    .replace(new RegExp(`${ID}\\s+\\(([^()]+)\\)`, "g"), "$1")
    .replace(new RegExp(`\\s*[([]${ID}[)\\]]`, "g"), "")
    .replace(new RegExp(`\\s*${ID}`, "g"), "")
    .replace(ISO_TIME, (iso) => dateTime(iso))
    // 'O'Brien form' stays one name: a closing quote is followed by a space, a stop or the end.
    .replace(/(^|[\s(])'(.+?)'(?=[\s,;.:)]|$)/g, "$1“$2”")
    .replace(/\s{2,}/g, " ")
    .replace(/\s+([,;.])/g, "$1")
    .trim();
  return { text: text.charAt(0).toUpperCase() + text.slice(1), ids: [...new Set(ids)] };
}

export const ENTITY_LABELS: Record<string, string> = {
  api_key: "API key",
  token: "Token",
  user: "Site manager",
  location: "Location",
  settings: "Settings",
  webhook: "Webhook",
  verification: "Verification",
  store: "Database",
};

/** "api_key" + "keys_cleared" → { what: "API key", did: "keys cleared" }. */
export function auditKind(entity: string, operation: string): { what: string; did: string } {
  return {
    what: ENTITY_LABELS[entity] ?? entity.replace(/_/g, " "),
    did: operation.replace(/_/g, " "),
  };
}

const CHANNELS: Record<string, string> = {
  desktop: "Desktop app",
  cli: "Command line",
  http: "Local API",
  lifecycle: "Automatic",
};

/** Who acted, as people say it: the site manager's name when known, and the channel. */
export function actorLabel(actor: string, name?: string | null): string {
  const channel = CHANNELS[actor] ?? actor;
  return name ? `${name} · ${channel}` : channel;
}

// ---------------------------------------------------------------- backups

/** What is wrong with a backup's passphrase and its confirmation, by field. */
export function backupProblems(
  passphrase: string,
  confirm: string,
  min: number,
): { passphrase?: string; confirm?: string } {
  if ([...passphrase].length < min) {
    return { passphrase: `At least ${min} characters: the passphrase is all that protects the keys in the backup.` };
  }
  if (confirm !== passphrase) return { confirm: "The two passphrases differ." };
  return {};
}

/** "3 site managers, 25 API keys, 4 tokens and 2 webhooks". */
export function archiveSummaryText(s: { users: number; keys: number; tokens: number; webhooks: number }): string {
  return `${plural(s.users, "site manager")}, ${plural(s.keys, "API key")}, ${plural(s.tokens, "token")} and ${plural(s.webhooks, "webhook")}`;
}

// ---------------------------------------------------------------- connection and access tokens

/**
 * Which field of the Connection form a refusal of connect_server belongs beside: the
 * address (a bad address, a server that cannot be reached or failed), the token (not a
 * kwm_ token, or refused), or neither (the whole form).
 */
export function connectProblemField(e: IpcError): "server" | "token" | null {
  switch (e.code) {
    case "INVALID_INPUT":
      if (e.field === "token") return "token";
      if (e.field === "server" || e.field === "url") return "server";
      return null;
    case "UNAUTHORIZED":
      return "token";
    case "SERVER_UNAVAILABLE":
    case "SERVER_ERROR":
      return "server";
    default:
      return null;
  }
}

/** "Ada Lovelace (admin)"; the local owner who has not said who they are is "you". */
export function actingAs(session: Session): string {
  return `${session.user?.name || session.user?.email || "you"} (${session.role})`;
}

/** The lifetimes offered for a new access token; Rust allows at most 366 days. */
export const TOKEN_LIFETIMES: { value: TokenLifetime; label: string }[] = [
  { value: "30d", label: "30 days" },
  { value: "90d", label: "90 days" },
  { value: "366d", label: "1 year" },
  { value: "never", label: "Never" },
];

export const DEFAULT_TOKEN_LIFETIME: TokenLifetime = "90d";

/** An access token's status as its badge says it. */
export function tokenStatusBadge(status: string): { text: string; tone: Tone } {
  switch (status) {
    case "active":
      return { text: "Active", tone: "ok" };
    case "expired":
      return { text: "Expired", tone: "muted" };
    case "revoked":
      return { text: "Revoked", tone: "danger" };
    default:
      return { text: status, tone: "muted" };
  }
}

// ---------------------------------------------------------------- usage

/** A failed verification's code as a legend says it. */
export const FAILURE_LABELS: Record<string, string> = {
  DISABLED: "Disabled",
  EXPIRED: "Expired",
  REVOKED: "Revoked",
  USER_DEACTIVATED: "Owner deactivated",
  API_ACCESS_OFF: "API access off",
  INSUFFICIENT_PERMISSIONS: "Missing permission",
  RATE_LIMITED: "Rate limited",
};

/** A code Rust adds later still reads: "SOME_CODE" → "Some code". */
export function failureLabel(code: string): string {
  const words = code.toLowerCase().replace(/_/g, " ");
  return FAILURE_LABELS[code] ?? words.charAt(0).toUpperCase() + words.slice(1);
}

/** One day's counts: valid, and failed of every code. */
export function dayCounts(d: UsageDay): { valid: number; failed: number } {
  return { valid: d.valid, failed: Object.values(d.failed).reduce((a, n) => a + n, 0) };
}

export type UsageTotals = {
  valid: number;
  failed: number;
  /** Each failure code seen, most frequent first. */
  codes: { code: string; count: number }[];
};

export function usageTotals(days: UsageDay[]): UsageTotals {
  let valid = 0;
  const byCode = new Map<string, number>();
  for (const d of days) {
    valid += Number(d.valid);
    for (const [code, n] of Object.entries(d.failed)) if (n > 0) byCode.set(code, (byCode.get(code) ?? 0) + n);
  }
  const codes = [...byCode].map(([code, count]) => ({ code, count }));
  codes.sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  return { valid, failed: codes.reduce((a, c) => a + c.count, 0), codes };
}

/** "312 valid and 4 failed verifications in 30 days". */
export function usageSummary(t: UsageTotals, days: number): string {
  return `${t.valid} valid and ${t.failed} failed verifications in ${plural(days, "day")}`;
}

/** A bar's hover title: "12 Aug: 10 valid, 2 failed (DISABLED ×2)". */
export function usageDayTitle(d: UsageDay): string {
  const { valid, failed } = dayCounts(d);
  const codes = Object.entries(d.failed)
    .filter(([, n]) => n > 0)
    .map(([code, n]) => `${code} ×${n}`);
  const day = shortDay(`${d.date}T00:00:00Z`, "UTC");
  return `${day}: ${valid} valid, ${failed} failed${codes.length ? ` (${codes.join(", ")})` : ""}`;
}
