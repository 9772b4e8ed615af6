import { describe, expect, test } from "vitest";
import { hoursAgo, makeKey, makeSettings, makeUsage, makeUser, NOW } from "./fixtures";
import relativeTimes from "./relative-times.json";
import {
  failureLabel,
  usageDayTitle,
  usageSummary,
  usageTotals,
  actingAs,
  connectProblemField,
  DEFAULT_TOKEN_LIFETIME,
  TOKEN_LIFETIMES,
  tokenStatusBadge,
  actorLabel,
  auditKind,
  charCount,
  copiedText,
  dateTime,
  plainSummary,
  deleteConfirmation,
  deleteWarning,
  formToSettings,
  ownerEligibility,
  parseDayList,
  dayTime,
  DEFAULT_POLICY,
  defaultGrace,
  expiryText,
  permissionChips,
  policyEdit,
  policyEditForm,
  policyInput,
  policyProblems,
  someTags,
  splitTags,
  splitWords,
  rowDimmed,
  regenCutoff,
  regenImpact,
  settingsToForm,
  statusBadge,
  timeAgo,
  validateCreate,
  virtualWindow,
} from "./rules";

describe("delete confirmation", () => {
  const inUse = makeKey({ in_use: true, last_used_at: hoursAgo(2), live_tokens: 3 });

  test("a key not in use needs nothing typed", () => {
    expect(deleteConfirmation(makeKey(), "")).toEqual({ needsName: false, ok: true });
  });

  test("a key in use needs its exact name", () => {
    expect(deleteConfirmation(inUse, "")).toEqual({ needsName: true, ok: false });
    expect(deleteConfirmation(inUse, "marketing automation").ok).toBe(false);
    expect(deleteConfirmation(inUse, "Marketing")).toEqual({ needsName: true, ok: false });
    expect(deleteConfirmation(inUse, "Marketing Automation")).toEqual({ needsName: true, ok: true });
  });

  test("surrounding spaces of the typed name are ignored", () => {
    expect(deleteConfirmation(inUse, "  Marketing Automation ").ok).toBe(true);
  });

  test("the warning names the last use and the live tokens", () => {
    expect(deleteWarning(inUse, NOW)).toBe(
      "Marketing Automation was used 2 hours ago and has 3 live tokens — deleting it will break live connections.",
    );
    expect(deleteWarning(makeKey({ in_use: true, live_tokens: 1 }), NOW)).toBe(
      "Marketing Automation has 1 live token — deleting it will break live connections.",
    );
    expect(deleteWarning(makeKey({ in_use: true, last_used_at: hoursAgo(30) }), NOW)).toBe(
      "Marketing Automation was used 1 day ago — deleting it will break live connections.",
    );
    expect(deleteWarning(makeKey(), NOW)).toBeNull();
  });
});

describe("regenerate defaults", () => {
  test("a key in use starts at 24 hours, an unused one at immediately", () => {
    expect(defaultGrace(makeKey({ in_use: true, live_tokens: 0 }))).toBe("24h");
    expect(defaultGrace(makeKey({ in_use: false, live_tokens: 2 }))).toBe("24h");
    expect(defaultGrace(makeKey({ in_use: false, live_tokens: 0 }))).toBe("0");
  });
  test("the cut-off is said as a date and time", () => {
    expect(regenCutoff("24h", NOW, "UTC")).toBe("The old key works until 21 Aug, 12:00.");
    expect(regenCutoff("1h", NOW, "UTC")).toBe("The old key works until 20 Aug, 13:00.");
    expect(regenCutoff("7d", NOW, "UTC")).toBe("The old key works until 27 Aug, 12:00.");
    expect(regenCutoff("0", NOW, "UTC")).toBeNull();
  });
});

describe("regenerate impact", () => {
  test("no tokens", () => {
    expect(regenImpact(0, "0")).toBe("The current key will stop working immediately.");
  });
  test("one token", () => {
    expect(regenImpact(1, "0")).toBe("The current key and its 1 live token will stop working immediately.");
  });
  test("several tokens, with a grace period", () => {
    expect(regenImpact(3, "1h")).toBe("The current key and its 3 live tokens will stop working after 1 hour.");
    expect(regenImpact(3, "24h")).toBe("The current key and its 3 live tokens will stop working after 24 hours.");
    expect(regenImpact(2, "7d")).toBe("The current key and its 2 live tokens will stop working after 7 days.");
  });
});

