// The README's pictures, taken from the real app with three keys, one of them due for
// deletion soon: the API keys page at 1280×800 (docs/screenshot-api-keys.png) and at
// 1024×700 (docs/screenshot-api-keys-1024.png), a key's detail and Site managers &
// access (docs/screenshot-key-detail.png, docs/screenshot-site-managers.png). At 1024 px
// the "⋯" row actions of the keys, site managers and webhooks tables must sit inside the
// window, on top, and work.

import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";

import { CLI, ROOT, cli, dataDir, daysAgo, keyRow, openKeysPage, run, withApp } from "./helpers.mjs";
import { tid, waitUntil } from "./webdriver.mjs";

const OUT = join(ROOT, "docs", "screenshot-api-keys.png");
const shot = (name) => join(ROOT, "docs", `screenshot-${name}.png`);

/**
 * Where each element with this test id is: inside the window's width, and the topmost
 * thing at its centre (not covered, not scrolled away sideways). Also whether the
 * nearest scrolling table box scrolls sideways.
 */
async function placement(s, id) {
  return s.execute(
    `const id = arguments[0];
     return [...document.querySelectorAll('[data-testid="' + id + '"]')].map((el) => {
       const r = el.getBoundingClientRect();
       const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
       let box = el.parentElement;
       while (box && !(box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX !== "visible")) box = box.parentElement;
       return {
         inside: r.width > 0 && r.left >= 0 && r.right <= window.innerWidth,
         onTop: !!hit && (hit === el || el.contains(hit)),
         sideways: box ? box.className : null,
       };
     });`,
    [id],
  );
}

async function assertReachable(s, id) {
  const found = await placement(s, id);
  assert.ok(found.length > 0, `${id}: on the page`);
  for (const p of found) {
    assert.ok(p.inside, `${id}: inside the window (${JSON.stringify(p)})`);
    assert.ok(p.onTop, `${id}: not covered (${JSON.stringify(p)})`);
    assert.equal(p.sideways, null, `${id}: no sideways scroll needed`);
  }
}

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
  await cli(dir, [
    "webhooks",
    "add",
    "--user",
    "grace@example.com",
    "--url",
    "https://hooks.example.com/keyward-events",
    "--entity",
    "api_key",
    "--operation",
    "*",
  ]);

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

      // At 1024 px every table keeps its "⋯" within reach, and it works.
      await s.setWindowRect({ width: 1024, height: 700 }).catch(() => {});
      await waitUntil(async () => (await s.execute("return window.innerWidth;")) <= 1024, { message: "a 1024 px window" });
      await assertReachable(s, "user-actions");
      await (await s.find(tid("user-actions"))).click();
      await s.waitFor(tid("user-edit"), { displayed: true });
      await s.execute("document.activeElement && document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));");
      await s.waitGone(tid("user-edit"));

      await (await s.find(tid("nav-webhooks"))).click();
      await s.waitFor(tid("webhook-row"), { displayed: true });
      await assertReachable(s, "webhook-actions");
      await (await s.find(tid("webhook-actions"))).click();
      await s.waitFor(tid("webhook-copy-secret"), { displayed: true });
      await s.execute("document.activeElement && document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));");
      await s.waitGone(tid("webhook-copy-secret"));

      await openKeysPage(s);
      const row = await keyRow(s, due.id);
      await assertReachable(s, "row-actions");
      await assertReachable(s, "copy-key");
      await (await row.find(tid("row-actions"))).click();
      await (await s.waitFor(tid("action-keep"), { displayed: true })).click();
      await waitUntil(async () => !(await (await s.find(tid("expiring-soon"))).textContent()).includes("Marketing Automation"), {
        message: "Keep, chosen from the row menu at 1024 px, to take the key off Expiring soon",
      });
    },
    { label: "screenshot" },
  );
  console.log(`# screenshot written to ${OUT}`);
});
