import { and, eq, gt, lte, or } from "drizzle-orm";
import { type Db, getDb } from "@/db/client";
import { threads } from "@/db/schema";
import { log } from "@/lib/logger";
import type { IoServer } from "@/lib/realtime/emit";
import { rooms } from "@/lib/realtime/events";
import { wakeSnoozedThreads } from "@/lib/services/threads";

/**
 * Announces window expiries at the exact moment: every `intervalMs` it asks the
 * database for CSWs / FEPs ending within the next interval and sets one timer
 * for each of just those (idle threads cost nothing). When a timer fires it
 * re-reads the thread — a new customer message may have pushed the window
 * out — and emits `thread:window` to the inbox and thread rooms.
 *
 * Several instances each emit to their own sockets only (`io.local`), so with a
 * shared adapter nobody gets an event twice. The same tick reopens snoozed
 * threads whose time has come.
 */
export function startWindowAnnouncer(
  io: IoServer,
  opts: { intervalMs?: number; db?: () => Db } = {},
): { stop: () => void; scan: () => Promise<void> } {
  const intervalMs = opts.intervalMs ?? 30_000;
  const db = opts.db ?? getDb;
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  async function fire(threadId: string, kind: "csw" | "fep", at: Date, key: string) {
    timers.delete(key);
    if (stopped) return;
    try {
      const [t] = await db()
        .select({ inboxId: threads.inboxId, csw: threads.cswExpiresAt, fep: threads.fepExpiresAt })
        .from(threads)
        .where(eq(threads.id, threadId));
      if (!t) return;
      const current = kind === "csw" ? t.csw : t.fep;
      // Moved (new inbound message, recomputed FEP): the new expiry gets its own timer when it nears.
      if (!current || current.getTime() !== at.getTime()) return;
      io.local.to([rooms.inbox(t.inboxId), rooms.thread(threadId)]).emit("thread:window", {
        threadId,
        inboxId: t.inboxId,
        kind,
        expiresAt: current.toISOString(),
      });
      log.info("realtime.window_expired", { threadId, kind, at: current.toISOString() });
    } catch (err) {
      log.error("realtime.window_announce_failed", { threadId, error: String(err) });
    }
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
    } catch (err) {
      log.error("realtime.window_scan_failed", { error: String(err) });
    }
  }

  void scan();
  const interval = setInterval(() => void scan(), intervalMs);
  interval.unref();
  return {
    scan,
    stop() {
      stopped = true;
      clearInterval(interval);
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