describe("states while scanning", () => {
  test("a key in its regeneration grace says Rotating and until when", () => {
    const until = "2025-08-21T12:00:00Z";
    const badge = statusBadge(makeKey({ status: "active", grace_until: until }));
    expect(badge.text).toBe("Rotating");
    expect(badge.detail).toBe(`old key until ${dayTime(until)}`);
    expect(dayTime(until, "UTC")).toBe("21 Aug, 12:00");
  });
  test("a coming deletion still comes first, and a disabled key is not rotating", () => {
    const soon = makeKey({ deletion_near: true, deletes_in_days: 3, grace_until: "2025-08-21T12:00:00Z" });
    expect(statusBadge(soon).text).toBe("Deletes in 3 days");
    expect(statusBadge(makeKey({ status: "disabled", grace_until: "2025-08-21T12:00:00Z" })).text).toBe("Disabled");
  });
  test("the badge says a coming deletion in Rust's words, as the Expiring soon list does", () => {
    const key = makeKey({ deletion_near: true, deletes_in_days: 7, deletes_in: "in 6 days" });
    expect(statusBadge(key).text).toBe("Deletes in 6 days");
    expect(statusBadge({ ...key, deletes_in_days: 2, deletes_in: "in 25 hours" }).text).toBe("Deletes in 25 hours");
  });
  test("keys that do not work now are dimmed", () => {
    expect(rowDimmed(makeKey({ status: "active" }))).toBe(false);
    for (const status of ["disabled", "revoked", "access_off", "owner_deactivated"] as const) {
      expect(rowDimmed(makeKey({ status }))).toBe(true);
    }
  });
});

describe("status badge", () => {
  test("plain statuses", () => {
    expect(statusBadge(makeKey()).text).toBe("Active");
    expect(statusBadge(makeKey({ status: "disabled" })).text).toBe("Disabled");
    expect(statusBadge(makeKey({ status: "access_off" })).text).toBe("Access off");
    expect(statusBadge(makeKey({ status: "owner_deactivated" })).text).toBe("Owner deactivated");
    expect(statusBadge(makeKey({ status: "revoked" })).text).toBe("Revoked");
  });

  test("a near deletion (the core's deletion_near) shows 'Deletes in N days'", () => {
    expect(statusBadge(makeKey({ deletes_in_days: 7, deletion_near: true })).text).toBe("Deletes in 7 days");
    expect(statusBadge(makeKey({ deletes_in_days: 15, deletion_near: true })).text).toBe("Deletes in 15 days");
    expect(statusBadge(makeKey({ deletes_in_days: 1, deletion_near: true }))).toMatchObject({ text: "Deletes in 1 day", tone: "danger" });
    expect(statusBadge(makeKey({ deletes_in_days: 0, deletion_near: true })).text).toBe("Deletes today");
  });

  test("a deletion the core does not call near is not shown", () => {
    expect(statusBadge(makeKey({ deletes_in_days: 40 })).text).toBe("Active");
    expect(statusBadge(makeKey({ deletes_in_days: 20, deletion_scheduled: true, deletion_near: true })).text).toBe("Deletes in 20 days");
  });

  test("a disabled key due soon says both; a revoked key only Revoked", () => {
    expect(statusBadge(makeKey({ status: "disabled", deletes_in_days: 5, deletion_near: true }))).toMatchObject({
      text: "Deletes in 5 days",
      detail: "Disabled",
    });
    expect(statusBadge(makeKey({ status: "revoked", deletes_in_days: 5, deletion_scheduled: true })).text).toBe("Revoked");
  });
});

