import { eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import { contacts, threads, users } from "../../db/schema";
import { emitPacked, getIo } from "../realtime/emit";
import { type BatchedEvent, type MessageEvent, rooms, type ThreadSummary } from "../realtime/events";
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
  // Everyone in a thread's room is in its inbox's room (joining a thread checks the inbox), so
  // one inbox room carries it all, packed: a few packets per inbox per batch.
  const byInbox = new Map<string, BatchedEvent[]>();
  const add = (inboxId: string, e: BatchedEvent) => {
    const list = byInbox.get(inboxId);
    if (list) list.push(e);
    else byInbox.set(inboxId, [e]);
  };
  for (const t of summaries) add(t.inboxId, ["thread:upsert", t]);
  for (const m of effects.newMessages) add(m.inboxId, ["message:new", m]);
  for (const s of effects.statusChanges) {
    if (!s.changed) continue;
    add(s.inboxId, [
      "message:status",
      {
        threadId: s.threadId,
        inboxId: s.inboxId,
        messageId: s.messageId,
        status: s.status,
        errorCode: s.errorCode,
        errorText: s.errorText,
      },
    ]);
  }
  for (const [inboxId, events] of byInbox) emitPacked(rooms.inbox(inboxId), events);
  emitTemplateChanges(effects.templates);
}
