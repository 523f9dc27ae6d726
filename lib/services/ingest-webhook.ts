import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import {
  contacts,
  inboxes,
  messageStatuses,
  messages,
  threads,
  webhookEvents,
  workspaceSettings,
} from "../../db/schema";
import { AppError } from "../errors";
import { log } from "../logger";
import { type ParsedWebhook, parseWebhookBody } from "../whatsapp/webhook-schemas";
import { CSW_MS } from "../windows/csw";
import {
  type InboxRef,
  type IngestPlan,
  isStopWord,
  mergePlans,
  type PlannedMessage,
  planIngest,
  previewOf,
  statusKey,
} from "./ingest-plan";
import { emitIngestEffects, type IngestEffects } from "./ingest-realtime";
import { type AppliedStatus, applyStatusesForWamids, lockWamids } from "./ingest-statuses";
import { applyTemplateStatusUpdate } from "./templates";
import { refreshThreadState } from "./thread-state";
import { transactionWithRetry } from "./tx-retry";

export { applyPendingStatuses } from "./ingest-statuses";

/**
 * Storing Meta's webhook bodies. The endpoint (webhook-endpoint.ts) checks a
 * body and hands it to the batcher (ingest-batcher.ts), which stores the bodies
 * that arrive together in one transaction here — raw events, contacts, threads,
 * messages, statuses, template changes, window state — answers each after the
 * commit, then emits the realtime events.
 *
 * Idempotent by construction: messages are `insert … on conflict (wamid) do
 * nothing`, statuses `on conflict (wamid, status) do nothing`, and thread
 * counters move only for rows actually inserted, so Meta's redeliveries (and
 * the same body posted in parallel) change nothing.
 *
 * Lock order, to keep parallel bodies from deadlocking: contacts (upsert, by
 * wa_id) → every thread the body touches (`for update`, by id, in one
 * statement) → status wamids (advisory, sorted; shared with the outbox) →
 * messages (by id). Identical bodies
 * serialise on the first contact row. What ordering cannot rule out (bodies
 * mixing one thread's messages with another's statuses) is retried on
 * deadlock/serialization failure.
 */

/** Defaults when the workspace_settings row does not exist yet (same as the column default). */
export const DEFAULT_STOP_WORDS = ["STOP", "PARAR"] as const;

export type IngestSummary = {
  webhookEventId: number;
  messagesStored: number;
  /** Messages we already had (redeliveries). */
  messagesDuplicate: number;
  statusesStored: number;
  /** Statuses applied to a stored message in this body (some may change nothing, e.g. delivered after read). */
  statusesApplied: number;
  /** Statuses kept for wamids we have not stored yet (applied when the message appears). */
  statusesPending: number;
  templatesUpdated: number;
  optedOut: number;
  /** Threads whose messages or statuses changed, each refreshed once. */
  threadIds: string[];
  unknownPhoneNumberIds: string[];
  /** Items or parts not stored (skipped malformed items, value-level errors), as written to webhook_events.note. */
  notes: string[];
};

// ---------------------------------------------------------------- service API

/** A body ready to store: parsed, and sanitised (sanitizeForPostgres) as `body`. */
export type IngestJob = { webhook: ParsedWebhook; body: unknown };

/**
 * Stores a webhook body that is already trusted (signature checked, or built by
 * the simulator/bench). Throws AppError("invalid_input") if it is not a WhatsApp
 * Business Account webhook. Emits realtime events after the commit.
 */
export async function ingestWebhookPayload(db: Db, payload: unknown): Promise<IngestSummary> {
  const body = sanitizeForPostgres(payload);
  const parsed = parseWebhookBody(body);
  if (!parsed.ok) {
    throw new AppError("invalid_input", "Not a WhatsApp Business Account webhook.", {
      issues: parsed.issues,
    });
  }
  const { summaries, effects } = await storeWebhookBatch(db, [{ webhook: parsed.webhook, body }]);
  await emitCommitted(db, effects);
  return summaries[0];
}

