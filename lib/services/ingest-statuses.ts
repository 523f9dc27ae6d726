import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import { messageStatuses, messages, threads } from "../../db/schema";
import type { MessageStatus } from "../domain";
import { metaErrorText } from "../whatsapp/error-text";
import { type MessageStatusItem, statusSchema } from "../whatsapp/webhook-schemas";

/**
 * Applying Meta's delivery statuses to outbound messages.
 *
 * Every status is first recorded in message_statuses (unique wamid+status), then
 * folded into the message row. The fold is order-independent, so duplicates and
 * out-of-order deliveries (read before delivered, delivered after read) all end
 * in the same row:
 * - each timestamp is the earliest Meta reported for it; `read` is also proof of
 *   delivery, so delivered_at is at most read_at (read without delivered counts
 *   as delivered at the read time);
 * - `status` only moves forward along pending < sent < failed < delivered < read:
 *   `failed` beats pending/sent, but a `delivered`/`read` (whichever order they
 *   arrive in) wins over `failed` — Meta only says delivered when it was, and a
 *   failed after delivered does not move the message back. failed_at and the
 *   error stay recorded; the UI shows error_text only when status is `failed`;
 * - Meta's `pricing` and `conversation` objects are merged (later statuses omit
 *   fields such as expiration_timestamp, which only `sent` carries).
 * Statuses other than sent/delivered/read/failed (e.g. `deleted`) stay in the
 * history only. Inbound messages are never changed by statuses.
 */

const RANK: Partial<Record<string, number>> = { pending: 0, sent: 1, failed: 2, delivered: 3, read: 4 };

export type MessageDeliveryFields = {
  status: MessageStatus;
  sentAt: Date | null;
  deliveredAt: Date | null;
  readAt: Date | null;
  failedAt: Date | null;
  errorCode: number | null;
  errorText: string | null;
  metaPricing: unknown;
  metaConversation: unknown;
};

export type StatusInput = { status: string; at: Date; item?: MessageStatusItem | null };

const earliest = (a: Date | null, b: Date) => (a === null || b.getTime() < a.getTime() ? b : a);
const merge = (a: unknown, b: unknown) =>
  b && typeof b === "object" ? { ...(a && typeof a === "object" ? a : {}), ...b } : a;

/** Folds delivery statuses into a message's fields (pure; see the module comment for the rules). */
export function foldStatuses(
  current: MessageDeliveryFields,
  statuses: readonly StatusInput[],
): MessageDeliveryFields {
  const next = { ...current };
  // Sorted so the result does not depend on the order statuses are given in.
  const ordered = [...statuses].sort(
    (a, b) => (RANK[a.status] ?? -1) - (RANK[b.status] ?? -1) || a.at.getTime() - b.at.getTime(),
  );
  for (const s of ordered) {
    const rank = RANK[s.status];
    if (rank === undefined) continue;
    if (s.status === "sent") next.sentAt = earliest(next.sentAt, s.at);
    if (s.status === "delivered" || s.status === "read") next.deliveredAt = earliest(next.deliveredAt, s.at);
    if (s.status === "read") next.readAt = earliest(next.readAt, s.at);
    if (s.status === "failed") {
      next.failedAt = earliest(next.failedAt, s.at);
      const err = s.item?.errors?.[0];
      if (next.errorCode === null && err) next.errorCode = err.code;
      if (next.errorText === null) next.errorText = metaErrorText(err);
    }
    if (s.item?.pricing) next.metaPricing = merge(next.metaPricing, s.item.pricing);
    if (s.item?.conversation) next.metaConversation = merge(next.metaConversation, s.item.conversation);
    const currentRank = RANK[next.status];
    if (currentRank !== undefined && rank > currentRank) next.status = s.status as MessageStatus;
  }
  return next;
}

export type AppliedStatus = {
  messageId: string;
  wamid: string;
  threadId: string;
  inboxId: string;
  status: MessageStatus;
  errorCode: number | null;
  errorText: string | null;
  /** False when the statuses changed nothing on the message (e.g. `delivered` after `read`). */
  changed: boolean;
  /**
   * Whether the change can move billing, so the engine must run: the delivery or failure time
   * moved (the engine's only inputs a status can change — a `read` after `delivered` does not
   * move the delivery time, the earliest of the two), or Meta's verdict changed on a delivered
   * message (reconciliation). A `sent` status, or a `read` repeating Meta's verdict, cannot.
   */
  billingChanged: boolean;
};

const sameTime = (a: Date | null, b: Date | null) => (a?.getTime() ?? null) === (b?.getTime() ?? null);
const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Namespace of the advisory locks below (any constant; keeps them apart from other advisory locks). */
const WAMID_LOCK_SPACE = 727_001;

/**
 * Serialises everything that records or applies statuses of these wamids until
 * the transaction ends. Without it, a webhook storing a status and the outbox
 * storing the same wamid could each miss the other's uncommitted row, leaving
 * the status pending forever. Taken in sorted order so two holders never deadlock.
 */
