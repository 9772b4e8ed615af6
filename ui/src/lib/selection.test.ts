import { describe, expect, test } from "vitest";
import { Selection, type Picked } from "./selection.svelte";

const key = (i: number): Picked => ({ id: `key_${i}`, name: `Key ${i}`, status: "active", in_use: false });
const rows = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => key(from + i));
const ids = (s: Selection) => s.keys.map((k) => k.id);

describe("selection", () => {
  test("a click toggles a key and remembers the row as the range's anchor", () => {
    const s = new Selection();
    s.toggle(key(3), 3);
    expect(ids(s)).toEqual(["key_3"]);
    expect(s.anchor).toBe(3);
    s.toggle(key(3), 3);
    expect(s.size).toBe(0);
  });

  test("a shift-click covers the rows from the anchor, either way round", () => {
    const s = new Selection();
    s.toggle(key(2), 2);
    expect(s.rangeTo(5)).toEqual({ from: 2, to: 5 });
    s.toggleRange(key(5), 5, rows(2, 5));
    expect(ids(s)).toEqual(["key_2", "key_3", "key_4", "key_5"]);
    expect(s.rangeTo(0)).toEqual({ from: 0, to: 2 });
    // The anchor stays where the plain click was.
    expect(s.anchor).toBe(2);
  });

  test("a shift-click on a picked key unpicks the range", () => {
    const s = new Selection();
    s.set(rows(0, 6), true);
    s.toggle(key(1), 1); // unpicks 1, anchor 1
    s.toggleRange(key(4), 4, rows(1, 4));
    expect(ids(s)).toEqual(["key_0", "key_5", "key_6"]);
  });

  test("with no anchor a shift-click is a plain pick that starts one", () => {
    const s = new Selection();
    expect(s.rangeTo(7)).toEqual({ from: 7, to: 7 });
    s.toggleRange(key(7), 7, [key(7)]);
    expect(ids(s)).toEqual(["key_7"]);
    expect(s.anchor).toBe(7);
  });

  test("the held rows are all, some or none picked", () => {
    const s = new Selection();
    const held = rows(0, 2);
    expect(s.hasAll(held)).toBe(false);
    expect(s.hasSome(held)).toBe(false);
    s.toggle(key(1), 1);
    expect(s.hasSome(held)).toBe(true);
    s.set(held, true);
    expect(s.hasAll(held)).toBe(true);
    expect(s.hasSome(held)).toBe(false);
    expect(s.hasAll([])).toBe(false);
  });

  test("picks survive other rows coming and going; replace and clear start over", () => {
    const s = new Selection();
    s.set(rows(0, 1), true);
    s.set(rows(300, 301), true);
    expect(s.size).toBe(4);
    expect(s.has("key_0") && s.has("key_301")).toBe(true);
    s.replace(rows(10, 12));
    expect(ids(s)).toEqual(["key_10", "key_11", "key_12"]);
    s.forgetAnchor();
    expect(s.anchor).toBeNull();
    s.toggle(key(1), 1);
    s.clear();
    expect(s.size).toBe(0);
    expect(s.anchor).toBeNull();
  });

  test("only the facts a confirmation names are kept", () => {
    const s = new Selection();
    s.set([{ ...key(1), in_use: true, extra: "not kept" } as Picked], true);
    expect(s.keys).toEqual([{ id: "key_1", name: "Key 1", status: "active", in_use: true }]);
  });
});