/**
 * Stores several bodies in one transaction (one raw event row each) and returns
 * one summary per body, in order, plus what to emit once the caller has
 * answered. Retried on deadlock; any other error fails the whole batch (the
 * batcher then stores its bodies one by one, so one bad body fails alone).
 */
export async function storeWebhookBatch(
  db: Db,
  jobs: readonly IngestJob[],
): Promise<{ summaries: IngestSummary[]; effects: IngestEffects }> {
  return transactionWithRetry(db, "webhook", (tx) => ingestInTx(tx, jobs));
}

/** Emits a committed batch's realtime events; a failure only delays clients until their next fetch. */
export async function emitCommitted(db: Db, effects: IngestEffects): Promise<void> {
  try {
    await emitIngestEffects(db, effects);
  } catch (err) {
    log.error("webhook.emit_failed", { error: (err as Error).message });
  }
}

async function ingestInTx(
  tx: Tx,
  jobs: readonly IngestJob[],
): Promise<{ summaries: IngestSummary[]; effects: IngestEffects }> {
  const phoneNumberIds = [...new Set(jobs.flatMap((j) => j.webhook.phoneNumberIds))];
  const inboxRows = await inboxesByPhoneNumber(tx, phoneNumberIds);
  const plans = jobs.map((j) => planIngest(j.webhook, inboxRows));
  const notesOf = plans.map((plan, i) => {
    const notes = [...plan.notes];
    for (const id of plan.unknownPhoneNumberIds) {
      log.warn("webhook.unknown_number", { phoneNumberId: id });
      notes.push(`unknown phone_number_id ${id}`);
    }
    for (const note of plan.notes) log.warn("webhook.item_not_stored", { note: note.slice(0, 1000) });
    const ignored = jobs[i].webhook.ignoredFields;
    if (ignored.length) log.info("webhook.fields_ignored", { fields: ignored });
    return notes;
  });

  // One raw event per body. Sent without waiting: postgres.js pipelines it with the contacts
  // upsert on the transaction's connection. Rows are inserted in body order, so their ids
  // (one sequence, assigned as inserted) sorted ascending are the bodies' ids in order.
  const eventsJson = JSON.stringify(
    jobs.map((j, i) => ({
      i,
      phone_number_ids: j.webhook.phoneNumberIds,
      body: j.body,
      unknown_number: plans[i].unknownPhoneNumberIds.length > 0,
      note: notesOf[i].length ? notesOf[i].join("\n") : null,
    })),
  );
  const eventsInsert = tx.execute<{ id: number | string }>(sql`
    insert into ${webhookEvents} (phone_number_ids, body, unknown_number, note)
    select array(select jsonb_array_elements_text(e.phone_number_ids)), e.body, e.unknown_number, e.note
      from jsonb_to_recordset(${eventsJson}::jsonb)
        as e(i int, phone_number_ids jsonb, body jsonb, unknown_number boolean, note text)
     order by e.i
    returning id`);

  const batch = mergePlans(plans);
  const plan = batch.merged;
  const effects: IngestEffects = { threadIds: [], newMessages: [], statusChanges: [], templates: [] };

  const [eventRows, { inserted, optedOut, needEngine }] = await Promise.all([
    eventsInsert,
    storeInboundMessages(tx, plan),
  ]);
  const eventIds = eventRows.map((r) => Number(r.id)).sort((x, y) => x - y);
  const { fresh, applied } = await storeStatuses(tx, plan);

  // Template lifecycle rules (status mapping, reasons, audit log) live in the templates service.
  const templatesUpdated = jobs.map(() => 0);
  for (const [i, { wabaId, value: v }] of plan.templateUpdates.entries()) {
    const change = await applyTemplateStatusUpdate(tx, {
      wabaId,
      metaId: v.message_template_id ?? null,
      name: v.message_template_name,
      language: v.message_template_language,
      event: v.event,
      reason: v.reason ?? null,
      otherInfo: v.other_info ?? null,
      category: v.message_template_category ?? null,
    });
    if (change) {
      templatesUpdated[batch.templateOwner[i]]++;
      effects.templates.push(change);
    }
  }

  // Window state, once per thread per batch, in id order (the lock order), only where it can
  // change: statuses that moved a delivery (AppliedStatus.billingChanged), and new inbound
  // messages older than an outbound event of the contact (storeMessagesAndThreads) — a current
  // one has already moved the CSW in its thread update.
  const inboundThreads = new Set(inserted.map((m) => m.threadId));
  const statusThreads = new Set(applied.filter((s) => s.changed).map((s) => s.threadId));
  const engineThreads = new Set([
    ...applied.filter((s) => s.billingChanged).map((s) => s.threadId),
    ...needEngine,
  ]);
  for (const id of [...engineThreads].sort()) await refreshThreadState(tx, id);
  const threadIds = [...new Set([...inboundThreads, ...statusThreads])].sort();

  for (const m of inserted)
    effects.newMessages.push({ threadId: m.threadId, inboxId: m.planned.inboxId, messageId: m.id });
  effects.statusChanges.push(...applied);
  effects.threadIds = threadIds;
  if (inserted.length < plan.messages.length)
    log.info("webhook.duplicates", { count: plan.messages.length - inserted.length });

  // One answer per body, from the rows its own items wrote.
  const insertedWamids = new Set(inserted.map((m) => m.wamid));
  const appliedByWamid = new Map(applied.map((a) => [a.wamid, a]));
  const summaries = jobs.map((_, i): IngestSummary => {
    const own = plans[i];
    const mine = inserted.filter((m) => batch.messageOwner.get(m.wamid) === i);
    const freshMine = own.statuses.filter((s) => {
      const key = statusKey(s.wamid, s.status);
      return fresh.has(key) && batch.statusOwner.get(key) === i;
    });
    const appliedMine = freshMine.filter((s) => appliedByWamid.has(s.wamid)).length;
    const touched = new Set(mine.map((m) => m.threadId));
    for (const s of own.statuses) {
      const a = appliedByWamid.get(s.wamid);
      if (a?.changed) touched.add(a.threadId);
    }
    return {
      webhookEventId: eventIds[i],
      messagesStored: mine.length,
      messagesDuplicate: own.messages.filter(
        (m) => !insertedWamids.has(m.wamid) || batch.messageOwner.get(m.wamid) !== i,
      ).length,
      statusesStored: freshMine.length,
      statusesApplied: appliedMine,
      statusesPending: freshMine.length - appliedMine,
      templatesUpdated: templatesUpdated[i],
      optedOut: optedOut.filter((w) => batch.messageOwner.get(w) === i).length,
      threadIds: [...touched].sort(),
      unknownPhoneNumberIds: own.unknownPhoneNumberIds,
      notes: notesOf[i],
    };
  });
  return { summaries, effects };
}

