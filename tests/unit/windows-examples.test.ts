/**
 * docs/whatsapp-rules.md §4 worked examples, each asserted through the engine
 * (computeContactState + priceConversations) and through replay() on its .jsonl fixture.
 * Times are hours from T0 = 2026-03-02T10:00:00Z.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { priceConversations } from "../../lib/pricing/cbp";
import { DEFAULT_RATES, priceFromRates } from "../../lib/pricing/rates";
import { parseEventLines, type ReplayEvent, replay } from "../../lib/pricing/replay";
import { computeContactState, type EngineEvent, previewOutbound } from "../../lib/windows/engine";

const H = 3600_000;
const T0 = Date.UTC(2026, 2, 2, 10);
const h = (n: number) => T0 + n * H;
const iso = (n: number) => new Date(h(n)).toISOString();
const CONTACT = "5511990000001";
const FIXTURES = join(__dirname, "../fixtures/replay");

const inbound = (at: number, id: string, referral?: object): EngineEvent => ({
  type: "inbound",
  at: h(at),
  id,
  referral,
});
const text = (at: number, id: string): EngineEvent => ({ type: "outbound", at: h(at), id, kind: "text" });
const template = (at: number, id: string, category: string): EngineEvent => ({
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

type Conv = {
  category: string;
  openedAt: number;
  expiresAt: number;
  closedAt: number | null;
  costMicros: number;
};
type Check = {
  at: number;
  freeText: boolean;
  cswExpiresAt: number | null;
  fepOpen: boolean;
  fepExpiresAt: number | null;
};
type Example = {
  name: string;
  fixture: string;
  events: EngineEvent[];
  /** Conversations as of `finalAt` (hours), with cost at seed prices. */
  finalAt: number;
  conversations: Conv[];
  totalMicros: number;
  rejected?: string[];
  checks: Check[];
};

