// Preferences › Access tokens: the table, revoking behind a confirmation, and a new token
// shown once.
import { describe, expect, test } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import AccessTokens from "./AccessTokens.svelte";
import { makeConnection, makeManagementToken, makeUser, serverConnection } from "../lib/fixtures";
import { app } from "../lib/state.svelte";
import { all, choose, click, menuItem, one, pageForTests, typeInto, update } from "../lib/test-setup";
import type { CreatedManagementToken, IpcError, ManagementTokenView, UserView } from "../lib/ipc";

const mountPage = pageForTests(() => {
  app.connection = null;
});

const ada = makeUser();
const grace = makeUser({ id: "usr_2", name: "Grace Hopper", email: "grace@example.org" });
const bob = makeUser({ id: "usr_3", name: "Bob Builder", email: "bob@example.org", role: "manager", active: false });

const SECRET = "kwm_NewTokenSecret0123456789abcdefghijklmn";

type Call = { cmd: string; args: Record<string, unknown> };

function rust({
  tokens = [makeManagementToken()],
  users = [ada, grace, bob],
  create,
}: {
  tokens?: ManagementTokenView[];
  users?: UserView[];
  create?: (args: Record<string, unknown>) => CreatedManagementToken;
} = {}): Call[] {
  const calls: Call[] = [];
  let list = [...tokens];
  mockIPC((cmd, raw) => {
    const args = (raw ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    switch (cmd) {
      case "list_management_tokens":
        return list;
      case "list_users":
        return users;
      case "revoke_management_token": {
        const t = list.find((x) => x.id === args.id)!;
        const revoked = { ...t, status: "revoked" };
        list = list.map((x) => (x.id === t.id ? revoked : x));
        return revoked;
      }
      case "create_management_token": {
        const c = create
          ? create(args)
          : {
              ...makeManagementToken({
                id: "mgt_02",
                name: (args.name as string | null) ?? "Management token",
                owner: { id: grace.id, name: grace.name, email: grace.email },
                masked_token: "kwm_NewT…klmn",
              }),
              token: SECRET,
            };
        const { token: _secret, ...view } = c;
        list = [...list, view];
        return c;
      }
      default:
        return null;
    }
  });
  return calls;
}

const row = (id: string) => document.querySelector<HTMLElement>(`[data-testid="access-token-row"][data-token-id="${id}"]`)!;

describe("Access tokens", () => {
  test("the table: name, site manager (email on hover), masked token, status, created, expires", async () => {
    rust({
      tokens: [
        makeManagementToken(),
        makeManagementToken({ id: "mgt_02", name: "CI", expires_at: null, status: "revoked" }),
        makeManagementToken({ id: "mgt_03", name: "Old laptop", status: "expired" }),
      ],
    });
    await mountPage(AccessTokens);
    expect(all("access-token-row")).toHaveLength(3);
    const first = row("mgt_01");
    expect(one("access-token-name", first).textContent).toBe("Deploy script");
    expect(one("access-token-owner", first).textContent).toBe("Ada Lovelace");
    expect(one("access-token-owner", first).title).toBe("ada@example.org");
    expect(one("access-token-masked", first).textContent).toBe("kwm_AbCd…wxyz");
    expect(one("access-token-status", first).textContent).toBe("Active");
    expect(first.textContent).toContain("1 Aug 2025");
    expect(one("access-token-expires", first).textContent).toBe("30 Oct 2025");
    expect(one("access-token-expires", row("mgt_02")).textContent).toBe("Never");
    expect(one("access-token-status", row("mgt_02")).textContent).toBe("Revoked");
    expect(one("access-token-status", row("mgt_03")).textContent).toBe("Expired");
    // Only a token that works can be revoked.
    expect(one("access-token-actions", first)).not.toBeNull();
    expect(one("access-token-actions", row("mgt_02"))).toBeNull();
    expect(one("access-token-actions", row("mgt_03"))).toBeNull();
  });

  test("no tokens yet says so", async () => {
    rust({ tokens: [] });
    await mountPage(AccessTokens);
    expect(one("access-tokens-empty")).not.toBeNull();
  });

  test("revoking asks first, naming the token and what stops working", async () => {
    const calls = rust();
    await mountPage(AccessTokens);
    await click(await menuItem("access-token-revoke", row("mgt_01")));
    const text = one("revoke-access-token-text").textContent!;
    expect(text).toContain("Deploy script");
    expect(text).toContain("scripts and apps using it will stop working");
    expect(calls.some((c) => c.cmd === "revoke_management_token")).toBe(false);

    // Cancel: nothing revoked.
    await click(one("dialog-close", one("revoke-access-token-dialog")));
    expect(one("revoke-access-token-dialog")).toBeNull();
    expect(calls.some((c) => c.cmd === "revoke_management_token")).toBe(false);

    await click(await menuItem("access-token-revoke", row("mgt_01")));
    one<HTMLFormElement>("revoke-access-token-submit").closest("form")!.requestSubmit();
    await update();
    expect(calls.filter((c) => c.cmd === "revoke_management_token").map((c) => c.args)).toEqual([{ id: "mgt_01" }]);
    expect(one("revoke-access-token-dialog")).toBeNull();
    expect(one("access-token-status", row("mgt_01")).textContent).toBe("Revoked");
    expect(one("access-token-actions", row("mgt_01"))).toBeNull();
  });

  test("a refused revoke is said in the dialog", async () => {
    mockIPC((cmd) => {
      if (cmd === "list_management_tokens") return [makeManagementToken()];
      if (cmd === "list_users") return [ada];
      if (cmd === "revoke_management_token") throw { code: "FORBIDDEN", message: "this belongs to another site manager" };
      return null;
    });
    await mountPage(AccessTokens);
    await click(await menuItem("access-token-revoke", row("mgt_01")));
    one("revoke-access-token-submit").closest("form")!.requestSubmit();
    await update();
    expect(one("dialog-error", one("revoke-access-token-dialog")).textContent).toContain("another site manager");
  });

  test("the create form preselects the acting site manager and offers the lifetimes, 90 days first chosen", async () => {
    app.connection = serverConnection(grace, "admin");
    rust();
    await mountPage(AccessTokens);
    await click(one("create-access-token"));
    const user = one<HTMLSelectElement>("access-token-user");
    expect(user.value).toBe("usr_2");
    // A deactivated site manager is offered, but cannot be chosen.
    expect(user.querySelector<HTMLOptionElement>('option[value="usr_3"]')!.disabled).toBe(true);
    const expires = one<HTMLSelectElement>("access-token-expires-select");
    expect([...expires.options].map((o) => [o.value, o.textContent])).toEqual([
      ["30d", "30 days"],
      ["90d", "90 days"],
      ["366d", "1 year"],
      ["never", "Never"],
    ]);
    expect(expires.value).toBe("90d");
    // The site manager is chosen: straight to the name.
    await update();
    expect(document.activeElement).toBe(one("access-token-name-input"));
  });

  test("a new token is shown once, with where to use it, and is gone when the dialog closes", async () => {
    app.connection = serverConnection(grace, "admin");
    const calls = rust();
    await mountPage(AccessTokens);
    await click(one("create-access-token"));
    typeInto(one<HTMLInputElement>("access-token-name-input"), "  Ada's laptop ");
    choose(one<HTMLSelectElement>("access-token-expires-select"), "366d");
    one("access-token-submit").closest("form")!.requestSubmit();
    await update();

    expect(calls.find((c) => c.cmd === "create_management_token")!.args).toEqual({
      user: "usr_2",
      name: "Ada's laptop",
      expires: "366d",
    });
    const dialog = one("create-access-token-dialog");
    expect(one("created-access-token").textContent).toBe(SECRET);
    expect(dialog.textContent).toContain("shown only once");
    const note = one("access-token-note").textContent!.replace(/\s+/g, " ");
    expect(note).toContain("Use it in Keyward on another computer (Preferences › Connection) or as KEYWARD_TOKEN with keyward --server");
    expect(document.activeElement).toBe(one("created-access-token-copy"));
    // The table has the new row, masked.
    expect(one("access-token-masked", row("mgt_02")).textContent).toBe("kwm_NewT…klmn");

    await click(one("dialog-close", dialog));
    expect(one("create-access-token-dialog")).toBeNull();
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  test("a blank name lets Rust choose one; the only active site manager is preselected", async () => {
    app.connection = makeConnection();
    const calls = rust({ users: [ada, bob] });
    await mountPage(AccessTokens);
    await click(one("create-access-token"));
    expect(one<HTMLSelectElement>("access-token-user").value).toBe("usr_1");
    one("access-token-submit").closest("form")!.requestSubmit();
    await update();
    expect(calls.find((c) => c.cmd === "create_management_token")!.args).toEqual({
      user: "usr_1",
      name: null,
      expires: "90d",
    });
  });

  test("without a site manager chosen, the form says so beside the field", async () => {
    const calls = rust();
    await mountPage(AccessTokens);
    await click(one("create-access-token"));
    expect(one<HTMLSelectElement>("access-token-user").value).toBe("");
    one("access-token-submit").closest("form")!.requestSubmit();
    await update();
    expect(one("access-token-user-error").textContent).toContain("Choose the site manager");
    expect(calls.some((c) => c.cmd === "create_management_token")).toBe(false);
  });

  const refusals: [string, IpcError, string][] = [
    ["a name too long", { code: "INVALID_INPUT", field: "name", message: "the name is longer than 100 characters" }, "name"],
    ["a deactivated site manager", { code: "USER_DEACTIVATED", message: "grace@example.org is deactivated — reactivate them first" }, "user"],
    ["too many tokens", { code: "INVALID_INPUT", field: "user", message: "grace@example.org already holds 20 management tokens" }, "user"],
    ["a bad lifetime", { code: "INVALID_INPUT", field: "expires", message: "'9y' is not a lifetime like 30d, 90d, 12h or never" }, "expires"],
  ];

  test.each(refusals)("%s is shown beside its field", async (_what, refusal, field) => {
    app.connection = serverConnection(grace, "admin");
    rust({
      create: () => {
        throw refusal;
      },
    });
    await mountPage(AccessTokens);
    await click(one("create-access-token"));
    one("access-token-submit").closest("form")!.requestSubmit();
    await update();
    expect(one(`access-token-${field}-error`).textContent).toBe(refusal.message);
    expect(one("dialog-error")).toBeNull();
    expect(one("created-access-token")).toBeNull();
  });
});
