import { eq } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import { contacts, inboxes, threads } from "../../db/schema";
import { cswExpiresAt } from "../windows/csw";
import { refreshContactBilling } from "./billing-recompute";

export type ThreadWindows = { cswExpiresAt: Date | null; fepExpiresAt: Date | null };

const toDate = (ms: number | null) => (ms === null ? null : new Date(ms));

/**
 * Recomputes a thread's windows (CSW, FEP) and its contact's billing with the
 * pure engine from the stored events, and stores the result: the thread's
 * expiries, the contact's billing_conversations (CBP, priced, with the exact
 * monthly free tier across the WABA), billing_messages (PMP verdict, CBP
 * attribution, Meta's verdict and any disagreement) and messages.cost_*.
 * Call inside the transaction that changed the thread's messages or statuses;
 * when one transaction refreshes several threads, do it in thread-id order
 * (the per-contact locks are then taken in one order).
 */
export async function refreshThreadState(
  tx: DbOrTx,
  threadId: string,
  now = new Date(),
): Promise<ThreadWindows> {
  const [t] = await tx
    .select({
      contactId: threads.contactId,
      lastInboundAt: threads.lastInboundAt,
      wabaId: inboxes.wabaId,
      waId: contacts.waId,
    })
    .from(threads)
    .innerJoin(inboxes, eq(inboxes.id, threads.inboxId))
    .innerJoin(contacts, eq(contacts.id, threads.contactId))
    .where(eq(threads.id, threadId));
  if (!t) return { cswExpiresAt: null, fepExpiresAt: null };

  // Billing belongs to the account (WABA) × contact; the CSW to the business number (the thread).
  const { state } = await refreshContactBilling(
    tx,
    { contactId: t.contactId, wabaId: t.wabaId, waId: t.waId },
    now,
  );
  const windows: ThreadWindows = {
    cswExpiresAt: toDate(cswExpiresAt(t.lastInboundAt ? t.lastInboundAt.getTime() : null)),
    fepExpiresAt: toDate(state.fep.expiresAt),
  };
  await tx
    .update(threads)
    .set({ cswExpiresAt: windows.cswExpiresAt, fepExpiresAt: windows.fepExpiresAt })
    .where(eq(threads.id, threadId));
  return windows;
}
