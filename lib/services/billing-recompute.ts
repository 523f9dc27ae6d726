/**
 * Billing as stored rows, computed by the pure engine (lib/windows/engine.ts) and pricer
 * (lib/pricing/*) from stored events — never by SQL that re-implements the rules:
 *
 * - `billing_conversations`: the CBP conversations of each contact × WABA, priced, with the
 *   monthly free tier of service conversations;
 * - `billing_messages`: every delivered outbound message with its PMP verdict and price, the CBP
 *   conversation it falls into, Meta's reported verdict, and the rule explaining a disagreement;
 * - `messages.cost_*`: the PMP verdict again, for the message list.
 *
 * Two paths keep them exact:
 * - incremental: `refreshContactBilling` (called by refreshThreadState in the transaction that
 *   changed a thread's messages or statuses) re-runs the engine for one contact and diffs its rows;
 *   when the contact's set of service conversations changes in a month, `applyFreeTier` re-ranks
 *   that month's service conversations of the WABA so exactly the first 1,000 are free;
 * - batch: `recomputeBilling` / `recomputeAllBilling` (after a price or model change, or on demand)
 *   re-price whole months in order with the pure pricers, exactly as `replay` does.
 *
 * Ordering of ties (same opening / delivery instant, different contacts): by the contact's wa_id
 * in byte order, which is the order the replay command uses (contacts sorted by id).
 *
 * Concurrency: one advisory lock per contact × WABA serialises refreshes of the same contact, and
 * one per WABA × UTC month is taken before any service conversation of that month is written, so
 * two transactions never hand out the same free-tier slot. Locks are taken in that order (contact,
 * then months ascending) and held to commit.
 */
