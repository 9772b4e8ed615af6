// Keyboard focus helpers for dialogs and menus.

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function focusables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) => !el.hasAttribute("inert") && el.getAttribute("aria-hidden") !== "true",
  );
}

/** Action: focus this element when it appears (a dialog's next step, a new secret's Copy). */
export function autofocus(node: HTMLElement): void {
  queueMicrotask(() => node.focus());
}
