import { describe, expect, test } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import KeysPage from "../screens/KeysPage.svelte";
import { makeKey, makeUsage, makeUser, pageOf } from "../lib/fixtures";
import { all, click, one, pageForTests, typeInto } from "../lib/test-setup";
import type { KeyView } from "../lib/ipc";
import { toasts } from "../lib/state.svelte";

const mountPage = pageForTests(() => (toasts.list = []));

const KEY = makeKey({ id: "key_1", name: "Zapier – website form leads", live_tokens: 2, in_use: true });

function backend(key: KeyView, calls: { cmd: string; args: unknown }[], usage: () => unknown = () => makeUsage()) {
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    switch (cmd) {
      case "list_keys":
        return pageOf([key], args);
      case "expiring_soon":
        return { keys: [], tokens: [], urgent: 0 };
      case "list_users":
        return [makeUser({ id: key.owner.id })];
      case "list_locations":
        return [];
      case "get_key":
        return { key, tokens: [], events: [] };
      case "key_usage":
        return usage();
      case "copy_key_as_curl":
      case "copy_key":
        return { clears_in_seconds: 30 };
      case "keep_key":
        return { ...key, deletes_at: "2027-03-02T10:00:00Z" };
      default:
        return null;
    }
  });
}

async function openDetail(key: KeyView = KEY) {
  const calls: { cmd: string; args: unknown }[] = [];
  backend(key, calls);
  await mountPage(KeysPage);
  await click(one("key-name"));
  return calls;
}

const texts = (els: Iterable<Element>) => [...els].map((e) => e.textContent!.replace(/\s+/g, " ").trim());

describe("key detail", () => {
  test("one primary action, Copy; the exports wait under a menu", async () => {
    const calls = await openDetail();
    const bar = document.querySelector(".detail-actions")!;
    expect(texts(bar.querySelectorAll(".btn-primary"))).toEqual(["Copy API key"]);
    expect(document.activeElement).toBe(one("detail-copy"));
    expect(document.querySelector('[data-testid="detail-copy-curl"]')).toBeNull();

    await click(one("detail-export"));
    expect(texts(document.querySelectorAll('[role="menu"] [role="menuitem"]'))).toEqual([
      "Copy as cURL",
      "Export for Postman…",
    ]);
    await click(one("detail-copy-curl"));
    expect(calls.some((c) => c.cmd === "copy_key_as_curl")).toBe(true);
    expect(document.querySelector('[role="menu"]')).toBeNull();
  });

  test("Regenerate, Disable and Delete sit in the danger zone, Delete last and red", async () => {
    await openDetail();
    const zone = one("danger-zone");
    expect(zone.querySelector("h3")!.textContent).toBe("Danger zone");
    const buttons = [...zone.querySelectorAll<HTMLButtonElement>("button")];
    expect(texts(buttons)).toEqual(["Regenerate…", "Disable", "Delete…"]);
    expect(buttons[2].classList.contains("btn-danger")).toBe(true);
    expect(zone.textContent).toContain("its 2 live tokens stop working at once");
    // None of them sits beside Copy.
    expect(texts(document.querySelectorAll(".detail-actions button"))).not.toContain("Disable");
  });

  test("Regenerate opens its dialog in place of the detail, and Cancel comes back", async () => {
    await openDetail();
    await click(one("detail-regenerate"));
    expect(document.querySelector('[data-testid="key-detail"]')).toBeNull();
    expect(one("regenerate-dialog")).toBeTruthy();
    // In use: the safe 24-hour grace is preselected here too.
    expect((one("regen-grace") as HTMLSelectElement).value).toBe("24h");
    await click(one("dialog-close"));
    expect(one("key-detail").dataset.keyId).toBe("key_1");
  });

  test("Delete opens the delete dialog; Cancel comes back to the detail", async () => {
    await openDetail();
    await click(one("detail-delete"));
    expect(all("key-detail").length).toBe(0);
    expect(one("delete-dialog")).toBeTruthy();
    await click(one("dialog-close"));
    expect(one("key-detail").dataset.keyId).toBe("key_1");
  });

  test("Keep key sits by the deletion date and says the new one", async () => {
    const calls = await openDetail({ ...KEY, deletes_at: "2026-12-09T10:00:00Z", deletion_near: true });
    await click(one("detail-keep"));
    expect(calls.some((c) => c.cmd === "keep_key")).toBe(true);
    expect(toasts.list.at(-1)?.text).toContain("won't be deleted for inactivity before 2 Mar 2027");
  });
});

