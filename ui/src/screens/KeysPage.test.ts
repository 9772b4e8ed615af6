import { afterEach, describe, expect, test } from "vitest";
import { flushSync } from "svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import KeysPage from "./KeysPage.svelte";
import { makeKey, makeUser, NOW, pageOf } from "../lib/fixtures";
import { app } from "../lib/state.svelte";
import { all, one, pageForTests, settle, update } from "../lib/test-setup";
import type { KeyView } from "../lib/ipc";

const mountPage = pageForTests();

const SECRET = "kwa_0123456789abcdefghijABCDEFGHIJKLMN0a1b2c";

function many(n: number): KeyView[] {
  return Array.from({ length: n }, (_, i) =>
    makeKey({
      id: `key_${String(n - i).padStart(6, "0")}`,
      name: `Key ${n - i}`,
      created_at: new Date(Date.UTC(2025, 0, 1) + (n - i) * 60_000).toISOString(),
    }),
  );
}

function mockBackend(keys: KeyView[], calls: { cmd: string; args: unknown }[] = []) {
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    switch (cmd) {
      case "list_keys": {
        // Rust filters and sorts; here a search matches names, enough for these tests.
        const search = (args as { query: { search: string | null } }).query.search?.toLowerCase();
        const matching = search ? keys.filter((k) => k.name.toLowerCase().includes(search)) : keys;
        return pageOf(matching, args, keys.length);
      }
      case "expiring_soon":
        return { keys: [], tokens: [], urgent: 0 };
      case "list_users":
        return [
          makeUser({ id: "usr_ok" }),
          makeUser({ id: "usr_off", name: "Bob", email: "bob@example.org", api_access: false }),
        ];
      case "list_locations":
        return [{ id: "loc_1", name: "Downtown", created_at: "2025-01-01T00:00:00Z" }];
      case "get_settings":
        return { reminder_days: [15, 7, 1] };
      case "create_key": {
        const a = args as { owner: string; name: string; location: string | null };
        return { ...makeKey({ id: "key_new", name: a.name }), key: SECRET };
      }
      case "copy_key":
        return { clears_in_seconds: 30 };
      default:
        throw { code: "UNEXPECTED", message: cmd };
    }
  });
}

async function search(text: string): Promise<void> {
  const input = one<HTMLInputElement>("key-search");
  input.value = text;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  await update();
}

async function scrollToRow(row: number): Promise<HTMLDivElement> {
  const scroller = document.querySelector<HTMLDivElement>(".table-scroll")!;
  scroller.scrollTop = row * 40;
  scroller.dispatchEvent(new Event("scroll"));
  await update();
  return scroller;
}

/** The arguments of each list_keys call made so far. */
const listCalls = (calls: { cmd: string; args: unknown }[]) =>
  calls.filter((c) => c.cmd === "list_keys").map((c) => c.args as { offset: number; limit: number; query: { search: string | null } });

