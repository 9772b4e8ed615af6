// A due reminder becomes a native notification: a key created 83.25 days ago and never
// used is 6.75 days from deletion, so the 7-day reminder is due (and says "in 7 days"); the app's lifecycle pass
// at start raises it through notify-rust, and dunst (the session's notification server)
// receives it.

import { test } from "node:test";
import assert from "node:assert/strict";

import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { cli, dataDir, daysAgo, dunstLastId, dunstNotifications, openKeysPage, run, withApp } from "./helpers.mjs";
import { tid, waitUntil } from "./webdriver.mjs";

test("a due reminder is raised as a native notification and shown in Expiring soon", { timeout: 90_000 }, async () => {
  const dir = await dataDir("reminder");
  const then = daysAgo(83.25);
  await cli(dir, ["users", "add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--admin"], { now: then });
  const key = await cli(dir, ["keys", "create", "--owner", "ada@example.com", "--name", "Marketing Automation"], {
    now: then,
  });
  // The CLI agrees the reminder is due now (a dry run changes nothing).
  const dry = await cli(dir, ["lifecycle", "--dry-run"]);
  assert.ok(
    dry.reminders.some((r) => r.key_id === key.id && r.days_before === 7),
    `the CLI should see the 7-day reminder as due: ${JSON.stringify(dry.reminders)}`,
  );

  const before = await dunstLastId();
  await withApp(
    dir,
    async (s) => {
      const ours = await waitUntil(
        async () => {
          const found = (await dunstNotifications()).filter(
            (n) =>
              Number(n.id) > before &&
              `${n.summary} ${n.body}`.includes("Marketing Automation") &&
              `${n.summary} ${n.body}`.includes("will be deleted in 7 days"),
          );
          return found.length ? found : null;
        },
        { timeoutMs: 20_000, intervalMs: 250, message: "dunst to receive the reminder notification" },
      );
      assert.equal(ours.length, 1, `one notification per reminder: ${JSON.stringify(ours)}`);
      assert.match(ours[0].summary, /API key 'Marketing Automation' will be deleted in 7 days/);

      // The same reminder in the window: the "Expiring soon" summary names the key.
      await openKeysPage(s);
      const soon = await s.waitFor(tid("expiring-soon"), { timeoutMs: 10_000 });
      await waitUntil(async () => (await soon.textContent()).includes("Marketing Automation"), {
        timeoutMs: 10_000,
        message: "expiring-soon to name Marketing Automation",
      });
    },
    { label: "reminder" },
  );

  // Raised once and persisted: the CLI no longer sees it as due.
  const after = await cli(dir, ["lifecycle", "--dry-run"]);
  assert.ok(
    !after.reminders.some((r) => r.key_id === key.id && r.days_before === 7),
    "the reminder was recorded as raised",
  );
});

// "Keep" on the reminder itself: dunst's context menu (its dmenu answers "Keep") invokes
// the notification's action, the app keeps the key, and says so in a new notification.
test("Keep on a reminder notification restarts the key's clock", { timeout: 90_000 }, async () => {
  const tmp = process.env.E2E_TMP;
  assert.ok(tmp, "run by tests/e2e/run.sh, which gives dunst a menu that picks an action");
  await writeFile(join(tmp, "dunst", "pick-label"), "Keep");
  const dir = await dataDir("keep-action");
  const then = daysAgo(83.25);
  await cli(dir, ["users", "add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--admin"], { now: then });
  const key = await cli(dir, ["keys", "create", "--owner", "ada@example.com", "--name", "Quarterly billing sync"], {
    now: then,
  });

  await dunstNotifications(); // earlier tests' notifications off the screen
  const before = await dunstLastId();
  await withApp(
    dir,
    async () => {
      // The reminder is on screen (not read from history: closing it would end its actions).
      await waitUntil(async () => Number((await run("dunstctl", ["count", "displayed"])).stdout.trim()) >= 1, {
        timeoutMs: 20_000,
        intervalMs: 250,
        message: "the reminder to be displayed",
      });
      // A person reads it before choosing: the app listens for the choice by then.
      await new Promise((r) => setTimeout(r, 1_500));
      const menu = await run("dunstctl", ["context"], { timeoutMs: 5_000 });
      assert.equal(menu.code, 0, menu.stderr);
      const asked = Date.now();
      const kept = await waitUntil(
        async () => {
          // Read from history without closing what is on screen (that would end its actions).
          const r = await run("dunstctl", ["history"], { timeoutMs: 3_000 });
          const found = JSON.parse(r.stdout)
            .data.flat()
            .filter((n) => Number(n.id?.data) > before && `${n.summary?.data}`.includes("Kept API key 'Quarterly billing sync'"));
          if (found.length) return found;
          const shown = Number((await run("dunstctl", ["count", "displayed"])).stdout.trim());
          // Once the menu has answered and the app has had time to say so.
          if (shown > 0 && Date.now() - asked > 2_000) await run("dunstctl", ["close-all"], { timeoutMs: 3_000 });
          return null;
        },
        { timeoutMs: 15_000, intervalMs: 500, message: "the app to say the key was kept" },
      ).catch(async (e) => {
        const offered = await readFile(join(tmp, "dunst", "offered.log"), "utf8").catch(() => "(the menu was not opened)");
        throw new Error(`${e.message}; the menu offered: ${offered}`);
      });
      const body = `${kept[0].body?.data ?? ""}`;
      assert.match(body, /in 90 days/);
    },
    { label: "keep-action" },
  );
  const shown = await cli(dir, ["keys", "show", key.id]);
  assert.equal(shown.deletes_in_days, 90, `the clock started again: ${JSON.stringify(shown)}`);
});
