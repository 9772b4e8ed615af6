// The API documentation page: the routes for API keys shown at once; the management API
// in collapsed groups by resource, each drawn only when opened (by its toggle, the
// contents or "Expand all"), with copyable curl examples and real answers.
import { describe, expect, test } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import DocsPage from "./DocsPage.svelte";
import { KEY_ROUTES, MANAGEMENT_GROUPS, ROUTES } from "../lib/docs";
import { makeAppStatus, makeSettings, serverConnection } from "../lib/fixtures";
import { all, click, one, pageForTests, update } from "../lib/test-setup";
import { app, toasts } from "../lib/state.svelte";

const mountPage = pageForTests(() => {
  toasts.list = [];
  app.connection = null;
});

function backend(port = 7420) {
  mockIPC((cmd) => {
    switch (cmd) {
      case "get_settings":
        return makeSettings({ local_api_port: port });
      case "app_status":
        return makeAppStatus();
      default:
        return null;
    }
  });
}

const group = (tag: string) => document.querySelector<HTMLElement>(`[data-testid="docs-group"][data-tag="${tag}"]`)!;
const toggle = (tag: string) => one<HTMLButtonElement>("docs-group-toggle", group(tag));
const routesIn = (tag: string) => [...all("doc-route", group(tag))].map((r) => r.dataset.route);

describe("API documentation", () => {
  test("shows the routes for API keys at once and the management groups collapsed, drawing none of their routes", async () => {
    backend();
    await mountPage(DocsPage);
    expect([...all("doc-route")].map((r) => r.dataset.route)).toEqual(KEY_ROUTES.map((r) => r.id));
    expect(document.body.textContent).toContain("/v1/verify");
    const groups = [...all("docs-group")];
    expect(groups.map((g) => g.dataset.tag)).toEqual(MANAGEMENT_GROUPS.map((g) => g.tag));
    for (const g of MANAGEMENT_GROUPS) {
      expect(toggle(g.tag).getAttribute("aria-expanded")).toBe("false");
      expect(toggle(g.tag).textContent).toContain(g.title);
      expect(routesIn(g.tag)).toEqual([]);
    }
  });

  test("says how to get a token, what its role allows, and how lists are paged", async () => {
    backend();
    await mountPage(DocsPage);
    const intro = one("docs-manage-intro").textContent!.replace(/\s+/g, " ");
    expect(intro).toContain("Preferences › Access tokens");
    expect(intro).toContain("keyward manage-tokens create --user EMAIL");
    expect(intro).toMatch(/admin may do everything/);
    expect(intro).toMatch(/manager may manage only their own keys, tokens and webhooks/);
    expect(intro).toContain("403 FORBIDDEN");
    expect(intro).toContain("?limit=");
    expect(intro).toContain("?cursor=");
    expect(intro).toContain("next_cursor");
    expect(intro).toContain("read -rs KEYWARD_TOKEN && export KEYWARD_TOKEN");
  });

  test("opens a group with its toggle: its routes, each with a curl example, parameters and real answers", async () => {
    backend(7555);
    await mountPage(DocsPage);
    const keys = MANAGEMENT_GROUPS.find((g) => g.tag === "keys")!;
    await click(toggle("keys"));
    expect(toggle("keys").getAttribute("aria-expanded")).toBe("true");
    expect(routesIn("keys")).toEqual(keys.routes.map((r) => r.id));
    const list = group("keys").querySelector<HTMLElement>('[data-route="GET /v1/keys"]')!;
    expect(list.querySelector("code")!.textContent).toBe(
      'curl "http://127.0.0.1:7555/v1/keys?sort=name&limit=2" \\\n  -H "Authorization: Bearer $KEYWARD_TOKEN"',
    );
    expect(one("doc-params", list).textContent).toContain("cursor");
    const example = one("doc-example", list);
    expect(one("doc-request", example).textContent).toBe("GET /v1/keys?sort=name&limit=2");
    expect(example.textContent).toContain("200 OK");
    expect(example.textContent).toContain('"next_cursor"');
    // Every other group stays collapsed and undrawn.
    expect(routesIn("webhooks")).toEqual([]);

    await click(toggle("keys"));
    expect(toggle("keys").getAttribute("aria-expanded")).toBe("false");
    expect(routesIn("keys")).toEqual([]);
  });

  test("the contents open a group and put the focus on it", async () => {
    backend();
    await mountPage(DocsPage);
    const entry = [...all("docs-toc-group")].find((b) => b.textContent!.trim() === "Webhooks")!;
    await click(entry);
    expect(toggle("webhooks").getAttribute("aria-expanded")).toBe("true");
    expect(document.activeElement).toBe(toggle("webhooks"));
    expect(routesIn("webhooks")).toContain("POST /v1/webhooks/{id}/test");
  });

  test("Expand all draws every route once, Collapse all folds them again", async () => {
    backend();
    await mountPage(DocsPage);
    const button = one<HTMLButtonElement>("docs-toggle-all");
    expect(button.textContent!.trim()).toBe("Expand all");
    await click(button);
    expect([...all("doc-route")].map((r) => r.dataset.route).sort()).toEqual(ROUTES.map((r) => r.id).sort());
    expect(all("doc-copy").length).toBe(ROUTES.length + 2);
    expect(button.textContent!.trim()).toBe("Collapse all");
    await click(button);
    expect(all("doc-route").length).toBe(KEY_ROUTES.length);
  });

  test("a management example calls the team server the window works on", async () => {
    backend();
    app.connection = serverConnection();
    await mountPage(DocsPage);
    await click(toggle("session"));
    const code = group("session").querySelector("code")!.textContent!;
    expect(code).toBe('curl "https://keys.example.org/v1/session" \\\n  -H "Authorization: Bearer $KEYWARD_TOKEN"');
    expect(one("docs-manage-intro").textContent).toContain("https://keys.example.org");
    // The routes for API keys stay on this computer.
    expect(document.querySelector('[data-route="GET /v1/health"] code')!.textContent).toBe(
      "curl http://127.0.0.1:7420/v1/health",
    );
  });

  test("Copy puts a route's example on the clipboard", async () => {
    backend();
    const copied: string[] = [];
    Object.defineProperty(navigator, "clipboard", {
      value: { writeText: async (t: string) => void copied.push(t) },
      configurable: true,
    });
    try {
      await mountPage(DocsPage);
      await click(toggle("users"));
      const add = group("users").querySelector<HTMLElement>('[data-route="POST /v1/users"]')!;
      await click(one<HTMLButtonElement>("doc-copy", add));
      await update();
      expect(copied).toEqual([
        'curl -X POST "http://127.0.0.1:7420/v1/users" \\\n  -H "Authorization: Bearer $KEYWARD_TOKEN" \\\n' +
          '  -H "Content-Type: application/json" \\\n' +
          `  -d '{"name":"Alan Turing","email":"alan@example.org","admin":false}'`,
      ]);
      expect(toasts.list.map((t) => t.text)).toContain("Example copied");
    } finally {
      delete (navigator as { clipboard?: unknown }).clipboard;
    }
  });
});