describe("create form", () => {
  const users = [
    makeUser({ id: "usr_ok" }),
    makeUser({ id: "usr_off", name: "Bob", api_access: false }),
    makeUser({ id: "usr_gone", name: "Cy", active: false }),
  ];

  test("owners without API access or deactivated are not selectable", () => {
    expect(ownerEligibility(users[0])).toEqual({ selectable: true, reason: null });
    expect(ownerEligibility(users[1])).toEqual({ selectable: false, reason: "API access off" });
    expect(ownerEligibility(users[2])).toEqual({ selectable: false, reason: "deactivated" });
    expect(ownerEligibility({ active: false, api_access: false }).reason).toBe("deactivated");
  });

  test("the owner is required and must be eligible", () => {
    expect(validateCreate({ owner: "", name: "Zapier" }, users).owner).toMatch(/Choose the site manager/);
    expect(validateCreate({ owner: "usr_unknown", name: "Zapier" }, users).owner).toBeDefined();
    expect(validateCreate({ owner: "usr_off", name: "Zapier" }, users).owner).toMatch(/API access off/);
    expect(validateCreate({ owner: "usr_gone", name: "Zapier" }, users).owner).toMatch(/deactivated/);
  });

  test("the name is required and at most 100 characters", () => {
    expect(validateCreate({ owner: "usr_ok", name: "   " }, users).name).toBeDefined();
    expect(validateCreate({ owner: "usr_ok", name: "x".repeat(101) }, users).name).toMatch(/101 characters/);
    expect(validateCreate({ owner: "usr_ok", name: "x".repeat(100) }, users)).toEqual({});
    expect(validateCreate({ owner: "usr_ok", name: "  Zapier – weekly volunteer export " }, users)).toEqual({});
    expect(validateCreate({ owner: "usr_ok", name: "tab\there" }, users).name).toMatch(/control/);
  });

  test("the length counts characters, not UTF-16 units", () => {
    expect(validateCreate({ owner: "usr_ok", name: "🔑".repeat(100) }, users)).toEqual({});
  });
});

describe("time ago", () => {
  test("the app says a time as the CLI does, for every shared case", () => {
    // Written by keyward-core from its `ago` (make bindings): the two cannot drift apart.
    for (const c of relativeTimes) {
      expect(timeAgo(new Date(NOW - c.ago_ms).toISOString(), NOW), `${c.ago_ms} ms`).toBe(c.text);
    }
  });

  test("never, just now, minutes, hours, days, months, years", () => {
    expect(timeAgo(null, NOW)).toBe("Never");
    expect(timeAgo(new Date(NOW - 20_000).toISOString(), NOW)).toBe("just now");
    expect(timeAgo(new Date(NOW - 60_000).toISOString(), NOW)).toBe("1 minute ago");
    expect(timeAgo(new Date(NOW - 5 * 60_000).toISOString(), NOW)).toBe("5 minutes ago");
    expect(timeAgo(hoursAgo(1), NOW)).toBe("1 hour ago");
    expect(timeAgo(hoursAgo(3), NOW)).toBe("3 hours ago");
    expect(timeAgo(hoursAgo(3.9), NOW)).toBe("3 hours ago");
    expect(timeAgo(hoursAgo(48), NOW)).toBe("2 days ago");
    expect(timeAgo(hoursAgo(24 * 75), NOW)).toBe("2 months ago");
    expect(timeAgo(hoursAgo(24 * 800), NOW)).toBe("2 years ago");
  });

  test("a stamp slightly ahead of the local clock reads as just now", () => {
    expect(timeAgo(new Date(NOW + 10_000).toISOString(), NOW)).toBe("just now");
  });
});

describe("virtual list window", () => {
  test("renders the visible rows plus the overscan", () => {
    // 600 px viewport, 50 px rows: 12 visible (+1 partial) at the top.
    expect(virtualWindow(0, 600, 50, 10_000, 5)).toEqual({ start: 0, end: 18, total: 500_000 });
    // Scrolled to row 100.
    expect(virtualWindow(5_000, 600, 50, 10_000, 5)).toEqual({ start: 95, end: 118, total: 500_000 });
  });

  test("never renders more than a screenful plus overscan, whatever the count", () => {
    const w = virtualWindow(123_456, 800, 52, 10_000);
    expect(w.end - w.start).toBeLessThanOrEqual(Math.ceil(800 / 52) + 1 + 16);
    expect(w.start).toBeGreaterThan(0);
  });

  test("clamps at the end and for short lists", () => {
    expect(virtualWindow(10_000_000, 600, 50, 10_000, 5)).toEqual({ start: 9_983, end: 10_000, total: 500_000 });
    expect(virtualWindow(0, 600, 50, 3, 5)).toEqual({ start: 0, end: 3, total: 150 });
    expect(virtualWindow(0, 600, 50, 0)).toEqual({ start: 0, end: 0, total: 0 });
  });
});

