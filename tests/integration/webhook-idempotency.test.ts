import { and, eq, inArray } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { contacts, type inboxes, messageStatuses, messages, threads, webhookEvents } from "../../db/schema";
import { applyStatusesForWamids, lockWamids } from "../../lib/services/ingest-statuses";
import { applyPendingStatuses, ingestWebhookPayload } from "../../lib/services/ingest-webhook";
import {
  createTestInbox,
  inboundTextBody,
  loadFixtureRaw,
  messagesValue,
  postWebhook,
  randomDigits,
  randomWamid,
  statusBody,
  unixSeconds,
  webhookBody,
} from "./helpers/webhook";

const db = getDb();
let inbox: typeof inboxes.$inferSelect;

beforeAll(async () => {
  inbox = await createTestInbox(db);
});

// One instant for the whole file, so "200 s ago" means the same time in a post and its assertion.
const NOW = Math.floor(Date.now() / 1000) * 1000;
const secondsAgo = (s: number) => new Date(NOW - s * 1000);

async function threadFor(waId: string) {
  const [row] = await db
    .select({ thread: threads })
    .from(threads)
    .innerJoin(contacts, eq(contacts.id, threads.contactId))
    .where(and(eq(contacts.waId, waId), eq(threads.inboxId, inbox.id)));
  return row?.thread;
}

/** An outbound message as the outbox stores it after Meta accepted it. */
async function outboundMessage(wamid: string, at: Date) {
  const waId = `1555${randomDigits(8)}`;
  await postWebhook(inboundTextBody({ inbox, waId, text: "hello", at: new Date(at.getTime() - 60_000) }));
  const thread = await threadFor(waId);
  const [m] = await db
    .insert(messages)
    .values({
      threadId: thread.id,
      direction: "outbound",
      type: "text",
      body: "reply",
      wamid,
      status: "sent",
      at,
      sentAt: at,
    })
    .returning();
  return m;
}
const messageRow = async (wamid: string) =>
  (await db.select().from(messages).where(eq(messages.wamid, wamid)))[0];

describe("duplicates", () => {
  it("the same body 5× in a row stores one message, unread 1", async () => {
    const waId = `1555${randomDigits(8)}`;
    const wamid = randomWamid();
    const raw = JSON.stringify(inboundTextBody({ inbox, waId, text: "once", wamid, at: secondsAgo(30) }));
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await (await postWebhook(raw)).json());
    expect(results.map((r) => r.messages)).toEqual([1, 0, 0, 0, 0]);
    expect(await db.select().from(messages).where(eq(messages.wamid, wamid))).toHaveLength(1);
    const t = await threadFor(waId);
    expect(t).toMatchObject({ unreadCount: 1, lastMessagePreview: "once" });
    // Every delivery is still logged raw (append-only).
    const events = await db.select({ id: webhookEvents.id }).from(webhookEvents);
    expect(events.length).toBeGreaterThanOrEqual(5);
  });

  it("the same body 5× in parallel stores one message, unread 1, no errors", async () => {
    const waId = `1555${randomDigits(8)}`;
    const wamid = randomWamid();
    const raw = JSON.stringify(inboundTextBody({ inbox, waId, text: "racy", wamid, at: secondsAgo(30) }));
    const responses = await Promise.all(Array.from({ length: 5 }, () => postWebhook(raw)));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(bodies.reduce((n, b) => n + b.messages, 0)).toBe(1);
    expect(await db.select().from(messages).where(eq(messages.wamid, wamid))).toHaveLength(1);
    expect(await db.select().from(contacts).where(eq(contacts.waId, waId))).toHaveLength(1);
    expect(await threadFor(waId)).toMatchObject({ unreadCount: 1 });
  });

  it("parallel batches naming the same contacts in different orders do not deadlock", async () => {
    const people = Array.from({ length: 4 }, () => `1555${randomDigits(8)}`);
    const batch = (order: string[]) =>
      webhookBody([
        {
          wabaId: inbox.wabaId,
          values: [
            messagesValue({
              phoneNumberId: inbox.phoneNumberId,
              contacts: order.map((waId) => ({ waId, name: "P" })),
              messages: order.map((waId) => ({
                from: waId,
                id: randomWamid(),
                timestamp: unixSeconds(secondsAgo(20)),
                type: "text",
                text: { body: "hi" },
              })),
            }),
          ],
        },
      ]);
    const bodies = [
      batch(people),
      batch([...people].reverse()),
      batch([people[2], people[0], people[3], people[1]]),
    ];
    // Each body twice, all at once.
    const responses = await Promise.all([...bodies, ...bodies].map((b) => postWebhook(b)));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    for (const waId of people) expect(await threadFor(waId)).toMatchObject({ unreadCount: 3 });
  });

  it("parallel bodies mixing one thread's messages with another's statuses all commit", async () => {
    // Thread A gets inbound messages while its outbound message's statuses arrive in bodies that
    // also carry inbound messages for thread B, and the other way round: opposite lock orders.
    const [wamidA, wamidB] = [randomWamid(), randomWamid()];
    const a = await outboundMessage(wamidA, secondsAgo(200));
    const b = await outboundMessage(wamidB, secondsAgo(200));
    const waOf = async (threadId: string) =>
      (
        await db
          .select({ waId: contacts.waId })
          .from(threads)
          .innerJoin(contacts, eq(contacts.id, threads.contactId))
          .where(eq(threads.id, threadId))
      )[0].waId;
    const [waA, waB] = [await waOf(a.threadId), await waOf(b.threadId)];
    const mixed = (inboundTo: string, statusFor: string, status: string, s: number) =>
      webhookBody([
        {
          wabaId: inbox.wabaId,
          values: [
            messagesValue({
              phoneNumberId: inbox.phoneNumberId,
              contacts: [{ waId: inboundTo }],
              messages: [
                {
                  from: inboundTo,
                  id: randomWamid(),
                  timestamp: unixSeconds(secondsAgo(s)),
                  type: "text",
                  text: { body: "x" },
                },
              ],
              statuses: [{ id: statusFor, status, timestamp: unixSeconds(secondsAgo(s)) }],
            }),
          ],
        },
      ]);
    const bodies = [
      mixed(waA, wamidB, "delivered", 150),
      mixed(waB, wamidA, "delivered", 150),
      mixed(waA, wamidB, "read", 140),
      mixed(waB, wamidA, "read", 140),
    ];
    const responses = await Promise.all([...bodies, ...bodies].map((body) => postWebhook(body)));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    for (const w of [wamidA, wamidB]) expect(await messageRow(w)).toMatchObject({ status: "read" });
    expect(await threadFor(waA)).toMatchObject({ unreadCount: 3 });
    expect(await threadFor(waB)).toMatchObject({ unreadCount: 3 });
  });

  it("a redelivered status changes nothing", async () => {
    const wamid = randomWamid();
    await outboundMessage(wamid, secondsAgo(100));
    const body = statusBody({ inbox, wamid, status: "delivered", at: secondsAgo(90) });
    const first = await ingestWebhookPayload(db, body);
    const before = await messageRow(wamid);
    const again = await ingestWebhookPayload(db, body);
    expect(first).toMatchObject({ statusesStored: 1, statusesApplied: 1 });
    expect(again).toMatchObject({ statusesStored: 0, statusesApplied: 0, threadIds: [] });
    expect(await messageRow(wamid)).toEqual(before);
    expect(await db.select().from(messageStatuses).where(eq(messageStatuses.wamid, wamid))).toHaveLength(1);
  });
});

