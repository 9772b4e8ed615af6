// The rows of the API keys page, read from Rust a block at a time: the core filters and
// sorts, the page holds the few hundred rows around what is on screen. Only the newest
// request counts (a `Latest`), so a slow answer to an older search never overwrites a
// newer one.
import { ipc, type KeyPage, type KeyQuery, type KeySort, type KeyView } from "./ipc";
import { Latest } from "./latest.svelte";

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

const NO_PAGE: KeyPage = { matching: 0, total: 0, offset: 0, rows: [], usage: {} };

export class KeyRows {
  #page = new Latest<KeyPage>(NO_PAGE);
  #asked: Request | null = null;
  #query: KeyQuery | null = null;
  #sort: KeySort | null = null;

  /** The rows held, `offset..offset + rows.length` of the matching keys. */
  get rows(): KeyView[] {
    return this.#page.value.rows;
  }
  get offset(): number {
    return this.#page.value.offset;
  }
  /** Keys matching the filters; keys in all. */
  get matching(): number {
    return this.#page.value.matching;
  }
  get total(): number {
    return this.#page.value.total;
  }
  /** An answer (or an error) has arrived at least once. */
  get loaded(): boolean {
    return this.#page.loaded;
  }
  get error(): string | null {
    return this.#page.error;
  }

  /** A held row's valid verifications per day over the last 30 days. */
  usageOf(id: string): number[] | undefined {
    return this.#page.value.usage?.[id];
  }

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
    if (!this.#asked) return Promise.resolve();
    return this.#fetch({ ...this.#asked });
  }

  /** A key changed: show its new view at once where it is held. */
  patch(view: KeyView): void {
    const page = this.#page.value;
    if (page.rows.some((k) => k.id === view.id)) {
      this.#page.value = { ...page, rows: page.rows.map((k) => (k.id === view.id ? view : k)) };
    }
  }

  async #fetch(req: Request): Promise<void> {
    this.#asked = req;
    const query = this.#query!;
    const sort = this.#sort!;
    await this.#page.load(() => ipc.listKeys(query, sort, req.offset, req.limit));
    // After an error, the next show asks again rather than never.
    if (this.#page.error && this.#asked === req) this.#asked = null;
  }
}
