// Measures (does not assert a time): cold start of the real app to an interactive list of
// many keys, and the main process's memory. Skipped unless E2E_MEASURE_DIR names a data
// directory prepared with many keys — `scripts/measure-desktop.sh` does all of it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";

import { APP, appPids } from "./helpers.mjs";
import { Session, tid, waitUntil } from "./webdriver.mjs";

const DIR = process.env.E2E_MEASURE_DIR;

async function uptimeSeconds() {
  return Number((await readFile("/proc/uptime", "utf8")).split(" ")[0]);
}

async function processStartSeconds(pid) {
  // Field 22 of /proc/PID/stat: start time in clock ticks after boot (USER_HZ = 100 on Linux).
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[19]) / 100;
}

// Boot time of the machine in seconds since the epoch, to compare the process's start
// with the web view's own clock (performance.timeOrigin).
async function bootEpochSeconds() {
  return Date.now() / 1000 - (await uptimeSeconds());
}

async function rssMiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  return kb / 1024;
}

test("cold start to an interactive key list, and main-process memory", { skip: !DIR }, async () => {
  const session = await Session.start({ application: APP, args: ["--data-dir", DIR] });
  try {
    await waitUntil(async () => (await session.findAll(tid("key-row"))).length > 0, {
      timeoutMs: 30_000,
      intervalMs: 20,
      message: "the first key rows",
    });
    const interactiveAt = await uptimeSeconds();
    const [pid] = await appPids(DIR);
    assert.ok(pid, "the app process");
    const startup = interactiveAt - (await processStartSeconds(pid));
    const total = await session.execute(
      "return document.querySelector('[data-testid=\"key-search\"]') && document.body.textContent.match(/([\\d,]+) keys/)?.[1];",
    );
    const rowsInDom = (await session.findAll(tid("key-row"))).length;
    // Where the time went, from the web view's navigation timing (epoch milliseconds).
    const nav = await session.execute(
      "const n = performance.getEntriesByType('navigation')[0]; return { origin: performance.timeOrigin, dom: n.domContentLoadedEventEnd, load: n.loadEventEnd, marks: performance.getEntriesByType('mark').map((m) => [m.name, m.startTime]) };",
    );
    const started = (await bootEpochSeconds()) + (await processStartSeconds(pid));
    const since = (ms) => Number(((nav.origin + ms) / 1000 - started).toFixed(2));
    // Let the store and the web view settle, then read the main process's resident memory.
    await new Promise((r) => setTimeout(r, 3000));
    const rss = await rssMiB(pid);
    const report = {
      keys: total,
      cold_start_to_interactive_list_s: Number(startup.toFixed(2)),
      rows_in_dom: rowsInDom,
      main_process_rss_mib: Number(rss.toFixed(1)),
      // Seconds after the process started (the process start is known to 10 ms).
      web_view_navigation_s: since(0),
      dom_content_loaded_s: since(nav.dom),
      marks_s: Object.fromEntries(nav.marks.map(([name, t]) => [name, since(t)])),
    };
    console.log(`# measure: ${JSON.stringify(report)}`);
    assert.ok(rowsInDom < 100, "the list is virtualized");

    // Far down the list, the rows there arrive from Rust and replace the loading rows.
    const target = await session.execute(
      "const s = document.querySelector('.table-scroll'); const h = document.querySelector('[data-testid=\"key-row\"]').getBoundingClientRect().height; s.scrollTop = s.scrollHeight / 2; s.dispatchEvent(new Event('scroll')); return Math.floor(s.scrollTop / h);",
    );
    const askedAt = Date.now();
    await waitUntil(
      async () => {
        const rows = await session.findAll(tid("key-row"));
        const loading = await session.findAll(tid("key-row-loading"));
        if (rows.length === 0 || loading.length > 0) return false;
        const index = Number(await rows[0].attribute("aria-rowindex"));
        return Math.abs(index - target) < 60;
      },
      { timeoutMs: 10_000, intervalMs: 20, message: "the rows in the middle of the list" },
    );
    console.log(`# measure: rows around row ${target} shown ${Date.now() - askedAt} ms after the scroll`);
  } finally {
    await session.close();
  }
});
