// The create dialog's "More options": a key's policy, sent as create_key's `policy`, and
// each refusal placed beside the option it is about.
import { describe, expect, test, vi } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import CreateKeyDialog from "./CreateKeyDialog.svelte";
import { makeKey, makeUser } from "../lib/fixtures";
import { all, choose, click, one, pageForTests, typeInto, update } from "../lib/test-setup";
import type { IpcError } from "../lib/ipc";

const mountPage = pageForTests();

const SECRET = "kwa_0123456789abcdefghijABCDEFGHIJKLMN0a1b2c";

type Call = { cmd: string; args: Record<string, unknown> };

/** Rust answering create_key, or refusing it with `refusal`. */
function backend(refusal: IpcError | null = null): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args: args as Record<string, unknown> });
    if (cmd !== "create_key") throw { code: "UNEXPECTED", message: cmd };
    if (refusal) throw refusal;
    const a = args as { name: string };
    return { ...makeKey({ id: "key_new", name: a.name, expires_at: "2027-03-31T23:59:59Z" }), key: SECRET };
  });
  return calls;
}

async function openDialog() {
  await mountPage(CreateKeyDialog, {
    users: [makeUser({ id: "usr_1" })],
    locations: [{ id: "loc_1", name: "Downtown", created_at: "2025-01-01T00:00:00Z" }],
    defaultOwner: "usr_1",
    onclose: vi.fn(),
    onchanged: vi.fn(),
  });
  typeInto(one<HTMLInputElement>("create-name"), "Quarterly board report");
}

const input = (id: string) => one<HTMLInputElement>(id);
const created = (calls: Call[]) => calls.find((c) => c.cmd === "create_key")?.args;

describe("create dialog: more options", () => {
  test("closed, the quick path is as it was; the disclosure is a button that says its state", async () => {
    const calls = backend();
    await openDialog();
    const more = one<HTMLButtonElement>("create-more");
    expect(more.tagName).toBe("BUTTON");
    expect(more.getAttribute("aria-expanded")).toBe("false");
    expect(all("create-expires")).toHaveLength(0);

    await click(more);
    expect(more.getAttribute("aria-expanded")).toBe("true");
    expect(document.getElementById(more.getAttribute("aria-controls")!)).toBe(one("create-more-panel"));
    // Defaults: never expires, everything, no limit, nothing noted, deleted for inactivity like any key.
    expect(one<HTMLSelectElement>("create-expires").value).toBe("never");
    expect(one("create-permissions-mode").querySelector<HTMLInputElement>('input[value="all"]')!.checked).toBe(true);
    expect(all("create-permissions")).toHaveLength(0);
    expect(input("create-rate").placeholder).toBe("600/min");
    expect(input("create-keep-always").checked).toBe(false);
    expect(document.body.textContent).toContain("e.g. a quarterly job");

    await click(one("create-submit"));
    expect(created(calls)).toEqual({ owner: "usr_1", name: "Quarterly board report", location: null, policy: null });
  });

  test("every option is sent as the policy Rust reads", async () => {
    const calls = backend();
    await openDialog();
    await click(one("create-more"));

    choose(one<HTMLSelectElement>("create-expires"), "date");
    typeInto(input("create-expires-date"), "2027-03-31");
    await click(one("create-permissions-mode").querySelector<HTMLInputElement>('input[value="only"]')!);
    typeInto(input("create-permissions"), "contacts:read events:*, contacts:read");
    expect([...one("create-permissions-chips").children].map((c) => c.textContent)).toEqual(["contacts:read", "events:*"]);
    expect(document.body.textContent).toContain("like contacts:read or events:*");
    typeInto(input("create-rate"), "600/min");
    const notes = one<HTMLTextAreaElement>("create-notes");
    notes.value = "Runs the quarterly board report.";
    notes.dispatchEvent(new Event("input", { bubbles: true }));
    await update();
    expect(document.body.textContent).toContain("32/1,000");
    typeInto(input("create-tags"), "Reports, finance, reports");
    expect([...one("create-tags-chips").children].map((c) => c.textContent)).toEqual(["reports", "finance"]);
    await click(input("create-keep-always"));

    await click(one("create-submit"));
    expect(created(calls)).toEqual({
      owner: "usr_1",
      name: "Quarterly board report",
      location: null,
      policy: {
        expires: "2027-03-31",
        permissions: ["contacts:read", "events:*"],
        rate: "600/min",
        notes: "Runs the quarterly board report.",
        tags: ["reports", "finance"],
        keep_always: true,
      },
    });
    expect(one("created-key").textContent).toBe(SECRET);
    expect(one("create-dialog").textContent).toContain("It stops working on 31 Mar 2027.");
  });

  test("a lifetime is sent as chosen", async () => {
    const calls = backend();
    await openDialog();
    await click(one("create-more"));
    choose(one<HTMLSelectElement>("create-expires"), "1y");
    expect(all("create-expires-date")).toHaveLength(0);
    await click(one("create-submit"));
    expect((created(calls)!.policy as { expires: string }).expires).toBe("1y");
  });
});

describe("create dialog: problems beside their option", () => {
  test("'Only these' with nothing listed, or 'On a date…' without one, is caught before Rust", async () => {
    const calls = backend();
    await openDialog();
    await click(one("create-more"));
    choose(one<HTMLSelectElement>("create-expires"), "date");
    await click(one("create-permissions-mode").querySelector<HTMLInputElement>('input[value="only"]')!);

    await click(one("create-submit"));
    expect(calls).toHaveLength(0);
    expect(one("create-expires-error").textContent).toContain("Pick the day");
    expect(one("create-permissions-error").textContent).toContain("at least one permission");
    expect(document.activeElement).toBe(one("create-expires-date"));
    expect(all("dialog-error")).toHaveLength(0);
  });

  test.each([
    ["rate", "create-rate", "the rate limit '600' is not like 600/min, 10/s, 5000/h or none"],
    ["tags", "create-tags", "tag 'two words' is not one short word"],
    ["notes", "create-notes", "notes are at most 1000 characters — this is 1200"],
    ["permissions", "create-permissions", "permission 'Contacts:Read' is not like contacts:read"],
    ["expires", "create-expires", "the end '2020-01-01' is in the past"],
  ])("Rust's refusal about %s opens More options and sits beside it", async (field, testid, message) => {
    backend({ code: "INVALID_INPUT", message, field });
    await openDialog();
    await click(one("create-more"));
    if (field === "permissions") {
      await click(one("create-permissions-mode").querySelector<HTMLInputElement>('input[value="only"]')!);
      typeInto(input("create-permissions"), "Contacts:Read");
    }
    // Closed again before Generate: the refusal opens it.
    await click(one("create-more"));
    expect(all("create-more-panel")).toHaveLength(0);

    await click(one("create-submit"));
    expect(one("create-more").getAttribute("aria-expanded")).toBe("true");
    expect(one(`${testid}-error`).textContent).toBe(message);
    expect(one(testid).getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe(one(testid));
    expect(all("dialog-error")).toHaveLength(0);
    expect(all("created-key")).toHaveLength(0);
  });

  test("a refusal about no option shows below the form", async () => {
    backend({ code: "API_ACCESS_OFF", message: "API access is off for ada@example.org — turn it on first" });
    await openDialog();
    await click(one("create-submit"));
    expect(one("dialog-error").textContent).toContain("API access is off");
    expect(one("create-more").getAttribute("aria-expanded")).toBe("false");
  });
});
