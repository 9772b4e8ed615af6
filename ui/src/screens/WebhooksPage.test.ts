import { describe, expect, test } from "vitest";
import { flushSync } from "svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import WebhooksPage from "./WebhooksPage.svelte";
import App from "../App.svelte";
import { makeDelivery, makeUser, makeWebhook, pageOf } from "../lib/fixtures";
import { all, choose, click, menuItem, one, pageForTests, typeInto } from "../lib/test-setup";
import { app, toasts } from "../lib/state.svelte";
import type { NewWebhookInput, WebhookView } from "../lib/ipc";

const mountPage = pageForTests(() => {
  toasts.list = [];
  app.screen = "keys";
});

const SECRET = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cy0wMTIzNDU=";

type Call = { cmd: string; args: Record<string, unknown> };

/** A backend that keeps its webhooks, so actions show in the next list. */
function mockBackend(start: WebhookView[], over: Record<string, (args: Record<string, unknown>) => unknown> = {}) {
  const calls: Call[] = [];
  let hooks = [...start];
  mockIPC((cmd, raw) => {
    const args = (raw ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    if (over[cmd]) return over[cmd](args);
    switch (cmd) {
      case "list_users":
        return [
          makeUser(),
          makeUser({ id: "usr_2", name: "Bob Manager", email: "bob@example.org", role: "manager", api_access: false }),
        ];
      case "list_webhooks":
        return args.user ? hooks.filter((h) => h.user_id === args.user) : hooks;
      case "add_webhook": {
        const input = args.input as NewWebhookInput;
        const view = makeWebhook({
          id: "whk_new",
          user_id: input.user,
          url: input.url,
          entity: input.entity,
          operation: input.operation,
          allow_private: input.allow_private,
        });
        hooks = [...hooks, view];
        return { ...view, secret: SECRET };
      }
      case "set_webhook_active": {
        const h = hooks.find((x) => x.id === args.id)!;
        const next = { ...h, status: args.on ? "on" : "off", pending: args.on ? h.pending : 0 } as WebhookView;
        hooks = hooks.map((x) => (x.id === next.id ? next : x));
        return next;
      }
      case "test_webhook": {
        const h = hooks.find((x) => x.id === args.id)!;
        return { ...h, pending: h.pending + 1 };
      }
      case "copy_webhook_secret":
        return { clears_in_seconds: 30 };
      case "webhook_deliveries":
        return [];
      case "remove_webhook":
        hooks = hooks.filter((x) => x.id !== args.id);
        return start[0];
      default:
        throw { code: "UNEXPECTED", message: cmd };
    }
  });
  return calls;
}

describe("webhooks page", () => {
  test("each webhook shows its URL, site manager, entity, operation type, status, pending and why it is quiet", async () => {
    mockBackend([
      makeWebhook({ pending: 2 }),
      makeWebhook({
        id: "whk_02",
        user_id: "usr_2",
        user_email: "bob@example.org",
        url: "https://hooks.example.net/tokens",
        entity: "token",
        operation: "revoked",
        paused_reason: "API access is off for bob@example.org",
      }),
      makeWebhook({
        id: "whk_03",
        url: "https://gone.example.com/x",
        status: "off",
        off_reason: "the receiver answered 410 Gone on 2025-08-19T10:00:00Z — turned off",
      }),
    ]);
    await mountPage(WebhooksPage);
    const rows = all("webhook-row");
    expect(rows).toHaveLength(3);
    const [a, b, c] = rows;
    expect(one("webhook-url", a).textContent).toBe("https://example.com/keyward-events");
    expect(one("webhook-user", a).textContent).toBe("Ada Lovelace");
    expect(one("webhook-user", a).title).toBe("ada@example.org");
    expect(one("webhook-events", a).textContent).toBe("api_key.*");
    expect(one("webhook-events", a).title).toBe("API key events: all operations");
    expect(one<HTMLInputElement>("webhook-status", a).checked).toBe(true);
    expect(one("webhook-pending", a).textContent).toBe("2");
    expect(a.querySelector('[data-testid="webhook-reason"]')).toBeNull();

    expect(one("webhook-events", b).textContent).toBe("token.revoked");
    expect(one("webhook-reason", b).textContent).toBe("Paused: API access is off for bob@example.org");

    const offSwitch = one<HTMLInputElement>("webhook-status", c);
    expect(offSwitch.checked).toBe(false);
    expect(offSwitch.getAttribute("role")).toBe("switch");
    expect(offSwitch.getAttribute("aria-label")).toBe("Status of the webhook to https://gone.example.com/x");
    expect(one("webhook-reason", c).textContent).toContain("410 Gone");
    const test = await menuItem("webhook-test", c);
    expect(test.disabled).toBe(true);
    expect(test.title).toBe("Turn the webhook on to send a test event");

    const heads = [...document.querySelectorAll("thead th")].map((th) => th.textContent);
    expect(heads).toEqual(["URL", "Site manager", "Events", "Status", "Pending", "Actions"]);
  });

  test("no webhooks: an empty state with Add webhook", async () => {
    mockBackend([]);
    await mountPage(WebhooksPage);
    expect(one("webhooks-empty").textContent).toContain("No webhooks yet");
    expect(one("add-webhook")).not.toBeNull();
  });

  test("add: the signing secret is shown once, Copy asks Rust, and the list never holds it", async () => {
    const calls = mockBackend([]);
    await mountPage(WebhooksPage);
    await click(one("add-webhook"));
    const dialog = one("add-webhook-dialog");
    expect(dialog.getAttribute("role")).toBe("dialog");
    expect(document.activeElement).toBe(one("webhook-user-select"));
    expect(one<HTMLInputElement>("webhook-url-input").placeholder).toBe("https://example.com/keyward-events");
    const operations = [...one<HTMLSelectElement>("webhook-operation-select").options].map((o) => [o.value, o.text]);
    expect(operations[0]).toEqual(["*", "All operations"]);
    expect(operations.map((o) => o[0])).toEqual(["*", "created", "updated", "deleted", "restored", "regenerated", "revoked", "expired", "expiring"]);
    expect(operations.at(-1)).toEqual(["expiring", "Expiring (reminders)"]);
    expect([...one<HTMLSelectElement>("webhook-entity-select").options].map((o) => o.value)).toEqual([
      "api_key",
      "token",
      "user",
    ]);
    expect(dialog.textContent).toContain("Allow private and loopback targets");

    choose(one("webhook-user-select"), "usr_1");
    typeInto(one("webhook-url-input"), "  http://localhost:8080/hooks ");
    choose(one("webhook-entity-select"), "token");
    choose(one("webhook-operation-select"), "revoked");
    one<HTMLInputElement>("webhook-allow-private").click();
    flushSync();
    await click(one("webhook-submit"));

    expect(calls.find((c) => c.cmd === "add_webhook")?.args).toEqual({
      input: {
        user: "usr_1",
        url: "http://localhost:8080/hooks",
        entity: "token",
        operation: "revoked",
        allow_private: true,
      },
    });
    expect(one("created-webhook-secret").textContent).toBe(SECRET);
    expect(one("webhook-secret-note").textContent).toContain("webhook-signature");
    expect(document.activeElement).toBe(one("created-webhook-copy"));

    await click(one("created-webhook-copy"));
    expect(calls.filter((c) => c.cmd === "copy_webhook_secret").map((c) => c.args)).toEqual([{ id: "whk_new" }]);
    expect(toasts.list.at(-1)?.text).toBe("Signing secret copied — the clipboard clears in 30 s");

    await click(one("dialog-close"));
    expect(document.querySelector('[data-testid="add-webhook-dialog"]')).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);
    expect(all("webhook-row")).toHaveLength(1);
    expect(one("webhook-url").textContent).toBe("http://localhost:8080/hooks");
  });

  test("add: the core's message is shown inline and the dialog stays open", async () => {
    const message =
      "the webhook URL is refused: localhost is a loopback name — webhooks may reach loopback targets only when the subscription allows them (--allow-private)";
    const calls = mockBackend([], {
      add_webhook: () => {
        // As Rust sends it: the refusal names the input it is about.
        throw { code: "INVALID_INPUT", message, field: "url" };
      },
    });
    await mountPage(WebhooksPage);
    await click(one("add-webhook"));
    choose(one("webhook-user-select"), "usr_1");
    typeInto(one("webhook-url-input"), "http://localhost/hooks");
    await click(one("webhook-submit"));
    expect(calls.filter((c) => c.cmd === "add_webhook")).toHaveLength(1);
    const error = one("dialog-error");
    expect(error.textContent).toBe(message);
    expect(error.getAttribute("role")).toBe("alert");
    expect(one("webhook-url-input").getAttribute("aria-invalid")).toBe("true");
    expect(one("add-webhook-dialog")).not.toBeNull();
    expect(document.querySelector('[data-testid="created-webhook-secret"]')).toBeNull();
  });

  test("add: a site manager and a URL are asked for before anything is sent", async () => {
    const calls = mockBackend([]);
    await mountPage(WebhooksPage);
    await click(one("add-webhook"));
    await click(one("webhook-submit"));
    expect(one("dialog-error").textContent).toContain("Choose the site manager");
    expect(one("dialog-error").textContent).toContain("Enter the URL");
    expect(calls.some((c) => c.cmd === "add_webhook")).toBe(false);
  });

  test("Escape closes the Add webhook dialog", async () => {
    mockBackend([]);
    await mountPage(WebhooksPage);
    await click(one("add-webhook"));
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    flushSync();
    expect(document.querySelector('[data-testid="add-webhook-dialog"]')).toBeNull();
  });

  test("the status switch turns a webhook off and on", async () => {
    const calls = mockBackend([makeWebhook({ pending: 3 })]);
    await mountPage(WebhooksPage);
    const sw = one<HTMLInputElement>("webhook-status");
    await click(sw);
    expect(calls.filter((c) => c.cmd === "set_webhook_active").map((c) => c.args)).toEqual([{ id: "whk_01", on: false }]);
    expect(one<HTMLInputElement>("webhook-status").checked).toBe(false);
    expect(one("webhook-pending").textContent).toBe("0");
    expect(toasts.list.at(-1)?.text).toContain("3 waiting events dropped");
    expect((await menuItem("webhook-test")).disabled).toBe(true);
    await click(one("webhook-actions"));

    await click(one("webhook-status"));
    expect(calls.filter((c) => c.cmd === "set_webhook_active").at(-1)?.args).toEqual({ id: "whk_01", on: true });
    expect(one<HTMLInputElement>("webhook-status").checked).toBe(true);
  });

  test("a refused switch is put back and the reason shown", async () => {
    mockBackend([makeWebhook()], {
      set_webhook_active: () => {
        throw { code: "NOT_FOUND", message: "no webhook whk_01" };
      },
    });
    await mountPage(WebhooksPage);
    await click(one("webhook-status"));
    expect(one<HTMLInputElement>("webhook-status").checked).toBe(true);
    expect(toasts.list.at(-1)).toMatchObject({ kind: "error", text: "no webhook whk_01" });
  });

  test("Send test event queues one and says where to look", async () => {
    const calls = mockBackend([makeWebhook()]);
    await mountPage(WebhooksPage);
    await click(await menuItem("webhook-test"));
    expect(calls.filter((c) => c.cmd === "test_webhook").map((c) => c.args)).toEqual([{ id: "whk_01" }]);
    expect(one("webhook-pending").textContent).toBe("1");
    expect(toasts.list.at(-1)?.text).toContain("delivery log");
  });

  test("a refused test shows the core's message", async () => {
    mockBackend([makeWebhook()], {
      test_webhook: () => {
        throw { code: "API_ACCESS_OFF", message: "API access is off for ada@example.org — turn it on first" };
      },
    });
    await mountPage(WebhooksPage);
    await click(await menuItem("webhook-test"));
    expect(toasts.list.at(-1)).toMatchObject({ kind: "error", text: "API access is off for ada@example.org — turn it on first" });
  });

  test("Copy signing secret asks Rust and receives only a receipt", async () => {
    const calls = mockBackend([makeWebhook()]);
    await mountPage(WebhooksPage);
    await click(await menuItem("webhook-copy-secret"));
    expect(calls.filter((c) => c.cmd === "copy_webhook_secret").map((c) => c.args)).toEqual([{ id: "whk_01" }]);
    expect(toasts.list.at(-1)?.text).toBe("Signing secret copied — the clipboard clears in 30 s");
  });

  test("Delivery log expands a table of attempts", async () => {
    const calls = mockBackend([makeWebhook()], {
      webhook_deliveries: () => [
        makeDelivery({
          id: "dlv_2",
          attempt: 2,
          status_code: 503,
          error: "the receiver answered 503",
          outcome: "retrying",
          next_retry_at: "2025-08-20T12:30:00Z",
        }),
        makeDelivery({ id: "dlv_1", status_code: null, error: "connection refused", outcome: "retrying", event_type: "webhook.test" }),
      ],
    });
    await mountPage(WebhooksPage);
    const toggle = one("webhook-log-toggle");
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    await click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    expect(calls.filter((c) => c.cmd === "webhook_deliveries").map((c) => c.args)).toEqual([{ id: "whk_01", limit: null }]);
    const log = one("delivery-log");
    expect(document.getElementById(toggle.getAttribute("aria-controls")!)?.contains(log)).toBe(true);
    expect([...log.querySelectorAll("th")].map((th) => th.textContent)).toEqual([
      "Time",
      "Event",
      "Attempt",
      "Status code or error",
      "Outcome",
      "Next retry",
    ]);
    const rows = all("delivery-row", log);
    expect(rows).toHaveLength(2);
    expect(one("delivery-result", rows[0]).textContent).toBe("503 — the receiver answered 503");
    expect(rows[0].textContent).toContain("Retrying");
    expect(one("delivery-result", rows[1]).textContent).toBe("connection refused");
    expect(rows[1].textContent).toContain("webhook.test");

    await click(toggle);
    expect(document.querySelector('[data-testid="delivery-log"]')).toBeNull();
  });

  test("an empty delivery log says so", async () => {
    mockBackend([makeWebhook()]);
    await mountPage(WebhooksPage);
    await click(one("webhook-log-toggle"));
    expect(one("delivery-log-empty").textContent).toContain("No deliveries yet");
  });

  test("Remove asks first, then removes", async () => {
    const calls = mockBackend([makeWebhook({ pending: 2 })]);
    await mountPage(WebhooksPage);
    await click(await menuItem("webhook-remove"));
    const dialog = one("remove-webhook-dialog");
    expect(dialog.textContent).toContain("https://example.com/keyward-events");
    expect(dialog.textContent).toContain("2 waiting events");
    expect(calls.some((c) => c.cmd === "remove_webhook")).toBe(false);

    await click(one("dialog-close"));
    expect(document.querySelector('[data-testid="remove-webhook-dialog"]')).toBeNull();
    expect(all("webhook-row")).toHaveLength(1);

    await click(await menuItem("webhook-remove"));
    await click(one("webhook-remove-submit"));
    expect(calls.filter((c) => c.cmd === "remove_webhook").map((c) => c.args)).toEqual([{ id: "whk_01" }]);
    expect(all("webhook-row")).toHaveLength(0);
    expect(document.querySelector('[data-testid="remove-webhook-dialog"]')).toBeNull();
  });
});

