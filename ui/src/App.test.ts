import type { AppStatus } from "./lib/ipc";
import { describe, expect, test } from "vitest";
import { flushSync } from "svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import App from "./App.svelte";
import { pageForTests, settle } from "./lib/test-setup";
import { makeSettings, pageOf } from "./lib/fixtures";
import { app } from "./lib/state.svelte";

const mountPage = pageForTests(() => {
  app.screen = "keys";
  app.startupProblem = null;
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
        case "list_keys":
          return pageOf([], args);
        case "list_users":
        case "list_locations":
        case "list_audit":
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
