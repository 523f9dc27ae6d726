/**
 * Replay a JSON-lines event log through the window engine and the pricer (the pure half of
 * `npm run windows -- replay`). Input lines, one JSON object each, in any order:
 *
 *   {"type":"inbound","at":ISO,"contact":"55…","id":"in1","referral":{…}?,"account":"…"?}
 *   {"type":"outbound","at":ISO,"contact":"55…","id":"out1","kind":"text"|"template"|…,"category":"marketing"?}
 *   {"type":"status","at":ISO,"id":"out1","status":"sent"|"delivered"|"read"|"failed"}
 *
 * Events are processed by `at`, ties in file order. `account` defaults to "default"; the service
 * free tier is counted per account. A status line maps to the contact of the outbound message with
 * that id, wherever it is in the file. The same message id on two lines is allowed only for an
 * identical message (a webhook retry: the earliest counts); otherwise it is an error.
 *
 * Output contacts are keyed by contact id; a contact id that occurs in more than one account is
 * keyed "account:contact" in every account it occurs in. Keys are sorted.
 */
import { z } from "zod";
import { CONVERSATION_CATEGORIES, DELIVERY_STATUSES, type PmpType, type PricingModel } from "../domain";
import { computeContactState, type EngineEvent, isTemplateKind } from "../windows/engine";
import { priceConversations } from "./cbp";
import { priceMessages } from "./pmp";
import { priceFromRates, type Rates } from "./rates";

const isoSchema = z.iso.datetime({
  offset: true,
  error: (iss) =>
    iss.input === undefined
      ? "is required"
      : `must be an ISO-8601 date-time with Z or an offset, like "2026-03-02T10:00:00Z" (got ${JSON.stringify(iss.input)})`,
});
const idSchema = z.string().min(1, "must not be empty");
const contactSchema = z.union([z.string().min(1), z.number().int().nonnegative()]).transform(String);
const accountSchema = z.string().min(1).optional();

const inboundLineSchema = z.object({
  type: z.literal("inbound"),
  at: isoSchema,
  contact: contactSchema,
  id: idSchema,
  account: accountSchema,
  referral: z.union([z.boolean(), z.record(z.string(), z.unknown()), z.null()]).optional(),
});
const outboundLineSchema = z.object({
  type: z.literal("outbound"),
  at: isoSchema,
  contact: contactSchema,
  id: idSchema,
  account: accountSchema,
  kind: z.string().min(1),
  category: z.string().min(1).optional(),
});
const statusLineSchema = z.object({
  type: z.literal("status"),
  at: isoSchema,
  id: idSchema,
  status: z.enum(DELIVERY_STATUSES),
  contact: contactSchema.optional(),
  account: accountSchema,
});

export type InboundLine = z.infer<typeof inboundLineSchema>;
export type OutboundLine = z.infer<typeof outboundLineSchema>;
export type StatusLine = z.infer<typeof statusLineSchema>;
/** A validated input line; `line` is its 1-based line number in the file. */
export type ReplayEvent = (InboundLine | OutboundLine | StatusLine) & { line: number };

/** A bad input line (1-based `line`; 0 when the problem is not on a line, e.g. a bad `at` option). */
export class ReplayInputError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(line > 0 ? `line ${line}: ${reason}` : reason);
    this.name = "ReplayInputError";
  }
}

const LINE_TYPES = ["inbound", "outbound", "status"] as const;

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const iss = issues[0];
  const field = iss.path.length ? `"${iss.path.join(".")}"` : "line";
  const more =
    issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
  return `${field} ${iss.message}${more}`;
}

function validateOne(raw: unknown, line: number): ReplayEvent {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ReplayInputError(line, "expected a JSON object");
  }
  const type = (raw as { type?: unknown }).type;
  const schema =
    type === "inbound"
      ? inboundLineSchema
      : type === "outbound"
        ? outboundLineSchema
        : type === "status"
          ? statusLineSchema
          : null;
  if (!schema) {
    throw new ReplayInputError(
      line,
      `"type" must be one of ${LINE_TYPES.join(", ")} (got ${JSON.stringify(type)})`,
    );
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ReplayInputError(line, formatIssues(parsed.error.issues));
  const ev = parsed.data;
  if (ev.type === "outbound" && isTemplateKind(ev.kind) && !ev.category) {
    throw new ReplayInputError(
      line,
      `"category" is required for a template (marketing, utility or authentication)`,
    );
  }
  return { ...ev, line };
}

