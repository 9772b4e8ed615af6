import { afterEach, beforeAll } from "vitest";
import { flushSync, mount, unmount, type Component } from "svelte";
import { clearMocks } from "@tauri-apps/api/mocks";

// jsdom lacks a few browser APIs the components and Tauri's mocks use.
export function installBrowserShims(): void {
  if (!window.crypto?.getRandomValues) {
    Object.defineProperty(window, "crypto", { value: globalThis.crypto, configurable: true });
  }
  if (!("ResizeObserver" in window)) {
    class ResizeObserverShim {
      observe() {}
      unobserve() {}
      disconnect() {}
    }
    Object.defineProperty(window, "ResizeObserver", { value: ResizeObserverShim, configurable: true });
    Object.defineProperty(globalThis, "ResizeObserver", { value: ResizeObserverShim, configurable: true });
  }
}

/** Lets pending promises and microtasks (IPC answers, focus moves) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}

/** Lets the IPC answers arrive and the DOM catch up with them. */
export async function update(): Promise<void> {
  flushSync();
  await settle();
  flushSync();
}

/**
 * One component on a clean page per test. Call once at the top of a test file: it
 * installs the browser shims, and after each test unmounts what `mountPage` mounted,
 * empties the page, runs `reset` (state the file's tests change) and clears the IPC mocks.
 * `await mountPage(Component, props)` mounts into `document.body` and returns once the
 * first IPC answers have arrived and shown.
 */
export function pageForTests(reset: () => void = () => {}) {
  let current: ReturnType<typeof mount> | null = null;
  beforeAll(installBrowserShims);
  afterEach(() => {
    if (current) unmount(current);
    current = null;
    document.body.innerHTML = "";
    reset();
    clearMocks();
  });
  return async function mountPage<Props extends Record<string, any>>(component: Component<Props>, props?: Props) {
    current = mount(component, { target: document.body, props: props as Props });
    await update();
    return current;
  };
}

/** The element with this `data-testid` (which must be there). */
export const one = <T extends HTMLElement = HTMLElement>(id: string, root: ParentNode = document) =>
  root.querySelector<T>(`[data-testid="${id}"]`)!;

/** Every element with this `data-testid`. */
export const all = (id: string, root: ParentNode = document) =>
  root.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`);

/** Clicks, then lets what the click asked for arrive. */
export async function click(el: HTMLElement): Promise<void> {
  el.click();
  await update();
}

/** Puts `text` in a field as a person typing it would (an `input` event). */
export function typeInto(input: HTMLInputElement, text: string): void {
  input.value = text;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  flushSync();
}

/** Picks an option of a select (a `change` event). */
export function choose(select: HTMLSelectElement, value: string): void {
  select.value = value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
  flushSync();
}

/**
 * Opens the "⋯" menu in `root` (its toggle has `aria-haspopup="menu"`) and returns the
 * entry with this `data-testid`.
 */
export async function menuItem(id: string, root: ParentNode = document): Promise<HTMLButtonElement> {
  const toggle = root.querySelector<HTMLButtonElement>('[aria-haspopup="menu"]')!;
  if (toggle.getAttribute("aria-expanded") !== "true") await click(toggle);
  return one<HTMLButtonElement>(id, root);
}
