/**
 * Daily rollups of the billing tables for the costs dashboard.
 *
 * The dashboard must answer for a month of 1M messages / 200k conversations in < 500 ms on two
 * cores, so it cannot scan the month's rows on every view. Instead each WABA × UTC day is summed
 * once into `billing_rollup` (a few dozen rows per day), and rebuilt whole when its billing
 * changes:
 *
 * - every writer of billing rows (billing-recompute.ts) appends the days it touched to
 *   `billing_dirty_days` in its own transaction — append-only, so concurrent webhooks never wait
 *   on each other for it;
 * - the rollup worker (and `compactBillingRollup`) rebuilds each dirty day from the base tables
 *   and deletes the markers it saw; a marker committed meanwhile stays for the next round;
 * - the dashboard reads rollup rows only for clean days and reads dirty days (and partial days at
 *   the edges of a period) live from the base tables, so it is exact at any moment, with or
 *   without the worker.
 *
 * A rollup day is a pure sum of stored verdicts: no pricing rule is re-implemented here.
 */
import { type SQL, sql } from "drizzle-orm";
import { type Db, type DbOrTx, getDb } from "../../db/client";
import { billingDirtyDays } from "../../db/schema";
import type { PricingModel } from "../domain";
import { log } from "../logger";

const DAY_MS = 24 * 3600_000;

/** How each model's base table maps onto the rollup's dimensions. */
export const BILLING_SOURCES: Record<
  PricingModel,
  {
    table: string;
    time: string;
    agent: string;
    category: string;
    reason: string;
    metaModel: string;
    metaCategory: string;
    metaType: string;
    metaBillable: string;
    disagree: string;
  }
> = {
  cbp: {
    table: "billing_conversations",
    time: "opened_at",
    agent: "opened_by_user_id",
    category: "category::text",
    reason: "free_reason",
    metaModel: "null::text",
    metaCategory: "null::text",
    metaType: "null::text",
    metaBillable: "null::boolean",
    disagree: "0",
  },
  pmp: {
    table: "billing_messages",
    time: "delivered_at",
    agent: "sender_user_id",
    category: "category",
    reason:
      "(case when pmp_type = 'free_entry_point' then 'free_entry_point' when pmp_type = 'free_customer_service' then 'free_customer_service' when cost_micros = 0 then 'free_price' end)",
    metaModel: "meta_model",
    metaCategory: "meta_category",
    metaType: "meta_type",
    metaBillable: "meta_billable",
    disagree: "(mismatch is not null)::int",
  },
};

/** "YYYY-MM-DD" of the UTC day containing `ms`. */
export const utcDay = (ms: number | Date) => new Date(ms).toISOString().slice(0, 10);
const dayStart = (day: string) => `${day}T00:00:00.000Z`;
const nextDay = (day: string) => new Date(Date.parse(dayStart(day)) + DAY_MS).toISOString();

/** Records that these UTC days of the WABA changed (call in the transaction that changed them). */
export async function markBillingDirty(tx: DbOrTx, wabaId: string, days: Iterable<string>): Promise<void> {
  const list = [...new Set(days)].sort();
  if (list.length === 0) return;
  await tx.insert(billingDirtyDays).values(list.map((day) => ({ wabaId, day })));
}

/** The live (base-table) rows of one model grouped by the rollup's dimensions, for `where`. */
export function groupedFromBase(model: PricingModel, where: SQL): SQL {
  const s = BILLING_SOURCES[model];
  return sql`
    select ${model}::text as model, waba_id, to_char(${sql.raw(s.time)} at time zone 'UTC', 'YYYY-MM-DD') as day,
           inbox_id, ${sql.raw(s.agent)} as agent_id, ${sql.raw(s.category)} as category, ${sql.raw(s.reason)} as reason,
           ${sql.raw(s.metaModel)} as meta_model, ${sql.raw(s.metaCategory)} as meta_category,
           ${sql.raw(s.metaType)} as meta_type, ${sql.raw(s.metaBillable)} as meta_billable,
           count(*)::int as n, (count(*) filter (where cost_micros > 0))::int as billable,
           coalesce(sum(cost_micros), 0)::bigint as cost, coalesce(sum(${sql.raw(s.disagree)}), 0)::int as disagree
    from ${sql.raw(s.table)}
    where ${where}
    group by 2, 3, 4, 5, 6, 7, 8, 9, 10, 11`;
}

