/** Price lookup, CBP costing with the monthly free tier, and PMP per-message costing. */
import { describe, expect, it } from "vitest";
import { priceConversations, utcMonthKey } from "../../lib/pricing/cbp";
import { priceMessages } from "../../lib/pricing/pmp";
import {
  basePricedCategory,
  DEFAULT_RATES,
  type PriceQuery,
  type PriceRow,
  priceFor,
  priceFromRates,
  ratesSchema,
  rowsFromRates,
} from "../../lib/pricing/rates";

const d = (s: string) => Date.parse(s);

describe("rates", () => {
  it("defaults to the seed article's prices", () => {
    expect(DEFAULT_RATES).toEqual({
      currency: "USD",
      micros: { marketing: 62500, utility: 8000, authentication: 31500, service: 0 },
      freeServicePerMonth: 1000,
    });
  });

  it("ratesSchema accepts the defaults and rejects negative or fractional micros and missing categories", () => {
    expect(ratesSchema.safeParse(DEFAULT_RATES).success).toBe(true);
    expect(
      ratesSchema.safeParse({ ...DEFAULT_RATES, micros: { ...DEFAULT_RATES.micros, utility: -1 } }).success,
    ).toBe(false);
    expect(
      ratesSchema.safeParse({ ...DEFAULT_RATES, micros: { ...DEFAULT_RATES.micros, utility: 0.5 } }).success,
    ).toBe(false);
    expect(ratesSchema.safeParse({ ...DEFAULT_RATES, micros: { marketing: 1 } }).success).toBe(false);
  });

  it("priceFromRates prices variants as their base and the free entry point as 0", () => {
    const p = priceFromRates(DEFAULT_RATES);
    expect(
      [
        "marketing",
        "marketing_lite",
        "UTILITY",
        "authentication_international",
        "service",
        "free_entry_point",
        "referral_conversion",
      ].map((c) => p(c)),
    ).toEqual([62500, 62500, 8000, 31500, 0, 0, 0]);
  });

  it("basePricedCategory folds legacy names", () => {
    expect(
      ["user_initiated", "customer_initiated", "business_initiated", "weird"].map(basePricedCategory),
    ).toEqual(["service", "service", "marketing", "marketing"]);
  });
});

describe("priceFor", () => {
  const row = (r: Partial<PriceRow> & Pick<PriceRow, "category" | "micros">): PriceRow => ({
    market: null,
    effectiveFrom: 0,
    tierFromVolume: 0,
    model: "cbp",
    ...r,
  });
  const table: PriceRow[] = [
    row({ category: "marketing", micros: 60000 }),
    row({ category: "marketing", micros: 70000, effectiveFrom: d("2026-01-01T00:00:00Z") }),
    row({ category: "marketing", market: "55", micros: 62500 }),
    row({ category: "marketing", market: "5511", micros: 61000 }),
    row({ category: "marketing", market: "55", micros: 64000, effectiveFrom: d("2026-06-01T00:00:00Z") }),
    row({ category: "utility", market: null, micros: 8000, model: "pmp" }),
    row({ category: "utility", market: null, micros: 6000, model: "pmp", tierFromVolume: 1000 }),
    row({ category: "utility", market: null, micros: 4000, model: "pmp", tierFromVolume: 10000 }),
    row({ category: "marketing_lite", market: null, micros: 20000, model: "pmp" }),
    row({ category: "service", micros: -5 }),
  ];
  const q = (over: Partial<PriceQuery>) =>
    priceFor(table, {
      model: "cbp",
      category: "marketing",
      waId: "4915112345678",
      at: d("2026-03-01T00:00:00Z"),
      ...over,
    });

  it.each<{ name: string; over: Partial<PriceQuery>; micros: number }>([
    { name: "global row, latest effective before at", over: {}, micros: 70000 },
    { name: "global row before the 2026 change", over: { at: d("2025-12-31T23:59:59Z") }, micros: 60000 },
    { name: "market prefix beats a newer global row", over: { waId: "5521999990000" }, micros: 62500 },
    { name: "longest market prefix wins", over: { waId: "5511999990000" }, micros: 61000 },
    { name: "'+' in wa_id is ignored", over: { waId: "+55 21 99999-0000" }, micros: 62500 },
    {
      name: "newer row of the same market once effective",
      over: { waId: "5521999990000", at: d("2026-06-01T00:00:00Z") },
      micros: 64000,
    },
    { name: "PMP tier 0", over: { model: "pmp", category: "utility", monthlyVolume: 999 }, micros: 8000 },
    {
      name: "PMP tier from 1,000",
      over: { model: "pmp", category: "utility", monthlyVolume: 1000 },
      micros: 6000,
    },
    { name: "PMP top tier", over: { model: "pmp", category: "utility", monthlyVolume: 50000 }, micros: 4000 },
    { name: "variant with its own row", over: { model: "pmp", category: "marketing_lite" }, micros: 20000 },
    { name: "variant without a row → base row", over: { category: "marketing_lite" }, micros: 70000 },
    {
      name: "authentication_international, no rows → default authentication",
      over: { category: "authentication_international" },
      micros: 31500,
    },
    { name: "no row for the model → default", over: { model: "pmp", category: "marketing" }, micros: 62500 },
    { name: "free entry point is always 0", over: { category: "free_entry_point" }, micros: 0 },
    { name: "negative row is clamped to 0", over: { category: "service" }, micros: 0 },
    { name: "before any row → default", over: { at: -1 }, micros: 62500 },
  ])("$name", ({ over, micros }) => {
    expect(q(over)).toBe(micros);
  });

  it("rowsFromRates round-trips a rate card", () => {
    const rates = { ...DEFAULT_RATES, micros: { marketing: 1, utility: 2, authentication: 3, service: 4 } };
    const t = rowsFromRates(rates, "pmp");
    expect(
      ["marketing", "utility", "authentication", "service"].map((category) =>
        priceFor(t, { model: "pmp", category, waId: "1", at: 0 }),
      ),
    ).toEqual([1, 2, 3, 4]);
  });
});

