import { and, gt, lte, or, sql } from "drizzle-orm";
import { type Db, getDb } from "../../db/client";
import { threads } from "../../db/schema";
import { log } from "../logger";
import { wakeSnoozedThreads } from "../services/threads";
import type { IoServer } from "./emit";
import { rooms } from "./events";

type Kind = "csw" | "fep";
type Expiry = { threadId: string; kind: Kind; at: Date };

/** Most expiries one claim statement carries; a bigger backlog takes several. */
const CLAIM_BATCH = 2_000;
/** Claim statements in flight at once (the pool is shared with the rest of the app). */
const MAX_IN_FLIGHT = 3;
/** Prune claims older than an hour this often (ms): they only matter while one instant is firing. */
const PRUNE_EVERY_MS = 60_000;

/**
 * Announces window expiries at the exact moment: every `intervalMs` (5 s) it asks
 * the database for CSWs / FEPs ending before the next scan (plus a little
 * overlap) and holds just those, grouped by instant, behind one timer set to
 * the earliest (idle threads cost nothing). When the timer fires, everything
 * due by then is re-read in one statement — a new customer message may have
 * pushed a window out — and each still-due expiry emits `thread:window` to its
 * inbox and thread rooms. With a few statements in flight the next expiries
 * queue, so a burst costs a few round trips rather than one per thread.
 *
 * With several instances sharing a Socket.IO adapter (`shared`), every instance
 * holds the same expiries and the same statement inserts their rows in
 * `window_announcements`: an expiry is broadcast through the adapter by the one
 * instance whose insert landed, and an instance that dies costs nothing. Alone
 * (no adapter) it emits to its own sockets. The same tick reopens snoozed
 * threads whose time has come (a conditional update: one instance wins each).
 */
