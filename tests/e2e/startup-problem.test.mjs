// A database held by another process: the window opens anyway and says why it cannot
// show the keys, instead of hanging or failing call by call. The lock is sled's
// flock(2) on db/db, held here by util-linux `flock --no-fork` (one process to kill).

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";

import { CLI, cli, dataDir, run, withApp } from "./helpers.mjs";
import { tid, waitUntil } from "./webdriver.mjs";

test("a locked data directory shows the startup problem", { timeout: 60_000 }, async (t) => {
  const hasFlock = (await run("sh", ["-c", "command -v flock"])).code === 0;
  if (!hasFlock) return t.skip("flock(1) is not installed");

  const dir = await dataDir("locked");
  await cli(dir, ["users", "add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--admin"]);
  const holder = spawn("flock", ["--exclusive", "--nonblock", "--no-fork", join(dir, "db", "db"), "sleep", "120"], {
    stdio: "ignore",
  });
  const exited = new Promise((r) => holder.on("exit", r));
  try {
    // The lock is held: the CLI says so (exit 3) rather than hanging.
    await waitUntil(async () => (await run(CLI, ["--data-dir", dir, "--json", "users", "list"])).code === 3, {
      timeoutMs: 5_000,
      message: "the flock holder to take the database lock",
    });

    await withApp(
      dir,
      async (s) => {
        const problem = await s.waitFor(tid("startup-problem"), { timeoutMs: 15_000, displayed: true });
        const said = await problem.textContent();
        assert.match(said, /in use by another Keyward process/, `the window says why: ${said}`);
        assert.equal((await s.findAll(tid("key-row"))).length, 0, "no key list without a database");
      },
      { label: "locked" },
    );
  } finally {
    holder.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
  }
  // Released: the data directory opens again, untouched.
  const users = await cli(dir, ["users", "list"]);
  assert.equal(users.length, 1);
});
