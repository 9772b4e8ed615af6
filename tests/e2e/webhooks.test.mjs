// Subscribe a local receiver to a site manager's key events from the Webhooks section,
// create a key in the app, and check what arrives the way a receiver would: the
// Standard Webhooks signature recomputed with the secret the dialog showed once. Then the
// delivery log shows it, and turning the webhook off sends nothing more.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

import { cli, dataDir, openKeysPage, withApp } from "./helpers.mjs";
import { tid, waitUntil } from "./webdriver.mjs";

/** An HTTP receiver on 127.0.0.1 that records every request. */
async function receiver() {
  const got = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      got.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { got, url: `http://127.0.0.1:${server.address().port}/keyward-events`, close: () => server.close() };
}

/** The receiver's check: HMAC-SHA256 over "id.timestamp.body" with the decoded secret. */
function verifies(secret, r) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const signed = `${r.headers["webhook-id"]}.${r.headers["webhook-timestamp"]}.${r.body}`;
  const expected = createHmac("sha256", key).update(signed).digest();
  return (r.headers["webhook-signature"] ?? "").split(" ").some((s) => {
    if (!s.startsWith("v1,")) return false;
    const sig = Buffer.from(s.slice(3), "base64");
    return sig.length === expected.length && timingSafeEqual(sig, expected);
  });
}

test("a webhook added in the app receives a signed api_key.created", { timeout: 120_000 }, async () => {
  const dir = await dataDir("webhooks");
  const ada = await cli(dir, ["users", "add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--admin"]);
  const rx = await receiver();
  try {
    await withApp(
      dir,
      async (s) => {
        await openKeysPage(s);
        await (await s.waitFor(tid("nav-webhooks"), { displayed: true })).click();
        await (await s.waitFor(tid("add-webhook"), { displayed: true })).click();
        await s.selectOption(await s.waitFor(tid("webhook-user-select"), { displayed: true }), ada.id);
        await (await s.find(tid("webhook-url-input"))).sendKeys(rx.url);
        await s.selectOption(await s.find(tid("webhook-entity-select")), "api_key");
        await s.selectOption(await s.find(tid("webhook-operation-select")), "*");

        // A loopback receiver needs the explicit allowance: refused without it.
        await (await s.find(tid("webhook-submit"))).click();
        const refused = await s.waitFor(tid("dialog-error"), { timeoutMs: 10_000 });
        assert.match(await refused.textContent(), /loopback/, "the URL rule is explained");
        await (await s.find(tid("webhook-allow-private"))).click();
        await (await s.find(tid("webhook-submit"))).click();

        const shown = await s.waitFor(tid("created-webhook-secret"), { timeoutMs: 10_000 });
        const secret = (await shown.textContent()).trim();
        assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/, "whsec_ and the base64 of 32 bytes");
        await (await s.find(tid("dialog-close"))).click();
        await s.waitGone(tid("created-webhook-secret"));
        const html = await s.execute("return document.documentElement.outerHTML;");
        assert.ok(!html.includes(secret.slice(6)), "the secret is gone from the page once the dialog closed");

        // A key created in the app is announced to the receiver, signed.
        await (await s.find(tid("nav-keys"))).click();
        await (await s.waitFor(tid("create-key"), { displayed: true })).click();
        await s.selectOption(await s.waitFor(tid("create-owner"), { displayed: true }), ada.id);
        await (await s.find(tid("create-name"))).sendKeys("Marketing Automation");
        await (await s.find(tid("create-submit"))).click();
        const key = (await (await s.waitFor(tid("created-key"), { timeoutMs: 10_000 })).textContent()).trim();
        await (await s.find(tid("dialog-close"))).click();

        await waitUntil(async () => rx.got.length >= 1, { timeoutMs: 15_000, message: "the webhook to arrive" });
        const r = rx.got[0];
        assert.equal(r.path, "/keyward-events");
        assert.ok(verifies(secret, r), "the signature verifies with the secret shown once");
        assert.ok(!verifies(secret, { ...r, body: r.body.replace("Marketing", "Sales") }), "a tampered body does not");
        const event = JSON.parse(r.body);
        assert.equal(event.type, "api_key.created");
        assert.equal(event.data.name, "Marketing Automation");
        assert.equal(event.data.user_id, ada.id);
        assert.ok(!r.body.includes(key), "the payload never carries the key");

        // The delivery log says so.
        await (await s.find(tid("nav-webhooks"))).click();
        const row = await s.waitFor(tid("webhook-row"), { displayed: true });
        await (await row.find(tid("webhook-log-toggle"))).click();
        await waitUntil(
          async () => {
            const rows = await s.findAll(tid("delivery-row"));
            return rows.length > 0 && /delivered/i.test(await rows[0].textContent());
          },
          { timeoutMs: 10_000, message: "a delivered line in the delivery log" },
        );
        const line = await (await s.findAll(tid("delivery-row")))[0].textContent();
        assert.match(line, /api_key\.created/);
        assert.match(line, /204/);

        // Off sends nothing. (The switch's label takes the click; the input is drawn over.)
        await (await row.find(".wh-status .switch-text")).click();
        await waitUntil(async () => (await (await s.find(tid("webhook-status"))).property("checked")) === false, {
          timeoutMs: 5_000,
          message: "the switch to show off",
        });
        await (await s.find(tid("nav-keys"))).click();
        await (await s.waitFor(tid("create-key"), { displayed: true })).click();
        await s.selectOption(await s.waitFor(tid("create-owner"), { displayed: true }), ada.id);
        await (await s.find(tid("create-name"))).sendKeys("Quiet Key");
        await (await s.find(tid("create-submit"))).click();
        await s.waitFor(tid("created-key"), { timeoutMs: 10_000 });
        await (await s.find(tid("dialog-close"))).click();
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal(rx.got.length, 1, "nothing sent while the webhook is off");
      },
      { label: "webhooks" },
    );
  } finally {
    rx.close();
  }
});
