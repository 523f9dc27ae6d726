/**
 * The outbox: the only code that sends messages to Meta. sendMessage stores a message `pending`;
 * workers claim due pending messages with `FOR UPDATE SKIP LOCKED` (so N app instances send each
 * message once), lease them, call the Graph API outside any transaction, and record the outcome.
 * Everything it needs survives a restart: attempts, next_attempt_at and last_error live on the row.
 *
 * Status on acceptance: Meta's 200 means "accepted", not "sent to the phone". We set status
 * `sent` at acceptance so the UI can tell "sending…" (pending) from "accepted" (one tick), but
 * leave `sent_at` for the `sent` status webhook. A status webhook that arrived before we stored
 * the wamid is parked in message_statuses and applied right after (applyPendingStatuses), so the
 * status only ever moves forward.
 *
 * Delivery is exactly-once in normal operation; if the process dies after Meta accepted a message
 * but before the wamid is stored, the lease expires and the message is sent again (at-least-once
 * across crashes, the only option without an idempotency key at Meta).
 */
import fs from "node:fs/promises";
import path from "node:path";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client";
import { getDb } from "../../db/client";
import { contacts, inboxes, messageStatuses, messages, threads } from "../../db/schema";
import { log } from "../logger";
import { emitTo } from "../realtime/emit";
import { rooms } from "../realtime/events";
import { metaErrorText } from "../whatsapp/error-text";
import {
  type GraphConfig,
  type GraphFailure,
  type MediaKind,
  type SendResult,
  sendMedia,
  sendTemplate,
  sendText,
  uploadMedia,
} from "../whatsapp/graph-client";
import { inboxScope } from "./claim-scope";
import { applyPendingStatuses } from "./ingest-statuses";
import { drainInboundMedia, resolveMediaPath } from "./media";
import type { TemplatePayload } from "./send-message";
import { refreshThreadState } from "./thread-state";
import { errorDetail, transactionWithRetry } from "./tx-retry";

/** After this many attempts a retryable failure becomes final (≈25 min with the backoff below). */
export const MAX_ATTEMPTS = 12;
/**
 * A claimed message is leased this long: longer than the longest send (a 60 s upload plus a
 * 10 s send), so no one else sends it meanwhile; also how long a crashed instance's claims wait.
 */
const LEASE_MS = 120_000;
const BACKOFF_BASE_MS = 2_000;
const BACKOFF_CAP_MS = 5 * 60_000;
/** Parallel Graph calls per drain (different threads; one thread's messages go in order). */
const CONCURRENCY = 8;

/** Delay before attempt `attempts + 1`, in ms: 2 s, 4 s, 8 s, … capped at 5 min. */
export function backoffMs(attempts: number): number {
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
}

type Claimed = {
  message: typeof messages.$inferSelect;
  inboxId: string;
  phoneNumberId: string;
  accessToken: string;
  waId: string;
};

/**
 * Claims up to `limit` due pending messages and sends them. Only the oldest pending message of
 * each thread is eligible, so a thread's messages reach the customer in the order agents wrote
 * them, even across instances. Returns how many were claimed.
 */
export async function drainOutbox(
  db: Db,
  opts: { limit?: number; inboxIds?: string[] } = {},
): Promise<number> {
  const limit = opts.limit ?? 50;
  if (opts.inboxIds?.length === 0) return 0;
  const scope = inboxScope(opts.inboxIds);
  // One statement = one short transaction: lock (skipping rows others hold), lease, bump attempts.
  // The outer WHERE repeats the conditions so a row another drainer leased meanwhile is re-checked.
  const rows = await db.execute<{ id: string }>(sql`
    update messages m
       set attempts = m.attempts + 1,
           next_attempt_at = now() + make_interval(secs => ${LEASE_MS / 1000})
     where m.id in (
       select c.id from messages c
        where c.status = 'pending' and c.direction = 'outbound' and c.next_attempt_at <= now() ${scope}
          and not exists (
            select 1 from messages p
             where p.thread_id = c.thread_id and p.status = 'pending' and p.direction = 'outbound'
               and (p.created_at, p.id) < (c.created_at, c.id))
        order by c.next_attempt_at
        limit ${limit}
        for update skip locked)
       and m.status = 'pending' and m.next_attempt_at <= now()
    returning m.id`);
  if (rows.length === 0) return 0;

  const ids = rows.map((r) => r.id);
  const loaded = await db
    .select({
      message: messages,
      inboxId: threads.inboxId,
      phoneNumberId: inboxes.phoneNumberId,
      accessToken: inboxes.accessToken,
      waId: contacts.waId,
    })
    .from(messages)
    .innerJoin(threads, eq(threads.id, messages.threadId))
    .innerJoin(inboxes, eq(inboxes.id, threads.inboxId))
    .innerJoin(contacts, eq(contacts.id, threads.contactId))
    .where(inArray(messages.id, ids));

  const queue = [...loaded];
  const workers = Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      try {
        await deliver(db, c);
      } catch (err) {
        // A bug or a database hiccup: the lease expires and the message is retried — boundedly,
        // so a message that always crashes ends failed (visible) instead of looping forever.
        log.error("outbox.crashed", {
          messageId: c.message.id,
          attempts: c.message.attempts,
          error: errorDetail(err),
        });
        if (c.message.attempts >= MAX_ATTEMPTS) {
          await recordFailure(db, c, permanent(`internal error (${errorDetail(err).slice(0, 200)})`)).catch(
            () => {},
          );
        }
      }
    }
  });
  await Promise.all(workers);
  return rows.length;
}

