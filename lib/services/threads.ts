import { and, asc, desc, eq, inArray, isNull, lt, ne, or, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { z } from "zod";
import type { DbOrTx } from "../../db/client";
import { auditLog, contacts, inboxes, messages, templates, threads, users } from "../../db/schema";
import { THREAD_STATUSES, type ThreadStatus } from "../domain";
import { AppError } from "../errors";
import { log } from "../logger";
import { emitTo } from "../realtime/emit";
import { rooms, type ThreadSummary } from "../realtime/events";
import { renderTemplate, type StoredTemplateComponent, templateVariables } from "../whatsapp/template-params";
import { type Actor, accessibleInboxIds, canAccessInbox, seesAllInboxes } from "./access";

/* ------------------------------------------------------------------ list */

export const THREAD_VIEWS = ["mine", "unassigned", "all"] as const;
export type ThreadView = (typeof THREAD_VIEWS)[number];

export const threadListQuerySchema = z.object({
  view: z.enum(THREAD_VIEWS).default("all"),
  /** `active` = open or pending (what still needs someone); the default. */
  status: z.enum([...THREAD_STATUSES, "active", "all"]).default("active"),
  inboxId: z.string().uuid().optional(),
  q: z.string().trim().max(200).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export type ThreadListQuery = z.input<typeof threadListQuerySchema>;

const assignee = alias(users, "assignee");

const summaryCols = {
  id: threads.id,
  inboxId: threads.inboxId,
  contactId: threads.contactId,
  contactName: contacts.profileName,
  waId: contacts.waId,
  status: threads.status,
  snoozedUntil: threads.snoozedUntil,
  assigneeId: threads.assigneeId,
  assigneeName: assignee.name,
  unreadCount: threads.unreadCount,
  lastMessageAt: threads.lastMessageAt,
  lastMessagePreview: threads.lastMessagePreview,
  cswExpiresAt: threads.cswExpiresAt,
  fepExpiresAt: threads.fepExpiresAt,
};

function summaryQuery(db: DbOrTx) {
  return db
    .select(summaryCols)
    .from(threads)
    .innerJoin(contacts, eq(contacts.id, threads.contactId))
    .leftJoin(assignee, eq(assignee.id, threads.assigneeId));
}

type SummaryRow = Awaited<ReturnType<typeof summaryQuery>>[number];

function toSummary(r: SummaryRow): ThreadSummary {
  return {
    id: r.id,
    inboxId: r.inboxId,
    contactId: r.contactId,
    contactName: r.contactName,
    waId: r.waId,
    status: r.status,
    assigneeId: r.assigneeId,
    assigneeName: r.assigneeName,
    unreadCount: r.unreadCount,
    lastMessageAt: r.lastMessageAt.toISOString(),
    lastMessagePreview: r.lastMessagePreview,
    cswExpiresAt: r.cswExpiresAt?.toISOString() ?? null,
    fepExpiresAt: r.fepExpiresAt?.toISOString() ?? null,
  };
}

/** One thread as a list row (the payload of `thread:upsert`). */
export async function getThreadSummary(db: DbOrTx, threadId: string): Promise<ThreadSummary | null> {
  const [row] = await summaryQuery(db).where(eq(threads.id, threadId));
  return row ? toSummary(row) : null;
}

/** Emits a thread's list row to everyone who can see its inbox. Call after the commit. */
export async function announceThread(db: DbOrTx, threadId: string): Promise<ThreadSummary | null> {
  const summary = await getThreadSummary(db, threadId);
  if (summary) emitTo([rooms.inbox(summary.inboxId), rooms.thread(summary.id)], "thread:upsert", summary);
  return summary;
}

function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString("base64url");
}

function decodeCursor(cursor: string | undefined): { at: Date; id: string } | null {
  if (!cursor) return null;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as [string, string];
    const d = new Date(at);
    if (Number.isNaN(d.getTime()) || !z.string().uuid().safeParse(id).success) throw new Error("bad cursor");
    return { at: d, id };
  } catch {
    log.warn("threads.bad_cursor", { cursor });
    throw new AppError("invalid_input", "Invalid page cursor.");
  }
}

/** `%` and `_` typed by the user are literal characters, not wildcards. */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Above this many matching rows (messages + contacts) a search walks the list instead (see below). */
const SEARCH_HIT_CAP = 5000;

/**
 * The search filter of the thread list: the contact's name or number, or any message text
 * (reactions aside), contains `q` — or null when nothing matches at all.
 *
 * From 3 characters on, the matches are looked up first in the pg_trgm indexes (migration 0006):
 * at 2M messages a rare word, name or number is a few index pages instead of a scan of every
 * body, and the page is then read among those few threads. One statement cannot do both this and
 * the case of a common word: the planner either hashes every match (seconds when half the
 * messages match) or walks the list probing each thread. So the look-up stops at
 * SEARCH_HIT_CAP rows, and past that — matches are dense, so walking the list newest first finds a
 * page of them quickly — the per-thread probe is used. Under 3 characters a trigram index
 * cannot help; the probe is used too (fine when the string is common, which short strings
 * mostly are; a rare 1–2 character string may read every thread in view).
 */
async function searchPredicate(db: DbOrTx, q: string): Promise<SQL | null> {
  const pattern = likePattern(q);
  const digits = q.replace(/\D/g, "");
  const numberPattern = digits.length >= 3 ? `%${digits}%` : null;
  if (q.length >= 3) {
    // `type <> 'reaction'` is a literal so the partial index's predicate matches in any plan.
    const hits = await db.execute<{ kind: "thread" | "contact"; id: string }>(sql`
      select 'thread' as kind, ${messages.threadId} as id from ${messages}
       where ${messages.type} <> 'reaction' and ${messages.body} ilike ${pattern}
      union all
      select 'contact', ${contacts.id} from ${contacts}
       where ${contacts.profileName} ilike ${pattern}
             ${numberPattern ? sql`or ${contacts.waId} like ${numberPattern}` : sql``}
      limit ${SEARCH_HIT_CAP + 1}`);
    if (hits.length <= SEARCH_HIT_CAP) {
      const threadIds = [...new Set(hits.filter((h) => h.kind === "thread").map((h) => h.id))];
      const contactIds = [...new Set(hits.filter((h) => h.kind === "contact").map((h) => h.id))];
      // One array parameter each, not one parameter per id: up to 5,000 ids bind and plan faster.
      return (
        or(
          threadIds.length ? sql`${threads.id} = any(${sql.param(threadIds)}::uuid[])` : undefined,
          contactIds.length ? sql`${threads.contactId} = any(${sql.param(contactIds)}::uuid[])` : undefined,
        ) ?? null
      );
    }
  }
  return or(
    sql`${contacts.profileName} ilike ${pattern}`,
    numberPattern ? sql`${contacts.waId} like ${numberPattern}` : undefined,
    sql`exists (select 1 from ${messages} m where m.thread_id = ${threads.id} and m.type <> 'reaction' and m.body ilike ${pattern})`,
  )!;
}

/**
 * The thread list `user` may see, newest activity first, one page at a time
 * (keyset pagination on (last_message_at, id), so page N costs what page 1 does).
 * Search matches the contact's name, number, or any message text.
 */
export async function listThreads(
  db: DbOrTx,
  user: Actor,
  query: ThreadListQuery,
): Promise<{ threads: ThreadSummary[]; nextCursor: string | null }> {
  const parsed = threadListQuerySchema.safeParse(query);
  if (!parsed.success) {
    log.warn("threads.list_invalid", { issues: parsed.error.issues.map((i) => i.message) });
    throw new AppError("invalid_input", parsed.error.issues[0]?.message ?? "Invalid filter");
  }
  const f = parsed.data;
  const where: SQL[] = [];
  if (!seesAllInboxes(user)) {
    const ids = await accessibleInboxIds(db, user);
    if (ids.length === 0) return { threads: [], nextCursor: null };
    where.push(inArray(threads.inboxId, ids));
  }
  if (f.inboxId) where.push(eq(threads.inboxId, f.inboxId));
  if (f.view === "mine") where.push(eq(threads.assigneeId, user.id));
  if (f.view === "unassigned") where.push(isNull(threads.assigneeId));
  if (f.status === "active") where.push(inArray(threads.status, ["open", "pending"]));
  else if (f.status !== "all") where.push(eq(threads.status, f.status));
  if (f.q) {
    const search = await searchPredicate(db, f.q);
    if (!search) return { threads: [], nextCursor: null };
    where.push(search);
  }
  const cursor = decodeCursor(f.cursor);
  if (cursor) {
    where.push(
      or(
        lt(threads.lastMessageAt, cursor.at),
        and(eq(threads.lastMessageAt, cursor.at), lt(threads.id, cursor.id)),
      )!,
    );
  }
  const rows = await summaryQuery(db)
    .where(and(...where))
    .orderBy(desc(threads.lastMessageAt), desc(threads.id))
    .limit(f.limit + 1);
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return {
    threads: page.map(toSummary),
    nextCursor: rows.length > f.limit && last ? encodeCursor(last.lastMessageAt, last.id) : null,
  };
}

/* ---------------------------------------------------------- one thread */

export type ThreadDetail = ThreadSummary & {
  inboxName: string;
  wabaId: string;
  snoozedUntil: string | null;
  lastInboundAt: string | null;
  referral: Record<string, unknown> | null;
  referralAt: string | null;
  contactLabels: string[];
  optedOutMarketing: boolean;
  createdAt: string;
};

/**
 * A thread `user` may see, or not_found — also when it exists in an inbox they
 * are not a member of, so thread ids of other inboxes reveal nothing.
 */
export async function getThreadForUser(db: DbOrTx, user: Actor, threadId: string): Promise<ThreadDetail> {
  if (!z.string().uuid().safeParse(threadId).success)
    throw new AppError("not_found", "Conversation not found.");
  const [row] = await db
    .select({
      ...summaryCols,
      inboxName: inboxes.name,
      wabaId: inboxes.wabaId,
      lastInboundAt: threads.lastInboundAt,
      referral: threads.referral,
      referralAt: threads.referralAt,
      contactLabels: contacts.labels,
      optedOutMarketing: contacts.optedOutMarketing,
      createdAt: threads.createdAt,
    })
    .from(threads)
    .innerJoin(contacts, eq(contacts.id, threads.contactId))
    .innerJoin(inboxes, eq(inboxes.id, threads.inboxId))
    .leftJoin(assignee, eq(assignee.id, threads.assigneeId))
    .where(eq(threads.id, threadId));
  if (!row) throw new AppError("not_found", "Conversation not found.");
  if (!(await canAccessInbox(db, user, row.inboxId))) {
    log.warn("threads.access_denied", { userId: user.id, threadId, inboxId: row.inboxId });
    throw new AppError("not_found", "Conversation not found.");
  }
  return {
    ...toSummary(row),
    inboxName: row.inboxName,
    wabaId: row.wabaId,
    snoozedUntil: row.snoozedUntil?.toISOString() ?? null,
    lastInboundAt: row.lastInboundAt?.toISOString() ?? null,
    referral: (row.referral as Record<string, unknown> | null) ?? null,
    referralAt: row.referralAt?.toISOString() ?? null,
    contactLabels: row.contactLabels,
    optedOutMarketing: row.optedOutMarketing,
    createdAt: row.createdAt.toISOString(),
  };
}

/* ------------------------------------------------------------ messages */

export type MessageView = {
  id: string;
  threadId: string;
  direction: "inbound" | "outbound";
  type: string;
  body: string | null;
  caption: string | null;
  template: { name: string; language: string | null; category: string | null; params: unknown } | null;
  media: { url: string; mime: string | null; filename: string | null } | null;
  replyTo: { id: string; body: string | null; direction: string } | null;
  reactions: { emoji: string; direction: string }[];
  status: string;
  errorCode: number | null;
  errorText: string | null;
  senderName: string | null;
  at: string;
  sentAt: string | null;
  deliveredAt: string | null;
  readAt: string | null;
  failedAt: string | null;
  clientId: string | null;
};

const MEDIA_TYPES = new Set(["image", "audio", "video", "document", "sticker", "voice"]);
const sender = alias(users, "sender");

function payloadObject(p: unknown): Record<string, unknown> {
  return p && typeof p === "object" && !Array.isArray(p) ? (p as Record<string, unknown>) : {};
}

function str(v: unknown): string | null {
  return typeof v === "string" && v.length > 0 ? v : null;
}

/**
 * Messages of a thread, a page at a time from the newest backwards
 * (`before` = cursor of the oldest message shown), returned oldest first for
 * display. Reactions are folded into the message they react to; replies carry
 * a short quote of the message they answer; templates come rendered.
 */
export async function listMessages(
  db: DbOrTx,
  threadId: string,
  opts: { before?: string; limit?: number } = {},
): Promise<{ messages: MessageView[]; olderCursor: string | null }> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 200);
  const cursor = decodeCursor(opts.before);
  const where: SQL[] = [eq(messages.threadId, threadId), ne(messages.type, "reaction")];
  if (cursor) {
    where.push(or(lt(messages.at, cursor.at), and(eq(messages.at, cursor.at), lt(messages.id, cursor.id)))!);
  }
  const rows = await db
    .select({ m: messages, senderName: sender.name })
    .from(messages)
    .leftJoin(sender, eq(sender.id, messages.senderUserId))
    .where(and(...where))
    .orderBy(desc(messages.at), desc(messages.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit).reverse();
  const oldest = page[0];
  const olderCursor = rows.length > limit && oldest ? encodeCursor(oldest.m.at, oldest.m.id) : null;

  const wamids = page.map((r) => r.m.wamid).filter((w): w is string => Boolean(w));
  const replyWamids = [...new Set(page.map((r) => r.m.replyToWamid).filter((w): w is string => Boolean(w)))];
  const [reactions, quoted] = await Promise.all([
    wamids.length
      ? db
          .select({ payload: messages.payload, direction: messages.direction, at: messages.at })
          .from(messages)
          .where(
            and(
              eq(messages.threadId, threadId),
              eq(messages.type, "reaction"),
              inArray(sql<string>`${messages.payload}->>'message_id'`, wamids),
            ),
          )
          .orderBy(asc(messages.at))
      : Promise.resolve([]),
    replyWamids.length
      ? db
          .select({
            id: messages.id,
            wamid: messages.wamid,
            body: messages.body,
            direction: messages.direction,
          })
          .from(messages)
          .where(inArray(messages.wamid, replyWamids))
      : Promise.resolve([]),
  ]);

  // Latest reaction per (target, direction) wins; an empty emoji removes it (WhatsApp semantics).
  const reactionMap = new Map<string, Map<string, string>>();
  for (const r of reactions) {
    const p = payloadObject(r.payload);
    const target = str(p.message_id);
    if (!target) continue;
    const m = reactionMap.get(target) ?? new Map<string, string>();
    m.set(r.direction, typeof p.emoji === "string" ? p.emoji : "");
    reactionMap.set(target, m);
  }

  const templateNames = [
    ...new Set(
      page
        .filter((r) => r.m.type === "template" && !r.m.body && r.m.templateName)
        .map((r) => r.m.templateName!),
    ),
  ];
  const tplRows = templateNames.length
    ? await db
        .select({ name: templates.name, language: templates.language, components: templates.components })
        .from(templates)
        .innerJoin(threads, eq(threads.id, threadId))
        .innerJoin(inboxes, eq(inboxes.id, threads.inboxId))
        .where(and(inArray(templates.name, templateNames), eq(templates.wabaId, inboxes.wabaId)))
    : [];

  return {
    olderCursor,
    messages: page.map(({ m, senderName }) => {
      const p = payloadObject(m.payload);
      let body = m.body;
      if (m.type === "template" && !body && m.templateName) {
        const tpl =
          tplRows.find((t) => t.name === m.templateName && t.language === m.templateLanguage) ??
          tplRows.find((t) => t.name === m.templateName);
        if (tpl) body = renderStoredTemplate(tpl.components as StoredTemplateComponent[], m.templateParams);
      }
      const isMedia = MEDIA_TYPES.has(m.type) || Boolean(m.mediaId || m.mediaPath);
      const q = m.replyToWamid ? quoted.find((x) => x.wamid === m.replyToWamid) : undefined;
      const reacts = m.wamid ? reactionMap.get(m.wamid) : undefined;
      return {
        id: m.id,
        threadId: m.threadId,
        direction: m.direction,
        type: m.type,
        body,
        caption: str(p.caption),
        template:
          m.type === "template"
            ? {
                name: m.templateName ?? "",
                language: m.templateLanguage,
                category: m.templateCategory,
                params: m.templateParams,
              }
            : null,
        media: isMedia
          ? { url: `/api/media/${m.id}`, mime: m.mediaMime ?? str(p.mime_type), filename: str(p.filename) }
          : null,
        replyTo: q ? { id: q.id, body: q.body, direction: q.direction } : null,
        reactions: reacts
          ? [...reacts.entries()].filter(([, e]) => e).map(([direction, emoji]) => ({ emoji, direction }))
          : [],
        status: m.status,
        errorCode: m.errorCode,
        errorText: m.errorText,
        senderName,
        at: m.at.toISOString(),
        sentAt: m.sentAt?.toISOString() ?? null,
        deliveredAt: m.deliveredAt?.toISOString() ?? null,
        readAt: m.readAt?.toISOString() ?? null,
        failedAt: m.failedAt?.toISOString() ?? null,
        clientId: m.clientId,
      };
    }),
  };
}

