import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatWaId, isWaId, normalizePhone } from "@/lib/phone";

describe("normalizePhone", () => {
  it.each([
    ["+55 (11) 98765-4321", "5511987654321"],
    ["+1 415 555 0100", "14155550100"],
    ["5511987654321", "5511987654321"],
    ["  +44 20 7946 0958  ", "442079460958"],
    ["+49.30.123456", "4930123456"],
    ["+351 912\u00a0345\u00a0678", "351912345678"],
    ["+7 (495) 123–45–67", "74951234567"],
    ["12345678", "12345678"],
    ["123456789012345", "123456789012345"],
  ])("%s → %s", (input, waId) => {
    expect(normalizePhone(input)).toEqual({ ok: true, waId });
  });

  it.each([
    ["", "empty"],
    ["   ", "empty"],
    ["+", "invalid_characters"],
    ["call me", "invalid_characters"],
    ["+55 11 9876x4321", "invalid_characters"],
    ["+55 11 98765-4321 ext 2", "invalid_characters"],
    ["55+11987654321", "misplaced_plus"],
    ["++5511987654321", "misplaced_plus"],
    ["011 98765 4321", "leading_zero"],
    ["0055 11 98765 4321", "leading_zero"],
    ["+0 555 123 4567", "leading_zero"],
    ["+55 1234", "too_short"],
    ["1234567", "too_short"],
    ["1234567890123456", "too_long"],
  ])("%j is refused (%s)", (input, reason) => {
    const r = normalizePhone(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe(reason);
      expect(r.message.length).toBeGreaterThan(10);
      expect(r.input).toBe(input);
    }
  });

  it("explains how to fix a 00 exit prefix", () => {
    const r = normalizePhone("0044 20 7946 0958");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/Replace the leading 00 with \+/);
  });

  it("treats null and undefined as empty", () => {
    expect(normalizePhone(undefined)).toMatchObject({ ok: false, reason: "empty" });
    expect(normalizePhone(null)).toMatchObject({ ok: false, reason: "empty" });
  });

  it("every accepted number is a wa_id, and formatting it normalises back to itself", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (s) => {
        const r = normalizePhone(s);
        if (!r.ok) return;
        expect(isWaId(r.waId)).toBe(true);
        expect(normalizePhone(formatWaId(r.waId))).toEqual(r);
      }),
    );
  });

  it("separators never change the digits", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[1-9]\d{7,14}$/),
        fc.array(fc.constantFrom(" ", "-", ".", "(", ")"), { maxLength: 5 }),
        (digits, seps) => {
          let typed = digits;
          for (const [i, sep] of seps.entries()) {
            const at = 1 + ((i * 3) % (typed.length - 1));
            typed = typed.slice(0, at) + sep + typed.slice(at);
          }
          expect(normalizePhone(`+${typed}`)).toEqual({ ok: true, waId: digits });
        },
      ),
    );
  });
});

describe("isWaId", () => {
  it("accepts only normalised numbers", () => {
    expect(isWaId("5511987654321")).toBe(true);
    expect(isWaId("+5511987654321")).toBe(false);
    expect(isWaId("05511987654321")).toBe(false);
    expect(isWaId("1234567")).toBe(false);
    expect(isWaId("1234567890123456")).toBe(false);
  });
});