/** Rebuilds the rollup rows of one WABA × UTC day (both models) from the base tables. */
export async function rebuildRollupDay(tx: DbOrTx, wabaId: string, day: string): Promise<void> {
  await tx.execute(sql`delete from billing_rollup where waba_id = ${wabaId} and day = ${day}::date`);
  for (const model of ["cbp", "pmp"] as const) {
    const s = BILLING_SOURCES[model];
    const where = sql`waba_id = ${wabaId} and ${sql.raw(s.time)} >= ${dayStart(day)}::timestamptz
      and ${sql.raw(s.time)} < ${nextDay(day)}::timestamptz`;
    await tx.execute(sql`
      insert into billing_rollup (model, waba_id, day, inbox_id, agent_id, category, reason, meta_model,
                                  meta_category, meta_type, meta_billable, count, billable, cost_micros, disagree)
      select model::pricing_model, waba_id, day::date, inbox_id, agent_id, category, reason, meta_model,
             meta_category, meta_type, meta_billable, n, billable, cost, disagree
      from (${groupedFromBase(model, where)}) g`);
  }
}

/**
 * Rebuilds every dirty WABA × day (up to `limit` markers per call), each day in its own short
 * transaction, and deletes the markers it saw. One compaction at a time across instances (an
 * advisory lock; a second caller returns at once). Returns how many days it rebuilt.
 */
export async function compactBillingRollup(db: Db, opts: { limit?: number } = {}): Promise<number> {
  const limit = opts.limit ?? 5000;
  return db.transaction(async (tx) => {
    const [{ ok }] = await tx.execute<{ ok: boolean }>(
      sql`select pg_try_advisory_xact_lock(hashtextextended('billing:rollup-compaction', 0)) as ok`,
    );
    if (!ok) return 0;
    const markers = await tx.execute<{ id: string; waba_id: string; day: string }>(sql`
      select id::text, waba_id, day::text from billing_dirty_days order by id limit ${limit}`);
    if (markers.length === 0) return 0;
    const pairs = new Map<string, { wabaId: string; day: string; ids: string[] }>();
    for (const m of markers) {
      const k = `${m.waba_id}|${m.day}`;
      const p = pairs.get(k) ?? { wabaId: m.waba_id, day: m.day, ids: [] };
      p.ids.push(m.id);
      pairs.set(k, p);
    }
    let rebuilt = 0;
    for (const p of pairs.values()) {
      // A savepoint per day: a failure on one day keeps the others' work, and its markers for a retry.
      try {
        await tx.transaction(async (sp) => {
          await rebuildRollupDay(sp, p.wabaId, p.day);
          await sp.execute(sql`delete from billing_dirty_days where id = any(${sql.param(p.ids)}::bigint[])`);
        });
        rebuilt++;
      } catch (err) {
        log.error("billing.rollup_day_failed", { wabaId: p.wabaId, day: p.day, error: String(err) });
      }
    }
    log.info("billing.rollup_compacted", { days: rebuilt, markers: markers.length });
    return rebuilt;
  });
}

/** Marks every day that has billing rows (optionally of one WABA, from a date) dirty, then compacts: a full rebuild. */
export async function rebuildAllRollups(
  db: Db,
  opts: { wabaId?: string; since?: Date } = {},
): Promise<number> {
  const waba = opts.wabaId ? sql`and waba_id = ${opts.wabaId}` : sql``;
  const since = opts.since?.toISOString() ?? "1970-01-01T00:00:00Z";
  await db.execute(sql`
    insert into billing_dirty_days (waba_id, day)
    select distinct waba_id, (opened_at at time zone 'UTC')::date from billing_conversations
      where opened_at >= ${since}::timestamptz ${waba}
    union
    select distinct waba_id, (delivered_at at time zone 'UTC')::date from billing_messages
      where delivered_at >= ${since}::timestamptz ${waba}
    union
    select distinct waba_id, day from billing_rollup where day >= (${since}::timestamptz at time zone 'UTC')::date ${waba}`);
  let total = 0;
  for (;;) {
    const n = await compactBillingRollup(db, { limit: 20_000 });
    total += n;
    if (n === 0) break;
  }
  return total;
}

/** Starts the rollup worker: compacts dirty days every `intervalMs` (default 20 s). Returns a stop function. */
export function startBillingRollupWorker(
  opts: { intervalMs?: number; db?: () => Db } = {},
): () => Promise<void> {
  const intervalMs = opts.intervalMs ?? 20_000;
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = (async () => {
      try {
        const db = opts.db?.() ?? getDb();
        while ((await compactBillingRollup(db)) > 0) {}
      } catch (err) {
        log.error("billing.rollup_failed", { error: String(err) });
      } finally {
        running = null;
      }
    })();
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref?.();
  tick();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
