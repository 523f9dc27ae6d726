/** replay() and parseEventLines(): input validation, grouping, accounts, the free tier, PMP output. */
import { describe, expect, it } from "vitest";
import { DEFAULT_RATES, type Rates } from "../../lib/pricing/rates";
import { parseEventLines, ReplayInputError, replay } from "../../lib/pricing/replay";

const H = 3600_000;
const T0 = Date.UTC(2026, 2, 2, 10);
const iso = (hours: number) => new Date(T0 + hours * H).toISOString();
const jsonl = (lines: object[]) => lines.map((l) => JSON.stringify(l)).join("\n");

const inbound = (at: number, contact: string, id: string, extra: object = {}) => ({
  type: "inbound",
  at: iso(at),
  contact,
  id,
  ...extra,
});
const text = (at: number, contact: string, id: string, extra: object = {}) => ({
  type: "outbound",
  at: iso(at),
  contact,
  id,
  kind: "text",
  ...extra,
});
const tpl = (at: number, contact: string, id: string, category: string, extra: object = {}) => ({
  type: "outbound",
  at: iso(at),
  contact,
  id,
  kind: "template",
  category,
  ...extra,
});
const st = (at: number, id: string, status = "delivered") => ({ type: "status", at: iso(at), id, status });

function errorOf(text: string) {
  const r = parseEventLines(text);
  return "error" in r ? r : null;
}

describe("parseEventLines", () => {
  it("ignores blank lines and keeps 1-based file line numbers", () => {
    const r = parseEventLines(
      `\n${JSON.stringify(inbound(0, "1", "in1"))}\n\n   \n${JSON.stringify(st(1, "o"))}`,
    );
    expect(r).toEqual({ error: 'status for unknown message id "o"', line: 5 });
  });

  it.each([
    { name: "invalid JSON", line: "{nope", error: /^invalid JSON/ },
    { name: "not an object", line: "[1,2]", error: /expected a JSON object/ },
    {
      name: "unknown type",
      line: '{"type":"reaction"}',
      error: /"type" must be one of inbound, outbound, status \(got "reaction"\)/,
    },
    {
      name: "bad at",
      line: JSON.stringify({ ...inbound(0, "1", "x"), at: "2026-03-02 10:00" }),
      error: /"at" must be an ISO-8601 date-time/,
    },
    {
      name: "at without a zone",
      line: JSON.stringify({ ...inbound(0, "1", "x"), at: "2026-03-02T10:00:00" }),
      error: /"at" must be an ISO-8601/,
    },
    { name: "missing at", line: '{"type":"inbound","contact":"1","id":"x"}', error: /"at" is required/ },
    {
      name: "missing contact",
      line: JSON.stringify({ type: "inbound", at: iso(0), id: "x" }),
      error: /"contact"/,
    },
    { name: "empty id", line: JSON.stringify(inbound(0, "1", "")), error: /"id" must not be empty/ },
    {
      name: "template without category",
      line: JSON.stringify({ type: "outbound", at: iso(0), contact: "1", id: "t", kind: "template" }),
      error: /"category" is required for a template/,
    },
    { name: "bad status", line: JSON.stringify(st(0, "x", "seen")), error: /"status"/ },
  ])("reports $name with its line number", ({ line, error }) => {
    const good = JSON.stringify(inbound(0, "1", "ok"));
    const r = errorOf(`${good}\n${good.replace('"ok"', '"ok2"')}\n${line}`);
    expect(r?.line).toBe(3);
    expect(r?.error).toMatch(error);
  });

  it("rejects a status for an inbound message and a conflicting reuse of an id", () => {
    expect(errorOf(jsonl([inbound(0, "1", "in1"), st(1, "in1")]))).toEqual({
      error: 'status for "in1", which is an inbound message',
      line: 2,
    });
    expect(errorOf(jsonl([text(0, "1", "m"), text(0, "2", "m")]))).toEqual({
      error: 'message id "m" was already used on line 1 for a different message',
      line: 2,
    });
    expect(errorOf(jsonl([{ ...st(1, "m"), contact: "2" }, text(0, "1", "m")]))?.line).toBe(1);
  });

  it("accepts identical duplicates (webhook retries) and numeric contacts", () => {
    const r = parseEventLines(
      jsonl([inbound(0, "1", "a"), inbound(0, "1", "a"), { ...inbound(1, "x", "b"), contact: 5511 }]),
    );
    expect("events" in r && r.events.map((e) => [e.line, "contact" in e ? e.contact : null])).toEqual([
      [1, "1"],
      [2, "1"],
      [3, "5511"],
    ]);
  });
});

