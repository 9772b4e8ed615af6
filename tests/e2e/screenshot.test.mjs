// The README's screenshot of the API keys page, taken from the real app: three keys,
// one of them due for deletion soon. Written to docs/screenshot-api-keys.png.

import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";

import { CLI, ROOT, cli, dataDir, daysAgo, keyRow, openKeysPage, run, withApp } from "./helpers.mjs";
import { tid, waitUntil } from "./webdriver.mjs";

const OUT = join(ROOT, "docs", "screenshot-api-keys.png");

test("screenshot of the API keys page for the README", { timeout: 90_000 }, async () => {
  const dir = await dataDir("screenshot");
  const old = daysAgo(83.5);
  await cli(dir, ["users", "add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--admin"], { now: old });
  await cli(dir, ["users", "add", "--name", "Grace Hopper", "--email", "grace@example.com", "--admin"], { now: old });
  await cli(dir, ["users", "add", "--name", "Bob Builder", "--email", "bob@example.com"], { now: old });
  const loc = await cli(dir, ["locations", "add", "--name", "Downtown Food Bank"], { now: old });
  const due = await cli(dir, ["keys", "create", "--owner", "ada@example.com", "--name", "Marketing Automation"], {
    now: old,
  });
  const zap = await cli(dir, ["keys", "create", "--owner", "grace@example.com", "--name", "Zapier volunteer export"], {
    now: daysAgo(20),
  });
  const web = await cli(
    dir,
    ["keys", "create", "--owner", "grace@example.com", "--name", "Website contact form", "--location", loc.id],
    { now: daysAgo(3) },
  );
  assert.equal((await run(CLI, ["--data-dir", dir, "verify", zap.key])).code, 0);
  await cli(dir, ["tokens", "create", zap.id]);
  await cli(dir, ["tokens", "create", zap.id]);

  await withApp(
    dir,
    async (s) => {
      await openKeysPage(s);
      for (const k of [due, zap, web]) await keyRow(s, k.id);
      const soon = await s.waitFor(tid("expiring-soon"));
      await waitUntil(async () => (await soon.textContent()).includes("Marketing Automation"), {
        message: "expiring-soon to list the due key",
      });
      // Let fonts and the last paint settle.
      await s.execute("return document.fonts ? document.fonts.ready.then(() => true) : true;").catch(() => {});
      await new Promise((r) => setTimeout(r, 300));
      const png = await s.screenshot(OUT);
      assert.ok(png.length > 10_000, `a real picture (${png.length} bytes)`);
      assert.equal(png.subarray(1, 4).toString(), "PNG");
    },
    { label: "screenshot" },
  );
  console.log(`# screenshot written to ${OUT}`);
});
