import type { AppStatus, ConnectionView } from "./lib/ipc";
import { describe, expect, test } from "vitest";
import { flushSync } from "svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import App from "./App.svelte";
import { one, pageForTests, settle, update } from "./lib/test-setup";
import { makeConnection, makeSettings, makeUser, pageOf, serverConnection } from "./lib/fixtures";
import { app } from "./lib/state.svelte";

const mountPage = pageForTests(() => {
  app.screen = "keys";
  app.startupProblem = null;
  app.connection = null;
  app.connectionKnown = false;
});

const status = (startup_problem: string | null): AppStatus => ({
  version: "0.1.0",
  data_dir: "/home/ada/.local/share/com.keyward.desktop",
  master_key_source: startup_problem ? null : "file",
  master_key_problem: null,
  notification_problem: null,
  startup_problem,
  local_api: { enabled: true, listening: "127.0.0.1:7420", error: null },
});

describe("the shell", () => {
  test("a database that cannot be opened is said on every screen", async () => {
    const problem = "the database is in use by another Keyward process (pid 4242)";
    mockIPC((cmd) => {
      if (cmd === "app_status") return status(problem);
      throw { code: "DATABASE_LOCKED", message: problem };
    });
    await mountPage(App);
    for (const nav of ["nav-keys", "nav-users", "nav-activity", "nav-preferences", "nav-docs"]) {
      (document.querySelector(`[data-testid="${nav}"]`) as HTMLButtonElement).click();
      flushSync();
      await settle();
      const shown = document.querySelector('[data-testid="startup-problem"]');
      expect(shown?.textContent, nav).toContain(problem);
    }
    expect(document.querySelector('[data-testid="key-row"]')).toBeNull();
  });

  test("the sidebar switches screens; Preferences shows the key-file notice", async () => {
    mockIPC((cmd, args) => {
      switch (cmd) {
        case "app_status":
          return status(null);
        case "connection_status":
          return makeConnection();
        case "list_keys":
          return pageOf([], args);
        case "list_users":
        case "list_locations":
        case "list_audit":
        case "list_management_tokens":
          return [];
        case "expiring_soon":
          return { keys: [], tokens: [], urgent: 0 };
        case "get_settings":
          return makeSettings();
        default:
          return null;
      }
    });
    await mountPage(App);
    expect(document.querySelector('[data-testid="create-key"]')).not.toBeNull();
    expect(document.title).toBe("Settings › API keys");

    (document.querySelector('[data-testid="nav-preferences"]') as HTMLButtonElement).click();
    flushSync();
    await settle();
    expect(document.querySelector('[data-testid="master-key-notice"]')?.textContent).toContain(
      "No OS keychain was available",
    );
    expect(document.querySelector('[data-testid="prefs-save"]')).not.toBeNull();

    (document.querySelector('[data-testid="nav-docs"]') as HTMLButtonElement).click();
    flushSync();
    await settle();
    expect(document.body.textContent).toContain("http://127.0.0.1:7420/v1/health");
    expect(document.body.textContent).toContain("$KEYWARD_API_KEY");
    expect(document.body.textContent).toContain("API_ACCESS_OFF");
    // The 401 example is the body the server sends, not a verification code.
    expect(document.body.textContent).toContain('"code": "UNAUTHORIZED"');
    expect(document.body.textContent).not.toContain('"code": "REVOKED"');
  });
});

describe("the store the window shows", () => {
  /** A working store behind `connection()`; counts the key list's loads. */
  function store(connection: () => ConnectionView, events = false): { keyLoads: number } {
    const seen = { keyLoads: 0 };
    mockIPC(
      (cmd, args) => {
        switch (cmd) {
          case "app_status":
            return status(null);
          case "connection_status":
            return connection();
          case "list_keys":
            seen.keyLoads++;
            return pageOf([], args);
          case "list_users":
          case "list_locations":
          case "recent_reminders":
          case "list_management_tokens":
            return [];
          case "expiring_soon":
            return { keys: [], tokens: [], urgent: 0 };
          default:
            return null;
        }
      },
      { shouldMockEvents: events },
    );
    return seen;
  }

  test("the sidebar says This computer, without a role", async () => {
    store(() => makeConnection());
    await mountPage(App);
    expect(one("store-name").textContent).toBe("This computer");
    expect(one("store-role")).toBeNull();
  });

  test("on a team server the sidebar names its host, who acts and the role", async () => {
    store(() => serverConnection(makeUser({ name: "Grace Hopper" }), "manager"));
    await mountPage(App);
    expect(one("store-name").textContent).toBe("keys.example.org");
    expect(one("store-role").textContent).toBe("as Grace Hopper · manager");
    (one("store-label") as HTMLButtonElement).click();
    flushSync();
    expect(app.screen).toBe("preferences");
  });

  test("a server that cannot be reached is said above the screen", async () => {
    store(() => ({ ...serverConnection(), session: null, problem: "keys.example.org cannot be reached: connection refused" }));
    await mountPage(App);
    expect(one("connection-problem-banner").textContent).toContain("connection refused");
  });

  test("the connection event renames the store and reloads the screen", async () => {
    let connection = makeConnection();
    const seen = store(() => connection, true);
    await mountPage(App);
    const before = seen.keyLoads;
    expect(before).toBeGreaterThan(0);

    connection = serverConnection(makeUser(), "admin");
    await emit("connection");
    await update();
    expect(one("store-name").textContent).toBe("keys.example.org");
    expect(one("store-role").textContent).toContain("admin");
    expect(seen.keyLoads).toBeGreaterThan(before);
  });
});
