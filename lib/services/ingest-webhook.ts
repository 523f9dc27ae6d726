import crypto from "node:crypto";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { type Db, getDb, type Tx } from "../../db/client";
import {
  contacts,
  inboxes,
  messageStatuses,
  messages,
  threads,
  webhookEvents,
  workspaceSettings,
} from "../../db/schema";
import { env } from "../env";
import { AppError } from "../errors";
import { log } from "../logger";
import { verifySignature } from "../whatsapp/signature";
import { type ParsedWebhook, parseWebhookBody } from "../whatsapp/webhook-schemas";
import { type ServiceResponse, WEBHOOK_MAX_BYTES } from "./ingest-http";
import { type IngestPlan, isStopWord, type PlannedMessage, planIngest, previewOf } from "./ingest-plan";
import { emitIngestEffects, type IngestEffects } from "./ingest-realtime";
import { type AppliedStatus, applyStatusesForWamids, lockWamids } from "./ingest-statuses";
import { applyTemplateStatusUpdate } from "./templates";
import { refreshThreadState } from "./thread-state";

export { applyPendingStatuses } from "./ingest-statuses";

/**
 * What happens when Meta posts a webhook: verify the raw bytes, parse, store
 * everything in one transaction (raw event, contacts, threads, messages,
 * statuses, template changes, window state), acknowledge after the commit, then
 * emit realtime events.
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

// ---------------------------------------------------------------- HTTP entry points

/** GET handshake: `hub.mode=subscribe` and the right `hub.verify_token` → 200 with `hub.challenge`. */
export function handleWebhookVerify(params: URLSearchParams): ServiceResponse {
  const mode = params.get("hub.mode");
  const token = params.get("hub.verify_token") ?? "";
  const challenge = params.get("hub.challenge");
  if (mode === "subscribe" && challenge !== null && sameSecret(token, env().WHATSAPP_VERIFY_TOKEN)) {
    log.info("webhook.verified");
    return { status: 200, body: challenge };
  }
  log.warn("webhook.verify_rejected", { mode, hasToken: token.length > 0, hasChallenge: challenge !== null });
  return { status: 403, body: { error: "forbidden", message: "Verification token mismatch." } };
}

/**
 * POST: signature → JSON → envelope → one transaction → 200. Statuses: 413 too
 * large, 401 bad signature, 400 not a WhatsApp webhook, 500 storage failure (so
 * Meta retries). Nothing is stored unless the answer is 200.
 */
export async function handleWebhookPost(
  raw: Buffer,
  signatureHeader: string | null,
  opts: { db?: Db; appSecret?: string } = {},
): Promise<ServiceResponse> {
  if (raw.length > WEBHOOK_MAX_BYTES) {
    log.warn("webhook.too_large", { bytes: raw.length });
    return {
      status: 413,
      body: { error: "payload_too_large", message: "Webhook bodies are limited to 3 MB." },
    };
  }
  const check = verifySignature(raw, signatureHeader, opts.appSecret ?? env().WHATSAPP_APP_SECRET);
  if (!check.ok) {
    log.warn("webhook.signature_rejected", { reason: check.reason, bytes: raw.length });
    return {
      status: 401,
      body: { error: "unauthorized", message: "Invalid or missing X-Hub-Signature-256." },
    };
  }
  let json: unknown;
  try {
    json = sanitizeForPostgres(JSON.parse(raw.toString("utf8")));
  } catch (err) {
    if (err instanceof RangeError) {
      log.warn("webhook.too_deep", { bytes: raw.length });
      return { status: 400, body: { error: "invalid_input", message: "Body nests too deeply." } };
    }
    // The parser's message quotes the body: not logged, it may hold customer data.
    log.warn("webhook.invalid_json", { bytes: raw.length });
    return { status: 400, body: { error: "invalid_input", message: "Body is not JSON." } };
  }
  const parsed = parseWebhookBody(json);
  if (!parsed.ok) {
    log.warn("webhook.invalid_payload", { issues: parsed.issues.slice(0, 2000) });
    return {
      status: 400,
      body: {
        error: "invalid_input",
        message: "Not a WhatsApp Business Account webhook.",
        issues: parsed.issues,
      },
    };
  }
  try {
    const summary = await ingestParsedWebhook(opts.db ?? getDb(), parsed.webhook, json);
    return {
      status: 200,
      body: {
        received: true,
        messages: summary.messagesStored,
        duplicates: summary.messagesDuplicate,
        statuses: summary.statusesStored,
      },
    };
  } catch (err) {
    log.error("webhook.ingest_failed", { error: (err as Error).message });
    return {
      status: 500,
      body: { error: "internal", message: "Could not store the webhook; Meta will retry." },
    };
  }
}

// ---------------------------------------------------------------- service API

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
  return ingestParsedWebhook(db, parsed.webhook, body);
}

