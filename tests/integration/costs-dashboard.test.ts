/**
 * The costs dashboard against the engine's replay of the same events, to the micro-dollar: a
 * month of traffic goes in through the webhook path (costs-scenario.ts), the dashboard's figures
 * come out of Postgres, and `replay` (the pure engine + pricer behind `npm run windows -- replay`)
 * evaluates the same JSON-lines.
 */
import { and, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { billingConversations, billingDirtyDays, billingMessages, billingRollup } from "../../db/schema";
import type { PricingModel } from "../../lib/domain";
import { replay } from "../../lib/pricing/replay";
import { recomputeBilling } from "../../lib/services/billing-recompute";
import { compactBillingRollup } from "../../lib/services/billing-rollup";
import { type CostsDashboard, getCostsDashboard } from "../../lib/services/costs";
import { HOUR, lastMonthStart, Scenario, SEED_RATES } from "./costs-scenario";

const db = getDb();
const monthOf = (start: Date) => ({
  from: start,
  to: new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1)),
});

/** Replay totals in the dashboard's shape: category → {count, costMicros}. */
function replayTotals(s: Scenario, model: PricingModel, rates = SEED_RATES) {
  const out = replay(s.lines, { model, rates });
  const byCategory: Record<string, { count: number; costMicros: number }> = {};
  for (const [cat, t] of Object.entries(out.totals.byCategory)) {
    byCategory[cat] = { count: (t.conversations ?? t.messages)!, costMicros: t.costMicros };
  }
  return { total: out.totals.costMicros, byCategory, out };
}

function dashTotals(d: CostsDashboard) {
  const byCategory: Record<string, { count: number; costMicros: number }> = {};
  for (const c of d.byCategory)
    if (c.count > 0) byCategory[c.category] = { count: c.count, costMicros: c.costMicros };
  return { total: d.totals.costMicros, byCategory };
}

describe("costs dashboard = replay of the same webhook events", () => {
  let s: Scenario;
  const T0 = new Date(lastMonthStart().getTime() + 2 * 24 * HOUR);
  const at = (h: number) => new Date(T0.getTime() + h * HOUR);
  const wamids: Record<string, string> = {};

  beforeAll(async () => {
    s = await Scenario.create(db);
    // 1. Customer writes, agent replies free-form: one service conversation (free tier).
    const c1 = s.contact();
    s.customerWrites(c1, at(0));
    s.sendDelivered(c1, at(1));
    // 2. Marketing ×2 and authentication, customer never wrote: marketing + authentication.
    const c2 = s.contact();
    s.sendDelivered(c2, at(0), { template: "marketing", agent: false });
    s.sendDelivered(c2, at(2), { template: "marketing", agent: false });
    s.sendDelivered(c2, at(3), { template: "authentication" });
    // 3. Service, then a utility template inside it: service + utility.
    const c3 = s.contact();
    s.customerWrites(c3, at(10));
    s.sendDelivered(c3, at(11));
    wamids.utilityInCsw = s.sendDelivered(c3, at(12), { template: "utility" });
    // 4. An FEP closes a paid marketing conversation; a marketing template inside the FEP is free.
    const c4 = s.contact();
    wamids.closedMarketing = s.sendDelivered(c4, at(19), { template: "marketing" });
    s.customerWrites(c4, at(24), { referral: true });
    wamids.fepOpener = s.sendDelivered(c4, at(25));
    s.sendDelivered(c4, at(54), { template: "marketing" });
    // 5. Marketing open, customer answers, free-form inside it opens nothing; later one opens service.
    const c5 = s.contact();
    s.sendDelivered(c5, at(48), { template: "marketing" });
    s.customerWrites(c5, at(53));
    s.sendDelivered(c5, at(54));
    s.sendDelivered(c5, at(74));
    // 6. A template that failed: nothing. 7. Delivered only as `read`: counts at the read.
    const c6 = s.contact();
    const failed = s.businessSends(c6, at(100), { template: "marketing" });
    s.meta(failed, "failed", at(100.1));
    const c7 = s.contact();
    const readOnly = s.businessSends(c7, at(120), { template: "utility" });
    s.meta(readOnly, "read", at(121));
    await s.flush();
  });

  it("matches the replay per category under CBP and PMP", async () => {
    const month = monthOf(lastMonthStart());
    for (const model of ["cbp", "pmp"] as const) {
      const d = await getCostsDashboard(db, { ...month, wabaId: s.inbox.wabaId, model });
      const r = replayTotals(s, model);
      expect(dashTotals(d), model).toEqual({ total: r.total, byCategory: r.byCategory });
    }
  });

  it("shows the CBP figures the rules give, with free reasons and the agent who opened them", async () => {
    const month = monthOf(lastMonthStart());
    const d = await getCostsDashboard(db, { ...month, wabaId: s.inbox.wabaId, model: "cbp" });
    // marketing c2, c4 (closed by the FEP, still paid), c5; authentication c2; utility c3 (+ read-only c7).
    expect(d.totals.costMicros).toBe(3 * 62500 + 31500 + 2 * 8000);
    expect(d.totals.freeByReason).toMatchObject({ free_tier: 3, free_entry_point: 1 });
    expect(d.totals.billable).toBe(6);
    const closed = await db
      .select()
      .from(billingConversations)
      .where(
        and(eq(billingConversations.wabaId, s.inbox.wabaId), eq(billingConversations.category, "marketing")),
      );
    const byFep = closed.find((c) => c.closedAt !== null)!;
    expect(byFep.costMicros).toBe(62500);
    expect(byFep.closedAt!.getTime()).toBe(at(25).getTime() + 5000);
    const agentRow = d.byAgent.find((a) => a.userId === s.agent.id)!;
    const nobody = d.byAgent.find((a) => a.userId === null)!;
    expect(nobody).toMatchObject({ count: 1, costMicros: 62500 }); // c2's first marketing template, sent by the API
    expect(agentRow.costMicros + nobody.costMicros).toBe(d.totals.costMicros);
    expect(d.byInbox).toEqual([
      expect.objectContaining({ inboxId: s.inbox.id, costMicros: d.totals.costMicros }),
    ]);
    expect(d.daily.reduce((sum, day) => sum + day.costMicros, 0)).toBe(d.totals.costMicros);
    // Day of T0: c2's marketing at 0h and c4's at 19h.
    expect(d.daily.find((day) => day.day === T0.toISOString().slice(0, 10))!.byCategory.marketing).toBe(
      125000,
    );
  });

  it("PMP: free-form and a utility template inside the window are free customer service", async () => {
    const [m] = await db
      .select()
      .from(billingMessages)
      .where(eq(billingMessages.messageId, await idOf(wamids.utilityInCsw)));
    expect(m).toMatchObject({ pmpType: "free_customer_service", costMicros: 0, cbpCategory: "utility" });
    const d = await getCostsDashboard(db, {
      ...monthOf(lastMonthStart()),
      wabaId: s.inbox.wabaId,
      model: "pmp",
    });
    expect(d.totals.freeByReason.free_customer_service).toBeGreaterThan(0);
    expect(d.totals.freeByReason.free_entry_point).toBe(2);
  });

  it("a rebuild from scratch changes nothing (the incremental path is exact)", async () => {
    const before = await getCostsDashboard(db, {
      ...monthOf(lastMonthStart()),
      wabaId: s.inbox.wabaId,
      model: "cbp",
    });
    const stats = await recomputeBilling(db, { wabaId: s.inbox.wabaId, ...monthOf(lastMonthStart()) });
    expect(stats.conversationsChanged + stats.messagesChanged).toBe(0);
    const after = await getCostsDashboard(db, {
      ...monthOf(lastMonthStart()),
      wabaId: s.inbox.wabaId,
      model: "cbp",
    });
    expect(dashTotals(after)).toEqual(dashTotals(before));
  });
});

