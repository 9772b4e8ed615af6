import { describe, expect, test } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import ActivityPage from "./ActivityPage.svelte";
import { makeUser } from "../lib/fixtures";
import { click, one, pageForTests } from "../lib/test-setup";
import { dateTime } from "../lib/rules";
import { toasts } from "../lib/state.svelte";
import type { AuditView } from "../lib/ipc";

const mountPage = pageForTests(() => (toasts.list = []));

const TOK = "tok_01J9ZK6V3Q8M2N4P5R7S9T0W1X";
const EVENT: AuditView = {
  id: "evt_01J9ZK6V3Q8M2N4P5R7S9T0W3Z",
  at: "2026-12-01T09:00:00Z",
  actor: "desktop",
  actor_user_id: "usr_dana",
  action: "token.created",
  entity: "token",
  operation: "created",
  object_id: TOK,
  object_name: "Zapier",
  user_id: "usr_dana",
  key_id: "key_01J9ZK6V3Q8M2N4P5R7S9T0W2Y",
  summary: `generated token ${TOK} (kwt_abcd…wxyz) from API key 'Zapier', expires 2026-12-31T09:00:00Z`,
};

describe("activity", () => {
  test("sentences with names and the app's dates, kinds in words, ids one click away", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "list_audit") return [EVENT];
      if (cmd === "list_users") return [makeUser({ id: "usr_dana", name: "Dana Whitfield" })];
      return null;
    });
    await mountPage(ActivityPage);
    const row = one("audit-row");
    expect(one("audit-summary", row).textContent).toBe(
      `Generated token kwt_abcd…wxyz from API key “Zapier”, expires ${dateTime("2026-12-31T09:00:00Z")}`,
    );
    expect(row.textContent).not.toContain("tok_01");
    expect(one("audit-kind", row).textContent!.replace(/\s+/g, " ").trim()).toBe("Token created");
    expect(one("audit-actor", row).textContent).toBe("Dana Whitfield · Desktop app");

    const copy = one("audit-copy-id", row);
    expect(copy.title).toBe(`Copy the token id ${TOK}`);
    await click(copy);
    expect(calls.find((c) => c.cmd === "copy_id")?.args).toEqual({ id: TOK });
    expect(toasts.list.at(-1)?.text).toBe(`Copied the token id ${TOK}`);
  });
});
