import { afterEach, describe, expect, test } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { BulkRun, bulkCall, bulkTitle, namesPreview, progressText, summaryText, type BulkAction } from "./bulk.svelte";
import type { Picked } from "./selection.svelte";
import { installBrowserShims } from "./test-setup";

installBrowserShims();
afterEach(() => clearMocks());

const keys = (n: number): Picked[] =>
  Array.from({ length: n }, (_, i) => ({ id: `key_${i + 1}`, name: `Key ${i + 1}`, status: "active", in_use: false }));

describe("bulk wording", () => {
  test("title, progress and the names listed", () => {
    expect(bulkTitle("disable", 3)).toBe("Disable 3 API keys?");
    expect(bulkTitle("delete", 1)).toBe("Delete 1 API key?");
    expect(progressText("disable", 12, 40)).toBe("Disabling 12 of 40…");
    expect(progressText("keep", 1200, 4000)).toBe("Keeping 1,200 of 4,000…");
    expect(namesPreview(keys(3))).toEqual({ shown: ["Key 1", "Key 2", "Key 3"], more: 0 });
    const many = namesPreview(keys(14));
    expect(many.shown).toHaveLength(10);
    expect(many.more).toBe(4);
  });

  test("the summary counts what was done, and says a cancel", () => {
    expect(summaryText("disable", { total: 40, succeeded: 40, failed: 0, phase: "finished" })).toBe("Disabled 40 keys.");
    expect(summaryText("enable", { total: 40, succeeded: 38, failed: 2, phase: "finished" })).toBe("Enabled 38 of 40 keys.");
    expect(summaryText("keep", { total: 40, succeeded: 12, failed: 0, phase: "cancelled" })).toBe(
      "Cancelled: 12 of 40 keys kept; 28 not tried.",
    );
    expect(summaryText("delete", { total: 1, succeeded: 1, failed: 0, phase: "finished" })).toBe("Deleted 1 key.");
  });
});

describe("bulk run", () => {
  test("each action calls its per-key command", async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return {};
    });
    for (const a of ["disable", "enable", "keep", "delete"] as BulkAction[]) await bulkCall(a, "key_1");
    expect(calls).toEqual([
      ["set_key_disabled", { id: "key_1", disabled: true }],
      ["set_key_disabled", { id: "key_1", disabled: false }],
      ["keep_key", { id: "key_1" }],
      ["delete_key", { id: "key_1", typedName: null }],
    ]);
  });

  test("one key after another; a refused key is noted with the core's message and the run goes on", async () => {
    const seen: string[] = [];
    const run = new BulkRun("disable", keys(4));
    await run.run(async (_a, id) => {
      seen.push(id);
      if (id === "key_2") throw { code: "FORBIDDEN", message: "this belongs to another site manager" };
      if (id === "key_3") throw { code: "REVOKED", message: "API key 'Key 3' is revoked" };
    });
    expect(seen).toEqual(["key_1", "key_2", "key_3", "key_4"]);
    expect(run.phase).toBe("finished");
    expect(run.succeeded).toBe(2);
    expect(run.failures).toEqual([
      { id: "key_2", name: "Key 2", code: "FORBIDDEN", message: "this belongs to another site manager" },
      { id: "key_3", name: "Key 3", code: "REVOKED", message: "API key 'Key 3' is revoked" },
    ]);
  });

  test("cancel stops after the key being worked on", async () => {
    const run = new BulkRun("keep", keys(5));
    let release: () => void = () => {};
    const seen: string[] = [];
    const done = run.run(
      (_a, id) =>
        new Promise<void>((resolve) => {
          seen.push(id);
          release = resolve;
        }),
    );
    release();
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(run.at).toBe(2);
    run.cancel();
    expect(run.phase).toBe("stopping");
    release();
    await done;
    expect(seen).toEqual(["key_1", "key_2"]);
    expect(run.phase).toBe("cancelled");
    expect(run.succeeded).toBe(2);
  });

  test("a cancel during the last key is simply the end", async () => {
    const run = new BulkRun("enable", keys(1));
    const done = run.run(async () => {
      run.cancel();
    });
    await done;
    expect(run.phase).toBe("finished");
  });
});
