// The IPC layer: each ipc.* call sends the command name and argument names Rust expects,
// and a rejection surfaces as {code, message}.
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { COMMANDS, ipc, toIpcError } from "./ipc";
import { makeSettings } from "./fixtures";

beforeAll(() => {
  // jsdom has no Web Crypto on window; the mocks use it for callback ids.
  if (!window.crypto?.getRandomValues) {
    Object.defineProperty(window, "crypto", { value: globalThis.crypto, configurable: true });
  }
});

afterEach(() => clearMocks());

type Call = { cmd: string; args: Record<string, unknown> | undefined };

function record(answer: unknown = null): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args: args as Record<string, unknown> | undefined });
    return answer;
  });
  return calls;
}

const settings = makeSettings();

const cases: [string, () => Promise<unknown>, string, Record<string, unknown>][] = [
  ["appStatus", () => ipc.appStatus(), "app_status", {}],
  ["keyListShown", () => ipc.keyListShown(), "key_list_shown", {}],
  ["listUsers", () => ipc.listUsers(), "list_users", {}],
  ["addUser", () => ipc.addUser("Ada", "ada@example.org", true), "add_user", { name: "Ada", email: "ada@example.org", admin: true }],
  ["editUser", () => ipc.editUser("usr_1", null, "a@b.org"), "edit_user", { id: "usr_1", name: null, email: "a@b.org" }],
  ["setUserActive", () => ipc.setUserActive("usr_1", false), "set_user_active", { id: "usr_1", active: false }],
  ["setApiAccess", () => ipc.setApiAccess("usr_1", true), "set_api_access", { id: "usr_1", on: true }],
  ["userImpact", () => ipc.userImpact("usr_1"), "user_impact", { id: "usr_1" }],
  ["clearUserKeys", () => ipc.clearUserKeys("usr_1"), "clear_user_keys", { id: "usr_1" }],
  ["listLocations", () => ipc.listLocations(), "list_locations", {}],
  ["addLocation", () => ipc.addLocation("Downtown"), "add_location", { name: "Downtown" }],
  ["renameLocation", () => ipc.renameLocation("loc_1", "Uptown"), "rename_location", { id: "loc_1", name: "Uptown" }],
  [
    "listKeys (default query)",
    () => ipc.listKeys(),
    "list_keys",
    {
      query: { owner: null, status: null, search: null, scope: null },
      sort: { column: "created", dir: "desc" },
      offset: 0,
      limit: 100,
    },
  ],
  [
    "listKeys (query, sort, page)",
    () =>
      ipc.listKeys(
        { owner: "usr_1", status: "in_use", search: "zap", scope: "agency" },
        { column: "name", dir: "asc" },
        200,
        300,
      ),
    "list_keys",
    {
      query: { owner: "usr_1", status: "in_use", search: "zap", scope: "agency" },
      sort: { column: "name", dir: "asc" },
      offset: 200,
      limit: 300,
    },
  ],
  ["getKey", () => ipc.getKey("key_1"), "get_key", { id: "key_1" }],
  [
    "createKey",
    () => ipc.createKey("usr_1", "Zapier – weekly volunteer export", null),
    "create_key",
    { owner: "usr_1", name: "Zapier – weekly volunteer export", location: null, policy: null },
  ],
  [
    "createKey (with a policy)",
    () =>
      ipc.createKey("usr_1", "Quarterly export", "loc_1", {
        expires: "90d",
        permissions: ["contacts:read"],
        rate: "600/min",
        notes: "The quarterly board report",
        tags: ["reports"],
        keep_always: true,
      }),
    "create_key",
    {
      owner: "usr_1",
      name: "Quarterly export",
      location: "loc_1",
      policy: {
        expires: "90d",
        permissions: ["contacts:read"],
        rate: "600/min",
        notes: "The quarterly board report",
        tags: ["reports"],
        keep_always: true,
      },
    },
  ],
  ["renameKey", () => ipc.renameKey("key_1", "New"), "rename_key", { id: "key_1", name: "New" }],
  ["keyUsage", () => ipc.keyUsage("key_1", 7), "key_usage", { id: "key_1", days: 7 }],
  [
    "editKey",
    () =>
      ipc.editKey("key_1", { name: null, notes: null, tags: ["crm"], permissions: null, rate: "none", keep_always: null }),
    "edit_key",
    { id: "key_1", edit: { name: null, notes: null, tags: ["crm"], permissions: null, rate: "none", keep_always: null } },
  ],
  ["regenerateKey", () => ipc.regenerateKey("key_1", "24h"), "regenerate_key", { id: "key_1", grace: "24h" }],
  ["setKeyDisabled", () => ipc.setKeyDisabled("key_1", true), "set_key_disabled", { id: "key_1", disabled: true }],
  ["keepKey", () => ipc.keepKey("key_1"), "keep_key", { id: "key_1" }],
  ["deleteKey (typed)", () => ipc.deleteKey("key_1", "Marketing Automation"), "delete_key", { id: "key_1", typedName: "Marketing Automation" }],
  ["deleteKey (not in use)", () => ipc.deleteKey("key_1", null), "delete_key", { id: "key_1", typedName: null }],
  ["deletedKeys", () => ipc.deletedKeys(), "deleted_keys", {}],
  ["restoreKey", () => ipc.restoreKey("key_1"), "restore_key", { id: "key_1" }],
  ["purgeDeletedKey", () => ipc.purgeDeletedKey("key_1"), "purge_deleted_key", { id: "key_1" }],
  ["copyKey", () => ipc.copyKey("key_1"), "copy_key", { id: "key_1" }],
  ["copyKeyAsCurl", () => ipc.copyKeyAsCurl("key_1"), "copy_key_as_curl", { id: "key_1" }],
  ["exportPostman", () => ipc.exportPostman("key_1"), "export_postman", { id: "key_1" }],
  ["createToken", () => ipc.createToken("key_1"), "create_token", { keyId: "key_1" }],
  ["copyToken", () => ipc.copyToken("tok_1"), "copy_token", { id: "tok_1" }],
  ["listTokens", () => ipc.listTokens("key_1"), "list_tokens", { keyId: "key_1" }],
  ["revokeToken", () => ipc.revokeToken("tok_1"), "revoke_token", { id: "tok_1" }],
  [
    "listAudit",
    () => ipc.listAudit({ limit: 500, object_id: null, user_id: null, entity: "api_key", search: "zap" }),
    "list_audit",
    { query: { limit: 500, object_id: null, user_id: null, entity: "api_key", search: "zap" } },
  ],
  ["getSettings", () => ipc.getSettings(), "get_settings", {}],
  ["updateSettings", () => ipc.updateSettings(settings), "update_settings", { settings }],
  ["sendTestEmail", () => ipc.sendTestEmail("lee@example.com"), "send_test_email", { to: "lee@example.com" }],
  ["expiringSoon", () => ipc.expiringSoon(), "expiring_soon", {}],
  ["recentReminders", () => ipc.recentReminders(), "recent_reminders", {}],
  ["runLifecycle", () => ipc.runLifecycle(), "run_lifecycle", {}],
  ["listWebhooks (everyone)", () => ipc.listWebhooks(), "list_webhooks", { user: null }],
  ["listWebhooks (one site manager)", () => ipc.listWebhooks("usr_1"), "list_webhooks", { user: "usr_1" }],
  [
    "addWebhook",
    () =>
      ipc.addWebhook({
        user: "usr_1",
        url: "https://example.com/keyward-events",
        entity: "api_key",
        operation: "*",
        allow_private: false,
      }),
    "add_webhook",
    {
      input: {
        user: "usr_1",
        url: "https://example.com/keyward-events",
        entity: "api_key",
        operation: "*",
        allow_private: false,
      },
    },
  ],
  ["setWebhookActive", () => ipc.setWebhookActive("whk_1", false), "set_webhook_active", { id: "whk_1", on: false }],
  ["removeWebhook", () => ipc.removeWebhook("whk_1"), "remove_webhook", { id: "whk_1" }],
  ["testWebhook", () => ipc.testWebhook("whk_1"), "test_webhook", { id: "whk_1" }],
  ["webhookDeliveries (default)", () => ipc.webhookDeliveries("whk_1"), "webhook_deliveries", { id: "whk_1", limit: null }],
  ["webhookDeliveries (limit)", () => ipc.webhookDeliveries("whk_1", 20), "webhook_deliveries", { id: "whk_1", limit: 20 }],
  ["copyWebhookSecret", () => ipc.copyWebhookSecret("whk_1"), "copy_webhook_secret", { id: "whk_1" }],
  ["copyId", () => ipc.copyId("tok_1"), "copy_id", { id: "tok_1" }],
  ["backUpStore", () => ipc.backUpStore("correct horse battery"), "back_up_store", { passphrase: "correct horse battery" }],
  [
    "restoreStore",
    () => ipc.restoreStore(new Uint8Array([1, 2]), "correct horse battery"),
    "restore_store",
    { archive: [1, 2], passphrase: "correct horse battery" },
  ],
  ["connectionStatus", () => ipc.connectionStatus(), "connection_status", {}],
  [
    "connectServer",
    () => ipc.connectServer("https://keys.example.org", "kwm_AbCdEf"),
    "connect_server",
    { url: "https://keys.example.org", token: "kwm_AbCdEf" },
  ],
  ["useThisComputer", () => ipc.useThisComputer(), "use_this_computer", {}],
  [
    "claimOwnership",
    () => ipc.claimOwnership("Ada Lovelace", "ada@example.org"),
    "claim_ownership",
    { name: "Ada Lovelace", email: "ada@example.org" },
  ],
  ["declineOwnership", () => ipc.declineOwnership(), "decline_ownership", {}],
  ["listManagementTokens (everyone)", () => ipc.listManagementTokens(), "list_management_tokens", { user: null }],
  ["listManagementTokens (one site manager)", () => ipc.listManagementTokens("usr_1"), "list_management_tokens", { user: "usr_1" }],
  [
    "createManagementToken",
    () => ipc.createManagementToken("usr_1", "Deploy script", "90d"),
    "create_management_token",
    { user: "usr_1", name: "Deploy script", expires: "90d" },
  ],
  [
    "createManagementToken (no name, never expires)",
    () => ipc.createManagementToken("usr_1", null, "never"),
    "create_management_token",
    { user: "usr_1", name: null, expires: "never" },
  ],
  ["revokeManagementToken", () => ipc.revokeManagementToken("mgt_1"), "revoke_management_token", { id: "mgt_1" }],
];

