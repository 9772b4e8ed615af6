// Picking keys in the list and acting on them at once.
import { describe, expect, test } from "vitest";
import { flushSync } from "svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import KeysPage from "./KeysPage.svelte";
import { makeKey, pageOf } from "../lib/fixtures";
import { all, click, one, pageForTests, update } from "../lib/test-setup";
import type { KeyView } from "../lib/ipc";

const mountPage = pageForTests();

type Call = { cmd: string; args: Record<string, unknown> };

function many(n: number): KeyView[] {
  return Array.from({ length: n }, (_, i) =>
    makeKey({ id: `key_${String(i + 1).padStart(5, "0")}`, name: `Key ${i + 1}` }),
  );
}

/**
 * A store of `keys` that the per-key commands change. `refuse` maps a key id to the error
 * its command answers; `hold` makes a command wait until released.
 */
function backend(
  keys: KeyView[],
  opts: { refuse?: Record<string, { code: string; message: string }>; hold?: boolean } = {},
) {
  const calls: Call[] = [];
  const waiting: (() => void)[] = [];
  const release = () => waiting.splice(0).forEach((f) => f());
  const change = async (id: string, f: (k: KeyView) => KeyView | null) => {
    if (opts.hold) await new Promise<void>((r) => waiting.push(r));
    const err = opts.refuse?.[id];
    if (err) throw err;
    const i = keys.findIndex((k) => k.id === id);
    const next = f(keys[i]);
    if (next) keys[i] = next;
    else keys.splice(i, 1);
    return next ?? { id, name: "gone" };
  };
  mockIPC((cmd, raw) => {
    const args = (raw ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    switch (cmd) {
      case "list_keys": {
        const search = (args.query as { search: string | null }).search?.toLowerCase();
        const matching = search ? keys.filter((k) => k.name.toLowerCase().includes(search)) : keys;
        return pageOf(matching, args, keys.length);
      }
      case "set_key_disabled":
        return change(args.id as string, (k) => ({ ...k, status: args.disabled ? "disabled" : "active" }));
      case "keep_key":
        return change(args.id as string, (k) => k);
      case "delete_key":
        return change(args.id as string, () => null);
      case "expiring_soon":
        return { keys: [], tokens: [], urgent: 0 };
      case "list_users":
      case "list_locations":
        return [];
      default:
        throw { code: "UNEXPECTED", message: cmd };
    }
  });
  return { calls, release, keys };
}

const rowBox = (name: string) =>
  document.querySelector<HTMLInputElement>(`[data-testid="key-row"][data-key-name="${name}"] [data-testid="key-select"]`)!;

/** A click on a row's checkbox, Shift held or not. */
async function pick(name: string, shift = false) {
  rowBox(name).dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, shiftKey: shift }));
  await update();
}

async function key(target: EventTarget, k: string, shift = false) {
  target.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true, shiftKey: shift }));
  await update();
}

async function search(text: string) {
  const input = one<HTMLInputElement>("key-search");
  input.value = text;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  await update();
}

const pickedNames = () =>
  [...all("key-row")].filter((r) => r.querySelector<HTMLInputElement>('[data-testid="key-select"]')!.checked).map((r) => r.dataset.keyName);

