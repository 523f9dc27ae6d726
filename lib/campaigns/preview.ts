/**
 * What sending one template would do to a contact's bill, and the sum over a campaign's
 * recipients. Every verdict comes from the window engine (`previewOutbound` /
 * `computeContactState`) and every price from the price table (`priceFor`), exactly as
 * refreshThreadState later prices the delivered message, so the preview and the engine's cost
 * after delivery agree to the micro-dollar when delivery happens while the states still hold.
 * Pure: events, `now` and the price table in; values out. Money in integer micros.
 */
import type { PricingModel, TemplateCategory } from "../domain";
import { priceMessages } from "../pricing/pmp";
import { type PriceTable, priceFor } from "../pricing/rates";
import { FEP_MS } from "../windows/csw";
import {
  computeContactState,
  type EngineEvent,
  isConversationOpenAt,
  normalizeTemplateCategory,
  previewOutbound,
} from "../windows/engine";

/**
 * The effect of one template send, delivered at `now` (epoch ms in `until` / `openUntil`):
 * - `opens` (CBP): a new conversation of the template's category, charged `costMicros`;
 * - `inside_open` (CBP): a conversation of that category is already open until `openUntil`: no charge;
 * - `free_entry_point`: inside (or opening) a free entry point window: free until `until`;
 * - `charged_message` (PMP): a billable template message;
 * - `free_customer_service` (PMP): a utility template inside the customer service window: free.
 */
export type SendEffect =
  | { kind: "opens"; category: TemplateCategory; costMicros: number }
  | { kind: "inside_open"; category: TemplateCategory; openUntil: number; costMicros: 0 }
  | { kind: "free_entry_point"; until: number | null; costMicros: 0 }
  | { kind: "charged_message"; category: TemplateCategory; costMicros: number }
  | { kind: "free_customer_service"; category: TemplateCategory; until: number | null; costMicros: 0 };

export type SendEffectKind = SendEffect["kind"];

export type ContactWindows = {
  /** The customer service window (free text allowed) and when it ends (epoch ms). */
  csw: { open: boolean; expiresAt: number | null };
  fep: { open: boolean; expiresAt: number | null };
};

export type TemplateSendPreview = { effect: SendEffect; windows: ContactWindows };

const PREVIEW_ID = "\u0000campaign-preview";

/**
 * The engine's verdict on sending a template of `category` (Meta's spelling or ours) to a contact
 * with history `events`, at `now` (epoch ms), priced under `model`.
 */
export function templateSendPreview(
  events: readonly EngineEvent[],
  now: number,
  args: { category: string; waId: string; model: PricingModel; table: PriceTable },
): TemplateSendPreview {
  const rawCategory = args.category.toLowerCase();
  const category = normalizeTemplateCategory(rawCategory);
  const state = computeContactState(events, now);
  const windows: ContactWindows = {
    csw: { open: state.csw.open, expiresAt: state.csw.expiresAt },
    fep: { open: state.fep.open, expiresAt: state.fep.expiresAt },
  };
  const verdict = previewOutbound(events, now, { kind: "template", category: rawCategory });
  // Templates are never refused by the window rules; a refusal here would be an engine change.
  if (!verdict.allowed) throw new Error("the engine refused a template send");

  if (verdict.pmpType === "free_entry_point") {
    // This very send may be the reply that opens the window (a referral inbound within 24h).
    const opensFep = verdict.opens === "free_entry_point";
    const until = opensFep ? now + FEP_MS : state.fep.expiresAt;
    return {
      effect: { kind: "free_entry_point", until, costMicros: 0 },
      windows: opensFep ? { ...windows, fep: { open: true, expiresAt: until } } : windows,
    };
  }

  if (args.model === "pmp") {
    if (verdict.pmpType === "free_customer_service") {
      return {
        effect: { kind: "free_customer_service", category, until: state.csw.expiresAt, costMicros: 0 },
        windows,
      };
    }
    return { effect: { kind: "charged_message", category, costMicros: pmpCost(events, now, args) }, windows };
  }

  if (verdict.opens !== null) {
    const costMicros = priceFor(args.table, { model: "cbp", category, waId: args.waId, at: now });
    return { effect: { kind: "opens", category, costMicros }, windows };
  }
  const open = state.conversations.find((c) => c.category === category && isConversationOpenAt(c, now));
  return {
    effect: {
      kind: "inside_open",
      category,
      openUntil: open ? (open.closedAt ?? open.expiresAt) : now,
      costMicros: 0,
    },
    windows,
  };
}

