import { expect, test } from "vitest";
import ExpiringSoon from "./ExpiringSoon.svelte";
import { NOW } from "../lib/fixtures";
import { click, one, pageForTests } from "../lib/test-setup";
import { shortDay } from "../lib/rules";
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
        summary: "",
        advice: "",
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
  const key = document.querySelector('[data-testid="expiring-key"]')!.textContent!.replace(/\s+/g, " ");
  expect(key).toContain("Zapier sync");
  expect(key).toContain(`deleted in 25 hours · ${shortDay(new Date(NOW + 25 * 3_600_000).toISOString())}`);
  expect(text).not.toContain("in 2 days");
  const token = document.querySelector('[data-testid="expiring-token"]')!.textContent!.replace(/\s+/g, " ");
  expect(token).toContain("Website form");
  expect(token).toContain("expires in 7 days");
});

test("each key due has a right-aligned Keep key that says what it does", async () => {
  const kept: string[] = [];
  const data: Summary = {
    keys: [
      {
        id: "key_1",
        name: "Zapier sync",
        owner,
        deletes_at: new Date(NOW + 4 * 86_400_000).toISOString(),
        days_left: 4,
        due_in: "in 4 days",
        last_used_at: null,
        reminded: true,
        summary: "",
        advice: "",
      },
    ],
    tokens: [],
    urgent: 0,
  };
  await mountPage(ExpiringSoon, { data, now: NOW, onopen: () => {}, onkeep: (id: string) => kept.push(id) });
  const keep = one("expiring-keep");
  expect(keep.textContent!.trim()).toBe("Keep key");
  expect(keep.getAttribute("title")).toContain("inactivity clock");
  expect(keep.closest("td")!.classList.contains("act")).toBe(true);
  await click(keep);
  expect(kept).toEqual(["key_1"]);
});
