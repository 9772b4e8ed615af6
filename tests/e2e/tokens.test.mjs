// Key detail: generate a token from the UI, copy it (xclip), see it listed, revoke it.

import { test } from "node:test";
import assert from "node:assert/strict";

import { CLI, cli, dataDir, keyRow, openKeysPage, readClipboard, run, withApp } from "./helpers.mjs";
import { tid, waitUntil } from "./webdriver.mjs";

test("generate, copy and revoke a token from the key's detail", { timeout: 90_000 }, async () => {
  const dir = await dataDir("tokens");
  await cli(dir, ["users", "add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--admin"]);
  const key = await cli(dir, ["keys", "create", "--owner", "ada@example.com", "--name", "Postman Testing"]);

  const token = await withApp(
    dir,
    async (s) => {
      await openKeysPage(s);
      const row = await keyRow(s, key.id);
      await (await row.find(tid("key-name"))).click();
      const detail = await s.waitFor(tid("key-detail"), { displayed: true });
      assert.equal(await detail.attribute("data-key-id"), key.id);
      assert.equal((await s.findAll(tid("token-row"))).length, 0, "no tokens yet");

      await (await s.find(tid("generate-token"))).click();
      const shown = await s.waitFor(tid("new-token"), { timeoutMs: 10_000 });
      const token = (await shown.textContent()).trim();
      assert.match(token, /^kwt_[0-9A-Za-z]{38}$/, "a token: kwt_ and 38 base62 characters");

      await (await s.find(tid("copy-new-token"))).click();
      assert.equal(await readClipboard({ expect: token }), token, "the clipboard holds the new token");

      const rows = await waitUntil(
        async () => {
          const r = await s.findAll(tid("token-row"));
          return r.length === 1 ? r : null;
        },
        { message: "one token-row" },
      );
      const rowText = await rows[0].textContent();
      assert.ok(!rowText.includes(token), "the token list shows the token masked");
      await (await rows[0].find(tid("revoke-token"))).click();
      await waitUntil(async () => (await s.findAll(tid("revoke-token"))).length === 0, {
        message: "the token to be revoked (no Revoke button left)",
      });
      await (await s.find(tid("dialog-close"))).click();
      await s.waitGone(tid("key-detail"));
      return token;
    },
    { label: "tokens" },
  );

  const verified = await run(CLI, ["--data-dir", dir, "--json", "verify", token]);
  assert.equal(verified.code, 3, `the revoked token is refused: ${verified.stdout}${verified.stderr}`);
  const listed = await cli(dir, ["tokens", "list", key.id]);
  assert.equal(listed.length, 1);
  assert.equal(listed[0].status, "revoked");
});