// ---------------------------------------------------------------- inbound messages

type InsertedMessage = {
  id: string;
  wamid: string;
  threadId: string;
  contactId: string;
  planned: PlannedMessage;
};

const CHUNK = 500; // rows per multi-row insert: far below PostgreSQL's 65,535 parameters

/**
 * Contacts, threads and inbound messages. Returns the messages really inserted,
 * the wamids that opted out, and the threads whose billing the engine must
 * recompute (see storeMessagesAndThreads).
 */
async function storeInboundMessages(
  tx: Tx,
  plan: IngestPlan,
): Promise<{ inserted: InsertedMessage[]; optedOut: string[]; needEngine: string[] }> {
  const none = { inserted: [], optedOut: [], needEngine: [] };
  if (plan.messages.length === 0 && plan.statuses.length === 0) return none;

  // 1. Contacts, sorted by wa_id: the upsert row-locks them, so parallel bodies queue here in one order.
  const contactsJson = JSON.stringify(
    [...plan.contacts.keys()]
      .sort()
      .map((waId) => ({ wa_id: waId, profile_name: plan.contacts.get(waId) ?? null })),
  );
  const contactRows = await tx.execute<{ id: string; wa_id: string }>(sql`
    insert into ${contacts} (wa_id, profile_name)
    select wa_id, profile_name from jsonb_to_recordset(${contactsJson}::jsonb) as v(wa_id text, profile_name text)
     order by wa_id
    on conflict (wa_id) do update set profile_name = coalesce(excluded.profile_name, ${contacts}.profile_name)
    returning id, wa_id`);
  const contactIds = new Map(contactRows.map((r) => [r.wa_id, r.id]));

  // 2. The threads of messages named by statuses (locked with the others below).
  const statusWamids = [...new Set(plan.statuses.map((s) => s.wamid))];
  const statusThreadIds = statusWamids.length
    ? [
        ...new Set(
          (
            await tx
              .select({ threadId: messages.threadId })
              .from(messages)
              .where(inArray(messages.wamid, statusWamids))
          ).map((r) => r.threadId),
        ),
      ]
    : [];

  // 3. Threads (inbox × contact), created on first message, and every thread this batch may
  //    change locked (`for update`) in id order — the lock order — in one statement.
  const pairs = new Map<string, { inboxId: string; contactId: string; firstAt: Date }>();
  for (const m of plan.messages) {
    const contactId = contactIds.get(m.waId)!;
    const key = `${m.inboxId}|${contactId}`;
    const p = pairs.get(key);
    if (!p) pairs.set(key, { inboxId: m.inboxId, contactId, firstAt: m.at });
    else if (m.at < p.firstAt) p.firstAt = m.at;
  }
  const pairList = [...pairs.values()];
  const threadByPair = new Map<string, string>();
  if (pairList.length) {
    // `created` holds the threads the insert made (locked by it); `locked` the ones that
    // existed at the statement's start, plus the statuses' threads.
    const pairsJson = JSON.stringify(
      pairList.map((p) => ({ inbox_id: p.inboxId, contact_id: p.contactId, at: p.firstAt })),
    );
    const rows = await tx.execute<{ id: string; inbox_id: string; contact_id: string }>(sql`
      with v as (
        select * from jsonb_to_recordset(${pairsJson}::jsonb) as v(inbox_id uuid, contact_id uuid, at timestamptz)),
      created as (
        insert into ${threads} (inbox_id, contact_id, last_message_at)
        select inbox_id, contact_id, at from v
        on conflict (inbox_id, contact_id) do nothing
        returning id, inbox_id, contact_id),
      locked as materialized (
        select t.id, t.inbox_id, t.contact_id from ${threads} t
         where (t.inbox_id = any(${uuidArray(pairList.map((p) => p.inboxId))})
                and t.contact_id = any(${uuidArray(pairList.map((p) => p.contactId))}))
            or t.id = any(${uuidArray(statusThreadIds)})
         order by t.id
           for update of t)
      select id, inbox_id, contact_id from created
      union all
      select l.id, l.inbox_id, l.contact_id from locked l join v using (inbox_id, contact_id)`);
    for (const t of rows) threadByPair.set(`${t.inbox_id}|${t.contact_id}`, t.id);
    // A thread another transaction created after this statement's snapshot was neither inserted
    // nor seen above (the insert waited for it, then skipped it): read and lock it now.
    const missing = pairList.filter((p) => !threadByPair.has(`${p.inboxId}|${p.contactId}`));
    if (missing.length) {
      const late = await tx
        .select({ id: threads.id, inboxId: threads.inboxId, contactId: threads.contactId })
        .from(threads)
        .where(
          and(
            inArray(threads.inboxId, [...new Set(missing.map((p) => p.inboxId))]),
            inArray(threads.contactId, [...new Set(missing.map((p) => p.contactId))]),
          ),
        )
        .orderBy(asc(threads.id))
        .for("update");
      for (const t of late) threadByPair.set(`${t.inboxId}|${t.contactId}`, t.id);
    }
  } else if (statusThreadIds.length) {
    await tx
      .select({ id: threads.id })
      .from(threads)
      .where(inArray(threads.id, statusThreadIds))
      .orderBy(asc(threads.id))
      .for("update");
  }
  if (plan.messages.length === 0) return none;

  // 4. Messages — insert … on conflict (wamid) do nothing, so only rows really inserted count —
  //    and the bookkeeping of their threads, in one statement (see storeMessagesAndThreads).
  const contactOf = (m: PlannedMessage) => contactIds.get(m.waId)!;
  const { inserted, needEngine } = await storeMessagesAndThreads(
    tx,
    plan,
    contactOf,
    (m) => threadByPair.get(`${m.inboxId}|${contactOf(m)}`)!,
  );
  return { inserted, optedOut: await applyOptOuts(tx, inserted), needEngine };
}

