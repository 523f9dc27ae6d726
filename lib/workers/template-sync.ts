import type postgres from "postgres";
import { type Db, getDb, getSql } from "../../db/client";
import { log } from "../logger";
import { type SyncReport, syncTemplates } from "../services/templates";

/** Advisory lock key of the template sync: one instance syncs at a time. */
export const TEMPLATE_SYNC_LOCK_KEY = 72_727_606;

/** Default period between syncs (ms). Webhooks carry status changes; the sync catches what they miss. */
export const TEMPLATE_SYNC_INTERVAL_MS = 10 * 60_000;

/**
 * One sync of every WABA's templates, if no other instance is running one:
 * `pg_try_advisory_lock` on a reserved connection (session locks belong to a
 * connection, and the pool would hand the unlock to another one). Returns null
 * when another instance holds the lock.
 */
export async function runTemplateSyncOnce(
  opts: { db?: Db; sql?: postgres.Sql; now?: Date } = {},
): Promise<SyncReport | null> {
  const sql = opts.sql ?? getSql();
  const conn = await sql.reserve();
  try {
    const [{ locked }] = await conn<
      { locked: boolean }[]
    >`select pg_try_advisory_lock(${TEMPLATE_SYNC_LOCK_KEY}) as locked`;
    if (!locked) {
      log.debug("templates.sync_skipped", { reason: "another instance is syncing" });
      return null;
    }
    try {
      return await syncTemplates(opts.db ?? getDb(), null, { now: opts.now });
    } finally {
      await conn`select pg_advisory_unlock(${TEMPLATE_SYNC_LOCK_KEY})`;
    }
  } finally {
    conn.release();
  }
}

/**
 * Starts the periodic template sync: once shortly after start (to import
 * templates made in WhatsApp Manager), then on wall-clock-aligned ticks so
 * several instances fire together and the advisory lock lets one of them run.
 * Returns a stop function that waits for a running sync.
 */
export function startTemplateSync(
  opts: { intervalMs?: number; firstDelayMs?: number; db?: Db } = {},
): () => Promise<void> {
  const intervalMs = opts.intervalMs ?? TEMPLATE_SYNC_INTERVAL_MS;
  let stopped = false;
  let running: Promise<unknown> | null = null;
  let timer: NodeJS.Timeout | null = null;

  const run = () => {
    if (stopped || running) return;
    running = runTemplateSyncOnce({ db: opts.db })
      .catch((err) => log.error("templates.sync_round_failed", { error: String(err) }))
      .finally(() => {
        running = null;
      });
  };
  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      run();
      schedule(intervalMs - (Date.now() % intervalMs));
    }, delay);
    timer.unref?.();
  };
  schedule(opts.firstDelayMs ?? 10_000);
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    if (running) await running;
  };
}