/**
 * Body text of a template message stored without one. Params are stored either
 * as the send service's `{ params, headerParams }` or as a bare array / record.
 */
function renderStoredTemplate(components: StoredTemplateComponent[], stored: unknown): string {
  const o = payloadObject(stored);
  const given = "params" in o ? o.params : stored;
  const names = templateVariables(components).body;
  const body = new Map<string, string>();
  names.forEach((name, i) => {
    const v = Array.isArray(given)
      ? given[/^\d+$/.test(name) ? Number(name) - 1 : i]
      : (payloadObject(given) as Record<string, unknown>)[name];
    if (typeof v === "string") body.set(name, v);
  });
  return renderTemplate(components, { body }).body;
}

/** One message as the conversation shows it (for `message:new` / `message:status` refreshes). */
export async function getMessageView(
  db: DbOrTx,
  threadId: string,
  messageId: string,
): Promise<MessageView | null> {
  // Reuse the page query's shaping: the message is the newest at or before its own instant.
  const [m] = await db
    .select({ at: messages.at, id: messages.id })
    .from(messages)
    .where(and(eq(messages.id, messageId), eq(messages.threadId, threadId)));
  if (!m) return null;
  const after = encodeCursor(new Date(m.at.getTime() + 1), m.id);
  const { messages: page } = await listMessages(db, threadId, { before: after, limit: 5 });
  return page.find((x) => x.id === messageId) ?? null;
}

