/**
 * Read side of the REST API: inboxes, threads (with their windows) and messages, as JSON.
 * Resource fields are snake_case like Meta's (wa_id, phone_number_id); the `windows` object has
 * the same shape the UI gets from getThreadWindows.
 */
import { and, desc, eq, lt, or, type SQL } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import { contacts, inboxes, messages, threads, users } from "../../db/schema";
import type { ThreadStatus } from "../domain";
import { AppError } from "../errors";
import type { MessageRow } from "../services/send-message";
import { getManyThreadWindows, type ThreadWindowsView } from "../services/thread-windows";

export async function listInboxesJson(db: DbOrTx) {
  const rows = await db.select().from(inboxes).orderBy(inboxes.name);
  return rows.map((i) => ({
    id: i.id,
    name: i.name,
    phone_number_id: i.phoneNumberId,
    waba_id: i.wabaId,
    display_number: i.displayNumber,
  }));
}

const threadColumns = {
  id: threads.id,
  inboxId: threads.inboxId,
  contactId: threads.contactId,
  status: threads.status,
  snoozedUntil: threads.snoozedUntil,
  unreadCount: threads.unreadCount,
  lastInboundAt: threads.lastInboundAt,
  lastMessageAt: threads.lastMessageAt,
  lastMessagePreview: threads.lastMessagePreview,
  fepExpiresAt: threads.fepExpiresAt,
  referral: threads.referral,
  createdAt: threads.createdAt,
  waId: contacts.waId,
  contactName: contacts.profileName,
  labels: contacts.labels,
  optedOutMarketing: contacts.optedOutMarketing,
  assigneeId: threads.assigneeId,
  assigneeName: users.name,
};
function threadJson(t: ThreadRow, windows: ThreadWindowsView | undefined) {
  return {
    id: t.id,
    inbox_id: t.inboxId,
    status: t.status,
    snoozed_until: t.snoozedUntil,
    unread_count: t.unreadCount,
    last_inbound_at: t.lastInboundAt,
    last_message_at: t.lastMessageAt,
    last_message_preview: t.lastMessagePreview,
    referral: t.referral,
    created_at: t.createdAt,
    contact: {
      id: t.contactId,
      wa_id: t.waId,
      name: t.contactName,
      labels: t.labels,
      opted_out_marketing: t.optedOutMarketing,
    },
    assignee: t.assigneeId ? { id: t.assigneeId, name: t.assigneeName } : null,
    windows: windows ?? null,
  };
}

type ThreadRow = Awaited<ReturnType<typeof selectThreads>>[number];

function selectThreads(db: DbOrTx) {
  return db
    .select(threadColumns)
    .from(threads)
    .innerJoin(contacts, eq(contacts.id, threads.contactId))
    .leftJoin(users, eq(users.id, threads.assigneeId));
}

/** Threads, most recently active first, filtered by customer number, status and inbox. */
export async function listThreadsJson(
  db: DbOrTx,
  q: { waId?: string; status?: ThreadStatus; inboxId?: string; limit: number; before?: Date },
  now: Date,
) {
  const where: SQL[] = [];
  if (q.waId) where.push(eq(contacts.waId, q.waId));
  if (q.status) where.push(eq(threads.status, q.status));
  if (q.inboxId) where.push(eq(threads.inboxId, q.inboxId));
  if (q.before) where.push(lt(threads.lastMessageAt, q.before));
  const rows = await selectThreads(db)
    .where(and(...where))
    .orderBy(desc(threads.lastMessageAt), desc(threads.id))
    .limit(q.limit);
  const windows = await getManyThreadWindows(db, rows, now);
  return {
    threads: rows.map((t) => threadJson(t, windows.get(t.id))),
    next_before: rows.length === q.limit ? rows[rows.length - 1].lastMessageAt.toISOString() : null,
  };
}

/** One thread with its windows; `not_found` when missing. */
export async function getThreadJson(db: DbOrTx, threadId: string, now: Date) {
  const [t] = await selectThreads(db).where(eq(threads.id, threadId));
  if (!t) throw new AppError("not_found", "No thread with this id.");
  const windows = await getManyThreadWindows(db, [t], now);
  return threadJson(t, windows.get(t.id));
}

export function messageJson(m: MessageRow) {
  const isMedia = ["image", "document", "audio", "video", "sticker"].includes(m.type);
  const payload = (m.payload ?? {}) as { link?: string | null; filename?: string | null };
  return {
    id: m.id,
    thread_id: m.threadId,
    direction: m.direction,
    type: m.type,
    status: m.status,
    body: m.body,
    template: m.templateName
      ? {
          name: m.templateName,
          language: m.templateLanguage,
          category: m.templateCategory,
          params: m.templateParams,
        }
      : null,
    media: isMedia
      ? {
          mime: m.mediaMime,
          // Served to signed-in users only; API clients get the public link when there is one.
          url: m.mediaPath ? `/api/media/${m.id}` : null,
          link: payload.link ?? null,
          filename: payload.filename ?? null,
        }
      : null,
    wamid: m.wamid,
    reply_to_wamid: m.replyToWamid,
    sender_user_id: m.senderUserId,
    client_id: m.clientId,
    at: m.at,
    sent_at: m.sentAt,
    delivered_at: m.deliveredAt,
    read_at: m.readAt,
    failed_at: m.failedAt,
    error: m.errorCode !== null || m.errorText ? { code: m.errorCode, text: m.errorText } : null,
    cost: m.costCategory ? { category: m.costCategory, type: m.costType, micros: m.costMicros } : null,
  };
}

/** A page of a thread's messages, newest first; `before` is a message id (the previous page's next_before). */
export async function listMessagesJson(db: DbOrTx, threadId: string, q: { limit: number; before?: string }) {
  const [t] = await db.select({ id: threads.id }).from(threads).where(eq(threads.id, threadId));
  if (!t) throw new AppError("not_found", "No thread with this id.");
  let cursor: SQL | undefined;
  if (q.before) {
    const [b] = await db
      .select({ at: messages.at, id: messages.id })
      .from(messages)
      .where(and(eq(messages.id, q.before), eq(messages.threadId, threadId)));
    if (!b)
      throw new AppError("invalid_input", "`before` must be the id of a message in this thread.", {
        field: "before",
      });
    cursor = or(lt(messages.at, b.at), and(eq(messages.at, b.at), lt(messages.id, b.id)));
  }
  const rows = await db
    .select()
    .from(messages)
    .where(and(eq(messages.threadId, threadId), cursor))
    .orderBy(desc(messages.at), desc(messages.id))
    .limit(q.limit);
  return {
    messages: rows.map(messageJson),
    next_before: rows.length === q.limit ? rows[rows.length - 1].id : null,
  };
}
