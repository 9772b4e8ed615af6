import { describe, expect, test, vi } from "vitest";
import { flushSync } from "svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import DeleteKeyDialog from "./DeleteKeyDialog.svelte";
import { hoursAgo, makeKey, NOW } from "../lib/fixtures";
import { pageForTests, settle } from "../lib/test-setup";
import type { KeyView } from "../lib/ipc";

const mountPage = pageForTests();

function mockStore(key: KeyView, calls: { cmd: string; args: unknown }[]) {
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    if (cmd === "get_key") return { key, tokens: [], events: [] };
    if (cmd === "delete_key") return { id: key.id, name: key.name, owner: key.owner, tokens_deleted: key.live_tokens, was_in_use: key.in_use };
    throw { code: "UNEXPECTED", message: cmd };
  });
}

const $ = <T extends Element = HTMLElement>(id: string) => document.querySelector<T & Element>(`[data-testid="${id}"]`);

function type(input: HTMLInputElement, text: string) {
  input.value = text;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  flushSync();
}

describe("delete dialog", () => {
  test("a key in use: warning, and Delete stays disabled until the exact name is typed", async () => {
    const key = makeKey({ in_use: true, last_used_at: hoursAgo(2), live_tokens: 3 });
    const calls: { cmd: string; args: unknown }[] = [];
    mockStore(key, calls);
    const ondeleted = vi.fn();
    mountPage(DeleteKeyDialog, { key, onclose: () => {}, ondeleted, now: () => NOW });
    flushSync();
    await settle();

    const dialog = document.querySelector('[role="dialog"]')!;
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    const warning = $("delete-warning")!;
    expect(warning.textContent).toContain("used 2 hours ago");
    expect(warning.textContent).toContain("3 live tokens");

    const submit = $<HTMLButtonElement>("delete-submit")!;
    const input = $<HTMLInputElement>("delete-confirm-name")!;
    expect(document.activeElement).toBe(input);
    expect(submit.disabled).toBe(true);

    type(input, "Marketing");
    expect(submit.disabled).toBe(true);
    type(input, "marketing automation");
    expect(submit.disabled).toBe(true);
    type(input, "Marketing Automation");
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
    mountPage(DeleteKeyDialog, { key, onclose: () => {}, ondeleted, now: () => NOW });
    flushSync();
    await settle();

    expect($("delete-warning")).toBeNull();
    expect($("delete-confirm-name")).toBeNull();
    const submit = $<HTMLButtonElement>("delete-submit")!;
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
    mountPage(DeleteKeyDialog, { key: stale, onclose: () => {}, ondeleted: () => {}, now: () => NOW });
    flushSync();
    await settle();
    flushSync();
    expect($("delete-warning")?.textContent).toContain("used 1 hour ago");
    expect($<HTMLButtonElement>("delete-submit")!.disabled).toBe(true);
  });

  test("Escape closes", async () => {
    const key = makeKey();
    mockStore(key, []);
    const onclose = vi.fn();
    mountPage(DeleteKeyDialog, { key, onclose, ondeleted: () => {}, now: () => NOW });
    flushSync();
    await settle();
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(onclose).toHaveBeenCalled();
  });
});
