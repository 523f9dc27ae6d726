import { and, asc, eq, ne } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import { inboxes, messages, prices, threads, workspaceSettings } from "../../db/schema";
import type { PricingModel } from "../domain";
import type { PriceRow } from "../pricing/rates";
import type { EngineEvent } from "../windows/engine";

export type StoredMessageRef = {
  id: string;
  threadId: string;
  inboxId: string;
  senderUserId: string | null;
  metaConversationId: string | null;
  /** Meta's verdict as the status webhooks reported it (merged `pricing` / `conversation` objects). */
  metaPricing: unknown;
  metaConversation: unknown;
  /** The stored per-message verdict, to skip unchanged rows. */
  costCategory: string | null;
  costType: string | null;
  costMicros: number | null;
};

/**
 * A contact's event history with one business account (WABA), in the engine's
 * terms, built from stored messages: inbound at Meta's timestamp (with its
 * referral), outbound at acceptance, and their delivered/read/failed times.
 * Private notes are not events.
 */
export async function loadContactEvents(
  db: DbOrTx,
  args: { contactId: string; wabaId: string },
): Promise<{ events: EngineEvent[]; refs: Map<string, StoredMessageRef> }> {
  const rows = await db
    .select({
      id: messages.id,
      threadId: messages.threadId,
      inboxId: threads.inboxId,
      direction: messages.direction,
      type: messages.type,
      status: messages.status,
      payload: messages.payload,
      templateCategory: messages.templateCategory,
      at: messages.at,
      deliveredAt: messages.deliveredAt,
      readAt: messages.readAt,
      failedAt: messages.failedAt,
      senderUserId: messages.senderUserId,
      metaPricing: messages.metaPricing,
      metaConversation: messages.metaConversation,
      costCategory: messages.costCategory,
      costType: messages.costType,
      costMicros: messages.costMicros,
    })
    .from(messages)
    .innerJoin(threads, eq(threads.id, messages.threadId))
    .innerJoin(inboxes, eq(inboxes.id, threads.inboxId))
    .where(
      and(eq(threads.contactId, args.contactId), eq(inboxes.wabaId, args.wabaId), ne(messages.type, "note")),
    )
    .orderBy(asc(messages.at), asc(messages.createdAt));

  const events: EngineEvent[] = [];
  const refs = new Map<string, StoredMessageRef>();
  for (const r of rows) {
    const at = r.at.getTime();
    if (r.direction === "inbound") {
      const referral = (r.payload as { referral?: unknown } | null)?.referral ?? null;
      events.push({ type: "inbound", at, id: r.id, referral: referral ? (referral as object) : null });
      continue;
    }
    events.push({
      type: "outbound",
      at,
      id: r.id,
      kind: r.type === "template" ? "template" : "text",
      category: r.templateCategory,
    });
    if (r.deliveredAt)
      events.push({ type: "status", at: r.deliveredAt.getTime(), id: r.id, status: "delivered" });
    if (r.readAt) events.push({ type: "status", at: r.readAt.getTime(), id: r.id, status: "read" });
    if (r.failedAt) events.push({ type: "status", at: r.failedAt.getTime(), id: r.id, status: "failed" });
    refs.set(r.id, {
      id: r.id,
      threadId: r.threadId,
      inboxId: r.inboxId,
      senderUserId: r.senderUserId,
      metaConversationId: (r.metaConversation as { id?: string } | null)?.id ?? null,
      metaPricing: r.metaPricing,
      metaConversation: r.metaConversation,
      costCategory: r.costCategory,
      costType: r.costType,
      costMicros: r.costMicros,
    });
  }
  return { events, refs };
}

/** The workspace's price table, as the pure pricing functions take it. */
export async function loadPriceTable(db: DbOrTx): Promise<PriceRow[]> {
  const rows = await db.select().from(prices);
  return rows.map((r) => ({
    category: r.category,
    market: r.market,
    micros: r.micros,
    effectiveFrom: r.effectiveFrom.getTime(),
    tierFromVolume: r.tierFromVolume,
    model: r.model,
  }));
}

/** The workspace's pricing model (CBP unless an admin chose per-message). */
export async function loadPricingModel(db: DbOrTx): Promise<PricingModel> {
  const [s] = await db.select({ m: workspaceSettings.pricingModel }).from(workspaceSettings).limit(1);
  return s?.m ?? "cbp";
}
