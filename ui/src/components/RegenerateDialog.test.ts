import { describe, expect, test } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import RegenerateDialog from "./RegenerateDialog.svelte";
import { hoursAgo, makeKey } from "../lib/fixtures";
import { choose, click, one, pageForTests } from "../lib/test-setup";
import type { KeyView } from "../lib/ipc";

const mountPage = pageForTests();

async function open(key: KeyView): Promise<{ cmd: string; args: unknown }[]> {
  const calls: { cmd: string; args: unknown }[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    if (cmd === "regenerate_key") return { ...key, key: "kwa_new" };
    return null;
  });
  await mountPage(RegenerateDialog, { key, onclose: () => {}, onchanged: () => {} });
  return calls;
}

describe("regenerate dialog", () => {
  test("a key in use starts at 24 hours with the cut-off, and sends that grace", async () => {
    const calls = await open(makeKey({ in_use: true, last_used_at: hoursAgo(2), live_tokens: 1 }));
    expect((one("regen-grace") as HTMLSelectElement).value).toBe("24h");
    expect(one("regen-cutoff").textContent).toMatch(/^The old key works until \d{1,2} \w{3}, \d{2}:\d{2}\.$/);
    expect(one("regen-submit").classList.contains("btn-danger")).toBe(false);
    await click(one("regen-submit"));
    expect(calls.find((c) => c.cmd === "regenerate_key")?.args).toMatchObject({ grace: "24h" });
  });

  test("immediately is the red choice, and the default for a key nothing uses", async () => {
    await open(makeKey({ in_use: false, live_tokens: 0 }));
    expect((one("regen-grace") as HTMLSelectElement).value).toBe("0");
    expect(one("regen-submit").classList.contains("btn-danger")).toBe(true);
    expect(document.querySelector('[data-testid="regen-cutoff"]')).toBeNull();
    choose(one("regen-grace") as HTMLSelectElement, "7d");
    await Promise.resolve();
    expect(one("regen-submit").classList.contains("btn-danger")).toBe(false);
  });
});
