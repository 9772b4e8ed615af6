// The words the webhook screens show for the core's values (Entity, Operation Type,
// delivery outcomes), kept apart from the components so dialogs and tables agree.
import type { DeliveryView, WebhookView } from "../lib/ipc";
import { ENTITY_LABELS, type Tone } from "../lib/rules";

/** What a subscription may be about, named as Activity names them. */
export const ENTITY_OPTIONS: { value: string; label: string }[] = ["api_key", "token", "user"].map((value) => ({
  value,
  label: ENTITY_LABELS[value],
}));

/**
 * "*" first: most receivers want every change to the entity. `words` is the operation
 * inside a sentence when its label will not do lower-cased.
 */
export const OPERATION_OPTIONS: { value: string; label: string; words?: string }[] = [
  { value: "*", label: "All operations" },
  { value: "created", label: "Created" },
  { value: "updated", label: "Updated" },
  { value: "deleted", label: "Deleted" },
  { value: "restored", label: "Restored" },
  { value: "regenerated", label: "Regenerated" },
  { value: "revoked", label: "Revoked" },
  { value: "expired", label: "Expired" },
  // Each reminder before a key is deleted for inactivity or a token expires:
  // api_key.expiring, token.expiring.
  { value: "expiring", label: "Expiring (reminders)", words: "expiry reminders" },
];

export function entityLabel(entity: string): string {
  return ENTITY_LABELS[entity] ?? entity;
}

export function operationLabel(operation: string): string {
  return OPERATION_OPTIONS.find((o) => o.value === operation)?.label ?? operation;
}

/** The operation inside a sentence: "all operations", "revoked", "expiry reminders". */
export function operationWords(operation: string): string {
  const o = OPERATION_OPTIONS.find((x) => x.value === operation);
  return o ? (o.words ?? o.label.toLowerCase()) : operation;
}

/** The event types a subscription receives: "api_key.created", "token.*". */
export function eventTypes(entity: string, operation: string): string {
  return `${entity}.${operation}`;
}

export const OUTCOMES: Record<DeliveryView["outcome"], { label: string; tone: Tone }> = {
  delivered: { label: "Delivered", tone: "ok" },
  retrying: { label: "Retrying", tone: "warn" },
  failed: { label: "Failed", tone: "danger" },
  dropped: { label: "Dropped", tone: "muted" },
  turned_off: { label: "Turned off", tone: "danger" },
};

/** "200", "503 — upstream timed out", or the error alone when nothing answered. */
export function deliveryResult(d: Pick<DeliveryView, "status_code" | "error">): string {
  if (d.status_code !== null && d.error) return `${d.status_code} — ${d.error}`;
  if (d.status_code !== null) return String(d.status_code);
  return d.error ?? "—";
}

/** Why a subscription sends nothing now, if it does not: off (and why), or paused. */
export function quietReason(w: Pick<WebhookView, "status" | "off_reason" | "paused_reason">): string | null {
  if (w.status === "off") return w.off_reason ? `Off: ${w.off_reason}` : null;
  return w.paused_reason ? `Paused: ${w.paused_reason}` : null;
}