export function startWindowAnnouncer(
  io: IoServer,
  opts: { intervalMs?: number; db?: () => Db; shared?: boolean } = {},
): { stop: () => void; scan: () => Promise<void>; pending: () => number } {
  const intervalMs = opts.intervalMs ?? 5_000;
  // Consecutive scans overlap a little so a slow tick never leaves a gap.
  const horizonMs = intervalMs + Math.min(2_000, intervalMs);
  const db = opts.db ?? getDb;
  /** Expiries held, by instant (epoch ms) then `threadId:kind`; `instants` is their keys, ascending. */
  const due = new Map<number, Map<string, Expiry>>();
  const instants: number[] = [];
  /**
   * Expiries already taken whose instant a scan in flight may still return (it read
   * `> now` before they fell due): key → instant, forgotten once a scan starts after it.
   */
  const taken = new Map<string, number>();
  let held = 0;
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  let scanning: Promise<void> | undefined;
  let lastPrune = 0;
  let stopped = false;

  function schedule(threadId: string, kind: Kind, at: Date) {
    const ms = at.getTime();
    const key = `${threadId}:${kind}`;
    if (taken.get(key) === ms) return;
    let bucket = due.get(ms);
    if (!bucket) {
      bucket = new Map();
      due.set(ms, bucket);
      instants.splice(insertionPoint(ms), 0, ms);
    }
    if (bucket.has(key)) return;
    bucket.set(key, { threadId, kind, at });
    held++;
    if (ms < timerAt && inFlight < MAX_IN_FLIGHT) arm(ms);
  }

  /** Where `ms` goes in the ascending `instants` (scans mostly append). */
  function insertionPoint(ms: number): number {
    let lo = 0;
    let hi = instants.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (instants[mid] < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function arm(ms: number) {
    if (timer) clearTimeout(timer);
    timerAt = ms;
    timer = setTimeout(pump, Math.max(0, ms - Date.now()));
    timer.unref();
  }

  /** Takes up to CLAIM_BATCH held expiries whose instant has come, earliest first. */
  function takeDue(): Expiry[] {
    const now = Date.now();
    const out: Expiry[] = [];
    let emptied = 0;
    while (emptied < instants.length && instants[emptied] <= now && out.length < CLAIM_BATCH) {
      const ms = instants[emptied];
      const bucket = due.get(ms)!;
      for (const [key, e] of bucket) {
        if (out.length >= CLAIM_BATCH) break;
        out.push(e);
        bucket.delete(key);
        taken.set(key, ms);
        held--;
      }
      if (bucket.size > 0) break;
      due.delete(ms);
      emptied++;
    }
    instants.splice(0, emptied);
    return out;
  }

  /**
   * Starts claims for everything due, a few statements at most in flight: what falls due
   * meanwhile waits for one to finish and goes out with it in the next, so a burst costs a
   * few round trips, and one slow statement does not hold up the rest. Then waits for the
   * next instant.
   */
  function pump() {
    if (timer) clearTimeout(timer);
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
    if (stopped) return;
    while (inFlight < MAX_IN_FLIGHT) {
      const batch = takeDue();
      if (batch.length === 0) break;
      inFlight++;
      void announce(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
    // At capacity, the next claim to finish pumps again.
    if (inFlight < MAX_IN_FLIGHT && instants.length > 0) arm(instants[0]);
  }

  async function announce(batch: Expiry[]) {
    try {
      const inboxes = opts.shared ? await claim(batch) : await stillDue(batch);
      const target = opts.shared ? io : io.local;
      // Missing: moved (new inbound message, recomputed FEP; the new expiry is held when it
      // nears) or announced by another instance.
      for (const [i, inboxId] of inboxes) {
        const { threadId, kind, at } = batch[i];
        target.to([rooms.inbox(inboxId), rooms.thread(threadId)]).emit("thread:window", {
          threadId,
          inboxId,
          kind,
          expiresAt: at.toISOString(),
        });
        log.info("realtime.window_expired", { threadId, kind, at: at.toISOString() });
      }
      log.debug("realtime.window_batch", { expiries: batch.length, announced: inboxes.size });
    } catch (err) {
      log.error("realtime.window_announce_failed", { expiries: batch.length, error: String(err) });
    }
  }

  const byPosition = (rows: Iterable<{ i: number; inbox_id: string }>) => {
    const out = new Map<number, string>();
    for (const r of rows) out.set(Number(r.i), r.inbox_id);
    return out;
  };

  /** The batch as one JSON parameter: position, thread, kind and instant of each expiry. */
  const asJson = (batch: Expiry[]) =>
    JSON.stringify(batch.map((e, i) => ({ i, thread_id: e.threadId, kind: e.kind, at: e.at.toISOString() })));

  /**
   * Batch position → inbox, for the expiries whose window still ends at their
   * instant (ms precision, as the scan saw it).
   */
  async function stillDue(batch: Expiry[]): Promise<Map<number, string>> {
    const rows = await db().execute<{ i: number; inbox_id: string }>(sql`
      select d.i, t.inbox_id
        from jsonb_to_recordset(${asJson(batch)}::jsonb) as d(i int, thread_id uuid, kind text, at timestamptz)
        join threads t on t.id = d.thread_id
       where date_trunc('milliseconds',
               case d.kind when 'csw' then t.csw_expires_at else t.fep_expires_at end) = d.at`);
    return byPosition(rows);
  }

  /** stillDue + the claims, in one statement: only the expiries whose insert landed here. */
  async function claim(batch: Expiry[]): Promise<Map<number, string>> {
    const rows = await db().execute<{ i: number; inbox_id: string }>(sql`
      with d as (
        select d.i, d.thread_id, d.kind, d.at, t.inbox_id
          from jsonb_to_recordset(${asJson(batch)}::jsonb) as d(i int, thread_id uuid, kind text, at timestamptz)
          join threads t on t.id = d.thread_id
         where date_trunc('milliseconds',
                 case d.kind when 'csw' then t.csw_expires_at else t.fep_expires_at end) = d.at),
      won as (
        insert into window_announcements (thread_id, kind, expires_at)
        select thread_id, kind, at from d
        on conflict do nothing
        returning thread_id, kind, expires_at)
      select d.i, d.inbox_id from d
        join won on won.thread_id = d.thread_id and won.kind = d.kind and won.expires_at = d.at`);
    return byPosition(rows);
  }

  async function scanOnce() {
    const now = new Date();
    const horizon = new Date(now.getTime() + horizonMs);
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
      if (stopped) return;
      // Taken before this scan began: it cannot return them (it reads `> now`).
      for (const [key, ms] of taken) if (ms <= now.getTime()) taken.delete(key);
      for (const r of rows) {
        if (r.csw && r.csw > now && r.csw <= horizon) schedule(r.id, "csw", r.csw);
        if (r.fep && r.fep > now && r.fep <= horizon) schedule(r.id, "fep", r.fep);
      }
      await wakeSnoozedThreads(db(), now);
      if (opts.shared && now.getTime() - lastPrune >= PRUNE_EVERY_MS) {
        lastPrune = now.getTime();
        await db().execute(
          sql`delete from window_announcements where announced_at < now() - interval '1 hour'`,
        );
      }
      // `timers` is the expiries held (the bench reads it): the next few seconds' worth, not one per thread.
      log.debug("realtime.window_scan", { due: rows.length, timers: held, instants: due.size });
    } catch (err) {
      log.error("realtime.window_scan_failed", { error: String(err) });
    }
  }

  /** One scan at a time: a slow one is joined, not doubled. */
  function scan(): Promise<void> {
    if (stopped) return Promise.resolve();
    scanning ??= scanOnce().finally(() => {
      scanning = undefined;
    });
    return scanning;
  }

  void scan();
  const interval = setInterval(() => void scan(), intervalMs);
  interval.unref();
  return {
    scan,
    /** Expiries held now: only those within the next scan's horizon, never one per thread. */
    pending: () => held,
    stop() {
      stopped = true;
      clearInterval(interval);
      if (timer) clearTimeout(timer);
      timer = undefined;
      due.clear();
      instants.length = 0;
      taken.clear();
      held = 0;
    },
  };
}
