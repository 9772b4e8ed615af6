import { describe, expect, it } from "vitest";

import { API_ROUTES, VERIFY_CODES as SERVER_CODES } from "./api-docs";
import { CALLS, CODE_MEANINGS, ROUTES, VERIFY_CODES, codeSpans, prettyBody } from "./docs";

describe("the API documentation page's data", () => {
  it("has a curl example for every route the server has, and none for a route it lacks", () => {
    const server = API_ROUTES.map((r) => `${r.method} ${r.path}`).sort();
    expect(Object.keys(CALLS).sort()).toEqual(server);
    expect(ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual(server);
  });

  it("explains every verification code the server declares, and only those", () => {
    expect(Object.keys(CODE_MEANINGS).sort()).toEqual([...SERVER_CODES].sort());
    expect(VERIFY_CODES.every((c) => c.meaning.length > 0)).toBe(true);
  });

  it("shows the 401 bodies the server really sends", () => {
    const refusals = ROUTES.flatMap((r) => r.examples).filter((e) => e.status === 401);
    expect(refusals.length).toBeGreaterThan(0);
    for (const e of refusals) {
      expect(JSON.parse(e.body).error.code).toBe("UNAUTHORIZED");
      expect(e.reason).toBe("Unauthorized");
    }
  });

  it("indents a body in the server's field order and leaves other text alone", () => {
    expect(prettyBody('{"valid":false,"code":"DISABLED"}')).toBe('{\n  "valid": false,\n  "code": "DISABLED"\n}');
    expect(prettyBody("not json")).toBe("not json");
  });

  it("splits code spans out of a description and joins its wrapped lines", () => {
    expect(codeSpans("Always 200: `valid` says\nwhether it works")).toEqual([
      { code: false, text: "Always 200: " },
      { code: true, text: "valid" },
      { code: false, text: " says whether it works" },
    ]);
  });
});