describe("picking keys", () => {
  test("a click picks a row; the bulk bar replaces the toolbar and counts", async () => {
    backend(many(5));
    await mountPage(KeysPage);
    expect(document.querySelector('[data-testid="bulk-bar"]')).toBeNull();
    await pick("Key 2");
    expect(rowBox("Key 2").checked).toBe(true);
    expect(one("bulk-count").textContent).toBe("1 selected");
    expect(document.querySelector('[data-testid="key-search"]')).toBeNull();
    for (const id of ["bulk-disable", "bulk-enable", "bulk-keep", "bulk-delete", "bulk-clear"]) expect(one(id), id).not.toBeNull();
    await pick("Key 2");
    expect(document.querySelector('[data-testid="bulk-bar"]')).toBeNull();
    expect(one("key-search")).not.toBeNull();
  });

  test("Shift extends a range from the last row toggled; Space toggles the focused row; Escape clears", async () => {
    backend(many(8));
    await mountPage(KeysPage);
    await pick("Key 2");
    await pick("Key 5", true);
    expect(pickedNames()).toEqual(["Key 2", "Key 3", "Key 4", "Key 5"]);
    expect(one("bulk-count").textContent).toBe("4 selected");

    const box = rowBox("Key 7");
    box.focus();
    await key(box, " ");
    expect(rowBox("Key 7").checked).toBe(true);
    // Down moves to the next row's box, and Space toggles it.
    await key(box, "ArrowDown");
    expect(document.activeElement).toBe(rowBox("Key 8"));
    await key(document.activeElement!, " ");
    expect(pickedNames()).toEqual(["Key 2", "Key 3", "Key 4", "Key 5", "Key 7", "Key 8"]);

    await key(document.activeElement!, "Escape");
    expect(pickedNames()).toEqual([]);
    expect(document.querySelector('[data-testid="bulk-bar"]')).toBeNull();
  });

  test("the header box picks the loaded rows; the pick survives scrolling and goes with a new filter", async () => {
    const { calls } = backend(many(500));
    await mountPage(KeysPage);
    await click(one("select-held"));
    // The rows held are the first block asked for (300), not only those drawn.
    expect(one("bulk-count").textContent).toBe("300 selected");
    expect(one<HTMLInputElement>("select-held").checked).toBe(true);

    // Scrolling far asks for other rows: the pick stays.
    const scroller = document.querySelector<HTMLDivElement>(".table-scroll")!;
    scroller.scrollTop = 450 * 40;
    scroller.dispatchEvent(new Event("scroll"));
    await update();
    expect(calls.filter((c) => c.cmd === "list_keys").length).toBeGreaterThan(1);
    expect(one("bulk-count").textContent).toBe("300 selected");
    expect(one<HTMLInputElement>("select-held").indeterminate).toBe(true);

    await click(one("bulk-clear"));
    expect(document.querySelector('[data-testid="bulk-bar"]')).toBeNull();
    expect(document.activeElement).toBe(one("key-search"));

    await search("Key 1");
    await pick("Key 1");
    expect(one("bulk-count").textContent).toBe("1 selected");
    // Back in the toolbar: another search clears the pick.
    await click(one("bulk-clear"));
    await pick("Key 1");
    await key(document.activeElement ?? document.body, "Escape");
    await search("Key 2");
    expect(document.querySelector('[data-testid="bulk-bar"]')).toBeNull();
  });

  test("with a filter and every loaded row picked, all matching keys can be picked", async () => {
    const { calls } = backend(many(1500));
    await mountPage(KeysPage);
    await search("Key 1");
    // "Key 1", "Key 10"… "Key 1500": 612 keys, more than the 300 held.
    await click(one("select-held"));
    expect(one("pick-all-offer").textContent).toContain("All 300 loaded keys are selected.");
    expect(one("pick-all").textContent!.trim()).toBe("Select all 612 keys matching this filter");
    const before = calls.length;
    await click(one("pick-all"));
    expect(one("bulk-count").textContent).toBe("612 selected");
    expect(one("pick-all-done").textContent).toContain("All 612 keys matching this filter are selected.");
    const asked = calls.slice(before).filter((c) => c.cmd === "list_keys");
    expect(asked.map((c) => (c.args.query as { search: string }).search)).toEqual(["Key 1"]);
    expect(asked[0].args).toMatchObject({ offset: 0, limit: 612 });
  });

  test("Shift over rows not held asks Rust for them", async () => {
    const { calls } = backend(many(2000));
    await mountPage(KeysPage);
    await pick("Key 1");
    const scroller = document.querySelector<HTMLDivElement>(".table-scroll")!;
    scroller.scrollTop = 1500 * 40;
    scroller.dispatchEvent(new Event("scroll"));
    await update();
    const before = calls.length;
    await pick("Key 1501", true);
    expect(one("bulk-count").textContent).toBe("1,501 selected");
    const asked = calls.slice(before).filter((c) => c.cmd === "list_keys").map((c) => c.args);
    expect(asked).toEqual([
      expect.objectContaining({ offset: 0, limit: 1000 }),
      expect.objectContaining({ offset: 1000, limit: 501 }),
    ]);
  });
});

