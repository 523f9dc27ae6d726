import { and, eq, gte, inArray, lt, ne, sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import { billingConversations, contacts, inboxes, messages, threads } from "../../db/schema";
import { priceConversations, utcMonthKey } from "../pricing/cbp";
import { priceMessages } from "../pricing/pmp";
import { DEFAULT_RATES, priceFor } from "../pricing/rates";
import { cswExpiresAt } from "../windows/csw";
import { computeContactState } from "../windows/engine";
import { loadContactEvents, loadPriceTable } from "./contact-events";

export type ThreadWindows = { cswExpiresAt: Date | null; fepExpiresAt: Date | null };

const toDate = (ms: number | null) => (ms === null ? null : new Date(ms));

/**
 * Recomputes a thread's windows (CSW, FEP) and its contact's billing with the
 * pure engine from the stored events, and stores the result: the thread's
 * expiries, the contact's billing_conversations (CBP, priced, with the monthly
 * free tier) and every delivered message's per-message verdict (PMP).
 * Call inside the transaction that changed the thread's messages or statuses.
 */
export async function refreshThreadState(
  tx: DbOrTx,
  threadId: string,
  now = new Date(),
): Promise<ThreadWindows> {
  const [t] = await tx
    .select({
      id: threads.id,
      contactId: threads.contactId,
      inboxId: threads.inboxId,
      lastInboundAt: threads.lastInboundAt,
      wabaId: inboxes.wabaId,
      waId: contacts.waId,
    })
    .from(threads)
    .innerJoin(inboxes, eq(inboxes.id, threads.inboxId))
    .innerJoin(contacts, eq(contacts.id, threads.contactId))
    .where(eq(threads.id, threadId));
  if (!t) return { cswExpiresAt: null, fepExpiresAt: null };

  const { events, refs } = await loadContactEvents(tx, { contactId: t.contactId, wabaId: t.wabaId });
  const state = computeContactState(events, now.getTime());
  const table = await loadPriceTable(tx);

  // The CSW belongs to the business number (the thread); billing to the account (WABA) × contact.
  const windows: ThreadWindows = {
    cswExpiresAt: toDate(cswExpiresAt(t.lastInboundAt ? t.lastInboundAt.getTime() : null)),
    fepExpiresAt: toDate(state.fep.expiresAt),
  };
  await tx
    .update(threads)
    .set({ cswExpiresAt: windows.cswExpiresAt, fepExpiresAt: windows.fepExpiresAt })
    .where(eq(threads.id, threadId));

  // CBP: the free tier counts service conversations per account per UTC month, across contacts.
  // (Approximation: counted for the month of this contact's latest service conversation.)
  const serviceOpenings = state.conversations.filter((c) => c.category === "service").map((c) => c.openedAt);
  let usedByOthers = 0;
  if (serviceOpenings.length > 0) {
    const latest = Math.max(...serviceOpenings);
    const start = new Date(`${utcMonthKey(latest)}-01T00:00:00Z`);
    const [{ n }] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(billingConversations)
      .where(
        and(
          eq(billingConversations.wabaId, t.wabaId),
          eq(billingConversations.category, "service"),
          ne(billingConversations.contactId, t.contactId),
          gte(billingConversations.openedAt, start),
          lt(billingConversations.openedAt, new Date(latest)),
        ),
      );
    usedByOthers = n;
  }
  const priced = priceConversations(
    state.conversations.map((c) => ({ ...c, accountId: t.wabaId, waId: t.waId })),
    (category, at, waId) => priceFor(table, { model: "cbp", category, at, waId }),
    Math.max(0, DEFAULT_RATES.freeServicePerMonth - usedByOthers),
  );
  await tx
    .delete(billingConversations)
    .where(and(eq(billingConversations.wabaId, t.wabaId), eq(billingConversations.contactId, t.contactId)));
  if (priced.length > 0) {
    await tx.insert(billingConversations).values(
      priced.map((c) => {
        const ref = refs.get(c.openedBy);
        return {
          inboxId: ref?.inboxId ?? t.inboxId,
          wabaId: t.wabaId,
          contactId: t.contactId,
          threadId: ref?.threadId ?? threadId,
          category: c.category,
          openedAt: new Date(c.openedAt),
          expiresAt: new Date(c.expiresAt),
          closedAt: toDate(c.closedAt),
          costMicros: c.costMicros,
          freeReason: c.freeReason,
          openedByMessageId: ref?.id ?? null,
          openedByUserId: ref?.senderUserId ?? null,
          metaConversationId: ref?.metaConversationId ?? null,
        };
      }),
    );
  }

  // PMP verdict per delivered message (stored whatever the model, so the dashboard can show both).
  const pmp = priceMessages(
    state.messages.map((m) => ({ ...m, accountId: t.wabaId, waId: t.waId })),
    (category, at, waId, monthlyVolume) =>
      priceFor(table, { model: "pmp", category, at, waId, monthlyVolume }),
  );
  const delivered = new Set(pmp.map((m) => m.id));
  for (const m of pmp) {
    const ref = refs.get(m.id);
    if (ref && ref.costType === m.type && ref.costMicros === m.costMicros && ref.costCategory === m.category)
      continue;
    await tx
      .update(messages)
      .set({ costCategory: m.category, costType: m.type, costMicros: m.costMicros })
      .where(eq(messages.id, m.id));
  }
  const undelivered = [...refs.values()]
    .filter((r) => !delivered.has(r.id) && r.costType !== null)
    .map((r) => r.id);
  if (undelivered.length > 0) {
    await tx
      .update(messages)
      .set({ costCategory: null, costType: null, costMicros: null })
      .where(inArray(messages.id, undelivered));
  }
  return windows;
}
