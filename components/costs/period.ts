/**
 * The costs dashboard's URL parameters → a validated period and filters. Pure, shared by the
 * /costs page and the CSV export route so both read the same period. Periods are in UTC: Meta
 * counts the free tier and bills by UTC calendar month, so days and months are UTC too.
 */
import { z } from "zod";
import { CONVERSATION_CATEGORIES, PRICING_MODELS, type PricingModel } from "@/lib/domain";

export const PERIOD_KINDS = ["day", "week", "month", "custom"] as const;
export type PeriodKind = (typeof PERIOD_KINDS)[number];

export type CostsParams = {
  period: PeriodKind;
  /** The anchor the period was built from: YYYY-MM-DD (day/week), YYYY-MM (month), or from..to (custom). */
  label: string;
  from: Date;
  to: Date;
  inboxId: string | null;
  /** A user id, or "none" for conversations no agent opened (API, campaigns without a sender). */
  agentId: string | null;
  category: string | null;
  /** Show the figures under this model instead of the workspace's ("what if"). */
  model: PricingModel | null;
};

export type ParseResult = { ok: true; params: CostsParams } | { ok: false; error: string; field: string };

const DAY_MS = 24 * 3600_000;
/** The longest custom period: a year, so one request never scans unbounded history. */
export const MAX_PERIOD_DAYS = 366;

const dayRe = /^\d{4}-\d{2}-\d{2}$/;
const monthRe = /^\d{4}-\d{2}$/;

