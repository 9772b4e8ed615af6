// Keyboard focus helpers for dialogs and menus, and where a row's menu opens.

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function focusables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) => !el.hasAttribute("inert") && el.getAttribute("aria-hidden") !== "true",
  );
}

/** Action: focus this element when it appears (a dialog's next step, a new secret's Copy). */
export function autofocus(node: HTMLElement, when = true): void {
  if (when) queueMicrotask(() => node.focus());
}

/**
 * A menu's keyboard: arrows, Home and End move between its items; Escape closes it and
 * returns to its toggle; Tab closes it and moves on.
 */
export function menuKeydown(e: KeyboardEvent, menu: HTMLElement, close: () => void, toggle?: HTMLElement | null): void {
  const items = focusables(menu);
  const i = items.indexOf(document.activeElement as HTMLElement);
  const go = (n: number) => {
    e.preventDefault();
    items[(n + items.length) % items.length]?.focus({ preventScroll: true });
  };
  if (e.key === "ArrowDown") go(i + 1);
  else if (e.key === "ArrowUp") go(i - 1);
  else if (e.key === "Home") go(0);
  else if (e.key === "End") go(items.length - 1);
  else if (e.key === "Escape") {
    e.preventDefault();
    e.stopPropagation();
    close();
    toggle?.focus();
  } else if (e.key === "Tab") close();
}

/** Where a menu `width` × `height` opens for its toggle: below it, or above when there is no room. */
export function menuPlacement(toggle: HTMLElement, width: number, height: number): { top: number; left: number } {
  const r = toggle.getBoundingClientRect();
  const below = r.bottom + 4 + height <= window.innerHeight;
  return { top: below ? r.bottom + 4 : Math.max(8, r.top - 4 - height), left: Math.max(8, r.right - width) };
}
