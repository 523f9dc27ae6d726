/** Property tests (fast-check) of the conversation engine and CBP costing over random histories. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DELIVERY_STATUSES } from "../../lib/domain";
import { priceConversations } from "../../lib/pricing/cbp";
import { CONVERSATION_MS, FEP_MS } from "../../lib/windows/csw";
import { computeContactState, type EngineConversation, type EngineEvent } from "../../lib/windows/engine";

const H = 3600_000;
const NOW = 200 * H;

/** Step of the random clock: 15 minutes, so same-instant cases occur often. */
const STEP = 15 * 60_000;
const HORIZON = (120 * H) / STEP;

/** One message and its statuses, at multiples of STEP within 120 h. */
const messageArb = fc.oneof(
  fc.record({
    kind: fc.constant("inbound" as const),
    at: fc.integer({ min: 0, max: HORIZON }),
    referral: fc.boolean(),
  }),
  fc.record({
    kind: fc.constantFrom("text", "template", "template", "image"),
    at: fc.integer({ min: 0, max: HORIZON }),
    category: fc.constantFrom("marketing", "utility", "authentication", "marketing_lite"),
    statuses: fc.array(
      fc.record({
        status: fc.constantFrom(...DELIVERY_STATUSES, "delivered", "delivered"),
        delay: fc.integer({ min: -1, max: 12 }),
      }),
      { maxLength: 3 },
    ),
  }),
);

type MessageSpec = typeof messageArb extends fc.Arbitrary<infer T> ? T : never;

function toEvents(specs: MessageSpec[]): EngineEvent[] {
  const events: EngineEvent[] = [];
  specs.forEach((m, i) => {
    const at = m.at * STEP;
    if (m.kind === "inbound") {
      events.push({
        type: "inbound",
        at,
        id: `in${i}`,
        referral: m.referral ? { source_type: "ad" } : undefined,
      });
      return;
    }
    events.push({ type: "outbound", at, id: `out${i}`, kind: m.kind, category: m.category });
    for (const s of m.statuses) {
      events.push({ type: "status", at: at + s.delay * STEP, id: `out${i}`, status: s.status });
    }
  });
  return events;
}

const historyArb = fc.array(messageArb, { maxLength: 40, size: "large" }).map(toEvents);

/** The end of a conversation: when it was closed early, or when it expired. */
const end = (c: EngineConversation) => c.closedAt ?? c.expiresAt;
const overlaps = (a: EngineConversation, b: EngineConversation) => a.openedAt < end(b) && b.openedAt < end(a);

