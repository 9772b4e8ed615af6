// What the confirmation before turning API access off, deactivating a site manager or
// clearing their keys says: Rust's `user_impact` names the keys that work now; these
// pure functions turn it into the dialog's words, so the wording is tested here.
import type { Impact, KeyView, UserView } from "./ipc";
import { plural } from "./rules";

export type ImpactAction = "access-off" | "deactivate" | "clear";

/** The dialog's title, its confirm button (the action itself) and the button while it runs. */
export const IMPACT_ACTIONS: Record<
  ImpactAction,
  { title: (name: string) => string; confirm: string; busy: string }
> = {
  "access-off": {
    title: (name) => `Turn off API access for ${name}?`,
    confirm: "Turn off API access",
    busy: "Turning off…",
  },
  deactivate: {
    title: (name) => `Deactivate ${name}?`,
    confirm: "Deactivate",
    busy: "Deactivating…",
  },
  clear: {
    title: (name) => `Clear API keys of ${name}?`,
    confirm: "Clear API keys",
    busy: "Clearing…",
  },
};

/** The dialog lists this many keys, then "and N more". */
export const IMPACT_LIST_MAX = 8;

/**
 * "3 keys and 5 tokens will stop working — 2 of the keys are in use.", or "No keys will
 * stop working." when nothing works now.
 */
export function impactSummary(impact: Pick<Impact, "keys" | "tokens" | "in_use">): string {
  const n = impact.keys.length;
  if (n === 0) return "No keys will stop working.";
  const what = impact.tokens > 0 ? `${plural(n, "key")} and ${plural(impact.tokens, "token")}` : plural(n, "key");
  const inUse =
    impact.in_use === 0
      ? n === 1
        ? ", and it was not used in the last 30 days"
        : ", and none was used in the last 30 days"
      : impact.in_use === n
        ? n === 1
          ? " — it is in use"
          : n === 2
            ? " — both keys are in use"
            : ` — all ${n} keys are in use`
        : ` — ${impact.in_use} of the keys ${impact.in_use === 1 ? "is" : "are"} in use`;
  return `${what} will stop working${inUse}.`;
}

/** What the action itself does, beyond the keys: whether it can be undone, and how. */
export function impactConsequence(action: ImpactAction, user: Pick<UserView, "name" | "keys">): string {
  switch (action) {
    case "access-off":
      return (
        `Calls with ${user.name}'s keys and tokens fail with API_ACCESS_OFF until API access is ` +
        "back on. This can be undone: turn it on again and they work as before."
      );
    case "deactivate":
      return (
        `Calls with ${user.name}'s keys and tokens fail with USER_DEACTIVATED until they are ` +
        "reactivated. This can be undone: reactivate them and the keys work as before."
      );
    case "clear":
      return user.keys > 0
        ? `All ${plural(user.keys, "API key")} of ${user.name} and every token minted from them are ` +
            "revoked for good, and their API access is turned off. This cannot be undone: to give " +
            `${user.name} API access again, turn it back on and create new keys.`
        : `${user.name} has no API keys to revoke; clearing turns their API access off.`;
  }
}

/**
 * The confirm button is red when a live connection would break, and for clearing keys
 * that exist: revoking is for good even for keys nothing uses now.
 */
export function impactIsDanger(action: ImpactAction, impact: Pick<Impact, "in_use" | "user">): boolean {
  return impact.in_use > 0 || (action === "clear" && impact.user.keys > 0);
}

/**
 * The keys the dialog lists: those in use first (a list cut short must not hide them),
 * otherwise in Rust's order (newest first); then how many more, and how many of those
 * are in use.
 */
export function impactList(
  keys: KeyView[],
  max = IMPACT_LIST_MAX,
): { shown: KeyView[]; more: number; moreInUse: number } {
  const ordered = [...keys.filter((k) => k.in_use), ...keys.filter((k) => !k.in_use)];
  const rest = ordered.slice(max);
  return { shown: ordered.slice(0, max), more: rest.length, moreInUse: rest.filter((k) => k.in_use).length };
}

/** "and 4 more keys", "and 1 more key, in use", "and 4 more keys, 2 of them in use". */
export function impactMore(more: number, moreInUse: number): string {
  const what = `and ${more} more ${more === 1 ? "key" : "keys"}`;
  if (moreInUse === 0) return what;
  if (moreInUse === more) return `${what}, ${more === 1 ? "in use" : "all in use"}`;
  return `${what}, ${moreInUse} of them in use`;
}