describe("key detail: about this key", () => {
  type Call = { cmd: string; args: Record<string, unknown> };

  /** A store of one key: get_key answers what edit_key last changed; `refusal` refuses edits. */
  function store(start: KeyView, refusal: unknown = null) {
    let key = start;
    const calls: Call[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args: args as Record<string, unknown> });
      switch (cmd) {
        case "list_keys":
          return pageOf([key], args);
        case "expiring_soon":
          return { keys: [], tokens: [], urgent: 0 };
        case "list_users":
          return [makeUser({ id: key.owner.id })];
        case "list_locations":
          return [];
        case "get_key":
          return { key, tokens: [], events: [] };
        case "key_usage":
          return makeUsage();
        case "edit_key": {
          if (refusal) throw refusal;
          const { edit } = args as { edit: Record<string, unknown> };
          const changed = Object.fromEntries(Object.entries(edit).filter(([, v]) => v !== null));
          if (changed.rate === "none") changed.rate = null;
          key = { ...key, ...changed };
          if (key.keep_always) key = { ...key, deletes_at: null, deletes_in_days: null, deletion_near: false };
          return key;
        }
        default:
          return null;
      }
    });
    return calls;
  }

  const POLICY_KEY = makeKey({
    ...KEY,
    expires_at: "2099-03-31T23:59:59Z",
    permissions: ["contacts:read", "events:*"],
    rate: "600/min",
    notes: "Website form → CRM.\nAsk Grace.",
    tags: ["zapier", "crm"],
    deletes_at: "2026-12-09T10:00:00Z",
  });

  async function open(key: KeyView, refusal: unknown = null) {
    const calls = store(key, refusal);
    await mountPage(KeysPage);
    await click(one("key-name"));
    return calls;
  }

  const edits = (calls: Call[]) => calls.filter((c) => c.cmd === "edit_key").map((c) => c.args);

  test("shows the expiry, permissions, rate limit, tags and notes", async () => {
    await open(POLICY_KEY);
    const policy = one("detail-policy");
    expect(policy.querySelector("h3")!.textContent).toBe("About this key");
    expect(one("detail-policy-expires").textContent).toMatch(/31 Mar 2099 · in \d+ years/);
    expect(texts(one("detail-policy-permissions").querySelectorAll(".chip"))).toEqual(["contacts:read", "events:*"]);
    expect(one("detail-policy-rate").textContent).toBe("600/min");
    expect(texts(one("detail-policy-tags").querySelectorAll(".chip"))).toEqual(["zapier", "crm"]);
    expect(one("detail-policy-notes").textContent).toBe("Website form → CRM.\nAsk Grace.");
  });

  test("a key with the defaults: Never, Everything, no limit, no tags", async () => {
    await open(KEY);
    expect(one("detail-policy-expires").textContent!.trim()).toBe("Never");
    expect(texts(one("detail-policy-permissions").querySelectorAll(".chip"))).toEqual(["Everything"]);
    expect(one("detail-policy-rate").textContent).toBe("None");
    expect(one("detail-policy-tags").textContent!.trim()).toBe("None");
  });

  test("Edit changes notes, tags, permissions and the rate limit; only what changed is sent", async () => {
    const calls = await open(POLICY_KEY);
    await click(one("detail-edit-policy"));
    const notes = one<HTMLTextAreaElement>("detail-notes");
    expect(document.activeElement).toBe(notes);
    expect(notes.value).toBe(POLICY_KEY.notes);
    expect(one<HTMLInputElement>("detail-permissions").value).toBe("contacts:read, events:*");

    notes.value = "Website form → CRM. Ask Ada.";
    notes.dispatchEvent(new Event("input", { bubbles: true }));
    typeInto(one<HTMLInputElement>("detail-tags"), "zapier, crm, Website");
    typeInto(one<HTMLInputElement>("detail-rate"), "");
    await click(one("detail-save-policy"));

    expect(edits(calls)).toEqual([
      {
        id: "key_1",
        edit: {
          name: null,
          notes: "Website form → CRM. Ask Ada.",
          tags: ["zapier", "crm", "website"],
          permissions: null,
          rate: "none",
          keep_always: null,
        },
      },
    ]);
    expect(all("detail-save-policy")).toHaveLength(0);
    expect(document.activeElement).toBe(one("detail-edit-policy"));
    expect(toasts.list.at(-1)?.text).toBe("Saved “Zapier – website form leads”");
    expect(texts(one("detail-policy-tags").querySelectorAll(".chip"))).toEqual(["zapier", "crm", "website"]);
    expect(one("detail-policy-rate").textContent).toBe("None");
  });

  test("Everything again sends ['*']; Cancel sends nothing", async () => {
    const calls = await open(POLICY_KEY);
    await click(one("detail-edit-policy"));
    await click(one("detail-permissions-mode").querySelector<HTMLInputElement>('input[value="all"]')!);
    expect(all("detail-permissions")).toHaveLength(0);
    await click(one("detail-cancel-policy"));
    expect(edits(calls)).toEqual([]);

    await click(one("detail-edit-policy"));
    await click(one("detail-permissions-mode").querySelector<HTMLInputElement>('input[value="all"]')!);
    await click(one("detail-save-policy"));
    expect((edits(calls)[0].edit as { permissions: string[] }).permissions).toEqual(["*"]);
    expect(texts(one("detail-policy-permissions").querySelectorAll(".chip"))).toEqual(["Everything"]);
  });

  test("Rust's refusal sits beside the field it names, and the edit stays open", async () => {
    const message = "permission 'Contacts:Read' is not like contacts:read or contacts:* (lower-case words joined by :)";
    await open(POLICY_KEY, { code: "INVALID_INPUT", message, field: "permissions" });
    await click(one("detail-edit-policy"));
    typeInto(one<HTMLInputElement>("detail-permissions"), "Contacts:Read");
    await click(one("detail-save-policy"));
    expect(one("detail-permissions-error").textContent).toBe(message);
    expect(one("detail-permissions").getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe(one("detail-permissions"));
    expect(all("detail-policy-error")).toHaveLength(0);
    expect(one("detail-save-policy")).toBeTruthy();
  });

  test("a refusal about no field shows under the form", async () => {
    await open(POLICY_KEY, { code: "NOT_FOUND", message: "no API key key_1" });
    await click(one("detail-edit-policy"));
    typeInto(one<HTMLInputElement>("detail-rate"), "10/s");
    await click(one("detail-save-policy"));
    expect(one("detail-policy-error").textContent).toBe("no API key key_1");
  });

  test("'Never delete for inactivity' applies at once; the deletion line says so", async () => {
    const calls = await open(POLICY_KEY);
    expect(one("key-detail").textContent).toContain("if unused until then");
    const toggle = one<HTMLInputElement>("detail-keep-always");
    expect(toggle.checked).toBe(false);

    await click(toggle);
    expect(edits(calls)).toEqual([
      {
        id: "key_1",
        edit: { name: null, notes: null, tags: null, permissions: null, rate: null, keep_always: true },
      },
    ]);
    expect(toasts.list.at(-1)?.text).toBe("“Zapier – website form leads” will never be deleted for inactivity");
    expect(one<HTMLInputElement>("detail-keep-always").checked).toBe(true);
    expect(one("detail-deletes").textContent).toBe("Never deleted for inactivity");
    expect(all("detail-keep")).toHaveLength(0);
  });

  test("a refused toggle springs back and says why", async () => {
    await open(POLICY_KEY, { code: "FORBIDDEN", message: "only an admin or the key's owner may change it" });
    await click(one("detail-keep-always"));
    expect(one<HTMLInputElement>("detail-keep-always").checked).toBe(false);
    expect(toasts.list.at(-1)).toMatchObject({ kind: "error", text: "only an admin or the key's owner may change it" });
  });
});

