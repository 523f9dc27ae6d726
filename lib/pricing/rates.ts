/**
 * Rates and price lookup. Money is integer micro-units of `currency` (1 USD = 1,000,000 micros),
 * per conversation (CBP) or per delivered message (PMP). Pure: no clock, no I/O.
 */
import { z } from "zod";
import { PRICED_CATEGORIES, PRICING_MODELS, type PricedCategory, type PricingModel } from "../domain";

/** A flat rate card: micros per category, and the monthly free service conversations per account. */
export type Rates = {
  currency: string;
  micros: Record<"marketing" | "utility" | "authentication" | "service", number>;
  freeServicePerMonth: number;
};

/** The seed article's prices (June 2023): US$ 0.0625 / 0.0080 / 0.0315 / 0, 1,000 free service conversations. */
export const DEFAULT_RATES: Rates = {
  currency: "USD",
  micros: { marketing: 62500, utility: 8000, authentication: 31500, service: 0 },
  freeServicePerMonth: 1000,
};

const microsSchema = z.number().int("must be an integer number of micros").min(0, "must not be negative");

/** Validates a RATES.json document (all four categories required; integer, non-negative micros). */
export const ratesSchema = z.object({
  currency: z.string().min(1),
  micros: z.object({
    marketing: microsSchema,
    utility: microsSchema,
    authentication: microsSchema,
    service: microsSchema,
  }),
  freeServicePerMonth: z.number().int().min(0),
});

/** One row of the workspace's price table (`prices`). Times epoch ms. */
export type PriceRow = {
  /** Category as Meta names it: marketing, utility, authentication, service, or a variant like marketing_lite. */
  category: string;
  /** Country calling-code prefix of the customer's wa_id ("55", "1"), or null for every market. */
  market: string | null;
  micros: number;
  effectiveFrom: number;
  /** PMP volume tier: the row applies from this many messages in the month on (0 = from the first). */
  tierFromVolume: number;
  model: PricingModel;
};
export type PriceTable = readonly PriceRow[];

export type PriceQuery = {
  model: PricingModel;
  category: string;
  /** The customer's WhatsApp id (digits of the phone number, `+` allowed). */
  waId: string;
  /** The instant being priced (conversation opening / message delivery), epoch ms. */
  at: number;
  /** Messages of this category already billed this month in this market (PMP tiers); default 0. */
  monthlyVolume?: number;
};

/** Categories that never cost anything: the free entry point and Meta's name for it. */
export function isFreeCategory(category: string): boolean {
  const c = category.toLowerCase();
  return c === "free_entry_point" || c === "referral_conversion";
}

/**
 * The priced category a (possibly variant or legacy) category falls back to:
 * `marketing_lite`→marketing, `authentication_international`→authentication,
 * `user_initiated`/`customer_initiated`→service, `business_initiated`→marketing, anything
 * unknown → marketing (the dearest, so an unknown category is never priced as free).
 */
export function basePricedCategory(category: string): PricedCategory {
  const c = category.toLowerCase();
  if ((PRICED_CATEGORIES as readonly string[]).includes(c)) return c as PricedCategory;
  if (c.startsWith("authentication")) return "authentication";
  if (c.startsWith("utility")) return "utility";
  if (c === "user_initiated" || c === "customer_initiated") return "service";
  return "marketing";
}

function digits(s: string): string {
  return s.replace(/\D/g, "");
}

function nonNegativeInt(micros: number): number {
  return Number.isFinite(micros) ? Math.max(0, Math.round(micros)) : 0;
}

/**
 * The price in micros for one conversation (CBP) or message (PMP). Among rows of the same model and
 * category that apply (market is a prefix of the wa_id or null, `effectiveFrom <= at`,
 * `tierFromVolume <= monthlyVolume`) it picks, in order: the longest market prefix, the latest
 * `effectiveFrom`, the highest tier; on a full tie the first row in the table. A variant category
 * (marketing_lite, authentication_international, …) uses its own rows when some apply, else its
 * base category's. With no applicable row: DEFAULT_RATES. Free entry point is always 0.
 */
export function priceFor(table: PriceTable, q: PriceQuery): number {
  if (isFreeCategory(q.category)) return 0;
  const category = q.category.toLowerCase();
  const base = basePricedCategory(category);
  const wa = digits(q.waId);
  const volume = q.monthlyVolume ?? 0;
  const pick = (cat: string): PriceRow | undefined => {
    let best: PriceRow | undefined;
    let bestLen = -1;
    for (const row of table) {
      if (row.model !== q.model || row.category.toLowerCase() !== cat) continue;
      if (row.effectiveFrom > q.at || row.tierFromVolume > volume) continue;
      const market = row.market === null ? "" : digits(row.market);
      if (!wa.startsWith(market)) continue;
      const better =
        best === undefined ||
        market.length > bestLen ||
        (market.length === bestLen &&
          (row.effectiveFrom > best.effectiveFrom ||
            (row.effectiveFrom === best.effectiveFrom && row.tierFromVolume > best.tierFromVolume)));
      if (better) {
        best = row;
        bestLen = market.length;
      }
    }
    return best;
  };
  const row = pick(category) ?? (category !== base ? pick(base) : undefined);
  return nonNegativeInt(row ? row.micros : DEFAULT_RATES.micros[base]);
}

/** Price rows equivalent to a flat rate card, for one model, effective from `effectiveFrom` (epoch ms). */
export function rowsFromRates(rates: Rates, model: PricingModel, effectiveFrom = 0): PriceRow[] {
  return PRICED_CATEGORIES.map((category) => ({
    category,
    market: null,
    micros: rates.micros[category],
    effectiveFrom,
    tierFromVolume: 0,
    model,
  }));
}

/** A price function over a flat rate card: micros for `category` (variants priced as their base). */
export function priceFromRates(rates: Rates): (category: string, at?: number, waId?: string) => number {
  return (category) =>
    isFreeCategory(category) ? 0 : nonNegativeInt(rates.micros[basePricedCategory(category)]);
}

/** Whether `model` is a known pricing model. */
export function isPricingModel(model: string): model is PricingModel {
  return (PRICING_MODELS as readonly string[]).includes(model);
}
