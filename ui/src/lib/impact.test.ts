import { describe, expect, test } from "vitest";
import { makeKey, makeUser } from "./fixtures";
import {
  IMPACT_ACTIONS,
  impactConsequence,
  impactIsDanger,
  impactList,
  impactMore,
  impactSummary,
} from "./impact";

const keys = (n: number, inUse: (i: number) => boolean = () => false) =>
  Array.from({ length: n }, (_, i) => makeKey({ id: `key_${i}`, name: `Key ${i}`, in_use: inUse(i) }));

describe("what a change stops, in words", () => {
  test("the summary counts keys and tokens, and says how many keys are in use", () => {
    expect(impactSummary({ keys: [], tokens: 0, in_use: 0 })).toBe("No keys will stop working.");
    expect(impactSummary({ keys: keys(3), tokens: 5, in_use: 2 })).toBe(
      "3 keys and 5 tokens will stop working — 2 of the keys are in use.",
    );
    expect(impactSummary({ keys: keys(3), tokens: 1, in_use: 1 })).toBe(
      "3 keys and 1 token will stop working — 1 of the keys is in use.",
    );
    expect(impactSummary({ keys: keys(2), tokens: 4, in_use: 2 })).toBe(
      "2 keys and 4 tokens will stop working — both keys are in use.",
    );
    expect(impactSummary({ keys: keys(3), tokens: 4, in_use: 3 })).toBe(
      "3 keys and 4 tokens will stop working — all 3 keys are in use.",
    );
    expect(impactSummary({ keys: keys(1), tokens: 0, in_use: 1 })).toBe("1 key will stop working — it is in use.");
    expect(impactSummary({ keys: keys(2), tokens: 0, in_use: 0 })).toBe(
      "2 keys will stop working, and none was used in the last 30 days.",
    );
    expect(impactSummary({ keys: keys(1), tokens: 0, in_use: 0 })).toBe(
      "1 key will stop working, and it was not used in the last 30 days.",
    );
  });

  test("each action says whether it can be undone, and how", () => {
    const ada = makeUser({ name: "Ada", keys: 3 });
    expect(impactConsequence("access-off", ada)).toContain("API_ACCESS_OFF");
    expect(impactConsequence("access-off", ada)).toContain("This can be undone");
    expect(impactConsequence("deactivate", ada)).toContain("USER_DEACTIVATED");
    expect(impactConsequence("deactivate", ada)).toContain("This can be undone");
    expect(impactConsequence("clear", ada)).toBe(
      "All 3 API keys of Ada and every token minted from them are revoked for good, and their API access is " +
        "turned off. This cannot be undone: to give Ada API access again, turn it back on and create new keys.",
    );
    expect(impactConsequence("clear", makeUser({ name: "Ada", keys: 0 }))).toBe(
      "Ada has no API keys to revoke; clearing turns their API access off.",
    );
    expect(Object.values(IMPACT_ACTIONS).map((a) => a.confirm)).toEqual([
      "Turn off API access",
      "Deactivate",
      "Clear API keys",
    ]);
  });

  test("red when a key is in use, and when clearing revokes keys for good", () => {
    const user = makeUser({ keys: 2 });
    expect(impactIsDanger("access-off", { in_use: 1, user })).toBe(true);
    expect(impactIsDanger("access-off", { in_use: 0, user })).toBe(false);
    expect(impactIsDanger("deactivate", { in_use: 0, user })).toBe(false);
    expect(impactIsDanger("clear", { in_use: 0, user })).toBe(true);
    expect(impactIsDanger("clear", { in_use: 0, user: makeUser({ keys: 0 }) })).toBe(false);
  });

  test("the list shows keys in use first, at most eight, then how many more", () => {
    const ten = keys(10, (i) => i === 2 || i === 9);
    const { shown, more, moreInUse } = impactList(ten);
    expect(shown.map((k) => k.id)).toEqual(["key_2", "key_9", "key_0", "key_1", "key_3", "key_4", "key_5", "key_6"]);
    expect([more, moreInUse]).toEqual([2, 0]);
    expect(impactList(keys(10, () => true))).toMatchObject({ more: 2, moreInUse: 2 });
    expect(impactList(keys(3))).toMatchObject({ more: 0 });
    expect(impactMore(2, 0)).toBe("and 2 more keys");
    expect(impactMore(1, 1)).toBe("and 1 more key, in use");
    expect(impactMore(3, 3)).toBe("and 3 more keys, all in use");
    expect(impactMore(4, 2)).toBe("and 4 more keys, 2 of them in use");
  });
});
