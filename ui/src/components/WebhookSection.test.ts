// A site manager's webhooks under their row on the Site managers page.
import { describe, expect, test } from "vitest";
import { flushSync } from "svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import UsersPage from "../screens/UsersPage.svelte";
import { makeUser, makeWebhook } from "../lib/fixtures";
import { click, one, pageForTests } from "../lib/test-setup";
import { deliveryResult, eventTypes, operationLabel, operationWords, quietReason } from "./webhooks";

const mountPage = pageForTests();

function mockBackend() {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  const hooks = [
    makeWebhook(),
    makeWebhook({ id: "whk_bob", user_id: "usr_2", user_email: "bob@example.org", url: "https://bob.example.com/in" }),
  ];
  mockIPC((cmd, raw) => {
    const args = (raw ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    switch (cmd) {
      case "list_users":
        return [makeUser(), makeUser({ id: "usr_2", name: "Bob Manager", email: "bob@example.org", role: "manager" })];
      case "list_locations":
        return [];
      case "list_webhooks":
        return hooks.filter((h) => !args.user || h.user_id === args.user);
      default:
        throw { code: "UNEXPECTED", message: cmd };
    }
  });
  return calls;
}

describe("webhooks under each site manager", () => {
  test("a row's Webhooks entry opens that site manager's webhooks, and Add pre-selects them", async () => {
    const calls = mockBackend();
    await mountPage(UsersPage);

    const bobRow = document.querySelector<HTMLElement>('[data-testid="user-row"][data-user-id="usr_2"]')!;
    const menu = one("user-actions", bobRow);
    expect(menu.getAttribute("aria-expanded")).toBe("false");
    await click(menu);
    expect(menu.getAttribute("aria-expanded")).toBe("true");
    await click(one("user-webhooks", bobRow));
    expect(menu.getAttribute("aria-expanded")).toBe("false");
    expect(calls.filter((c) => c.cmd === "list_webhooks").map((c) => c.args)).toEqual([{ user: "usr_2" }]);

    const panel = one("user-webhooks-panel");
    expect(panel.id).toBe("user-webhooks-usr_2");
    expect(panel.textContent).toContain("Webhooks of Bob Manager");
    const rows = panel.querySelectorAll('[data-testid="webhook-row"]');
    expect(rows).toHaveLength(1);
    expect(one("webhook-url", panel).textContent).toBe("https://bob.example.com/in");

    await click(one("add-webhook", panel));
    expect(one<HTMLSelectElement>("webhook-user-select").value).toBe("usr_2");
    // With the site manager chosen, the URL is what is left to fill in.
    expect(document.activeElement).toBe(one("webhook-url-input"));

    window.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    flushSync();
    await click(menu);
    expect(one("user-webhooks", bobRow).textContent).toBe("Hide webhooks");
    await click(one("user-webhooks", bobRow));
    expect(document.querySelector('[data-testid="user-webhooks-panel"]')).toBeNull();
  });
});

describe("webhook words", () => {
  test("operations, event types, results and quiet reasons", () => {
    expect(operationLabel("*")).toBe("All operations");
    expect(operationLabel("regenerated")).toBe("Regenerated");
    expect(operationLabel("expiring")).toBe("Expiring (reminders)");
    expect(eventTypes("api_key", "expiring")).toBe("api_key.expiring");
    expect(operationWords("expiring")).toBe("expiry reminders");
    expect(operationWords("*")).toBe("all operations");
    expect(eventTypes("token", "*")).toBe("token.*");
    expect(deliveryResult({ status_code: 200, error: null })).toBe("200");
    expect(deliveryResult({ status_code: null, error: "timed out" })).toBe("timed out");
    expect(deliveryResult({ status_code: 500, error: "boom" })).toBe("500 — boom");
    expect(deliveryResult({ status_code: null, error: null })).toBe("—");
    expect(quietReason({ status: "on", off_reason: null, paused_reason: null })).toBeNull();
    expect(quietReason({ status: "on", off_reason: null, paused_reason: "x is deactivated" })).toBe("Paused: x is deactivated");
    expect(quietReason({ status: "off", off_reason: "410 Gone", paused_reason: "x is deactivated" })).toBe("Off: 410 Gone");
    expect(quietReason({ status: "off", off_reason: null, paused_reason: null })).toBeNull();
  });
});
