// The loopback API as the documentation page shows it. What the server says and answers —
// routes, summaries, the responses each may give, example bodies, verification codes —
// comes from api-docs.ts, generated from a real server (so it cannot drift from it). Here
// is only how to call each route with curl, and what each code means in words. The curl
// examples hold no secret — only the $KEYWARD_API_KEY placeholder — so the web view may
// copy them.

import { API_ROUTES, VERIFY_CODES as CODES, type ApiRoute } from "./api-docs";

export type RouteDoc = ApiRoute & {
  auth: string;
  curl: (base: string) => string;
};

type Call = { auth: string; curl: (base: string) => string };

/** How to call each route, by "METHOD /path". */
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
  EXPIRED: "The token is past its expiry date; generate a new one.",
  USER_DEACTIVATED: "The key's site manager is deactivated.",
  API_ACCESS_OFF: "API access is off for the key's site manager.",
};

/** A route the server has and this file does not describe still gets a working example. */
function fallbackCall(r: ApiRoute): Call {
  const bearer = r.bearer ? ` \\\n  -H "Authorization: Bearer $KEYWARD_API_KEY"` : "";
  const method = r.method === "GET" ? "" : `-X ${r.method} `;
  return {
    auth: r.bearer ? "Authorization: Bearer <API key>" : "None",
    curl: (base) => `curl ${method}${base}${r.path}${bearer}`,
  };
}

export const ROUTES: RouteDoc[] = API_ROUTES.map((r) => ({
  ...r,
  ...(CALLS[`${r.method} ${r.path}`] ?? fallbackCall(r)),
}));

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