/**
 * The new inbound messages and every thread they land in, in one statement.
 * Messages: one JSON parameter, not a VALUES list (drizzle's per-value work was
 * a quarter of this process's time at 50 messages a body). Threads, from the
 * messages really inserted: the CSW runs from the customer's latest message
 * timestamp (never moved back) and its expiry is stored with it, the preview
 * follows the latest message overall, unread grows by the number inserted,
 * resolved/snoozed threads reopen, and a Click-to-WhatsApp referral is
 * remembered with its message time.
 *
 * Also returns the threads whose contact (in that account) has an outbound
 * message sent, delivered, read or failed at or after the earliest new message:
 * only for those can a customer message change what the engine computed (a
 * billing conversation, a verdict, the FEP — a unit property test of the engine
 * pins this down). Usually none: a customer writing now is later than
 * everything sent.
 */
async function storeMessagesAndThreads(
  tx: Tx,
  plan: IngestPlan,
  contactOf: (m: PlannedMessage) => string,
  threadOf: (m: PlannedMessage) => string,
): Promise<{ inserted: InsertedMessage[]; needEngine: string[] }> {
  const planned = [...plan.messages].sort((a, b) => (a.wamid < b.wamid ? -1 : a.wamid > b.wamid ? 1 : 0));
  const byWamid = new Map(planned.map((m) => [m.wamid, m]));
  const threadIds = [...new Set(planned.map(threadOf))];
  const messagesJson = JSON.stringify(
    planned.map((m, i) => ({
      i,
      thread_id: threadOf(m),
      type: m.type,
      body: m.body,
      payload: m.payload,
      media_id: m.mediaId,
      media_mime: m.mediaMime,
      reply_to_wamid: m.replyToWamid,
      wamid: m.wamid,
      at: m.at,
      preview: previewOf(m.body),
      referral: m.referral,
    })),
  );
  const reopen = sql`t.status in ('resolved', 'snoozed')`;
  // Ties (same timestamp) go to the message later in wamid order, as they always have.
  const rows = await tx.execute<{
    kind: "m" | "t";
    id: string;
    wamid: string | null;
    thread_id: string | null;
    needs_engine: boolean | null;
  }>(sql`
    with v as (
      select * from jsonb_to_recordset(${messagesJson}::jsonb) as v(i int, thread_id uuid, type text, body text,
        payload jsonb, media_id text, media_mime text, reply_to_wamid text, wamid text, at timestamptz,
        preview text, referral jsonb)),
    ins as (
      insert into ${messages}
        (thread_id, direction, type, body, payload, media_id, media_mime, reply_to_wamid, wamid, status, at)
      select thread_id, 'inbound'::message_direction, type, body, payload, media_id, media_mime,
             reply_to_wamid, wamid, 'received'::message_status, at
        from v order by i
      on conflict (wamid) do nothing
      returning id, wamid, thread_id),
    per_thread as (
      select ins.thread_id as id, count(*)::int as n, max(v.at) as at, min(v.at) as first_at,
             (array_agg(v.preview order by v.at desc, v.i desc))[1] as preview,
             (array_agg(v.referral order by v.at desc, v.i desc) filter (where v.referral is not null))[1]
               as referral,
             max(v.at) filter (where v.referral is not null) as ref_at
        from ins join v using (wamid)
       group by ins.thread_id),
    upd as (
      update ${threads} t set
        last_inbound_at = greatest(t.last_inbound_at, p.at),
        csw_expires_at = greatest(t.last_inbound_at, p.at) + make_interval(secs => ${CSW_MS / 1000}),
        last_message_at = greatest(t.last_message_at, p.at),
        last_message_preview = case when p.at >= t.last_message_at then p.preview else t.last_message_preview end,
        unread_count = t.unread_count + p.n,
        status = case when ${reopen} then 'open'::thread_status else t.status end,
        snoozed_until = case when ${reopen} then null else t.snoozed_until end,
        referral = case when p.ref_at is not null and (t.referral_at is null or t.referral_at <= p.ref_at)
                        then p.referral else t.referral end,
        referral_at = case when p.ref_at is null then t.referral_at else greatest(t.referral_at, p.ref_at) end,
        updated_at = now()
      from per_thread p
      where t.id = p.id and t.id = any(${uuidArray(threadIds)})
      returning t.id, exists (
        select 1 from ${inboxes} own
          join ${inboxes} i on i.waba_id = own.waba_id
          join ${threads} t2 on t2.inbox_id = i.id and t2.contact_id = t.contact_id
          join ${messages} m on m.thread_id = t2.id
         where own.id = t.inbox_id and m.direction = 'outbound'
           and greatest(m.at, m.delivered_at, m.read_at, m.failed_at) >= p.first_at) as needs_engine)
    select 'm' as kind, id, wamid, thread_id, null::boolean as needs_engine from ins
    union all
    select 't', id, null, null, needs_engine from upd`);
  const inserted: InsertedMessage[] = [];
  const needEngine: string[] = [];
  for (const r of rows) {
    if (r.kind === "t") {
      if (r.needs_engine) needEngine.push(r.id);
      continue;
    }
    const m = byWamid.get(r.wamid!)!;
    inserted.push({ id: r.id, wamid: r.wamid!, threadId: r.thread_id!, contactId: contactOf(m), planned: m });
  }
  return { inserted, needEngine };
}

