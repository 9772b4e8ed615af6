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
