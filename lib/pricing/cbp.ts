/**
 * Conversation-based pricing (CBP): the cost of each billing conversation, with the monthly free
 * tier of service conversations per account. Integer micros; pure.
 */
import { basePricedCategory, isFreeCategory } from "./rates";

/** Why a conversation costs nothing: the monthly service free tier, the free entry point, or a zero price. */
export type FreeReason = "free_tier" | "free_entry_point" | "free_price";

/** A conversation to price. `openedAt` epoch ms (or a Date); the free tier is counted per `accountId`. */
export type ConversationToPrice = {
  category: string;
  openedAt: number | Date;
  accountId: string;
  contactId?: string;
  waId: string;
};

export type PricedConversation<T> = T & { costMicros: number; freeReason: FreeReason | null };

/** Price function: micros for a conversation of `category` opened at `at` (epoch ms) with customer `waId`. */
export type ConversationPriceFn = (category: string, at: number, waId: string) => number;

const toMs = (t: number | Date): number => (typeof t === "number" ? t : t.getTime());

/** "YYYY-MM" of the UTC calendar month containing `ms` (epoch ms). */
export function utcMonthKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}

/**
 * Price conversations, keeping their input order. Per account and UTC calendar month, the first
 * `freeServicePerMonth` service conversations (by openedAt; ties in input order) cost 0 with
 * `free_tier`, whatever the price. Free entry point conversations cost 0 (`free_entry_point`).
 * Any other conversation costs `price(...)`, rounded to an integer and never negative; if that is
 * 0 the reason is `free_price`.
 */
export function priceConversations<T extends ConversationToPrice>(
  convs: readonly T[],
  price: ConversationPriceFn,
  freeServicePerMonth: number,
): PricedConversation<T>[] {
  const order = convs
    .map((_c, i) => i)
    .sort((a, b) => toMs(convs[a].openedAt) - toMs(convs[b].openedAt) || a - b);
  const used = new Map<string, number>();
  const out: PricedConversation<T>[] = new Array(convs.length);
  for (const i of order) {
    const c = convs[i];
    const at = toMs(c.openedAt);
    if (isFreeCategory(c.category)) {
      out[i] = { ...c, costMicros: 0, freeReason: "free_entry_point" };
      continue;
    }
    if (basePricedCategory(c.category) === "service") {
      const key = `${c.accountId}\u0000${utcMonthKey(at)}`;
      const n = used.get(key) ?? 0;
      used.set(key, n + 1);
      if (n < freeServicePerMonth) {
        out[i] = { ...c, costMicros: 0, freeReason: "free_tier" };
        continue;
      }
    }
    const raw = price(c.category, at, c.waId);
    const costMicros = Number.isFinite(raw) ? Math.max(0, Math.round(raw)) : 0;
    out[i] = { ...c, costMicros, freeReason: costMicros === 0 ? "free_price" : null };
  }
  return out;
}
