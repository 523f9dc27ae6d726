/**
 * The supervisors' costs dashboard: read-only queries over the billing the engine stored
 * (billing_conversations for CBP, billing_messages for PMP — see billing-recompute.ts). No rule is
 * re-implemented here: the SQL only filters, groups and sums stored verdicts, so the figures are
 * the engine's to the micro-dollar.
 *
 * Speed (a month of 1M messages / 200k conversations in < 500 ms, bench/costs-dashboard.ts): the
 * period's sums come from the daily rollup (billing-rollup.ts) for clean days and live from the
 * base tables only for days changed since (and partial days at the edges); GROUPING SETS give the
 * per-day, per-inbox and per-agent breakdowns in one pass; "open now" reads the expires_at index,
 * mismatches a partial index; the queries run in parallel on the pool.
 */
import { type SQL, sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import { inboxes, users } from "../../db/schema";
import { CONVERSATION_CATEGORIES, PRICED_CATEGORIES, type PricingModel } from "../domain";
import { type PriceTable, priceFor } from "../pricing/rates";
import { FREE_SERVICE_PER_MONTH, monthStart, nextMonthStart } from "./billing-recompute";
import { MISMATCH_RULE_CODES, type MismatchRule } from "./billing-reconcile";
import { groupedFromBase, utcDay } from "./billing-rollup";
import { loadPriceTable, loadPricingModel } from "./contact-events";

const DAY_MS = 24 * 3600_000;

/** Why something cost nothing. CBP: free_tier, free_entry_point, free_price; PMP: free_customer_service, free_entry_point, free_price. */
export const FREE_REASONS = ["free_tier", "free_entry_point", "free_customer_service", "free_price"] as const;
export type FreeReason = (typeof FREE_REASONS)[number];

/** The date Meta moved from conversation-based to per-message pricing (rules §3). */
export const META_PMP_FROM = new Date("2025-07-01T00:00:00Z");

export type CostsFilters = {
  /** Period [from, to), instants (UTC). */
  from: Date;
  to: Date;
  inboxIds?: string[];
  wabaId?: string;
  /** A user id, or "none" for items no agent sent/opened. */
  agentId?: string | null;
  category?: string | null;
};

export type CostsQuery = CostsFilters & {
  /** Figures under this model instead of the workspace's (a "what if" view). */
  model?: PricingModel | null;
  now?: Date;
};

export type CostRow = { count: number; billable: number; free: number; costMicros: number };

export type CostsDashboard = {
  now: string;
  currency: string;
  /** The model the figures are computed under, and the workspace's setting. */
  model: PricingModel;
  workspaceModel: PricingModel;
  /** Meta's own model for the period by date (pmp from 2025-07-01), or "mixed" when it spans the change. */
  metaModelForPeriod: PricingModel | "mixed";
  period: { from: string; to: string; days: number };
  totals: CostRow & { freeByReason: Record<FreeReason, number> };
  daily: Array<{ day: string; costMicros: number; byCategory: Record<string, number> }>;
  byCategory: Array<CostRow & { category: string; unitPriceMicros: number | null; priceChanged: boolean }>;
  byInbox: Array<CostRow & { inboxId: string; name: string; wabaId: string }>;
  byAgent: Array<CostRow & { userId: string | null; name: string }>;
  /** Current UTC month, per WABA in scope (CBP's 1,000 free service conversations). */
  freeTier: {
    month: string;
    limit: number;
    wabas: Array<{
      wabaId: string;
      inboxes: string[];
      used: number;
      remaining: number;
      serviceConversations: number;
    }>;
  };
  projection: {
    month: string;
    monthToDateMicros: number;
    projectedMicros: number;
    elapsedDays: number;
    daysInMonth: number;
  } | null;
  openNow: {
    total: number;
    byCategory: Record<string, number>;
    fepWindows: number;
    items: Array<{
      id: string;
      category: string;
      openedAt: string;
      /** When it stops being open: its expiry, or the instant a free entry point closed it. */
      endsAt: string;
      costMicros: number;
      freeReason: string | null;
      inboxId: string;
      threadId: string | null;
      contact: string;
    }>;
  };
  reconciliation: {
    delivered: number;
    reported: number;
    notReported: number;
    disagree: number;
    byModel: { CBP: number; PMP: number };
    modelWarning: string | null;
    summary: Array<{
      model: string | null;
      category: string | null;
      type: string | null;
      billable: boolean | null;
      count: number;
      disagree: number;
    }>;
    byRule: Array<{ rule: MismatchRule; count: number }>;
    mismatches: Array<{
      messageId: string;
      threadId: string;
      deliveredAt: string;
      contact: string;
      inbox: string;
      rule: MismatchRule;
      ours: { category: string; pmpType: string; cbpCategory: string | null; costMicros: number };
      meta: {
        model: string | null;
        category: string | null;
        type: string | null;
        billable: boolean | null;
        conversationId: string | null;
      };
    }>;
  };
  options: {
    inboxes: Array<{ id: string; name: string; wabaId: string }>;
    agents: Array<{ id: string; name: string; role: string }>;
  };
};

// ---------------------------------------------------------------- sources

type Source = { table: string; time: string; agent: string; category: string; reason: string };

/** Where each model's figures live. Billable = cost > 0; the reason says why the rest is free. */
const SOURCES: Record<PricingModel, Source> = {
  cbp: {
    table: "billing_conversations",
    time: "opened_at",
    agent: "opened_by_user_id",
    category: "category::text",
    reason: "free_reason",
  },
  pmp: {
    table: "billing_messages",
    time: "delivered_at",
    agent: "sender_user_id",
    category: "category",
    reason:
      "case when pmp_type = 'free_entry_point' then 'free_entry_point' when pmp_type = 'free_customer_service' then 'free_customer_service' when cost_micros = 0 then 'free_price' end",
  },
};

/** The WHERE clause (unqualified columns of the model's billing table) for a period and filters. */
export function costsWhere(model: PricingModel, f: CostsFilters, opts: { time?: boolean } = {}): SQL {
  return filterSql(SOURCES[model], f, opts);
}

function filterSql(src: Source, f: CostsFilters, opts: { time?: boolean } = {}): SQL {
  const parts: SQL[] = [];
  if (opts.time !== false) {
    parts.push(sql`${sql.raw(src.time)} >= ${ts(f.from)} and ${sql.raw(src.time)} < ${ts(f.to)}`);
  }
  if (f.inboxIds && f.inboxIds.length > 0) parts.push(sql`inbox_id = any(${sql.param(f.inboxIds)}::uuid[])`);
  if (f.wabaId) parts.push(sql`waba_id = ${f.wabaId}`);
  if (f.agentId === "none") parts.push(sql`${sql.raw(src.agent)} is null`);
  else if (f.agentId) parts.push(sql`${sql.raw(src.agent)} = ${f.agentId}`);
  if (f.category) {
    // Under PMP a free entry point is a verdict on the message, not a category.
    if (src.table === "billing_messages" && f.category === "free_entry_point") {
      parts.push(sql`pmp_type = 'free_entry_point'`);
    } else {
      parts.push(sql`${sql.raw(src.category)} = ${f.category}`);
    }
  }
  return parts.length ? sql.join(parts, sql` and `) : sql`true`;
}

const num = (v: unknown) => Number(v ?? 0);
/** An instant as a timestamptz parameter (postgres.js will not serialise a Date for an inferred type). */
const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const emptyRow = (): CostRow => ({ count: 0, billable: 0, free: 0, costMicros: 0 });
function add(row: CostRow, n: number, billable: number, cost: number) {
  row.count += n;
  row.billable += billable;
  row.free += n - billable;
  row.costMicros += cost;
}

// ---------------------------------------------------------------- stage 1: rollup + live

/** UTC day → the WABAs whose rollup of that day is stale (rebuilt by the rollup worker). */
type DirtyDays = Map<string, Set<string>>;

async function loadDirtyDays(db: DbOrTx, from: Date, to: Date): Promise<DirtyDays> {
  const rows = await db.execute<{ waba_id: string; day: string }>(sql`
    select distinct waba_id, day::text as day from billing_dirty_days
    where day >= ${utcDay(from)}::date and day <= ${utcDay(to)}::date`);
  const out: DirtyDays = new Map();
  for (const r of rows) out.set(r.day, (out.get(r.day) ?? new Set()).add(r.waba_id));
  return out;
}

const floorDay = (d: Date) => Date.parse(`${utcDay(d)}T00:00:00.000Z`);
const ceilDay = (d: Date) => (floorDay(d) === d.getTime() ? d.getTime() : floorDay(d) + DAY_MS);

function rollupFilterSql(model: PricingModel, f: CostsFilters): SQL {
  const parts: SQL[] = [sql`model = ${model}`];
  if (f.inboxIds && f.inboxIds.length > 0) parts.push(sql`inbox_id = any(${sql.param(f.inboxIds)}::uuid[])`);
  if (f.wabaId) parts.push(sql`waba_id = ${f.wabaId}`);
  if (f.agentId === "none") parts.push(sql`agent_id is null`);
  else if (f.agentId) parts.push(sql`agent_id = ${f.agentId}`);
  if (f.category) {
    if (model === "pmp" && f.category === "free_entry_point") parts.push(sql`reason = 'free_entry_point'`);
    else parts.push(sql`category = ${f.category}`);
  }
  return sql.join(parts, sql` and `);
}

/**
 * The period's billing summed by every dimension the page groups by (day, WABA, inbox, agent,
 * category, reason, Meta's verdict): rollup rows for clean whole UTC days, live sums from the base
 * table for dirty days and for partial days at the period's edges. Exact at any moment.
 */
function stage1(model: PricingModel, f: CostsFilters, dirty: DirtyDays): SQL {
  const src = SOURCES[model];
  const a = ceilDay(f.from);
  const b = floorDay(f.to);
  const parts: SQL[] = [];
  const live: SQL[] = [];
  const range = (x: number, y: number) =>
    sql`(${sql.raw(src.time)} >= ${new Date(x).toISOString()}::timestamptz and ${sql.raw(src.time)} < ${new Date(y).toISOString()}::timestamptz)`;
  if (a < b) {
    const excluded: string[] = [];
    for (const [day, wabas] of dirty) {
      const t = Date.parse(`${day}T00:00:00.000Z`);
      if (t < a || t >= b) continue;
      for (const w of wabas) excluded.push(`${w}|${day}`);
      live.push(sql`(${range(t, t + DAY_MS)} and waba_id = any(${sql.param([...wabas])}::text[]))`);
    }
    parts.push(sql`
      select model::text as model, waba_id, day::text as day, inbox_id, agent_id, category, reason, meta_model,
             meta_category, meta_type, meta_billable, count as n, billable, cost_micros as cost, disagree
      from billing_rollup
      where day >= ${utcDay(a)}::date and day < ${utcDay(b)}::date and ${rollupFilterSql(model, f)}
        ${excluded.length ? sql`and (waba_id || '|' || day::text) <> all(${sql.param(excluded)}::text[])` : sql``}`);
    if (f.from.getTime() < a) live.push(range(f.from.getTime(), a));
    if (b < f.to.getTime()) live.push(range(b, f.to.getTime()));
  } else if (f.from < f.to) {
    live.push(range(f.from.getTime(), f.to.getTime()));
  }
  if (live.length > 0 || parts.length === 0) {
    const when = live.length > 0 ? sql.join(live, sql` or `) : sql`false`;
    parts.push(groupedFromBase(model, sql`(${when}) and ${filterSql(src, f, { time: false })}`));
  }
  return sql.join(parts, sql` union all `);
}

type BreakdownRow = {
  gd: number;
  gi: number;
  day: string | null;
  inbox_id: string | null;
  agent: string | null;
  category: string;
  reason: string | null;
  n: number;
  billable: number;
  cost: string;
};

/** (day, category, reason), (inbox, category, reason), (agent, category, reason) in one pass over stage 1. */
async function breakdown(db: DbOrTx, model: PricingModel, f: CostsFilters, dirty: DirtyDays) {
  return db.execute<BreakdownRow>(sql`
    with s as (${stage1(model, f, dirty)})
    select grouping(day)::int as gd, grouping(inbox_id)::int as gi, day, inbox_id, agent_id as agent, category,
           reason, sum(n)::int as n, sum(billable)::int as billable, sum(cost)::bigint as cost
    from s
    group by grouping sets ((day, category, reason), (inbox_id, category, reason), (agent_id, category, reason))`);
}

async function costBetween(
  db: DbOrTx,
  model: PricingModel,
  f: CostsFilters,
  dirty: DirtyDays,
): Promise<number> {
  const [r] = await db.execute<{ cost: string }>(sql`
    with s as (${stage1(model, f, dirty)}) select coalesce(sum(cost), 0)::bigint as cost from s`);
  return num(r?.cost);
}

async function freeTierNow(db: DbOrTx, wabaIds: string[], now: Date, dirty: DirtyDays) {
  const month = now.toISOString().slice(0, 7);
  if (wabaIds.length === 0) return new Map<string, { total: number; used: number }>();
  const f = { from: monthStart(month), to: nextMonthStart(month), category: "service" };
  const rows = await db.execute<{ waba_id: string; total: number; used: number }>(sql`
    with s as (${stage1("cbp", f, dirty)})
    select waba_id, sum(n)::int as total, coalesce(sum(n) filter (where reason = 'free_tier'), 0)::int as used
    from s where waba_id = any(${sql.param(wabaIds)}::text[])
    group by waba_id`);
  return new Map(rows.map((r) => [r.waba_id, { total: r.total, used: r.used }]));
}

type OpenRow = {
  id: string;
  category: string;
  opened_at: Date | string;
  expires_at: Date | string;
  closed_at: Date | string | null;
  cost_micros: string;
  free_reason: string | null;
  inbox_id: string;
  thread_id: string | null;
  wa_id: string;
  profile_name: string | null;
};

async function openNow(db: DbOrTx, f: CostsFilters, now: Date) {
  const src = SOURCES.cbp;
  const where = sql`expires_at > ${ts(now)} and opened_at <= ${ts(now)} and (closed_at is null or closed_at > ${ts(now)})
    and ${filterSql(src, f, { time: false })}`;
  const [counts, items] = await Promise.all([
    db.execute<{ category: string; n: number }>(sql`
      select category::text as category, count(*)::int as n from billing_conversations where ${where} group by 1`),
    db.execute<OpenRow>(sql`
      select bc.id, bc.category::text as category, bc.opened_at, bc.expires_at, bc.closed_at, bc.cost_micros,
             bc.free_reason, bc.inbox_id, bc.thread_id, c.wa_id, c.profile_name
      from (select * from billing_conversations where ${where} order by expires_at limit 50) bc
      join contacts c on c.id = bc.contact_id
      order by bc.expires_at, bc.id`),
  ]);
  return { counts, items };
}

async function reconciliation(db: DbOrTx, f: CostsFilters, dirty: DirtyDays) {
  const src = SOURCES.pmp;
  const where = filterSql(src, f);
  const [summary, byRule, list] = await Promise.all([
    db.execute<{
      model: string | null;
      category: string | null;
      type: string | null;
      billable: boolean | null;
      n: number;
      disagree: number;
    }>(sql`
      with s as (${stage1("pmp", f, dirty)})
      select meta_model as model, meta_category as category, meta_type as type, meta_billable as billable,
             sum(n)::int as n, sum(disagree)::int as disagree
      from s group by 1, 2, 3, 4 order by 5 desc`),
    db.execute<{ rule: string; n: number }>(sql`
      select mismatch as rule, count(*)::int as n from billing_messages
      where mismatch is not null and ${where} group by 1 order by 2 desc`),
    db.execute<{
      message_id: string;
      thread_id: string;
      delivered_at: Date | string;
      wa_id: string;
      profile_name: string | null;
      inbox: string;
      mismatch: string;
      category: string;
      pmp_type: string;
      cbp_category: string | null;
      cost_micros: string;
      meta_model: string | null;
      meta_category: string | null;
      meta_type: string | null;
      meta_billable: boolean | null;
      meta_conversation_id: string | null;
    }>(sql`
      select bm.message_id, bm.thread_id, bm.delivered_at, c.wa_id, c.profile_name, i.name as inbox, bm.mismatch,
             bm.category, bm.pmp_type, bm.cbp_category, bm.cost_micros, bm.meta_model, bm.meta_category,
             bm.meta_type, bm.meta_billable, bm.meta_conversation_id
      from (select * from billing_messages where mismatch is not null and ${where}
            order by delivered_at desc limit 100) bm
      join contacts c on c.id = bm.contact_id
      join inboxes i on i.id = bm.inbox_id
      order by bm.delivered_at desc, bm.message_id`),
  ]);
  return { summary, byRule, list };
}

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

/** Meta's model for instants in [from, to) by date (CBP before 2025-07-01, PMP after). */
export function metaModelBetween(from: Date, to: Date): PricingModel | "mixed" {
  if (to.getTime() <= META_PMP_FROM.getTime()) return "cbp";
  if (from.getTime() >= META_PMP_FROM.getTime()) return "pmp";
  return "mixed";
}

/** The UTC days (YYYY-MM-DD) that [from, to) touches, partial ones included. */
function daysOf(from: Date, to: Date): string[] {
  const out: string[] = [];
  for (let t = floorDay(from); t < to.getTime(); t += DAY_MS)
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** Everything the /costs page shows for a period and filters. */
export async function getCostsDashboard(db: DbOrTx, q: CostsQuery): Promise<CostsDashboard> {
  const now = q.now ?? new Date();
  const f: CostsFilters = q;
  const [workspaceModel, inboxRows, userRows, table] = await Promise.all([
    loadPricingModel(db),
    db
      .select({ id: inboxes.id, name: inboxes.name, wabaId: inboxes.wabaId })
      .from(inboxes)
      .orderBy(inboxes.name),
    db.select({ id: users.id, name: users.name, role: users.role }).from(users).orderBy(users.name),
    loadPriceTable(db),
  ]);
  const model = q.model ?? workspaceModel;

  const monthKey = now.toISOString().slice(0, 7);
  const mStart = monthStart(monthKey);
  const mEnd = nextMonthStart(monthKey);
  // The period's own daily figures give month-to-date when it covers [month start, now].
  const mtdFromDaily = q.from.getTime() <= mStart.getTime() && q.to.getTime() >= now.getTime();

  const scopeInboxes = q.inboxIds?.length ? inboxRows.filter((i) => q.inboxIds!.includes(i.id)) : inboxRows;
  const wabaIds = [...new Set(scopeInboxes.map((i) => i.wabaId))].filter((w) => !q.wabaId || w === q.wabaId);

  const dirty = await loadDirtyDays(
    db,
    new Date(Math.min(q.from.getTime(), mStart.getTime())),
    new Date(Math.max(q.to.getTime(), mEnd.getTime())),
  );
  const [rows, mtd, tier, open, recon] = await Promise.all([
    breakdown(db, model, f, dirty),
    mtdFromDaily ? Promise.resolve(null) : costBetween(db, model, { ...f, from: mStart, to: now }, dirty),
    freeTierNow(db, wabaIds, now, dirty),
    openNow(db, f, now),
    reconciliation(db, f, dirty),
  ]);

  // ---- fold the grouping sets
  const totals = {
    ...emptyRow(),
    freeByReason: Object.fromEntries(FREE_REASONS.map((r) => [r, 0])) as Record<FreeReason, number>,
  };
  const days = new Map(
    daysOf(q.from, q.to).map((d) => [d, { day: d, costMicros: 0, byCategory: {} as Record<string, number> }]),
  );
  const cats = new Map<string, CostRow>();
  const byInbox = new Map<string, CostRow>();
  const byAgent = new Map<string | null, CostRow>();
  for (const r of rows) {
    const cost = num(r.cost);
    if (r.gd === 0) {
      add(totals, r.n, r.billable, cost);
      if (r.reason && (FREE_REASONS as readonly string[]).includes(r.reason)) {
        totals.freeByReason[r.reason as FreeReason] += r.n - r.billable;
      }
      const row = cats.get(r.category) ?? emptyRow();
      add(row, r.n, r.billable, cost);
      cats.set(r.category, row);
      const day = r.day ? days.get(r.day) : undefined;
      if (day) {
        day.costMicros += cost;
        day.byCategory[r.category] = (day.byCategory[r.category] ?? 0) + cost;
      }
    } else if (r.gi === 0) {
      const row = byInbox.get(r.inbox_id!) ?? emptyRow();
      add(row, r.n, r.billable, cost);
      byInbox.set(r.inbox_id!, row);
    } else {
      const row = byAgent.get(r.agent) ?? emptyRow();
      add(row, r.n, r.billable, cost);
      byAgent.set(r.agent, row);
    }
  }

  // ---- unit prices: the all-markets price in force at the end of the period
  const priceAt = Math.min(q.to.getTime(), now.getTime()) - 1;
  // Every category of the model (so the table keeps its shape), plus any other that has rows.
  const base = model === "cbp" ? CONVERSATION_CATEGORIES : PRICED_CATEGORIES;
  const listed = [...new Set([...base.filter((c) => !q.category || c === q.category), ...cats.keys()])];
  const byCategory = listed.map((category) => ({
    category,
    ...(cats.get(category) ?? emptyRow()),
    unitPriceMicros:
      category === "free_entry_point" ? 0 : priceFor(table, { model, category, at: priceAt, waId: "" }),
    priceChanged: priceChangedIn(table, model, category, q.from, q.to),
  }));

  const inboxName = new Map(inboxRows.map((i) => [i.id, i]));
  const userName = new Map(userRows.map((u) => [u.id, u.name]));

  let projection: CostsDashboard["projection"] = null;
  if (now >= mStart && now < mEnd) {
    const monthToDateMicros =
      mtd ??
      [...days.values()]
        .filter((d) => d.day >= monthKey && d.day <= now.toISOString().slice(0, 10))
        .reduce((s, d) => s + d.costMicros, 0);
    const elapsed = Math.max(1, now.getTime() - mStart.getTime());
    const length = mEnd.getTime() - mStart.getTime();
    // Run rate × month length, in integers (micros × ms overflows 2^53, hence BigInt).
    const projectedMicros = Number((BigInt(monthToDateMicros) * BigInt(length)) / BigInt(elapsed));
    projection = {
      month: monthKey,
      monthToDateMicros,
      projectedMicros,
      elapsedDays: elapsed / DAY_MS,
      daysInMonth: Math.round(length / DAY_MS),
    };
  }

  const openCounts = Object.fromEntries(open.counts.map((r) => [r.category, r.n]));
  const byModel = { CBP: 0, PMP: 0 };
  let delivered = 0;
  let notReported = 0;
  let disagree = 0;
  for (const s of recon.summary) {
    delivered += s.n;
    disagree += s.disagree;
    if (s.model === "CBP" || s.model === "PMP") byModel[s.model] += s.n;
    else notReported += s.n;
  }
  let modelWarning: string | null = null;
  if (model === "cbp" && byModel.PMP > 0) {
    modelWarning = `Meta reported per-message pricing (PMP) for ${byModel.PMP} message${byModel.PMP === 1 ? "" : "s"} in this period, but these figures use conversation-based pricing (CBP). Meta has billed per message since 2025-07-01: an admin can switch the pricing model in Admin → Settings.`;
  } else if (model === "pmp" && byModel.CBP > 0) {
    modelWarning = `Meta reported conversation-based pricing (CBP) for ${byModel.CBP} message${byModel.CBP === 1 ? "" : "s"} in this period, but these figures use per-message pricing (PMP). An admin can switch the pricing model in Admin → Settings.`;
  }

  return {
    now: now.toISOString(),
    currency: "USD",
    model,
    workspaceModel,
    metaModelForPeriod: metaModelBetween(q.from, q.to),
    period: { from: q.from.toISOString(), to: q.to.toISOString(), days: days.size },
    totals,
    daily: [...days.values()],
    byCategory,
    byInbox: [...byInbox.entries()]
      .map(([id, row]) => ({
        inboxId: id,
        name: inboxName.get(id)?.name ?? "(deleted inbox)",
        wabaId: inboxName.get(id)?.wabaId ?? "",
        ...row,
      }))
      .sort((a, b) => b.costMicros - a.costMicros || b.count - a.count),
    byAgent: [...byAgent.entries()]
      .map(([id, row]) => ({
        userId: id,
        name: id ? (userName.get(id) ?? "(deleted user)") : "No agent (API, automation)",
        ...row,
      }))
      .sort((a, b) => b.costMicros - a.costMicros || b.count - a.count),
    freeTier: {
      month: monthKey,
      limit: FREE_SERVICE_PER_MONTH,
      wabas: wabaIds.map((wabaId) => {
        const t = tier.get(wabaId) ?? { total: 0, used: 0 };
        return {
          wabaId,
          inboxes: inboxRows.filter((i) => i.wabaId === wabaId).map((i) => i.name),
          used: t.used,
          remaining: Math.max(0, FREE_SERVICE_PER_MONTH - t.used),
          serviceConversations: t.total,
        };
      }),
    },
    projection,
    openNow: {
      total: open.counts.reduce((s, r) => s + r.n, 0),
      byCategory: openCounts,
      fepWindows: openCounts.free_entry_point ?? 0,
      items: open.items.map((r) => {
        const expires = new Date(r.expires_at);
        const closed = r.closed_at ? new Date(r.closed_at) : null;
        return {
          id: r.id,
          category: r.category,
          openedAt: iso(r.opened_at),
          endsAt: (closed && closed < expires ? closed : expires).toISOString(),
          costMicros: num(r.cost_micros),
          freeReason: r.free_reason,
          inboxId: r.inbox_id,
          threadId: r.thread_id,
          contact: r.profile_name ? `${r.profile_name} (+${r.wa_id})` : `+${r.wa_id}`,
        };
      }),
    },
    reconciliation: {
      delivered,
      reported: byModel.CBP + byModel.PMP,
      notReported,
      disagree,
      byModel,
      modelWarning,
      summary: recon.summary.map((s) => ({
        model: s.model,
        category: s.category,
        type: s.type,
        billable: s.billable,
        count: s.n,
        disagree: s.disagree,
      })),
      byRule: recon.byRule
        .filter((r) => (MISMATCH_RULE_CODES as readonly string[]).includes(r.rule))
        .map((r) => ({ rule: r.rule as MismatchRule, count: r.n })),
      mismatches: recon.list.map((r) => ({
        messageId: r.message_id,
        threadId: r.thread_id,
        deliveredAt: iso(r.delivered_at),
        contact: r.profile_name ? `${r.profile_name} (+${r.wa_id})` : `+${r.wa_id}`,
        inbox: r.inbox,
        rule: r.mismatch as MismatchRule,
        ours: {
          category: r.category,
          pmpType: r.pmp_type,
          cbpCategory: r.cbp_category,
          costMicros: num(r.cost_micros),
        },
        meta: {
          model: r.meta_model,
          category: r.meta_category,
          type: r.meta_type,
          billable: r.meta_billable,
          conversationId: r.meta_conversation_id,
        },
      })),
    },
    options: {
      inboxes: inboxRows,
      agents: userRows,
    },
  };
}

/** Whether a price of `category` (any market) took effect inside (from, to): the unit price then varies. */
function priceChangedIn(
  table: PriceTable,
  model: PricingModel,
  category: string,
  from: Date,
  to: Date,
): boolean {
  return table.some(
    (r) =>
      r.model === model &&
      r.category.toLowerCase() === category &&
      r.effectiveFrom > from.getTime() &&
      r.effectiveFrom < to.getTime(),
  );
}
