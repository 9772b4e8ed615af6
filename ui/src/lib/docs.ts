// The API as the documentation page shows it. What the server says and answers — routes,
// summaries, parameters, the responses each may give, example requests and bodies, tags,
// verification codes — comes from api-docs.ts, generated from a real server (so it cannot
// drift from it). Here is only how to call each route with curl, what each code means in
// words, and how the routes are grouped. The curl examples hold no secret — only the
// $KEYWARD_API_KEY and $KEYWARD_TOKEN placeholders, and $KEY_ID-style variables for ids —
// so the web view may copy them.

import { API_ROUTES, API_TAGS, VERIFY_CODES as CODES, type ApiRoute } from "./api-docs";

export type RouteDoc = ApiRoute & {
  /** "METHOD /path": unique, and what CALLS and the page key routes by. */
  id: string;
  auth: string;
  curl: (base: string) => string;
};

/** The OpenAPI tag of the routes for API keys; every other tag is a management resource. */
export const KEY_API_TAG = "keyward";

type Call = { auth: string; curl: (base: string) => string };

/** How to call each route for API keys, by "METHOD /path". */
export const CALLS: Record<string, Call> = {
  "GET /v1/health": {
    auth: "None",
    curl: (base) => `curl ${base}/v1/health`,
  },
  "POST /v1/tokens": {
    auth: "Authorization: Bearer <API key>",
    curl: (base) => `curl -X POST ${base}/v1/tokens \\\n  -H "Authorization: Bearer $KEYWARD_API_KEY"`,
  },
  "POST /v1/verify": {
    auth: "None (the key or token is in the body)",
    curl: (base) =>
      `curl -X POST ${base}/v1/verify \\\n  -H "Content-Type: application/json" \\\n  -d "{\\"key\\": \\"$KEYWARD_API_KEY\\"}"`,
  },
  "GET /v1/me": {
    auth: "Authorization: Bearer <API key or token>",
    curl: (base) => `curl ${base}/v1/me \\\n  -H "Authorization: Bearer $KEYWARD_API_KEY"`,
  },
  "GET /openapi.json": {
    auth: "None",
    curl: (base) => `curl ${base}/openapi.json`,
  },
};

/** What each verification code means, for people. */
export const CODE_MEANINGS: Record<string, string> = {
  MALFORMED: "Not a Keyward key or token (wrong shape or checksum); rejected before any lookup.",
  NOT_FOUND: "Well formed, but no such key or token exists (deleted, or never issued here).",
  REVOKED: "The key was regenerated or cleared, or the token was revoked.",
  DISABLED: "The key is disabled; enable it on the API keys page.",
  EXPIRED: "The key or token is past its expiry date: generate a new token, or create a new key.",
  USER_DEACTIVATED: "The key's site manager is deactivated.",
  API_ACCESS_OFF: "API access is off for the key's site manager.",
  INSUFFICIENT_PERMISSIONS: "Missing permission: the key's permissions do not include the one asked for; edit them on the key.",
  RATE_LIMITED: "Rate limited: the key was verified more often than its rate limit allows; retry after retry_after_ms.",
};

/** A route for API keys the server has and this file does not describe still gets a
 * working example. */
function fallbackCall(r: ApiRoute): Call {
  const bearer = r.bearer ? ` \\\n  -H "Authorization: Bearer $KEYWARD_API_KEY"` : "";
  const method = r.method === "GET" ? "" : `-X ${r.method} `;
  return {
    auth: r.bearer ? "Authorization: Bearer <API key>" : "None",
    curl: (base) => `curl ${method}${base}${r.path}${bearer}`,
  };
}

/** The shell variable a copyable example names in place of an id the page elides
 * (`key_…` → `$KEY_ID`), by the id's prefix. */
export const ID_VARIABLES: Record<string, string> = {
  usr: "USER_ID",
  loc: "LOCATION_ID",
  key: "KEY_ID",
  tok: "TOKEN_ID",
  whk: "WEBHOOK_ID",
  mgt: "MANAGEMENT_TOKEN_ID",
};

