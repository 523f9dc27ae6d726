/** Boundary and same-instant cases of the window & conversation engine (times in hours from T0). */
import { describe, expect, it } from "vitest";
import {
  CONVERSATION_MS,
  CSW_MS,
  customerServiceWindow,
  FEP_MS,
  freeTextDecision,
  isCswOpenAt,
} from "../../lib/windows/csw";
import {
  computeContactState,
  type EngineEvent,
  normalizeTemplateCategory,
  openCategoriesAt,
  previewOutbound,
} from "../../lib/windows/engine";
import { freeEntryPointWindow, hasReferral, isFepQualifyingReply } from "../../lib/windows/fep";

const H = 3600_000;
const T0 = Date.UTC(2026, 2, 2, 10);
const h = (n: number) => T0 + n * H;
const hoursOf = (ms: number | null) => (ms === null ? null : (ms - T0) / H);

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
const st = (
  at: number,
  id: string,
  status: "sent" | "delivered" | "read" | "failed" = "delivered",
): EngineEvent => ({
  type: "status",
  at: h(at),
  id,
  status,
});

/** Conversations as [category, openedAt, expiresAt, closedAt] in hours. */
function convs(events: EngineEvent[], now: number) {
  return computeContactState(events, h(now)).conversations.map((c) => [
    c.category,
    hoursOf(c.openedAt),
    hoursOf(c.expiresAt),
    hoursOf(c.closedAt),
  ]);
}

describe("csw.ts", () => {
  it("has the documented lengths", () => {
    expect([CSW_MS, FEP_MS, CONVERSATION_MS]).toEqual([86_400_000, 259_200_000, 86_400_000]);
  });

  it.each([
    { at: 0, open: true },
    { at: 23.999, open: true },
    { at: 24 - 1 / H, open: true },
    { at: 24, open: false },
    { at: 30, open: false },
  ])("a window from 0 is open=$open at $at h", ({ at, open }) => {
    expect(isCswOpenAt(h(0), h(at))).toBe(open);
    expect(customerServiceWindow(new Date(h(0)), new Date(h(at)))).toEqual({
      open,
      expiresAt: new Date(h(24)),
    });
  });

  it("never-wrote customers have no window", () => {
    expect(customerServiceWindow(null, new Date(h(0)))).toEqual({ open: false, expiresAt: null });
    expect(freeTextDecision(null, new Date(h(0)))).toEqual({
      freeText: false,
      reason: "window_closed",
      closedAt: null,
    });
  });

  it("freeTextDecision returns when it expires or when it closed", () => {
    expect(freeTextDecision(new Date(h(0)), new Date(h(23)))).toEqual({
      freeText: true,
      expiresAt: new Date(h(24)),
    });
    expect(freeTextDecision(new Date(h(0)), new Date(h(24)))).toEqual({
      freeText: false,
      reason: "window_closed",
      closedAt: new Date(h(24)),
    });
  });
});

describe("fep.ts", () => {
  it.each([
    [undefined, false],
    [null, false],
    [false, false],
    [true, true],
    [{ source_type: "ad" }, true],
    [{}, true],
  ])("hasReferral(%j) = %s", (referral, expected) => {
    expect(hasReferral(referral)).toBe(expected);
  });

  it("a reply qualifies from the referral instant up to (not including) +24h", () => {
    expect(isFepQualifyingReply([h(0)], h(0))).toBe(true);
    expect(isFepQualifyingReply([h(0)], h(24) - 1)).toBe(true);
    expect(isFepQualifyingReply([h(0)], h(24))).toBe(false);
    expect(isFepQualifyingReply([h(0)], h(-1))).toBe(false);
    expect(isFepQualifyingReply([h(0), h(30)], h(40))).toBe(true);
  });

  it("freeEntryPointWindow is closed at exactly +72h", () => {
    expect(freeEntryPointWindow(new Date(h(1)), new Date(h(73) - 1))).toEqual({
      open: true,
      expiresAt: new Date(h(73)),
    });
    expect(freeEntryPointWindow(new Date(h(1)), new Date(h(73)))).toEqual({
      open: false,
      expiresAt: new Date(h(73)),
    });
    expect(freeEntryPointWindow(null, new Date(h(1)))).toEqual({ open: false, expiresAt: null });
  });
});

