// The keys list's usage column: each row's last 30 days from the page Rust sends.
import { describe, expect, test } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import KeysPage from "./KeysPage.svelte";
import { makeKey, pageOf, quietMonth } from "../lib/fixtures";
import { one, pageForTests } from "../lib/test-setup";

const mountPage = pageForTests();

describe("keys list: usage", () => {
  test("each row draws its own 30 days, with the total said", async () => {
    const busy = quietMonth();
    busy[28] = 1200;
    busy[29] = 34;
    const keys = [makeKey({ id: "key_busy", name: "Busy" }), makeKey({ id: "key_quiet", name: "Quiet" })];
    mockIPC((cmd, args) => {
      if (cmd === "list_keys") return { ...pageOf(keys, args), usage: { key_busy: busy, key_quiet: quietMonth() } };
      if (cmd === "expiring_soon") return { keys: [], tokens: [], urgent: 0 };
      return [];
    });
    await mountPage(KeysPage);
    const spark = (name: string) =>
      one(`key-sparkline`, document.querySelector(`[data-testid="key-row"][data-key-name="${name}"]`)!);
    expect(spark("Busy").getAttribute("aria-label")).toBe("1,234 verifications in 30 days");
    expect(spark("Busy").querySelector("title")!.textContent).toBe("1,234 verifications in 30 days");
    expect(spark("Busy").querySelector("polyline")!.getAttribute("points")!.split(" ")).toHaveLength(30);
    expect(spark("Quiet").getAttribute("aria-label")).toBe("No verifications in 30 days");
    expect(spark("Quiet").classList.contains("quiet")).toBe(true);
    expect(document.querySelector('[role="columnheader"].c-usage')!.textContent!.trim()).toBe("Usage");
  });
});