/**
 * The per-message price the engine would store for this send: the contact's delivered messages
 * plus this one priced together, as refreshThreadState does, so volume tiers count the same.
 */
function pmpCost(
  events: readonly EngineEvent[],
  now: number,
  args: { category: string; waId: string; table: PriceTable },
): number {
  const state = computeContactState(
    [
      ...events,
      { type: "outbound", at: now, id: PREVIEW_ID, kind: "template", category: args.category.toLowerCase() },
      { type: "status", at: now, id: PREVIEW_ID, status: "delivered" },
    ],
    now,
  );
  const priced = priceMessages(
    state.messages.map((m) => ({ ...m, waId: args.waId })),
    (category, at, waId, monthlyVolume) =>
      priceFor(args.table, { model: "pmp", category, at, waId, monthlyVolume }),
  );
  return priced.find((m) => m.id === PREVIEW_ID)?.costMicros ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Campaign totals

/** Why a recipient is not sent to. */
export const EXCLUSION_REASONS = ["invalid_number", "duplicate", "opted_out", "missing_variable"] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

export type RecipientVerdict =
  | { waId: string; effect: SendEffect }
  | { waId: string; excluded: ExclusionReason; detail: string };

export type PreviewBucket = { count: number; costMicros: number };

/** A campaign's cost preview: how many recipients fall in each case, and what that costs. */
export type CampaignPreview = {
  model: PricingModel;
  currency: string;
  category: TemplateCategory;
  /** Instant the states were read (epoch ms). */
  at: number;
  /** Everyone in the audience, excluded or not. */
  audience: number;
  /** Recipients who will be sent the template. */
  sendable: number;
  /** CBP: a new conversation of the template's category opens (charged). */
  opens: PreviewBucket;
  /** CBP: a conversation of that category is already open (no charge). */
  insideOpen: PreviewBucket;
  /** Inside (or opening) a free entry point window (free). */
  freeEntryPoint: PreviewBucket;
  /** PMP: billable template messages. */
  chargedMessages: PreviewBucket;
  /** PMP: utility templates inside the customer service window (free). */
  freeCustomerService: PreviewBucket;
  totalCostMicros: number;
  /** The price of one new conversation / message when all charged recipients pay the same, else null. */
  unitMicros: number | null;
  excluded: Record<ExclusionReason, number>;
};

/** Sums recipients' verdicts into the campaign preview. */
export function summarizePreview(
  verdicts: readonly RecipientVerdict[],
  meta: { model: PricingModel; category: string; at: number; currency?: string },
): CampaignPreview {
  const bucket = (): PreviewBucket => ({ count: 0, costMicros: 0 });
  const out: CampaignPreview = {
    model: meta.model,
    currency: meta.currency ?? "USD",
    category: normalizeTemplateCategory(meta.category),
    at: meta.at,
    audience: verdicts.length,
    sendable: 0,
    opens: bucket(),
    insideOpen: bucket(),
    freeEntryPoint: bucket(),
    chargedMessages: bucket(),
    freeCustomerService: bucket(),
    totalCostMicros: 0,
    unitMicros: null,
    excluded: { invalid_number: 0, duplicate: 0, opted_out: 0, missing_variable: 0 },
  };
  const units = new Set<number>();
  for (const v of verdicts) {
    if ("excluded" in v) {
      out.excluded[v.excluded] += 1;
      continue;
    }
    out.sendable += 1;
    const e = v.effect;
    const b = {
      opens: out.opens,
      inside_open: out.insideOpen,
      free_entry_point: out.freeEntryPoint,
      charged_message: out.chargedMessages,
      free_customer_service: out.freeCustomerService,
    }[e.kind];
    b.count += 1;
    b.costMicros += e.costMicros;
    out.totalCostMicros += e.costMicros;
    if (e.kind === "opens" || e.kind === "charged_message") units.add(e.costMicros);
  }
  out.unitMicros = units.size === 1 ? [...units][0] : null;
  return out;
}
