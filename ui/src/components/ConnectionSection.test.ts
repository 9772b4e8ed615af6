// Preferences › Connection: this computer or a team server, each refusal beside the field
// it concerns, the token never shown again, and who acts with which role.
import { describe, expect, test } from "vitest";
import { mockIPC } from "@tauri-apps/api/mocks";
import ConnectionSection from "./ConnectionSection.svelte";
import { makeConnection, makeUser, serverConnection } from "../lib/fixtures";
import { app } from "../lib/state.svelte";
import { click, one, pageForTests, typeInto, update } from "../lib/test-setup";
import type { ConnectionView, IpcError } from "../lib/ipc";

const mountPage = pageForTests(() => {
  app.connection = null;
  app.connectionKnown = false;
});

type Call = { cmd: string; args: Record<string, unknown> };

/** Rust as this section sees it: connection_status answers `status`; connect_server `connect`. */
function rust(
  status: ConnectionView,
  { connect, local = makeConnection() }: { connect?: () => ConnectionView | Promise<ConnectionView>; local?: ConnectionView } = {},
): Call[] {
  const calls: Call[] = [];
  mockIPC(async (cmd, args) => {
    calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
    switch (cmd) {
      case "connection_status":
        return status;
      case "connect_server":
        return connect ? connect() : serverConnection();
      case "use_this_computer":
        return local;
      default:
        return null;
    }
  });
  return calls;
}

async function fillAndConnect(url = "https://keys.example.org", token = "kwm_0123456789abcdefghijklmnopqrstuvwxyzAB"): Promise<void> {
  await click(one("connection-server"));
  typeInto(one<HTMLInputElement>("connection-url"), `  ${url} `);
  typeInto(one<HTMLInputElement>("connection-token"), token);
  one<HTMLFormElement>("connection-form").requestSubmit();
  await update();
}

