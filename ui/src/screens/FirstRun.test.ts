// First run: a store on this computer asks who owns it ("Who are you?"); an empty store
// leads to adding a site manager before creating a key.
import { describe, expect, test } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import KeysPage from "./KeysPage.svelte";
import UsersPage from "./UsersPage.svelte";
import CreateKeyDialog from "../components/CreateKeyDialog.svelte";
import App from "../App.svelte";
import { makeAppStatus, makeConnection, makeSettings, makeUser, pageOf } from "../lib/fixtures";
import { canOwnKeys } from "../lib/rules";
import { app } from "../lib/state.svelte";
import { click, one, pageForTests, typeInto, update } from "../lib/test-setup";
import type { IpcError, UserView } from "../lib/ipc";

const mountPage = pageForTests(() => {
  app.screen = "keys";
  app.addUserRequested = false;
  app.connection = null;
  app.connectionKnown = false;
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

// ---------------------------------------------------------------- Who are you?

type Call = { cmd: string; args: Record<string, unknown> };

/** A store on this computer that does not know its owner yet, holding `users`. */
function ownerless(users: UserView[], refuse?: IpcError): Call[] {
  const calls: Call[] = [];
  let owner: UserView | null = null;
  let declined = false;
  mockIPC((cmd, raw) => {
    const args = (raw ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    switch (cmd) {
      case "app_status":
        return makeAppStatus();
      case "connection_status":
        return makeConnection({
          // A new store must answer; one with site managers is asked once.
          owner_needed: owner === null && !declined && users.length === 0,
          owner_unknown: owner === null && !declined && users.length > 0,
          session: { user: owner, role: "admin", store: "this computer" },
        });
      case "decline_ownership":
        declined = true;
        return null;
      case "claim_ownership":
        if (refuse) throw refuse;
        owner = makeUser({ id: "usr_9", name: String(args.name), email: String(args.email) });
        users = [...users, owner];
        return owner;
      case "list_users":
        return users;
      case "list_locations":
      case "list_management_tokens":
      case "recent_reminders":
        return [];
      case "list_keys":
        return pageOf([], args);
      case "expiring_soon":
        return { keys: [], tokens: [], urgent: 0 };
      case "get_settings":
        return makeSettings();
      default:
        return null;
    }
  });
  return calls;
}

describe("Who are you?", () => {
  test("a store that does not know its owner asks first, before the keys and the first-run offer", async () => {
    ownerless([]);
    await mountPage(App);
    const text = one("owner-form").textContent!.replace(/\s+/g, " ");
    expect(text).toContain("Who are you?");
    expect(text).toContain("under your name");
    expect(text).toContain("makes you the first admin");
    expect(one("create-key")).toBeNull();
    expect(one("empty-add-manager")).toBeNull();
    expect(document.activeElement).toBe(one("owner-name"));
  });

  test("empty fields are said beside each, and nothing is sent", async () => {
    const calls = ownerless([]);
    await mountPage(App);
    one("owner-form").closest("form")!.requestSubmit();
    await update();
    expect(one("owner-name-error").textContent).toContain("your name");
    expect(one("owner-email-error").textContent).toContain("email");
    expect(one("owner-name").getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe(one("owner-name"));
    expect(calls.some((c) => c.cmd === "claim_ownership")).toBe(false);
  });

  test("Rust's refusal is shown beside the field it names", async () => {
    ownerless([], {
      code: "INVALID_INPUT",
      field: "email",
      message: "bob@example.org is a manager, not an admin — use your own email, or ask an admin to add you as one",
    });
    await mountPage(App);
    typeInto(one<HTMLInputElement>("owner-name"), "Bob Builder");
    typeInto(one<HTMLInputElement>("owner-email"), "bob@example.org");
    (one("owner-form") as HTMLFormElement).requestSubmit();
    await update();
    expect(one("owner-email-error").textContent).toContain("is a manager, not an admin");
    expect(one("owner-email").getAttribute("aria-invalid")).toBe("true");
    expect(one("owner-name").getAttribute("aria-invalid")).toBe("false");
    expect(one("owner-name-error")).toBeNull();
    expect(document.activeElement).toBe(one("owner-email"));
    expect(one("owner-form")).not.toBeNull();
  });

  test("answering makes you the first admin, then the first-run flow continues", async () => {
    const calls = ownerless([]);
    await mountPage(App);
    typeInto(one<HTMLInputElement>("owner-name"), " Ada Lovelace ");
    typeInto(one<HTMLInputElement>("owner-email"), "ada@example.org ");
    (one("owner-form") as HTMLFormElement).requestSubmit();
    await update();
    expect(calls.find((c) => c.cmd === "claim_ownership")!.args).toEqual({ name: "Ada Lovelace", email: "ada@example.org" });
    expect(one("owner-form")).toBeNull();
    // An admin with API access now exists: the empty store offers to create a key.
    expect(document.body.textContent).toContain("No API keys yet");
    expect(one("empty-add-manager")).toBeNull();
    expect(app.connection?.owner_needed).toBe(false);
  });

  test("Preferences and the docs stay open, to connect to a team server instead", async () => {
    ownerless([]);
    await mountPage(App);
    await click(one("owner-use-server"));
    expect(app.screen).toBe("preferences");
    expect(one("owner-form")).toBeNull();
    expect(one("connection-section")).not.toBeNull();
    await click(one("nav-keys"));
    expect(one("owner-form")).not.toBeNull();
  });

  test("a store with site managers asks above the screen, and Not now is an answer", async () => {
    const ada = makeUser({ id: "usr_1", name: "Ada Lovelace", email: "ada@example.org" });
    const calls = ownerless([ada]);
    await mountPage(App);
    // The keys screen is there, with the question above it; nothing takes the focus.
    expect(one("owner-form")).toBeNull();
    expect(one("owner-banner")).not.toBeNull();
    expect(document.body.textContent).toContain("No API keys yet");
    expect(document.activeElement).not.toBe(one("owner-name"));
    await click(one("owner-not-now"));
    expect(calls.some((c) => c.cmd === "decline_ownership")).toBe(true);
    expect(one("owner-banner")).toBeNull();
    expect(calls.some((c) => c.cmd === "claim_ownership")).toBe(false);
  });

  test("answering the question above the screen names you the owner", async () => {
    const ada = makeUser({ id: "usr_1", name: "Ada Lovelace", email: "ada@example.org" });
    const calls = ownerless([ada]);
    await mountPage(App);
    typeInto(one<HTMLInputElement>("owner-name"), "Ada Lovelace");
    typeInto(one<HTMLInputElement>("owner-email"), "ada@example.org");
    (one("owner-banner") as HTMLFormElement).requestSubmit();
    await update();
    expect(calls.find((c) => c.cmd === "claim_ownership")!.args).toEqual({ name: "Ada Lovelace", email: "ada@example.org" });
    expect(one("owner-banner")).toBeNull();
  });
});