describe("engine: exact boundaries", () => {
  it("a template delivered exactly 24h after its category's conversation opened opens a new one", () => {
    const events = [tpl(0, "a", "marketing"), st(0, "a"), tpl(24, "b", "marketing"), st(24, "b")];
    expect(convs(events, 30)).toEqual([
      ["marketing", 0, 24, null],
      ["marketing", 24, 48, null],
    ]);
  });

  it("one millisecond earlier it opens nothing (conversations never extend)", () => {
    const events = [tpl(0, "a", "marketing"), st(0, "a"), tpl(23, "b", "marketing"), st(24 - 1 / H, "b")];
    expect(convs(events, 30)).toEqual([["marketing", 0, 24, null]]);
  });

  it("a free-form message sent exactly 24h after the last inbound is rejected; 1 ms before, it is not", () => {
    const atBoundary = computeContactState([inbound(0, "in"), text(24, "o"), st(24, "o")], h(30));
    expect(atBoundary.rejected).toEqual(["o"]);
    expect(atBoundary.conversations).toEqual([]);
    expect(atBoundary.messages).toEqual([]);
    const justBefore = computeContactState([inbound(0, "in"), text(24 - 1 / H, "o"), st(24, "o")], h(30));
    expect(justBefore.rejected).toEqual([]);
    expect(convs([inbound(0, "in"), text(24 - 1 / H, "o"), st(24, "o")], 30)).toEqual([
      ["service", 24, 48, null],
    ]);
  });

  it("a free-form message with no inbound at all is rejected even if a status claims delivery", () => {
    const s = computeContactState([text(1, "o"), st(2, "o")], h(3));
    expect(s.rejected).toEqual(["o"]);
    expect(s.conversations).toEqual([]);
    expect(s.freeText).toBe(false);
  });

  it("an FEP expiring at exactly 73 lets a delivery at 73 open a conversation; 1 ms before it does not", () => {
    const base = [inbound(0, "in", { source_type: "ad" }), text(1, "r"), st(1, "r")];
    expect(convs([...base, tpl(72, "m", "marketing"), st(73, "m")], 80)).toEqual([
      ["free_entry_point", 1, 73, null],
      ["marketing", 73, 97, null],
    ]);
    expect(convs([...base, tpl(72, "m", "marketing"), st(73 - 1 / H, "m")], 80)).toEqual([
      ["free_entry_point", 1, 73, null],
    ]);
  });

  it("a reply sent exactly 24h after the referral does not open an FEP; 1 ms earlier it does", () => {
    const ref = inbound(0, "in", { source_type: "ad" });
    expect(convs([ref, tpl(24, "m", "utility"), st(24, "m")], 30)).toEqual([["utility", 24, 48, null]]);
    expect(convs([ref, tpl(24 - 1 / H, "m", "utility"), st(24, "m")], 30)).toEqual([
      ["free_entry_point", 24, 96, null],
    ]);
  });

  it("events after now do not count; an event exactly at now does", () => {
    const events = [inbound(0, "in"), text(1, "o"), st(2, "o")];
    expect(computeContactState(events, h(2) - 1).conversations).toEqual([]);
    expect(computeContactState(events, h(2) - 1).pending).toEqual(["o"]);
    expect(convs(events, 2)).toEqual([["service", 2, 26, null]]);
    expect(computeContactState(events, h(0) - 1).csw).toEqual({ open: false, expiresAt: null });
  });
});

describe("engine: same-instant events", () => {
  it("an inbound and a free-form send at the same instant: the send is inside the window, in either input order", () => {
    for (const events of [
      [inbound(0, "in"), text(0, "o"), st(0, "o")],
      [text(0, "o"), st(0, "o"), inbound(0, "in")],
    ]) {
      const s = computeContactState(events, h(1));
      expect(s.rejected).toEqual([]);
      expect(convs(events, 1)).toEqual([["service", 0, 24, null]]);
    }
  });

  it("a template and a free-form reply delivered at the same instant open only the template's conversation", () => {
    const a = [inbound(0, "in"), text(1, "t"), tpl(1, "m", "marketing"), st(2, "t"), st(2, "m")];
    const b = [inbound(0, "in"), tpl(1, "m", "marketing"), text(1, "t"), st(2, "m"), st(2, "t")];
    expect(convs(a, 3)).toEqual([["marketing", 2, 26, null]]);
    expect(convs(b, 3)).toEqual([["marketing", 2, 26, null]]);
  });

  it("two templates of different categories at one instant open two conversations", () => {
    const events = [tpl(0, "m", "marketing"), tpl(0, "u", "utility"), st(0, "u"), st(0, "m")];
    expect(convs(events, 1)).toEqual([
      ["marketing", 0, 24, null],
      ["utility", 0, 24, null],
    ]);
  });

  it("an FEP-opening delivery and a template at the same instant: the FEP opens first, the template is inside it", () => {
    for (const events of [
      [inbound(0, "in", true), tpl(1, "m", "marketing"), text(1, "r"), st(2, "m"), st(2, "r")],
      [inbound(0, "in", true), text(1, "r"), tpl(1, "m", "marketing"), st(2, "r"), st(2, "m")],
    ]) {
      expect(convs(events, 3)).toEqual([["free_entry_point", 2, 74, null]]);
      const s = computeContactState(events, h(3));
      expect(s.messages.map((m) => m.type)).toEqual(["free_entry_point", "free_entry_point"]);
    }
  });

  it("a conversation expiring at the instant an FEP opens is not marked closed by it", () => {
    const events = [
      tpl(-24, "m", "marketing"),
      st(-23, "m"),
      inbound(0, "in", true),
      text(0.5, "r"),
      st(1, "r"),
    ];
    expect(convs(events, 2)).toEqual([
      ["marketing", -23, 1, null],
      ["free_entry_point", 1, 73, null],
    ]);
  });

  it("the FEP closes every open conversation at its opening instant", () => {
    const events = [
      tpl(0, "m", "marketing"),
      st(0, "m"),
      inbound(1, "in1"),
      text(2, "t"),
      st(2, "t"),
      tpl(3, "u", "utility"),
      st(3, "u"),
      inbound(4, "in2", { source_type: "post" }),
      text(5, "r"),
      st(6, "r"),
    ];
    expect(convs(events, 7)).toEqual([
      ["marketing", 0, 24, 6],
      ["utility", 3, 27, 6],
      ["free_entry_point", 6, 78, null],
    ]);
    expect(openCategoriesAt(computeContactState(events, h(7)).conversations, h(7))).toEqual([
      "free_entry_point",
    ]);
  });
});