describe("statuses out of order", () => {
  it("read before delivered: read stays, delivered_at is the real delivery", async () => {
    const wamid = randomWamid();
    const sentAt = secondsAgo(300);
    await outboundMessage(wamid, sentAt);
    await postWebhook(statusBody({ inbox, wamid, status: "read", at: secondsAgo(200) }));
    expect(await messageRow(wamid)).toMatchObject({
      status: "read",
      readAt: secondsAgo(200),
      deliveredAt: secondsAgo(200),
    });
    await postWebhook(statusBody({ inbox, wamid, status: "delivered", at: secondsAgo(250) }));
    await postWebhook(statusBody({ inbox, wamid, status: "sent", at: secondsAgo(299) }));
    expect(await messageRow(wamid)).toMatchObject({
      status: "read",
      sentAt: secondsAgo(300), // the outbox's acceptance time was earlier: kept
      deliveredAt: secondsAgo(250),
      readAt: secondsAgo(200),
    });
  });

  it("a failed status sets the code and a sentence; Meta's pricing/conversation are kept", async () => {
    const wamid = randomWamid();
    await outboundMessage(wamid, secondsAgo(100));
    const raw = loadFixtureRaw("status-failed-131049.json", {
      phoneNumberId: inbox.phoneNumberId,
      wabaId: inbox.wabaId,
    }).replace(/"wamid\.[^"]+"/, JSON.stringify(wamid));
    expect((await postWebhook(raw)).status).toBe(200);
    const m = await messageRow(wamid);
    expect(m).toMatchObject({ status: "failed", errorCode: 131049 });
    expect(m.errorText).toMatch(/marketing/i);
    expect(m.failedAt).toEqual(new Date(1751142888 * 1000));

    const wamid2 = randomWamid();
    await outboundMessage(wamid2, secondsAgo(100));
    const sent = loadFixtureRaw("status-sent-pmp-marketing.json", {
      phoneNumberId: inbox.phoneNumberId,
      wabaId: inbox.wabaId,
    }).replace(/"wamid\.[^"]+"/, JSON.stringify(wamid2));
    await postWebhook(sent);
    expect(await messageRow(wamid2)).toMatchObject({
      metaPricing: { pricing_model: "PMP", category: "marketing", type: "regular" },
      metaConversation: { id: "72b14d6bd5407799e66f64d1b338e567", origin: { type: "marketing" } },
    });
  });

  it("a status for a message not stored yet waits, then applies when the outbox stores the wamid", async () => {
    const wamid = randomWamid();
    const deliveredAt = secondsAgo(50);
    const early = await ingestWebhookPayload(
      db,
      webhookBody([
        {
          wabaId: inbox.wabaId,
          values: [
            messagesValue({
              phoneNumberId: inbox.phoneNumberId,
              statuses: [
                { id: wamid, status: "sent", timestamp: unixSeconds(secondsAgo(58)) },
                { id: wamid, status: "delivered", timestamp: unixSeconds(deliveredAt) },
              ],
            }),
          ],
        },
      ]),
    );
    expect(early).toMatchObject({ statusesStored: 2, statusesApplied: 0, statusesPending: 2 });
    const waiting = await db.select().from(messageStatuses).where(eq(messageStatuses.wamid, wamid));
    expect(waiting.map((s) => s.applied)).toEqual([false, false]);

    // What the outbox does after Meta's send response: store the wamid, then apply.
    const waId = `1555${randomDigits(8)}`;
    await postWebhook(inboundTextBody({ inbox, waId, text: "hi", at: secondsAgo(120) }));
    const thread = await threadFor(waId);
    const applied = await db.transaction(async (tx) => {
      await tx.insert(messages).values({
        threadId: thread.id,
        direction: "outbound",
        type: "text",
        body: "Hello!",
        wamid,
        status: "pending",
        at: secondsAgo(60),
      });
      return applyPendingStatuses(tx, wamid);
    });
    expect(applied).toMatchObject({ threadId: thread.id, status: "delivered", changed: true });
    expect(await messageRow(wamid)).toMatchObject({
      status: "delivered",
      sentAt: secondsAgo(58),
      deliveredAt,
    });
    const after = await db
      .select()
      .from(messageStatuses)
      .where(and(eq(messageStatuses.wamid, wamid), inArray(messageStatuses.status, ["sent", "delivered"])));
    expect(after.every((s) => s.applied)).toBe(true);
    // Nothing left to apply.
    expect(await db.transaction((tx) => applyPendingStatuses(tx, wamid))).toBeNull();
  });

  it("a status recorded while the outbox stores the same wamid is not lost", async () => {
    // The webhook transaction has recorded the status but not committed when the outbox writes
    // the wamid and looks for pending statuses: neither sees the other's row. The wamid lock
    // makes the outbox wait for the webhook's commit.
    const wamid = randomWamid();
    const waId = `1555${randomDigits(8)}`;
    await postWebhook(inboundTextBody({ inbox, waId, text: "hi", at: secondsAgo(120) }));
    const thread = await threadFor(waId);
    const [msg] = await db
      .insert(messages)
      .values({
        threadId: thread.id,
        direction: "outbound",
        type: "text",
        body: "x",
        status: "pending",
        at: secondsAgo(60),
      })
      .returning();

    const signal = () => {
      let fire!: () => void;
      const done = new Promise<void>((r) => {
        fire = r;
      });
      return { fire, done };
    };
    const recorded = signal();
    const wamidWritten = signal();
    const outboxLooked = signal();
    // The webhook side, as storeStatuses does it: lock, record, apply, commit.
    const webhookSide = db.transaction(async (tx) => {
      await lockWamids(tx, [wamid]);
      await tx
        .insert(messageStatuses)
        .values({ wamid, status: "delivered", at: secondsAgo(50), payload: {} });
      recorded.fire();
      await wamidWritten.done;
      const applied = await applyStatusesForWamids(tx, [wamid]);
      // Commit only after the outbox looked for pending statuses (or after 300 ms: with the lock,
      // the outbox is waiting for this commit).
      await Promise.race([outboxLooked.done, new Promise((r) => setTimeout(r, 300))]);
      return applied;
    });
    await recorded.done;
    // The outbox side, as recordAccepted does it: write the wamid, then apply what is pending.
    const outboxSide = db.transaction(async (tx) => {
      await tx.update(messages).set({ wamid, status: "sent" }).where(eq(messages.id, msg.id));
      wamidWritten.fire();
      const applied = await applyPendingStatuses(tx, wamid);
      outboxLooked.fire();
      return applied;
    });
    expect(await webhookSide).toEqual([]); // the wamid was not committed yet, as far as it could see
    expect(await outboxSide).toMatchObject({ status: "delivered", changed: true });
    expect(await messageRow(wamid)).toMatchObject({ status: "delivered", deliveredAt: secondsAgo(50) });
  });
});
