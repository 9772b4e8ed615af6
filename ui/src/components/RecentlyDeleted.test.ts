import { describe, expect, test, vi } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import RecentlyDeleted from "./RecentlyDeleted.svelte";
import { hoursAgo, makeKey, NOW } from "../lib/fixtures";
import { all, one, pageForTests, settle } from "../lib/test-setup";
import type { DeletedKeyView } from "../lib/ipc";

const mountPage = pageForTests();

function deleted(id: string, name: string, over: Partial<DeletedKeyView> = {}): DeletedKeyView {
  return {
    key: makeKey({ id, name, live_tokens: 2 }),
    deleted_at: hoursAgo(3),
    deleted_by: { id: "usr_1", name: "Ada Lovelace", email: "ada@example.org" },
    reason: "deleted",
    said: "Deleted by Ada Lovelace",
    purges_at: "2025-09-19T09:00:00Z",
    purges_in: "in 30 days",
    ...over,
  };
}

function mockBin(items: DeletedKeyView[], calls: { cmd: string; args: unknown }[]) {
  let bin = [...items];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    const id = (args as { id?: string } | undefined)?.id;
    if (cmd === "deleted_keys") return bin;
    if (cmd === "restore_key") {
      const d = bin.find((x) => x.key.id === id);
      if (!d) throw { code: "NOT_FOUND", message: `deleted API key '${id}' was not found` };
      bin = bin.filter((x) => x !== d);
      return d.key;
    }
    if (cmd === "purge_deleted_key") {
      const d = bin.find((x) => x.key.id === id)!;
      bin = bin.filter((x) => x !== d);
      return d;
    }
    throw { code: "UNEXPECTED", message: cmd };
  });
}

describe("recently deleted", () => {
  test("lists deleted keys with who deleted them and when they go for good; Restore brings one back", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockBin(
      [
        deleted("key_1", "Zapier"),
        deleted("key_2", "Quarterly export", { reason: "inactive", said: "Deleted for inactivity", deleted_by: null }),
      ],
      calls,
    );
    const onrestored = vi.fn();
    await mountPage(RecentlyDeleted, { now: NOW, onclose: () => {}, onrestored });
    await settle();

    const rows = [...all("deleted-row")];
    expect(rows.map((r) => r.getAttribute("data-id"))).toEqual(["key_1", "key_2"]);
    expect(rows[0].textContent).toContain("Zapier");
    expect(rows[0].textContent).toContain("Deleted by Ada Lovelace");
    expect(rows[0].textContent).toContain("3 hours ago");
    expect(rows[0].textContent).toContain("in 30 days");
    expect(rows[0].textContent).toContain("2 tokens come back");
    expect(rows[1].textContent).toContain("Deleted for inactivity");

    rows[0].querySelector<HTMLButtonElement>('[data-testid="deleted-restore"]')!.click();
    await settle();
    expect(calls.find((c) => c.cmd === "restore_key")?.args).toEqual({ id: "key_1" });
    expect(onrestored).toHaveBeenCalledWith("key_1", "Zapier");
    expect([...all("deleted-row")].map((r) => r.getAttribute("data-id"))).toEqual(["key_2"]);
  });

  test("Delete forever asks for a second press, then purges", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockBin([deleted("key_1", "Zapier")], calls);
    await mountPage(RecentlyDeleted, { now: NOW, onclose: () => {}, onrestored: () => {} });
    await settle();

    const purge = one<HTMLButtonElement>("deleted-purge");
    purge.click();
    await settle();
    expect(calls.some((c) => c.cmd === "purge_deleted_key")).toBe(false);
    expect(purge.textContent).toContain("sure?");
    purge.click();
    await settle();
    expect(calls.find((c) => c.cmd === "purge_deleted_key")?.args).toEqual({ id: "key_1" });
    expect(one("deleted-empty")?.textContent).toContain("No API keys were deleted in the last 30 days");
  });

  test("a restore that fails says why and shows the list as it is now", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === "deleted_keys") return calls.filter((c) => c.cmd === "deleted_keys").length === 1 ? [deleted("key_1", "Zapier")] : [];
      if (cmd === "restore_key") throw { code: "NOT_FOUND", message: "deleted API key 'key_1' was not found" };
      throw { code: "UNEXPECTED", message: cmd };
    });
    await mountPage(RecentlyDeleted, { now: NOW, onclose: () => {}, onrestored: () => {} });
    await settle();
    one<HTMLButtonElement>("deleted-restore").click();
    await settle();
    expect(one("dialog-error")?.textContent).toContain("was not found");
    expect(all("deleted-row")).toHaveLength(0);
  });
});