/** Sends one claimed message and records the outcome. */
async function deliver(db: Db, c: Claimed): Promise<void> {
  const cfg: GraphConfig = { accessToken: c.accessToken };
  const result = await callGraph(db, cfg, c);
  if (result.ok) await recordAccepted(db, c, result.wamid);
  else await recordFailure(db, c, result);
}

async function callGraph(db: Db, cfg: GraphConfig, c: Claimed): Promise<SendResult> {
  const m = c.message;
  const to = c.waId;
  // Our id travels with the message and comes back in its status webhooks.
  const opts = { replyToWamid: m.replyToWamid, bizOpaque: m.id };
  switch (m.type) {
    case "text":
      return sendText(cfg, c.phoneNumberId, { to, text: m.body ?? "", ...opts });
    case "template": {
      const payload = m.payload as TemplatePayload | null;
      if (!payload?.template) return permanent("The stored template message has no template to send.");
      return sendTemplate(cfg, c.phoneNumberId, {
        to,
        template: payload.template,
        ...opts,
      });
    }
    case "image":
    case "document":
    case "audio":
    case "video": {
      const p = (m.payload ?? {}) as {
        link?: string | null;
        caption?: string | null;
        filename?: string | null;
      };
      let mediaId = m.mediaId;
      if (!mediaId && !p.link) {
        const uploaded = await uploadStoredMedia(cfg, c);
        if (!uploaded.ok) return uploaded;
        mediaId = uploaded.id;
        // Kept so a retry does not upload again (Meta keeps uploads 30 days).
        await db.update(messages).set({ mediaId }).where(eq(messages.id, m.id));
      }
      return sendMedia(cfg, c.phoneNumberId, {
        to,
        kind: m.type as MediaKind,
        ...(mediaId ? { id: mediaId } : { link: p.link ?? "" }),
        caption: p.caption,
        filename: p.filename,
        ...opts,
      });
    }
    default:
      return permanent(`Messages of type "${m.type}" cannot be sent.`);
  }
}

async function uploadStoredMedia(cfg: GraphConfig, c: Claimed) {
  const m = c.message;
  const abs = m.mediaPath ? resolveMediaPath(m.mediaPath) : null;
  if (!abs) return permanent("The attached file is missing.");
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(abs);
  } catch {
    return permanent("The attached file is missing.");
  }
  const filename = (m.payload as { filename?: string } | null)?.filename ?? path.basename(abs);
  return uploadMedia(cfg, c.phoneNumberId, {
    bytes,
    mime: m.mediaMime ?? "application/octet-stream",
    filename,
  });
}

/**
 * Takes the thread's row lock first, the order the webhook handler uses (thread, then its
 * messages), so the outbox and webhooks for one thread never deadlock.
 */
async function lockThread(tx: Tx, threadId: string) {
  await tx.select({ id: threads.id }).from(threads).where(eq(threads.id, threadId)).for("update");
}

const permanent = (message: string): GraphFailure => ({
  ok: false,
  retryable: false,
  code: null,
  httpStatus: null,
  message,
});

async function recordAccepted(db: Db, c: Claimed, wamid: string) {
  const m = c.message;
  // First, on its own: once the wamid is stored the message is never sent again, whatever
  // happens to the bookkeeping below.
  const [row] = await db
    .update(messages)
    .set({
      wamid,
      status: sql`case when ${messages.status} = 'pending' then 'sent'::message_status else ${messages.status} end`,
      nextAttemptAt: null,
      lastError: null,
    })
    .where(eq(messages.id, m.id))
    .returning({ status: messages.status });
  let status: string = row?.status ?? "sent";
  try {
    // Statuses Meta reported before we knew the wamid (webhooks can beat the HTTP response).
    // Usually there are none; acceptance alone changes nothing the window engine reads.
    const [parked] = await db
      .select({ id: messageStatuses.id })
      .from(messageStatuses)
      .where(and(eq(messageStatuses.wamid, wamid), eq(messageStatuses.applied, false)))
      .limit(1);
    if (parked) {
      status = await transactionWithRetry(db, "outbox.accepted", async (tx) => {
        await lockThread(tx, m.threadId);
        const applied = await applyPendingStatuses(tx, wamid);
        if (applied?.changed) await refreshThreadState(tx, m.threadId);
        return applied?.status ?? status;
      });
    }
  } catch (err) {
    // The send itself is recorded; the next webhook for this thread refreshes its state.
    log.error("outbox.bookkeeping_failed", { messageId: m.id, wamid, error: errorDetail(err) });
  }
  log.info("outbox.sent", { messageId: m.id, wamid, attempts: m.attempts, status });
  emitTo([rooms.inbox(c.inboxId), rooms.thread(m.threadId)], "message:status", {
    threadId: m.threadId,
    inboxId: c.inboxId,
    messageId: m.id,
    status,
  });
}

