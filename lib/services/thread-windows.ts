/**
 * A thread's windows as the agent (UI) and API clients see them at `now`: the customer service
 * window (gates free text), the free entry point (makes everything free for 72 h) and the
 * billing conversations open right now. Reads what refreshThreadState stored; decides with the
 * pure rules in lib/windows.
 */
import { and, eq, gt, inArray, isNull, lte, or } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import { billingConversations, threads } from "../../db/schema";
import type { ConversationCategory } from "../domain";
import { customerServiceWindow, FEP_MS } from "../windows/csw";
import { freeEntryPointWindow } from "../windows/fep";

export type OpenConversation = {
  id: string;
  category: ConversationCategory;
  openedAt: Date;
  expiresAt: Date;
  /** Cost in micro-units of `currency` (engine verdict). */
  costMicros: number;
  currency: string;
  freeReason: string | null;
};

export type ThreadWindowsView = {
  csw: { open: boolean; expiresAt: Date | null };
  fep: { open: boolean; expiresAt: Date | null };
  /** Free-form messages may be sent now (the CSW alone decides; an FEP does not unlock free text). */
  freeText: boolean;
  /** Templates sent now cost nothing because a free entry point is open. */
  templatesFree: boolean;
  /** Billing conversations open at `now`, oldest first. */
  conversations: OpenConversation[];
};

type ThreadWindowInputs = {
  id: string;
  inboxId: string;
  contactId: string;
  lastInboundAt: Date | null;
  fepExpiresAt: Date | null;
};

/** Windows of one thread at `now`, or null when the thread does not exist. */
export async function getThreadWindows(
  db: DbOrTx,
  threadId: string,
  now: Date = new Date(),
): Promise<ThreadWindowsView | null> {
  const [t] = await db
    .select({
      id: threads.id,
      inboxId: threads.inboxId,
      contactId: threads.contactId,
      lastInboundAt: threads.lastInboundAt,
      fepExpiresAt: threads.fepExpiresAt,
    })
    .from(threads)
    .where(eq(threads.id, threadId));
  if (!t) return null;
  return (await getManyThreadWindows(db, [t], now)).get(t.id) ?? null;
}

/** Windows of several already-loaded threads at `now`, with one query for their conversations. */
export async function getManyThreadWindows(
  db: DbOrTx,
  list: readonly ThreadWindowInputs[],
  now: Date = new Date(),
): Promise<Map<string, ThreadWindowsView>> {
  const out = new Map<string, ThreadWindowsView>();
  if (list.length === 0) return out;
  const rows = await db
    .select()
    .from(billingConversations)
    .where(
      and(
        inArray(billingConversations.contactId, [...new Set(list.map((t) => t.contactId))]),
        inArray(billingConversations.inboxId, [...new Set(list.map((t) => t.inboxId))]),
        lte(billingConversations.openedAt, now),
        gt(billingConversations.expiresAt, now),
        or(isNull(billingConversations.closedAt), gt(billingConversations.closedAt, now)),
      ),
    )
    .orderBy(billingConversations.openedAt);
  for (const t of list) {
    const conversations = rows
      .filter((c) => c.contactId === t.contactId && c.inboxId === t.inboxId)
      .map((c) => ({
        id: c.id,
        category: c.category,
        openedAt: c.openedAt,
        expiresAt: c.expiresAt,
        costMicros: c.costMicros,
        currency: c.currency,
        freeReason: c.freeReason,
      }));
    out.set(t.id, windowsAt(t, conversations, now));
  }
  return out;
}

/** Combines a thread's stored expiries and its open conversations into the view. Pure. */
export function windowsAt(
  t: Pick<ThreadWindowInputs, "lastInboundAt" | "fepExpiresAt">,
  conversations: OpenConversation[],
  now: Date,
): ThreadWindowsView {
  const csw = customerServiceWindow(t.lastInboundAt, now);
  const fep = freeEntryPointWindow(t.fepExpiresAt ? new Date(t.fepExpiresAt.getTime() - FEP_MS) : null, now);
  return {
    csw,
    fep,
    freeText: csw.open,
    templatesFree: fep.open,
    conversations,
  };
}
