/**
 * The monthly free tier across contacts: the first 1,000 service conversations of a WABA in a UTC
 * month are free, the 1,001st costs the service price — also when deliveries arrive out of order,
 * and with the incremental path (webhooks) and the batch recompute giving the same answer as the
 * replay of the same events.
 */
import { and, eq, gt, gte, lt } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { billingConversations, contacts } from "../../db/schema";
import { replay } from "../../lib/pricing/replay";
import { recomputeBilling, repriceMonth } from "../../lib/services/billing-recompute";
import { loadPriceTable } from "../../lib/services/contact-events";
import { getCostsDashboard } from "../../lib/services/costs";
import { lastMonthStart, Scenario, SEED_RATES } from "./costs-scenario";

const db = getDb();
const SERVICE = 4000; // > 0 so the tier matters
const rates = { ...SEED_RATES, micros: { ...SEED_RATES.micros, service: SERVICE } };
const N = 1003;

describe("free tier: 1,000 service conversations per WABA per UTC month", () => {
  let s: Scenario;
  const start = lastMonthStart();
  const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  const now = new Date();
  const thisMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

  beforeAll(async () => {
    s = await Scenario.create(db, { rates });
    // 36 customers, one service conversation a day each for 28 days (a webhook body carries many
    // of a customer's events, so each body refreshes each customer once).
    const customers = Array.from({ length: 36 }, () => s.contact());
    const events: Array<{ waId: string; t: number }> = [];
    for (let day = 1; events.length < N; day++) {
      for (let i = 0; i < customers.length && events.length < N; i++) {
        events.push({ waId: customers[i], t: start.getTime() + day * 24 * 3600_000 + i * 60_000 });
      }
    }
    // #1000 and #1001 open at the same second: the tie is broken by wa_id, as the replay does.
    events[999].t = events[1000].t; // moved later, so its previous day's conversation has expired
    for (const e of events) {
      s.customerWrites(e.waId, new Date(e.t));
      s.sendDelivered(e.waId, new Date(e.t + 10_000));
    }
    // This month: the tier starts again.
    const mid = new Date(thisMonth.getTime() + Math.floor((now.getTime() - thisMonth.getTime()) / 2));
    for (let i = 0; i < 2; i++) {
      const c = s.contact();
      s.customerWrites(c, new Date(mid.getTime() - 20_000));
      s.sendDelivered(c, new Date(mid.getTime() - 10_000), { lagMs: 1000 });
    }
    // Latest deliveries first: early conversations arrive after the tier was handed out, and must take it back.
    await s.flush({ statusOrder: "reverse", batch: 1000 });
  }, 300_000);

  it("charges exactly the conversations after the 1,000th, as the replay does", async () => {
    const d = await getCostsDashboard(db, { from: start, to: end, wabaId: s.inbox.wabaId, model: "cbp" });
    const r = replay(s.lines, { model: "cbp", rates });
    const expected = Object.values(r.contacts)
      .flatMap((c) => c.conversations ?? [])
      .filter((c) => Date.parse(c.openedAt) < end.getTime());
    const paid = expected.filter((c) => c.costMicros > 0);
    expect(paid).toHaveLength(3);
    expect(d.totals).toMatchObject({ count: N, billable: 3, costMicros: 3 * SERVICE });
    expect(d.totals.costMicros).toBe(paid.reduce((sum, c) => sum + c.costMicros, 0));
    expect(d.totals.freeByReason.free_tier).toBe(1000);

    // The same conversations (customer and instant), not just the same sum — including which of
    // the two opened at the same second got the 1,000th slot.
    const rows = await db
      .select({
        waId: contacts.waId,
        openedAt: billingConversations.openedAt,
        costMicros: billingConversations.costMicros,
      })
      .from(billingConversations)
      .innerJoin(contacts, eq(contacts.id, billingConversations.contactId))
      .where(
        and(
          eq(billingConversations.wabaId, s.inbox.wabaId),
          gte(billingConversations.openedAt, start),
          lt(billingConversations.openedAt, end),
          gt(billingConversations.costMicros, 0),
        ),
      );
    const expectedPaid = Object.entries(r.contacts).flatMap(([waId, c]) =>
      (c.conversations ?? [])
        .filter((x) => x.costMicros > 0 && Date.parse(x.openedAt) < end.getTime())
        .map((x) => `${waId}@${x.openedAt}`),
    );
    expect(rows.map((x) => `${x.waId}@${x.openedAt.toISOString()}`).sort()).toEqual(expectedPaid.sort());
  });

  it("shows this month's tier used and remaining", async () => {
    const d = await getCostsDashboard(db, {
      from: thisMonth,
      to: new Date(now.getTime() + 1),
      wabaId: s.inbox.wabaId,
    });
    const tier = d.freeTier.wabas.find((w) => w.wabaId === s.inbox.wabaId)!;
    expect(tier).toMatchObject({ used: 2, remaining: 998, serviceConversations: 2 });
    expect(d.freeTier.limit).toBe(1000);
  });

  it("the batch recompute agrees with the incremental path", async () => {
    const table = await loadPriceTable(db);
    const month = start.toISOString().slice(0, 7);
    expect(await repriceMonth(db, s.inbox.wabaId, month, table)).toMatchObject({
      conversations: N,
      conversationsChanged: 0,
    });
    // Break it on purpose: give every conversation the tier, then recompute.
    await db
      .update(billingConversations)
      .set({ costMicros: 0, freeReason: "free_tier" })
      .where(eq(billingConversations.wabaId, s.inbox.wabaId));
    const stats = await recomputeBilling(db, {
      wabaId: s.inbox.wabaId,
      from: start,
      to: end,
      rebuild: false,
    });
    expect(stats.conversationsChanged).toBe(3);
    const d = await getCostsDashboard(db, { from: start, to: end, wabaId: s.inbox.wabaId, model: "cbp" });
    expect(d.totals.costMicros).toBe(3 * SERVICE);
  });
});