describe("navigation", () => {
  test("Webhooks sits between Site managers & access and Activity", async () => {
    mockIPC((cmd) => {
      switch (cmd) {
        case "app_status":
          return {
            version: "0.1.0",
            data_dir: "/tmp/kw",
            master_key_source: "file",
            master_key_problem: null,
            notification_problem: null,
            startup_problem: null,
            local_api: { enabled: false, listening: null, error: null },
          };
        case "expiring_soon":
          return { keys: [], tokens: [], urgent: 0 };
        case "list_webhooks":
          return [makeWebhook()];
        case "list_keys":
          return pageOf([], {});
        case "list_users":
        case "list_locations":
          return [];
        default:
          return null;
      }
    });
    await mountPage(App);
    const labels = [...document.querySelectorAll("nav .nav-link")].map((b) => b.textContent!.trim());
    expect(labels.slice(1, 4)).toEqual(["Site managers & access", "Webhooks", "Activity"]);

    await click(one("nav-webhooks"));
    expect(one("nav-webhooks").getAttribute("aria-current")).toBe("page");
    expect(document.querySelector(".breadcrumb")?.textContent).toContain("Webhooks");
    expect(document.querySelector("h1")?.textContent).toBe("Webhooks");
    expect(all("webhook-row")).toHaveLength(1);

    await click(one("nav-activity"));
    expect(one("nav-webhooks").getAttribute("aria-current")).toBeNull();
    expect(document.querySelector('[data-testid="webhook-row"]')).toBeNull();
  });
});