describe("small texts", () => {
  test("copy receipt", () => {
    expect(copiedText({ clears_in_seconds: 30 })).toBe("Copied — the clipboard clears in 30 s");
    expect(copiedText({ clears_in_seconds: 0 })).toBe("Copied to the clipboard");
  });

  test("a counter counts characters as Rust does: trimmed, an emoji once", () => {
    expect(charCount("  Ask Grace.\n")).toBe(10);
    expect(charCount("CRM 🔑")).toBe(5);
    expect(charCount("   ")).toBe(0);
  });
});

describe("preferences form", () => {
  const settings = makeSettings();

  test("round-trips", () => {
    const form = settingsToForm(settings);
    expect(form.reminder_days).toBe("15, 7, 1");
    expect(formToSettings(form)).toEqual({ settings, errors: null });
  });

  test("reminder days parse as a comma list", () => {
    expect(parseDayList("1,7, 15")).toEqual({ days: [15, 7, 1] });
    expect(parseDayList("7, x")).toEqual({ error: "'x' is not a whole number of days." });
  });

  test("bad fields are reported by name", () => {
    const r = formToSettings({ ...settingsToForm(settings), local_api_port: 80, reminder_days: "100" });
    expect(r.settings).toBeNull();
    expect(Object.keys(r.errors ?? {}).sort()).toEqual(["local_api_port", "reminder_days"]);
  });

  test("the SMTP fields are trimmed, hinted at, and empty turns email off", () => {
    const form = { ...settingsToForm(settings), smtp_url: " smtp://u:•••@mail.example.com ", smtp_from: "keyward@example.com" };
    expect(formToSettings(form).settings?.smtp_url).toBe("smtp://u:•••@mail.example.com");
    const bad = formToSettings({ ...form, smtp_url: "mail.example.com", smtp_from: "keyward" });
    expect(Object.keys(bad.errors ?? {}).sort()).toEqual(["smtp_from", "smtp_url"]);
    expect(formToSettings({ ...form, smtp_url: "", smtp_from: "" }).errors).toBeNull();
  });

});

describe("activity for people", () => {
  const TOK = "tok_01J9ZK6V3Q8M2N4P5R7S9T0W1X";
  const KEY = "key_01J9ZK6V3Q8M2N4P5R7S9T0W2Y";

  test("ids leave the sentence and come back apart; a masked form stays", () => {
    const s = plainSummary(`generated token ${TOK} (kwt_abcd…wxyz) from API key 'Zapier', expires 2026-12-03T18:18:00Z`);
    expect(s.text).toBe(`Generated token kwt_abcd…wxyz from API key “Zapier”, expires ${dateTime("2026-12-03T18:18:00Z")}`);
    expect(s.ids).toEqual([TOK]);
  });

  test("bracketed and bare ids go, with their brackets", () => {
    expect(plainSummary(`A token of API key 'Zapier' expires in 3 days — generate a new one before 6 Dec (${TOK})`)).toEqual({
      text: "A token of API key “Zapier” expires in 3 days — generate a new one before 6 Dec",
      ids: [TOK],
    });
    expect(plainSummary(`webhook test sent [${KEY}] to ${KEY}.`).text).toBe("Webhook test sent to.");
  });

  test("timestamps read in the app's format, fractions and offsets too", () => {
    const s = plainSummary("3 failed verification(s) since 2026-12-02T10:00:00.123Z: KEY_INVALID ×3");
    expect(s.text).toBe(`3 failed verification(s) since ${dateTime("2026-12-02T10:00:00.123Z")}: KEY_INVALID ×3`);
    expect(s.text).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });

  test("a name with an apostrophe stays whole", () => {
    expect(plainSummary("deleted API key 'O'Brien form' (kwa_ab…cd) and 0 token(s)").text).toBe(
      "Deleted API key “O'Brien form” (kwa_ab…cd) and 0 token(s)",
    );
  });

  test("kinds and actors in words", () => {
    expect(auditKind("api_key", "keys_cleared")).toEqual({ what: "API key", did: "keys cleared" });
    expect(auditKind("user", "created")).toEqual({ what: "Site manager", did: "created" });
    expect(actorLabel("cli")).toBe("Command line");
    expect(actorLabel("desktop", "Dana Whitfield")).toBe("Dana Whitfield · Desktop app");
    expect(actorLabel("something_new")).toBe("something_new");
  });
});

