import type { Db, Tx } from "../../db/client";
import { log } from "../logger";

/** deadlock_detected, serialization_failure: PostgreSQL aborted the transaction; running it again is safe. */
const RETRYABLE = new Set(["40P01", "40001"]);

/** The PostgreSQL error code of a (drizzle-wrapped) error. */
export function pgErrorCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } } | null;
  return e?.code ?? e?.cause?.code;
}

/** An error as one log-friendly line, with drizzle's underlying driver error. */
export function errorDetail(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string; code?: string } } | null;
  const head = (e?.message ?? String(err)).split("\n")[0];
  return e?.cause?.message ? `${head} — ${e.cause.code ?? ""} ${e.cause.message}`.trim() : head;
}

/**
 * Runs `fn` in a transaction, again (a few times, after a short random pause) if PostgreSQL
 * aborted it to break a deadlock with a concurrent webhook or drain.
 */
export async function transactionWithRetry<T>(
  db: Db,
  what: string,
  fn: (tx: Tx) => Promise<T>,
  attempts = 4,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(fn);
    } catch (err) {
      const code = pgErrorCode(err);
      if (attempt >= attempts || !code || !RETRYABLE.has(code)) throw err;
      log.warn("tx.retry", { what, attempt, code });
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 25));
    }
  }
}