describe("engine: delivery", () => {
  it("read without delivered counts as delivered at the read time", () => {
    expect(convs([tpl(0, "m", "utility"), st(0.5, "m", "sent"), st(3, "m", "read")], 4)).toEqual([
      ["utility", 3, 27, null],
    ]);
  });

  it("with both, the delivered time counts", () => {
    expect(convs([tpl(0, "m", "utility"), st(4, "m", "read"), st(2, "m", "delivered")], 5)).toEqual([
      ["utility", 2, 26, null],
    ]);
  });

  it("failed and never delivered opens and costs nothing", () => {
    const s = computeContactState(
      [inbound(0, "in"), text(1, "o"), st(1, "o", "sent"), st(2, "o", "failed")],
      h(3),
    );
    expect(s.conversations).toEqual([]);
    expect(s.messages).toEqual([]);
    expect(s.failed).toEqual(["o"]);
  });

  it("a delivered status after a failed one wins", () => {
    expect(convs([tpl(0, "m", "marketing"), st(1, "m", "failed"), st(2, "m")], 3)).toEqual([
      ["marketing", 2, 26, null],
    ]);
  });

  it("sent-only messages are pending and open nothing yet", () => {
    const s = computeContactState([tpl(0, "m", "marketing"), st(0, "m", "sent")], h(1));
    expect(s.pending).toEqual(["m"]);
    expect(s.conversations).toEqual([]);
  });

  it("opens at delivery, not at send: a referral reply sent at 23 and delivered at 25 opens the FEP at 25", () => {
    expect(convs([inbound(0, "in", true), text(23, "r"), st(25, "r")], 26)).toEqual([
      ["free_entry_point", 25, 97, null],
    ]);
  });

  it("a status stamped before its message is clamped to the send time", () => {
    expect(convs([tpl(2, "m", "marketing"), st(1, "m")], 3)).toEqual([["marketing", 2, 26, null]]);
  });

  it("statuses listed before their message and shuffled input give the same result as sorted input", () => {
    const sorted = [inbound(0, "in"), text(1, "o"), st(1.5, "o"), tpl(2, "u", "utility"), st(2.5, "u")];
    const shuffled = [st(2.5, "u"), st(1.5, "o"), tpl(2, "u", "utility"), text(1, "o"), inbound(0, "in")];
    expect(computeContactState(shuffled, h(3))).toEqual(computeContactState(sorted, h(3)));
    expect(convs(sorted, 3)).toEqual([
      ["service", 1.5, 25.5, null],
      ["utility", 2.5, 26.5, null],
    ]);
  });

  it("duplicate events (webhook retries) count once", () => {
    const events = [inbound(0, "in"), inbound(0, "in"), text(1, "o"), text(1, "o"), st(1, "o"), st(1, "o")];
    const s = computeContactState(events, h(2));
    expect(s.messages.map((m) => m.id)).toEqual(["o"]);
    expect(s.conversations).toHaveLength(1);
  });
});

