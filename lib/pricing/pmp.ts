/**
 * Per-message pricing (PMP, from 2025-07-01): every delivered template is billed by category
 * unless the engine's verdict (`type`) makes it free. Integer micros; pure.
 *
 * The verdict comes from the window engine (lib/windows/engine.ts): free-form →
 * `free_customer_service`; utility template delivered inside an open CSW → `free_customer_service`;
 * anything delivered inside an open FEP → `free_entry_point`; other delivered templates →
 * `regular`. Messages that were never delivered are not in the engine's list, so never billed.
 */
import type { PmpType } from "../domain";
import { utcMonthKey } from "./cbp";

/** A delivered message to price. `deliveredAt` epoch ms (or a Date). */
export type MessageToPrice = {
  category: string;
  /** Category for the price lookup (e.g. marketing_lite); defaults to `category`. */
  pricingCategory?: string;
  type: PmpType;
  deliveredAt: number | Date;
  accountId?: string;
  waId: string;
};

/**
 * Price function for one billable message: `monthlyVolume` is how many `regular` messages of the
 * same pricing category this account already had in the same UTC month and market (for volume tiers).
 */
export type MessagePriceFn = (category: string, at: number, waId: string, monthlyVolume: number) => number;

export type PricedMessage<T> = T & { costMicros: number };

const toMs = (t: number | Date): number => (typeof t === "number" ? t : t.getTime());

/**
 * Price delivered messages, keeping input order. Only `regular` messages cost anything; the cost
 * is `price(...)` rounded to an integer and never negative. `marketOf(waId)` groups volume tiers by
 * market (default: one market per account).
 */
export function priceMessages<T extends MessageToPrice>(
  messages: readonly T[],
  price: MessagePriceFn,
  opts: { marketOf?: (waId: string) => string } = {},
): PricedMessage<T>[] {
  const marketOf = opts.marketOf ?? (() => "");
  const order = messages
    .map((_m, i) => i)
    .sort((a, b) => toMs(messages[a].deliveredAt) - toMs(messages[b].deliveredAt) || a - b);
  const volume = new Map<string, number>();
  const out: PricedMessage<T>[] = new Array(messages.length);
  for (const i of order) {
    const m = messages[i];
    if (m.type !== "regular") {
      out[i] = { ...m, costMicros: 0 };
      continue;
    }
    const at = toMs(m.deliveredAt);
    const category = (m.pricingCategory ?? m.category).toLowerCase();
    const key = [m.accountId ?? "", marketOf(m.waId), category, utcMonthKey(at)].join("\u0000");
    const n = volume.get(key) ?? 0;
    volume.set(key, n + 1);
    const raw = price(category, at, m.waId, n);
    out[i] = { ...m, costMicros: Number.isFinite(raw) ? Math.max(0, Math.round(raw)) : 0 };
  }
  return out;
}
