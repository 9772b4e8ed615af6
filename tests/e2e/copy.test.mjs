// One-click Copy from the list: the secret goes from Rust to the X clipboard, never
// through the page; a toast confirms it; the clipboard is cleared after the set delay.

import { test } from "node:test";
import assert from "node:assert/strict";

import { cli, dataDir, keyRow, openKeysPage, readClipboard, run, withApp, writeClipboard } from "./helpers.mjs";
import { tid, waitUntil } from "./webdriver.mjs";

test("copy a key from its row puts exactly its secret on the clipboard", { timeout: 90_000 }, async () => {
  const dir = await dataDir("copy");
  await cli(dir, ["users", "add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--admin"]);
  const other = await cli(dir, ["keys", "create", "--owner", "ada@example.com", "--name", "Website Contact Form"]);
  const key = await cli(dir, ["keys", "create", "--owner", "ada@example.com", "--name", "Zapier Sync"]);
  assert.match(key.key, /^kwa_/);
  // Clear the clipboard 3 s after a copy (default 30 s), to see it happen.
  await cli(dir, ["settings", "set", "clipboard_clear_seconds", "3"]);

  await withApp(
    dir,
    async (s) => {
      await openKeysPage(s);
      // Something else on the clipboard first, so the copy is seen to replace it.
      await writeClipboard("not a key");
      const row = await keyRow(s, key.id);
      assert.equal(await row.attribute("data-key-name"), "Zapier Sync");
      await (await row.find(tid("copy-key"))).click();

      const clip = await readClipboard({ expect: key.key });
      assert.equal(clip, key.key, "the clipboard holds exactly the secret the CLI printed");
      assert.notEqual(clip, other.key);

      const toast = await s.waitFor(tid("toast"), { timeoutMs: 5_000 });
      assert.ok((await toast.textContent()).trim().length > 0, "the toast says something");

      // The secret never entered the web view.
      const html = await s.execute("return document.documentElement.outerHTML;");
      assert.ok(!html.includes(key.key), "the page never holds the secret");

      // A few seconds later the app takes the secret off the clipboard again.
      await waitUntil(
        async () => {
          const r = await run("xclip", ["-selection", "clipboard", "-o"], { timeoutMs: 3_000 });
          return r.code !== 0 || r.stdout !== key.key;
        },
        { timeoutMs: 10_000, intervalMs: 250, message: "the clipboard to be cleared after 3 s" },
      );
    },
    { label: "copy" },
  );

  // Every copy is audited.
  const audit = await cli(dir, ["audit", "--object", key.id]);
  const events = Array.isArray(audit) ? audit : (audit.events ?? []);
  assert.ok(
    events.some((e) => /cop/i.test(`${e.action} ${e.summary ?? e.message ?? ""}`)),
    `a copy event in the audit log: ${JSON.stringify(events.map((e) => e.action))}`,
  );
});