describe("connection and access tokens", () => {
  test("a refusal to connect goes beside the address, the token, or the whole form", () => {
    expect(connectProblemField({ code: "INVALID_INPUT", field: "server", message: "" })).toBe("server");
    expect(connectProblemField({ code: "INVALID_INPUT", field: "token", message: "" })).toBe("token");
    expect(connectProblemField({ code: "INVALID_INPUT", message: "" })).toBeNull();
    expect(connectProblemField({ code: "UNAUTHORIZED", message: "" })).toBe("token");
    expect(connectProblemField({ code: "SERVER_UNAVAILABLE", message: "" })).toBe("server");
    expect(connectProblemField({ code: "SERVER_ERROR", message: "" })).toBe("server");
    expect(connectProblemField({ code: "IO_ERROR", message: "" })).toBeNull();
  });

  test("who acts is named, with the role; an owner who has not said who they are is you", () => {
    expect(actingAs({ user: makeUser(), role: "manager", store: "https://keys.example.org" })).toBe(
      "Ada Lovelace (manager)",
    );
    expect(actingAs({ user: null, role: "admin", store: "this computer" })).toBe("you (admin)");
  });

  test("access token lifetimes stay within the 366 days Rust allows, 90 days by default", () => {
    expect(TOKEN_LIFETIMES.map((l) => l.value)).toEqual(["30d", "90d", "366d", "never"]);
    expect(DEFAULT_TOKEN_LIFETIME).toBe("90d");
    expect(tokenStatusBadge("active")).toEqual({ text: "Active", tone: "ok" });
    expect(tokenStatusBadge("revoked").text).toBe("Revoked");
    expect(tokenStatusBadge("expired").text).toBe("Expired");
  });
});

