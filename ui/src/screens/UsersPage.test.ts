import { describe, expect, test } from "vitest";
import { flushSync } from "svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import UsersPage from "./UsersPage.svelte";
import { hoursAgo, makeKey, makeUser, NOW } from "../lib/fixtures";
import { all, click, menuItem, one, pageForTests, typeInto, update } from "../lib/test-setup";
import type { Impact, IpcError, KeyView, UserView } from "../lib/ipc";
import { app } from "../lib/state.svelte";

const realNow = app.now;
const mountPage = pageForTests(() => {
  app.now = realNow;
});

/** The page, with Rust refusing the new site manager with `refusal`. */
async function addRefused(refusal: IpcError): Promise<void> {
  mockIPC((cmd) => {
    if (cmd === "list_users") return [makeUser()];
    if (cmd === "list_locations") return [];
    if (cmd === "add_user") throw refusal;
    return null;
  });
  await mountPage(UsersPage);
  await click(one("add-user"));
  typeInto(one("user-name"), "Bob");
  typeInto(one("user-email"), "bob@example");
  await click(one("user-submit"));
}

describe("site managers", () => {
  test("each row has one \"⋯\" menu, Clear API keys last and red, keyboard-usable", async () => {
    mockIPC((cmd) => {
      if (cmd === "list_users") return [makeUser()];
      if (cmd === "list_locations") return [];
      return null;
    });
    await mountPage(UsersPage);
    const row = one("user-row");
    expect(row.querySelectorAll("button.btn")).toHaveLength(0);
    const toggle = one("user-actions", row);
    await click(toggle);
    const items = [...row.querySelectorAll<HTMLButtonElement>('[role="menuitem"]')];
    expect(items.map((b) => b.textContent!.trim())).toEqual(["Edit…", "Deactivate", "Webhooks", "Clear API keys…"]);
    expect(items.at(-1)!.classList.contains("danger")).toBe(true);
    expect(document.activeElement).toBe(items[0]);
    items[0].dispatchEvent(new KeyboardEvent("keydown", { key: "End", bubbles: true }));
    expect(document.activeElement).toBe(items.at(-1));
    items.at(-1)!.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    await Promise.resolve();
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    expect(document.activeElement).toBe(toggle);
    await click(toggle);
    await click(one("clear-keys", row));
    expect(one("impact-dialog")).not.toBeNull();
  });

  test("a refused email is marked at the email field, which takes the focus", async () => {
    const message = "'bob@example' is not an email address (no dot in the domain) — enter one like ada@example.com";
    await addRefused({ code: "INVALID_INPUT", message, field: "email" });
    const email = one("user-email");
    expect(email.getAttribute("aria-invalid")).toBe("true");
    expect(one("user-name").getAttribute("aria-invalid")).toBe("false");
    expect(document.activeElement).toBe(email);
    expect(one("dialog-error").textContent).toBe(message);
    expect(email.getAttribute("aria-describedby")).toBe(one("dialog-error").id);
  });

  test("a refusal about no field marks no input", async () => {
    await addRefused({ code: "EMAIL_TAKEN", message: "a site manager with the email bob@example.com already exists" });
    expect(one("user-email").getAttribute("aria-invalid")).toBe("false");
    expect(one("dialog-error").textContent).toContain("already exists");
  });
});

// ---------------------------------------------------------------- confirmations

const ada = makeUser({ keys: 11 });

/** Ada's ten working keys, newest first: two in use (one used 2 hours ago with 3 live
 * tokens, one with 2 live tokens), eight that nothing uses. */
function tenKeys(): KeyView[] {
  return Array.from({ length: 10 }, (_, i) =>
    makeKey({ id: `key_${i}`, name: `Key ${i}`, created_at: hoursAgo(100 - i), last_used_at: i === 7 ? hoursAgo(24 * 60) : null }),
  ).map((k) =>
    k.id === "key_3"
      ? { ...k, in_use: true, last_used_at: hoursAgo(2), live_tokens: 3 }
      : k.id === "key_8"
        ? { ...k, in_use: true, live_tokens: 2 }
        : k,
  );
}

