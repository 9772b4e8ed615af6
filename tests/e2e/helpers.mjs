// What the end-to-end tests share: the real CLI to prepare data directories, one app
// session per test, the X clipboard (xclip) and the notification server (dunstctl).

import { execFile } from "node:child_process";
import { mkdtemp, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

import { Session, tid, waitUntil } from "./webdriver.mjs";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const APP = process.env.KEYWARD_APP ?? join(ROOT, "target/debug/keyward-app");
export const CLI = process.env.KEYWARD_CLI ?? join(ROOT, "target/debug/keyward");
const TMP = process.env.E2E_TMP ?? tmpdir();

/** Runs a program; resolves { code, stdout, stderr } (never rejects on a non-zero exit). */
export function run(file, args, { env = {}, timeoutMs = 15_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    execFile(
      file,
      args,
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") {
          if (err.killed) return reject(new Error(`${file} ${args.join(" ")} timed out after ${timeoutMs} ms`));
          return reject(err);
        }
        resolvePromise({ code: err ? err.code : 0, stdout, stderr });
      },
    );
  });
}

/** A fresh data directory for one test. */
export async function dataDir(label) {
  const base = join(TMP, "data");
  await mkdir(base, { recursive: true });
  return mkdtemp(join(base, `${label}-`));
}

/** `keyward --data-dir DIR --json ARGS…`: parsed JSON on exit 0, an error otherwise. */
export async function cli(dir, args, { now, expectCode = 0 } = {}) {
  const env = now ? { KEYWARD_NOW: now } : {};
  const r = await run(CLI, ["--data-dir", dir, "--json", ...args], { env });
  if (r.code !== expectCode) {
    throw new Error(`keyward ${args.join(" ")} exited ${r.code} (expected ${expectCode}): ${r.stderr || r.stdout}`);
  }
  const out = r.stdout.trim();
  return out ? JSON.parse(out) : null;
}