describe("acting on the picked keys", () => {
  test("disable: one confirmation naming the keys, then each key in turn, and the list asks again", async () => {
    const store = backend(many(3));
    await mountPage(KeysPage);
    await pick("Key 1");
    await pick("Key 3");
    await click(one("bulk-disable"));
    const dialog = one("bulk-dialog");
    expect(dialog.querySelector("h2")!.textContent).toBe("Disable 2 API keys?");
    expect([...one("bulk-names").querySelectorAll("li")].map((l) => l.textContent)).toEqual(["Key 1", "Key 3"]);
    expect(store.calls.some((c) => c.cmd === "set_key_disabled")).toBe(false);

    await click(one("bulk-confirm"));
    expect(store.calls.filter((c) => c.cmd === "set_key_disabled").map((c) => c.args)).toEqual([
      { id: "key_00001", disabled: true },
      { id: "key_00003", disabled: true },
    ]);
    expect(one("bulk-summary").textContent).toBe("Disabled 2 keys.");
    expect(document.querySelector('[data-testid="bulk-failures"]')).toBeNull();
    // The list shows the new state, and the pick is gone.
    const status = (name: string) =>
      document.querySelector(`[data-testid="key-row"][data-key-name="${name}"] [data-testid="key-status"]`)!.textContent;
    expect(status("Key 1")).toBe("Disabled");
    expect(status("Key 2")).toBe("Active");
    expect(status("Key 3")).toBe("Disabled");
    expect(document.querySelector('[data-testid="bulk-bar"]')).toBeNull();
    await click(one("bulk-done"));
    expect(document.querySelector('[data-testid="bulk-dialog"]')).toBeNull();
  });

  test("Cancel in the confirmation does nothing", async () => {
    const store = backend(many(2));
    await mountPage(KeysPage);
    await pick("Key 1");
    await click(one("bulk-keep"));
    await click(one("dialog-close"));
    expect(document.querySelector('[data-testid="bulk-dialog"]')).toBeNull();
    expect(store.calls.some((c) => c.cmd === "keep_key")).toBe(false);
    expect(one("bulk-count").textContent).toBe("1 selected");
  });

  test("progress says which key of how many; Cancel stops after the current key", async () => {
    const store = backend(many(5), { hold: true });
    await mountPage(KeysPage);
    await click(one("select-held"));
    await click(one("bulk-keep"));
    await click(one("bulk-confirm"));
    expect(one("bulk-progress-text").textContent!.trim()).toBe("Keeping 1 of 5…");
    store.release();
    await update();
    expect(one("bulk-progress-text").textContent!.trim()).toBe("Keeping 2 of 5…");
    expect(one<HTMLProgressElement>("bulk-progress").value).toBe(1);
    await click(one("bulk-cancel"));
    expect(one("bulk-progress-text").textContent!.trim()).toBe("Stopping after this key…");
    expect(one<HTMLButtonElement>("bulk-cancel").disabled).toBe(true);
    store.release();
    await update();
    expect(store.calls.filter((c) => c.cmd === "keep_key")).toHaveLength(2);
    expect(one("bulk-summary").textContent).toBe("Cancelled: 2 of 5 keys kept; 3 not tried.");
  });

  test("partial failure: the summary lists each key not done with the core's message", async () => {
    backend(many(4), {
      refuse: {
        key_00002: { code: "FORBIDDEN", message: "this belongs to another site manager — a manager manages only their own keys, tokens and webhooks" },
        key_00004: { code: "REVOKED", message: "API key 'Key 4' is revoked" },
      },
    });
    await mountPage(KeysPage);
    await click(one("select-held"));
    await click(one("bulk-enable"));
    await click(one("bulk-confirm"));
    expect(one("bulk-summary").textContent).toBe("Enabled 2 of 4 keys.");
    const failures = [...all("bulk-failure")];
    expect(failures.map((f) => [f.dataset.keyId, f.dataset.code])).toEqual([
      ["key_00002", "FORBIDDEN"],
      ["key_00004", "REVOKED"],
    ]);
    expect(failures[0].textContent).toContain("Key 2");
    expect(failures[0].textContent).toContain("belongs to another site manager");
    expect(failures[1].textContent).toContain("is revoked");
  });

  test("delete warns they stop at once and for how long they can be restored, names the keys in use it will skip, and lists ten names and how many more", async () => {
    const keys = many(14).map((k, i) => (i < 2 ? { ...k, in_use: true } : k));
    const store = backend(keys, {
      refuse: {
        key_00001: { code: "KEY_IN_USE", message: "API key 'Key 1' is in use (used today) — deleting it will break live connections; confirm to delete it anyway" },
        key_00002: { code: "KEY_IN_USE", message: "API key 'Key 2' is in use (1 live token) — deleting it will break live connections; confirm to delete it anyway" },
      },
    });
    await mountPage(KeysPage);
    await click(one("select-held"));
    await click(one("bulk-delete"));
    expect(one("bulk-dialog").querySelector("h2")!.textContent).toBe("Delete 14 API keys?");
    expect(one("bulk-delete-warning").textContent).toMatch(/stops these keys and their tokens at once.*restore them from Recently deleted for \d+ days/s);
    expect(one("bulk-in-use").textContent).toContain("2 of them are in use");
    expect(one("bulk-names").querySelectorAll("li")).toHaveLength(10);
    expect(one("bulk-more").textContent).toBe("and 4 more");
    expect(one("bulk-confirm").classList.contains("btn-danger")).toBe(true);

    await click(one("bulk-confirm"));
    const deletes = store.calls.filter((c) => c.cmd === "delete_key").map((c) => c.args);
    expect(deletes).toHaveLength(14);
    // Never a name typed for the user: a key in use is refused by the core.
    expect(deletes.every((a) => a.typedName === null)).toBe(true);
    expect(one("bulk-summary").textContent).toBe("Deleted 12 of 14 keys.");
    expect(all("bulk-failure")).toHaveLength(2);
    expect([...all("key-row")].map((r) => r.dataset.keyName)).toEqual(["Key 1", "Key 2"]);
  });

  test("Escape while running cancels rather than closing", async () => {
    const store = backend(many(3), { hold: true });
    await mountPage(KeysPage);
    await click(one("select-held"));
    await click(one("bulk-disable"));
    await click(one("bulk-confirm"));
    await key(document.activeElement ?? document.body, "Escape");
    expect(one("bulk-progress-text").textContent!.trim()).toBe("Stopping after this key…");
    store.release();
    await update();
    flushSync();
    expect(one("bulk-summary").textContent).toBe("Cancelled: 1 of 3 keys disabled; 2 not tried.");
  });
});
