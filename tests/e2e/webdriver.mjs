// A tiny W3C WebDriver client for tauri-driver, on Node's global fetch (no npm packages).
//
//   const s = await Session.start({ application, args: ["--data-dir", dir] });
//   try { await (await s.find(tid("create-key"))).click(); } finally { await s.close(); }

import { writeFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export const DRIVER_URL = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";

/** CSS selector of a `data-testid`. */
export const tid = (id) => `[data-testid="${id}"]`;

export class WebDriverError extends Error {
  constructor(method, path, status, value) {
    super(`${method} ${path} → ${status} ${value?.error ?? ""}: ${value?.message ?? JSON.stringify(value)}`);
    this.status = status;
    this.code = value?.error;
  }
}

async function request(method, path, body, timeoutMs = 30_000) {
  const res = await fetch(DRIVER_URL + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json; charset=utf-8" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new WebDriverError(method, path, res.status, { message: text.slice(0, 500) });
  }
  if (!res.ok || (json.value && json.value.error)) {
    throw new WebDriverError(method, path, res.status, json.value);
  }
  return json.value;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` until it returns a truthy value (which it returns) or `timeoutMs` passes.
 * Errors thrown by `fn` count as "not yet"; the last one is reported on timeout.
 */
export async function waitUntil(fn, { timeoutMs = 10_000, intervalMs = 100, message = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}${why}`);
    }
    await sleep(intervalMs);
  }
}

export class Element {
  constructor(session, id, selector) {
    this.session = session;
    this.id = id;
    this.selector = selector;
  }
  get path() {
    return `/session/${this.session.id}/element/${this.id}`;
  }
  /** JSON form, to pass the element to `execute`. */
  toJSON() {
    return { [ELEMENT]: this.id };
  }
  /**
   * Clicks like a user. If something lies over the element (a toast that goes away by
   * itself), waits for it to go, up to `timeoutMs`, and says what was in the way.
   */
  async click({ timeoutMs = 8_000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    let reported = false;
    for (;;) {
      try {
        await request("POST", `${this.path}/click`, {});
        return;
      } catch (e) {
        if (e.code !== "element click intercepted" || Date.now() >= deadline) throw e;
        if (!reported) {
          reported = true;
          const over = await this.session
            .execute(
              `const r = arguments[0].getBoundingClientRect();
               const o = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
               const t = o && (o.closest("[data-testid]") || o);
               return t ? (t.getAttribute("data-testid") || t.className || t.tagName) : "?";`,
              [this],
            )
            .catch(() => "?");
          console.log(`# note: click on ${this.selector} was intercepted by "${over}"; waiting for it to go`);
        }
        await sleep(200);
      }
    }
  }
  async clear() {
    await request("POST", `${this.path}/clear`, {});
  }
  async sendKeys(text) {
    await request("POST", `${this.path}/value`, { text: String(text) });
  }
  async text() {
    return request("GET", `${this.path}/text`);
  }
  async attribute(name) {
    return request("GET", `${this.path}/attribute/${encodeURIComponent(name)}`);
  }
  async property(name) {
    return request("GET", `${this.path}/property/${encodeURIComponent(name)}`);
  }
  async enabled() {
    return request("GET", `${this.path}/enabled`);
  }
  async displayed() {
    return request("GET", `${this.path}/displayed`);
  }
  async find(css) {
    const v = await request("POST", `${this.path}/element`, { using: "css selector", value: css });
    return new Element(this.session, v[ELEMENT], css);
  }
  async findAll(css) {
    const v = await request("POST", `${this.path}/elements`, { using: "css selector", value: css });
    return v.map((e) => new Element(this.session, e[ELEMENT], css));
  }
  /** textContent (includes hidden text, unlike WebDriver's rendered text). */
  async textContent() {
    return this.session.execute("return arguments[0].textContent;", [this]);
  }
}

export class Session {
  constructor(id, capabilities) {
    this.id = id;
    this.capabilities = capabilities;
  }

  /** Starts the app: `application` is the binary's absolute path. */
  static async start({ application, args = [], timeoutMs = 60_000 }) {
    const v = await request(
      "POST",
      "/session",
      {
        capabilities: {
          alwaysMatch: {
            browserName: "wry",
            "tauri:options": { application, args },
          },
        },
      },
      timeoutMs,
    );
    return new Session(v.sessionId, v.capabilities);
  }

  get path() {
    return `/session/${this.id}`;
  }

  /** Ends the session: the driver closes the app. Never throws. */
  async close() {
    if (!this.id) return;
    const id = this.id;
    this.id = null;
    try {
      await request("DELETE", `/session/${id}`, undefined, 15_000);
    } catch (e) {
      console.error(`# could not delete WebDriver session ${id}: ${e.message}`);
    }
  }

  async find(css) {
    const v = await request("POST", `${this.path}/element`, { using: "css selector", value: css });
    return new Element(this, v[ELEMENT], css);
  }

  async findAll(css) {
    const v = await request("POST", `${this.path}/elements`, { using: "css selector", value: css });
    return v.map((e) => new Element(this, e[ELEMENT], css));
  }

  /** Waits until `css` matches an element (optionally a displayed one) and returns it. */
  async waitFor(css, { timeoutMs = 10_000, displayed = false } = {}) {
    return waitUntil(
      async () => {
        const els = await this.findAll(css);
        for (const el of els) {
          if (!displayed || (await el.displayed())) return el;
        }
        return null;
      },
      { timeoutMs, message: `element ${css}` },
    );
  }

  /** Waits until nothing matches `css`. */
  async waitGone(css, { timeoutMs = 10_000 } = {}) {
    await waitUntil(async () => (await this.findAll(css)).length === 0, {
      timeoutMs,
      message: `${css} to disappear`,
    });
  }

  async execute(script, args = []) {
    return request("POST", `${this.path}/execute/sync`, { script, args });
  }

  async title() {
    return request("GET", `${this.path}/title`);
  }

  async source() {
    return request("GET", `${this.path}/source`);
  }

  async setWindowRect(rect) {
    return request("POST", `${this.path}/window/rect`, rect);
  }

  /** A PNG of the window, written to `file`; returns the bytes. */
  async screenshot(file) {
    // WebKit takes the picture after the page's next frame. The app draws without GPU
    // compositing, where a page at rest draws no frames: invalidate a few paints
    // (nothing visible changes) while the request waits.
    await this.execute(
      "let n = 0; const t = setInterval(() => { document.documentElement.style.outline = n % 2 ? '' : '1px solid transparent'; if (++n > 40) { clearInterval(t); document.documentElement.style.outline = ''; } }, 50); return true;",
    );
    const b64 = await request("GET", `${this.path}/screenshot`);
    const bytes = Buffer.from(b64, "base64");
    if (file) {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, bytes);
    }
    return bytes;
  }

  /**
   * Chooses `value` in a <select>: clicks the option (as a user would), and if the
   * select did not take it, sets it from script and fires input/change.
   */
  async selectOption(select, value) {
    try {
      const opt = await select.find(`option[value="${value}"]`);
      await opt.click();
    } catch {
      // fall through to the script path
    }
    if ((await select.property("value")) !== value) {
      await this.execute(
        `const s = arguments[0]; s.value = arguments[1];
         s.dispatchEvent(new Event("input", { bubbles: true }));
         s.dispatchEvent(new Event("change", { bubbles: true }));`,
        [select, value],
      );
    }
    const now = await select.property("value");
    if (now !== value) throw new Error(`select ${select.selector} did not take value ${value} (has ${now})`);
  }
}