/* ---------------------------------------------------------- assignment */

async function threadInboxForActor(db: DbOrTx, user: Actor, threadId: string) {
  if (!z.string().uuid().safeParse(threadId).success)
    throw new AppError("not_found", "Conversation not found.");
  const [t] = await db
    .select({
      id: threads.id,
      inboxId: threads.inboxId,
      assigneeId: threads.assigneeId,
      status: threads.status,
    })
    .from(threads)
    .where(eq(threads.id, threadId));
  if (!t || !(await canAccessInbox(db, user, t.inboxId))) {
    if (t) log.warn("threads.access_denied", { userId: user.id, threadId });
    throw new AppError("not_found", "Conversation not found.");
  }
  return t;
}

async function audit(
  db: DbOrTx,
  actor: Actor,
  action: string,
  threadId: string,
  data: Record<string, unknown>,
) {
  await db
    .insert(auditLog)
    .values({ actorUserId: actor.id, action, targetType: "thread", targetId: threadId, data });
}

/**
 * "Assign to me": a conditional UPDATE that only succeeds while nobody holds
 * the thread, so of two agents claiming at once exactly one wins; the other
 * gets a Conflict naming the winner.
 */
export async function claimThread(db: DbOrTx, user: Actor, threadId: string): Promise<ThreadSummary> {
  await threadInboxForActor(db, user, threadId);
  const [won] = await db
    .update(threads)
    .set({ assigneeId: user.id, updatedAt: new Date() })
    .where(and(eq(threads.id, threadId), isNull(threads.assigneeId)))
    .returning({ id: threads.id });
  if (!won) {
    const current = await getThreadSummary(db, threadId);
    if (current?.assigneeId === user.id) return current;
    log.info("threads.claim_conflict", { userId: user.id, threadId, holder: current?.assigneeId });
    throw new AppError("conflict", `Already assigned to ${current?.assigneeName ?? "someone else"}.`, {
      assigneeId: current?.assigneeId ?? null,
      assigneeName: current?.assigneeName ?? null,
    });
  }
  await audit(db, user, "thread.claim", threadId, {});
  const summary = (await announceThread(db, threadId))!;
  return summary;
}