async function recordFailure(db: Db, c: Claimed, f: GraphFailure) {
  const m = c.message;
  // `attempts` was bumped by the claim, so it counts this attempt.
  const final = !f.retryable || m.attempts >= MAX_ATTEMPTS;
  const detail = `${f.code !== null ? `[${f.code}] ` : ""}${f.httpStatus !== null ? `HTTP ${f.httpStatus}: ` : ""}${f.message}`;
  if (!final) {
    const delay = backoffMs(m.attempts);
    await db
      .update(messages)
      .set({ nextAttemptAt: sql`now() + make_interval(secs => ${delay / 1000})`, lastError: detail })
      .where(eq(messages.id, m.id));
    log.warn("outbox.retry", { messageId: m.id, attempts: m.attempts, retryInMs: delay, error: detail });
    return;
  }
  const errorText =
    f.code !== null || f.httpStatus !== null
      ? metaErrorText({ code: f.code, message: f.message })
      : `Not sent: ${f.message.replace(/\.$/, "")}.`;
  const text = f.retryable ? `${errorText} (gave up after ${m.attempts} attempts)` : errorText;
  await db
    .update(messages)
    .set({
      status: "failed",
      errorCode: f.code,
      errorText: text,
      failedAt: sql`now()`,
      nextAttemptAt: null,
      lastError: detail,
    })
    .where(eq(messages.id, m.id));
  try {
    await transactionWithRetry(db, "outbox.failed", async (tx) => {
      await lockThread(tx, m.threadId);
      await refreshThreadState(tx, m.threadId);
    });
  } catch (err) {
    log.error("outbox.bookkeeping_failed", { messageId: m.id, error: errorDetail(err) });
  }
  log.error("outbox.failed", { messageId: m.id, attempts: m.attempts, code: f.code, error: detail });
  emitTo([rooms.inbox(c.inboxId), rooms.thread(m.threadId)], "message:status", {
    threadId: m.threadId,
    inboxId: c.inboxId,
    messageId: m.id,
    status: "failed",
    errorCode: f.code,
    errorText: text,
  });
}

// ---------------------------------------------------------------------------------------------
// The worker

type Worker = { kick: () => void };
// On globalThis: route handlers bundled by Next have their own copy of this module, and their
// kickOutbox() must reach the worker server.ts started.
const g = globalThis as { __waOutbox?: Worker };

/**
 * Asks this process's outbox worker to drain now rather than at its next tick. A no-op without a
 * worker in this process: another instance's poll (every second) picks the message up.
 */
export function kickOutbox(): void {
  g.__waOutbox?.kick();
}

/**
 * Starts the outbox worker: drains due messages every `intervalMs` (default 1 s) and on every
 * kick, then downloads pending inbound media. Returns a stop function that waits for the
 * current round to finish.
 */
export function startOutboxWorker(
  opts: { intervalMs?: number; db?: Db; inboxIds?: string[] } = {},
): () => Promise<void> {
  const intervalMs = opts.intervalMs ?? 1000;
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;

  const round = async () => {
    const db = opts.db ?? getDb();
    // Keep going while batches come back full (a campaign), then look at media.
    for (let i = 0; i < 20 && !stopped; i++) {
      if ((await drainOutbox(db, { limit: 50, inboxIds: opts.inboxIds })) < 50) break;
    }
    if (!stopped) await drainInboundMedia(db, { limit: 5, inboxIds: opts.inboxIds });
  };
  const run = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = round()
      .catch((err) => log.error("outbox.round_failed", { error: errorDetail(err) }))
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          run();
        }
      });
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      run();
      schedule();
    }, intervalMs);
    timer.unref?.();
  };

  const worker: Worker = { kick: run };
  g.__waOutbox = worker;
  run();
  schedule();
  log.info("outbox.started", { intervalMs });

  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    if (g.__waOutbox === worker) g.__waOutbox = undefined;
    await running;
  };
}
