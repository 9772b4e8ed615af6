// State shared by the shell and the screens: the current section, the startup problem,
// the store the window shows, the toasts, and requests that arrive as Rust events
// (refresh, open a key, another store).
import { ipc, type ConnectionView, type IpcError } from "./ipc";

export type Screen = "keys" | "users" | "webhooks" | "activity" | "preferences" | "docs";

/** The sidebar's groups, in order: what a site manager manages, then what a developer reads. */
export const GROUPS = ["Settings", "Developers"] as const;

export const SCREENS: { id: Screen; label: string; title: string; group: (typeof GROUPS)[number] }[] = [
  { id: "keys", label: "API keys", title: "API keys", group: "Settings" },
  { id: "users", label: "Site managers & access", title: "Site managers & access", group: "Settings" },
  { id: "webhooks", label: "Webhooks", title: "Webhooks", group: "Settings" },
  { id: "activity", label: "Activity", title: "Activity", group: "Settings" },
  { id: "preferences", label: "Preferences", title: "Preferences", group: "Settings" },
  { id: "docs", label: "API documentation", title: "API documentation", group: "Developers" },
];

export const app = $state({
  screen: "keys" as Screen,
  /** Why the database could not be opened; every screen shows it. */
  startupProblem: null as string | null,
  /** Bumped when a lifecycle pass ran: the keys page reloads. */
  refreshTick: 0,
  /** Bumped when webhook deliveries were attempted: pending counts and logs reload. */
  webhookTick: 0,
  /** A key the tray asked to open. */
  openKeyId: null as string | null,
  openKeySeq: 0,
  /** The clock "3 hours ago" is measured against; ticks every 30 s. */
  now: Date.now(),
  /** Keys due within a day, for the sidebar's attention dot. */
  urgent: 0,
  /** Set on the way to Site managers & access to add the first site manager there. */
  addUserRequested: false,
  /** Which store the window shows (this computer or a team server), and as whom. */
  connection: null as ConnectionView | null,
  /** The first answer about the connection has arrived (or failed). */
  connectionKnown: false,
  /** Bumped when the window shows another store, or its owner was recorded: screens reload. */
  connectionTick: 0,
});

/** Asks Rust which store the window shows; the shell and Preferences read `app.connection`. */
export async function refreshConnection(): Promise<ConnectionView | null> {
  try {
    app.connection = await ipc.connectionStatus();
  } catch {
    // Keep what was known: the screens report their own errors.
  } finally {
    app.connectionKnown = true;
  }
  return app.connection;
}

/** Another store (or the same one, now owned): the store's name is asked again and screens reload. */
export async function storeChanged(): Promise<void> {
  await refreshConnection();
  app.connectionTick++;
}

/** First run: go to Site managers & access with the "Add site manager" form open. */
export function addFirstSiteManager(): void {
  app.addUserRequested = true;
  app.screen = "users";
}

export type Toast = { id: number; text: string; kind: "info" | "error" };

let nextToast = 1;
export const toasts = $state({ list: [] as Toast[] });

export function toast(text: string, kind: Toast["kind"] = "info", ms = kind === "error" ? 7000 : 4000): void {
  const id = nextToast++;
  toasts.list = [...toasts.list.slice(-3), { id, text, kind }];
  setTimeout(() => dismissToast(id), ms);
}

export function toastError(e: unknown): void {
  const err = e as IpcError;
  toast(err && typeof err === "object" && "message" in err ? err.message : String(e), "error");
}

export function dismissToast(id: number): void {
  toasts.list = toasts.list.filter((t) => t.id !== id);
}
