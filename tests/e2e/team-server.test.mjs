// The app as a client of a team server: a `keyward serve` started here on its own data
// directory, with Dana (admin) and her management token. A new app connects to it from
// Preferences › Connection, says so in its title, and creates a key there; the server's
// store has the key, created by Dana through the desktop app.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";

import { CLI, cli, dataDir, keyRow, run, withApp } from "./helpers.mjs";
import { tid, waitUntil } from "./webdriver.mjs";

/** `keyward serve --port 0` on `dir`; its base URL once it says where it listens. */
async function serve(dir) {
  const child = spawn(CLI, ["--data-dir", dir, "serve", "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`keyward serve did not start: ${out}`)), 15_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/Listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`keyward serve exited ${code}: ${out}`)));
  });
  return { url, child };
}

test("the app connects to a team server and creates a key there", { timeout: 120_000 }, async () => {
  const serverDir = await dataDir("team-server");
  const dana = await cli(serverDir, ["users", "add", "--name", "Dana Whitfield", "--email", "dana@example.org", "--admin"]);
  const { token } = await cli(serverDir, ["manage-tokens", "create", "--user", "dana@example.org", "--name", "Dana's desktop"]);
  const server = await serve(serverDir);
  const host = server.url.replace("http://", "");
  const name = "Made on the team server";
  try {
    const appDir = await dataDir("team-client");
    await withApp(
      appDir,
      async (s) => {
        // A new store asks who you are; a team server is the other answer.
        await (await s.waitFor(tid("owner-use-server"), { timeoutMs: 20_000 })).click();
        // The segmented choice: its radio is see-through over its label; the label is clicked.
        await s.waitFor(tid("connection-server"));
        await s.execute(`document.querySelector('[data-testid="connection-server"]').closest("label").click();`);
        await (await s.waitFor(tid("connection-url"), { displayed: true })).sendKeys(server.url);
        await (await s.find(tid("connection-token"))).sendKeys(token);
        await (await s.find(tid("connection-connect"))).click();
        const status = await waitUntil(
          async () => {
            const el = (await s.findAll(tid("connection-status")))[0];
            const text = el ? await el.textContent() : "";
            return text.includes(`Connected to ${host}`) ? text : null;
          },
          { timeoutMs: 15_000, message: "the app to say it is connected" },
        );
        assert.match(status, /Dana Whitfield/, `it acts as Dana: ${status}`);
        assert.match(status, /admin/, `with her role: ${status}`);
        await assertTitleNames(s, host);

        // The keys page is the server's; no question of who owns this computer's store.
        await (await s.find(tid("nav-keys"))).click();
        await (await s.waitFor(tid("create-key"), { timeoutMs: 10_000 })).click();
        const owner = await s.waitFor(tid("create-owner"), { displayed: true });
        await s.selectOption(owner, dana.id);
        await (await s.find(tid("create-name"))).sendKeys(name);
        await (await s.find(tid("create-submit"))).click();
        const shown = await s.waitFor(tid("created-key"), { timeoutMs: 10_000 });
        const created = (await shown.textContent()).trim();
        assert.match(created, /^kwa_[0-9A-Za-z]{38}$/);
        await (await s.find(tid("dialog-close"))).click();
        const row = await s.waitFor(`${tid("key-row")}[data-key-name="${name}"]`, { timeoutMs: 10_000 });
        await keyRow(s, await row.attribute("data-key-id"));
        const footer = await (await s.find(tid("store-label"))).textContent().catch(() => "");
        if (footer) assert.ok(footer.includes(host), `the sidebar names the server: ${footer}`);
      },
      { label: "team-server" },
    );

    // On the server (the CLI works through the running `keyward serve`): Dana's key,
    // created by her through the desktop app.
    const keys = await cli(serverDir, ["keys", "list"]);
    const made = keys.find((k) => k.name === name);
    assert.ok(made, `the server holds the key: ${JSON.stringify(keys.map((k) => k.name))}`);
    assert.equal(made.owner.email, "dana@example.org");
    const events = await cli(serverDir, ["audit", "--object", made.id]);
    const createdEvent = events.find((e) => e.action === "api_key.created");
    assert.equal(createdEvent.actor, "desktop");
    assert.equal(createdEvent.actor_user_id, dana.id);
  } finally {
    server.child.kill("SIGTERM");
  }
});

/** The native window's title names the server (X11, when xwininfo is there). */
async function assertTitleNames(s, host) {
  const r = await run("xwininfo", ["-root", "-tree"], { timeoutMs: 3_000, env: { LC_ALL: "C.UTF-8" } }).catch(() => null);
  if (!r || r.code !== 0) return;
  await waitUntil(
    async () => {
      const again = await run("xwininfo", ["-root", "-tree"], { timeoutMs: 3_000, env: { LC_ALL: "C.UTF-8" } });
      return [...again.stdout.matchAll(/0x[0-9a-f]+ "([^"]*)"/g)].some((m) => m[1].includes(host));
    },
    { timeoutMs: 5_000, message: `a window titled with ${host}` },
  );
}
