// The loopback API's routes as the documentation page shows them. The curl examples
// hold no secret — only the $KEYWARD_API_KEY placeholder — so the web view may copy them.

export type RouteDoc = {
  method: "GET" | "POST";
  path: string;
  auth: string;
  summary: string;
  curl: (base: string) => string;
  response: string;
};

export const VERIFY_CODES: { code: string; meaning: string }[] = [
  { code: "MALFORMED", meaning: "Not a Keyward key or token (wrong shape or checksum); rejected before any lookup." },
  { code: "NOT_FOUND", meaning: "Well formed, but no such key or token exists (deleted, or never issued here)." },
  { code: "REVOKED", meaning: "The key was regenerated or cleared, or the token was revoked." },
  { code: "DISABLED", meaning: "The key is disabled; enable it on the API keys page." },
  { code: "EXPIRED", meaning: "The token is past its expiry date; generate a new one." },
  { code: "USER_DEACTIVATED", meaning: "The key's site manager is deactivated." },
  { code: "API_ACCESS_OFF", meaning: "API access is off for the key's site manager." },
];

export const ROUTES: RouteDoc[] = [
  {
    method: "GET",
    path: "/v1/health",
    auth: "None",
    summary: "Is the local API up?",
    curl: (base) => `curl ${base}/v1/health`,
    response: `{"status": "ok", "version": "0.1.0"}`,
  },
  {
    method: "POST",
    path: "/v1/tokens",
    auth: "Authorization: Bearer <API key>",
    summary: "Exchange an API key for a token. The token is shown once and expires after the token lifetime (365 days by default).",
    curl: (base) => `curl -X POST ${base}/v1/tokens \\\n  -H "Authorization: Bearer $KEYWARD_API_KEY"`,
    response: `201 Created
{"id": "tok_…", "token": "kwt_…", "key_id": "key_…", "expires_at": "2026-08-12T09:30:00Z"}

401 Unauthorized
{"error": {"code": "REVOKED", "message": "…"}}`,
  },
  {
    method: "POST",
    path: "/v1/verify",
    auth: "None (the key or token is in the body)",
    summary: "Check an API key or a token. Always 200: read valid and, when false, code.",
    curl: (base) =>
      `curl -X POST ${base}/v1/verify \\\n  -H "Content-Type: application/json" \\\n  -d "{\\"key\\": \\"$KEYWARD_API_KEY\\"}"`,
    response: `{"valid": true, "kind": "api_key", "key_id": "key_…",
 "owner": {"id": "usr_…", "name": "Ada Lovelace", "email": "ada@example.org"},
 "scope": {"type": "agency"}, "expires_at": null}

{"valid": false, "code": "DISABLED"}`,
  },
  {
    method: "GET",
    path: "/v1/me",
    auth: "Authorization: Bearer <API key or token>",
    summary: "Who is this key or token? The same identity as verify; 401 when it does not verify.",
    curl: (base) => `curl ${base}/v1/me \\\n  -H "Authorization: Bearer $KEYWARD_API_KEY"`,
    response: `{"valid": true, "kind": "token", "key_id": "key_…", "owner": {…}, "scope": {"type": "location", "location_id": "loc_…"}, "expires_at": "2026-08-12T09:30:00Z"}`,
  },
  {
    method: "GET",
    path: "/openapi.json",
    auth: "None",
    summary: "The OpenAPI 3.1 document of these routes, for Postman's Import or code generators.",
    curl: (base) => `curl ${base}/openapi.json`,
    response: `{"openapi": "3.1.0", "info": {"title": "Keyward local API", …}, "paths": {…}}`,
  },
];

export function baseUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}
