// First run: an empty store leads to adding a site manager before creating a key.
import { describe, expect, test } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import KeysPage from "./KeysPage.svelte";
import UsersPage from "./UsersPage.svelte";
import CreateKeyDialog from "../components/CreateKeyDialog.svelte";
import { makeUser, pageOf } from "../lib/fixtures";
import { canOwnKeys } from "../lib/rules";
import { app } from "../lib/state.svelte";
import { click, one, pageForTests } from "../lib/test-setup";
import type { UserView } from "../lib/ipc";

const mountPage = pageForTests(() => {
  app.screen = "keys";
  app.addUserRequested = false;
});

function emptyStore(users: UserView[]): void {
  mockIPC((cmd) => {
    switch (cmd) {
      case "list_users":
        return users;
      case "list_locations":
        return [];
      case "list_keys":
        return pageOf([], {});
      case "expiring_soon":
        return { keys: [], tokens: [], urgent: 0 };
      default:
        return null;
    }
  });
}

describe("first run", () => {
  test("only an active site manager with API access can own keys", () => {
    expect(canOwnKeys([])).toBe(false);
    expect(canOwnKeys([makeUser({ api_access: false })])).toBe(false);
    expect(canOwnKeys([makeUser({ active: false })])).toBe(false);
    expect(canOwnKeys([makeUser({ api_access: false }), makeUser({ id: "usr_2" })])).toBe(true);
  });

  test("an empty store leads to adding a site manager, with the form open", async () => {
    emptyStore([]);
    await mountPage(KeysPage);
    await click(one("empty-add-manager"));
    expect(app.screen).toBe("users");
    expect(app.addUserRequested).toBe(true);
  });

  test("Site managers & access opens the add form when asked to", async () => {
    emptyStore([]);
    app.addUserRequested = true;
    await mountPage(UsersPage);
    expect(one("user-name")).not.toBeNull();
    expect(app.addUserRequested).toBe(false);
  });

  test("the create dialog says why no site manager can be chosen, and offers to add one", async () => {
    emptyStore([makeUser({ api_access: false })]);
    let closed = false;
    await mountPage(CreateKeyDialog, {
      users: [makeUser({ api_access: false })],
      locations: [],
      defaultOwner: "",
      onclose: () => (closed = true),
      onchanged: () => {},
    });
    expect(one("create-no-owner").textContent).toContain("No site manager can own a key yet");
    await click(one("create-add-manager"));
    expect(closed).toBe(true);
    expect(app.screen).toBe("users");
  });
});
