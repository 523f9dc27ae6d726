/** The cost preview of a template send and its sum over a campaign (times in hours from T0). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type RecipientVerdict, summarizePreview, templateSendPreview } from "@/lib/campaigns/preview";
import { priceConversations } from "@/lib/pricing/cbp";
import { priceMessages } from "@/lib/pricing/pmp";
import { type PriceRow, priceFor } from "@/lib/pricing/rates";
import { CONVERSATION_MS, FEP_MS } from "@/lib/windows/csw";
import { computeContactState, type EngineEvent } from "@/lib/windows/engine";

const H = 3600_000;
const T0 = Date.UTC(2026, 2, 2, 10);
const h = (n: number) => T0 + n * H;
const NOW = h(100);
const WA = "5511987654321";

const inbound = (at: number, id: string, referral?: object | boolean): EngineEvent => ({
  type: "inbound",
  at: h(at),
  id,
  referral,
});
const text = (at: number, id: string): EngineEvent => ({ type: "outbound", at: h(at), id, kind: "text" });
const tpl = (at: number, id: string, category: string): EngineEvent => ({
  type: "outbound",
  at: h(at),
  id,
  kind: "template",
  category,
});
const delivered = (at: number, id: string): EngineEvent => ({
  type: "status",
  at: h(at),
  id,
  status: "delivered",
});

const seedCbp: PriceRow[] = [
  { category: "marketing", market: null, micros: 62500, effectiveFrom: 0, tierFromVolume: 0, model: "cbp" },
  { category: "utility", market: null, micros: 8000, effectiveFrom: 0, tierFromVolume: 0, model: "cbp" },
  {
    category: "authentication",
    market: null,
    micros: 31500,
    effectiveFrom: 0,
    tierFromVolume: 0,
    model: "cbp",
  },
  { category: "service", market: null, micros: 0, effectiveFrom: 0, tierFromVolume: 0, model: "cbp" },
];
const cbp = (category: string, events: EngineEvent[], table: PriceRow[] = seedCbp, waId = WA) =>
  templateSendPreview(events, NOW, { category, waId, model: "cbp", table }).effect;
const pmp = (category: string, events: EngineEvent[], table: PriceRow[] = [], waId = WA) =>
  templateSendPreview(events, NOW, { category, waId, model: "pmp", table }).effect;

describe("templateSendPreview under conversation-based pricing", () => {
  it("a contact with no history: opens a conversation of the template's category at its price", () => {
    expect(cbp("MARKETING", [])).toEqual({ kind: "opens", category: "marketing", costMicros: 62500 });
    expect(cbp("UTILITY", [])).toEqual({ kind: "opens", category: "utility", costMicros: 8000 });
    expect(cbp("AUTHENTICATION", [])).toEqual({
      kind: "opens",
      category: "authentication",
      costMicros: 31500,
    });
  });

  it("a marketing conversation opened 10h ago: no charge, open until its expiry", () => {
    const events = [tpl(90, "m1", "marketing"), delivered(90, "m1")];
    expect(cbp("MARKETING", events)).toEqual({
      kind: "inside_open",
      category: "marketing",
      openUntil: h(90) + CONVERSATION_MS,
      costMicros: 0,
    });
    // A different category opens its own conversation (several can be open at once).
    expect(cbp("UTILITY", events)).toEqual({ kind: "opens", category: "utility", costMicros: 8000 });
  });

  it("a conversation that expired exactly now does not count", () => {
    const events = [tpl(76, "m1", "marketing"), delivered(76, "m1")];
    expect(cbp("MARKETING", events).kind).toBe("opens");
  });

  it("a template sent but not delivered opened nothing", () => {
    expect(cbp("MARKETING", [tpl(90, "m1", "marketing")]).kind).toBe("opens");
  });

  it("inside a free entry point window: free until it ends", () => {
    const events = [inbound(80, "i1", { source_type: "ad" }), text(81, "o1"), delivered(81, "o1")];
    expect(cbp("MARKETING", events)).toEqual({
      kind: "free_entry_point",
      until: h(81) + FEP_MS,
      costMicros: 0,
    });
  });

  it("a referral message still unanswered: this template is the reply that opens the FEP", () => {
    const r = templateSendPreview([inbound(90, "i1", true)], NOW, {
      category: "marketing",
      waId: WA,
      model: "cbp",
      table: seedCbp,
    });
    expect(r.effect).toEqual({ kind: "free_entry_point", until: NOW + FEP_MS, costMicros: 0 });
    expect(r.windows.fep).toEqual({ open: true, expiresAt: NOW + FEP_MS });
    expect(r.windows.csw.open).toBe(true);
  });

  it("prices by the customer's market when the table has one", () => {
    const table: PriceRow[] = [
      ...seedCbp,
      {
        category: "marketing",
        market: "55",
        micros: 70000,
        effectiveFrom: 0,
        tierFromVolume: 0,
        model: "cbp",
      },
    ];
    expect(cbp("marketing", [], table, "5511987654321").costMicros).toBe(70000);
    expect(cbp("marketing", [], table, "14155550100").costMicros).toBe(62500);
  });

  it("marketing_lite is priced as marketing unless the table prices it", () => {
    expect(cbp("MARKETING_LITE", [])).toEqual({ kind: "opens", category: "marketing", costMicros: 62500 });
  });
});

describe("templateSendPreview under per-message pricing", () => {
  const pmpTable: PriceRow[] = [
    { category: "marketing", market: null, micros: 25000, effectiveFrom: 0, tierFromVolume: 0, model: "pmp" },
    { category: "utility", market: null, micros: 4000, effectiveFrom: 0, tierFromVolume: 0, model: "pmp" },
    { category: "utility", market: null, micros: 3000, effectiveFrom: 0, tierFromVolume: 2, model: "pmp" },
  ];

  it("every delivered template is charged, even inside an open conversation", () => {
    const events = [tpl(90, "m1", "marketing"), delivered(90, "m1")];
    expect(pmp("MARKETING", events, pmpTable)).toEqual({
      kind: "charged_message",
      category: "marketing",
      costMicros: 25000,
    });
  });

  it("a utility template inside the customer service window is free", () => {
    expect(pmp("UTILITY", [inbound(99, "i1")], pmpTable)).toEqual({
      kind: "free_customer_service",
      category: "utility",
      until: h(99) + 24 * H,
      costMicros: 0,
    });
    // …but a marketing one is not.
    expect(pmp("MARKETING", [inbound(99, "i1")], pmpTable).kind).toBe("charged_message");
  });

  it("volume tiers count this contact's earlier billable messages in the month, like the engine", () => {
    const twoSent = [
      tpl(90, "u1", "utility"),
      delivered(90, "u1"),
      tpl(91, "u2", "utility"),
      delivered(91, "u2"),
    ];
    expect(pmp("UTILITY", [], pmpTable).costMicros).toBe(4000);
    expect(pmp("UTILITY", twoSent, pmpTable).costMicros).toBe(3000);
  });

  it("without PMP rows the default rates apply", () => {
    expect(pmp("MARKETING", []).costMicros).toBe(62500);
  });
});

describe("the preview matches what the engine charges once the message is delivered", () => {
  const event = fc.oneof(
    fc.record({ kind: fc.constant("in"), at: fc.integer({ min: 0, max: 99 }), referral: fc.boolean() }),
    fc.record({
      kind: fc.constant("tpl"),
      at: fc.integer({ min: 0, max: 99 }),
      category: fc.constantFrom("marketing", "utility", "authentication"),
      lag: fc.option(fc.integer({ min: 0, max: 3 })),
    }),
    fc.record({
      kind: fc.constant("text"),
      at: fc.integer({ min: 0, max: 99 }),
      lag: fc.option(fc.integer({ min: 0, max: 3 })),
    }),
  );
  const toEvents = (xs: Array<Record<string, unknown>>): EngineEvent[] =>
    xs.flatMap((x, i): EngineEvent[] => {
      const at = x.at as number;
      if (x.kind === "in") return [inbound(at, `i${i}`, x.referral as boolean)];
      const out = x.kind === "tpl" ? tpl(at, `o${i}`, x.category as string) : text(at, `o${i}`);
      return x.lag === null ? [out] : [out, delivered(Math.min(99, at + (x.lag as number)), `o${i}`)];
    });

  it.each(["cbp", "pmp"] as const)(
    "%s: same cost, and a conversation opens iff the preview says so",
    (model) => {
      fc.assert(
        fc.property(
          fc.array(event, { maxLength: 12 }),
          fc.constantFrom("marketing", "utility", "authentication"),
          (xs, category) => {
            const events = toEvents(xs);
            const { effect } = templateSendPreview(events, NOW, {
              category,
              waId: WA,
              model,
              table: seedCbp,
            });
            const after = computeContactState(
              [
                ...events,
                { type: "outbound", at: NOW, id: "new", kind: "template", category },
                { type: "status", at: NOW, id: "new", status: "delivered" },
              ],
              NOW,
            );
            if (model === "cbp") {
              const priced = priceConversations(
                after.conversations.map((c) => ({ ...c, accountId: "waba", waId: WA })),
                (cat, at, waId) => priceFor(seedCbp, { model: "cbp", category: cat, at, waId }),
                1000,
              );
              const opened = priced.find((c) => c.openedBy === "new");
              expect(opened?.costMicros ?? 0).toBe(effect.costMicros);
              expect(opened !== undefined).toBe(
                effect.kind === "opens" ||
                  (effect.kind === "free_entry_point" && opened?.category === "free_entry_point"),
              );
            } else {
              const priced = priceMessages(
                after.messages.map((m) => ({ ...m, waId: WA })),
                (cat, at, waId, monthlyVolume) =>
                  priceFor(seedCbp, { model: "pmp", category: cat, at, waId, monthlyVolume }),
              );
              expect(priced.find((m) => m.id === "new")?.costMicros).toBe(effect.costMicros);
            }
          },
        ),
        { numRuns: 300 },
      );
    },
  );
});

describe("summarizePreview", () => {
  const opens = (waId: string, costMicros = 62500): RecipientVerdict => ({
    waId,
    effect: { kind: "opens", category: "marketing", costMicros },
  });

  it("1,000 recipients: 850 new, 100 inside an open marketing conversation, 50 in an FEP", () => {
    const verdicts: RecipientVerdict[] = [
      ...Array.from({ length: 850 }, (_, i) => opens(`55119${String(i).padStart(8, "0")}`)),
      ...Array.from(
        { length: 100 },
        (_, i): RecipientVerdict => ({
          waId: `55118${String(i).padStart(8, "0")}`,
          effect: { kind: "inside_open", category: "marketing", openUntil: NOW + H, costMicros: 0 },
        }),
      ),
      ...Array.from(
        { length: 50 },
        (_, i): RecipientVerdict => ({
          waId: `55117${String(i).padStart(8, "0")}`,
          effect: { kind: "free_entry_point", until: NOW + H, costMicros: 0 },
        }),
      ),
      { waId: "123", excluded: "invalid_number", detail: "Line 4: too short" },
      { waId: "5511999999999", excluded: "opted_out", detail: "Opted out" },
      { waId: "5511999999998", excluded: "opted_out", detail: "Opted out" },
    ];
    const p = summarizePreview(verdicts, { model: "cbp", category: "MARKETING", at: NOW });
    expect(p).toMatchObject({
      model: "cbp",
      currency: "USD",
      category: "marketing",
      audience: 1003,
      sendable: 1000,
      opens: { count: 850, costMicros: 850 * 62500 },
      insideOpen: { count: 100, costMicros: 0 },
      freeEntryPoint: { count: 50, costMicros: 0 },
      chargedMessages: { count: 0, costMicros: 0 },
      totalCostMicros: 53_125_000,
      unitMicros: 62500,
      excluded: { invalid_number: 1, opted_out: 2, duplicate: 0, missing_variable: 0 },
    });
  });

  it("mixed prices have no single unit price; PMP totals per message", () => {
    const p = summarizePreview(
      [
        opens("1", 62500),
        opens("2", 70000),
        { waId: "3", effect: { kind: "charged_message", category: "marketing", costMicros: 25000 } },
        {
          waId: "4",
          effect: { kind: "free_customer_service", category: "utility", until: null, costMicros: 0 },
        },
      ],
      { model: "pmp", category: "marketing", at: NOW },
    );
    expect(p.unitMicros).toBeNull();
    expect(p.totalCostMicros).toBe(157500);
    expect(p.chargedMessages).toEqual({ count: 1, costMicros: 25000 });
    expect(p.freeCustomerService).toEqual({ count: 1, costMicros: 0 });
  });

  it("an empty audience costs nothing", () => {
    const p = summarizePreview([], { model: "cbp", category: "utility", at: NOW });
    expect(p).toMatchObject({ audience: 0, sendable: 0, totalCostMicros: 0, unitMicros: null });
  });
});
