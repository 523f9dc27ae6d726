import { describe, expect, it } from "vitest";
import { getDictionary, translator } from "@/lib/i18n/translate";
import { formatClock, formatMicros } from "@/lib/ui-format/money";
import { type PickerPriceInput, pickerPrice } from "@/lib/ui-format/picker-price";

const en = translator(getDictionary("en"));
const pt = translator(getDictionary("pt-BR"));
const now = new Date("2025-11-25T15:00:00Z"); // 12:00 in São Paulo
const H = 3600_000;
const iso = (ms: number) => new Date(now.getTime() + ms).toISOString();

function input(over: Partial<PickerPriceInput> = {}): PickerPriceInput {
  return {
    category: "MARKETING",
    model: "cbp",
    priceMicros: 62_500,
    currency: "USD",
    fepExpiresAt: null,
    cswExpiresAt: null,
    openConversations: [],
    now,
    locale: "en",
    timeZone: "America/Sao_Paulo",
    ...over,
  };
}

describe("pickerPrice — what sending this template now costs (CBP)", () => {
  it("opens a conversation of the template's category at the table price", () => {
    expect(pickerPrice(input(), en)).toEqual({
      kind: "opens",
      text: "opens a marketing conversation: US$0.0625",
      micros: 62_500,
    });
    expect(pickerPrice(input({ category: "UTILITY", priceMicros: 8_000 }), en).text).toBe(
      "opens a utility conversation: US$0.0080",
    );
    expect(pickerPrice(input({ category: "authentication", priceMicros: 31_500 }), en).text).toBe(
      "opens an authentication conversation: US$0.0315",
    );
  });

  it("is free inside an open free entry point, whatever the category (rules §2)", () => {
    const p = pickerPrice(input({ fepExpiresAt: iso(30 * H), cswExpiresAt: iso(-H) }), en);
    expect(p).toEqual({ kind: "free_fep", text: "free — inside the free entry point window", micros: 0 });
  });

  it("charges again once the FEP has ended", () => {
    expect(pickerPrice(input({ fepExpiresAt: iso(0) }), en).kind).toBe("opens");
  });

  it("costs nothing new while a conversation of the same category is open, and says until when (local time)", () => {
    const p = pickerPrice(
      input({
        openConversations: [{ category: "marketing", expiresAt: iso(2.5 * H + 32 * 60_000 - 30 * 60_000) }],
      }),
      en,
    );
    expect(p.kind).toBe("no_new_charge");
    expect(p.text).toBe("no new charge — a marketing conversation is open until 14:32");
    expect(p.micros).toBe(0);
  });

  it("picks the latest-ending open conversation of the category", () => {
    const p = pickerPrice(
      input({
        openConversations: [
          { category: "marketing", expiresAt: iso(H) },
          { category: "marketing", expiresAt: iso(3 * H) },
        ],
      }),
      en,
    );
    expect(p.text).toContain("until 15:00");
  });

  it("is a new charge when only other categories, expired or closed conversations are open", () => {
    const other = input({ openConversations: [{ category: "utility", expiresAt: iso(H) }] });
    expect(pickerPrice(other, en).kind).toBe("opens");
    const expired = input({ openConversations: [{ category: "marketing", expiresAt: iso(0) }] });
    expect(pickerPrice(expired, en).kind).toBe("opens");
    const closed = input({
      openConversations: [{ category: "marketing", expiresAt: iso(10 * H), closedAt: iso(-H) }],
    });
    expect(pickerPrice(closed, en).kind).toBe("opens");
    // A service conversation does not cover a template (rules §2, seed's second "multiple conversations" case).
    const service = input({
      category: "UTILITY",
      openConversations: [{ category: "service", expiresAt: iso(H) }],
    });
    expect(pickerPrice(service, en).kind).toBe("opens");
  });

  it("names the date when the open conversation ends on another day", () => {
    const p = pickerPrice(
      input({ openConversations: [{ category: "marketing", expiresAt: iso(20 * H) }] }),
      en,
    );
    expect(p.text).toBe("no new charge — a marketing conversation is open until Nov 26, 08:00");
  });

  it("says free when the price table makes the category free", () => {
    expect(pickerPrice(input({ category: "UTILITY", priceMicros: 0 }), en).text).toBe(
      "opens a utility conversation: free",
    );
  });

  it("speaks Brazilian Portuguese with Brazilian number formatting", () => {
    expect(pickerPrice(input({ locale: "pt-BR" }), pt).text).toBe(
      "abre uma conversa de marketing: US$ 0,0625",
    );
    expect(pickerPrice(input({ locale: "pt-BR", fepExpiresAt: iso(H) }), pt).text).toBe(
      "grátis — dentro da janela do ponto de entrada gratuito",
    );
  });
});

describe("pickerPrice — per-message pricing (PMP, from July 2025)", () => {
  it("charges each template, utility inside an open CSW is free, FEP makes all free", () => {
    const pmp = (over: Partial<PickerPriceInput>) => pickerPrice(input({ model: "pmp", ...over }), en);
    expect(pmp({}).text).toBe("charged per message: US$0.0625");
    expect(pmp({ category: "UTILITY", priceMicros: 8_000, cswExpiresAt: iso(H) }).kind).toBe(
      "free_utility_in_csw",
    );
    expect(pmp({ category: "UTILITY", priceMicros: 8_000, cswExpiresAt: iso(-H) }).text).toBe(
      "charged per message: US$0.0080",
    );
    expect(pmp({ cswExpiresAt: iso(H) }).kind).toBe("per_message");
    expect(pmp({ fepExpiresAt: iso(H) }).kind).toBe("free_fep");
  });
});

describe("formatMicros / formatClock", () => {
  it.each([
    [62_500, "USD", "en", "US$0.0625"],
    [8_000, "USD", "en", "US$0.0080"],
    [0, "USD", "en", "US$0.00"],
    [1_500_000, "USD", "en", "US$1.50"],
    [62_500, "USD", "pt-BR", "US$ 0,0625"],
    [2_500_000, "BRL", "pt-BR", "R$ 2,50"],
    [12_345, "EUR", "en", "EUR 0.012345"],
  ] as const)("%d micros %s in %s → %s", (micros, currency, locale, text) => {
    expect(formatMicros(micros, currency, locale)).toBe(text);
  });

  it("uses a 24-hour clock in the given time zone", () => {
    expect(formatClock("2025-11-25T17:32:00Z", now, "en", "America/Sao_Paulo")).toBe("14:32");
    expect(formatClock("2025-11-25T17:32:00Z", now, "en", "UTC")).toBe("17:32");
  });
});