/** Marketing opt-out: an inbound text (or quick-reply tap) equal to a stop word. Returns their wamids. */
async function applyOptOuts(tx: Tx, inserted: readonly InsertedMessage[]): Promise<string[]> {
  const candidates = inserted.filter((m) => m.planned.optOutCandidate);
  if (candidates.length === 0) return [];
  const stopWords = await workspaceStopWords(tx);
  const out: string[] = [];
  for (const m of candidates) {
    if (!isStopWord(m.planned.optOutCandidate, stopWords)) continue;
    const rows = await tx
      .update(contacts)
      .set({ optedOutMarketing: true, optedOutAt: m.planned.at })
      .where(and(eq(contacts.id, m.contactId), eq(contacts.optedOutMarketing, false)))
      .returning({ id: contacts.id });
    if (rows.length) {
      out.push(m.wamid);
      log.info("contact.opted_out", { contactId: rows[0].id, via: "stop_word" });
    }
  }
  return out;
}

/**
 * A uuid[] parameter. Rows joined from jsonb_to_recordset (estimated at 100)
 * also filter on `id = any(…)` so the planner reads the threads index rather
 * than hashing the whole table.
 */
const uuidArray = (ids: readonly string[]) => sql`${`{${[...new Set(ids)].join(",")}}`}::uuid[]`;

