// The rows of the API keys page, read from Rust a block at a time: the core filters and
// sorts, the page holds the few hundred rows around what is on screen. Only the newest
// request counts, so a slow answer to an older search never overwrites a newer one.
import { ipc, toIpcError, type KeyQuery, type KeySort, type KeyView } from "./ipc";

/** Blocks start at multiples of this many rows. */
export const STEP = 100;
/** Rows asked for at once: the step the window is in, one before and one after. */
export const BLOCK = 3 * STEP;

/** The block to ask for so that rows `start..end` are in it, with room to scroll. */
export function blockFor(start: number, end: number): { offset: number; limit: number } {
  const offset = Math.max(0, (Math.floor(start / STEP) - 1) * STEP);
  const limit = Math.max(BLOCK, end - offset + STEP);
  return { offset, limit };
}

type Request = { query: string; offset: number; limit: number };

export class KeyRows {
  /** The rows held, `offset..offset + rows.length` of the matching keys. */
  rows = $state.raw<KeyView[]>([]);
  offset = $state(0);
  /** Keys matching the filters; keys in all. */
  matching = $state(0);
  total = $state(0);
  /** An answer (or an error) has arrived at least once. */
  loaded = $state(false);
  error = $state<string | null>(null);

  #seq = 0;
  #asked: Request | null = null;
  #query: KeyQuery | null = null;
  #sort: KeySort | null = null;

  /** The row at `index` if held. */
  at(index: number): KeyView | undefined {
    const i = index - this.offset;
    return i >= 0 && i < this.rows.length ? this.rows[i] : undefined;
  }

  /**
   * Makes sure rows `start..end` of `query` in `sort` order are held or asked for.
   * Returns whether this asked Rust for a new block.
   */
  show(query: KeyQuery, sort: KeySort, start: number, end: number): boolean {
    const key = JSON.stringify([query, sort]);
    const a = this.#asked;
    const covered =
      a !== null &&
      a.query === key &&
      a.offset <= start &&
      (end <= a.offset + a.limit || a.offset + a.limit >= this.matching);
    if (covered) return false;
    this.#query = query;
    this.#sort = sort;
    const { offset, limit } = blockFor(start, end);
    void this.#fetch({ query: key, offset, limit });
    return true;
  }

  /** Asks again for the block held (after a change, or a lifecycle pass). */
  reload(): Promise<void> {
    if (!this.#query || !this.#sort || !this.#asked) return Promise.resolve();
    return this.#fetch({ ...this.#asked });
  }

  /** A key changed: show its new view at once where it is held. */
  patch(view: KeyView): void {
    if (this.rows.some((k) => k.id === view.id)) {
      this.rows = this.rows.map((k) => (k.id === view.id ? view : k));
    }
  }

  async #fetch(req: Request): Promise<void> {
    const mine = ++this.#seq;
    this.#asked = req;
    const query = this.#query!;
    const sort = this.#sort!;
    try {
      const page = await ipc.listKeys(query, sort, req.offset, req.limit);
      if (mine !== this.#seq) return;
      this.rows = page.rows;
      this.offset = page.offset;
      this.matching = page.matching;
      this.total = page.total;
      this.error = null;
    } catch (e) {
      if (mine !== this.#seq) return;
      this.error = toIpcError(e).message;
      // Ask again on the next scroll or change rather than never.
      this.#asked = null;
    } finally {
      if (mine === this.#seq) this.loaded = true;
    }
  }
}
