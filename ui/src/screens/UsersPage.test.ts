import { describe, expect, test } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import UsersPage from "./UsersPage.svelte";
import { makeUser } from "../lib/fixtures";
import { click, one, pageForTests, typeInto } from "../lib/test-setup";
import type { IpcError } from "../lib/ipc";

const mountPage = pageForTests();

/** The page, with Rust refusing the new site manager with `refusal`. */
async function addRefused(refusal: IpcError): Promise<void> {
  mockIPC((cmd) => {
    if (cmd === "list_users") return [makeUser()];
    if (cmd === "list_locations") return [];
    if (cmd === "add_user") throw refusal;
    return null;
  });
  await mountPage(UsersPage);
  await click(one("add-user"));
  typeInto(one("user-name"), "Bob");
  typeInto(one("user-email"), "bob@example");
  await click(one("user-submit"));
}

describe("site managers", () => {
  test("each row has one \"⋯\" menu, Clear API keys last and red, keyboard-usable", async () => {
    mockIPC((cmd) => {
      if (cmd === "list_users") return [makeUser()];
      if (cmd === "list_locations") return [];
      return null;
    });
    await mountPage(UsersPage);
    const row = one("user-row");
    expect(row.querySelectorAll("button.btn")).toHaveLength(0);
    const toggle = one("user-actions", row);
    await click(toggle);
    const items = [...row.querySelectorAll<HTMLButtonElement>('[role="menuitem"]')];
    expect(items.map((b) => b.textContent!.trim())).toEqual(["Edit…", "Deactivate", "Webhooks", "Clear API keys…"]);
    expect(items.at(-1)!.classList.contains("danger")).toBe(true);
    expect(document.activeElement).toBe(items[0]);
    items[0].dispatchEvent(new KeyboardEvent("keydown", { key: "End", bubbles: true }));
    expect(document.activeElement).toBe(items.at(-1));
    items.at(-1)!.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    await Promise.resolve();
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    expect(document.activeElement).toBe(toggle);
    await click(toggle);
    await click(one("clear-keys", row));
    expect(one("clear-keys-submit")).not.toBeNull();
  });

  test("a refused email is marked at the email field, which takes the focus", async () => {
    const message = "'bob@example' is not an email address (no dot in the domain) — enter one like ada@example.com";
    await addRefused({ code: "INVALID_INPUT", message, field: "email" });
    const email = one("user-email");
    expect(email.getAttribute("aria-invalid")).toBe("true");
    expect(one("user-name").getAttribute("aria-invalid")).toBe("false");
    expect(document.activeElement).toBe(email);
    expect(one("dialog-error").textContent).toBe(message);
    expect(email.getAttribute("aria-describedby")).toBe(one("dialog-error").id);
  });

  test("a refusal about no field marks no input", async () => {
    await addRefused({ code: "EMAIL_TAKEN", message: "a site manager with the email bob@example.com already exists" });
    expect(one("user-email").getAttribute("aria-invalid")).toBe("false");
    expect(one("dialog-error").textContent).toContain("already exists");
  });
});
