import { describe, expect, it } from "vitest";

import { API_ROUTES, API_TAGS, VERIFY_CODES as SERVER_CODES } from "./api-docs";
import {
  CALLS,
  CODE_MEANINGS,
  ID_VARIABLES,
  KEY_API_TAG,
  KEY_ROUTES,
  MANAGEMENT_GROUPS,
  ROUTES,
  TAG_TITLES,
  VERIFY_CODES,
  codeSpans,
  managementCall,
  prettyBody,
  routeAnchor,
  shellBody,
  shellTarget,
} from "./docs";

const BASE = "http://127.0.0.1:7420";
const id = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

/** A route template (`/v1/keys/{id}`) as a pattern for the path a curl example calls. */
function pathPattern(template: string): RegExp {
  const parts = template.split(/\{[^}]+\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join("(?:\\$[A-Z_]+|[^/?\"]+)")}(?:\\?[^"]*)?$`);
}

describe("the API documentation page's data", () => {
  it("has a curl example for every route the server has, and none for a route it lacks", () => {
    const server = API_ROUTES.map(id).sort();
    expect(ROUTES.map((r) => r.id).sort()).toEqual(server);
    const forKeys = API_ROUTES.filter((r) => r.tag === KEY_API_TAG).map(id).sort();
    expect(Object.keys(CALLS).sort()).toEqual(forKeys);
    expect(KEY_ROUTES.map((r) => r.id).sort()).toEqual(forKeys);
  });

  it("groups every management route under its resource, in the document's order of tags", () => {
    const grouped = MANAGEMENT_GROUPS.flatMap((g) => g.routes.map((r) => r.id)).sort();
    const management = API_ROUTES.filter((r) => r.tag !== KEY_API_TAG).map(id).sort();
    expect(grouped).toEqual(management);
    expect(management.length).toBeGreaterThan(30);
    for (const g of MANAGEMENT_GROUPS) {
      expect(g.routes.every((r) => r.tag === g.tag)).toBe(true);
      expect(TAG_TITLES[g.tag], `a title for ${g.tag}`).toBeTruthy();
      expect(g.title).toBe(TAG_TITLES[g.tag]);
    }
    const order = API_TAGS.map((t) => t.name).filter((t) => t !== KEY_API_TAG);
    expect(MANAGEMENT_GROUPS.map((g) => g.tag)).toEqual(order);
    expect(order).toEqual(
      expect.arrayContaining([
        "users",
        "locations",
        "keys",
        "tokens",
        "webhooks",
        "audit",
        "settings",
        "lifecycle",
        "management-tokens",
        "session",
      ]),
    );
    expect(Object.keys(TAG_TITLES).sort()).toEqual([...order].sort());
  });

  it("gives every management route a real example, the first a success", () => {
    for (const r of ROUTES.filter((r) => r.tag !== KEY_API_TAG)) {
      expect(r.examples.length, r.id).toBeGreaterThan(0);
      expect(r.examples[0].status, r.id).toBeGreaterThanOrEqual(200);
      expect(r.examples[0].status, r.id).toBeLessThan(300);
      for (const e of r.examples) {
        expect(e.request.startsWith(`${r.method} /`), `${r.id}: ${e.request}`).toBe(true);
        expect(() => JSON.parse(e.body), r.id).not.toThrow();
        if (e.request_body !== null) expect(() => JSON.parse(e.request_body!), r.id).not.toThrow();
      }
    }
  });

  it("makes each management route's curl example copyable: the token from $KEYWARD_TOKEN, ids as variables", () => {
    for (const r of ROUTES.filter((r) => r.tag !== KEY_API_TAG)) {
      const curl = r.curl(BASE);
      expect(curl, r.id).toContain('-H "Authorization: Bearer $KEYWARD_TOKEN"');
      expect(curl, r.id).not.toContain("…");
      expect(curl, r.id).not.toMatch(/kw[atlm]_|whsec_/);
      const url = curl.match(/^curl (?:-X (\w+) )?"([^"]+)"/);
      expect(url, r.id).not.toBeNull();
      expect(url![1] ?? "GET", r.id).toBe(r.method);
      expect(url![2].startsWith(BASE), r.id).toBe(true);
      expect(url![2].slice(BASE.length), r.id).toMatch(pathPattern(r.path));
      const body = r.examples[0].request_body;
      if (body === null) {
        expect(curl, r.id).not.toContain(" -d ");
      } else {
        expect(curl, r.id).toContain('-H "Content-Type: application/json"');
        const sent = curl.match(/-d '([\s\S]*)'$/);
        expect(sent, r.id).not.toBeNull();
        expect(JSON.parse(sent![1]), r.id).toEqual(JSON.parse(body));
      }
    }
  });

  it("names elided ids as shell variables, and quotes bodies for the shell", () => {
    expect(shellTarget("/v1/keys/key_…/tokens")).toBe("/v1/keys/$KEY_ID/tokens");
    expect(shellTarget("/v1/tokens?key=key_…&limit=2")).toBe("/v1/tokens?key=$KEY_ID&limit=2");
    expect(shellTarget("/v1/users/alan@example.org/active")).toBe("/v1/users/alan@example.org/active");
    expect(shellTarget("/v1/management-tokens/mgt_…/revoke")).toBe("/v1/management-tokens/$MANAGEMENT_TOKEN_ID/revoke");
    for (const v of Object.values(ID_VARIABLES)) expect(v).toMatch(/^[A-Z][A-Z_]*_ID$/);
    expect(shellBody('{"name":"Uptown"}')).toBe(`'{"name":"Uptown"}'`);
    expect(shellBody(`{"name":"O'Brien"}`)).toBe(`'{"name":"O'\\''Brien"}'`);
    const long = shellBody(JSON.stringify({ name: "a".repeat(40), email: "b".repeat(40) }));
    expect(long).toContain('\n  "email"');
  });

  it("writes a GET without -X and a body only when the example sent one", () => {
    const session = ROUTES.find((r) => r.id === "GET /v1/session")!;
    expect(session.curl(BASE)).toBe(`curl "${BASE}/v1/session" \\\n  -H "Authorization: Bearer $KEYWARD_TOKEN"`);
    const location = ROUTES.find((r) => r.id === "POST /v1/locations")!;
    expect(location.curl(BASE)).toBe(
      `curl -X POST "${BASE}/v1/locations" \\\n  -H "Authorization: Bearer $KEYWARD_TOKEN" \\\n` +
        `  -H "Content-Type: application/json" \\\n  -d '{"name":"Uptown"}'`,
    );
    const rename = managementCall({ ...location, method: "PATCH", path: "/v1/locations/{id}", examples: [
      { ...location.examples[0], request: "PATCH /v1/locations/loc_…" },
    ] });
    expect(rename.curl(BASE)).toContain(`curl -X PATCH "${BASE}/v1/locations/$LOCATION_ID"`);
  });

  it("shows a manager's 403 and a missing token's 401 as the server sends them", () => {
    const examples = ROUTES.filter((r) => r.tag !== KEY_API_TAG).flatMap((r) => r.examples);
    const forbidden = examples.filter((e) => e.status === 403);
    expect(forbidden.length).toBeGreaterThan(0);
    for (const e of forbidden) expect(JSON.parse(e.body).error.code).toBe("FORBIDDEN");
    const refused = examples.filter((e) => e.status === 401);
    expect(refused.length).toBeGreaterThan(0);
    for (const e of [...forbidden, ...refused]) expect(e.note.length).toBeGreaterThan(0);
  });

  it("shows a paged list with its next_cursor", () => {
    const users = ROUTES.find((r) => r.id === "GET /v1/users")!;
    const paged = users.examples.find((e) => e.request.includes("limit="))!;
    expect(JSON.parse(paged.body).next_cursor).toEqual(expect.any(String));
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

  it("gives each route a distinct anchor", () => {
    const anchors = ROUTES.map(routeAnchor);
    expect(new Set(anchors).size).toBe(anchors.length);
    expect(routeAnchor({ method: "POST", path: "/v1/keys/{id}/tokens" })).toBe("route-post-v1-keys-id-tokens");
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
