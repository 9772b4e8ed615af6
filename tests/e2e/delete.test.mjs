// Delete a key in use: a red warning (used recently, live tokens), and the delete is
// refused until the key's exact name is typed.

import { test } from "node:test";
import assert from "node:assert/strict";

import { CLI, cli, dataDir, keyRow, openKeysPage, rowAction, run, withApp } from "./helpers.mjs";
import { tid, waitUntil } from "./webdriver.mjs";

const NAME = "Marketing Automation";

test("deleting a key in use needs its name typed after a warning", { timeout: 90_000 }, async () => {
  const dir = await dataDir("delete");
  await cli(dir, ["users", "add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--admin"]);
  const key = await cli(dir, ["keys", "create", "--owner", "ada@example.com", "--name", NAME]);
  const keep = await cli(dir, ["keys", "create", "--owner", "ada@example.com", "--name", "Website Contact Form"]);
  const used = await run(CLI, ["--data-dir", dir, "--json", "verify", key.key]);
  assert.equal(used.code, 0, `verify records a use: ${used.stderr}`);
  await cli(dir, ["tokens", "create", key.id]);
  const before = await cli(dir, ["keys", "show", key.id]);
  assert.equal(before.in_use, true, "the CLI agrees the key is in use");
  assert.ok(before.last_used_at, "the use was recorded");

  await withApp(
    dir,
    async (s) => {
      await openKeysPage(s);
      const row = await keyRow(s, key.id);
      await rowAction(s, row, "action-delete");

      const warning = await s.waitFor(tid("delete-warning"), { displayed: true });
      const said = await warning.textContent();
      assert.match(said, /used/i, `the warning says the key was used: ${said}`);
      assert.match(said, /1 live token/i, `the warning counts the live tokens: ${said}`);

      const submit = await s.find(tid("delete-submit"));
      const disabled = async () => (await submit.attribute("disabled")) !== null;
      assert.equal(await disabled(), true, "refused before the name is typed");

      const confirm = await s.find(tid("delete-confirm-name"));
      await confirm.sendKeys("Marketing");
      await waitUntil(async () => (await confirm.property("value")) === "Marketing", { message: "the typed text" });
      assert.equal(await disabled(), true, "a partial name keeps it refused");
      await confirm.clear();
      await confirm.sendKeys("Website Contact Form");
      assert.equal(await disabled(), true, "another key's name keeps it refused");

      await confirm.clear();
      await confirm.sendKeys(NAME);
      await waitUntil(async () => !(await disabled()), { timeoutMs: 3_000, message: "delete-submit to be enabled" });
      await submit.click();

      await s.waitGone(`${tid("key-row")}[data-key-id="${key.id}"]`, { timeoutMs: 10_000 });
      await s.waitGone(tid("delete-submit"), { timeoutMs: 5_000 });
      // The other key is still listed.
      await keyRow(s, keep.id);
    },
    { label: "delete" },
  );

  const gone = await run(CLI, ["--data-dir", dir, "--json", "keys", "show", key.id]);
  assert.equal(gone.code, 4, `the key is gone (exit 4 not found): ${gone.stdout}${gone.stderr}`);
  const secret = await run(CLI, ["--data-dir", dir, "--json", "verify", key.key]);
  assert.notEqual(secret.code, 0, "its secret no longer verifies");
  assert.equal((await cli(dir, ["keys", "show", keep.id])).name, "Website Contact Form");
});

test("a deleted key comes back from Recently deleted with its token", { timeout: 90_000 }, async () => {
  const dir = await dataDir("restore");
  await cli(dir, ["users", "add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--admin"]);
  const key = await cli(dir, ["keys", "create", "--owner", "ada@example.com", "--name", "Zapier lead sync"]);
  const token = await cli(dir, ["tokens", "create", key.id]);
  await cli(dir, ["keys", "delete", key.id, "--force"]);
  const stopped = await run(CLI, ["--data-dir", dir, "--json", "verify", key.key]);
  assert.equal(stopped.code, 3, "a deleted key stops at once");

  await withApp(
    dir,
    async (s) => {
      await openKeysPage(s);
      await (await s.find(tid("open-recently-deleted"))).click();
      const row = await s.waitFor(`${tid("deleted-row")}[data-id="${key.id}"]`, { timeoutMs: 10_000 });
      const said = await row.textContent();
      assert.match(said, /Zapier lead sync/, said);
      assert.match(said, /in 30 days|in 29 days/, `when it goes for good: ${said}`);
      await (await row.find(tid("deleted-restore"))).click();
      await s.waitGone(`${tid("deleted-row")}[data-id="${key.id}"]`, { timeoutMs: 10_000 });
      await (await s.find(tid("dialog-close"))).click();
      await keyRow(s, key.id);
    },
    { label: "restore" },
  );

  const back = await run(CLI, ["--data-dir", dir, "--json", "verify", key.key]);
  assert.equal(back.code, 0, `the key verifies again: ${back.stdout}${back.stderr}`);
  const tokenBack = await run(CLI, ["--data-dir", dir, "--json", "verify", token.token]);
  assert.equal(tokenBack.code, 0, `its token too: ${tokenBack.stdout}${tokenBack.stderr}`);
  assert.deepEqual(await cli(dir, ["keys", "deleted"]), []);
});
