import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { contacts, type inboxes, messages, threads, webhookEvents } from "../../db/schema";
import {
  createTestInbox,
  inboundTextBody,
  postWebhook,
  randomDigits,
  randomWamid,
  statusBody,
} from "./helpers/webhook";

/**
 * Group commit of webhook bodies (lib/services/ingest-batcher.ts) and the inbound
 * fast path (no engine run for a customer message later than everything sent),
 * through the route's POST handler against real PostgreSQL.
 */
const db = getDb();
let inbox: typeof inboxes.$inferSelect;
const H = 3600_000;
const NOW = Math.floor(Date.now() / 1000) * 1000;

beforeAll(async () => {
  inbox = await createTestInbox(db, "Batching inbox");
});

async function threadOf(waId: string) {
  const [row] = await db
    .select({ t: threads })
    .from(threads)
    .innerJoin(contacts, eq(contacts.id, threads.contactId))
    .where(and(eq(contacts.waId, waId), eq(threads.inboxId, inbox.id)));
  return row.t;
}

describe("group commit", () => {
  it("bodies posted together share transactions, and each gets its own answer", async () => {
    const waId = `1555${randomDigits(8)}`;
    const wamids = Array.from({ length: 40 }, () => randomWamid());
    const answers = await Promise.all(
      wamids.map((wamid, i) =>
        postWebhook(
          inboundTextBody({ inbox, waId, text: `burst ${i}`, wamid, at: new Date(NOW - 40_000 + i * 1000) }),
        ),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(wamids.map(() => 200));
    const bodies = await Promise.all(answers.map((r) => r.json()));
    expect(bodies.every((b) => b.messages === 1 && b.duplicates === 0)).toBe(true);

    const rows = await db
      .select({ wamid: messages.wamid, xmin: sql<string>`${messages}.xmin::text` })
      .from(messages)
      .where(inArray(messages.wamid, wamids));
    expect(rows).toHaveLength(40);
    // Rows written by one transaction share its id (xmin): fewer transactions than bodies.
    expect(new Set(rows.map((r) => r.xmin)).size).toBeLessThan(40);

    const t = await threadOf(waId);
    expect(t.unreadCount).toBe(40);
    expect(t.lastMessagePreview).toBe("burst 39");
    expect(t.lastInboundAt?.getTime()).toBe(NOW - 1000);
    expect(t.cswExpiresAt?.getTime()).toBe(NOW - 1000 + 24 * H);
  });

  it("the same message in two bodies of one batch is stored once; the second body hears it is a duplicate", async () => {
    const waId = `1555${randomDigits(8)}`;
    const wamid = randomWamid();
    const answers = await Promise.all(
      [0, 1, 2].map(() => postWebhook(inboundTextBody({ inbox, waId, text: "twice", wamid }))),
    );
    const bodies = await Promise.all(answers.map((r) => r.json()));
    expect(bodies.map((b) => b.messages).sort()).toEqual([0, 0, 1]);
    expect(bodies.map((b) => b.duplicates).sort()).toEqual([0, 1, 1]);
    expect(await db.$count(messages, eq(messages.wamid, wamid))).toBe(1);
    expect((await threadOf(waId)).unreadCount).toBe(1);
  });

  describe("a body the database refuses", () => {
    const poison = `wamid.poison.${crypto.randomUUID()}`;
    beforeAll(async () => {
      // A fault only this body meets: the database refuses its message row.
      await db.execute(
        sql.raw(`create or replace function refuse_poison() returns trigger language plpgsql as $$
          begin if new.wamid = '${poison}' then raise exception 'refused for the test'; end if; return new; end $$;
          create trigger refuse_poison before insert on messages for each row execute function refuse_poison();`),
      );
    });
    afterAll(async () => {
      await db.execute(
        sql.raw("drop trigger if exists refuse_poison on messages; drop function if exists refuse_poison();"),
      );
    });

    it("fails alone with a 500 (so Meta retries it); the others in its batch are stored and acknowledged", async () => {
      const waId = `1555${randomDigits(8)}`;
      const good = Array.from({ length: 12 }, () => randomWamid());
      const posts = [...good.slice(0, 6), poison, ...good.slice(6)].map((wamid) =>
        postWebhook(inboundTextBody({ inbox, waId, text: "mixed", wamid })),
      );
      const answers = await Promise.all(posts);
      expect(answers.map((r) => r.status)).toEqual([
        ...good.slice(0, 6).map(() => 200),
        500,
        ...good.slice(6).map(() => 200),
      ]);
      expect(await db.$count(messages, inArray(messages.wamid, good))).toBe(12);
      expect(await db.$count(messages, eq(messages.wamid, poison))).toBe(0);
      // Nothing of the refused body is kept: its raw event rolled back with it.
      const raw = await db
        .select({ id: webhookEvents.id })
        .from(webhookEvents)
        .where(sql`${webhookEvents.body}::text like ${`%${poison}%`}`);
      expect(raw).toHaveLength(0);
      expect((await threadOf(waId)).unreadCount).toBe(12);
    });
  });
});

describe("inbound fast path", () => {
  it("a late customer message earlier than a delivery re-prices it; a current one only moves the CSW", async () => {
    const waId = `1555${randomDigits(8)}`;
    // The customer wrote 30 h ago: the CSW closed 6 h ago.
    await postWebhook(inboundTextBody({ inbox, waId, text: "old", at: new Date(NOW - 30 * H) }));
    const thread = await threadOf(waId);
    // A utility template sent 2 h ago and delivered a minute later, outside the CSW: charged.
    const wamid = randomWamid();
    await db.insert(messages).values({
      threadId: thread.id,
      direction: "outbound",
      type: "template",
      templateCategory: "utility",
      body: "Your order shipped",
      wamid,
      status: "sent",
      at: new Date(NOW - 2 * H),
      sentAt: new Date(NOW - 2 * H),
    });
    expect(
      (
        await postWebhook(
          statusBody({ inbox, wamid, status: "delivered", at: new Date(NOW - 2 * H + 60_000) }),
        )
      ).status,
    ).toBe(200);
    const costType = async () =>
      (await db.select({ c: messages.costType }).from(messages).where(eq(messages.wamid, wamid)))[0].c;
    expect(await costType()).toBe("regular");

    // A message the customer sent 3 h ago arrives only now: the template was delivered inside
    // its CSW after all, so it is free — the engine must run although only a message arrived.
    await postWebhook(inboundTextBody({ inbox, waId, text: "late", at: new Date(NOW - 3 * H) }));
    expect(await costType()).toBe("free_customer_service");
    expect((await threadOf(waId)).cswExpiresAt?.getTime()).toBe(NOW - 3 * H + 24 * H);

    // A message written now, later than everything sent: the verdict stands, the CSW moves.
    await postWebhook(inboundTextBody({ inbox, waId, text: "now", at: new Date(NOW) }));
    expect(await costType()).toBe("free_customer_service");
    const t = await threadOf(waId);
    expect(t.cswExpiresAt?.getTime()).toBe(NOW + 24 * H);
    expect(t.lastInboundAt?.getTime()).toBe(NOW);
  });
});
