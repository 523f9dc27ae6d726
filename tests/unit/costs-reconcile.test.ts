import { describe, expect, it } from "vitest";
import {
  cbpAttribution,
  type MetaVerdict,
  MISMATCH_RULE_CODES,
  MISMATCH_RULES,
  metaConversationCategory,
  metaVerdictOf,
  type OurVerdict,
  reconcileMessage,
} from "../../lib/services/billing-reconcile";
import { computeContactState, type EngineEvent } from "../../lib/windows/engine";

const H = 3600_000;
const out = (id: string, h: number, template?: string): EngineEvent[] => [
  { type: "outbound", at: h * H, id, kind: template ? "template" : "text", category: template },
  { type: "status", at: h * H, id, status: "delivered" },
];

describe("Meta's verdict from the stored webhook objects", () => {
  it("reads pricing and conversation, either may be missing", () => {
    expect(
      metaVerdictOf(
        { billable: true, pricing_model: "CBP", category: "Service" },
        { id: "c1", origin: { type: "service" }, expiration_timestamp: "1" },
      ),
    ).toEqual({
      model: "CBP",
      category: "service",
      type: null,
      billable: true,
      conversationId: "c1",
      origin: "service",
    });
    // Graph API v24: only the conversation object (inside an FEP), no pricing.
    expect(metaVerdictOf(null, { id: "c2", origin: { type: "referral_conversion" } })).toMatchObject({
      model: null,
      category: "referral_conversion",
    });
    expect(metaVerdictOf("junk", 42)).toMatchObject({ model: null, category: null, billable: null });
  });

  it.each([
    ["referral_conversion", "free_entry_point"],
    ["user_initiated", "service"],
    ["customer_initiated", "service"],
    ["business_initiated", "any_template"],
    ["marketing_lite", "marketing"],
    ["authentication_international", "authentication"],
    [null, null],
  ])("maps Meta's %s to %s", (meta, ours) => {
    expect(metaConversationCategory(meta)).toBe(ours);
  });
});

describe("which CBP conversation a delivered message falls into", () => {
  it("worked example 5: after the FEP opens everything is in it; before, the template's own category", () => {
    const state = computeContactState(
      [
        ...out("mkt", -5, "marketing"),
        { type: "inbound", at: 0, id: "in", referral: { source_type: "ad" } },
        ...out("reply", 1),
        ...out("mkt2", 30, "marketing"),
      ],
      100 * H,
    );
    const a = cbpAttribution(state);
    expect(a.get("mkt")?.category).toBe("marketing");
    expect(a.get("reply")).toMatchObject({ category: "free_entry_point", acceptable: ["free_entry_point"] });
    expect(a.get("mkt2")?.category).toBe("free_entry_point");
  });

  it("worked example 6: a free-form reply inside a marketing conversation belongs to it", () => {
    const state = computeContactState(
      [
        ...out("mkt", 0, "marketing"),
        { type: "inbound", at: 5 * H, id: "in" },
        ...out("r1", 6),
        ...out("r2", 26),
      ],
      100 * H,
    );
    const a = cbpAttribution(state);
    expect(a.get("r1")).toMatchObject({ category: "marketing", acceptable: ["marketing"] });
    expect(a.get("r2")).toMatchObject({ category: "service" });
  });
});

type Cat = NonNullable<OurVerdict["cbp"]>["category"];
const conv = (category: Cat, acceptable: Cat[] = [category]) => ({
  category,
  acceptable,
  conversation: { category, openedAt: 0, expiresAt: 24 * H, closedAt: null, openedBy: "x" },
});
const ours = (o: Partial<OurVerdict>): OurVerdict => ({
  template: true,
  category: "marketing",
  pmpType: "regular",
  cbp: conv("marketing"),
  openerMetaConversationId: null,
  ...o,
});
const meta = (m: Partial<MetaVerdict>): MetaVerdict => ({
  model: null,
  category: null,
  type: null,
  billable: null,
  conversationId: null,
  origin: null,
  ...m,
});

