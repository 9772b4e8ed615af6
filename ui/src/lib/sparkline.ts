// The keys list's usage column: a key's valid verifications per day over the last 30 days
// (Rust sends them with each page), drawn as a small line.

/** "1,234 verifications in 30 days"; "No verifications in 30 days". */
export function sparkSummary(days: readonly number[]): string {
  const total = days.reduce((a, b) => a + b, 0);
  const span = `in ${days.length} ${days.length === 1 ? "day" : "days"}`;
  if (total === 0) return `No verifications ${span}`;
  return `${total.toLocaleString("en")} ${total === 1 ? "verification" : "verifications"} ${span}`;
}

/**
 * The points of the line in a `width` × `height` box: day i at x = i·width/(n−1), the
 * busiest day at the top, a quiet day on the baseline (a stroke's width above the bottom
 * so it shows).
 */
export function sparkPoints(days: readonly number[], width: number, height: number, pad = 1): string {
  if (days.length === 0) return "";
  const top = Math.max(1, ...days);
  const step = days.length > 1 ? width / (days.length - 1) : 0;
  const y = (n: number) => height - pad - (n / top) * (height - 2 * pad);
  return days.map((n, i) => `${round(i * step)},${round(y(n))}`).join(" ");
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