describe("key detail: usage", () => {
  async function openWithUsage(usage: () => unknown) {
    const calls: { cmd: string; args: unknown }[] = [];
    backend(KEY, calls, usage);
    await mountPage(KeysPage);
    await click(one("key-name"));
    return calls;
  }

  test("asks for 30 days and draws one bar a day, failures stacked on the valid ones", async () => {
    const calls = await openWithUsage(() =>
      makeUsage([{ valid: 10, failed: { DISABLED: 2 } }, {}, { valid: 5, failed: { RATE_LIMITED: 3, INSUFFICIENT_PERMISSIONS: 1 } }]),
    );
    expect(calls.filter((c) => c.cmd === "key_usage").map((c) => c.args)).toEqual([{ id: "key_1", days: 30 }]);
    const bars = [...all("usage-bar")];
    expect(bars).toHaveLength(30);
    expect(bars.at(-1)!.dataset).toMatchObject({ date: "2025-08-20", valid: "5", failed: "4" });
    expect(bars.at(-3)!.dataset).toMatchObject({ date: "2025-08-18", valid: "10", failed: "2" });
    expect(bars[0].dataset).toMatchObject({ date: "2025-07-22", valid: "0", failed: "0" });
    expect(bars.at(-3)!.querySelector("title")!.textContent).toBe("18 Aug: 10 valid, 2 failed (DISABLED ×2)");
    // The busiest day fills the height; its failed part sits on top of its valid part.
    const valid = bars.at(-3)!.querySelector<SVGRectElement>(".usage-valid")!;
    const failed = bars.at(-3)!.querySelector<SVGRectElement>(".usage-failed")!;
    expect(Number(failed.getAttribute("y"))).toBe(0);
    expect(Number(failed.getAttribute("y")) + Number(failed.getAttribute("height"))).toBeCloseTo(Number(valid.getAttribute("y")));
    expect(bars[0].querySelectorAll(".usage-valid, .usage-failed")).toHaveLength(0);

    const chart = one("usage-chart");
    expect(chart.getAttribute("role")).toBe("img");
    expect(chart.getAttribute("aria-label")).toBe("15 valid and 6 failed verifications in 30 days");
    expect(one("usage-total").textContent).toBe("15 valid, 6 failed");
    expect(all("usage-empty")).toHaveLength(0);
  });

  test("the legend names each failure seen, in words, most frequent first", async () => {
    await openWithUsage(() =>
      makeUsage([
        { valid: 1, failed: { DISABLED: 2, USER_DEACTIVATED: 1 } },
        { failed: { RATE_LIMITED: 3, INSUFFICIENT_PERMISSIONS: 1, API_ACCESS_OFF: 0 } },
      ]),
    );
    expect(texts(one("usage-legend").querySelectorAll("[data-code]"))).toEqual([
      "Rate limited ×3",
      "Disabled ×2",
      "Missing permission ×1",
      "Owner deactivated ×1",
    ]);
  });

  test("no verification in 30 days says so, without a chart", async () => {
    await openWithUsage(() => makeUsage());
    expect(one("usage-empty").textContent).toBe("Not verified in the last 30 days");
    expect(all("usage-chart")).toHaveLength(0);
    expect(all("usage-legend")).toHaveLength(0);
  });

  test("a refused usage shows Rust's message there; the rest of the detail stays", async () => {
    await openWithUsage(() => {
      throw { code: "STORAGE_ERROR", message: "could not read usage: disk unavailable" };
    });
    expect(one("usage-error").textContent).toBe("could not read usage: disk unavailable");
    expect(one("usage-error").getAttribute("role")).toBe("alert");
    expect(all("usage-chart")).toHaveLength(0);
    expect(one("detail-copy")).toBeTruthy();
  });
});