export async function lockWamids(tx: DbOrTx, wamids: readonly string[]): Promise<void> {
  const sorted = [...new Set(wamids)].sort();
  for (let i = 0; i < sorted.length; i += 1000) {
    const list = sql.join(
      sorted.slice(i, i + 1000).map((w) => sql`${w}`),
      sql`, `,
    );
    // One round trip per thousand; the ordered subquery fixes the order the locks are taken in.
    await tx.execute(
      sql`select pg_advisory_xact_lock(${WAMID_LOCK_SPACE}, hashtext(u.w))
          from (select w from unnest(array[${list}]::text[]) with ordinality as t(w, i) order by i) as u`,
    );
  }
}

/**
 * Applies every not-yet-applied status of these wamids to their stored messages
 * (row-locked, in id order) and marks them applied. Statuses of wamids with no
 * message yet stay pending. Returns one entry per message that had statuses to
 * apply. The caller refreshes the thread state of changed messages.
 */
export async function applyStatusesForWamids(
  tx: DbOrTx,
  wamids: readonly string[],
): Promise<AppliedStatus[]> {
  const unique = [...new Set(wamids)];
  if (unique.length === 0) return [];
  await lockWamids(tx, unique);
  const rows = await tx
    .select({
      id: messages.id,
      wamid: messages.wamid,
      direction: messages.direction,
      threadId: messages.threadId,
      inboxId: threads.inboxId,
      status: messages.status,
      sentAt: messages.sentAt,
      deliveredAt: messages.deliveredAt,
      readAt: messages.readAt,
      failedAt: messages.failedAt,
      errorCode: messages.errorCode,
      errorText: messages.errorText,
      metaPricing: messages.metaPricing,
      metaConversation: messages.metaConversation,
    })
    .from(messages)
    .innerJoin(threads, eq(threads.id, messages.threadId))
    .where(inArray(messages.wamid, unique))
    .orderBy(asc(messages.id))
    .for("update", { of: messages });
  if (rows.length === 0) return [];

  const pending = await tx
    .select()
    .from(messageStatuses)
    .where(
      and(
        inArray(
          messageStatuses.wamid,
          rows.map((r) => r.wamid!),
        ),
        eq(messageStatuses.applied, false),
      ),
    )
    .orderBy(asc(messageStatuses.id));
  if (pending.length === 0) return [];

  const out: AppliedStatus[] = [];
  for (const m of rows) {
    const mine = pending.filter((p) => p.wamid === m.wamid);
    if (mine.length === 0) continue;
    if (m.direction !== "outbound") continue; // marked applied below: nothing to apply to an inbound message
    const before: MessageDeliveryFields = {
      status: m.status,
      sentAt: m.sentAt,
      deliveredAt: m.deliveredAt,
      readAt: m.readAt,
      failedAt: m.failedAt,
      errorCode: m.errorCode,
      errorText: m.errorText,
      metaPricing: m.metaPricing,
      metaConversation: m.metaConversation,
    };
    const after = foldStatuses(
      before,
      mine.map((p) => {
        const item = statusSchema.safeParse(p.payload);
        return { status: p.status, at: p.at, item: item.success ? item.data : null };
      }),
    );
    const changed =
      after.status !== before.status ||
      !sameTime(after.sentAt, before.sentAt) ||
      !sameTime(after.deliveredAt, before.deliveredAt) ||
      !sameTime(after.readAt, before.readAt) ||
      !sameTime(after.failedAt, before.failedAt) ||
      after.errorCode !== before.errorCode ||
      after.errorText !== before.errorText ||
      !sameJson(after.metaPricing, before.metaPricing) ||
      !sameJson(after.metaConversation, before.metaConversation);
    if (changed) {
      await tx
        .update(messages)
        .set({
          status: after.status,
          sentAt: after.sentAt,
          deliveredAt: after.deliveredAt,
          readAt: after.readAt,
          failedAt: after.failedAt,
          errorCode: after.errorCode,
          errorText: after.errorText,
          metaPricing: after.metaPricing,
          metaConversation: after.metaConversation,
        })
        .where(eq(messages.id, m.id));
    }
    out.push({
      messageId: m.id,
      wamid: m.wamid!,
      threadId: m.threadId,
      inboxId: m.inboxId,
      status: after.status,
      errorCode: after.errorCode,
      errorText: after.errorText,
      changed,
      billingChanged:
        !sameTime(after.deliveredAt, before.deliveredAt) ||
        !sameTime(after.failedAt, before.failedAt) ||
        (after.deliveredAt !== null &&
          (!sameJson(after.metaPricing, before.metaPricing) ||
            !sameJson(after.metaConversation, before.metaConversation))),
    });
  }
  await tx
    .update(messageStatuses)
    .set({ applied: true })
    .where(
      inArray(
        messageStatuses.id,
        pending.map((p) => p.id),
      ),
    );
  return out;
}

/**
 * Applies statuses that arrived before their message was stored (Meta can post
 * `sent`/`delivered` before our send call returns the wamid). The outbox calls
 * this in the transaction that stores a wamid; when it returns `changed`, call
 * refreshThreadState(tx, threadId) and emit `message:status` after commit.
 * Call it after the wamid is written: it waits for any webhook transaction
 * recording statuses of the same wamid (see lockWamids).
 */
export async function applyPendingStatuses(tx: DbOrTx, wamid: string): Promise<AppliedStatus | null> {
  const [applied] = await applyStatusesForWamids(tx, [wamid]);
  return applied ?? null;
}
