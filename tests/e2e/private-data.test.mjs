// The app's first run on its default data directory (XDG_DATA_HOME/com.keyward.desktop,
// which run.sh points into its temporary directory): the webview's own data (WebKit's
// caches, local storage, cookies) lives in a directory of its own outside the store's,
// for the user only, and nothing in the data directory is readable by others.

import { test } from "node:test";
import assert from "node:assert/strict";
import { lstat, readdir, rm } from "node:fs/promises";
import { join, relative } from "node:path";

import { openKeysPage, withApp } from "./helpers.mjs";

const TMP = process.env.E2E_TMP;
const DATA_HOME = process.env.XDG_DATA_HOME;
const CACHE_HOME = process.env.XDG_CACHE_HOME;
// Only ever on run.sh's private home: this test deletes the default data directory.
const skip =
  !TMP || !DATA_HOME || !CACHE_HOME || relative(TMP, DATA_HOME).startsWith("..") || relative(TMP, CACHE_HOME).startsWith("..")
    ? "needs run.sh's private XDG directories"
    : false;

const IDENTIFIER = "com.keyward.desktop";

/** Every entry under `dir` (itself included) with its mode bits. */
async function walk(dir) {
  const out = [{ path: dir, mode: (await lstat(dir)).mode & 0o777 }];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push({ path: p, mode: (await lstat(p)).mode & 0o777 });
  }
  return out;
}

const exists = (p) => lstat(p).then(() => true, () => false);

async function firstRun() {
  const dir = join(DATA_HOME, IDENTIFIER);
  await rm(dir, { recursive: true, force: true });
  await withApp(dir, async (s) => {
    // A page that has loaded has written WebKit's storage.
    await openKeysPage(s);
  }, { label: "private-data" });
  return dir;
}

test("the webview's data lives outside the data directory, for the user only", { skip, timeout: 90_000 }, async () => {
  const dir = await firstRun();
  const names = await readdir(dir);
  // WebKit's entries (wry points both its data and cache base directories at one place).
  const webkit = names.filter((n) =>
    ["cookies", "localstorage", "databases", "WebKitCache", "CacheStorage", "storage", "hsts-storage.sqlite", "mediakeys", "deviceidhashsalts", "indexeddb"].includes(n),
  );
  assert.deepEqual(webkit, [], `no webview data in the store's directory: ${names.join(", ")}`);

  const webview = join(CACHE_HOME, IDENTIFIER, "webview");
  assert.ok(await exists(webview), `the webview's directory ${webview} exists`);
  assert.equal((await lstat(webview)).mode & 0o777, 0o700, "the webview's directory is the user's only");
  assert.ok((await readdir(webview)).length > 0, "WebKit wrote its data there");
});

// The store makes its directory and db/ 0700 and every file 0600.
test("after a first run nothing in the data directory is readable by others", {
  skip,
  timeout: 90_000,
}, async () => {
  const dir = await firstRun();
  const loose = (await walk(dir)).filter((e) => e.mode & 0o077);
  assert.deepEqual(
    loose.map((e) => `${relative(dir, e.path) || "."} ${e.mode.toString(8)}`),
    [],
    "group/world access in the data directory",
  );
});
