// Bulk actions: three keys picked in the list are disabled in one confirmed step; the
// fourth is left as it was. The usage column shows a verification made before.

import { test } from "node:test";
import assert from "node:assert/strict";

import { CLI, cli, dataDir, keyRow, openKeysPage, run, withApp } from "./helpers.mjs";
import { tid, waitUntil } from "./webdriver.mjs";

test("three picked keys are disabled at once, with a summary", { timeout: 120_000 }, async () => {
  const dir = await dataDir("bulk");
  await cli(dir, ["users", "add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--admin"]);
  const keys = [];
  for (const name of ["Zapier sync", "CRM bridge", "Reporting", "Website Contact Form"]) {
    keys.push(await cli(dir, ["keys", "create", "--owner", "ada@example.com", "--name", name]));
  }
  const used = await run(CLI, ["--data-dir", dir, "--json", "verify", keys[0].key]);
  assert.equal(used.code, 0, `verify records a use: ${used.stderr}`);
  const picked = keys.slice(0, 3);
  const left = keys[3];

  await withApp(
    dir,
    async (s) => {
      await openKeysPage(s);
      const spark = await (await keyRow(s, keys[0].id)).find(tid("key-sparkline"));
      assert.equal(await spark.attribute("aria-label"), "1 verification in 30 days");

      for (const k of picked) {
        const box = await (await keyRow(s, k.id)).find(tid("key-select"));
        await box.click();
        await waitUntil(async () => (await box.property("checked")) === true, { message: `${k.name}'s box ticked` });
      }
      const other = await (await keyRow(s, left.id)).find(tid("key-select"));
      assert.equal(await other.property("checked"), false);
      const count = await s.waitFor(tid("bulk-count"), { displayed: true });
      await waitUntil(async () => (await count.textContent()) === "3 selected", { message: "3 selected" });

      await (await s.find(tid("bulk-disable"))).click();
      const dialog = await s.waitFor(tid("bulk-dialog"), { displayed: true });
      const names = await (await dialog.find(tid("bulk-names"))).textContent();
      for (const k of picked) assert.ok(names.includes(k.name), `the confirmation names ${k.name}: ${names}`);
      assert.ok(!names.includes(left.name), "and not the key left out");
      await (await dialog.find(tid("bulk-confirm"))).click();

      const summary = await s.waitFor(tid("bulk-summary"), { displayed: true, timeoutMs: 15_000 });
      assert.equal(await summary.textContent(), "Disabled 3 keys.");
      await (await s.find(tid("bulk-done"))).click();
      await s.waitGone(tid("bulk-dialog"), { timeoutMs: 5_000 });

      const status = async (id) => (await (await keyRow(s, id)).find(tid("key-status"))).textContent();
      await waitUntil(
        async () => {
          for (const k of picked) if ((await status(k.id)) !== "Disabled") return false;
          return true;
        },
        { timeoutMs: 10_000, message: "the three rows to show Disabled" },
      );
      assert.equal(await status(left.id), "Active");
      assert.equal((await s.findAll(tid("bulk-bar"))).length, 0, "the selection is cleared");
    },
    { label: "bulk" },
  );

  for (const k of picked) assert.equal((await cli(dir, ["keys", "show", k.id])).status, "disabled");
  assert.equal((await cli(dir, ["keys", "show", left.id])).status, "active");
});