// ---------------------------------------------------------------- lookups cached per process

/**
 * Every batch needs the inboxes of its phone numbers and the stop words; they
 * change rarely, so each process keeps them for CACHE_MS. An inbox created a
 * moment ago is found at once (misses are not cached); a changed
 * phone_number_id or stop-word list is seen within CACHE_MS.
 */
const CACHE_MS = 10_000;
const inboxCache = new Map<string, { inbox: InboxRef; until: number }>();
let stopWordsCache: { words: readonly string[]; until: number } | null = null;

async function inboxesByPhoneNumber(tx: Tx, phoneNumberIds: readonly string[]): Promise<InboxRef[]> {
  const now = Date.now();
  const found: InboxRef[] = [];
  const missing: string[] = [];
  for (const id of phoneNumberIds) {
    const hit = inboxCache.get(id);
    if (hit && hit.until > now) found.push(hit.inbox);
    else missing.push(id);
  }
  if (missing.length) {
    const rows = await tx
      .select({ id: inboxes.id, phoneNumberId: inboxes.phoneNumberId, wabaId: inboxes.wabaId })
      .from(inboxes)
      .where(inArray(inboxes.phoneNumberId, missing));
    for (const inbox of rows) {
      inboxCache.set(inbox.phoneNumberId, { inbox, until: now + CACHE_MS });
      found.push(inbox);
    }
  }
  return found;
}