describe("replay()", () => {
  it("defaults --at to the latest event and evaluates at an explicit instant", () => {
    const lines = [inbound(0, "1", "in1"), text(1, "1", "o"), st(2, "o")];
    expect(replay(lines, { model: "cbp", rates: DEFAULT_RATES }).at).toBe(iso(2));
    const early = replay(lines, { at: iso(1.5), model: "cbp", rates: DEFAULT_RATES });
    expect(early.at).toBe(iso(1.5));
    expect(early.contacts["1"].conversations).toEqual([]);
    expect(replay([], { model: "cbp", rates: DEFAULT_RATES })).toEqual({
      at: "1970-01-01T00:00:00.000Z",
      model: "cbp",
      contacts: {},
      totals: { costMicros: 0, byCategory: {} },
    });
  });

  it("throws ReplayInputError for a bad line or a bad at", () => {
    expect(() =>
      replay([inbound(0, "1", "a"), { type: "x" }], { model: "cbp", rates: DEFAULT_RATES }),
    ).toThrow(ReplayInputError);
    try {
      replay([inbound(0, "1", "a"), { type: "x" }], { model: "cbp", rates: DEFAULT_RATES });
    } catch (e) {
      expect((e as ReplayInputError).line).toBe(2);
    }
    expect(() => replay([], { at: "tomorrow", model: "cbp", rates: DEFAULT_RATES })).toThrow(/"at" must be/);
  });

  it("keys a contact that appears in two accounts as account:contact and counts the free tier per account", () => {
    const rates: Rates = {
      ...DEFAULT_RATES,
      micros: { ...DEFAULT_RATES.micros, service: 1000 },
      freeServicePerMonth: 1,
    };
    const lines = [
      inbound(0, "5511", "a1"),
      text(1, "5511", "a1o"),
      st(1, "a1o"),
      inbound(0, "5522", "a2"),
      text(2, "5522", "a2o"),
      st(2, "a2o"),
      inbound(0, "5511", "b1", { account: "waba-b" }),
      text(3, "5511", "b1o", { account: "waba-b" }),
      st(3, "b1o"),
    ];
    const out = replay(lines, { model: "cbp", rates });
    expect(Object.keys(out.contacts)).toEqual(["5522", "default:5511", "waba-b:5511"]);
    expect(out.contacts["default:5511"].conversations?.map((c) => c.costMicros)).toEqual([0]);
    expect(out.contacts["5522"].conversations?.map((c) => c.costMicros)).toEqual([1000]);
    expect(out.contacts["waba-b:5511"].conversations?.map((c) => c.costMicros)).toEqual([0]);
    expect(out.totals).toEqual({
      costMicros: 1000,
      byCategory: { service: { conversations: 3, costMicros: 1000 } },
    });
  });

  it("the free tier crosses 1,000 in a month and resets in the next UTC month", () => {
    const rates: Rates = { ...DEFAULT_RATES, micros: { ...DEFAULT_RATES.micros, service: 4000 } };
    const lines: object[] = [];
    for (let i = 0; i < 1002; i++) {
      const c = `55${String(i).padStart(6, "0")}`;
      lines.push(inbound(0, c, `in${i}`), text(1, c, `o${i}`), st(1 + i / 3600, `o${i}`));
    }
    // 2026-04-01T00:00Z is 710 hours (29 days 14 h) after T0.
    lines.push(inbound(710, "5599", "apr"), text(710, "5599", "apr-o"), st(710, "apr-o"));
    const out = replay(lines, { model: "cbp", rates });
    expect(out.totals.byCategory.service).toEqual({ conversations: 1003, costMicros: 8000 });
    expect(out.contacts["55001000"].conversations?.[0].costMicros).toBe(4000);
    expect(out.contacts["55000999"].conversations?.[0].costMicros).toBe(0);
    expect(out.contacts["5599"].conversations?.[0]).toMatchObject({
      openedAt: "2026-04-01T00:00:00.000Z",
      costMicros: 0,
    });
  });

  it("uses custom rates", () => {
    const rates: Rates = {
      currency: "BRL",
      micros: { marketing: 1, utility: 2, authentication: 3, service: 4 },
      freeServicePerMonth: 0,
    };
    const out = replay(
      [
        tpl(0, "1", "m", "marketing"),
        st(0, "m"),
        inbound(1, "1", "i"),
        tpl(2, "1", "u", "utility"),
        st(2, "u"),
      ],
      {
        model: "cbp",
        rates,
      },
    );
    expect(out.totals).toEqual({
      costMicros: 3,
      byCategory: {
        marketing: { conversations: 1, costMicros: 1 },
        utility: { conversations: 1, costMicros: 2 },
      },
    });
  });

  it("under pmp lists delivered messages with their verdict and counts messages per category", () => {
    const lines = [
      inbound(0, "1", "in1"),
      tpl(1, "1", "u", "utility"),
      st(1, "u"),
      tpl(2, "1", "m", "marketing"),
      st(2, "m", "read"),
      text(3, "1", "t"),
      st(3, "t"),
      tpl(4, "1", "f", "authentication"),
      st(4, "f", "failed"),
      tpl(30, "1", "u2", "utility"),
      st(30, "u2"),
      text(31, "1", "late"),
    ];
    const out = replay(lines, { model: "pmp", rates: DEFAULT_RATES });
    expect(out.contacts["1"]).toEqual({
      csw: { open: false, expiresAt: iso(24) },
      fep: { open: false, expiresAt: null },
      freeText: false,
      messages: [
        { id: "u", category: "utility", type: "free_customer_service", costMicros: 0 },
        { id: "m", category: "marketing", type: "regular", costMicros: 62500 },
        { id: "t", category: "service", type: "free_customer_service", costMicros: 0 },
        { id: "u2", category: "utility", type: "regular", costMicros: 8000 },
      ],
      rejected: ["late"],
    });
    expect(out.totals).toEqual({
      costMicros: 70500,
      byCategory: {
        marketing: { messages: 1, costMicros: 62500 },
        utility: { messages: 2, costMicros: 8000 },
        service: { messages: 1, costMicros: 0 },
      },
    });
  });

  it("under pmp everything in an FEP is free", () => {
    const lines = [
      inbound(0, "1", "in1", { referral: { source_type: "ad" } }),
      text(1, "1", "r"),
      st(1, "r"),
      tpl(40, "1", "m", "marketing"),
      st(40, "m"),
      tpl(41, "1", "a", "authentication"),
      st(41, "a"),
    ];
    const out = replay(lines, { model: "pmp", rates: DEFAULT_RATES });
    expect(out.contacts["1"].messages?.map((m) => [m.id, m.type, m.costMicros])).toEqual([
      ["r", "free_entry_point", 0],
      ["m", "free_entry_point", 0],
      ["a", "free_entry_point", 0],
    ]);
    expect(out.totals.costMicros).toBe(0);
  });

  it("does not depend on line order when times differ", () => {
    const lines = [
      tpl(-5, "1", "m0", "marketing"),
      st(-5, "m0"),
      inbound(0, "1", "in1", { referral: { source_type: "ad" } }),
      text(1, "1", "r"),
      st(1.5, "r"),
      tpl(30, "1", "m1", "marketing"),
      st(30.5, "m1"),
    ];
    const forward = replay(lines, { model: "cbp", rates: DEFAULT_RATES });
    expect(replay([...lines].reverse(), { model: "cbp", rates: DEFAULT_RATES })).toEqual(forward);
    expect(forward.contacts["1"].conversations?.map((c) => [c.category, c.closedAt])).toEqual([
      ["marketing", iso(1.5)],
      ["free_entry_point", null],
    ]);
  });
});
