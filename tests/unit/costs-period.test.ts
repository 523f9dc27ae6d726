import { describe, expect, it } from "vitest";
import {
  costsHref,
  MAX_PERIOD_DAYS,
  paramsToQuery,
  parseCostsParams,
  periodTitle,
  shiftedQuery,
} from "../../components/costs/period";

const now = new Date("2026-11-25T14:00:00Z"); // a Wednesday
const iso = (d: Date) => d.toISOString();

function ok(raw: Record<string, string>) {
  const r = parseCostsParams(raw, now);
  if (!r.ok) throw new Error(r.error);
  return r.params;
}

describe("costs period parameters (UTC)", () => {
  it("defaults to this UTC month", () => {
    const p = ok({});
    expect([iso(p.from), iso(p.to), p.period, p.label]).toEqual([
      "2026-11-01T00:00:00.000Z",
      "2026-12-01T00:00:00.000Z",
      "month",
      "2026-11",
    ]);
    expect(periodTitle(p)).toBe("November 2026");
  });

  it("reads days, ISO weeks (Monday first) and inclusive custom ranges", () => {
    expect(iso(ok({ period: "day", date: "2026-02-28" }).to)).toBe("2026-03-01T00:00:00.000Z");
    const week = ok({ period: "week", date: "2026-11-29" }); // a Sunday
    expect([iso(week.from), iso(week.to)]).toEqual(["2026-11-23T00:00:00.000Z", "2026-11-30T00:00:00.000Z"]);
    const custom = ok({ period: "custom", from: "2026-10-15", to: "2026-10-15" });
    expect([iso(custom.from), iso(custom.to)]).toEqual([
      "2026-10-15T00:00:00.000Z",
      "2026-10-16T00:00:00.000Z",
    ]);
    expect(ok({ period: "month", date: "2026-12" }).to.toISOString()).toBe("2027-01-01T00:00:00.000Z");
  });

  it.each([
    [{ period: "year" }, "period"],
    [{ period: "month", date: "2026-13" }, "date"],
    [{ period: "day", date: "2026-02-30" }, "date"],
    [{ period: "custom", from: "2026-10-15" }, "to"],
    [{ period: "custom", from: "2026-10-15", to: "2026-10-01" }, "to"],
    [{ period: "custom", from: "2024-01-01", to: "2026-01-01" }, "to"],
    [{ inbox: "1; drop table" }, "inbox"],
    [{ agent: "someone" }, "agent"],
    [{ category: "spam" }, "category"],
    [{ model: "per-message" }, "model"],
  ])("refuses %o (field %s) with a sentence", (raw, field) => {
    const r = parseCostsParams(raw as Record<string, string>, now);
    expect(r).toMatchObject({ ok: false, field });
    expect((r as { error: string }).error.length).toBeGreaterThan(10);
  });

  it("limits custom periods to a year", () => {
    expect(MAX_PERIOD_DAYS).toBe(366);
    expect(parseCostsParams({ period: "custom", from: "2026-01-01", to: "2026-12-31" }, now).ok).toBe(true);
  });

  it("accepts filters and the agent 'none'", () => {
    const p = ok({
      inbox: "0b8f5d9e-2c55-4a57-9a43-6f1a3e1b2c3d",
      agent: "none",
      category: "free_entry_point",
      model: "pmp",
    });
    expect(p).toMatchObject({ agentId: "none", category: "free_entry_point", model: "pmp" });
  });

  it("moves to the previous and next period, keeping filters", () => {
    const p = ok({ period: "month", date: "2026-01", category: "marketing" });
    expect(shiftedQuery(p, -1)).toMatchObject({ date: "2025-12", category: "marketing" });
    expect(shiftedQuery(ok({ period: "week", date: "2026-11-25" }), 1).date).toBe("2026-11-30");
    expect(shiftedQuery(ok({ period: "custom", from: "2026-10-01", to: "2026-10-10" }), 1)).toMatchObject({
      from: "2026-10-11",
      to: "2026-10-20",
    });
  });

  it("writes parameters back that parse to the same period", () => {
    const cases: Record<string, string>[] = [
      { period: "week", date: "2026-11-25" },
      { period: "custom", from: "2026-10-01", to: "2026-10-10" },
    ];
    for (const raw of cases) {
      const p = ok(raw);
      const href = costsHref(paramsToQuery(p), {});
      const again = ok(Object.fromEntries(new URL(href, "http://x").searchParams));
      expect([iso(again.from), iso(again.to)]).toEqual([iso(p.from), iso(p.to)]);
    }
    expect(costsHref({ period: "month", date: "2026-11" }, { date: null, inbox: "" })).toBe(
      "/costs?period=month",
    );
  });
});