/** RFC 3339 (seconds) of now minus `days` (fractions allowed). */
export function daysAgo(days) {
  return new Date(Date.now() - days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Starts the app on `dir`, runs `fn(session)`, and always ends the session (the app quits;
 * it is single-instance, so never two at once). Screenshot on failure under E2E_TMP.
 */
export async function withApp(dir, fn, { label = "app" } = {}) {
  const session = await Session.start({ application: APP, args: ["--data-dir", dir] });
  try {
    // The app opened DIR (and no other directory): it left its address there for the CLI,
    // or — when it could not open the database — the CLI finds the database locked.
    await waitUntil(
      async () =>
        (await heldBy(dir)) ||
        (await run(CLI, ["--data-dir", dir, "--json", "users", "list"])).code === 3,
      { timeoutMs: 10_000, message: `the app to hold the database in ${dir} (does the build take --data-dir?)` },
    );
    return await fn(session);
  } catch (e) {
    try {
      const file = join(TMP, "failures", `${label}-${Date.now()}.png`);
      await session.screenshot(file);
      console.error(`# screenshot of the failure: ${file}`);
    } catch {
      // the window may already be gone
    }
    throw e;
  } finally {
    await session.close();
    // The app is single-instance: the next session may only start once this app has
    // exited (and so released its database and its single-instance name).
    await waitUntil(async () => (await appPids(dir)).length === 0, {
      timeoutMs: 10_000,
      message: `the app on ${dir} to exit`,
    }).catch((e) => console.error(`# ${e.message}`));
  }
}

/** Whether an app on `dir` left its address there (`api.json`, with its pid). */
async function heldBy(dir) {
  const { readFile } = await import("node:fs/promises");
  const address = await readFile(join(dir, "api.json"), "utf8").then(JSON.parse, () => null);
  return !!address && (await appPids(dir)).includes(address.pid);
}

/** Pids of running apps started on `dir` (Linux /proc). */
export async function appPids(dir) {
  const { readdir, readFile } = await import("node:fs/promises");
  const pids = [];
  for (const p of await readdir("/proc").catch(() => [])) {
    if (!/^\d+$/.test(p)) continue;
    const cmd = await readFile(`/proc/${p}/cmdline`, "utf8").catch(() => "");
    const argv = cmd.split("\0");
    if (argv[0] === APP && argv.includes(dir)) pids.push(Number(p));
  }
  return pids;
}

/** Answers "Who are you?" when the app asks it of a new store. */
export async function answerWhoAreYou(s, { name = "Dana Whitfield", email = "dana@example.org" } = {}) {
  await (await s.waitFor(tid("owner-name"), { timeoutMs: 10_000 })).sendKeys(name);
  await (await s.find(tid("owner-email"))).sendKeys(email);
  await (await s.find(tid("owner-submit"))).click();
  await s.waitGone(tid("owner-form"), { timeoutMs: 10_000 });
}

/**
 * Waits for the keys page of the app to be there. A new store first asks who you are (the
 * first admin is named); a store with site managers asks above the page, answered "Not now".
 */
export async function openKeysPage(s) {
  await s.waitFor(tid("nav-keys"), { timeoutMs: 20_000 });
  await (await s.find(tid("nav-keys"))).click();
  await waitUntil(
    async () =>
      (await s.findAll(tid("create-key"))).length > 0 ||
      (await s.findAll(tid("owner-form"))).length > 0 ||
      (await s.findAll(tid("owner-banner"))).length > 0,
    { timeoutMs: 10_000, message: "the keys page (or the question who you are)" },
  );
  if ((await s.findAll(tid("owner-form"))).length > 0) await answerWhoAreYou(s);
  const banner = await s.findAll(tid("owner-not-now"));
  if (banner.length > 0) {
    await banner[0].click();
    await s.waitGone(tid("owner-banner"), { timeoutMs: 10_000 });
  }
  await s.waitFor(tid("create-key"), { timeoutMs: 10_000 });
}

/** The `key-row` of a key, by id, once it is in the list. */
export async function keyRow(s, keyId, { timeoutMs = 10_000 } = {}) {
  return s.waitFor(`${tid("key-row")}[data-key-id="${keyId}"]`, { timeoutMs });
}

/**
 * Clicks a row action (`action-…`). If the row has a `row-actions` menu toggle, opens it
 * first; menu items may render outside the row (a portal), so they are searched in the
 * row first and then in the whole page.
 */
export async function rowAction(s, row, action) {
  const direct = await row.findAll(tid(action));
  if (direct.length && (await direct[0].displayed().catch(() => true))) {
    await direct[0].click();
    return;
  }
  const toggles = await row.findAll(tid("row-actions"));
  if (toggles.length) await toggles[0].click();
  const item = await waitUntil(
    async () => {
      const inRow = await row.findAll(tid(action));
      if (inRow.length) return inRow[0];
      const anywhere = await s.findAll(tid(action));
      for (const el of anywhere) if (await el.displayed()) return el;
      return null;
    },
    { timeoutMs: 5_000, message: `row action ${action}` },
  );
  await item.click();
}

/** The X clipboard's text (xclip), retried briefly while the app's copy lands. */
export async function readClipboard({ expect, timeoutMs = 5_000 } = {}) {
  let last = "";
  await waitUntil(
    async () => {
      const r = await run("xclip", ["-selection", "clipboard", "-o"], { timeoutMs: 3_000 });
      if (r.code !== 0) return false;
      last = r.stdout;
      return expect === undefined ? last.length > 0 : last === expect;
    },
    { timeoutMs, message: expect === undefined ? "text on the clipboard" : "the clipboard to hold the key" },
  ).catch(() => {});
  return last;
}

/** Puts `text` on the X clipboard (xclip keeps serving it in the background). */
export async function writeClipboard(text) {
  const { spawn } = await import("node:child_process");
  await new Promise((res, rej) => {
    const p = spawn("xclip", ["-selection", "clipboard", "-i", "-loops", "1"], { stdio: ["pipe", "ignore", "ignore"] });
    p.on("error", rej);
    p.stdin.end(text, res);
    p.unref();
  });
}

/** Notifications dunst received: displayed ones are closed into the history first. */
export async function dunstNotifications() {
  await run("dunstctl", ["close-all"], { timeoutMs: 3_000 });
  const r = await run("dunstctl", ["history"], { timeoutMs: 3_000 });
  if (r.code !== 0) throw new Error(`dunstctl history exited ${r.code}: ${r.stderr}`);
  const json = JSON.parse(r.stdout);
  const list = (json.data ?? []).flat();
  const field = (n, k) => (n?.[k] && typeof n[k] === "object" ? n[k].data : n?.[k]) ?? "";
  return list.map((n) => ({
    appname: field(n, "appname"),
    summary: field(n, "summary"),
    body: field(n, "body"),
    id: field(n, "id"),
  }));
}

/** The highest notification id dunst has seen so far (ids only grow): a test looks at
 * the notifications after it. */
export async function dunstLastId() {
  const all = await dunstNotifications();
  return all.reduce((m, n) => Math.max(m, Number(n.id) || 0), 0);
}
