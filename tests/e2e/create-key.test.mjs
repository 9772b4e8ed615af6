// Create a key for a chosen site manager from the UI, copy it from the dialog (read back
// from the X clipboard with xclip), and find it in the list, masked.

import { test } from "node:test";
import assert from "node:assert/strict";

import { CLI, cli, dataDir, keyRow, openKeysPage, readClipboard, run, withApp } from "./helpers.mjs";
import { tid } from "./webdriver.mjs";

test("create a key for a chosen site manager, copy it, see it masked in the list", { timeout: 90_000 }, async () => {
  const dir = await dataDir("create");
  await cli(dir, ["users", "add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--admin"]);
  const bob = await cli(dir, ["users", "add", "--name", "Bob Builder", "--email", "bob@example.com"]);
  const grace = await cli(dir, ["users", "add", "--name", "Grace Hopper", "--email", "grace@example.com", "--admin"]);
  assert.equal(bob.api_access, false, "a manager starts without API access");
  const name = "Volunteer Export";

  const { createdKey, keyId } = await withApp(
    dir,
    async (s) => {
      // The window: Settings › API keys.
      await openKeysPage(s);
      await assertWindowTitle(s);

      await (await s.find(tid("create-key"))).click();
      const owner = await s.waitFor(tid("create-owner"), { displayed: true });
      // Bob has no API access: offered, but not selectable.
      const bobOption = await owner.find(`option[value="${bob.id}"]`);
      assert.equal(await bobOption.property("disabled"), true, "a site manager without API access cannot be chosen");
      await s.selectOption(owner, grace.id);
      const scope = await s.find(tid("create-scope"));
      assert.equal(await scope.property("value"), "agency", "the scope defaults to the agency");
      await (await s.find(tid("create-name"))).sendKeys(name);
      await (await s.find(tid("create-submit"))).click();

      const shown = await s.waitFor(tid("created-key"), { timeoutMs: 10_000 });
      const createdKey = (await shown.textContent()).trim();
      assert.match(createdKey, /^kwa_[0-9A-Za-z]{38}$/, "an agency key: kwa_ and 38 base62 characters");
      assert.equal(createdKey.length, 42);

      // Copy goes through Rust to the system clipboard.
      await (await s.find(tid("created-copy"))).click();
      const clip = await readClipboard({ expect: createdKey });
      assert.equal(clip, createdKey, "the clipboard holds exactly the new key");

      await (await s.find(tid("dialog-close"))).click();
      await s.waitGone(tid("created-key"));

      // The new row: Grace's, masked, and the secret nowhere in it.
      const row = await s.waitFor(`${tid("key-row")}[data-key-name="${name}"]`, { timeoutMs: 10_000 });
      const keyId = await row.attribute("data-key-id");
      assert.match(keyId, /^key_/);
      const text = await row.textContent();
      assert.ok(text.includes("Grace Hopper"), `the row names the owner: ${text}`);
      const masked = (await (await row.find(tid("masked-key"))).textContent()).trim();
      assert.ok(masked.startsWith(createdKey.slice(0, 8)), `masked key ${masked} starts like the key`);
      assert.ok(masked.endsWith(createdKey.slice(-4)), `masked key ${masked} ends like the key`);
      assert.ok(!text.includes(createdKey), "the row never shows the full key");
      // Once the dialog is closed, the secret is gone from the whole page.
      const html = await s.execute("return document.documentElement.outerHTML;");
      assert.ok(!html.includes(createdKey), "no trace of the secret in the page after the dialog closed");
      // The same row, found by id.
      await keyRow(s, keyId);
      return { createdKey, keyId };
    },
    { label: "create" },
  );

  // The CLI sees the key the UI created: Grace's, agency scope, and the secret verifies.
  const shown = await cli(dir, ["keys", "show", keyId]);
  assert.equal(shown.owner.email, "grace@example.com");
  assert.equal(shown.name, name);
  assert.equal(shown.scope.type, "agency");
  const verified = await run(CLI, ["--data-dir", dir, "verify", createdKey]);
  assert.equal(verified.code, 0, `the created key verifies: ${verified.stdout}${verified.stderr}`);
});

/** The native window's title (X11, when xwininfo is there) and the page's. */
async function assertWindowTitle(s) {
  const r = await run("xwininfo", ["-root", "-tree"], { timeoutMs: 3_000, env: { LC_ALL: "C.UTF-8" } }).catch(() => null);
  if (r && r.code === 0) {
    const names = [...r.stdout.matchAll(/0x[0-9a-f]+ "([^"]*)"/g)].map((m) => m[1]);
    assert.ok(names.some((n) => n.includes("API keys")), `a window titled "… API keys …": ${JSON.stringify(names.filter((n) => n))}`);
  } else {
    const title = await s.title();
    assert.match(title, /API keys/, "the window title names the page");
  }
}
