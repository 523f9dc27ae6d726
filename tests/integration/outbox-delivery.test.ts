import { eq, inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import * as schema from "../../db/schema";
import { messages } from "../../db/schema";
import { drainOutbox, MAX_ATTEMPTS, startOutboxWorker } from "../../lib/services/outbox";
import { sendMessage } from "../../lib/services/send-message";
import {
  createTestInbox,
  customerWrites,
  drainUntil,
  type Harness,
  insertThread,
  messageRow,
  randomWaId,
  seedTemplate,
  simPost,
  simSent,
  startHarness,
  type TestInbox,
  waitFor,
} from "./send-harness";

const db = getDb();
let h: Harness;
let inbox: TestInbox;
const system = { userId: null, role: "supervisor" as const };

beforeAll(async () => {
  h = await startHarness();
  inbox = await createTestInbox(db, h);
  await seedTemplate(db, h, inbox, {
    name: "ticket_update",
    components: [{ type: "BODY", text: "Update {{1}}", example: { body_text: [["1"]] } }],
  });
});

afterAll(async () => {
  await h?.close();
});

describe("outbox", () => {
  it("retries through a Meta outage and delivers exactly once afterwards", async () => {
    const waId = randomWaId();
    const { threadId } = await customerWrites(db, h, inbox, waId);
    await simPost(h, "/_sim/outage", { mode: "500", forMs: 1500 });
    const r = await sendMessage(db, {
      threadId,
      actor: system,
      input: { type: "text", text: "Sorry for the wait" },
    });
    if (!r.ok) throw r.error;

    // First attempt fails and is scheduled again, with the error kept on the row.
    await drainOutbox(db, { inboxIds: [inbox.id] });
    const waiting = await messageRow(db, r.message.id);
    expect(waiting).toMatchObject({ status: "pending", attempts: 1, wamid: null });
    expect(waiting.lastError).toMatch(/HTTP 503|HTTP 500/);
    expect(waiting.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now());

    const sent = await drainUntil(
      db,
      inbox,
      async () => {
        const m = await messageRow(db, r.message.id);
        return m.deliveredAt ? m : undefined;
      },
      "delivery after the outage",
      20_000,
    );
    expect(sent.attempts).toBeGreaterThan(1);
    expect(sent.lastError).toBeNull();
    const phone = await simSent(h, { to: waId });
    expect(phone).toHaveLength(1);
    expect(phone[0].posts_with_same_key).toBe(1);
  });

  it("sends each of 50 pending messages exactly once with two drainers in parallel, in order per thread", {
    timeout: 150_000,
  }, async () => {
    // Two "instances": separate connection pools, like two app processes.
    const other = postgres(process.env.DATABASE_URL!, { max: 4, onnotice: () => {} });
    const db2 = drizzle(other, { schema });
    try {
      const threadsList = await Promise.all(Array.from({ length: 25 }, () => insertThread(db, inbox)));
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        // Threads in parallel; update 0 of every thread is stored before its update 1.
        const sent = await Promise.all(
          threadsList.map((t) =>
            sendMessage(db, {
              threadId: t.threadId,
              actor: system,
              input: { type: "template", name: "ticket_update", params: [String(i)] },
            }),
          ),
        );
        for (const r of sent) {
          if (!r.ok) throw r.error;
          ids.push(r.message.id);
        }
      }
      const drainer = async (d: typeof db) => {
        for (let round = 0; round < 500; round++) {
          const n = await drainOutbox(d, { inboxIds: [inbox.id], limit: 10 });
          const rows = await d
            .select({ status: messages.status })
            .from(messages)
            .where(inArray(messages.id, ids));
          if (rows.every((m) => m.status !== "pending")) return;
          if (n === 0) await new Promise((r) => setTimeout(r, 20));
        }
      };
      await Promise.all([drainer(db), drainer(db2)]);

      const rows = await db.select().from(messages).where(inArray(messages.id, ids));
      expect(rows.every((m) => m.wamid !== null && m.status !== "pending" && m.status !== "failed")).toBe(
        true,
      );
      expect(rows.every((m) => m.attempts === 1)).toBe(true);

      const phone = await simSent(h, { phoneNumberId: inbox.phoneNumberId });
      const ours = phone.filter((p) => p.idempotency_key && ids.includes(p.idempotency_key));
      expect(ours).toHaveLength(50);
      expect(new Set(ours.map((p) => p.idempotency_key)).size).toBe(50);
      expect(ours.every((p) => p.posts_with_same_key === 1)).toBe(true);
      // Each customer got update 0 before update 1, in the order they were written.
      for (const t of threadsList) {
        const got = ours
          .filter((p) => p.to === t.waId)
          .map(
            (p) =>
              (p.payload as { template: { components: Array<{ parameters: Array<{ text: string }> }> } })
                .template.components[0].parameters[0].text,
          );
        expect(got).toEqual(["0", "1"]);
      }
    } finally {
      await other.end({ timeout: 5 });
    }
  });

  it("gives up after the last attempt and says so", async () => {
    const { threadId } = await insertThread(db, inbox);
    const r = await sendMessage(db, {
      threadId,
      actor: system,
      input: { type: "template", name: "ticket_update", params: ["x"] },
    });
    if (!r.ok) throw r.error;
    await db
      .update(messages)
      .set({ attempts: MAX_ATTEMPTS - 1 })
      .where(eq(messages.id, r.message.id));
    await simPost(h, "/_sim/outage", { mode: "429", forMs: 5000, count: 1 });
    await drainOutbox(db, { inboxIds: [inbox.id] });
    const m = await messageRow(db, r.message.id);
    expect(m).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS, errorCode: 130429 });
    expect(m.errorText).toMatch(/gave up after 12 attempts/);
    expect(m.lastError).toMatch(/130429/);
  });

  it("sends at once when kicked, without waiting for the poll", async () => {
    const stop = startOutboxWorker({ intervalMs: 60_000, inboxIds: [inbox.id] });
    try {
      const { threadId, waId } = await insertThread(db, inbox);
      // Let the worker's first round (at start) pass, so only a kick can send what follows.
      await new Promise((r) => setTimeout(r, 300));
      const r = await sendMessage(db, {
        threadId,
        actor: system,
        input: { type: "template", name: "ticket_update", params: ["kick"] },
      });
      if (!r.ok) throw r.error;
      await waitFor(async () => (await simSent(h, { to: waId })).length === 1, "the kicked send", 5000);
    } finally {
      await stop();
    }
  });
});
