/**
 * A 1,000-recipient marketing campaign against the simulator: 100 recipients already have an
 * open marketing conversation and 50 are inside a free entry point window, so the preview says
 * 850 new conversations; after delivery the engine's billing (billing_conversations) must match
 * the preview to the micro-dollar, and every phone must have received exactly one message.
 */
import { and, eq, gte, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { billingConversations, campaignRecipients, messages } from "../../db/schema";
import { priceFor } from "../../lib/pricing/rates";
import { createCampaign, getCampaignDetail, launchCampaign } from "../../lib/services/campaigns";
import { loadPriceTable, loadPricingModel } from "../../lib/services/contact-events";
import {
  campaignStatus,
  makeContacts,
  makeUser,
  randomLabel,
  seedFreeEntryPoint,
  seedOpenMarketing,
  startSending,
  waitForProgress,
} from "./campaigns-helpers";
import {
  createTestInbox,
  type Harness,
  seedTemplate,
  simPost,
  simSent,
  startHarness,
  type TestInbox,
} from "./send-harness";

const db = getDb();
let h: Harness;
let inbox: TestInbox;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  h = await startHarness();
  // Fewer webhooks: the customer's phones do not read (delivered is what costs).
  await simPost(h, "/_sim/config", { autoRead: false, statusDelayMs: 20 });
  inbox = await createTestInbox(db, h);
});

afterAll(async () => {
  await stop?.();
  await h?.close();
});

describe("a 1,000-recipient campaign", () => {
  it("previews 850 charged conversations and costs exactly that after delivery", async () => {
    const supervisor = await makeUser(db, "supervisor");
    const template = await seedTemplate(db, h, inbox, {
      name: `spring_sale_${Date.now()}`,
      category: "MARKETING",
      components: [{ type: "BODY", text: "Hi {{1}}, spring sale!", example: { body_text: [["Ana"]] } }],
    });
    const label = randomLabel("vip");
    const people = await makeContacts(db, 1000, { labels: [label] });
    const alreadyOpen = people.slice(0, 100);
    const inFep = people.slice(100, 150);
    for (const c of alreadyOpen) await seedOpenMarketing(db, inbox, c.id);
    for (const c of inFep) await seedFreeEntryPoint(db, inbox, c.id);
    const { campaignId, preview } = await createCampaign(db, supervisor, {
      name: "Spring sale",
      inboxId: inbox.id,
      templateId: template.id,
      audience: { kind: "label", label },
      variables: { body: { "1": { source: "field", field: "profile_name", fallback: "there" } } },
      ratePerSecond: 1000,
    });
    const model = await loadPricingModel(db);
    expect(model).toBe("cbp");
    const unit = priceFor(await loadPriceTable(db), {
      model: "cbp",
      category: "marketing",
      waId: people[0].waId,
      at: Date.now(),
    });
    expect(preview).toMatchObject({
      audience: 1000,
      sendable: 1000,
      opens: { count: 850, costMicros: 850 * unit },
      insideOpen: { count: 100, costMicros: 0 },
      freeEntryPoint: { count: 50, costMicros: 0 },
      totalCostMicros: 850 * unit,
      unitMicros: unit,
    });
    expect(preview.excludedList).toEqual([]);

    const launchedAt = new Date();
    await launchCampaign(db, supervisor, campaignId, { when: "now" });
    stop = startSending(db, inbox);

    const done = await waitForProgress(
      db,
      campaignId,
      (p) => p.delivered === 1000,
      "all 1,000 campaign messages to be delivered",
      // ≈50 s on an idle 2-core machine (one process runs sender, outbox, webhooks and simulator); generous for a loaded runner.
      240_000,
    );
    expect(done).toMatchObject({ audience: 1000, excluded: 0, queued: 0, failed: 0, sent: 1000 });
    // The campaign completes once nothing waits for Meta's acceptance.
    await waitForProgress(db, campaignId, (p) => p.status === "completed", "completion", 10_000);

    // The engine's bill for these recipients since launch: only conversations the campaign opened.
    const contactIds = people.map((p) => p.id);
    const [billed] = await db
      .select({
        n: sql<number>`count(*)::int`,
        micros: sql<string>`coalesce(sum(${billingConversations.costMicros}), 0)`,
      })
      .from(billingConversations)
      .where(
        and(
          eq(billingConversations.wabaId, inbox.wabaId),
          inArray(billingConversations.contactId, contactIds),
          gte(billingConversations.openedAt, new Date(launchedAt.getTime() - 1000)),
        ),
      );
    expect(billed.n).toBe(850);
    expect(Number(billed.micros)).toBe(preview.totalCostMicros);

    const detail = await getCampaignDetail(db, supervisor, campaignId);
    expect(detail.progress.actualCostMicros).toBe(preview.totalCostMicros);
    expect(detail.progress.actualNewConversations).toBe(850);
    expect(detail.plan.preview?.totalCostMicros).toBe(preview.totalCostMicros);
    expect(detail.status).toBe("completed");
    expect(await campaignStatus(db, campaignId)).toBe("completed");

    // Every phone received exactly one message, rendered with its variables.
    const sent = await simSent(h, { phoneNumberId: inbox.phoneNumberId });
    const perPhone = new Map<string, number>();
    for (const m of sent) perPhone.set(m.to, (perPhone.get(m.to) ?? 0) + 1);
    expect(perPhone.size).toBe(1000);
    expect([...perPhone.values()].every((n) => n === 1)).toBe(true);
    const [one] = await db
      .select({ body: messages.body, campaignId: messages.campaignId })
      .from(messages)
      .innerJoin(campaignRecipients, eq(campaignRecipients.messageId, messages.id))
      .where(
        and(eq(campaignRecipients.campaignId, campaignId), eq(campaignRecipients.waId, people[500].waId)),
      );
    expect(one).toEqual({ body: `Hi Customer ${people[500].waId.slice(-4)}, spring sale!`, campaignId });
  }, 320_000);
});
