// The README's pictures, taken from the real app with three keys, one of them due for
// deletion soon: the API keys page at 1280×800 (docs/screenshot-api-keys.png) and at
// 1024×700 (docs/screenshot-api-keys-1024.png), a key's detail and Site managers &
// access (docs/screenshot-key-detail.png, docs/screenshot-site-managers.png).

import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";

import { CLI, ROOT, cli, dataDir, daysAgo, keyRow, openKeysPage, run, withApp } from "./helpers.mjs";
import { tid, waitUntil } from "./webdriver.mjs";

const OUT = join(ROOT, "docs", "screenshot-api-keys.png");
const shot = (name) => join(ROOT, "docs", `screenshot-${name}.png`);

/** Waits for the last paint, then writes the window to `file` and checks it is a picture. */
async function picture(s, file) {
  await s.execute("return document.fonts ? document.fonts.ready.then(() => true) : true;").catch(() => {});
  await new Promise((r) => setTimeout(r, 300));
  const png = await s.screenshot(file);
  assert.ok(png.length > 10_000, `a real picture (${png.length} bytes)`);
  assert.equal(png.subarray(1, 4).toString(), "PNG");
}

test("screenshot of the API keys page for the README", { timeout: 90_000 }, async () => {
  const dir = await dataDir("screenshot");
  const old = daysAgo(83.5);
  await cli(dir, ["users", "add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--admin"], { now: old });
  await cli(dir, ["users", "add", "--name", "Grace Hopper", "--email", "grace@example.com", "--admin"], { now: old });
  await cli(dir, ["users", "add", "--name", "Bob Builder", "--email", "bob@example.com"], { now: old });
  const loc = await cli(dir, ["locations", "add", "--name", "Austin office"], { now: old });
  const due = await cli(dir, ["keys", "create", "--owner", "ada@example.com", "--name", "Marketing Automation"], {
    now: old,
  });
  const zap = await cli(dir, ["keys", "create", "--owner", "grace@example.com", "--name", "Zapier lead sync"], {
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
      await s.setWindowRect({ width: 1280, height: 800 }).catch(() => {});
      await picture(s, OUT);
      await s.setWindowRect({ width: 1024, height: 700 }).catch(() => {});
      await picture(s, shot("api-keys-1024"));
      await s.setWindowRect({ width: 1280, height: 800 }).catch(() => {});

      await (await (await keyRow(s, zap.id)).find(tid("key-name"))).click();
      await s.waitFor(tid("key-detail"), { displayed: true });
      await picture(s, shot("key-detail"));
      await (await s.find(tid("dialog-close"))).click().catch(() => {});
      await s.waitGone(tid("key-detail")).catch(() => {});

      await (await s.find(tid("nav-users"))).click();
      await s.waitFor(tid("user-row"), { displayed: true });
      await picture(s, shot("site-managers"));
    },
    { label: "screenshot" },
  );
  console.log(`# screenshot written to ${OUT}`);
});