describe("ipc sends each command with Rust's argument names", () => {
  test.each(cases)("%s", async (_name, run, cmd, args) => {
    const calls = record();
    await run();
    expect(calls).toHaveLength(1);
    expect(calls[0].cmd).toBe(cmd);
    expect(calls[0].args ?? {}).toEqual(args);
  });

  test("every command of the Rust handler is covered", () => {
    // COMMANDS is generated from src-tauri/commands/list.rs, the handler's one list.
    expect(new Set(cases.map((c) => c[2]))).toEqual(new Set(COMMANDS));
    expect(new Set(cases.map((c) => c[2])).size).toBe(Object.keys(ipc).length);
  });

  test("answers come back as sent", async () => {
    mockIPC(() => ({ clears_in_seconds: 30 }));
    await expect(ipc.copyKey("key_1")).resolves.toEqual({ clears_in_seconds: 30 });
  });
});

describe("webhooks", () => {
  test("copying a signing secret answers with a receipt, not the secret", async () => {
    mockIPC((cmd) => (cmd === "copy_webhook_secret" ? { clears_in_seconds: 30 } : null));
    await expect(ipc.copyWebhookSecret("whk_1")).resolves.toEqual({ clears_in_seconds: 30 });
  });

  test("a refused test surfaces the core's code", async () => {
    mockIPC(() => {
      throw { code: "WEBHOOK_OFF", message: "the webhook https://example.com/k is off — turn it on first" };
    });
    await expect(ipc.testWebhook("whk_1")).rejects.toMatchObject({ code: "WEBHOOK_OFF" });
  });
});

describe("errors", () => {
  test("a rejected call surfaces as {code, message}", async () => {
    mockIPC(() => {
      throw { code: "KEY_IN_USE", message: "'Marketing Automation' is in use — type its name to delete it" };
    });
    await expect(ipc.deleteKey("key_1", null)).rejects.toEqual({
      code: "KEY_IN_USE",
      message: "'Marketing Automation' is in use — type its name to delete it",
    });
  });

  test("a rejection with a bare string becomes INTERNAL", async () => {
    mockIPC(() => Promise.reject("boom"));
    await expect(ipc.listKeys()).rejects.toEqual({ code: "INTERNAL", message: "boom" });
  });

  test("toIpcError keeps the field a refusal names", () => {
    expect(toIpcError({ code: "INVALID_INPUT", message: "bad email", field: "email" })).toEqual({
      code: "INVALID_INPUT",
      message: "bad email",
      field: "email",
    });
  });

  test("toIpcError keeps only code and message", () => {
    expect(toIpcError({ code: "NOT_FOUND", message: "no such key", extra: 1 })).toEqual({
      code: "NOT_FOUND",
      message: "no such key",
    });
    expect(toIpcError(new Error("x"))).toEqual({ code: "INTERNAL", message: "Error: x" });
  });
});