/** Validate parsed objects (with their line numbers) including cross-line checks; throws ReplayInputError. */
function validateAll(items: ReadonlyArray<{ raw: unknown; line: number }>): ReplayEvent[] {
  const events = items.map(({ raw, line }) => validateOne(raw, line));
  const messages = new Map<string, Exclude<ReplayEvent, StatusLine>>();
  for (const ev of events) {
    if (ev.type === "status") continue;
    const first = messages.get(ev.id);
    if (!first) {
      messages.set(ev.id, ev);
      continue;
    }
    const same =
      first.type === ev.type &&
      first.contact === ev.contact &&
      (first.account ?? "default") === (ev.account ?? "default") &&
      (first.type !== "outbound" ||
        (ev.type === "outbound" && first.kind === ev.kind && first.category === ev.category));
    if (!same) {
      throw new ReplayInputError(
        ev.line,
        `message id ${JSON.stringify(ev.id)} was already used on line ${first.line} for a different message`,
      );
    }
  }
  for (const ev of events) {
    if (ev.type !== "status") continue;
    const msg = messages.get(ev.id);
    if (!msg) throw new ReplayInputError(ev.line, `status for unknown message id ${JSON.stringify(ev.id)}`);
    if (msg.type !== "outbound") {
      throw new ReplayInputError(ev.line, `status for ${JSON.stringify(ev.id)}, which is an inbound message`);
    }
    if (ev.contact !== undefined && ev.contact !== msg.contact) {
      throw new ReplayInputError(
        ev.line,
        `status "contact" ${ev.contact} does not match message ${JSON.stringify(ev.id)}'s contact ${msg.contact}`,
      );
    }
    if (ev.account !== undefined && ev.account !== (msg.account ?? "default")) {
      throw new ReplayInputError(
        ev.line,
        `status "account" ${ev.account} does not match message ${JSON.stringify(ev.id)}'s account`,
      );
    }
  }
  return events;
}

/**
 * Parse a JSON-lines log (blank lines ignored). On the first problem returns its 1-based line
 * number and what is wrong, e.g. `{ error: '"at" must be an ISO-8601 date-time …', line: 3 }`.
 */
export function parseEventLines(text: string): { events: ReplayEvent[] } | { error: string; line: number } {
  const items: Array<{ raw: unknown; line: number }> = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const src = lines[i].trim();
    if (src === "") continue;
    try {
      items.push({ raw: JSON.parse(src), line: i + 1 });
    } catch (e) {
      return { error: `invalid JSON: ${e instanceof Error ? e.message : String(e)}`, line: i + 1 };
    }
  }
  try {
    return { events: validateAll(items) };
  } catch (e) {
    if (e instanceof ReplayInputError) return { error: e.reason, line: e.line };
    throw e;
  }
}

export type ReplayOptions = {
  /** The instant to evaluate at (ISO-8601); default: the latest event's time (epoch 0 if there are none). */
  at?: string;
  model: PricingModel;
  rates: Rates;
};

type WindowOut = { open: boolean; expiresAt: string | null };
export type ReplayConversationOut = {
  category: string;
  openedAt: string;
  expiresAt: string;
  closedAt: string | null;
  costMicros: number;
};
export type ReplayMessageOut = { id: string; category: string; type: PmpType; costMicros: number };
export type ReplayContactOut = {
  csw: WindowOut;
  fep: WindowOut;
  freeText: boolean;
  conversations?: ReplayConversationOut[];
  messages?: ReplayMessageOut[];
  rejected: string[];
};
export type ReplayOutput = {
  at: string;
  model: PricingModel;
  contacts: Record<string, ReplayContactOut>;
  totals: {
    costMicros: number;
    byCategory: Record<string, { conversations?: number; messages?: number; costMicros: number }>;
  };
};

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Evaluate a log at `opts.at` under `opts.model` with `opts.rates`. `lines` are the parsed JSON
 * objects in file order (or `parseEventLines` events; their `line` numbers are kept). Throws
 * ReplayInputError for an invalid line or `at`.
 */