/** `body` must already be sanitised (sanitizeForPostgres) and `webhook` parsed from it. */
async function ingestParsedWebhook(db: Db, webhook: ParsedWebhook, body: unknown): Promise<IngestSummary> {
  const { summary, effects } = await withTxRetry(() => db.transaction((tx) => ingestInTx(tx, webhook, body)));
  try {
    await emitIngestEffects(db, effects);
  } catch (err) {
    // The data is committed; a failed emit only delays clients until their next fetch.
    log.error("webhook.emit_failed", { error: (err as Error).message });
  }
  return summary;
}

async function ingestInTx(
  tx: Tx,
  webhook: ParsedWebhook,
  body: unknown,
): Promise<{ summary: IngestSummary; effects: IngestEffects }> {
  const inboxRows = webhook.phoneNumberIds.length
    ? await tx
        .select({ id: inboxes.id, phoneNumberId: inboxes.phoneNumberId, wabaId: inboxes.wabaId })
        .from(inboxes)
        .where(inArray(inboxes.phoneNumberId, webhook.phoneNumberIds))
    : [];
  const plan = planIngest(webhook, inboxRows);
  const notes = [...plan.notes];
  for (const id of plan.unknownPhoneNumberIds) {
    log.warn("webhook.unknown_number", { phoneNumberId: id });
    notes.push(`unknown phone_number_id ${id}`);
  }
  for (const note of plan.notes) log.warn("webhook.item_not_stored", { note: note.slice(0, 1000) });
  if (webhook.ignoredFields.length) log.info("webhook.fields_ignored", { fields: webhook.ignoredFields });

  const [event] = await tx
    .insert(webhookEvents)
    .values({
      phoneNumberIds: webhook.phoneNumberIds,
      body,
      unknownNumber: plan.unknownPhoneNumberIds.length > 0,
      note: notes.length ? notes.join("\n") : null,
    })
    .returning({ id: webhookEvents.id });

  const effects: IngestEffects = { threadIds: [], newMessages: [], statusChanges: [], templates: [] };
  const summary: IngestSummary = {
    webhookEventId: event.id,
    messagesStored: 0,
    messagesDuplicate: 0,
    statusesStored: 0,
    statusesApplied: 0,
    statusesPending: 0,
    templatesUpdated: 0,
    optedOut: 0,
    threadIds: [],
    unknownPhoneNumberIds: plan.unknownPhoneNumberIds,
    notes,
  };

  const touched = new Set<string>();
  const inserted = await storeInboundMessages(tx, plan, effects, summary);
  for (const m of inserted) touched.add(m.threadId);

  const applied = await storeStatuses(tx, plan, summary);
  for (const s of applied) {
    effects.statusChanges.push(s);
    if (s.changed) touched.add(s.threadId);
  }

  // Template lifecycle rules (status mapping, reasons, audit log) live in the templates service.
  for (const { wabaId, value: v } of plan.templateUpdates) {
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
      summary.templatesUpdated++;
      effects.templates.push(change);
    }
  }

  // Once per thread per body, in id order (the lock order).
  const threadIds = [...touched].sort();
  for (const id of threadIds) await refreshThreadState(tx, id);
  summary.threadIds = threadIds;
  effects.threadIds = threadIds;
  return { summary, effects };
}

// ---------------------------------------------------------------- inbound messages

type InsertedMessage = { id: string; wamid: string; threadId: string; planned: PlannedMessage };

const CHUNK = 500; // rows per multi-row insert: far below PostgreSQL's 65,535 parameters

