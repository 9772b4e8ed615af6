import { afterEach, beforeAll } from "vitest";
import { mount, unmount, type Component } from "svelte";
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

/**
 * One component on a clean page per test. Call once at the top of a test file: it
 * installs the browser shims, and after each test unmounts what `show` mounted, empties
 * the page, runs `reset` (state the file's tests change) and clears the IPC mocks.
 * `show(Component, props)` mounts into `document.body`.
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
  return function show<Props extends Record<string, any>>(component: Component<Props>, props?: Props) {
    current = mount(component, { target: document.body, props: props as Props });
    return current;
  };
}
