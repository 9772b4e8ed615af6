import { describe, expect, test, vi } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import DeleteKeyDialog from "./DeleteKeyDialog.svelte";
import { hoursAgo, makeKey, makeUsage, NOW } from "../lib/fixtures";
import { one, pageForTests, settle, typeInto } from "../lib/test-setup";
import type { KeyView } from "../lib/ipc";

const mountPage = pageForTests();

function mockStore(key: KeyView, calls: { cmd: string; args: unknown }[]) {
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    if (cmd === "get_key") return { key, tokens: [], events: [] };
    if (cmd === "key_usage") return makeUsage();
    if (cmd === "delete_key") return { id: key.id, name: key.name, owner: key.owner, tokens_deleted: key.live_tokens, was_in_use: key.in_use };
    throw { code: "UNEXPECTED", message: cmd };
  });
}

describe("delete dialog", () => {
  test("a key in use: warning, and Delete stays disabled until the exact name is typed", async () => {
    const key = makeKey({ in_use: true, last_used_at: hoursAgo(2), live_tokens: 3 });
    const calls: { cmd: string; args: unknown }[] = [];
    mockStore(key, calls);
    const ondeleted = vi.fn();
    await mountPage(DeleteKeyDialog, { key, onclose: () => {}, ondeleted, now: () => NOW });

    const dialog = document.querySelector('[role="dialog"]')!;
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    const warning = one("delete-warning");
    expect(warning.textContent).toContain("used 2 hours ago");
    expect(warning.textContent).toContain("3 live tokens");

    const submit = one<HTMLButtonElement>("delete-submit");
    const input = one<HTMLInputElement>("delete-confirm-name");
    expect(document.activeElement).toBe(input);
    expect(submit.disabled).toBe(true);

    typeInto(input, "Marketing");
    expect(submit.disabled).toBe(true);
    typeInto(input, "marketing automation");
    expect(submit.disabled).toBe(true);
    typeInto(input, "Marketing Automation");
    expect(submit.disabled).toBe(false);

    submit.click();
    await settle();
    expect(calls.find((c) => c.cmd === "delete_key")?.args).toEqual({ id: key.id, typedName: "Marketing Automation" });
    expect(ondeleted).toHaveBeenCalledWith("Marketing Automation");
  });

  test("a key not in use: a plain confirmation, deleted without a typed name", async () => {
    const key = makeKey();
    const calls: { cmd: string; args: unknown }[] = [];
    mockStore(key, calls);
    const ondeleted = vi.fn();
    await mountPage(DeleteKeyDialog, { key, onclose: () => {}, ondeleted, now: () => NOW });

    expect(one("delete-warning")).toBeNull();
    expect(one("delete-confirm-name")).toBeNull();
    const submit = one<HTMLButtonElement>("delete-submit");
    expect(submit.disabled).toBe(false);
    submit.click();
    await settle();
    expect(calls.find((c) => c.cmd === "delete_key")?.args).toEqual({ id: key.id, typedName: null });
    expect(ondeleted).toHaveBeenCalled();
  });

  test("a key used since the list was loaded is asked for its name", async () => {
    const stale = makeKey();
    const fresh = { ...stale, in_use: true, last_used_at: hoursAgo(1), live_tokens: 1 };
    const calls: { cmd: string; args: unknown }[] = [];
    mockStore(fresh, calls);
    await mountPage(DeleteKeyDialog, { key: stale, onclose: () => {}, ondeleted: () => {}, now: () => NOW });
    expect(one("delete-warning")?.textContent).toContain("used 1 hour ago");
    expect(one<HTMLButtonElement>("delete-submit").disabled).toBe(true);
  });

  test("Escape closes", async () => {
    const key = makeKey();
    mockStore(key, []);
    const onclose = vi.fn();
    await mountPage(DeleteKeyDialog, { key, onclose, ondeleted: () => {}, now: () => NOW });
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(onclose).toHaveBeenCalled();
  });
});
