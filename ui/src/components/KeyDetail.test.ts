import { describe, expect, test } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import KeysPage from "../screens/KeysPage.svelte";
import { makeKey, makeUser, pageOf } from "../lib/fixtures";
import { all, click, one, pageForTests } from "../lib/test-setup";
import type { KeyView } from "../lib/ipc";
import { toasts } from "../lib/state.svelte";

const mountPage = pageForTests(() => (toasts.list = []));

const KEY = makeKey({ id: "key_1", name: "Zapier – website form leads", live_tokens: 2, in_use: true });

function backend(key: KeyView, calls: { cmd: string; args: unknown }[]) {
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
