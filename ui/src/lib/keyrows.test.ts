import { afterEach, describe, expect, test } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { BLOCK, blockFor, KeyRows, STEP } from "./keyrows.svelte";
import { makeKey, pageOf } from "./fixtures";
import { ALL_KEYS, NEWEST_FIRST, type KeyView } from "./ipc";
import { settle } from "./test-setup";

afterEach(clearMocks);

const keys: KeyView[] = Array.from({ length: 1000 }, (_, i) => makeKey({ id: `key_${i}`, name: `Key ${i}` }));

describe("blockFor", () => {
  test("covers the window with a step of room each side", () => {
    expect(blockFor(0, 30)).toEqual({ offset: 0, limit: BLOCK });
    expect(blockFor(150, 180)).toEqual({ offset: 0, limit: BLOCK });
    expect(blockFor(250, 280)).toEqual({ offset: 100, limit: BLOCK });
    for (const start of [0, 99, 100, 4321, 9_970]) {
      const end = start + 30;
      const b = blockFor(start, end);
      expect(b.offset).toBeLessThanOrEqual(start);
      expect(b.offset + b.limit).toBeGreaterThanOrEqual(end + STEP / 2);
      expect(b.offset % STEP).toBe(0);
    }
  });

  test("a window taller than a block still fits", () => {
    const b = blockFor(0, 700);
    expect(b.offset + b.limit).toBeGreaterThanOrEqual(700);
  });
});

describe("KeyRows", () => {
  test("asks once for a window it already holds or awaits", async () => {
    const offsets: number[] = [];
    mockIPC((_cmd, args) => {
      offsets.push((args as { offset: number }).offset);
      return pageOf(keys, args);
    });
    const rows = new KeyRows();
    expect(rows.show(ALL_KEYS, NEWEST_FIRST, 0, 20)).toBe(true);
    expect(rows.show(ALL_KEYS, NEWEST_FIRST, 0, 20)).toBe(false);
    await settle();
    expect(rows.loaded).toBe(true);
    expect([rows.matching, rows.total, rows.rows.length]).toEqual([1000, 1000, BLOCK]);
    expect(rows.at(5)?.name).toBe("Key 5");
    expect(rows.show(ALL_KEYS, NEWEST_FIRST, 150, 180)).toBe(false);
    expect(rows.at(400)).toBeUndefined();
    expect(rows.show(ALL_KEYS, NEWEST_FIRST, 400, 430)).toBe(true);
    await settle();
    expect(rows.at(400)?.name).toBe("Key 400");
    // Near the end, the last rows are held: nothing more to ask for.
    expect(rows.show(ALL_KEYS, NEWEST_FIRST, 980, 1000)).toBe(true);
    await settle();
    expect(rows.show(ALL_KEYS, NEWEST_FIRST, 985, 1000)).toBe(false);
    expect(offsets).toEqual([0, 300, 800]);
  });

  test("a new query asks again; only the newest answer counts", async () => {
    const pending: (() => void)[] = [];
    mockIPC((_cmd, args) => {
      const a = args as { query: { search: string | null } };
      const matching = a.query.search ? keys.filter((k) => k.name === a.query.search) : keys;
      return new Promise((resolve) => pending.push(() => resolve(pageOf(matching, args, keys.length))));
    });
    const rows = new KeyRows();
    rows.show(ALL_KEYS, NEWEST_FIRST, 0, 20);
    expect(rows.show({ ...ALL_KEYS, search: "Key 7" }, NEWEST_FIRST, 0, 20)).toBe(true);
    await settle();
    pending[1]();
    await settle();
    pending[0]();
    await settle();
    expect(rows.rows.map((k) => k.name)).toEqual(["Key 7"]);
    expect([rows.matching, rows.total]).toEqual([1, 1000]);
  });

  test("an error is shown and the same window is asked for again on the next show", async () => {
    let fail = true;
    mockIPC((_cmd, args) => {
      if (fail) throw { code: "DATABASE_LOCKED", message: "another Keyward holds the database" };
      return pageOf(keys, args);
    });
    const rows = new KeyRows();
    rows.show(ALL_KEYS, NEWEST_FIRST, 0, 20);
    await settle();
    expect(rows.error).toBe("another Keyward holds the database");
    expect(rows.loaded).toBe(true);
    fail = false;
    expect(rows.show(ALL_KEYS, NEWEST_FIRST, 0, 20)).toBe(true);
    await settle();
    expect(rows.error).toBeNull();
    expect(rows.rows).toHaveLength(BLOCK);
  });

  test("patch replaces a held key; reload asks for the held block again", async () => {
    let served = keys;
    mockIPC((_cmd, args) => pageOf(served, args));
    const rows = new KeyRows();
    rows.show(ALL_KEYS, NEWEST_FIRST, 0, 20);
    await settle();
    rows.patch({ ...keys[3], status: "disabled" });
    expect(rows.at(3)?.status).toBe("disabled");
    expect(rows.at(4)?.status).toBe("active");
    served = keys.slice(10);
    await rows.reload();
    expect(rows.matching).toBe(990);
    expect(rows.at(0)?.id).toBe("key_10");
  });
});