const examples: Example[] = [
  {
    name: "1. user writes at 0, free-form reply at 1 → service 1→25; free text at 23, refused at 24",
    fixture: "ex1-service-reply.jsonl",
    events: [inbound(0, "in1"), text(1, "out1"), delivered(1, "out1")],
    finalAt: 24,
    conversations: [{ category: "service", openedAt: 1, expiresAt: 25, closedAt: null, costMicros: 0 }],
    totalMicros: 0,
    checks: [
      { at: 1, freeText: true, cswExpiresAt: 24, fepOpen: false, fepExpiresAt: null },
      { at: 23, freeText: true, cswExpiresAt: 24, fepOpen: false, fepExpiresAt: null },
      { at: 24, freeText: false, cswExpiresAt: 24, fepOpen: false, fepExpiresAt: null },
    ],
  },
  {
    name: "2. user writes at 0 and 20 → CSW until 44; free text at 30",
    fixture: "ex2-csw-restart.jsonl",
    events: [inbound(0, "in1"), inbound(20, "in2")],
    finalAt: 30,
    conversations: [],
    totalMicros: 0,
    checks: [
      { at: 30, freeText: true, cswExpiresAt: 44, fepOpen: false, fepExpiresAt: null },
      { at: 44, freeText: false, cswExpiresAt: 44, fepOpen: false, fepExpiresAt: null },
    ],
  },
  {
    name: "3. marketing at 0 and 2, authentication at 3 → marketing 0→24 + authentication 3→27 = 94000",
    fixture: "ex3-templates-no-window.jsonl",
    events: [
      template(0, "mkt1", "marketing"),
      delivered(0, "mkt1"),
      template(2, "mkt2", "marketing"),
      delivered(2, "mkt2"),
      template(3, "auth1", "authentication"),
      delivered(3, "auth1"),
    ],
    finalAt: 3,
    conversations: [
      { category: "marketing", openedAt: 0, expiresAt: 24, closedAt: null, costMicros: 62500 },
      { category: "authentication", openedAt: 3, expiresAt: 27, closedAt: null, costMicros: 31500 },
    ],
    totalMicros: 94000,
    checks: [0, 2, 3, 23].map((at) => ({
      at,
      freeText: false,
      cswExpiresAt: null,
      fepOpen: false,
      fepExpiresAt: null,
    })),
  },
  {
    name: "4. service 1→25 then a utility template at 2 → utility 2→26; cost 8000",
    fixture: "ex4-service-and-utility.jsonl",
    events: [
      inbound(0, "in1"),
      text(1, "out1"),
      delivered(1, "out1"),
      template(2, "util1", "utility"),
      delivered(2, "util1"),
    ],
    finalAt: 2,
    conversations: [
      { category: "service", openedAt: 1, expiresAt: 25, closedAt: null, costMicros: 0 },
      { category: "utility", openedAt: 2, expiresAt: 26, closedAt: null, costMicros: 8000 },
    ],
    totalMicros: 8000,
    checks: [{ at: 2, freeText: true, cswExpiresAt: 24, fepOpen: false, fepExpiresAt: null }],
  },
  {
    name: "5. ad referral at 0, reply at 1 → FEP 1→73 closes marketing (−5); marketing at 30 opens nothing",
    fixture: "ex5-free-entry-point.jsonl",
    events: [
      template(-5, "mkt1", "marketing"),
      delivered(-5, "mkt1"),
      inbound(0, "in1", { source_type: "ad", source_id: "120200000000000" }),
      text(1, "out1"),
      delivered(1, "out1"),
      text(25, "late1"),
      template(30, "mkt2", "marketing"),
      delivered(30, "mkt2"),
    ],
    finalAt: 30,
    conversations: [
      { category: "marketing", openedAt: -5, expiresAt: 19, closedAt: 1, costMicros: 62500 },
      { category: "free_entry_point", openedAt: 1, expiresAt: 73, closedAt: null, costMicros: 0 },
    ],
    totalMicros: 62500,
    rejected: ["late1"],
    checks: [
      { at: 0.5, freeText: true, cswExpiresAt: 24, fepOpen: false, fepExpiresAt: null },
      { at: 1, freeText: true, cswExpiresAt: 24, fepOpen: true, fepExpiresAt: 73 },
      { at: 23, freeText: true, cswExpiresAt: 24, fepOpen: true, fepExpiresAt: 73 },
      { at: 24, freeText: false, cswExpiresAt: 24, fepOpen: true, fepExpiresAt: 73 },
      { at: 72, freeText: false, cswExpiresAt: 24, fepOpen: true, fepExpiresAt: 73 },
      { at: 73, freeText: false, cswExpiresAt: 24, fepOpen: false, fepExpiresAt: 73 },
    ],
  },
  {
    name: "6. marketing at 0, user at 5, free-form at 6 opens nothing; free-form at 26 → service 26→50",
    fixture: "ex6-marketing-then-service.jsonl",
    events: [
      template(0, "mkt1", "marketing"),
      delivered(0, "mkt1"),
      inbound(5, "in1"),
      text(6, "out1"),
      delivered(6, "out1"),
      text(26, "out2"),
      delivered(26, "out2"),
    ],
    finalAt: 26,
    conversations: [
      { category: "marketing", openedAt: 0, expiresAt: 24, closedAt: null, costMicros: 62500 },
      { category: "service", openedAt: 26, expiresAt: 50, closedAt: null, costMicros: 0 },
    ],
    totalMicros: 62500,
    checks: [
      { at: 6, freeText: true, cswExpiresAt: 29, fepOpen: false, fepExpiresAt: null },
      { at: 26, freeText: true, cswExpiresAt: 29, fepOpen: false, fepExpiresAt: null },
      { at: 29, freeText: false, cswExpiresAt: 29, fepOpen: false, fepExpiresAt: null },
    ],
  },
];

const hoursOf = (ms: number | null) => (ms === null ? null : (ms - T0) / H);
const price = priceFromRates(DEFAULT_RATES);

function engineConversations(events: EngineEvent[], at: number): Conv[] {
  const state = computeContactState(events, h(at));
  const priced = priceConversations(
    state.conversations.map((c) => ({ ...c, accountId: "default", waId: CONTACT })),
    price,
    DEFAULT_RATES.freeServicePerMonth,
  );
  return priced.map((c) => ({
    category: c.category,
    openedAt: hoursOf(c.openedAt)!,
    expiresAt: hoursOf(c.expiresAt)!,
    closedAt: hoursOf(c.closedAt),
    costMicros: c.costMicros,
  }));
}

