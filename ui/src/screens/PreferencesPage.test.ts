import { describe, expect, test } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import PreferencesPage from "./PreferencesPage.svelte";
import { makeConnection, makeSettings } from "../lib/fixtures";
import { pageForTests, settle } from "../lib/test-setup";
import type { AppStatus, IpcError } from "../lib/ipc";

const show = pageForTests();

const settings = makeSettings();

const status: AppStatus = {
  version: "0.1.0",
  data_dir: "/home/ada/.local/share/com.keyward.desktop",
  master_key_source: "file",
  master_key_problem: null,
  notification_problem: null,
  startup_problem: null,
  local_api: { enabled: true, listening: "127.0.0.1:7431", error: null },
};

/** Preferences whose save Rust refuses with `refusal`. */
async function refusedWith(refusal: IpcError): Promise<void> {
  mockIPC((cmd) => {
    if (cmd === "app_status") return status;
    if (cmd === "get_settings") return settings;
    if (cmd === "connection_status") return makeConnection();
    if (cmd === "list_management_tokens" || cmd === "list_users") return [];
    if (cmd === "update_settings") throw refusal;
    return null;
  });
  show(PreferencesPage);
  await settle();
  document.querySelector<HTMLFormElement>("form.prefs")!.requestSubmit();
  await settle();
}

describe("Preferences", () => {
  test("a refusal naming a field is shown beside that field", async () => {
    await refusedWith({
      code: "INVALID_INPUT",
      message: "reminder_days: each reminder must be at least 1 day and less than 90 days before",
      field: "reminder_days",
    });
    const input = document.querySelector('[data-testid="pref-reminder-days"]')!;
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(input.parentElement!.querySelector(".field-error")!.textContent).toContain("each reminder");
    expect(document.querySelector('[data-testid="prefs-error"]')?.textContent ?? "").not.toContain(
      "each reminder",
    );
  });

  test("the SMTP server shows its password masked and saves the mask back unchanged", async () => {
    const masked = "smtp://mailer:•••@mail.example.com:2525";
    let saved: unknown = null;
    mockIPC((cmd, args) => {
      if (cmd === "app_status") return status;
      if (cmd === "get_settings") return makeSettings({ smtp_url: masked, smtp_from: "keyward@example.com" });
      if (cmd === "connection_status") return makeConnection();
      if (cmd === "list_management_tokens" || cmd === "list_users") return [];
      if (cmd === "update_settings") {
        saved = (args as { settings: unknown }).settings;
        return saved;
      }
      return null;
    });
    show(PreferencesPage);
    await settle();
    const url = document.querySelector<HTMLInputElement>('[data-testid="pref-smtp-url"]')!;
    expect(url.value).toBe(masked);
    document.querySelector<HTMLFormElement>("form.prefs")!.requestSubmit();
    await settle();
    expect(saved).toMatchObject({ smtp_url: masked, smtp_from: "keyward@example.com" });
  });

  test("a refused SMTP server is shown beside its field", async () => {
    await refusedWith({
      code: "INVALID_INPUT",
      message: "smtp_url names no host — use smtp://[user[:password]@]host[:port]",
      field: "smtp_url",
    });
    const input = document.querySelector('[data-testid="pref-smtp-url"]')!;
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(input.parentElement!.querySelector(".field-error")!.textContent).toContain("names no host");
  });

  test("a refusal about no field is shown for the whole form", async () => {
    await refusedWith({ code: "STORAGE_ERROR", message: "storage error: the disk went away" });
    expect(document.querySelectorAll(".field-error")).toHaveLength(0);
    expect(document.querySelector('[data-testid="prefs-error"]')!.textContent).toContain(
      "the disk went away",
    );
  });

  /** Preferences with these saved SMTP settings; `send_test_email` answers with `answer`. */
  async function withEmail(
    smtp: { smtp_url: string; smtp_from: string },
    answer: (to: string) => unknown,
  ): Promise<string[]> {
    const asked: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "app_status") return status;
      if (cmd === "get_settings") return makeSettings(smtp);
      if (cmd === "connection_status") return makeConnection();
      if (cmd === "list_management_tokens" || cmd === "list_users") return [];
      if (cmd === "send_test_email") {
        const to = (args as { to: string }).to;
        asked.push(to);
        return answer(to);
      }
      return null;
    });
    show(PreferencesPage);
    await settle();
    return asked;
  }

  const on = { smtp_url: "smtp://mailer:•••@mail.example.com", smtp_from: "keyward@example.com" };
  const q = <T extends Element>(id: string) => document.querySelector<T>(`[data-testid="${id}"]`);

  async function typeTo(address: string) {
    const to = q<HTMLInputElement>("test-email-to")!;
    to.value = address;
    to.dispatchEvent(new Event("input", { bubbles: true }));
    await settle();
  }

  test("a test email is sent to the typed address and the result is shown", async () => {
    const asked = await withEmail(on, (to) => ({
      to,
      server: on.smtp_url,
      sent: true,
      message_id: "<mail_1@example.com>",
    }));
    const send = q<HTMLButtonElement>("test-email-send")!;
    expect(send.disabled).toBe(true);
    await typeTo("lee@example.com");
    expect(send.disabled).toBe(false);
    send.click();
    await settle();
    expect(asked).toEqual(["lee@example.com"]);
    const result = q("test-email-result")!;
    expect(result.getAttribute("role")).toBe("status");
    expect(result.textContent).toContain("Sent to lee@example.com through smtp://mailer:•••@mail.example.com");
  });

  test("Enter in the address sends the test, not the form; a refusal shows the server's answer", async () => {
    let saves = 0;
    const asked = await withEmail(on, (to) => ({
      to,
      server: on.smtp_url,
      sent: false,
      error: "535 5.7.8 authentication failed",
      message_id: "<mail_2@example.com>",
    }));
    document.querySelector("form.prefs")!.addEventListener("submit", () => saves++);
    await typeTo("lee@example.com");
    q("test-email-to")!.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await settle();
    expect(asked).toEqual(["lee@example.com"]);
    expect(saves).toBe(0);
    const result = q("test-email-result")!;
    expect(result.getAttribute("role")).toBe("alert");
    expect(result.textContent).toContain("Not sent through smtp://mailer:•••@mail.example.com: 535 5.7.8 authentication failed");
  });

  test("no test email while email is off", async () => {
    const asked = await withEmail({ smtp_url: "", smtp_from: "" }, () => null);
    await typeTo("lee@example.com");
    expect(q<HTMLButtonElement>("test-email-send")!.disabled).toBe(true);
    expect(q("test-email-hint")!.textContent).toContain("Set an SMTP server");
    expect(asked).toEqual([]);
  });

  test("no test email while the SMTP settings have unsaved changes", async () => {
    const asked = await withEmail(on, () => null);
    await typeTo("lee@example.com");
    expect(q<HTMLButtonElement>("test-email-send")!.disabled).toBe(false);
    const url = q<HTMLInputElement>("pref-smtp-url")!;
    url.value = "smtp://mail.example.org";
    url.dispatchEvent(new Event("input", { bubbles: true }));
    await settle();
    expect(q<HTMLButtonElement>("test-email-send")!.disabled).toBe(true);
    expect(q("test-email-hint")!.textContent).toContain("save your changes first");
    expect(asked).toEqual([]);
  });
});