import { and, asc, eq, gte, inArray, lt, min, or, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client";
import {
  auditLog,
  billingConversations,
  billingMessages,
  contacts,
  inboxes,
  messages,
  threads,
} from "../../db/schema";
import { log } from "../logger";
import { priceConversations, utcMonthKey } from "../pricing/cbp";
import { priceMessages } from "../pricing/pmp";
import { DEFAULT_RATES, type PriceTable, priceFor } from "../pricing/rates";
import { type ContactState, computeContactState } from "../windows/engine";
import { cbpAttribution, metaVerdictOf, reconcileMessage } from "./billing-reconcile";
import { markBillingDirty, utcDay } from "./billing-rollup";
import { loadContactEvents, loadPriceTable } from "./contact-events";

/** Service conversations free each UTC calendar month per WABA (rules §3). */
export const FREE_SERVICE_PER_MONTH = DEFAULT_RATES.freeServicePerMonth;

const DAY_MS = 24 * 3600_000;

// ---------------------------------------------------------------- months & locks

/** First instant of the UTC month `key` ("YYYY-MM"). */
export function monthStart(key: string): Date {
  return new Date(`${key}-01T00:00:00.000Z`);
}

/** First instant of the UTC month after `key`. */
export function nextMonthStart(key: string): Date {
  const d = monthStart(key);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
}

/** Keys ("YYYY-MM") of the UTC months overlapping [from, to). */
export function monthsBetween(from: Date, to: Date): string[] {
  const out: string[] = [];
  if (to.getTime() <= from.getTime()) return out;
  for (let key = utcMonthKey(from.getTime()); monthStart(key).getTime() < to.getTime(); ) {
    out.push(key);
    key = utcMonthKey(nextMonthStart(key).getTime());
  }
  return out;
}

async function advisoryLock(tx: DbOrTx, key: string) {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
}
const contactLockKey = (wabaId: string, contactId: string) => `billing:contact:${wabaId}:${contactId}`;
const monthLockKey = (wabaId: string, month: string) => `billing:month:${wabaId}:${month}`;

// ---------------------------------------------------------------- prices

const priceCbp = (table: PriceTable) => (category: string, at: number, waId: string) =>
  priceFor(table, { model: "cbp", category, at, waId });

/** Whether the price table has PMP volume tiers (then monthly volumes must be counted across contacts). */
export function hasPmpTiers(table: PriceTable): boolean {
  return table.some((r) => r.model === "pmp" && r.tierFromVolume > 0);
}

const digits = (s: string) => s.replace(/\D/g, "");

/** The PMP market a customer belongs to for volume tiers: the longest market prefix in the table matching the wa_id ("" = all). */
export function marketOf(table: PriceTable, waId: string): string {
  const wa = digits(waId);
  let best = "";
  for (const r of table) {
    if (r.model !== "pmp" || r.market === null) continue;
    const m = digits(r.market);
    if (m.length > best.length && wa.startsWith(m)) best = m;
  }
  return best;
}

// ---------------------------------------------------------------- incremental: one contact

export type ContactBillingKey = { contactId: string; wabaId: string; waId: string };

export type RefreshBillingOptions = {
  /** The price table, when the caller already loaded it (batch recompute). */
  table?: PriceTable;
  /** Re-rank the free tier of touched months now (default true; the batch path re-prices whole months after). */
  freeTier?: boolean;
};

export type RefreshBillingResult = {
  state: ContactState;
  conversationsChanged: number;
  messagesChanged: number;
  /** UTC months ("YYYY-MM") whose set of service conversations changed. */
  touchedMonths: string[];
};

type ConvRow = typeof billingConversations.$inferSelect;
type ConvValues = Omit<typeof billingConversations.$inferInsert, "id">;
type MsgValues = typeof billingMessages.$inferInsert;

const ms = (d: Date | null | undefined) => (d ? d.getTime() : null);

function sameConversation(row: ConvRow, v: ConvValues): boolean {
  return (
    row.inboxId === v.inboxId &&
    (row.threadId ?? null) === (v.threadId ?? null) &&
    ms(row.expiresAt) === ms(v.expiresAt as Date) &&
    ms(row.closedAt) === ms(v.closedAt ?? null) &&
    row.costMicros === v.costMicros &&
    (row.freeReason ?? null) === (v.freeReason ?? null) &&
    (row.openedByMessageId ?? null) === (v.openedByMessageId ?? null) &&
    (row.openedByUserId ?? null) === (v.openedByUserId ?? null) &&
    (row.metaConversationId ?? null) === (v.metaConversationId ?? null)
  );
}

const MSG_FIELDS = [
  "inboxId",
  "wabaId",
  "contactId",
  "threadId",
  "senderUserId",
  "template",
  "category",
  "pricingCategory",
  "pmpType",
  "costMicros",
  "cbpCategory",
  "metaModel",
  "metaCategory",
  "metaType",
  "metaBillable",
  "metaConversationId",
  "metaOrigin",
  "mismatch",
] as const;

function sameMessage(row: typeof billingMessages.$inferSelect, v: MsgValues): boolean {
  if (ms(row.sentAt) !== ms(v.sentAt as Date) || ms(row.deliveredAt) !== ms(v.deliveredAt as Date))
    return false;
  return MSG_FIELDS.every((f) => (row[f] ?? null) === (v[f] ?? null));
}

/**
 * Re-runs the engine for one contact × WABA at `now` and brings its billing rows in line: the
 * priced CBP conversations (diffed by category + opening instant, so unchanged rows keep their ids)
 * and one billing_messages row per delivered outbound message (PMP verdict, CBP attribution,
 * Meta's verdict, mismatch rule). Must run inside a transaction (it takes advisory locks).
 */
export async function refreshContactBilling(
  tx: DbOrTx,
  key: ContactBillingKey,
  now: Date,
  opts: RefreshBillingOptions = {},
): Promise<RefreshBillingResult> {
  const { contactId, wabaId, waId } = key;
  await advisoryLock(tx, contactLockKey(wabaId, contactId));

  const { events, refs } = await loadContactEvents(tx, { contactId, wabaId });
  const state = computeContactState(events, now.getTime());
  const table = opts.table ?? (await loadPriceTable(tx));

  // ---- CBP conversations
  const existing = await tx
    .select()
    .from(billingConversations)
    .where(and(eq(billingConversations.contactId, contactId), eq(billingConversations.wabaId, wabaId)));
  const byKey = new Map<string, ConvRow>();
  const toDelete: ConvRow[] = [];
  for (const row of existing) {
    const k = `${row.category}|${row.openedAt.getTime()}`;
    if (byKey.has(k))
      toDelete.push(row); // a duplicate from an older writer: keep one
    else byKey.set(k, row);
  }
  // The tier is decided across contacts (applyFreeTier / repriceMonth): price service as if outside it.
  const priced = priceConversations(
    state.conversations.map((c) => ({ ...c, accountId: wabaId, waId })),
    priceCbp(table),
    0,
  );
  const inserts: ConvValues[] = [];
  const updates: Array<{ id: string; values: ConvValues }> = [];
  const touched = new Set<string>();
  for (const c of priced) {
    const ref = refs.get(c.openedBy);
    if (!ref) continue; // openedBy is always a stored outbound message; never invent a row
    const values: ConvValues = {
      inboxId: ref.inboxId,
      wabaId,
      contactId,
      threadId: ref.threadId,
      category: c.category,
      openedAt: new Date(c.openedAt),
      expiresAt: new Date(c.expiresAt),
      closedAt: c.closedAt === null ? null : new Date(c.closedAt),
      costMicros: c.costMicros,
      freeReason: c.freeReason,
      openedByMessageId: ref.id,
      openedByUserId: ref.senderUserId,
      metaConversationId: ref.metaConversationId,
    };
    const k = `${c.category}|${c.openedAt}`;
    const row = byKey.get(k);
    if (!row) {
      inserts.push(values);
      if (c.category === "service") touched.add(utcMonthKey(c.openedAt));
      continue;
    }
    byKey.delete(k);
    if (c.category === "service" && row.freeReason === "free_tier") {
      // Keep the slot it holds; only the tier pass moves slots.
      values.costMicros = row.costMicros;
      values.freeReason = row.freeReason;
    }
    if (!sameConversation(row, values)) updates.push({ id: row.id, values });
  }
  toDelete.push(...byKey.values());
  for (const row of toDelete)
    if (row.category === "service") touched.add(utcMonthKey(row.openedAt.getTime()));
  const touchedMonths = [...touched].sort();
  // Every writer of a month's service rows holds its lock (the tier pass updates them too), in month order.
  const locked = new Set(touched);
  for (const u of updates)
    if (u.values.category === "service") locked.add(utcMonthKey((u.values.openedAt as Date).getTime()));
  for (const month of [...locked].sort()) await advisoryLock(tx, monthLockKey(wabaId, month));

  if (toDelete.length > 0) {
    await tx.delete(billingConversations).where(
      inArray(
        billingConversations.id,
        toDelete.map((r) => r.id),
      ),
    );
  }
  if (inserts.length > 0) await tx.insert(billingConversations).values(inserts);
  for (const u of updates) {
    await tx.update(billingConversations).set(u.values).where(eq(billingConversations.id, u.id));
  }
  const dirty = new Set<string>();
  for (const v of inserts) dirty.add(utcDay(v.openedAt as Date));
  for (const u of updates) dirty.add(utcDay(u.values.openedAt as Date));
  for (const row of toDelete) dirty.add(utcDay(row.openedAt));
  if (opts.freeTier !== false) {
    for (const month of touchedMonths) {
      for (const day of await applyFreeTier(tx, wabaId, month, table)) dirty.add(day);
    }
  }

  // ---- per-message verdicts (PMP), CBP attribution and Meta's verdict
  const attribution = cbpAttribution(state);
  const market = marketOf(table, waId);
  const othersBefore = hasPmpTiers(table)
    ? await countOthersBefore(tx, { wabaId, contactId, waId, market, table, messages: state.messages })
    : () => 0;
  const pmp = priceMessages(
    state.messages.map((m) => ({ ...m, accountId: wabaId, waId })),
    (category, at, w, volume) =>
      priceFor(table, {
        model: "pmp",
        category,
        at,
        waId: w,
        monthlyVolume: volume + othersBefore(category, at),
      }),
    { marketOf: () => market },
  );
  const wanted: MsgValues[] = [];
  for (const m of pmp) {
    const ref = refs.get(m.id);
    if (!ref) continue;
    const cbp = attribution.get(m.id) ?? null;
    const meta = metaVerdictOf(ref.metaPricing, ref.metaConversation);
    const mismatch = reconcileMessage(
      {
        template: m.template,
        category: m.category,
        pmpType: m.type,
        cbp,
        openerMetaConversationId: cbp
          ? (refs.get(cbp.conversation.openedBy)?.metaConversationId ?? null)
          : null,
      },
      meta,
    );
    wanted.push({
      messageId: m.id,
      inboxId: ref.inboxId,
      wabaId,
      contactId,
      threadId: ref.threadId,
      senderUserId: ref.senderUserId,
      sentAt: new Date(m.sentAt),
      deliveredAt: new Date(m.deliveredAt),
      template: m.template,
      category: m.category,
      pricingCategory: m.pricingCategory,
      pmpType: m.type,
      costMicros: m.costMicros,
      cbpCategory: cbp?.category ?? null,
      metaModel: meta.model,
      metaCategory: meta.category,
      metaType: meta.type,
      metaBillable: meta.billable,
      metaConversationId: meta.conversationId,
      metaOrigin: meta.origin,
      mismatch,
    });
  }
  const existingMsgs = await tx
    .select()
    .from(billingMessages)
    .where(and(eq(billingMessages.contactId, contactId), eq(billingMessages.wabaId, wabaId)));
  const oldById = new Map(existingMsgs.map((r) => [r.messageId, r]));
  const changedMsgs = wanted.filter((v) => {
    const row = oldById.get(v.messageId);
    oldById.delete(v.messageId);
    if (row && sameMessage(row, v)) return false;
    dirty.add(utcDay(v.deliveredAt as Date));
    if (row) dirty.add(utcDay(row.deliveredAt));
    return true;
  });
  for (const row of oldById.values()) dirty.add(utcDay(row.deliveredAt));
  const goneMsgs = [...oldById.keys()];
  if (goneMsgs.length > 0)
    await tx.delete(billingMessages).where(inArray(billingMessages.messageId, goneMsgs));
  if (changedMsgs.length > 0) {
    await tx
      .insert(billingMessages)
      .values(changedMsgs)
      .onConflictDoUpdate({
        target: billingMessages.messageId,
        set: Object.fromEntries(
          [...MSG_FIELDS, "sentAt", "deliveredAt"].map((f) => [f, sql.raw(`excluded.${toSnake(f)}`)]),
        ) as Partial<MsgValues>,
      });
  }

  await markBillingDirty(tx, wabaId, dirty);

  // messages.cost_*: the PMP verdict on the message row itself (read by the message list / API).
  for (const m of pmp) {
    const ref = refs.get(m.id);
    if (ref && ref.costType === m.type && ref.costMicros === m.costMicros && ref.costCategory === m.category)
      continue;
    await tx
      .update(messages)
      .set({ costCategory: m.category, costType: m.type, costMicros: m.costMicros })
      .where(eq(messages.id, m.id));
  }
  const delivered = new Set(pmp.map((m) => m.id));
  const undelivered = [...refs.values()]
    .filter((r) => !delivered.has(r.id) && r.costType !== null)
    .map((r) => r.id);
  if (undelivered.length > 0) {
    await tx
      .update(messages)
      .set({ costCategory: null, costType: null, costMicros: null })
      .where(inArray(messages.id, undelivered));
  }

  return {
    state,
    conversationsChanged: inserts.length + updates.length + toDelete.length,
    messagesChanged: changedMsgs.length + goneMsgs.length,
    touchedMonths,
  };
}

function toSnake(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * With PMP volume tiers: for each (pricing category, delivery instant) of this contact's regular
 * messages, how many regular messages of that category other contacts of the WABA had earlier in
 * the same UTC month and market (ties broken by wa_id, as everywhere). Bounded by the highest tier
 * threshold, since beyond it the count no longer changes the price.
 */
async function countOthersBefore(
  tx: DbOrTx,
  args: {
    wabaId: string;
    contactId: string;
    waId: string;
    market: string;
    table: PriceTable;
    messages: ContactState["messages"];
  },
): Promise<(category: string, at: number) => number> {
  const cap = Math.max(0, ...args.table.filter((r) => r.model === "pmp").map((r) => r.tierFromVolume));
  const longer = [
    ...new Set(
      args.table
        .filter((r) => r.model === "pmp" && r.market !== null)
        .map((r) => digits(r.market!))
        .filter((m) => m.length > args.market.length && m.startsWith(args.market)),
    ),
  ];
  const counts = new Map<string, number>();
  for (const m of args.messages) {
    if (m.type !== "regular") continue;
    const category = m.pricingCategory.toLowerCase();
    const k = `${category}|${m.deliveredAt}`;
    if (counts.has(k)) continue;
    const start = monthStart(utcMonthKey(m.deliveredAt));
    const at = new Date(m.deliveredAt);
    const notLonger = longer.length
      ? sql`and not (${contacts.waId} like any(${sql.raw(`array[${longer.map((l) => `'${l}%'`).join(",")}]`)}))`
      : sql``;
    const rows = await tx.execute<{ n: number }>(sql`
      select count(*)::int as n from (
        select 1 from ${billingMessages} bm join ${contacts} on ${contacts.id} = bm.contact_id
        where bm.waba_id = ${args.wabaId} and bm.pmp_type = 'regular' and lower(bm.pricing_category) = ${category}
          and bm.contact_id <> ${args.contactId}
          and bm.delivered_at >= ${start.toISOString()}::timestamptz
          and (bm.delivered_at < ${at.toISOString()}::timestamptz or (bm.delivered_at = ${at.toISOString()}::timestamptz and ${contacts.waId} collate "C" < ${args.waId}))
          and ${contacts.waId} like ${`${args.market}%`} ${notLonger}
        limit ${cap}
      ) x`);
    counts.set(k, Number(rows[0]?.n ?? 0));
  }
  return (category, at) => counts.get(`${category.toLowerCase()}|${at}`) ?? 0;
}

/**
 * Exactly the first FREE_SERVICE_PER_MONTH service conversations of the WABA opened in UTC month
 * `month` (by opening instant, ties by wa_id) are free (`free_tier`); any other service conversation
 * holding a tier slot is priced. Touches only rows whose verdict changes and returns their UTC days
 * (for the rollup). Caller holds the month lock.
 */
export async function applyFreeTier(
  tx: DbOrTx,
  wabaId: string,
  month: string,
  table: PriceTable,
): Promise<string[]> {
  const inMonth = and(
    eq(billingConversations.wabaId, wabaId),
    eq(billingConversations.category, "service"),
    gte(billingConversations.openedAt, monthStart(month)),
    lt(billingConversations.openedAt, nextMonthStart(month)),
  );
  const firsts = await tx
    .select({
      id: billingConversations.id,
      freeReason: billingConversations.freeReason,
      openedAt: billingConversations.openedAt,
    })
    .from(billingConversations)
    .innerJoin(contacts, eq(contacts.id, billingConversations.contactId))
    .where(inMonth)
    .orderBy(asc(billingConversations.openedAt), sql`${contacts.waId} collate "C"`)
    .limit(FREE_SERVICE_PER_MONTH);
  const firstIds = new Set(firsts.map((r) => r.id));
  const freed = firsts.filter((r) => r.freeReason !== "free_tier");
  const days = new Set(freed.map((r) => utcDay(r.openedAt)));
  if (freed.length > 0) {
    await tx
      .update(billingConversations)
      .set({ costMicros: 0, freeReason: "free_tier" })
      .where(
        inArray(
          billingConversations.id,
          freed.map((r) => r.id),
        ),
      );
  }
  const holders = await tx
    .select({ id: billingConversations.id, openedAt: billingConversations.openedAt, waId: contacts.waId })
    .from(billingConversations)
    .innerJoin(contacts, eq(contacts.id, billingConversations.contactId))
    .where(and(inMonth, eq(billingConversations.freeReason, "free_tier")));
  const price = priceCbp(table);
  for (const h of holders) {
    if (firstIds.has(h.id)) continue;
    const costMicros = Math.max(0, Math.round(price("service", h.openedAt.getTime(), h.waId)));
    await tx
      .update(billingConversations)
      .set({ costMicros, freeReason: costMicros === 0 ? "free_price" : null })
      .where(eq(billingConversations.id, h.id));
    days.add(utcDay(h.openedAt));
  }
  return [...days];
}

// ---------------------------------------------------------------- batch: months

export type RepriceStats = {
  conversations: number;
  conversationsChanged: number;
  messages: number;
  messagesChanged: number;
};

/**
 * Re-prices one UTC month of a WABA in order with the pure pricers — CBP conversations with the
 * monthly free tier (priceConversations) and PMP messages with volume tiers (priceMessages) —
 * and writes only rows whose price changed. The engine's conversations/verdicts are taken as
 * stored; `recomputeBilling` with `rebuild` refreshes them first.
 */
export async function repriceMonth(
  db: Db,
  wabaId: string,
  month: string,
  table: PriceTable,
): Promise<RepriceStats> {
  const start = monthStart(month);
  const end = nextMonthStart(month);
  return db.transaction(async (tx) => {
    await advisoryLock(tx, monthLockKey(wabaId, month));
    const convs = await tx
      .select({
        id: billingConversations.id,
        category: billingConversations.category,
        openedAt: billingConversations.openedAt,
        costMicros: billingConversations.costMicros,
        freeReason: billingConversations.freeReason,
        waId: contacts.waId,
      })
      .from(billingConversations)
      .innerJoin(contacts, eq(contacts.id, billingConversations.contactId))
      .where(
        and(
          eq(billingConversations.wabaId, wabaId),
          gte(billingConversations.openedAt, start),
          lt(billingConversations.openedAt, end),
        ),
      )
      .orderBy(asc(billingConversations.openedAt), sql`${contacts.waId} collate "C"`);
    const priced = priceConversations(
      convs.map((c) => ({ ...c, openedAt: c.openedAt.getTime(), accountId: wabaId })),
      priceCbp(table),
      FREE_SERVICE_PER_MONTH,
    );
    const convChanges = priced.filter(
      (p, i) => p.costMicros !== convs[i].costMicros || p.freeReason !== convs[i].freeReason,
    );
    for (let i = 0; i < convChanges.length; i += 5000) {
      const chunk = convChanges.slice(i, i + 5000);
      await tx.execute(sql`
        update ${billingConversations} as b
        set cost_micros = v.cost, free_reason = v.reason
        from (select unnest(${sql.param(chunk.map((c) => c.id))}::uuid[]) as id,
                     unnest(${sql.param(chunk.map((c) => c.costMicros))}::bigint[]) as cost,
                     unnest(${sql.param(chunk.map((c) => c.freeReason))}::text[]) as reason) v
        where b.id = v.id`);
    }

    const msgs = await tx
      .select({
        id: billingMessages.messageId,
        category: billingMessages.category,
        pricingCategory: billingMessages.pricingCategory,
        type: billingMessages.pmpType,
        deliveredAt: billingMessages.deliveredAt,
        costMicros: billingMessages.costMicros,
        waId: contacts.waId,
      })
      .from(billingMessages)
      .innerJoin(contacts, eq(contacts.id, billingMessages.contactId))
      .where(
        and(
          eq(billingMessages.wabaId, wabaId),
          gte(billingMessages.deliveredAt, start),
          lt(billingMessages.deliveredAt, end),
        ),
      )
      .orderBy(
        asc(billingMessages.deliveredAt),
        sql`${contacts.waId} collate "C"`,
        asc(billingMessages.sentAt),
        asc(billingMessages.messageId),
      );
    const pricedMsgs = priceMessages(
      msgs.map((m) => ({
        ...m,
        type: m.type as "regular" | "free_customer_service" | "free_entry_point",
        deliveredAt: m.deliveredAt.getTime(),
        accountId: wabaId,
      })),
      (category, at, waId, monthlyVolume) =>
        priceFor(table, { model: "pmp", category, at, waId, monthlyVolume }),
      { marketOf: (waId) => marketOf(table, waId) },
    );
    const msgChanges = pricedMsgs.filter((p, i) => p.costMicros !== msgs[i].costMicros);
    for (let i = 0; i < msgChanges.length; i += 5000) {
      const chunk = msgChanges.slice(i, i + 5000);
      const ids = sql.param(chunk.map((c) => c.id));
      const costs = sql.param(chunk.map((c) => c.costMicros));
      await tx.execute(sql`
        update ${billingMessages} as b set cost_micros = v.cost
        from (select unnest(${ids}::uuid[]) as id, unnest(${costs}::bigint[]) as cost) v
        where b.message_id = v.id`);
      await tx.execute(sql`
        update ${messages} as m set cost_micros = v.cost
        from (select unnest(${ids}::uuid[]) as id, unnest(${costs}::bigint[]) as cost) v
        where m.id = v.id`);
    }
    await markBillingDirty(tx, wabaId, [
      ...convChanges.map((c) => utcDay(c.openedAt)),
      ...msgChanges.map((m) => utcDay(m.deliveredAt)),
    ]);
    return {
      conversations: convs.length,
      conversationsChanged: convChanges.length,
      messages: msgs.length,
      messagesChanged: msgChanges.length,
    };
  });
}

export type RecomputeStats = RepriceStats & { contacts: number; months: string[] };

/** Contacts of the WABA that may have billing in [from, to): active threads since `from` − 7 days, or rows there. */
async function contactsToRebuild(
  db: DbOrTx,
  wabaId: string,
  from: Date | null,
  to: Date,
): Promise<ContactBillingKey[]> {
  // A week of look-back covers every window (24h CSW, 72h FEP) and late deliveries that shape the period.
  const since = from ? new Date(from.getTime() - 7 * DAY_MS) : null;
  const active = await db
    .selectDistinct({ contactId: threads.contactId, waId: contacts.waId })
    .from(threads)
    .innerJoin(inboxes, eq(inboxes.id, threads.inboxId))
    .innerJoin(contacts, eq(contacts.id, threads.contactId))
    .where(
      and(
        eq(inboxes.wabaId, wabaId),
        since ? or(gte(threads.lastMessageAt, since), gte(threads.updatedAt, since)) : undefined,
        lt(threads.createdAt, to),
      ),
    );
  const billed = await db
    .selectDistinct({ contactId: billingConversations.contactId, waId: contacts.waId })
    .from(billingConversations)
    .innerJoin(contacts, eq(contacts.id, billingConversations.contactId))
    .where(
      and(
        eq(billingConversations.wabaId, wabaId),
        from ? gte(billingConversations.openedAt, from) : undefined,
        lt(billingConversations.openedAt, to),
      ),
    );
  const billedMsgs = await db
    .selectDistinct({ contactId: billingMessages.contactId, waId: contacts.waId })
    .from(billingMessages)
    .innerJoin(contacts, eq(contacts.id, billingMessages.contactId))
    .where(
      and(
        eq(billingMessages.wabaId, wabaId),
        from ? gte(billingMessages.deliveredAt, from) : undefined,
        lt(billingMessages.deliveredAt, to),
      ),
    );
  const out = new Map<string, ContactBillingKey>();
  for (const r of [...active, ...billed, ...billedMsgs]) out.set(r.contactId, { ...r, wabaId });
  return [...out.values()].sort((a, b) => (a.contactId < b.contactId ? -1 : 1));
}

/**
 * The exact monthly recompute for one WABA over [from, to): with `rebuild` (default) re-runs the
 * engine for every contact active in the period (each in its own transaction, so live traffic is
 * not blocked for long), then re-prices each UTC month overlapping the period in order (free tier,
 * volume tiers, prices effective at each opening/delivery). Idempotent.
 */
export async function recomputeBilling(
  db: Db,
  args: { wabaId: string; from: Date; to: Date; rebuild?: boolean; now?: Date; table?: PriceTable },
): Promise<RecomputeStats> {
  const now = args.now ?? new Date();
  const table = args.table ?? (await loadPriceTable(db));
  let contactCount = 0;
  // A rebuilt contact may change service conversations outside the period too: re-price those months as well.
  const touched = new Set<string>();
  if (args.rebuild !== false) {
    const list = await contactsToRebuild(db, args.wabaId, args.from, args.to);
    for (const c of list) {
      const r = await db.transaction((tx) => refreshContactBilling(tx, c, now, { table, freeTier: false }));
      for (const m of r.touchedMonths) touched.add(m);
    }
    contactCount = list.length;
  }
  const months = [...new Set([...monthsBetween(args.from, args.to), ...touched])].sort();
  const stats: RecomputeStats = {
    contacts: contactCount,
    months,
    conversations: 0,
    conversationsChanged: 0,
    messages: 0,
    messagesChanged: 0,
  };
  for (const month of months) {
    const s = await repriceMonth(db, args.wabaId, month, table);
    stats.conversations += s.conversations;
    stats.conversationsChanged += s.conversationsChanged;
    stats.messages += s.messages;
    stats.messagesChanged += s.messagesChanged;
  }
  log.info("billing.recomputed", { wabaId: args.wabaId, ...stats, months: months.length });
  return stats;
}

/**
 * Recompute every WABA's billing from `since` (default: its first billed instant) to now. Run when
 * prices or the pricing model change. Without `rebuild` only prices are re-applied (the engine's
 * conversations and verdicts do not depend on prices), which is what a price change needs.
 */
export async function recomputeAllBilling(
  db: Db,
  opts: { since?: Date; rebuild?: boolean; now?: Date } = {},
): Promise<RecomputeStats> {
  const now = opts.now ?? new Date();
  const table = await loadPriceTable(db);
  const wabas = await db.selectDistinct({ wabaId: inboxes.wabaId }).from(inboxes);
  const total: RecomputeStats = {
    contacts: 0,
    months: [],
    conversations: 0,
    conversationsChanged: 0,
    messages: 0,
    messagesChanged: 0,
  };
  // Conversations opened up to now, and an FEP (72h) opened just before: the end is exclusive.
  const to = new Date(now.getTime() + 1);
  for (const { wabaId } of wabas) {
    let from = opts.since ?? null;
    if (!from) {
      const [c] = await db
        .select({ at: min(billingConversations.openedAt) })
        .from(billingConversations)
        .where(eq(billingConversations.wabaId, wabaId));
      const [m] = await db
        .select({ at: min(billingMessages.deliveredAt) })
        .from(billingMessages)
        .where(eq(billingMessages.wabaId, wabaId));
      let t: Date | null | undefined = null;
      if (opts.rebuild) {
        // Events may exist that never produced a row (e.g. after a restore): start at the first message.
        [{ at: t }] = await db
          .select({ at: min(messages.at) })
          .from(messages)
          .innerJoin(threads, eq(threads.id, messages.threadId))
          .innerJoin(inboxes, eq(inboxes.id, threads.inboxId))
          .where(eq(inboxes.wabaId, wabaId));
      }
      const first = [c?.at, m?.at, t].filter((d): d is Date => d instanceof Date).map((d) => d.getTime());
      from = first.length ? new Date(Math.min(...first)) : null;
    }
    if (!from || from.getTime() >= to.getTime()) continue;
    const s = await recomputeBilling(db, {
      wabaId,
      from: monthStart(utcMonthKey(from.getTime())),
      to,
      rebuild: opts.rebuild ?? false,
      now,
      table,
    });
    total.contacts += s.contacts;
    total.months = [...new Set([...total.months, ...s.months])].sort();
    total.conversations += s.conversations;
    total.conversationsChanged += s.conversationsChanged;
    total.messages += s.messages;
    total.messagesChanged += s.messagesChanged;
  }
  return total;
}

// ---------------------------------------------------------------- background runs

type Runner = { running: Promise<void> | null; again: { since?: Date; reason: string } | null };
// On globalThis: server actions bundled by Next and server.ts load separate copies of this module.
const g = globalThis as { __billingRecompute?: Runner };
g.__billingRecompute ??= { running: null, again: null };
const runner = g.__billingRecompute;

/**
 * Runs recomputeAllBilling in the background after a price or model change, one run at a time
 * (a request during a run schedules one more run, from the earliest `since` asked for). Records
 * the outcome in the audit log. Returns the promise of the run it joined, for callers that wait.
 */
export function scheduleBillingRecompute(db: Db, opts: { since?: Date; reason: string }): Promise<void> {
  if (runner.running) {
    const prev = runner.again;
    const since =
      prev && (!prev.since || !opts.since)
        ? undefined
        : prev?.since && opts.since && prev.since < opts.since
          ? prev.since
          : opts.since;
    runner.again = { since, reason: prev ? `${prev.reason}; ${opts.reason}` : opts.reason };
    return runner.running;
  }
  const run = async (o: { since?: Date; reason: string }): Promise<void> => {
    const started = Date.now();
    try {
      const stats = await recomputeAllBilling(db, { since: o.since });
      await db.insert(auditLog).values({
        action: "billing.recompute",
        targetType: "billing",
        data: { reason: o.reason, since: o.since?.toISOString() ?? null, ms: Date.now() - started, ...stats },
      });
    } catch (err) {
      log.error("billing.recompute_failed", {
        reason: o.reason,
        error: String(err),
        stack: (err as Error)?.stack,
      });
    }
    const next = runner.again;
    runner.again = null;
    if (next) return run(next);
  };
  runner.running = run(opts).finally(() => {
    runner.running = null;
  });
  return runner.running;
}
