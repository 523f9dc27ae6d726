import { eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import { contacts, threads, users } from "../../db/schema";
import { emitTo, getIo } from "../realtime/emit";
import { type MessageEvent, rooms, type ThreadSummary } from "../realtime/events";
import type { AppliedStatus } from "./ingest-statuses";
import { emitTemplateChanges, type TemplateChange } from "./templates";

/** What a committed webhook changed, for the realtime events sent after the commit. */
export type IngestEffects = {
  threadIds: string[];
  newMessages: MessageEvent[];
  statusChanges: AppliedStatus[];
  templates: TemplateChange[];
};

/** Thread list rows as the inbox shows them. */
export async function loadThreadSummaries(db: DbOrTx, threadIds: string[]): Promise<ThreadSummary[]> {
  if (threadIds.length === 0) return [];
  const rows = await db
    .select({
      id: threads.id,
      inboxId: threads.inboxId,
      contactId: threads.contactId,
      contactName: contacts.profileName,
      waId: contacts.waId,
      status: threads.status,
      assigneeId: threads.assigneeId,
      assigneeName: users.name,
      unreadCount: threads.unreadCount,
      lastMessageAt: threads.lastMessageAt,
      lastMessagePreview: threads.lastMessagePreview,
      cswExpiresAt: threads.cswExpiresAt,
      fepExpiresAt: threads.fepExpiresAt,
    })
    .from(threads)
    .innerJoin(contacts, eq(contacts.id, threads.contactId))
    .leftJoin(users, eq(users.id, threads.assigneeId))
    .where(inArray(threads.id, threadIds));
  return rows.map((r) => ({
    ...r,
    lastMessageAt: r.lastMessageAt.toISOString(),
    cswExpiresAt: r.cswExpiresAt?.toISOString() ?? null,
    fepExpiresAt: r.fepExpiresAt?.toISOString() ?? null,
  }));
}

/**
 * Emits the events for a committed ingest. Must run after the commit so clients
 * never fetch rows that are not there yet. Without a Socket.IO server in this
 * process it does nothing (and skips the summary query).
 */
export async function emitIngestEffects(db: DbOrTx, effects: IngestEffects): Promise<void> {
  if (!getIo()) return;
  const summaries = await loadThreadSummaries(db, effects.threadIds);
  for (const t of summaries) emitTo(rooms.inbox(t.inboxId), "thread:upsert", t);
  for (const m of effects.newMessages)
    emitTo([rooms.inbox(m.inboxId), rooms.thread(m.threadId)], "message:new", m);
  for (const s of effects.statusChanges) {
    if (!s.changed) continue;
    emitTo([rooms.inbox(s.inboxId), rooms.thread(s.threadId)], "message:status", {
      threadId: s.threadId,
      inboxId: s.inboxId,
      messageId: s.messageId,
      status: s.status,
      errorCode: s.errorCode,
      errorText: s.errorText,
    });
  }
  emitTemplateChanges(effects.templates);
}
