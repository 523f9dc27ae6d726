import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatMoney, microsToDecimal, parseMoneyToMicros, shareBps } from "../../components/costs/money";

describe("money from integer micros", () => {
  it.each([
    [62500, "US$0.0625"],
    [8000, "US$0.0080"],
    [31500, "US$0.0315"],
    [0, "US$0.00"],
    [1, "US$0.000001"],
    [1_000_000, "US$1.00"],
    [1_234_500_000, "US$1,234.50"],
    [12_345_678_901, "US$12,345.678901"],
    [-62500, "-US$0.0625"],
  ])("formats %i as %s", (micros, text) => {
    expect(formatMoney(micros)).toBe(text);
  });

  it("names other currencies", () => {
    expect(formatMoney(1_500_000, "BRL")).toBe("R$1.50");
    expect(formatMoney(1_500_000, "XYZ")).toBe("XYZ 1.50");
  });

  it("writes exact decimals for CSV, even past 2^53 micros", () => {
    expect(microsToDecimal(62500)).toBe("0.062500");
    expect(microsToDecimal(0)).toBe("0.000000");
    expect(microsToDecimal(9_007_199_254_740_993n)).toBe("9007199254.740993");
  });

  it("parses typed amounts without floats", () => {
    expect(parseMoneyToMicros("0.0625")).toBe(62500);
    expect(parseMoneyToMicros(" US$0.008 ")).toBe(8000);
    expect(parseMoneyToMicros("$1")).toBe(1_000_000);
    expect(parseMoneyToMicros("0.1")).toBe(100_000); // 0.1 is not exact in binary; micros are
    expect(parseMoneyToMicros("3.")).toBe(3_000_000);
    for (const bad of ["", "-1", "1,25", "0.0000001", "abc", "1e3", "0x10"])
      expect(parseMoneyToMicros(bad)).toBeNull();
  });

  it("round-trips every amount through its decimal form", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_999_999 }), (m) => {
        expect(parseMoneyToMicros(microsToDecimal(m))).toBe(m);
      }),
    );
  });

  it("gives shares in basis points", () => {
    expect(shareBps(1, 3)).toBe(3333);
    expect(shareBps(5, 0)).toBe(0);
    expect(shareBps(62500, 62500)).toBe(10_000);
  });
});

describe("estimates", () => {
  it("round to cents from one unit up, else to 4 decimals", () => {
    expect(formatMoney(76_064, "USD", { estimate: true })).toBe("US$0.0761");
    expect(formatMoney(1_234_567_891, "USD", { estimate: true })).toBe("US$1,234.57");
    expect(formatMoney(1_005_000, "USD", { estimate: true })).toBe("US$1.01");
    expect(formatMoney(-76_064, "USD", { estimate: true })).toBe("-US$0.0761");
  });
});