/**
 * Assigns, transfers (assigneeId = someone else) or unassigns (null).
 * Agents may hand over or release only threads that are theirs or unassigned;
 * supervisors and admins may move any. The new assignee must be an active user
 * who can see the thread's inbox. `expectedAssigneeId` (optional) turns the
 * change into a compare-and-set, so a stale screen cannot overwrite a newer assignment.
 */
export async function assignThread(
  db: DbOrTx,
  user: Actor,
  threadId: string,
  assigneeId: string | null,
  expectedAssigneeId?: string | null,
): Promise<ThreadSummary> {
  const t = await threadInboxForActor(db, user, threadId);
  if (!seesAllInboxes(user) && t.assigneeId !== null && t.assigneeId !== user.id) {
    log.warn("threads.assign_forbidden", { userId: user.id, threadId, holder: t.assigneeId });
    throw new AppError("forbidden", "Only the assignee or a supervisor can reassign this conversation.");
  }
  if (assigneeId !== null) {
    if (!z.string().uuid().safeParse(assigneeId).success)
      throw new AppError("invalid_input", "Unknown agent.");
    const [target] = await db
      .select({ id: users.id, role: users.role, active: users.active })
      .from(users)
      .where(eq(users.id, assigneeId));
    if (!target?.active) throw new AppError("invalid_input", "That agent does not exist or is deactivated.");
    if (!(await canAccessInbox(db, target, t.inboxId))) {
      throw new AppError("invalid_input", "That agent is not a member of this inbox.");
    }
  }
  const expected = expectedAssigneeId === undefined ? t.assigneeId : expectedAssigneeId;
  const [changed] = await db
    .update(threads)
    .set({ assigneeId, updatedAt: new Date() })
    .where(
      and(
        eq(threads.id, threadId),
        expected === null ? isNull(threads.assigneeId) : eq(threads.assigneeId, expected),
      ),
    )
    .returning({ id: threads.id });
  if (!changed) {
    const current = await getThreadSummary(db, threadId);
    throw new AppError("conflict", "Someone changed the assignment in the meantime.", {
      assigneeId: current?.assigneeId ?? null,
      assigneeName: current?.assigneeName ?? null,
    });
  }
  const action = assigneeId === null ? "thread.unassign" : t.assigneeId ? "thread.transfer" : "thread.assign";
  await audit(db, user, action, threadId, { from: t.assigneeId, to: assigneeId });
  return (await announceThread(db, threadId))!;
}

