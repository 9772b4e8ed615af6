import { expect, test } from "vitest";
import ExpiringSoon from "./ExpiringSoon.svelte";
import { NOW } from "../lib/fixtures";
import { pageForTests } from "../lib/test-setup";
import type { ExpiringSoon as Summary } from "../lib/ipc";

const mountPage = pageForTests();

const owner = { id: "usr_1", name: "Ada", email: "ada@example.com" };

test("says when as the core phrases it, never a rounded day count", async () => {
  const data: Summary = {
    keys: [
      {
        id: "key_1",
        name: "Zapier sync",
        owner,
        deletes_at: new Date(NOW + 25 * 3_600_000).toISOString(),
        days_left: 2,
        due_in: "in 25 hours",
        last_used_at: null,
        reminded: true,
      },
    ],
    tokens: [
      {
        id: "tok_1",
        key_id: "key_2",
        key_name: "Website form",
        expires_at: new Date(NOW + 7 * 86_400_000).toISOString(),
        days_left: 7,
        due_in: "in 7 days",
      },
    ],
    urgent: 0,
  };
  await mountPage(ExpiringSoon, { data, now: NOW, onopen: () => {}, onkeep: () => {} });
  const text = document.querySelector('[data-testid="expiring-soon"]')!.textContent!.replace(/\s+/g, " ");
  expect(text).toContain("Zapier sync — deleted in 25 hours");
  expect(text).not.toContain("in 2 days");
  expect(text).toContain("Website form — expires in 7 days");
});
