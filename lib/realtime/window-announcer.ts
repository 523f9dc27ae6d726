import { and, eq, gt, lte, or, sql } from "drizzle-orm";
import { type Db, getDb } from "../../db/client";
import { threads } from "../../db/schema";
import { log } from "../logger";
import { wakeSnoozedThreads } from "../services/threads";
import type { IoServer } from "./emit";
import { rooms } from "./events";

/**
 * Announces window expiries at the exact moment: every `intervalMs` it asks the
 * database for CSWs / FEPs ending within the next interval and sets one timer
 * for each of just those (idle threads cost nothing). When a timer fires it
 * re-reads the thread — a new customer message may have pushed the window
 * out — and emits `thread:window` to the inbox and thread rooms.
 *
 * With several instances sharing a Socket.IO adapter (`shared`), every instance
 * holds the same few timers and the first to insert the expiry's row in
 * `window_announcements` broadcasts it through the adapter: announced once,
 * and an instance that dies costs nothing. Alone (no adapter) it emits to its
 * own sockets. The same tick reopens snoozed threads whose time has come
 * (a conditional update: one instance wins each thread).
 */
export function startWindowAnnouncer(
  io: IoServer,
  opts: { intervalMs?: number; db?: () => Db; shared?: boolean } = {},
): { stop: () => void; scan: () => Promise<void>; pending: () => number } {
  const intervalMs = opts.intervalMs ?? 30_000;
  const db = opts.db ?? getDb;
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  async function fire(threadId: string, kind: "csw" | "fep", at: Date, key: string) {
    timers.delete(key);
    if (stopped) return;
    try {
      const inboxId = opts.shared ? await claim(threadId, kind, at) : await stillDue(threadId, kind, at);
      // Moved (new inbound message, recomputed FEP) — the new expiry gets its own timer when it
      // nears — or another instance announced it.
      if (!inboxId) return;
      const target = opts.shared ? io : io.local;
      target.to([rooms.inbox(inboxId), rooms.thread(threadId)]).emit("thread:window", {
        threadId,
        inboxId,
        kind,
        expiresAt: at.toISOString(),
      });
      log.info("realtime.window_expired", { threadId, kind, at: at.toISOString() });
    } catch (err) {
      log.error("realtime.window_announce_failed", { threadId, error: String(err) });
    }
  }

  /** The thread's inbox if its window still ends at `at` (ms precision, as the timer saw it). */
  async function stillDue(threadId: string, kind: "csw" | "fep", at: Date): Promise<string | null> {
    const [t] = await db()
      .select({ inboxId: threads.inboxId, csw: threads.cswExpiresAt, fep: threads.fepExpiresAt })
      .from(threads)
      .where(eq(threads.id, threadId));
    const current = kind === "csw" ? t?.csw : t?.fep;
    return t && current?.getTime() === at.getTime() ? t.inboxId : null;
  }

  /** stillDue + the claim, in one statement: only the instance whose insert lands gets the inbox. */
  async function claim(threadId: string, kind: "csw" | "fep", at: Date): Promise<string | null> {
    const column = kind === "csw" ? threads.cswExpiresAt : threads.fepExpiresAt;
    const rows = await db().execute<{ inbox_id: string }>(sql`
      with t as (
        select ${threads.id} as id, ${threads.inboxId} as inbox_id from ${threads}
         where ${threads.id} = ${threadId}
           and date_trunc('milliseconds', ${column}) = ${at.toISOString()}::timestamptz),
      won as (
        insert into window_announcements (thread_id, kind, expires_at)
        select id, ${kind}::text, ${at.toISOString()}::timestamptz from t
        on conflict do nothing
        returning thread_id)
      select t.inbox_id from t join won on won.thread_id = t.id`);
    return rows[0]?.inbox_id ?? null;
  }

  function schedule(threadId: string, kind: "csw" | "fep", at: Date) {
    const key = `${threadId}:${kind}:${at.getTime()}`;
    if (timers.has(key)) return;
    const timer = setTimeout(
      () => void fire(threadId, kind, at, key),
      Math.max(0, at.getTime() - Date.now()),
    );
    timer.unref();
    timers.set(key, timer);
  }

  async function scan() {
    if (stopped) return;
    const now = new Date();
    // Overlap consecutive scans a little so a slow tick never leaves a gap.
    const horizon = new Date(now.getTime() + intervalMs + 5_000);
    try {
      const rows = await db()
        .select({ id: threads.id, csw: threads.cswExpiresAt, fep: threads.fepExpiresAt })
        .from(threads)
        .where(
          or(
            and(gt(threads.cswExpiresAt, now), lte(threads.cswExpiresAt, horizon)),
            and(gt(threads.fepExpiresAt, now), lte(threads.fepExpiresAt, horizon)),
          ),
        );
      for (const r of rows) {
        if (r.csw && r.csw > now && r.csw <= horizon) schedule(r.id, "csw", r.csw);
        if (r.fep && r.fep > now && r.fep <= horizon) schedule(r.id, "fep", r.fep);
      }
      await wakeSnoozedThreads(db(), now);
      // Claims only matter while instances' timers for one instant are firing; keep the table small.
      if (opts.shared)
        await db().execute(
          sql`delete from window_announcements where announced_at < now() - interval '1 hour'`,
        );
      log.debug("realtime.window_scan", { due: rows.length, timers: timers.size });
    } catch (err) {
      log.error("realtime.window_scan_failed", { error: String(err) });
    }
  }

  void scan();
  const interval = setInterval(() => void scan(), intervalMs);
  interval.unref();
  return {
    scan,
    /** Timers held now: only for expiries within the next interval, never one per thread. */
    pending: () => timers.size,
    stop() {
      stopped = true;
      clearInterval(interval);
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
