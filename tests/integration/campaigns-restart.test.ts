/**
 * Restart safety and Meta's throughput errors: stopping the sender mid-campaign (even right after
 * a message was stored but before its recipient was marked) and starting a new one sends nobody
 * twice; a burst of 130429s slows the campaign and loses nobody.
 */
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { campaignRecipients, messages } from "../../db/schema";
import {
  campaignClientId,
  createCampaign,
  launchCampaign,
  newSenderState,
  runCampaignRound,
} from "../../lib/services/campaigns";
import { startOutboxWorker } from "../../lib/services/outbox";
import { sendMessage } from "../../lib/services/send-message";
import { makeContacts, makeUser, randomLabel, startSending, waitForProgress } from "./campaigns-helpers";
import {
  createTestInbox,
  type Harness,
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
let templateId: string;
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  h = await startHarness();
  await simPost(h, "/_sim/config", { autoRead: false, statusDelayMs: 20 });
  inbox = await createTestInbox(db, h);
  const t = await seedTemplate(db, h, inbox, {
    name: `restock_${Date.now()}`,
    category: "UTILITY",
    components: [{ type: "BODY", text: "Hi {{1}}, it is back in stock.", example: { body_text: [["Ana"]] } }],
  });
  templateId = t.id;
});

afterAll(async () => {
  for (const s of stops) await s();
  await h?.close();
});

async function newCampaign(size: number, ratePerSecond: number) {
  const supervisor = await makeUser(db, "supervisor");
  const label = randomLabel("restart");
  const people = await makeContacts(db, size, { labels: [label] });
  const { campaignId } = await createCampaign(db, supervisor, {
    name: `Restock ${label}`,
    inboxId: inbox.id,
    templateId,
    audience: { kind: "label", label },
    variables: { body: { "1": { source: "field", field: "profile_name", fallback: "there" } } },
    ratePerSecond,
  });
  return { supervisor, people, campaignId };
}

/** How many times each of `waIds` received something from our number. */
async function receivedCounts(waIds: string[]): Promise<number[]> {
  const sent = await simSent(h, { phoneNumberId: inbox.phoneNumberId });
  const per = new Map<string, number>();
  for (const m of sent) per.set(m.to, (per.get(m.to) ?? 0) + 1);
  return waIds.map((w) => per.get(w) ?? 0);
}

describe("campaign sender", () => {
  it("a restart mid-campaign resumes where it stopped and sends nobody twice", async () => {
    const { supervisor, people, campaignId } = await newCampaign(60, 15);
    await launchCampaign(db, supervisor, campaignId, { when: "now" });

    const stopFirst = startSending(db, inbox);
    await waitForProgress(db, campaignId, (p) => p.queued <= 45, "some recipients to be handed over", 60_000);
    await stopFirst();
    const midway = await waitForProgress(db, campaignId, () => true, "progress");
    expect(midway.queued).toBeGreaterThan(0);

    // A crash between storing a recipient's message and marking the recipient: the message exists
    // (with the recipient's client id) while the recipient is still queued.
    const [crashed] = await db
      .select({ id: campaignRecipients.id, contactId: campaignRecipients.contactId })
      .from(campaignRecipients)
      .where(and(eq(campaignRecipients.campaignId, campaignId), eq(campaignRecipients.state, "queued")))
      .limit(1);
    const [thread] = await db.execute<{ id: string }>(
      sql`insert into threads (inbox_id, contact_id, status) values (${inbox.id}, ${crashed.contactId}, 'resolved')
          on conflict (inbox_id, contact_id) do update set status = threads.status returning id`,
    );
    const orphan = await sendMessage(db, {
      threadId: thread.id,
      actor: { userId: supervisor.id, role: "supervisor" },
      input: { type: "template", templateId, params: { "1": "there" } },
      clientId: campaignClientId(crashed.id),
      campaignId,
    });
    if (!orphan.ok) throw orphan.error;

    stops.push(startSending(db, inbox));
    const done = await waitForProgress(
      db,
      campaignId,
      (p) => p.delivered === 60 && p.status === "completed",
      "the campaign to finish after the restart",
      120_000,
    );
    expect(done).toMatchObject({ queued: 0, pending: 0, failed: 0, sent: 60 });

    expect(await receivedCounts(people.map((p) => p.waId))).toEqual(people.map(() => 1));
    const [{ n }] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(messages)
      .where(eq(messages.campaignId, campaignId));
    expect(n).toBe(60);
    const [after] = await db
      .select({ messageId: campaignRecipients.messageId, state: campaignRecipients.state })
      .from(campaignRecipients)
      .where(eq(campaignRecipients.id, crashed.id));
    expect(after).toEqual({ messageId: orphan.message.id, state: "enqueued" });
    await stops.pop()?.();
  }, 240_000);

  it("130429 from Meta slows the campaign down and loses nobody", async () => {
    const { supervisor, people, campaignId } = await newCampaign(30, 20);
    await launchCampaign(db, supervisor, campaignId, { when: "now" });
    stops.push(startOutboxWorker({ db, inboxIds: [inbox.id], intervalMs: 100 }));
    await simPost(h, "/_sim/outage", { mode: "429", forMs: 2500 });

    // Drive the sender by hand to watch its pacer.
    const state = newSenderState({ inboxIds: [inbox.id] });
    let slowest = Number.POSITIVE_INFINITY;
    const done = await waitFor(
      async () => {
        await runCampaignRound(db, state);
        const rate = state.pacers.get(inbox.id)?.rate;
        if (rate !== undefined) slowest = Math.min(slowest, rate);
        const [p] = await db.execute<{ delivered: number; queued: number }>(sql`
          select count(*) filter (where m.status in ('delivered', 'read'))::int as delivered,
                 count(*) filter (where r.state = 'queued')::int as queued
            from campaign_recipients r left join messages m on m.id = r.message_id
           where r.campaign_id = ${campaignId}`);
        return p.delivered === 30 ? p : undefined;
      },
      "every recipient to get the message despite the 130429s",
      120_000,
    );
    expect(done.queued).toBe(0);
    expect(slowest).toBeLessThan(20);

    const retried = await db
      .select({ attempts: messages.attempts, status: messages.status })
      .from(messages)
      .where(eq(messages.campaignId, campaignId));
    expect(retried).toHaveLength(30);
    expect(retried.some((m) => m.attempts > 1)).toBe(true);
    expect(retried.every((m) => m.status === "delivered")).toBe(true);
    expect(await receivedCounts(people.map((p) => p.waId))).toEqual(people.map(() => 1));
  }, 240_000);
});
