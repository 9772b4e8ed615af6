// One action on many keys: the existing per-key commands, one key after another. The same
// loop works against this computer's store and a team server, every key gets the core's
// own checks (a manager may not touch another's key, a revoked key stays revoked, a key
// in use is not deleted without its name typed), and it can stop between two keys.
import { ipc, toIpcError, type ErrorCode } from "./ipc";
import type { Picked } from "./selection.svelte";
import { plural } from "./rules";

export type BulkAction = "disable" | "enable" | "keep" | "delete";

export const BULK_WORDS: Record<BulkAction, { verb: string; ing: string; past: string }> = {
  disable: { verb: "Disable", ing: "Disabling", past: "disabled" },
  enable: { verb: "Enable", ing: "Enabling", past: "enabled" },
  keep: { verb: "Keep", ing: "Keeping", past: "kept" },
  delete: { verb: "Delete", ing: "Deleting", past: "deleted" },
};

/** The per-key command an action runs. A key in use is refused by delete (no name typed). */
export function bulkCall(action: BulkAction, id: string): Promise<unknown> {
  switch (action) {
    case "disable":
      return ipc.setKeyDisabled(id, true);
    case "enable":
      return ipc.setKeyDisabled(id, false);
    case "keep":
      return ipc.keepKey(id);
    case "delete":
      return ipc.deleteKey(id, null);
  }
}

/** "Disable 3 API keys?" */
export function bulkTitle(action: BulkAction, n: number): string {
  return `${BULK_WORDS[action].verb} ${plural(n, "API key")}?`;
}

/** The names a confirmation lists: the first `max`, and how many more. */
export function namesPreview(keys: readonly Picked[], max = 10): { shown: string[]; more: number } {
  return { shown: keys.slice(0, max).map((k) => k.name), more: Math.max(0, keys.length - max) };
}

/** "Disabling 12 of 40…": `at` is the key being worked on, from 1. */
export function progressText(action: BulkAction, at: number, total: number): string {
  return `${BULK_WORDS[action].ing} ${at.toLocaleString("en")} of ${total.toLocaleString("en")}…`;
}

export type BulkFailure = { id: string; name: string; code: ErrorCode; message: string };

export type BulkPhase = "running" | "stopping" | "finished" | "cancelled";

/** What a finished (or cancelled) run says first: "Disabled 38 of 40 keys." */
export function summaryText(
  action: BulkAction,
  r: { total: number; succeeded: number; failed: number; phase: BulkPhase },
): string {
  const past = BULK_WORDS[action].past;
  const cap = past[0].toUpperCase() + past.slice(1);
  const untried = r.total - r.succeeded - r.failed;
  if (r.phase === "cancelled" && untried > 0) {
    return `Cancelled: ${r.succeeded.toLocaleString("en")} of ${plural(r.total, "key")} ${past}; ${untried.toLocaleString("en")} not tried.`;
  }
  if (r.succeeded === r.total) return `${cap} ${plural(r.total, "key")}.`;
  return `${cap} ${r.succeeded.toLocaleString("en")} of ${plural(r.total, "key")}.`;
}

/** The keys an action runs on, one at a time, with what it has done so far. */
export class BulkRun {
  readonly action: BulkAction;
  readonly keys: readonly Picked[];
  /** The key being worked on, from 1 (0 before the first). */
  at = $state(0);
  succeeded = $state(0);
  failures = $state.raw<BulkFailure[]>([]);
  phase = $state<BulkPhase>("running");
  #stop = false;

  constructor(action: BulkAction, keys: readonly Picked[]) {
    this.action = action;
    this.keys = [...keys];
  }

  get total(): number {
    return this.keys.length;
  }

  get over(): boolean {
    return this.phase === "finished" || this.phase === "cancelled";
  }

  /** Stops after the key being worked on. */
  cancel(): void {
    if (this.phase !== "running") return;
    this.#stop = true;
    this.phase = "stopping";
  }

  async run(call: (action: BulkAction, id: string) => Promise<unknown> = bulkCall): Promise<void> {
    for (const [i, key] of this.keys.entries()) {
      if (this.#stop) break;
      this.at = i + 1;
      try {
        await call(this.action, key.id);
        this.succeeded += 1;
      } catch (e) {
        const err = toIpcError(e);
        this.failures = [...this.failures, { id: key.id, name: key.name, code: err.code, message: err.message }];
      }
    }
    const untried = this.total - this.succeeded - this.failures.length;
    this.phase = this.#stop && untried > 0 ? "cancelled" : "finished";
  }
}