/** A request target (`/v1/keys/key_…/tokens?limit=2`) for a double-quoted shell word:
 * each elided id a variable. */
export function shellTarget(target: string): string {
  return target.replace(/\b([a-z]+)_…/g, (_, prefix: string) => `$${ID_VARIABLES[prefix] ?? "ID"}`);
}

/** A JSON body as a single-quoted shell word: indented when it is long. */
export function shellBody(body: string): string {
  let text = body;
  if (body.length > 72) {
    try {
      text = JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      // Sent as it is.
    }
  }
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A management route's example: the request of its first (successful) real example, with
 * the management token from $KEYWARD_TOKEN and $…_ID variables for the ids. */
export function managementCall(r: ApiRoute): Call {
  const first = r.examples[0];
  const target = first ? first.request.slice(first.request.indexOf(" ") + 1) : r.path;
  const body = first?.request_body ?? null;
  const method = r.method === "GET" ? "" : `-X ${r.method} `;
  return {
    auth: "Authorization: Bearer <management token>",
    curl: (base) =>
      [
        `curl ${method}"${base}${shellTarget(target)}"`,
        `-H "Authorization: Bearer $KEYWARD_TOKEN"`,
        ...(body === null ? [] : [`-H "Content-Type: application/json"`, `-d ${shellBody(body)}`]),
      ].join(" \\\n  "),
  };
}

export const ROUTES: RouteDoc[] = API_ROUTES.map((r) => {
  const id = `${r.method} ${r.path}`;
  const call = r.tag === KEY_API_TAG ? (CALLS[id] ?? fallbackCall(r)) : managementCall(r);
  return { ...r, id, ...call };
});

/** The routes for API keys and tokens: the page's first part. */
export const KEY_ROUTES: RouteDoc[] = ROUTES.filter((r) => r.tag === KEY_API_TAG);

/** What the page calls each management resource (an OpenAPI tag). */
export const TAG_TITLES: Record<string, string> = {
  session: "Session",
  users: "Site managers",
  locations: "Locations",
  keys: "API keys",
  tokens: "Tokens",
  webhooks: "Webhooks",
  audit: "Audit log",
  settings: "Settings",
  lifecycle: "Lifecycle",
  "management-tokens": "Management tokens",
};

export type RouteGroup = { tag: string; title: string; description: string; routes: RouteDoc[] };

/** The management routes by resource, in the OpenAPI document's order of tags. */
export const MANAGEMENT_GROUPS: RouteGroup[] = API_TAGS.filter((t) => t.name !== KEY_API_TAG)
  .map((t) => ({
    tag: t.name,
    title: TAG_TITLES[t.name] ?? t.name.charAt(0).toUpperCase() + t.name.slice(1).replace(/-/g, " "),
    description: t.description,
    routes: ROUTES.filter((r) => r.tag === t.name),
  }))
  .filter((g) => g.routes.length > 0);

/** A route's id for the DOM (`route-post-v1-keys-id-tokens`). */
export function routeAnchor(r: { method: string; path: string }): string {
  return `route-${r.method}-${r.path}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/-+$/, "");
}

export const VERIFY_CODES: { code: string; meaning: string }[] = CODES.map((code) => ({
  code,
  meaning: CODE_MEANINGS[code] ?? "",
}));

/** A body as the server sent it, indented for reading (field order kept). */
export function prettyBody(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Text with `code` spans, as the OpenAPI descriptions write them (their line breaks
 * are a source file's wrapping, not paragraphs). */
export function codeSpans(text: string): { code: boolean; text: string }[] {
  return text
    .replace(/\s*\n\s*/g, " ")
    .split("`")
    .map((t, i) => ({ code: i % 2 === 1, text: t }))
    .filter((p) => p.text !== "");
}

export function baseUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}