async function workspaceStopWords(tx: Tx): Promise<readonly string[]> {
  if (stopWordsCache && stopWordsCache.until > Date.now()) return stopWordsCache.words;
  const [settings] = await tx
    .select({ stopWords: workspaceSettings.stopWords })
    .from(workspaceSettings)
    .limit(1);
  const words = settings?.stopWords ?? DEFAULT_STOP_WORDS;
  stopWordsCache = { words, until: Date.now() + CACHE_MS };
  return words;
}

// ---------------------------------------------------------------- statuses

/** Records statuses and applies them; returns the statusKeys newly recorded and what was applied. */
async function storeStatuses(
  tx: Tx,
  plan: IngestPlan,
): Promise<{ fresh: Set<string>; applied: AppliedStatus[] }> {
  const fresh = new Set<string>();
  if (plan.statuses.length === 0) return { fresh, applied: [] };
  const sorted = [...plan.statuses].sort((a, b) =>
    a.wamid === b.wamid ? a.status.localeCompare(b.status) : a.wamid < b.wamid ? -1 : 1,
  );
  // Before recording: the outbox may be storing one of these wamids right now (see lockWamids).
  await lockWamids(
    tx,
    sorted.map((s) => s.wamid),
  );
  for (let i = 0; i < sorted.length; i += CHUNK) {
    const rows = await tx
      .insert(messageStatuses)
      .values(
        sorted.slice(i, i + CHUNK).map((s) => ({
          wamid: s.wamid,
          status: s.status,
          at: s.at,
          payload: s.raw as object,
        })),
      )
      .onConflictDoNothing({ target: [messageStatuses.wamid, messageStatuses.status] })
      .returning({ wamid: messageStatuses.wamid, status: messageStatuses.status });
    for (const r of rows) fresh.add(statusKey(r.wamid, r.status));
  }
  if (fresh.size === 0) return { fresh, applied: [] };
  const applied = await applyStatusesForWamids(
    tx,
    sorted.filter((s) => fresh.has(statusKey(s.wamid, s.status))).map((s) => s.wamid),
  );
  for (const a of applied) {
    if (a.changed && a.status === "failed") {
      log.warn("message.failed", { messageId: a.messageId, errorCode: a.errorCode, errorText: a.errorText });
    }
  }
  return { fresh, applied };
}

// ---------------------------------------------------------------- helpers

/**
 * PostgreSQL text and jsonb cannot hold U+0000 nor a lone UTF-16 surrogate
 * (`"\ud800"`), both of which JSON allows: replace them (U+FFFD) so such a body
 * is stored rather than failing and being retried for 7 days.
 */
export function sanitizeForPostgres<T>(value: T, depth = 0): T {
  if (typeof value === "string") {
    const s = value.isWellFormed() ? value : value.toWellFormed();
    return (s.includes("\u0000") ? s.replaceAll("\u0000", "\uFFFD") : s) as T;
  }
  // Meta's bodies nest about ten levels; far deeper is refused here (the caller answers 400)
  // before it can exhaust a stack in this process or in PostgreSQL's jsonb parser.
  if (depth > MAX_JSON_DEPTH) throw new RangeError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (Array.isArray(value)) return value.map((v) => sanitizeForPostgres(v, depth + 1)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[sanitizeForPostgres(k)] = sanitizeForPostgres(v, depth + 1);
    return out as T;
  }
  return value;
}

const MAX_JSON_DEPTH = 200;
