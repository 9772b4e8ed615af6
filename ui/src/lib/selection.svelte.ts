// The keys picked for a bulk action. Held by id with the few facts a confirmation names
// (name, status, in use), so a pick survives scrolling and paging even when its row is no
// longer held; the page clears it when the filter changes.
import { SvelteMap } from "svelte/reactivity";
import type { KeyView } from "./ipc";

export type Picked = Pick<KeyView, "id" | "name" | "status" | "in_use">;

export function picked(key: Picked): Picked {
  return { id: key.id, name: key.name, status: key.status, in_use: key.in_use };
}

export class Selection {
  #picked = new SvelteMap<string, Picked>();
  /** The row a plain click or Space last toggled: the other end of a shift-click range. */
  #anchor: number | null = null;

  get size(): number {
    return this.#picked.size;
  }

  /** The picked keys, in the order they were picked. */
  get keys(): Picked[] {
    return [...this.#picked.values()];
  }

  get anchor(): number | null {
    return this.#anchor;
  }

  has(id: string): boolean {
    return this.#picked.has(id);
  }

  /** Whether every one of `keys` is picked (false for none). */
  hasAll(keys: readonly Picked[]): boolean {
    return keys.length > 0 && keys.every((k) => this.#picked.has(k.id));
  }

  /** Whether some but not all of `keys` are picked. */
  hasSome(keys: readonly Picked[]): boolean {
    const n = keys.filter((k) => this.#picked.has(k.id)).length;
    return n > 0 && n < keys.length;
  }

  /** Picks or unpicks the key in row `index`; it becomes the anchor of a range. */
  toggle(key: Picked, index: number): void {
    this.set([key], !this.#picked.has(key.id));
    this.#anchor = index;
  }

  /**
   * The rows a shift-click on row `index` covers: from the anchor to `index`, either way
   * round; just `index` when nothing was toggled yet.
   */
  rangeTo(index: number): { from: number; to: number } {
    const a = this.#anchor ?? index;
    return { from: Math.min(a, index), to: Math.max(a, index) };
  }

  /**
   * A shift-click on `key` (row `index`): every key of `rows` (the range `rangeTo` gave)
   * takes the state the clicked key turns to, as in a mail client. The anchor stays.
   */
  toggleRange(key: Picked, index: number, rows: readonly Picked[]): void {
    const on = !this.#picked.has(key.id);
    this.set(rows.some((r) => r.id === key.id) ? rows : [...rows, key], on);
    if (this.#anchor === null) this.#anchor = index;
  }

  set(keys: readonly Picked[], on: boolean): void {
    for (const k of keys) {
      if (on) this.#picked.set(k.id, picked(k));
      else this.#picked.delete(k.id);
    }
  }

  /** Picks exactly `keys` (all the keys matching a filter). */
  replace(keys: readonly Picked[]): void {
    this.#picked.clear();
    this.set(keys, true);
  }

  /** Drops the range anchor: row numbers mean other keys in another order. */
  forgetAnchor(): void {
    this.#anchor = null;
  }

  clear(): void {
    this.#picked.clear();
    this.#anchor = null;
  }
}