/* --------------------------------------------------------------- status */

export const statusChangeSchema = z
  .object({
    status: z.enum(THREAD_STATUSES),
    snoozedUntil: z.coerce.date().optional(),
  })
  .refine((v) => v.status !== "snoozed" || v.snoozedUntil, { message: "Choose until when to snooze." });

/** Open / pending / resolved / snoozed (until a future time). */
export async function setThreadStatus(
  db: DbOrTx,
  user: Actor,
  threadId: string,
  input: { status: ThreadStatus; snoozedUntil?: Date | string },
  now = new Date(),
): Promise<ThreadSummary> {
  const parsed = statusChangeSchema.safeParse(input);
  if (!parsed.success) {
    log.warn("threads.status_invalid", { threadId, issues: parsed.error.issues.map((i) => i.message) });
    throw new AppError("invalid_input", parsed.error.issues[0]?.message ?? "Invalid status");
  }
  const { status, snoozedUntil } = parsed.data;
  if (status === "snoozed" && snoozedUntil && snoozedUntil.getTime() <= now.getTime()) {
    throw new AppError("invalid_input", "Snooze until a time in the future.");
  }
  const t = await threadInboxForActor(db, user, threadId);
  await db
    .update(threads)
    .set({ status, snoozedUntil: status === "snoozed" ? snoozedUntil! : null, updatedAt: now })
    .where(eq(threads.id, threadId));
  await audit(db, user, "thread.status", threadId, { from: t.status, to: status, snoozedUntil });
  return (await announceThread(db, threadId))!;
}

/** Clears the unread badge of a thread the user opened. */
export async function markThreadRead(db: DbOrTx, user: Actor, threadId: string): Promise<void> {
  await threadInboxForActor(db, user, threadId);
  const [changed] = await db
    .update(threads)
    .set({ unreadCount: 0 })
    .where(and(eq(threads.id, threadId), sql`${threads.unreadCount} > 0`))
    .returning({ id: threads.id });
  if (changed) await announceThread(db, threadId);
}

/**
 * Reopens snoozed threads whose time came (safe with several instances: the
 * UPDATE hands each row to one of them). Returns the reopened thread ids.
 */
export async function wakeSnoozedThreads(db: DbOrTx, now = new Date()): Promise<string[]> {
  const rows = await db
    .update(threads)
    .set({ status: "open", snoozedUntil: null, updatedAt: now })
    .where(and(eq(threads.status, "snoozed"), lt(threads.snoozedUntil, now)))
    .returning({ id: threads.id });
  for (const r of rows) await announceThread(db, r.id);
  return rows.map((r) => r.id);
}
