import { describe, expect, test } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import BackupRestore from "./BackupRestore.svelte";
import { click, one, pageForTests, typeInto, update } from "../lib/test-setup";
import { toasts } from "../lib/state.svelte";

const mountPage = pageForTests(() => (toasts.list = []));

const SUMMARY = { users: 3, locations: 2, keys: 25, tokens: 4, webhooks: 2, audit_events: 120, rows: 160 };

function backend(calls: { cmd: string; args: unknown }[], over: Record<string, (a: unknown) => unknown> = {}) {
  mockIPC(
    async (cmd, args) => {
      calls.push({ cmd, args });
      if (over[cmd]) return over[cmd](args);
      if (cmd === "back_up_store") return { path: "/home/ada/Downloads/keyward-backup-2026-12-03.kwarchive", summary: SUMMARY };
      if (cmd === "restore_store") {
        await emit("restore-progress", { done: 80, total: 160 });
        return SUMMARY;
      }
      return null;
    },
    { shouldMockEvents: true },
  );
}

async function submit(form: string) {
  one(form).closest("form")!.requestSubmit();
  // Reading the file and the IPC answers take a few turns.
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 10));
    await update();
  }
}

describe("back up and restore", () => {
  test("a backup needs a long enough passphrase, typed twice alike", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    backend(calls);
    await mountPage(BackupRestore);
    await click(one("backup-open"));
    expect(document.activeElement).toBe(one("backup-passphrase"));
    typeInto(one("backup-passphrase"), "too short");
    await submit("backup-submit");
    expect(one("backup-passphrase-error").textContent).toContain("At least 12 characters");
    expect(document.activeElement).toBe(one("backup-passphrase"));

    typeInto(one("backup-passphrase"), "correct horse battery staple");
    typeInto(one("backup-confirm"), "correct horse battery stapler");
    await submit("backup-submit");
    expect(one("backup-confirm-error").textContent).toBe("The two passphrases differ.");
    expect(calls.some((c) => c.cmd === "back_up_store")).toBe(false);

    typeInto(one("backup-confirm"), "correct horse battery staple");
    await submit("backup-submit");
    expect(calls.find((c) => c.cmd === "back_up_store")?.args).toEqual({ passphrase: "correct horse battery staple" });
    expect(one("backup-done").textContent).toContain("3 site managers, 25 API keys, 4 tokens and 2 webhooks");
    expect(one("backup-done").textContent).toContain("keyward-backup-2026-12-03.kwarchive");
  });

  test("a restore sends the file's bytes and shows a wrong passphrase under its field", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    let attempts = 0;
    backend(calls, {
      restore_store: () => {
        attempts++;
        throw { code: "INVALID_INPUT", field: "passphrase", message: "the passphrase is wrong, or the archive is damaged — nothing was imported" };
      },
    });
    await mountPage(BackupRestore);
    await click(one("restore-open"));
    await submit("restore-submit");
    expect(attempts).toBe(0);

    const input = one<HTMLInputElement>("restore-file");
    const file = new File([new Uint8Array([75, 69, 89])], "backup.kwarchive");
    Object.defineProperty(input, "files", { value: [file] });
    input.dispatchEvent(new Event("change", { bubbles: true }));
    typeInto(one("restore-passphrase"), "wrong words here");
    await submit("restore-submit");
    expect(attempts).toBe(1);
    expect(calls.find((c) => c.cmd === "restore_store")?.args).toEqual({ archive: [75, 69, 89], passphrase: "wrong words here" });
    expect(one("restore-passphrase-error").textContent).toContain("passphrase is wrong");
  });

  test("a restore reports its progress, then what it restored", async () => {
    const calls: { cmd: string; args: unknown }[] = [];
    const seen: string[] = [];
    backend(calls, {
      restore_store: async () => {
        await emit("restore-progress", { done: 80, total: 160 });
        await update();
        seen.push(document.querySelector('[data-testid="restore-progress"]')?.getAttribute("value") ?? "none");
        return SUMMARY;
      },
    });
    await mountPage(BackupRestore);
    await click(one("restore-open"));
    const input = one<HTMLInputElement>("restore-file");
    Object.defineProperty(input, "files", { value: [new File([new Uint8Array([1])], "b.kwarchive")] });
    input.dispatchEvent(new Event("change", { bubbles: true }));
    typeInto(one("restore-passphrase"), "correct horse battery staple");
    await submit("restore-submit");
    expect(seen).toEqual(["80"]);
    expect(one("restore-done").textContent).toBe("Restored 3 site managers, 25 API keys, 4 tokens and 2 webhooks.");
    expect(toasts.list.at(-1)?.text).toContain("Restored 3 site managers");
  });
});
