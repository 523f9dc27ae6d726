/**
 * CSV exports of the costs dashboard: every conversation (CBP) or delivered message (PMP) of the
 * period with its cost, and the summary tables. Amounts are written twice — integer micros and the
 * exact decimal — so a spreadsheet sum of either column equals the dashboard's total.
 */
import { type SQL, sql } from "drizzle-orm";
import { microsToDecimal } from "@/components/costs/money";
import type { DbOrTx } from "../../db/client";
import type { PricingModel } from "../domain";
import { type CostsDashboard, type CostsFilters, costsWhere } from "./costs";

type Field = string | number | boolean | null | undefined;

/**
 * One CSV line (RFC 4180: quoted when needed, CRLF). Text that a spreadsheet would run as a
 * formula (= + - @ at the start) is prefixed with ' — contact names come from customers.
 */
export function csvLine(fields: readonly Field[]): string {
  return `${fields
    .map((f) => {
      if (f === null || f === undefined) return "";
      if (typeof f !== "string") return String(f);
      const safe = /^[=+\-@\t\r]/.test(f) ? `'${f}` : f;
      return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
    })
    .join(",")}\r\n`;
}

export const CBP_ITEM_COLUMNS = [
  "conversation_id",
  "opened_at",
  "expires_at",
  "closed_at",
  "category",
  "cost_micros",
  "cost",
  "currency",
  "free_reason",
  "inbox",
  "waba_id",
  "contact_wa_id",
  "contact_name",
  "opened_by",
  "meta_conversation_id",
] as const;

export const PMP_ITEM_COLUMNS = [
  "message_id",
  "sent_at",
  "delivered_at",
  "category",
  "pricing_category",
  "type",
  "cost_micros",
  "cost",
  "currency",
  "inbox",
  "waba_id",
  "contact_wa_id",
  "contact_name",
  "sent_by",
  "cbp_conversation_category",
  "meta_pricing_model",
  "meta_category",
  "meta_type",
  "meta_billable",
  "mismatch",
] as const;

const iso = (d: Date | string | null) =>
  d === null ? null : (d instanceof Date ? d : new Date(d)).toISOString();

type Cursor = { at: string; id: string } | null;

function itemsQuery(model: PricingModel, f: CostsFilters, cursor: Cursor, limit: number): SQL {
  const where = costsWhere(model, f);
  if (model === "cbp") {
    const after = cursor ? sql`and (opened_at, id) > (${cursor.at}::timestamptz, ${cursor.id}::uuid)` : sql``;
    return sql`
      select bc.id, bc.opened_at as at, bc.expires_at, bc.closed_at, bc.category::text as category, bc.cost_micros,
             bc.currency, bc.free_reason, i.name as inbox, bc.waba_id, c.wa_id, c.profile_name, u.name as agent,
             bc.meta_conversation_id
      from (select * from billing_conversations where ${where} ${after} order by opened_at, id limit ${limit}) bc
      join contacts c on c.id = bc.contact_id
      join inboxes i on i.id = bc.inbox_id
      left join users u on u.id = bc.opened_by_user_id
      order by bc.opened_at, bc.id`;
  }
  const after = cursor
    ? sql`and (delivered_at, message_id) > (${cursor.at}::timestamptz, ${cursor.id}::uuid)`
    : sql``;
  return sql`
    select bm.message_id as id, bm.sent_at, bm.delivered_at as at, bm.category, bm.pricing_category, bm.pmp_type,
           bm.cost_micros, bm.currency, i.name as inbox, bm.waba_id, c.wa_id, c.profile_name, u.name as agent,
           bm.cbp_category, bm.meta_model, bm.meta_category, bm.meta_type, bm.meta_billable, bm.mismatch
    from (select * from billing_messages where ${where} ${after} order by delivered_at, message_id limit ${limit}) bm
    join contacts c on c.id = bm.contact_id
    join inboxes i on i.id = bm.inbox_id
    left join users u on u.id = bm.sender_user_id
    order by bm.delivered_at, bm.message_id`;
}

/**
 * The period's items as CSV lines (header first), fetched in keyset pages of `pageSize` so an
 * export of a busy month streams in constant memory.
 */
export async function* costItemsCsv(
  db: DbOrTx,
  model: PricingModel,
  f: CostsFilters,
  opts: { pageSize?: number } = {},
): AsyncGenerator<string> {
  const pageSize = opts.pageSize ?? 5000;
  yield csvLine(model === "cbp" ? CBP_ITEM_COLUMNS : PMP_ITEM_COLUMNS);
  let cursor: Cursor = null;
  for (;;) {
    const rows: Record<string, unknown>[] = await db.execute<Record<string, unknown>>(
      itemsQuery(model, f, cursor, pageSize),
    );
    let out = "";
    for (const r of rows) {
      const cost = Number(r.cost_micros);
      const line: Field[] =
        model === "cbp"
          ? [
              r.id as string,
              iso(r.at as Date),
              iso(r.expires_at as Date),
              iso(r.closed_at as Date | null),
              r.category as string,
              cost,
              microsToDecimal(cost),
              r.currency as string,
              r.free_reason as string | null,
              r.inbox as string,
              r.waba_id as string,
              r.wa_id as string,
              r.profile_name as string | null,
              r.agent as string | null,
              r.meta_conversation_id as string | null,
            ]
          : [
              r.id as string,
              iso(r.sent_at as Date),
              iso(r.at as Date),
              r.category as string,
              r.pricing_category as string,
              r.pmp_type as string,
              cost,
              microsToDecimal(cost),
              r.currency as string,
              r.inbox as string,
              r.waba_id as string,
              r.wa_id as string,
              r.profile_name as string | null,
              r.agent as string | null,
              r.cbp_category as string | null,
              r.meta_model as string | null,
              r.meta_category as string | null,
              r.meta_type as string | null,
              r.meta_billable as boolean | null,
              r.mismatch as string | null,
            ];
      out += csvLine(line);
    }
    if (out) yield out;
    if (rows.length < pageSize) return;
    const last: Record<string, unknown> = rows[rows.length - 1];
    cursor = { at: iso(last.at as Date)!, id: last.id as string };
  }
}

export const SUMMARY_COLUMNS = [
  "table",
  "key",
  "name",
  "count",
  "billable",
  "free",
  "unit_price_micros",
  "cost_micros",
  "cost",
  "currency",
] as const;

/** The dashboard's summary tables (total, by category, inbox, agent, day) as one CSV. */
export function summaryCsv(d: CostsDashboard): string {
  const cur = d.currency;
  const money = (m: number) => [m, microsToDecimal(m), cur];
  let out = csvLine(SUMMARY_COLUMNS);
  out += csvLine([
    "total",
    d.model,
    `${d.period.from}..${d.period.to}`,
    d.totals.count,
    d.totals.billable,
    d.totals.free,
    null,
    ...money(d.totals.costMicros),
  ]);
  for (const c of d.byCategory) {
    out += csvLine([
      "category",
      c.category,
      c.category,
      c.count,
      c.billable,
      c.free,
      c.unitPriceMicros,
      ...money(c.costMicros),
    ]);
  }
  for (const i of d.byInbox) {
    out += csvLine(["inbox", i.inboxId, i.name, i.count, i.billable, i.free, null, ...money(i.costMicros)]);
  }
  for (const a of d.byAgent) {
    out += csvLine([
      "agent",
      a.userId ?? "none",
      a.name,
      a.count,
      a.billable,
      a.free,
      null,
      ...money(a.costMicros),
    ]);
  }
  for (const day of d.daily) {
    out += csvLine(["day", day.day, day.day, null, null, null, null, ...money(day.costMicros)]);
  }
  return out;
}