export function replay(lines: unknown[], opts: ReplayOptions): ReplayOutput {
  const events = validateAll(
    lines.map((raw, i) => {
      const line = (raw as { line?: unknown } | null)?.line;
      return { raw, line: typeof line === "number" ? line : i + 1 };
    }),
  );
  const ms = (s: string) => Date.parse(s);
  let atMs: number;
  if (opts.at !== undefined) {
    const check = isoSchema.safeParse(opts.at);
    if (!check.success) throw new ReplayInputError(0, `"at" ${check.error.issues[0].message}`);
    atMs = ms(opts.at);
  } else {
    atMs = events.reduce((max, e) => Math.max(max, ms(e.at)), Number.NEGATIVE_INFINITY);
    if (!Number.isFinite(atMs)) atMs = 0;
  }

  // Group by (account, contact), in file order; statuses follow their message.
  type Group = { account: string; contact: string; events: EngineEvent[] };
  const groups = new Map<string, Group>();
  const ownerOf = new Map<string, Group>();
  const groupFor = (account: string, contact: string): Group => {
    const key = `${account}\u0000${contact}`;
    let g = groups.get(key);
    if (!g) {
      g = { account, contact, events: [] };
      groups.set(key, g);
    }
    return g;
  };
  for (const ev of events) {
    if (ev.type === "outbound") ownerOf.set(ev.id, groupFor(ev.account ?? "default", ev.contact));
  }
  for (const ev of events) {
    const at = ms(ev.at);
    if (ev.type === "inbound") {
      groupFor(ev.account ?? "default", ev.contact).events.push({
        type: "inbound",
        at,
        id: ev.id,
        referral: ev.referral,
      });
    } else if (ev.type === "outbound") {
      ownerOf
        .get(ev.id)!
        .events.push({ type: "outbound", at, id: ev.id, kind: ev.kind, category: ev.category });
    } else {
      ownerOf.get(ev.id)!.events.push({ type: "status", at, id: ev.id, status: ev.status });
    }
  }

  const accountsOf = new Map<string, Set<string>>();
  for (const g of groups.values()) {
    const set = accountsOf.get(g.contact) ?? new Set<string>();
    set.add(g.account);
    accountsOf.set(g.contact, set);
  }
  const keyOf = (g: Group) =>
    (accountsOf.get(g.contact)?.size ?? 0) > 1 ? `${g.account}:${g.contact}` : g.contact;

  const price = priceFromRates(opts.rates);
  const states = [...groups.values()]
    .map((g) => ({ g, key: keyOf(g), state: computeContactState(g.events, atMs) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const contacts: Record<string, ReplayContactOut> = {};
  const byCategory = new Map<string, { count: number; costMicros: number }>();
  let total = 0;
  const tally = (category: string, cost: number) => {
    const t = byCategory.get(category) ?? { count: 0, costMicros: 0 };
    t.count += 1;
    t.costMicros += cost;
    byCategory.set(category, t);
    total += cost;
  };

  const base = (s: (typeof states)[number]) => ({
    csw: { open: s.state.csw.open, expiresAt: iso(s.state.csw.expiresAt) },
    fep: { open: s.state.fep.open, expiresAt: iso(s.state.fep.expiresAt) },
    freeText: s.state.freeText,
  });

  if (opts.model === "cbp") {
    const all = states.flatMap((s, si) =>
      s.state.conversations.map((c) => ({
        ...c,
        si,
        accountId: s.g.account,
        contactId: s.g.contact,
        waId: s.g.contact,
      })),
    );
    const priced = priceConversations(all, price, opts.rates.freeServicePerMonth);
    states.forEach((s, si) => {
      const conversations = priced
        .filter((c) => c.si === si)
        .map((c) => {
          tally(c.category, c.costMicros);
          return {
            category: c.category,
            openedAt: iso(c.openedAt)!,
            expiresAt: iso(c.expiresAt)!,
            closedAt: iso(c.closedAt),
            costMicros: c.costMicros,
          };
        });
      contacts[s.key] = { ...base(s), conversations, rejected: [...s.state.rejected] };
    });
  } else {
    const all = states.flatMap((s, si) =>
      s.state.messages.map((m) => ({ ...m, si, accountId: s.g.account, waId: s.g.contact })),
    );
    const priced = priceMessages(all, (category) => price(category));
    states.forEach((s, si) => {
      const messages = priced
        .filter((m) => m.si === si)
        .map((m) => {
          tally(m.category, m.costMicros);
          return { id: m.id, category: m.category, type: m.type, costMicros: m.costMicros };
        });
      contacts[s.key] = { ...base(s), messages, rejected: [...s.state.rejected] };
    });
  }

  const countKey = opts.model === "cbp" ? "conversations" : "messages";
  const byCategoryOut: ReplayOutput["totals"]["byCategory"] = {};
  for (const category of CONVERSATION_CATEGORIES) {
    const t = byCategory.get(category);
    if (t) byCategoryOut[category] = { [countKey]: t.count, costMicros: t.costMicros };
  }
  return {
    at: new Date(atMs).toISOString(),
    model: opts.model,
    contacts,
    totals: { costMicros: total, byCategory: byCategoryOut },
  };
}
