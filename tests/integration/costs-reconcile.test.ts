/**
 * Reconciliation: Meta's verdict from status webhooks (pricing + conversation objects) beside
 * ours, the messages where they disagree with the rule that explains it, and the warning when
 * Meta bills under another model than the workspace's.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "../../db/client";
import { getCostsDashboard } from "../../lib/services/costs";
import { HOUR, lastMonthStart, Scenario } from "./costs-scenario";

const db = getDb();

describe("reconciliation with Meta's reported verdict", () => {
  let s: Scenario;
  const start = lastMonthStart();
  const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  const T0 = new Date(start.getTime() + 3 * 24 * HOUR);
  const at = (h: number) => new Date(T0.getTime() + h * HOUR);
  const cbp = (category: string, id: string, billable = true) => ({
    pricing: { pricing_model: "CBP", category, billable },
    conversation: { id, origin: { type: category } },
  });
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    s = await Scenario.create(db);
    // Agrees: a service reply, Meta says CBP service.
    const a = s.contact();
    s.customerWrites(a, at(0));
    ids.agree = s.businessSends(a, at(1));
    s.meta(ids.agree, "delivered", at(1), cbp("service", "conv-a"));
    // Meta billed our utility template as marketing.
    const b = s.contact();
    ids.recategorised = s.businessSends(b, at(2), { template: "utility" });
    s.meta(ids.recategorised, "delivered", at(2), cbp("marketing", "conv-b"));
    // We see a free entry point (reply within 24h of an ad referral); Meta billed a service conversation.
    const c = s.contact();
    s.customerWrites(c, at(3), { referral: true });
    ids.fepExtra = s.businessSends(c, at(4));
    s.meta(ids.fepExtra, "delivered", at(4), cbp("service", "conv-c"));
    // Meta reports per-message pricing for a marketing template: agrees under PMP, but the workspace is CBP.
    const d = s.contact();
    ids.pmp = s.businessSends(d, at(5), { template: "marketing" });
    s.meta(ids.pmp, "delivered", at(5), {
      pricing: { pricing_model: "PMP", category: "marketing", type: "regular", billable: true },
    });
    // PMP: a utility template inside the service window is free for us, Meta charged it.
    const e = s.contact();
    s.customerWrites(e, at(6));
    ids.utilityInCsw = s.businessSends(e, at(7), { template: "utility" });
    s.meta(ids.utilityInCsw, "delivered", at(7), {
      pricing: { pricing_model: "PMP", category: "utility", type: "regular", billable: true },
    });
    // Two marketing templates 2h apart: one conversation for us, two for Meta.
    const f = s.contact();
    ids.first = s.businessSends(f, at(8), { template: "marketing" });
    s.meta(ids.first, "delivered", at(8), cbp("marketing", "conv-f1"));
    ids.split = s.businessSends(f, at(10), { template: "marketing" });
    s.meta(ids.split, "delivered", at(10), cbp("marketing", "conv-f2"));
    // Meta said nothing about pricing (e.g. Graph API v24 omits it): not reported, no disagreement.
    const g = s.contact();
    s.sendDelivered(g, at(11), { template: "authentication" });
    await s.flush();
  });

  it("lists each disagreement with its rule", async () => {
    const d = await getCostsDashboard(db, { from: start, to: end, wabaId: s.inbox.wabaId, model: "cbp" });
    const r = d.reconciliation;
    expect(r).toMatchObject({
      delivered: 8,
      reported: 7,
      notReported: 1,
      disagree: 4,
      byModel: { CBP: 5, PMP: 2 },
    });
    const byMessage = r.mismatches.map((m) => [m.rule, m.meta.conversationId ?? m.meta.model]);
    expect(Object.fromEntries(r.byRule.map((x) => [x.rule, x.count]))).toEqual({
      category_differs: 1,
      fep_extra: 1,
      utility_in_csw: 1,
      conversation_split: 1,
    });
    expect(byMessage).toEqual(
      expect.arrayContaining([
        ["category_differs", "conv-b"],
        ["fep_extra", "conv-c"],
        ["utility_in_csw", "PMP"],
        ["conversation_split", "conv-f2"],
      ]),
    );
    const split = r.mismatches.find((m) => m.rule === "conversation_split")!;
    expect(split.ours).toMatchObject({ category: "marketing", cbpCategory: "marketing" });
  });

  it("warns when Meta bills under another model than the figures use", async () => {
    const asCbp = await getCostsDashboard(db, { from: start, to: end, wabaId: s.inbox.wabaId, model: "cbp" });
    expect(asCbp.reconciliation.modelWarning).toMatch(/per-message pricing \(PMP\) for 2 messages/);
    const asPmp = await getCostsDashboard(db, { from: start, to: end, wabaId: s.inbox.wabaId, model: "pmp" });
    expect(asPmp.reconciliation.modelWarning).toMatch(/conversation-based pricing \(CBP\) for 5 messages/);
  });
});