function fixtureEvents(name: string): ReplayEvent[] {
  const parsed = parseEventLines(readFileSync(join(FIXTURES, name), "utf8"));
  if ("error" in parsed) throw new Error(`${name}: line ${parsed.line}: ${parsed.error}`);
  return parsed.events;
}

describe("worked examples (§4) through the engine", () => {
  it.each(examples)("$name", (ex) => {
    expect(engineConversations(ex.events, ex.finalAt)).toEqual(ex.conversations);
    const state = computeContactState(ex.events, h(ex.finalAt));
    expect(state.rejected).toEqual(ex.rejected ?? []);
    for (const c of ex.checks) {
      const s = computeContactState(ex.events, h(c.at));
      expect({
        at: c.at,
        freeText: s.freeText,
        cswOpen: s.csw.open,
        cswExpiresAt: hoursOf(s.csw.expiresAt),
        fepOpen: s.fep.open,
        fepExpiresAt: hoursOf(s.fep.expiresAt),
      }).toEqual({
        at: c.at,
        freeText: c.freeText,
        cswOpen: c.freeText,
        cswExpiresAt: c.cswExpiresAt,
        fepOpen: c.fepOpen,
        fepExpiresAt: c.fepExpiresAt,
      });
    }
  });

  it("5. the marketing template at 30 is free (inside the FEP) and templates stay free until 73", () => {
    const ex = examples[4];
    const s = computeContactState(ex.events, h(30));
    expect(s.messages.find((m) => m.id === "mkt2")).toMatchObject({
      type: "free_entry_point",
      category: "marketing",
    });
    expect(s.templatesFree).toBe(true);
    expect(previewOutbound(ex.events, h(72.5), { kind: "template", category: "marketing" })).toEqual({
      allowed: true,
      opens: null,
      pmpType: "free_entry_point",
      category: "marketing",
    });
    expect(previewOutbound(ex.events, h(73), { kind: "template", category: "marketing" })).toMatchObject({
      allowed: true,
      opens: "marketing",
      pmpType: "regular",
    });
    expect(previewOutbound(ex.events, h(24), { kind: "text" })).toEqual({
      allowed: false,
      reason: "window_closed",
      closedAt: h(24),
    });
  });

  it("6. at 6 (before the late reply) only the marketing conversation exists", () => {
    const s = computeContactState(examples[5].events, h(6));
    expect(s.conversations.map((c) => c.category)).toEqual(["marketing"]);
  });
});

describe("worked examples (§4) through replay()", () => {
  it.each(examples)("$name", (ex) => {
    const lines = fixtureEvents(ex.fixture);
    const out = replay(lines, { at: iso(ex.finalAt), model: "cbp", rates: DEFAULT_RATES });
    expect(Object.keys(out.contacts)).toEqual([CONTACT]);
    const contact = out.contacts[CONTACT];
    expect(contact.conversations).toEqual(
      ex.conversations.map((c) => ({
        category: c.category,
        openedAt: iso(c.openedAt),
        expiresAt: iso(c.expiresAt),
        closedAt: c.closedAt === null ? null : iso(c.closedAt),
        costMicros: c.costMicros,
      })),
    );
    expect(contact.rejected).toEqual(ex.rejected ?? []);
    expect(out.totals.costMicros).toBe(ex.totalMicros);
    for (const c of ex.checks) {
      const at = replay(lines, { at: iso(c.at), model: "cbp", rates: DEFAULT_RATES }).contacts[CONTACT];
      expect({ at: c.at, freeText: at.freeText, csw: at.csw, fep: at.fep }).toEqual({
        at: c.at,
        freeText: c.freeText,
        csw: { open: c.freeText, expiresAt: c.cswExpiresAt === null ? null : iso(c.cswExpiresAt) },
        fep: { open: c.fepOpen, expiresAt: c.fepExpiresAt === null ? null : iso(c.fepExpiresAt) },
      });
    }
  });

  it.each(examples.map((e) => e.fixture))("%s matches its .expected.json at the default --at", (fixture) => {
    const expected = JSON.parse(
      readFileSync(join(FIXTURES, fixture.replace(/\.jsonl$/, ".expected.json")), "utf8"),
    );
    expect(replay(fixtureEvents(fixture), { model: "cbp", rates: DEFAULT_RATES })).toEqual(expected);
  });
});