/** Compacts until this WABA has no stale rollup day (another file's compaction may hold the lock a moment). */
async function settleRollup(wabaId: string) {
  for (let i = 0; i < 200; i++) {
    await compactBillingRollup(db);
    const [{ n }] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(billingDirtyDays)
      .where(eq(billingDirtyDays.wabaId, wabaId));
    if (n === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the rollup did not settle");
}

describe("the daily rollup the dashboard reads", () => {
  it("gives the replay's figures once compacted, and with one day changed since", async () => {
    const s = await Scenario.create(db);
    const start = lastMonthStart();
    for (let day = 0; day < 10; day++) {
      const c = s.contact();
      const t = new Date(start.getTime() + day * 24 * HOUR + 6 * HOUR);
      s.sendDelivered(c, t, { template: day % 2 ? "utility" : "marketing" });
      s.customerWrites(c, new Date(t.getTime() + HOUR));
      s.sendDelivered(c, new Date(t.getTime() + 2 * HOUR));
    }
    await s.flush();
    await settleRollup(s.inbox.wabaId);
    const rollupRows = await db.select().from(billingRollup).where(eq(billingRollup.wabaId, s.inbox.wabaId));
    expect(rollupRows.length).toBeGreaterThan(0);
    const month = monthOf(start);
    for (const model of ["cbp", "pmp"] as const) {
      const d = await getCostsDashboard(db, { ...month, wabaId: s.inbox.wabaId, model });
      const r = replayTotals(s, model);
      expect(dashTotals(d), `${model}, all days from the rollup`).toEqual({
        total: r.total,
        byCategory: r.byCategory,
      });
    }

    // One more conversation on day 3: that day is read live until the next compaction.
    const late = s.contact();
    s.sendDelivered(late, new Date(start.getTime() + 3 * 24 * HOUR + 20 * HOUR), {
      template: "authentication",
    });
    await s.flush();
    const d = await getCostsDashboard(db, { ...month, wabaId: s.inbox.wabaId, model: "cbp" });
    const r = replayTotals(s, "cbp");
    expect(dashTotals(d)).toEqual({ total: r.total, byCategory: r.byCategory });
    // A period that starts and ends inside days (partial days are read live too).
    const partial = await getCostsDashboard(db, {
      from: new Date(start.getTime() + 3 * 24 * HOUR + 12 * HOUR),
      to: new Date(start.getTime() + 5 * 24 * HOUR + 12 * HOUR),
      wabaId: s.inbox.wabaId,
      model: "cbp",
    });
    // Inside: the late authentication (day 3, 20:00), day 4's marketing and day 5's utility (06:00).
    expect(partial.totals.costMicros).toBe(31500 + 62500 + 8000);
    expect(partial.daily.map((x) => x.day)).toHaveLength(3);
    expect(partial.daily.reduce((sum, x) => sum + x.costMicros, 0)).toBe(partial.totals.costMicros);
    await settleRollup(s.inbox.wabaId);
    expect(
      dashTotals(await getCostsDashboard(db, { ...month, wabaId: s.inbox.wabaId, model: "cbp" })),
    ).toEqual(dashTotals(d));
  });
});

async function idOf(wamid: string): Promise<string> {
  const { messages } = await import("../../db/schema");
  const [m] = await db.select({ id: messages.id }).from(messages).where(eq(messages.wamid, wamid));
  return m.id;
}
