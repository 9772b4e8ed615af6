import { describe, expect, test } from "vitest";
import { sparkPoints, sparkSummary } from "./sparkline";

describe("sparkline", () => {
  test("the summary counts the verifications of the days shown", () => {
    const days = Array.from({ length: 30 }, (_, i) => (i === 29 ? 1000 : i === 0 ? 234 : 0));
    expect(sparkSummary(days)).toBe("1,234 verifications in 30 days");
    expect(sparkSummary(Array.from({ length: 30 }, (_, i) => (i === 3 ? 1 : 0)))).toBe("1 verification in 30 days");
    expect(sparkSummary(Array.from({ length: 30 }, () => 0))).toBe("No verifications in 30 days");
  });

  test("the busiest day reaches the top, a quiet day lies on the baseline", () => {
    expect(sparkPoints([0, 5, 10], 20, 12)).toBe("0,11 10,6 20,1");
    expect(sparkPoints([0, 0], 10, 12)).toBe("0,11 10,11");
    expect(sparkPoints([], 10, 10)).toBe("");
  });
});
