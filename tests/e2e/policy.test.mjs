// A key's policy from the create dialog: "More options" gives it an end in 30 days and
// one permission; the CLI then finds both, verification refuses a permission the key
// lacks, and the list shows the key's tag.

import { test } from "node:test";
import assert from "node:assert/strict";

import { CLI, cli, dataDir, openKeysPage, run, withApp } from "./helpers.mjs";
import { tid } from "./webdriver.mjs";

test("the create dialog gives a key an end and a permission", { timeout: 90_000 }, async () => {
  const dir = await dataDir("policy");
  const ada = await cli(dir, ["users", "add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--admin"]);
  const name = "Contacts reader";

  const created = await withApp(
    dir,
    async (s) => {
      await openKeysPage(s);
      await (await s.find(tid("create-key"))).click();
      await s.selectOption(await s.waitFor(tid("create-owner"), { displayed: true }), ada.id);
      await (await s.find(tid("create-name"))).sendKeys(name);
      await (await s.find(tid("create-more"))).click();
      await s.selectOption(await s.waitFor(tid("create-expires"), { displayed: true }), "30d");
      // "Only these" permissions: the segmented choice's radio is see-through over its label.
      await s.execute(
        `document.querySelector('[data-testid="create-permissions-mode"] input[value="only"]').closest("label").click();`,
      );
      await (await s.waitFor(tid("create-permissions"), { displayed: true })).sendKeys("contacts:read");
      await (await s.find(tid("create-tags"))).sendKeys("crm");
      await (await s.find(tid("create-submit"))).click();
      const shown = await s.waitFor(tid("created-key"), { timeoutMs: 10_000 });
      const key = (await shown.textContent()).trim();
      await (await s.find(tid("dialog-close"))).click();
      const row = await s.waitFor(`${tid("key-row")}[data-key-name="${name}"]`, { timeoutMs: 10_000 });
      const tags = await (await row.find(tid("key-tags"))).textContent();
      assert.match(tags, /crm/, `the row shows the tag: ${tags}`);
      return { key, id: await row.attribute("data-key-id") };
    },
    { label: "policy" },
  );

  const shown = await cli(dir, ["keys", "show", created.id]);
  assert.deepEqual(shown.permissions, ["contacts:read"]);
  assert.deepEqual(shown.tags, ["crm"]);
  const days = (Date.parse(shown.expires_at) - Date.now()) / 86_400_000;
  assert.ok(days > 29 && days <= 30, `it ends in 30 days: ${shown.expires_at}`);
  const allowed = await run(CLI, ["--data-dir", dir, "--json", "verify", created.key, "--permission", "contacts:read"]);
  assert.equal(allowed.code, 0, allowed.stderr);
  const refused = await run(CLI, ["--data-dir", dir, "--json", "verify", created.key, "--permission", "contacts:write"]);
  assert.equal(refused.code, 3);
  assert.equal(JSON.parse(refused.stdout).code, "INSUFFICIENT_PERMISSIONS");
});
