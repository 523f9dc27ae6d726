import { eq } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import { threads } from "../../db/schema";

const CSW_MS = 24 * 3600_000;

/**
 * Recomputes a thread's windows (CSW, FEP) and its contact's billing from the
 * stored events with the pure engine, and stores the result on the thread,
 * billing_conversations and messages. Call inside the transaction that changed
 * the events. Returns the thread's new window expiries.
 *
 * (Foundation version: CSW only; the lead replaces the body with the engine.)
 */
export async function refreshThreadState(
  tx: DbOrTx,
  threadId: string,
): Promise<{ cswExpiresAt: Date | null; fepExpiresAt: Date | null }> {
  const [t] = await tx.select().from(threads).where(eq(threads.id, threadId));
  if (!t) return { cswExpiresAt: null, fepExpiresAt: null };
  const cswExpiresAt = t.lastInboundAt ? new Date(t.lastInboundAt.getTime() + CSW_MS) : null;
  await tx.update(threads).set({ cswExpiresAt }).where(eq(threads.id, threadId));
  return { cswExpiresAt, fepExpiresAt: t.fepExpiresAt };
}