const busyImpact = (): Impact => ({ user: ada, keys: tenKeys(), tokens: 5, in_use: 2 });
const quietImpact = (): Impact => ({ user: makeUser({ keys: 0 }), keys: [], tokens: 0, in_use: 0 });

type Call = { cmd: string; args: Record<string, unknown> };
/** What was asked for: the page's loads aside, only the impact and the changes. */
const changes = (calls: Call[]) => calls.filter((c) => c.cmd !== "list_users" && c.cmd !== "list_locations");

/** The page with Ada; `impact` answers user_impact (a function may throw or never answer). */
async function usersPage(impact: () => Impact | Promise<Impact> = busyImpact, refuse: IpcError | null = null) {
  const calls: Call[] = [];
  mockIPC((cmd, raw) => {
    const args = (raw ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    switch (cmd) {
      case "list_users":
        return [ada];
      case "list_locations":
        return [];
      case "user_impact":
        return impact();
      case "set_api_access":
        if (refuse) throw refuse;
        return { ...ada, api_access: args.on };
      case "set_user_active":
        if (refuse) throw refuse;
        return { ...ada, active: args.active };
      case "clear_user_keys":
        if (refuse) throw refuse;
        return { user: { ...ada, api_access: false, keys: 0 }, keys_revoked: 11, tokens_revoked: 5 };
      default:
        throw { code: "INTERNAL", message: `unexpected ${cmd}` };
    }
  });
  app.now = NOW;
  await mountPage(UsersPage);
  return calls;
}

type Opening = {
  action: string;
  /** Opens the dialog as a person would; answers what should have the focus back after. */
  open: () => Promise<HTMLElement>;
  title: string;
  confirm: string;
  consequence: string;
  cmd: string;
  args: Record<string, unknown>;
  /** The row once the change is made. */
  after: (row: HTMLElement) => void;
};

const row = () => one("user-row");

async function fromMenu(testid: string): Promise<HTMLElement> {
  const item = await menuItem(testid, row());
  await click(item);
  return one("user-actions", row());
}

const OPENINGS: Opening[] = [
  {
    action: "turning API access off",
    open: async () => {
      const toggle = one<HTMLInputElement>("api-access-toggle", row());
      await click(toggle);
      return toggle;
    },
    title: "Turn off API access for Ada Lovelace?",
    confirm: "Turn off API access",
    consequence: "fail with API_ACCESS_OFF until API access is back on. This can be undone",
    cmd: "set_api_access",
    args: { id: "usr_1", on: false },
    after: (r) => expect(one<HTMLInputElement>("api-access-toggle", r).checked).toBe(false),
  },
  {
    action: "deactivating",
    open: () => fromMenu("user-toggle-active"),
    title: "Deactivate Ada Lovelace?",
    confirm: "Deactivate",
    consequence: "fail with USER_DEACTIVATED until they are reactivated. This can be undone",
    cmd: "set_user_active",
    args: { id: "usr_1", active: false },
    after: (r) => expect(r.textContent).toContain("Deactivated"),
  },
  {
    action: "clearing API keys",
    open: () => fromMenu("clear-keys"),
    title: "Clear API keys of Ada Lovelace?",
    confirm: "Clear API keys",
    consequence: "All 11 API keys of Ada Lovelace and every token minted from them are revoked for good",
    cmd: "clear_user_keys",
    args: { id: "usr_1" },
    after: (r) => expect(one<HTMLInputElement>("api-access-toggle", r).checked).toBe(false),
  },
];

describe("confirming what access off, deactivating and clearing keys would stop", () => {
  test.each(OPENINGS)("$action names the keys that stop working, and only Confirm makes the change", async (o) => {
    const calls = await usersPage();
    await o.open();

    const dialog = one("impact-dialog");
    expect(dialog.getAttribute("role")).toBe("dialog");
    expect(dialog.querySelector("h2")!.textContent).toBe(o.title);
    expect(changes(calls)).toEqual([{ cmd: "user_impact", args: { id: "usr_1" } }]);
    expect(one("impact-summary").textContent!.trim()).toBe(
      "10 keys and 5 tokens will stop working — 2 of the keys are in use.",
    );

    // Eight listed, those in use first and marked, then how many more.
    const listed = [...all("impact-key")];
    expect(listed.map((k) => k.dataset.keyId)).toEqual(["key_3", "key_8", "key_0", "key_1", "key_2", "key_4", "key_5", "key_6"]);
    expect(listed.map((k) => k.dataset.inUse)).toEqual(["true", "true", "false", "false", "false", "false", "false", "false"]);
    const cells = (k: HTMLElement) => [...k.querySelectorAll("td")].map((td) => td.textContent!.trim());
    expect(cells(listed[0])).toEqual(["Key 3", "2 hours ago", "3", "In use"]);
    expect(cells(listed[1])).toEqual(["Key 8", "Never", "2", "In use"]);
    expect(cells(listed[2])).toEqual(["Key 0", "Never", "0", ""]);
    expect(one("impact-more").textContent).toBe("and 2 more keys");
    expect(one("impact-consequence").textContent).toContain(o.consequence);

    // Something in use: red, saying the action, and the focus on Cancel.
    const confirm = one<HTMLButtonElement>("impact-confirm");
    expect(confirm.textContent!.trim()).toBe(o.confirm);
    expect(confirm.classList.contains("btn-danger")).toBe(true);
    expect(confirm.disabled).toBe(false);
    expect(document.activeElement).toBe(one("impact-cancel"));
    if (o.cmd === "set_api_access") expect(one<HTMLInputElement>("api-access-toggle").checked).toBe(true);

    await click(confirm);
    expect(changes(calls).slice(1)).toEqual([{ cmd: o.cmd, args: o.args }]);
    expect(document.querySelector('[data-testid="impact-dialog"]')).toBeNull();
    o.after(row());
  });

  test.each(OPENINGS)("cancelling $action changes nothing and returns the focus", async (o) => {
    const calls = await usersPage();
    const opener = await o.open();
    expect(one("impact-dialog")).not.toBeNull();
    await click(one("impact-cancel"));
    expect(document.querySelector('[data-testid="impact-dialog"]')).toBeNull();
    expect(changes(calls).map((c) => c.cmd)).toEqual(["user_impact"]);
    expect(document.activeElement).toBe(opener);
    expect(one<HTMLInputElement>("api-access-toggle").checked).toBe(true);
    expect(row().textContent).not.toContain("Deactivated");
  });

  test("Escape closes it like the other dialogs, changing nothing", async () => {
    const calls = await usersPage();
    const opener = await OPENINGS[1].open();
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    await update();
    expect(document.querySelector('[data-testid="impact-dialog"]')).toBeNull();
    expect(document.activeElement).toBe(opener);
    expect(changes(calls).map((c) => c.cmd)).toEqual(["user_impact"]);
  });

  test("no keys working: said plainly, and Enter (the focused Confirm) confirms", async () => {
    const calls = await usersPage(quietImpact);
    await OPENINGS[0].open();
    expect(one("impact-summary").textContent!.trim()).toBe("No keys will stop working.");
    expect(one("impact-summary").classList.contains("impact")).toBe(false);
    expect(all("impact-key")).toHaveLength(0);
    expect(document.querySelector('[data-testid="impact-more"]')).toBeNull();
    const confirm = one<HTMLButtonElement>("impact-confirm");
    expect(confirm.classList.contains("btn-danger")).toBe(false);
    expect(confirm.classList.contains("btn-primary")).toBe(true);
    expect(confirm.textContent!.trim()).toBe("Turn off API access");
    expect(document.activeElement).toBe(confirm);
    // Enter on a focused submit button submits its form.
    confirm.closest("form")!.requestSubmit(confirm);
    await update();
    expect(changes(calls)).toEqual([
      { cmd: "user_impact", args: { id: "usr_1" } },
      { cmd: "set_api_access", args: { id: "usr_1", on: false } },
    ]);
  });

  test("keys that work but nothing uses: plain for access off, red for clearing (revoked for good)", async () => {
    const unused = (): Impact => ({ user: makeUser({ keys: 1 }), keys: [makeKey()], tokens: 0, in_use: 0 });
    await usersPage(unused);
    await OPENINGS[0].open();
    expect(one("impact-summary").textContent!.trim()).toBe(
      "1 key will stop working, and it was not used in the last 30 days.",
    );
    expect(one("impact-key").dataset.inUse).toBe("false");
    expect(one("impact-confirm").classList.contains("btn-danger")).toBe(false);
    await click(one("impact-cancel"));
    await OPENINGS[2].open();
    expect(one("impact-confirm").classList.contains("btn-danger")).toBe(true);
    expect(one("impact-consequence").textContent).toContain("This cannot be undone");
  });

  test("while the keys are checked, Confirm waits", async () => {
    const calls = await usersPage(() => new Promise<Impact>(() => {}));
    await OPENINGS[1].open();
    expect(one("impact-loading").textContent).toContain("Checking which of Ada Lovelace's keys work now");
    expect(one<HTMLButtonElement>("impact-confirm").disabled).toBe(true);
    await click(one("impact-confirm"));
    expect(changes(calls).map((c) => c.cmd)).toEqual(["user_impact"]);
  });

  test("when the keys cannot be checked, the error shows, Confirm stays off, and Cancel works", async () => {
    let fail = true;
    const calls = await usersPage(() => {
      if (fail) throw { code: "DATABASE_LOCKED", message: "the database is locked by another Keyward — close it and retry" };
      return busyImpact();
    });
    const opener = await OPENINGS[2].open();
    expect(one("impact-error").getAttribute("role")).toBe("alert");
    expect(one("impact-error").textContent).toContain("the database is locked by another Keyward — close it and retry");
    expect(one<HTMLButtonElement>("impact-confirm").disabled).toBe(true);
    expect(document.querySelector('[data-testid="impact-summary"]')).toBeNull();

    fail = false;
    await click(one("impact-retry"));
    expect(one("impact-summary").textContent).toContain("10 keys and 5 tokens will stop working");
    fail = true;

    await click(one("impact-cancel"));
    expect(document.querySelector('[data-testid="impact-dialog"]')).toBeNull();
    expect(document.activeElement).toBe(opener);
    expect(changes(calls).map((c) => c.cmd)).toEqual(["user_impact", "user_impact"]);
  });

  test("a refused change is said in the dialog, which stays open", async () => {
    const refusal = { code: "FORBIDDEN", message: "only admins can deactivate site managers" } as IpcError;
    await usersPage(busyImpact, refusal);
    await OPENINGS[1].open();
    await click(one("impact-confirm"));
    expect(one("dialog-error").textContent).toBe("only admins can deactivate site managers");
    expect(one("impact-dialog")).not.toBeNull();
    expect(row().textContent).not.toContain("Deactivated");
  });

  test("turning access back on and reactivating ask nothing: nothing breaks", async () => {
    const off: UserView = { ...ada, api_access: false, active: false };
    const calls: Call[] = [];
    mockIPC((cmd, raw) => {
      const args = (raw ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      if (cmd === "list_users") return [off];
      if (cmd === "list_locations") return [];
      if (cmd === "set_api_access") return { ...off, api_access: true };
      if (cmd === "set_user_active") return { ...off, active: true };
      throw { code: "INTERNAL", message: `unexpected ${cmd}` };
    });
    await mountPage(UsersPage);
    await click(one("api-access-toggle"));
    await click(await menuItem("user-toggle-active", row()));
    flushSync();
    expect(document.querySelector('[data-testid="impact-dialog"]')).toBeNull();
    expect(changes(calls)).toEqual([
      { cmd: "set_api_access", args: { id: "usr_1", on: true } },
      { cmd: "set_user_active", args: { id: "usr_1", active: true } },
    ]);
  });
});
