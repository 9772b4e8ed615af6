// Regenerate: the dialog says what will break (the old key and its live tokens), grace
// "immediately", and the new secret differs from the old one with the same prefix.

import { test } from "node:test";
import assert from "node:assert/strict";

import { CLI, cli, dataDir, keyRow, openKeysPage, rowAction, run, withApp } from "./helpers.mjs";
import { tid, waitUntil } from "./webdriver.mjs";

test("regenerate a key with live tokens, immediately", { timeout: 90_000 }, async () => {
  const dir = await dataDir("regenerate");
  await cli(dir, ["users", "add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--admin"]);
  const key = await cli(dir, ["keys", "create", "--owner", "ada@example.com", "--name", "Marketing Automation"]);
  const token = await cli(dir, ["tokens", "create", key.id]);
  assert.match(token.token, /^kwt_/);

  const newKey = await withApp(
    dir,
    async (s) => {
      await openKeysPage(s);
      const row = await keyRow(s, key.id);
      assert.equal((await (await row.find(tid("key-live-tokens"))).textContent()).trim(), "1");
      await rowAction(s, row, "action-regenerate");

      const impact = await s.waitFor(tid("regen-impact"), { displayed: true });
      const said = await impact.textContent();
      assert.match(said, /\b1 live token\b/, `the dialog says the live token will stop working: ${said}`);
      await s.selectOption(await s.find(tid("regen-grace")), "0");
      await (await s.find(tid("regen-submit"))).click();

      const shown = await s.waitFor(tid("regenerated-key"), { timeoutMs: 10_000 });
      const newKey = (await shown.textContent()).trim();
      assert.notEqual(newKey, key.key, "a new secret");
      assert.equal(newKey.slice(0, 4), key.key.slice(0, 4), "the same kind of key (prefix)");
      assert.match(newKey, /^kwa_[0-9A-Za-z]{38}$/);

      await (await s.find(tid("dialog-close"))).click();
      await s.waitGone(tid("regenerated-key"));
      // Same row (same id), new masked key, no live tokens left.
      await waitUntil(
        async () => {
          const r = await keyRow(s, key.id);
          const masked = (await (await r.find(tid("masked-key"))).textContent()).trim();
          const tokens = (await (await r.find(tid("key-live-tokens"))).textContent()).trim();
          return masked.startsWith(newKey.slice(0, 8)) && masked.endsWith(newKey.slice(-4)) && tokens === "0";
        },
        { timeoutMs: 5_000, message: "the row to show the new masked key and 0 live tokens" },
      );
      return newKey;
    },
    { label: "regenerate" },
  );

  // Immediately: the old key and its token fail, the new key works.
  const verify = (secret) => run(CLI, ["--data-dir", dir, "--json", "verify", secret]);
  assert.notEqual((await verify(key.key)).code, 0, "the old key no longer verifies");
  assert.notEqual((await verify(token.token)).code, 0, "the old key's token no longer verifies");
  assert.equal((await verify(newKey)).code, 0, "the new key verifies");
  const shown = await cli(dir, ["keys", "show", key.id]);
  assert.equal(shown.name, "Marketing Automation", "same id, same name");
});