describe("Connection", () => {
  test("this computer: the choice is marked and says who acts", async () => {
    rust(makeConnection({ session: { user: makeUser(), role: "admin", store: "this computer" } }));
    await mountPage(ConnectionSection);
    expect(one<HTMLInputElement>("connection-local").checked).toBe(true);
    expect(one("connection-status").textContent).toContain("kept on this computer");
    expect(one("connection-status").textContent).toContain("Ada Lovelace (admin)");
    expect(one("connection-form")).toBeNull();
  });

  test("Team server shows the address and a password-type token field", async () => {
    rust(makeConnection());
    await mountPage(ConnectionSection);
    await click(one("connection-server"));
    const url = one<HTMLInputElement>("connection-url");
    const token = one<HTMLInputElement>("connection-token");
    expect(url.placeholder).toBe("https://keys.example.org");
    expect(token.type).toBe("password");
    expect(token.placeholder).toBe("kwm_…");
    expect(one("connection-connect").textContent).toContain("Connect");
  });

  test("an empty form says what is missing beside each field, and focuses the first", async () => {
    const calls = rust(makeConnection());
    await mountPage(ConnectionSection);
    await click(one("connection-server"));
    one<HTMLFormElement>("connection-form").requestSubmit();
    await update();
    expect(one("connection-url-error").textContent).toContain("https://keys.example.org");
    expect(one("connection-token-error").textContent).toContain("kwm_");
    expect(document.activeElement).toBe(one("connection-url"));
    expect(calls.some((c) => c.cmd === "connect_server")).toBe(false);
  });

  test("connecting sends the trimmed address and token, shows progress, then who acts, and forgets the token", async () => {
    let answer!: (v: ConnectionView) => void;
    const calls = rust(makeConnection(), {
      connect: () => new Promise<ConnectionView>((r) => (answer = r)),
    });
    await mountPage(ConnectionSection);
    const token = "kwm_0123456789abcdefghijklmnopqrstuvwxyzAB";
    await fillAndConnect("https://keys.example.org", token);

    const button = one<HTMLButtonElement>("connection-connect");
    expect(button.textContent).toContain("Connecting…");
    expect(button.disabled).toBe(true);
    expect(calls.find((c) => c.cmd === "connect_server")!.args).toEqual({ url: "https://keys.example.org", token });

    answer(serverConnection(makeUser({ name: "Grace Hopper", email: "grace@example.org" }), "manager"));
    await update();
    expect(one("connection-status").textContent).toContain("Connected to keys.example.org as Grace Hopper (manager)");
    expect(one("use-this-computer")).not.toBeNull();
    expect(one("connection-token")).toBeNull();
    expect(document.body.innerHTML).not.toContain(token);
    expect(app.connection?.server).toBe("https://keys.example.org");
    expect(document.activeElement).toBe(one("connection-status"));
  });

  const refusals: [string, IpcError, "url" | "token"][] = [
    ["a bad address", { code: "INVALID_INPUT", field: "server", message: "'keys' is not a server address like https://keys.example.org" }, "url"],
    ["not a kwm_ token", { code: "INVALID_INPUT", field: "token", message: "that is not a management token — it starts with kwm_" }, "token"],
    ["a refused token", { code: "UNAUTHORIZED", message: "the server refused this token: it is revoked or expired" }, "token"],
    ["an unreachable server", { code: "SERVER_UNAVAILABLE", message: "keys.example.org cannot be reached: connection refused" }, "url"],
    ["an untrusted certificate", { code: "SERVER_UNAVAILABLE", message: "the TLS certificate of keys.example.org is not trusted" }, "url"],
    ["a failing server", { code: "SERVER_ERROR", message: "keys.example.org failed: 500 Internal Server Error" }, "url"],
  ];

  test.each(refusals)("%s is shown beside its field, as Rust says it", async (_what, refusal, field) => {
    rust(makeConnection(), {
      connect: () => {
        throw refusal;
      },
    });
    await mountPage(ConnectionSection);
    await fillAndConnect();
    const other = field === "url" ? "token" : "url";
    expect(one(`connection-${field}-error`).textContent).toBe(refusal.message);
    expect(one(`connection-${field}`).getAttribute("aria-invalid")).toBe("true");
    expect(one(`connection-${other}-error`)).toBeNull();
    expect(one(`connection-${other}`).getAttribute("aria-invalid")).toBe("false");
    expect(one("connection-error")).toBeNull();
    expect(document.activeElement).toBe(one(`connection-${field}`));
    // Still on this computer.
    expect(app.connection?.server).toBeNull();
  });

  test("a refusal about no field is shown for the whole section", async () => {
    rust(makeConnection(), {
      connect: () => {
        throw { code: "IO_ERROR", message: "the connection could not be saved: the keychain is locked" };
      },
    });
    await mountPage(ConnectionSection);
    await fillAndConnect();
    expect(one("connection-error").textContent).toContain("the keychain is locked");
    expect(one("connection-url-error")).toBeNull();
    expect(one("connection-token-error")).toBeNull();
  });

  test("on a server: who acts with which role, and Use this computer instead", async () => {
    const calls = rust(serverConnection(makeUser(), "admin"));
    await mountPage(ConnectionSection);
    expect(one<HTMLInputElement>("connection-server").checked).toBe(true);
    expect(one("connection-status").textContent).toContain("Connected to keys.example.org as Ada Lovelace (admin)");
    expect(one("connection-form")).toBeNull();

    await click(one("use-this-computer"));
    expect(calls.some((c) => c.cmd === "use_this_computer")).toBe(true);
    expect(app.connection?.server).toBeNull();
    expect(one<HTMLInputElement>("connection-local").checked).toBe(true);
    expect(one("connection-status").textContent).toContain("kept on this computer");
  });

  test("a server that cannot be reached says why; another token can be given", async () => {
    rust({ ...serverConnection(), session: null, problem: "the server refused the saved token: it was revoked" });
    await mountPage(ConnectionSection);
    expect(one("connection-problem").textContent).toContain("it was revoked");
    await click(one("connection-change"));
    expect(one<HTMLInputElement>("connection-url").value).toBe("https://keys.example.org");
    expect(one<HTMLInputElement>("connection-token").value).toBe("");
  });
});