describe("engine properties", () => {
  it("no two conversations of one category overlap", () => {
    fc.assert(
      fc.property(historyArb, (events) => {
        const { conversations } = computeContactState(events, NOW);
        for (let i = 0; i < conversations.length; i++) {
          for (let j = i + 1; j < conversations.length; j++) {
            if (conversations[i].category === conversations[j].category) {
              expect(overlaps(conversations[i], conversations[j])).toBe(false);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("nothing opens inside an FEP, and nothing else is open while an FEP is", () => {
    fc.assert(
      fc.property(historyArb, (events) => {
        const { conversations } = computeContactState(events, NOW);
        const feps = conversations.filter((c) => c.category === "free_entry_point");
        for (const f of feps) {
          for (const c of conversations) {
            if (c === f) continue;
            expect(c.openedAt >= f.openedAt && c.openedAt < f.expiresAt).toBe(false);
            expect(overlaps(c, f)).toBe(false);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("every conversation lasts exactly 24h (72h for an FEP) unless an FEP closed it early", () => {
    fc.assert(
      fc.property(historyArb, (events) => {
        const { conversations } = computeContactState(events, NOW);
        const fepOpenings = new Set(
          conversations.filter((c) => c.category === "free_entry_point").map((c) => c.openedAt),
        );
        for (const c of conversations) {
          const isFep = c.category === "free_entry_point";
          expect(c.expiresAt - c.openedAt).toBe(isFep ? FEP_MS : CONVERSATION_MS);
          if (c.closedAt !== null) {
            expect(isFep).toBe(false);
            expect(fepOpenings.has(c.closedAt)).toBe(true);
            expect(c.closedAt).toBeGreaterThan(c.openedAt);
            expect(c.closedAt).toBeLessThan(c.expiresAt);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("every conversation is opened by a delivered, non-rejected message at its delivery instant", () => {
    fc.assert(
      fc.property(historyArb, (events) => {
        const s = computeContactState(events, NOW);
        const byId = new Map(s.messages.map((m) => [m.id, m]));
        for (const c of s.conversations) {
          expect(byId.get(c.openedBy)?.deliveredAt).toBe(c.openedAt);
        }
        for (const id of s.rejected) expect(byId.has(id)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("does not depend on the order events are fed when their times are distinct", () => {
    // A tiny per-event offset (< STEP) makes every time distinct while keeping the clusters.
    const distinct = historyArb.map((events) => events.map((e, i) => ({ ...e, at: e.at + i + 1 })));
    fc.assert(
      fc.property(
        distinct.chain((events) =>
          fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length })),
        ),
        fc.integer({ min: 0, max: 200 * 4 }),
        ([events, shuffled], nowSteps) => {
          const now = nowSteps * STEP;
          expect(computeContactState(shuffled, now)).toEqual(computeContactState(events, now));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the past does not change: conversations seen at t are still there later (only closedAt may be set after t)", () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 0, max: 200 * 4 }), (events, tSteps) => {
        const t = tSteps * STEP;
        const early = computeContactState(events, t).conversations;
        const late = computeContactState(events, NOW).conversations.filter((c) => c.openedAt <= t);
        expect(
          late.map((c) => ({ ...c, closedAt: c.closedAt !== null && c.closedAt <= t ? c.closedAt : null })),
        ).toEqual(early);
      }),
      { numRuns: 200 },
    );
  });

  it("cost is never negative and always an integer, whatever the price function returns", () => {
    fc.assert(
      fc.property(
        historyArb,
        fc.dictionary(
          fc.constantFrom("marketing", "utility", "authentication", "service"),
          fc.oneof(
            fc.integer({ min: -100_000, max: 100_000 }),
            fc.double({ min: -1e6, max: 1e6, noNaN: true }),
          ),
        ),
        fc.nat({ max: 3 }),
        (events, prices, freeTier) => {
          const convs = computeContactState(events, NOW).conversations.map((c) => ({
            ...c,
            accountId: "a",
            waId: "5511",
          }));
          const priced = priceConversations(convs, (category) => prices[category] ?? 0, freeTier);
          expect(priced).toHaveLength(convs.length);
          for (const c of priced) {
            expect(Number.isInteger(c.costMicros)).toBe(true);
            expect(c.costMicros).toBeGreaterThanOrEqual(0);
            if (c.category === "free_entry_point") expect(c.costMicros).toBe(0);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  // Webhook ingestion relies on this to skip the engine for most customer messages
  // (lib/services/ingest-webhook.ts, threadsNeedingEngine): only the CSW moves.
  it("a customer message later than every outbound event changes nothing but the CSW", () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 1, max: 40 }), fc.boolean(), (events, gap, referral) => {
        const outboundTimes = events.filter((e) => e.type !== "inbound").map((e) => e.at);
        const after = Math.max(0, ...outboundTimes) + gap * STEP;
        const withInbound: EngineEvent[] = [
          ...events,
          { type: "inbound", at: after, id: "late", referral: referral ? { source_type: "ad" } : undefined },
        ];
        const before = computeContactState(events, NOW);
        const now = computeContactState(withInbound, NOW);
        expect(now.conversations).toEqual(before.conversations);
        expect(now.messages).toEqual(before.messages);
        expect(now.rejected).toEqual(before.rejected);
        expect(now.pending).toEqual(before.pending);
        expect(now.failed).toEqual(before.failed);
        expect(now.fep).toEqual(before.fep);
        expect(now.lastInboundAt).toBe(Math.max(after, before.lastInboundAt ?? after));
      }),
      { numRuns: 500 },
    );
  });

  it("but one at the instant of an outbound event can change its verdict", () => {
    // A free-form reply sent when the customer writes at the same instant is inside the CSW.
    const events: EngineEvent[] = [{ type: "outbound", at: 10 * H, id: "o", kind: "text" }];
    const alone = computeContactState(events, NOW);
    const answered = computeContactState([...events, { type: "inbound", at: 10 * H, id: "i" }], NOW);
    expect(alone.rejected).toEqual(["o"]);
    expect(answered.rejected).toEqual([]);
  });
});