function parseDay(s: string): Date | null {
  if (!dayRe.test(s)) return null;
  const d = new Date(`${s}T00:00:00.000Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s ? null : d;
}

export const isoDay = (d: Date) => d.toISOString().slice(0, 10);
export const isoMonth = (d: Date) => d.toISOString().slice(0, 7);

const uuid = z.uuid();

type Raw = Record<string, string | string[] | undefined> | URLSearchParams;
function get(raw: Raw, key: string): string | undefined {
  if (raw instanceof URLSearchParams) return raw.get(key) ?? undefined;
  const v = raw[key];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === "" ? undefined : s;
}

/** Reads `period`, `date` / `from` / `to`, `inbox`, `agent`, `category`, `model`; default: this UTC month. */
export function parseCostsParams(raw: Raw, now: Date): ParseResult {
  const kind = (get(raw, "period") ?? "month") as PeriodKind;
  if (!PERIOD_KINDS.includes(kind)) {
    return { ok: false, field: "period", error: `Period must be one of ${PERIOD_KINDS.join(", ")}.` };
  }
  const date = get(raw, "date");
  let from: Date;
  let to: Date;
  let label: string;
  if (kind === "month") {
    const m = date ?? isoMonth(now);
    const start = monthRe.test(m) ? parseDay(`${m}-01`) : null;
    if (!start) return { ok: false, field: "date", error: "Month must look like 2026-03." };
    from = start;
    to = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    label = m;
  } else if (kind === "day" || kind === "week") {
    const d = parseDay(date ?? isoDay(now));
    if (!d) return { ok: false, field: "date", error: "Date must look like 2026-03-15." };
    if (kind === "day") {
      from = d;
      to = new Date(d.getTime() + DAY_MS);
    } else {
      // ISO weeks start on Monday.
      const back = (d.getUTCDay() + 6) % 7;
      from = new Date(d.getTime() - back * DAY_MS);
      to = new Date(from.getTime() + 7 * DAY_MS);
    }
    label = isoDay(from);
  } else {
    const f = parseDay(get(raw, "from") ?? "");
    const t = parseDay(get(raw, "to") ?? "");
    if (!f)
      return { ok: false, field: "from", error: "Custom period: 'from' must be a date like 2026-03-01." };
    if (!t) return { ok: false, field: "to", error: "Custom period: 'to' must be a date like 2026-03-31." };
    if (t < f) return { ok: false, field: "to", error: "Custom period: 'to' must not be before 'from'." };
    from = f;
    to = new Date(t.getTime() + DAY_MS); // the 'to' day is included
    if ((to.getTime() - from.getTime()) / DAY_MS > MAX_PERIOD_DAYS) {
      return { ok: false, field: "to", error: `Custom periods are limited to ${MAX_PERIOD_DAYS} days.` };
    }
    label = `${isoDay(f)}..${isoDay(t)}`;
  }

  const inboxId = get(raw, "inbox") ?? null;
  if (inboxId && !uuid.safeParse(inboxId).success) {
    return { ok: false, field: "inbox", error: "Unknown inbox filter." };
  }
  const agentId = get(raw, "agent") ?? null;
  if (agentId && agentId !== "none" && !uuid.safeParse(agentId).success) {
    return { ok: false, field: "agent", error: "Unknown agent filter." };
  }
  const category = get(raw, "category") ?? null;
  if (category && !(CONVERSATION_CATEGORIES as readonly string[]).includes(category)) {
    return {
      ok: false,
      field: "category",
      error: `Category must be one of ${CONVERSATION_CATEGORIES.join(", ")}.`,
    };
  }
  const model = get(raw, "model") ?? null;
  if (model && !(PRICING_MODELS as readonly string[]).includes(model)) {
    return { ok: false, field: "model", error: "Model must be cbp or pmp." };
  }
  return {
    ok: true,
    params: {
      period: kind,
      label,
      from,
      to,
      inboxId,
      agentId,
      category,
      model: (model as PricingModel | null) ?? null,
    },
  };
}

/** The query string for `params` with some keys changed (undefined/null/"" removes a key). */
export function costsHref(
  base: Record<string, string | undefined>,
  change: Record<string, string | null | undefined>,
  path = "/costs",
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...base, ...change })) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** The URL parameters that reproduce `p` (for links: export, chart drill-down). */
export function paramsToQuery(p: CostsParams): Record<string, string | undefined> {
  const base: Record<string, string | undefined> = {
    period: p.period,
    inbox: p.inboxId ?? undefined,
    agent: p.agentId ?? undefined,
    category: p.category ?? undefined,
    model: p.model ?? undefined,
  };
  if (p.period === "custom") {
    base.from = isoDay(p.from);
    base.to = isoDay(new Date(p.to.getTime() - DAY_MS));
  } else {
    base.date = p.label;
  }
  return base;
}

/** The URL parameters of the period before (-1) or after (+1) `p`, same kind and filters. */
export function shiftedQuery(p: CostsParams, dir: 1 | -1): Record<string, string | undefined> {
  const q = paramsToQuery(p);
  if (p.period === "month") {
    const d = new Date(Date.UTC(p.from.getUTCFullYear(), p.from.getUTCMonth() + dir, 1));
    return { ...q, date: isoMonth(d) };
  }
  if (p.period === "custom") {
    const len = p.to.getTime() - p.from.getTime();
    const from = new Date(p.from.getTime() + dir * len);
    const to = new Date(p.to.getTime() + dir * len - DAY_MS);
    return { ...q, from: isoDay(from), to: isoDay(to) };
  }
  const step = p.period === "week" ? 7 : 1;
  return { ...q, date: isoDay(new Date(p.from.getTime() + dir * step * DAY_MS)) };
}

/** A human label for the period: "November 2026", "Week of 2026-11-23", "2026-11-25", "2026-11-01 – 2026-11-15". */
export function periodTitle(p: CostsParams): string {
  if (p.period === "month") {
    return new Intl.DateTimeFormat("en", { month: "long", year: "numeric", timeZone: "UTC" }).format(p.from);
  }
  if (p.period === "week") return `Week of ${isoDay(p.from)}`;
  if (p.period === "day") return isoDay(p.from);
  return `${isoDay(p.from)} – ${isoDay(new Date(p.to.getTime() - DAY_MS))}`;
}