describe("key policy", () => {
  const DAY = 86_400_000;
  const at = (ms: number) => new Date(ms).toISOString();

  test("an expired key says so, in a quiet tone", () => {
    expect(statusBadge(makeKey({ status: "expired" }), NOW)).toEqual({ text: "Expired", tone: "muted", detail: null });
  });

  test("a key whose end is near (the core's expiry_near) says the day; otherwise, or without a clock, it does not", () => {
    const now = Date.parse("2027-03-10T12:00:00Z");
    const soon = makeKey({ expires_at: "2027-03-31T23:59:59Z", expiry_near: true });
    expect(statusBadge(soon, now, "UTC")).toEqual({ text: "Expires 31 Mar", tone: "warn", detail: null });
    expect(statusBadge(makeKey({ expires_at: at(now + 31 * DAY) }), now).text).toBe("Active");
    expect(statusBadge(soon).text).toBe("Active");
    // A disabled key expiring soon says both.
    expect(statusBadge({ ...soon, status: "disabled" }, now, "UTC")).toMatchObject({ text: "Expires 31 Mar", detail: "Disabled" });
  });

  test("a coming deletion outranks a later expiry, an earlier expiry outranks it", () => {
    const deleting = { deletion_near: true, deletes_in_days: 5, deletes_in: "in 5 days" };
    const near = { ...deleting, expiry_near: true };
    expect(statusBadge(makeKey({ ...near, expires_at: at(NOW + 20 * DAY) }), NOW).text).toBe("Deletes in 5 days");
    expect(statusBadge(makeKey({ ...near, expires_at: "2025-08-22T12:00:00Z" }), NOW, "UTC").text).toBe("Expires 22 Aug");
  });

  test("a key kept always shows no deletion badge", () => {
    const key = makeKey({ keep_always: true, deletion_near: true, deletes_in_days: 3 });
    expect(statusBadge(key, NOW).text).toBe("Active");
  });

  test("the detail says when a key expires, and that it has", () => {
    expect(expiryText(null, NOW)).toBe("Never");
    expect(expiryText(at(NOW + 20 * DAY), NOW)).toMatch(/ · in 20 days$/);
    expect(expiryText(at(NOW - DAY), NOW)).toMatch(/ · expired$/);
  });

  test("permissions split on commas and spaces, tags on commas, each once", () => {
    expect(splitWords(" contacts:read, events:*  contacts:read,,")).toEqual(["contacts:read", "events:*"]);
    expect(splitTags("Zapier, reports ,zapier, two words")).toEqual(["zapier", "reports", "two words"]);
    expect(permissionChips(["*"])).toEqual(["Everything"]);
    expect(permissionChips(["contacts:read"])).toEqual(["contacts:read"]);
    expect(someTags(["a", "b", "c", "d", "e"])).toEqual({ shown: ["a", "b", "c"], more: 2 });
    expect(someTags(["a"])).toEqual({ shown: ["a"], more: 0 });
  });

  test("options left as they were send no policy at all", () => {
    expect(policyInput(DEFAULT_POLICY)).toBeNull();
    // "Only these" with nothing listed is the form's to catch: it would mean everything.
    expect(policyProblems({ ...DEFAULT_POLICY, permissionsMode: "only" }).permissions).toContain("at least one");
    expect(policyProblems({ ...DEFAULT_POLICY, expires: "date" }).expires).toContain("Pick the day");
    expect(policyProblems(DEFAULT_POLICY)).toEqual({});
  });

  test("every option lands in the policy as Rust reads it", () => {
    expect(
      policyInput({
        expires: "date",
        expiresDate: "2027-03-31",
        permissionsMode: "only",
        permissions: "contacts:read events:*",
        rate: " 600/min ",
        notes: " Quarterly board report \n",
        tags: "Reports, finance",
        keepAlways: true,
      }),
    ).toEqual({
      expires: "2027-03-31",
      permissions: ["contacts:read", "events:*"],
      rate: "600/min",
      notes: "Quarterly board report",
      tags: ["reports", "finance"],
      keep_always: true,
    });
    expect(policyInput({ ...DEFAULT_POLICY, expires: "90d" })).toMatchObject({ expires: "90d", permissions: [], rate: null });
  });

  test("an edit sends only what changed; an emptied rate limit is 'none'", () => {
    const key = makeKey({ permissions: ["contacts:read"], rate: "600/min", notes: "Website form", tags: ["zapier"] });
    const form = policyEditForm(key);
    expect(form).toEqual({
      permissionsMode: "only",
      permissions: "contacts:read",
      rate: "600/min",
      notes: "Website form",
      tags: "zapier",
    });
    expect(policyEdit(key, form)).toBeNull();
    expect(policyEdit(key, { ...form, rate: "", tags: "zapier, crm" })).toEqual({
      name: null,
      notes: null,
      tags: ["zapier", "crm"],
      permissions: null,
      rate: "none",
      keep_always: null,
    });
    expect(policyEdit(key, { ...form, permissionsMode: "all" })?.permissions).toEqual(["*"]);
    expect(policyEditForm(makeKey())).toMatchObject({ permissionsMode: "all", permissions: "", rate: "" });
  });
});

describe("key usage", () => {
  test("totals count each failure code once, most frequent first; unknown codes still read", () => {
    const days = makeUsage([{ valid: 3, failed: { EXPIRED: 1 } }, { valid: 2, failed: { REVOKED: 2, EXPIRED: 0 } }]);
    const t = usageTotals(days);
    expect(t).toEqual({ valid: 5, failed: 3, codes: [{ code: "REVOKED", count: 2 }, { code: "EXPIRED", count: 1 }] });
    expect(usageSummary(t, days.length)).toBe("5 valid and 3 failed verifications in 30 days");
    expect(t.codes.map((c) => failureLabel(c.code))).toEqual(["Revoked", "Expired"]);
    expect(failureLabel("API_ACCESS_OFF")).toBe("API access off");
    expect(failureLabel("SOME_NEW_CODE")).toBe("Some new code");
    expect(usageDayTitle(days.at(-1)!)).toBe("20 Aug: 2 valid, 2 failed (REVOKED ×2)");
    expect(usageDayTitle(days[0])).toBe("22 Jul: 0 valid, 0 failed");
  });
});