describe("reconcileMessage: which rule explains a disagreement", () => {
  it.each<[string, OurVerdict, MetaVerdict, string | null]>([
    ["nothing reported", ours({}), meta({}), null],
    ["PMP agrees", ours({}), meta({ model: "PMP", category: "marketing", type: "regular" }), null],
    [
      "PMP: Meta FEP, ours not",
      ours({}),
      meta({ model: "PMP", category: "marketing", type: "free_entry_point" }),
      "fep_missing",
    ],
    [
      "PMP: ours FEP, Meta billed",
      ours({ pmpType: "free_entry_point" }),
      meta({ model: "PMP", category: "marketing", type: "regular" }),
      "fep_extra",
    ],
    [
      "PMP: recategorised",
      ours({ category: "utility" }),
      meta({ model: "PMP", category: "marketing", type: "regular" }),
      "category_differs",
    ],
    [
      "PMP: marketing_lite is marketing",
      ours({}),
      meta({ model: "PMP", category: "marketing_lite", type: "regular" }),
      null,
    ],
    [
      "PMP: utility in CSW billed",
      ours({ category: "utility", pmpType: "free_customer_service" }),
      meta({ model: "PMP", category: "utility", type: "regular" }),
      "utility_in_csw",
    ],
    [
      "PMP: Meta saw a window",
      ours({ category: "utility" }),
      meta({ model: "PMP", category: "utility", type: "free_customer_service" }),
      "csw_differs",
    ],
    [
      "PMP: only billable",
      ours({ template: false, category: "service", pmpType: "free_customer_service" }),
      meta({ model: "PMP", billable: true }),
      "billable_differs",
    ],
    ["CBP agrees", ours({}), meta({ model: "CBP", category: "marketing", billable: true }), null],
    [
      "CBP: free-tier service is billable and agrees",
      ours({ template: false, category: "service", cbp: conv("service") }),
      meta({ model: "CBP", category: "service", billable: true }),
      null,
    ],
    [
      "CBP: Meta FEP (not billable)",
      ours({}),
      meta({ model: "CBP", category: "marketing", billable: false }),
      "fep_missing",
    ],
    [
      "CBP: Meta referral_conversion",
      ours({}),
      meta({ model: "CBP", category: "referral_conversion" }),
      "fep_missing",
    ],
    [
      "CBP: ours FEP",
      ours({ cbp: conv("free_entry_point") }),
      meta({ model: "CBP", category: "service", billable: true }),
      "fep_extra",
    ],
    [
      "CBP: template recategorised",
      ours({ category: "utility", cbp: conv("utility") }),
      meta({ model: "CBP", category: "marketing" }),
      "category_differs",
    ],
    [
      "CBP: free-form in another open conversation",
      ours({ template: false, category: "service", cbp: conv("marketing", ["marketing", "utility"]) }),
      meta({ model: "CBP", category: "utility" }),
      null,
    ],
    [
      "CBP: free-form, Meta opened service",
      ours({ template: false, category: "service", cbp: conv("marketing") }),
      meta({ model: "CBP", category: "service" }),
      "conversation_differs",
    ],
    [
      "CBP: split",
      ours({ openerMetaConversationId: "m1" }),
      meta({ model: "CBP", category: "marketing", conversationId: "m2" }),
      "conversation_split",
    ],
    [
      "CBP: same conversation",
      ours({ openerMetaConversationId: "m1" }),
      meta({ model: "CBP", category: "marketing", conversationId: "m1" }),
      null,
    ],
    [
      "CBP: legacy business_initiated",
      ours({}),
      meta({ model: "CBP", category: "business_initiated" }),
      null,
    ],
  ])("%s", (_name, o, m, rule) => {
    expect(reconcileMessage(o, m)).toBe(rule);
  });

  it("explains every rule", () => {
    for (const code of MISMATCH_RULE_CODES) {
      expect(MISMATCH_RULES[code].title.length).toBeGreaterThan(5);
      expect(MISMATCH_RULES[code].explanation).toMatch(/rules §|Meta/);
    }
  });
});