describe("engine: conversation rules", () => {
  it("a free-form reply inside an open marketing conversation opens nothing", () => {
    expect(
      convs([tpl(0, "m", "marketing"), st(0, "m"), inbound(1, "in"), text(2, "o"), st(2, "o")], 3),
    ).toEqual([["marketing", 0, 24, null]]);
  });

  it("nothing but another FEP's expiry lets anything open inside an FEP", () => {
    const events = [
      inbound(0, "in", { source_type: "ad" }),
      text(1, "r"),
      st(1, "r"),
      tpl(2, "u", "utility"),
      st(2, "u"),
      tpl(3, "a", "authentication"),
      st(3, "a"),
      inbound(20, "in2"),
      text(21, "t"),
      st(21, "t"),
      tpl(50, "m", "marketing"),
      st(50, "m"),
    ];
    expect(convs(events, 60)).toEqual([["free_entry_point", 1, 73, null]]);
  });

  it("a reply to a referral after a later non-referral inbound still qualifies only within 24h of the referral", () => {
    const events = [inbound(0, "ad", true), inbound(10, "in2"), text(30, "o"), st(30, "o")];
    expect(convs(events, 31)).toEqual([["service", 30, 54, null]]);
  });

  it("a new referral after the FEP ended can open another FEP", () => {
    const events = [
      inbound(0, "ad1", true),
      text(1, "r1"),
      st(1, "r1"),
      inbound(100, "ad2", true),
      tpl(101, "r2", "marketing"),
      st(101, "r2"),
    ];
    expect(convs(events, 102)).toEqual([
      ["free_entry_point", 1, 73, null],
      ["free_entry_point", 101, 173, null],
    ]);
  });

  it("template categories are normalised (case, variants, unknown → marketing)", () => {
    expect(
      ["MARKETING", "marketing_lite", "UTILITY", "authentication_international", "", undefined, "odd"].map(
        normalizeTemplateCategory,
      ),
    ).toEqual(["marketing", "marketing", "utility", "authentication", "marketing", "marketing", "marketing"]);
    const s = computeContactState([tpl(0, "m", "MARKETING_LITE"), st(0, "m")], h(1));
    expect(s.conversations[0].category).toBe("marketing");
    expect(s.messages[0]).toMatchObject({ category: "marketing", pricingCategory: "marketing_lite" });
  });

  it("non-template kinds (image, interactive…) are free-form", () => {
    const s = computeContactState(
      [inbound(0, "in"), { type: "outbound", at: h(1), id: "i", kind: "image" }],
      h(30),
    );
    expect(s.rejected).toEqual([]);
    const late = computeContactState(
      [inbound(0, "in"), { type: "outbound", at: h(25), id: "i", kind: "image" }],
      h(30),
    );
    expect(late.rejected).toEqual(["i"]);
  });
});

describe("engine: PMP verdicts", () => {
  const types = (events: EngineEvent[], now: number) =>
    computeContactState(events, h(now)).messages.map((m) => [m.id, m.category, m.type]);

  it("utility inside the CSW is free, marketing and authentication inside it are billed, free-form is free", () => {
    const events = [
      inbound(0, "in"),
      tpl(1, "u", "utility"),
      st(1, "u"),
      tpl(2, "m", "marketing"),
      st(2, "m"),
      tpl(3, "a", "authentication"),
      st(3, "a"),
      text(4, "t"),
      st(4, "t"),
    ];
    expect(types(events, 5)).toEqual([
      ["u", "utility", "free_customer_service"],
      ["m", "marketing", "regular"],
      ["a", "authentication", "regular"],
      ["t", "service", "free_customer_service"],
    ]);
  });

  it("utility outside the CSW is billed; the CSW is judged at delivery", () => {
    expect(types([tpl(0, "u", "utility"), st(0, "u")], 1)).toEqual([["u", "utility", "regular"]]);
    expect(types([inbound(0, "in"), tpl(23, "u", "utility"), st(24, "u")], 25)).toEqual([
      ["u", "utility", "regular"],
    ]);
  });

  it("everything delivered in an FEP is free_entry_point; failed messages are not listed", () => {
    const events = [
      inbound(0, "in", true),
      text(1, "r"),
      st(1, "r"),
      tpl(30, "m", "marketing"),
      st(30, "m"),
      tpl(31, "a", "authentication"),
      st(31, "a", "failed"),
    ];
    expect(types(events, 40)).toEqual([
      ["r", "service", "free_entry_point"],
      ["m", "marketing", "free_entry_point"],
    ]);
  });
});

describe("previewOutbound", () => {
  it("says what a send now would open", () => {
    const events = [inbound(0, "in"), text(1, "o"), st(1, "o")];
    expect(previewOutbound(events, h(2), { kind: "text" })).toEqual({
      allowed: true,
      opens: null,
      pmpType: "free_customer_service",
      category: "service",
    });
    expect(previewOutbound(events, h(2), { kind: "template", category: "utility" })).toEqual({
      allowed: true,
      opens: "utility",
      pmpType: "free_customer_service",
      category: "utility",
    });
    expect(previewOutbound([], h(2), { kind: "text" })).toEqual({
      allowed: false,
      reason: "window_closed",
      closedAt: null,
    });
  });
});