async function storeInboundMessages(
  tx: Tx,
  plan: IngestPlan,
  effects: IngestEffects,
  summary: IngestSummary,
): Promise<InsertedMessage[]> {
  if (plan.messages.length === 0 && plan.statuses.length === 0) return [];

  // 1. Contacts, sorted by wa_id: the upsert row-locks them, so parallel bodies queue here in one order.
  const waIds = [...plan.contacts.keys()].sort();
  const contactIds = new Map<string, string>();
  for (let i = 0; i < waIds.length; i += CHUNK) {
    const rows = await tx
      .insert(contacts)
      .values(
        waIds.slice(i, i + CHUNK).map((waId) => ({ waId, profileName: plan.contacts.get(waId) ?? null })),
      )
      .onConflictDoUpdate({
        target: contacts.waId,
        set: { profileName: sql`coalesce(excluded.profile_name, ${contacts.profileName})` },
      })
      .returning({ id: contacts.id, waId: contacts.waId });
    for (const r of rows) contactIds.set(r.waId, r.id);
  }

  // 2. Threads (inbox × contact): created on first message, without locking yet.
  const pairs = new Map<string, { inboxId: string; contactId: string; firstAt: Date }>();
  for (const m of plan.messages) {
    const contactId = contactIds.get(m.waId)!;
    const key = `${m.inboxId}|${contactId}`;
    const p = pairs.get(key);
    if (!p) pairs.set(key, { inboxId: m.inboxId, contactId, firstAt: m.at });
    else if (m.at < p.firstAt) p.firstAt = m.at;
  }
  const pairList = [...pairs.values()].sort((a, b) =>
    a.inboxId === b.inboxId ? a.contactId.localeCompare(b.contactId) : a.inboxId.localeCompare(b.inboxId),
  );
  if (pairList.length) {
    await tx
      .insert(threads)
      .values(pairList.map((p) => ({ inboxId: p.inboxId, contactId: p.contactId, lastMessageAt: p.firstAt })))
      .onConflictDoNothing({ target: [threads.inboxId, threads.contactId] });
  }
  const threadRows = pairList.length
    ? await tx
        .select({ id: threads.id, inboxId: threads.inboxId, contactId: threads.contactId })
        .from(threads)
        .where(
          and(
            inArray(threads.inboxId, [...new Set(pairList.map((p) => p.inboxId))]),
            inArray(threads.contactId, [...new Set(pairList.map((p) => p.contactId))]),
          ),
        )
    : [];
  const threadByPair = new Map(threadRows.map((t) => [`${t.inboxId}|${t.contactId}`, t.id]));

  // 3. Lock every thread this body may change — inbound threads and the threads of messages
  //    named by statuses — in one statement, in id order.
  const statusWamids = [...new Set(plan.statuses.map((s) => s.wamid))];
  const statusThreads = statusWamids.length
    ? await tx
        .select({ threadId: messages.threadId })
        .from(messages)
        .where(inArray(messages.wamid, statusWamids))
    : [];
  const lockIds = [
    ...new Set([...threadRows.map((t) => t.id), ...statusThreads.map((s) => s.threadId)]),
  ].sort();
  if (lockIds.length) {
    await tx
      .select({ id: threads.id })
      .from(threads)
      .where(inArray(threads.id, lockIds))
      .orderBy(asc(threads.id))
      .for("update");
  }
  if (plan.messages.length === 0) return [];

  // 4. Messages: insert … on conflict (wamid) do nothing — only rows really inserted move counters.
  const planned = [...plan.messages].sort((a, b) => (a.wamid < b.wamid ? -1 : a.wamid > b.wamid ? 1 : 0));
  const byWamid = new Map(planned.map((m) => [m.wamid, m]));
  const inserted: InsertedMessage[] = [];
  for (let i = 0; i < planned.length; i += CHUNK) {
    const rows = await tx
      .insert(messages)
      .values(
        planned.slice(i, i + CHUNK).map((m) => ({
          threadId: threadByPair.get(`${m.inboxId}|${contactIds.get(m.waId)}`)!,
          direction: "inbound" as const,
          type: m.type,
          body: m.body,
          payload: m.payload,
          mediaId: m.mediaId,
          mediaMime: m.mediaMime,
          replyToWamid: m.replyToWamid,
          wamid: m.wamid,
          status: "received" as const,
          at: m.at,
        })),
      )
      .onConflictDoNothing({ target: messages.wamid })
      .returning({ id: messages.id, wamid: messages.wamid, threadId: messages.threadId });
    for (const r of rows)
      inserted.push({ id: r.id, wamid: r.wamid!, threadId: r.threadId, planned: byWamid.get(r.wamid!)! });
  }
  summary.messagesStored = inserted.length;
  summary.messagesDuplicate = planned.length - inserted.length;
  if (summary.messagesDuplicate > 0) log.info("webhook.duplicates", { count: summary.messagesDuplicate });

  // 5. Thread bookkeeping per thread, from the inserted messages only.
  const byThread = new Map<string, InsertedMessage[]>();
  for (const m of inserted) byThread.set(m.threadId, [...(byThread.get(m.threadId) ?? []), m]);
  for (const [threadId, list] of [...byThread.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    await updateThreadForInbound(tx, threadId, list);
    for (const m of list) effects.newMessages.push({ threadId, inboxId: m.planned.inboxId, messageId: m.id });
  }

  summary.optedOut = await applyOptOuts(tx, inserted, contactIds);
  return inserted;
}

/**
 * The thread after new inbound messages: the CSW runs from the customer's latest
 * message timestamp (never moved back), preview follows the latest message
 * overall, unread grows by the number inserted, resolved/snoozed threads reopen,
 * and a Click-to-WhatsApp referral is remembered with its message time.
 */
async function updateThreadForInbound(tx: Tx, threadId: string, list: InsertedMessage[]) {
  const latest = list.reduce((a, b) => (b.planned.at >= a.planned.at ? b : a));
  const at = latest.planned.at;
  const withReferral = list.filter((m) => m.planned.referral);
  const ref = withReferral.length
    ? withReferral.reduce((a, b) => (b.planned.at >= a.planned.at ? b : a))
    : null;
  const refAt = ref ? sql`${ref.planned.at.toISOString()}::timestamptz` : null;
  const reopen = sql`${threads.status} in ('resolved', 'snoozed')`;
  // Raw sql params are not mapped by drizzle: postgres.js needs timestamps as text.
  const atSql = sql`${at.toISOString()}::timestamptz`;
  await tx
    .update(threads)
    .set({
      lastInboundAt: sql`greatest(${threads.lastInboundAt}, ${atSql})`,
      lastMessageAt: sql`greatest(${threads.lastMessageAt}, ${atSql})`,
      lastMessagePreview: sql`case when ${atSql} >= ${threads.lastMessageAt} then ${previewOf(latest.planned.body)} else ${threads.lastMessagePreview} end`,
      unreadCount: sql`${threads.unreadCount} + ${list.length}`,
      status: sql`case when ${reopen} then 'open'::thread_status else ${threads.status} end`,
      snoozedUntil: sql`case when ${reopen} then null else ${threads.snoozedUntil} end`,
      ...(ref
        ? {
            referral: sql`case when ${threads.referralAt} is null or ${threads.referralAt} <= ${refAt} then ${JSON.stringify(ref.planned.referral)}::jsonb else ${threads.referral} end`,
            referralAt: sql`greatest(${threads.referralAt}, ${refAt})`,
          }
        : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(threads.id, threadId));
}

/** Marketing opt-out: an inbound text (or quick-reply tap) equal to a stop word. */
async function applyOptOuts(
  tx: Tx,
  inserted: InsertedMessage[],
  contactIds: Map<string, string>,
): Promise<number> {
  const candidates = inserted.filter((m) => m.planned.optOutCandidate);
  if (candidates.length === 0) return 0;
  const [settings] = await tx
    .select({ stopWords: workspaceSettings.stopWords })
    .from(workspaceSettings)
    .limit(1);
  const stopWords = settings?.stopWords ?? DEFAULT_STOP_WORDS;
  let n = 0;
  for (const m of candidates) {
    if (!isStopWord(m.planned.optOutCandidate, stopWords)) continue;
    const rows = await tx
      .update(contacts)
      .set({ optedOutMarketing: true, optedOutAt: m.planned.at })
      .where(and(eq(contacts.id, contactIds.get(m.planned.waId)!), eq(contacts.optedOutMarketing, false)))
      .returning({ id: contacts.id });
    if (rows.length) {
      n++;
      log.info("contact.opted_out", { contactId: rows[0].id, via: "stop_word" });
    }
  }
  return n;
}

// ---------------------------------------------------------------- statuses

async function storeStatuses(tx: Tx, plan: IngestPlan, summary: IngestSummary): Promise<AppliedStatus[]> {
  if (plan.statuses.length === 0) return [];
  const sorted = [...plan.statuses].sort((a, b) =>
    a.wamid === b.wamid ? a.status.localeCompare(b.status) : a.wamid < b.wamid ? -1 : 1,
  );
  // Before recording: the outbox may be storing one of these wamids right now (see lockWamids).
  await lockWamids(
    tx,
    sorted.map((s) => s.wamid),
  );
  const fresh: string[] = [];
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
      .returning({ wamid: messageStatuses.wamid });
    for (const r of rows) fresh.push(r.wamid);
  }
  summary.statusesStored = fresh.length;
  if (fresh.length === 0) return [];
  const applied = await applyStatusesForWamids(tx, fresh);
  const appliedWamids = new Set(applied.map((a) => a.wamid));
  summary.statusesApplied = fresh.filter((w) => appliedWamids.has(w)).length;
  summary.statusesPending = fresh.length - summary.statusesApplied;
  for (const a of applied) {
    if (a.changed && a.status === "failed") {
      log.warn("message.failed", { messageId: a.messageId, errorCode: a.errorCode, errorText: a.errorText });
    }
  }
  return applied;
}

// ---------------------------------------------------------------- helpers

/** Constant-time comparison of two secrets of any length (hashing equalises lengths). */
function sameSecret(a: string, b: string): boolean {
  const ha = crypto.createHash("sha256").update(a).digest();
  const hb = crypto.createHash("sha256").update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

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

const RETRYABLE = new Set(["40P01", "40001"]); // deadlock_detected, serialization_failure

function pgCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } } | null;
  return e?.code ?? e?.cause?.code;
}

/** Runs a transaction, retrying a few times if PostgreSQL aborted it to break a deadlock. */
async function withTxRetry<T>(run: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      const code = pgCode(err);
      if (attempt >= attempts || !code || !RETRYABLE.has(code)) throw err;
      log.warn("webhook.tx_retry", { attempt, code });
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
    }
  }
}