describe("priceConversations (CBP)", () => {
  const service = (openedAt: number, accountId = "a", waId = "5511") => ({
    category: "service",
    openedAt,
    accountId,
    waId,
  });
  const paidService = priceFromRates({
    ...DEFAULT_RATES,
    micros: { ...DEFAULT_RATES.micros, service: 5000 },
  });

  it("the first 1,000 service conversations of a UTC month are free, the 1,001st is billed, and the tier resets next month", () => {
    const march = d("2026-03-01T00:00:00Z");
    const convs = [
      ...Array.from({ length: 1001 }, (_, i) => service(march + i * 1000, "a", `55${i}`)),
      service(d("2026-03-31T23:59:59.999Z")),
      service(d("2026-04-01T00:00:00Z")),
    ];
    const priced = priceConversations(convs, paidService, 1000);
    expect(priced.slice(0, 1000).every((c) => c.costMicros === 0 && c.freeReason === "free_tier")).toBe(true);
    expect(priced[1000]).toMatchObject({ costMicros: 5000, freeReason: null });
    expect(priced[1001]).toMatchObject({ costMicros: 5000, freeReason: null });
    expect(priced[1002]).toMatchObject({ costMicros: 0, freeReason: "free_tier" });
    expect(priced.reduce((s, c) => s + c.costMicros, 0)).toBe(10000);
  });

  it("counts the free tier per account, in openedAt order whatever the input order (ties in input order)", () => {
    const priced = priceConversations(
      [service(3, "a", "x"), service(1, "b"), service(2, "a", "y"), service(2, "a", "z")],
      paidService,
      1,
    );
    expect(priced.map((c) => [c.accountId, c.waId, c.costMicros, c.freeReason])).toEqual([
      ["a", "x", 5000, null],
      ["b", "5511", 0, "free_tier"],
      ["a", "y", 0, "free_tier"],
      ["a", "z", 5000, null],
    ]);
  });

  it("templates are never in the free tier; the FEP is free; a zero price is free_price", () => {
    const priced = priceConversations(
      [
        { category: "marketing", openedAt: 1, accountId: "a", waId: "1" },
        { category: "free_entry_point", openedAt: 2, accountId: "a", waId: "1" },
        service(3),
        service(4),
      ],
      priceFromRates(DEFAULT_RATES),
      1,
    );
    expect(priced.map((c) => [c.costMicros, c.freeReason])).toEqual([
      [62500, null],
      [0, "free_entry_point"],
      [0, "free_tier"],
      [0, "free_price"],
    ]);
  });

  it("never negative, always integer; Date openedAt works", () => {
    const priced = priceConversations(
      [
        { category: "marketing", openedAt: new Date(0), accountId: "a", waId: "1" },
        { category: "utility", openedAt: 1, accountId: "a", waId: "1" },
      ],
      (c) => (c === "marketing" ? -100 : 10.6),
      0,
    );
    expect(priced.map((c) => c.costMicros)).toEqual([0, 11]);
  });

  it("utcMonthKey uses UTC", () => {
    expect(utcMonthKey(d("2026-03-31T23:59:59.999Z"))).toBe("2026-03");
    expect(utcMonthKey(d("2026-04-01T00:00:00.000Z"))).toBe("2026-04");
    expect(utcMonthKey(d("2026-03-31T22:00:00-03:00"))).toBe("2026-04");
  });
});

describe("priceMessages (PMP)", () => {
  const msg = (
    type: "regular" | "free_customer_service" | "free_entry_point",
    category: string,
    deliveredAt = 0,
  ) => ({
    type,
    category,
    deliveredAt,
    waId: "5511",
    accountId: "a",
  });

  it("bills only regular messages, by category", () => {
    const priced = priceMessages(
      [
        msg("regular", "marketing"),
        msg("free_customer_service", "utility"),
        msg("free_customer_service", "service"),
        msg("free_entry_point", "marketing"),
        msg("regular", "authentication"),
        msg("regular", "utility"),
      ],
      priceFromRates(DEFAULT_RATES),
    );
    expect(priced.map((m) => m.costMicros)).toEqual([62500, 0, 0, 0, 31500, 8000]);
  });

  it("passes the monthly volume so far (per account, category, UTC month) for tiers", () => {
    const seen: number[] = [];
    const march = d("2026-03-10T00:00:00Z");
    const april = d("2026-04-01T00:00:00Z");
    priceMessages(
      [
        msg("regular", "utility", march + 2),
        msg("regular", "utility", march + 1),
        msg("regular", "marketing", march + 3),
        msg("free_customer_service", "utility", march + 4),
        msg("regular", "utility", april),
        { ...msg("regular", "utility", march + 5), accountId: "b" },
      ],
      (category, _at, _wa, volume) => {
        seen.push(volume);
        return category === "utility" ? 1 : 2;
      },
    );
    expect(seen).toEqual([0, 1, 0, 0, 0]);
  });
});