describe("keys page", () => {
  test("10,000 keys render as a short window of rows", async () => {
    mockBackend(many(10_000));
    await mountPage(KeysPage);
    const rows = all("key-row");
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(60);
    expect(rows[0].dataset.keyId).toBe("key_010000");
    expect(rows[0].dataset.keyName).toBe("Key 10000");
    expect(rows[0].querySelector('[data-testid="key-status"]')!.textContent).toBe("Active");
    expect(rows[0].querySelector('[data-testid="key-last-used"]')!.textContent!.trim()).toBe("Never");
    expect(one("expiring-soon").textContent).toContain("Nothing expiring soon");
  });

  test("search asks Rust for the matching keys and shows the count", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockBackend(many(300), calls);
    await mountPage(KeysPage);
    await search("Key 42");
    expect([...all("key-row")].map((r) => r.dataset.keyName)).toEqual(["Key 42"]);
    expect(listCalls(calls).at(-1)!.query.search).toBe("Key 42");
    expect(document.querySelector(".count")!.textContent!.trim()).toBe("1 of 300 keys");
  });

  test("scrolling far asks for the rows there; rows not yet answered show as loading", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    let answer: (() => void) | null = null;
    const keys = many(10_000);
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "list_keys") {
        const page = pageOf(keys, args);
        if ((args as { offset: number }).offset === 0) return page;
        return new Promise((resolve) => (answer = () => resolve(page)));
      }
      if (cmd === "expiring_soon") return { keys: [], tokens: [], urgent: 0 };
      if (cmd === "get_settings") return { reminder_days: [15, 7, 1] };
      return [];
    });
    await mountPage(KeysPage);
    expect(document.querySelector(".count")!.textContent!.trim()).toBe("10,000 keys");
    const first = listCalls(calls);
    expect(first).toHaveLength(1);
    // What needs a look comes first; Rust orders it.
    expect(first[0]).toMatchObject({ offset: 0, limit: 300, sort: { column: "attention", dir: "asc" } });

    await scrollToRow(5000);
    expect(all("key-row")).toHaveLength(0);
    expect(all("key-row-loading").length).toBeGreaterThan(0);
    const far = listCalls(calls).at(-1)!;
    expect(far.offset).toBeLessThanOrEqual(4990);
    expect(far.offset + far.limit).toBeGreaterThan(5010);

    answer!();
    await update();
    expect(all("key-row-loading")).toHaveLength(0);
    expect(all("key-row")[0].dataset.keyName).toMatch(/^Key 50\d\d$/);
  });

  test("a new search far down the list starts at the top and asks only for the top", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockBackend(many(10_000), calls);
    await mountPage(KeysPage);
    const scroller = await scrollToRow(5000);
    const before = calls.length;
    await search("Key 1");
    expect(listCalls(calls.slice(before)).map((a) => a.offset)).toEqual([0]);
    expect(scroller.scrollTop).toBe(0);
    expect(all("key-row")[0].dataset.keyName).toBe("Key 10000");
  });

  test("sorting by a column asks Rust for that order from the top", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockBackend(many(50), calls);
    await mountPage(KeysPage);
    const nameHeader = [...document.querySelectorAll<HTMLButtonElement>("button.sort")].find((b) =>
      b.textContent!.includes("Name"),
    )!;
    nameHeader.click();
    await update();
    expect(listCalls(calls).at(-1)).toMatchObject({ sort: { column: "name", dir: "asc" }, offset: 0 });
    nameHeader.click();
    await update();
    expect(listCalls(calls).at(-1)).toMatchObject({ sort: { column: "name", dir: "desc" } });
    expect(nameHeader.closest("[role=columnheader]")!.getAttribute("aria-sort")).toBe("descending");
    expect(one("sort-attention").getAttribute("aria-pressed")).toBe("false");
    one("sort-attention").click();
    await update();
    expect(listCalls(calls).at(-1)).toMatchObject({ sort: { column: "attention", dir: "asc" }, offset: 0 });
    expect(one("sort-attention").getAttribute("aria-pressed")).toBe("true");
  });

  test("row actions appear after clicking the menu toggle", async () => {
    mockBackend(many(3));
    await mountPage(KeysPage);
    const row = all("key-row")[0];
    expect(row.querySelector('[data-testid="action-delete"]')).toBeNull();
    (row.querySelector('[data-testid="row-actions"]') as HTMLButtonElement).click();
    flushSync();
    for (const id of [
      "action-copy-curl",
      "action-export-postman",
      "action-generate-token",
      "action-regenerate",
      "action-toggle-disabled",
      "action-keep",
      "action-delete",
    ]) {
      expect(row.querySelector(`[data-testid="${id}"]`), id).not.toBeNull();
    }
    (row.querySelector('[data-testid="action-delete"]') as HTMLButtonElement).click();
    flushSync();
    await settle();
    expect(one("delete-submit")).not.toBeNull();
  });

  test("create: ineligible owners are disabled, the key is shown once in full", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockBackend(many(2), calls);
    await mountPage(KeysPage);
    one("create-key").click();
    flushSync();
    await settle();

    const owner = one<HTMLSelectElement>("create-owner");
    const off = [...owner.options].find((o) => o.value === "usr_off")!;
    expect(off.disabled).toBe(true);
    expect(off.textContent).toContain("API access off");

    one("create-submit").click();
    flushSync();
    // Each problem under its own field; the first field to fix takes the focus.
    expect(one("create-owner-error").textContent).toContain("Choose the site manager");
    expect(one("create-name-error").textContent).not.toBe("");
    expect(document.activeElement).toBe(owner);
    expect(document.querySelector('[data-testid="dialog-error"]')).toBeNull();

    owner.value = "usr_ok";
    owner.dispatchEvent(new Event("change", { bubbles: true }));
    const name = one<HTMLInputElement>("create-name");
    name.value = "Zapier – weekly volunteer export";
    name.dispatchEvent(new Event("input", { bubbles: true }));
    flushSync();
    one("create-submit").click();
    await settle();
    flushSync();

    expect(calls.find((c) => c.cmd === "create_key")?.args).toEqual({
      owner: "usr_ok",
      name: "Zapier – weekly volunteer export",
      location: null,
      // The quick path leaves "More options" closed: Rust's defaults.
      policy: null,
    });
    expect(one("created-key").textContent).toBe(SECRET);
    one("created-copy").click();
    await settle();
    expect(calls.find((c) => c.cmd === "copy_key")?.args).toEqual({ id: "key_new" });
  });
});

