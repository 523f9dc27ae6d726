import type { PricingModel } from "../domain";
import type { MessageKey } from "../i18n/en";
import type { Translate } from "../i18n/translate";
import { formatClock, formatMicros } from "./money";

/**
 * The price line of each template in the picker, for a send right now
 * (docs/whatsapp-rules.md §2–3). Pure: the caller gives the instant, the
 * thread's windows and open conversations, and the price from the table.
 *
 * CBP: an open free entry point makes it free; an open conversation of the
 * template's category means no new charge; otherwise it opens one at the price.
 * PMP: free inside an FEP, utility free inside an open CSW, else per message.
 */
export type PickerPriceInput = {
  /** Template category as Meta spells it (MARKETING, UTILITY, AUTHENTICATION) or lowercase. */
  category: string;
  model: PricingModel;
  priceMicros: number;
  currency: string;
  fepExpiresAt: Date | string | null;
  cswExpiresAt: Date | string | null;
  /** Billing conversations open with this customer (any category). */
  openConversations: readonly {
    category: string;
    expiresAt: Date | string;
    closedAt?: Date | string | null;
  }[];
  now: Date;
  locale: string;
  timeZone?: string | null;
};

export type PickerPrice =
  | { kind: "free_fep"; text: string; micros: 0 }
  | { kind: "no_new_charge"; text: string; micros: 0; until: Date }
  | { kind: "opens"; text: string; micros: number }
  | { kind: "free_utility_in_csw"; text: string; micros: 0 }
  | { kind: "per_message"; text: string; micros: number };

const ms = (v: Date | string) => (typeof v === "string" ? Date.parse(v) : v.getTime());

function categoryKey(category: string): MessageKey {
  const c = category.toLowerCase();
  if (c.startsWith("authentication")) return "category.authentication";
  if (c.startsWith("utility")) return "category.utility";
  return "category.marketing";
}

export function pickerPrice(input: PickerPriceInput, t: Translate): PickerPrice {
  const now = input.now.getTime();
  const catName = t(categoryKey(input.category));
  const base = categoryKey(input.category).slice("category.".length);
  // English says "an authentication conversation" ("a utility", "a marketing"); other languages ignore it.
  const an = base === "authentication";
  if (input.fepExpiresAt && ms(input.fepExpiresAt) > now) {
    return { kind: "free_fep", text: t("price.freeFep"), micros: 0 };
  }
  const price = formatMicros(input.priceMicros, input.currency, input.locale);
  if (input.model === "pmp") {
    if (base === "utility" && input.cswExpiresAt && ms(input.cswExpiresAt) > now) {
      return { kind: "free_utility_in_csw", text: t("price.freeUtilityInCsw"), micros: 0 };
    }
    return { kind: "per_message", text: t("price.perMessage", { price }), micros: input.priceMicros };
  }
  const open = input.openConversations
    .filter(
      (c) =>
        c.category.toLowerCase() === base && ms(c.expiresAt) > now && (!c.closedAt || ms(c.closedAt) > now),
    )
    .sort((a, b) => ms(b.expiresAt) - ms(a.expiresAt))[0];
  if (open) {
    const until = new Date(ms(open.expiresAt));
    return {
      kind: "no_new_charge",
      text: t("price.noNewCharge", {
        category: catName,
        time: formatClock(until, input.now, input.locale, input.timeZone),
      }),
      micros: 0,
      until,
    };
  }
  return {
    kind: "opens",
    text:
      input.priceMicros === 0
        ? t(an ? "price.opensFreeAn" : "price.opensFree", { category: catName })
        : t(an ? "price.opensAn" : "price.opens", { category: catName, price }),
    micros: input.priceMicros,
  };
}
