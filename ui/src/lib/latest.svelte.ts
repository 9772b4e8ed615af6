// A value loaded from Rust where only the newest request counts: a slow answer to an
// older search or filter never overwrites a newer one.
import { toIpcError } from "./ipc";

export class Latest<T> {
  value: T = $state.raw() as T;
  error = $state<string | null>(null);
  /** An answer (or an error) has arrived at least once. */
  loaded = $state(false);
  #seq = 0;

  constructor(initial: T) {
    this.value = initial;
  }

  async load(fetch: () => Promise<T>): Promise<void> {
    const mine = ++this.#seq;
    try {
      const v = await fetch();
      if (mine !== this.#seq) return;
      this.value = v;
      this.error = null;
    } catch (e) {
      if (mine === this.#seq) this.error = toIpcError(e).message;
    } finally {
      if (mine === this.#seq) this.loaded = true;
    }
  }
}