describe("keys list: policy at a glance", () => {
  const rowOf = (name: string) => [...all("key-row")].find((r) => r.dataset.keyName === name)!;
  const inRow = (row: HTMLElement, id: string) => row.querySelector<HTMLElement>(`[data-testid="${id}"]`);

  // The rows measure "within 30 days" against the app's clock.
  const realNow = app.now;
  afterEach(() => {
    app.now = realNow;
  });

  async function showList(keys: KeyView[]) {
    mockBackend(keys);
    app.now = NOW;
    await mountPage(KeysPage);
  }

  test("tags show as chips after the name: three at most, then +N", async () => {
    await showList([
      makeKey({ id: "key_a", name: "Many tags", tags: ["zapier", "crm", "website", "reports", "finance"] }),
      makeKey({ id: "key_b", name: "One tag", tags: ["zapier"] }),
      makeKey({ id: "key_c", name: "No tags" }),
    ]);
    const many = rowOf("Many tags");
    const chips = [...many.querySelectorAll('[data-testid="key-tag"]')].map((c) => c.textContent);
    expect(chips).toEqual(["zapier", "crm", "website"]);
    expect(inRow(many, "key-tags-more")!.textContent).toBe("+2");
    expect(inRow(many, "key-tags")!.title).toBe("Tags: zapier, crm, website, reports, finance");
    // In the name cell, after the name, so the row keeps its one line of cells.
    expect(inRow(many, "key-tags")!.closest(".c-name")).toBe(many.querySelector(".c-name"));
    expect(inRow(rowOf("One tag"), "key-tags-more")).toBeNull();
    expect(inRow(rowOf("No tags"), "key-tags")).toBeNull();
  });

  test("Expired, 'Expires 30 Aug' within 30 days, and no deletion badge on a key kept always", async () => {
    await showList([
      makeKey({ id: "key_a", name: "Gone", status: "expired", expires_at: "2025-08-01T23:59:59Z" }),
      makeKey({ id: "key_b", name: "Soon", expires_at: "2025-08-30T12:00:00Z", expiry_near: true }),
      makeKey({ id: "key_c", name: "Later", expires_at: "2025-10-30T12:00:00Z" }),
      makeKey({ id: "key_d", name: "Kept", keep_always: true, deletion_near: true, deletes_in_days: 3, deletes_in: "in 3 days" }),
    ]);
    const gone = inRow(rowOf("Gone"), "key-status")!;
    expect(gone.textContent).toBe("Expired");
    expect(gone.classList.contains("muted")).toBe(true);
    expect(rowOf("Gone").classList.contains("dimmed")).toBe(true);
    const soon = inRow(rowOf("Soon"), "key-status")!;
    expect(soon.textContent).toBe("Expires 30 Aug");
    expect(soon.classList.contains("warn")).toBe(true);
    expect(inRow(rowOf("Later"), "key-status")!.textContent).toBe("Active");
    expect(inRow(rowOf("Kept"), "key-status")!.textContent).toBe("Active");
  });

  test("the search box says it searches notes and tags too, and Expired is a status filter", async () => {
    await showList(many(1));
    expect(one<HTMLInputElement>("key-search").placeholder).toBe("Search keys, notes, tags…");
    const statuses = [...one<HTMLSelectElement>("filter-status").options].map((o) => o.value);
    expect(statuses).toContain("expired");
  });
});
