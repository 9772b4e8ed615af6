// The tray as a Linux panel sees it: read from outside, over the session bus. The app's
// AppIndicator exports a StatusNotifierItem (its Title and label) and its menu
// (com.canonical.dbusmenu); tooltips do nothing on Linux, so the count of keys due must
// be in the title, the label and the menu's first line. The window is the largest
// reminder threshold (set to 20 days here, not the default 15).

import { test } from "node:test";
import assert from "node:assert/strict";

import { appPids, cli, dataDir, daysAgo, run, withApp } from "./helpers.mjs";
import { waitUntil } from "./webdriver.mjs";

/** `busctl --user --json=short ARGS…` on the session bus, parsed; null when it fails. */
async function bus(args) {
  const r = await run("timeout", ["5", "busctl", "--user", "--json=short", ...args], { timeoutMs: 8_000 });
  if (r.code !== 0) return null;
  const out = r.stdout.trim();
  return out ? JSON.parse(out) : null;
}

/** The tray's StatusNotifierItem: the app's connection and the item's object path. */
async function findItem(pid) {
  const names = (await bus(["list"])) ?? [];
  for (const n of names) {
    if (n.pid !== pid || !n.name.startsWith(":")) continue;
    const xml = await bus(["call", n.name, "/org/ayatana/NotificationItem", "org.freedesktop.DBus.Introspectable", "Introspect"]);
    const nodes = [...String(xml?.data?.[0] ?? "").matchAll(/<node name="([^"]+)"/g)].map((m) => m[1]);
    for (const node of nodes) {
      const path = `/org/ayatana/NotificationItem/${node}`;
      const props = await itemProperties(n.name, path);
      if (props) return { name: n.name, path };
    }
  }
  return null;
}

/** GetAll of org.kde.StatusNotifierItem as a plain object. */
async function itemProperties(name, path) {
  const r = await bus(["call", name, path, "org.freedesktop.DBus.Properties", "GetAll", "s", "org.kde.StatusNotifierItem"]);
  if (!r) return null;
  return Object.fromEntries(Object.entries(r.data[0]).map(([k, v]) => [k, v.data]));
}

/** The menu's top-level items as { label, enabled, visible, type }, in order. */
async function menuItems(name, menuPath) {
  const r = await bus(["call", name, menuPath, "com.canonical.dbusmenu", "GetLayout", "iias", "0", "1", "0"]);
  if (!r) return null;
  const [, [, , children]] = r.data;
  return children.map((child) => {
    const [, props] = child.data;
    const p = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, v.data]));
    return { label: p.label ?? "", enabled: p.enabled ?? true, visible: p.visible ?? true, type: p.type ?? "standard" };
  });
}

test("the tray shows the count of keys due in its title, label and first menu line", { timeout: 90_000 }, async () => {
  const dir = await dataDir("tray");
  const old = daysAgo(100);
  await cli(dir, ["users", "add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--admin"], { now: old });
  await cli(dir, ["settings", "set", "reminder_days", "20,7,1"]);
  // Unused since creation, deleted after 90 days: 18 days left (due within 20, not 15),
  // 25 hours left, and 80 days left (not due).
  await cli(dir, ["keys", "create", "--owner", "ada@example.com", "--name", "Mailchimp sync"], { now: daysAgo(72) });
  await cli(dir, ["keys", "create", "--owner", "ada@example.com", "--name", "Zapier export"], {
    now: daysAgo(90 - 25 / 24),
  });
  await cli(dir, ["keys", "create", "--owner", "ada@example.com", "--name", "Fresh"], { now: daysAgo(10) });

  await withApp(
    dir,
    async () => {
      const [pid] = await appPids(dir);
      assert.ok(pid, "the app runs");
      const item = await waitUntil(() => findItem(pid), {
        timeoutMs: 20_000,
        intervalMs: 500,
        message: "the app's StatusNotifierItem on the session bus",
      });

      // The lifecycle pass at start refreshes the tray from the store.
      const props = await waitUntil(
        async () => {
          const p = await itemProperties(item.name, item.path);
          return p && p.XAyatanaLabel === "2 due" ? p : null;
        },
        { timeoutMs: 20_000, intervalMs: 250, message: "the tray label to count 2 keys due" },
      );
      assert.equal(props.Title, "Keyward — 2 keys due for deletion within 20 days");
      assert.equal(props.Status, "Active");

      const items = await waitUntil(
        async () => {
          const m = await menuItems(item.name, props.Menu);
          return m && m.length && m[0].label === "2 keys due within 20 days" ? m : null;
        },
        { timeoutMs: 10_000, intervalMs: 250, message: "the menu's first line to count 2 keys due" },
      );
      assert.equal(items[0].enabled, false, "the count line is not clickable");
      const labels = items.map((i) => i.label);
      assert.ok(labels.includes("Open Keyward"), JSON.stringify(labels));
      assert.ok(labels.includes("Zapier export — deleted in 25 hours"), JSON.stringify(labels));
      assert.ok(labels.includes("Mailchimp sync — deleted in 18 days"), JSON.stringify(labels));
      assert.ok(!labels.some((l) => l.startsWith("Fresh")), JSON.stringify(labels));
      assert.ok(labels.includes("Quit Keyward"), JSON.stringify(labels));
    },
    { label: "tray" },
  );
});
